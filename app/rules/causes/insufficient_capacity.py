"""``insufficient_capacity``: a model too small for the task, or trained too few epochs, so
training itself stays poor while still improving (real posts: a 1-hidden-unit network, a
run stopped after 3 epochs at 60 %)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T, percent
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.kl_divergence_misuse import first_negative_loss
from app.rules.curves import curve, relative_drop

# Training accuracy still below this at the end: the model has not even fit its own data.
POOR_TRAIN_ACCURACY = 0.7
# ... while the training loss fell this much (relative) over the last third: still learning.
STILL_FALLING = 0.05
MIN_EPOCHS = 3
# A loss that fell this much overall has fit something: with accuracy still poor the loss is
# not measuring the task (a loss/label problem), not a small model.
MAX_TOTAL_DROP = 0.9
# From the log alone this stays "possible": on the corpus it fired on 3 of 39 healthy runs
# (short tutorial runs on hard tasks) against 1 of 2 runs labeled with this cause.
POOR_AND_IMPROVING_WEIGHT = 0.35
# Fewer trainable weights than this cannot hold much of any task seen in the corpus.
TINY_MODEL_PARAMS = 1000
TINY_MODEL_WEIGHT = 0.4
OVERFITS_WEIGHT = -0.7  # a model that overfits has capacity to spare
FITS_TRAINING_WEIGHT = -0.7  # training accuracy high: capacity is not what is missing
# Symptoms of a broken run, which a small model does not produce.
BROKEN = ("nan_loss", "stuck_chance_accuracy", "loss_collapse_zero", "val_stuck_train_improves", "eval_mismatch",
          "loss_spike")

POOR_AND_IMPROVING = T(
    "training {metric} ends at {value} and the training loss still fell {drop_pct}% over the last "
    "third of the run ({axis}s {start}–{end}): the model has not yet fit its own training data",
    "训练 {metric} 最终只有 {value}，而训练损失在最后三分之一（第 {start}–{end} {axis_zh}）仍下降了 {drop_pct}%："
    "模型连训练数据都还没有拟合好",
)
TINY_MODEL = T("the model has only {params} trainable weights", "模型只有 {params} 个可训练权重")
OVERFITS = T("the run overfits: the model has more capacity than the data need",
             "训练出现过拟合：模型容量超过了数据所需")
FITS_TRAINING = T("training {metric} reaches {value}: the model can fit the training data",
                  "训练 {metric} 达到 {value}：模型能够拟合训练数据")


def _train_accuracy(ctx: Context) -> tuple[str, float] | None:
    for name in ctx.accuracy_names():
        if name.startswith("val_"):
            continue
        series = ctx.series(name)
        if series is not None and np.isfinite(series.y).any():
            return name, float(series.y[np.isfinite(series.y)][-1])
    return None


def _late_drop(ctx: Context) -> tuple[float, int, int, str] | None:
    series = ctx.series("loss")
    if series is None:
        return None
    c = curve(series).until_nonfinite()
    n = len(c)
    if n < MIN_EPOCHS or c.y[0] <= 0:
        return None
    start = n - 1 - max(1, n // 3)
    if c.y[start] <= 0 or relative_drop(c.y) > MAX_TOTAL_DROP:
        return None
    return float((c.y[start] - c.y[n - 1]) / c.y[start]), c.label(start), c.label(n - 1), c.axis


class InsufficientCapacity(CauseRule):
    id = "insufficient_capacity"
    title = T("Model too small or trained too briefly", "模型太小或训练太短")
    explanation = T(
        "When even the training accuracy stays low while the loss is still falling, the model "
        "has not learned what it could: it is too small for the task (too few units or layers), "
        "or the run stopped long before convergence. Nothing is broken; give it more: wider or "
        "deeper layers, more epochs, or a higher learning rate. Overfitting is the sign that "
        "capacity is enough.",
        "如果连训练准确率都很低，而损失仍在下降，说明模型还没有学到它能学到的东西：要么对任务来说太小"
        "（单元或层太少），要么训练在收敛之前很早就停止了。并没有什么出错；请给它更多：更宽或更深的层、"
        "更多轮次，或更高的学习率。出现过拟合说明容量已经足够。",
    )
    when_not = T(
        "Silent when the run overfits or the training accuracy is high, and when the loss no "
        "longer falls at the end.",
        "当训练出现过拟合、训练准确率较高，或结束时损失已不再下降时不报告。",
    )
    explains = (SymptomWeight("slow_convergence", 0.3), SymptomWeight("plateau_no_learning", 0.1))
    settle = T("A longer run (more epochs) would settle it.", "更长的训练（更多轮次）即可确认。")

    def decidable(self, ctx: Context) -> bool:
        return ctx.model is not None and ctx.model.complete and ctx.has_curves

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        accuracy = _train_accuracy(ctx)
        chance = max(ctx.task.chance_levels(), default=0.0)
        if any(ctx.has(s) for s in BROKEN) or first_negative_loss(ctx) is not None:
            return  # something is broken, not merely small
        if ctx.has("overfitting"):
            yield evidence("symptom", "overfits", OVERFITS, OVERFITS_WEIGHT)
            return
        if accuracy is not None and accuracy[1] >= POOR_TRAIN_ACCURACY:
            yield evidence("symptom", "fits_training", FITS_TRAINING, FITS_TRAINING_WEIGHT,
                           metric=accuracy[0], value=round(accuracy[1], 4))
            return
        late = _late_drop(ctx)
        if accuracy is not None and late is not None and late[0] >= STILL_FALLING \
                and accuracy[1] > chance * 1.2:
            drop, start, end, axis = late
            yield evidence("symptom", "poor_and_improving", POOR_AND_IMPROVING, POOR_AND_IMPROVING_WEIGHT,
                           where={"metric": "loss", "start": start, "end": end, "axis": axis},
                           metric=accuracy[0], value=round(accuracy[1], 4), drop_pct=percent(drop),
                           start=start, end=end, axis=axis, axis_zh="轮" if axis == "epoch" else "步")
        model = ctx.model
        trainable = model.params_trainable if model is not None else None
        if trainable is not None and 0 < trainable < TINY_MODEL_PARAMS:
            yield evidence("static", "tiny_model", TINY_MODEL, TINY_MODEL_WEIGHT, params=trainable)

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("grow_model", T("Give the model more capacity or more epochs", "增加模型容量或训练轮数"),
                    "manual", {},
                    "layers.Dense(256, activation=\"relu\"),  # wider layers, one more block\n"
                    "model.fit(x_train, y_train, epochs=50, callbacks=[keras.callbacks.EarlyStopping(patience=5)])")]
