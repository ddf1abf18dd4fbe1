"""The Run types: metric naming, pairing, provenance, derived fit settings."""

import math

import numpy as np
import pytest

from app.core.run import FitSettings, Run, Series, Source, canonical_metric, series_from_points


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("acc", "accuracy"),
        ("val_acc", "val_accuracy"),
        ("accuracy", "accuracy"),
        ("lr", "learning_rate"),
        ("learning_rate", "learning_rate"),
        ("eval_loss", "val_loss"),
        ("validation_loss", "val_loss"),
        ("train_loss", "loss"),
        ("val_sparse_categorical_accuracy", "val_sparse_categorical_accuracy"),
        ("output_1_loss", "output_1_loss"),
        ("val_", "val_"),
    ],
)
def test_canonical_metric_names(raw, canonical):
    assert canonical_metric(raw) == canonical


def test_lightning_suffix_is_stripped_only_when_asked():
    assert canonical_metric("train_loss_epoch", strip_lightning_suffix=True) == "loss"
    assert canonical_metric("train_loss_epoch") == "loss_epoch"


def _series(name, ys, axis="epoch"):
    return Series(name, axis, np.arange(1, len(ys) + 1), np.array(ys, dtype=float))


def test_pairs_match_train_and_validation_by_name():
    run = Run("r", "test")
    for name in ("loss", "val_loss", "accuracy", "val_accuracy", "learning_rate", "val_auc"):
        run.add_series(_series(name, [1.0, 2.0]))
    assert run.pairs() == [
        ("accuracy", "val_accuracy"),
        ("learning_rate", None),
        ("loss", "val_loss"),
        ("val_auc", None),
    ]


def test_nan_and_inf_are_kept_and_last_value_reported():
    s = _series("loss", [0.5, math.nan, math.inf])
    assert np.isnan(s.y[1]) and np.isinf(s.y[2])
    assert s.last == math.inf
    assert math.isnan(s.value_at(2)) and math.isnan(s.value_at(99))


def test_series_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        Series("loss", "epoch", [1, 2], [1.0])


def test_series_from_points_sorts_dedups_and_keeps_lines():
    s = series_from_points("loss", "epoch", [(2, 0.4, 20), (1, 0.5, 10), (2, 0.3, 25)],
                           source_path="log.txt")
    assert s.x.tolist() == [1, 2]
    assert s.y.tolist() == [0.5, 0.3]
    assert s.source_of(1) == Source("log.txt", 25)


def test_epoch_count_counts_distinct_epochs_over_all_series():
    run = Run("r", "test")
    run.add_series(_series("loss", [1, 2, 3]))
    run.add_series(Series("val_loss", "epoch", [1, 3], [1.0, 2.0]))
    assert run.epoch_count == 3


def test_fit_settings_first_sighting_wins_and_batch_size_is_derived():
    fit = FitSettings()
    fit.set("train_samples", 60000, Source("log", 1))
    fit.set("train_samples", 1, Source("log", 9))
    fit.set("steps_per_epoch", 469, Source("log", 3))
    fit.derive()
    assert fit.train_samples == 60000
    assert fit.batch_size == 128  # ceil(60000/128) == 469
    assert fit.sources["train_samples"].line == 1


def test_batch_size_not_guessed_when_ambiguous():
    fit = FitSettings(train_samples=100, steps_per_epoch=100)
    fit.derive()
    assert fit.batch_size is None


def test_epoch_and_step_counts_are_kept_until_the_series_change():
    # issue 20: the window asked Run.epoch_count twice per 1M-row run on its thread (2.56 s)
    run = Run("r", "csvlogger")
    x = np.arange(1, 200_001)
    for name in ("loss", "accuracy", "val_loss"):
        run.add_series(Series(name, "epoch", x.copy(), np.zeros(x.size)))
    assert run.epoch_count == 200_000
    assert list(run._counted.values()) == [200_000]  # kept
    run.epochs["loss"] = Series("loss", "epoch", np.array([1, 5, 200_001]), np.zeros(3))  # replaced directly
    assert run.epoch_count == 200_001  # a new series: counted again
    run.add_series(Series("lr", "step", np.array([3, 1, 3]), np.zeros(3)))
    assert run.step_count == 2  # unsorted and repeated x are counted as distinct values
