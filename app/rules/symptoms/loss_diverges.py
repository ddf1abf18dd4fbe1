"""``loss_diverges``: the training loss rises from the start, epoch after epoch (or step after
step), to several times its lowest level: gradient descent that overshoots more every step.

Added to the taxonomy by this project: two public runs of the corpus do exactly this
(page-fixeme-com-why-is-my-loss-function-increasing-with-each-epoch: MSE x3.5 per epoch for 13
epochs; page-stats-stackexchange-com-594738: x140 per step for 10 steps, before any NaN) and
were labeled with no symptom for want of an id; without one TrainDoc called them healthy.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, rolling_median

MIN_POINTS = 4
# Calibrated on the corpus (bench/corpus/cases): the two diverging runs rise in 100 % of their
# steps and end 4e6 and 2e19 times above their lowest point, which is their first; the other
# runs whose loss ends twice its minimum with that minimum in the first quarter (spikes:
# gh-keras-team-keras-7603, gh-lc222-char-cnn-text-classification-tensorflow-3,
# gh-wy1iu-sphereface-103) rise in 50 % of their steps at most.
MIN_RISE_FACTOR = 2.0  # the last point against the lowest one
LOW_WITHIN = 0.25  # the lowest point comes in the first quarter of the run
MIN_RISING_SHARE = 0.8  # share of consecutive points that go up
SMOOTH_STEPS_FROM = 10  # per-batch curves are smoothed first (5-point rolling median)

DETAIL = T(
    "{metric} rises in {rising_pct}% of the {axis}s from {axis} {start} on, from {low} to {last} "
    "({factor}× its lowest level): training diverges",
    "{metric} 从第 {start} {axis_zh}起在 {rising_pct}% 的{axis_zh}中上升，从 {low} 升到 {last}"
    "（最低水平的 {factor} 倍）：训练发散",
)


class LossDiverges(SymptomDetector):
    id = "loss_diverges"
    title = T("Loss diverges: it rises from the start", "损失发散：从一开始就持续上升")
    description = T(
        "The training loss rises from its first epochs or steps, nearly every time, to several "
        "times its lowest level (often geometrically, toward overflow or NaN).",
        "训练损失从最初的轮次或步骤起几乎每次都上升，达到最低水平的数倍（常呈几何增长，直至溢出或 NaN）。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        series = ctx.series("loss")
        if run is None or series is None:
            return
        c = curve(series).until_nonfinite()
        n = len(c)
        if n < MIN_POINTS:
            return
        y = rolling_median(c.y, 5) if c.axis == "step" and n >= SMOOTH_STEPS_FROM else c.y
        low = int(np.argmin(y))
        if low > LOW_WITHIN * (n - 1) or y[low] <= 0:
            return
        factor = float(y[-1] / y[low])
        rising = float(np.mean(np.diff(y[low:]) > 0)) if n - low >= 2 else 0.0
        if factor < MIN_RISE_FACTOR or rising < MIN_RISING_SHARE:
            return
        yield Symptom(
            id=self.id, run=run.name, metric="loss", start=c.label(low), end=c.label(n - 1),
            strength=min(1.0, 0.6 + 0.1 * np.log10(factor)),
            detail=DETAIL,
            params={"metric": "loss", "rising_pct": round(100 * rising), "low": f"{float(c.y[low]):.4g}",
                    "last": f"{float(c.y[-1]):.4g}", "factor": f"{factor:.3g}", "axis": c.axis,
                    "axis_zh": "轮" if c.axis == "epoch" else "步", "start": c.label(low)},
            axis=c.axis,  # type: ignore[arg-type]
        )
