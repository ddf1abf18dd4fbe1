"""A model file as editable data: the Keras 3 config of a ``.keras``, ``.h5`` or JSON model.

The patch layer edits configs, never live models: :func:`load_document` reads the saved
config as JSON data (through the same size-checked readers as ``app.io``) and, for legacy
``.h5``/JSON files written by Keras 2 or tf.keras, converts it to the shape Keras 3 writes
into a ``.keras`` archive's ``config.json`` (``module`` keys, Keras 3 ``inbound_nodes``,
``compile_config`` built from ``training_config``), so that every patch deals with one
format and the probe worker can hand the result to Keras 3. Nothing is deserialized by Keras
here and nothing named in a config is imported.

The module also holds the small graph helpers the patches share: finding layers (nested
models included), the output layers, and inserting, removing or renaming a layer in a
Sequential or Functional config while keeping ``inbound_nodes``, ``input_layers`` and
``output_layers`` consistent.
"""

from __future__ import annotations

import copy
import os
import struct
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterator

import h5py

from app.core.errors import InputError
from app.io import keras_config, shapes
from app.io.hdf5_data_only import check_data_only
from app.io.readers import h5_file, keras_file

MODEL_CLASSES = ("Sequential", "Functional", "Model")
MAX_JSON_BYTES = 64 * 1024 * 1024
_EXPECTED = "a Keras model: a .keras archive, a legacy .h5 model or model.to_json() text"

# Keras 3 compile() arguments kept in a compile_config (anything else is dropped).
COMPILE_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
                "steps_per_execution", "jit_compile")

# Keras 3 optimizer settings: the base ones and each class' own ones with their defaults.
OPTIMIZER_BASE = {"learning_rate": 0.001, "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                  "loss_scale_factor": None, "gradient_accumulation_steps": None}
OPTIMIZER_OWN = {
    "Adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
    "AdamW": {"weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
    "Nadam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "Adamax": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "RMSprop": {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": False},
    "Adagrad": {"initial_accumulator_value": 0.1, "epsilon": 1e-07},
    "Adadelta": {"rho": 0.95, "epsilon": 1e-07},
    "Lion": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99},
    "Ftrl": {"learning_rate_power": -0.5, "initial_accumulator_value": 0.1,
             "l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0,
             "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0},
}
OPTIMIZER_NAMES = {name.lower(): name for name in OPTIMIZER_OWN}
# Keras 3 spells these optimizer names with an underscore ("adam_w", "rm_sprop").
OPTIMIZER_DEFAULT_NAME = {"AdamW": "adam_w", "RMSprop": "rm_sprop"}

LOSS_CLASSES = {
    "binary_crossentropy": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "mean_squared_error": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError",
    "kl_divergence": "KLDivergence",
    "huber": "Huber",
    "hinge": "Hinge",
}
_ACCURACY_FUNCTIONS = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                       "sparse_categorical_accuracy"}


@dataclass
class ModelDocument:
    """A model's saved config as plain data, ready to be patched.

    ``config`` is the Keras 3 top-level object of a ``.keras`` archive's ``config.json``:
    ``{"module", "class_name", "config", "registered_name", "build_config",
    "compile_config"}``; ``compile_config`` is None when the file has no compile settings.
    """

    config: dict[str, Any]
    source_path: str
    source_format: str  # "keras" | "h5" | "json"
    keras_version: str | None = None
    notes: list[str] = field(default_factory=list)

    def copy(self) -> "ModelDocument":
        """A deep copy: patches never touch the document they were given."""
        return copy.deepcopy(self)

    @property
    def model(self) -> dict[str, Any]:
        """The model's own ``config`` (``name``, ``layers``, ...)."""
        return self.config["config"]

    @property
    def compile_config(self) -> dict[str, Any] | None:
        value = self.config.get("compile_config")
        return value if isinstance(value, dict) else None


# ------------------------------------------------------------------------------- loading

