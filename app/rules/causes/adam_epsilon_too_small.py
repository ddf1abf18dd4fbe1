"""``adam_epsilon_too_small``: an Adam-family optimizer with its tiny default epsilon, trained
long enough for the gradients to become tiny (seed 001: Adam, ~1500 good epochs, then the loss
jumps and stays up)."""

from __future__ import annotations

import math
from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.learning_rate_too_high import ADAM_FAMILY, OPTIMIZER_SETTLE, optimizer_code, optimizer_of

# Keras' default epsilon is 1e-7 (TF/Keras 2.x and 3), the Adam paper's 1e-8; anything at or
# below 1e-6 leaves the update m / (sqrt(v) + eps) unbounded once v becomes tiny.
SMALL_EPSILON = 1e-6
KERAS_DEFAULT_EPSILON = 1e-7
# The TensorFlow Adam docstring: "the default value of 1e-7 for epsilon might not be a good
# default in general. For example, when training an Inception network on ImageNet a current
# good choice is 1.0 or 0.1". 1e-4 and up is a deliberate choice.
RAISED_EPSILON = 1e-4
SUGGESTED_EPSILON = 1e-3
# "Long training": seed 001 spiked after ~1500 of 4680 epochs; 500 epochs (or 200,000
# optimizer steps) is where runs get close enough to a minimum for v to collapse.
LONG_TRAINING_EPOCHS = 500
LONG_TRAINING_STEPS = 200_000
# A spike this late counts as "late in training" even in a shorter run (100 epochs; for
# per-step logs 10,000 steps, about 100 epochs of a 100-batch data set).
LATE_SPIKE_EPOCH = 100
LATE_SPIKE_STEP = 10_000

# The default epsilon over a long run is a precondition, not a sign: every long Adam run has
# it. Alone it stays "possible" (corpus: reported at 0.55 on 2 runs without a spike, both
# healthy or of another cause; bench/README.md); the late spike it produces decides.
SMALL_AND_LONG_WEIGHT = 0.35
SMALL_AND_LATE_SPIKE_WEIGHT = 0.25  # below the long-run precondition: a shorter run is weaker evidence
RAISED_WEIGHT = -0.7
NOT_ADAM_WEIGHT = -0.9

SMALL_LONG = T(
    "{optimizer} runs with epsilon={epsilon} for {length} {unit}: once gradients become tiny near a "
    "minimum, the update m/(√v+ε) is no longer bounded",
    "{optimizer} 使用 epsilon={epsilon} 训练了 {length} {unit_zh}：梯度在极小值附近变得很小后，"
    "更新量 m/(√v+ε) 不再有界",
)
SMALL_LATE_SPIKE = T(
    "{optimizer} runs with epsilon={epsilon} and the loss spikes late, at {axis} {start}",
    "{optimizer} 使用 epsilon={epsilon}，并且损失在较晚的第 {start} {axis_zh}突然升高",
)
RAISED = T("{optimizer}'s epsilon is already raised to {epsilon}", "{optimizer} 的 epsilon 已提高到 {epsilon}")
NOT_ADAM = T("the optimizer is {optimizer}, not an Adam-family optimizer", "优化器是 {optimizer}，不属于 Adam 系列")


def training_length(ctx: Context) -> tuple[int, str] | None:
    """(length, "epochs"|"steps") when the run is long, planned or actual; else None."""
    epochs = max(ctx.settings.epochs_planned or 0, ctx.run.epoch_count if ctx.run else 0)
    if epochs >= LONG_TRAINING_EPOCHS:
        return epochs, "epochs"
    steps = ctx.run.step_count if ctx.run else 0
    if ctx.settings.epochs_planned and ctx.settings.steps_per_epoch:
        steps = max(steps, ctx.settings.epochs_planned * ctx.settings.steps_per_epoch)
    if steps >= LONG_TRAINING_STEPS:
        return steps, "steps"
    return None


