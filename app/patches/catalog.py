"""The patch catalog: one small declarative unit per patch id the rules propose.

Each :class:`PatchUnit` says what it edits (``target``: the model config, the compile config
or the training settings), its title in English and Chinese, the parameters it takes with
their defaults, which other patches it cannot be combined with, and an ``apply`` function
that edits a (deep-copied) top-level model config and training dict in place and returns
the :class:`Change` list. A patch that does not fit the model raises :class:`NotApplicable`
with the reason. Patches needing a human (``replace_lambda``, ``check_labels``) carry a
``manual`` reason instead and are never applied automatically.

Configs are Keras 3 ``config.json`` data (see :mod:`app.patches.document`); every edit keeps
them deserializable by Keras 3: new objects are written with ``module``/``class_name``/
``config``/``registered_name``, functional graphs are rewired, and the ``build_config`` of a
layer whose input shape changes is updated.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from app.core.i18n import T, Text
from app.io.keras_config import canonical_loss, canonical_optimizer, snake_case
from app.patches import document as d

Target = str  # "model" | "compile" | "training"


class NotApplicable(Exception):
    """A patch that does not fit this model (no such layer, no compile settings ...)."""

    def __init__(self, reason: Text, **params: Any) -> None:
        self.reason = reason
        self.params = params
        super().__init__(reason.render("en", params))


@dataclass(frozen=True)
class Change:
    """One edit a patch made: where, the value before and after, and a sentence."""

    patch: str
    target: Target
    path: str  # "layers[dense_1].config.activation", "compile_config.loss", "fit.shuffle"
    before: Any
    after: Any
    description: Text
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = "set"  # "set" | "replace" | "insert" | "remove"
    layer: str | None = None  # the layer it concerns (its name after the edit)

    def describe(self, lang: str = "en") -> str:
        return self.description.render(lang, self.params)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"patch": self.patch, "target": self.target, "path": self.path, "kind": self.kind,
                "layer": self.layer, "before": self.before, "after": self.after,
                "description": self.describe(lang)}


ApplyFunction = Callable[[dict, dict, dict], list[Change]]
ConflictPredicate = Callable[[dict, str, dict], bool]


@dataclass(frozen=True)
class PatchUnit:
    id: str
    target: Target
    title: Text
    params: dict[str, Any]  # accepted parameters and their defaults
    apply: ApplyFunction | None
    conflicts_with: frozenset[str] | ConflictPredicate = frozenset()
    manual: Text | None = None  # why it cannot be applied automatically

    def with_defaults(self, params: dict[str, Any] | None) -> dict[str, Any]:
        merged = copy.deepcopy(self.params)
        merged.update({k: v for k, v in (params or {}).items() if v is not None or k not in merged})
        return merged

    def conflicts(self, params: dict, other_id: str, other_params: dict) -> bool:
        if callable(self.conflicts_with):
            return bool(self.conflicts_with(params, other_id, other_params))
        return other_id in self.conflicts_with


# ---------------------------------------------------------------------------- helpers

ACTIVATION_LAYERS = {"Activation": None, "ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu",
                     "PReLU": "prelu", "Softmax": "softmax", "ThresholdedReLU": "thresholded_relu"}
BATCHNORM = ("BatchNormalization",)
NORMALIZATION_LAYERS = ("BatchNormalization", "LayerNormalization", "GroupNormalization", "Normalization",
                        "UnitNormalization", "Rescaling")
CONSTANT_INITIALIZERS = {"zeros", "ones", "constant"}
CROSSENTROPY = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                "binary_focal_crossentropy", "categorical_focal_crossentropy")
# Layers between Flatten and Dense that keep the shape (their build_config follows the new one).
PASSTHROUGH = ("Dropout", "Activation", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
               "BatchNormalization", "LayerNormalization")
GAP_BY_RANK = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}
INITIALIZER_CLASSES = {
    "he_normal": "HeNormal", "he_uniform": "HeUniform", "glorot_normal": "GlorotNormal",
    "glorot_uniform": "GlorotUniform", "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform",
    "orthogonal": "Orthogonal", "zeros": "Zeros", "ones": "Ones", "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
}
_SEEDED = {"HeNormal", "HeUniform", "GlorotNormal", "GlorotUniform", "LecunNormal", "LecunUniform"}


def rounded(value: float) -> float:
    """A float without float32 noise: 0.0010000000474974513 → 0.001."""
    return float(f"{value:.6g}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6)
    return a == b


def _set(changes: list[Change], patch: str, target: Target, path: str, holder: dict, key: str, value: Any,
         description: Text, layer: str | None = None, **params: Any) -> None:
    """Set ``holder[key] = value`` and record it, unless it already holds that value."""
    before = holder.get(key)
    if _same(before, value):
        return
    holder[key] = copy.deepcopy(value)
    changes.append(Change(patch, target, f"{path}.{key}" if path else key, copy.deepcopy(before),
                          copy.deepcopy(value), description,
                          {"key": key, "before": _show(before), "after": _show(value), "layer": layer, **params},
                          "set", layer))


def _show(value: Any) -> str:
    """A short rendering of a config value for sentences."""
    if isinstance(value, dict) and "class_name" in value:
        return str(value["class_name"])
    if isinstance(value, float):
        return f"{value:.6g}"
    return "None" if value is None else str(value)


def _model(config: dict) -> dict:
    return config["config"]


def _names(params: dict, key: str = "layers") -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _select(config: dict, params: dict, predicate: Callable[[d.LayerRef], bool], what: Text,
            key: str = "layers") -> list[d.LayerRef]:
    """The named layers (``params[key]``), or every layer ``predicate`` accepts."""
    model = _model(config)
    names = _names(params, key)
    if names:
        refs = []
        for name in names:
            ref = d.find_layer(model, name)
            if ref is None:
                raise NotApplicable(T("the model has no layer named `{layer}`", "模型中没有名为 `{layer}` 的层"),
                                    layer=name)
            if not predicate(ref):
                raise NotApplicable(T("layer `{layer}` ({class_name}) is not one this patch changes",
                                      "层 `{layer}`（{class_name}）不是此补丁能修改的层"),
                                    layer=name, class_name=ref.class_name)
            refs.append(ref)
        return refs
    refs = [ref for ref in d.iter_layers(model) if predicate(ref)]
    if not refs:
        raise NotApplicable(what)
    return refs


def _initializer_name(value: Any) -> str:
    if isinstance(value, str):
        return snake_case(value) if any(c.isupper() for c in value) else value
    if isinstance(value, dict):
        return snake_case(str(value.get("class_name", "")))
    return ""


def initializer_object(name: str) -> dict:
    """A Keras 3 initializer object for a snake_case name (``he_normal``)."""
    key = _initializer_name(name)
    class_name = INITIALIZER_CLASSES.get(key)
    if class_name is None:
        raise NotApplicable(T("unknown initializer `{initializer}`", "未知的初始化器 `{initializer}`"),
                            initializer=name)
    config: dict[str, Any] = {"seed": None}
    if class_name in _SEEDED:
        config.update({"input_axes": None, "output_axes": None})
    if class_name in ("Zeros", "Ones"):
        config = {}
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def _output_ref(config: dict, name: str | None) -> d.LayerRef:
    """The layer that produces the model output (or the named one), nested models followed."""
    model = _model(config)
    if name:
        ref = d.find_layer(model, name)
        if ref is None:
            raise NotApplicable(T("the model has no layer named `{layer}`", "模型中没有名为 `{layer}` 的层"),
                                layer=name)
        return ref
    outputs = d.output_layer_names(model)
    if len(outputs) != 1:
        raise NotApplicable(T("the model has {count} outputs ({outputs}): name the output layer",
                              "模型有 {count} 个输出（{outputs}）：请指定输出层"),
                            count=len(outputs), outputs=", ".join(outputs))
    ref = d.find_layer(model, outputs[0])
    depth = 0
    while ref is not None and ref.class_name in d.MODEL_CLASSES and depth < 20:
        inner = ref.config
        inner_outputs = d.output_layer_names(inner)
        if len(inner_outputs) != 1:
            break
        ref = next((r for r in d.iter_layers(inner, ref.path + ".") if r.name == inner_outputs[0]
                    and r.owner is inner), None)
        depth += 1
    if ref is None:
        raise NotApplicable(T("the output layer could not be found", "找不到输出层"))
    return ref


def _activation_of(ref: d.LayerRef) -> str | None:
    if ref.class_name in ACTIVATION_LAYERS and ACTIVATION_LAYERS[ref.class_name]:
        return ACTIVATION_LAYERS[ref.class_name]
    value = ref.config.get("activation")
    return value if isinstance(value, str) else None


def _compile(config: dict) -> dict:
    compile_config = config.get("compile_config")
    if not isinstance(compile_config, dict):
        raise NotApplicable(T("the model file holds no compile settings: change model.compile(...) by hand",
                              "模型文件中没有编译设置：请手动修改 model.compile(...)"))
    return compile_config


def _loss_slot(compile_config: dict, output: str | None) -> tuple[dict | list, Any, str]:
    """(holder, key, path) of the loss to edit: the single loss or one output's."""
    loss = compile_config.get("loss")
    if isinstance(loss, dict) and "class_name" not in loss:
        if output is None:
            if len(loss) == 1:
                output = next(iter(loss))
            else:
                raise NotApplicable(T("the model has one loss per output ({outputs}): name the output",
                                      "模型每个输出各有一个损失（{outputs}）：请指定输出"),
                                    outputs=", ".join(map(str, loss)))
        if output not in loss:
            raise NotApplicable(T("the model has no output named `{output}`", "模型没有名为 `{output}` 的输出"),
                                output=output)
        return loss, output, f"compile_config.loss.{output}"
    if isinstance(loss, list):
        if len(loss) != 1:
            raise NotApplicable(T("the model has one loss per output: name the output",
                                  "模型每个输出各有一个损失：请指定输出"))
        return loss, 0, "compile_config.loss[0]"
    return compile_config, "loss", "compile_config.loss"


