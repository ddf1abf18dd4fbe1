"""``learning_rate_too_high``: the learning rate sits well above the optimizer's usual range
(seed 003 §3: "too large a rate makes the loss jump about and never converge").

Also holds the learning-rate reading the other optimization rules share
(:func:`rate_reading`, :data:`USUAL_RANGES`): the initial rate from the log's
``learning_rate`` series when there is one, else from the optimizer's config.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import OptimizerSpec
from app.core.run import Source
from app.rules.base import CauseRule, Context, SymptomWeight, evidence

# Usual learning rates per optimizer, (low, high). Adam-family: Keras' default 1e-3, and
# practice (Karpathy's "3e-4", the Adam paper's 1e-3) spans ~1e-4..3e-3 for training from
# scratch. Fine-tuning a pretrained model at 1e-5..5e-5 reads as "below the range": that is
# weak evidence alone, and a healthy log (the absence piece) keeps it unreported.
# SGD: default 0.01; 0.1 with momentum is the ResNet recipe, 1e-4 is fine-tuning: ~1e-4..0.3.
# Adagrad: Keras default 1e-3, paper and common use 0.01..0.1. Adadelta: the paper's rule has
# no rate (1.0 in Keras 2); Keras 3's default 1e-3 trains very slowly, so 0.01..10.
# Lion: 3-10x smaller than AdamW (Chen et al. 2023). Ftrl: default 1e-3, 1e-4..1.
ADAM_FAMILY = ("Adam", "AdamW", "Adamax", "Nadam", "RMSprop")
USUAL_RANGES: dict[str, tuple[float, float]] = {
    **{name: (1e-4, 3e-3) for name in ADAM_FAMILY},
    "SGD": (1e-4, 0.3),
    "Adagrad": (1e-4, 0.3),
    "Adadelta": (1e-2, 10.0),
    "Ftrl": (1e-4, 1.0),
    "Lion": (1e-6, 3e-4),
}
# When the optimizer is not known: the union of the Adam-family and SGD ranges.
ANY_OPTIMIZER_RANGE: tuple[float, float] = (1e-5, 0.3)
# Keras' default rates (keras.optimizers, Keras 3), used when x0.1 / x10 stays out of range.
DEFAULT_RATES: dict[str, float] = {
    **{name: 1e-3 for name in ADAM_FAMILY},
    "SGD": 0.01, "Adagrad": 0.01, "Adadelta": 1.0, "Ftrl": 1e-3, "Lion": 1e-4,
}
# Evidence weight for a rate just outside the range, growing 0.35 per factor of ten beyond it:
# alone it reaches the reporting threshold (0.4) about 4x beyond the edge; 10x gives 0.55,
# 100x the maximum. Just outside the range it needs the curves to agree.
# Rates are saved as float32: 1e-5 reads back as 9.99999974e-06. A rate within this factor
# of a range edge is on the edge, not beyond it.
FLOAT32_SLACK = 1 - 1e-6
OUT_OF_RANGE_BASE = 0.2
OUT_OF_RANGE_PER_DECADE = 0.35
OUT_OF_RANGE_MAX = 0.85
# The range is a guess when the optimizer is not known: plain SGD with gradient clipping runs
# healthy at rates far above it (corpus: the PyTorch word-language-model example trains well
# at lr=20, gh-pypi-data-pypi-mirror-359-nlpia2-lstm-notes). So without the optimizer a high
# rate alone stays "possible" once a healthy-looking log weakens it (0.55 x 0.9 x 0.65 < 0.4).
UNKNOWN_OPTIMIZER_FACTOR = 0.55
IN_RANGE_WEIGHT = -0.6
IN_RANGE_UNKNOWN_OPTIMIZER_WEIGHT = -0.4
# A rate cut after which the loss falls this much (median of up to 5 epochs after the cut
# against the 5 before) shows the old rate held the loss back.
CUT_FACTOR = 0.9  # a new rate below 90% of the old one is a cut
RECOVERY_DROP = 0.1
RECOVERY_WINDOW = 5
RECOVERED_WEIGHT = 0.3

OPTIMIZER_SETTLE = T(
    "The optimizer and its learning rate (a model file saved with its compile settings, a log "
    "with a learning_rate column, or the training code) would settle it.",
    "提供优化器及其学习率（带编译设置保存的模型文件、带 learning_rate 列的日志，或训练代码）即可确认。",
)


@dataclass(frozen=True)
class RateReading:
    """The initial learning rate of a run and where it was read."""

    rate: float
    optimizer: str | None  # class name, None when the optimizer is not known
    where: dict[str, Any] = field(default_factory=dict)
    source: Source | None = None
    schedule: str | None = None  # the schedule's class when the rate decays by schedule

    @property
    def usual_range(self) -> tuple[float, float]:
        return usual_range(self.optimizer)

    @property
    def known_optimizer(self) -> bool:
        return self.optimizer in USUAL_RANGES

    def params(self) -> dict[str, Any]:
        low, high = self.usual_range
        return {"rate": self.rate, "optimizer": self.optimizer or "?", "low": low, "high": high}


def usual_range(optimizer: str | None) -> tuple[float, float]:
    return USUAL_RANGES.get(optimizer or "", ANY_OPTIMIZER_RANGE)


def optimizer_of(ctx: Context) -> OptimizerSpec | None:
    return ctx.model.optimizer if ctx.model is not None else None


def rate_reading(ctx: Context) -> RateReading | None:
    """The initial rate: the log's first ``learning_rate`` value, else the optimizer's.

    The log wins because a model saved after training keeps the *current* rate, which
    ReduceLROnPlateau may have cut; a schedule's initial rate counts as the rate.
    """
    optimizer = optimizer_of(ctx)
    name = optimizer.name if optimizer is not None else None
    series = ctx.series("learning_rate")
    if series is not None:
        with np.errstate(invalid="ignore"):
            good = np.flatnonzero(np.isfinite(series.y) & (series.y > 0))
        if good.size:
            i = int(good[0])
            return RateReading(float(series.y[i]), name,
                               {"setting": "learning_rate", "metric": series.name, series.axis: int(series.x[i])},
                               series.source_of(i))
    rate = optimizer.learning_rate if optimizer is not None else None
    if optimizer is not None and rate is not None and math.isfinite(rate) and rate > 0:
        schedule = optimizer.schedule.get("class") if optimizer.schedule else None
        return RateReading(rate, name, {"setting": "optimizer.learning_rate"}, schedule=schedule)
    return None


def rate_known(ctx: Context) -> bool:
    """Whether the rate rules can decide: some rate was read."""
    return rate_reading(ctx) is not None


def out_of_range_weight(factor: float, known_optimizer: bool) -> float:
    """Evidence weight of a rate ``factor`` (> 1) times beyond the usual range's edge."""
    weight = OUT_OF_RANGE_BASE + OUT_OF_RANGE_PER_DECADE * math.log10(max(factor, 1.0))
    weight = min(OUT_OF_RANGE_MAX, weight)
    return weight * (1.0 if known_optimizer else UNKNOWN_OPTIMIZER_FACTOR)


