"""``vanishing_gradients``: many saturating (sigmoid/tanh) hidden layers in a chain without
normalization or skip connections: the gradient shrinks at each one (seed 000's suspicion)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import LayerSpec, ModelSpec
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.exploding_gradients import (
    RECURRENT_LAYERS, SKIP_CONNECTION_LAYERS, LayerGraph, hidden_layers, is_weight_layer, layer_code, layer_kind,
    normalization_layers,
)
from app.rules.static import layer_where

SATURATING = {"sigmoid", "tanh", "hard_sigmoid", "softsign", "hard_tanh"}
# The sigmoid's slope is at most 0.25: four such layers scale the gradient by 0.25^4 < 0.004
# (Glorot & Bengio 2010 saw deep sigmoid nets stall at 4-5 hidden layers).
MANY_SATURATING = 4
BASE_WEIGHT = 0.45
WEIGHT_PER_EXTRA_LAYER = 0.05
MAX_WEIGHT = 0.75
NORMALIZED_WEIGHT = -0.4  # normalization keeps pre-activations where the slope is large
SKIPPED_WEIGHT = -0.3  # skip connections give the gradient a path around the chain
FEW_WEIGHT = -0.3
NONE_WEIGHT = -0.6

MANY = T(
    "{count} hidden layers use saturating activations ({activations}), from `{first}` on",
    "{count} 个隐藏层使用饱和激活函数（{activations}），从 `{first}` 开始",
)
NORMALIZED = T("the model has {count} normalization layer(s) between them",
               "模型在这些层之间有 {count} 个归一化层")
SKIPPED = T("the model has {count} skip connection(s) ({kinds})", "模型有 {count} 个跳跃连接（{kinds}）")
FEW = T("only {count} hidden layer(s) use sigmoid/tanh", "只有 {count} 个隐藏层使用 sigmoid/tanh")
NONE = T("no hidden layer uses a saturating activation (sigmoid/tanh)", "没有隐藏层使用饱和激活函数（sigmoid/tanh）")


def saturating_layers(model: ModelSpec) -> list[LayerSpec]:
    """Hidden layers that apply sigmoid/tanh: weight layers with the activation built in, or
    activation layers. Gated recurrent layers (LSTM/GRU, tanh by design) do not count."""
    out = []
    for layer in hidden_layers(model):
        if layer.activation not in SATURATING or (is_weight_layer(layer) and not layer.trainable):
            continue
        if layer_kind(layer) in RECURRENT_LAYERS:
            continue
        if is_weight_layer(layer) or layer.class_name == "Activation":
            out.append(layer)
    return out


def kernel_layer_of(graph: LayerGraph, layer: LayerSpec) -> LayerSpec | None:
    """The weight layer whose output this activation applies to (itself for Dense/Conv)."""
    if is_weight_layer(layer):
        return layer
    before = graph.previous(layer)
    return before if before is not None and is_weight_layer(before) else None


class VanishingGradients(CauseRule):
    id = "vanishing_gradients"
    title = T("Vanishing gradients", "梯度消失")
    explanation = T(
        "Each sigmoid or tanh layer multiplies the gradient by its slope on the way back, and the "
        "slope is small wherever the unit saturates (at most 0.25 for sigmoid). Through a chain of "
        "several such layers the gradient reaching the first layers becomes tiny, so they barely "
        "learn: the loss stays flat and accuracy sits at chance, sometimes depending on the random "
        "seed. ReLU-family activations with He initialization, normalization layers, skip "
        "connections or fewer layers keep the gradient alive.",
        "反向传播时每个 sigmoid 或 tanh 层都要把梯度乘以它的斜率，而单元饱和时斜率很小（sigmoid 最大 0.25）。"
        "经过多个这样的层之后，到达前面各层的梯度变得极小，这些层几乎学不到东西：损失停滞，"
        "准确率停在随机水平，有时取决于随机种子。ReLU 系列激活配合 He 初始化、归一化层、"
        "跳跃连接或减少层数都能让梯度保持有效。",
    )
    when_not = T(
        "Silent when fewer than 4 hidden layers use sigmoid/tanh (the output layer and LSTM/GRU "
        "gates do not count); weakened by normalization layers and skip connections.",
        "当使用 sigmoid/tanh 的隐藏层少于 4 个时不报告（输出层和 LSTM/GRU 的门不计入）；"
        "有归一化层或跳跃连接时证据减弱。",
    )
    explains = (SymptomWeight("plateau_no_learning", 0.35), SymptomWeight("stuck_chance_accuracy", 0.3))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from probed.measured(ctx, probed.learn_trial, probed.vanishing)  # the probe's, if it ran
        model = ctx.model
        if model is None or not model.complete or not model.layers:
            return
        saturating = saturating_layers(model)
        count = len(saturating)
        if count == 0:
            yield evidence("static", "no_saturating_layers", NONE, NONE_WEIGHT)
            return
        if count < MANY_SATURATING:
            yield evidence("static", "few_saturating_layers", FEW, FEW_WEIGHT, count=count)
            return
        weight = min(MAX_WEIGHT, BASE_WEIGHT + WEIGHT_PER_EXTRA_LAYER * (count - MANY_SATURATING))
        activations = ", ".join(sorted({layer.activation for layer in saturating if layer.activation}))
        yield evidence("static", "many_saturating_layers", MANY, weight, where=layer_where(saturating[0]),
                       count=count, activations=activations, first=saturating[0].name)
        norms = normalization_layers(model)
        if norms:
            yield evidence("static", "normalized", NORMALIZED, NORMALIZED_WEIGHT, count=len(norms))
        skips = [layer for layer in model.all_layers() if layer.class_name in SKIP_CONNECTION_LAYERS]
        if skips:
            yield evidence("static", "skip_connections", SKIPPED, SKIPPED_WEIGHT, count=len(skips),
                           kinds=", ".join(sorted({layer.class_name for layer in skips})))

    def fixes(self, ctx: Context) -> list[Fix]:
        model = ctx.model
        saturating = saturating_layers(model) if model is not None and model.complete else []
        names = [layer.name for layer in saturating]
        graph = LayerGraph(model) if model is not None else None
        kernels = [k for k in (kernel_layer_of(graph, layer) for layer in saturating) if k is not None] \
            if graph is not None else []
        first = kernels[0] if kernels else None
        code = layer_code(first, activation="relu", kernel_initializer="he_normal") \
            if first is not None and first.units is not None else \
            'Dense(units, activation="relu", kernel_initializer="he_normal")'
        return [
            Fix("set_activation",
                T("Use relu in the hidden layers instead of sigmoid/tanh", "隐藏层改用 relu 代替 sigmoid/tanh"),
                "review", {"activation": "relu", "layers": names}, code),
            Fix("set_initializer",
                T("Initialize those layers with {kernel_initializer}", "用 {kernel_initializer} 初始化这些层"),
                "review", {"kernel_initializer": "he_normal", "layers": [k.name for k in kernels]}, code),
        ]