def loss_name(value: Any) -> str | None:
    """The canonical name of a loss entry (string or serialized object)."""
    if isinstance(value, str):
        return canonical_loss(value)
    if isinstance(value, dict) and isinstance(value.get("class_name"), str):
        return canonical_loss(value["class_name"])
    return None


def loss_object(name: str, **config: Any) -> dict:
    class_name = d.LOSS_CLASSES.get(name)
    if class_name is None:
        raise NotApplicable(T("`{loss}` has no from_logits setting", "`{loss}` 没有 from_logits 设置"), loss=name)
    full = {"name": name, "reduction": "sum_over_batch_size"}
    full.update(config)
    return {"module": "keras.losses", "class_name": class_name, "config": full, "registered_name": None}


def optimizer_object(class_name: str, **settings: Any) -> dict:
    """A Keras 3 optimizer object with every setting at its default, then ``settings``."""
    own = d.OPTIMIZER_OWN[class_name]
    config: dict[str, Any] = {"name": d.OPTIMIZER_DEFAULT_NAME.get(class_name, class_name.lower())}
    config.update(copy.deepcopy(d.OPTIMIZER_BASE))
    config.update(own)
    config.update(settings)
    return {"module": "keras.optimizers", "class_name": class_name, "config": config, "registered_name": None}


def _optimizer(config: dict, changes: list[Change], patch: str) -> dict:
    """The compile config's optimizer as an object (a bare name such as "adam" is expanded)."""
    compile_config = _compile(config)
    value = compile_config.get("optimizer")
    if isinstance(value, str):
        class_name = canonical_optimizer(value)
        if class_name not in d.OPTIMIZER_OWN:
            raise NotApplicable(T("optimizer `{optimizer}` is not one TrainDoc edits", "TrainDoc 不修改优化器 `{optimizer}`"),
                                optimizer=value)
        compile_config["optimizer"] = optimizer_object(class_name)
        changes.append(Change(patch, "compile", "compile_config.optimizer", value,
                              copy.deepcopy(compile_config["optimizer"]),
                              T("optimizer \"{before}\" written out with its default settings",
                                "优化器 \"{before}\" 展开为带默认设置的对象"), {"before": value}, "replace"))
        value = compile_config["optimizer"]
    if not isinstance(value, dict) or not isinstance(value.get("config"), dict):
        raise NotApplicable(T("the compile settings name no optimizer", "编译设置中没有优化器"))
    return value


def _optimizer_class(optimizer: dict) -> str:
    return canonical_optimizer(str(optimizer.get("class_name", "")))


# --------------------------------------------------------------------- model patches

_SET_ACTIVATION = T("`{layer}`: activation {before} → {after}", "`{layer}`：激活函数 {before} → {after}")


def apply_set_output_activation(config: dict, training: dict, params: dict) -> list[Change]:
    activation = str(params["activation"])
    ref = _output_ref(config, params.get("layer"))
    changes: list[Change] = []
    if ref.class_name == "Activation" or "activation" in ref.config:
        _set(changes, "set_output_activation", "model", f"{ref.path}.config", ref.config, "activation", activation,
             _SET_ACTIVATION, layer=ref.name)
    else:
        raise NotApplicable(T("the output layer `{layer}` ({class_name}) has no activation setting",
                              "输出层 `{layer}`（{class_name}）没有激活函数设置"),
                            layer=ref.name, class_name=ref.class_name)
    units = params.get("units")
    if units is not None:
        dense = ref if "units" in ref.config else None
        if dense is None:
            previous = d.previous_layer(ref.owner, ref.name)
            candidate = d.find_layer(ref.owner, previous) if previous else None
            dense = candidate if candidate is not None and "units" in candidate.config else None
        if dense is None:
            raise NotApplicable(T("no Dense layer feeds the output `{layer}`: its units cannot be set",
                                  "输出 `{layer}` 之前没有 Dense 层：无法设置单元数"), layer=ref.name)
        _set(changes, "set_output_activation", "model", f"{dense.path}.config", dense.config, "units", int(units),
             T("`{layer}`: units {before} → {after} (its weights are trained anew)",
               "`{layer}`：单元数 {before} → {after}（该层权重需重新训练）"), layer=dense.name)
    return changes


