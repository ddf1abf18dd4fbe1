"""Hugging Face ``Trainer`` state: ``checkpoint-*/trainer_state.json``.

The file is written by ``TrainerState.save_to_json`` (``indent=2``, keys sorted). What we
read:

- ``log_history``: one entry per logging call. Training entries hold ``loss``,
  ``learning_rate``, ``grad_norm``; evaluation entries ``eval_loss``, ``eval_accuracy`` ...;
  every entry has ``step`` (the global optimizer step, 1-based: ``step: 500`` is after 500
  steps) and ``epoch`` (a float: 0.5 is half-way through the first epoch). Every numeric
  key becomes a per-step series keyed by ``step`` (``eval_loss`` → ``val_loss``,
  ``train_loss`` → ``loss`` by :func:`canonical_metric`). Throughput and runtime keys
  (``*_runtime``, ``*_per_second``, ``total_flos``) are not metrics and are left out, and so
  is the closing summary entry (the one with ``train_runtime``): its ``train_loss`` is the
  average over the whole run, not a value at its step.
- A key also gets a **per-epoch** series when *every* entry holding it falls on a whole
  epoch (``epoch`` within 0.01 of an integer ≥ 1, e.g. ``eval_strategy="epoch"`` or
  ``logging_strategy="epoch"``): epoch ``round(epoch)``. A key logged every N steps does
  not, even if some of its entries happen to land on an epoch boundary.
- ``num_train_epochs`` → ``FitSettings.epochs_planned``, ``train_batch_size`` →
  ``batch_size``, ``max_steps / num_train_epochs`` → ``steps_per_epoch`` when it divides
  evenly (``max_steps`` is the planned step total; ``logging_steps`` has no FitSettings
  field and is not kept).

Line numbers are those of each value in the file.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.core.run import Run, Source, canonical_metric, series_from_points
from app.io.readers.history_json import json_value_lines, parse_json, read_json_text
from app.io.sniff import Probe, TextSource
from app.io.table import run_name

ID = "hf_trainer_state"
KIND = "run"
INPUT = "text"
TITLE = "Hugging Face trainer_state.json"

EXPECTED = 'a Hugging Face trainer_state.json with a "log_history" list'
# An entry's epoch this close to an integer counts as the end of that epoch.
WHOLE_EPOCH_TOLERANCE = 0.01
_NOT_METRICS = {"step", "epoch", "total_flos", "num_input_tokens_seen", "current_flos"}
_NOT_METRIC_SUFFIXES = ("_runtime", "_per_second")


def identify(probe: Probe) -> float:
    """0.95 with ``"log_history"`` in a JSON object; 0.5 for ``global_step`` + ``best_metric``."""
    text = probe.text
    if not text:
        return 0.0
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return 0.0
    if '"log_history"' in head:
        return 0.95
    if '"global_step"' in head and '"best_metric"' in head:
        return 0.5
    return 0.0


def _is_metric(key: str, value: Any) -> bool:
    if key in _NOT_METRICS or key.endswith(_NOT_METRIC_SUFFIXES):
        return False
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> list[Run]:
    label = source.label
    text = read_json_text(source, progress)
    data = parse_json(text, label, EXPECTED)
    if not isinstance(data, dict) or not isinstance(data.get("log_history"), list):
        found = "no log_history" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
        raise InputError(label, EXPECTED, found=found, entry="log_history")
    lines = json_value_lines(text, max_depth=3)
    run = Run(name=run_name(label), format=ID, paths=[label])
    _fit_settings(run, data, label, lines)
    step_points: dict[str, list[tuple[int, float, int]]] = defaultdict(list)
    epoch_points: dict[str, list[tuple[int, float, int]]] = defaultdict(list)
    not_per_epoch: set[str] = set()
    raw_names: dict[str, str] = {}
    names: dict[str, str] = {}  # raw key → canonical name (computed once per key)
    without_step = 0
    for index, entry in enumerate(data["log_history"]):
        if index % 5000 == 0:
            check_cancelled(progress)
        if not isinstance(entry, dict):
            raise InputError(label, "an object per log_history entry", entry=f"log_history[{index}]",
                             line=lines.get(("log_history", index)), found=type(entry).__name__)
        if "train_runtime" in entry:
            continue  # the closing summary: averages over the run, not values at a step
        step = _whole(entry.get("step"))
        epoch = _whole_epoch(entry.get("epoch"))
        for key, value in entry.items():
            if not _is_metric(key, value):
                continue
            name = names.get(key)
            if name is None:
                name = names[key] = canonical_metric(key)
            if raw_names.setdefault(name, key) != key:
                continue  # two spellings of one metric (loss/train_loss): the first wins
            y = math.nan if value is None else float(value)
            line = lines.get(("log_history", index, key), -1)
            if step is not None and step >= 0:
                step_points[name].append((step, y, line))
            else:
                without_step += 1
            if epoch is None:
                not_per_epoch.add(name)
            else:
                epoch_points[name].append((epoch, y, line))
    if without_step:
        run.warnings.append(f"{without_step} value(s) in entries without a step were left out "
                            "of the per-step series")
    for name, points in step_points.items():
        run.add_series(series_from_points(name, "step", points, raw_name=raw_names[name],
                                          source_path=label))
    for name, points in epoch_points.items():
        if name in not_per_epoch:
            continue
        run.add_series(series_from_points(name, "epoch", points, raw_name=raw_names[name],
                                          source_path=label))
    if not run.steps and not run.epochs:
        raise InputError(label, "log_history entries with logged metrics (loss, eval_loss ...)",
                         entry="log_history", line=lines.get(("log_history",)),
                         found=f"{len(data['log_history'])} entries without metrics")
    return [run]


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if value != int(value) or abs(value) > 2**53:
        return None
    return int(value)


def _whole_epoch(value: Any) -> int | None:
    """``round(epoch)`` when the float epoch sits on the end of an epoch (≥ 1), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    nearest = round(value)
    if nearest >= 1 and abs(value - nearest) <= WHOLE_EPOCH_TOLERANCE and nearest < 2**31:
        return int(nearest)
    return None


def _fit_settings(run: Run, data: dict, label: str, lines: dict) -> None:
    def source(key: str) -> Source:
        return Source(label, lines.get((key,)), entry=key)

    epochs = data.get("num_train_epochs")
    whole_epochs = _whole(epochs)
    if whole_epochs is not None and whole_epochs > 0:
        run.fit.set("epochs_planned", whole_epochs, source("num_train_epochs"))
    batch = _whole(data.get("train_batch_size"))
    if batch is not None and batch > 0:
        run.fit.set("batch_size", batch, source("train_batch_size"))
    max_steps = _whole(data.get("max_steps"))
    if max_steps and max_steps > 0 and whole_epochs and max_steps % whole_epochs == 0:
        run.fit.set("steps_per_epoch", max_steps // whole_epochs, source("max_steps"))
