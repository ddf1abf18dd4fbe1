"""``loss_spike``: after a long decrease, the loss jumps to several times its running level
and stays higher (seed 001: Adam after ~1500 epochs)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, rolling_median

MIN_POINTS = 12
MIN_RATIO = 3.0  # the jump: several times the running level
MIN_PRIOR_DROP = 0.5  # "a long stretch of decrease": the loss had at least halved before
MIN_GIVE_BACK = 0.1  # and the jump gives back at least 10% of what was gained
FIRST_POINTS = 3  # the start level is the median of the first points
MIN_LEAD = 0.15  # the spike comes after at least 15% of the run (and MIN_POINTS // 2 points)

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
        window = max(3, (n // 50) | 1)
        smooth = rolling_median(y, window)
        running_min = np.minimum.accumulate(smooth)
        first = float(np.median(y[:FIRST_POINTS]))
        hold = max(3, n // 50)
        lead = max(MIN_POINTS // 2, int(MIN_LEAD * n))
        for i in range(lead, n):
            level = float(running_min[i - 1])
            if level <= 0 or y[i] < MIN_RATIO * level:
                continue
            if first <= 0 or (first - level) / first < MIN_PRIOR_DROP:
                continue
            before = int(np.argmin(smooth[:i]))
            if before < FIRST_POINTS:
                continue  # the lowest level is the start: the loss rose, it never fell
            after = float(np.median(y[i:i + hold])) if i + 1 < n else float(y[i])
            if after < 2 * level or (after - level) < MIN_GIVE_BACK * (first - level):
                continue
            peak = float(np.max(y[i:i + hold]))
            yield Symptom(
                id=self.id, run=run.name, metric="loss", start=c.label(i), end=c.label(n - 1),
                strength=min(1.0, 0.5 + np.log10(peak / level) / 2),
                detail=DETAIL,
                params={"metric": "loss", "first": round(first, 4), "level": level,
                        "before": c.label(before), "peak": peak, "ratio": round(peak / level, 1),
                        "after": after, "start": c.label(i), "axis": c.axis,
                        "axis_zh": "轮" if c.axis == "epoch" else "步"},
                axis=c.axis,  # type: ignore[arg-type]
                source=series.source_of(i) if not c.reduced else None,
            )
            return
