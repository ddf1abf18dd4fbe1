"""``missing_bias``: ``use_bias=False`` on layers whose output is not normalized right after
(seed 003 §18 "don't forget your biases"). Before BatchNormalization a bias is redundant (its
beta takes the bias's place), anywhere else the layer's planes are forced through the origin."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import PASS_THROUGH_LAYERS, LayerSpec, ModelSpec
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.exploding_gradients import NORMALIZATION_LAYERS, LayerGraph, is_weight_layer, layer_code
from app.rules.static import layer_where

# One layer without a bias is a mild handicap; each further one adds a little, up to MAX.
# MAX stays below 0.615 so that a healthy log (absence piece x0.65) keeps it under the
# reporting threshold: a run that trains fine is not worth a finding about biases.
BASE_WEIGHT = 0.5
WEIGHT_PER_EXTRA_LAYER = 0.05
MAX_WEIGHT = 0.6
# No layer at all has a bias (and none is normalized): the network is positively homogeneous,
# f(a·x) = a·f(x), every decision surface passes through the origin. That is a hard limit on
# what it can learn, worth a finding even when the curves look ordinary (x0.65 keeps 0.455).
ALL_BARE_WEIGHT = 0.7
NORMALIZED_WEIGHT = -0.6
ALL_BIASED_WEIGHT = -0.7
LOOK_THROUGH = 10  # Dropout/Reshape layers looked through to find the normalization

NO_BIAS = T(
    "{count} layer(s) without a bias and not followed by normalization: {layers}",
    "{count} 个层没有偏置，且后面没有归一化层：{layers}",
)
NO_BIAS_ANYWHERE = T(
    "no layer has a bias ({layers}) and none is normalized: the network computes f(a·x) = a·f(x), "
    "so every decision boundary passes through the origin",
    "所有层都没有偏置（{layers}），也没有归一化层：网络满足 f(a·x) = a·f(x)，所有决策边界都经过原点",
)
NORMALIZED = T(
    "the {count} layer(s) with use_bias=False feed a normalization layer, whose offset replaces the bias",
    "{count} 个 use_bias=False 的层后面接了归一化层，其偏移量代替了偏置",
)
ALL_BIASED = T("every trainable weight layer has a bias", "所有可训练权重层都有偏置")


def followed_by_normalization(graph: LayerGraph, layer: LayerSpec) -> bool:
    """Whether every consumer of ``layer`` (looking through Dropout/Reshape) normalizes."""
    frontier = graph.next(layer)
    if not frontier:
        return False
    for _ in range(LOOK_THROUGH):
        if all(item.class_name in NORMALIZATION_LAYERS for item in frontier):
            return True
        if any(item.class_name not in NORMALIZATION_LAYERS | PASS_THROUGH_LAYERS for item in frontier):
            return False
        frontier = [after for item in frontier for after in
                    ([item] if item.class_name in NORMALIZATION_LAYERS else graph.next(item))]
        if not frontier:
            return False
    return False


def biasless_layers(model: ModelSpec) -> tuple[list[LayerSpec], list[LayerSpec]]:
    """(not followed by normalization, followed by normalization) trainable layers with use_bias=False."""
    bare: list[LayerSpec] = []
    normalized: list[LayerSpec] = []
    graph = LayerGraph(model)
    for layer in graph.layers:
        if not is_weight_layer(layer) or not layer.trainable or layer.is_nested_model or layer.use_bias is not False:
            continue
        (normalized if followed_by_normalization(graph, layer) else bare).append(layer)
    return bare, normalized


class MissingBias(CauseRule):
    id = "missing_bias"
    title = T("Layers without a bias", "层缺少偏置")
    explanation = T(
        "A layer with use_bias=False computes only W·x: every unit's decision boundary must pass "
        "through the origin, and the layer cannot shift its outputs. That is fine right before "
        "BatchNormalization or LayerNormalization (their offset does the shifting), but anywhere "
        "else the network has to spend other units to emulate the missing offsets, so it learns "
        "slower and can underfit. Turn the bias back on.",
        "use_bias=False 的层只计算 W·x：每个单元的决策边界都必须经过原点，层的输出无法平移。"
        "如果它后面紧跟 BatchNormalization 或 LayerNormalization（由它们的偏移量完成平移）就没有问题，"
        "但在其他位置，网络只能用别的单元去模拟缺失的偏移，学得更慢，还可能欠拟合。把偏置重新打开即可。",
    )
    when_not = T(
        "Silent when every trainable layer has a bias, or when each layer without one feeds a "
        "normalization layer.",
        "当所有可训练层都有偏置，或每个没有偏置的层后面都接了归一化层时不报告。",
    )
    explains = (SymptomWeight("slow_convergence", 0.3), SymptomWeight("plateau_no_learning", 0.15))
    needs = ("model",)

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or not model.complete:
            return
        if not any(is_weight_layer(layer) and layer.trainable for layer in model.all_layers()):
            return
        bare, normalized = biasless_layers(model)
        weights = [layer for layer in model.all_layers() if is_weight_layer(layer)]
        if bare and len(bare) == len(weights) and not normalized:
            yield evidence("static", "no_bias_anywhere", NO_BIAS_ANYWHERE, ALL_BARE_WEIGHT, where=layer_where(bare[0]),
                           count=len(bare), layers=", ".join(f"`{layer.name}`" for layer in bare[:5])
                           + (" …" if len(bare) > 5 else ""))
        elif bare:
            weight = min(MAX_WEIGHT, BASE_WEIGHT + WEIGHT_PER_EXTRA_LAYER * (len(bare) - 1))
            yield evidence("static", "use_bias_false", NO_BIAS, weight, where=layer_where(bare[0]),
                           count=len(bare), layers=", ".join(f"`{layer.name}`" for layer in bare[:5])
                           + (" …" if len(bare) > 5 else ""))
        elif normalized:
            yield evidence("static", "bias_replaced_by_normalization", NORMALIZED, NORMALIZED_WEIGHT,
                           where=layer_where(normalized[0]), count=len(normalized))
        else:
            yield evidence("static", "all_layers_biased", ALL_BIASED, ALL_BIASED_WEIGHT)

    def fixes(self, ctx: Context) -> list[Fix]:
        bare = biasless_layers(ctx.model)[0] if ctx.model is not None else []
        code = layer_code(bare[0], use_bias=True) if bare and bare[0].units is not None else "Dense(units, use_bias=True)"
        return [Fix("enable_bias", T("Turn the bias back on (use_bias=True)", "重新启用偏置（use_bias=True）"),
                    "safe", {"use_bias": True, "layers": [layer.name for layer in bare]}, code)]
