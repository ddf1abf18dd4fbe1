"""``loss_collapse_zero``: loss falls to ~0 implausibly fast, or training is perfect while
validation is random."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, percent
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, training_loss_curve
from app.rules.symptoms.stuck_chance_accuracy import chance_stretch

ZERO_LOSS = 1e-3  # what Keras prints as 0.0000 / 0.0010
FAST_SHARE = 0.1  # "fast": within the first 10% of the run ...
FAST_MIN = 3  # ... or the first 3 epochs
PERFECT = 0.995

DETAIL_FAST = T(
    "{metric} falls to {value} by {axis} {start}, within the first {share}% of the run",
    "{metric} 在第 {start} {axis_zh}就降到 {value}，仅用了训练过程的前 {share}%",
)
DETAIL_PERFECT = T(
    "training {metric} reaches {train_value} while {val} stays at chance ({val_value})",
    "训练 {metric} 达到 {train_value}，而 {val} 停在随机水平（{val_value}）",
)


# Corpus (bench/README.md): a crossentropy that ends below LOW_LOSS while training accuracy
# stays below POOR_ACCURACY measures something else than the task (3 labeled runs: targets fed
# to the wrong loss, a loss of 0.0012 with 4 % accuracy); a printed loss of exactly 0 for two
# points or more is degenerate (2 labeled runs). No healthy run shows either.
LOW_LOSS = 0.05
POOR_ACCURACY = 0.5
EXACT_ZERO_POINTS = 2

DETAIL_CONTRADICTION = T(
    "the training loss reaches {loss} while {metric} stays at or below {accuracy}: a loss this low "
    "with predictions this poor does not measure the task",
    "训练损失降到 {loss}，而 {metric} 一直不超过 {accuracy}：预测这么差、损失却这么低，说明损失衡量的不是这个任务",
)


def _exact_zero_from(y: np.ndarray) -> int | None:
    """The first index from which the loss is exactly 0 for EXACT_ZERO_POINTS points or more."""
    zero = np.flatnonzero(y == 0.0)
    for i in zero:
        if i + EXACT_ZERO_POINTS <= y.size and np.all(y[i:i + EXACT_ZERO_POINTS] == 0.0):
            return int(i)
    return None


def _low_loss_poor_accuracy(ctx: Context, c) -> tuple[str, float, float] | None:
    if len(c) < 2:
        return None
    end = float(np.median(c.y[-max(1, len(c) // 3):]))
    if not 0 <= end <= LOW_LOSS:
        return None
    names = [n for n in ctx.accuracy_names() if not n.startswith("val_")] or ctx.accuracy_names()
    for name in names:  # the training accuracy; the validation one when no other is printed
        series = ctx.series(name)
        y = series.y[np.isfinite(series.y)] if series is not None else np.array([])
        if y.size >= 2 and float(np.max(y)) <= POOR_ACCURACY:
            return name, end, float(np.max(y))
    return None


class LossCollapseZero(SymptomDetector):
    id = "loss_collapse_zero"
    title = T("Loss collapses to zero", "损失骤降为零")
    description = T(
        "Loss drops to ~0.0000 implausibly fast, or training is perfect while validation is random.",
        "损失以不合理的速度降到约 0.0000，或训练完美而验证结果随机。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        c = training_loss_curve(run)
        if run is None or c is None:
            return
        series = run.epochs.get("loss") if c.axis == "epoch" else run.steps.get("loss")
        n = len(curve(series))
        if len(c) >= 2:
            hits = np.flatnonzero(np.abs(c.y) <= ZERO_LOSS)
            limit = max(FAST_MIN, int(np.ceil(FAST_SHARE * n)))
            fast = hits.size and hits[0] < limit and hits[0] >= 1 and np.all(np.abs(c.y[hits[0]:]) <= 10 * ZERO_LOSS)
            exact = None if fast else _exact_zero_from(c.y)
            if exact is not None:
                hits = np.array([exact])  # a loss of exactly 0 is degenerate whenever it comes
            if fast or exact is not None:
                i = int(hits[0])
                yield Symptom(
                    id=self.id, run=run.name, metric="loss", start=c.label(i), end=c.label(len(c) - 1),
                    strength=0.9, detail=DETAIL_FAST,
                    params={"metric": "loss", "value": float(c.y[i]), "axis": c.axis,
                            "axis_zh": "轮" if c.axis == "epoch" else "步", "start": c.label(i),
                            "share": percent((i + 1) / n)},
                    axis=c.axis,  # type: ignore[arg-type]
                )
                return
        contradiction = _low_loss_poor_accuracy(ctx, c)
        if contradiction is not None:
            name, loss_value, accuracy = contradiction
            yield Symptom(
                id=self.id, run=run.name, metric="loss", start=c.label(0), end=c.label(len(c) - 1),
                strength=0.7, detail=DETAIL_CONTRADICTION,
                params={"metric": name, "loss": round(loss_value, 4), "accuracy": round(accuracy, 4)},
                axis=c.axis,  # type: ignore[arg-type]
            )
            return
        for name in [n for n in ctx.accuracy_names() if not n.startswith("val_")]:
            train = ctx.series(name)
            stretch = chance_stretch(ctx, "val_" + name)
            if train is None or stretch is None or stretch.coverage < 0.5:
                continue
            last = float(train.y[np.isfinite(train.y)][-1]) if np.isfinite(train.y).any() else 0.0
            if last >= PERFECT:
                yield Symptom(
                    id=self.id, run=run.name, metric=name, start=stretch.curve.label(stretch.start),
                    end=stretch.curve.label(len(stretch.curve) - 1), strength=0.8, detail=DETAIL_PERFECT,
                    params={"metric": name, "train_value": round(last, 4), "val": "val_" + name,
                            "val_value": round(float(np.median(stretch.values())), 4)},
                )
                return
