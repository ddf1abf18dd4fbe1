"""Output shapes and parameter counts of Keras layers, worked out from a saved config.

When a model arrives without weights (``model.to_json()``, a ``.keras`` file saved without
``model.weights.h5``), the parameter counts have to come from the config alone. This module
re-does, for the common layer classes, the arithmetic Keras does in each layer's ``build``:
which weights it creates, of what shape, trainable or not, and what shape comes out.

Shapes are tuples with ``None`` for unknown dimensions (the batch dimension is always
``None``). A layer whose output cannot be worked out gets ``None`` and a note saying why:
nothing here guesses. Keras 3 configs help: every built layer records its input shape in
``build_config`` and every Functional connection records the tensor's shape, so one unknown
layer (a Lambda, a custom class) does not stop the layers after it.

Everything works on the parsed JSON only; no Keras code is imported or run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

Shape = tuple  # (None, 28, 28, 1): None for unknown dimensions

# Names of weights that Keras never trains (BatchNormalization statistics and the like).
NON_TRAINABLE_WEIGHT_NAMES = {"moving_mean", "moving_variance", "moving_stddev", "renorm_mean",
                              "renorm_stddev", "renorm_mean_weight", "renorm_stddev_weight"}
# Layers whose every weight is a statistic, never trained.
ALL_NON_TRAINABLE_CLASSES = {"Normalization", "Discretization"}
BATCHNORM_CLASSES = {"BatchNormalization", "SyncBatchNormalization", "BatchNormalizationV1",
                     "BatchNormalizationV2"}
MODEL_CLASSES = {"Sequential", "Functional", "Model"}

# Layers whose output has the shape of their (first) input and that own no weights.
SAME_SHAPE_CLASSES = {
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Activation", "ReLU", "Softmax",
    "LeakyReLU", "ELU", "ThresholdedReLU", "Masking", "Rescaling", "Identity", "UnitNormalization",
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
    "RandomBrightness", "AutoContrast", "Solarization", "RandomGrayscale", "RandomSharpness",
    "Equalization", "RandomColorJitter", "RandomHue", "RandomSaturation", "RandomPosterization",
    "RandomInvert", "RandomGaussianBlur", "RandomShear", "RandomPerspective", "RandomElasticTransform",
    "RandomErasing",
}
ELEMENTWISE_MERGE_CLASSES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}

MAX_DEPTH = 64  # nested models deeper than this are not followed


@dataclass
class Weight:
    """One weight a layer creates: its name, shape and whether training updates it."""

    name: str
    shape: tuple[int, ...]
    trainable: bool = True

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass
class LayerShapes:
    """What inference found for one layer (keyed by its path in :func:`infer_model`)."""

    output_shapes: list[Shape] | None = None  # None: not worked out
    weights: list[Weight] | None = None  # None: unknown (a nested model sums its layers instead)
    notes: list[str] = field(default_factory=list)

    @property
    def output_shape(self) -> Shape | None:
        return self.output_shapes[0] if self.output_shapes else None

    @property
    def params(self) -> tuple[int, int] | None:
        """(total, trainable-if-the-layer-is-trainable), or None when unknown."""
        if self.weights is None:
            return None
        total = sum(w.size for w in self.weights)
        return total, sum(w.size for w in self.weights if w.trainable)


# ---------------------------------------------------------------- small JSON helpers

def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_shape(value: Any) -> Shape | None:
    """A JSON shape (list with ints and nulls) as a tuple; None when it is not one."""
    if isinstance(value, dict) and value.get("class_name") == "__tuple__":
        value = (value.get("config") or {}).get("value")
    if not isinstance(value, (list, tuple)) or len(value) > 16:
        return None
    dims = []
    for item in value:
        if item is None:
            dims.append(None)
            continue
        number = _int(item)
        if number is None or number < 0:
            return None
        dims.append(number)
    return tuple(dims)


def as_ints(value: Any, rank: int) -> tuple[int, ...] | None:
    """``3`` or ``[3, 3]`` as a tuple of ``rank`` ints."""
    number = _int(value)
    if number is not None:
        return (number,) * rank
    if isinstance(value, (list, tuple)) and len(value) == rank:
        values = tuple(_int(v) for v in value)
        if all(v is not None for v in values):
            return values  # type: ignore[return-value]
    return None


def class_of(entry: Any) -> str:
    """The class name of a serialized object, ``""`` when there is none."""
    if isinstance(entry, dict) and isinstance(entry.get("class_name"), str):
        return entry["class_name"]
    return ""


def config_of(entry: Any) -> dict:
    if isinstance(entry, dict) and isinstance(entry.get("config"), dict):
        return entry["config"]
    return {}


def layer_name(entry: Any, default: str = "") -> str:
    config = config_of(entry)
    for value in (config.get("name"), entry.get("name") if isinstance(entry, dict) else None):
        if isinstance(value, str) and value:
            return value
    return default


def is_model_entry(entry: Any) -> bool:
    """A nested model: Sequential/Functional/Model or anything whose config lists layers."""
    return isinstance(entry, dict) and (
        class_of(entry) in MODEL_CLASSES or isinstance(config_of(entry).get("layers"), list)
    ) and isinstance(model_layer_entries(entry), list)


def model_layer_entries(entry: Any) -> list | None:
    """The layer list of a model config (Keras 1/2.0 Sequential stored the list directly)."""
    if not isinstance(entry, dict):
        return None
    config = entry.get("config")
    if isinstance(config, list):
        return config
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        return config["layers"]
    return None


def input_shape_from_config(config: dict) -> Shape | None:
    """The batch shape an InputLayer (or a Keras 2 first layer) declares."""
    for key in ("batch_shape", "batch_input_shape"):
        shape = as_shape(config.get(key))
        if shape is not None:
            return shape
    shape = as_shape(config.get("input_shape"))
    if shape is not None:
        return (None,) + shape
    return None


def build_input_shape(entry: Any) -> Shape | None:
    """The input shape Keras 3 recorded in a layer's ``build_config`` (single input only)."""
    if not isinstance(entry, dict):
        return None
    build = entry.get("build_config")
    if isinstance(build, dict):
        return as_shape(build.get("input_shape"))
    return None


