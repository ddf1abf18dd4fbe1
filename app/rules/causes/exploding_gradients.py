"""``exploding_gradients``: gradients that grow layer by layer (or step by step in recurrent
layers) until an update throws the weights far off (seeds 004, 003 §9).

Also holds the model-structure helpers the other optimization rules share: which layers
carry weights, which normalize, which are recurrent, what feeds what.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import ACTIVATION_LAYERS, PASS_THROUGH_LAYERS, LayerSpec, ModelSpec
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.learning_rate_too_high import optimizer_code
from app.rules.static import layer_call, layer_where

RECURRENT_LAYERS = {"SimpleRNN", "LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU", "ConvLSTM1D", "ConvLSTM2D",
                    "ConvLSTM3D", "RNN"}
# Layers with a trainable kernel (Keras 1 spellings included).
WEIGHT_LAYERS = {"Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose",
                 "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D",
                 "DepthwiseConv1D", "DepthwiseConv2D", "LocallyConnected1D", "LocallyConnected2D",
                 "Convolution1D", "Convolution2D", "Convolution3D"} | RECURRENT_LAYERS
WRAPPERS = {"Bidirectional", "TimeDistributed"}
NORMALIZATION_LAYERS = {"BatchNormalization", "SyncBatchNormalization", "LayerNormalization",
                        "GroupNormalization", "UnitNormalization", "RMSNormalization"}
SKIP_CONNECTION_LAYERS = {"Add", "Concatenate", "Average"}

# He et al. (2016) train 20+ plain layers only with BatchNormalization; below ~8 weight layers
# plain stacks with Glorot/He initialization train without it.
DEEP_STACK = 8
DEEP_STACK_WEIGHT = 0.3
DEEP_STACK_WEIGHT_PER_4 = 0.05  # deeper is worse, up to DEEP_STACK_MAX_WEIGHT
DEEP_STACK_MAX_WEIGHT = 0.45
# A plain tanh RNN multiplies by the recurrent matrix at every time step (Pascanu et al.
# 2013); LSTM/GRU gates temper it but do not prevent it. These are risks, not faults: alone
# (deep + SimpleRNN: 0.58) they stay under the threshold once a healthy log weakens them.
SIMPLE_RNN_WEIGHT = 0.4
GATED_RNN_WEIGHT = 0.25
RNN_CLIPPING_UNKNOWN_WEIGHT = 0.15
# A normal or uniform initializer with a standard deviation of 1 or more: Glorot/He give
# sqrt(2 / fan_in), about 0.1 for 200 inputs, so activations grow ~10x per layer.
LARGE_INIT_STDDEV = 1.0
LARGE_INIT_WEIGHT = 0.5
CLIPPED_WEIGHT = -0.6
NOTHING_FOUND_WEIGHT = -0.5
SUGGESTED_CLIPNORM = 1.0


# ---------------------------------------------------------------- shared structure helpers

def layer_kind(layer: LayerSpec) -> str:
    """The class that does the work: a wrapper's wrapped layer, else the layer's own class."""
    if layer.class_name in WRAPPERS:
        inner = layer.config.get("layer")
        if isinstance(inner, dict) and isinstance(inner.get("class_name"), str):
            return inner["class_name"].rsplit(">", 1)[-1]
    return layer.class_name


def layer_settings(layer: LayerSpec) -> dict:
    """The raw config that holds the layer's initializers (a wrapper's inner layer's)."""
    if layer.class_name in WRAPPERS:
        inner = layer.config.get("layer")
        if isinstance(inner, dict) and isinstance(inner.get("config"), dict):
            return inner["config"]
    return layer.config


def is_weight_layer(layer: LayerSpec) -> bool:
    return layer_kind(layer) in WEIGHT_LAYERS


def weight_layers(model: ModelSpec, trainable_only: bool = True) -> list[LayerSpec]:
    """Layers with a kernel, nested ones included; frozen ones only when asked."""
    return [layer for layer in model.all_layers()
            if is_weight_layer(layer) and not layer.is_nested_model and (layer.trainable or not trainable_only)]


