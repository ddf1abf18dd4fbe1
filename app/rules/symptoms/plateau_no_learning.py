"""``plateau_no_learning``: loss and accuracy (nearly) unchanged from early on."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, value_range
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, relative_drop

MIN_POINTS = 3
MAX_DROP = 0.05  # the loss never gets more than 5% below where it started
MAX_ACCURACY_GAIN = 0.03
ZERO = 1e-3  # a loss stuck at 0 is a collapse, not a plateau

DETAIL = T(
    "{metric} stays within {values} over {axis}s {start}–{end} (best {drop_pct}% below its start)",
    "{metric} 在第 {start}–{end} {axis_zh}保持在 {values}（最好时仅比开始低 {drop_pct}%）",
)


class PlateauNoLearning(SymptomDetector):
    id = "plateau_no_learning"
    title = T("No learning: loss flat from the start", "没有学习：损失从一开始就不变")
    description = T(
        "Loss and accuracy (nearly) unchanged from early on.",
        "损失和准确率从一开始就几乎不变。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        series = ctx.series("loss")
        if run is None or series is None:
            return
        c = curve(series).until_nonfinite()
        if len(c) < MIN_POINTS or float(np.median(np.abs(c.y))) <= ZERO:
            return
        drop = relative_drop(c.y)
        if drop > MAX_DROP:
            return
        for name in ctx.accuracy_names():
            acc = ctx.series(name)
            if acc is None or name.startswith("val_"):
                continue
            a = curve(acc).until_nonfinite()
            if len(a) >= 2 and float(np.max(a.y) - np.median(a.y[:2])) > MAX_ACCURACY_GAIN:
                return
        yield Symptom(
            id=self.id, run=run.name, metric="loss", start=c.label(0), end=c.label(len(c) - 1),
            strength=min(1.0, 0.5 + 0.5 * (1 - max(drop, 0) / MAX_DROP)),
            detail=DETAIL,
            params={"metric": "loss", "low": float(np.min(c.y)), "high": float(np.max(c.y)),
                    "values": value_range(float(np.min(c.y)), float(np.max(c.y))),
                    "drop_pct": round(100 * max(drop, 0.0), 1), "axis": c.axis,
                    "axis_zh": "轮" if c.axis == "epoch" else "步",
                    "start": c.label(0), "end": c.label(len(c) - 1)},
            axis=c.axis,  # type: ignore[arg-type]
        )
