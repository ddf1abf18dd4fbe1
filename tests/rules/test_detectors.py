"""Symptom detectors on curves with known shapes: each fires on its shape and stays silent
on healthy noise, on 2-epoch runs and on 100,000-step runs alike.

The shapes are generated here on purpose (exact onsets to assert); the real fixtures and
seed logs are checked in ``test_fixture_diagnoses.py``.
"""

import math

import numpy as np
import pytest

from app.core.run import CallbackEvent, Evaluation, Run, Series, Source
from app.rules.base import Context
from app.rules.engine import detect_symptoms

RNG = np.random.default_rng(7)


def _run(axis="epoch", events=(), evaluations=(), **series):
    run = Run("synthetic", "test")
    for name, values in series.items():
        y = np.asarray(values, dtype=float)
        run.add_series(Series(name, axis, np.arange(1, y.size + 1), y))
    run.events.extend(events)
    run.evaluations.extend(evaluations)
    return run


def _symptoms(run):
    return {s.id: s for s in detect_symptoms(Context(run=run))}


def _healthy_curves(n=30, noise=0.03):
    epochs = np.arange(n)
    loss = 0.7 * np.exp(-epochs / 6) + 0.1 + RNG.normal(0, noise * 0.3, n)
    val_loss = 0.7 * np.exp(-epochs / 6) + 0.15 + RNG.normal(0, noise, n)
    acc = 1 - 0.5 * np.exp(-epochs / 5) - 0.03 + RNG.normal(0, noise * 0.2, n)
    val_acc = 1 - 0.5 * np.exp(-epochs / 5) - 0.06 + RNG.normal(0, noise, n)
    return dict(loss=loss, val_loss=val_loss, accuracy=acc, val_accuracy=val_acc)


def test_healthy_noisy_run_is_healthy_only():
    found = _symptoms(_run(**_healthy_curves()))
    assert set(found) == {"healthy"}


def test_two_epoch_healthy_run():
    found = _symptoms(_run(loss=[0.69, 0.41], accuracy=[0.6, 0.83]))
    assert set(found) == {"healthy"}


def test_nan_from_epoch_3_on():
    loss = [1.2, 0.9, math.nan, math.nan, math.nan]
    found = _symptoms(_run(loss=loss, accuracy=[0.3, 0.4, 0.1, 0.1, 0.1]))
    nan = found["nan_loss"]
    assert (nan.metric, nan.start, nan.end) == ("loss", 3, 5)
    assert nan.strength == pytest.approx(1.0)
    assert "healthy" not in found


def test_terminate_on_nan_event_counts_as_nan_loss():
    event = CallbackEvent("terminate_on_nan", "Batch 3: Invalid loss, terminating training",
                          Source("log.txt", 40), epoch=2)
    found = _symptoms(_run(loss=[1.0, 0.8], events=[event]))
    assert found["nan_loss"].start == 2


def test_accuracy_stuck_at_half_for_two_classes():
    acc = 0.5 + RNG.normal(0, 0.004, 20)
    loss = 0.2500 + RNG.normal(0, 0.0005, 20)  # MSE on a sigmoid: no learning
    found = _symptoms(_run(loss=loss, accuracy=acc, binary_accuracy=acc))
    stuck = found["stuck_chance_accuracy"]
    assert stuck.start == 1 and stuck.end == 20 and stuck.params["chance"] == 0.5
    assert "plateau_no_learning" in found


def test_healthy_run_that_starts_at_chance_is_not_stuck():
    acc = [0.5, 0.55, 0.7, 0.82, 0.9, 0.93, 0.95, 0.96]
    loss = [0.69, 0.6, 0.45, 0.32, 0.22, 0.17, 0.13, 0.11]
    found = _symptoms(_run(loss=loss, accuracy=acc))
    assert set(found) == {"healthy"}


def test_val_stuck_while_training_improves():
    n = 10
    acc = np.linspace(0.6, 0.95, n)
    loss = np.linspace(0.65, 0.11, n)
    val_acc = 0.5 + RNG.normal(0, 0.003, n)
    val_loss = 0.9 + RNG.uniform(0, 0.8, n)
    found = _symptoms(_run(loss=loss, accuracy=acc, val_loss=val_loss, val_accuracy=val_acc,
                           binary_accuracy=acc))
    assert found["val_stuck_train_improves"].metric == "val_accuracy"
    assert "healthy" not in found



def test_validation_stuck_after_the_loss_diverged_is_not_training_improving():
    # seed 004's shape: the loss falls, then turns NaN; only then does validation sit at 0.5
    # while training accuracy falls to chance as well.
    run = _run(loss=[1.515, 0.2535, math.nan, math.nan, math.nan],
               val_loss=[0.4117, 1.781, math.nan, math.nan, math.nan],
               accuracy=[0.7662, 0.9459, 0.7468, 0.5, 0.5], val_accuracy=[0.8526, 0.7009, 0.5, 0.5, 0.5],
               binary_accuracy=[0.7662, 0.9459, 0.7468, 0.5, 0.5])  # two classes: chance 0.5
    found = _symptoms(run)
    assert "nan_loss" in found and "stuck_chance_accuracy" in found
    assert "val_stuck_train_improves" not in found


