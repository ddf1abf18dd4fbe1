"""``plateau_no_learning``: loss and accuracy (nearly) unchanged from early on.

Three ways a run shows it, each checked on the corpus (``bench/corpus``):

- the loss stays within MAX_DROP below and MAX_RISE above where it started (or where it
  settled after the first epoch) while no accuracy shows learning;
- the loss repeats one value to the printed precision at the end of the run (Caffe's
  ``87.3365``, the cap of its softmax loss; a loop whose weights no longer change);
- with no loss printed, every accuracy repeats one value from the first epoch to the last.

An accuracy "shows learning" when it gains more than MAX_ACCURACY_GAIN, or when it sits at
LEARNED_ACCURACY or above without being frozen at one class's share
(:func:`~app.rules.symptoms.stuck_chance_accuracy.chance_stretch`) or being the accuracy of
saturated outputs (loss = 16.118 x (1 - accuracy)). A flat loss beside such an accuracy is a
run resumed or converged, not one that never learned (corpus: the 2 healthy runs of that
shape, gh-keras-team-keras-8680 and the fastai tabular example, were false alarms of the
loss-only test).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, value_range
from app.rules.base import Context, SymptomDetector
from app.rules.curves import Curve, curve, relative_drop, training_loss_curve
from app.rules.symptoms.stuck_chance_accuracy import (
    FROZEN_MIN_COVERAGE, FROZEN_MIN_LEVEL, chance_stretch, saturated_stretch,
)

MIN_POINTS = 3
# Corpus: the plateaus found fall at most 3.1 % below their start (so-34673396); the healthy
# run that converged in its first epochs (keras.io movielens) falls 4.6 %. The same band bounds
# the loss's own noise (median change from one point to the next): the plateaus found move at
# most 1.8 %, the 4 step prints of a healthy run that had just started (face_recognition_TF2#2)
# 15 %, where a flat band cannot be told from noise.
MAX_DROP = 0.04
# Corpus: the plateaus found rise at most 20 % above their start; the 3 runs whose loss
# doubles or explodes (gh-keras-team-keras-7603, gh-calclavia-deepj-49, gh-assertj-1665) are
# spikes and divergence, not a plateau.
MAX_RISE = 0.5
ZERO = 1e-3  # a loss stuck at 0 is a collapse, not a plateau
# One value repeated to the printed precision (relative): 7 corpus runs end so, all labeled
# plateau or stuck; no healthy run repeats its loss over 3 points.
REPEAT = 1e-4
MIN_REPEATS = 3
# An accuracy that gains more than this over the run is learning.
MAX_ACCURACY_GAIN = 0.03
# An accuracy at this level or above has learned something, unless it is frozen at one class's
# share or is that of saturated outputs. Corpus: the 2 healthy runs with a flat loss sit at
# 0.74 and 0.83 (resumed or converged); the plateaus at 0.72 and 0.88 are saturated
# (gh-keras-team-keras-4784) and frozen (beam-transfer); those below 0.7 all sit at chance.
LEARNED_ACCURACY = 0.7
FROZEN_ACCURACY_POINTS = 4
FROZEN_ACCURACY_SPAN = 1e-4

DETAIL = T(
    "{metric} stays within {values} over {axis}s {start}–{end} (best {drop_pct}% below its start)",
    "{metric} 在第 {start}–{end} {axis_zh}保持在 {values}（最好时仅比开始低 {drop_pct}%）",
)
DETAIL_AFTER_FIRST = T(
    "{metric} stays within {values} over {axis}s {start}–{end}, after {first} in the first {axis} "
    "(best {drop_pct}% below where it settled)",
    "{metric} 第一{axis_zh}为 {first}，之后在第 {start}–{end} {axis_zh}保持在 {values}（最好时仅比稳定值低 {drop_pct}%）",
)
DETAIL_REPEATED = T(
    "{metric} repeats {values} exactly over {axis}s {start}–{end}: the model no longer changes",
    "{metric} 在第 {start}–{end} {axis_zh}一直精确地重复 {values}：模型不再变化",
)
DETAIL_ACCURACY = T(
    "{metric} repeats {values} exactly over {axis}s {start}–{end} (no loss printed): the model's "
    "answers never change",
    "{metric} 在第 {start}–{end} {axis_zh}一直精确地重复 {values}（没有打印损失）：模型的答案从未改变",
)
AXIS_ZH = {"epoch": "轮", "step": "步"}


class PlateauNoLearning(SymptomDetector):
    id = "plateau_no_learning"
    title = T("No learning: loss flat from the start", "没有学习：损失从一开始就不变")
    description = T(
        "Loss and accuracy (nearly) unchanged from early on.",
        "损失和准确率从一开始就几乎不变。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        if run is None:
            return
        c = training_loss_curve(ctx.run)
        if c is None:
            yield from self._frozen_accuracy(ctx)
            return
        if len(c) < 2 or float(np.median(np.abs(c.y))) <= ZERO:
            return
        repeated = _repeated_tail(c.y)
        if repeated is not None:
            yield self._symptom(ctx, c, repeated, 0.0, DETAIL_REPEATED, strength=0.9)
            return
        if len(c) < MIN_POINTS:
            return
        for begin in (0, 1):
            y = c.y[begin:]
            if len(y) < MIN_POINTS or y[0] == 0 or not self._no_learning_accuracy(ctx, c.axis, c.label(begin)):
                continue
            drop, rise = relative_drop(y), float(np.max(y) / y[0] - 1.0)
            if begin == 0 and 1.0 - float(np.median(y[1:])) / y[0] > MAX_DROP:
                continue  # the first epoch stands far above the rest: judged from the second
            if _noise(y) > MAX_DROP:
                return  # the loss's own noise is wider than the band: flatness cannot be told
            if begin == 1:
                # The first epoch's mean can hold a collapse in its first steps (unscaled inputs:
                # 2.9e4, then 1.08 for good): within the band of its second-epoch value from then
                # on, with accuracy at chance, is no learning too.
                band = float(np.max(np.abs(y - y[0])) / abs(y[0]))
                if band > MAX_DROP or not self._at_chance_from(ctx, c.label(1)):
                    continue
            if drop <= MAX_DROP and rise <= MAX_RISE:
                strength = min(1.0, 0.5 + 0.5 * (1 - max(drop, 0) / MAX_DROP))
                yield self._symptom(ctx, c, begin, drop, DETAIL_AFTER_FIRST if begin else DETAIL, strength)
                return

    def _symptom(self, ctx: Context, c: Curve, begin: int, drop: float, detail: T, strength: float,
                 metric: str = "loss") -> Symptom:
        flat = c.y[begin:]
        params = {"metric": metric, "low": float(np.min(flat)), "high": float(np.max(flat)),
                  "values": value_range(float(np.min(flat)), float(np.max(flat))),
                  "drop_pct": round(100 * max(drop, 0.0), 1), "axis": c.axis,
                  "axis_zh": AXIS_ZH.get(c.axis, c.axis),
                  "start": c.label(begin), "end": c.label(len(c) - 1), "first": float(c.y[0])}
        return Symptom(id=self.id, run=ctx.run.name, metric=metric, start=c.label(begin),  # type: ignore[union-attr]
                       end=c.label(len(c) - 1), strength=strength, detail=detail, params=params,
                       axis=c.axis)  # type: ignore[arg-type]

    def _frozen_accuracy(self, ctx: Context) -> Iterator[Symptom]:
        """No loss printed: every accuracy repeats one value over the whole run (not when a
        loss of another name is NaN: then nan_loss tells why nothing changes)."""
        run = ctx.run
        if run is None or any("loss" in name and not np.all(np.isfinite(series.y))
                              for table in (run.epochs, run.steps) for name, series in table.items()):
            return
        names = ctx.accuracy_names()
        curves = [curve(s) for s in (ctx.series(n) for n in names) if s is not None]
        curves = [c for c in curves if len(c) >= FROZEN_ACCURACY_POINTS and np.all(np.isfinite(c.y))]
        if not curves or len(curves) != len(names):
            return
        if all(float(np.ptp(c.y)) <= FROZEN_ACCURACY_SPAN for c in curves):
            yield self._symptom(ctx, curves[0], 0, 0.0, DETAIL_ACCURACY, strength=0.7, metric=names[0])

    @staticmethod
    def _no_learning_accuracy(ctx: Context, axis: str, first_x: int) -> bool:
        """No accuracy shows learning from ``first_x`` on (see the module docstring); training
        accuracies are asked when there are any, else the validation ones."""
        if ctx.task.uniform_loss:
            return True  # the loss is ln C: the model predicts every class as equally likely
        names = [n for n in ctx.accuracy_names() if not n.startswith("val_")] or ctx.accuracy_names()
        for name in names:
            series = ctx.series(name)
            if series is None or series.axis != axis:
                continue
            y = curve(series).until_nonfinite().since(first_x).y
            if y.size < 2:
                continue
            if float(np.max(y) - np.median(y[:2])) > MAX_ACCURACY_GAIN:
                return False  # it gains
            if float(np.median(y)) < LEARNED_ACCURACY:
                continue
            stretch = chance_stretch(ctx, name)
            at_chance = stretch is not None and stretch.coverage >= FROZEN_MIN_COVERAGE
            if not (at_chance or saturated_stretch(ctx, name) is not None):
                return False
        return True

    @staticmethod
    def _at_chance_from(ctx: Context, first_x: int) -> bool:
        """Some training accuracy sits at chance (or is never right) from ``first_x`` on."""
        for name in ctx.accuracy_names():
            if name.startswith("val_"):
                continue
            stretch = chance_stretch(ctx, name)
            if stretch is not None and stretch.curve.label(stretch.start) <= first_x:
                return True
            series = ctx.series(name)
            if series is not None and float(np.nanmax(series.y)) <= FROZEN_MIN_LEVEL:
                return True
        return False


def _noise(y: np.ndarray) -> float:
    """The median relative change from one point to the next (points at 0 left out)."""
    level = np.abs(y[:-1])
    changes = np.abs(np.diff(y))[level > 0] / level[level > 0]
    return float(np.median(changes)) if changes.size else 0.0


def _repeated_tail(y: np.ndarray) -> int | None:
    """Where the run's last value starts repeating to the printed precision, when it repeats
    over MIN_REPEATS points and a third of the run (or over the whole run of 2 points)."""
    last = float(y[-1])
    if last == 0 or not np.isfinite(last):
        return None
    same = np.abs(y / last - 1.0) <= REPEAT
    start = y.size
    while start > 0 and same[start - 1]:
        start -= 1
    repeats = y.size - start
    if (repeats >= MIN_REPEATS and repeats >= y.size / 3) or (repeats == y.size == 2):
        return start
    return None
