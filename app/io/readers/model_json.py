"""``model.to_json()`` text (Keras 2 and Keras 3), read as data.

The JSON is ``{"class_name": "Sequential" | "Functional" | "Model", "config": {"layers": ...}}``
(Keras 3 adds ``"module"`` first and may carry ``"compile_config"``). It has no weights, so
parameter counts are worked out from the config (:mod:`app.io.shapes`). The text is parsed
as JSON only; nothing named in it is imported or run.
"""

from __future__ import annotations

import re

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.io import keras_config
from app.io.sniff import Probe, TextSource

ID = "model_json"
KIND = "model"
INPUT = "text"
TITLE = "Keras model JSON (model.to_json())"

MAX_CHARS = 256 * 1024 * 1024
MODEL_CLASSES = ("Sequential", "Functional", "Model")
_TOP = re.compile(r'^\s*\{\s*(?:"module"\s*:\s*"[^"]{0,200}"\s*,\s*)?"class_name"\s*:\s*"(Sequential|Functional|Model)"')
_ANY_MODEL = re.compile(r'"class_name"\s*:\s*"(Sequential|Functional|Model)"')
_EXPECTED = ('Keras model JSON from model.to_json(): an object with "class_name" Sequential, '
             'Functional or Model and "config" with "layers"')


def identify(probe: Probe) -> float:
    text = probe.text
    if not text or not text.lstrip().startswith("{"):
        return 0.0
    if _TOP.match(text) and '"layers"' in text:
        return 0.95
    if _ANY_MODEL.search(text[:4096]) and '"layers"' in text and '"config"' in text:
        return 0.5  # keys in another order (a hand-edited or re-dumped file)
    return 0.0


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> ModelSpec:
    if source.size > MAX_CHARS:
        raise InputError(source.label, f"a model JSON of at most {MAX_CHARS // (1024 * 1024)} MB",
                         found=f"{source.size // (1024 * 1024)} MB")
    parts = []
    total = 0
    for chunk in source.chunks():
        check_cancelled(progress)
        total += len(chunk)
        if total > MAX_CHARS:
            raise InputError(source.label, f"a model JSON of at most {MAX_CHARS // (1024 * 1024)} MB",
                             found="more text than that")
        parts.append(chunk)
    text = "".join(parts).lstrip("\ufeff")
    data = keras_config.parse_json(text, source.label, "JSON")
    if not isinstance(data, dict) or data.get("class_name") not in MODEL_CLASSES:
        found = (f"class_name {data.get('class_name')!r}" if isinstance(data, dict)
                 else f"a JSON {type(data).__name__}")
        raise InputError(source.label, _EXPECTED, found=found)
    config = data.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(layers, list):
        raise InputError(source.label, _EXPECTED, entry="config.layers",
                         found=f"config of type {type(config).__name__} without a layer list")
    progress.report(0.5, "layers")
    model = keras_config.model_from_config(data, path=source.label, fmt="json", entry_label="JSON")
    progress.report(1.0, "")
    return model