def apply_set_activation(config: dict, training: dict, params: dict) -> list[Change]:
    activation = str(params["activation"])
    if not _names(params):
        raise NotApplicable(T("name the layers whose activation changes", "请指定要修改激活函数的层"))
    refs = _select(config, params, lambda r: "activation" in r.config, T("", ""))
    changes: list[Change] = []
    for ref in refs:
        _set(changes, "set_activation", "model", f"{ref.path}.config", ref.config, "activation", activation,
             _SET_ACTIVATION, layer=ref.name)
    return changes


def apply_batchnorm_renorm(config: dict, training: dict, params: dict) -> list[Change]:
    refs = _select(config, params, lambda r: r.class_name in BATCHNORM,
                   T("the model has no BatchNormalization layer", "模型中没有 BatchNormalization 层"))
    changes: list[Change] = []
    for ref in refs:
        _set(changes, "batchnorm_renorm", "model", f"{ref.path}.config", ref.config, "renorm", bool(params["renorm"]),
             T("`{layer}`: renorm {before} → {after}", "`{layer}`：renorm {before} → {after}"), layer=ref.name)
        if params.get("renorm_momentum") is not None:
            _set(changes, "batchnorm_renorm", "model", f"{ref.path}.config", ref.config, "renorm_momentum",
                 float(params["renorm_momentum"]),
                 T("`{layer}`: renorm_momentum {before} → {after}", "`{layer}`：renorm_momentum {before} → {after}"),
                 layer=ref.name)
    return changes


def _channels(ref: d.LayerRef) -> int | None:
    shape = d.input_shape_hint(ref.owner, ref.name)
    if isinstance(shape, list) and shape and isinstance(shape[-1], int):
        return shape[-1]
    return None


def apply_swap_normalization(config: dict, training: dict, params: dict) -> list[Change]:
    target = str(params["normalization"])
    if target not in ("LayerNormalization", "GroupNormalization"):
        raise NotApplicable(T("BatchNormalization can be swapped for LayerNormalization or GroupNormalization, "
                              "not {normalization}", "BatchNormalization 只能换成 LayerNormalization 或 "
                              "GroupNormalization，不能换成 {normalization}"), normalization=target)
    refs = _select(config, params, lambda r: r.class_name in BATCHNORM,
                   T("the model has no BatchNormalization layer", "模型中没有 BatchNormalization 层"))
    changes: list[Change] = []
    for ref in refs:
        old = ref.config
        axis = old.get("axis", -1)
        settings: dict[str, Any] = {}
        if target == "GroupNormalization":
            groups = int(params.get("groups") or 8)
            channels = _channels(ref)
            if channels:
                groups = math.gcd(groups, channels) or 1
            settings["groups"] = groups
        settings["axis"] = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
        settings["epsilon"] = old.get("epsilon", 0.001)
        settings["center"] = old.get("center", True)
        settings["scale"] = old.get("scale", True)
        if target == "LayerNormalization":
            settings["rms_scaling"] = False
        for key in ("beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                    "beta_constraint", "gamma_constraint"):
            settings[key] = copy.deepcopy(old.get(key))
        settings["beta_initializer"] = settings["beta_initializer"] or initializer_object("zeros")
        settings["gamma_initializer"] = settings["gamma_initializer"] or initializer_object("ones")
        new_name = d.unique_name(_model(config), snake_case(target))
        layer = d.new_layer(target, new_name, settings, like=ref.layer)
        layer["config"]["trainable"] = old.get("trainable", True)
        if isinstance(ref.layer.get("build_config"), dict):
            layer["build_config"] = copy.deepcopy(ref.layer["build_config"])
        if "inbound_nodes" in ref.layer:
            layer["name"] = new_name
            layer["inbound_nodes"] = copy.deepcopy(ref.layer["inbound_nodes"])
        before = {"class_name": ref.class_name, "name": ref.name}
        ref.owner["layers"][ref.index] = layer
        if d.is_functional(ref.owner):
            d.retarget(ref.owner, ref.name, new_name)
        changes.append(Change("swap_normalization", "model", ref.path, before,
                              {"class_name": target, "name": new_name},
                              T("`{old}` BatchNormalization → {class_name} `{layer}` (batch-independent)",
                                "`{old}` BatchNormalization → {class_name} `{layer}`（与批大小无关）"),
                              {"old": ref.name, "class_name": target, "layer": new_name}, "replace", new_name))
    return changes


def apply_set_initializer(config: dict, training: dict, params: dict) -> list[Change]:
    kernel = params.get("kernel_initializer")
    bias = params.get("bias_initializer")
    if not kernel and not bias:
        raise NotApplicable(T("give kernel_initializer or bias_initializer", "请给出 kernel_initializer 或 bias_initializer"))

    def constant_kernel(ref: d.LayerRef) -> bool:
        return _initializer_name(ref.config.get("kernel_initializer")) in CONSTANT_INITIALIZERS

    if _names(params):
        refs = _select(config, params, lambda r: "kernel_initializer" in r.config or "bias_initializer" in r.config,
                       T("", ""))
    else:
        refs = _select(config, params, constant_kernel,
                       T("no layer has a zero or constant kernel initializer", "没有层使用全零或常数的权重初始化器"))
    changes: list[Change] = []
    text = T("`{layer}`: {key} {before} → {after}", "`{layer}`：{key} {before} → {after}")
    for ref in refs:
        for key, name in (("kernel_initializer", kernel), ("bias_initializer", bias)):
            if not name or key not in ref.config:
                continue
            if _initializer_name(ref.config.get(key)) == _initializer_name(name):
                continue
            _set(changes, "set_initializer", "model", f"{ref.path}.config", ref.config, key,
                 initializer_object(name), text, layer=ref.name)
    return changes


def apply_enable_bias(config: dict, training: dict, params: dict) -> list[Change]:
    refs = _select(config, params, lambda r: r.config.get("use_bias") is False or
                   (bool(_names(params)) and "use_bias" in r.config),
                   T("no layer has use_bias=False", "没有层设置 use_bias=False"))
    changes: list[Change] = []
    for ref in refs:
        _set(changes, "enable_bias", "model", f"{ref.path}.config", ref.config, "use_bias", True,
             T("`{layer}`: use_bias False → True (a new bias, starting at zero)",
               "`{layer}`：use_bias False → True（新增偏置，初始为 0）"), layer=ref.name)
    return changes


def apply_drop_bias_regularizer(config: dict, training: dict, params: dict) -> list[Change]:
    refs = _select(config, params, lambda r: r.config.get("bias_regularizer") is not None or
                   (bool(_names(params)) and "bias_regularizer" in r.config),
                   T("no layer has a bias regularizer", "没有层设置偏置正则化"))
    changes: list[Change] = []
    for ref in refs:
        _set(changes, "drop_bias_regularizer", "model", f"{ref.path}.config", ref.config, "bias_regularizer", None,
             T("`{layer}`: bias_regularizer {before} removed", "`{layer}`：去掉 bias_regularizer {before}"),
             layer=ref.name)
    return changes


def _entry_layers(model: dict) -> list[dict]:
    """The layers reading a model input directly."""
    inputs = set(d.input_layer_names(model))
    layers = model.get("layers", [])
    if d.is_functional(model):
        return [layer for layer in layers if set(d.inbound_names(layer)) & inputs]
    if layers and layers[0].get("class_name") == "InputLayer":
        return layers[1:2]
    return layers[:1]


def _activation_only(layer: dict) -> bool:
    class_name = layer.get("class_name")
    if class_name not in ACTIVATION_LAYERS:
        return False
    activation = ACTIVATION_LAYERS[class_name] or layer["config"].get("activation")
    return activation not in (None, "linear")


def apply_remove_input_activation(config: dict, training: dict, params: dict) -> list[Change]:
    model = _model(config)
    entries = [layer for layer in _entry_layers(model) if _activation_only(layer)]
    names = _names(params) or [d.layer_name(layer) for layer in entries]
    if not names:
        raise NotApplicable(T("no activation is applied directly to the input", "没有直接作用在输入上的激活函数"))
    changes: list[Change] = []
    for name in names:
        layer = next((item for item in entries if d.layer_name(item) == name), None)
        if layer is None:
            raise NotApplicable(T("`{layer}` is not an activation applied to the input", "`{layer}` 不是作用在输入上的激活函数"),
                                layer=name)
        activation = ACTIVATION_LAYERS[layer["class_name"]] or layer["config"].get("activation")
        d.remove_layer(model, name)
        changes.append(Change("remove_input_activation", "model", f"layers[{name}]",
                              {"class_name": layer["class_name"], "name": name, "activation": activation}, None,
                              T("`{layer}` ({activation} on the raw input) removed",
                                "去掉 `{layer}`（作用在原始输入上的 {activation}）"),
                              {"layer": name, "activation": activation}, "remove", name))
    return changes


NOISE_LAYERS = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
                "GaussianNoise", "AlphaDropout")