# ---------------------------------------------------------------- Functional connections

@dataclass(frozen=True)
class TensorRef:
    layer: str
    node: int = 0
    index: int = 0


def _keras2_ref(item: Any) -> TensorRef | None:
    if isinstance(item, (list, tuple)) and len(item) >= 3 and isinstance(item[0], str):
        node, index = _int(item[1]), _int(item[2])
        if node is not None and index is not None:
            return TensorRef(item[0], node, index)
    return None


def _keras3_refs(value: Any, out: list, shapes: dict, depth: int = 0) -> None:
    """Collect ``__keras_tensor__`` references (and their recorded shapes) in call args."""
    if depth > 8 or len(out) > 1000:
        return
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            config = config_of(value)
            history = config.get("keras_history")
            ref = _keras2_ref(history)
            if ref is not None:
                out.append(ref)
                shape = as_shape(config.get("shape"))
                if shape is not None:
                    shapes[ref] = shape
            return
        for item in value.values():
            _keras3_refs(item, out, shapes, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _keras3_refs(item, out, shapes, depth + 1)


def node_inputs(node: Any, shapes: dict | None = None) -> list[TensorRef]:
    """The tensors one inbound node feeds to a layer, in call order.

    Keras 2 writes a node as ``[["dense", 0, 0, {}], ...]``; Keras 3 as
    ``{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}],
    "kwargs": {...}}``. Recorded tensor shapes (Keras 3) go into ``shapes``.
    """
    refs: list[TensorRef] = []
    recorded = shapes if shapes is not None else {}
    if isinstance(node, dict):
        _keras3_refs(node.get("args"), refs, recorded)
        _keras3_refs(node.get("kwargs"), refs, recorded)
    elif isinstance(node, list):
        single = _keras2_ref(node)
        if single is not None:
            return [single]
        for item in node[:1000]:
            ref = _keras2_ref(item)
            if ref is not None:
                refs.append(ref)
            elif isinstance(item, dict):
                _keras3_refs(item, refs, recorded)
    return refs


def inbound_nodes(entry: Any) -> list:
    nodes = entry.get("inbound_nodes") if isinstance(entry, dict) else None
    return nodes if isinstance(nodes, list) else []


def tensor_refs(value: Any) -> list[TensorRef]:
    """``input_layers``/``output_layers`` of a Functional config as references.

    Keras 3 writes one tensor as ``["dense", 0, 0]`` and several as a list (or a dict) of
    them; Keras 2 always a list of them.
    """
    single = _keras2_ref(value)
    if single is not None:
        return [single]
    items = list(value.values()) if isinstance(value, dict) else value
    refs = []
    if isinstance(items, list):
        for item in items[:1000]:
            ref = _keras2_ref(item)
            if ref is not None:
                refs.append(ref)
    return refs


# ---------------------------------------------------------------- per-layer arithmetic

def _channels_last(config: dict) -> bool:
    return config.get("data_format", "channels_last") != "channels_first"


def _conv_length(size: int | None, kernel: int, stride: int, padding: str, dilation: int) -> int | None:
    if size is None:
        return None
    effective = kernel + (kernel - 1) * (dilation - 1)
    if padding in ("same", "causal"):
        return -(-size // stride)
    if padding == "full":
        return (size + effective - 2) // stride + 1
    return max(0, (size - effective) // stride + 1)


def _deconv_length(size: int | None, kernel: int, stride: int, padding: str, dilation: int,
                   output_padding: int | None) -> int | None:
    if size is None:
        return None
    effective = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(effective - stride, 0)
        if padding == "full":
            return size * stride - (stride + effective - 2)
        return size * stride
    pad = {"same": effective // 2, "valid": 0, "full": effective - 1}.get(padding, 0)
    return (size - 1) * stride + effective - 2 * pad + output_padding


def _split_channels(shape: Shape, rank: int, config: dict) -> tuple[tuple, Any] | None:
    """(spatial dims, channels) of an input of ``rank`` spatial dimensions."""
    if len(shape) != rank + 2:
        return None
    if _channels_last(config):
        return tuple(shape[1:-1]), shape[-1]
    return tuple(shape[2:]), shape[1]


def _join_channels(spatial: tuple, channels: Any, config: dict) -> Shape:
    if _channels_last(config):
        return (None,) + tuple(spatial) + (channels,)
    return (None, channels) + tuple(spatial)


_CONV_RANK = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3, "Convolution1D": 1, "Convolution2D": 2,
              "Convolution3D": 3}
_DECONV_RANK = {"Conv1DTranspose": 1, "Conv2DTranspose": 2, "Conv3DTranspose": 3,
                "Convolution2DTranspose": 2, "Convolution3DTranspose": 3, "Deconvolution2D": 2}
_DEPTHWISE_RANK = {"DepthwiseConv1D": 1, "DepthwiseConv2D": 2}
_SEPARABLE_RANK = {"SeparableConv1D": 1, "SeparableConv2D": 2, "SeparableConvolution1D": 1,
                   "SeparableConvolution2D": 2}
_POOL_RANK = {"MaxPooling1D": 1, "MaxPooling2D": 2, "MaxPooling3D": 3, "AveragePooling1D": 1,
              "AveragePooling2D": 2, "AveragePooling3D": 3, "MaxPool1D": 1, "MaxPool2D": 2,
              "MaxPool3D": 3, "AvgPool1D": 1, "AvgPool2D": 2, "AvgPool3D": 3}
_GLOBAL_POOL_RANK = {"GlobalMaxPooling1D": 1, "GlobalMaxPooling2D": 2, "GlobalMaxPooling3D": 3,
                     "GlobalAveragePooling1D": 1, "GlobalAveragePooling2D": 2,
                     "GlobalAveragePooling3D": 3, "GlobalMaxPool1D": 1, "GlobalMaxPool2D": 2,
                     "GlobalMaxPool3D": 3, "GlobalAvgPool1D": 1, "GlobalAvgPool2D": 2,
                     "GlobalAvgPool3D": 3}
_PAD_RANK = {"ZeroPadding1D": 1, "ZeroPadding2D": 2, "ZeroPadding3D": 3}
_CROP_RANK = {"Cropping1D": 1, "Cropping2D": 2, "Cropping3D": 3}
_UPSAMPLE_RANK = {"UpSampling1D": 1, "UpSampling2D": 2, "UpSampling3D": 3}

# Layers that own no weights whatever their input.
WEIGHTLESS_CLASSES = (
    {"InputLayer", "Concatenate", "Lambda", "Flatten", "Reshape", "Permute", "RepeatVector",
     "Resizing", "CenterCrop", "RandomCrop"}
    | SAME_SHAPE_CLASSES | ELEMENTWISE_MERGE_CLASSES | set(_POOL_RANK) | set(_GLOBAL_POOL_RANK)
    | set(_PAD_RANK) | set(_CROP_RANK) | set(_UPSAMPLE_RANK)
)
# Every layer class infer_layer knows how to size.
SIZED_CLASSES = (
    {"InputLayer", "Dense", "Embedding", "SimpleRNN", "LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU",
     "Bidirectional", "TimeDistributed", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda",
     "Concatenate", "LayerNormalization", "GroupNormalization", "Normalization", "PReLU",
     "MultiHeadAttention", "Resizing", "CenterCrop", "RandomCrop"}
    | SAME_SHAPE_CLASSES | ELEMENTWISE_MERGE_CLASSES | BATCHNORM_CLASSES | set(_CONV_RANK)
    | set(_DECONV_RANK) | set(_DEPTHWISE_RANK) | set(_SEPARABLE_RANK) | set(_POOL_RANK)
    | set(_GLOBAL_POOL_RANK) | set(_PAD_RANK) | set(_CROP_RANK) | set(_UPSAMPLE_RANK)
)


class _Unknown(Exception):
    """Raised inside the arithmetic when a needed dimension or setting is missing."""


def _need(value: Any, what: str) -> Any:
    if value is None:
        raise _Unknown(what)
    return value


def _bias(config: dict, size: int) -> list[Weight]:
    return [Weight("bias", (size,))] if config.get("use_bias", True) else []


def _dense(config: dict, shape: Shape) -> tuple[list[Shape], list[Weight]]:
    units = _need(_int(config.get("units", config.get("output_dim"))), "units")
    features = _need(shape[-1] if shape else None, "the input's last dimension")
    weights = [Weight("kernel", (features, units))] + _bias(config, units)
    return [tuple(shape[:-1]) + (units,)], weights


def _conv(class_name: str, config: dict, shape: Shape) -> tuple[list[Shape], list[Weight]]:
    if class_name in _CONV_RANK:
        rank = _CONV_RANK[class_name]
    elif class_name in _DECONV_RANK:
        rank = _DECONV_RANK[class_name]
    elif class_name in _DEPTHWISE_RANK:
        rank = _DEPTHWISE_RANK[class_name]
    else:
        rank = _SEPARABLE_RANK[class_name]
    split = _need(_split_channels(shape, rank, config), f"a {rank + 2}-dimensional input")
    spatial, channels = split
    channels = _need(channels, "the number of input channels")
    kernel = _need(as_ints(config.get("kernel_size"), rank), "kernel_size")
    strides = _need(as_ints(config.get("strides", 1), rank), "strides")
    dilation = _need(as_ints(config.get("dilation_rate", 1), rank), "dilation_rate")
    padding = str(config.get("padding", "valid")).lower()
    if class_name in _DECONV_RANK:
        filters = _need(_int(config.get("filters")), "filters")
        output_padding = config.get("output_padding")
        pads = as_ints(output_padding, rank) if output_padding is not None else (None,) * rank
        out = tuple(_deconv_length(n, k, s, padding, d, p)
                    for n, k, s, d, p in zip(spatial, kernel, strides, dilation, pads or (None,) * rank))
        weights = [Weight("kernel", kernel + (filters, channels))] + _bias(config, filters)
        return [_join_channels(out, filters, config)], weights
    out = tuple(_conv_length(n, k, s, padding, d) for n, k, s, d in zip(spatial, kernel, strides, dilation))
    if class_name in _DEPTHWISE_RANK:
        multiplier = _int(config.get("depth_multiplier", 1)) or 1
        weights = [Weight("depthwise_kernel", kernel + (channels, multiplier))]
        weights += _bias(config, channels * multiplier)
        return [_join_channels(out, channels * multiplier, config)], weights
    filters = _need(_int(config.get("filters")), "filters")
    if class_name in _SEPARABLE_RANK:
        multiplier = _int(config.get("depth_multiplier", 1)) or 1
        weights = [Weight("depthwise_kernel", kernel + (channels, multiplier)),
                   Weight("pointwise_kernel", (1,) * rank + (channels * multiplier, filters))]
        return [_join_channels(out, filters, config)], weights + _bias(config, filters)
    groups = _int(config.get("groups", 1)) or 1
    if channels % groups:
        raise _Unknown("input channels divisible by groups")
    weights = [Weight("kernel", kernel + (channels // groups, filters))] + _bias(config, filters)
    return [_join_channels(out, filters, config)], weights


def _pool(class_name: str, config: dict, shape: Shape) -> list[Shape]:
    rank = _POOL_RANK[class_name]
    spatial, channels = _need(_split_channels(shape, rank, config), f"a {rank + 2}-dimensional input")
    pool = _need(as_ints(config.get("pool_size", 2), rank), "pool_size")
    strides = config.get("strides")
    strides = pool if strides is None else _need(as_ints(strides, rank), "strides")
    padding = str(config.get("padding", "valid")).lower()
    out = tuple(_conv_length(n, p, s, padding, 1) for n, p, s in zip(spatial, pool, strides))
    return [_join_channels(out, channels, config)]


def _global_pool(class_name: str, config: dict, shape: Shape) -> list[Shape]:
    rank = _GLOBAL_POOL_RANK[class_name]
    _spatial, channels = _need(_split_channels(shape, rank, config), f"a {rank + 2}-dimensional input")
    if config.get("keepdims"):
        return [_join_channels((1,) * rank, channels, config)]
    return [(None, channels)]


def _pairs(value: Any, rank: int) -> tuple[tuple[int, int], ...] | None:
    """Padding/cropping amounts: ``1``, ``(1, 2)`` or ``((1, 1), (2, 2))`` per dimension."""
    number = _int(value)
    if number is not None:
        return ((number, number),) * rank
    if isinstance(value, (list, tuple)):
        if rank == 1 and len(value) == 2 and all(_int(v) is not None for v in value):
            return ((_int(value[0]), _int(value[1])),)  # type: ignore[return-value]
        if len(value) == rank:
            out = []
            for item in value:
                single = _int(item)
                if single is not None:
                    out.append((single, single))
                elif isinstance(item, (list, tuple)) and len(item) == 2 and all(_int(v) is not None for v in item):
                    out.append((_int(item[0]), _int(item[1])))
                else:
                    return None
            return tuple(out)  # type: ignore[return-value]
    return None


def _pad_crop_shape(class_name: str, config: dict, shape: Shape) -> list[Shape]:
    padding = class_name in _PAD_RANK
    rank = _PAD_RANK[class_name] if padding else _CROP_RANK[class_name]
    key = "padding" if padding else "cropping"
    amounts = _need(_pairs(config.get(key, 1 if padding else 0), rank), key)
    layout = {"data_format": "channels_last"} if rank == 1 else config
    spatial, channels = _need(_split_channels(shape, rank, layout), f"a {rank + 2}-dimensional input")
    sign = 1 if padding else -1
    out = tuple(None if n is None else n + sign * (a + b) for n, (a, b) in zip(spatial, amounts))
    return [_join_channels(out, channels, layout)]


def _upsample(class_name: str, config: dict, shape: Shape) -> list[Shape]:
    rank = _UPSAMPLE_RANK[class_name]
    size = _need(as_ints(config.get("size", 2), rank), "size")
    layout = {"data_format": "channels_last"} if rank == 1 else config
    spatial, channels = _need(_split_channels(shape, rank, layout), f"a {rank + 2}-dimensional input")
    out = tuple(None if n is None else n * s for n, s in zip(spatial, size))
    return [_join_channels(out, channels, layout)]


def _axes(value: Any, rank: int, default: tuple[int, ...] = (-1,)) -> tuple[int, ...]:
    """Normalized (non-negative) axes of a config ``axis`` value."""
    if value is None:
        axes: tuple = default
    elif _int(value) is not None:
        axes = (_int(value),)
    elif isinstance(value, (list, tuple)) and all(_int(v) is not None for v in value):
        axes = tuple(_int(v) for v in value)
    else:
        raise _Unknown("axis")
    out = []
    for axis in axes:
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank:
            raise _Unknown("an axis inside the input's rank")
        out.append(axis)
    return tuple(sorted(set(out)))


def _dims_at(shape: Shape, axes: tuple[int, ...], what: str) -> tuple[int, ...]:
    dims = tuple(shape[a] for a in axes)
    if any(d is None for d in dims):
        raise _Unknown(what)
    return dims  # type: ignore[return-value]


def _batchnorm(config: dict, shape: Shape) -> list[Weight]:
    axes = _axes(config.get("axis", -1), len(shape))
    dims = _dims_at(shape, axes, "the normalized axis size")
    param = (math.prod(dims),) if len(dims) != 1 else dims
    weights = []
    if config.get("scale", True):
        weights.append(Weight("gamma", param))
    if config.get("center", True):
        weights.append(Weight("beta", param))
    weights += [Weight("moving_mean", param, False), Weight("moving_variance", param, False)]
    if config.get("renorm"):
        weights += [Weight("moving_stddev", param, False), Weight("renorm_mean", param, False),
                    Weight("renorm_stddev", param, False)]
    return weights


def _layernorm(config: dict, shape: Shape) -> list[Weight]:
    axes = _axes(config.get("axis", -1), len(shape))
    dims = _dims_at(shape, axes, "the normalized axes' sizes")
    weights = []
    rms = bool(config.get("rms_scaling"))
    if config.get("scale", True) or rms:
        weights.append(Weight("gamma", dims))
    if config.get("center", True) and not rms:
        weights.append(Weight("beta", dims))
    return weights


def _groupnorm(config: dict, shape: Shape) -> list[Weight]:
    axes = _axes(config.get("axis", -1), len(shape))
    dims = _dims_at(shape, axes, "the channel axis size")
    weights = []
    if config.get("scale", True):
        weights.append(Weight("gamma", dims))
    if config.get("center", True):
        weights.append(Weight("beta", dims))
    return weights


def _normalization(config: dict, shape: Shape) -> list[Weight]:
    if config.get("mean") is not None:
        return []  # mean and variance given in the config: constants, not weights
    axis = config.get("axis", -1)
    axes = () if axis is None else _axes(axis, len(shape))
    dims = _dims_at(shape, axes, "the normalized axis size")
    return [Weight("mean", dims, False), Weight("variance", dims, False), Weight("count", (), False)]


def _rnn_weights(class_name: str, config: dict, features: int) -> list[Weight]:
    units = _need(_int(config.get("units")), "units")
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3, "CuDNNLSTM": 4, "CuDNNGRU": 3}[class_name]
    weights = [Weight("kernel", (features, gates * units)),
               Weight("recurrent_kernel", (units, gates * units))]
    if class_name.startswith("CuDNN"):
        return weights + [Weight("bias", (2 * gates * units,))]
    if config.get("use_bias", True):
        if class_name == "GRU" and config.get("reset_after", True):
            weights.append(Weight("bias", (2, gates * units)))
        else:
            weights.append(Weight("bias", (gates * units,)))
    return weights


def _rnn(class_name: str, config: dict, shape: Shape) -> tuple[list[Shape], list[Weight]]:
    if len(shape) != 3:
        raise _Unknown("a (batch, steps, features) input")
    features = _need(shape[2], "the input's feature size")
    weights = _rnn_weights(class_name, config, features)
    units = _int(config.get("units"))
    out = (None, shape[1], units) if config.get("return_sequences") else (None, units)
    outputs = [out]
    if config.get("return_state"):
        states = 2 if "LSTM" in class_name else 1
        outputs += [(None, units)] * states
    return outputs, weights


def _flatten(shape: Shape) -> list[Shape]:
    rest = shape[1:]
    if any(d is None for d in rest):
        return [(None, None)]
    return [(None, math.prod(rest))]


def _reshape(config: dict, shape: Shape) -> list[Shape]:
    raw = config.get("target_shape")
    if isinstance(raw, dict):
        raw = (raw.get("config") or {}).get("value")  # Keras 3 serialized tuple
    if not isinstance(raw, (list, tuple)) or len(raw) > 16:
        raise _Unknown("target_shape")
    dims = [_int(v) for v in raw]
    if any(d is None for d in dims) or dims.count(-1) > 1:
        raise _Unknown("target_shape")
    if -1 in dims:  # the one dimension Keras works out from the total size
        known = math.prod(d for d in dims if d != -1)
        rest = shape[1:]
        if any(d is None for d in rest) or known <= 0:
            return [(None,) + tuple(None if d == -1 else d for d in dims)]
        dims[dims.index(-1)] = math.prod(rest) // known
    return [(None,) + tuple(dims)]


def _merge(class_name: str, config: dict, shapes: list[Shape]) -> list[Shape]:
    if not shapes:
        raise _Unknown("inputs")
    if class_name == "Concatenate":
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise _Unknown("inputs of equal rank")
        axis = _axes(config.get("axis", -1), rank)[0]
        sizes = [s[axis] for s in shapes]
        out = list(shapes[0])
        for i in range(rank):
            if i != axis and out[i] is None:
                out[i] = next((s[i] for s in shapes if s[i] is not None), None)
        out[axis] = None if any(v is None for v in sizes) else sum(sizes)
        return [tuple(out)]
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(1, rank + 1):  # broadcast from the right
        dims = [s[-i] for s in shapes if len(s) >= i]
        known = [d for d in dims if d is not None and d != 1]
        if known:
            out.append(max(known))
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    out.reverse()
    return [tuple(out)]


def _prelu(config: dict, shape: Shape) -> list[Weight]:
    alpha = list(shape[1:])
    shared = config.get("shared_axes") or []
    if _int(shared) is not None:
        shared = [_int(shared)]
    for axis in shared if isinstance(shared, list) else []:
        axis = _int(axis)
        if axis is not None and 1 <= axis <= len(alpha):
            alpha[axis - 1] = 1
    if any(d is None for d in alpha):
        raise _Unknown("the input's size")
    return [Weight("alpha", tuple(alpha))]


def _attention(config: dict, shapes: list[Shape]) -> tuple[list[Shape], list[Weight]]:
    """MultiHeadAttention: query/key/value/output projections (EinsumDense kernels)."""
    if len(shapes) < 2:
        raise _Unknown("query and value inputs")
    query, value = shapes[0], shapes[1]
    key = shapes[2] if len(shapes) > 2 else value
    heads = _need(_int(config.get("num_heads")), "num_heads")
    key_dim = _need(_int(config.get("key_dim")), "key_dim")
    value_dim = _int(config.get("value_dim")) or key_dim
    q, k, v = (_need(s[-1], "the inputs' last dimension") for s in (query, key, value))
    output_shape = config.get("output_shape")
    out_dims = as_shape(output_shape) if isinstance(output_shape, list) else (
        (_int(output_shape),) if _int(output_shape) is not None else (q,))
    if out_dims is None or any(d is None for d in out_dims):
        raise _Unknown("output_shape")
    use_bias = config.get("use_bias", True)
    weights = [Weight("query/kernel", (q, heads, key_dim)), Weight("key/kernel", (k, heads, key_dim)),
               Weight("value/kernel", (v, heads, value_dim)),
               Weight("attention_output/kernel", (heads, value_dim) + tuple(out_dims))]
    if use_bias:
        weights[1:1] = [Weight("query/bias", (heads, key_dim))]
        weights[3:3] = [Weight("key/bias", (heads, key_dim))]
        weights[5:5] = [Weight("value/bias", (heads, value_dim))]
        weights.append(Weight("attention_output/bias", tuple(out_dims)))
    return [tuple(query[:-1]) + tuple(out_dims)], weights


def _inner_entry(config: dict) -> dict | None:
    inner = config.get("layer")
    return inner if isinstance(inner, dict) and class_of(inner) else None


def _bidirectional(config: dict, shape: Shape, depth: int) -> tuple[list[Shape], list[Weight]]:
    forward = _need(_inner_entry(config), "the wrapped layer")
    backward = config.get("backward_layer") if isinstance(config.get("backward_layer"), dict) else forward
    result_f = infer_layer(class_of(forward), config_of(forward), [shape], depth + 1)
    result_b = infer_layer(class_of(backward), config_of(backward), [shape], depth + 1)
    if result_f.weights is None or result_b.weights is None or not result_f.output_shapes:
        raise _Unknown("the wrapped layer's size")
    weights = [Weight("forward_" + w.name, w.shape, w.trainable) for w in result_f.weights]
    weights += [Weight("backward_" + w.name, w.shape, w.trainable) for w in result_b.weights]
    out_f = result_f.output_shapes[0]
    out_b = result_b.output_shapes[0] if result_b.output_shapes else out_f
    mode = config.get("merge_mode", "concat")
    if mode == "concat":
        last = None if out_f[-1] is None or out_b[-1] is None else out_f[-1] + out_b[-1]
        outputs = [tuple(out_f[:-1]) + (last,)]
    elif mode is None:
        outputs = [out_f, out_b]
    else:
        outputs = [out_f]
    return outputs, weights


def _time_distributed(config: dict, shape: Shape, depth: int) -> tuple[list[Shape], list[Weight] | None]:
    inner = _need(_inner_entry(config), "the wrapped layer")
    if len(shape) < 3:
        raise _Unknown("a (batch, steps, ...) input")
    result = infer_layer(class_of(inner), config_of(inner), [(None,) + tuple(shape[2:])], depth + 1)
    if not result.output_shapes:
        raise _Unknown("the wrapped layer's output")
    out = result.output_shapes[0]
    return [(None, shape[1]) + tuple(out[1:])], result.weights


def infer_layer(class_name: str, config: dict, input_shapes: list[Shape | None], depth: int = 0) -> LayerShapes:
    """Output shapes and weights of one (non-model) layer given its input shapes."""
    result = LayerShapes()
    if depth > MAX_DEPTH:
        result.notes.append("nested too deeply to work out")
        return result
    shapes = [s for s in input_shapes if s is not None]
    shape = input_shapes[0] if input_shapes else None
    try:
        if class_name == "InputLayer":
            result.output_shapes = [_need(input_shape_from_config(config), "the input shape")]
            result.weights = []
        elif class_name in SAME_SHAPE_CLASSES:
            result.weights = []
            result.output_shapes = [_need(shape, "the input shape")]
        elif class_name in ELEMENTWISE_MERGE_CLASSES or class_name == "Concatenate":
            result.weights = []
            if len(shapes) != len(input_shapes) or not shapes:
                raise _Unknown("the shapes of all inputs")
            result.output_shapes = _merge(class_name, config, shapes)
        elif class_name == "Lambda":
            result.weights = []
            declared = as_shape(config.get("output_shape"))
            if declared is None:
                raise _Unknown("a declared output_shape (a Lambda's function is never run)")
            result.output_shapes = [(None,) + declared]
        elif class_name == "Bidirectional":
            result.output_shapes, result.weights = _bidirectional(config, _need(shape, "the input shape"), depth)
        elif class_name == "TimeDistributed":
            result.output_shapes, result.weights = _time_distributed(config, _need(shape, "the input shape"), depth)
        elif class_name == "MultiHeadAttention":
            if len(shapes) != len(input_shapes):
                raise _Unknown("the shapes of all inputs")
            result.output_shapes, result.weights = _attention(config, shapes)
        else:
            shape = _need(shape, "the input shape")
            if class_name == "Dense":
                result.output_shapes, result.weights = _dense(config, shape)
            elif class_name in _CONV_RANK or class_name in _DECONV_RANK or class_name in _DEPTHWISE_RANK \
                    or class_name in _SEPARABLE_RANK:
                result.output_shapes, result.weights = _conv(class_name, config, shape)
            elif class_name in BATCHNORM_CLASSES:
                result.weights, result.output_shapes = _batchnorm(config, shape), [shape]
            elif class_name == "LayerNormalization":
                result.weights, result.output_shapes = _layernorm(config, shape), [shape]
            elif class_name == "GroupNormalization":
                result.weights, result.output_shapes = _groupnorm(config, shape), [shape]
            elif class_name == "Normalization":
                result.weights, result.output_shapes = _normalization(config, shape), [shape]
            elif class_name == "PReLU":
                result.weights, result.output_shapes = _prelu(config, shape), [shape]
            elif class_name == "Embedding":
                size = _need(_int(config.get("input_dim")), "input_dim")
                dim = _need(_int(config.get("output_dim")), "output_dim")
                result.weights = [Weight("embeddings", (size, dim))]
                result.output_shapes = [tuple(shape) + (dim,)]
            elif class_name in ("SimpleRNN", "LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU"):
                result.output_shapes, result.weights = _rnn(class_name, config, shape)
            elif class_name == "Flatten":
                result.weights, result.output_shapes = [], _flatten(shape)
            elif class_name == "Reshape":
                result.weights, result.output_shapes = [], _reshape(config, shape)
            elif class_name == "Permute":
                dims = _need(as_ints(config.get("dims"), len(shape) - 1), "dims")
                result.weights = []
                result.output_shapes = [(None,) + tuple(shape[d] for d in dims)]
            elif class_name == "RepeatVector":
                times = _need(_int(config.get("n")), "n")
                result.weights, result.output_shapes = [], [(None, times) + tuple(shape[1:])]
            elif class_name in _POOL_RANK:
                result.weights, result.output_shapes = [], _pool(class_name, config, shape)
            elif class_name in _GLOBAL_POOL_RANK:
                result.weights, result.output_shapes = [], _global_pool(class_name, config, shape)
            elif class_name in _PAD_RANK or class_name in _CROP_RANK:
                result.weights, result.output_shapes = [], _pad_crop_shape(class_name, config, shape)
            elif class_name in _UPSAMPLE_RANK:
                result.weights, result.output_shapes = [], _upsample(class_name, config, shape)
            elif class_name in ("Resizing", "CenterCrop", "RandomCrop"):
                height = _need(_int(config.get("height")), "height")
                width = _need(_int(config.get("width")), "width")
                spatial, channels = _need(_split_channels(shape, 2, config), "a 4-dimensional input")
                result.weights = []
                result.output_shapes = [_join_channels((height, width), channels, config)]
            else:
                result.notes.append(f"parameters and output shape of class {class_name!r} are not "
                                    "known to TrainDoc's shape inference")
    except _Unknown as missing:
        result.notes.append(f"output shape not worked out: needs {missing}")
        # Layers that never own weights still count 0 parameters when their shape is unknown.
        result.weights = [] if class_name in WEIGHTLESS_CLASSES else None
        result.output_shapes = None
    except (TypeError, ValueError, ArithmeticError, IndexError, KeyError, OverflowError) as error:
        result.notes.append(f"output shape not worked out: odd config ({type(error).__name__})")
        result.weights = None
        result.output_shapes = None
    return result


# ---------------------------------------------------------------- whole models

def model_input_shapes(entry: dict) -> list[Shape | None]:
    """The input shapes a model config declares (InputLayers or its first layer)."""
    layers = model_layer_entries(entry) or []
    config = config_of(entry)
    shapes = []
    for layer in layers:
        if class_of(layer) == "InputLayer":
            shapes.append(input_shape_from_config(config_of(layer)))
    if shapes:
        return shapes
    for key in ("build_input_shape",):
        shape = as_shape(config.get(key))
        if shape is not None:
            return [shape]
    shape = build_input_shape(entry)
    if shape is not None:
        return [shape]
    if layers and isinstance(layers[0], dict):
        first = layers[0]
        shape = input_shape_from_config(config_of(first)) or build_input_shape(first)
        if shape is not None:
            return [shape]
    return []


def is_sequential(entry: dict) -> bool:
    config = entry.get("config")
    if isinstance(config, list):
        return True
    return class_of(entry) == "Sequential" or (
        isinstance(config, dict) and "input_layers" not in config and "output_layers" not in config)


def infer_model(entry: dict, given_inputs: list[Shape | None] | None = None, path: str = "",
                depth: int = 0, out: dict[str, LayerShapes] | None = None,
                ) -> tuple[list[Shape | None] | None, dict[str, LayerShapes]]:
    """Shapes and weights of every layer of a model config, keyed by layer path.

    Returns the model's output shapes (None when unknown) and ``{path: LayerShapes}`` with
    paths such as ``"dense"`` and ``"vgg16/block1_conv1"``. A nested model's own entry has
    ``weights=None``: its parameters are the sum of its layers'.
    """
    results: dict[str, LayerShapes] = {} if out is None else out
    layers = model_layer_entries(entry) or []
    prefix = f"{path}/" if path else ""
    declared = model_input_shapes(entry)
    inputs: list[Shape | None] = []
    for i in range(max(len(declared), len(given_inputs or []))):
        own = declared[i] if i < len(declared) else None
        given = given_inputs[i] if given_inputs and i < len(given_inputs) else None
        inputs.append(own if own is not None else given)
    if depth > MAX_DEPTH:
        return None, results
    if is_sequential(entry):
        current = inputs[0] if inputs else None
        for index, layer in enumerate(layers[:100000]):
            if not isinstance(layer, dict):
                continue
            name = layer_name(layer, f"layer_{index}")
            if class_of(layer) == "InputLayer":
                current = input_shape_from_config(config_of(layer)) or current
                continue
            if current is None:
                current = build_input_shape(layer) or input_shape_from_config(config_of(layer))
            outputs = _infer_entry(layer, [current], prefix + name, depth, results)
            current = outputs[0] if outputs else None
        return ([current] if current is not None else None), results
    tensors: dict[TensorRef, Shape] = {}
    recorded: dict[TensorRef, Shape] = {}
    input_refs = tensor_refs(config_of(entry).get("input_layers"))
    for i, ref in enumerate(input_refs):
        if i < len(given_inputs or []) and given_inputs[i] is not None:  # type: ignore[index]
            tensors[TensorRef(ref.layer, 0, ref.index)] = given_inputs[i]  # type: ignore[index]
    for index, layer in enumerate(layers[:100000]):
        if not isinstance(layer, dict):
            continue
        name = layer_name(layer, f"layer_{index}")
        if class_of(layer) == "InputLayer":
            shape = input_shape_from_config(config_of(layer))
            key = TensorRef(name, 0, 0)
            if shape is not None:
                tensors.setdefault(key, shape)
            _infer_entry(layer, [tensors.get(key)], prefix + name, depth, results)
            continue
        nodes = inbound_nodes(layer) or [[]]
        for node_index, node in enumerate(nodes[:1000]):
            refs = node_inputs(node, recorded)
            shapes_in = [tensors.get(ref, tensors.get(TensorRef(ref.layer, 0, ref.index), recorded.get(ref)))
                         for ref in refs]
            if not refs:
                shapes_in = [build_input_shape(layer)]
            elif len(shapes_in) == 1 and shapes_in[0] is None:
                shapes_in = [build_input_shape(layer)]
            outputs = _infer_entry(layer, shapes_in, prefix + name, depth, results,
                                   first_call=node_index == 0)
            for tensor_index, shape in enumerate(outputs or []):
                if shape is not None:
                    tensors[TensorRef(name, node_index, tensor_index)] = shape
    model_outputs = []
    for ref in tensor_refs(config_of(entry).get("output_layers")):
        model_outputs.append(tensors.get(ref, tensors.get(TensorRef(ref.layer, 0, ref.index))))
    return (model_outputs if model_outputs else None), results


def _infer_entry(layer: dict, shapes_in: list[Shape | None], path: str, depth: int,
                 results: dict[str, LayerShapes], first_call: bool = True) -> list[Shape | None] | None:
    """Infer one layer entry (a layer or a nested model); records it on its first call."""
    class_name = class_of(layer)
    if is_model_entry(layer):
        outputs, _ = infer_model(layer, shapes_in, path, depth + 1, results)
        if first_call:
            nested = LayerShapes(output_shapes=list(outputs) if outputs and all(
                s is not None for s in outputs) else None)
            if nested.output_shapes is None:
                nested.notes.append("output shape of the nested model not worked out")
            results[path] = nested
        return outputs
    inference = infer_layer(class_name, config_of(layer), shapes_in, depth)
    if inference.weights is None and all(s is None for s in shapes_in):
        recorded = build_input_shape(layer)
        if recorded is not None:
            inference = infer_layer(class_name, config_of(layer), [recorded], depth)
    if first_call:
        results[path] = inference
    return inference.output_shapes


# ---------------------------------------------------------------- saved weights

def saved_trainable(class_name: str, config: dict, names: list[str | None], shapes: list[tuple]) -> list[bool]:
    """Which saved weights of a layer are trainable (when the layer itself is trainable).

    ``names`` are weight names when the file has them (``.h5``: ``"bn/moving_mean:0"``) or
    ``None`` for positional variables (``.keras``: ``vars/0``, ``vars/1`` ...).
    """
    if class_name in ALL_NON_TRAINABLE_CLASSES:
        return [False] * len(shapes)
    if class_name in ("TimeDistributed", "Bidirectional"):
        inner = _inner_entry(config)
        if inner is not None and class_of(inner) in BATCHNORM_CLASSES | ALL_NON_TRAINABLE_CLASSES:
            return saved_trainable(class_of(inner), config_of(inner), names, shapes)
    flags = []
    positional = 0
    affine = int(bool(config.get("scale", True))) + int(bool(config.get("center", True)))
    for name in names:
        if name is not None:
            base = name.rsplit("/", 1)[-1].split(":", 1)[0]
            flags.append(base not in NON_TRAINABLE_WEIGHT_NAMES)
        elif class_name in BATCHNORM_CLASSES:
            flags.append(positional < affine)  # gamma, beta first; statistics after
            positional += 1
        else:
            flags.append(True)
    return flags

