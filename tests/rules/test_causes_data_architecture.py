"""Cause rules of the data and architecture group: BatchNormalization, input handling,
shuffling, labels, class balance, the Flatten→Dense bottleneck, overfitting, Lambda layers.

Per rule: a firing model/settings, a contradicting one (silent), symptoms without a model
(capped, with a "settle" hint) where the rule can do without one, and a healthy log (static
evidence weakened by the absence piece). Then the real Keras fixtures in tests/fixtures/runs.
The registry does not list these rules yet, so they are run with ``evaluate_rule`` directly.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.diagnosis import REPORTING_THRESHOLD
from app.core.i18n import Text
from app.core.ids import CAUSES, SYMPTOMS
from app.core.model import BatchNormSpec, CompileSpec, LayerSpec, LossSpec, ModelSpec, OptimizerSpec
from app.core.run import CallbackEvent, Evaluation, FitSettings, Run, Series, Source
from app.io.load import load_paths
from app.rules.base import Context
from app.rules.causes.activation_on_input import ActivationOnInput
from app.rules.causes.batchnorm_small_batch import BatchnormSmallBatch
from app.rules.causes.batchnorm_train_inference_mismatch import BatchnormTrainInferenceMismatch
from app.rules.causes.class_imbalance import ClassImbalance
from app.rules.causes.dense_bottleneck import DenseBottleneck, find_bottlenecks
from app.rules.causes.label_error import LabelError
from app.rules.causes.no_shuffle_sorted_data import NoShuffleSortedData
from app.rules.causes.overfitting_small_data import OverfittingSmallData
from app.rules.causes.unnormalized_inputs import UnnormalizedInputs
from app.rules.causes.unsafe_lambda_layer import UnsafeLambdaLayer
from app.rules.engine import ABSENT_SYMPTOMS_WEIGHT, OWN_CURVES_CAP, SYMPTOM_ONLY_CAP, UNSUPPORTED_BY_MODEL, \
    detect_symptoms, \
    evaluate_rule, merge_settings

ALL_RULES = [BatchnormTrainInferenceMismatch, BatchnormSmallBatch, UnnormalizedInputs, ActivationOnInput,
             NoShuffleSortedData, LabelError, ClassImbalance, DenseBottleneck, OverfittingSmallData,
             UnsafeLambdaLayer]
PATCH_IDS = {"set_output_activation", "set_from_logits", "set_loss", "set_learning_rate",
             "set_optimizer_epsilon", "set_momentum", "set_clipnorm", "set_clipvalue", "switch_optimizer",
             "batchnorm_renorm", "swap_normalization", "set_initializer", "enable_bias",
             "drop_bias_regularizer", "remove_input_activation", "insert_normalization",
             "replace_flatten_with_gap", "set_shuffle", "set_batch_size", "set_class_weight",
             "add_early_stopping", "add_regularization", "replace_lambda", "check_labels", "set_activation"}
RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "runs"
SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"


# ---------------------------------------------------------------- builders

def lay(name, class_name, activation=None, units=None, params=0, shape=None, inbound=(), trainable=True, **extra):
    return LayerSpec(name=name, class_name=class_name, path=name, activation=activation, units=units,
                     params_total=params, params_trainable=params if trainable else 0,
                     output_shape=shape, inbound=list(inbound), trainable=trainable, **extra)


def bn(name="bn", momentum=0.99, renorm=False, trainable=True, shape=(None, 30, 16)):
    return lay(name, "BatchNormalization", params=64, shape=shape, trainable=trainable,
               batchnorm=BatchNormSpec(momentum=momentum, epsilon=1e-3, renorm=renorm))


def conv(name="conv", filters=16, params=800, shape=(None, 30, 16), activation="relu"):
    return lay(name, "Conv1D", activation, units=filters, params=params, shape=shape)


def dense(name, units, activation="relu", params=None, shape=None, **extra):
    return lay(name, "Dense", activation, units=units, params=params or 0, shape=shape or (None, units), **extra)


def model(layers, loss="categorical_crossentropy", complete=True, class_name="Sequential"):
    total = sum(layer.params_total or 0 for layer in layers)
    trainable = sum(layer.params_trainable or 0 for layer in layers)
    return ModelSpec("m", class_name, "keras", source_path="m.keras", layers=layers,
                     output_names=[layers[-1].name],
                     compile=CompileSpec(loss=[LossSpec(loss, from_logits=False)] if loss else [],
                                         optimizer=OptimizerSpec("Adam", learning_rate=1e-3), metrics=["accuracy"]),
                     params_total=total, params_trainable=trainable, complete=complete)


def bn_cnn(**bn_kw):
    """Conv1D + BN + softmax head with GlobalAveragePooling (no Flatten bottleneck)."""
    return model([conv(), bn(**bn_kw), lay("act", "Activation", "relu", shape=(None, 30, 16)),
                  lay("gap", "GlobalAveragePooling1D", shape=(None, 16)), dense("out", 2, "softmax", params=34)])


def plain_mlp(first=None):
    layers = [first] if first else []
    layers += [dense("d1", 32, params=416), dense("d2", 3, "softmax", params=99)]
    return model(layers)


def flatten_cnn(dense_params=32832, positions=32, channels=16, units=64):
    return model([conv(params=800, shape=(None, positions, channels)),
                  lay("flatten", "Flatten", shape=(None, positions * channels)),
                  dense("dense", units, params=dense_params),
                  dense("out", 2, "softmax", params=units * 2 + 2)])


def run(events=(), evaluations=(), **series):
    result = Run("synthetic", "test")
    for name, values in series.items():
        y = np.asarray(values, dtype=float)
        result.add_series(Series(name, "epoch", np.arange(1, y.size + 1), y, source_path="log.csv",
                                 source_lines=np.arange(2, y.size + 2)))
    result.events.extend(events)
    result.evaluations.extend(evaluations)
    return result


def noise(scale, n, seed=11):
    return np.random.default_rng(seed).normal(0, scale, n)


def healthy_run(n=30):
    e = np.arange(n)
    return run(loss=0.7 * np.exp(-e / 6) + 0.1 + noise(0.01, n),
               accuracy=1 - 0.5 * np.exp(-e / 5) - 0.03 + noise(0.005, n, seed=12))


def eval_mismatch_run(n=12):
    """Training accuracy climbs to 0.95 while evaluate() on the training data gives 0.5."""
    return run(loss=np.linspace(0.7, 0.15, n), accuracy=np.linspace(0.6, 0.95, n),
               val_accuracy=0.5 + noise(0.002, n), val_loss=np.linspace(1.3, 3.0, n),
               evaluations=[Evaluation({"accuracy": 0.5, "loss": 2.6}, Source("log.txt", 40), label="train",
                                       after_epoch=n)])


def oscillating_run():
    return run(loss=np.tile([0.5, 1.4, 0.6, 1.7, 0.4, 1.2], 5))


def overfitting_run(n=30, events=()):
    e = np.arange(n)
    return run(loss=0.8 * np.exp(-e / 5) + 0.02, val_loss=0.5 + 0.0015 * (e - 8) ** 2,
               accuracy=np.minimum(0.99, 0.6 + 0.02 * e), val_accuracy=0.75 - 0.004 * np.maximum(0, e - 8),
               events=events)


def collapse_run(n=20):
    loss = np.full(n, 1e-5)
    loss[0] = 0.6
    return run(loss=loss, accuracy=np.r_[0.6, np.ones(n - 1)], val_accuracy=0.5 + noise(0.003, n))


def frozen_accuracy_run(level=0.88, n=12):
    return run(loss=0.35 + noise(0.001, n), accuracy=np.full(n, level), val_accuracy=np.full(n, level))


def slow_run():
    return run(loss=np.linspace(2.3, 1.9, 30) + noise(0.002, 30))


def diagnose(rule_class, model_spec=None, run_=None, settings=None):
    ctx = Context(run=run_, model=model_spec, settings=settings or FitSettings())
    if run_ is not None:
        detect_symptoms(ctx)
    return evaluate_rule(rule_class(), ctx), ctx


def fit(**values):
    settings_ = FitSettings()
    for key, value in values.items():
        settings_.set(key, value, Source("train.py", 12))
    settings_.derive()
    return settings_


def codes(finding):
    return {e.code for e in finding.evidence}


def weight_of(finding, code):
    return next(e.weight for e in finding.evidence if e.code == code)


def confidence(rule_class, model_spec=None, run_=None, settings=None):
    finding, _ = diagnose(rule_class, model_spec, run_, settings)
    return finding.confidence if finding is not None else 0.0


def assert_symptom_only(finding, rule_class, symptom):
    assert finding is not None
    assert symptom in codes(finding)
    assert all(e.kind in ("symptom",) for e in finding.evidence)
    assert 0 < finding.confidence <= SYMPTOM_ONLY_CAP
    assert finding.settle == rule_class.settle


def assert_weakened_by_healthy_log(rule_class, model_spec, settings=None):
    alone = confidence(rule_class, model_spec, settings=settings)
    finding, ctx = diagnose(rule_class, model_spec, healthy_run(), settings)
    assert ctx.has("healthy")
    assert "symptoms_absent" in codes(finding)
    assert finding.confidence == pytest.approx(alone * (1 + ABSENT_SYMPTOMS_WEIGHT))
    assert finding.confidence < REPORTING_THRESHOLD
    return finding


# ---------------------------------------------------------------- every rule

@pytest.mark.parametrize("rule_class", ALL_RULES, ids=lambda r: r.id)
def test_rule_is_documented_and_uses_known_ids(rule_class):
    assert rule_class.id in CAUSES
    assert rule_class.__module__.rsplit(".", 1)[1] == rule_class.id
    for field in ("title", "explanation", "when_not"):
        text = getattr(rule_class, field)
        assert isinstance(text, Text)
        assert re.search(r"[\u4e00-\u9fff]", text.zh_CN), field
    assert all(item.symptom in SYMPTOMS for item in rule_class.explains)
    assert bool(rule_class.explains) == (rule_class is not UnsafeLambdaLayer)


FIRING_CASES = {
    "batchnorm_train_inference_mismatch": (bn_cnn(), fit(shuffle=False, steps_per_epoch=20, epochs_planned=5)),
    "batchnorm_small_batch": (bn_cnn(), fit(batch_size=4)),
    "unnormalized_inputs": (plain_mlp(), None),
    "activation_on_input": (plain_mlp(lay("act", "Activation", "relu", shape=(None, 12))), None),
    "no_shuffle_sorted_data": (None, fit(shuffle=False)),
    "dense_bottleneck": (flatten_cnn(), None),
    "overfitting_small_data": (plain_mlp(), fit(train_samples=20)),
    "unsafe_lambda_layer": (model([lay("lam", "Lambda", lambda_code="lambda x: (x - x.mean()) / x.std()"),
                                   dense("out", 2, "softmax", params=10)]), None),
}


@pytest.mark.parametrize("rule_class", ALL_RULES, ids=lambda r: r.id)
def test_fixes_use_the_patch_vocabulary_and_carry_code(rule_class):
    spec, settings_ = FIRING_CASES.get(rule_class.id, (None, None))
    for ctx in (Context(model=spec, settings=settings_ or FitSettings()), Context()):
        fixes = rule_class().fixes(ctx)
        assert fixes
        for fix in fixes:
            assert fix.id in PATCH_IDS
            assert fix.applicability in ("safe", "review", "manual")
            assert fix.code.strip()
            for lang in ("en", "zh_CN"):
                assert "{" not in fix.title.render(lang, fix.params)


@pytest.mark.parametrize("rule_class", [r for r in ALL_RULES if r.id in FIRING_CASES], ids=lambda r: r.id)
def test_firing_evidence_renders_in_both_languages_without_placeholders(rule_class):
    spec, settings_ = FIRING_CASES[rule_class.id]
    finding, _ = diagnose(rule_class, spec, settings=settings_)
    assert finding is not None and any(e.weight > 0 for e in finding.evidence)
    for item in finding.evidence:
        assert -1 <= item.weight <= 1
        for lang in ("en", "zh_CN"):
            text = item.describe(lang)
            assert text and "{" not in text, (item.code, lang, text)
        assert re.search(r"[\u4e00-\u9fff]", item.describe("zh_CN"))


# ---------------------------------------------------------------- batchnorm_train_inference_mismatch

def test_bn_mismatch_fires_on_unshuffled_short_training():
    finding, _ = diagnose(BatchnormTrainInferenceMismatch, bn_cnn(),
                          settings=fit(shuffle=False, steps_per_epoch=20, epochs_planned=5))
    assert {"batchnorm_present", "epoch_shorter_than_window", "no_shuffle"} <= codes(finding)
    assert finding.confidence >= 0.6
    shuffle = next(e for e in finding.evidence if e.code == "no_shuffle")
    assert shuffle.where == {"setting": "fit.shuffle"} and shuffle.source == Source("train.py", 12)
    assert next(e for e in finding.evidence if e.code == "batchnorm_present").where == {"layer": "bn"}


def test_bn_alone_is_not_reported_but_eval_mismatch_makes_it():
    alone = confidence(BatchnormTrainInferenceMismatch, bn_cnn())
    assert 0 < alone < REPORTING_THRESHOLD
    finding, ctx = diagnose(BatchnormTrainInferenceMismatch, bn_cnn(), eval_mismatch_run())
    assert ctx.has("eval_mismatch")
    assert finding.confidence >= REPORTING_THRESHOLD


def test_bn_training_long_against_the_window_counts_less_than_short():
    short = confidence(BatchnormTrainInferenceMismatch, bn_cnn(), settings=fit(steps_per_epoch=200, epochs_planned=3))
    long = confidence(BatchnormTrainInferenceMismatch, bn_cnn(), settings=fit(steps_per_epoch=200, epochs_planned=50))
    assert short > long == pytest.approx(confidence(BatchnormTrainInferenceMismatch, bn_cnn()))


@pytest.mark.parametrize("spec, code", [
    (bn_cnn(renorm=True), "batchnorm_renorm"),
    (bn_cnn(trainable=False), "batchnorm_frozen"),
    (plain_mlp(), "no_batchnorm"),
    (model([dense("d", 8, params=40), lay("ln", "LayerNormalization", params=16), dense("o", 2, "softmax", params=18)]),
     "no_batchnorm"),
])
def test_bn_mismatch_is_silent_without_batch_statistics(spec, code):
    finding, _ = diagnose(BatchnormTrainInferenceMismatch, spec, eval_mismatch_run(), fit(shuffle=False))
    assert code in codes(finding)
    assert weight_of(finding, code) < 0
    assert finding.confidence < 0.2


def test_bn_mismatch_says_what_replaces_batchnorm():
    spec = model([dense("d", 8, params=40), lay("ln", "LayerNormalization", params=16),
                  dense("o", 2, "softmax", params=18)])
    finding, _ = diagnose(BatchnormTrainInferenceMismatch, spec, eval_mismatch_run())
    assert "LayerNormalization" in next(e for e in finding.evidence if e.code == "no_batchnorm").describe("en")


def test_bn_mismatch_symptom_only():
    finding, _ = diagnose(BatchnormTrainInferenceMismatch, None, eval_mismatch_run())
    assert_symptom_only(finding, BatchnormTrainInferenceMismatch, "eval_mismatch")


def test_bn_mismatch_weakened_by_healthy_log():
    finding = assert_weakened_by_healthy_log(BatchnormTrainInferenceMismatch, bn_cnn(),
                                             fit(shuffle=False, steps_per_epoch=20, epochs_planned=5, batch_size=4))
    # Every risk factor is shown, but together they stay at the static cap.
    assert {"batchnorm_present", "epoch_shorter_than_window", "no_shuffle", "small_batch"} <= codes(finding)
    assert confidence(BatchnormTrainInferenceMismatch, bn_cnn(), settings=fit(
        shuffle=False, steps_per_epoch=20, epochs_planned=5, batch_size=4)) <= 0.61


def test_bn_mismatch_fixes_offer_renorm_and_shuffle_when_unshuffled():
    ctx = Context(model=bn_cnn(), settings=fit(shuffle=False, batch_size=64))
    ids = [fix.id for fix in BatchnormTrainInferenceMismatch().fixes(ctx)]
    assert ids == ["batchnorm_renorm", "swap_normalization", "set_shuffle"]
    assert "renorm=True" in BatchnormTrainInferenceMismatch().fixes(ctx)[0].code


# ---------------------------------------------------------------- batchnorm_small_batch

@pytest.mark.parametrize("batch, code, reported", [(2, "small_batch", True), (8, "small_batch", True),
                                                   (16, "batch_moderate", False), (64, "batch_large_enough", False)])
def test_small_batch_by_batch_size(batch, code, reported):
    finding, _ = diagnose(BatchnormSmallBatch, bn_cnn(), settings=fit(batch_size=batch))
    if reported:
        assert codes(finding) == {code}
        assert finding.confidence >= REPORTING_THRESHOLD
        assert finding.evidence[0].params["batch_size"] == batch
    else:
        assert finding is None  # only evidence against: nothing to report


def test_small_batch_derived_from_samples_and_steps():
    finding, _ = diagnose(BatchnormSmallBatch, bn_cnn(), settings=fit(train_samples=800, steps_per_epoch=100))
    assert finding.evidence[0].params["batch_size"] == 8


def test_small_batch_contradicted_by_large_batches_and_no_bn():
    finding, _ = diagnose(BatchnormSmallBatch, bn_cnn(), oscillating_run(), fit(batch_size=128))
    assert weight_of(finding, "batch_large_enough") < 0 and finding.confidence < 0.1
    finding, _ = diagnose(BatchnormSmallBatch, plain_mlp(), oscillating_run(), fit(batch_size=4))
    assert "no_batchnorm" in codes(finding) and finding.confidence < 0.1


def test_small_batch_unknown_batch_size_stays_capped():
    finding, _ = diagnose(BatchnormSmallBatch, bn_cnn(), eval_mismatch_run())
    assert_symptom_only(finding, BatchnormSmallBatch, "eval_mismatch")
    finding, _ = diagnose(BatchnormSmallBatch, None, oscillating_run())
    assert_symptom_only(finding, BatchnormSmallBatch, "oscillation")


def test_small_batch_weakened_by_healthy_log():
    assert_weakened_by_healthy_log(BatchnormSmallBatch, bn_cnn(), fit(batch_size=8))


def test_tiny_batch_stays_reported_even_with_a_healthy_log():
    # Batch statistics of 4 samples are noise: static evidence strong enough on its own.
    finding, ctx = diagnose(BatchnormSmallBatch, bn_cnn(), healthy_run(), fit(batch_size=4))
    assert ctx.has("healthy") and "symptoms_absent" in codes(finding)
    assert finding.confidence >= REPORTING_THRESHOLD


# ---------------------------------------------------------------- unnormalized_inputs

def test_unnormalized_inputs_weak_hint_without_a_scaling_layer():
    finding, _ = diagnose(UnnormalizedInputs, plain_mlp())
    assert codes(finding) == {"no_input_scaling"}
    assert 0 < finding.confidence < REPORTING_THRESHOLD
    assert finding.evidence[0].where == {"layer": "d1"}


def test_unnormalized_inputs_large_first_loss_and_slow_curve_make_it():
    spec = plain_mlp()
    log = run(loss=np.r_[25.0, np.linspace(20.0, 17.0, 29)], accuracy=np.linspace(0.3, 0.4, 30))
    finding, ctx = diagnose(UnnormalizedInputs, spec, log)
    assert "large_first_loss" in codes(finding)
    first = next(e for e in finding.evidence if e.code == "large_first_loss")
    assert first.params["classes"] == 3 and first.params["loss"] == 25.0
    assert finding.confidence > confidence(UnnormalizedInputs, spec)


@pytest.mark.parametrize("first, code", [
    (lay("norm", "Normalization", shape=(None, 12)), "input_scaled"),
    (lay("rescale", "Rescaling", shape=(None, 12)), "input_scaled"),
    (lay("emb", "Embedding", units=16, params=160), "non_numeric_input"),
])
def test_unnormalized_inputs_silent_when_the_model_scales_its_input(first, code):
    finding, _ = diagnose(UnnormalizedInputs, plain_mlp(first), slow_run())
    assert weight_of(finding, code) < 0
    assert "no_input_scaling" not in codes(finding)
    assert finding.confidence < 0.15


def test_unnormalized_inputs_bn_after_first_layer_weakens_it():
    spec = model([conv(), bn(), lay("gap", "GlobalAveragePooling1D"), dense("out", 2, "softmax", params=34)])
    finding, _ = diagnose(UnnormalizedInputs, spec)
    assert weight_of(finding, "normalized_after_first_layer") < 0
    assert finding.confidence < confidence(UnnormalizedInputs, plain_mlp())


def test_unnormalized_inputs_symptom_only():
    finding, _ = diagnose(UnnormalizedInputs, None, slow_run())
    assert_symptom_only(finding, UnnormalizedInputs, "slow_convergence")


def test_unnormalized_inputs_weakened_by_healthy_log():
    assert_weakened_by_healthy_log(UnnormalizedInputs, plain_mlp())


# ---------------------------------------------------------------- activation_on_input

@pytest.mark.parametrize("first, weight", [
    (lay("act", "Activation", "relu"), 0.75), (lay("relu", "ReLU", "relu"), 0.75),
    (lay("act", "Activation", "tanh"), 0.5), (lay("leaky", "LeakyReLU", "leaky_relu"), 0.35),
])
def test_activation_on_input_fires(first, weight):
    finding, _ = diagnose(ActivationOnInput, plain_mlp(first))
    assert weight_of(finding, "activation_on_input") == weight
    assert finding.evidence[0].where == {"layer": first.name}


def test_activation_on_input_functional_model_follows_inbound_links():
    layers = [lay("inp", "InputLayer", shape=(None, 12)), lay("act", "Activation", "relu", inbound=["inp"]),
              dense("d1", 8, params=104, inbound=["act"]), dense("out", 2, "softmax", params=18, inbound=["d1"])]
    finding, _ = diagnose(ActivationOnInput, model(layers, class_name="Functional"))
    assert finding.confidence >= 0.7 and finding.evidence[0].params["layer"] == "act"


def test_activation_on_input_silent_when_input_feeds_weights_or_linear():
    for first in (None, lay("lin", "Activation", "linear")):
        finding, _ = diagnose(ActivationOnInput, plain_mlp(first), run(loss=np.linspace(1, 0.9, 30)))
        assert finding is None or finding.confidence < 0.1
    finding, _ = diagnose(ActivationOnInput, plain_mlp(), slow_run())
    assert weight_of(finding, "input_feeds_layer") < 0


def test_activation_on_input_needs_a_model():
    assert ActivationOnInput.needs == ("model",)
    finding, _ = diagnose(ActivationOnInput, None, slow_run())
    assert finding is not None and finding.confidence <= SYMPTOM_ONLY_CAP and finding.settle is not None


def test_activation_on_input_stays_reported_on_a_healthy_log():
    spec = plain_mlp(lay("act", "Activation", "relu"))
    alone = confidence(ActivationOnInput, spec)
    finding, ctx = diagnose(ActivationOnInput, spec, healthy_run())
    assert "symptoms_absent" in codes(finding)
    assert finding.confidence == pytest.approx(alone * (1 + ABSENT_SYMPTOMS_WEIGHT))
    assert finding.confidence >= REPORTING_THRESHOLD  # a clear mistake even when training went fine


# ---------------------------------------------------------------- no_shuffle_sorted_data

def test_no_shuffle_fires_from_settings_alone():
    finding, _ = diagnose(NoShuffleSortedData, settings=fit(shuffle=False))
    assert codes(finding) == {"shuffle_false"} and finding.confidence >= REPORTING_THRESHOLD
    assert finding.settle is None


def test_no_shuffle_reads_the_runs_own_settings():
    log = eval_mismatch_run()
    log.fit.set("shuffle", False, Source("console.txt", 3))
    finding, _ = diagnose(NoShuffleSortedData, None, log)
    assert "shuffle_false" in codes(finding) and finding.confidence >= 0.6
    assert next(e for e in finding.evidence if e.code == "shuffle_false").source == Source("console.txt", 3)


def test_no_shuffle_contradicted_by_shuffle_true():
    finding, _ = diagnose(NoShuffleSortedData, None, oscillating_run(), fit(shuffle=True))
    assert weight_of(finding, "shuffle_true") < 0 and finding.confidence < 0.15


def test_no_shuffle_symptom_only_and_unknown_setting():
    finding, _ = diagnose(NoShuffleSortedData, None, oscillating_run())
    assert_symptom_only(finding, NoShuffleSortedData, "oscillation")
    assert diagnose(NoShuffleSortedData)[0] is None


def test_no_shuffle_weakened_by_healthy_log():
    assert_weakened_by_healthy_log(NoShuffleSortedData, None, fit(shuffle=False))


# ---------------------------------------------------------------- label_error

def test_label_error_from_collapsed_loss_is_capped_even_with_a_model():
    for spec in (None, plain_mlp()):
        finding, ctx = diagnose(LabelError, spec, collapse_run())
        assert ctx.has("loss_collapse_zero")
        assert_symptom_only(finding, LabelError, "loss_collapse_zero")
        assert "samples and their labels" in finding.settle.render("en")
        # not scaled by UNSUPPORTED_BY_MODEL: labels are never visible in a model
        assert finding.confidence > 0.45 * 0.9 * UNSUPPORTED_BY_MODEL * 2


def test_label_error_silent_on_healthy_and_empty_input():
    assert diagnose(LabelError, plain_mlp(), healthy_run())[0] is None
    assert diagnose(LabelError, plain_mlp())[0] is None


# ---------------------------------------------------------------- class_imbalance

def test_class_imbalance_from_accuracy_frozen_above_chance():
    spec = model([dense("d", 8, params=40), dense("out", 1, "sigmoid", params=9)], loss="binary_crossentropy")
    finding, ctx = diagnose(ClassImbalance, spec, frozen_accuracy_run(0.88))
    assert "accuracy_frozen_above_chance" in codes(finding)
    item = next(e for e in finding.evidence if e.code == "accuracy_frozen_above_chance")
    assert item.params["level"] == 0.88 and item.params["chance"] == 0.5
    assert REPORTING_THRESHOLD <= finding.confidence <= OWN_CURVES_CAP  # its own reading of the curve
    # A rule's own curve evidence is curve evidence: capped, with what would settle it.
    assert finding.settle is not None and "label counts" in finding.settle.en


def test_class_imbalance_without_model_or_task():
    finding, _ = diagnose(ClassImbalance, None, frozen_accuracy_run(0.88))
    assert "accuracy_frozen_above_chance" in codes(finding)
    assert "2+" in next(e for e in finding.evidence if e.code == "accuracy_frozen_above_chance").describe("en")


def test_class_imbalance_stuck_at_balanced_chance_is_weak():
    spec = model([dense("d", 8, params=40), dense("out", 1, "sigmoid", params=9)], loss="binary_crossentropy")
    finding, ctx = diagnose(ClassImbalance, spec, frozen_accuracy_run(0.5))
    assert ctx.has("stuck_chance_accuracy")
    assert codes(finding) == {"stuck_chance_accuracy"}
    assert finding.confidence < REPORTING_THRESHOLD


def test_class_imbalance_from_known_class_shares():
    from app.rules.task import Task

    for share, code, sign in [(0.9, "majority_share", 1), (0.52, "balanced_classes", -1)]:
        ctx = Context(run=frozen_accuracy_run(0.9 if sign > 0 else 0.5))
        ctx.task = Task("binary", 2, 0.5, "labels", majority_share=share)  # as a data sample would tell
        detect_symptoms(ctx)
        finding = evaluate_rule(ClassImbalance(), ctx)
        assert np.sign(weight_of(finding, code)) == sign
        assert finding.settle is None  # decidable: the class shares are known


def test_class_imbalance_silent_on_healthy_log():
    assert diagnose(ClassImbalance, plain_mlp(), healthy_run())[0] is None


# ---------------------------------------------------------------- dense_bottleneck

def test_dense_bottleneck_fires_with_share_and_layer():
    finding, _ = diagnose(DenseBottleneck, flatten_cnn())
    item = finding.evidence[0]
    assert item.code == "flatten_dense_share" and item.where == {"layer": "dense"}
    assert item.params["share"] == pytest.approx(100 * 32832 / (800 + 32832 + 130), abs=0.1)
    assert finding.confidence >= REPORTING_THRESHOLD
    fix = DenseBottleneck().fixes(Context(model=flatten_cnn()))[0]
    assert fix.params["pooling"] == "GlobalAveragePooling1D" and fix.params["params_after"] == (16 + 1) * 64


def test_dense_bottleneck_few_positions_count_less():
    many = confidence(DenseBottleneck, flatten_cnn(positions=32))
    few = confidence(DenseBottleneck, flatten_cnn(dense_params=2 * 16 * 64 + 64, positions=2))
    assert few < REPORTING_THRESHOLD < many


def test_dense_bottleneck_train_val_gap_counts_as_curve_evidence():
    # Training starts high (as in the seed 002 fixture): no "train improves" symptom, only the gap.
    log = run(accuracy=np.linspace(0.92, 0.95, 12), val_accuracy=np.full(12, 0.5), loss=np.linspace(0.25, 0.22, 12))
    finding, _ = diagnose(DenseBottleneck, flatten_cnn(), log)
    assert "train_val_accuracy_gap" in codes(finding) and "symptoms_absent" not in codes(finding)
    assert finding.confidence > confidence(DenseBottleneck, flatten_cnn())


def test_dense_bottleneck_gap_not_counted_twice_when_overfitting_is_detected():
    finding, ctx = diagnose(DenseBottleneck, flatten_cnn(), overfitting_run())
    assert ctx.has("overfitting")
    assert "overfitting" in codes(finding) and "train_val_accuracy_gap" not in codes(finding)
    assert finding.confidence >= 0.6


def test_dense_bottleneck_on_a_summary_table_model_uses_total_params():
    layers = [lay("block5_pool", "MaxPooling2D", shape=(None, 6, 6, 512)),
              lay("flatten", "Flatten", shape=(None, 18432)),
              dense("dense_2", 2, None, params=36866)]
    layers[0].params_total = 0
    frozen_base = lay("vgg16", "Functional", params=14714688, trainable=False)
    summary = model([frozen_base] + layers, complete=False)
    assert summary.params_trainable == 36866
    finding, _ = diagnose(DenseBottleneck, summary)
    assert finding is None  # 0.25% of all parameters: a transfer-learning head, not a bottleneck
    assert find_bottlenecks(summary)[0].share < 0.01
    unfrozen = model(layers, complete=False)
    assert diagnose(DenseBottleneck, unfrozen)[0].confidence >= REPORTING_THRESHOLD


def test_dense_bottleneck_silent_with_global_pooling_or_small_share():
    finding, _ = diagnose(DenseBottleneck, bn_cnn(), overfitting_run())
    assert weight_of(finding, "global_pooling") < 0 and finding.confidence < 0.15
    spec = model([conv(params=900000, shape=(None, 32, 16)), lay("flatten", "Flatten", shape=(None, 512)),
                  dense("dense", 64, params=32832), dense("out", 2, "softmax", params=130)])
    finding, _ = diagnose(DenseBottleneck, spec, overfitting_run())
    assert weight_of(finding, "flatten_dense_small_share") < 0 and finding.confidence < 0.2


def test_dense_bottleneck_needs_a_model_and_is_weakened_by_healthy_log():
    assert DenseBottleneck.needs == ("model",)
    assert_weakened_by_healthy_log(DenseBottleneck, flatten_cnn())


# ---------------------------------------------------------------- overfitting_small_data

@pytest.mark.parametrize("samples, code", [(4, "params_per_sample"), (100, "params_per_sample"),
                                           (100000, "plenty_of_data")])
def test_overfitting_small_data_by_params_per_sample(samples, code):
    finding, _ = diagnose(OverfittingSmallData, plain_mlp(), overfitting_run(), fit(train_samples=samples))
    assert code in codes(finding)
    if code == "params_per_sample":
        assert "unregularized" in codes(finding)
        assert finding.confidence >= REPORTING_THRESHOLD
    else:
        assert finding.confidence < confidence(OverfittingSmallData, plain_mlp(), overfitting_run(),
                                               fit(train_samples=100))


def test_overfitting_small_data_regularization_counts_against():
    spec = plain_mlp(lay("drop", "Dropout", shape=(None, 12)))
    stopped = overfitting_run(events=[CallbackEvent("early_stopping", "Epoch 30: early stopping", Source("log", 99))])
    finding, _ = diagnose(OverfittingSmallData, spec, stopped, fit(train_samples=100))
    how = next(e for e in finding.evidence if e.code == "regularized").params["how"]
    assert "drop" in how and "EarlyStopping" in how
    assert finding.confidence < confidence(OverfittingSmallData, plain_mlp(), overfitting_run(), fit(train_samples=100))


def test_overfitting_small_data_symptom_only():
    finding, _ = diagnose(OverfittingSmallData, None, overfitting_run())
    assert_symptom_only(finding, OverfittingSmallData, "overfitting")


def test_overfitting_small_data_without_the_sample_count_weighs_the_models_regularization():
    # The model is known, the sample count is not: an unregularized model adds to the curve,
    # a regularized one counts against it, and the finding still says what would settle it.
    curve_only, _ = diagnose(OverfittingSmallData, None, overfitting_run())
    plain, _ = diagnose(OverfittingSmallData, plain_mlp(), overfitting_run())
    held, _ = diagnose(OverfittingSmallData, plain_mlp(lay("drop", "Dropout", shape=(None, 12))), overfitting_run())
    assert "unregularized" in codes(plain) and "params_per_sample" not in codes(plain)
    assert plain.confidence > curve_only.confidence
    # on a measured overfitting curve the regularization counts only a little against (it
    # evidently did not hold the model back): no higher than the curve alone
    against = next(e.weight for e in held.evidence if e.code == "regularized")
    assert -0.3 < against < 0 and held.confidence <= curve_only.confidence
    assert plain.settle == held.settle == OverfittingSmallData.settle
    counted, _ = diagnose(OverfittingSmallData, plain_mlp(), overfitting_run(), fit(train_samples=100))
    assert counted.settle is None  # the sample count decides: nothing left to settle


def test_overfitting_small_data_weakened_by_healthy_log():
    assert_weakened_by_healthy_log(OverfittingSmallData, plain_mlp(), fit(train_samples=4))


# ---------------------------------------------------------------- unsafe_lambda_layer

def test_unsafe_lambda_names_each_layer_and_quotes_code():
    code = ("def normalize(x):\n    return (x - tf.reduce_mean(x, axis=-1, keepdims=True))"
            " / tf.math.reduce_std(x, axis=-1, keepdims=True)")
    spec = model([lay("lam", "Lambda", lambda_code=code), dense("d", 4, params=20),
                  lay("lam2", "Lambda", lambda_code=None), dense("out", 2, "softmax", params=10)])
    finding, _ = diagnose(UnsafeLambdaLayer, spec, healthy_run())
    assert [e.where for e in finding.evidence] == [{"layer": "lam"}, {"layer": "lam2"}]
    assert finding.confidence == pytest.approx(0.85)
    quoted = finding.evidence[0].params["snippet"]
    assert quoted.startswith("def normalize(x): return") and len(quoted) <= 60
    assert finding.evidence[1].params["snippet"] == "code not recorded"
    assert "symptoms_absent" not in codes(finding)  # a finding about the file, not the curves


def test_unsafe_lambda_silent_without_lambda():
    assert diagnose(UnsafeLambdaLayer, plain_mlp(), healthy_run())[0] is None
    assert diagnose(UnsafeLambdaLayer, None, healthy_run())[0] is None


# ---------------------------------------------------------------- real fixtures

def fixture_context(name, log="console_v1.txt", with_model=True):
    paths = ([str(RUNS / name / "model.keras")] if with_model else []) + ([str(RUNS / name / log)] if log else [])
    loaded = load_paths(paths)
    log_run = loaded.runs[0] if loaded.runs else None
    spec = loaded.models[0] if loaded.models else None
    ctx = Context(run=log_run, model=spec, settings=merge_settings(log_run, None))
    if log_run is not None:
        detect_symptoms(ctx)
    return ctx


def reported(ctx):
    out = {}
    for rule_class in ALL_RULES:
        finding = evaluate_rule(rule_class(), ctx)
        if finding is not None and finding.confidence >= REPORTING_THRESHOLD:
            out[rule_class.id] = finding
    return out


def test_seed002_fixture_reports_batchnorm_mismatch_and_the_dense_bottleneck():
    from app.rules.causes.softmax_with_binary_crossentropy import SoftmaxWithBinaryCrossentropy

    ctx = fixture_context("seed002_softmax_bce_bn")
    assert ctx.has("eval_mismatch")
    found = reported(ctx)
    bn_finding = found["batchnorm_train_inference_mismatch"]
    assert bn_finding.confidence >= 0.6
    assert {"batchnorm_present", "epoch_shorter_than_window", "eval_mismatch"} <= codes(bn_finding)
    assert evaluate_rule(SoftmaxWithBinaryCrossentropy(), ctx).confidence >= REPORTING_THRESHOLD
    # The fixture's Dense holds 32,832 of 34,434 parameters (95.3%); with training accuracy
    # ~0.92 against validation 0.5, the bottleneck is reported too.
    share = next(e for e in found["dense_bottleneck"].evidence if e.code == "flatten_dense_share")
    assert share.where == {"layer": "dense"} and share.params["share"] == pytest.approx(95.3, abs=0.1)
    assert set(found) == {"batchnorm_train_inference_mismatch", "dense_bottleneck"}


def test_seed002_summary_table_reports_the_989_percent_dense():
    from app.io.summary_table import find_summary

    text = (SEEDS / "seed002.txt").read_text(encoding="utf-8")
    summary = find_summary(text, source_path="seed002.txt")  # what most forum posts give
    assert summary is not None and not summary.complete
    finding = evaluate_rule(DenseBottleneck(), Context(model=summary))
    item = finding.evidence[0]
    assert item.params["share"] == pytest.approx(98.9, abs=0.1) and item.params["params"] == 3277000
    assert finding.confidence >= REPORTING_THRESHOLD


def test_seed002_code_quoted_with_the_log_gives_the_same_bottleneck():
    """The post's code, read as the run's model, has the summary table's counts."""
    model = load_paths([str(SEEDS / "seed002.txt")]).runs[0].model
    assert model.format == "code"
    finding = evaluate_rule(DenseBottleneck(), Context(model=model))
    assert finding.evidence[0].params["share"] == pytest.approx(98.9, abs=0.1)
    assert finding.confidence >= REPORTING_THRESHOLD


