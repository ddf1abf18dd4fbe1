"""Curves as the window draws them: a pyramid of peak-decimated copies of a long series.

A 1,000,000-point curve cannot be handed to pyqtgraph whole without stalling the window: its
bounds, clipping and downsampling then run over every point on the GUI thread, at every
paint. :func:`peak_levels` computes, once and in a worker, copies with ``FACTOR`` times fewer
buckets per level, each bucket kept as its lowest and highest value (so spikes and the
envelope stay visible at any zoom), down to at most ``BUDGET`` points. The curve panel draws
the coarsest copy that still shows the visible range at full detail (``level_for``).
"""

from __future__ import annotations

import numpy as np

FACTOR = 16  # buckets per level: 1M points -> 125k -> 7.8k -> 500 (as min/max pairs)
BUDGET = 4000  # points a curve is drawn with for its visible range (~2 per pixel column)

Level = tuple[np.ndarray, np.ndarray]


def peaks(x: np.ndarray, y: np.ndarray, k: int) -> Level:
    """Buckets of ``k`` points as (first x, lowest y), (last x, highest y) pairs; NaN only
    where a whole bucket is NaN (a NaN *run* stays a gap; the NaN markers come from the data)."""
    n = len(x)
    whole = n // k * k
    xs_first, xs_last = [x[:whole:k]], [x[k - 1:whole:k]]
    lows = [np.fmin.reduce(y[:whole].reshape(-1, k), axis=1)] if whole else []
    highs = [np.fmax.reduce(y[:whole].reshape(-1, k), axis=1)] if whole else []
    if whole < n:  # the last, partial bucket
        xs_first.append(x[whole:whole + 1])
        xs_last.append(x[n - 1:n])
        lows.append(np.fmin.reduce(y[whole:], keepdims=True))
        highs.append(np.fmax.reduce(y[whole:], keepdims=True))
    first, last = np.concatenate(xs_first), np.concatenate(xs_last)
    low, high = np.concatenate(lows), np.concatenate(highs)
    return np.column_stack([first, last]).ravel(), np.column_stack([low, high]).ravel()


def peak_levels(x: np.ndarray, y: np.ndarray) -> list[Level]:
    """Level 0 is the series itself (x as float64); each next level has ``FACTOR`` times fewer
    buckets, until a level holds at most ``BUDGET`` points."""
    levels: list[Level] = [(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))]
    while len(levels[-1][0]) > BUDGET:
        lx, ly = levels[-1]
        levels.append(peaks(lx, ly, FACTOR if len(levels) == 1 else FACTOR * 2))  # (pairs: 2 points a bucket)
    return levels


def visible_points(levels: list[Level], low: float, high: float) -> int:
    """How many points of the series itself lie in the x range [low, high]."""
    x = levels[0][0]
    return int(np.searchsorted(x, high, side="right") - np.searchsorted(x, low, side="left"))


def level_for(levels: list[Level], low: float, high: float) -> int:
    """The finest level whose part in the x range [low, high] holds at most ``BUDGET``
    points (the series itself when it is short there, the coarsest level otherwise)."""
    count = visible_points(levels, low, high)
    for index in range(len(levels)):
        shown = count if index == 0 else 2 * count / (FACTOR ** index)
        if shown <= BUDGET:
            return index
    return len(levels) - 1
