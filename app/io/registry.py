"""The list of readers, and how a file is matched to one.

Every reader is a module in ``app.io.readers`` with this interface::

    ID = "csvlogger"            # the format id shown to users and in JSON ("runs[].format")
    KIND = "run"                # "run" (a training log) or "model"
    INPUT = "text"              # "text": read() gets a TextSource; "path": a file/dir path
    TITLE = "Keras CSVLogger CSV"
    def identify(probe: Probe) -> float   # 0 = not mine ... 1 = certainly mine; cheap, no raise
    def read(source, progress=NO_PROGRESS) -> list[Run] | ModelSpec   # raises InputError

Readers are listed here explicitly and imported on first use: no directory scanning
(it breaks in frozen apps), no registration by import side effects.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from app.io.sniff import Probe

# Order breaks ties between equal scores: more specific formats first.
READER_MODULES: tuple[str, ...] = (
    "app.io.readers.keras_file",
    "app.io.readers.h5_file",
    "app.io.readers.tensorboard",
    "app.io.readers.model_json",
    "app.io.readers.hf_trainer_state",
    "app.io.readers.history_json",
    "app.io.readers.csvlogger",
    "app.io.readers.lightning_csv",
    "app.io.readers.plain_table",
    "app.io.readers.keras_console",
    "app.io.readers.metric_prints",
    "app.io.readers.python_code",
)

# Below this score a file is "not recognized".
MIN_SCORE = 0.2

_loaded: dict[str, ModuleType] = {}


def reader(module_name: str) -> ModuleType:
    module = _loaded.get(module_name)
    if module is None:
        module = importlib.import_module(module_name)
        _loaded[module_name] = module
    return module


def readers() -> list[ModuleType]:
    return [reader(name) for name in READER_MODULES]


def reader_by_id(reader_id: str) -> ModuleType:
    for module in readers():
        if module.ID == reader_id:
            return module
    raise KeyError(reader_id)


def rank(probe: Probe) -> list[tuple[float, ModuleType]]:
    """Readers that claim ``probe``, best first (score ≥ MIN_SCORE)."""
    scored = []
    for index, module in enumerate(readers()):
        try:
            score = float(module.identify(probe))
        except Exception:  # identify must never take the program down
            score = 0.0
        if score >= MIN_SCORE:
            scored.append((score, -index, module))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(score, module) for score, _, module in scored]
