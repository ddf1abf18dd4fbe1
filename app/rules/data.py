"""What a data sample shows (``--data``): how the labels are encoded, the class shares, whether
the rows come sorted by class, the inputs' scale, NaN/inf values, constant features, and the
rows a validation sample (``--val-data``) shares with it. Pure numpy, computed once per sample.

These are measurements: the cause rules use them as evidence of kind ``measured``, which
decides what a log and a model cannot (labels encoded against the loss, class shares,
class-sorted data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.io.data_sample import DataSample

# The labels come sorted by class when the rows hold at most this share of the label changes
# a shuffled order would (expected changes: (n - 1) x (1 - sum of squared shares)). A sorted
# sample of C classes changes C - 1 times; a shuffled one of 1,000 rows and 2 balanced
# classes about 500 times.
SORTED_CHANGE_SHARE = 0.1
SORTED_MIN_ROWS = 20
# A feature is constant when every row of the sample gives it the same value; fewer rows than
# this say too little (two rows can agree by chance on a binary feature).
CONSTANT_MIN_ROWS = 20


@dataclass(frozen=True)
class LabelFacts:
    encoding: str  # "one_hot", "multi_hot", "integer", "binary", "real"
    classes: int  # classes present (columns of a one-hot matrix)
    shares: tuple[float, ...]  # per class index
    low: float
    high: float
    rows: int
    changes: int  # places where the label differs from the previous row's
    expected_changes: float  # in a shuffled order with these shares
    nonfinite: int = 0  # label values that are NaN or inf

    @property
    def majority_share(self) -> float:
        return max(self.shares) if self.shares else 0.0

    @property
    def sorted_by_class(self) -> bool:
        return self.rows >= SORTED_MIN_ROWS and self.classes >= 2 \
            and self.changes <= SORTED_CHANGE_SHARE * self.expected_changes


@dataclass(frozen=True)
class InputFacts:
    """The range of the finite input values, how many are NaN/inf, and the features (values
    per row) that hold one value in every row."""

    low: float
    high: float
    mean_abs: float
    values: int = 0
    nonfinite: int = 0
    features: int = 0
    constant_features: int = 0
    rows: int = 0


@dataclass(frozen=True)
class OverlapFacts:
    """Validation rows whose inputs are also a row of the training sample."""

    validation_rows: int
    shared: int  # validation rows found in the training sample
    shared_labeled: int  # of those, rows whose labels both samples give
    labels_differ: int  # of those, rows labeled differently in the two samples

    @property
    def share(self) -> float:
        return self.shared / self.validation_rows if self.validation_rows else 0.0


def _kept(sample: DataSample, key: str, measure):
    """``measure(sample)``, once per sample (kept in ``sample.measured``: x and y do not change)."""
    if key not in sample.measured:
        sample.measured[key] = measure(sample)
    return sample.measured[key]


def label_facts(sample: DataSample | None) -> LabelFacts | None:
    """The labels' encoding, shares and order (``None`` without labels)."""
    if sample is None or sample.y is None or sample.y.size == 0:
        return None
    return _kept(sample, "labels", _label_facts)


