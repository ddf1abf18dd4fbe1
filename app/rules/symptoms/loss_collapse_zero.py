"""``loss_collapse_zero``: loss falls to ~0 implausibly fast, or training is perfect while
validation is random."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve
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


class LossCollapseZero(SymptomDetector):
    id = "loss_collapse_zero"
    title = T("Loss collapses to zero", "损失骤降为零")
    description = T(
        "Loss drops to ~0.0000 implausibly fast, or training is perfect while validation is random.",
        "损失以不合理的速度降到约 0.0000，或训练完美而验证结果随机。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        series = ctx.series("loss")
        if run is None or series is None:
            return
        c = curve(series).until_nonfinite()
        n = len(curve(series))
        if len(c) >= 2:
            hits = np.flatnonzero(np.abs(c.y) <= ZERO_LOSS)
            limit = max(FAST_MIN, int(np.ceil(FAST_SHARE * n)))
            if hits.size and hits[0] < limit and hits[0] >= 1 and np.all(np.abs(c.y[hits[0]:]) <= 10 * ZERO_LOSS):
                i = int(hits[0])
                yield Symptom(
                    id=self.id, run=run.name, metric="loss", start=c.label(i), end=c.label(len(c) - 1),
                    strength=0.9, detail=DETAIL_FAST,
                    params={"metric": "loss", "value": float(c.y[i]), "axis": c.axis,
                            "axis_zh": "轮" if c.axis == "epoch" else "步", "start": c.label(i),
                            "share": int(round(100 * (i + 1) / n))},
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
