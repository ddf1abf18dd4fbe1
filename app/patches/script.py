"""The code change as a real edit of the user's training script: a unified diff, and the
patched copy written to a new file.

A :class:`~app.patches.apply.PatchPlan` says what changes in the model config, the compile
config and the ``fit()`` settings. :func:`patch_script` makes the same changes in the code
that built the model, where the code reader (:mod:`app.io.code`) found each part:
the layer constructor calls, ``model.compile(...)``, the optimizer's constructor,
``model.fit(...)``. Edits are made on the text at the exact positions of the syntax tree
(nothing is run, nothing is re-formatted): an argument is replaced or added, a layer call is
swapped for another class, a layer is inserted into the ``Sequential`` list / after its
``model.add`` / after its line of a functional graph, a callback joins the ``callbacks``
list; a missing import is added after the file's imports, in the spelling the file already
uses (``layers.X``, ``keras.layers.X``, ``tf.keras.layers.X`` or a name imported directly).

What cannot be placed safely is never guessed: a layer built by a helper function that is
called several times (changing that line changes every layer it builds), a model that is
compiled or fit elsewhere, pasted text that needed repairs, an edit across two notebook
cells. Those changes are listed with the reason and left to the snippet of
:func:`app.patches.code.code_change`. A notebook's code cells are edited as one program and
put back into their cells (:mod:`app.patches.notebook`).
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from app.core.i18n import T, Text
from app.io.code import CodeSite, CodeSpec
from app.io.code.keras_names import (COMPILE_ARGS, FIT_ARGS, FIT_GENERATOR_ARGS, KERAS1_RENAMES, LAYER_ARGS,
                                      OPTIMIZER_ARGS)
from app.io.code.source import parse_python
from app.io.keras_config import canonical_optimizer, snake_case
from app.patches import catalog
from app.patches import document as d
from app.patches.apply import PatchPlan
from app.patches.catalog import Change
from app.patches.code import literal

# -------------------------------------------------------------------------------- result


@dataclass
class ScriptPatch:
    """The user's script with the plan's changes made in it."""

    path: str
    original: str  # the code as read (line ends LF)
    patched: str
    placed: list[tuple[Change, int | None]] = field(default_factory=list)  # edited, at this line
    by_hand: list[tuple[Change, Text, dict]] = field(default_factory=list)  # not placed, and why
    # A notebook: the notebook as given, and the new source of each changed cell (by index).
    notebook: str | None = None
    cell_sources: dict[int, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.patched != self.original

    def file_text(self) -> str:
        """The patched file: the code, or for a notebook the notebook with its cells edited."""
        if self.notebook is not None:
            from app.patches.notebook import notebook_with

            return notebook_with(self.notebook, self.cell_sources)
        return self.patched

    def diff(self, context: int = 3) -> str:
        """A unified diff (``a/train.py`` → ``b/train.py``; per cell for a notebook), empty when
        nothing changed."""
        name = os.path.basename(self.path) or "train.py"
        if self.notebook is not None:
            from app.patches.notebook import cell_diffs

            return cell_diffs(self.notebook, self.cell_sources, name, context)
        old = self.original.splitlines(keepends=True)
        new = self.patched.splitlines(keepends=True)
        for lines in (old, new):
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n\\ No newline at end of file\n"
        return "".join(difflib.unified_diff(old, new, fromfile=f"a/{name}", tofile=f"b/{name}", n=context))

    def reasons(self, lang: str = "en") -> list[str]:
        """One line per change left to the user: what, and why it was not placed."""
        return [f"{change.describe(lang)}: {why.render(lang, params)}" for change, why, params in self.by_hand]


_NOT_EDITABLE = T("{path} is not code TrainDoc can edit (pasted text that needed repairs): make this change "
                  "by hand",
                  "{path} 不是 TrainDoc 能直接修改的代码（需修复的粘贴文本）：请手动修改")
_NO_SITE = T("the code does not show where `{layer}` is built", "代码中看不到 `{layer}` 在哪里构建")
_SHARED = T("`{layer}` is built by a call that builds {count} layers (a helper function or a loop, line {line}): "
            "changing it there changes all of them",
            "`{layer}` 由一个构建 {count} 个层的调用创建（辅助函数或循环，第 {line} 行）：在那里修改会改变所有这些层")
_NO_COMPILE = T("the code has no model.compile(...) call for this model", "代码中没有该模型的 model.compile(...) 调用")
_NO_FIT = T("the code has no model.fit(...) call for this model", "代码中没有该模型的 model.fit(...) 调用")
_NO_OPTIMIZER = T("the optimizer given to compile() is not built in the code", "传给 compile() 的优化器不是在代码中构建的")
_NO_DATA = T("fit() is not given its labels as an argument (a generator or a dataset): compute the weights "
             "from the labels by hand", "fit() 没有直接接收标签（生成器或数据集）：请根据标签手动计算权重")
_CONTEXT = T("`{layer}` is built in a way TrainDoc does not edit (not in a Sequential list, a model.add() "
             "call or an `x = Layer(...)(x)` line)",
             "`{layer}` 的构建方式 TrainDoc 不修改（不在 Sequential 列表、model.add() 调用或 `x = Layer(...)(x)` 行中）")
_CONSUMER = T("`{layer}` does not take `{name}` directly: feed it the new layer's output by hand",
              "`{layer}` 不直接以 `{name}` 为输入：请手动把新层的输出接给它")
_OVERLAP = T("overlaps another change at line {line}", "与第 {line} 行的另一处修改重叠")
_PER_OUTPUT = T("the loss is given per output in a form TrainDoc does not edit", "按输出给出的损失函数形式 TrainDoc 不修改")
_GENERATOR_BATCH = T("fit_generator() takes its batches from the generator: set the batch size there",
                     "fit_generator() 的批次来自生成器：请在生成器中设置批大小")


# --------------------------------------------------------------------------- the text


class _Text:
    """The code with ``ast`` positions turned into string offsets, and the tree's parents."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1
        self.tree = parse_python(text)
        self.parents: dict[int, ast.AST] = {}
        self.calls: dict[tuple, ast.Call] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, ast.Call):
                self.calls[(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)] = node

    def offset(self, lineno: int, byte_col: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def source(self, node: ast.AST) -> str:
        return self.text[self.start(node):self.end(node)]

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def statement(self, node: ast.AST) -> ast.stmt | None:
        current: ast.AST | None = node
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parent(current)
        return current

    def line_start(self, lineno: int) -> int:
        return self.starts[lineno - 1]

    def after_line(self, lineno: int) -> int:
        """The offset where the line after ``lineno`` starts (the end of the text at the last line)."""
        return self.starts[lineno] if lineno < len(self.lines) else len(self.text)

    def indent(self, lineno: int) -> str:
        line = self.lines[lineno - 1]
        return line[:len(line) - len(line.lstrip())]

    def rest_of_line(self, offset: int) -> str:
        end = self.text.find("\n", offset)
        return self.text[offset:end if end >= 0 else len(self.text)]

    def before_on_line(self, offset: int) -> str:
        start = self.text.rfind("\n", 0, offset) + 1
        return self.text[start:offset]

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1


@dataclass
class _Edit:
    start: int
    end: int
    text: str
    seq: int


# ------------------------------------------------------------------ names and imports

_MODULE_ALIASES = {"tensorflow.keras": "keras", "tensorflow.python.keras": "keras", "tf.keras": "keras",
                   "tf_keras": "keras", "tensorflow": "tf"}


def _module_path(name: str) -> str:
    for prefix, target in sorted(_MODULE_ALIASES.items(), key=lambda item: -len(item[0])):
        if name == prefix or name.startswith(prefix + "."):
            return target + name[len(prefix):]
    return name


class _Names:
    """What the file's imports bind (name → ``keras.layers`` / ``keras.layers.Dense`` / ``tf`` ...)
    and how to refer to a Keras class from it, adding an import when nothing fits."""

    def __init__(self, source: _Text) -> None:
        self.source = source
        self.bound: dict[str, str] = {}
        self.last_import: ast.stmt | None = None
        self.mentions_tensorflow = "tensorflow" in source.text
        # Imports anywhere count (scripts sometimes import inside the function that builds
        # the model); new imports go after the last one at the top level.
        for stmt in ast.walk(source.tree):
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    path = _module_path(alias.name)
                    self.bound.setdefault(alias.asname or alias.name.split(".")[0], path if alias.asname else
                                          _module_path(alias.name.split(".")[0]))
            elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
                module = _module_path(stmt.module)
                for alias in stmt.names:
                    if alias.name != "*":
                        self.bound.setdefault(alias.asname or alias.name, _module_path(f"{module}.{alias.name}"))
        for stmt in source.tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.last_import = stmt
        self.new_imports: list[str] = []

    def ref(self, category: str, class_name: str) -> str:
        """``layers.Dropout`` / ``keras.layers.Dropout`` / ``tf.keras.layers.Dropout`` / ``Dropout``."""
        full = f"keras.{category}.{class_name}"
        for name, path in self.bound.items():
            if path == full:
                return name
        for name, path in self.bound.items():
            if path == f"keras.{category}":
                return f"{name}.{class_name}"
        for name, path in self.bound.items():  # the file imports classes of that module by name
            if path.startswith(f"keras.{category}.") and path.count(".") == 2:
                module = _spelled_module(self.source, name)
                if module is not None:
                    self.need(f"from {module} import {class_name}", class_name, full)
                    return class_name
        for name, path in self.bound.items():
            if path == "keras":
                return f"{name}.{category}.{class_name}"
        for name, path in self.bound.items():
            if path == "tf":
                return f"{name}.keras.{category}.{class_name}"
        line = "from tensorflow import keras" if self.mentions_tensorflow else "import keras"
        if line not in self.new_imports:
            self.new_imports.append(line)
        self.bound["keras"] = "keras"
        return f"keras.{category}.{class_name}"

    def has(self, name: str, path: str) -> bool:
        return self.bound.get(name) == path

    def need(self, line: str, name: str, path: str) -> None:
        if not self.has(name, path) and line not in self.new_imports:
            self.new_imports.append(line)
            self.bound[name] = path

    def import_edit(self) -> tuple[int, str] | None:
        if not self.new_imports:
            return None
        lines = "".join(f"{line}\n" for line in self.new_imports)
        if self.last_import is not None:
            return self.source.after_line(self.last_import.end_lineno or self.last_import.lineno), lines
        body = self.source.tree.body
        first = body[0] if body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            return self.source.after_line(first.end_lineno or first.lineno), lines  # after the docstring
        return 0, lines


# ------------------------------------------------------------------------ rendering


def _quote_style(text: str) -> str:
    singles = len(re.findall(r"(?<![\w\"])'[^'\n]*'", text))
    doubles = len(re.findall(r'(?<![\w\'])"[^"\n]*"', text))
    return "'" if singles > doubles else '"'


class _Render:
    """Config values as Python source, in the file's quotes and with its names."""

    def __init__(self, names: _Names, quote: str) -> None:
        self.names = names
        self.quote = quote

    def string(self, value: str) -> str:
        if self.quote == "'" and "'" not in value and "\\" not in value:
            return f"'{value}'"
        return json.dumps(value, ensure_ascii=False)

    def value(self, value: Any) -> str:
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
            return literal(value)  # numbers, None and booleans read the same in a snippet
        if isinstance(value, list):
            inner = ", ".join(self.value(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, dict) and isinstance(value.get("class_name"), str):
            return self.keras_object(value)
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.value(k)}: {self.value(v)}" for k, v in value.items()) + "}"
        return repr(value)

    def keras_object(self, value: dict) -> str:
        module = str(value.get("module") or "")
        class_name = str(value["class_name"])
        config = value.get("config") if isinstance(value.get("config"), dict) else {}
        if module.startswith("keras.initializers") or class_name in catalog.INITIALIZER_CLASSES.values():
            if all(v is None for k, v in config.items()):  # defaults only: Keras takes the name
                name = next((k for k, v in catalog.INITIALIZER_CLASSES.items() if v == class_name), None)
                if name is not None:
                    return self.string(name)
            return self.call("initializers", class_name, {k: v for k, v in config.items() if v is not None})
        if module.startswith("keras.regularizers"):
            return self.call("regularizers", class_name, config)
        if module.startswith("keras.losses"):
            shown = {k: v for k, v in config.items()
                     if k not in ("name", "reduction", "dtype") and not (k == "from_logits" and v is False)
                     and not (k == "label_smoothing" and v == 0) and not (k == "axis" and v == -1)}
            return self.call("losses", class_name, shown)
        if module.startswith("keras.optimizers"):
            return self.optimizer(value)
        return self.call("layers" if module.startswith("keras.layers") else "utils", class_name, config)

    def call(self, category: str, class_name: str, kwargs: dict[str, Any], positional: tuple = ()) -> str:
        args = [self.value(v) for v in positional]
        args += [f"{k}={self.value(v)}" for k, v in kwargs.items()]
        return f"{self.names.ref(category, class_name)}({', '.join(args)})"

    def optimizer(self, value: Any) -> str:
        if isinstance(value, str):
            return self.string(value)
        class_name = canonical_optimizer(str(value.get("class_name")))
        return f"{self.names.ref('optimizers', class_name)}{self.optimizer_arguments(value)}"

    def optimizer_arguments(self, value: dict) -> str:
        """``(learning_rate=0.0001, epsilon=0.001)``: the rate and every setting off its default."""
        class_name = canonical_optimizer(str(value.get("class_name")))
        config = value.get("config") or {}
        defaults = dict(d.OPTIMIZER_BASE)
        defaults.update(d.OPTIMIZER_OWN.get(class_name, {}))
        kwargs: dict[str, Any] = {}
        if "learning_rate" in config:
            kwargs["learning_rate"] = config["learning_rate"]
        for key, setting in config.items():
            if key in ("name", "learning_rate") or (key in defaults and _equal(defaults[key], setting)):
                continue
            if key not in defaults and setting is None:
                continue
            kwargs[key] = setting
        return "(" + ", ".join(f"{k}={self.value(v)}" for k, v in kwargs.items()) + ")"


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-12)
    return a == b


