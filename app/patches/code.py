"""The code change for a patch plan: a ready-to-paste snippet for the user's training script.

A patched ``.keras`` file fixes the saved model; the script that built it still has the old
lines. :func:`code_change` writes what to change there: the layer lines that differ (in the
``x = layers.X(...)(x)`` form for functional models, ``layers.X(...),`` for Sequential ones),
a complete ``model.compile(...)`` call with the loss and optimizer objects and their
arguments, and the ``model.fit(...)`` arguments with the callbacks to add.
"""

from __future__ import annotations

import json
from typing import Any

from app.io.keras_config import snake_case
from app.patches import catalog
from app.patches import document as d
from app.patches.apply import PatchPlan

# The first (positional) arguments of common layers, as people write them.
_POSITIONAL = {"Dense": ("units",), "Conv1D": ("filters", "kernel_size"), "Conv2D": ("filters", "kernel_size"),
               "Conv3D": ("filters", "kernel_size"), "SeparableConv1D": ("filters", "kernel_size"),
               "SeparableConv2D": ("filters", "kernel_size"), "Activation": ("activation",),
               "Dropout": ("rate",), "LSTM": ("units",), "GRU": ("units",), "SimpleRNN": ("units",)}
# Keyword arguments worth showing on a new or replaced layer.
_SHOWN = {"GroupNormalization": ("groups",), "Normalization": ("axis",), "BatchNormalization": ("renorm",)}
_LOSS_DEFAULTS = {"reduction": "sum_over_batch_size", "label_smoothing": 0.0, "axis": -1,
                  "from_logits": False, "dtype": None}

_TEXT = {
    "en": {"header": "# TrainDoc: the same changes in your training code",
           "model": "# Model: change these layers where the model is built",
           "removed": "removed", "new_after": "new, after `{anchor}`", "replaces": "replaces `{old}`",
           "adapt": "# Normalization layers learn the feature means and variances before training:",
           "compile": "# Compile settings",
           "fit": "# Training settings",
           "manual": "# By hand: {patch}: {reason}",
           "nothing": "# No change to make."},
    "zh_CN": {"header": "# TrainDoc：在训练代码中做同样的修改",
              "model": "# 模型：在构建模型的代码中修改这些层",
              "removed": "已删除", "new_after": "新增，位于 `{anchor}` 之后", "replaces": "替换 `{old}`",
              "adapt": "# Normalization 层在训练前需在数据上学习各特征的均值和方差：",
              "compile": "# 编译设置",
              "fit": "# 训练设置",
              "manual": "# 需手动：{patch}：{reason}",
              "nothing": "# 无需修改。"},
}


