"""The entry point: read training code into a CodeSpec; hints, fit settings, the main model."""

from __future__ import annotations

import ast
import json
import re
import time
from typing import Any

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.core.run import FitSettings, Source
from app.io import keras_config, summary_table
from app.io.code.data_hints import data_flow_hints
from app.io.code.evaluator import _plain
from app.io.code.interpreter import _Interpreter, _is_255, _kw_node
from app.io.code.limits import MAX_CODE_CHARS, TIME_BUDGET_S
from app.io.code.model_config import _ConfigBuilder, _layer_sites, _to_model_spec
from app.io.code.source import _CJK, _prepare
from app.io.code.spec import CodeSite, CodeSpec
from app.io.code.values import KerasObject, ModelObj, Unknown, Unresolved, _json_safe, _known_int, _OutOfBudget, _why

# ======================================================================================
# Hints and fit settings
# ======================================================================================


def _collect_hints(tree: ast.AST, interpreter: _Interpreter) -> dict[str, Source]:
    """Data-preparation hints visible anywhere in the code (also in code that is not run)."""
    hints: dict[str, Source] = {}

    def hit(name: str, node: ast.AST) -> None:
        if name not in hints:
            hints[name] = interpreter.source(interpreter.line_of(node), interpreter.text_of(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Div):
            right = node.right if isinstance(node, ast.BinOp) else node.value
            if isinstance(right, ast.Constant) and _is_255(right.value):
                hit("divides_by_255", node)
            elif _mentions_std(right):
                hit("standardizes", node)  # (x - mean) / std, x / x.std(...)
        elif isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name in ("to_categorical",):
                hit("to_categorical", node)
            elif name in ("Normalization",):
                hit("normalization_layer", node)
            elif name == "Rescaling":
                hit("rescaling_layer", node)
                value = node.args[0] if node.args else _kw_node(node, "scale")
                if value is not None and _is_inverse_255(value):
                    hit("divides_by_255", node)
            elif name in ("StandardScaler", "MinMaxScaler", "RobustScaler", "normalize", "scale"):
                hit("scaler", node)
            elif name in ("OneHotEncoder", "LabelBinarizer", "one_hot"):
                hit("one_hot_labels", node)
            elif name in ("shuffle", "permutation", "train_test_split"):
                hit("shuffles_data", node)
            elif name in ("argsort", "sort", "sorted", "sort_values"):
                hit("sorts_data", node)
            elif name in ("compute_class_weight",):
                hit("computes_class_weight", node)
            elif name in ("ImageDataGenerator",):
                hit("image_data_generator", node)
                value = _kw_node(node, "rescale")
                if value is not None and _is_inverse_255(value):
                    hit("divides_by_255", node)
            elif name in ("flow_from_directory", "image_dataset_from_directory"):
                hit("reads_image_directory", node)
            elif name in ("preprocess_input",):
                hit("preprocess_input", node)
            elif name in ("BatchNormalization",):
                hit("batchnorm_layer", node)
    for name, node in data_flow_hints(tree).items():
        hit(name, node)
    return hints


def _mentions_std(node: ast.AST) -> bool:
    """A divisor that is a standard deviation: ``x.std()``, ``np.std(x)``, ``std`` or ``sigma``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "std":
            return True
        if isinstance(sub, ast.Name) and sub.id.lower() in ("std", "sigma", "stddev", "x_std", "train_std"):
            return True
    return False


def _call_name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_inverse_255(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant):
        return _is_255(node.right.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        return abs(node.value - 1 / 255) < 1e-6
    return False


def _fit_settings(interpreter: _Interpreter, model: ModelObj | None) -> tuple[FitSettings, dict[str, Any], Source | None]:
    settings = FitSettings()
    extra: dict[str, Any] = {}
    fit_call = None
    if model is not None and model.fit is not None:
        fit_call = (model.fit, model.fit_line, model.fit_method, model.fit_snippet)
    elif interpreter.fits:
        first = interpreter.fits[0]
        fit_call = (first[1], first[2], first[3], first[0].fit_snippet)
    if fit_call is None:
        return settings, extra, None
    bound, line, method, snippet = fit_call
    source = interpreter.source(line, snippet or None)
    extra["method"] = method

    def number(key: str, attr: str) -> None:
        value = bound.get(key)
        if value is None:
            return
        if _known_int(value):
            settings.set(attr, value, source)
        else:
            interpreter.unresolved.append(Unresolved(line, f"{method}({key}=...)",
                                                     f"{key} is not known ({_why(value)})"))

    number("epochs", "epochs_planned")
    number("batch_size", "batch_size")
    number("steps_per_epoch", "steps_per_epoch")
    number("initial_epoch", "initial_epoch")
    shuffle = bound.get("shuffle")
    if isinstance(shuffle, bool):
        settings.set("shuffle", shuffle, source)
    elif shuffle is not None:
        interpreter.unresolved.append(Unresolved(line, f"{method}(shuffle=...)", f"shuffle is not known ({_why(shuffle)})"))
    if bound.get("nb_epoch") is not None and _known_int(bound.get("nb_epoch")):
        settings.set("epochs_planned", bound["nb_epoch"], source)  # Keras 1
    defaults = {}
    if "epochs" not in bound and "nb_epoch" not in bound:
        defaults["epochs"] = 1
    if "shuffle" not in bound and method == "fit":
        defaults["shuffle"] = True
    if "batch_size" not in bound and method == "fit":
        defaults["batch_size"] = 32
    if defaults:
        extra["keras_defaults_not_given"] = defaults
    weights = bound.get("class_weight")
    extra["class_weight"] = None if weights is None else (weights if _plain(weights) else "given (value not known)")
    split = bound.get("validation_split")
    if split is not None:
        extra["validation_split"] = split if isinstance(split, (int, float)) else "given (value not known)"
    data = bound.get("validation_data")
    if data is not None:
        extra["validation_data"] = True
    if bound.get("validation_steps") is not None:
        value = bound["validation_steps"]
        extra["validation_steps"] = value if _known_int(value) else "given (value not known)"
    if bound.get("sample_weight") is not None:
        extra["sample_weight"] = True
    verbose = bound.get("verbose")
    if verbose is not None and isinstance(verbose, (int, str)):
        extra["verbose"] = verbose
    callbacks = bound.get("callbacks")
    if callbacks is not None:
        listed = []
        items = callbacks if isinstance(callbacks, (list, tuple)) else None
        if items is None:
            listed.append({"class": "unknown", "why": _why(callbacks)})
        else:
            for item in items:
                if isinstance(item, KerasObject):
                    listed.append({"class": item.class_name, "config": item.config, "line": item.line,
                                   "custom": item.custom})
                elif isinstance(item, Unknown):
                    listed.append({"class": "unknown", "why": item.why})
                else:
                    listed.append({"class": type(item).__name__})
        extra["callbacks"] = listed
    generator = bound.get("x", bound.get("generator"))
    if isinstance(generator, Unknown) and "generator" in generator.why:
        extra["x_is_generator"] = True
    return settings, extra, source


# ======================================================================================
# Entry point
# ======================================================================================


def _main_model(interpreter: _Interpreter) -> ModelObj | None:
    models = [m for m in interpreter.models if m.kind in ("sequential", "functional", "application")]
    if not models:
        return None

    def rank(model: ModelObj) -> tuple:
        has_layers = bool(model.layers) or bool(model.outputs) or model.kind == "application"
        return (model.compile is not None and model.fit is not None, model.compile is not None,
                model.fit is not None, not model.used_as_part, has_layers, model.seq)

    return max(models, key=rank)


def _merge_summary(spec: ModelSpec, summary: ModelSpec | None, notes: list[str]) -> None:
    """Fill parameter counts and shapes the code left open from a model.summary() table of
    the same model in the same text (same layer classes in the same order)."""
    if summary is None or not summary.layers:
        return
    mine = [layer for layer in spec.layers if layer.class_name != "InputLayer"]
    theirs = [layer for layer in summary.layers if layer.class_name != "InputLayer"]
    if len(mine) != len(theirs) or any(a.class_name != b.class_name for a, b in zip(mine, theirs)):
        return
    if all(layer.params_total is not None and layer.output_shape is not None for layer in mine):
        return
    filled = 0
    for layer, row in zip(mine, theirs):
        if layer.params_total is None and row.params_total is not None and not layer.sublayers:
            layer.params_total = row.params_total
            layer.params_trainable = (row.params_trainable if row.params_trainable is not None
                                      else row.params_total) if layer.trainable else 0
            layer.notes.append("parameters from the model.summary() table in the same text")
            filled += 1
        if layer.output_shape is None and row.output_shape is not None:
            layer.output_shape = row.output_shape
        if row.output_shape is not None or row.params_total is not None:
            layer.notes = [n for n in layer.notes if not n.startswith("output shape not worked out")]
    if filled:
        keras_config.update_totals(spec)
        notes.append(f"parameter counts of {filled} layer(s) taken from the model.summary() table in the same text")


def read_code(text: str, path: str = "<pasted>", *, summary: ModelSpec | None = None,
              use_summary_in_text: bool = True) -> CodeSpec:
    """Read Keras training code (``.py`` text, notebook JSON or pasted text) without running it.

    ``summary`` is a ``model.summary()`` table of the same model (read elsewhere); when not
    given and the text itself holds one, that table fills parameter counts the code cannot
    give (an input shape taken from the data, for example). Raises :class:`InputError` only
    for input that is too large; code that does not parse gives a CodeSpec without a model.
    """
    if len(text) > MAX_CODE_CHARS:
        raise InputError(path, f"training code of at most {MAX_CODE_CHARS // 1_000_000} MB",
                         found=f"{len(text) // 1_000_000} MB of text")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    deadline = time.monotonic() + TIME_BUDGET_S
    program, tree = _prepare(text, path, deadline)
    interpreter = _Interpreter(program, path, deadline)
    code = CodeSpec(path=path, model=None, fit=FitSettings(), lines=list(program.display),
                    recovered=list(program.recovered), text=program.text)
    if tree is None or not tree.body:
        code.unresolved.append(Unresolved(None, "", "no part of the text parses as Python"))
        return code
    try:
        interpreter.run_module(tree)
    except (_OutOfBudget, RecursionError, MemoryError):
        interpreter.unresolved.append(Unresolved(None, "", "the reader's budget ran out"))
    code.hints = _collect_hints(tree, interpreter)
    main = _main_model(interpreter)
    specs: list[ModelSpec] = []
    if main is not None:
        try:
            spec, entry, builder = _to_model_spec(interpreter, main)
        except (RecursionError, InputError, _OutOfBudget) as error:
            interpreter.unresolved.append(Unresolved(main.line, main.name, f"the model could not be assembled ({error})"))
            spec = None
        if spec is not None:
            _record_sites(code, interpreter, main, entry, builder)
            repaired = bool(program.recovered)
            code.editable = not repaired and (program.text == text and all(where is None for _, where in program.origin)
                                              or program.cells is not None)
            if code.editable and program.cells is not None:
                code.cells, code.notebook = program.cells, program.notebook
            if summary is None and use_summary_in_text:
                try:
                    summary = summary_table.find_summary(text, source_path=path)
                except Exception:  # the summary parser never raises; keep the reader safe anyway
                    summary = None
            _merge_summary(spec, summary, code.recovered)
            specs.append(spec)
    settings, extra, fit_source = _fit_settings(interpreter, main)
    code.fit = settings
    code.fit_extra = extra
    code.fit_source = fit_source
    if main is not None and main.compile_line is not None:
        code.compile_source = interpreter.source(main.compile_line, main.compile_snippet or None)
    code.unresolved = interpreter.unresolved
    code.assumptions = interpreter.assumptions
    if specs:
        model = specs[0]
        model.fit_settings = settings
        model.code_hints = dict(code.hints)
        model.warnings.extend(f"{path}:{item.line}: {item.why}" if item.line else f"{path}: {item.why}"
                              for item in code.unresolved[:50])
        code.model = model
        model.code = code
    code.models = specs
    return code


def model_of(code: CodeSpec | None) -> ModelSpec | None:
    """The model of read code when it shows one: its layers, or at least its compile()
    settings (a fragment that compiles a model built elsewhere: its layers are unknown, not
    absent, and the model says so)."""
    model = code.model if code is not None else None
    if model is None or not (model.layers or model.compile):
        return None
    if not model.layers and model.complete:
        model.complete = False
        model.params_total = model.params_trainable = None
        model.warnings.append("the code compiles a model whose layers it does not show")
    return model


def _record_sites(code: CodeSpec, interpreter: _Interpreter, main: ModelObj, entry: dict[str, Any],
                  builder: _ConfigBuilder) -> None:
    """What app.patches.script needs to edit the code: the model's config and where its
    layers, compile() and fit() calls are. Only code given as one plain file is editable
    (a notebook's cells were joined; repaired pasted text is not what the user has)."""
    code.config = {**entry, "compile_config": json.loads(json.dumps(_json_safe(main.compile)))
                   if main.compile else None}
    code.layer_sites = _layer_sites(builder)
    if main.compile_span is not None:
        code.compile_site = CodeSite(main.compile_span, main.compile_line, main.compile_snippet)
    if main.optimizer_span is not None:
        code.optimizer_site = CodeSite(main.optimizer_span, main.optimizer_span[0], "")
    if main.fit_span is not None:
        code.fit_site = CodeSite(main.fit_span, main.fit_line, main.fit_snippet)


def read_code_file(path: str) -> CodeSpec:
    """Read a ``.py`` or ``.ipynb`` file (UTF-8, GBK or UTF-16 text) without running it."""
    from app.io.sniff import TextSource, probe_file

    probe = probe_file(path)
    if probe.encoding is None:
        raise InputError(path, "a Python source file or a notebook (text)", found="binary data")
    if probe.size > MAX_CODE_CHARS * 4:
        raise InputError(path, "training code of a reasonable size", found=f"{probe.size} bytes")
    source = TextSource.from_file(path, probe.encoding)
    return read_code("".join(source.chunks()), path)


def looks_like_code(text: str) -> float:
    """How much ``text`` looks like Keras training code (0..1); cheap, for identify()."""
    score = quotes_code(text)
    if score and re.search(r"^\s*Epoch\s+\d+/\d+", text[:65536], re.M):
        score = min(score, 0.3)  # a console log that quotes code: the log reader goes first
    return score


def quotes_code(text: str) -> float:
    """How much ``text`` holds Keras training code (0..1), whatever else is around it (a
    forum post quoting its code above the log); cheap."""
    head = text[:65536]
    score = 0.0
    if re.search(r"^\s*(import|from)\s+(tensorflow|keras|tf_keras)\b", head, re.M):
        score = max(score, 0.85)
    if re.search(r"\b(Sequential|keras\.Model|Model)\s*\(", head) and re.search(r"\.(compile|fit|add)\s*\(", head):
        score = max(score, 0.7)
    elif re.search(r"\b(Dense|Conv[123]D|LSTM)\s*\(", head) and re.search(r"\.(compile|fit|add)\s*\(|\)\(\s*\w+\s*\)", head):
        score = max(score, 0.55)
    # Fragments: model.fit(..., epochs=...) or model.compile(loss=..., optimizer=...) alone.
    if re.search(r"^\s*\w+\.(fit|fit_generator)\s*\((?=[^)\n]*\b(epochs|nb_epoch|batch_size|validation_\w+)\s*=)", head, re.M) \
            or re.search(r"^\s*\w+\.compile\s*\((?=[^\n]*\b(loss|optimizer)\s*=)", head, re.M):
        score = max(score, 0.5)
    return score


_CODE_LINE = re.compile(r"^\s*(import|from|def|class|return|if|elif|else|for|while|with|try|except|"
                        r"finally|@|#|[\"'(\[{)\]}]|[A-Za-z_][\w.\[\]'\"]*\s*(=|\+=|\())|[),:\[\](]\s*$")


def code_share(text: str, max_lines: int = 400) -> float:
    """The share of non-blank lines that look like Python (a rough, cheap estimate): pasted
    code is mostly code, a forum post that quotes code is mostly prose and output."""
    lines = [line for line in text.splitlines()[:max_lines * 4] if line.strip()][:max_lines]
    if not lines:
        return 0.0
    code = sum(1 for line in lines if not _CJK.search(line) and _CODE_LINE.search(line))
    return code / len(lines)