def _noise_at_output(model: dict) -> list[str]:
    """The Dropout/noise layers at the end of the model: the last ones of a Sequential list, or
    those the outputs of a functional model come from (and the ones feeding them)."""
    layers = model.get("layers", [])
    by_name = {d.layer_name(item): item for item in layers}
    if d.is_functional(model):
        pending = [out[0] for out in d._histories(model.get("output_layers"))]
    else:
        pending = [d.layer_name(layers[-1])] if layers else []
    found: list[str] = []
    while pending:
        name = pending.pop()
        layer = by_name.get(name)
        if layer is None or layer.get("class_name") not in NOISE_LAYERS or name in found:
            continue
        found.append(name)
        if d.is_functional(model):
            pending.extend(d.inbound_names(layer))
        else:
            index = layers.index(layer)
            if index:
                pending.append(d.layer_name(layers[index - 1]))
    return found


def apply_remove_noise_after_output(config: dict, training: dict, params: dict) -> list[Change]:
    """Remove the Dropout/noise layers that come after the model's output activation."""
    model = _model(config)
    names = _names(params, "layer") or _noise_at_output(model)
    if not names:
        raise NotApplicable(T("no Dropout or noise layer comes after the output", "输出之后没有 Dropout 或噪声层"))
    changes: list[Change] = []
    for name in names:
        layer = next((item for item in model.get("layers", []) if d.layer_name(item) == name), None)
        if layer is None or layer.get("class_name") not in NOISE_LAYERS:
            raise NotApplicable(T("`{layer}` is not a Dropout or noise layer of the model", "`{layer}` 不是模型中的 Dropout 或噪声层"),
                                layer=name)
        d.remove_layer(model, name)
        changes.append(Change("remove_noise_after_output", "model", f"layers[{name}]",
                              {"class_name": layer["class_name"], "name": name}, None,
                              T("`{layer}` ({kind} after the output activation) removed",
                                "去掉 `{layer}`（位于输出激活之后的 {kind}）"),
                              {"layer": name, "kind": layer["class_name"]}, "remove", name))
    return changes


