"""Writing the patched training settings: ``fit`` arguments and callbacks, as JSON or YAML.

The file holds :attr:`PatchPlan.training` exactly: ``{"shuffle": true, "batch_size": 32,
"class_weight": ..., "callbacks": [{"class_name": "EarlyStopping", "config": {...}}]}``.
A path ending in ``.yaml``/``.yml`` gets YAML (a plain nested mapping written here, so no
YAML library is needed), anything else JSON. The file is always new and written atomically
(:func:`app.core.files.write_atomic`), never over the model it came from.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

from app.core.files import OutputError, write_atomic  # noqa: F401 - OutputError is what callers catch
from app.patches.apply import PatchPlan

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def training_settings(plan: PatchPlan) -> dict[str, Any]:
    """The settings written to the file (a copy of ``plan.training``)."""
    return json.loads(json.dumps(plan.training))


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        if exponent and "." not in mantissa:  # YAML 1.1 readers need 1.0e-05, not 1e-05
            text = f"{mantissa}.0e{exponent}"
        return text
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)  # a double-quoted YAML string


def _key(key: Any) -> str:
    return str(key) if isinstance(key, int) and not isinstance(key, bool) else _scalar(str(key))


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for nested dicts, lists and scalars."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{_key(key)}:\n{to_yaml(item, indent + 2)}")
            else:
                empty = "{}" if isinstance(item, dict) else "[]" if isinstance(item, list) else _scalar(item)
                lines.append(f"{pad}{_key(key)}: {empty}\n")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        for item in value:
            if isinstance(item, (dict, list)) and item:
                block = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {block[indent + 2:]}")  # the first line goes after the dash
            else:
                lines.append(f"{pad}- {_scalar(item) if not isinstance(item, (dict, list)) else '{}' if isinstance(item, dict) else '[]'}\n")
        return "".join(lines)
    return pad + _scalar(value) + "\n"


def write_training_settings(plan: PatchPlan, path: str | os.PathLike, inputs: list[str] | tuple = (),
                            overwrite: bool = False) -> str:
    """Write the plan's training settings atomically; YAML for .yaml/.yml, else JSON.

    Refuses (:class:`~app.core.files.OutputError`) to write over the model the plan came
    from or any of ``inputs``.
    """
    path = os.fspath(path)
    settings = plan.training
    if path.lower().endswith((".yaml", ".yml")):
        text = "# Training settings written by TrainDoc (model.fit arguments and callbacks)\n" + to_yaml(settings)
    else:
        text = json.dumps(settings, indent=2, ensure_ascii=False) + "\n"
    return write_atomic(path, text, inputs=[plan.document.source_path, *inputs], overwrite=overwrite)
