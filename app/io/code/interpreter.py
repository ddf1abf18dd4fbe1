"""The abstract interpreter: walks the syntax tree binding names to abstract values; never runs user code."""

from __future__ import annotations

import ast
import builtins
import math
import time
from typing import Any, Callable

from app.core.run import Source
from app.io import keras_config, shapes
from app.io.code.keras_names import (
    _ACTIVATION_DEFAULT_LINEAR,
    _BARE_CATEGORY,
    _BARE_MODULES,
    _HAS_DATA_FORMAT,
    _INITIALIZER_ARGS,
    KERAS1_RENAMES,
    _LAYER_DEFAULTS,
    _NUMERIC_MODULES,
    APPLICATIONS,
    CALLBACKS,
    COMPILE_ARGS,
    FIT_ARGS,
    FIT_GENERATOR_ARGS,
    FIT_METHODS,
    KNOWN_LAYERS,
    LAYER_ARGS,
    LOSS_CLASSES,
    MODEL_CLASSES,
    OPTIMIZER_ARGS,
    REGULARIZERS,
    _is_keras_path,
    _normalize_path,
)
from app.io.code.limits import (
    MAX_INLINE_DEPTH,
    MAX_INT_BITS,
    MAX_LAYERS,
    MAX_LOOP,
    MAX_SEQUENCE,
    MAX_STEPS,
    MAX_UNRESOLVED,
)
from app.io.code.model_config import _ConfigBuilder
from app.io.code.source import _Program
from app.io.code.values import (
    _CONSTANT_TYPES,
    _MISSING,
    AppLayerProxy,
    AppLayers,
    Env,
    KerasObject,
    LayerObj,
    ModelObj,
    Ref,
    Span,
    Tensor,
    Unknown,
    Unresolved,
    UserClass,
    UserFunction,
    _Break,
    _Continue,
    _declared_input_shape,
    _is_unknown,
    _json_safe,
    _known_int,
    _OutOfBudget,
    _Return,
    _why,
)

# ======================================================================================
# The interpreter
# ======================================================================================