def test_seed004_summary_table_frozen_base_is_not_a_bottleneck():
    loaded = load_paths([str(SEEDS / "seed004.txt")])
    summary = loaded.runs[0].model
    assert summary.params_trainable == 36866
    finding = evaluate_rule(DenseBottleneck(), Context(model=summary))
    assert finding is None or finding.confidence < REPORTING_THRESHOLD


@pytest.mark.parametrize("name", ["seed000_mse_sigmoid", "seed000_bce_fixed"])
def test_seed000_fixture_lambda_layers_are_reported(name):
    ctx = fixture_context(name)
    finding = evaluate_rule(UnsafeLambdaLayer(), ctx)
    assert finding.confidence == pytest.approx(0.85)
    assert [e.where["layer"] for e in finding.evidence] == ["lambda", "lambda_1"]
    assert all(e.params["snippet"] for e in finding.evidence)


def test_seed001_fixture_reports_activation_on_input():
    ctx = fixture_context("seed001_relu_input_adam")
    finding = evaluate_rule(ActivationOnInput(), ctx)
    assert finding.confidence >= REPORTING_THRESHOLD
    assert finding.evidence[0].where == {"layer": "activation"}
    assert finding.evidence[0].params["activation"] == "relu"


@pytest.mark.parametrize("name", ["healthy_conv1d", "healthy_conv2d", "healthy_lstm", "healthy_mlp", "lr_schedule"])
def test_healthy_fixtures_report_none_of_these_rules(name):
    for log in ("console_v1.txt", "log.csv", None):
        ctx = fixture_context(name, log)
        assert reported(ctx) == {}, (name, log)


