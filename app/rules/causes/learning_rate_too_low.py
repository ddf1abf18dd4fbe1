"""``learning_rate_too_low``: the learning rate sits far below the optimizer's usual range
(seed 003 §3, the small-rate side; the CSDN post's 5e-5 "keep it under 1e-4" advice)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.learning_rate_too_high import (
    DEFAULT_RATES, FLOAT32_SLACK, IN_RANGE_UNKNOWN_OPTIMIZER_WEIGHT, IN_RANGE_WEIGHT, OPTIMIZER_SETTLE, optimizer_code,
    out_of_range_weight, rate_known, rate_reading, sig, times,
)

# A rate that callbacks or a schedule bring this far below the range's bottom mid-run leaves
# the rest of the run unable to move (ReduceLROnPlateau with min_lr=0 cuts without end).
DECAYED_FACTOR = 10.0
DECAYED_WEIGHT = 0.25

BELOW = T(
    "the initial learning rate {rate} is {factor}× below the bottom of {optimizer}'s usual range ({low}–{high})",
    "初始学习率 {rate} 比 {optimizer} 常用范围（{low}–{high}）的下限还低 {factor} 倍",
)
BELOW_ANY = T(
    "the initial learning rate {rate} is {factor}× below the bottom of the range common optimizers "
    "use ({low}–{high}); the optimizer itself is not known",
    "初始学习率 {rate} 比常见优化器常用范围（{low}–{high}）的下限还低 {factor} 倍；具体优化器未知",
)
IN_RANGE = T(
    "the initial learning rate {rate} is within {optimizer}'s usual range ({low}–{high})",
    "初始学习率 {rate} 在 {optimizer} 的常用范围（{low}–{high}）之内",
)
IN_RANGE_ANY = T(
    "the initial learning rate {rate} is within the range common optimizers use ({low}–{high})",
    "初始学习率 {rate} 在常见优化器的常用范围（{low}–{high}）之内",
)
DECAYED = T(
    "the learning rate was brought down to {rate} by {axis} {at}, {factor}× below the usual range",
    "学习率在第 {at} {axis_zh}被降到 {rate}，比常用范围低 {factor} 倍",
)


class LearningRateTooLow(CauseRule):
    id = "learning_rate_too_low"
    title = T("Learning rate too low", "学习率过低")
    explanation = T(
        "With a learning rate far below what the optimizer is designed for, every update is tiny: "
        "the loss falls, but so slowly that the run ends long before it converges, or it looks "
        "flat from the start. Nothing is broken in the model, it just needs many more steps. "
        "Raising the rate about ten times (toward the optimizer's default) is the quickest test.",
        "学习率远低于优化器的设计范围时，每次更新都非常小：损失在下降，但慢到训练结束时还远未收敛，"
        "或者从一开始看起来就是平的。模型本身没有问题，只是需要多得多的步数。"
        "把学习率提高约十倍（接近优化器的默认值）是最快的验证方法。",
    )
    when_not = T(
        "Silent when the initial learning rate is within the optimizer's usual range "
        "(Adam-family 1e-4–3e-3, SGD 1e-4–0.3), or when no rate is known and the loss neither "
        "creeps nor stays flat.",
        "当初始学习率在优化器的常用范围内（Adam 系列 1e-4–3e-3，SGD 1e-4–0.3），"
        "或学习率未知且损失既没有缓慢下降也没有停滞时不报告。",
    )
    explains = (SymptomWeight("slow_convergence", 0.4), SymptomWeight("plateau_no_learning", 0.3))
    settle = OPTIMIZER_SETTLE

    def decidable(self, ctx: Context) -> bool:
        return rate_known(ctx)

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from probed.measured(ctx, probed.tiny_updates)  # the probe's, if it ran
        reading = rate_reading(ctx)
        if reading is None:
            return
        low, high = reading.usual_range
        if reading.rate < low * FLOAT32_SLACK:
            factor = low / reading.rate
            yield evidence("setting", "rate_below_range", BELOW if reading.known_optimizer else BELOW_ANY,
                           out_of_range_weight(factor, reading.known_optimizer), where=reading.where,
                           source=reading.source, factor=times(factor), **reading.params())
            return
        if reading.rate <= high:
            yield evidence("setting", "rate_in_range", IN_RANGE if reading.known_optimizer else IN_RANGE_ANY,
                           IN_RANGE_WEIGHT if reading.known_optimizer else IN_RANGE_UNKNOWN_OPTIMIZER_WEIGHT,
                           where=reading.where, source=reading.source, **reading.params())
        decayed = self._decayed_far_below(ctx, low)
        if decayed is not None:
            yield decayed

    def _decayed_far_below(self, ctx: Context, low: float) -> Evidence | None:
        """The rate started in range but the log shows it cut far below the range later."""
        series = ctx.series("learning_rate")
        if series is None:
            return None
        below = np.flatnonzero(np.isfinite(series.y) & (series.y > 0) & (series.y < low / DECAYED_FACTOR))
        if below.size == 0:
            return None
        i = int(below[0])
        rate = float(series.y[i])
        return evidence("setting", "rate_decayed_below_range", DECAYED, DECAYED_WEIGHT,
                        where={"setting": "learning_rate", "metric": series.name, series.axis: int(series.x[i])},
                        source=series.source_of(i), rate=rate, at=int(series.x[i]), axis=series.axis,
                        axis_zh="轮" if series.axis == "epoch" else "步", factor=times(low / rate))

    def fixes(self, ctx: Context) -> list[Fix]:
        reading = rate_reading(ctx)
        if reading is None:
            return [Fix("set_learning_rate", T("Raise the learning rate about ten times", "把学习率提高约十倍"),
                        "review", {"factor": 10.0},
                        "optimizer = keras.optimizers.Adam(learning_rate=current_rate * 10)\n"
                        "model.compile(optimizer=optimizer, ...)")]
        low, _high = reading.usual_range
        name = reading.optimizer
        new = reading.rate * 10.0
        if new < low:
            new = DEFAULT_RATES.get(name or "", low)
        new = sig(new)
        return [Fix("set_learning_rate",
                    T("Raise the learning rate from {old} to {learning_rate}", "把学习率从 {old} 提高到 {learning_rate}"),
                    "safe", {"learning_rate": new, "old": reading.rate},
                    optimizer_code(name, learning_rate=new))]
