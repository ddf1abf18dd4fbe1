"""The abstract values the code reader binds names to (never real objects), its scopes and its control flow."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.io import shapes


class Unresolved(NamedTuple):
    """A value the code did not let the reader resolve: where, what, why."""

    line: int | None
    text: str
    why: str


Span = tuple[int, int, int, int]  # (lineno, col_offset, end_lineno, end_col_offset) of an ast node


# ======================================================================================
# Abstract values
# ======================================================================================


class Unknown:
    """A value the reader could not work out (never a guess)."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"Unknown({self.why!r})"


class Ref:
    """A name from an import: a module, class or function, by its dotted path. Never imported."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    @property
    def last(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    def __repr__(self) -> str:
        return f"Ref({self.path})"


@dataclass(eq=False)
class KerasObject:
    """An optimizer, loss, callback, initializer, regularizer or schedule built in the code."""

    kind: str  # "optimizer", "loss", "callback", "initializer", "regularizer", "schedule", "metric"
    class_name: str
    config: dict[str, Any]
    line: int | None = None
    custom: bool = False
    span: "Span | None" = None


@dataclass(eq=False)
class UserFunction:
    node: ast.AST  # FunctionDef / AsyncFunctionDef / Lambda
    env: "Env"
    name: str
    defaults: list[Any] = field(default_factory=list)
    kw_defaults: dict[str, Any] = field(default_factory=dict)
    is_generator: bool = False


@dataclass(eq=False)
class UserClass:
    name: str
    bases: list[Any]
    line: int | None
    kind: str  # "layer", "model", "callback", "other"


@dataclass(eq=False)
class Tensor:
    producer: Any  # LayerObj or ModelObj
    node: int
    index: int
    shape: tuple | None


@dataclass(eq=False)
class LayerObj:
    class_name: str
    config: dict[str, Any]
    name: str
    line: int | None
    seq: int
    call_path: str = ""  # "built in mobilenetv2_block() called at line 12"
    nodes: list[list[Tensor]] = field(default_factory=list)
    node_seq: list[int] = field(default_factory=list)
    outputs: list[list[Tensor]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    custom: bool = False
    lambda_text: str | None = None
    span: "Span | None" = None  # the constructor call
    snippet: str = ""


@dataclass(eq=False)
class ModelObj:
    kind: str  # "sequential", "functional", "application"
    name: str
    line: int | None
    seq: int
    layers: list[Any] = field(default_factory=list)  # sequential: LayerObj / ModelObj / Tensor (Input)
    inputs: list[Tensor] = field(default_factory=list)
    outputs: list[Tensor] = field(default_factory=list)
    output_names: list[str] | None = None
    trainable: bool = True
    compile: dict[str, Any] | None = None
    compile_line: int | None = None
    compile_span: "Span | None" = None
    compile_snippet: str = ""
    optimizer_span: "Span | None" = None
    fit: dict[str, Any] | None = None
    fit_line: int | None = None
    fit_span: "Span | None" = None
    fit_snippet: str = ""
    fit_method: str = "fit"
    used_as_part: bool = False
    nodes: list[list[Tensor]] = field(default_factory=list)
    node_seq: list[int] = field(default_factory=list)
    node_outputs: list[list[Tensor]] = field(default_factory=list)
    app: dict[str, Any] | None = None  # applications: name, include_top, weights, input shape ...
    notes: list[str] = field(default_factory=list)
    call_path: str = ""
    own_input: Tensor | None = None
    own_outputs: list[Tensor] = field(default_factory=list)


@dataclass(eq=False)
class AppLayers:
    """``base.layers`` of an application whose layers are not listed one by one."""

    model: ModelObj
    sliced: bool = False


@dataclass(eq=False)
class AppLayerProxy:
    model: ModelObj


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _OutOfBudget(Exception):
    pass


class Env:
    """Names bound in one scope; lookups fall back to the enclosing scope."""

    def __init__(self, parent: "Env | None" = None, function: str | None = None) -> None:
        self.vars: dict[str, Any] = {}
        self.parent = parent
        self.function = function
        self.global_names: set[str] = set()

    def lookup(self, name: str) -> Any:
        env: Env | None = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            env = env.parent
        return _MISSING

    def root(self) -> "Env":
        env = self
        while env.parent is not None:
            env = env.parent
        return env

    def assign(self, name: str, value: Any) -> None:
        if name in self.global_names:
            self.root().vars[name] = value
        else:
            self.vars[name] = value


_MISSING = object()
_CONSTANT_TYPES = (int, float, str, bool, type(None), complex, bytes)


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _known_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _why(*values: Any) -> str:
    for value in values:
        if isinstance(value, Unknown):
            return value.why
    return "not resolved"

def _declared_input_shape(config: dict[str, Any]) -> tuple | None:
    shape = shapes.input_shape_from_config(_json_safe(config))
    return tuple(shape) if shape is not None else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return None