# ---------------------------------------------------------------- robustness

ODD_NUMBERS = st.one_of(st.none(), st.integers(-5, 10**7), st.floats(allow_nan=True, allow_infinity=True),
                        st.text(max_size=3))
CLASSES = ["Dense", "Conv2D", "BatchNormalization", "Flatten", "Reshape", "Activation", "ReLU", "LeakyReLU",
           "InputLayer", "Dropout", "Lambda", "Normalization", "Embedding", "GlobalAveragePooling2D",
           "Functional", "Weird"]
SHAPES = st.one_of(st.none(), st.tuples(), st.lists(st.one_of(st.none(), st.integers(-2, 64)), max_size=4).map(tuple),
                   st.just(((None, 4), (None, 2))))


@st.composite
def odd_layers(draw, depth=0):
    name = draw(st.sampled_from(["a", "b", "c", "flatten", "out"]))
    sub = draw(st.lists(odd_layers(depth + 1), max_size=2)) if depth < 1 else []
    batchnorm = draw(st.one_of(st.none(), st.builds(BatchNormSpec, momentum=ODD_NUMBERS, renorm=st.one_of(
        st.none(), st.booleans()))))
    return LayerSpec(name=name, class_name=draw(st.sampled_from(CLASSES)), path=name,
                     units=draw(st.one_of(st.none(), st.integers(-1, 5))), activation=draw(st.sampled_from(
                         [None, "relu", "linear", "softmax", "sigmoid", "tanh"])),
                     use_bias=draw(st.sampled_from([None, True, False])), trainable=draw(st.booleans()),
                     params_total=draw(st.one_of(st.none(), st.integers(-3, 10**6))),
                     params_trainable=draw(st.one_of(st.none(), st.integers(-3, 10**6))),
                     output_shape=draw(SHAPES), batchnorm=batchnorm,
                     kernel_regularizer=draw(st.one_of(st.none(), st.just({"class": "L2"}))),
                     lambda_code=draw(st.one_of(st.none(), st.text(max_size=80))),
                     inbound=draw(st.lists(st.sampled_from(["a", "b", "flatten", "zz"]), max_size=2)), sublayers=sub)


