"""``app.rules.curves.curve``: bin medians of long series, computed once per series.

The medians are checked against numpy's own ``nanmedian`` per bin (hypothesis draws the
series, their length and where NaN/inf sit), so the faster partition-based code cannot
drift from the definition the detectors were calibrated with.
"""

import warnings

import numpy as np
from hypothesis import given, settings, strategies as st

from app.core.run import Run, Series
from app.rules.causes.learning_rate_too_high import CUT_FACTOR, rate_cuts
from app.rules.base import Context
from app.rules.curves import MAX_POINTS, _row_medians, curve


def reference(y: np.ndarray, max_points: int) -> np.ndarray:
    """Per bin: the first NaN/inf if the bin has one, else the median (the documented rule)."""
    bins = np.linspace(0, y.size, max_points + 1).astype(np.int64)
    out = []
    for a, b in zip(bins[:-1], bins[1:]):
        part = y[a:b]
        bad = ~np.isfinite(part)
        out.append(part[np.argmax(bad)] if bad.any() else np.median(part))
    return np.array(out)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(21, 400), max_points=st.integers(2, 20), seed=st.integers(0, 2**31 - 1),
       bad_share=st.sampled_from([0.0, 0.01, 0.2, 0.9]))
def test_bin_medians_match_numpy(n, max_points, seed, bad_share):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n) * 10.0 ** int(rng.integers(-6, 6))
    y[rng.random(n) < bad_share] = rng.choice([np.nan, np.inf, -np.inf])
    c = curve(Series("loss", "step", np.arange(n), y), max_points)
    assert c.reduced and len(c) == max_points
    np.testing.assert_allclose(c.y, reference(y, max_points), equal_nan=True)
    bins = np.linspace(0, n, max_points + 1).astype(np.int64)
    assert np.array_equal(c.x, np.arange(n)[bins[1:] - 1])  # a bin is labeled by its last x


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 30), width=st.integers(1, 25), seed=st.integers(0, 2**31 - 1),
       drop=st.sampled_from([0.0, 0.1, 0.5, 1.0]))
def test_row_medians_are_nanmedian_of_the_kept_values(rows, width, seed, drop):
    rng = np.random.default_rng(seed)
    block = rng.normal(size=(rows, width))
    keep = rng.random((rows, width)) >= drop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanmedian(np.where(keep, block, np.nan), axis=1)
    np.testing.assert_allclose(_row_medians(block.copy(), keep), want, equal_nan=True)


def test_a_short_series_is_its_own_curve():
    s = Series("loss", "epoch", np.arange(1, 6), [5.0, 4, 3, 2, 1])
    c = curve(s)
    assert not c.reduced and c.y is s.y


def test_the_binned_curve_is_kept_until_the_series_changes():
    n = 10 * MAX_POINTS
    s = Series("loss", "step", np.arange(n), np.linspace(1.0, 0.0, n))
    first = curve(s)
    assert curve(s) is first  # the detectors share one binning per diagnosis
    s.y = np.linspace(2.0, 1.0, n)  # a live run replaces its arrays as lines arrive
    again = curve(s)
    assert again is not first and again.y[0] > 1.0
    assert curve(s, 50) is not again and len(curve(s, 50)) == 50


def test_rate_cuts_from_a_learning_rate_series():
    y = [0.1, 0.1, 0.05, 0.05, 0.049, float("nan"), 0.01, 0.001, 0.0]
    run = Run(name="r", format="csvlogger", epochs={"learning_rate": Series("learning_rate", "epoch", np.arange(1, 10), y)})
    cuts = rate_cuts(Context(run=run))
    # cut where the new rate is below CUT_FACTOR x the old one, both finite, the new one > 0
    assert CUT_FACTOR == 0.9
    assert [(c.epoch, c.old, c.new) for c in cuts] == [(3, 0.1, 0.05), (8, 0.01, 0.001)]