def _normalization_layer(kind: str, name: str, params: dict, like: dict) -> dict:
    axis = params.get("axis", -1)
    if kind == "Normalization":
        settings = {"axis": axis if isinstance(axis, list) else [axis], "invert": False,
                    "mean": params.get("mean"), "variance": params.get("variance")}
    elif kind == "BatchNormalization":
        settings = {"axis": axis, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                    "beta_initializer": initializer_object("zeros"), "gamma_initializer": initializer_object("ones"),
                    "moving_mean_initializer": initializer_object("zeros"),
                    "moving_variance_initializer": initializer_object("ones"),
                    "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                    "gamma_constraint": None, "synchronized": False, "renorm": False, "renorm_clipping": None,
                    "renorm_momentum": 0.99}
    elif kind == "LayerNormalization":
        settings = {"axis": axis, "epsilon": 0.001, "center": True, "scale": True, "rms_scaling": False,
                    "beta_initializer": initializer_object("zeros"), "gamma_initializer": initializer_object("ones"),
                    "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                    "gamma_constraint": None}
    else:
        raise NotApplicable(T("cannot insert a {layer_class} layer", "无法插入 {layer_class} 层"), layer_class=kind)
    return d.new_layer(kind, name, settings, like=like)


def apply_insert_normalization(config: dict, training: dict, params: dict) -> list[Change]:
    model = _model(config)
    kind = str(params.get("layer") or "Normalization")
    anchors = _names(params, "after")
    if not anchors:
        if kind != "Normalization":
            raise NotApplicable(T("name the layers after which {layer_class} goes", "请指定在哪些层之后插入 {layer_class}"),
                                layer_class=kind)
        anchors = d.input_layer_names(model)
        if not anchors:
            raise NotApplicable(T("the model has no InputLayer to put the Normalization after",
                                  "模型没有 InputLayer，无法在其后插入 Normalization"))
    changes: list[Change] = []
    for anchor in anchors:
        if not any(d.layer_name(layer) == anchor for layer in model["layers"]):
            raise NotApplicable(T("the model has no top-level layer named `{layer}`", "模型顶层没有名为 `{layer}` 的层"),
                                layer=anchor)
        following = d.next_layers(model, anchor)
        if any(layer.get("class_name") in NORMALIZATION_LAYERS for layer in following):
            raise NotApplicable(T("`{layer}` is already followed by a normalization layer", "`{layer}` 之后已有归一化层"),
                                layer=anchor)
        if any(layer.get("class_name") == "Embedding" for layer in following):
            raise NotApplicable(T("`{layer}` feeds an Embedding: its inputs are token ids, not features",
                                  "`{layer}` 连接 Embedding：输入是词元编号而不是特征"), layer=anchor)
        name = d.unique_name(model, snake_case(kind))
        anchor_layer = next(layer for layer in model["layers"] if d.layer_name(layer) == anchor)
        like = following[0] if following else anchor_layer
        layer = _normalization_layer(kind, name, params, like)
        d.insert_after(model, anchor, layer)
        text = T("{layer_class} `{layer}` inserted after `{anchor}` (adapt it on the training data)",
                 "在 `{anchor}` 之后插入 {layer_class} `{layer}`（需在训练数据上 adapt）") \
            if kind == "Normalization" else \
            T("{layer_class} `{layer}` inserted after `{anchor}`", "在 `{anchor}` 之后插入 {layer_class} `{layer}`")
        changes.append(Change("insert_normalization", "model", f"layers[{name}]", None,
                              {"class_name": kind, "name": name, "after": anchor}, text,
                              {"layer_class": kind, "layer": name, "anchor": anchor}, "insert", name))
    return changes


def _bottleneck(model: dict, params: dict) -> tuple[dict, list[dict], dict] | None:
    """(Flatten, shape-keeping layers in between, Dense) for the named or first Flatten→Dense."""
    wanted = params.get("flatten")
    for layer in model.get("layers", []):
        if layer.get("class_name") != "Flatten" or (wanted and d.layer_name(layer) != wanted):
            continue
        between: list[dict] = []
        current = layer
        for _ in range(10):
            following = d.next_layers(model, d.layer_name(current))
            if len(following) != 1:
                break
            current = following[0]
            if current.get("class_name") == "Dense":
                if params.get("dense") and d.layer_name(current) != params["dense"]:
                    break
                return layer, between, current
            if current.get("class_name") not in PASSTHROUGH:
                break
            between.append(current)
    return None


def apply_replace_flatten_with_gap(config: dict, training: dict, params: dict) -> list[Change]:
    model = _model(config)
    found = _bottleneck(model, params)
    if found is None:
        raise NotApplicable(T("not applicable: the model has no Flatten feeding a Dense layer",
                              "不适用：模型中没有 Flatten 连接 Dense 层的结构"))
    flatten, between, dense = found
    flatten_name = d.layer_name(flatten)
    shape = d.input_shape_hint(model, flatten_name)
    if not isinstance(shape, list) or len(shape) not in GAP_BY_RANK or not isinstance(shape[-1], int):
        raise NotApplicable(T("not applicable: the input of `{layer}` is not a feature map (shape {shape})",
                              "不适用：`{layer}` 的输入不是特征图（形状 {shape}）"), layer=flatten_name, shape=shape)
    expected = GAP_BY_RANK[len(shape)]
    pooling = str(params.get("pooling") or expected)
    if pooling != expected:
        pooling = expected  # the rank decides: a 1D feature map takes GlobalAveragePooling1D
    data_format = flatten["config"].get("data_format") or "channels_last"
    channels = shape[-1] if data_format == "channels_last" else shape[1]
    new_shape = [None, channels]
    name = d.unique_name(model, snake_case(pooling))
    layer = d.new_layer(pooling, name, {"data_format": data_format, "keepdims": False}, like=flatten)
    layer["config"]["trainable"] = flatten["config"].get("trainable", True)
    if isinstance(flatten.get("build_config"), dict):
        layer["build_config"] = copy.deepcopy(flatten["build_config"])
    index = model["layers"].index(flatten)
    if "inbound_nodes" in flatten:
        layer["name"] = name
        layer["inbound_nodes"] = copy.deepcopy(flatten["inbound_nodes"])
    model["layers"][index] = layer
    if d.is_functional(model):
        d.retarget(model, flatten_name, name, shape=new_shape)
        for item in between:  # their outputs keep the pooled shape too
            d.retarget(model, d.layer_name(item), d.layer_name(item), shape=new_shape)
    for item in [*between, dense]:
        if isinstance(item.get("build_config"), dict):
            item["build_config"]["input_shape"] = list(new_shape)
    dense_name = d.layer_name(dense)
    return [Change("replace_flatten_with_gap", "model", f"layers[{flatten_name}]",
                   {"class_name": "Flatten", "name": flatten_name, "output_shape": [None, math.prod(shape[1:])]},
                   {"class_name": pooling, "name": name, "output_shape": new_shape},
                   T("`{old}` Flatten → {pooling} `{layer}`: `{dense}` now takes {channels} features instead of "
                     "{flat} (its kernel is trained anew)",
                     "`{old}` Flatten → {pooling} `{layer}`：`{dense}` 的输入从 {flat} 个特征变为 {channels} 个"
                     "（其权重需重新训练）"),
                   {"old": flatten_name, "pooling": pooling, "layer": name, "dense": dense_name,
                    "channels": channels, "flat": math.prod(shape[1:])}, "replace", name)]


def apply_add_regularization(config: dict, training: dict, params: dict) -> list[Change]:
    model = _model(config)
    l2 = float(params.get("l2") or 0)
    rate = float(params.get("dropout") or 0)
    dense = _select(config, params, lambda r: r.class_name == "Dense" and r.owner is model,
                    T("the model has no Dense layer to regularize", "模型中没有可正则化的 Dense 层"))
    changes: list[Change] = []
    if l2 > 0:
        for ref in dense:
            _set(changes, "add_regularization", "model", f"{ref.path}.config", ref.config, "kernel_regularizer",
                 {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": l2}, "registered_name": None},
                 T("`{layer}`: kernel_regularizer {before} → L2({l2})", "`{layer}`：kernel_regularizer {before} → L2({l2})"),
                 layer=ref.name, l2=l2)
    if rate > 0:
        def size(ref: d.LayerRef) -> int:
            shape = d.input_shape_hint(model, ref.name)
            inputs = shape[-1] if isinstance(shape, list) and shape and isinstance(shape[-1], int) else 0
            return inputs * int(ref.config.get("units") or 0)

        largest = max(dense, key=size)
        previous = d.previous_layer(model, largest.name)
        previous_layer = next((layer for layer in model["layers"] if d.layer_name(layer) == previous), None)
        if previous and previous_layer is not None and previous_layer.get("class_name") != "Dropout" \
                and previous_layer.get("class_name") != "InputLayer":
            name = d.unique_name(model, "dropout")
            layer = d.new_layer("Dropout", name, {"rate": rate, "seed": None, "noise_shape": None}, like=largest.layer)
            d.insert_after(model, previous, layer)
            changes.append(Change("add_regularization", "model", f"layers[{name}]", None,
                                  {"class_name": "Dropout", "name": name, "after": previous, "rate": rate},
                                  T("Dropout({rate}) `{layer}` inserted before `{dense}`",
                                    "在 `{dense}` 之前插入 Dropout({rate}) `{layer}`"),
                                  {"rate": rate, "layer": name, "dense": largest.name}, "insert", name))
    return changes


# ------------------------------------------------------------------- compile patches

def apply_set_loss(config: dict, training: dict, params: dict) -> list[Change]:
    loss = params.get("loss")
    if not loss:
        raise NotApplicable(T("give the loss to use", "请给出要使用的损失函数"))
    compile_config = _compile(config)
    holder, key, path = _loss_slot(compile_config, params.get("output"))
    before = holder[key] if isinstance(holder, list) else holder.get(key)
    if loss_name(before) == canonical_loss(str(loss)):
        raise NotApplicable(T("the loss is already {loss}", "损失函数已经是 {loss}"), loss=loss)
    holder[key] = loss
    return [Change("set_loss", "compile", path, copy.deepcopy(before), loss,
                   T("loss {before} → {after}", "损失函数 {before} → {after}"),
                   {"before": loss_name(before) or _show(before), "after": loss})]


def apply_set_metrics(config: dict, training: dict, params: dict) -> list[Change]:
    """Replace the accuracy metrics (meaningless on a regression loss) by ``params["metrics"]``,
    keeping the other metrics."""
    compile_config = _compile(config)
    before = compile_config.get("metrics")
    if isinstance(before, dict) or isinstance(before, list) and any(isinstance(m, (dict, list)) and
                                                                   "class_name" not in m for m in before):
        raise NotApplicable(T("the metrics are set per output: change them in model.compile(...) by hand",
                              "指标是按输出分别设置的：请手动修改 model.compile(...)"))
    kept = [m for m in (before if isinstance(before, list) else [before] if before else [])
            if not (isinstance(m, str) and "acc" in m.lower())
            and not (isinstance(m, dict) and "acc" in str(m.get("class_name", "")).lower())]
    after = kept + [m for m in params.get("metrics") or ["mae"] if m not in kept]
    if _same(before, after):
        raise NotApplicable(T("the metrics are already {metrics}", "指标已经是 {metrics}"), metrics=_show(after))
    compile_config["metrics"] = after
    return [Change("set_metrics", "compile", "compile_config.metrics", copy.deepcopy(before), copy.deepcopy(after),
                   T("metrics {before} → {after}", "指标 {before} → {after}"),
                   {"before": _show(before), "after": _show(after)})]


def apply_set_from_logits(config: dict, training: dict, params: dict) -> list[Change]:
    compile_config = _compile(config)
    holder, key, path = _loss_slot(compile_config, params.get("output"))
    before = holder[key] if isinstance(holder, list) else holder.get(key)
    name = loss_name(before)
    if name not in CROSSENTROPY:
        raise NotApplicable(T("the loss {loss} has no from_logits setting", "损失函数 {loss} 没有 from_logits 设置"),
                            loss=name or _show(before))
    flag = bool(params["from_logits"])
    if isinstance(before, dict) and isinstance(before.get("config"), dict):
        after = copy.deepcopy(before)
        after["config"]["from_logits"] = flag
    else:
        after = loss_object(name, from_logits=flag)
    changes: list[Change] = []
    if not _same(before, after) and not (isinstance(before, dict) and before.get("config", {}).get("from_logits") == flag):
        holder[key] = after
        changes.append(Change("set_from_logits", "compile", path, copy.deepcopy(before), copy.deepcopy(after),
                              T("loss {loss}: from_logits → {flag}", "损失函数 {loss}：from_logits → {flag}"),
                              {"loss": name, "flag": flag}))
    if flag:
        output = params.get("layer") or (params.get("output") if isinstance(holder, dict) and path != "compile_config.loss"
                                         else None)
        ref = _output_ref(config, output)
        activation = params.get("activation") or "linear"
        if _activation_of(ref) in ("softmax", "sigmoid", "relu", "softplus", "log_softmax") \
                and (ref.class_name == "Activation" or "activation" in ref.config):
            _set(changes, "set_from_logits", "model", f"{ref.path}.config", ref.config, "activation", activation,
                 _SET_ACTIVATION, layer=ref.name)
    return changes


def apply_set_learning_rate(config: dict, training: dict, params: dict) -> list[Change]:
    changes: list[Change] = []
    optimizer = _optimizer(config, changes, "set_learning_rate")
    settings = optimizer["config"]
    current = settings.get("learning_rate")
    text = T("learning rate {before} → {after}", "学习率 {before} → {after}")
    if isinstance(current, dict):  # a schedule: scale or set its initial rate
        inner = current.get("config", {})
        if "initial_learning_rate" not in inner:
            raise NotApplicable(T("the learning-rate schedule {schedule} has no initial rate to change",
                                  "学习率调度 {schedule} 没有可修改的初始学习率"), schedule=current.get("class_name"))
        old = float(inner["initial_learning_rate"])
        new = _new_rate(old, params)
        _set(changes, "set_learning_rate", "compile", "compile_config.optimizer.config.learning_rate.config",
             inner, "initial_learning_rate", new,
             T("initial learning rate of {schedule} {before} → {after}", "{schedule} 的初始学习率 {before} → {after}"),
             schedule=current.get("class_name"))
        return changes
    old = float(current) if isinstance(current, (int, float)) else \
        d.OPTIMIZER_OWN.get(_optimizer_class(optimizer), {}).get("learning_rate", 0.001)
    _set(changes, "set_learning_rate", "compile", "compile_config.optimizer.config", settings, "learning_rate",
         _new_rate(old, params), text)
    return changes


def _new_rate(old: float, params: dict) -> float:
    if params.get("learning_rate") is not None:
        return rounded(float(params["learning_rate"]))
    if params.get("factor") is not None:
        return rounded(old * float(params["factor"]))
    raise NotApplicable(T("give learning_rate or factor", "请给出 learning_rate 或 factor"))


def _optimizer_setting(patch: str, key: str, owners: Iterable[str] | None, clears: tuple[str, ...] = ()
                       ) -> ApplyFunction:
    """A patch setting one optimizer argument (only for optimizers that have it)."""

    def apply(config: dict, training: dict, params: dict) -> list[Change]:
        changes: list[Change] = []
        optimizer = _optimizer(config, changes, patch)
        class_name = _optimizer_class(optimizer)
        if owners is not None and class_name not in owners and key not in optimizer["config"]:
            raise NotApplicable(T("{optimizer} has no {key} setting", "{optimizer} 没有 {key} 设置"),
                                optimizer=class_name, key=key)
        value = params[key]
        value = rounded(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        _set(changes, patch, "compile", "compile_config.optimizer.config", optimizer["config"], key, value,
             T("{optimizer}: {key} {before} → {after}", "{optimizer}：{key} {before} → {after}"),
             optimizer=class_name)
        for other in clears:
            if optimizer["config"].get(other) is not None:
                _set(changes, patch, "compile", "compile_config.optimizer.config", optimizer["config"], other, None,
                     T("{optimizer}: {key} {before} → None (Keras allows one kind of clipping)",
                       "{optimizer}：{key} {before} → None（Keras 只允许一种梯度裁剪）"), optimizer=class_name)
        return changes

    return apply


_EPSILON_OWNERS = [name for name, own in d.OPTIMIZER_OWN.items() if "epsilon" in own]
_MOMENTUM_OWNERS = [name for name, own in d.OPTIMIZER_OWN.items() if "momentum" in own]


def apply_switch_optimizer(config: dict, training: dict, params: dict) -> list[Change]:
    changes: list[Change] = []
    old = _optimizer(config, changes, "switch_optimizer")
    target = canonical_optimizer(str(params["optimizer"]))
    if target not in d.OPTIMIZER_OWN:
        raise NotApplicable(T("unknown optimizer {optimizer}", "未知的优化器 {optimizer}"), optimizer=params["optimizer"])
    if _optimizer_class(old) == target and params.get("learning_rate") is None:
        raise NotApplicable(T("the optimizer is already {optimizer}", "优化器已经是 {optimizer}"), optimizer=target)
    settings: dict[str, Any] = {}
    for key in ("clipnorm", "clipvalue", "global_clipnorm"):
        if old["config"].get(key) is not None:
            settings[key] = old["config"][key]
    if params.get("learning_rate") is not None:
        settings["learning_rate"] = rounded(float(params["learning_rate"]))
    new = optimizer_object(target, **settings)
    compile_config = config["compile_config"]
    before = copy.deepcopy(compile_config["optimizer"])
    compile_config["optimizer"] = new
    changes.append(Change("switch_optimizer", "compile", "compile_config.optimizer", before, copy.deepcopy(new),
                          T("optimizer {before} → {after} (learning rate {rate})",
                            "优化器 {before} → {after}（学习率 {rate}）"),
                          {"before": _optimizer_class(before), "after": target,
                           "rate": new["config"]["learning_rate"]}, "replace"))
    return changes


# ------------------------------------------------------------------ training patches

def _fit(training: dict, changes: list[Change], patch: str, key: str, value: Any, text: Text) -> None:
    before = training.get(key)
    if _same(before, value):
        return
    training[key] = copy.deepcopy(value)
    changes.append(Change(patch, "training", f"fit.{key}", before, copy.deepcopy(value), text,
                          {"key": key, "before": _show(before), "after": _show(value)}))


def apply_set_shuffle(config: dict, training: dict, params: dict) -> list[Change]:
    changes: list[Change] = []
    _fit(training, changes, "set_shuffle", "shuffle", bool(params["shuffle"]),
         T("fit: shuffle {before} → {after}", "fit：shuffle {before} → {after}"))
    return changes


def apply_set_batch_size(config: dict, training: dict, params: dict) -> list[Change]:
    size = int(params["batch_size"])
    if size < 1:
        raise NotApplicable(T("a batch size must be at least 1", "批大小至少为 1"))
    changes: list[Change] = []
    _fit(training, changes, "set_batch_size", "batch_size", size,
         T("fit: batch_size {before} → {after}", "fit：batch_size {before} → {after}"))
    return changes


def apply_set_class_weight(config: dict, training: dict, params: dict) -> list[Change]:
    weights = params["class_weight"]
    if isinstance(weights, dict):
        weights = {int(k) if str(k).lstrip("-").isdigit() else k: float(v) for k, v in weights.items()}
    elif weights != "balanced":
        raise NotApplicable(T("class_weight is \"balanced\" or a mapping class → weight",
                              "class_weight 应为 \"balanced\" 或 类别 → 权重 的映射"))
    changes: list[Change] = []
    _fit(training, changes, "set_class_weight", "class_weight", weights,
         T("fit: class_weight {before} → {after}", "fit：class_weight {before} → {after}"))
    return changes


def apply_add_early_stopping(config: dict, training: dict, params: dict) -> list[Change]:
    settings = {"monitor": params["monitor"], "patience": int(params["patience"]),
                "restore_best_weights": bool(params["restore_best_weights"])}
    if params.get("min_delta"):
        settings["min_delta"] = float(params["min_delta"])
    callbacks = training.setdefault("callbacks", [])
    existing = next((c for c in callbacks if isinstance(c, dict) and c.get("class_name") == "EarlyStopping"), None)
    before = copy.deepcopy(existing)
    if existing is not None:
        if existing.get("config") == settings:
            return []
        existing["config"] = settings
    else:
        callbacks.append({"class_name": "EarlyStopping", "config": settings})
    return [Change("add_early_stopping", "training", "callbacks[EarlyStopping]", before,
                   {"class_name": "EarlyStopping", "config": copy.deepcopy(settings)},
                   T("callback EarlyStopping(monitor={monitor}, patience={patience}, "
                     "restore_best_weights={restore})",
                     "回调 EarlyStopping(monitor={monitor}, patience={patience}, restore_best_weights={restore})"),
                   {"monitor": settings["monitor"], "patience": settings["patience"],
                    "restore": settings["restore_best_weights"]}, "insert" if existing is None else "set")]


# ------------------------------------------------------------------------- conflicts

def _layer_set(params: dict) -> set[str] | None:
    names = _names(params)
    return set(names) if names else None  # None: every such layer


def _overlap(a: dict, b: dict) -> bool:
    left, right = _layer_set(a), _layer_set(b)
    return left is None or right is None or bool(left & right)


_MULTICLASS_LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "categorical_focal_crossentropy")
_BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy")


def _activation_fits_loss(activation: Any, loss: Any) -> bool:
    """sigmoid goes with a binary loss, softmax with a multi-class one."""
    name = canonical_loss(str(loss)) if loss else ""
    if activation == "sigmoid" and name in _MULTICLASS_LOSSES:
        return False
    if activation == "softmax" and name in _BINARY_LOSSES:
        return False
    return True


def _output_conflicts(params: dict, other_id: str, other: dict) -> bool:
    """Probabilities at the output contradict from_logits=True, and must fit a new loss.

    (The fixes of one finding are alternatives: "categorical_crossentropy" or "one sigmoid
    unit with binary_crossentropy", never both.)
    """
    if other_id == "set_from_logits":
        return bool(other.get("from_logits", True)) and params.get("activation") in ("softmax", "sigmoid")
    if other_id == "set_loss":
        return not _activation_fits_loss(params.get("activation"), other.get("loss"))
    return False


def _logits_vs_output(params: dict, other_id: str, other: dict) -> bool:
    if other_id == "set_output_activation":
        return bool(params.get("from_logits", True)) and other.get("activation") in ("softmax", "sigmoid")
    return False


def _loss_vs_output(params: dict, other_id: str, other: dict) -> bool:
    if other_id == "set_output_activation":
        return not _activation_fits_loss(other.get("activation"), params.get("loss"))
    return False


def _renorm_vs_swap(params: dict, other_id: str, other: dict) -> bool:
    return other_id == "swap_normalization" and _overlap(params, other)


def _swap_vs_renorm(params: dict, other_id: str, other: dict) -> bool:
    return other_id == "batchnorm_renorm" and _overlap(params, other)


# ------------------------------------------------------------------------------ catalog

def _unit(id: str, target: Target, title: Text, params: dict, apply: ApplyFunction | None,
          conflicts_with: frozenset[str] | ConflictPredicate = frozenset(), manual: Text | None = None) -> PatchUnit:
    return PatchUnit(id, target, title, params, apply, conflicts_with, manual)


UNITS: list[PatchUnit] = [
    # model edits; structural ones first so later edits see the final graph
    _unit("remove_input_activation", "model", T("Remove the activation applied to the input", "去掉作用在输入上的激活函数"),
          {"layers": None}, apply_remove_input_activation),
    _unit("remove_noise_after_output", "model",
          T("Remove the Dropout after the output activation", "去掉输出激活之后的 Dropout"),
          {"layer": None}, apply_remove_noise_after_output),
    _unit("replace_flatten_with_gap", "model",
          T("Replace Flatten → Dense with global average pooling", "用全局平均池化代替 Flatten → Dense"),
          {"flatten": None, "dense": None, "pooling": None}, apply_replace_flatten_with_gap),
    _unit("swap_normalization", "model",
          T("Replace BatchNormalization with {normalization}", "把 BatchNormalization 换成 {normalization}"),
          {"normalization": "LayerNormalization", "groups": 8, "layers": None}, apply_swap_normalization,
          _swap_vs_renorm),
    _unit("batchnorm_renorm", "model", T("Use BatchNormalization(renorm=True)", "改用 BatchNormalization(renorm=True)"),
          {"renorm": True, "renorm_momentum": None, "layers": None}, apply_batchnorm_renorm, _renorm_vs_swap),
    _unit("insert_normalization", "model", T("Insert a {layer} layer", "插入 {layer} 层"),
          {"layer": "Normalization", "axis": -1, "after": None, "mean": None, "variance": None},
          apply_insert_normalization),
    _unit("add_regularization", "model", T("Add dropout and an L2 weight penalty", "加入 dropout 和 L2 权重惩罚"),
          {"dropout": 0.5, "l2": 1e-4, "layers": None}, apply_add_regularization),
    _unit("set_output_activation", "model", T("Set the output activation to {activation}", "将输出层激活函数改为 {activation}"),
          {"activation": "softmax", "layer": None, "units": None}, apply_set_output_activation, _output_conflicts),
    _unit("set_activation", "model", T("Use {activation} in the named layers", "指定层改用 {activation}"),
          {"activation": "relu", "layers": None}, apply_set_activation),
    _unit("set_initializer", "model", T("Initialize the kernels with {kernel_initializer}", "用 {kernel_initializer} 初始化权重"),
          {"kernel_initializer": "he_normal", "bias_initializer": None, "layers": None}, apply_set_initializer),
    _unit("enable_bias", "model", T("Turn the bias back on (use_bias=True)", "重新启用偏置（use_bias=True）"),
          {"use_bias": True, "layers": None}, apply_enable_bias),
    _unit("drop_bias_regularizer", "model", T("Remove the bias regularizer", "去掉偏置正则化"),
          {"layers": None}, apply_drop_bias_regularizer),
    # compile edits; the optimizer switch first so that its settings apply to the new one
    _unit("set_loss", "compile", T("Change the loss to {loss}", "将损失函数改为 {loss}"),
          {"loss": None, "output": None}, apply_set_loss, _loss_vs_output),
    _unit("set_from_logits", "compile", T("Set from_logits={from_logits} on the loss", "在损失函数上设置 from_logits={from_logits}"),
          {"from_logits": True, "activation": "linear", "output": None, "layer": None}, apply_set_from_logits,
          _logits_vs_output),
    _unit("set_metrics", "compile", T("Track {metrics} instead of accuracy", "改为跟踪 {metrics}，不再用准确率"),
          {"metrics": ["mae"]}, apply_set_metrics),
    _unit("switch_optimizer", "compile", T("Switch to {optimizer}", "改用 {optimizer}"),
          {"optimizer": "Adam", "learning_rate": None}, apply_switch_optimizer),
    _unit("set_learning_rate", "compile", T("Set the learning rate", "设置学习率"),
          {"learning_rate": None, "factor": None}, apply_set_learning_rate),
    _unit("set_optimizer_epsilon", "compile", T("Raise the optimizer's epsilon to {epsilon}", "把优化器的 epsilon 提高到 {epsilon}"),
          {"epsilon": 1e-3}, _optimizer_setting("set_optimizer_epsilon", "epsilon", _EPSILON_OWNERS)),
    _unit("set_momentum", "compile", T("Use momentum {momentum}", "使用动量 {momentum}"),
          {"momentum": 0.9}, _optimizer_setting("set_momentum", "momentum", _MOMENTUM_OWNERS)),
    _unit("set_clipnorm", "compile", T("Clip the gradient norm to {clipnorm}", "把梯度范数裁剪到 {clipnorm}"),
          {"clipnorm": 1.0}, _optimizer_setting("set_clipnorm", "clipnorm", None, ("clipvalue", "global_clipnorm")),
          frozenset({"set_clipvalue"})),
    _unit("set_clipvalue", "compile", T("Clip each gradient value to ±{clipvalue}", "把每个梯度值裁剪到 ±{clipvalue}"),
          {"clipvalue": 0.5}, _optimizer_setting("set_clipvalue", "clipvalue", None, ("clipnorm", "global_clipnorm")),
          frozenset({"set_clipnorm"})),
    # training settings
    _unit("set_shuffle", "training", T("Shuffle the training data every epoch", "每轮都打乱训练数据"),
          {"shuffle": True}, apply_set_shuffle),
    _unit("set_batch_size", "training", T("Train with batches of {batch_size}", "使用 {batch_size} 的批大小训练"),
          {"batch_size": 32}, apply_set_batch_size),
    _unit("set_class_weight", "training", T("Weight the classes (class_weight)", "为各类别加权（class_weight）"),
          {"class_weight": "balanced"}, apply_set_class_weight),
    _unit("add_early_stopping", "training", T("Stop when {monitor} stops improving", "{monitor} 不再改善时停止训练"),
          {"monitor": "val_loss", "patience": 5, "restore_best_weights": True, "min_delta": None},
          apply_add_early_stopping),
    # by hand only
    _unit("replace_lambda", "model", T("Replace the Lambda layers with registered layers", "用注册过的层代替 Lambda 层"),
          {"layers": None, "replacement": None}, None,
          manual=T("a Lambda layer's code cannot be rewritten as config data: replace it in the training code",
                   "Lambda 层中的代码无法作为配置数据改写：请在训练代码中替换它")),
    _unit("check_labels", "training", T("Check the labels", "检查标签"), {}, None,
          manual=T("checking labels needs the data: do it by hand", "检查标签需要数据：请手动检查")),
    _unit("same_preprocessing", "training",
          T("Prepare evaluation data exactly like training data", "评估数据按与训练数据完全相同的方式预处理"), {}, None,
          manual=T("data preparation lives in the training code, outside the model file: change it there "
                   "(or move it into the model as Rescaling/Normalization layers)",
                   "数据预处理写在训练代码里，不在模型文件中：请在代码中修改"
                   "（或把它作为 Rescaling/Normalization 层放进模型）")),
    _unit("clean_nonfinite_data", "training", T("Drop or impute the rows with NaN/inf", "删除或填补含 NaN/inf 的行"),
          {}, None,
          manual=T("the NaN/inf values are in the data, outside the model file: clean the arrays before fit()",
                   "NaN/inf 值在数据中，不在模型文件里：请在 fit() 之前清理数组")),
    _unit("guard_custom_loss", "compile",
          T("Use the built-in loss, or clip before the log", "改用内置损失函数，或在取对数前裁剪"), {}, None,
          manual=T("a hand-written loss is code, not config: replace it in the training code",
                   "手写的损失函数是代码而不是配置：请在训练代码中替换")),
    _unit("grow_model", "model", T("Give the model more capacity or more epochs", "增加模型容量或训练轮数"), {}, None,
          manual=T("how much wider or longer depends on the task: change the layer sizes or epochs by hand",
                   "加宽多少、训练多久取决于任务：请手动修改层的大小或训练轮数")),
]

CATALOG: dict[str, PatchUnit] = {unit.id: unit for unit in UNITS}
ORDER: dict[str, int] = {unit.id: index for index, unit in enumerate(UNITS)}


def unit(patch_id: str) -> PatchUnit | None:
    return CATALOG.get(patch_id)
