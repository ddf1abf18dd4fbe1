"""app.core.decimate: the peak-decimated copies a long curve is drawn from (issue 20: the
window's thread never handles a million points)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.decimate import BUDGET, FACTOR, level_for, peak_levels, peaks
from app.core.run import Series


def test_a_bucket_keeps_its_lowest_and_highest_value_at_its_ends():
    x = np.arange(10, dtype=float)
    y = np.array([3, 1, 2, 9, 5, 4, 0, 8, 7, 6], dtype=float)
    px, py = peaks(x, y, 4)
    assert px.tolist() == [0, 3, 4, 7, 8, 9]  # first and last x of each bucket (the last partial)
    assert py.tolist() == [1, 9, 0, 8, 6, 7]


def test_nan_stays_only_where_a_whole_bucket_is_nan():
    y = np.array([1, np.nan, 2, 3, np.nan, np.nan, np.nan, np.nan], dtype=float)
    _, py = peaks(np.arange(8, dtype=float), y, 4)
    assert py[:2].tolist() == [1, 3] and np.isnan(py[2:]).all()


def test_levels_shrink_by_the_factor_down_to_the_budget():
    n = 1_000_000
    levels = peak_levels(np.arange(n), np.sin(np.arange(n) / 1000.0))
    sizes = [len(x) for x, _ in levels]
    assert sizes[0] == n and sizes[-1] <= BUDGET < sizes[-2]
    assert all(abs(a / b - FACTOR) < 0.1 for a, b in zip(sizes[1:], sizes[2:]))
    for x, y in levels:  # the envelope and the x extent never change
        assert x[0] == 0 and x[-1] == n - 1 and y.max() == levels[0][1].max() and y.min() == levels[0][1].min()


def test_the_level_drawn_fits_the_visible_range():
    levels = peak_levels(np.arange(1_000_000), np.zeros(1_000_000))
    assert level_for(levels, 0, 1_000_000) == len(levels) - 1  # all of it: the coarsest
    assert level_for(levels, 500_000, 500_000 + BUDGET - 1) == 0  # a few thousand points: every one
    middle = level_for(levels, 0, 100_000)
    assert 0 < middle < len(levels) - 1


def test_a_short_series_is_its_own_only_level():
    series = Series("loss", "epoch", [1, 2, 3], [0.5, 0.4, 0.3])
    (level,) = series.display_levels()
    assert level[1].tolist() == [0.5, 0.4, 0.3]
    assert series.display_levels() is series.display_levels()  # computed once (in the worker)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=300), st.integers(2, 40))
def test_every_value_lies_in_its_buckets_range(values, k):
    y = np.array(values, dtype=float)
    x = np.arange(len(y), dtype=float)
    px, py = peaks(x, y, k)
    assert len(px) == len(py) == 2 * -(-len(y) // k)
    for b in range(len(px) // 2):
        chunk = y[b * k:(b + 1) * k]
        finite = chunk[~np.isnan(chunk)]
        if finite.size:
            assert py[2 * b] == finite.min() and py[2 * b + 1] == finite.max()
        else:
            assert np.isnan(py[2 * b]) and np.isnan(py[2 * b + 1])
