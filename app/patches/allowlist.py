"""Is a Keras config safe to rebuild? An allowlist check on plain JSON, run before the
worker ever hands a config to Keras.

Crafted ``.keras`` configs execute code even with ``safe_mode=True`` (CVE-2025-1550,
CVE-2025-8747, CVE-2025-9906) by naming arbitrary modules and functions, and ``.h5`` files
ignore ``safe_mode`` for Lambda layers (CVE-2025-9905). TrainDoc therefore rebuilds a patched
model only from a config whose every object is one of Keras' own layers, initializers,
regularizers, constraints, optimizers, schedules, losses and metrics, with plain-data
arguments. Everything else is refused with a reason naming the config path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

# Keras' own layers that a rebuilt model may contain (Keras 3 names; Keras 2 spellings too).
LAYERS = frozenset("""
InputLayer Input Dense EinsumDense Embedding Masking Identity
Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose Conv3DTranspose DepthwiseConv1D
DepthwiseConv2D SeparableConv1D SeparableConv2D Convolution1D Convolution2D Convolution3D
MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D
MaxPool1D MaxPool2D MaxPool3D AvgPool1D AvgPool2D AvgPool3D
GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GlobalAveragePooling1D
GlobalAveragePooling2D GlobalAveragePooling3D GlobalMaxPool1D GlobalMaxPool2D GlobalMaxPool3D
GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D
BatchNormalization LayerNormalization GroupNormalization UnitNormalization
SpectralNormalization Normalization Rescaling CenterCrop Resizing Discretization
Dropout SpatialDropout1D SpatialDropout2D SpatialDropout3D GaussianDropout GaussianNoise
AlphaDropout ActivityRegularization
Activation ReLU Softmax LeakyReLU PReLU ELU ThresholdedReLU
Flatten Reshape Permute RepeatVector Cropping1D Cropping2D Cropping3D
ZeroPadding1D ZeroPadding2D ZeroPadding3D UpSampling1D UpSampling2D UpSampling3D
Add Subtract Multiply Average Maximum Minimum Concatenate Dot
SimpleRNN LSTM GRU Bidirectional TimeDistributed ConvLSTM1D ConvLSTM2D ConvLSTM3D
SimpleRNNCell LSTMCell GRUCell StackedRNNCells RNN
MultiHeadAttention Attention AdditiveAttention
Sequential Functional Model
""".split())

INITIALIZERS = frozenset("""
Zeros Ones Constant RandomNormal RandomUniform TruncatedNormal VarianceScaling Orthogonal
Identity GlorotNormal GlorotUniform HeNormal HeUniform LecunNormal LecunUniform
zeros ones constant random_normal random_uniform truncated_normal variance_scaling orthogonal
identity glorot_normal glorot_uniform he_normal he_uniform lecun_normal lecun_uniform
""".split())
REGULARIZERS = frozenset("L1 L2 L1L2 OrthogonalRegularizer l1 l2 l1_l2".split())
CONSTRAINTS = frozenset("MaxNorm MinMaxNorm NonNeg UnitNorm max_norm min_max_norm non_neg unit_norm".split())
OPTIMIZERS = frozenset("""
SGD Adam AdamW Adamax Adagrad Adadelta Adafactor Nadam RMSprop Ftrl Lion LossScaleOptimizer
""".split())
SCHEDULES = frozenset("""
ExponentialDecay PiecewiseConstantDecay PolynomialDecay InverseTimeDecay CosineDecay
CosineDecayRestarts
""".split())
LOSSES = frozenset("""
BinaryCrossentropy BinaryFocalCrossentropy CategoricalCrossentropy CategoricalFocalCrossentropy
SparseCategoricalCrossentropy MeanSquaredError MeanAbsoluteError MeanAbsolutePercentageError
MeanSquaredLogarithmicError Huber LogCosh KLDivergence Poisson Hinge SquaredHinge
CategoricalHinge CosineSimilarity Tversky Dice CTC
""".split())
METRICS = frozenset("""
Accuracy BinaryAccuracy CategoricalAccuracy SparseCategoricalAccuracy TopKCategoricalAccuracy
SparseTopKCategoricalAccuracy AUC Precision Recall MeanSquaredError MeanAbsoluteError
RootMeanSquaredError MeanMetricWrapper Mean
""".split())
DTYPE_POLICIES = frozenset("DTypePolicy FloatDTypePolicy QuantizedDTypePolicy".split())

ALLOWED_CLASSES = (LAYERS | INITIALIZERS | REGULARIZERS | CONSTRAINTS | OPTIMIZERS | SCHEDULES
                   | LOSSES | METRICS | DTYPE_POLICIES | {"__keras_tensor__", "__tuple__", "__numpy__"})
# Modules named in a Keras 3 config that belong to Keras itself.
ALLOWED_MODULE_PREFIXES = ("keras", "keras.src", "tf_keras", "tensorflow.keras", "builtins")
# builtins appears only for plain data containers; anything but these names is refused.
ALLOWED_BUILTINS = frozenset({"tuple", "list", "dict", "set", "float", "int", "str", "bool"})
# Plain-string activations Keras resolves itself (never a module path or a function object).
ACTIVATIONS = frozenset("""
linear relu relu6 leaky_relu elu selu gelu sigmoid hard_sigmoid softmax softplus softsign
tanh swish silu exponential log_softmax mish hard_silu hard_swish celu glu softmax_v2
""".split())
# Keys whose values are code in serialized form, never allowed.
CODE_KEYS = frozenset({"function", "function_type", "module_objects", "output_shape_type",
                       "__lambda__", "code", "closure", "globals", "defaults"})


@dataclass(frozen=True)
class Refusal:
    path: str  # where in the config, e.g. "config.layers[3].config.function"
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _walk(node: Any, path: str) -> Iterator[Refusal]:
    if isinstance(node, dict):
        class_name = node.get("class_name")
        module = node.get("module")
        registered = node.get("registered_name")
        if isinstance(class_name, str):
            if class_name == "Lambda":
                yield Refusal(path, "a Lambda layer holds Python code; it is never rebuilt")
            elif module == "builtins" and class_name not in ALLOWED_BUILTINS:
                yield Refusal(path, f"refers to the Python built-in {class_name!r}")
            elif class_name not in ALLOWED_CLASSES and class_name not in ALLOWED_BUILTINS:
                yield Refusal(path, f"{class_name!r} is not one of Keras' own classes "
                                    "(custom objects are not rebuilt)")
        elif "class_name" in node:
            yield Refusal(path, "class_name is not a string")
        if module is not None:
            if not isinstance(module, str) or not (module == "builtins" or any(
                    module == p or module.startswith(p + ".") for p in ALLOWED_MODULE_PREFIXES)):
                yield Refusal(path, f"names the module {module!r}, outside Keras")
        if registered is not None and isinstance(registered, str) and isinstance(class_name, str):
            if registered != class_name and not registered.startswith(("keras", "Keras>")):
                yield Refusal(path, f"registered_name {registered!r} is a custom registration")
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            if key in CODE_KEYS and value not in (None, "", [], {}):
                yield Refusal(child, "holds serialized code")
                continue
            if key == "activation" and isinstance(value, str) and value not in ACTIVATIONS:
                yield Refusal(child, f"activation {value!r} is not a Keras activation name")
                continue
            yield from _walk(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")
    elif isinstance(node, (str, int, float, bool)) or node is None:
        return
    else:  # JSON cannot hold anything else; be explicit anyway
        yield Refusal(path, f"unexpected value of type {type(node).__name__}")


def check_config(config: dict[str, Any], root: str = "config") -> list[Refusal]:
    """Every reason ``config`` (model, compile or optimizer config) may not be rebuilt."""
    return list(_walk(config, root))
