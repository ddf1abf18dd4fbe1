"""Small numeric helpers the symptom detectors share (numpy only, vectorized).

Per-step series of 100,000 points are first reduced to at most ``MAX_POINTS`` bins (the
median of each bin, which keeps level changes and drops per-batch noise), so every detector
costs the same on a 2-epoch run and on a million-step run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.run import Series, increasing, same_x

MAX_POINTS = 2000


@dataclass(frozen=True)
class Curve:
    """A series ready for analysis: x, y (finite or not), and the name."""

    name: str
    x: np.ndarray
    y: np.ndarray
    axis: str
    reduced: bool = False  # True when per-bin medians stand for many raw points

    def __len__(self) -> int:
        return int(self.y.size)

    @property
    def finite(self) -> np.ndarray:
        return np.isfinite(self.y)

    def until_nonfinite(self) -> "Curve":
        """The part before the first NaN/inf (the whole curve if there is none)."""
        bad = np.flatnonzero(~self.finite)
        if bad.size == 0:
            return self
        end = int(bad[0])
        return Curve(self.name, self.x[:end], self.y[:end], self.axis, self.reduced)

    def label(self, index: int) -> int:
        return int(self.x[index])

    def where(self, keep: np.ndarray) -> "Curve":
        """The points where ``keep`` (a mask over x) holds."""
        return Curve(self.name, self.x[keep], self.y[keep], self.axis, self.reduced)

    def since(self, first_x: float) -> "Curve":
        """The part from x = ``first_x`` on."""
        return self.where(self.x >= first_x)

    def before(self, end_x: float) -> "Curve":
        """The part before x = ``end_x``."""
        return self.where(self.x < end_x)


def curve(series: Series, max_points: int = MAX_POINTS) -> Curve:
    """The series as a :class:`Curve`, reduced by bin medians when it is long.

    Kept on the series (the detectors ask for the same series many times): a 1M-point
    series is binned once per diagnosis, not once per detector."""
    return series.kept(("curve", max_points), lambda s: _binned(s, max_points))


def _binned(series: Series, max_points: int) -> Curve:
    x, y = series.x, series.y
    n = y.size
    if n <= max_points:
        return Curve(series.name, x, y, series.axis)
    bins = np.linspace(0, n, max_points + 1).astype(np.int64)
    starts = bins[:-1]
    widths = np.diff(bins)
    width = int(widths.max())
    # One row per bin, padded to the widest (bins differ by one point): rows of a sliding
    # window over y, copied once; the padding is masked out.
    padded = np.concatenate([y, np.full(width, np.nan)])
    block = np.lib.stride_tricks.sliding_window_view(padded, width)[starts]
    valid = np.arange(width)[None, :] < widths[:, None]
    finite = np.isfinite(block)
    nonfinite = valid & ~finite
    finite &= valid
    # A bin that contains NaN/inf keeps it visible (its value becomes the first bad one).
    has_bad = nonfinite.any(axis=1)
    first_bad = block[has_bad, np.argmax(nonfinite[has_bad], axis=1)] if has_bad.any() else None
    med = _row_medians(block, finite)
    if first_bad is not None:
        med[has_bad] = first_bad
    return Curve(series.name, x[starts + widths - 1], med, series.axis, reduced=True)


def _row_medians(block: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The median of each row's kept values (NaN for a row with none); ``block`` is
    overwritten. Rows are grouped by how many values they keep (bins differ by one point
    unless NaN/inf are dropped) and each group is partitioned once at its middle:
    ``np.nanmedian`` on rows this short goes through masked arrays and sorts, 20x slower, in
    calls that hold the GIL for tens of milliseconds (the window's thread waits for it)."""
    count = keep.sum(axis=1)
    if not keep.all():
        block[~keep] = np.inf  # dropped values sort last
    med = np.empty(block.shape[0])
    for kept in np.unique(count):
        rows = np.flatnonzero(count == kept)
        if kept == 0:
            med[rows] = np.nan
            continue
        group = block if rows.size == block.shape[0] else block[rows]
        middle = int(kept) // 2
        ordered = np.partition(group, middle, axis=1)
        upper = ordered[:, middle]
        med[rows] = upper if kept % 2 else (upper + ordered[:, :middle].max(axis=1)) / 2
    return med


def shared_x(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The x values two series share. Series of one run usually share one increasing x
    array, answered without sorting: ``np.intersect1d`` hashes or sorts both arrays while
    holding the GIL (≈ 0.1 s for 1M points, a stall of the window's thread)."""
    if same_x(a, b) and increasing(a):
        return a
    return np.intersect1d(a, b)


def rolling_median(y: np.ndarray, window: int) -> np.ndarray:
    """Centered rolling median (edges use the available points); NaN-free input."""
    window = max(1, int(window))
    if window == 1 or y.size < 3:
        return y.astype(np.float64, copy=True)
    half = window // 2
    padded = np.pad(y.astype(np.float64), half, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.median(view, axis=1)[: y.size]


def relative_drop(y: np.ndarray) -> float:
    """How much a (finite) loss fell from its start level to its best level, 0..1.

    Start and end levels are medians of a few points so one noisy epoch does not count.
    """
    if y.size < 2:
        return 0.0
    k = max(1, min(3, y.size // 5))
    start = float(np.median(y[:k]))
    best = float(np.min(rolling_median(y, 3))) if y.size >= 3 else float(np.min(y))
    if not np.isfinite(start) or not np.isfinite(best) or start == 0:
        return 0.0
    return (start - best) / abs(start)


def level_span(y: np.ndarray) -> tuple[float, float]:
    return float(np.min(y)), float(np.max(y))


def near_level_suffix(y: np.ndarray, level: float, tol: float) -> int:
    """Start index of the longest suffix of ``y`` that stays within ``tol`` of ``level``.

    One outlier in three is forgiven (a rolling median of 3 is compared), so a single noisy
    epoch does not break a stretch. Returns ``y.size`` when the last point is off the level.
    NaN counts as off the level.
    """
    if y.size == 0:
        return 0
    values = np.where(np.isfinite(y), y, np.inf)
    smooth = rolling_median(values, 3) if values.size >= 3 else values
    near = np.abs(smooth - level) <= tol
    near &= np.abs(values - level) <= 3 * tol  # a wild point is never "near"
    off = np.flatnonzero(~near)
    return int(off[-1] + 1) if off.size else 0


def flat_suffix(y: np.ndarray, span: float) -> int:
    """Start index of the longest suffix whose values stay within a band of width ``span``."""
    if y.size == 0:
        return 0
    start = y.size - 1
    low = high = y[-1]
    if not np.isfinite(low):
        return y.size
    while start > 0:
        value = y[start - 1]
        if not np.isfinite(value):
            break
        low2, high2 = min(low, value), max(high, value)
        if high2 - low2 > span:
            break
        low, high = low2, high2
        start -= 1
    return start


def training_loss_curve(run) -> Curve | None:
    """The training loss of ``run`` (a :class:`~app.core.run.Run`) per epoch, or per step when
    the run has one epoch at most; up to its first NaN/inf. Keras' own step lines are not
    used: they print the running mean of the epoch so far, which flattens by construction
    (corpus: the one-epoch runs of geeksmental and gh-keras-team-keras-7648)."""
    if run is None:
        return None
    epoch = run.epochs.get("loss")
    step = run.steps.get("loss") if run.format != "keras_console" else None
    if epoch is not None and (len(epoch) >= 2 or step is None):
        return curve(epoch).until_nonfinite()
    if step is not None:
        return curve(step).until_nonfinite()
    return None