def load_document(path: str | os.PathLike) -> ModelDocument:
    """Read a ``.keras`` archive, a legacy ``.h5`` model or ``model.to_json()`` text as data.

    Raises :class:`InputError` for anything that is not a readable Keras model.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise InputError(path, _EXPECTED, found=f"a file that cannot be opened ({error.strerror})") from None
    if head.startswith(keras_file.ZIP_MAGIC):
        return _load_keras(path)
    if h5_file.HDF5_MAGIC in head[:2048 + 8] or head.startswith(h5_file.HDF5_MAGIC):
        return _load_h5(path)
    return _load_json(path)


def _load_keras(path: str) -> ModelDocument:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, struct.error) as error:
        raise InputError(path, _EXPECTED, found=f"a damaged or truncated zip ({error})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > keras_file.MAX_MEMBERS:
            raise InputError(path, _EXPECTED, found=f"a zip with {len(infos)} members")
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not keras_file._odd_name(info.filename):
                members.setdefault(info.filename, info)
        if "config.json" not in members:
            raise InputError(path, _EXPECTED, entry="config.json", found="a zip without config.json")
        config = keras_file._json_member(path, archive, members["config.json"])
        version = None
        if "metadata.json" in members:
            try:
                metadata = keras_file._json_member(path, archive, members["metadata.json"])
            except InputError:
                metadata = None
            if isinstance(metadata, dict) and isinstance(metadata.get("keras_version"), str):
                version = metadata["keras_version"]
    _check_model(path, config, "config.json")
    notes: list[str] = []
    config = to_keras3(config, config.get("compile_config"), notes, training_is_compile=True)
    return ModelDocument(config, path, "keras", version, notes)


def _load_h5(path: str) -> ModelDocument:
    """The document of a legacy ``.h5`` model, read in a child process with a time limit
    (:mod:`app.io.isolated`: a damaged file can hang libhdf5)."""
    from app.io import isolated

    return isolated.call(load_h5_here, path, path=path, expected=_EXPECTED)


def load_h5_here(path: str) -> ModelDocument:
    """:func:`_load_h5` in this process (what the child runs)."""
    try:
        root = h5py.File(path, "r")
    except (OSError, ValueError, RuntimeError) as error:
        raise InputError(path, _EXPECTED, found=f"a damaged or truncated HDF5 file ({error})") from None
    with root:
        check_data_only(root, path, _EXPECTED)
        try:
            model_text = h5_file._text(path, h5_file._attribute(path, root, "model_config"), "model_config")
            if model_text is None:
                raise InputError(path, "a full model saved with model.save (with a model_config attribute)",
                                 entry="attribute model_config", found="an HDF5 file without model_config")
            training_text = h5_file._text(path, h5_file._attribute(path, root, "training_config"),
                                          "training_config")
            version = h5_file._text(path, h5_file._attribute(path, root, "keras_version"), "keras_version")
        except InputError:
            raise
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
            raise InputError(path, _EXPECTED, found=f"an HDF5 file HDF5 cannot read ({error})") from None
    config = keras_config.parse_json(model_text, path, "attribute model_config")
    _check_model(path, config, "attribute model_config")
    notes = [f"legacy .h5 (written by Keras {version or 'of unknown version'}): "
             "its config was converted to the Keras 3 format and is written as .keras"]
    training = None
    if training_text is not None:
        try:
            training = keras_config.parse_json(training_text, path, "attribute training_config")
        except InputError as error:
            notes.append(f"training_config not read ({error.found}): compile settings unknown")
    if training is None:
        notes.append("the file holds no compile settings (training_config): compile patches cannot be applied")
    config = to_keras3(config, training, notes)
    return ModelDocument(config, path, "h5", version, notes)


def _load_json(path: str) -> ModelDocument:
    size = os.path.getsize(path)
    if size > MAX_JSON_BYTES:
        raise InputError(path, f"a model JSON of at most {MAX_JSON_BYTES // (1024 * 1024)} MB",
                         found=f"{size // (1024 * 1024)} MB")
    with open(path, "rb") as handle:
        data = handle.read(MAX_JSON_BYTES + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, _EXPECTED, found=f"binary data that is not UTF-8 JSON ({error.reason})") from None
    config = keras_config.parse_json(text, path, "JSON")
    _check_model(path, config, "JSON")
    notes: list[str] = []
    legacy = _is_legacy(config)
    config = to_keras3(config, config.get("compile_config"), notes, training_is_compile=True)
    if legacy:
        notes.insert(0, "Keras 2 model JSON: converted to the Keras 3 format")
    if config.get("compile_config") is None:
        notes.append("model.to_json() holds no compile settings: compile patches cannot be applied")
    return ModelDocument(config, path, "json", None, notes)


def _check_model(path: str, config: Any, entry: str) -> None:
    if not isinstance(config, dict) or config.get("class_name") not in MODEL_CLASSES:
        found = f"class_name {config.get('class_name')!r}" if isinstance(config, dict) else \
            f"a JSON {type(config).__name__}"
        raise InputError(path, "a Sequential or Functional model config", entry=entry, found=found)
    inner = config.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise InputError(path, "a model config with a list of layers", entry=f"{entry}: config.layers",
                         found="no layer list")
    for index, layer in enumerate(inner["layers"]):
        if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str) \
                or not isinstance(layer.get("config"), dict):
            raise InputError(path, "layers as objects with class_name and config",
                             entry=f"{entry}: config.layers[{index}]", found=repr(layer)[:80])


def _is_legacy(config: dict) -> bool:
    if "module" not in config or config.get("class_name") == "Model":
        return True
    return any("module" not in layer or isinstance(layer.get("inbound_nodes"), list) and any(
        isinstance(node, list) for node in layer["inbound_nodes"]) for layer in config["config"]["layers"])


# ------------------------------------------------------------------ legacy → Keras 3 shape

_OBJECT_MODULES = (("_initializer", "keras.initializers"), ("_regularizer", "keras.regularizers"),
                   ("_constraint", "keras.constraints"))


def to_keras3(config: dict, training: Any, notes: list[str], *, training_is_compile: bool = False) -> dict:
    """The Keras 3 top-level model object for ``config`` (a Keras 2 or 3 model config).

    ``training`` is a legacy ``training_config`` (``optimizer_config`` ...) or, with
    ``training_is_compile``, a Keras 3 ``compile_config`` (kept, legacy parts converted).
    What was converted is appended to ``notes``.
    """
    done: set[str] = set()
    model = _model_to_keras3(copy.deepcopy(config), done)
    compile_config = None
    if isinstance(training, dict):
        compile_config = _compile_to_keras3(copy.deepcopy(training), done)
    model["compile_config"] = compile_config
    model.setdefault("build_config", None)
    for item in sorted(done):
        notes.append(item)
    return model


def _model_to_keras3(entry: dict, done: set[str]) -> dict:
    class_name = entry.get("class_name")
    if class_name == "Model":
        entry["class_name"] = class_name = "Functional"
        done.add("class Model renamed Functional")
    if "module" not in entry:
        entry["module"] = "keras" if class_name == "Sequential" else "keras.src.models.functional"
        done.add("module keys added")
    entry.setdefault("registered_name", None)
    inner = entry.get("config")
    if not isinstance(inner, dict):
        return entry
    layers = inner.get("layers", [])
    for index, layer in enumerate(layers):
        if layer.get("class_name") in MODEL_CLASSES:
            nested = _model_to_keras3(layer, done)
            layers[index] = nested
        else:
            _layer_to_keras3(layer, done)
        _nodes_to_keras3(layer, done)
    shapes = [layer.pop("_input_shape") for layer in layers if "_input_shape" in layer]
    if class_name == "Sequential" and shapes and layers and layers[0].get("class_name") != "InputLayer":
        layers.insert(0, {"module": "keras.layers", "class_name": "InputLayer",
                          "config": {"batch_shape": shapes[0], "dtype": "float32", "sparse": False,
                                     "name": unique_name(inner, "input_layer")},
                          "registered_name": None})
    for key in ("input_layers", "output_layers"):
        value = inner.get(key)
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list) and len(value[0]) == 3:
            inner[key] = value[0]  # Keras 3 writes a single tensor flat
    return entry


def _layer_to_keras3(layer: dict, done: set[str]) -> None:
    if "module" not in layer:
        layer["module"] = "keras.layers"
        done.add("module keys added")
    layer.setdefault("registered_name", None)
    config = layer["config"]
    if layer.get("class_name") == "InputLayer" and "batch_input_shape" in config:
        config["batch_shape"] = config.pop("batch_input_shape")
        done.add("InputLayer batch_input_shape renamed batch_shape")
    for key in ("batch_input_shape", "input_shape", "input_dim"):
        if key in config and layer.get("class_name") != "InputLayer":
            layer.setdefault("_input_shape", [None, config[key]] if key == "input_dim" else
                             ([None, *config[key]] if key == "input_shape" else config[key]))
            del config[key]
            done.add(f"layer argument {key} moved to an InputLayer (Keras 3 has no such layer argument)")
    for key, value in config.items():
        for suffix, module in _OBJECT_MODULES:
            if key.endswith(suffix) and isinstance(value, dict) and "class_name" in value \
                    and "module" not in value:
                value["module"] = module
                value.setdefault("registered_name", None)
                done.add("module keys added")
        if key == "layer" and isinstance(value, dict) and "class_name" in value:  # wrappers
            _layer_to_keras3(value, done)


def _nodes_to_keras3(layer: dict, done: set[str]) -> None:
    """Legacy ``[[["dense", 0, 0, {}], ...]]`` inbound nodes → Keras 3 ``{"args", "kwargs"}``."""
    nodes = layer.get("inbound_nodes")
    if not isinstance(nodes, list):
        return
    converted = []
    for node in nodes:
        if not isinstance(node, list):
            converted.append(node)
            continue
        tensors = []
        kwargs: dict = {}
        for item in node:
            if isinstance(item, list) and len(item) >= 3:
                tensors.append(keras_tensor(item[0], item[1], item[2]))
                if len(item) > 3 and isinstance(item[3], dict):
                    kwargs = item[3]
        converted.append({"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs})
        done.add("inbound_nodes converted to the Keras 3 format")
    layer["inbound_nodes"] = converted


def keras_tensor(layer: str, node: int = 0, index: int = 0, shape: list | None = None,
                 dtype: str = "float32") -> dict:
    """A Keras 3 ``__keras_tensor__`` reference to output ``index`` of ``layer``'s node."""
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape if shape is not None else [None], "dtype": dtype,
                       "keras_history": [layer, node, index]}}