def times(factor: float) -> float | int:
    """A factor as people write it: 3.3, 33, 100 (one decimal only below 10)."""
    return round(factor, 1) if factor < 10 else int(round(min(factor, 1e15)))


def sig(value: float) -> float:
    """Three significant digits: 0.000123456 -> 0.000123."""
    return float(f"{value:.3g}")


def optimizer_code(name: str | None, *, note: str = "", **settings: Any) -> str:
    """``keras.optimizers.Adam(learning_rate=0.0001)``: the optimizer as code, with an
    optional ``note`` as a comment on its line."""
    args = ", ".join(f"{key}={value!r}" for key, value in settings.items())
    comment = f"  # {note}" if note else ""
    return f"optimizer = keras.optimizers.{name or 'Adam'}({args}){comment}\nmodel.compile(optimizer=optimizer, ...)"


@dataclass(frozen=True)
class RateCut:
    epoch: int
    old: float | None
    new: float | None
    source: Source | None


_CUT_TEXT = re.compile(r"learning rate to\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)")


def rate_cuts(ctx: Context) -> list[RateCut]:
    """Where the rate was cut: from the learning_rate series, else from lr_change events."""
    series = ctx.run.series("learning_rate", "epoch") if ctx.run is not None else None
    cuts: list[RateCut] = []
    if series is not None and len(series) >= 2:
        y = series.y
        with np.errstate(all="ignore"):
            cut = np.isfinite(y[1:]) & np.isfinite(y[:-1]) & (y[1:] > 0) & (y[1:] < CUT_FACTOR * y[:-1])
        for i in np.flatnonzero(cut) + 1:
            cuts.append(RateCut(int(series.x[i]), float(y[i - 1]), float(y[i]), series.source_of(int(i))))
        return cuts
    for event in ctx.run.events if ctx.run is not None else []:
        if event.kind != "lr_change" or event.epoch is None:
            continue
        new = next((event.params[k] for k in ("learning_rate", "new_learning_rate", "new", "lr")
                    if isinstance(event.params.get(k), (int, float))), None)
        if new is None:
            match = _CUT_TEXT.search(event.text)
            new = float(match.group(1)) if match else None
        # ReduceLROnPlateau prints the epoch at whose end it cut: the new rate applies after it.
        cuts.append(RateCut(event.epoch + 1, None, float(new) if new is not None else None, event.source))
    return cuts