def literal(value: Any) -> str:
    """A Python literal for a config value (serialized Keras objects as constructor calls)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return f"{value:.6g}" if value == value else 'float("nan")'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict) and isinstance(value.get("class_name"), str):
        return keras_object(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def keras_object(value: dict) -> str:
    """``keras.initializers.HeNormal()``, ``keras.regularizers.L2(l2=0.0001)`` ... for a serialized object."""
    module = str(value.get("module") or "keras")
    class_name = value["class_name"]
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    if module.startswith("keras.losses"):
        prefix = "keras.losses"
        config = {k: v for k, v in config.items()
                  if k != "name" and (k not in _LOSS_DEFAULTS or v != _LOSS_DEFAULTS[k])}
    elif module.startswith("keras.optimizers.schedules"):
        prefix = "keras.optimizers.schedules"
        config = {k: v for k, v in config.items() if k != "name"}
    elif module.startswith("keras.optimizers"):
        return optimizer_call(value)
    elif module.startswith(("keras.initializers", "keras.regularizers", "keras.constraints", "keras.metrics")):
        prefix = module.split(".src")[0] if ".src" in module else module
        config = {k: v for k, v in config.items() if v is not None}
    else:
        prefix = "keras"
    args = ", ".join(f"{k}={literal(v)}" for k, v in config.items())
    return f"{prefix}.{class_name}({args})"


def optimizer_call(value: Any) -> str:
    """``keras.optimizers.Adam(learning_rate=0.0001, epsilon=0.001)``: the rate and every non-default."""
    if isinstance(value, str):
        return json.dumps(value)
    class_name = catalog.canonical_optimizer(str(value.get("class_name")))
    config = value.get("config") or {}
    defaults = dict(d.OPTIMIZER_BASE)
    defaults.update(d.OPTIMIZER_OWN.get(class_name, {}))
    args = []
    if "learning_rate" in config:
        args.append(f"learning_rate={literal(config['learning_rate'])}")
    for key, setting in config.items():
        if key in ("name", "learning_rate") or (key in defaults and _equal(defaults[key], setting)):
            continue
        if key not in defaults and setting is None:
            continue
        args.append(f"{key}={literal(setting)}")
    return f"keras.optimizers.{class_name}({', '.join(args)})"


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-12)
    return a == b


def layer_call(layer: dict, changed: set[str] = frozenset()) -> str:
    """``layers.Dense(2, activation="softmax", name="dense_1")`` for a layer object."""
    class_name = layer["class_name"]
    config = layer["config"]
    def value(key: str) -> str:
        item = config[key]
        if key == "axis" and isinstance(item, list) and len(item) == 1:
            item = item[0]
        return literal(item)

    args = [value(key) for key in _POSITIONAL.get(class_name, ()) if key in config]
    shown = [key for key in _SHOWN.get(class_name, ()) if key in config and key not in _POSITIONAL.get(class_name, ())]
    for key in [*shown, *sorted(changed)]:
        if key in _POSITIONAL.get(class_name, ()) or key == "name" or key not in config:
            continue
        if class_name in _POSITIONAL and key in _POSITIONAL[class_name]:
            continue
        args.append(f"{key}={value(key)}")
    args.append(f"name={literal(d.layer_name(layer))}")
    return f"layers.{class_name}({', '.join(dict.fromkeys(args))})"


def _layer_lines(plan: PatchPlan, text: dict[str, str]) -> list[str]:
    model = plan.document.model
    functional = d.is_functional(model)
    changed: dict[str, set[str]] = {}
    order: list[str] = []
    lines: list[str] = []
    notes: dict[str, str] = {}
    adapt: list[str] = []
    for change in plan.changes_for("model"):
        name = change.layer or ""
        if change.kind == "remove":
            before = change.before or {}
            activation = before.get("activation")
            call = f'layers.{before.get("class_name")}({literal(activation) + ", " if activation else ""}' \
                   f'name={literal(name)})'
            lines.append(f"# {text['removed']}: {'x = ' + call + '(x)' if functional else call}")
            continue
        if name not in order:
            order.append(name)
        if change.kind == "set":
            changed.setdefault(name, set()).add(change.path.rsplit(".", 1)[-1])
        elif change.kind == "insert":
            notes[name] = text["new_after"].format(anchor=(change.after or {}).get("after", "?"))
            if (change.after or {}).get("class_name") == "Normalization":
                adapt.append(name)
        elif change.kind == "replace":
            notes[name] = text["replaces"].format(old=change.params.get("old", "?"))
    for name in order:
        ref = d.find_layer(model, name)
        if ref is None:
            continue
        call = layer_call(ref.layer, changed.get(name, set()))
        line = f"x = {call}(x)" if functional else f"{call},"
        if name in notes:
            line += f"  # {notes[name]}"
        lines.append(line)
    if adapt:
        lines.append(text["adapt"])
        lines.extend(f'model.get_layer({literal(name)}).adapt(x_train)' for name in adapt)
    return lines


def _compile_lines(plan: PatchPlan) -> list[str]:
    compile_config = plan.document.compile_config or {}
    lines = ["model.compile("]
    optimizer = compile_config.get("optimizer")
    if optimizer is not None:
        lines.append(f"    optimizer={optimizer_call(optimizer)},")
    loss = compile_config.get("loss")
    if loss is not None:
        lines.append(f"    loss={literal(loss) if not isinstance(loss, list) else '[' + ', '.join(map(literal, loss)) + ']'},")
    if compile_config.get("loss_weights") is not None:
        lines.append(f"    loss_weights={literal(compile_config['loss_weights'])},")
    metrics = compile_config.get("metrics")
    if metrics:
        rendered = "[" + ", ".join(literal(m) for m in metrics) + "]" if isinstance(metrics, list) else literal(metrics)
        lines.append(f"    metrics={rendered},")
    lines.append(")")
    return lines


_BALANCED = ["import numpy as np",
             "labels = y_train.argmax(-1) if y_train.ndim > 1 else y_train.ravel()",
             "counts = np.bincount(labels.astype(int))",
             "class_weight = {i: len(labels) / (len(counts) * c) for i, c in enumerate(counts) if c}"]


def _fit_lines(plan: PatchPlan) -> list[str]:
    training = plan.training
    lines: list[str] = []
    args = ["x_train", "y_train"]
    for key, value in training.items():
        if key == "callbacks":
            continue
        if key == "class_weight":
            if value == "balanced":
                lines.extend(_BALANCED)
            else:
                lines.append(f"class_weight = {literal(value)}")
            args.append("class_weight=class_weight")
            continue
        args.append(f"{key}={literal(value)}")
    callbacks = []
    for callback in training.get("callbacks", []):
        if not isinstance(callback, dict):
            continue
        name = snake_case(str(callback.get("class_name", "callback")))
        settings = ", ".join(f"{k}={literal(v)}" for k, v in (callback.get("config") or {}).items())
        lines.append(f"{name} = keras.callbacks.{callback.get('class_name')}({settings})")
        callbacks.append(name)
    if callbacks:
        args.append(f"callbacks=[{', '.join(callbacks)}]")
    lines.append(f"model.fit({', '.join(args)}, ...)")
    return lines


def code_change(plan: PatchPlan, lang: str = "en") -> str:
    """The snippet to paste into the training script for everything in ``plan``."""
    text = _TEXT["zh_CN" if lang.startswith("zh") else "en"]
    out = [text["header"]]
    if plan.changes_for("model"):
        out += ["", text["model"], *_layer_lines(plan, text)]
    if plan.changes_for("compile"):
        out += ["", text["compile"], *_compile_lines(plan)]
    if plan.changes_for("training"):
        out += ["", text["fit"], *_fit_lines(plan)]
    manual = [item for item in plan.refused if item.kind == "manual"]
    if manual:
        out.append("")
        out += [text["manual"].format(patch=item.patch, reason=item.describe(lang)) for item in manual]
    if len(out) == 1:
        out.append(text["nothing"])
    return "\n".join(out) + "\n"