@st.composite
def odd_contexts(draw):
    layers = draw(st.lists(odd_layers(), max_size=6))
    loss = draw(st.sampled_from([None, "binary_crossentropy", "categorical_crossentropy", "mean_squared_error"]))
    spec = ModelSpec("m", draw(st.sampled_from(["Sequential", "Functional"])), "keras", layers=layers,
                     output_names=draw(st.lists(st.sampled_from(["a", "out", "zz"]), max_size=2)),
                     compile=CompileSpec(loss=[LossSpec(loss, from_logits=draw(st.sampled_from([None, True, False])))]
                                         if loss else []),
                     params_total=draw(st.one_of(st.none(), st.integers(-3, 10**7))),
                     params_trainable=draw(st.one_of(st.none(), st.integers(-3, 10**7))),
                     complete=draw(st.booleans()))
    losses = st.lists(st.one_of(st.floats(1e-6, 1e6), st.sampled_from([0.0, math.nan, math.inf])), max_size=12)
    accuracies = st.lists(st.one_of(st.floats(0, 1), st.sampled_from([math.nan, math.inf])), max_size=12)
    log = run(loss=draw(losses), accuracy=draw(accuracies), val_accuracy=draw(accuracies),
              events=[CallbackEvent(draw(st.sampled_from(["early_stopping", "lr_change"])), "x", Source("x"))],
              evaluations=[Evaluation({"accuracy": draw(st.floats(0, 1))}, Source("x"), label="train")])
    fit_settings = FitSettings()
    for key in ("batch_size", "train_samples", "steps_per_epoch", "epochs_planned"):
        fit_settings.set(key, draw(st.one_of(st.none(), st.integers(-2, 10**6))), Source("x"))
    fit_settings.set("shuffle", draw(st.sampled_from([None, True, False])), Source("x"))
    return draw(st.sampled_from([None, spec])), draw(st.sampled_from([None, log])), fit_settings


@settings(deadline=None, max_examples=200)
@given(odd_contexts())
def test_odd_models_and_logs_never_crash_a_rule(case):
    spec, log, fit_settings = case
    for rule_class in ALL_RULES:
        ctx = Context(run=log, model=spec, settings=fit_settings)
        if log is not None:
            detect_symptoms(ctx)
        finding = evaluate_rule(rule_class(), ctx)
        if finding is not None:
            assert 0.0 <= finding.confidence <= 1.0
            for item in finding.evidence:
                assert -1.0 <= item.weight <= 1.0
                item.describe("en"), item.describe("zh_CN")
        for fix in rule_class().fixes(ctx):
            assert fix.id in PATCH_IDS
            fix.to_dict("zh_CN")
