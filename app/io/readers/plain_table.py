"""Any CSV/TSV with an ``epoch`` or ``step`` column and numeric metric columns.

The fallback for tables no specific reader claims (a pandas ``to_csv`` of a History, a
spreadsheet export, a custom logger). The key column is the first of ``epoch``/``epochs``
(per-epoch series) or ``step``/``global_step``/``iteration``/``iter``/``batch`` (per-step
series); every other column holding numbers becomes a series named by
:func:`canonical_metric`, and columns holding text are skipped with a warning.

Numbering: epochs starting at 0 are taken as 0-based and shifted by one (epoch 1 is the
first, as Keras prints it); epochs starting at 1 are kept. Steps are kept as written.
When a table has both an epoch and a step column and several rows per epoch, the rows are
steps (the epoch column is then just one more thing the row says and is not a series).
Repeated keys: the later row wins, with a warning.

``identify`` also claims, weakly, CSV-looking text without such a column, so that loading
it gives a clear error naming its header instead of "unknown format".
"""

from __future__ import annotations

import numpy as np

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Progress
from app.core.run import Run, canonical_metric
from app.io import table as tables
from app.io.sniff import Probe, TextSource

ID = "plain_table"
KIND = "run"
INPUT = "text"
TITLE = "CSV/TSV table with an epoch or step column"

EPOCH_NAMES = ("epoch", "epochs")
STEP_NAMES = ("step", "global_step", "iteration", "iter", "steps", "batch")
EXPECTED = "a CSV/TSV with an epoch or step column and numeric metric columns"


def identify(probe: Probe) -> float:
    """0.5 with a key column and a numeric column; 0.25 for other consistent CSV text."""
    peek = tables.peek(probe.text)
    if peek is None or not peek.rows:
        return 0.0
    if not peek.consistent():
        return 0.0
    names = peek.names
    has_key = any(name in names for name in EPOCH_NAMES + STEP_NAMES)
    numeric = peek.numeric_columns()
    if has_key and len(numeric) >= 2:
        return 0.5
    return 0.25


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> list[Run]:
    table = tables.read_table(source, progress)
    header_found = table.header_text[:120]
    epoch_column = _first(table, EPOCH_NAMES)
    step_column = _first(table, STEP_NAMES)
    key_columns = {c for c in (epoch_column, step_column) if c is not None}
    metrics = [name for name in table.columns if name not in key_columns]
    if not key_columns or not metrics:
        raise InputError(table.label, EXPECTED, line=table.header_line, found=header_found)
    if table.rows == 0:
        raise InputError(table.label, "at least one data row under the header",
                         line=table.header_line, found="only the header line")
    axis, key = "epoch", epoch_column
    if epoch_column is not None and step_column is not None:
        epochs = table.columns[epoch_column][table.mask(epoch_column)]
        if np.unique(epochs).size != epochs.size:
            axis, key = "step", step_column
    elif epoch_column is None:
        axis, key = "step", step_column
    assert key is not None
    run = Run(name=tables.run_name(table.label), format=ID, paths=[table.label])
    run.warnings.extend(table.warnings)
    key_rows, key_values = tables.key_rows(table, key)
    if axis == "epoch" and key_values.size and key_values.min() == 0:
        key_values = key_values + 1
    if key_values.size != table.rows:
        run.warnings.append(f"{table.rows - key_values.size} row(s) without a {key} value skipped")
    keep, repeated = tables.last_per_key(key_values)
    if repeated:
        run.warnings.append(f"some {key} values appear more than once; the later row is used")
    rows, x = tables.compose(key_rows, keep), key_values[keep]
    target = run.epochs if axis == "epoch" else run.steps
    for name in metrics:
        canonical = canonical_metric(name)
        if canonical in target:
            run.warnings.append(f"column {name!r} repeats metric {canonical!r}; the first is kept")
            continue
        series = tables.column_series(table, name, canonical, axis, rows, x)
        if series is not None:
            run.add_series(series)
    for name, value in table.text_columns.items():
        if name not in key_columns:
            run.warnings.append(f"column {name!r} holds no numbers (first value {value[:40]!r}); skipped")
    if not run.epochs and not run.steps:
        raise InputError(table.label, EXPECTED, line=table.header_line, found=header_found)
    return [run]


def _first(table: tables.Table, names: tuple[str, ...]) -> str | None:
    for name in names:
        column = table.column(name)
        if column is not None:
            if column not in table.columns:
                raise InputError(table.label, f"numbers in column {column!r}",
                                 entry=f"column {column}",
                                 line=max(0, table.text_lines.get(column, -1)) or None,
                                 found=repr(table.text_columns[column][:60]))
            return column
    return None
