"""``history.history`` dumped as JSON: ``{"loss": [...], "val_loss": [...], ...}``.

Keras' ``fit`` returns a ``History`` whose ``.history`` maps each metric to one value per
epoch; users save it with ``json.dump``. Python's ``json`` writes NaN and inf as the
tokens ``NaN``/``Infinity``/``-Infinity``, which are read back as such. Also accepted:

- the whole History object's fields, ``{"history": {...}, "params": {...}, "epoch": [...]}``
  (``epoch`` lists the 0-based epochs; ``params`` gives ``epochs``, ``steps``, ``samples``,
  ``batch_size`` when present);
- values written as strings (``json.dump(..., default=str)`` is the usual way around
  "float32 is not JSON serializable"): ``"0.5"`` reads as 0.5;
- ``null`` (some serializers' spelling of NaN) reads as NaN, with a warning.

Epochs are 1..N in list order, or ``epoch[i] + 1`` when the wrapper lists the epochs. A
metric list shorter than the others (validation with ``validation_freq`` > 1) still gets
epochs 1..len, and a warning says the epochs may not line up. A list-valued metric
(per-class values) is skipped with a warning. Each value's ``source_lines`` entry is the
line the value sits on (one line per value when pretty-printed; the key's line otherwise).

:func:`json_value_lines` (the line of every value in a JSON text) is shared with the
``trainer_state.json`` reader.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from app.core.errors import InputError
from app.core.numbers import json_int
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.core.run import Run, Series, Source, canonical_metric
from app.io.sniff import Probe, TextSource
from app.io.table import run_name

ID = "history_json"
KIND = "run"
INPUT = "text"
TITLE = "Keras History JSON"

# JSON logs are read whole; beyond this they are not a History.
MAX_JSON_CHARS = 512 << 20
EXPECTED = 'a Keras History JSON: {"loss": [one value per epoch], ...}'

_NUMBER = re.compile(r"^\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)\s*$",
                     re.IGNORECASE)
_LOSS_LIST = re.compile(r'"(?:val_)?(?:loss|acc|accuracy|lr|learning_rate)"\s*:\s*\[')
_FIRST_KEY_LIST = re.compile(
    r'^\s*\{\s*"[^"\\]{1,200}"\s*:\s*\[\s*(?:[-+\d.]|NaN|Infinity|-Infinity|null|"[-+\d.]|\])')
_WRAPPER = re.compile(r'"history"\s*:\s*\{')


def identify(probe: Probe) -> float:
    """0.9 for a JSON object with ``"loss": [`` style lists; 0.6 for any ``{"key": [numbers``."""
    text = probe.text
    if not text:
        return 0.0
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith("{") or '"log_history"' in head:
        return 0.0
    if '"class_name"' in head[:4096] and '"config"' in head[:4096]:
        return 0.0  # a model config
    if _LOSS_LIST.search(head):
        return 0.9
    if _FIRST_KEY_LIST.match(head) or _WRAPPER.search(head[:4096]):
        return 0.6
    return 0.0


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> list[Run]:
    label = source.label
    text = read_json_text(source, progress)
    data = parse_json(text, label, EXPECTED)
    if not isinstance(data, dict):
        raise InputError(label, EXPECTED, found=f"a JSON {type(data).__name__}")
    run = Run(name=run_name(label), format=ID, paths=[label])
    prefix: tuple[Any, ...] = ()
    history = data
    epoch_list = None
    if isinstance(data.get("history"), dict):
        prefix, history = ("history",), data["history"]
        epoch_list = data.get("epoch")
        if isinstance(data.get("params"), dict):
            _fit_settings(run, data["params"], label)
    elif isinstance(data.get("epoch"), list):
        epoch_list = data.get("epoch")
    check_cancelled(progress)
    lines = json_value_lines(text, max_depth=len(prefix) + 2)
    lists = {key: value for key, value in history.items()
             if isinstance(value, list) and key.lower() not in ("epoch", "epochs")}
    if not lists:
        keys = ", ".join(list(history)[:8]) or "no keys"
        raise InputError(label, EXPECTED, found=f"an object with {keys}")
    epochs_given = _epochs(epoch_list)
    if epochs_given is not None:
        run.fit.set("initial_epoch", int(epochs_given[0]) - 1, Source(label, entry="epoch"))
    longest = max(len(values) for values in lists.values())
    nulls = 0
    for key, values in lists.items():
        check_cancelled(progress)
        if any(isinstance(value, (list, dict)) for value in values):
            run.warnings.append(f"{key}: values are lists (a per-class metric?); skipped")
            continue
        y = np.empty(len(values), dtype=np.float64)
        for index, value in enumerate(values):
            y[index] = _number(value, label, lines.get(prefix + (key, index)), key, index)
        nulls += sum(value is None for value in values)
        if epochs_given is not None and epochs_given.size == len(values):
            x = epochs_given
        else:
            x = np.arange(1, len(values) + 1, dtype=np.int64)
            if len(values) != longest:
                run.warnings.append(f"{key} has {len(values)} values for {longest} epochs; "
                                    f"taken as epochs 1..{len(values)}")
        line_of = np.array([lines.get(prefix + (key, index), -1) for index in range(len(values))],
                           dtype=np.int64)
        name = canonical_metric(key)
        if name in run.epochs:
            run.warnings.append(f"key {key!r} repeats metric {name!r}; the first is kept")
            continue
        run.add_series(Series(name=name, axis="epoch", x=x, y=y, raw_name=key,
                              source_path=label, source_lines=line_of))
    if nulls:
        run.warnings.append(f"{nulls} null value(s) read as NaN")
    if not run.epochs:
        raise InputError(label, EXPECTED, found="no list of numbers")
    return [run]


def _number(value: Any, label: str, line: int | None, key: str, index: int) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise InputError(label, f"a number in {key!r}", line=line, entry=f"{key}[{index}]",
                         found=json.dumps(value))
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # a 400-digit integer is beyond any float: read as ±inf
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    raise InputError(label, f"a number in {key!r}", line=line, entry=f"{key}[{index}]",
                     found=repr(value)[:60])


def _epochs(epoch_list: Any) -> np.ndarray | None:
    """1-based epochs from the History's 0-based ``epoch`` list, if it is one."""
    if not isinstance(epoch_list, list) or not epoch_list:
        return None
    if not all(isinstance(e, int) and not isinstance(e, bool) and 0 <= e < 2**31 for e in epoch_list):
        return None
    return np.array(epoch_list, dtype=np.int64) + 1


def _fit_settings(run: Run, params: dict, label: str) -> None:
    for key, name in (("epochs", "epochs_planned"), ("steps", "steps_per_epoch"),
                      ("samples", "train_samples"), ("batch_size", "batch_size")):
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            run.fit.set(name, value, Source(label, entry=f"params.{key}"))
    run.fit.derive()


# --------------------------------------------------------------------------------------
# Shared JSON helpers
# --------------------------------------------------------------------------------------


def read_json_text(source: TextSource, progress: Progress) -> str:
    """The whole text of a JSON source (bounded by :data:`MAX_JSON_CHARS`), BOM removed."""
    parts: list[str] = []
    total = 0
    for chunk in source.chunks():
        check_cancelled(progress)
        total += len(chunk)
        if total > MAX_JSON_CHARS:
            raise InputError(source.label, f"a JSON log under {MAX_JSON_CHARS >> 20} MB",
                             found="a larger file")
        parts.append(chunk)
    return "".join(parts).lstrip("\ufeff")


def parse_json(text: str, label: str, expected: str) -> Any:
    """``json.loads`` with NaN/Infinity allowed; errors become InputError with the line."""
    try:
        return json.loads(text, parse_int=json_int)
    except json.JSONDecodeError as error:
        raise InputError(label, expected, line=error.lineno,
                         found=f"invalid JSON ({error.msg})") from None
    except (RecursionError, ValueError) as error:
        raise InputError(label, expected, found=f"unreadable JSON ({str(error)[:80]})") from None


# A key with its colon, a string, a bracket, or a bare scalar; commas and colons are skipped.
_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?|[{}\[\]]|[^\s{}\[\],:"]+')


def json_value_lines(text: str, max_depth: int) -> dict[tuple[Any, ...], int]:
    """The 1-based line of each value at most ``max_depth`` deep, by its path.

    A path is the tuple of object keys and array indexes leading to the value:
    ``("history", "loss", 3)``. Values deeper than ``max_depth`` are not listed (their
    container is). One regular-expression pass over the tokens (array indexes are counted
    from the values themselves, so commas need no handling); offsets become line numbers in
    one vectorized ``searchsorted`` at the end. Only meaningful for valid JSON.
    """
    paths: list[tuple[Any, ...]] = []
    offsets: list[int] = []
    path: list[Any] = []  # the key or index of each open container's current value
    in_array: list[bool] = []
    counters: list[int] = []  # next index, per open container
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"' and match.group(2):  # an object key
            if path:
                raw = match.group(1)[1:-1]
                if "\\" in raw:
                    try:
                        raw = json.loads(match.group(1), parse_int=json_int)
                    except ValueError:
                        pass
                path[-1] = raw
            continue
        if first in "}]":
            if path:
                path.pop()
                in_array.pop()
                counters.pop()
            continue
        if in_array and in_array[-1]:  # a value in an array: its index
            path[-1] = counters[-1]
            counters[-1] += 1
        if len(path) <= max_depth:
            paths.append(tuple(path))
            offsets.append(match.start())
        if first == "{" or first == "[":
            path.append(None)
            in_array.append(first == "[")
            counters.append(0)
    if not offsets:
        return {}
    newline_offsets = [m.start() for m in re.finditer("\n", text)]
    lines = np.searchsorted(np.array(newline_offsets, dtype=np.int64),
                            np.array(offsets, dtype=np.int64), side="right") + 1
    return dict(zip(paths, lines.tolist()))