# Settings shown on a layer that replaces or joins the model, when they differ from Keras' defaults.
_NEW_LAYER_DEFAULTS: dict[str, dict[str, Any]] = {
    "LayerNormalization": {"axis": -1, "epsilon": 0.001, "center": True, "scale": True, "rms_scaling": False},
    "GroupNormalization": {"groups": None, "axis": -1, "epsilon": 0.001, "center": True, "scale": True},
    "BatchNormalization": {"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                           "renorm": False},
    "Normalization": {"axis": -1, "invert": False, "mean": None, "variance": None},
    "Dropout": {"rate": None, "seed": None, "noise_shape": None},
    "GlobalAveragePooling1D": {"data_format": "channels_last", "keepdims": False},
    "GlobalAveragePooling2D": {"data_format": "channels_last", "keepdims": False},
    "GlobalAveragePooling3D": {"data_format": "channels_last", "keepdims": False},
}
_POSITIONAL_NEW = {"Dropout": ("rate",)}


def _new_layer_arguments(layer: dict) -> tuple[tuple, dict[str, Any]]:
    class_name = str(layer.get("class_name"))
    config = layer.get("config") or {}
    defaults = _NEW_LAYER_DEFAULTS.get(class_name, {})
    positional = tuple(config[k] for k in _POSITIONAL_NEW.get(class_name, ()) if k in config)
    kwargs: dict[str, Any] = {}
    for key, default in defaults.items():
        if key in _POSITIONAL_NEW.get(class_name, ()) or key not in config:
            continue
        value = config[key]
        if key == "axis" and isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None and default is None or default is not None and _equal(default, value):
            continue
        kwargs[key] = value
    return positional, kwargs


# ---------------------------------------------------------------------------- the editor


MAX_LINE = 100  # an added argument that would make a line longer goes on a line of its own
_FIT_POSITIONS = FIT_ARGS
_COMPILE_POSITIONS = COMPILE_ARGS
_KERAS1_NAMES = {new: old for old, new in KERAS1_RENAMES.items()}


class _Editor:
    def __init__(self, code: CodeSpec, plan: PatchPlan, original_model: dict) -> None:
        self.code = code
        self.plan = plan
        self.source = _Text(code.text)
        self.names = _Names(self.source)
        self.render = _Render(self.names, _quote_style(code.text))
        self.edits: list[_Edit] = []
        self.result = ScriptPatch(code.path, code.text, code.text)
        self.sites = _align(original_model, code)
        self.replaced_spans: set[tuple] = set()
        self.set_spans: set[tuple] = set()
        self.by_span: dict[tuple, list[str]] = {}
        for name, site in self.sites.items():
            self.by_span.setdefault(site.span, []).append(name)

    # -- bookkeeping ----------------------------------------------------------------
    def refuse(self, change: Change, why: Text, **params: Any) -> None:
        self.result.by_hand.append((change, why, params))

    def edit(self, start: int, end: int, text: str) -> bool:
        for other in self.edits:
            if start < other.end and other.start < end or (start == end and other.start < start < other.end):
                return False
        self.edits.append(_Edit(start, end, text, len(self.edits)))
        return True

    def group(self, change: Change, edits: list[tuple[int, int, str]]) -> bool:
        """Make ``edits`` for ``change`` all together, or none of them (when one overlaps)."""
        kept = list(self.edits)
        for start, end, text in edits:
            if not self.edit(start, end, text):
                self.edits = kept
                line = self.source.line_of(start)
                self.refuse(change, _OVERLAP, line=line)
                return False
        line = self.source.line_of(edits[0][0]) if edits else None
        self.result.placed.append((change, line))
        return True

    def call_at(self, site: CodeSite | None) -> ast.Call | None:
        return self.source.calls.get(tuple(site.span)) if site is not None else None

    # -- arguments ------------------------------------------------------------------
    def set_argument(self, call: ast.Call, key: str, value: str | None, positions: tuple[str, ...],
                     aliases: tuple[str, ...] = ()) -> list[tuple[int, int, str]]:
        """Edits that make ``call`` pass ``key=value`` (``value`` None: drop the argument)."""
        source = self.source
        for keyword in call.keywords:
            if keyword.arg == key or keyword.arg in aliases:
                if value is None:
                    return [self.remove_argument(call, keyword)]
                if keyword.arg == key:
                    return [(source.start(keyword.value), source.end(keyword.value), value)]
                return [(source.start(keyword), source.end(keyword), f"{key}={value}")]
        if key in positions:
            index = positions.index(key)
            if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[:index + 1]):
                if value is None:
                    return []  # a positional None cannot be dropped without shifting the others
                node = call.args[index]
                return [(source.start(node), source.end(node), value)]
        if value is None:
            return []
        arguments = [*call.args, *call.keywords]
        if arguments:
            last = max(arguments, key=lambda node: (node.end_lineno, node.end_col_offset))
            position = source.end(last)
            addition = f", {key}={value}"
            line = source.before_on_line(position) + addition + source.rest_of_line(position)
            if len(line) > MAX_LINE and "\n" not in value:
                first = min(arguments, key=lambda node: (node.lineno, node.col_offset))
                column = len(source.before_on_line(source.start(first)))
                addition = f",\n{' ' * column}{key}={value}"
            return [(position, position, addition)]
        close = source.end(call) - 1
        return [(close, close, f"{key}={value}")]

    def remove_argument(self, call: ast.Call, keyword: ast.keyword) -> tuple[int, int, str]:
        source = self.source
        arguments = sorted([*call.args, *call.keywords], key=lambda node: (node.lineno, node.col_offset))
        index = next(i for i, node in enumerate(arguments) if node is keyword)
        if index > 0:
            return source.end(arguments[index - 1]), source.end(keyword), ""
        if len(arguments) > 1:
            return source.start(keyword), source.start(arguments[1]), ""
        return source.start(keyword), source.end(keyword), ""

    # -- layers ---------------------------------------------------------------------
    def layer_site(self, change: Change, name: str) -> tuple[CodeSite, ast.Call] | None:
        site = self.sites.get(name)
        call = self.call_at(site)
        if site is None or call is None:
            self.refuse(change, _NO_SITE, layer=name)
            return None
        return site, call

    def shared(self, change: Change, name: str, site: CodeSite, same: set[str]) -> bool:
        """True (and refused) when the call of ``site`` builds layers that this edit must not touch."""
        if site.builds <= 1:
            return False
        built = set(self.by_span.get(site.span, []))
        if len(built) >= site.builds and built <= same:
            return False
        self.refuse(change, _SHARED, layer=name, count=site.builds, line=site.line)
        return True

    def model_set(self, change: Change, alike: set[str]) -> None:
        name = change.layer or ""
        found = self.layer_site(change, name)
        if found is None:
            return
        site, call = found
        if self.shared(change, name, site, alike):
            return
        key = change.path.rsplit(".", 1)[-1]
        class_name = self.class_of(name)
        positions = LAYER_ARGS.get(class_name, ())
        aliases = (_KERAS1_NAMES[key],) if key in _KERAS1_NAMES else ()
        value = None if change.after is None else self.render.value(change.after)
        self.group(change, self.set_argument(call, key, value, positions, aliases))

    def class_of(self, name: str) -> str:
        ref = d.find_layer(self.plan.document.model, name)
        if ref is not None:
            return ref.class_name
        original = (self.code.config or {}).get("config", {})
        ref = d.find_layer(original, name) if isinstance(original, dict) else None
        return ref.class_name if ref is not None else ""

    def spelled_like(self, call: ast.Call, class_name: str) -> str | None:
        """``class_name`` spelled as ``call`` spells its class (``layers.Flatten`` → ``layers.X``;
        a name imported from a module → that module's ``X``, imported too); None if neither."""
        func = call.func
        if isinstance(func, ast.Attribute):
            return f"{self.source.source(func.value)}.{class_name}"
        if isinstance(func, ast.Name):
            path = self.names.bound.get(func.id)
            if path is not None and "." in path:
                module = path.rsplit(".", 1)[0]
                self.names.need(f"from {_spelled_module(self.source, func.id) or module} import {class_name}",
                                class_name, f"{module}.{class_name}")
                return class_name
        return None

    def constructor(self, call: ast.Call, class_name: str) -> str:
        """How to call the layer class ``class_name`` in the spelling of ``call``."""
        return self.spelled_like(call, class_name) or self.names.ref("layers", class_name)

    def new_layer_text(self, layer: dict, like: ast.Call | None, keep_name: bool) -> str:
        class_name = str(layer.get("class_name"))
        positional, kwargs = _new_layer_arguments(layer)
        if keep_name:
            kwargs["name"] = d.layer_name(layer)
        args = [self.render.value(v) for v in positional] + [f"{k}={self.render.value(v)}" for k, v in kwargs.items()]
        func = self.constructor(like, class_name) if like is not None else self.names.ref("layers", class_name)
        return f"{func}({', '.join(args)})"

    def model_replace(self, change: Change, alike: set[str]) -> None:
        old = str((change.before or {}).get("name") or "")
        found = self.layer_site(change, old)
        if found is None:
            return
        site, call = found
        if self.shared(change, old, site, alike):
            return
        if site.builds > 1:  # one call builds all of them: replaced once
            if site.span in self.replaced_spans:
                self.result.placed.append((change, site.line))
                return
            self.replaced_spans.add(site.span)
        layer = d.find_layer(self.plan.document.model, change.layer or "")
        if layer is None:
            self.refuse(change, _NO_SITE, layer=change.layer)
            return
        named = any(k.arg == "name" for k in call.keywords)
        text = self.new_layer_text(layer.layer, call, named)
        self.group(change, [(self.source.start(call), self.source.end(call), text)])

    def model_insert(self, change: Change) -> None:
        after = change.after or {}
        anchor = str(after.get("after") or "")
        layer = d.find_layer(self.plan.document.model, change.layer or "")
        if layer is None:
            self.refuse(change, _NO_SITE, layer=change.layer)
            return
        is_normalization = layer.class_name == "Normalization"
        text = self.new_layer_text(layer.layer, None, is_normalization)
        edits = self.insert_after_layer(change, anchor, text)
        if edits is None:
            return
        if is_normalization:
            adapt = self.adapt_line(layer.name)
            if adapt is None:
                self.result.by_hand.append((change, T("adapt the Normalization layer on the training data before "
                                                      "fit(): model.get_layer(\"{layer}\").adapt(x_train)",
                                                      "在 fit() 之前用训练数据 adapt 该 Normalization 层："
                                                      "model.get_layer(\"{layer}\").adapt(x_train)"),
                                           {"layer": layer.name}))
            else:
                edits.append(adapt)
        self.group(change, edits)

    def adapt_line(self, name: str) -> tuple[int, int, str] | None:
        fit = self.call_at(self.code.fit_site)
        if fit is None:
            return None
        data = _argument(fit, "x", 0) or _argument(fit, "generator", 0)
        model = fit.func.value if isinstance(fit.func, ast.Attribute) else None
        if data is None or model is None:
            return None
        statement = self.source.statement(fit)
        if statement is None:
            return None
        indent = self.source.indent(statement.lineno)
        features = self.source.source(data)
        if _argument(fit, "y", 1) is None:  # a dataset or generator of (features, labels)
            features = f"{features}.map(lambda features, labels: features)"
        line = (f"{indent}{self.source.source(model)}.get_layer({self.render.string(name)})"
                f".adapt({features})  # learns the feature means and variances\n")
        start = self.source.line_start(statement.lineno)
        return start, start, line

    def insert_after_layer(self, change: Change, anchor: str, text: str) -> list[tuple[int, int, str]] | None:
        site = self.sites.get(anchor)
        call = self.call_at(site)
        model = self.plan.document.model
        if call is None:
            # An InputLayer the code does not build (input_shape= on the first layer): the new
            # layer goes first.
            ref = d.find_layer(model, anchor)
            if ref is not None and ref.class_name == "InputLayer" and not d.is_functional(model):
                following = [layer for layer in d.next_layers(model, change.layer or "")]
                first = self.call_at(self.sites.get(d.layer_name(following[0]))) if following else None
                if first is not None:
                    shape = next((k for k in first.keywords
                                  if k.arg in ("input_shape", "input_dim", "batch_input_shape")), None)
                    if shape is not None:  # the new first layer takes the input shape
                        given = self.source.source(shape.value)
                        argument = f"input_shape=({given},)" if shape.arg == "input_dim" else \
                            f"{shape.arg}={given}"
                        text = text[:-1] + (", " if not text.endswith("()") else "") + argument + ")"
                    edits = self.insert_element(change, first, text, before=True)
                    if edits is not None:
                        return edits
            self.refuse(change, _NO_SITE, layer=anchor)
            return None
        if site is not None and self.shared(change, anchor, site, {anchor}):
            return None
        edits = self.insert_element(change, call, text, before=False)
        if edits is not None:
            return edits
        # x = Anchor(...)(x): the new layer follows on its own line
        outer = self.source.parent(call)
        statement = self.source.statement(call)
        target = _single_target(statement)
        if statement is None or target is None:
            self.refuse(change, _CONTEXT, layer=anchor)
            return None
        indent = self.source.indent(statement.lineno)
        position = self.source.after_line(statement.end_lineno or statement.lineno)
        if isinstance(outer, ast.Call) and outer.func is call:  # an applied layer: rebind its output
            return [(position, position, f"{indent}{target} = {text}({target})\n")]
        ref = d.find_layer(model, anchor)
        if ref is not None and ref.class_name == "InputLayer" and statement.value is call:
            # inputs = Input(...): keep the model's input, feed the new layer's output onward
            new_name = f"{target}_{snake_case(str(d.find_layer(model, change.layer or '').class_name))}" \
                if d.find_layer(model, change.layer or "") is not None else f"{target}_normalized"
            edits = [(position, position, f"{indent}{new_name} = {text}({target})\n")]
            for consumer in d.consumers(model, change.layer or ""):
                consumer_call = self.call_at(self.sites.get(d.layer_name(consumer)))
                applied = self.source.parent(consumer_call) if consumer_call is not None else None
                if not (isinstance(applied, ast.Call) and applied.func is consumer_call and applied.args
                        and isinstance(applied.args[0], ast.Name) and applied.args[0].id == target):
                    self.refuse(change, _CONSUMER, layer=d.layer_name(consumer), name=target)
                    return None
                argument = applied.args[0]
                edits.append((self.source.start(argument), self.source.end(argument), new_name))
            return edits
        self.refuse(change, _CONTEXT, layer=anchor)
        return None

    def insert_element(self, change: Change, call: ast.Call, text: str, before: bool
                       ) -> list[tuple[int, int, str]] | None:
        """Edits putting ``text`` next to ``call`` in a Sequential list or as a model.add() of its own."""
        source = self.source
        parent = source.parent(call)
        if isinstance(parent, (ast.List, ast.Tuple)):
            start, end = source.start(call), source.end(call)
            rest = source.rest_of_line(end)
            own_line = not source.before_on_line(start).strip() and re.match(r"\s*,?\s*(#.*)?$", rest)
            if own_line:
                indent = source.indent(call.lineno)
                if before:
                    position = source.line_start(call.lineno)
                    return [(position, position, f"{indent}{text},\n")]
                edits = []
                if not rest.lstrip().startswith(","):
                    edits.append((end, end, ","))
                position = source.after_line(call.end_lineno or call.lineno)
                edits.append((position, position, f"{indent}{text},\n"))
                return edits
            return [(start, start, f"{text}, ")] if before else [(end, end, f", {text}")]
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr == "add":
            statement = source.statement(parent)
            if statement is None or not isinstance(statement, ast.Expr) or statement.value is not parent:
                return None
            indent = source.indent(statement.lineno)
            line = f"{indent}{source.source(parent.func)}({text})\n"
            if before:
                position = source.line_start(statement.lineno)
            else:
                position = source.after_line(statement.end_lineno or statement.lineno)
            return [(position, position, line)]
        return None

    def model_remove(self, change: Change) -> None:
        name = change.layer or ""
        found = self.layer_site(change, name)
        if found is None:
            return
        site, call = found
        if self.shared(change, name, site, {name}):
            return
        source = self.source
        parent = source.parent(call)
        if isinstance(parent, (ast.List, ast.Tuple)):
            self.group(change, [self.remove_element(parent, call)])
            return
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr == "add":
            statement = source.statement(parent)
            if isinstance(statement, ast.Expr) and statement.value is parent:
                self.group(change, [self.remove_statement(statement)])
                return
        if isinstance(parent, ast.Call) and parent.func is call and len(parent.args) == 1 and not parent.keywords:
            statement = source.statement(parent)
            target = _single_target(statement)
            argument = source.source(parent.args[0])
            if target is not None and statement is not None and statement.value is parent:  # type: ignore[union-attr]
                if argument == target:
                    self.group(change, [self.remove_statement(statement)])
                else:
                    self.group(change, [(source.start(parent), source.end(parent), argument)])
                return
        self.refuse(change, _CONTEXT, layer=name)

    def remove_element(self, sequence: ast.List | ast.Tuple, node: ast.AST) -> tuple[int, int, str]:
        source = self.source
        start, end = source.start(node), source.end(node)
        rest = source.rest_of_line(end)
        if not source.before_on_line(start).strip() and re.match(r"\s*,?\s*(#.*)?$", rest):
            return source.line_start(node.lineno), source.after_line(node.end_lineno or node.lineno), ""
        elements = sequence.elts
        index = next(i for i, item in enumerate(elements) if item is node)
        if index + 1 < len(elements):
            return start, source.start(elements[index + 1]), ""
        if index > 0:
            return source.end(elements[index - 1]), end, ""
        return start, end, ""

    def remove_statement(self, statement: ast.stmt) -> tuple[int, int, str]:
        source = self.source
        start = source.line_start(statement.lineno)
        end = source.after_line(statement.end_lineno or statement.lineno)
        parent = source.parent(statement)
        body = next((getattr(parent, key) for key in ("body", "orelse", "finalbody")
                     if statement in getattr(parent, key, [])), None) if parent is not None else None
        if body is not None and len(body) == 1 and not isinstance(parent, ast.Module):
            return start, end, f"{source.indent(statement.lineno)}pass\n"
        return start, end, ""

    # -- compile --------------------------------------------------------------------
    def compile_changes(self, changes: list[Change]) -> None:
        call = self.call_at(self.code.compile_site)
        if call is None:
            for change in changes:
                self.refuse(change, _NO_COMPILE)
            return
        compile_config = self.plan.document.compile_config or {}
        optimizer = [c for c in changes if c.path.startswith("compile_config.optimizer")]
        loss = [c for c in changes if c.path.startswith("compile_config.loss")]
        if loss:
            paths = {c.path for c in loss}
            if paths == {"compile_config.loss"}:
                value = self.render.value(compile_config.get("loss"))
                edits = self.set_argument(call, "loss", value, _COMPILE_POSITIONS)
                if self.group(loss[0], edits):
                    self.result.placed.extend((c, self.result.placed[-1][1]) for c in loss[1:])
            else:
                for change in loss:
                    self.refuse(change, _PER_OUTPUT)
        for change in changes:
            if change.path == "compile_config.metrics":
                self.group(change, self.set_argument(call, "metrics", self.render.value(change.after),
                                                     _COMPILE_POSITIONS))
        if optimizer:
            self.optimizer_changes(call, optimizer, compile_config.get("optimizer"))

    def resolve(self, node: ast.AST | None) -> ast.AST | None:
        """``node`` itself, or for a name the value of its last plain assignment before it in
        the same block (``opt = Adam(...)`` … ``compile(optimizer=opt)``)."""
        if not isinstance(node, ast.Name):
            return node
        statement = self.source.statement(node)
        while statement is not None:
            parent = self.source.parent(statement)
            body = next((getattr(parent, key) for key in ("body", "orelse", "finalbody", "handlers")
                         if statement in getattr(parent, key, [])), None) if parent is not None else None
            if body is None:
                return None
            for earlier in reversed(body[:body.index(statement)]):
                if _single_target(earlier) == node.id:
                    return earlier.value  # type: ignore[union-attr]
            statement = parent if isinstance(parent, ast.stmt) else None
        return None

    def optimizer_changes(self, call: ast.Call, changes: list[Change], final: Any) -> None:
        node = _argument(call, "optimizer", 0)
        constructor = node if isinstance(node, ast.Call) else self.call_at(self.code.optimizer_site)
        if constructor is None and isinstance(self.resolve(node), ast.Call):
            constructor = self.resolve(node)
        whole = any(c.kind == "replace" for c in changes) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str))
        if node is None or not isinstance(node, (ast.Call, ast.Constant)) and constructor is None:
            for change in changes:
                self.refuse(change, _NO_OPTIMIZER)
            return
        if whole:
            target = node if isinstance(node, ast.Constant) else constructor
            if target is None:
                for change in changes:
                    self.refuse(change, _NO_OPTIMIZER)
                return
            if isinstance(target, ast.Call):
                text = self.optimizer_spelled(target, final)
            else:
                text = self.render.optimizer(final)
            edits = [(self.source.start(target), self.source.end(target), text)]
        else:
            if constructor is None:
                for change in changes:
                    self.refuse(change, _NO_OPTIMIZER)
                return
            class_name = canonical_optimizer(str((final or {}).get("class_name", "")))
            positions = OPTIMIZER_ARGS.get(class_name, ("learning_rate",))
            edits = []
            kept = []
            for change in changes:
                key = change.path.rsplit(".", 1)[-1]
                if change.path.endswith("learning_rate.config.initial_learning_rate"):
                    schedule = self.resolve(_argument(constructor, "learning_rate", 0))
                    if not isinstance(schedule, ast.Call):
                        self.refuse(change, _NO_OPTIMIZER)
                        continue
                    edits.extend(self.set_argument(schedule, key, self.render.value(change.after),
                                                   ("initial_learning_rate",)))
                    kept.append(change)
                    continue
                value = None if change.after is None else self.render.value(change.after)
                edits.extend(self.set_argument(constructor, key, value, positions,
                                               ("lr",) if key == "learning_rate" else ()))
                kept.append(change)
            changes = kept
            if not changes:
                return
        if self.group(changes[0], edits):
            line = self.result.placed[-1][1]
            self.result.placed.extend((c, line) for c in changes[1:])

    def optimizer_spelled(self, old: ast.Call, final: Any) -> str:
        """The new optimizer call in the spelling of the old one (``optimizers.SGD(...)`` → ``optimizers.Adam(...)``)."""
        if not isinstance(final, dict):
            return self.render.optimizer(final)
        class_name = canonical_optimizer(str(final.get("class_name", "")))
        spelled = self.spelled_like(old, class_name)
        return f"{spelled}{self.render.optimizer_arguments(final)}" if spelled else self.render.optimizer(final)

    # -- fit ------------------------------------------------------------------------
    def fit_changes(self, changes: list[Change]) -> None:
        call = self.call_at(self.code.fit_site)
        if call is None:
            for change in changes:
                self.refuse(change, _NO_FIT)
            return
        method = call.func.attr if isinstance(call.func, ast.Attribute) else "fit"
        positions = FIT_GENERATOR_ARGS if method == "fit_generator" else _FIT_POSITIONS
        for change in changes:
            if change.path == "fit.class_weight":
                self.class_weight(change, call, positions)
            elif change.path.startswith("callbacks["):
                self.callback(change, call, positions)
            elif change.path.startswith("fit."):
                key = change.path[len("fit."):]
                if key == "batch_size" and method == "fit_generator":
                    self.refuse(change, _GENERATOR_BATCH)
                    continue
                value = None if change.after is None else self.render.value(change.after)
                self.group(change, self.set_argument(call, key, value, positions))

    def class_weight(self, change: Change, call: ast.Call, positions: tuple[str, ...]) -> None:
        if change.after != "balanced":
            self.group(change, self.set_argument(call, "class_weight", self.render.value(change.after), positions))
            return
        labels = _argument(call, "y", positions.index("y") if "y" in positions else 99)
        statement = self.source.statement(call)
        if labels is None or statement is None:
            self.refuse(change, _NO_DATA)
            return
        self.names.need("import numpy as np", "np", "numpy")
        numpy = next((name for name, path in self.names.bound.items() if path == "numpy"), "np")
        y = self.source.source(labels)
        y = y if re.fullmatch(r"[\w.\[\]'\"]+", y) else f"({y})"
        indent = self.source.indent(statement.lineno)
        lines = [f"# TrainDoc: weight each class by the inverse of its share of {y}",
                 f"labels = {y}.argmax(-1) if {y}.ndim > 1 else {y}.ravel()",
                 f"counts = {numpy}.bincount(labels.astype(int))",
                 "class_weight = {i: len(labels) / (len(counts) * c) for i, c in enumerate(counts) if c}"]
        start = self.source.line_start(statement.lineno)
        edits = [(start, start, "".join(f"{indent}{line}\n" for line in lines))]
        edits += self.set_argument(call, "class_weight", "class_weight", positions)
        self.group(change, edits)

    def callback(self, change: Change, call: ast.Call, positions: tuple[str, ...]) -> None:
        after = change.after or {}
        class_name = str(after.get("class_name"))
        text = self.render.call("callbacks", class_name, dict(after.get("config") or {}))
        node = _argument(call, "callbacks", positions.index("callbacks") if "callbacks" in positions else 99)
        source = self.source
        if node is None:
            self.group(change, self.set_argument(call, "callbacks", f"[{text}]", positions))
            return
        if isinstance(node, ast.List):
            existing = next((item for item in node.elts if isinstance(item, ast.Call)
                             and _called_name(item) == class_name), None)
            if existing is not None:
                self.group(change, [(source.start(existing), source.end(existing), text)])
            elif node.elts:
                position = source.end(node.elts[-1])
                addition = f", {text}"
                if len(source.before_on_line(position) + addition + source.rest_of_line(position)) > MAX_LINE:
                    addition = f",\n{' ' * len(source.before_on_line(source.start(node.elts[0])))}{text}"
                self.group(change, [(position, position, addition)])
            else:
                self.group(change, [(source.start(node) + 1, source.start(node) + 1, text)])
            return
        self.group(change, [(source.start(node), source.end(node), f"[*{source.source(node)}, {text}]")])

    # -- all ------------------------------------------------------------------------
    def run(self) -> ScriptPatch:
        model_changes = self.plan.changes_for("model")
        alike: dict[tuple, set[str]] = {}
        for change in model_changes:
            if change.kind == "set":
                alike.setdefault((change.path.rsplit(".", 1)[-1], json.dumps(change.after, sort_keys=True,
                                                                             default=str)), set()).add(change.layer or "")
        replaced: dict[str, set[str]] = {}
        for change in model_changes:
            if change.kind == "replace":
                replaced.setdefault(str((change.after or {}).get("class_name")), set()).add(
                    str((change.before or {}).get("name")))
        for change in model_changes:
            if change.kind == "set":
                key = (change.path.rsplit(".", 1)[-1], json.dumps(change.after, sort_keys=True, default=str))
                self.model_set_once(change, alike[key])
            elif change.kind == "replace":
                self.model_replace(change, replaced[str((change.after or {}).get("class_name"))])
            elif change.kind == "insert":
                self.model_insert(change)
            elif change.kind == "remove":
                self.model_remove(change)
        compile_changes = self.plan.changes_for("compile")
        if compile_changes:
            self.compile_changes(compile_changes)
        training = self.plan.changes_for("training")
        if training:
            self.fit_changes(training)
        imports = self.names.import_edit()
        if imports is not None and self.edits:
            self.edits.append(_Edit(imports[0], imports[0], imports[1], -1))
        text = self.code.text
        for edit in sorted(self.edits, key=lambda e: (e.start, e.seq), reverse=True):
            text = text[:edit.start] + edit.text + text[edit.end:]
        self.result.patched = text
        return self.result

    def model_set_once(self, change: Change, alike: set[str]) -> None:
        """A set change; several layers built by one call with the same change are edited once."""
        site = self.sites.get(change.layer or "")
        if site is not None and site.builds > 1 and set(self.by_span.get(site.span, [])) <= alike:
            key = (site.span, change.path.rsplit(".", 1)[-1])
            if key in self.set_spans:
                self.result.placed.append((change, site.line))
                return
            self.set_spans.add(key)
        self.model_set(change, alike)