def _compile_to_keras3(training: dict, done: set[str]) -> dict:
    compile_config: dict[str, Any] = {}
    optimizer = training.get("optimizer", training.get("optimizer_config"))
    if "optimizer_config" in training:
        done.add("compile_config built from training_config")
    compile_config["optimizer"] = _optimizer_to_keras3(optimizer, done)
    compile_config["loss"] = _loss_to_keras3(training.get("loss"), done)
    compile_config["loss_weights"] = training.get("loss_weights")
    compile_config["metrics"] = _metrics_to_keras3(training.get("metrics"), done)
    compile_config["weighted_metrics"] = _metrics_to_keras3(training.get("weighted_metrics"), done)
    compile_config["run_eagerly"] = bool(training.get("run_eagerly", False))
    compile_config["steps_per_execution"] = training.get("steps_per_execution", 1)
    compile_config["jit_compile"] = training.get("jit_compile", False) \
        if isinstance(training.get("jit_compile", False), bool) else False
    return compile_config


def _optimizer_to_keras3(value: Any, done: set[str]) -> Any:
    if not isinstance(value, dict):
        return value  # a name such as "adam", or None
    class_name = str(value.get("class_name", ""))
    bare = class_name.split(">")[-1]
    name = OPTIMIZER_NAMES.get(bare.lower(), bare)
    if name != class_name:
        done.add(f"optimizer {class_name} renamed {name}")
    old = value.get("config") if isinstance(value.get("config"), dict) else {}
    if name not in OPTIMIZER_OWN or value.get("module") and "lr" not in old and "decay" not in old \
            and "is_legacy_optimizer" not in old and "jit_compile" not in old:
        if name != class_name:
            value["class_name"] = name
        value.setdefault("module", "keras.optimizers")
        value.setdefault("registered_name", None)
        return value
    allowed = {"name", *OPTIMIZER_BASE, *OPTIMIZER_OWN[name]}
    config: dict[str, Any] = {}
    for key, setting in old.items():
        if key == "lr":
            key = "learning_rate"
            done.add("optimizer lr renamed learning_rate")
        if key in allowed:
            config[key] = setting
        elif setting not in (None, False, 0, 0.0):
            done.add(f"optimizer setting {key}={setting!r} dropped (not a Keras 3 setting)")
    return {"module": "keras.optimizers", "class_name": name, "config": config, "registered_name": None}