def test_validation_stuck_late_while_training_keeps_improving():
    # Validation learns for three epochs, then sticks at chance while training keeps improving.
    acc = np.concatenate([[0.55, 0.62, 0.68], np.linspace(0.72, 0.97, 9)])
    loss = np.concatenate([[0.69, 0.63, 0.58], np.linspace(0.52, 0.08, 9)])
    val_acc = np.concatenate([[0.56, 0.6, 0.64], 0.5 + RNG.normal(0, 0.003, 9)])
    found = _symptoms(_run(loss=loss, accuracy=acc, val_loss=np.linspace(0.7, 1.4, 12), val_accuracy=val_acc,
                           binary_accuracy=acc))
    stuck = found["val_stuck_train_improves"]
    assert stuck.start == 4 and stuck.params["train_first"] >= 0.68  # measured over the stuck stretch

def test_both_accuracies_at_the_majority_share_is_not_training_improving():
    # class_imbalance_mlp's shape: 5 % positives; the loss falls as the model learns the class
    # prior, training accuracy sits at its majority share (0.939), validation at its own (0.96).
    n = 20
    loss = 0.19 + 0.41 * np.exp(-np.arange(n) / 2)
    acc = np.concatenate([[0.7175, 0.925], np.full(n - 2, 0.9388)])
    val_acc = np.concatenate([[0.86], np.full(n - 1, 0.96)])
    found = _symptoms(_run(loss=loss, accuracy=acc, val_loss=0.2 + 0.28 * np.exp(-np.arange(n) / 2),
                           val_accuracy=val_acc, binary_accuracy=acc))
    assert found["stuck_chance_accuracy"].params["basis"] == "one class"
    assert "val_stuck_train_improves" not in found


def test_a_loss_that_rises_from_its_first_epoch_is_not_a_spike_after_a_decrease():
    # no_shuffle_sorted_mlp: the first epoch is the lowest (0.42), then single-class epochs
    # push the loss up to 1.4-3.5 where it stays. It never fell, so nothing spiked after a fall.
    loss = [0.4248, 1.4086, 1.9507, 3.5387, 1.8153, 1.9334] + [1.9101] * 9
    found = _symptoms(_run(loss=loss, accuracy=[0.915, 0.672, 0.695, 0.712, 0.612] + [0.6] * 10))
    assert "loss_spike" not in found


def test_eval_on_training_data_disagrees():
    evaluation = Evaluation({"loss": 1.7588, "accuracy": 0.5009}, Source("log", 113), label="train",
                            after_epoch=10)
    acc = np.linspace(0.7, 0.9548, 10)
    found = _symptoms(_run(loss=np.linspace(0.6, 0.11, 10), accuracy=acc, evaluations=[evaluation]))
    mismatch = found["eval_mismatch"]
    assert mismatch.params["evaluated"] == 0.5009 and mismatch.params["trained"] == 0.9548


def test_test_set_evaluation_close_to_validation_is_not_a_mismatch():
    evaluation = Evaluation({"accuracy": 0.80}, Source("log", 1), label="test")
    acc = np.linspace(0.7, 0.9, 10)
    found = _symptoms(_run(loss=np.linspace(0.6, 0.2, 10), accuracy=acc, evaluations=[evaluation]))
    assert "eval_mismatch" not in found


def test_loss_spike_after_long_decrease():
    n = 2000
    loss = 1.0 * np.exp(-np.arange(n) / 200) + 0.01 + RNG.normal(0, 0.001, n)
    loss[1500:] = 0.3 + RNG.normal(0, 0.01, n - 1500)  # jumps and stays higher
    found = _symptoms(_run(loss=loss))
    spike = found["loss_spike"]
    assert 1495 <= spike.start <= 1505
    assert "healthy" not in found


def test_single_noisy_epoch_is_not_a_spike():
    n = 300
    loss = np.exp(-np.arange(n) / 50) + 0.02
    loss[200] *= 4  # one bad epoch that recovers at once
    found = _symptoms(_run(loss=loss))
    assert "loss_spike" not in found


def test_overfitting_is_found_and_mild_early_stopping_is_normal():
    n = 40
    epochs = np.arange(n)
    loss = 0.8 * np.exp(-epochs / 8) + 0.02
    val_loss = 0.8 * np.exp(-epochs / 8) + 0.2 + np.maximum(0, epochs - 12) * 0.03
    found = _symptoms(_run(loss=loss, val_loss=val_loss))
    assert found["overfitting"].start in range(12, 16)

    mild = val_loss[:18].copy()
    mild[-4:] += [0.01, 0.02, 0.03, 0.04]
    stop = CallbackEvent("early_stopping", "Epoch 18: early stopping", Source("log", 90), epoch=18)
    found = _symptoms(_run(loss=loss[:18], val_loss=mild, events=[stop]))
    assert "overfitting" not in found and "healthy" in found


