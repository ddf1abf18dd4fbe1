"""What a data sample shows (``--data``): how the labels are encoded, the class shares, whether
the rows come sorted by class, the inputs' scale. Pure numpy, computed once per sample.

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

    @property
    def majority_share(self) -> float:
        return max(self.shares) if self.shares else 0.0

    @property
    def sorted_by_class(self) -> bool:
        return self.rows >= SORTED_MIN_ROWS and self.classes >= 2 \
            and self.changes <= SORTED_CHANGE_SHARE * self.expected_changes


@dataclass(frozen=True)
class InputFacts:
    """The range of the finite input values (what unnormalized_inputs reads)."""

    low: float
    high: float
    mean_abs: float


def label_facts(sample: DataSample | None) -> LabelFacts | None:
    """The labels' encoding, shares and order (``None`` without labels)."""
    if sample is None or sample.y is None or sample.y.size == 0:
        return None
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
    return LabelFacts(encoding, classes, shares, low, high, int(y.shape[0]), changes, expected)


def input_facts(sample: DataSample | None) -> InputFacts | None:
    """The inputs' range and scale (``None`` without inputs, e.g. an image folder)."""
    if sample is None or sample.x is None or sample.x.size == 0 or sample.x.dtype.kind not in "biuf":
        return None
    values = np.asarray(sample.x, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return InputFacts(float("nan"), float("nan"), float("nan"))
    return InputFacts(float(values.min()), float(values.max()), float(np.mean(np.abs(values))))