def _loss_to_keras3(value: Any, done: set[str]) -> Any:
    if isinstance(value, list):
        return [_loss_to_keras3(v, done) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _loss_to_keras3(v, done) for k, v in value.items()}
    if isinstance(value, dict):
        if "module" not in value:
            value["module"] = "keras.losses"
            value.setdefault("registered_name", None)
            done.add("module keys added")
        config = value.get("config")
        if isinstance(config, dict) and config.get("reduction") == "auto":
            config["reduction"] = "sum_over_batch_size"
            done.add("loss reduction 'auto' is 'sum_over_batch_size' in Keras 3")
        return value
    return value


def _metrics_to_keras3(value: Any, done: set[str]) -> Any:
    if value is None:
        return None
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _metrics_to_keras3(v, done) for k, v in value.items()}
    if isinstance(value, list):
        flat: list = []
        for item in value:
            if isinstance(item, list):  # Keras 2: one list per output
                done.add("per-output metric lists flattened")
                flat.extend(_metrics_to_keras3(item, done) or [])
            else:
                flat.append(_metric_to_keras3(item, done))
        return flat
    return [_metric_to_keras3(value, done)]


def _metric_to_keras3(value: Any, done: set[str]) -> Any:
    if isinstance(value, str):
        if value == "acc":
            done.add("metric acc renamed accuracy")
            return "accuracy"
        return value
    if isinstance(value, dict) and value.get("class_name") == "MeanMetricWrapper":
        config = value.get("config") or {}
        function = config.get("fn")
        name = config.get("name")
        done.add("MeanMetricWrapper metrics written as their function names")
        if name in _ACCURACY_FUNCTIONS or function in _ACCURACY_FUNCTIONS:
            return "accuracy"
        return function if isinstance(function, str) else name
    if isinstance(value, dict) and "module" not in value:
        value["module"] = "keras.metrics"
        value.setdefault("registered_name", None)
    return value


