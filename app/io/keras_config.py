"""A Keras model config (parsed JSON) turned into a :class:`~app.core.model.ModelSpec`.

Three readers share this: ``.keras`` archives (Keras 3 ``config.json`` with
``compile_config``), legacy ``.h5`` files (the ``model_config`` and ``training_config``
attributes, Keras 2 or 3) and ``model.to_json()`` text. All of them hold the same kind of
JSON: ``{"class_name": "Sequential" | "Functional" | "Model", "config": {"layers": [...]}}``.

The config is only ever *read*. Strings naming code — ``"module"``, ``"registered_name"``,
``"fn"``, a Lambda's ``"function"`` — are recorded as data and reported in warnings when
they point outside Keras; nothing is imported, resolved or run, and a Lambda's bytecode is
described by its size, never unmarshalled.

Parameter counts come from :mod:`app.io.shapes` (worked out from the config) and are
replaced by the saved weight shapes when the reader has them (:func:`apply_saved_weights`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from app.core.errors import InputError
from app.core.numbers import json_int
from app.core.model import (BatchNormSpec, CompileSpec, LayerSpec, LossSpec,
                            ModelSpec, OptimizerSpec)
from app.io import shapes
from app.io.shapes import class_of, config_of

MAX_LAYERS = 200_000  # layers (nested ones included) read from one config
MAX_WALK = 2_000_000  # JSON values looked at when scanning for module names
MAX_DEPTH = shapes.MAX_DEPTH

# Modules whose objects can run commands or arbitrary code when a config is deserialized.
DANGEROUS_MODULES = {"os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys", "shutil",
                     "importlib", "runpy", "pickle", "marshal", "socket", "ctypes", "pty", "code",
                     "codeop", "webbrowser", "urllib", "http", "requests", "multiprocessing",
                     "pathlib", "io", "tempfile", "signal", "platform", "commands", "popen2"}
# Function names that do something other than compute a tensor.
DANGEROUS_FUNCTIONS = {"eval", "exec", "system", "popen", "__import__", "compile", "execfile",
                       "spawn", "spawnl", "spawnv", "check_output", "check_call", "call", "Popen",
                       "run", "remove", "rmdir", "unlink", "rmtree", "open", "getattr", "setattr",
                       "globals", "locals", "breakpoint", "input", "loads", "load", "fork",
                       "kill", "execv", "execve", "startfile"}
KERAS_PACKAGES = {"keras", "tf_keras", "keras_hub", "keras_nlp", "keras_cv"}

# Layer classes Keras ships (beyond those shapes.py can size); anything else gets a warning.
_OTHER_KERAS_LAYERS = {
    "Attention", "AdditiveAttention", "GroupQueryAttention", "EinsumDense", "Dot", "ConvLSTM1D",
    "ConvLSTM2D", "ConvLSTM3D", "RNN", "StackedRNNCells", "SimpleRNNCell", "LSTMCell", "GRUCell",
    "TextVectorization", "StringLookup", "IntegerLookup", "CategoryEncoding", "Hashing",
    "HashedCrossing", "Discretization", "MelSpectrogram", "STFTSpectrogram", "TFOpLambda",
    "SlicingOpLambda", "TFSMLayer", "Wrapper", "InputSpec", "LocallyConnected1D",
    "LocallyConnected2D", "AbstractRNNCell", "CuDNNLSTM", "CuDNNGRU", "Pipeline",
    "RandomCrop", "Resizing", "CenterCrop", "MixUp", "CutMix", "RandAugment", "AugMix",
    "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "ReversibleEmbedding", "RMSNormalization",
    "SpectralNormalization", "Convolution1D", "Convolution2D", "Convolution3D",
}
KNOWN_LAYER_CLASSES = shapes.SIZED_CLASSES | _OTHER_KERAS_LAYERS | shapes.MODEL_CLASSES

# Canonical loss names: class names, function names and the aliases Keras accepts.
_LOSS_ALIASES = {
    "mse": "mean_squared_error", "meansquarederror": "mean_squared_error",
    "mean_squared_error": "mean_squared_error",
    "mae": "mean_absolute_error", "meanabsoluteerror": "mean_absolute_error",
    "mean_absolute_error": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "meanabsolutepercentageerror": "mean_absolute_percentage_error",
    "mean_absolute_percentage_error": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "meansquaredlogarithmicerror": "mean_squared_logarithmic_error",
    "mean_squared_logarithmic_error": "mean_squared_logarithmic_error",
    "categoricalcrossentropy": "categorical_crossentropy",
    "categorical_crossentropy": "categorical_crossentropy", "cce": "categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "binarycrossentropy": "binary_crossentropy", "binary_crossentropy": "binary_crossentropy",
    "bce": "binary_crossentropy",
    "binaryfocalcrossentropy": "binary_focal_crossentropy",
    "binary_focal_crossentropy": "binary_focal_crossentropy",
    "categoricalfocalcrossentropy": "categorical_focal_crossentropy",
    "categorical_focal_crossentropy": "categorical_focal_crossentropy",
    "kld": "kl_divergence", "kldivergence": "kl_divergence", "kl_divergence": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence", "kullbackleiblerdivergence": "kl_divergence",
    "logcosh": "log_cosh", "log_cosh": "log_cosh",
    "huber": "huber", "huber_loss": "huber", "huberloss": "huber",
    "hinge": "hinge", "squaredhinge": "squared_hinge", "squared_hinge": "squared_hinge",
    "categoricalhinge": "categorical_hinge", "categorical_hinge": "categorical_hinge",
    "poisson": "poisson", "cosinesimilarity": "cosine_similarity",
    "cosine_similarity": "cosine_similarity", "cosine_proximity": "cosine_similarity",
    "ctc": "ctc", "dice": "dice", "tversky": "tversky", "circle": "circle",
}
_OPTIMIZER_NAMES = {
    "adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
    "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam", "ftrl": "Ftrl", "lion": "Lion",
    "lamb": "Lamb", "adafactor": "Adafactor", "loss_scale_optimizer": "LossScaleOptimizer",
    "muon": "Muon",
}
# What compile(optimizer="<name>") uses (keras.optimizers defaults, Keras 2.11+ and 3).
_OPTIMIZER_DEFAULTS: dict[str, dict[str, Any]] = {
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False},
    "AdamW": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
              "weight_decay": 0.004, "amsgrad": False},
    "Adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "RMSprop": {"learning_rate": 0.001, "momentum": 0.0, "epsilon": 1e-7},
    "Adagrad": {"learning_rate": 0.001, "epsilon": 1e-7},
    "Adadelta": {"learning_rate": 0.001, "epsilon": 1e-7},
    "Ftrl": {"learning_rate": 0.001},
}
_ACTIVATION_CLASS_NAMES = {"LeakyReLU": "leaky_relu", "ReLU": "relu", "ELU": "elu", "PReLU": "prelu",
                           "Softmax": "softmax", "ThresholdedReLU": "thresholded_relu"}


def snake_case(name: str) -> str:
    """``CategoricalCrossentropy`` -> ``categorical_crossentropy`` (Keras' own rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def canonical_loss(name: str) -> str:
    """The canonical snake_case name of a loss given by alias, function or class name."""
    text = str(name).strip()
    text = text.rsplit(">", 1)[-1].rsplit(".", 1)[-1]  # "keras.losses.mse", "Custom>MyLoss"
    key = text.lower()
    if key in _LOSS_ALIASES:
        return _LOSS_ALIASES[key]
    if key.replace("_", "") in _LOSS_ALIASES:
        return _LOSS_ALIASES[key.replace("_", "")]
    return snake_case(text) if any(c.isupper() for c in text) else key


def canonical_optimizer(name: str) -> str:
    text = str(name).strip().rsplit(">", 1)[-1].rsplit(".", 1)[-1]
    return _OPTIMIZER_NAMES.get(text.lower(), text)


def parse_json(text: str, path: str, entry: str) -> Any:
    """``json.loads`` that only raises :class:`InputError` (NaN/Infinity are accepted)."""
    try:
        return json.loads(text, parse_int=json_int)
    except RecursionError:
        raise InputError(path, "JSON nested a reasonable number of levels", entry=entry,
                         found="JSON nested too deeply to read") from None
    except ValueError as error:
        line = getattr(error, "lineno", None)
        raise InputError(path, "a Keras model config in JSON", entry=entry, line=line,
                         found=f"text that is not JSON ({error})") from None


# ---------------------------------------------------------------- module names as data

def _module_root(module: str) -> str:
    return module.strip().split(".", 1)[0].split(">", 1)[0]


def _is_keras_module(module: str) -> bool:
    root = _module_root(module)
    return root in KERAS_PACKAGES or module.startswith(("tensorflow.keras", "tensorflow.python.keras",
                                                        "tensorflow.python.ops"))


def describe_module(module: str) -> str | None:
    """A warning for a module name outside Keras (None for Keras' own modules)."""
    if _is_keras_module(module):
        return None
    if _module_root(module) in DANGEROUS_MODULES:
        return (f"module {module!r}, which can run system commands or arbitrary code "
                "(outside Keras): recorded as data, never imported")
    if module.strip() == "__main__":
        return "a custom object defined in the training script ('__main__'): recorded, never imported"
    return f"module {module!r} (outside Keras, a custom object): recorded as data, never imported"


def _function_warning(value: str) -> str | None:
    text = value.strip()
    base = re.split(r"[.>]", text)[-1]
    if base in DANGEROUS_FUNCTIONS:
        return f"function {text!r}, which is not a tensor function: recorded as data, never called"
    if ">" in text or "." in text:
        module = re.split(r">", text)[0] if ">" in text else text.rsplit(".", 1)[0]
        return describe_module(module)
    return None


def _reference_warning(key: str, value: str, owner: str = "") -> str | None:
    if owner in ("TFOpLambda", "SlicingOpLambda") and key == "function":
        # tf.keras records TensorFlow ops by their API name ("math.add", "nn.relu")
        base = re.split(r"[.>]", value.strip())[-1]
        return _function_warning(value) if base in DANGEROUS_FUNCTIONS else None
    if key == "module":
        return describe_module(value)
    if key == "registered_name" and ">" in value:
        package = value.split(">", 1)[0]
        message = describe_module(package)
        if message is not None:
            return f"registered name {value!r}, {message}"
        return _function_warning(value)
    if key in ("fn", "function"):
        return _function_warning(value)
    return None


def scan_code_references(value: Any, where: str = "the config") -> list[str]:
    """Warnings for every ``module``/``registered_name``/``fn``/``function`` string naming
    something outside Keras, each with the object it sits in. Walks the JSON without
    recursion and with a bounded number of steps."""
    warnings: list[str] = []
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    steps = 0
    while stack and steps < MAX_WALK:
        steps += 1
        item, context, depth = stack.pop()
        if isinstance(item, dict):
            name = config_of(item).get("name")
            if class_of(item) and isinstance(name, str):
                context = f"{class_of(item)} {name!r}"
            elif class_of(item) and context == where:
                context = f"{class_of(item)} object"
            for key, sub in item.items():
                if isinstance(sub, str):
                    message = _reference_warning(key, sub, class_of(item))
                    text = f"{context} names {message}" if message else None
                    if text and text not in warnings and len(warnings) < 200:
                        warnings.append(text)
                elif depth < 200 and isinstance(sub, (dict, list)):
                    stack.append((sub, context, depth + 1))
        elif isinstance(item, list) and depth < 200:
            for sub in item[:100000]:
                if isinstance(sub, (dict, list)):
                    stack.append((sub, context, depth + 1))
    warnings.reverse()  # the stack visits the last layers first
    return warnings


# ---------------------------------------------------------------- layers

def _activation(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        cls = class_of(value)
        inner = value.get("config")
        if cls == "function" and isinstance(inner, str):  # Keras 3 serialized function
            return inner
        if cls:
            cls = cls.rsplit(">", 1)[-1]
            return _ACTIVATION_CLASS_NAMES.get(cls, snake_case(cls))
    return None


def _initializer(value: Any) -> str | None:
    if isinstance(value, str):
        return "".join(part.capitalize() for part in value.split("_"))
    cls = class_of(value)
    return cls.rsplit(">", 1)[-1] if cls else None


def _regularizer(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        return {"class": value.upper() if value.lower() in ("l1", "l2", "l1l2", "l1_l2") else value}
    cls = class_of(value)
    if not cls:
        return None
    out: dict[str, Any] = {"class": cls.rsplit(">", 1)[-1]}
    for key, item in config_of(value).items():
        if isinstance(item, (int, float, str, bool)) or item is None:
            out[key] = item
    return out


def _ints(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value,)
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return tuple(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def describe_lambda(config: dict) -> str:
    """What a Lambda layer's function is, from its serialized form, without running it."""
    function = config.get("function")
    code = None
    if isinstance(function, dict):
        if class_of(function) == "__lambda__":
            code = config_of(function).get("code")
        elif isinstance(function.get("config"), str):
            module = function.get("module")
            where = f" from module {module!r}" if isinstance(module, str) else ""
            return f"function {function['config']!r}{where}"
    elif isinstance(function, list) and function:
        code = function[0]
        if config.get("function_type") == "function" and isinstance(code, str):
            module = config.get("module")
            where = f" from module {module!r}" if isinstance(module, str) else ""
            return f"function {code!r}{where}"
    elif isinstance(function, str):
        if config.get("function_type") == "lambda":
            code = function
        else:
            module = config.get("module")
            where = f" from module {module!r}" if isinstance(module, str) else ""
            return f"function {function!r}{where}"
    if isinstance(code, str):
        try:
            size = len(base64.b64decode(code.encode("ascii", "replace"), validate=False))
        except (binascii.Error, ValueError):
            return f"python bytecode (not valid base64, {len(code)} characters)"
        return f"python bytecode, {size} bytes"
    return "a function that is not recorded in the config"


class _Context:
    """Counts layers (to bound the work) and gathers warnings while layers are built."""

    def __init__(self) -> None:
        self.count = 0
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings and len(self.warnings) < 500:
            self.warnings.append(text)


def _inner_layer(config: dict) -> dict | None:
    inner = config.get("layer")
    return inner if isinstance(inner, dict) and class_of(inner) else None


def _layer_spec(entry: dict, index: int, prefix: str, parent_trainable: bool, ctx: _Context,
                depth: int) -> LayerSpec:
    class_name = class_of(entry) or "Unknown"
    config = config_of(entry)
    name = shapes.layer_name(entry, f"{snake_case(class_name) or 'layer'}_{index}")
    module = entry.get("module") if isinstance(entry.get("module"), str) else None
    spec = LayerSpec(name=name, class_name=class_name, path=prefix + name, module=module, config=config)
    spec.trainable = bool(parent_trainable and config.get("trainable", True) is not False)
    source = config
    inner = _inner_layer(config) if class_name in ("Bidirectional", "TimeDistributed") else None
    if inner is not None:
        source = config_of(inner)  # a wrapper shows its wrapped layer's size and activation
    units = source.get("units", source.get("filters", source.get("output_dim", source.get("nb_filter"))))
    spec.units = units if isinstance(units, int) and not isinstance(units, bool) else None
    spec.kernel_size = _ints(source.get("kernel_size"))
    spec.strides = _ints(source.get("strides"))
    if class_name in _ACTIVATION_CLASS_NAMES:
        spec.activation = _ACTIVATION_CLASS_NAMES[class_name]
    else:
        spec.activation = _activation(source.get("activation"))
    spec.kernel_initializer = _initializer(next((source[k] for k in (
        "kernel_initializer", "depthwise_initializer", "embeddings_initializer") if source.get(k)), None))
    spec.bias_initializer = _initializer(source.get("bias_initializer"))
    spec.kernel_regularizer = _regularizer(next((source[k] for k in (
        "kernel_regularizer", "depthwise_regularizer", "embeddings_regularizer") if source.get(k)), None))
    spec.bias_regularizer = _regularizer(source.get("bias_regularizer"))
    spec.activity_regularizer = _regularizer(config.get("activity_regularizer"))
    spec.use_bias = _bool(source.get("use_bias"))
    if class_name in shapes.BATCHNORM_CLASSES:
        spec.batchnorm = BatchNormSpec(
            momentum=_number(config.get("momentum")), epsilon=_number(config.get("epsilon")),
            center=_bool(config.get("center")), scale=_bool(config.get("scale")),
            renorm=_bool(config.get("renorm")), axis=config.get("axis"),
            synchronized=True if class_name == "SyncBatchNormalization" else _bool(config.get("synchronized")))
    for node in shapes.inbound_nodes(entry)[:1000]:
        for ref in shapes.node_inputs(node):
            if ref.layer not in spec.inbound:
                spec.inbound.append(ref.layer)
    if class_name == "Lambda":
        spec.lambda_code = describe_lambda(config)
        ctx.warn(f"Lambda layer {name!r} holds {spec.lambda_code}: recorded, never run")
    if module and describe_module(module):
        spec.notes.append(f"names {describe_module(module)}")
    if shapes.is_model_entry(entry):
        if depth >= MAX_DEPTH:
            spec.notes.append("nested too deeply: its layers are not listed")
        else:
            spec.sublayers = _layer_list(entry, spec.path + "/", spec.trainable, ctx, depth + 1)
    elif class_name not in KNOWN_LAYER_CLASSES:
        where = f" from module {module!r}" if module else ""
        ctx.warn(f"layer {name!r} has class {class_name!r}{where}, unknown to TrainDoc: kept as data, "
                 "its code is never loaded")
        spec.notes.append("unknown layer class: kept as data")
    return spec


def _layer_list(model_entry: dict, prefix: str, trainable: bool, ctx: _Context, depth: int) -> list[LayerSpec]:
    """The layers of a model config as Keras lists them in ``model.layers``.

    A Sequential model does not list its InputLayer (Keras leaves it out of
    ``model.layers``); a Functional model does.
    """
    entries = shapes.model_layer_entries(model_entry) or []
    sequential = shapes.is_sequential(model_entry)
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            ctx.warn(f"{prefix or 'model'}: layer entry {index} is not an object: skipped")
            continue
        if sequential and class_of(entry) == "InputLayer":
            continue
        ctx.count += 1
        if ctx.count > MAX_LAYERS:
            ctx.warn(f"more than {MAX_LAYERS} layers: the rest are not listed")
            break
        out.append(_layer_spec(entry, index, prefix, trainable, ctx, depth))
    return out


# ---------------------------------------------------------------- parameters

def _attach_inference(layers: list[LayerSpec], inferred: dict[str, shapes.LayerShapes]) -> None:
    for layer in layers:
        result = inferred.get(layer.path)
        if layer.sublayers:
            _attach_inference(layer.sublayers, inferred)
        if result is None:
            continue
        layer.output_shape = result.output_shape
        layer.notes.extend(note for note in result.notes if note not in layer.notes)
        if not layer.sublayers and result.params is not None:
            total, trainable = result.params
            layer.params_total = total
            layer.params_trainable = trainable if layer.trainable else 0


def _sum_nested(layer: LayerSpec, own_params: dict[str, tuple[int, int]]) -> None:
    """A nested model's parameters: the sum of its layers' (plus weights of its own)."""
    own = own_params.get(layer.path)
    for sub in layer.sublayers:
        if sub.sublayers:
            _sum_nested(sub, own_params)
    totals = [(s.params_total, s.params_trainable) for s in layer.sublayers]
    if any(t is None or tr is None for t, tr in totals):
        layer.params_total = layer.params_trainable = None
        return
    layer.params_total = sum(t for t, _ in totals) + (own[0] if own else 0)  # type: ignore[misc]
    layer.params_trainable = sum(tr for _, tr in totals) + (own[1] if own else 0)  # type: ignore[misc]


def update_totals(model: ModelSpec, own_params: dict[str, tuple[int, int]] | None = None) -> None:
    """Model totals = the sum of the top-level layers; None when any is unknown.

    ``own_params`` holds (total, trainable) of weights a nested model owns itself.
    """
    for layer in model.layers:
        if layer.sublayers:
            _sum_nested(layer, own_params or {})
    unknown = [layer.name for layer in model.layers if layer.params_total is None]
    if unknown:
        model.params_total = model.params_trainable = None
        text = ("parameter count not known for layer(s) " + ", ".join(repr(n) for n in unknown[:10])
                + ("" if len(unknown) <= 10 else f" and {len(unknown) - 10} more")
                + ": model totals left empty")
        if text not in model.warnings:
            model.warnings = [w for w in model.warnings if not w.startswith("parameter count not known")]
            model.warnings.append(text)
        return
    model.warnings = [w for w in model.warnings if not w.startswith("parameter count not known")]
    model.params_total = sum(layer.params_total for layer in model.layers)  # type: ignore[misc]
    model.params_trainable = sum(layer.params_trainable for layer in model.layers)  # type: ignore[misc]


SavedWeights = list[tuple[str | None, tuple[int, ...]]]


def apply_saved_weights(model: ModelSpec, saved: dict[str, SavedWeights], extra: int = 0) -> None:
    """Replace inferred parameter counts with the shapes of the weights saved in the file.

    ``saved`` maps a layer path to its weights as ``(name or None, shape)``; for a nested
    model's path the list holds weights of its own that no sublayer claimed. ``extra`` is a
    count of saved weights that belong to no layer (added to the totals as non-trainable).
    """
    own_params: dict[str, tuple[int, int]] = {}
    for layer in model.all_layers():
        weights = saved.get(layer.path)
        if weights is None:
            continue
        names = [name for name, _ in weights]
        sizes = [math.prod(shape) for _, shape in weights]
        flags = shapes.saved_trainable(layer.class_name, layer.config, names, [s for _, s in weights])
        total = sum(sizes)
        trainable = sum(size for size, flag in zip(sizes, flags) if flag) if layer.trainable else 0
        if layer.sublayers:
            own_params[layer.path] = (total, trainable)
        else:
            layer.params_total, layer.params_trainable = total, trainable
    update_totals(model, own_params)
    if extra and model.params_total is not None:
        model.params_total += extra
        model.warnings.append(f"{extra} saved parameters belong to no listed layer: counted as non-trainable")


# ---------------------------------------------------------------- compile settings

def _loss_spec(value: Any, output: str | None) -> LossSpec | None:
    if isinstance(value, str):
        return LossSpec(name=canonical_loss(value), from_logits=False, output=output)
    if isinstance(value, dict) and class_of(value):
        cls = class_of(value)
        inner = value.get("config")
        if cls == "function" and isinstance(inner, str):  # Keras 3 serialized loss function
            return LossSpec(name=canonical_loss(inner), from_logits=False, output=output)
        config = config_of(value)
        logits = config.get("from_logits")
        name = canonical_loss(cls)
        if cls in ("LossFunctionWrapper",) and isinstance(config.get("fn"), str):
            name = canonical_loss(config["fn"])
        return LossSpec(name=name, from_logits=bool(logits) if isinstance(logits, bool) else False,
                        class_name=cls, config=config, output=output)
    return None


def _losses(value: Any, output_names: list[str]) -> list[LossSpec]:
    if value is None:
        return []
    if isinstance(value, str) or (isinstance(value, dict) and class_of(value)):
        spec = _loss_spec(value, None)
        return [spec] if spec else []
    out = []
    if isinstance(value, dict):  # one loss per named output
        for output, item in list(value.items())[:1000]:
            spec = _loss_spec(item, str(output))
            if spec:
                out.append(spec)
    elif isinstance(value, list):  # one per output, in output order
        for index, item in enumerate(value[:1000]):
            if isinstance(item, list) and len(item) == 1:
                item = item[0]
            output = output_names[index] if index < len(output_names) else None
            spec = _loss_spec(item, output)
            if spec:
                out.append(spec)
    return out


def _metric_names(value: Any, out: list[str], depth: int = 0) -> None:
    if depth > 6 or len(out) > 200:
        return
    if isinstance(value, str):
        if value not in out:
            out.append(value)
    elif isinstance(value, dict) and class_of(value):
        config = config_of(value)
        name = config.get("name") if isinstance(config.get("name"), str) else None
        if class_of(value) == "function" and isinstance(value.get("config"), str):
            name = value["config"]
        name = name or snake_case(class_of(value))
        if name not in out:
            out.append(name)
    elif isinstance(value, dict):
        for item in list(value.values())[:1000]:
            _metric_names(item, out, depth + 1)
    elif isinstance(value, list):
        for item in value[:1000]:
            _metric_names(item, out, depth + 1)


def _schedule(value: dict) -> tuple[float | None, dict[str, Any]]:
    cls = class_of(value).rsplit(">", 1)[-1]
    config = config_of(value)
    schedule: dict[str, Any] = {"class": cls}
    for key, item in config.items():
        if isinstance(item, (int, float, str, bool)) or item is None:
            schedule[key] = item
        elif isinstance(item, list) and len(item) <= 1000 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in item):
            schedule[key] = list(item)
    initial = _number(config.get("initial_learning_rate"))
    if initial is None and isinstance(config.get("values"), list) and config["values"]:
        initial = _number(config["values"][0])  # PiecewiseConstantDecay
    if initial is None:
        initial = _number(config.get("learning_rate"))
    return initial, schedule


def optimizer_spec(value: Any) -> OptimizerSpec | None:
    """An optimizer given as a name, a Keras 3 serialized object or a Keras 2 optimizer_config."""
    if isinstance(value, str):
        # compile(optimizer="adam") runs with Keras' defaults, the same in Keras 2 and 3
        name = canonical_optimizer(value)
        spec = OptimizerSpec(name=name, config={"given_as": value, "settings": "Keras defaults"})
        for key, default in _OPTIMIZER_DEFAULTS.get(name, {}).items():
            setattr(spec, key, default)
        return spec
    cls = class_of(value)
    if not cls:
        return None
    config = config_of(value)
    if cls.rsplit(">", 1)[-1] == "LossScaleOptimizer" and isinstance(config.get("inner_optimizer"), dict):
        inner = optimizer_spec(config["inner_optimizer"])
        if inner is not None:
            inner.config = dict(inner.config, wrapped_by="LossScaleOptimizer")
            return inner
    spec = OptimizerSpec(name=canonical_optimizer(cls), config=config)
    rate = config.get("learning_rate", config.get("lr"))
    if isinstance(rate, dict) and class_of(rate):
        spec.learning_rate, spec.schedule = _schedule(rate)
    else:
        spec.learning_rate = _number(rate)
    for key in ("epsilon", "momentum", "beta_1", "beta_2", "clipnorm", "clipvalue",
                "global_clipnorm", "weight_decay"):
        setattr(spec, key, _number(config.get(key)))
    spec.nesterov = _bool(config.get("nesterov"))
    spec.amsgrad = _bool(config.get("amsgrad"))
    return spec


def compile_spec(settings: Any, output_names: list[str]) -> CompileSpec | None:
    """Compile settings from a Keras 3 ``compile_config`` or a Keras 2 ``training_config``."""
    if not isinstance(settings, dict) or not settings:
        return None
    optimizer = settings.get("optimizer", settings.get("optimizer_config"))
    spec = CompileSpec(loss=_losses(settings.get("loss"), output_names),
                       optimizer=optimizer_spec(optimizer) if optimizer is not None else None)
    metrics: list[str] = []
    _metric_names(settings.get("metrics"), metrics)
    _metric_names(settings.get("weighted_metrics"), metrics)
    spec.metrics = metrics
    spec.loss_weights = settings.get("loss_weights")
    if not spec.loss and spec.optimizer is None and not spec.metrics:
        return None
    return spec


# ---------------------------------------------------------------- the model

def _output_names(entry: dict, layers: list[LayerSpec]) -> list[str]:
    if shapes.is_sequential(entry):
        return [layers[-1].name] if layers else []
    names = []
    for ref in shapes.tensor_refs(config_of(entry).get("output_layers")):
        if ref.layer not in names:
            names.append(ref.layer)
    return names


def model_from_config(entry: Any, *, path: str, fmt: str, entry_label: str = "config",
                      compile_config: Any = None, training_config: Any = None,
                      keras_version: str | None = None, backend: str | None = None) -> ModelSpec:
    """A :class:`ModelSpec` from a parsed model config; :class:`InputError` if it is not one.

    A config without a layer list (a subclassed model) gives a ModelSpec without layers and a
    warning, so its weights can still be counted.
    """
    if not isinstance(entry, dict) or not class_of(entry):
        found = type(entry).__name__ if not isinstance(entry, dict) else f"keys {sorted(entry)[:8]}"
        raise InputError(path, "a Keras model config: an object with \"class_name\" and \"config\"",
                         entry=entry_label, found=found)
    class_name = class_of(entry)
    raw_config = entry.get("config")
    if not isinstance(raw_config, (dict, list)):
        raise InputError(path, "a Keras model config with a \"config\" object", entry=entry_label,
                         found=f"class {class_name!r} with config of type {type(raw_config).__name__}")
    config = raw_config if isinstance(raw_config, dict) else {}
    name = config.get("name") if isinstance(config.get("name"), str) else class_name.lower()
    version = entry.get("keras_version") if isinstance(entry.get("keras_version"), str) else None
    model = ModelSpec(name=name, class_name=class_name, format=fmt, source_path=path,
                      keras_version=keras_version or version,
                      backend=backend or (entry.get("backend") if isinstance(entry.get("backend"), str) else None))
    ctx = _Context()
    for warning in scan_code_references(entry):
        ctx.warn(warning)
    if shapes.model_layer_entries(entry) is None:
        ctx.warn(f"class {class_name!r} is not a Sequential or Functional model (a subclassed model?): "
                 "its layers are not in the config, only its saved weights can be counted")
        model.complete = False
        model.warnings = ctx.warnings
        return model
    top_trainable = config.get("trainable", True) is not False
    model.layers = _layer_list(entry, "", top_trainable, ctx, 0)
    model.input_shapes = [s for s in shapes.model_input_shapes(entry) if s is not None]
    model.output_names = _output_names(entry, model.layers)
    try:
        _, inferred = shapes.infer_model(entry)
    except RecursionError:
        inferred = {}
        ctx.warn("the model is nested too deeply to work out shapes")
    _attach_inference(model.layers, inferred)
    settings = compile_config if compile_config is not None else entry.get("compile_config")
    if settings is None:
        settings = training_config
    model.compile = compile_spec(settings, model.output_names)
    model.warnings = ctx.warnings
    update_totals(model)
    return model
