"""Data-preparation and loss hints that need a little data flow, read from the syntax tree
only (nothing is run): what the ``preprocessing_mismatch`` and ``numerically_unstable_loss``
rules look for.

- ``floor_divides_by_255``: ``x // 255`` (integer division turns every pixel into 0 or 1);
- ``unscaled_eval_input``: ``fit`` gets data that was scaled (``/ 255``, a scaler's
  ``transform``, ``preprocess_input``) while ``evaluate``/``predict`` get a different array
  that never was;
- ``unscaled_generator``: one ``ImageDataGenerator`` rescales, another one (the test
  generator) does not and has no ``preprocessing_function`` either;
- ``unguarded_log_loss``: a function of the user's, used as the loss or a metric, takes a
  ``log`` with no clipping and no epsilon;
- ``float16_floatx``: ``set_floatx("float16")``: every weight and the loss in half precision,
  without the loss scaling a mixed-precision policy brings.
"""

from __future__ import annotations

import ast

SCALING_CALLS = {"transform", "fit_transform", "preprocess_input", "normalize", "scale", "rescale",
                 "standardize"}
FIT_CALLS = {"fit", "fit_generator", "train_on_batch"}
EVAL_CALLS = {"evaluate", "evaluate_generator", "predict", "predict_classes", "predict_proba",
              "predict_generator", "test_on_batch", "predict_on_batch"}
LOG_CALLS = {"log", "log2", "log10", "log1p"}
GUARD_CALLS = {"clip", "clip_by_value", "maximum", "clamp", "clip_by_norm"}
# An epsilon constant: anything this small added to a log's argument counts as a guard.
EPSILON = 1e-3


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_255(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool) and node.value in (255, 255.0)


def _names_in(node: ast.AST) -> set[str]:
    return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [name for item in node.elts for name in _targets(item)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return []


def _scales(node: ast.AST, scaling_functions: set[str]) -> bool:
    """The expression divides by 255 or standardizes (directly or by a scaling call)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Div) and (
                _is_255(sub.right) or isinstance(sub.right, (ast.Name, ast.Attribute, ast.Call))
                and _looks_like_spread(sub.right)):
            return True
        if isinstance(sub, ast.Call) and (_name(sub.func) in SCALING_CALLS or _name(sub.func) in scaling_functions):
            return True
    return False


def _looks_like_spread(node: ast.AST) -> bool:
    text = ast.unparse(node).lower()
    return any(word in text for word in ("std", "sigma", "max", "255", "norm", "range", "scale"))


def _scaling_functions(tree: ast.AST) -> set[str]:
    """The user's own functions that scale what they return (``def prep(x): return x / 255``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Div) and _is_255(sub.right)
                for sub in ast.walk(node)):
            found.add(node.name)
    return found


def _first_arg(call: ast.Call) -> ast.AST | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg in ("x", "X"):
            return keyword.value
    return None


def _data_names(call: ast.Call) -> set[str]:
    arg = _first_arg(call)
    if arg is None:
        return set()
    return {name for name in _names_in(arg) if not name[:1].isupper() or name.startswith("X")}


def _unscaled_eval(tree: ast.AST, found: dict[str, ast.AST]) -> None:
    functions = _scaling_functions(tree)
    scaled: set[str] = set()
    assigned: set[str] = set()
    assignments: list[tuple[list[str], ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            names = [name for target in node.targets for name in _targets(target)]
            assignments.append((names, node.value))
            assigned.update(names)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            names = _targets(node.target)
            assignments.append((names, node.value))
            assigned.update(names)
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div):
            names = _targets(node.target)
            assigned.update(names)
            if _is_255(node.value) or _looks_like_spread(node.value):
                scaled.update(names)
        elif isinstance(node, (ast.For, ast.comprehension)):
            assigned.update(_targets(node.target))
    # Scaling flows through assignments: x2 = np.expand_dims(x_scaled, -1) is scaled too.
    for _ in range(3):
        for names, value in assignments:
            if _scales(value, functions) or _names_in(value) & scaled:
                scaled.update(names)
    fit_scaled = False
    evals: list[tuple[ast.Call, set[str]]] = []
    fit_names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in FIT_CALLS:
            data = _data_names(node)
            fit_names |= data
            fit_scaled = fit_scaled or bool(data & scaled) or (
                _first_arg(node) is not None and _scales(_first_arg(node), functions))
        elif name in EVAL_CALLS:
            evals.append((node, _data_names(node)))
    if not fit_scaled:
        return
    for call, data in evals:
        arg = _first_arg(call)
        if not data or data & fit_names or data & scaled or (arg is not None and _scales(arg, functions)):
            continue
        if data <= assigned:  # arrays the code itself loaded (not from code the post left out)
            found.setdefault("unscaled_eval_input", call)
            return


def _generators(tree: ast.AST, found: dict[str, ast.AST]) -> None:
    rescaling, plain = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "ImageDataGenerator":
            keywords = {k.arg for k in node.keywords}
            if keywords & {"rescale", "preprocessing_function", "featurewise_center",
                           "samplewise_center", "featurewise_std_normalization",
                           "samplewise_std_normalization"}:
                rescaling.append(node)
            elif not node.args and None not in keywords:
                plain.append(node)
    if rescaling and plain:
        found.setdefault("unscaled_generator", plain[0])


def _loss_functions(tree: ast.AST) -> set[str]:
    """Names given as ``loss=`` or in ``metrics=[...]`` of a compile call."""
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "compile":
            values = list(node.args[1:2]) + [k.value for k in node.keywords if k.arg in ("loss", "metrics")]
            for value in values:
                used |= _names_in(value) | {sub.attr for sub in ast.walk(value) if isinstance(sub, ast.Attribute)}
    return used


def _guarded(function: ast.AST) -> bool:
    for sub in ast.walk(function):
        if isinstance(sub, ast.Call) and _name(sub.func) in GUARD_CALLS:
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, float) and 0 < sub.value <= EPSILON:
            return True
        if isinstance(sub, (ast.Name, ast.Attribute)) and "eps" in (_name(sub) or "").lower():
            return True
    return False


def _unguarded_logs(tree: ast.AST, found: dict[str, ast.AST]) -> None:
    used = _loss_functions(tree)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name not in used:
            continue
        logs = [sub for sub in ast.walk(node) if isinstance(sub, ast.Call) and _name(sub.func) in LOG_CALLS]
        if logs and not _guarded(node):
            found.setdefault("unguarded_log_loss", logs[0])
            return


def _float16(tree: ast.AST, found: dict[str, ast.AST]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "set_floatx" and node.args \
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in ("float16", "bfloat16"):
            found.setdefault("float16_floatx", node)
            return


def data_flow_hints(tree: ast.AST) -> dict[str, ast.AST]:
    """Hint name → the node that shows it (the first one)."""
    found: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.FloorDiv):
            right = node.right if isinstance(node, ast.BinOp) else node.value
            if _is_255(right):
                found.setdefault("floor_divides_by_255", node)
                break
    _unscaled_eval(tree, found)
    _generators(tree, found)
    _unguarded_logs(tree, found)
    _float16(tree, found)
    return found