def test_oscillation_without_trend():
    loss = np.tile([0.5, 1.4, 0.6, 1.7, 0.4, 1.2], 5)
    found = _symptoms(_run(loss=loss))
    assert found["oscillation"].metric == "loss"


def test_noisy_validation_of_a_healthy_run_is_not_oscillation():
    curves = _healthy_curves(n=50, noise=0.06)
    found = _symptoms(_run(**curves))
    assert "oscillation" not in found


def test_loss_collapses_to_zero_at_once():
    loss = [0.4, 0.0004, 0.0001, 0.0000, 0.0000, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    found = _symptoms(_run(loss=loss))
    assert found["loss_collapse_zero"].start == 2


def test_slow_convergence():
    loss = np.linspace(2.3, 1.9, 30) + RNG.normal(0, 0.002, 30)
    found = _symptoms(_run(loss=loss))
    assert "slow_convergence" in found and "healthy" not in found


def test_hundred_thousand_steps_healthy_with_batch_noise():
    n = 100_000
    steps = np.arange(n)
    loss = (2.0 * np.exp(-steps / 15_000) + 0.1) * RNG.lognormal(0, 0.25, n)
    found = _symptoms(_run(axis="step", loss=loss))
    assert set(found) == {"healthy"}


def test_hundred_thousand_steps_with_nan():
    n = 100_000
    loss = np.exp(-np.arange(n) / 20_000) + 0.1
    loss[61_234:] = np.nan
    found = _symptoms(_run(axis="step", loss=loss))
    assert found["nan_loss"].start == 61_235
    assert found["nan_loss"].axis == "step"


def test_accuracy_frozen_at_the_majority_share_while_the_loss_falls():
    # 95/5 labels: the model always answers the majority class; its loss still falls.
    acc = [0.72, 0.925] + [0.939] * 18
    loss = list(0.6 * np.exp(-np.arange(20) / 4) + 0.19)
    stuck = _symptoms(_run(loss=loss, accuracy=acc))["stuck_chance_accuracy"]
    assert stuck.params["basis"] == "one class" and stuck.params["low"] == 0.939
    assert stuck.start == 3


def test_accuracy_levelling_off_high_with_a_flat_loss_is_healthy():
    acc = [0.72, 0.9, 0.93] + [0.95] * 17
    loss = [0.6, 0.3, 0.2] + [0.15] * 17
    assert "stuck_chance_accuracy" not in _symptoms(_run(loss=loss, accuracy=acc))
    # ... and a perfect training score held while the loss falls is not "one class".
    perfect = [0.8, 0.95] + [1.0] * 18
    assert "stuck_chance_accuracy" not in _symptoms(_run(loss=loss[:1] + list(np.geomspace(0.3, 0.001, 19)),
                                                          accuracy=perfect))


def test_a_range_whose_ends_read_the_same_is_one_number():
    from app.core.i18n import value_range

    assert value_range(0.5, 0.5) == "0.5" and value_range(0.50001, 0.49999) == "0.5"
    assert value_range(0.4988, 0.5009) == "0.4988–0.5009"
    run = _run(loss=[0.69] * 8, accuracy=[0.5] * 8, binary_accuracy=[0.5] * 8)
    stuck = _symptoms(run)["stuck_chance_accuracy"]
    assert "accuracy stays at 0.5 over epochs 1–8;" in stuck.detail.render("en", stuck.params)
    assert "0.5–0.5" not in stuck.detail.render("zh_CN", stuck.params)


def test_counted_nouns_take_the_form_of_their_count_in_english():
    from app.core.i18n import T, plural_forms

    assert plural_forms("1 layer(s) without a bias") == "1 layer without a bias"
    assert plural_forms("3 BatchNormalization layer(s) without renorm") == "3 BatchNormalization layers without renorm"
    assert plural_forms("12,000 unit(s)") == "12,000 units"
    assert plural_forms("the model's input(s)") == "the model's input(s)"  # no count: left as written
    text = T("{count} layer(s) without a bias", "{count} 个没有偏置的层")
    assert text.render("en", {"count": 1}) == "1 layer without a bias"
    assert text.render("zh_CN", {"count": 1}) == "1 个没有偏置的层"


def test_a_loss_flat_after_an_exploding_first_epoch_is_no_learning():
    # unnormalized_inputs_mlp: 2.9e4 in epoch 1 (a collapse in its first steps), then 1.08 for
    # good, accuracy at chance for three classes.
    loss = [28665.26] + list(np.linspace(1.082, 1.0799, 14))
    acc = [0.295, 0.3583] + [0.3633] * 13
    found = _symptoms(_run(loss=loss, accuracy=acc, categorical_accuracy=acc))
    plateau = found["plateau_no_learning"]
    assert (plateau.start, plateau.end) == (2, 15)
    assert "after 28665.3 in the first epoch" in plateau.detail.render("en", plateau.params)
    # The same first epoch, then a model that learned in it: not a plateau.
    learned = _symptoms(_run(loss=[28665.26] + list(np.linspace(0.09, 0.088, 14)), accuracy=[0.6] + [0.97] * 14,
                             categorical_accuracy=[0.6] + [0.97] * 14))
    assert "plateau_no_learning" not in learned
