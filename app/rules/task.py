"""What task the run trains: number of classes and the accuracy a guess would get.

Chance level comes from the task, not from a constant 0.5: the output layer (units and
activation), the loss, the metric names, and when nothing else is known, the level of the
crossentropy loss itself (a model that predicts uniformly over C classes has loss ln C).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.core.model import ModelSpec
from app.core.run import Run

BINARY_LOSSES = {"binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge"}
MULTICLASS_LOSSES = {"categorical_crossentropy", "sparse_categorical_crossentropy",
                     "categorical_focal_crossentropy", "categorical_hinge",
                     "kl_divergence", "kullback_leibler_divergence"}
REGRESSION_LOSSES = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh",
                     "mean_absolute_percentage_error", "mean_squared_logarithmic_error"}


@dataclass(frozen=True)
class Task:
    kind: str  # "binary", "multiclass", "multilabel", "regression", "unknown"
    classes: int | None  # number of classes when known
    chance: float | None  # accuracy of a uniform guess (balanced classes)
    basis: str  # how it was decided, for evidence sentences
    majority_share: float | None = None  # when class shares are known
    basis_zh: str = ""  # the same in Chinese
    uniform_loss: str | None = None  # the loss series that sits at ln C (uniform predictions)

    @property
    def is_classification(self) -> bool:
        return self.kind in ("binary", "multiclass", "multilabel")

    def chance_levels(self) -> list[float]:
        """Accuracy levels a model that learned nothing sits at."""
        levels = [level for level in (self.chance, self.majority_share) if level is not None]
        return levels


UNKNOWN_TASK = Task("unknown", None, None, "unknown", basis_zh="未知任务")


def _from_model(model: ModelSpec) -> Task | None:
    units = model.output_units
    if units is not None and units < 1:
        units = None  # a malformed config (units=0): no class count to read
    activation = model.output_activation
    loss = model.loss.name if model.loss else None
    if loss in BINARY_LOSSES:
        if units in (None, 1):
            return Task("binary", 2, 0.5, f"binary loss {loss} with {units or 1} output unit",
                        basis_zh=f"二分类损失 {loss}、{units or 1} 个输出单元")
        if activation == "softmax":
            # Seed 002: 2+ softmax units under binary_crossentropy. Keras then reports
            # binary accuracy over the one-hot vector: a constant guess scores 0.5 for two
            # classes, (C-1)/C for C > 2 (every softmax output below 0.5 reads as "no").
            chance = 0.5 if units == 2 else (units - 1) / units
            return Task("multiclass", units, chance,
                        f"softmax output of {units} units under {loss}",
                        basis_zh=f"{loss} 下 {units} 个单元的 softmax 输出")
        return Task("multilabel", units, 0.5, f"{units} sigmoid outputs under {loss}",
                    basis_zh=f"{loss} 下 {units} 个 sigmoid 输出")
    if units is not None and units >= 2 and (loss in MULTICLASS_LOSSES or activation == "softmax"):
        return Task("multiclass", units, 1.0 / units, f"output layer of {units} units",
                    basis_zh=f"{units} 个单元的输出层")
    if units == 1 and activation == "sigmoid":
        return Task("binary", 2, 0.5, "one sigmoid output unit", basis_zh="单个 sigmoid 输出单元")
    if loss in REGRESSION_LOSSES and activation in (None, "linear"):
        return Task("regression", None, None, f"regression loss {loss} with a linear output",
                    basis_zh=f"回归损失 {loss}、线性输出")
    if units is not None and units >= 2 and loss is None:
        return Task("multiclass", units, 1.0 / units, f"output layer of {units} units",
                    basis_zh=f"{units} 个单元的输出层")
    return None


def _from_metrics(run: Run) -> Task | None:
    names = set(run.epochs) | set(run.steps)
    if any("binary_accuracy" in n for n in names):
        return Task("binary", 2, 0.5, "binary_accuracy metric", basis_zh="binary_accuracy 指标")
    loss = run.series("loss", "epoch") or run.series("loss", "step")
    accuracy = run.series("accuracy", "epoch") or run.series("val_accuracy", "epoch") \
        or run.series("accuracy", "step") or run.series("val_accuracy", "step")
    if loss is None or accuracy is None:
        return _from_uniform_loss(run)
    finite = loss.y[np.isfinite(loss.y)]
    acc = accuracy.y[np.isfinite(accuracy.y)]
    if finite.size == 0 or acc.size == 0:
        return None
    # A crossentropy that sits at ln C with accuracy near 1/C names C.
    level = float(np.median(finite[: max(1, finite.size // 2)]))
    mean_acc = float(np.mean(acc))
    # the C whose ln C is nearest (ln 81 ... ln 127 all lie within 5 % of ln 100)
    for classes in sorted(range(2, 101), key=lambda c: abs(level - math.log(c))):
        if abs(level - math.log(classes)) < 0.05 * math.log(classes) and abs(mean_acc - 1 / classes) < 0.05:
            uniform = _from_uniform_loss(run)  # the same C, and the loss stays there all along
            return Task("multiclass" if classes > 2 else "binary", classes, 1.0 / classes,
                        f"loss near ln({classes}) = {math.log(classes):.3f} with accuracy near 1/{classes}",
                        basis_zh=f"损失接近 ln({classes}) = {math.log(classes):.3f}、准确率接近 1/{classes}",
                        uniform_loss=uniform.uniform_loss if uniform is not None and uniform.classes == classes
                        else None)
    return _from_uniform_loss(run)


# A crossentropy of uniform predictions over C classes is ln C. A loss that stays within
# UNIFORM_TOLERANCE of ln C over the whole run (spread within UNIFORM_SPREAD) names C even
# when no accuracy is printed: on the corpus, 3 runs labeled stuck at chance print only such a
# loss (2.30-2.31 = ln 10 twice, 1.386 = ln 4) and no healthy run stays near any ln C.
UNIFORM_TOLERANCE = 0.01
UNIFORM_SPREAD = 0.03
UNIFORM_MIN_POINTS = 5
UNIFORM_MAX_CLASSES = 100


def _from_uniform_loss(run: Run) -> Task | None:
    for name in ("loss", "val_loss"):
        series = run.series(name, "epoch") or run.series(name, "step")
        if series is None:
            continue
        y = series.y[np.isfinite(series.y)]
        if y.size < UNIFORM_MIN_POINTS:
            continue
        level = float(np.median(y))
        if not 0 < level <= math.log(UNIFORM_MAX_CLASSES) * 1.1 \
                or (float(np.max(y)) - float(np.min(y))) / level > UNIFORM_SPREAD:
            continue
        classes = int(round(math.exp(level)))
        if not 2 <= classes <= UNIFORM_MAX_CLASSES or abs(level - math.log(classes)) > UNIFORM_TOLERANCE * math.log(classes):
            continue
        return Task("multiclass" if classes > 2 else "binary", classes, 1.0 / classes,
                    f"{name} staying at ln({classes}) = {math.log(classes):.3f}, the loss of uniform predictions",
                    basis_zh=f"{name} 一直停在 ln({classes}) = {math.log(classes):.3f}，即均匀预测的损失",
                    uniform_loss=name)
    return None


def infer_task(run: Run | None, model: ModelSpec | None) -> Task:
    """The task as well as the inputs tell it."""
    if model is not None and model.layers:
        found = _from_model(model)
        if found is not None:
            return found
    if run is not None:
        found = _from_metrics(run)
        if found is not None:
            return found
        if run.model is not None and isinstance(run.model, ModelSpec):
            found = _from_model(run.model)
            if found is not None:
                return found
    return UNKNOWN_TASK
