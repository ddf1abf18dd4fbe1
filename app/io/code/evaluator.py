"""Python semantics over abstract values: statements, names, expressions, calls of the
code's own functions and of a few builtins. Nothing of the user's code is ever run.

Names resolve to references (``Ref("keras.layers.Dense")``), and the values include the
Keras objects of :mod:`app.io.code.values` (a layer's ``name`` or ``trainable`` is data read
or set here). What Keras calls build (layers, graphs, models, compile and fit settings) is the
subclass's business: :class:`app.io.code.interpreter._Interpreter` overrides :meth:`call`
and :meth:`attribute` for them.
"""

from __future__ import annotations

import ast
import builtins
import time
from typing import Any, Callable

from app.core.run import Source
from app.io.code.keras_names import (
    _BARE_CATEGORY,
    _BARE_MODULES,
    _NUMERIC_MODULES,
    APPLICATIONS,
    CALLBACKS,
    KNOWN_LAYERS,
    LOSS_CLASSES,
    MODEL_CLASSES,
    OPTIMIZER_ARGS,
    _is_keras_path,
    _normalize_path,
)
from app.io.code.limits import (
    MAX_INLINE_DEPTH,
    MAX_INT_BITS,
    MAX_LOOP,
    MAX_SEQUENCE,
    MAX_STEPS,
    MAX_UNRESOLVED,
)
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
    Tensor,
    Unknown,
    Unresolved,
    UserClass,
    UserFunction,
    _Break,
    _Continue,
    _is_unknown,
    _known_int,
    _OutOfBudget,
    _Return,
    _why,
)


class _Evaluator:
    """Walks the syntax tree binding names to abstract values (Python's rules, never its run)."""

    def __init__(self, program: _Program, path: str, deadline: float) -> None:
        self.program = program
        self.path = path
        self.deadline = deadline
        self.steps = 0
        self.seq = 0
        self.unresolved: list[Unresolved] = []
        self.assumptions: list[Unresolved] = []
        self.call_stack: list[tuple[str, int | None]] = []
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
        """A call of a value the evaluator knows (a function of the code, a builtin, a method of
        a list/dict/str); the Keras interpreter handles Keras objects first."""
        if isinstance(function, UserFunction):
            return self.call_user(function, args, kwargs, node)
        if isinstance(function, (_Builtin, _BoundMethod)):
            return function.call(self, args, kwargs, node)
        if isinstance(function, Unknown):
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


# ---------------------------------------------------------------- small helpers of the evaluator

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


class _Builtin:
    """A Python builtin the reader evaluates itself, on constants only (never the real one)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def call(self, interpreter: _Evaluator, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
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
    """A method of a list/dict/str value, applied by the reader itself."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name

    def call(self, interpreter: _Evaluator, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        owner, name = self.owner, self.name
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


