"""``overfitting``: validation loss turns up while training loss keeps falling.

A mild late rise is normal, above all when early stopping ended the run there: that is
not reported (the taxonomy counts it as healthy).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, rolling_median

MIN_RISE = 0.1  # val loss at least 10% above its best level at the end of the run
MILD_RISE_WITH_EARLY_STOPPING = 0.3  # below this, early stopping made it a normal ending
MIN_POINTS_AFTER_BEST = 2

DETAIL = T(
    "val_loss is lowest at {axis} {best} ({best_value}) and rises {rise_pct}% to {last_value} by "
    "{axis} {end}, while loss keeps falling ({train_best} → {train_last})",
    "val_loss 在第 {best} {axis_zh}最低（{best_value}），到第 {end} {axis_zh}上升 {rise_pct}% 至 "
    "{last_value}，而 loss 仍在下降（{train_best} → {train_last}）",
)


class Overfitting(SymptomDetector):
    id = "overfitting"
    title = T("Overfitting", "过拟合")
    description = T(
        "Validation loss turns up while training loss keeps falling; the gap widens.",
        "验证损失回升而训练损失继续下降，两者差距扩大。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        val = ctx.series("val_loss")
        train = ctx.series("loss")
        if run is None or val is None or train is None:
            return
        v = curve(val).until_nonfinite()
        t = curve(train).until_nonfinite()
        if len(v) < 4 or len(t) < 4:
            return
        smooth = rolling_median(v.y, 3)
        best = int(np.argmin(smooth))
        if len(v) - 1 - best < MIN_POINTS_AFTER_BEST:
            return
        k = max(2, (len(v) - best) // 3)
        last = float(np.median(v.y[-k:]))
        level = float(smooth[best])
        if level <= 0:
            return
        rise = (last - level) / level
        if rise < MIN_RISE:
            return
        early_stop = any(e.kind == "early_stopping" for e in run.events)
        if early_stop and rise < MILD_RISE_WITH_EARLY_STOPPING:
            return
        best_x = v.label(best)
        t_at_best = t.y[t.x <= best_x]
        train_best = float(t_at_best[-1]) if t_at_best.size else float(t.y[0])
        train_last = float(np.median(t.y[-k:]))
        if train_last > train_best * 1.02:
            return  # training got worse too: not overfitting
        yield Symptom(
            id=self.id, run=run.name, metric="val_loss", start=best_x, end=v.label(len(v) - 1),
            strength=min(1.0, 0.3 + rise),
            detail=DETAIL,
            params={"axis": v.axis, "axis_zh": "轮" if v.axis == "epoch" else "步", "best": best_x,
                    "best_value": round(level, 4), "end": v.label(len(v) - 1),
                    "last_value": round(last, 4), "rise_pct": int(round(100 * rise)),
                    "train_best": round(train_best, 4), "train_last": round(train_last, 4)},
            axis=v.axis,  # type: ignore[arg-type]
        )
