"""``plateau_no_learning``: loss and accuracy (nearly) unchanged from early on."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, value_range
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, relative_drop
from app.rules.symptoms.stuck_chance_accuracy import chance_stretch

MIN_POINTS = 3
MAX_DROP = 0.05  # the loss never gets more than 5% below where it started
MAX_ACCURACY_GAIN = 0.03
ZERO = 1e-3  # a loss stuck at 0 is a collapse, not a plateau

DETAIL = T(
    "{metric} stays within {values} over {axis}s {start}–{end} (best {drop_pct}% below its start)",
    "{metric} 在第 {start}–{end} {axis_zh}保持在 {values}（最好时仅比开始低 {drop_pct}%）",
)


DETAIL_AFTER_FIRST = T(
    "{metric} stays within {values} over {axis}s {start}–{end}, after {first} in the first {axis} "
    "(best {drop_pct}% below where it settled)",
    "{metric} 第一{axis_zh}为 {first}，之后在第 {start}–{end} {axis_zh}保持在 {values}（最好时仅比稳定值低 {drop_pct}%）",
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
        begin, drop = 0, relative_drop(c.y)
        if drop > MAX_DROP or not self._accuracy_flat_from(ctx, c.label(0)):
            # The first epoch's mean can hold a collapse in its first steps (unscaled inputs:
            # 2.9e4, then 1.08 for good). Within 5 % of its second-epoch value from then on,
            # with accuracy flat and at chance, is no learning too; a run that converged in
            # one epoch has left chance behind.
            rest = c.y[1:]
            band = float(np.max(np.abs(rest - rest[0])) / abs(rest[0])) if len(rest) and rest[0] else np.inf
            if len(c) < MIN_POINTS + 1 or band > MAX_DROP or not self._accuracy_flat_from(ctx, c.label(1)) \
                    or not self._at_chance_from(ctx, c.label(1)):
                return
            begin, drop = 1, relative_drop(rest)
        flat = c.y[begin:]
        params = {"metric": "loss", "low": float(np.min(flat)), "high": float(np.max(flat)),
                  "values": value_range(float(np.min(flat)), float(np.max(flat))),
                  "drop_pct": round(100 * max(drop, 0.0), 1), "axis": c.axis,
                  "axis_zh": "轮" if c.axis == "epoch" else "步",
                  "start": c.label(begin), "end": c.label(len(c) - 1), "first": float(c.y[0])}
        yield Symptom(
            id=self.id, run=run.name, metric="loss", start=c.label(begin), end=c.label(len(c) - 1),
            strength=min(1.0, 0.5 + 0.5 * (1 - max(drop, 0) / MAX_DROP)),
            detail=DETAIL_AFTER_FIRST if begin else DETAIL,
            params=params,
            axis=c.axis,  # type: ignore[arg-type]
        )

    @staticmethod
    def _accuracy_flat_from(ctx: Context, first_x: int) -> bool:
        """No training accuracy gains more than MAX_ACCURACY_GAIN from ``first_x`` on."""
        for name in ctx.accuracy_names():
            acc = ctx.series(name)
            if acc is None or name.startswith("val_"):
                continue
            y = curve(acc).until_nonfinite().since(first_x).y
            if len(y) >= 2 and float(np.max(y) - np.median(y[:2])) > MAX_ACCURACY_GAIN:
                return False
        return True

    @staticmethod
    def _at_chance_from(ctx: Context, first_x: int) -> bool:
        """Some training accuracy sits at chance from ``first_x`` (or earlier) to the end."""
        for name in ctx.accuracy_names():
            if name.startswith("val_"):
                continue
            stretch = chance_stretch(ctx, name)
            if stretch is not None and stretch.curve.label(stretch.start) <= first_x:
                return True
        return False
