"""PyTorch Lightning ``CSVLogger`` files (``lightning_logs/version_N/metrics.csv``).

Lightning writes one row per logging call: ``epoch``, ``step`` and whatever was logged at
that moment, so rows are sparse (each fills only some columns) and the header is the
union of every key, in sorted order. Metrics logged with ``on_step=True, on_epoch=True``
appear twice, as ``train_loss_step`` and ``train_loss_epoch``.

How rows become series (names by ``canonical_metric(raw, strip_lightning_suffix=True)``,
so ``train_loss_step`` → ``loss``, ``val_acc`` → ``val_accuracy``):

- ``*_step`` columns are per-step series keyed by ``step``;
- ``*_epoch`` columns are per-epoch series keyed by ``epoch``;
- other columns (``val_loss``, or a ``train_loss`` logged with Lightning's default
  ``on_step`` in ``training_step``) are per-epoch when they hold at most one value per
  epoch, otherwise per-step;
- ``lr-<Optimizer>`` columns of ``LearningRateMonitor`` become ``learning_rate``.

Numbering (documented choices): Lightning's ``epoch`` is 0-based, so we add one (epoch 1
is the first). Its ``step`` is the 0-based ``global_step`` at logging time: a row logged
after the 50th optimizer step says ``49``. We add one too, so steps count optimizer steps
from 1 like Keras progress bars, TensorBoard batch steps and Hugging Face ``step``.
Only cells that hold a value are points; ``nan`` written by Lightning stays NaN.
``FitSettings.steps_per_epoch`` is set when every epoch-level row sits at step
``epoch × k`` (Lightning logs epoch-end values at the epoch's last step).
"""

from __future__ import annotations

import re

import numpy as np

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Progress
from app.core.run import Run, Series, Source, canonical_metric
from app.io import table as tables
from app.io.sniff import Probe, TextSource

ID = "lightning"
KIND = "run"
INPUT = "text"
TITLE = "PyTorch Lightning metrics.csv"

_LR_MONITOR = re.compile(r"^lr[-_].+", re.IGNORECASE)


def identify(probe: Probe) -> float:
    """0.9 for ``epoch`` + ``step`` columns with ``_step``/``_epoch`` metrics or sparse
    rows; 0.75 for ``epoch`` + ``step`` alone; 0.6 for ``step`` + ``_step`` metrics."""
    peek = tables.peek(probe.text)
    if peek is None:
        return 0.0
    names = set(peek.names)
    suffixed = any(name.endswith(("_step", "_epoch")) for name in names)
    if "step" in names and "epoch" in names:
        if suffixed or peek.has_missing_cells():
            return 0.9 if peek.consistent() or not peek.rows else 0.6
        return 0.75 if peek.consistent() else 0.4
    if "step" in names and suffixed:
        return 0.6
    return 0.0


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> list[Run]:
    table = tables.read_table(source, progress)
    epoch_column = table.column("epoch")
    step_column = table.column("step")
    for column in (epoch_column, step_column):
        if column is not None and column not in table.columns:
            raise InputError(table.label, f"numbers in column {column!r}", entry=f"column {column}",
                             line=max(0, table.text_lines.get(column, -1)) or None,
                             found=repr(table.text_columns[column][:60]))
    if epoch_column is None and step_column is None:
        raise InputError(table.label, "a Lightning metrics.csv header with 'epoch' and 'step'",
                         line=table.header_line, found=table.header_text[:120])
    if table.rows == 0:
        raise InputError(table.label, "at least one logged row under the header",
                         line=table.header_line, found="only the header line")
    run = Run(name=tables.run_name(table.label), format=ID, paths=[table.label])
    run.warnings.extend(table.warnings)
    epoch_of_row = _key(table, epoch_column)
    step_of_row = _key(table, step_column)
    epoch_end_rows: list[np.ndarray] = []
    for name in table.columns:
        if name in (epoch_column, step_column):
            continue
        lower = name.lower()
        present = table.mask(name)
        if not present.any():
            continue
        canonical = "learning_rate" if _LR_MONITOR.match(name) else canonical_metric(
            name, strip_lightning_suffix=True)
        if lower.endswith("_step"):
            axis = "step"
        elif lower.endswith("_epoch"):
            axis = "epoch"
        else:
            axis = "epoch" if _one_per_epoch(epoch_of_row, present) else "step"
        keys = epoch_of_row if axis == "epoch" else step_of_row
        if keys is None:  # no epoch (or step) column: use the other axis
            axis = "step" if axis == "epoch" else "epoch"
            keys = epoch_of_row if axis == "epoch" else step_of_row
        assert keys is not None
        rows = np.flatnonzero(present & (keys >= 1))
        if rows.size < int(present.sum()):
            run.warnings.append(f"{name}: {int(present.sum()) - rows.size} value(s) without "
                                f"an {axis} number skipped")
        keep, repeated = tables.last_per_key(keys[rows])
        if repeated:
            run.warnings.append(f"{name}: several values per {axis}; the last one is used")
        rows = rows[keep]
        target = run.epochs if axis == "epoch" else run.steps
        if canonical in target:
            run.warnings.append(f"column {name!r} repeats metric {canonical!r}; the first is kept")
            continue
        if axis == "epoch" and step_of_row is not None:
            epoch_end_rows.append(rows)
        run.add_series(Series(
            name=canonical, axis=axis, x=keys[rows], y=table.columns[name][rows],  # type: ignore[arg-type]
            raw_name=name, source_path=table.label, source_lines=table.lines[rows],
        ))
    if epoch_end_rows and epoch_of_row is not None and step_of_row is not None:
        _steps_per_epoch(run, table, np.unique(np.concatenate(epoch_end_rows)), epoch_of_row,
                         step_of_row)
    for name, value in table.text_columns.items():
        run.warnings.append(f"column {name!r} holds no numbers (first value {value[:40]!r}); skipped")
    if not run.epochs and not run.steps:
        raise InputError(table.label, "numeric metric columns next to 'epoch' and 'step'",
                         line=table.header_line, found=table.header_text[:120])
    return [run]


def _key(table: tables.Table, column: str | None) -> np.ndarray | None:
    """Per row: the 1-based epoch or step, 0 where the row has none."""
    if column is None:
        return None
    present = table.mask(column)
    keys = np.zeros(table.rows, dtype=np.int64)
    keys[present] = tables.whole_numbers(table, column, present) + 1
    return keys


def _steps_per_epoch(run: Run, table: tables.Table, rows: np.ndarray, epochs: np.ndarray,
                     steps: np.ndarray) -> None:
    """Steps per epoch when every epoch-level row sits at step ``epoch × k`` (1-based both):
    Lightning logs epoch-end values at the epoch's last step."""
    rows = rows[steps[rows] >= 1]
    if rows.size == 0:
        return
    per_epoch = steps[rows] / epochs[rows]
    k = per_epoch[0]
    if k >= 1 and k == int(k) and np.all(per_epoch == k):
        run.fit.set("steps_per_epoch", int(k), Source(table.label, table.line_of(int(rows[0])),
                                                      entry="step"))


def _one_per_epoch(epoch_of_row: np.ndarray | None, present: np.ndarray) -> bool:
    """True when the column holds at most one value per epoch."""
    if epoch_of_row is None:
        return False
    epochs = epoch_of_row[present]
    return bool(np.unique(epochs).size == epochs.size)