class _Interpreter:
    """Walks the syntax tree, binding names to abstract values; never runs user code."""

    def __init__(self, program: _Program, path: str, deadline: float) -> None:
        self.program = program
        self.path = path
        self.deadline = deadline
        self.steps = 0
        self.seq = 0
        self.unresolved: list[Unresolved] = []
        self.assumptions: list[Unresolved] = []
        self.models: list[ModelObj] = []
        self.layer_count = 0
        self.name_counts: dict[str, int] = {}
        self.used_names: set[str] = set()
        self.data_format: str | None = None
        self.call_stack: list[tuple[str, int | None]] = []
        self.fits: list[tuple[ModelObj, dict, int | None, str]] = []
        self.compiles: list[tuple[ModelObj, int | None]] = []
        self.module_env = Env()
        self.module_env.vars["__name__"] = "__main__"
        self.out_of_budget = False
        self.current_line: int | None = None
        self.program_lines = program.text.splitlines()

    # ---------------------------------------------------------------- bookkeeping

    def line_of(self, node: ast.AST | None) -> int | None:
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return self.current_line
        if 1 <= lineno <= len(self.program.origin):
            return self.program.origin[lineno - 1][0]
        return lineno

    def source(self, line: int | None, snippet: str | None = None) -> Source:
        entry = None
        if line is not None:
            for shown, where in self.program.origin:
                if shown == line and where:
                    entry = where
                    break
        return Source(self.path, line, entry, snippet)

    def text_of(self, node: ast.AST) -> str:
        """The code of a node for messages: one line, at most 160 characters."""
        lineno = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", lineno)
        if hasattr(node, "body") and not isinstance(node, (ast.Lambda, ast.IfExp)) or (
                lineno is not None and end is not None and end - lineno > 3):
            lines = self.program_lines
            text = lines[lineno - 1].strip() if lineno is not None and 0 < lineno <= len(lines) else type(node).__name__
        else:
            try:
                text = ast.unparse(node)
            except Exception:  # unparse of odd or very deep trees
                text = type(node).__name__
        text = " ".join(text.split())
        return text if len(text) <= 160 else text[:157] + "..."

    def note(self, node: ast.AST | None, why: str, text: str | None = None) -> None:
        if len(self.unresolved) >= MAX_UNRESOLVED:
            return
        item = Unresolved(self.line_of(node), text if text is not None else (self.text_of(node) if node else ""), why)
        if item not in self.unresolved:
            self.unresolved.append(item)

    def assume(self, node: ast.AST | None, why: str) -> None:
        """Record an assumption once per distinct reason (the first line it was made on)."""
        item = Unresolved(self.line_of(node), self.text_of(node) if node is not None else "", why)
        if all(known.why != why for known in self.assumptions) and len(self.assumptions) < MAX_UNRESOLVED:
            self.assumptions.append(item)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS or (self.steps % 256 == 0 and time.monotonic() > self.deadline):
            self.out_of_budget = True
            raise _OutOfBudget()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def auto_name(self, base: str) -> str:
        count = self.name_counts.get(base, 0)
        while True:
            name = base if count == 0 else f"{base}_{count}"
            count += 1
            if name not in self.used_names:
                break
        self.name_counts[base] = count
        self.used_names.add(name)
        return name

    def where_built(self) -> str:
        if not self.call_stack:
            return ""
        return " <- ".join(f"{name}() called at line {line}" for name, line in reversed(self.call_stack))

    # ---------------------------------------------------------------- statements

    def run_module(self, tree: ast.Module) -> None:
        try:
            self.exec_block(tree.body, self.module_env)
        except _OutOfBudget:
            self.note(None, "the reader's time or step budget ran out: the rest of the code was not read",
                      "(whole file)")
        except (_Return, _Break, _Continue):
            pass
        self.run_uncalled_functions(tree)

    def run_uncalled_functions(self, tree: ast.Module) -> None:
        """Functions defined but never called (seed 000/004 build their model in one): read
        each with its parameters unknown (or their defaults)."""
        loaded: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loaded.add(node.id)
            elif isinstance(node, ast.Attribute):
                loaded.add(node.attr)
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name in loaded:
                continue
            if self.out_of_budget:
                return
            function = self.module_env.vars.get(node.name)
            if not isinstance(function, UserFunction) or function.node is not node:
                continue
            if not any(isinstance(n, ast.Call) for n in ast.walk(node)):
                continue
            args = []
            bound = {}
            params = node.args
            positional = params.posonlyargs + params.args
            first_default = len(positional) - len(params.defaults)
            for index, arg in enumerate(positional):
                if index >= first_default:
                    continue  # its default is used
                value = self._guess_parameter(arg.arg, node)
                bound[arg.arg] = value
            for arg, default in zip(params.kwonlyargs, params.kw_defaults):
                if default is None:
                    bound[arg.arg] = self._guess_parameter(arg.arg, node)
            before = (len(self.models), len(self.unresolved), len(self.assumptions))
            try:
                self.call_user(function, args, bound, node)
            except _OutOfBudget:
                self.note(node, "the reader's time or step budget ran out inside this function")
                return
            except (_Return, _Break, _Continue):
                pass
            if len(self.models) == before[0]:
                # it builds no model (a helper nobody calls any more): its loose ends are noise
                del self.unresolved[before[1]:]
                del self.assumptions[before[2]:]

    def _guess_parameter(self, name: str, node: ast.AST) -> Any:
        """A parameter of a function nobody calls: unknown, unless exactly one module-level
        Keras object's name starts with it (``optimizer`` -> ``optimizer1``, seed 004)."""
        candidates = [(key, value) for key, value in self.module_env.vars.items()
                      if key.startswith(name) and key != name and isinstance(value, (KerasObject, ModelObj))]
        if len(candidates) == 1:
            key, value = candidates[0]
            self.assumptions.append(Unresolved(self.line_of(node), f"{name} = {key}",
                                               f"parameter {name!r} of {getattr(node, 'name', '?')}() "
                                               f"has no value in this code (the function is never called); "
                                               f"assumed to be the module-level {key!r}"))
            return value
        return Unknown(f"parameter {name!r} of {getattr(node, 'name', 'a function')}() has no value in this "
                       "code (the function is never called here)")

    def exec_block(self, body: list[ast.stmt], env: Env) -> None:
        for stmt in body:
            self.exec_stmt(stmt, env)

    def exec_stmt(self, stmt: ast.stmt, env: Env) -> None:
        self.tick()
        self.current_line = self.line_of(stmt)
        try:
            self._exec(stmt, env)
        except RecursionError:
            self.note(stmt, "the statement is nested too deeply to read")

    def _exec(self, stmt: ast.stmt, env: Env) -> None:
        if isinstance(stmt, ast.Expr):
            self.eval(stmt.value, env)
        elif isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, env)
            for target in stmt.targets:
                self.assign(target, value, env, stmt)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.eval(stmt.value, env), env, stmt)
        elif isinstance(stmt, ast.AugAssign):
            self.aug_assign(stmt, env)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.import_(stmt, env)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.define_function(stmt, env)
        elif isinstance(stmt, ast.ClassDef):
            self.define_class(stmt, env)
        elif isinstance(stmt, ast.Return):
            if env.function is None:
                return  # a module-level return (a function's last line that lost its indentation)
            raise _Return(self.eval(stmt.value, env) if stmt.value is not None else None)
        elif isinstance(stmt, ast.If):
            self.if_(stmt, env)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.for_(stmt, env)
        elif isinstance(stmt, ast.While):
            self.skip_loop(stmt, env, "a while loop is not run")
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                value = self.eval(item.context_expr, env)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, Unknown("the value of a with-statement"), env, stmt)
                del value
            self.exec_block(stmt.body, env)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.exec_block(stmt.body, env)  # type: ignore[attr-defined]
            self.exec_block(getattr(stmt, "orelse", []), env)
            self.exec_block(getattr(stmt, "finalbody", []), env)
        elif isinstance(stmt, ast.Break):
            raise _Break()
        elif isinstance(stmt, ast.Continue):
            raise _Continue()
        elif isinstance(stmt, (ast.Global, ast.Nonlocal)):
            env.global_names.update(stmt.names)
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    env.vars.pop(target.id, None)
        elif type(stmt).__name__ == "Match":
            self.skip_loop(stmt, env, "a match statement is not followed")
        # pass, raise, assert: nothing to do

    def define_function(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, env: Env) -> None:
        """Bind the function; its defaults are evaluated (abstractly), its decorators never run."""
        defaults = [self.eval(d, env) for d in stmt.args.defaults]
        kw_defaults = {a.arg: self.eval(d, env) for a, d in zip(stmt.args.kwonlyargs, stmt.args.kw_defaults)
                       if d is not None}
        generator = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(stmt))
        function = UserFunction(stmt, env, stmt.name, defaults, kw_defaults, generator)
        if stmt.decorator_list:
            self.note(stmt, "decorators are not applied (never run): the function is read as written",
                      "@" + ", @".join(self.text_of(d) for d in stmt.decorator_list))
        env.assign(stmt.name, function)

    def define_class(self, stmt: ast.ClassDef, env: Env) -> None:
        bases = [self.eval(b, env) for b in stmt.bases]
        kind = "other"
        for base in bases:
            if isinstance(base, Ref) and _is_keras_path(base.path):
                if base.last in MODEL_CLASSES:
                    kind = "model"
                elif base.last in ("Layer",) or base.last in KNOWN_LAYERS:
                    kind = "layer"
                elif base.last in CALLBACKS:
                    kind = "callback"
            elif isinstance(base, UserClass) and base.kind != "other":
                kind = base.kind
        if kind == "model":
            self.note(stmt, "a subclassed model's layers are built in call(), which is not read",
                      f"class {stmt.name}")
        env.assign(stmt.name, UserClass(stmt.name, bases, self.line_of(stmt), kind))

    def if_(self, stmt: ast.If, env: Env) -> None:
        test = self.eval(stmt.test, env)
        truth = self.truth(test)
        if truth is None:
            self.assume(stmt.test, f"the condition is not known ({_why(test)}); read as true")
            self.exec_block(stmt.body, env)
        elif truth:
            self.exec_block(stmt.body, env)
        else:
            self.exec_block(stmt.orelse, env)

    def truth(self, value: Any) -> bool | None:
        if isinstance(value, Unknown):
            return None
        if isinstance(value, _CONSTANT_TYPES) or isinstance(value, (list, tuple, dict, set)):
            try:
                return bool(value)
            except Exception:
                return None
        if isinstance(value, (Ref, KerasObject, LayerObj, ModelObj, UserFunction, UserClass, Tensor)):
            return True
        return None

    def iterate(self, value: Any, node: ast.AST) -> list[Any] | None:
        """The items of a known, small iterable; None when unknown or too long."""
        if isinstance(value, (list, tuple)):
            items = list(value)
        elif isinstance(value, str):
            items = list(value)
        elif isinstance(value, dict):
            items = list(value.keys())
        elif isinstance(value, range):
            if len(value) > MAX_LOOP:
                return None
            items = list(value)
        elif isinstance(value, AppLayers):
            if value.sliced:
                return None
            return [AppLayerProxy(value.model)]
        else:
            return None
        return items if len(items) <= MAX_LOOP else None

    def for_(self, stmt: ast.For | ast.AsyncFor, env: Env) -> None:
        iterable = self.eval(stmt.iter, env)
        items = self.iterate(iterable, stmt.iter)
        if items is None:
            why = (f"the loop runs over {len(iterable)} items, more than the {MAX_LOOP} unrolled"
                   if isinstance(iterable, (range, list, tuple)) else
                   f"the loop's items are not known ({_why(iterable)})")
            self.skip_loop(stmt, env, why)
            return
        for item in items:
            self.assign(stmt.target, item, env, stmt)
            try:
                self.exec_block(stmt.body, env)
            except _Break:
                return
            except _Continue:
                continue
        self.exec_block(stmt.orelse, env)

    def skip_loop(self, stmt: ast.stmt, env: Env, why: str) -> None:
        """A loop (or match) not followed: every name it assigns becomes unknown."""
        header = self.text_of(stmt).splitlines()[0] if self.text_of(stmt) else ""
        self.note(stmt, why + "; names it assigns are unknown after it", header)
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                env.assign(node.id, Unknown(f"assigned in a loop that was not followed (line {self.line_of(stmt)})"))

    # ---------------------------------------------------------------- assignment

    def assign(self, target: ast.AST, value: Any, env: Env, stmt: ast.AST) -> None:
        if isinstance(target, ast.Name):
            env.assign(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elements = target.elts
            starred = [i for i, e in enumerate(elements) if isinstance(e, ast.Starred)]
            items = self.iterate(value, target) if not isinstance(value, (str, dict)) else None
            if items is None or (not starred and len(items) != len(elements)):
                for element in elements:
                    inner = element.value if isinstance(element, ast.Starred) else element
                    self.assign(inner, Unknown(f"unpacked from {_why(value) if _is_unknown(value) else 'a value of unknown length'}"), env, stmt)
                return
            if starred:
                s = starred[0]
                after = len(elements) - s - 1
                if len(items) < len(elements) - 1:
                    return
                values = items[:s] + [list(items[s:len(items) - after])] + items[len(items) - after:]
                for element, item in zip(elements, values):
                    self.assign(element.value if isinstance(element, ast.Starred) else element, item, env, stmt)
                return
            for element, item in zip(elements, items):
                self.assign(element, item, env, stmt)
        elif isinstance(target, ast.Attribute):
            owner = self.eval(target.value, env)
            self.set_attribute(owner, target.attr, value, target)
        elif isinstance(target, ast.Subscript):
            owner = self.eval(target.value, env)
            key = self.eval(target.slice, env)
            if isinstance(owner, dict) and isinstance(key, _CONSTANT_TYPES) and not _is_unknown(value):
                if len(owner) < MAX_SEQUENCE:
                    owner[key] = value
            elif isinstance(owner, list) and _known_int(key) and -len(owner) <= key < len(owner):
                owner[key] = value
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, env, stmt)

    def set_attribute(self, owner: Any, attr: str, value: Any, node: ast.AST) -> None:
        if attr == "trainable":
            flag = self.truth(value)
            if isinstance(owner, LayerObj):
                if flag is None:
                    self.note(node, f"trainable is set to an unknown value ({_why(value)})")
                else:
                    owner.config["trainable"] = bool(flag)
            elif isinstance(owner, ModelObj):
                if flag is None:
                    self.note(node, f"trainable is set to an unknown value ({_why(value)})")
                else:
                    owner.trainable = bool(flag)
            elif isinstance(owner, AppLayerProxy):
                if flag is not None:
                    owner.model.trainable = bool(flag)
                    owner.model.notes.append(f"every layer set trainable={bool(flag)} in a loop")
        elif isinstance(owner, LayerObj) and attr in ("activation", "kernel_initializer"):
            owner.notes.append(f"{attr} changed after creation (line {self.line_of(node)})")

    def aug_assign(self, stmt: ast.AugAssign, env: Env) -> None:
        if isinstance(stmt.target, ast.Name):
            current = env.lookup(stmt.target.id)
            if current is _MISSING:
                current = Unknown(f"name {stmt.target.id!r} is not defined before line {self.line_of(stmt)}")
            right = self.eval(stmt.value, env)
            if isinstance(current, list) and isinstance(stmt.op, ast.Add) and isinstance(right, (list, tuple)):
                if len(current) + len(right) <= MAX_SEQUENCE:
                    current.extend(right)  # in place, as Python does for lists
                    return
            env.assign(stmt.target.id, self.binop(stmt.op, current, right))
        else:
            self.eval(stmt.value, env)

    # ---------------------------------------------------------------- imports

    def import_(self, stmt: ast.Import | ast.ImportFrom, env: Env) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                path = _normalize_path(alias.name)
                if alias.asname:
                    env.assign(alias.asname, Ref(path))
                else:
                    top = alias.name.split(".", 1)[0]
                    env.assign(top, Ref(_normalize_path(top)))
            return
        module = _normalize_path(stmt.module or "")
        if stmt.level:
            module = "." * stmt.level + (stmt.module or "")
        for alias in stmt.names:
            if alias.name == "*":
                if _is_keras_path(module):
                    env.vars.setdefault("__star_keras__", [])
                    env.vars["__star_keras__"].append(module)
                continue
            env.assign(alias.asname or alias.name, Ref(f"{module}.{alias.name}" if module else alias.name))

    # ---------------------------------------------------------------- expressions

    def eval(self, node: ast.AST | None, env: Env) -> Any:
        if node is None:
            return None
        self.tick()
        try:
            method = getattr(self, "eval_" + type(node).__name__, None)
            if method is None:
                return Unknown(f"{type(node).__name__} expressions are not evaluated")
            return method(node, env)
        except (_Return, _Break, _Continue, _OutOfBudget):
            raise
        except RecursionError:
            raise
        except (ArithmeticError, ValueError, TypeError, IndexError, KeyError, AttributeError, MemoryError) as error:
            return Unknown(f"{type(error).__name__} while reading {self.text_of(node)}")

    def eval_Constant(self, node: ast.Constant, env: Env) -> Any:
        return node.value

    def eval_Name(self, node: ast.Name, env: Env) -> Any:
        value = env.lookup(node.id)
        if value is not _MISSING:
            return value
        return self.builtin_or_guess(node.id, node, env)

    def builtin_or_guess(self, name: str, node: ast.AST, env: Env) -> Any:
        if name in _BUILTINS:
            return _Builtin(name)
        if name in _PYTHON_BUILTINS:
            return Unknown(f"Python's {name}() is not run")
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        stars = env.lookup("__star_keras__")
        if isinstance(stars, list):
            for module in stars:
                guess = self.keras_name(name)
                if guess is not None:
                    return guess
        if name in _NUMERIC_MODULES:
            self.assume(node, f"{name!r} is not imported in this code; read as {_NUMERIC_MODULES[name]}")
            return Ref(_NUMERIC_MODULES[name])
        if name in _BARE_MODULES:
            self.assume(node, f"{name!r} is not imported in this code; read as {_BARE_MODULES[name]}")
            return Ref(_BARE_MODULES[name])
        guess = self.keras_name(name)
        if guess is not None:
            self.assume(node, f"{name!r} is not imported in this code; read as {guess.path}")
            return guess
        return Unknown(f"name {name!r} is not defined in this code")

    @staticmethod
    def keras_name(name: str) -> Ref | None:
        if name in _BARE_CATEGORY:
            return Ref(f"{_BARE_CATEGORY[name]}.{name}")
        if name in KNOWN_LAYERS or name == "InputLayer":
            return Ref(f"keras.layers.{name}")
        if name in APPLICATIONS:
            return Ref(f"keras.applications.{name}")
        if name in OPTIMIZER_ARGS:
            return Ref(f"keras.optimizers.{name}")
        if name in CALLBACKS and name != "Callback":
            return Ref(f"keras.callbacks.{name}")
        if name in LOSS_CLASSES:
            return Ref(f"keras.losses.{name}")
        return None

    def eval_Attribute(self, node: ast.Attribute, env: Env) -> Any:
        owner = self.eval(node.value, env)
        return self.attribute(owner, node.attr, node)

    def attribute(self, owner: Any, attr: str, node: ast.AST) -> Any:
        if isinstance(owner, Ref):
            return Ref(_normalize_path(f"{owner.path}.{attr}"))
        if isinstance(owner, Tensor):
            if attr == "shape":
                return owner.shape if owner.shape is not None else Unknown("the tensor's shape is not known")
            return Unknown(f"tensor attribute {attr!r}")
        if isinstance(owner, ModelObj):
            return self.model_attribute(owner, attr, node)
        if isinstance(owner, LayerObj):
            if attr == "output" and owner.outputs:
                return owner.outputs[0][0] if len(owner.outputs[0]) == 1 else list(owner.outputs[0])
            if attr == "input" and owner.nodes:
                return owner.nodes[0][0] if len(owner.nodes[0]) == 1 else list(owner.nodes[0])
            if attr == "name":
                return owner.name
            if attr == "trainable":
                return owner.config.get("trainable", True)
            return Unknown(f"layer attribute {attr!r}")
        if isinstance(owner, KerasObject):
            if attr in owner.config and isinstance(owner.config[attr], _CONSTANT_TYPES):
                return owner.config[attr]
            return Unknown(f"attribute {attr!r} of a {owner.class_name}")
        if isinstance(owner, (list, dict, str, tuple)) and attr in ("append", "extend", "insert", "pop",
                                                                    "get", "items", "keys", "values",
                                                                    "format", "join", "upper", "lower",
                                                                    "index", "count", "copy", "update",
                                                                    "startswith", "endswith", "split",
                                                                    "strip", "replace"):
            return _BoundMethod(owner, attr)
        if isinstance(owner, Unknown):
            return owner
        return Unknown(f"attribute {attr!r} of {type(owner).__name__}")

    def model_attribute(self, model: ModelObj, attr: str, node: ast.AST) -> Any:
        if attr in ("add", "compile", "fit", "fit_generator", "summary", "evaluate", "predict",
                    "save", "save_weights", "load_weights", "get_layer", "pop", "count_params",
                    "to_json", "train_on_batch", "evaluate_generator", "predict_generator", "build"):
            return _BoundMethod(model, attr)
        if attr == "trainable":
            return model.trainable
        if attr == "name":
            return model.name
        if attr == "layers":
            model.used_as_part = model.used_as_part or model.kind == "application"
            if model.kind == "application" and not model.layers:
                return AppLayers(model)
            return list(self.model_layers(model))
        if attr in ("input", "inputs", "output", "outputs"):
            model.used_as_part = True
            inputs, outputs = self.model_tensors(model, node)
            chosen = inputs if attr.startswith("input") else outputs
            if not chosen:
                return Unknown(f"the model's {attr} is not known")
            if attr in ("input", "output") and len(chosen) == 1:
                return chosen[0]
            return list(chosen)
        if attr in ("output_shape", "input_shape"):
            inputs, outputs = self.model_tensors(model, node)
            chosen = outputs if attr == "output_shape" else inputs
            if len(chosen) == 1 and chosen[0].shape is not None:
                return chosen[0].shape
            return Unknown(f"the model's {attr} is not known")
        if attr == "optimizer":
            optimizer = (model.compile or {}).get("optimizer")
            return optimizer if optimizer is not None else Unknown("the model is not compiled here")
        return Unknown(f"model attribute {attr!r}")

    def model_layers(self, model: ModelObj) -> list[Any]:
        if model.kind == "sequential":
            return [layer for layer in model.layers if not isinstance(layer, Tensor)]
        if model.kind == "application" and model.layers:
            return list(model.layers)
        producers = self.graph_producers(model.inputs, model.outputs)
        return producers

    def model_tensors(self, model: ModelObj, node: ast.AST) -> tuple[list[Tensor], list[Tensor]]:
        """A model's input and output tensors (built on demand for Sequential and applications)."""
        if model.kind == "functional" or (model.kind == "application" and model.outputs):
            return model.inputs, model.outputs
        if model.own_input is not None and model.own_outputs:
            return [model.own_input], model.own_outputs
        if model.own_input is None:
            shape = self.sequential_input_shape(model) if model.kind == "sequential" else model.app.get("input_shape") if model.app else None
            layer = self.new_layer("InputLayer", {"batch_shape": list(shape) if shape else None}, node, "input_layer")
            tensor = Tensor(layer, 0, 0, shape)
            layer.nodes.append([])
            layer.outputs.append([tensor])
            layer.node_seq.append(self.next_seq())
            model.own_input = tensor
        outputs = self.call_model(model, [model.own_input], node, mark=False)
        model.own_outputs = outputs
        return [model.own_input], outputs

    def sequential_input_shape(self, model: ModelObj) -> tuple | None:
        for item in model.layers:
            if isinstance(item, Tensor):
                return item.shape
            if isinstance(item, LayerObj):
                return _declared_input_shape(item.config)
            break
        return None

    def eval_Subscript(self, node: ast.Subscript, env: Env) -> Any:
        owner = self.eval(node.value, env)
        key = self.eval(node.slice, env)
        if isinstance(owner, Unknown):
            return owner
        if isinstance(key, Unknown):
            return key
        if isinstance(owner, AppLayers) and isinstance(key, slice):
            return AppLayers(owner.model, sliced=True)
        if isinstance(owner, (list, tuple, str, dict, range)):
            try:
                return owner[key]
            except (IndexError, KeyError, TypeError, ValueError):
                return Unknown(f"index {key!r} not in the value")
        return Unknown(f"indexing a {type(owner).__name__}")

    def eval_Slice(self, node: ast.Slice, env: Env) -> Any:
        parts = [self.eval(p, env) if p is not None else None for p in (node.lower, node.upper, node.step)]
        if any(isinstance(p, Unknown) for p in parts):
            return Unknown("a slice bound is not known")
        if any(p is not None and not _known_int(p) for p in parts):
            return Unknown("a slice bound is not an integer")
        return slice(*parts)

    def eval_Index(self, node: Any, env: Env) -> Any:  # Python < 3.9 trees
        return self.eval(node.value, env)

    def eval_Tuple(self, node: ast.Tuple, env: Env) -> Any:
        return tuple(self.elements(node.elts, env))

    def eval_List(self, node: ast.List, env: Env) -> Any:
        return self.elements(node.elts, env)

    def eval_Set(self, node: ast.Set, env: Env) -> Any:
        items = self.elements(node.elts, env)
        try:
            return set(items)
        except TypeError:
            return Unknown("a set of unhashable values")

    def elements(self, nodes: list[ast.expr], env: Env) -> list[Any]:
        out: list[Any] = []
        for element in nodes:
            if isinstance(element, ast.Starred):
                value = self.eval(element.value, env)
                items = self.iterate(value, element)
                if items is None:
                    out.append(Unknown("a starred value that is not known"))
                else:
                    out.extend(items)
            else:
                out.append(self.eval(element, env))
            if len(out) > MAX_SEQUENCE:
                break
        return out

    def eval_Dict(self, node: ast.Dict, env: Env) -> Any:
        out: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                value = self.eval(value_node, env)
                if isinstance(value, dict):
                    out.update(value)
                continue
            key = self.eval(key_node, env)
            value = self.eval(value_node, env)
            if isinstance(key, _CONSTANT_TYPES):
                out[key] = value
            else:
                out[f"<unknown key {len(out)}>"] = value
        return out

    def eval_JoinedStr(self, node: ast.JoinedStr, env: Env) -> Any:
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                if value.format_spec is not None or value.conversion not in (-1, None):
                    return Unknown("a formatted string with a format spec")
                inner = self.eval(value.value, env)
                if not isinstance(inner, (int, float, str, bool)) or isinstance(inner, Unknown):
                    return Unknown("a formatted string with unknown parts")
                parts.append(str(inner))
            if sum(len(p) for p in parts) > MAX_SEQUENCE:
                return Unknown("a long string")
        return "".join(parts)

    def eval_FormattedValue(self, node: ast.FormattedValue, env: Env) -> Any:
        return Unknown("a formatted value")

    def eval_Lambda(self, node: ast.Lambda, env: Env) -> Any:
        defaults = [self.eval(d, env) for d in node.args.defaults]
        return UserFunction(node, env, "<lambda>", defaults, {})

    def eval_IfExp(self, node: ast.IfExp, env: Env) -> Any:
        test = self.truth(self.eval(node.test, env))
        if test is None:
            body = self.eval(node.body, env)
            other = self.eval(node.orelse, env)
            if _same_constant(body, other):
                return body
            return Unknown(f"a conditional expression with an unknown condition ({self.text_of(node.test)})")
        return self.eval(node.body if test else node.orelse, env)

    def eval_BoolOp(self, node: ast.BoolOp, env: Env) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.eval(operand, env)
            truth = self.truth(value)
            if truth is None:
                return Unknown(f"a boolean expression with unknown parts ({_why(value)})")
            if isinstance(node.op, ast.And) and not truth:
                return value
            if isinstance(node.op, ast.Or) and truth:
                return value
        return value

    def eval_UnaryOp(self, node: ast.UnaryOp, env: Env) -> Any:
        value = self.eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            truth = self.truth(value)
            return Unknown(_why(value)) if truth is None else not truth
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool) or isinstance(value, bool):
            if isinstance(node.op, ast.USub):
                return -value
            if isinstance(node.op, ast.UAdd):
                return +value
            if isinstance(node.op, ast.Invert) and isinstance(value, int):
                return ~value
        return Unknown(_why(value) if isinstance(value, Unknown) else "an operation on a non-constant")

    def eval_BinOp(self, node: ast.BinOp, env: Env) -> Any:
        left = self.eval(node.left, env)
        right = self.eval(node.right, env)
        return self.binop(node.op, left, right)

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return Unknown(_why(left, right))
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return Unknown("arithmetic on a tensor (not a Keras layer) is not followed")
        numbers = (int, float)
        if isinstance(left, numbers) and isinstance(right, numbers):
            return _arith(op, left, right)
        if isinstance(op, ast.Add) and type(left) is type(right) and isinstance(left, (str, list, tuple)):
            if len(left) + len(right) > MAX_SEQUENCE:
                return Unknown("a long sequence")
            return left + right
        if isinstance(op, ast.Mult):
            sequence, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(sequence, (str, list, tuple)) and _known_int(count):
                if count * len(sequence) > MAX_SEQUENCE:
                    return Unknown("a long sequence")
                return sequence * count
        if isinstance(op, ast.Div) and isinstance(left, Ref):
            return Ref(left.path + "/" + str(right))  # pathlib-style joins: a name, never a file
        return Unknown(f"{type(op).__name__} of {type(left).__name__} and {type(right).__name__}")

    def eval_Compare(self, node: ast.Compare, env: Env) -> Any:
        left = self.eval(node.left, env)
        result = True
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node, env)
            if isinstance(op, (ast.Is, ast.IsNot)) and (left is None or right is None):
                if isinstance(left, Unknown) or isinstance(right, Unknown):
                    return Unknown(_why(left, right))
                outcome = (left is right) if isinstance(op, ast.Is) else (left is not right)
            elif isinstance(left, Unknown) or isinstance(right, Unknown):
                return Unknown(_why(left, right))
            elif not (_plain(left) and _plain(right)):
                return Unknown("a comparison of non-constant values")
            else:
                try:
                    outcome = _compare(op, left, right)
                except TypeError:
                    return Unknown("a comparison of values of different kinds")
            if outcome is None:
                return Unknown("a comparison that is not evaluated")
            result = result and outcome
            left = right
        return result

    def comprehension(self, node: Any, env: Env, make: Callable[[Env], Any]) -> Any:
        """List/set/dict comprehensions and generator expressions over small known iterables."""
        results: list[Any] = []
        scope = Env(env, env.function)
        scope.global_names = set()

        def loop(index: int) -> bool:
            if index == len(node.generators):
                results.append(make(scope))
                return len(results) <= MAX_LOOP
            generator = node.generators[index]
            items = self.iterate(self.eval(generator.iter, scope), generator.iter)
            if items is None:
                return False
            for item in items:
                self.assign(generator.target, item, scope, node)
                keep = True
                for condition in generator.ifs:
                    truth = self.truth(self.eval(condition, scope))
                    if truth is None:
                        return False
                    keep = keep and truth
                if keep and not loop(index + 1):
                    return False
            return True

        if not loop(0):
            self.note(node, "a comprehension over items that are not known (or too many) is not followed")
            return Unknown("a comprehension that was not followed")
        return results

    def eval_ListComp(self, node: ast.ListComp, env: Env) -> Any:
        return self.comprehension(node, env, lambda scope: self.eval(node.elt, scope))

    def eval_GeneratorExp(self, node: ast.GeneratorExp, env: Env) -> Any:
        return self.comprehension(node, env, lambda scope: self.eval(node.elt, scope))

    def eval_SetComp(self, node: ast.SetComp, env: Env) -> Any:
        result = self.comprehension(node, env, lambda scope: self.eval(node.elt, scope))
        return result

    def eval_DictComp(self, node: ast.DictComp, env: Env) -> Any:
        pairs = self.comprehension(node, env, lambda scope: (self.eval(node.key, scope), self.eval(node.value, scope)))
        if isinstance(pairs, Unknown):
            return pairs
        out = {}
        for key, value in pairs:
            if isinstance(key, _CONSTANT_TYPES):
                out[key] = value
        return out

    def eval_NamedExpr(self, node: ast.NamedExpr, env: Env) -> Any:
        value = self.eval(node.value, env)
        self.assign(node.target, value, env, node)
        return value

    def eval_Starred(self, node: ast.Starred, env: Env) -> Any:
        return self.eval(node.value, env)

    def eval_Await(self, node: ast.Await, env: Env) -> Any:
        return Unknown("an awaited value")

    def eval_Yield(self, node: ast.Yield, env: Env) -> Any:
        if node.value is not None:
            self.eval(node.value, env)
        return Unknown("a value sent to a generator")

    def eval_YieldFrom(self, node: ast.YieldFrom, env: Env) -> Any:
        return Unknown("a value sent to a generator")

    # ---------------------------------------------------------------- calls

    def eval_Call(self, node: ast.Call, env: Env) -> Any:
        function = self.eval(node.func, env)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                value = self.eval(arg.value, env)
                items = self.iterate(value, arg)
                if items is None:
                    args.append(Unknown("arguments given with * that are not known"))
                else:
                    args.extend(items)
            else:
                args.append(self.eval(arg, env))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            value = self.eval(keyword.value, env)
            if keyword.arg is None:
                if isinstance(value, dict):
                    kwargs.update({k: v for k, v in value.items() if isinstance(k, str)})
                else:
                    self.note(keyword.value, "keyword arguments given with ** that are not known")
            else:
                kwargs[keyword.arg] = value
        return self.call(function, args, kwargs, node, env)

    def call(self, function: Any, args: list[Any], kwargs: dict[str, Any], node: ast.Call, env: Env) -> Any:
        if isinstance(function, Ref):
            return self.call_ref(function, args, kwargs, node)
        if isinstance(function, UserFunction):
            return self.call_user(function, args, kwargs, node)
        if isinstance(function, _Builtin):
            return function.call(self, args, kwargs, node)
        if isinstance(function, _BoundMethod):
            return function.call(self, args, kwargs, node)
        if isinstance(function, LayerObj):
            return self.call_layer(function, args, kwargs, node)
        if isinstance(function, ModelObj):
            inputs = self.tensor_list(args[0] if args else kwargs.get("inputs"))
            if inputs is None:
                self.note(node, "a model called on inputs that are not known")
                return Unknown("a model called on unknown inputs")
            outputs = self.call_model(function, inputs, node)
            return outputs[0] if len(outputs) == 1 else outputs
        if isinstance(function, UserClass):
            return self.instantiate(function, args, kwargs, node)
        if isinstance(function, KerasObject):
            return Unknown(f"a call of a {function.class_name}")
        if isinstance(function, Unknown):
            if any(isinstance(a, Tensor) for a in list(args) + list(kwargs.values())):
                return self.opaque_op(self.text_of(node.func), args, node, function.why)
            return Unknown(f"the result of {self.text_of(node.func)}() ({function.why})")
        return Unknown(f"the result of {self.text_of(node.func)}()")

    def call_user(self, function: UserFunction, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        """Inline a function of the user's code with its arguments bound (bounded depth)."""
        if len(self.call_stack) >= MAX_INLINE_DEPTH:
            self.note(node, f"calls nested deeper than {MAX_INLINE_DEPTH} functions are not followed")
            return Unknown(f"the result of {function.name}() (calls nested too deeply)")
        definition = function.node
        params = definition.args  # type: ignore[attr-defined]
        scope = Env(function.env, function.name)
        positional = params.posonlyargs + params.args
        first_default = len(positional) - len(function.defaults)
        for index, arg in enumerate(positional):
            if index < len(args):
                value = args[index]
            elif arg.arg in kwargs:
                value = kwargs.pop(arg.arg)
            elif index >= first_default:
                value = function.defaults[index - first_default]
            else:
                value = Unknown(f"argument {arg.arg!r} of {function.name}() not given")
            scope.vars[arg.arg] = value
        if params.vararg is not None:
            scope.vars[params.vararg.arg] = tuple(args[len(positional):])
        for arg in params.kwonlyargs:
            if arg.arg in kwargs:
                scope.vars[arg.arg] = kwargs.pop(arg.arg)
            elif arg.arg in function.kw_defaults:
                scope.vars[arg.arg] = function.kw_defaults[arg.arg]
            else:
                scope.vars[arg.arg] = Unknown(f"argument {arg.arg!r} of {function.name}() not given")
        if params.kwarg is not None:
            scope.vars[params.kwarg.arg] = dict(kwargs)
        if function.is_generator:
            return Unknown(f"a generator made by {function.name}()")
        self.call_stack.append((function.name, self.line_of(node)))
        try:
            if isinstance(definition, ast.Lambda):
                return self.eval(definition.body, scope)
            try:
                self.exec_block(definition.body, scope)  # type: ignore[attr-defined]
            except _Return as result:
                return result.value
            except (_Break, _Continue):
                pass
            return None
        finally:
            self.call_stack.pop()

    def instantiate(self, cls: UserClass, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        if cls.kind == "layer":
            layer = self.new_layer(cls.name, {}, node, keras_config.snake_case(cls.name))
            layer.custom = True
            layer.notes.append(f"custom layer class {cls.name} defined in the code: its weights are not counted")
            return layer
        if cls.kind == "callback":
            return KerasObject("callback", cls.name, {}, self.line_of(node), custom=True)
        return Unknown(f"an instance of class {cls.name} defined in the code")

    def opaque_op(self, text: str, args: list[Any], node: ast.AST, why: str) -> Any:
        """A TensorFlow op or unknown function applied to a Keras tensor: kept as an opaque
        layer so the graph stays connected (its shape is unknown)."""
        inputs = [a for a in args if isinstance(a, Tensor)]
        name = text.rsplit(".", 1)[-1] if text else "op"
        layer = self.new_layer("TFOpLambda", {"function": name}, node, "tf_op_" + keras_config.snake_case(name or "op"))
        layer.notes.append(f"{text}(...) applied to a tensor: not a Keras layer; its output shape is not known")
        self.note(node, f"{text}() on a Keras tensor is not a layer TrainDoc can size ({why})")
        return self.connect(layer, inputs, node, None)[0]

    def tensor_list(self, value: Any) -> list[Tensor] | None:
        if isinstance(value, Tensor):
            return [value]
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) for v in value):
            return list(value)
        if isinstance(value, dict) and value and all(isinstance(v, Tensor) for v in value.values()):
            return list(value.values())
        return None

    # ---------------------------------------------------------------- Keras calls

    def call_ref(self, ref: Ref, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        path = _normalize_path(ref.path)
        last = path.rsplit(".", 1)[-1]
        root = path.split(".", 1)[0]
        if root in ("np", "numpy", "math"):
            return _numeric(last, args, kwargs)
        if root == "tf" and not _is_keras_path(path):
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "a TensorFlow op")
            return Unknown(f"the result of {path}() (TensorFlow is not run)")
        if not _is_keras_path(path):
            if last in ("to_categorical",):
                return Unknown("one-hot labels")
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "a function outside Keras")
            return Unknown(f"the result of {path}() (not run)")
        segments = path.split(".")
        if "applications" in segments and last in APPLICATIONS:
            return self.application(last, args, kwargs, node)
        if "applications" in segments and last[:1].isupper() and last not in KNOWN_LAYERS:
            self.note(node, f"application {last} is not in TrainDoc's table: its layers and parameters are not known")
            return Unknown(f"application {last}")
        if "schedules" in segments:
            return KerasObject("schedule", last, _kwargs_json(self, _bind(args, kwargs, ()), node), self.line_of(node))
        if "optimizers" in segments and last not in ("get", "schedules", "legacy"):
            return self.optimizer(last, args, kwargs, node)
        if "losses" in segments:
            if last in LOSS_CLASSES or last[:1].isupper():
                return KerasObject("loss", last, _kwargs_json(self, _bind(args, kwargs, ("reduction", "name")) if last not in LOSS_CLASSES else _bind(args, kwargs, ("from_logits",)), node), self.line_of(node))
            return Unknown(f"the value of {path}() (a loss function applied to values)")
        if "callbacks" in segments:
            return KerasObject("callback", last, _kwargs_json(self, _bind(args, kwargs, _CALLBACK_ARGS.get(last, ())), node),
                               self.line_of(node))
        if "initializers" in segments:
            config = _kwargs_json(self, _bind(args, kwargs, _INITIALIZER_ARGS.get(last, ())), node)
            return KerasObject("initializer", last, config, self.line_of(node))
        if "regularizers" in segments:
            cls = REGULARIZERS.get(last, last)
            names = {"L1": ("l1",), "L2": ("l2",), "L1L2": ("l1", "l2")}.get(cls, ())
            return KerasObject("regularizer", cls, _kwargs_json(self, _bind(args, kwargs, names), node), self.line_of(node))
        if "metrics" in segments:
            return KerasObject("metric", last, _kwargs_json(self, _bind(args, kwargs, ()), node), self.line_of(node))
        if "utils" in segments or "backend" in segments:
            if last == "set_image_data_format" and args and isinstance(args[0], str):
                self.data_format = args[0]
                return None
            if last == "int_shape" and args and isinstance(args[0], Tensor):
                return args[0].shape if args[0].shape is not None else Unknown("the tensor's shape is not known")
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "a backend function")
            return Unknown(f"the result of {path}()")
        if last == "Input" or (last == "InputLayer" and ("shape" in kwargs or "batch_shape" in kwargs) and not args):
            return self.input_tensor(args, kwargs, node)
        if last == "Sequential":
            return self.sequential(args, kwargs, node)
        if last in ("Model", "Functional"):
            return self.functional(args, kwargs, node)
        if last in KNOWN_LAYERS or last == "InputLayer" or ("layers" in segments and last[:1].isupper()):
            return self.layer(last, args, kwargs, node)
        if "activations" in segments:
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "an activation function applied directly")
            return Unknown(f"the value of {path}()")
        if any(isinstance(a, Tensor) for a in args):
            return self.opaque_op(path, args, node, "an unknown Keras function")
        return Unknown(f"the result of {path}()")

    def new_layer(self, class_name: str, config: dict[str, Any], node: ast.AST, base_name: str | None = None) -> LayerObj:
        self.layer_count += 1
        if self.layer_count > MAX_LAYERS:
            raise _OutOfBudget()
        name = config.get("name") if isinstance(config.get("name"), str) else None
        if name is None:
            name = self.auto_name(base_name or keras_config.snake_case(class_name))
        else:
            self.used_names.add(name)
        config["name"] = name
        return LayerObj(class_name, config, name, self.line_of(node), self.next_seq(), self.where_built(),
                        span=_span(node), snippet=self.text_of(node))

    def layer(self, class_name: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> LayerObj:
        """A layer constructor call: its arguments become the layer's config."""
        kwargs = dict(kwargs)
        for old, new in KERAS1_RENAMES.items():
            if old in kwargs and new not in kwargs:
                kwargs[new] = kwargs.pop(old)
        if class_name in ("Convolution2D", "Conv2D") and len(args) >= 3 and all(_known_int(a) for a in args[:3]):
            args = [args[0], (args[1], args[2])] + list(args[3:])  # Keras 1: Convolution2D(32, 3, 3)
        names = LAYER_ARGS.get(class_name, ())
        bound = _bind(args, kwargs, names)
        extra = args[len(names):]
        config: dict[str, Any] = {}
        unknown_args: list[str] = []
        for key, value in bound.items():
            if key == "input_dim" and _known_int(value) and "input_shape" not in bound:
                config["input_shape"] = [value]
                continue
            converted = self.to_config(value, key, node, class_name)
            if isinstance(converted, Unknown):
                unknown_args.append(key)
                continue
            config[key] = converted
        if extra:
            self.note(node, f"{len(extra)} positional argument(s) of {class_name} not mapped to a setting")
        for key, default in _LAYER_DEFAULTS.get(class_name, {}).items():
            config.setdefault(key, default)
        if class_name in _ACTIVATION_DEFAULT_LINEAR and config.get("activation") is None \
                and "activation" not in unknown_args:
            config["activation"] = "linear"  # Keras records activation=None as "linear"
        if class_name in _HAS_DATA_FORMAT and self.data_format and "data_format" not in config:
            config["data_format"] = self.data_format
        if class_name == "Activation" and "activation" not in config and "activation" not in unknown_args:
            config["activation"] = "linear"
        layer = self.new_layer(class_name, config, node)
        for key in unknown_args:
            self.note(node, f"{class_name} argument {key!r} is not known: {_why(bound[key])}")
            layer.notes.append(f"{key} not resolved from the code")
        if class_name == "Lambda":
            function = bound.get("function")
            text = None
            if isinstance(function, UserFunction):
                text = self.text_of(function.node) if function.name == "<lambda>" else function.name
            elif function is not None:
                text = _describe(function)
            layer.lambda_text = text
            layer.config["function"] = {"class_name": "function", "config": text or "unknown"}
            declared = bound.get("output_shape")
            if not isinstance(layer.config.get("output_shape"), list):
                layer.config.pop("output_shape", None)
            if isinstance(declared, UserFunction) and _is_identity(declared.node):
                layer.config["__same_shape__"] = True  # output_shape=lambda s: s
        if class_name not in KNOWN_LAYERS and class_name != "InputLayer":
            layer.notes.append(f"layer class {class_name} is not known to TrainDoc")
        return layer

    def to_config(self, value: Any, key: str, node: ast.AST, owner: str = "") -> Any:
        """A Python value as the JSON a Keras config would hold; Unknown when not possible."""
        if isinstance(value, Unknown):
            return value
        if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
            return value
        if isinstance(value, float):
            return value
        if isinstance(value, (list, tuple)):
            items = [self.to_config(v, key, node, owner) for v in value]
            if any(isinstance(v, Unknown) for v in items):
                return next(v for v in items if isinstance(v, Unknown))
            return items
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                converted = self.to_config(v, key, node, owner)
                if isinstance(converted, Unknown):
                    return converted
                out[str(k)] = converted
            return out
        if isinstance(value, KerasObject):
            return {"class_name": value.class_name, "config": dict(value.config)}
        if isinstance(value, Ref):
            return value.last  # keras.activations.relu, tf.nn.relu, "he_normal" objects by name
        if isinstance(value, LayerObj):
            if key == "layer":  # Bidirectional / TimeDistributed
                return {"class_name": value.class_name, "config": dict(value.config)}
            if key == "activation":
                return {"class_name": value.class_name, "config": dict(value.config)}
            return Unknown(f"a layer given as {key}")
        if isinstance(value, UserFunction):
            if key in ("function", "output_shape"):
                return self.text_of(value.node) if value.name == "<lambda>" else value.name
            return value.name  # a custom activation/initializer function: by its name
        if isinstance(value, Tensor):
            return Unknown(f"a tensor given as {key}")
        return Unknown(f"{key} given as a {type(value).__name__}")

    def call_layer(self, layer: LayerObj, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        value = args[0] if args else kwargs.get("inputs")
        inputs = self.tensor_list(value)
        if inputs is None:
            why = _why(value) if isinstance(value, Unknown) else "its input is not a Keras tensor"
            self.note(node, f"{layer.class_name} {layer.name!r} is called on an input that is not known ({why}); "
                            "the layers before it are not connected")
            inputs = []
        outputs = self.connect(layer, inputs, node, None)
        return outputs[0] if len(outputs) == 1 else outputs

    def connect(self, layer: LayerObj, inputs: list[Tensor], node: ast.AST, shape: tuple | None) -> list[Tensor]:
        """Record a call of ``layer`` on ``inputs`` and return its output tensor(s)."""
        index = len(layer.nodes)
        layer.nodes.append(list(inputs))
        layer.node_seq.append(self.next_seq())
        if shape is None and layer.class_name != "TFOpLambda":
            shape = self.infer_output(layer, inputs)
        tensor = Tensor(layer, index, 0, shape)
        layer.outputs.append([tensor])
        return [tensor]

    def infer_output(self, layer: LayerObj, inputs: list[Tensor]) -> tuple | None:
        if layer.custom:
            return None
        if layer.config.get("__same_shape__") and len(inputs) == 1:
            shape = inputs[0].shape
            if shape is not None and "output_shape" not in layer.config:
                layer.config["output_shape"] = list(shape[1:])
            return shape
        in_shapes = [t.shape for t in inputs] or [None]
        try:
            result = shapes.infer_layer(layer.class_name, _json_safe(layer.config), list(in_shapes))
        except RecursionError:
            return None
        return result.output_shape

    def input_tensor(self, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        bound = _bind(args, kwargs, ("shape", "batch_size", "name", "dtype", "sparse", "batch_shape", "tensor"))
        shape: tuple | None = None
        given = bound.get("shape", bound.get("input_shape"))
        batch_shape = bound.get("batch_shape", bound.get("batch_input_shape"))
        if isinstance(batch_shape, (list, tuple)) and all(v is None or _known_int(v) for v in batch_shape):
            shape = tuple(batch_shape)
        elif isinstance(given, (list, tuple)) and all(v is None or _known_int(v) for v in given):
            shape = (None,) + tuple(given)
        elif _known_int(given):
            shape = (None, given)
        elif given is not None or batch_shape is not None:
            self.note(node, f"the input shape is not known ({_why(given, batch_shape)})")
        name = bound.get("name") if isinstance(bound.get("name"), str) else None
        config: dict[str, Any] = {"batch_shape": list(shape) if shape is not None else None}
        if name:
            config["name"] = name
        layer = self.new_layer("InputLayer", config, node, "input_layer")
        layer.nodes.append([])
        layer.node_seq.append(self.next_seq())
        tensor = Tensor(layer, 0, 0, shape)
        layer.outputs.append([tensor])
        return tensor

    def sequential(self, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> ModelObj:
        bound = _bind(args, kwargs, ("layers", "name"))
        name = bound.get("name") if isinstance(bound.get("name"), str) else self.auto_name("sequential")
        model = ModelObj("sequential", name, self.line_of(node), self.next_seq(), call_path=self.where_built())
        items = bound.get("layers")
        if isinstance(items, (list, tuple)):
            for item in items:
                self.add_to_sequential(model, item, node)
        elif items is not None:
            self.note(node, f"the layer list of Sequential is not known ({_why(items)})")
        self.models.append(model)
        return model

    def add_to_sequential(self, model: ModelObj, item: Any, node: ast.AST) -> None:
        if isinstance(item, LayerObj) and item.class_name == "InputLayer" and not item.nodes:
            shape = _declared_input_shape(item.config)
            tensor = Tensor(item, 0, 0, shape)
            item.nodes.append([])
            item.node_seq.append(self.next_seq())
            item.outputs.append([tensor])
            model.layers.append(tensor)
        elif isinstance(item, (LayerObj, Tensor)):
            model.layers.append(item)
        elif isinstance(item, ModelObj):
            item.used_as_part = True
            model.layers.append(item)
        else:
            self.note(node, f"a layer added to {model.name!r} is not known ({_why(item)})")
            model.notes.append("a layer of this model could not be read")

    def functional(self, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        kwargs = dict(kwargs)
        for old, new in (("input", "inputs"), ("output", "outputs")):
            if old in kwargs and new not in kwargs:
                kwargs[new] = kwargs.pop(old)
        bound = _bind(args, kwargs, ("inputs", "outputs", "name"))
        name = bound.get("name") if isinstance(bound.get("name"), str) else self.auto_name("functional")
        inputs = self.tensor_list(bound.get("inputs"))
        outputs_value = bound.get("outputs")
        outputs = self.tensor_list(outputs_value)
        if inputs is None or outputs is None:
            self.note(node, "the inputs or outputs of this Model are not known "
                            f"({_why(bound.get('inputs'), outputs_value)})")
            if outputs is None:
                return Unknown("a model whose outputs are not known")
            inputs = inputs or []
        model = ModelObj("functional", name, self.line_of(node), self.next_seq(), inputs=inputs,
                         outputs=outputs, call_path=self.where_built())
        if isinstance(outputs_value, dict):
            model.output_names = [str(k) for k in outputs_value]
        self.models.append(model)
        return model

    def call_model(self, model: ModelObj, inputs: list[Tensor], node: ast.AST, mark: bool = True) -> list[Tensor]:
        """A model used as a layer: one node with the model's output tensors."""
        if mark:
            model.used_as_part = True
        index = len(model.nodes)
        model.nodes.append(list(inputs))
        model.node_seq.append(self.next_seq())
        out_shapes = self.model_output_shapes(model, [t.shape for t in inputs])
        count = max(1, len(model.outputs) if model.kind == "functional" else 1)
        tensors = [Tensor(model, index, i, out_shapes[i] if out_shapes and i < len(out_shapes) else None)
                   for i in range(count)]
        model.node_outputs.append(tensors)
        return tensors

    def model_output_shapes(self, model: ModelObj, given: list[tuple | None]) -> list[tuple | None] | None:
        if model.kind == "application" and model.app is not None:
            return [model.app.get("output_shape")]
        try:
            entry = _ConfigBuilder(self).model_entry(model)
            outputs, _ = shapes.infer_model(entry, given)
        except (RecursionError, _OutOfBudget):
            return None
        return list(outputs) if outputs else None

    def graph_producers(self, inputs: list[Tensor], outputs: list[Tensor]) -> list[Any]:
        """Layers (and nested models) between a functional model's inputs and outputs, in the
        order Keras lists them: by depth from the outputs (deepest first), ties in the order
        a depth-first walk from the outputs first meets them."""
        input_ids = {id(t) for t in inputs}
        op_index: dict[int, int] = {}
        producers: dict[int, Any] = {}
        parents: dict[tuple[int, int], list[tuple[int, int]]] = {}
        consumers: dict[tuple[int, int], int] = {}
        stack = list(reversed(outputs))
        seen_nodes: set[tuple[int, int]] = set()
        steps = 0
        while stack and steps < 400_000:
            steps += 1
            tensor = stack.pop()
            producer = tensor.producer
            key = (id(producer), tensor.node)
            producers[id(producer)] = producer
            op_index.setdefault(id(producer), len(op_index))
            if key in seen_nodes:
                continue
            seen_nodes.add(key)
            consumers.setdefault(key, 0)
            inbound = [] if id(tensor) in input_ids or tensor.node >= len(producer.nodes) else producer.nodes[tensor.node]
            parents[key] = [(id(t.producer), t.node) for t in inbound]
            for parent in parents[key]:
                consumers[parent] = consumers.get(parent, 0) + 1
            stack.extend(reversed(inbound))
        for tensor in inputs:
            producers.setdefault(id(tensor.producer), tensor.producer)
            op_index.setdefault(id(tensor.producer), len(op_index))
        # Kahn's order from the outputs; node depth = longest path to an output
        depth: dict[tuple[int, int], int] = {key: 0 for key in parents}
        remaining = dict(consumers)
        ready = [key for key in parents if remaining.get(key, 0) == 0]
        op_depth: dict[int, int] = {}
        while ready:
            key = ready.pop()
            node_depth = max(depth.get(key, 0), op_depth.get(key[0], 0))
            op_depth[key[0]] = node_depth
            for parent in parents.get(key, []):
                depth[parent] = max(depth.get(parent, 0), node_depth + 1)
                remaining[parent] = remaining.get(parent, 1) - 1
                if remaining[parent] == 0:
                    ready.append(parent)
        for key, value in depth.items():
            op_depth[key[0]] = max(op_depth.get(key[0], 0), value)
        ordered = sorted(producers, key=lambda pid: (-op_depth.get(pid, 0), op_index.get(pid, 0)))
        return [producers[pid] for pid in ordered]

    # ---------------------------------------------------------------- applications

    def application(self, name: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        bound = _bind(args, kwargs, ("include_top", "weights", "input_tensor", "input_shape", "pooling", "classes"))
        include_top = bound.get("include_top", True)
        weights = bound.get("weights", "imagenet")
        pooling = bound.get("pooling")
        classes = bound.get("classes", 1000)
        input_shape = bound.get("input_shape")
        input_tensor = bound.get("input_tensor")
        notop_total, notop_trainable, top_total, top_trainable, channels, default_side, rule = APPLICATIONS[name]
        if isinstance(include_top, Unknown):
            self.note(node, f"include_top of {name} is not known")
            return Unknown(f"application {name} with unknown include_top")
        if isinstance(input_tensor, Tensor):
            shape = input_tensor.shape
        elif isinstance(input_shape, (list, tuple)) and all(v is None or _known_int(v) for v in input_shape):
            shape = (None,) + tuple(input_shape)
        elif include_top or input_shape is None:
            shape = (None, default_side, default_side, 3)
        else:
            shape = None
            self.note(node, f"the input shape of {name} is not known ({_why(input_shape)})")
        app = {"name": name, "include_top": bool(include_top), "weights": weights if isinstance(weights, (str, type(None))) else "unknown",
               "pooling": pooling if isinstance(pooling, (str, type(None))) else None, "input_shape": shape,
               "classes": classes}
        model = ModelObj("application", name.lower(), self.line_of(node), self.next_seq(), app=app,
                         call_path=self.where_built())
        if include_top and classes != 1000:
            self.note(node, f"{name} with include_top=True and classes={classes!r}: its parameter count is known only for 1000 classes")
            app["params"] = None
        else:
            app["params"] = (top_total, top_trainable) if include_top else (notop_total, notop_trainable)
        app["output_shape"] = _app_output_shape(app, channels, rule)
        if name in ("VGG16", "VGG19") and not include_top and shape is not None:
            self.build_vgg(model, name, shape, node, input_tensor if isinstance(input_tensor, Tensor) else None)
        if weights not in (None, "imagenet") and isinstance(weights, str):
            model.notes.append(f"weights loaded from {weights!r} (not read)")
        self.models.append(model)
        return model

    def build_vgg(self, model: ModelObj, name: str, shape: tuple, node: ast.AST, given_input: Tensor | None) -> None:
        """VGG16/VGG19 without the top, layer by layer (so a flattened use of it, as in
        ``Model(base.input, head(base.output))``, lists the same layers Keras does)."""
        convs = (2, 2, 3, 3, 3) if name == "VGG16" else (2, 2, 4, 4, 4)
        filters = (64, 128, 256, 512, 512)
        if given_input is not None:
            tensor = given_input
        else:
            layer = self.new_layer("InputLayer", {"batch_shape": list(shape), "name": self.auto_name("input_layer")}, node)
            layer.nodes.append([])
            layer.node_seq.append(self.next_seq())
            tensor = Tensor(layer, 0, 0, shape)
            layer.outputs.append([tensor])
        inputs = [tensor]
        created: list[LayerObj] = []
        for block, (count, width) in enumerate(zip(convs, filters), start=1):
            for index in range(1, count + 1):
                conv = self.new_layer("Conv2D", {"name": f"block{block}_conv{index}", "filters": width,
                                                 "kernel_size": [3, 3], "padding": "same", "activation": "relu",
                                                 "strides": [1, 1], "kernel_initializer": "glorot_uniform"}, node)
                created.append(conv)
                tensor = self.connect(conv, [tensor], node, None)[0]
            pool = self.new_layer("MaxPooling2D", {"name": f"block{block}_pool", "pool_size": [2, 2],
                                                   "strides": [2, 2], "padding": "valid"}, node)
            created.append(pool)
            tensor = self.connect(pool, [tensor], node, None)[0]
        pooling = model.app.get("pooling") if model.app else None
        if pooling in ("avg", "max"):
            cls = "GlobalAveragePooling2D" if pooling == "avg" else "GlobalMaxPooling2D"
            pool = self.new_layer(cls, {}, node)
            created.append(pool)
            tensor = self.connect(pool, [tensor], node, None)[0]
        for layer in created:
            layer.call_path = f"part of keras.applications.{name} (line {self.line_of(node)})"
        model.kind = "application"
        model.inputs = inputs
        model.outputs = [tensor]
        model.layers = [inputs[0].producer] + created

    # ---------------------------------------------------------------- optimizers

    def optimizer(self, class_name: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        kwargs = dict(kwargs)
        if "lr" in kwargs and "learning_rate" not in kwargs:
            kwargs["learning_rate"] = kwargs.pop("lr")  # Keras 2 spelling
        names = OPTIMIZER_ARGS.get(keras_config.canonical_optimizer(class_name), ("learning_rate",))
        bound = _bind(args, kwargs, names)
        config: dict[str, Any] = {}
        defaults = keras_config.optimizer_spec(class_name.lower())
        if defaults is not None:
            config.update(defaults.settings())
        for key, value in bound.items():
            converted = self.to_config(value, key, node, class_name)
            if isinstance(converted, Unknown):
                self.note(node, f"{class_name} argument {key!r} is not known: {_why(value)}")
                config.pop(key, None)
                continue
            config[key] = converted
        return KerasObject("optimizer", keras_config.canonical_optimizer(class_name), config, self.line_of(node),
                           span=_span(node))

    # ---------------------------------------------------------------- model methods

    def model_method(self, model: ModelObj, method: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        if method == "add":
            item = args[0] if args else kwargs.get("layer")
            if model.kind != "sequential":
                self.note(node, "add() on a model that is not Sequential")
                return None
            self.add_to_sequential(model, item, node)
            return None
        if method == "pop":
            if model.kind == "sequential" and model.layers:
                model.layers.pop()
            return None
        if method == "compile":
            self.compile(model, args, kwargs, node)
            return None
        if method in FIT_METHODS:
            self.fit(model, method, args, kwargs, node)
            return Unknown("the History of fit()")
        if method == "get_layer":
            name = args[0] if args else kwargs.get("name")
            for layer in self.model_layers(model):
                if getattr(layer, "name", None) == name:
                    return layer
            return Unknown(f"layer {name!r} of {model.name}")
        if method == "build":
            return None
        return Unknown(f"the result of {method}()")

    def compile(self, model: ModelObj, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> None:
        kwargs = dict(kwargs)
        if "loss_function" in kwargs and "loss" not in kwargs:
            self.note(node, "compile() has no argument 'loss_function' (Keras raises TypeError); read as loss=")
            kwargs["loss"] = kwargs.pop("loss_function")
        positional = list(args)
        bound: dict[str, Any] = {}
        if positional and isinstance(positional[0], ModelObj):
            self.note(node, "compile() was given the model itself as its first argument; it is skipped")
            positional = positional[1:]
        bound.update(_bind(positional, kwargs, COMPILE_ARGS))
        settings: dict[str, Any] = {}
        optimizer = bound.get("optimizer")
        if optimizer is not None:
            settings["optimizer"] = self.optimizer_config(optimizer, node)
        loss = bound.get("loss")
        if loss is not None:
            settings["loss"] = self.loss_config(loss, node)
        metrics = bound.get("metrics")
        if metrics is not None:
            settings["metrics"] = self.metric_config(metrics, node)
        weights = bound.get("loss_weights")
        if weights is not None:
            converted = self.to_config(weights, "loss_weights", node)
            if not isinstance(converted, Unknown):
                settings["loss_weights"] = converted
        settings = {k: v for k, v in settings.items() if v is not None}
        if model.compile is not None:
            self.note(node, f"{model.name!r} is compiled again: the last compile() is used")
        model.compile = settings
        model.compile_line = self.line_of(node)
        model.compile_span, model.compile_snippet = _span(node), self.text_of(node)
        model.optimizer_span = optimizer.span if isinstance(optimizer, KerasObject) else None
        self.compiles.append((model, self.line_of(node)))

    def optimizer_config(self, value: Any, node: ast.AST) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, KerasObject) and value.kind == "optimizer":
            config = {}
            for key, item in value.config.items():
                if isinstance(item, KerasObject):
                    config[key] = {"class_name": item.class_name, "config": item.config}
                else:
                    config[key] = item
            return {"class_name": value.class_name, "config": config}
        if isinstance(value, Ref) and "optimizers" in value.path:
            return value.last.lower()
        self.note(node, f"the optimizer is not known ({_why(value) if isinstance(value, Unknown) else type(value).__name__})")
        return None

    def loss_config(self, value: Any, node: ast.AST) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, Ref):
            return value.last
        if isinstance(value, KerasObject) and value.kind == "loss":
            return {"class_name": value.class_name, "config": dict(value.config)}
        if isinstance(value, UserFunction):
            self.note(node, f"custom loss function {value.name}() defined in the code: read by its name only")
            return value.name
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                converted = self.loss_config(item, node)
                if converted is not None:
                    out[str(key)] = converted
            return out or None
        if isinstance(value, (list, tuple)):
            items = [self.loss_config(item, node) for item in value]
            return [item for item in items if item is not None] or None
        self.note(node, f"the loss is not known ({_why(value) if isinstance(value, Unknown) else type(value).__name__})")
        return None

    def metric_config(self, value: Any, node: ast.AST) -> Any:
        if isinstance(value, (str, Ref, KerasObject, UserFunction)):
            value = [value]
        if isinstance(value, dict):
            return {str(k): self.metric_config(v, node) for k, v in value.items()}
        if not isinstance(value, (list, tuple)):
            return None
        out = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Ref):
                out.append(item.last)
            elif isinstance(item, KerasObject):
                out.append({"class_name": item.class_name, "config": {"name": item.config.get("name", keras_config.snake_case(item.class_name))}})
            elif isinstance(item, UserFunction):
                out.append(item.name)
            elif isinstance(item, (list, tuple, dict)):
                nested = self.metric_config(item, node)
                if nested is not None:
                    out.append(nested)
        return out

    def fit(self, model: ModelObj, method: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> None:
        names = FIT_GENERATOR_ARGS if method == "fit_generator" else FIT_ARGS
        bound = _bind(args, kwargs, names)
        if model.fit is not None:
            self.note(node, f"{model.name!r} is fit again: the first {method}() call's settings are used")
            return
        model.fit = bound
        model.fit_line = self.line_of(node)
        model.fit_span, model.fit_snippet = _span(node), self.text_of(node)
        model.fit_method = method
        self.fits.append((model, bound, self.line_of(node), method))


# ---------------------------------------------------------------- small helpers of the interpreter

_CALLBACK_ARGS = {"EarlyStopping": ("monitor", "min_delta", "patience", "verbose", "mode"),
                  "ModelCheckpoint": ("filepath", "monitor", "verbose", "save_best_only"),
                  "ReduceLROnPlateau": ("monitor", "factor", "patience", "verbose"),
                  "CSVLogger": ("filename", "separator", "append"), "TensorBoard": ("log_dir",),
                  "LearningRateScheduler": ("schedule", "verbose")}


def _span(node: ast.AST | None) -> Span | None:
    """The position of a call in the parsed text (None for anything else)."""
    if not isinstance(node, ast.Call) or getattr(node, "end_lineno", None) is None:
        return None
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def _bind(args: list[Any], kwargs: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Positional arguments by parameter name, then the keywords."""
    out: dict[str, Any] = {}
    for name, value in zip(names, args):
        out[name] = value
    for key, value in kwargs.items():
        out.setdefault(key, value)
    return out


def _kwargs_json(interpreter: _Interpreter, bound: dict[str, Any], node: ast.AST) -> dict[str, Any]:
    out = {}
    for key, value in bound.items():
        converted = interpreter.to_config(value, key, node)
        if not isinstance(converted, Unknown):
            out[key] = converted
    return out


def _kw_node(node: ast.AST, key: str) -> ast.AST | None:
    for keyword in getattr(node, "keywords", []):
        if keyword.arg == key:
            return keyword.value
    return None


def _is_identity(node: ast.AST) -> bool:
    """``lambda shape: shape`` (a Lambda's output_shape that keeps the input's shape)."""
    return (isinstance(node, ast.Lambda) and len(node.args.args) == 1 and isinstance(node.body, ast.Name)
            and node.body.id == node.args.args[0].arg)


def _describe(value: Any) -> str:
    if isinstance(value, Ref):
        return value.path
    if isinstance(value, Unknown):
        return f"unknown ({value.why})"
    return type(value).__name__



def _same_constant(a: Any, b: Any) -> bool:
    return isinstance(a, _CONSTANT_TYPES) and isinstance(b, _CONSTANT_TYPES) and type(a) is type(b) and a == b


def _plain(value: Any) -> bool:
    """A constant, or a list/tuple/dict made only of constants."""
    if isinstance(value, _CONSTANT_TYPES):
        return True
    if isinstance(value, (list, tuple)):
        return len(value) <= MAX_SEQUENCE and all(_plain(v) for v in value)
    if isinstance(value, dict):
        return len(value) <= MAX_SEQUENCE and all(_plain(k) and _plain(v) for k, v in value.items())
    return False


def _is_255(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 255


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool | None:
    if isinstance(op, ast.Eq):
        return left == right
    if isinstance(op, ast.NotEq):
        return left != right
    if isinstance(op, ast.Lt):
        return left < right
    if isinstance(op, ast.LtE):
        return left <= right
    if isinstance(op, ast.Gt):
        return left > right
    if isinstance(op, ast.GtE):
        return left >= right
    if isinstance(op, ast.In):
        return left in right if isinstance(right, (list, tuple, str, dict, set)) else None
    if isinstance(op, ast.NotIn):
        return left not in right if isinstance(right, (list, tuple, str, dict, set)) else None
    if isinstance(op, ast.Is):
        return left is right
    if isinstance(op, ast.IsNot):
        return left is not right
    return None


def _arith(op: ast.operator, left: int | float, right: int | float) -> Any:
    """Arithmetic on two numbers, refusing results that would be huge or slow."""
    both_int = isinstance(left, int) and isinstance(right, int)
    if isinstance(op, ast.Pow):
        if both_int and (abs(right) > 64 or abs(left) > 2 ** 32):
            return Unknown("a power too large to compute")
        if isinstance(left, float) or isinstance(right, float):
            try:
                return float(left) ** float(right)
            except (OverflowError, ZeroDivisionError, ValueError):
                return Unknown("a power out of range")
        result = left ** right
    elif isinstance(op, ast.LShift):
        if not both_int or right > 64 or right < 0:
            return Unknown("a shift out of range")
        result = left << right
    elif isinstance(op, ast.Add):
        result = left + right
    elif isinstance(op, ast.Sub):
        result = left - right
    elif isinstance(op, ast.Mult):
        result = left * right
    elif isinstance(op, ast.Div):
        if right == 0:
            return Unknown("a division by zero")
        result = left / right
    elif isinstance(op, ast.FloorDiv):
        if right == 0:
            return Unknown("a division by zero")
        result = left // right
    elif isinstance(op, ast.Mod):
        if right == 0:
            return Unknown("a division by zero")
        result = left % right
    elif isinstance(op, ast.RShift) and both_int:
        result = left >> max(0, min(right, 4096))
    elif isinstance(op, ast.BitAnd) and both_int:
        result = left & right
    elif isinstance(op, ast.BitOr) and both_int:
        result = left | right
    elif isinstance(op, ast.BitXor) and both_int:
        result = left ^ right
    else:
        return Unknown(f"{type(op).__name__} is not evaluated")
    if isinstance(result, int) and not isinstance(result, bool) and result.bit_length() > MAX_INT_BITS:
        return Unknown("an integer too large")
    return result


def _numeric(name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """The few numpy/math functions that matter for shapes: on constants only."""
    values = args[0] if args else None
    if name in ("prod", "product"):
        if isinstance(values, (list, tuple)) and values and all(_known_int(v) or isinstance(v, float) for v in values):
            result = 1
            for v in values:
                result = result * v
                if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
                    return Unknown("a product too large")
            return result
        return Unknown("a product of values that are not known")
    if all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args) and args:
        try:
            if name in ("sqrt", "ceil", "floor", "log", "log2", "log10", "exp", "fabs") and len(args) == 1:
                if name == "exp" and args[0] > 700:
                    return Unknown("exp out of range")
                return getattr(math, name)(args[0])
            if name in ("power", "pow") and len(args) == 2:
                return _arith(ast.Pow(), args[0], args[1])
            if name in ("maximum", "max") and len(args) >= 1:
                return max(args)
            if name in ("minimum", "min") and len(args) >= 1:
                return min(args)
            if name in ("float32", "float64", "float"):
                return float(args[0])
            if name in ("int32", "int64", "int"):
                return int(args[0])
        except (ValueError, OverflowError, ArithmeticError):
            return Unknown(f"{name} out of range")
    if name in ("pi",):
        return math.pi
    return Unknown(f"the result of {name}() (numeric code is not run)")


class _Builtin:
    """A Python builtin the reader evaluates itself, on constants only (never the real one)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def call(self, interpreter: _Interpreter, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        name = self.name
        if name == "print":
            return None
        if any(isinstance(a, Unknown) for a in args):
            return Unknown(_why(*args))
        try:
            if name == "range":
                if not args or not all(_known_int(a) for a in args) or len(args) > 3:
                    return Unknown("a range of values that are not known")
                result = range(*args)
                return result if len(result) <= MAX_SEQUENCE else Unknown("a long range")
            if name == "len":
                if args and isinstance(args[0], (list, tuple, str, dict, range)):
                    return len(args[0])
                return Unknown("the length of a value that is not known")
            if name in ("int", "float", "bool", "str", "abs", "round"):
                if args and _plain(args[0]) and (name != "str" or isinstance(args[0], (int, float, str, bool))):
                    if name == "str":
                        text = str(args[0])
                        return text if len(text) <= MAX_SEQUENCE else Unknown("a long string")
                    if name == "int" and isinstance(args[0], str) and len(args[0]) > 100:
                        return Unknown("a long number")
                    return {"int": int, "float": float, "bool": bool, "abs": abs, "round": round}[name](*args)
                if not args and name in ("int", "float", "bool", "str"):
                    return {"int": 0, "float": 0.0, "bool": False, "str": ""}[name]
                return Unknown(f"{name}() of a value that is not a constant")
            if name in ("list", "tuple", "set", "sorted", "reversed"):
                if not args:
                    return [] if name in ("list", "sorted") else () if name == "tuple" else set()
                items = interpreter.iterate(args[0], node)
                if items is None:
                    return Unknown(f"{name}() of values that are not known")
                if name == "tuple":
                    return tuple(items)
                if name == "sorted":
                    return sorted(items) if all(_plain(i) for i in items) else Unknown("sorted() of non-constants")
                if name == "reversed":
                    return list(reversed(items))
                if name == "set":
                    return set(items) if all(isinstance(i, _CONSTANT_TYPES) for i in items) else Unknown("a set")
                return list(items)
            if name == "dict":
                out: dict[Any, Any] = {}
                if args and isinstance(args[0], dict):
                    out.update(args[0])
                out.update(kwargs)
                return out
            if name in ("min", "max", "sum"):
                items = args if len(args) > 1 else interpreter.iterate(args[0], node) if args else None
                if items is None or not items or not all(isinstance(i, (int, float)) for i in items):
                    return Unknown(f"{name}() of values that are not known")
                return {"min": min, "max": max, "sum": sum}[name](items)
            if name == "enumerate":
                items = interpreter.iterate(args[0], node) if args else None
                start = kwargs.get("start", args[1] if len(args) > 1 else 0)
                if items is None or not _known_int(start):
                    return Unknown("enumerate() of values that are not known")
                return [(start + i, item) for i, item in enumerate(items)]
            if name == "zip":
                lists = [interpreter.iterate(a, node) for a in args]
                if any(items is None for items in lists):
                    return Unknown("zip() of values that are not known")
                return [tuple(group) for group in zip(*lists)]  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            return Unknown(f"{name}() of these values")
        return Unknown(f"the result of {name}() (not run)")


_PYTHON_BUILTINS = set(dir(builtins)) | {  # names only: none of them is ever called
    "open", "exec", "eval", "compile", "getattr", "setattr", "hasattr", "isinstance", "type", "input",
    "__import__", "globals", "locals", "vars", "iter", "next", "super", "map", "filter", "any", "all"}
_BUILTINS = {"print", "range", "len", "int", "float", "bool", "str", "abs", "round", "list", "tuple",
             "set", "sorted", "reversed", "dict", "min", "max", "sum", "enumerate", "zip"}


class _BoundMethod:
    """A method of a list/dict/str value or of a model, applied by the reader itself."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name

    def call(self, interpreter: _Interpreter, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        owner, name = self.owner, self.name
        if isinstance(owner, ModelObj):
            return interpreter.model_method(owner, name, args, kwargs, node)
        if isinstance(owner, list):
            if name == "append" and args:
                if len(owner) < MAX_SEQUENCE:
                    owner.append(args[0])
                return None
            if name == "extend" and args:
                items = interpreter.iterate(args[0], node)
                if items is not None and len(owner) + len(items) <= MAX_SEQUENCE:
                    owner.extend(items)
                return None
            if name == "insert" and len(args) == 2 and _known_int(args[0]):
                owner.insert(args[0], args[1])
                return None
            if name == "pop":
                if owner and (not args or _known_int(args[0])):
                    try:
                        return owner.pop(*args)
                    except IndexError:
                        return Unknown("pop() from a short list")
                return Unknown("pop()")
            if name == "copy":
                return list(owner)
        if isinstance(owner, dict):
            if name == "get" and args:
                key = args[0]
                if isinstance(key, _CONSTANT_TYPES):
                    return owner.get(key, args[1] if len(args) > 1 else None)
            if name == "items":
                return list(owner.items())
            if name == "keys":
                return list(owner.keys())
            if name == "values":
                return list(owner.values())
            if name == "update" and args and isinstance(args[0], dict):
                owner.update(args[0])
                return None
            if name == "copy":
                return dict(owner)
        if isinstance(owner, str) and all(isinstance(a, str) for a in args):
            if name in ("upper", "lower", "strip") and not args:
                return getattr(owner, name)()
            if name in ("startswith", "endswith") and len(args) == 1:
                return getattr(owner, name)(args[0])
        return Unknown(f"the result of .{name}()")


def _app_output_shape(app: dict[str, Any], channels: int, rule: str) -> tuple | None:
    if app["include_top"]:
        return (None, app["classes"]) if _known_int(app["classes"]) else None
    if app.get("pooling") in ("avg", "max"):
        return (None, channels)
    shape = app.get("input_shape")
    if shape is None or len(shape) != 4:
        return None
    sides = []
    for side in shape[1:3]:
        if side is None:
            sides.append(None)
        elif rule == "floor":
            sides.append(side // 32)
        elif rule == "ceil":
            sides.append(-(-side // 32))
        elif rule == "inception":
            sides.append((side - 75) // 32 + 1 if side >= 75 else None)
        else:
            sides.append(None)
    return (None, sides[0], sides[1], channels)