def loss_recovered_after(ctx: Context, epoch: int) -> tuple[float, float] | None:
    """(before, after) loss medians when the loss fell by RECOVERY_DROP after ``epoch``."""
    loss = ctx.run.series("loss", "epoch") if ctx.run is not None else None
    if loss is None:
        return None
    before = loss.y[(loss.x < epoch) & (loss.x >= epoch - RECOVERY_WINDOW)]
    after = loss.y[(loss.x >= epoch) & (loss.x < epoch + RECOVERY_WINDOW)]
    before, after = before[np.isfinite(before)], after[np.isfinite(after)]
    if before.size < 2 or after.size < 2:
        return None
    b, a = float(np.median(before)), float(np.median(after))
    if b > 0 and a < (1.0 - RECOVERY_DROP) * b:
        return b, a
    return None


ABOVE = T(
    "the initial learning rate {rate} is {factor}× the top of {optimizer}'s usual range ({low}–{high})",
    "初始学习率 {rate} 是 {optimizer} 常用范围（{low}–{high}）上限的 {factor} 倍",
)
ABOVE_ANY = T(
    "the initial learning rate {rate} is {factor}× the top of the range common optimizers use "
    "({low}–{high}); the optimizer itself is not known",
    "初始学习率 {rate} 是常见优化器常用范围（{low}–{high}）上限的 {factor} 倍；具体优化器未知",
)
IN_RANGE = T(
    "the initial learning rate {rate} is within {optimizer}'s usual range ({low}–{high})",
    "初始学习率 {rate} 在 {optimizer} 的常用范围（{low}–{high}）之内",
)
IN_RANGE_ANY = T(
    "the initial learning rate {rate} is within the range common optimizers use ({low}–{high})",
    "初始学习率 {rate} 在常见优化器的常用范围（{low}–{high}）之内",
)
CUT_RECOVERED = T(
    "after the learning rate was cut at epoch {epoch}, the loss fell from {before} to {after}: "
    "the higher rate held it back",
    "学习率在第 {epoch} 轮被降低后，损失从 {before} 降到 {after}：之前较高的学习率阻碍了收敛",
)


