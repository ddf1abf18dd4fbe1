"""``activation_on_input``: an activation (typically ReLU) applied straight to the raw input
(seed 001: ``Activation('relu')`` right after the input): every negative feature value is
cut to zero (or squashed) before any weight sees it.

Also holds :func:`entry_layers` and :func:`leading_layers`, which the input rules share.
"""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import ACTIVATION_LAYERS, LayerSpec, ModelSpec
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.static import layer_where

# Activations that zero out negative inputs outright: clearly a mistake on raw features that
# can be negative (standardized data is half negative). Squashing activations keep the order
# of values but saturate; leaky/parametric ones keep the sign (scaled) and lose little.
CUTTING = {"relu", "relu6", "thresholded_relu", "elu", "selu", "gelu", "silu", "swish", "softplus",
           "hard_sigmoid", "exponential", "mish", "softmax"}
SQUASHING = {"sigmoid", "tanh", "hard_tanh", "softsign"}
CUTTING_WEIGHT = 0.75
SQUASHING_WEIGHT = 0.5
LEAKY_WEIGHT = 0.35
UNKNOWN_ACTIVATION_WEIGHT = 0.5  # an Activation layer read from a summary table: which one is not shown
LINEAR = {"linear", None}
DIRECT_WEIGHT = -0.7
MAX_NESTING = 5  # nested models looked into at the input side

ON_INPUT = T(
    "`{layer}` applies {activation} directly to the model input: {effect}",
    "`{layer}` 直接对模型输入施加 {activation}：{effect_zh}",
)
EFFECTS = {
    "cut": ("negative input values become 0 before any weight sees them",
            "负的输入值在任何权重看到之前就变成了 0"),
    "squash": ("large input values saturate before any weight can scale them",
               "较大的输入值在被任何权重缩放之前就已饱和"),
    "leaky": ("negative input values are shrunk before any weight sees them",
              "负的输入值在任何权重看到之前就被缩小了"),
    "unknown": ("the activation is not shown in a summary table; if it is ReLU, negative inputs are lost",
                "summary 表中看不到具体激活函数；若是 ReLU，负的输入会丢失"),
}
DIRECT = T("the input goes straight into `{layer}` ({class_name})",
           "输入直接进入 `{layer}`（{class_name}）")


def entry_layers(model: ModelSpec) -> list[LayerSpec]:
    """The layers fed directly by the model's input(s), InputLayers skipped; a nested model at
    the input side is looked into."""
    layers = list(model.layers)
    for _ in range(MAX_NESTING):
        inputs = {layer.name for layer in layers if layer.class_name == "InputLayer"}
        linked = any(layer.inbound for layer in layers)
        if linked:
            firsts = [layer for layer in layers if layer.class_name != "InputLayer"
                      and (any(name in inputs for name in layer.inbound) or not layer.inbound)]
        else:
            firsts = [next((layer for layer in layers if layer.class_name != "InputLayer"), None)]
            firsts = [layer for layer in firsts if layer is not None]
        if len(firsts) == 1 and firsts[0].sublayers:
            layers = list(firsts[0].sublayers)
            continue
        return firsts
    return []


def leading_layers(model: ModelSpec, limit: int = 6) -> list[LayerSpec]:
    """The first layers in graph order (InputLayers and nested-model containers skipped)."""
    out: list[LayerSpec] = []
    for layer in model.all_layers():
        if layer.class_name == "InputLayer" or layer.sublayers:
            continue
        out.append(layer)
        if len(out) >= limit:
            break
    return out


def input_activation(layer: LayerSpec) -> tuple[str | None, str] | None:
    """(activation, effect) when ``layer`` only applies an activation, else None."""
    if layer.class_name not in ACTIVATION_LAYERS:
        return None
    activation = ACTIVATION_LAYERS[layer.class_name] or layer.activation
    if layer.class_name == "Activation" and activation is None:
        return None, "unknown"
    if activation in LINEAR:
        return None
    if activation in ("leaky_relu", "prelu") or layer.class_name in ("LeakyReLU", "PReLU"):
        return activation, "leaky"
    if activation in SQUASHING:
        return activation, "squash"
    return activation, "cut"


WEIGHTS = {"cut": CUTTING_WEIGHT, "squash": SQUASHING_WEIGHT, "leaky": LEAKY_WEIGHT,
           "unknown": UNKNOWN_ACTIVATION_WEIGHT}


class ActivationOnInput(CauseRule):
    id = "activation_on_input"
    title = T("Activation applied directly to the input", "激活函数直接作用于输入")
    explanation = T(
        "An activation right after the input transforms the raw features before any weight "
        "can scale or shift them. A ReLU there sets every negative value to zero, so "
        "standardized features lose half of their information and the first layer receives "
        "many exact zeros; sigmoid or tanh saturate large values instead. The network has to "
        "work around the loss, learns more slowly, and can break down late in training when its "
        "weights drift. Remove the activation and let the first layer see the raw input.",
        "紧跟在输入后面的激活函数会在任何权重对原始特征进行缩放或平移之前就改变它们。放在这里的 ReLU "
        "会把所有负值置为 0，标准化后的特征因此丢掉一半信息，第一层收到大量精确的 0；sigmoid 或 tanh "
        "则会让较大的值饱和。网络只能绕开这种信息损失，学得更慢，并可能在训练后期权重漂移时突然崩溃。"
        "去掉这个激活，让第一层直接看到原始输入。",
    )
    when_not = T(
        "Silent when the input goes straight into a weight, normalization or pooling layer, or "
        "when the layer after the input is a linear activation.",
        "当输入直接进入权重层、归一化层或池化层，或输入后的激活为线性时不报告。",
    )
    explains = (SymptomWeight("loss_spike", 0.3), SymptomWeight("slow_convergence", 0.2))
    needs = ("model",)

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or not model.layers:
            return
        firsts = entry_layers(model)
        found = False
        for layer in firsts:
            reading = input_activation(layer)
            if reading is None:
                continue
            activation, effect = reading
            found = True
            yield evidence("static", "activation_on_input", ON_INPUT, WEIGHTS[effect], where=layer_where(layer),
                           layer=layer.name, activation=activation or layer.class_name,
                           effect=EFFECTS[effect][0], effect_zh=EFFECTS[effect][1])
        if not found and firsts:
            yield evidence("static", "input_feeds_layer", DIRECT, DIRECT_WEIGHT, where=layer_where(firsts[0]),
                           layer=firsts[0].name, class_name=firsts[0].class_name)

    def fixes(self, ctx: Context) -> list[Fix]:
        names = [layer.name for layer in entry_layers(ctx.model) if input_activation(layer) is not None] \
            if ctx.model is not None else []
        first = names[0] if names else "activation"
        return [Fix("remove_input_activation",
                    T("Remove the activation applied to the input", "去掉作用在输入上的激活函数"),
                    "safe", {"layers": names},
                    f"inputs = keras.Input(shape=input_shape)\n"
                    f"# x = layers.Activation(\"relu\", name=\"{first}\")(inputs)  # removed\n"
                    f"x = inputs")]