def normalization_layers(model: ModelSpec) -> list[LayerSpec]:
    return [layer for layer in model.all_layers() if layer.class_name in NORMALIZATION_LAYERS]


class LayerGraph:
    """What feeds what, indexed once per model: from inbound links (functional models), or
    from list order when no layer has any (Sequential stacks)."""

    def __init__(self, model: ModelSpec) -> None:
        self.layers = model.all_layers()
        self.linked = any(layer.inbound for layer in self.layers)
        self._by_name: dict[str, LayerSpec] = {}
        self._position = {id(layer): i for i, layer in enumerate(self.layers)}
        self._consumers: dict[str, list[LayerSpec]] = {}
        for layer in self.layers:
            self._by_name.setdefault(layer.name, layer)
            for name in layer.inbound:
                self._consumers.setdefault(name, []).append(layer)

    def next(self, layer: LayerSpec) -> list[LayerSpec]:
        """Layers fed by ``layer``."""
        if self.linked:
            return [other for other in self._consumers.get(layer.name, []) if other is not layer]
        index = self._position.get(id(layer), -1)
        return [self.layers[index + 1]] if 0 <= index < len(self.layers) - 1 else []

    def previous(self, layer: LayerSpec) -> LayerSpec | None:
        """The layer feeding ``layer`` (its first input)."""
        if layer.inbound:
            return self._by_name.get(layer.inbound[0])
        if self.linked:
            return None
        index = self._position.get(id(layer), -1)
        return self.layers[index - 1] if index > 0 else None


def output_side(model: ModelSpec) -> set[int]:
    """Ids of the layers that produce the outputs: from each output back to its weight layer."""
    names = model.output_names or ([model.layers[-1].name] if model.layers else [])
    by_name = {layer.name: layer for layer in model.layers}
    graph = LayerGraph(model)
    out: set[int] = set()
    for name in names:
        layer = by_name.get(name)
        for _ in range(50):  # bounded: Activation/Dropout chains are short
            if layer is None or id(layer) in out:
                break
            out.add(id(layer))
            if is_weight_layer(layer) or layer.is_nested_model:
                break
            if layer.class_name not in ACTIVATION_LAYERS and layer.class_name not in PASS_THROUGH_LAYERS:
                break
            layer = graph.previous(layer)
    return out


def hidden_layers(model: ModelSpec) -> list[LayerSpec]:
    """Every layer except the ones producing the outputs (nested ones included)."""
    outputs = output_side(model)
    return [layer for layer in model.all_layers() if id(layer) not in outputs]


def layer_code(layer: LayerSpec, **changes) -> str:
    """The layer as code with ``changes`` applied, kernel size included for convolutions."""
    code = layer_call(layer, **changes)
    if layer.kernel_size and layer.units is not None:
        size = layer.kernel_size[0] if len(layer.kernel_size) == 1 else layer.kernel_size
        head = f"{layer.class_name}({layer.units}"
        code = code.replace(head, f"{head}, {size}", 1)
    return code


# Keras defaults of the initializers whose scale is in their config (keras.initializers).
_NORMAL_INITIALIZERS = {"RandomNormal": 0.05, "TruncatedNormal": 0.05, "Normal": 0.05}
_UNIFORM_INITIALIZERS = {"RandomUniform": 0.05, "Uniform": 0.05}
# Initializers that give every unit of a layer the same weights.
CONSTANT_INITIALIZERS = {"Zeros": 0.0, "Ones": 1.0, "Constant": 0.0, "Zero": 0.0, "One": 1.0}


def initializer_config(layer: LayerSpec, key: str) -> dict[str, Any]:
    """The raw config of one initializer of ``layer`` (``{}`` for one given by name)."""
    settings = layer_settings(layer)
    raw = settings.get(key)
    if raw is None and key == "kernel_initializer":
        raw = settings.get("depthwise_initializer")
    if isinstance(raw, dict) and isinstance(raw.get("config"), dict):
        return raw["config"]
    return {}


def initializer_class(layer: LayerSpec, key: str) -> str | None:
    return layer.kernel_initializer if key == "kernel_initializer" else layer.bias_initializer