class AdamEpsilonTooSmall(CauseRule):
    id = "adam_epsilon_too_small"
    title = T("Adam's epsilon too small for a long run", "长时间训练时 Adam 的 epsilon 过小")
    explanation = T(
        "Adam divides each step by the square root of a running average of squared gradients (v) "
        "plus epsilon. After a long stretch of training near a minimum, v for some weights becomes "
        "tiny; with Keras' default epsilon of 1e-7 the division then produces huge steps, and the "
        "loss, after falling for hundreds of epochs, suddenly jumps and settles higher. A larger "
        "epsilon (1e-3 to 1e-2, or even 0.1–1.0 as TensorFlow's docs suggest) caps those steps; "
        "gradient clipping or a decaying rate also help.",
        "Adam 把每一步除以梯度平方滑动平均（v）的平方根加 epsilon。在极小值附近长时间训练后，"
        "某些权重的 v 变得极小；使用 Keras 默认的 epsilon=1e-7 时，这个除法会产生巨大的步长，"
        "于是损失在下降数百轮后突然跳升并停在更高的位置。更大的 epsilon（1e-3 到 1e-2，"
        "或按 TensorFlow 文档建议取 0.1–1.0）可以限制这些步长；梯度裁剪或衰减的学习率也有帮助。",
    )
    when_not = T(
        "Silent for optimizers outside the Adam family (SGD, Adagrad ...), for an epsilon already "
        "raised to 1e-4 or more, and for short runs without a late loss spike.",
        "对于 Adam 系列以外的优化器（SGD、Adagrad 等）、epsilon 已提高到 1e-4 或以上、"
        "以及没有后期损失突增的短训练不报告。",
    )
    explains = (SymptomWeight("loss_spike", 0.5),)
    settle = OPTIMIZER_SETTLE

    def decidable(self, ctx: Context) -> bool:
        return optimizer_of(ctx) is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        optimizer = optimizer_of(ctx)
        if optimizer is None:
            return
        where = {"setting": "optimizer.epsilon"}
        if optimizer.name not in ADAM_FAMILY:
            yield evidence("setting", "not_adam_family", NOT_ADAM, NOT_ADAM_WEIGHT,
                           where={"setting": "optimizer"}, optimizer=optimizer.name)
            return
        epsilon = optimizer.epsilon if optimizer.epsilon is not None else KERAS_DEFAULT_EPSILON
        if not math.isfinite(epsilon):
            return
        if epsilon >= RAISED_EPSILON:
            yield evidence("setting", "epsilon_raised", RAISED, RAISED_WEIGHT, where=where,
                           optimizer=optimizer.name, epsilon=epsilon)
            return
        if epsilon > SMALL_EPSILON:
            return  # between 1e-6 and 1e-4: neither the default nor a deliberate raise
        long = training_length(ctx)
        if long is not None:
            length, unit = long
            yield evidence("setting", "small_epsilon_long_training", SMALL_LONG, SMALL_AND_LONG_WEIGHT,
                           where=where, optimizer=optimizer.name, epsilon=epsilon, length=length,
                           unit=unit, unit_zh="轮" if unit == "epochs" else "步")
            return
        late = [s for s in ctx.symptom("loss_spike")
                if s.start is not None
                and s.start >= (LATE_SPIKE_STEP if s.axis == "step" else LATE_SPIKE_EPOCH)]
        if late:
            spike = late[0]
            yield evidence("setting", "small_epsilon_late_spike", SMALL_LATE_SPIKE,
                           SMALL_AND_LATE_SPIKE_WEIGHT, where=where, optimizer=optimizer.name,
                           epsilon=epsilon, start=spike.start, axis=spike.axis,
                           axis_zh="轮" if spike.axis == "epoch" else "步")

    def fixes(self, ctx: Context) -> list[Fix]:
        optimizer = optimizer_of(ctx)
        name = optimizer.name if optimizer is not None and optimizer.name in ADAM_FAMILY else "Adam"
        settings = {}
        if optimizer is not None and optimizer.learning_rate is not None:
            settings["learning_rate"] = optimizer.learning_rate
        return [
            Fix("set_optimizer_epsilon",
                T("Raise the optimizer's epsilon to {epsilon}", "把优化器的 epsilon 提高到 {epsilon}"),
                "review", {"epsilon": SUGGESTED_EPSILON},
                optimizer_code(name, **settings, epsilon=SUGGESTED_EPSILON)),
            Fix("set_clipnorm",
                T("Clip the gradient norm to {clipnorm}", "把梯度范数裁剪到 {clipnorm}"),
                "review", {"clipnorm": 1.0}, optimizer_code(name, **settings, clipnorm=1.0)),
        ]
