"""``healthy``: none of the failure symptoms; the run trained as expected.

The engine runs this detector last, with the other symptoms already found: it speaks only
when they are silent and the loss did go down (or accuracy up).
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, percent
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, relative_drop

MIN_DROP = 0.1

DETAIL = T(
    "{metric} falls {drop_pct}% over {axis}s {start}–{end} with no sign of trouble{early_stop}",
    "{metric} 在第 {start}–{end} {axis_zh}下降了 {drop_pct}%，没有异常迹象{early_stop}",
)


class Healthy(SymptomDetector):
    id = "healthy"
    title = T("Healthy run", "训练正常")
    description = T(
        "None of the failure symptoms: the run trained as expected (mild, normal overfitting "
        "late in a run is still healthy).",
        "没有任何异常症状：训练按预期进行（训练后期轻微、正常的过拟合仍算正常）。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        if run is None or any(s.id != self.id for s in ctx.symptoms):
            return
        series = ctx.series("loss") or next((ctx.series(n) for n in ctx.loss_names()), None)
        if series is None or len(series) < 2 or not np.isfinite(series.y).all():
            return
        c = curve(series)
        drop = relative_drop(c.y)
        if not math.isfinite(drop) or drop < MIN_DROP:
            return
        k = max(1, min(3, len(c) // 5))
        if float(np.median(c.y[-k:])) > float(np.median(c.y[:k])):
            return  # a loss that ends above where it started did not train as expected
        early_stop = any(e.kind == "early_stopping" for e in run.events)
        yield Symptom(
            id=self.id, run=run.name, metric=series.name, start=c.label(0), end=c.label(len(c) - 1),
            strength=1.0, detail=DETAIL,
            params={"metric": series.name, "drop_pct": percent(drop), "axis": c.axis,
                    "axis_zh": "轮" if c.axis == "epoch" else "步",
                    "start": c.label(0), "end": c.label(len(c) - 1),
                    "early_stop": "; early stopping ended it" if early_stop else ""},
            axis=c.axis,  # type: ignore[arg-type]
        )