def initializer_stddev(layer: LayerSpec, key: str = "kernel_initializer") -> float | None:
    """Standard deviation of a normal/uniform initializer's draws; None for other kinds."""
    name = initializer_class(layer, key)
    config = initializer_config(layer, key)
    if name in _NORMAL_INITIALIZERS:
        value = config.get("stddev", _NORMAL_INITIALIZERS[name])
        return abs(float(value)) if _is_number(value) else None
    if name in _UNIFORM_INITIALIZERS:
        default = _UNIFORM_INITIALIZERS[name]
        low, high = config.get("minval", -default), config.get("maxval", default)
        if not (_is_number(low) and _is_number(high)):
            return None
        # A uniform draw on [a, b] around 0 has standard deviation (b - a) / sqrt(12).
        return abs(float(high) - float(low)) / math.sqrt(12.0)
    return None


def constant_value(layer: LayerSpec, key: str) -> float | None:
    """The value every weight starts at for Zeros/Ones/Constant initializers, else None."""
    name = initializer_class(layer, key)
    if name not in CONSTANT_INITIALIZERS:
        return None
    value = initializer_config(layer, key).get("value", CONSTANT_INITIALIZERS[name])
    if isinstance(value, list) and value and all(_is_number(v) for v in value):
        value = min(value)  # a per-unit constant: its most negative entry
    return float(value) if _is_number(value) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def clipping_of(model: ModelSpec) -> str | None:
    """``"clipnorm=1.0"`` when the optimizer clips gradients, else None."""
    optimizer = model.optimizer
    if optimizer is None:
        return None
    for key in ("clipnorm", "global_clipnorm", "clipvalue"):
        value = getattr(optimizer, key)
        if value is not None and value > 0:
            return f"{key}={value:g}"
    return None


# ---------------------------------------------------------------- the rule

DEEP = T(
    "{depth} trainable weight layers are stacked without any normalization layer",
    "{depth} 个可训练权重层堆叠在一起，中间没有任何归一化层",
)
RECURRENT = T(
    "recurrent layer `{layer}` ({rnn}) is trained without gradient clipping",
    "循环层 `{layer}`（{rnn}）在没有梯度裁剪的情况下训练",
)
RECURRENT_UNKNOWN = T(
    "recurrent layer `{layer}` ({rnn}); whether the optimizer clips gradients is not known",
    "循环层 `{layer}`（{rnn}）；不知道优化器是否裁剪梯度",
)
LARGE_INIT = T(
    "`{layer}` starts from {initializer} with standard deviation {stddev}: activations and "
    "gradients grow at every layer",
    "`{layer}` 使用标准差为 {stddev} 的 {initializer} 初始化：激活值和梯度逐层放大",
)
CLIPPED = T("the optimizer clips gradients ({clipping})", "优化器已裁剪梯度（{clipping}）")
NOTHING = T(
    "{depth} trainable weight layer(s), no recurrent layer, moderate initializers{normalized}",
    "{depth} 个可训练权重层，没有循环层，初始化尺度适中{normalized_zh}",
)


