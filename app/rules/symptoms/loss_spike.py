"""``loss_spike``: after a long decrease, the loss jumps to several times its running level
and stays higher (seed 001: Adam after ~1500 epochs)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, rolling_median

# Calibrated on the real-world corpus (bench/corpus_calibrate.py, bench/README.md): its 6
# labeled spikes are short runs (5-13 points) where the loss jumps to 1.7-9x the level just
# before and stays there (median of everything after >= 1.5x that level); healthy per-batch
# curves jump as high (gh-lyuwenyu-pdll-mnistresult: 6x for one batch) but fall back at once.
MIN_POINTS = 5
MIN_RATIO = 1.7  # the jump: y[i] against the median of the points just before
MIN_STAY = 1.5  # and the median of everything after stays this far above that level
MIN_LEAD = 0.15  # the spike comes after at least 15% of the run (and 2 points)
# Per-batch (step) curves are smoothed first: the healthy ones jump 6x for single batches.
SMOOTH_STEPS_FROM = 10
SMOOTH_WINDOW = 5
BEFORE_POINTS = 3
HOLD_POINTS = 3  # "stays higher": the next points (a tenth of the run on long runs) all stay up
ROSE_BEFORE = 1.2  # a loss already 20 % above its first value before the jump was rising  # the level before the jump: the median of this many points (more on long runs)

DETAIL = T(
    "{metric} had fallen from {first} to {level} by {axis} {before}, then jumps to {peak} "
    "({ratio}× its running level) at {axis} {start} and stays around {after}",
    "{metric} 从 {first} 降到 {level}（第 {before} {axis_zh}），随后在第 {start} {axis_zh}跳升至 "
    "{peak}（运行水平的 {ratio} 倍），之后维持在 {after} 左右",
)


class LossSpike(SymptomDetector):
    id = "loss_spike"
    title = T("Loss spikes after a long decrease", "长时间下降后损失突然跳升")
    description = T(
        "After a long stretch of decrease, loss jumps up abruptly (several times its running "
        "level) and then plateaus or stays higher.",
        "损失在长时间下降之后突然大幅跳升（达到运行水平的数倍），之后停滞或保持在较高水平。",
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
        y = c.y
        if c.axis == "step" and n >= SMOOTH_STEPS_FROM:
            y = rolling_median(y, SMOOTH_WINDOW)  # one bad batch is not a spike
        window = max(BEFORE_POINTS, n // 50)
        first = float(np.median(y[:min(3, n)]))
        lead = max(2, int(MIN_LEAD * n))
        hold = max(HOLD_POINTS, n // 10)
        for i in range(lead, n - 1):  # a jump needs a point after it to show it stays
            level = float(np.median(y[max(0, i - window):i]))
            if level <= 0 or y[i] < MIN_RATIO * level:
                continue
            after = float(np.median(y[i:])) if i + 1 < n else float(y[i])
            held = float(np.min(y[i:i + hold]))
            if after < MIN_STAY * level or held < MIN_STAY * level:
                continue  # it falls back: a bad batch or an oscillation, not a spike
            if int(np.argmin(y[:i])) == 0 and float(np.max(y[1:i])) > ROSE_BEFORE * y[0]:
                continue  # the loss rose from its first point: it never fell, nothing spiked after a fall
            before = max(0, i - window) + int(np.argmin(y[max(0, i - window):i]))
            peak = float(np.max(y[i:i + max(3, n // 50)]))
            yield Symptom(
                id=self.id, run=run.name, metric="loss", start=c.label(i), end=c.label(n - 1),
                strength=min(1.0, 0.5 + np.log10(peak / level) / 2),
                detail=DETAIL,
                params={"metric": "loss", "first": round(first, 4), "level": round(level, 4),
                        "before": c.label(before), "peak": peak, "ratio": round(peak / level, 1),
                        "after": round(after, 4), "start": c.label(i), "axis": c.axis,
                        "axis_zh": "轮" if c.axis == "epoch" else "步"},
                axis=c.axis,  # type: ignore[arg-type]
                source=series.source_of(i) if not c.reduced else None,
            )
            return