def _argument(call: ast.Call, name: str, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
        return call.args[position]
    return None


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _single_target(statement: ast.stmt | None) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value is not None:
        return statement.target.id
    return None


def _spelled_module(source: _Text, name: str) -> str | None:
    """The module ``name`` was imported from, as the file spells it (``tensorflow.keras.layers``)."""
    for stmt in ast.walk(source.tree):
        if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            if any((alias.asname or alias.name) == name for alias in stmt.names):
                return stmt.module
    return None


def _align(original_model: dict, code: CodeSpec) -> dict[str, CodeSite]:
    """The code site of each layer of the document (by the document's layer names).

    The names match when the document was made from this code, or when the code names its
    layers; a model file saved from this code with Keras' automatic names may count them
    differently (``dense_3`` for the code's ``dense``), so then the layers are paired by
    class and order.
    """
    by_name: dict[str, CodeSite] = {}
    for path, site in code.layer_sites.items():
        by_name.setdefault(path.rsplit("/", 1)[-1], site)
    code_model = (code.config or {}).get("config") or {}
    code_layers = [(ref.name, ref.class_name) for ref in d.iter_layers(code_model)] if code_model else []
    doc_layers = [(ref.name, ref.class_name) for ref in d.iter_layers(original_model)]
    code_classes = dict(code_layers)
    if all(code_classes.get(name) == class_name for name, class_name in doc_layers
           if class_name != "InputLayer"):
        return {name: by_name[name] for name, _ in doc_layers if name in by_name}
    out: dict[str, CodeSite] = {}
    seen_code: dict[str, list[str]] = {}
    for name, class_name in code_layers:
        seen_code.setdefault(class_name, []).append(name)
    seen_doc: dict[str, int] = {}
    for name, class_name in doc_layers:
        index = seen_doc.get(class_name, 0)
        seen_doc[class_name] = index + 1
        names = seen_code.get(class_name, [])
        if index < len(names) and names[index] in by_name:
            out[name] = by_name[names[index]]
    return out


# ------------------------------------------------------------------------------- entry


def patch_script(code: CodeSpec, plan: PatchPlan, original_model: dict | None = None) -> ScriptPatch:
    """Make the changes of ``plan`` in the training code ``code`` (read by the code reader).

    ``original_model`` is the unpatched model config the plan was made from (its own
    ``config``: name, layers ...); by default the code's own model.
    """
    changes = [*plan.changes_for("model"), *plan.changes_for("compile"), *plan.changes_for("training")]
    if not code.editable or not code.text:
        result = ScriptPatch(code.path, code.text, code.text)
        result.by_hand = [(change, _NOT_EDITABLE, {"path": code.path}) for change in changes]
        return result
    if original_model is None:
        original_model = (code.config or {}).get("config") or {}
    try:
        result = _Editor(code, plan, original_model).run()
        return _into_cells(result, code) if code.cells is not None and code.notebook is not None else result
    except (SyntaxError, ValueError, RecursionError) as error:  # the code reader parsed it; be safe anyway
        result = ScriptPatch(code.path, code.text, code.text)
        result.by_hand = [(change, T("the code could not be edited ({error})", "无法修改代码（{error}）"),
                           {"error": str(error)}) for change in changes]
        return result


_SPANS_CELLS = T("the change spans two cells of {path}: make it by hand", "该修改跨越 {path} 的两个单元格：请手动修改")


def _into_cells(result: ScriptPatch, code: CodeSpec) -> ScriptPatch:
    """The edit of a notebook's joined code cells, put back into the cells it touched."""
    from app.patches.notebook import cell_sources

    result.notebook = code.notebook
    if not result.changed:
        return result
    sources = cell_sources(result.original, result.patched, code.cells or [], code.notebook or "")
    if sources is None:
        result.by_hand += [(change, _SPANS_CELLS, {"path": code.path}) for change, _ in result.placed]
        result.placed, result.patched = [], result.original
        return result
    result.cell_sources = sources
    return result


_WEIGHT_DEFAULTS = {"use_bias": True, "kernel_initializer": catalog.initializer_object("glorot_uniform"),
                    "bias_initializer": catalog.initializer_object("zeros"), "kernel_regularizer": None,
                    "bias_regularizer": None}


def document_from_code(code: CodeSpec):
    """The model the code builds as a patchable :class:`~app.patches.document.ModelDocument`
    (format ``"code"``), for fixing the code when there is no model file."""
    from app.core.errors import InputError

    if code.config is None:
        raise InputError(code.path, "training code that builds a Keras model", found="no model built in the code")
    entry = json.loads(json.dumps({k: v for k, v in code.config.items() if k != "compile_config"}))
    config = d.to_keras3(entry, code.config.get("compile_config"), [], training_is_compile=True)
    for ref in d.iter_layers(config["config"]):  # what Keras records for arguments the code leaves out
        if ref.class_name in LAYER_ARGS and "use_bias" in LAYER_ARGS[ref.class_name] \
                or ref.class_name == "Dense":
            for key, value in _WEIGHT_DEFAULTS.items():
                ref.config.setdefault(key, json.loads(json.dumps(value)))
    if code.config.get("compile_config") is None:
        config["compile_config"] = None
    return d.ModelDocument(config, code.path, "code", None, [])


def training_from_code(code: CodeSpec) -> dict[str, Any]:
    """The ``fit()`` settings the code gives, as the training settings patches start from
    (so "shuffle False → True" and a patch the code already has changes nothing)."""
    out: dict[str, Any] = {}
    if code.fit.shuffle is not None:
        out["shuffle"] = code.fit.shuffle
    elif (code.fit_extra.get("keras_defaults_not_given") or {}).get("shuffle") is not None:
        out["shuffle"] = code.fit_extra["keras_defaults_not_given"]["shuffle"]
    if code.fit.batch_size is not None:
        out["batch_size"] = code.fit.batch_size
    return out


def code_text_for(plan: PatchPlan, script: ScriptPatch | None, lang: str = "en") -> str:
    """The code change to show: the diff of the user's file, then what is left to do by hand
    (with the ready-to-paste snippet), or only the snippet when there is no file."""
    from app.patches.code import code_change

    if script is None:
        return code_change(plan, lang)
    zh = lang.startswith("zh")
    out: list[str] = []
    if script.changed:
        out.append(script.diff())
    if script.by_hand:
        out.append(("# 以下修改需在 {0} 中手动完成：" if zh else "# To change by hand in {0}:").format(
            os.path.basename(script.path)))
        out.extend(f"#   {line}" for line in script.reasons(lang))
        out.append("")
        out.append(code_change(plan, lang))
    if not out:
        out.append(code_change(plan, lang))
    return "\n".join(part.rstrip("\n") for part in out) + "\n"


_ENCODINGS = {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}


def write_script(script: ScriptPatch, out: str, *, inputs: list[str] | tuple[str, ...] = (),
                 overwrite: bool = False) -> str:
    """Write the patched script to ``out`` (a new file, atomically): the diff for a ``.diff``/
    ``.patch`` path, the notebook with its cells edited for an ``.ipynb`` path (when the code is
    a notebook), else the code, in the encoding and line ends of the original file."""
    from app.core.files import write_atomic

    if out.lower().endswith((".diff", ".patch")):
        return write_atomic(out, script.diff(), inputs=[script.path, *inputs], overwrite=overwrite)
    if script.notebook is not None and out.lower().endswith(".ipynb"):
        return write_atomic(out, script.file_text(), inputs=[script.path, *inputs], overwrite=overwrite)
    encoding, newline = "utf-8", "\n"
    if os.path.isfile(script.path):
        from app.io.sniff import probe_file

        probe = probe_file(script.path)
        encoding = _ENCODINGS.get((probe.encoding or "utf-8").lower(), probe.encoding or "utf-8")
        with open(script.path, "rb") as handle:
            head = handle.read(65536)
        if b"\r\n" in head or b"\r\x00\n\x00" in head:
            newline = "\r\n"
    text = script.patched.replace("\n", newline) if newline != "\n" else script.patched
    try:
        data = text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        data = text.encode("utf-8")
    return write_atomic(out, data, inputs=[script.path, *inputs], overwrite=overwrite)
