"""``dead_relu``: ReLU units pushed into the region where they output 0 for every input, so
they get no gradient and never come back (negative bias at the start, or one huge update)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import LayerSpec, ModelSpec
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.exploding_gradients import (
    LayerGraph, constant_value, hidden_layers, is_weight_layer, layer_code,
)
from app.rules.causes.learning_rate_too_high import optimizer_code, rate_reading, sig, times
from app.rules.static import layer_where

# Activations that output exactly 0 for all negative inputs (leaky_relu/elu/selu do not).
DYING = {"relu", "relu6", "thresholded_relu"}
# A bias this negative at the start keeps a unit silent for every input whose weighted sum is
# smaller than |bias|; Glorot/He pre-activations have a standard deviation of about 1.
NEGATIVE_BIAS = -0.1
STRONG_NEGATIVE_BIAS = -0.5
NEGATIVE_BIAS_WEIGHT = 0.55
STRONG_NEGATIVE_BIAS_WEIGHT = 0.75
# A rate 10x above the optimizer's usual range can push all pre-activations negative in one step.
HIGH_RATE_FACTOR = 10.0
HIGH_RATE_WEIGHT = 0.4
NO_RELU_WEIGHT = -0.8
HEALTHY_START_WEIGHT = -0.3

NEGATIVE_BIAS_TEXT = T(
    "ReLU layer `{layer}` starts with every bias at {bias}: units whose weighted input stays below "
    "{threshold} output 0 and get no gradient",
    "ReLU 层 `{layer}` 的偏置全部初始化为 {bias}：加权输入低于 {threshold} 的单元输出为 0，得不到梯度",
)
HIGH_RATE = T(
    "the learning rate {rate} is {factor}× the top of {optimizer}'s usual range and the ReLU "
    "network stopped learning: one large update can silence ReLU units for good",
    "学习率 {rate} 是 {optimizer} 常用范围上限的 {factor} 倍，且 ReLU 网络停止了学习："
    "一次过大的更新就可能让 ReLU 单元永久沉默",
)
NO_RELU = T("no hidden layer uses ReLU (leaky_relu, elu and the like never output a flat 0)",
            "没有隐藏层使用 ReLU（leaky_relu、elu 等不会输出恒定的 0）")
HEALTHY_START = T("the {count} ReLU layer(s) start with zero or positive biases",
                  "{count} 个 ReLU 层的偏置初始化为 0 或正数")


def relu_layers(model: ModelSpec) -> list[LayerSpec]:
    """Hidden weight layers whose output goes through a dying activation (built in, or in the
    activation layer right after them)."""
    out = []
    graph = LayerGraph(model)
    for layer in hidden_layers(model):
        if not is_weight_layer(layer) or not layer.trainable or layer.is_nested_model:
            continue
        if layer.activation in DYING:
            out.append(layer)
        elif layer.activation in (None, "linear") and any(
                following.activation in DYING and following.units is None for following in graph.next(layer)):
            out.append(layer)
    return out


class DeadRelu(CauseRule):
    id = "dead_relu"
    title = T("Dead ReLU units", "ReLU 单元死亡")
    explanation = T(
        "A ReLU outputs 0 for every negative input and then passes no gradient back. If a unit's "
        "weighted input is negative for all samples — because its bias starts strongly negative, or "
        "because one large update (a high learning rate) pushed it there — it outputs 0 forever and "
        "can never recover. When many units die the network stops learning: the loss goes flat and "
        "accuracy falls to chance. LeakyReLU/ELU keep a small gradient for negative inputs; He "
        "initialization, zero biases and a lower rate prevent the units from dying.",
        "ReLU 对所有负输入都输出 0，并且不回传梯度。如果某个单元对所有样本的加权输入都是负的——"
        "因为偏置一开始就是较大的负数，或一次过大的更新（学习率过高）把它推到了那里——它就永远输出 0，"
        "再也无法恢复。大量单元死亡后网络停止学习：损失不变，准确率降到随机水平。"
        "LeakyReLU/ELU 对负输入保留小的梯度；He 初始化、零偏置和更低的学习率可以防止单元死亡。",
    )
    when_not = T(
        "Silent when no hidden layer uses relu, and when the ReLU layers start with zero or positive "
        "biases and the learning rate is not far above the optimizer's usual range.",
        "当没有隐藏层使用 relu，或 ReLU 层的偏置初始为 0 或正数且学习率没有远超优化器常用范围时不报告。",
    )
    explains = (SymptomWeight("plateau_no_learning", 0.35), SymptomWeight("stuck_chance_accuracy", 0.3))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from probed.measured(ctx, probed.learn_trial, probed.dead_units)  # the probe's, if it ran
        model = ctx.model
        if model is None or not model.complete or not model.layers:
            return
        layers = relu_layers(model)
        if not layers:
            yield evidence("static", "no_relu", NO_RELU, NO_RELU_WEIGHT)
            return
        found = False
        negative = [(layer, bias) for layer in layers
                    if (bias := constant_value(layer, "bias_initializer")) is not None and bias <= NEGATIVE_BIAS
                    and layer.use_bias is not False]
        if negative:
            layer, bias = min(negative, key=lambda item: item[1])
            weight = STRONG_NEGATIVE_BIAS_WEIGHT if bias <= STRONG_NEGATIVE_BIAS else NEGATIVE_BIAS_WEIGHT
            yield evidence("static", "negative_bias", NEGATIVE_BIAS_TEXT, weight, where=layer_where(layer),
                           layer=layer.name, bias=bias, threshold=-bias)
            found = True
        reading = rate_reading(ctx)
        stopped = ctx.has("plateau_no_learning") or ctx.has("stuck_chance_accuracy")
        if reading is not None and reading.known_optimizer and stopped:
            high = reading.usual_range[1]
            if reading.rate >= HIGH_RATE_FACTOR * high:
                yield evidence("setting", "high_rate_with_relu", HIGH_RATE, HIGH_RATE_WEIGHT, where=reading.where,
                               source=reading.source, factor=times(reading.rate / high), **reading.params())
                found = True
        if not found:
            yield evidence("static", "relu_starts_healthy", HEALTHY_START, HEALTHY_START_WEIGHT, count=len(layers))

    def fixes(self, ctx: Context) -> list[Fix]:
        model = ctx.model
        layers = relu_layers(model) if model is not None and model.complete else []
        first = layers[0] if layers else None
        names = [layer.name for layer in layers]

        def code(**changes: str) -> str:
            if first is not None and first.units is not None:
                return layer_code(first, **changes)
            return "Dense(units, " + ", ".join(f'{k}="{v}"' for k, v in changes.items()) + ")"

        fixes = [
            Fix("set_activation", T("Use leaky_relu instead of relu", "用 leaky_relu 代替 relu"), "review",
                {"activation": "leaky_relu", "layers": names}, code(activation="leaky_relu")),
            Fix("set_initializer",
                T("Initialize with he_normal and zero biases", "用 he_normal 初始化权重，偏置初始化为 0"), "review",
                {"kernel_initializer": "he_normal", "bias_initializer": "zeros", "layers": names},
                code(kernel_initializer="he_normal", bias_initializer="zeros")),
        ]
        reading = rate_reading(ctx)
        if reading is not None and reading.rate > reading.usual_range[1]:
            new = sig(reading.rate * 0.1)
            fixes.append(Fix("set_learning_rate",
                             T("Lower the learning rate from {old} to {learning_rate}", "把学习率从 {old} 降到 {learning_rate}"),
                             "review", {"learning_rate": new, "old": reading.rate},
                             optimizer_code(reading.optimizer, learning_rate=new)))
        return fixes