def _label_facts(sample: DataSample) -> LabelFacts:
    y = np.asarray(sample.y, dtype=np.float64)
    if y.ndim > 2:
        y = y.reshape(y.shape[0], -1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    finite = y[np.isfinite(y)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (float("nan"), float("nan"))
    if y.ndim == 2:
        binary = np.isin(y, (0.0, 1.0)).all()
        one_hot = bool(binary and np.all(y.sum(axis=1) == 1))
        encoding = "one_hot" if one_hot else "multi_hot" if binary else "real"
        index = np.argmax(y, axis=1) if one_hot or binary else None
        classes = int(y.shape[1])
    else:
        integral = bool(finite.size) and bool(np.all(finite == np.round(finite)))
        distinct = np.unique(finite)
        encoding = "real" if not integral else "binary" if set(distinct.tolist()) <= {0.0, 1.0} else "integer"
        index = finite.astype(np.int64) if integral and low >= 0 else None
        classes = int(distinct.size) if integral else 0
    if index is not None and index.size:
        counts = np.bincount(index, minlength=classes)
        shares = tuple(float(c) / index.size for c in counts)
        changes = int(np.count_nonzero(index[1:] != index[:-1]))
        expected = (index.size - 1) * (1.0 - sum(s * s for s in shares))
    else:
        shares, changes, expected = (), 0, 0.0
    if sample.kind == "images":
        changes, expected = 0, 0.0  # listed round robin: the order says nothing
    return LabelFacts(encoding, classes, shares, low, high, int(y.shape[0]), changes, expected,
                      int(y.size - finite.size))


def input_facts(sample: DataSample | None) -> InputFacts | None:
    """The inputs' range, scale, NaN/inf count and constant features (``None`` without inputs,
    e.g. an image folder)."""
    if sample is None or sample.x is None or sample.x.size == 0 or sample.x.dtype.kind not in "biuf":
        return None
    return _kept(sample, "inputs", _input_facts)


def _input_facts(sample: DataSample) -> InputFacts:
    rows = int(sample.x.shape[0]) if sample.x.ndim else 1
    table = np.asarray(sample.x).reshape(rows, -1)
    constant = int(np.count_nonzero(np.all(table == table[:1], axis=0))) if rows >= CONSTANT_MIN_ROWS else 0
    values = np.asarray(table, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    nonfinite = int(values.size - finite.size)
    if finite.size == 0:
        return InputFacts(float("nan"), float("nan"), float("nan"), int(values.size), nonfinite, table.shape[1],
                          constant, rows)
    return InputFacts(float(finite.min()), float(finite.max()), float(np.mean(np.abs(finite))), int(values.size),
                      nonfinite, table.shape[1], constant, rows)


def _row_keys(x: np.ndarray) -> list[bytes]:
    table = np.ascontiguousarray(np.asarray(x, dtype=np.float32).reshape(x.shape[0], -1))
    return [row.tobytes() for row in table]


def overlap_facts(sample: DataSample | None) -> OverlapFacts | None:
    """The validation sample's rows that are also training rows (``None`` without a
    validation sample with inputs of the training sample's shape)."""
    validation = getattr(sample, "validation", None)
    if sample is None or validation is None or sample.x is None or validation.x is None \
            or sample.x.shape[1:] != validation.x.shape[1:] or validation.x.shape[0] == 0:
        return None
    train_rows: dict[bytes, int] = {}
    for index, key in enumerate(_row_keys(sample.x)):
        train_rows.setdefault(key, index)
    shared = labeled = differ = 0
    for index, key in enumerate(_row_keys(validation.x)):
        if key not in train_rows:
            continue
        shared += 1
        if sample.y is not None and validation.y is not None:
            labeled += 1
            differ += int(not np.array_equal(np.asarray(sample.y[train_rows[key]]), np.asarray(validation.y[index])))
    return OverlapFacts(int(validation.x.shape[0]), shared, labeled, differ)


def sample_facts(sample: DataSample | None) -> dict | None:
    """The data sample's measurements as plain JSON data (the JSON report's ``data_sample``,
    the Probe tab's and the reports' data summary); ``None`` without a sample."""
    if sample is None:
        return None
    found: dict = {"path": sample.path, "format": sample.kind, "rows": sample.rows, "rows_total": sample.rows_total}
    labels = label_facts(sample)
    if labels is not None:
        found["labels"] = {"encoding": labels.encoding, "classes": labels.classes,
                           "shares": [round(share, 4) for share in labels.shares],
                           "sorted_by_class": labels.sorted_by_class, "nonfinite": labels.nonfinite}
    inputs = input_facts(sample)
    if inputs is not None:
        found["inputs"] = _input_dict(inputs)
    validation = sample.validation
    if validation is not None:
        found["validation"] = {"path": validation.path, "format": validation.kind, "rows": validation.rows}
        facts = input_facts(validation)
        if facts is not None:
            found["validation"]["inputs"] = _input_dict(facts)
        overlap = overlap_facts(sample)
        if overlap is not None:
            found["validation"].update(shared_rows=overlap.shared, shared_labeled=overlap.shared_labeled,
                                       labels_differ=overlap.labels_differ)
    return found


def _input_dict(inputs: InputFacts) -> dict:
    def finite(value: float) -> float | None:
        return round(value, 6) if np.isfinite(value) else None

    return {"low": finite(inputs.low), "high": finite(inputs.high), "mean_abs": finite(inputs.mean_abs),
            "values": inputs.values, "nonfinite": inputs.nonfinite, "features": inputs.features,
            "constant_features": inputs.constant_features}