class LearningRateTooHigh(CauseRule):
    id = "learning_rate_too_high"
    title = T("Learning rate too high", "学习率过高")
    explanation = T(
        "Each update moves the weights by the learning rate times the gradient. When the rate is "
        "far above what the optimizer is designed for, the updates overshoot the minimum: the loss "
        "jumps up and down instead of falling, can suddenly spike after a good stretch, and in the "
        "worst case grows until it becomes inf/NaN. Lowering the rate about ten times (or using a "
        "schedule that starts high and decays) usually makes the loss fall smoothly again.",
        "每次更新时权重移动的幅度是学习率乘以梯度。学习率远高于优化器的设计范围时，更新会越过极小值："
        "损失上下跳动而不下降，可能在一段良好训练后突然飙升，最坏情况下不断增大直到变成 inf/NaN。"
        "把学习率降低约十倍（或使用先高后衰减的学习率调度）通常能让损失重新平稳下降。",
    )
    when_not = T(
        "Silent when the initial learning rate is within the optimizer's usual range "
        "(Adam-family 1e-4–3e-3, SGD 1e-4–0.3) or when no rate is known and the curves show no "
        "oscillation, NaN or spike.",
        "当初始学习率在优化器的常用范围内（Adam 系列 1e-4–3e-3，SGD 1e-4–0.3），"
        "或学习率未知且曲线没有震荡、NaN 或突增时不报告。",
    )
    # A rate far too high can also wreck the weights in the first epochs: accuracy then sits
    # at chance for the rest of the run (weaker: many causes do that).
    explains = (SymptomWeight("oscillation", 0.4), SymptomWeight("nan_loss", 0.3),
                SymptomWeight("loss_spike", 0.3), SymptomWeight("stuck_chance_accuracy", 0.3),
                SymptomWeight("loss_diverges", 0.5))
    settle = OPTIMIZER_SETTLE

    def decidable(self, ctx: Context) -> bool:
        return rate_known(ctx)

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        reading = rate_reading(ctx)
        if reading is not None:
            low, high = reading.usual_range
            if reading.rate > high / FLOAT32_SLACK:
                factor = reading.rate / high
                yield evidence("setting", "rate_above_range", ABOVE if reading.known_optimizer else ABOVE_ANY,
                               out_of_range_weight(factor, reading.known_optimizer), where=reading.where,
                               source=reading.source, factor=times(factor), **reading.params())
            elif reading.rate >= low:
                yield evidence("setting", "rate_in_range", IN_RANGE if reading.known_optimizer else IN_RANGE_ANY,
                               IN_RANGE_WEIGHT if reading.known_optimizer else IN_RANGE_UNKNOWN_OPTIMIZER_WEIGHT,
                               where=reading.where, source=reading.source, **reading.params())
        for cut in rate_cuts(ctx):
            recovered = loss_recovered_after(ctx, cut.epoch)
            if recovered is not None:
                yield evidence("setting", "rate_cut_loss_recovered", CUT_RECOVERED, RECOVERED_WEIGHT,
                               where={"setting": "learning_rate", "epoch": cut.epoch}, source=cut.source,
                               epoch=cut.epoch, before=recovered[0], after=recovered[1])
                break

    def fixes(self, ctx: Context) -> list[Fix]:
        reading = rate_reading(ctx)
        name = reading.optimizer if reading else None
        if reading is None:
            return [Fix("set_learning_rate", T("Lower the learning rate about ten times", "把学习率降低约十倍"),
                        "review", {"factor": 0.1},
                        "optimizer = keras.optimizers.Adam(learning_rate=current_rate * 0.1)\n"
                        "model.compile(optimizer=optimizer, ...)")]
        low, high = reading.usual_range
        new = reading.rate * 0.1
        if new > high:
            new = DEFAULT_RATES.get(name or "", high)
        new = sig(new)
        return [Fix("set_learning_rate",
                    T("Lower the learning rate from {old} to {learning_rate}", "把学习率从 {old} 降到 {learning_rate}"),
                    "safe", {"learning_rate": new, "old": reading.rate},
                    optimizer_code(name, learning_rate=new))]