# ------------------------------------------------------------------------- graph helpers

@dataclass
class LayerRef:
    """One layer of a (possibly nested) model config and where it sits."""

    path: str  # "layers[dense_1]" or "layers[vgg_base].layers[block1_conv1]"
    layer: dict  # the layer object {"module", "class_name", "config", ...}
    owner: dict  # the model's own config holding it (its "layers" list)
    index: int

    @property
    def name(self) -> str:
        return layer_name(self.layer)

    @property
    def class_name(self) -> str:
        return str(self.layer.get("class_name"))

    @property
    def config(self) -> dict:
        return self.layer["config"]


def layer_name(layer: dict) -> str:
    name = layer.get("name") or layer.get("config", {}).get("name")
    return str(name)


def iter_layers(model: dict, prefix: str = "", depth: int = 0) -> Iterator[LayerRef]:
    """Every layer of ``model`` (a model's own config), nested models' layers after them."""
    if depth > 20:
        return
    for index, layer in enumerate(model.get("layers", [])):
        ref = LayerRef(f"{prefix}layers[{layer_name(layer)}]", layer, model, index)
        yield ref
        if layer.get("class_name") in MODEL_CLASSES and isinstance(layer.get("config"), dict):
            yield from iter_layers(layer["config"], ref.path + ".", depth + 1)


def find_layer(model: dict, name: str) -> LayerRef | None:
    return next((ref for ref in iter_layers(model) if ref.name == name), None)


def is_functional(model: dict) -> bool:
    """A model config with a graph (``inbound_nodes``), as opposed to a Sequential list."""
    return "output_layers" in model or any("inbound_nodes" in layer for layer in model.get("layers", []))


def _histories(value: Any) -> list[list]:
    """``[name, node, tensor]`` triples in an input/output_layers value (flat, list or dict)."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    if isinstance(value, list):
        return [h for item in value for h in _histories(item)]
    if isinstance(value, dict):
        return [h for item in value.values() for h in _histories(item)]
    return []


def output_layer_names(model: dict) -> list[str]:
    """The names of the layers producing the model's outputs (top level)."""
    if is_functional(model):
        return [h[0] for h in _histories(model.get("output_layers"))]
    layers = model.get("layers", [])
    return [layer_name(layers[-1])] if layers else []


