"""Keras ``CSVLogger`` files: one row per epoch, ``epoch`` first, then the logs' keys.

Keras writes ``epoch`` (0-based: we add one, so the first row is epoch 1 as ``fit`` prints
it) and then every key of the epoch's logs in sorted order: ``accuracy``, ``loss``,
``learning_rate`` (``lr`` in Keras 2), ``val_*``. Values are Python float reprs; NaN is
``nan``; a key missing in some epoch is written ``NA`` (for example validation metrics
with ``validation_freq`` > 1) and that epoch is simply left out of that series. A
list-valued metric (Keras writes ``"[0.1, 0.2]"``) is skipped with a warning. Any column
order, a different separator (``CSVLogger(separator=";")``), blank lines and a UTF-8 BOM
are fine (see :mod:`app.io.table`). If a file holds the same epoch twice (``append=True``
after a restart) the later row wins and a warning says so.
"""

from __future__ import annotations

import re

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Progress
from app.core.run import Run, canonical_metric
from app.io import table as tables
from app.io.sniff import Probe, TextSource

ID = "csvlogger"
KIND = "run"
INPUT = "text"
TITLE = "Keras CSVLogger CSV"

# Metric spellings Keras puts in logs (without ``val_``); any other snake_case name counts
# as a user metric, but at least one of these must be there for a high score.
_KERAS_METRICS = {
    "loss", "accuracy", "acc", "lr", "learning_rate", "mae", "mse", "mape", "msle",
    "mean_absolute_error", "mean_squared_error", "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "auc", "precision", "recall", "root_mean_squared_error",
    "rmse", "crossentropy", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "kl_divergence", "cosine_similarity", "f1_score",
}
_KERAS_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_OTHER_FORMAT_COLUMNS = {"step", "global_step", "iteration", "iter", "time", "wall_time"}


def _base(name: str) -> str:
    return name[4:] if name.startswith("val_") else name


def identify(probe: Probe) -> float:
    """0.9 for ``epoch`` first and Keras-style metric names (one a Keras metric); lower
    when ``epoch`` is elsewhere; 0 for tables with a step column (Lightning, plain tables)."""
    peek = tables.peek(probe.text)
    if peek is None or "epoch" not in peek.names:
        return 0.0
    names = peek.names
    others = [name for name in names if name != "epoch"]
    if not others or any(name in _OTHER_FORMAT_COLUMNS for name in others):
        return 0.0
    if any(name.endswith(("_step", "_epoch")) for name in others):
        return 0.0  # Lightning's on_step/on_epoch columns
    keras_like = all(_KERAS_NAME.match(name) for name in others)
    known = any(_base(name) in _KERAS_METRICS or _base(name).endswith(("_loss", "_accuracy"))
                for name in others)
    if not keras_like or not known:
        return 0.35 if known else 0.0
    score = 0.9 if names[0] == "epoch" else 0.7
    if peek.rows and not peek.consistent():
        score -= 0.3
    return score


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> list[Run]:
    table = tables.read_table(source, progress)
    epoch_column = table.column("epoch")
    if epoch_column is None:
        raise InputError(table.label, "a CSVLogger header with an 'epoch' column",
                         line=table.header_line, found=table.header_text[:120])
    if epoch_column not in table.columns:
        raise InputError(table.label, f"epoch numbers in column {epoch_column!r}",
                         entry=f"column {epoch_column}",
                         line=max(0, table.text_lines.get(epoch_column, -1)) or None,
                         found=repr(table.text_columns[epoch_column][:60]))
    if table.rows == 0:
        raise InputError(table.label, "at least one epoch row under the header",
                         line=table.header_line, found="only the header line")
    run = Run(name=tables.run_name(table.label), format=ID, paths=[table.label])
    run.warnings.extend(table.warnings)
    epoch_rows, epochs = tables.key_rows(table, epoch_column)
    epochs += 1  # 0-based in the file
    if epochs.size != table.rows:
        run.warnings.append(f"{table.rows - epochs.size} row(s) without an epoch skipped")
    keep, repeated = tables.last_per_key(epochs)
    if repeated:
        run.warnings.append("some epochs appear more than once (CSVLogger append=True?); "
                            "the later row is used")
    rows = tables.compose(epoch_rows, keep)
    x = epochs[keep]
    for name in table.columns:
        if name == epoch_column:
            continue
        canonical = canonical_metric(name)
        if canonical in run.epochs:
            run.warnings.append(f"column {name!r} repeats metric {canonical!r}; the first is kept")
            continue
        series = tables.column_series(table, name, canonical, "epoch", rows, x)
        if series is not None:
            run.add_series(series)
    for name, value in table.text_columns.items():
        run.warnings.append(f"column {name!r} holds no numbers (first value {value[:40]!r}); skipped")
    if not run.epochs:
        raise InputError(table.label, "numeric metric columns next to 'epoch'",
                         line=table.header_line, found=table.header_text[:120])
    return [run]
