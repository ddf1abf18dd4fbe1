"""Keras training code (``.py``, ``.ipynb`` or pasted), read statically as a model.

The code is parsed, never run (:mod:`app.io.code`). The model it builds comes back as
a :class:`ModelSpec` with ``format="code"``; the ``fit()`` settings found in the code ride
along in ``ModelSpec.fit_settings`` so the engine can merge them with a log's settings, and
every layer carries the source line that built it (``LayerSpec.source``).
"""

from __future__ import annotations

import json
import re

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.io.code import MAX_CODE_CHARS, code_share, looks_like_code, model_of, read_code
from app.io.sniff import Probe, TextSource

ID = "python_code"
KIND = "model"
INPUT = "text"
TITLE = "Keras training code (.py, .ipynb)"

_NOTEBOOK = re.compile(r'^\s*\{\s*"(cells|metadata|nbformat)"')
_EXPECTED = ("Keras training code that builds a model: Sequential([...]), model.add(...), "
             "a functional graph, or compile()/fit() calls")


def identify(probe: Probe) -> float:
    text = probe.text
    if not text:
        return 0.0
    name = probe.name
    if name.endswith(".ipynb") or _NOTEBOOK.match(text):
        if '"cell_type"' not in text:
            return 0.0
        score = looks_like_code(_notebook_code_head(text))
        return 0.95 if score >= 0.5 else (0.3 if name.endswith(".ipynb") else 0.0)
    score = looks_like_code(text)
    if name.endswith((".py", ".pyw")):
        return 0.95 if score >= 0.5 else (0.25 if score > 0 else 0.0)
    # Other text (pasted, .txt): only when it is mostly code. A forum post or a console log
    # that quotes the code belongs to the log reader; the app's Code tab reads such text
    # with app.io.code.read_code directly.
    if score >= 0.5 and code_share(text) >= 0.75:
        return min(score, 0.6)
    return 0.0


def _notebook_code_head(text: str) -> str:
    """The code of a notebook's head (64 KB may cut the JSON: fall back to the raw text)."""
    try:
        data = json.loads(text)
    except ValueError:
        return text.replace("\\n", "\n").replace('\\"', '"')
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return ""
    parts = []
    for cell in cells[:2000]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source")
            parts.append("".join(source) if isinstance(source, list) else str(source or ""))
    return "\n".join(parts)


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> ModelSpec:
    if source.size > MAX_CODE_CHARS * 4:
        raise InputError(source.label, "training code of a reasonable size",
                         found=f"{source.size // 1_000_000} MB")
    parts = []
    total = 0
    for chunk in source.chunks():
        check_cancelled(progress)
        total += len(chunk)
        if total > MAX_CODE_CHARS:
            raise InputError(source.label, f"training code of at most {MAX_CODE_CHARS // 1_000_000} MB",
                             found="more text than that")
        parts.append(chunk)
    progress.report(0.2, "parsing")
    code = read_code("".join(parts), source.label)
    progress.report(1.0, "")
    model = model_of(code)
    if model is None and code.fit_source is not None and code.model is not None:
        model = code.model  # model.fit(...) alone: a model built elsewhere, its fit() settings
        model.complete = False
        model.params_total = model.params_trainable = None
        model.warnings.append("the code fits a model whose layers and compile() it does not show")
    if model is None:
        why = code.unresolved[0].why if code.unresolved else "no model is built in it"
        raise InputError(source.label, _EXPECTED, found=f"code in which {why}" if code.unresolved else
                         "code that builds no Keras model")
    return model
