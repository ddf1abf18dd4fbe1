"""``stuck_chance_accuracy``: accuracy hovers around chance for the run or from some point on.

Chance comes from the task (:mod:`app.rules.task`): 1/C for C balanced classes, 0.5 for two;
an accuracy frozen at one constant value that is not near 1 is read as the share of one
class (the majority share when data are imbalanced, or class 0 after NaN weights).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, value_range
from app.rules.base import Context, SymptomDetector
from app.rules.curves import Curve, curve, flat_suffix, near_level_suffix, shared_x

# A stretch counts when it covers at least this share of the run (and 2 points).
MIN_COVERAGE = 0.3
# Accuracy frozen within this band over FROZEN_MIN_POINTS points reads as a constant guess.
FROZEN_SPAN = 0.002
FROZEN_MIN_POINTS = 4
FROZEN_MIN_COVERAGE = 0.6
FROZEN_MAX_LEVEL = 0.9
# Above that, a frozen value still reads as "always the majority class" when it holds for
# many epochs while the loss keeps falling clearly (the model changes, its decisions do
# not) and it is not a perfect score.
FROZEN_LONG_POINTS = 8
FROZEN_LOSS_DROP = 0.2
FROZEN_PERFECT = 0.99
TRAINING_MOVES = 0.1
# Corpus: the 2 runs whose accuracy freezes below 1 % (a regression tracking accuracy, an OCR
# model) are not labeled stuck at chance.
FROZEN_MIN_LEVEL = 0.01

# Saturated outputs: Keras clips predictions to [1e-7, 1 - 1e-7] in its crossentropies, so
# a model that answers every sample with certainty loses -ln(1e-7) = 16.118 per wrong answer
# and nothing per right one: loss = 16.118 x (1 - accuracy). Its accuracy is then the share
# of the classes it happens to name, whatever it learns. Corpus: the ratio is within 0.5 % of
# 16.118 in most epochs of 10 runs of 9 faulty cases (8 labeled stuck at chance, all 9 stuck
# or plateaued) and in no epoch of the 42 healthy runs; epochs where saturation sets in sit
# at 15.6-16.09, outside the band.
SATURATED_LOSS = 16.1181
SATURATED_TOLERANCE = 0.005
SATURATED_SHARE = 0.6

# evaluate() results: an accuracy at a known chance level (within its tolerance), or, with the
# task unknown, exactly 1/C for a small C to the printed precision: a model that answers one
# class for every sample of a balanced test set scores exactly 1/C. Corpus: of 19 evaluate()
# accuracies, 2 are exactly 1/C (keras-12317: 0.5 after val_acc 1.0, labeled stuck at
# chance; intellipaat 11257: 0.3333, labeled eval_mismatch), both runs of batch-norm models
# answering one class at inference; no healthy run's evaluation is 1/C.
EXACT_CHANCE_CLASSES = range(2, 11)
EXACT_CHANCE_TOLERANCE = 5e-5

DETAIL_EVALUATED = T(
    "evaluate() gives {metric} {value}{label}: {why}",
    "evaluate() 得到的 {metric} 为 {value}{label_zh}：{why_zh}",
)

DETAIL = T(
    "{metric} stays at {values} over {axis}s {start}–{end}; chance for {basis} is {chance}",
    "{metric} 在第 {start}–{end} {axis_zh}保持在 {values}；{basis_zh}的随机水平为 {chance}",
)
DETAIL_FROZEN = T(
    "{metric} frozen at {values} over {axis}s {start}–{end}: the share of one class, "
    "as if the model always predicts the same class",
    "{metric} 在第 {start}–{end} {axis_zh}固定在 {values}：相当于某一类别的占比，模型似乎总是预测同一类",
)
DETAIL_UNIFORM = T(
    "{metric} stays at {values} over {axis}s {start}–{end}: ln({classes}), the loss of predicting "
    "all {classes} classes as equally likely, so accuracy is at chance ({chance})",
    "{metric} 在第 {start}–{end} {axis_zh}保持在 {values}：即 ln({classes})，相当于把 {classes} 个类别"
    "都预测为同样可能，准确率处于随机水平（{chance}）",
)
DETAIL_SATURATED = T(
    "{metric} at {values} over {axis}s {start}–{end} while the loss is 16.12 × (1 − accuracy) "
    "in {hits} of {points} {axis}s: every wrong answer costs −ln(1e-7), the cap of Keras' clipped "
    "crossentropy, so the outputs are saturated at 0 or 1 and the accuracy is the share of the "
    "classes the model happens to name",
    "{metric} 在第 {start}–{end} {axis_zh}为 {values}，而损失在 {points} {axis_zh}中有 {hits} {axis_zh}"
    "等于 16.12 × (1 − 准确率)：每个错误答案的代价都是 −ln(1e-7)，即 Keras 截断交叉熵的上限，"
    "说明输出饱和在 0 或 1，准确率只是模型碰巧给出的类别所占的比例",
)
AXIS_ZH = {"epoch": "轮", "step": "步"}


@dataclass(frozen=True)
class Stretch:
    metric: str
    curve: Curve
    start: int  # index into the curve
    level: float
    tolerance: float
    frozen: bool  # a constant value rather than a known chance level

    @property
    def coverage(self) -> float:
        return (len(self.curve) - self.start) / max(1, len(self.curve))

    def values(self) -> np.ndarray:
        return self.curve.y[self.start:]


def tolerance(level: float) -> float:
    """How close to chance counts as "at chance": ±0.03 at 0.5, ±0.02 at 0.1."""
    return max(0.01, min(0.03, 0.2 * level))


def chance_stretch(ctx: Context, name: str) -> Stretch | None:
    """The stretch (to the end of the run) where accuracy ``name`` sits at chance."""
    series = ctx.series(name)
    if series is None:
        return None
    c = curve(series)
    n = len(c)
    if n == 0:
        return None
    need = max(2, int(np.ceil(MIN_COVERAGE * n))) if n > 2 else n
    best: Stretch | None = None
    for level in ctx.task.chance_levels():
        tol = tolerance(min(level, 1 - level))
        start = near_level_suffix(c.y, level, tol)
        if n - start >= need and (best is None or start < best.start):
            best = Stretch(name, c, start, level, tol, frozen=False)
    if best is not None:
        return best
    start = flat_suffix(c.y, FROZEN_SPAN)
    tail = c.y[start:]
    if n - start < max(need, FROZEN_MIN_POINTS) or tail.size == 0:
        return None
    # A healthy run can also level off at, say, 0.97: a frozen value reads as a constant
    # guess only when it holds from early on at a modest level, or once the loss is NaN.
    loss = ctx.series("loss")
    after_nan = loss is not None and not np.isfinite(loss.y[-1])
    early = (n - start) / n >= FROZEN_MIN_COVERAGE
    from_early = early and float(np.max(tail)) <= FROZEN_MAX_LEVEL
    majority = early and tail.size >= FROZEN_LONG_POINTS and float(np.max(tail)) < FROZEN_PERFECT \
        and (_loss_drop(loss, c, start) >= FROZEN_LOSS_DROP or _training_moves(ctx, name))
    if float(np.median(tail)) < FROZEN_MIN_LEVEL and not after_nan:
        return None  # never right is no class share: a metric that cannot count hits (regression, CTC)
    if from_early or after_nan or majority:
        return Stretch(name, c, start, float(np.median(tail)), FROZEN_SPAN, frozen=True)
    return None


def saturated_stretch(ctx: Context, name: str) -> tuple[Stretch, int, int] | None:
    """The whole curve of accuracy ``name`` when its loss is SATURATED_LOSS x (1 - accuracy)
    in SATURATED_SHARE of the points: (stretch, points that fit, points)."""
    series = ctx.series(name)
    loss = ctx.series(("val_" if name.startswith("val_") else "") + "loss")
    if series is None or loss is None or loss.axis != series.axis:
        return None
    x = shared_x(series.x, loss.x)
    if x is series.x:  # shared_x found one increasing x array: nothing to look up
        accuracy, value = series.y, loss.y
    else:
        accuracy = series.y[np.searchsorted(series.x, x)]
        value = loss.y[np.searchsorted(loss.x, x)]
    usable = np.isfinite(accuracy) & np.isfinite(value) & (accuracy < 0.999)
    if not usable.any():
        return None
    ratio = value[usable] / (1.0 - accuracy[usable])
    hits = int(np.sum(np.abs(ratio / SATURATED_LOSS - 1.0) <= SATURATED_TOLERANCE))
    points = int(usable.sum())
    if hits == 0 or hits < SATURATED_SHARE * points:
        return None
    c = curve(series)
    return Stretch(name, c, 0, float(np.median(c.y)), FROZEN_SPAN, frozen=True), hits, points


def _training_moves(ctx: Context, frozen: str) -> bool:
    """A validation accuracy frozen while the training accuracy moves by TRAINING_MOVES: the
    model changes, its answers on validation do not (corpus: gh-tensorflow-tensorflow-51541,
    val_accuracy 0.9228 for 8 epochs while training accuracy rises 0.70 -> 0.91)."""
    if not frozen.startswith("val_"):
        return False
    train = ctx.series(frozen[4:])
    if train is None:
        return False
    y = train.y[np.isfinite(train.y)]
    return y.size >= 2 and float(np.max(y) - np.min(y)) >= TRAINING_MOVES


def _loss_drop(loss, accuracy: Curve, start: int) -> float:
    """Relative fall of the (finite) loss over the frozen stretch of ``accuracy``."""
    if loss is None or loss.axis != accuracy.axis:
        return 0.0
    first = accuracy.x[start]
    mask = (loss.x >= first) & np.isfinite(loss.y)
    y = loss.y[mask]
    if y.size < 2 or y[0] <= 0:
        return 0.0
    return float((y[0] - np.min(y)) / y[0])


def stretch_symptom(ctx: Context, symptom_id: str, stretch: Stretch, strength: float) -> Symptom:
    c = stretch.curve
    tail = stretch.values()
    task = ctx.task
    basis = task.basis if not stretch.frozen else "one class"
    basis_zh = (task.basis_zh or task.basis) if not stretch.frozen else "单一类别"
    params = {
        "metric": stretch.metric,
        "low": round(float(np.min(tail)), 4),
        "high": round(float(np.max(tail)), 4),
        "start": c.label(stretch.start),
        "end": c.label(len(c) - 1),
        "axis": c.axis,
        "axis_zh": AXIS_ZH.get(c.axis, c.axis),
        "chance": round(stretch.level, 4),
        "basis": basis,
        "basis_zh": basis_zh,
        "classes": task.classes,
    }
    params["values"] = value_range(params["low"], params["high"])
    series = ctx.series(stretch.metric)
    return Symptom(
        id=symptom_id,
        run=ctx.run.name if ctx.run else "",
        metric=stretch.metric,
        start=params["start"],
        end=params["end"],
        strength=strength,
        detail=DETAIL_FROZEN if stretch.frozen else DETAIL,
        params=params,
        axis=c.axis,  # type: ignore[arg-type]
        source=series.source_of(0) if series is not None and not c.reduced else None,
    )


def _uniform_symptom(ctx: Context, metric: str) -> Symptom:
    series = ctx.series(metric)
    assert series is not None and ctx.run is not None
    c = curve(series)
    y = c.y[np.isfinite(c.y)]
    low, high = round(float(np.min(y)), 4), round(float(np.max(y)), 4)
    params = {"metric": metric, "low": low, "high": high, "values": value_range(low, high),
              "start": c.label(0), "end": c.label(len(c) - 1), "axis": c.axis,
              "axis_zh": AXIS_ZH.get(c.axis, c.axis), "classes": ctx.task.classes,
              "chance": round(ctx.task.chance or 0.0, 4)}
    return Symptom(id="stuck_chance_accuracy", run=ctx.run.name, metric=metric, start=params["start"],
                   end=params["end"], strength=0.6, detail=DETAIL_UNIFORM, params=params,
                   axis=c.axis,  # type: ignore[arg-type]
                   source=series.source_of(0) if not c.reduced else None)


def _evaluated_at_chance(ctx: Context) -> Symptom | None:
    """The first evaluate() accuracy at chance (see EXACT_CHANCE_CLASSES)."""
    assert ctx.run is not None
    task = ctx.task
    for evaluation in ctx.run.evaluations:
        for metric, value in evaluation.metrics.items():
            if not metric.endswith("accuracy") or not np.isfinite(value):
                continue
            why = why_zh = None
            for level in task.chance_levels():
                if abs(value - level) <= tolerance(min(level, 1 - level)):
                    why = f"chance for {task.basis} is {round(level, 4)}"
                    why_zh = f"{task.basis_zh or task.basis}的随机水平为 {round(level, 4)}"
                    break
            if why is None and task.kind == "unknown":
                for classes in EXACT_CHANCE_CLASSES:
                    if abs(value - 1.0 / classes) <= EXACT_CHANCE_TOLERANCE:
                        why = (f"exactly 1/{classes}, what a model that answers one class for every sample "
                               f"scores on {classes} balanced classes")
                        why_zh = f"正好是 1/{classes}，即模型对每个样本都给出同一类别时在 {classes} 个均衡类别上的得分"
                        break
            if why is None:
                continue
            label = f" on the {evaluation.label} data" if evaluation.label else ""
            label_zh = f"（{evaluation.label} 数据）" if evaluation.label else ""
            return Symptom(
                id="stuck_chance_accuracy", run=ctx.run.name, metric=metric,
                start=evaluation.after_epoch, end=evaluation.after_epoch, strength=0.6,
                detail=DETAIL_EVALUATED,
                params={"metric": metric, "value": round(float(value), 4), "label": label,
                        "label_zh": label_zh, "why": why, "why_zh": why_zh},
                source=evaluation.source,
            )
    return None


def _saturated_symptom(ctx: Context, stretch: Stretch, hits: int, points: int) -> Symptom:
    symptom = stretch_symptom(ctx, "stuck_chance_accuracy", stretch, 0.4 + 0.4 * hits / points)
    return replace(symptom, detail=DETAIL_SATURATED, params=dict(symptom.params, hits=hits, points=points))


class StuckChanceAccuracy(SymptomDetector):
    id = "stuck_chance_accuracy"
    title = T("Accuracy stuck at chance", "准确率停留在随机水平")
    description = T(
        "Accuracy hovers around chance (1/C for C classes, or the majority-class share) for the "
        "whole run or after some point.",
        "准确率在整个训练过程中或某个时刻之后一直徘徊在随机水平（C 类时为 1/C，或多数类占比）。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        task = ctx.task
        if task.uniform_loss and not ctx.accuracy_names() and ctx.run is not None:
            yield _uniform_symptom(ctx, task.uniform_loss)
            return
        found = False
        for name in ctx.accuracy_names():
            stretch = chance_stretch(ctx, name)
            if stretch is None:
                saturated = saturated_stretch(ctx, name)
                if saturated is not None:
                    found = True
                    yield _saturated_symptom(ctx, *saturated)
                continue
            found = True
            closeness = 1.0 - float(np.mean(np.abs(stretch.values() - stretch.level))) / (2 * stretch.tolerance)
            strength = max(0.2, min(1.0, stretch.coverage * (0.6 + 0.4 * closeness)))
            if stretch.frozen:
                strength *= 0.8
            yield stretch_symptom(ctx, self.id, stretch, strength)
        if not found and ctx.run is not None:
            evaluated = _evaluated_at_chance(ctx)
            if evaluated is not None:
                found = True
                yield evaluated
        if not found and task.uniform_loss and ctx.run is not None:
            # The loss sits at ln C all along while the accuracy wanders around 1/C beyond the
            # band (batch noise of a small evaluation set): the loss says it (corpus: the
            # 4-choice reading task of gh-yuanhuanghuang-quality, 1.386 = ln 4 for 22 steps).
            yield _uniform_symptom(ctx, task.uniform_loss)