def input_layer_names(model: dict) -> list[str]:
    if is_functional(model):
        names = [h[0] for h in _histories(model.get("input_layers"))]
        return names or [layer_name(layer) for layer in model.get("layers", [])
                         if layer.get("class_name") == "InputLayer"]
    layers = model.get("layers", [])
    return [layer_name(layers[0])] if layers and layers[0].get("class_name") == "InputLayer" else []


def _tensors(value: Any) -> Iterator[dict]:
    """Every ``__keras_tensor__`` object inside a node's args/kwargs."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            yield value
            return
        for item in value.values():
            yield from _tensors(item)
    elif isinstance(value, list):
        for item in value:
            yield from _tensors(item)


def input_tensors(layer: dict) -> list[dict]:
    """The ``__keras_tensor__`` inputs of a functional layer (all its nodes)."""
    return [t for node in layer.get("inbound_nodes", []) for t in _tensors(node)]


def inbound_names(layer: dict) -> list[str]:
    return [t["config"]["keras_history"][0] for t in input_tensors(layer)
            if isinstance(t.get("config"), dict) and isinstance(t["config"].get("keras_history"), list)]


def consumers(model: dict, name: str) -> list[dict]:
    """The layers of a functional ``model`` that take ``name``'s output as input."""
    return [layer for layer in model.get("layers", []) if name in inbound_names(layer)]


def retarget(model: dict, old: str, new: str, node: int | None = None, shape: list | None = None,
             skip: dict | None = None, inputs: bool = False) -> None:
    """Point every reference to layer ``old`` (inputs of other layers, model outputs) at ``new``.

    ``inputs`` also renames it in ``input_layers`` (a rename; an insertion after an input
    leaves the model's input where it is).
    """
    for layer in model.get("layers", []):
        if layer is skip:
            continue
        for tensor in input_tensors(layer):
            history = tensor["config"].get("keras_history")
            if isinstance(history, list) and history and history[0] == old:
                history[0] = new
                if node is not None:
                    history[1] = node
                if shape is not None:
                    tensor["config"]["shape"] = copy.deepcopy(shape)
    for key in ("output_layers", "input_layers") if inputs else ("output_layers",):
        for history in _histories(model.get(key)):
            if history[0] == old:
                history[0] = new
                if node is not None:
                    history[1] = node


def unique_name(model: dict, base: str) -> str:
    """``base``, or ``base_1``, ``base_2`` ... whichever no layer of ``model`` uses."""
    taken = {ref.name for ref in iter_layers(model)}
    if base not in taken:
        return base
    index = 1
    while f"{base}_{index}" in taken:
        index += 1
    return f"{base}_{index}"


def insert_after(model: dict, anchor: str, layer: dict) -> None:
    """Insert ``layer`` right after the top-level layer ``anchor``; its consumers now read the new one."""
    layers = model["layers"]
    index = next(i for i, item in enumerate(layers) if layer_name(item) == anchor)
    new_name = layer_name(layer)
    if is_functional(model):
        source = layers[index]
        shape = output_shape_hint(model, anchor)
        retarget(model, anchor, new_name, node=0)
        layer["name"] = new_name
        layer["inbound_nodes"] = [{"args": [keras_tensor(anchor, 0, 0, shape, _dtype_name(source))],
                                   "kwargs": {}}]
    layers.insert(index + 1, layer)


def remove_layer(model: dict, name: str) -> None:
    """Remove a one-input top-level layer; its consumers (and the outputs) read its input instead."""
    layers = model["layers"]
    index = next(i for i, item in enumerate(layers) if layer_name(item) == name)
    layer = layers[index]
    if is_functional(model):
        tensors = input_tensors(layer)
        if len(tensors) != 1:
            raise ValueError(f"{name} has {len(tensors)} inputs")
        history = tensors[0]["config"]["keras_history"]
        shape = tensors[0]["config"].get("shape")
        for other in layers:
            for tensor in input_tensors(other):
                if tensor["config"].get("keras_history", [None])[0] == name:
                    tensor["config"]["keras_history"] = list(history)
                    tensor["config"]["shape"] = copy.deepcopy(shape)
        for key in ("output_layers",):
            for out in _histories(model.get(key)):
                if out[0] == name:
                    out[:] = list(history)
    del layers[index]


