"""``sgd_without_momentum``: plain SGD, momentum 0 (seed 003 §8 "use vanilla SGD sparingly":
it stalls at saddle points and crawls through ravines)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.learning_rate_too_high import OPTIMIZER_SETTLE, optimizer_code, optimizer_of

# Momentum 0.9 is the standard SGD setting (Sutskever et al. 2013; the ResNet/VGG recipes).
SUGGESTED_MOMENTUM = 0.9
# Keras' SGD default momentum is 0.0 (Keras 2 and 3): a config without it means plain SGD.
KERAS_DEFAULT_MOMENTUM = 0.0
PLAIN_SGD_WEIGHT = 0.5
WITH_MOMENTUM_WEIGHT = -0.8
NOT_SGD_WEIGHT = -0.9

PLAIN = T("the optimizer is SGD with momentum={momentum}: plain gradient descent",
          "优化器是 momentum={momentum} 的 SGD：朴素梯度下降")
PLAIN_DEFAULT = T("the optimizer is SGD without a momentum setting (Keras' default 0): plain gradient descent",
                  "优化器是未设置 momentum 的 SGD（Keras 默认 0）：朴素梯度下降")
WITH_MOMENTUM = T("SGD runs with momentum={momentum}{nesterov}", "SGD 使用了 momentum={momentum}{nesterov}")
NOT_SGD = T("the optimizer is {optimizer}, not plain SGD", "优化器是 {optimizer}，不是朴素 SGD")
# Plain SGD crawls; it does not take the loss from 2.9e4 to 1.08 in one epoch and freeze there
# (inputs or a rate that wrecked the weights in the first steps do).
WRECKED_FACTOR = 100.0
WRECKED_WEIGHT = -0.3
WRECKED = T("the loss fell from {first} in the first {axis} to {values} and froze there: weights wrecked in "
            "the first steps, not the slow progress of plain SGD",
            "损失在第一{axis_zh}从 {first} 降到 {values} 后就不再变化：权重在最初几步就被破坏，而不是朴素 SGD 的缓慢进展")


class SgdWithoutMomentum(CauseRule):
    id = "sgd_without_momentum"
    title = T("SGD without momentum", "SGD 没有使用动量")
    explanation = T(
        "Plain SGD moves each weight by the current gradient alone. In long shallow valleys it "
        "zig-zags across the walls and crawls along the floor, and near saddle points, where the "
        "gradient is almost zero, it nearly stops: the loss falls very slowly or plateaus. Momentum "
        "(0.9 is standard) accumulates the steps that keep pointing the same way and damps the ones "
        "that flip, which speeds training up several times; an adaptive optimizer such as Adam does "
        "the same out of the box.",
        "朴素 SGD 只按当前梯度移动每个权重。在狭长平缓的山谷中它会在两壁之间来回振荡、沿谷底缓慢爬行；"
        "在梯度几乎为 0 的鞍点附近几乎停下：损失下降很慢或停滞。动量（标准取 0.9）会累积方向一致的步长、"
        "抑制来回翻转的步长，能把训练加快数倍；Adam 等自适应优化器开箱即有同样的效果。",
    )
    when_not = T(
        "Silent for SGD with momentum > 0 and for other optimizers (Adam, RMSprop ...).",
        "对于 momentum > 0 的 SGD 以及其他优化器（Adam、RMSprop 等）不报告。",
    )
    explains = (SymptomWeight("slow_convergence", 0.4), SymptomWeight("plateau_no_learning", 0.3))
    settle = OPTIMIZER_SETTLE

    def decidable(self, ctx: Context) -> bool:
        return optimizer_of(ctx) is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        optimizer = optimizer_of(ctx)
        if optimizer is None:
            return
        if optimizer.name != "SGD":
            yield evidence("setting", "not_sgd", NOT_SGD, NOT_SGD_WEIGHT, where={"setting": "optimizer"},
                           optimizer=optimizer.name)
            return
        where = {"setting": "optimizer.momentum"}
        for plateau in ctx.symptom("plateau_no_learning"):
            first, settled = plateau.params.get("first"), plateau.params.get("high")
            if isinstance(first, float) and isinstance(settled, float) and 0 < WRECKED_FACTOR * settled < first:
                yield evidence("symptom", "wrecked_in_first_epoch", WRECKED, WRECKED_WEIGHT,
                               where={"symptom": plateau.id, "metric": plateau.metric, "start": plateau.start,
                                      "end": plateau.end},
                               **{k: plateau.params[k] for k in ("first", "values", "axis", "axis_zh")})
                break
        if optimizer.momentum is None:
            yield evidence("setting", "sgd_default_momentum", PLAIN_DEFAULT, PLAIN_SGD_WEIGHT, where=where,
                           momentum=KERAS_DEFAULT_MOMENTUM)
        elif optimizer.momentum <= 0:
            yield evidence("setting", "sgd_zero_momentum", PLAIN, PLAIN_SGD_WEIGHT, where=where,
                           momentum=optimizer.momentum)
        else:
            yield evidence("setting", "sgd_with_momentum", WITH_MOMENTUM, WITH_MOMENTUM_WEIGHT, where=where,
                           momentum=optimizer.momentum, nesterov=", nesterov=True" if optimizer.nesterov else "")

    def fixes(self, ctx: Context) -> list[Fix]:
        optimizer = optimizer_of(ctx)
        rate = optimizer.learning_rate if optimizer is not None and optimizer.learning_rate is not None else 0.01
        return [
            Fix("set_momentum", T("Use momentum {momentum}", "使用动量 {momentum}"), "review",
                {"momentum": SUGGESTED_MOMENTUM}, optimizer_code("SGD", learning_rate=rate, momentum=SUGGESTED_MOMENTUM,
                               note="momentum 0.9 makes steps ~10x longer: lower the rate if the loss oscillates")),
            Fix("switch_optimizer", T("Switch to {optimizer}", "改用 {optimizer}"), "review",
                {"optimizer": "Adam", "learning_rate": 1e-3}, optimizer_code("Adam", learning_rate=1e-3)),
        ]