class ExplodingGradients(CauseRule):
    id = "exploding_gradients"
    title = T("Exploding gradients", "梯度爆炸")
    explanation = T(
        "Backpropagation multiplies gradients by each layer's weights on the way down; in deep "
        "stacks without normalization, in recurrent layers (once per time step) and with large "
        "initial weights these products can grow exponentially. One huge update then throws the "
        "weights far off: the loss spikes, or turns inf/NaN. Clipping the gradient norm (clipnorm=1.0) "
        "bounds every update; normalization layers, a lower rate and Glorot/He initialization remove the growth.",
        "反向传播时梯度要逐层乘以各层的权重；在没有归一化的深层网络中、循环层中（每个时间步乘一次）"
        "以及初始权重过大时，这些乘积会指数式增长。一次巨大的更新就会把权重甩得很远："
        "损失突然飙升，或变成 inf/NaN。裁剪梯度范数（clipnorm=1.0）可以限制每次更新；"
        "归一化层、更低的学习率和 Glorot/He 初始化可以消除这种增长。",
    )
    when_not = T(
        "Silent for shallow or normalized models without recurrent layers and with moderate "
        "initializers, and weakened when the optimizer clips gradients.",
        "对于较浅或带归一化层、没有循环层且初始化尺度适中的模型不报告；优化器已裁剪梯度时证据减弱。",
    )
    explains = (SymptomWeight("nan_loss", 0.4), SymptomWeight("loss_spike", 0.35), SymptomWeight("loss_diverges", 0.3))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from probed.measured(ctx, probed.exploding, probed.nonfinite_weights)  # the probe's, if it ran
        model = ctx.model
        if model is None or not model.complete:
            return
        layers = weight_layers(model)
        if not layers:
            return
        normalized = bool(normalization_layers(model))
        clipping = clipping_of(model)
        found = False
        depth = len(layers)
        if depth >= DEEP_STACK and not normalized:
            weight = min(DEEP_STACK_MAX_WEIGHT, DEEP_STACK_WEIGHT + DEEP_STACK_WEIGHT_PER_4 * ((depth - DEEP_STACK) // 4))
            yield evidence("static", "deep_stack_without_normalization", DEEP, weight, depth=depth)
            found = True
        recurrent = [layer for layer in layers if layer_kind(layer) in RECURRENT_LAYERS]
        if recurrent and clipping is None:
            plain = [layer for layer in recurrent if layer_kind(layer) == "SimpleRNN"]
            layer = (plain or recurrent)[0]
            if model.optimizer is None:
                yield evidence("static", "recurrent_clipping_unknown", RECURRENT_UNKNOWN,
                               RNN_CLIPPING_UNKNOWN_WEIGHT, where=layer_where(layer), layer=layer.name,
                               rnn=layer_kind(layer))
            else:
                yield evidence("static", "recurrent_without_clipping", RECURRENT,
                               SIMPLE_RNN_WEIGHT if plain else GATED_RNN_WEIGHT, where=layer_where(layer),
                               layer=layer.name, rnn=layer_kind(layer))
            found = True
        for layer in layers:
            stddev = initializer_stddev(layer)
            if stddev is not None and stddev >= LARGE_INIT_STDDEV:
                yield evidence("static", "large_initializer", LARGE_INIT, LARGE_INIT_WEIGHT,
                               where=layer_where(layer), layer=layer.name,
                               initializer=layer.kernel_initializer, stddev=stddev)
                found = True
                break
        if clipping is not None:
            yield evidence("setting", "gradients_clipped", CLIPPED, CLIPPED_WEIGHT,
                           where={"setting": "optimizer." + clipping.split("=")[0]}, clipping=clipping)
        elif not found:
            yield evidence("static", "nothing_explodes", NOTHING, NOTHING_FOUND_WEIGHT, depth=depth,
                           normalized=", normalization layers" if normalized else "",
                           normalized_zh="，有归一化层" if normalized else "")

    def fixes(self, ctx: Context) -> list[Fix]:
        model = ctx.model
        optimizer = model.optimizer if model is not None else None
        settings = {}
        if optimizer is not None and optimizer.learning_rate is not None:
            settings["learning_rate"] = optimizer.learning_rate
        fixes = [Fix("set_clipnorm", T("Clip the gradient norm to {clipnorm}", "把梯度范数裁剪到 {clipnorm}"),
                     "safe", {"clipnorm": SUGGESTED_CLIPNORM},
                     optimizer_code(optimizer.name if optimizer else "Adam", **settings, clipnorm=SUGGESTED_CLIPNORM))]
        if model is not None and len(weight_layers(model)) >= DEEP_STACK and not normalization_layers(model):
            fixes.append(Fix(
                "insert_normalization",
                T("Insert BatchNormalization after the hidden weight layers", "在隐藏权重层之后插入 BatchNormalization"),
                "review", {"layer": "BatchNormalization", "after": [layer.name for layer in hidden_layers(model)
                                                                    if is_weight_layer(layer) and layer.trainable]},
                'x = Dense(units)(x)\nx = BatchNormalization()(x)\nx = Activation("relu")(x)'))
        return fixes