def rename_layer(model: dict, old: str, new: str) -> None:
    """Rename a top-level layer and every reference to it."""
    ref = next(layer for layer in model["layers"] if layer_name(layer) == old)
    ref["config"]["name"] = new
    if "name" in ref:
        ref["name"] = new
    if is_functional(model):
        retarget(model, old, new, inputs=True)


def previous_layer(model: dict, name: str) -> str | None:
    """The single layer feeding ``name`` (the one before it in a Sequential list)."""
    layers = model.get("layers", [])
    if is_functional(model):
        layer = next((item for item in layers if layer_name(item) == name), None)
        names = inbound_names(layer) if layer else []
        return names[0] if len(names) == 1 else None
    index = next((i for i, item in enumerate(layers) if layer_name(item) == name), None)
    return layer_name(layers[index - 1]) if index else None


def next_layers(model: dict, name: str) -> list[dict]:
    """The layers reading ``name``'s output (the next one in a Sequential list)."""
    layers = model.get("layers", [])
    if is_functional(model):
        return consumers(model, name)
    index = next((i for i, item in enumerate(layers) if layer_name(item) == name), None)
    return [layers[index + 1]] if index is not None and index + 1 < len(layers) else []


def input_shape_hint(model: dict, name: str) -> list | None:
    """The input shape a layer was built with, from its build_config or its input tensor."""
    layer = next((item for item in model.get("layers", []) if layer_name(item) == name), None)
    if layer is None:
        return None
    build = layer.get("build_config")
    if isinstance(build, dict) and isinstance(build.get("input_shape"), list):
        return build["input_shape"]
    tensors = input_tensors(layer)
    if len(tensors) == 1 and isinstance(tensors[0]["config"].get("shape"), list) \
            and tensors[0]["config"]["shape"] != [None]:
        return tensors[0]["config"]["shape"]
    if layer.get("class_name") == "InputLayer":
        config = layer["config"]
        return config.get("batch_shape") or config.get("batch_input_shape")
    layers = model.get("layers", [])
    index = next((i for i, item in enumerate(layers) if layer_name(item) == name), None)
    if index and not is_functional(model):  # legacy .h5 Sequential: no build_config, infer it
        _outputs, inferred = shapes.infer_model({"class_name": "Sequential", "config": model})
        previous = inferred.get(layer_name(layers[index - 1]))
        if previous is not None and previous.output_shape is not None:
            return list(previous.output_shape)
    return None


def output_shape_hint(model: dict, name: str) -> list | None:
    """The output shape of ``name`` as its consumers recorded it (or an InputLayer's shape)."""
    layer = next((item for item in model.get("layers", []) if layer_name(item) == name), None)
    if layer is not None and layer.get("class_name") == "InputLayer":
        config = layer["config"]
        return config.get("batch_shape") or config.get("batch_input_shape")
    for other in model.get("layers", []):
        for tensor in input_tensors(other):
            if tensor["config"].get("keras_history", [None])[0] == name:
                shape = tensor["config"].get("shape")
                if isinstance(shape, list) and shape != [None]:
                    return shape
    for other in next_layers(model, name):
        build = other.get("build_config")
        if isinstance(build, dict) and isinstance(build.get("input_shape"), list):
            return build["input_shape"]
    return None


def _dtype_name(layer: dict) -> str:
    dtype = layer.get("config", {}).get("dtype")
    if isinstance(dtype, str):
        return dtype
    if isinstance(dtype, dict) and isinstance(dtype.get("config"), dict):
        name = dtype["config"].get("name")
        if isinstance(name, str) and not name.startswith("mixed"):
            return name
    return "float32"


def dtype_policy(like: dict | None) -> Any:
    """A dtype for a new layer: the neighbour's policy, without its shared-object id."""
    dtype = (like or {}).get("config", {}).get("dtype")
    if isinstance(dtype, dict):
        dtype = copy.deepcopy(dtype)
        dtype.pop("shared_object_id", None)
        return dtype
    if isinstance(dtype, str):
        return dtype
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def new_layer(class_name: str, name: str, config: dict, like: dict | None = None) -> dict:
    """A Keras 3 layer object for ``class_name`` named ``name`` (dtype taken from ``like``)."""
    full = {"name": name, "trainable": True, "dtype": dtype_policy(like)}
    full.update(config)
    return {"module": "keras.layers", "class_name": class_name, "config": full, "registered_name": None}
