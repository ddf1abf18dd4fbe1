"""Cause rules of the optimization group: learning rate, Adam epsilon, exploding/vanishing
gradients, dead ReLUs, initialization, biases, SGD momentum, KL divergence.

Each rule gets the four cases the engine distinguishes: a firing model, a model that
contradicts the cause (silent: not reported), symptoms without a model (capped, with a
"settle" hint), and a healthy log (the static evidence weakened by the absence piece).
Models and runs are built in code with the shapes the readers produce; the real-fixture case
tables come later.
"""

import math
import re

import numpy as np
import pytest

from app.core.diagnosis import REPORTING_THRESHOLD
from app.core.i18n import Text
from app.core.ids import CAUSES, SYMPTOMS
from app.core.model import CompileSpec, LayerSpec, LossSpec, ModelSpec, OptimizerSpec
from app.core.run import CallbackEvent, FitSettings, Run, Series, Source
from app.rules.base import Context
from app.rules.causes.adam_epsilon_too_small import AdamEpsilonTooSmall
from app.rules.causes.bad_initialization import BadInitialization
from app.rules.causes.bias_regularized import BiasRegularized
from app.rules.causes.dead_relu import DeadRelu
from app.rules.causes.exploding_gradients import GATED_RNN_WEIGHT, SIMPLE_RNN_WEIGHT, ExplodingGradients
from app.rules.causes.kl_divergence_misuse import KlDivergenceMisuse
from app.rules.causes.learning_rate_too_high import LearningRateTooHigh
from app.rules.causes.learning_rate_too_low import LearningRateTooLow
from app.rules.causes.missing_bias import MissingBias
from app.rules.causes.sgd_without_momentum import SgdWithoutMomentum
from app.rules.causes.vanishing_gradients import VanishingGradients
from app.rules.engine import ABSENT_SYMPTOMS_WEIGHT, OWN_CURVES_CAP, SYMPTOM_ONLY_CAP, detect_symptoms, evaluate_rule

ALL_RULES = [LearningRateTooHigh, LearningRateTooLow, AdamEpsilonTooSmall, ExplodingGradients,
             VanishingGradients, DeadRelu, BadInitialization, MissingBias, BiasRegularized,
             SgdWithoutMomentum, KlDivergenceMisuse]
PATCH_IDS = {"set_output_activation", "set_from_logits", "set_loss", "set_learning_rate",
             "set_optimizer_epsilon", "set_momentum", "set_clipnorm", "set_clipvalue", "switch_optimizer",
             "batchnorm_renorm", "swap_normalization", "set_initializer", "enable_bias",
             "drop_bias_regularizer", "remove_input_activation", "insert_normalization",
             "replace_flatten_with_gap", "set_shuffle", "set_batch_size", "set_class_weight",
             "add_early_stopping", "add_regularization", "replace_lambda", "check_labels", "set_activation"}


# ---------------------------------------------------------------- builders

def init(class_name, **config):
    """An initializer as a Keras 3 config stores it."""
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def dense(name, units, activation="relu", kernel="GlorotUniform", bias="Zeros", use_bias=True,
          trainable=True, kernel_config=None, bias_config=None, bias_regularizer=None, inbound=(),
          class_name="Dense", **extra):
    config = {"name": name, "units": units, "activation": activation, "use_bias": use_bias}
    if kernel_config is not None:
        config["kernel_initializer"] = kernel_config
    if bias_config is not None:
        config["bias_initializer"] = bias_config
    config.update(extra.pop("config", {}))
    return LayerSpec(name=name, class_name=class_name, path=name, config=config, units=units,
                     activation=activation, kernel_initializer=kernel, bias_initializer=bias,
                     use_bias=use_bias, trainable=trainable, bias_regularizer=bias_regularizer,
                     inbound=list(inbound), **extra)


def layer(name, class_name, activation=None, inbound=()):
    return LayerSpec(name=name, class_name=class_name, path=name, activation=activation, inbound=list(inbound))


def mlp(hidden=2, activation="relu", output="softmax", units=10, **kw):
    layers = [dense(f"dense_{i}", 64, activation, **kw) for i in range(hidden)]
    layers.append(dense("out", units, output))
    return layers


def model(layers, loss="categorical_crossentropy", optimizer="Adam", complete=True, class_name="Sequential",
          **optimizer_settings):
    spec = None
    if optimizer is not None:
        defaults = {"Adam": {"learning_rate": 1e-3, "epsilon": 1e-7}, "SGD": {"learning_rate": 0.01, "momentum": 0.0},
                    "RMSprop": {"learning_rate": 1e-3, "epsilon": 1e-7, "momentum": 0.0}}.get(optimizer, {})
        spec = OptimizerSpec(name=optimizer, **{**defaults, **optimizer_settings})
    compile_spec = CompileSpec(loss=[LossSpec(loss, from_logits=False)] if loss else [], optimizer=spec,
                               metrics=["accuracy"])
    return ModelSpec("m", class_name, "keras", source_path="m.keras", layers=layers,
                     output_names=[layers[-1].name], compile=compile_spec, complete=complete)


def run(axis="epoch", events=(), **series):
    result = Run("synthetic", "test")
    for name, values in series.items():
        y = np.asarray(values, dtype=float)
        result.add_series(Series(name, axis, np.arange(1, y.size + 1), y, source_path="log.csv",
                                 source_lines=np.arange(2, y.size + 2)))
    result.events.extend(events)
    return result


def noise(scale, n, seed=11):
    """Fixed noise: every call gives the same curve, whatever the test order."""
    return np.random.default_rng(seed).normal(0, scale, n)


def healthy_run(n=30):
    e = np.arange(n)
    return run(loss=0.7 * np.exp(-e / 6) + 0.1 + noise(0.01, n),
               accuracy=1 - 0.5 * np.exp(-e / 5) - 0.03 + noise(0.005, n, seed=12))


def oscillating_run(**extra):
    return run(loss=np.tile([0.5, 1.4, 0.6, 1.7, 0.4, 1.2], 5), **extra)


def nan_run():
    return run(loss=[1.2, 0.9, math.nan, math.nan, math.nan], accuracy=[0.3, 0.4, 0.1, 0.1, 0.1])


def slow_run(**extra):
    return run(loss=np.linspace(2.3, 1.9, 30) + noise(0.002, 30), **extra)


def plateau_run():
    return run(loss=0.25 + noise(0.0005, 20), accuracy=0.5 + noise(0.004, 20, seed=12))


def spike_run(n=2000, at=1500):
    loss = np.exp(-np.arange(n) / (n / 10)) + 0.01 + noise(0.001, n)
    loss[at:] = 0.3 + noise(0.01, n - at, seed=12)
    return run(loss=loss)


def diagnose(rule_class, model_spec=None, run_=None, settings=None):
    ctx = Context(run=run_, model=model_spec, settings=settings or FitSettings())
    if run_ is not None:
        detect_symptoms(ctx)
    return evaluate_rule(rule_class(), ctx), ctx


def codes(finding):
    return {e.code for e in finding.evidence}


def weight_of(finding, code):
    return next(e.weight for e in finding.evidence if e.code == code)


def static_confidence(rule_class, model_spec, settings=None):
    finding, _ = diagnose(rule_class, model_spec, settings=settings)
    return finding.confidence


def assert_symptom_only(finding, rule_class, symptom):
    """No model: the symptom alone, capped, with a hint of what would settle it."""
    assert finding is not None
    assert codes(finding) == {symptom}
    assert 0 < finding.confidence <= SYMPTOM_ONLY_CAP
    assert finding.settle == rule_class.settle


def assert_weakened_by_healthy_log(rule_class, model_spec, settings=None):
    alone = static_confidence(rule_class, model_spec, settings)
    finding, ctx = diagnose(rule_class, model_spec, healthy_run(), settings)
    assert ctx.has("healthy")
    assert "symptoms_absent" in codes(finding)
    assert finding.confidence == pytest.approx(alone * (1 + ABSENT_SYMPTOMS_WEIGHT))
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
    assert rule_class.explains and all(item.symptom in SYMPTOMS for item in rule_class.explains)


@pytest.mark.parametrize("rule_class", ALL_RULES, ids=lambda r: r.id)
def test_fixes_use_the_patch_vocabulary_and_carry_code(rule_class):
    ctx = Context(model=model(mlp()))
    for fix in rule_class().fixes(ctx) + rule_class().fixes(Context()):
        assert fix.id in PATCH_IDS
        assert fix.applicability in ("safe", "review", "manual")
        assert fix.code.strip()
        assert fix.title.render("zh_CN", fix.params) and "{" not in fix.title.render("en", fix.params)


@pytest.mark.parametrize("rule_class", ALL_RULES, ids=lambda r: r.id)
def test_evidence_renders_in_both_languages(rule_class):
    cases = [model(mlp()), model(mlp(6, "sigmoid"), optimizer="SGD", learning_rate=5.0),
             model(mlp(kernel="Zeros", use_bias=False, bias_regularizer={"class": "L2", "l2": 0.01}),
                   loss="kl_divergence", optimizer="Adam", learning_rate=1e-8)]
    for spec in cases:
        for item in rule_class().evaluate(Context(model=spec, run=slow_run())):
            for lang in ("en", "zh_CN"):
                text = item.describe(lang)
                assert "{" not in text, (item.code, lang, text)


# ---------------------------------------------------------------- learning_rate_too_high

def test_rate_far_above_adams_range_fires_with_oscillation():
    finding, _ = diagnose(LearningRateTooHigh, model(mlp(), learning_rate=0.1), oscillating_run())
    assert finding.confidence >= 0.8
    assert {"rate_above_range", "oscillation"} <= codes(finding)
    above = next(e for e in finding.evidence if e.code == "rate_above_range")
    assert above.where == {"setting": "optimizer.learning_rate"} and above.params["factor"] == 33
    fix = finding.fixes[0]
    # x0.1 would still be 3x above the range: back to Adam's default
    assert (fix.id, fix.params["learning_rate"]) == ("set_learning_rate", 0.001)
    assert "learning_rate=0.001" in fix.code


def test_rate_slightly_above_range_needs_the_curves_and_is_lowered_tenfold():
    spec = model(mlp(), optimizer="SGD", learning_rate=0.5)
    assert not diagnose(LearningRateTooHigh, spec)[0].reported  # 1.7x the top: not alone
    finding, _ = diagnose(LearningRateTooHigh, spec, nan_run())
    assert finding.reported and weight_of(finding, "rate_above_range") < REPORTING_THRESHOLD
    assert finding.fixes[0].params["learning_rate"] == 0.05


def test_default_adam_rate_contradicts_a_too_high_rate():
    finding, _ = diagnose(LearningRateTooHigh, model(mlp()), oscillating_run())
    assert weight_of(finding, "rate_in_range") < 0
    assert finding.confidence < REPORTING_THRESHOLD
    assert finding.settle is None  # the model decided it


def test_too_high_from_symptoms_alone_is_capped():
    finding, _ = diagnose(LearningRateTooHigh, None, oscillating_run())
    assert_symptom_only(finding, LearningRateTooHigh, "oscillation")


def test_too_high_weakened_by_a_healthy_log():
    assert_weakened_by_healthy_log(LearningRateTooHigh, model(mlp(), learning_rate=0.05))


def test_schedule_initial_rate_counts():
    optimizer = dict(learning_rate=0.5, schedule={"class": "ExponentialDecay", "initial_learning_rate": 0.5})
    finding, _ = diagnose(LearningRateTooHigh, model(mlp(), **optimizer))
    assert "rate_above_range" in codes(finding)


def test_log_learning_rate_series_is_read_without_a_model():
    log = oscillating_run(learning_rate=[30.0] * 30)
    finding, _ = diagnose(LearningRateTooHigh, None, log)
    above = next(e for e in finding.evidence if e.code == "rate_above_range")
    assert above.params["optimizer"] == "?" and above.where["metric"] == "learning_rate"
    assert above.source.path == "log.csv" and above.source.line == 2
    assert finding.settle is None and finding.confidence > SYMPTOM_ONLY_CAP


def test_log_rate_wins_over_a_saved_optimizer_rate():
    # A model saved after ReduceLROnPlateau keeps the cut rate; the log shows the start.
    log = oscillating_run(learning_rate=[0.05] * 20 + [0.005] * 10)
    finding, _ = diagnose(LearningRateTooHigh, model(mlp(), learning_rate=0.005), log)
    assert next(e for e in finding.evidence if e.code == "rate_above_range").params["rate"] == 0.05


def test_rate_cut_after_which_the_loss_recovers_is_evidence():
    loss = np.concatenate([1.0 + 0.3 * np.tile([1, -1], 5), np.linspace(0.6, 0.2, 10)])
    lr = [0.01] * 10 + [0.001] * 10
    finding, _ = diagnose(LearningRateTooHigh, None, run(loss=loss, learning_rate=lr))
    cut = next(e for e in finding.evidence if e.code == "rate_cut_loss_recovered")
    assert cut.params["epoch"] == 11 and cut.params["after"] < cut.params["before"]


def test_reduce_lr_on_plateau_event_is_read_when_no_rate_is_logged():
    loss = np.concatenate([np.full(8, 1.0) + 0.2 * np.tile([1, -1], 4), np.linspace(0.6, 0.3, 8)])
    event = CallbackEvent("lr_change", "Epoch 8: ReduceLROnPlateau reducing learning rate to 0.00010000000474974513.",
                          Source("log.txt", 77), epoch=8)
    finding, _ = diagnose(LearningRateTooHigh, None, run(loss=loss, events=[event]))
    cut = next(e for e in finding.evidence if e.code == "rate_cut_loss_recovered")
    assert cut.params["epoch"] == 9 and cut.source.line == 77


# ---------------------------------------------------------------- learning_rate_too_low

def test_rate_far_below_range_fires_with_slow_convergence():
    finding, _ = diagnose(LearningRateTooLow, model(mlp(), learning_rate=1e-7), slow_run())
    assert finding.confidence >= 0.8
    assert {"rate_below_range", "slow_convergence"} <= codes(finding)
    assert finding.fixes[0].params["learning_rate"] == 0.001  # x10 stays below: Adam's default


def test_low_rate_fix_raises_tenfold_when_that_reaches_the_range():
    finding, _ = diagnose(LearningRateTooLow, model(mlp(), optimizer="SGD", learning_rate=5e-5))
    assert finding.fixes[0].params["learning_rate"] == 0.0005


def test_rate_at_the_bottom_of_adams_range_is_not_too_low():
    # 1e-4 saved as float32 (9.99999974e-05) is on the edge, not below it.
    import numpy as np

    finding, _ = diagnose(LearningRateTooLow, model(mlp(), learning_rate=float(np.float32(1e-4))), slow_run())
    assert weight_of(finding, "rate_in_range") < 0
    assert finding.confidence < REPORTING_THRESHOLD


def test_adam_at_fine_tuning_rates_with_a_slow_loss_is_too_low():
    # 1e-5 is a fine-tuning rate; training from scratch with it, the loss barely moves.
    finding, _ = diagnose(LearningRateTooLow, model(mlp(), learning_rate=1e-5), slow_run())
    assert weight_of(finding, "rate_below_range") > 0 and finding.reported


def test_too_low_from_symptoms_alone_is_capped():
    finding, _ = diagnose(LearningRateTooLow, None, slow_run())
    assert_symptom_only(finding, LearningRateTooLow, "slow_convergence")


def test_too_low_weakened_by_a_healthy_log():
    assert_weakened_by_healthy_log(LearningRateTooLow, model(mlp(), learning_rate=1e-7))


def test_adadelta_keras3_default_rate_is_too_low():
    finding, _ = diagnose(LearningRateTooLow, model(mlp(), optimizer="Adadelta", learning_rate=1e-3))
    assert finding.evidence[0].params["factor"] == 10


def test_rate_decayed_far_below_range_during_the_run():
    log = slow_run(learning_rate=[1e-3] * 10 + [1e-8] * 20)
    finding, _ = diagnose(LearningRateTooLow, None, log)
    decayed = next(e for e in finding.evidence if e.code == "rate_decayed_below_range")
    assert decayed.params["at"] == 11


# ---------------------------------------------------------------- adam_epsilon_too_small

def test_seed001_adam_default_epsilon_long_run_with_late_spike():
    settings = FitSettings(epochs_planned=4680)
    finding, _ = diagnose(AdamEpsilonTooSmall, model(mlp(), loss="binary_crossentropy", learning_rate=1e-5),
                          spike_run(), settings)
    assert finding.confidence >= 0.65  # the default epsilon is a precondition (0.35); the late spike decides
    assert {"small_epsilon_long_training", "loss_spike"} <= codes(finding)
    fix = finding.fixes[0]
    assert (fix.id, fix.params, fix.applicability) == ("set_optimizer_epsilon", {"epsilon": 1e-3}, "review")
    assert "epsilon=0.001" in fix.code and "learning_rate=1e-05" in fix.code


def test_late_spike_in_a_shorter_run_is_weaker_evidence():
    finding, _ = diagnose(AdamEpsilonTooSmall, model(mlp()), spike_run(300, 200))
    assert weight_of(finding, "small_epsilon_late_spike") < weight_of(
        diagnose(AdamEpsilonTooSmall, model(mlp()), spike_run())[0], "small_epsilon_long_training")


def test_early_spike_in_a_short_run_gives_no_static_evidence():
    finding, _ = diagnose(AdamEpsilonTooSmall, model(mlp()), spike_run(40, 30))
    assert codes(finding) == {"loss_spike"}
    assert finding.confidence < REPORTING_THRESHOLD  # the model is known and shows no sign


def test_raised_epsilon_and_sgd_contradict():
    finding, _ = diagnose(AdamEpsilonTooSmall, model(mlp(), epsilon=0.01), spike_run())
    assert weight_of(finding, "epsilon_raised") < 0 and finding.confidence < REPORTING_THRESHOLD
    finding, _ = diagnose(AdamEpsilonTooSmall, model(mlp(), optimizer="SGD"), spike_run())
    assert weight_of(finding, "not_adam_family") < 0 and finding.confidence < 0.1


def test_epsilon_from_symptoms_alone_is_capped():
    finding, _ = diagnose(AdamEpsilonTooSmall, None, spike_run())
    assert_symptom_only(finding, AdamEpsilonTooSmall, "loss_spike")


def test_epsilon_weakened_by_a_healthy_log():
    finding = assert_weakened_by_healthy_log(AdamEpsilonTooSmall, model(mlp()), FitSettings(epochs_planned=1000))
    assert not finding.reported


def test_short_run_without_spike_says_nothing():
    assert diagnose(AdamEpsilonTooSmall, model(mlp()), healthy_run())[0] is None


# ---------------------------------------------------------------- exploding_gradients

def test_deep_stack_without_normalization_fires_with_nan():
    finding, _ = diagnose(ExplodingGradients, model(mlp(10)), nan_run())
    assert {"deep_stack_without_normalization", "nan_loss"} <= codes(finding)
    assert finding.reported
    assert [f.id for f in finding.fixes] == ["set_clipnorm", "insert_normalization"]
    assert finding.fixes[0].params == {"clipnorm": 1.0} and finding.fixes[0].applicability == "safe"
    assert "clipnorm=1.0" in finding.fixes[0].code


def test_simple_rnn_without_clipping_and_large_initializer():
    rnn = dense("rnn", 32, "tanh", class_name="SimpleRNN")
    big = dense("big", 64, kernel="RandomNormal", kernel_config=init("RandomNormal", mean=0.0, stddev=2.0))
    finding, _ = diagnose(ExplodingGradients, model([rnn, big, dense("out", 1, "sigmoid")], "binary_crossentropy"))
    assert weight_of(finding, "recurrent_without_clipping") == SIMPLE_RNN_WEIGHT
    large = next(e for e in finding.evidence if e.code == "large_initializer")
    assert large.where == {"layer": "big"} and large.params["stddev"] == 2.0


def test_lstm_inside_bidirectional_is_recurrent():
    wrapped = LayerSpec("bi", "Bidirectional", path="bi", units=16, activation="tanh",
                        config={"layer": {"class_name": "LSTM", "config": {"units": 16}}})
    finding, _ = diagnose(ExplodingGradients, model([wrapped, dense("out", 1, "sigmoid")]))
    assert weight_of(finding, "recurrent_without_clipping") == GATED_RNN_WEIGHT < SIMPLE_RNN_WEIGHT


def test_clipping_contradicts_exploding_gradients():
    finding, _ = diagnose(ExplodingGradients, model(mlp(10), clipnorm=1.0), nan_run())
    clipped = next(e for e in finding.evidence if e.code == "gradients_clipped")
    assert clipped.weight < 0 and clipped.params["clipping"] == "clipnorm=1"
    assert finding.confidence < 0.3


def test_shallow_model_is_silent_and_frozen_base_does_not_count():
    finding, _ = diagnose(ExplodingGradients, model(mlp(2)), nan_run())
    assert weight_of(finding, "nothing_explodes") < 0 and finding.confidence < REPORTING_THRESHOLD
    # seed 004: a frozen VGG16 base under one trainable Dense is not a deep trainable stack
    frozen = [dense(f"block{i}_conv", 64, trainable=False, class_name="Conv2D") for i in range(13)]
    finding, _ = diagnose(ExplodingGradients, model(frozen + [layer("flatten", "Flatten"),
                                                              dense("out", 2, "relu")]), nan_run())
    assert "deep_stack_without_normalization" not in codes(finding)


def test_batchnorm_makes_a_deep_stack_fine():
    layers = []
    for i in range(10):
        layers += [dense(f"d{i}", 64, None), layer(f"bn{i}", "BatchNormalization"), layer(f"a{i}", "Activation", "relu")]
    finding, _ = diagnose(ExplodingGradients, model(layers + [dense("out", 10, "softmax")]), nan_run())
    assert "deep_stack_without_normalization" not in codes(finding)


def test_exploding_from_symptoms_alone_is_capped():
    finding, _ = diagnose(ExplodingGradients, None, nan_run())
    assert_symptom_only(finding, ExplodingGradients, "nan_loss")


def test_exploding_weakened_by_a_healthy_log():
    assert_weakened_by_healthy_log(ExplodingGradients, model(mlp(10)))


# ---------------------------------------------------------------- vanishing_gradients

def test_many_sigmoid_layers_fire_with_plateau():
    finding, _ = diagnose(VanishingGradients, model(mlp(6, "sigmoid")), plateau_run())
    many = next(e for e in finding.evidence if e.code == "many_saturating_layers")
    assert many.params["count"] == 6 and many.weight == pytest.approx(0.55)
    assert "plateau_no_learning" in codes(finding)
    assert finding.reported
    assert {f.id for f in finding.fixes} == {"set_activation", "set_initializer"}
    assert all(f.applicability == "review" for f in finding.fixes)
    assert finding.fixes[0].params["layers"] == [f"dense_{i}" for i in range(6)]
    assert 'kernel_initializer="he_normal"' in finding.fixes[0].code


def test_activation_layers_count_and_the_output_sigmoid_does_not():
    layers = []
    for i in range(4):
        layers += [dense(f"d{i}", 32, "linear"), layer(f"act{i}", "Activation", "tanh")]
    layers += [dense("out", 1, None), layer("prob", "Activation", "sigmoid")]
    finding, _ = diagnose(VanishingGradients, model(layers, "binary_crossentropy"))
    assert next(e for e in finding.evidence if e.code == "many_saturating_layers").params["count"] == 4
    assert VanishingGradients().fixes(Context(model=model(layers)))[1].params["layers"] == ["d0", "d1", "d2", "d3"]


def test_relu_network_and_normalized_sigmoid_network_contradict():
    finding, _ = diagnose(VanishingGradients, model(mlp(6)), plateau_run())
    assert weight_of(finding, "no_saturating_layers") < 0 and finding.confidence < REPORTING_THRESHOLD
    layers = mlp(6, "sigmoid")
    layers.insert(3, layer("bn", "BatchNormalization"))
    layers.insert(2, layer("add", "Add"))
    finding, _ = diagnose(VanishingGradients, model(layers))
    assert weight_of(finding, "normalized") < 0 and weight_of(finding, "skip_connections") < 0
    assert finding.confidence < static_confidence(VanishingGradients, model(mlp(6, "sigmoid")))


def test_lstm_tanh_is_not_counted():
    layers = [dense(f"lstm{i}", 32, "tanh", class_name="LSTM") for i in range(5)] + [dense("out", 1, "sigmoid")]
    finding, _ = diagnose(VanishingGradients, model(layers), plateau_run())
    assert "no_saturating_layers" in codes(finding)


def test_vanishing_from_symptoms_alone_is_capped():
    finding, _ = diagnose(VanishingGradients, None, plateau_run())
    assert_symptom_only(finding, VanishingGradients, "plateau_no_learning")


def test_vanishing_weakened_by_a_healthy_log():
    finding = assert_weakened_by_healthy_log(VanishingGradients, model(mlp(6, "sigmoid")))
    assert not finding.reported


# ---------------------------------------------------------------- dead_relu

def test_large_negative_bias_on_relu_layers_fires():
    layers = mlp(3, bias="Constant", bias_config=init("Constant", value=-1.0))
    finding, _ = diagnose(DeadRelu, model(layers), plateau_run())
    negative = next(e for e in finding.evidence if e.code == "negative_bias")
    assert negative.weight == 0.75 and negative.params["bias"] == -1.0 and negative.where == {"layer": "dense_0"}
    assert finding.reported
    assert [f.id for f in finding.fixes] == ["set_activation", "set_initializer"]
    assert finding.fixes[1].params["bias_initializer"] == "zeros"


def test_very_high_rate_with_relu_and_plateau():
    finding, _ = diagnose(DeadRelu, model(mlp(3), optimizer="SGD", learning_rate=5.0), plateau_run())
    assert "high_rate_with_relu" in codes(finding)
    assert finding.fixes[-1].id == "set_learning_rate" and finding.fixes[-1].params["learning_rate"] == 0.5


def test_dense_followed_by_relu_layer_is_a_relu_layer():
    layers = [dense("d0", 32, "linear", bias="Constant", bias_config=init("Constant", value=-0.2)),
              layer("relu", "ReLU", "relu"), dense("out", 10, "softmax")]
    finding, _ = diagnose(DeadRelu, model(layers))
    assert weight_of(finding, "negative_bias") == 0.55


def test_leaky_relu_or_zero_biases_contradict():
    finding, _ = diagnose(DeadRelu, model(mlp(3, "leaky_relu")), plateau_run())
    assert weight_of(finding, "no_relu") < 0 and finding.confidence < 0.15
    finding, _ = diagnose(DeadRelu, model(mlp(3)), plateau_run())
    assert weight_of(finding, "relu_starts_healthy") < 0 and finding.confidence < REPORTING_THRESHOLD


def test_dead_relu_from_symptoms_alone_is_capped():
    finding, _ = diagnose(DeadRelu, None, plateau_run())
    assert_symptom_only(finding, DeadRelu, "plateau_no_learning")


def test_dead_relu_weakened_by_a_healthy_log():
    layers = mlp(3, bias="Constant", bias_config=init("Constant", value=-1.0))
    assert_weakened_by_healthy_log(DeadRelu, model(layers))


# ---------------------------------------------------------------- bad_initialization

def test_zero_kernel_in_a_hidden_layer_fires():
    layers = mlp(2)
    layers[0] = dense("dense_0", 64, kernel="Zeros", kernel_config=init("Zeros"))
    finding, _ = diagnose(BadInitialization, model(layers), plateau_run())
    constant = next(e for e in finding.evidence if e.code == "constant_kernel")
    assert constant.weight == 0.8 and constant.where == {"layer": "dense_0"} and constant.params["value"] == 0.0
    fix = finding.fixes[0]
    assert (fix.id, fix.applicability, fix.params["layers"]) == ("set_initializer", "safe", ["dense_0"])
    assert fix.params["kernel_initializer"] == "he_normal"  # a relu layer


def test_constant_given_by_name_and_tiny_variance():
    layers = [dense("d0", 64, "tanh", kernel="Constant", kernel_config=init("Constant", value=0.5)),
              dense("d1", 64, "tanh", kernel="RandomNormal", kernel_config=init("RandomNormal", stddev=1e-4)),
              dense("out", 10, "softmax")]
    finding, _ = diagnose(BadInitialization, model(layers))
    assert {"constant_kernel", "tiny_variance_kernel"} <= codes(finding)
    assert BadInitialization().fixes(Context(model=model(layers)))[0].params["kernel_initializer"] == "glorot_uniform"


def test_huge_uniform_initializer():
    layers = [dense("d0", 64, kernel="RandomUniform", kernel_config=init("RandomUniform", minval=-5.0, maxval=5.0)),
              dense("out", 10, "softmax")]
    finding, _ = diagnose(BadInitialization, model(layers))
    assert next(e for e in finding.evidence if e.code == "huge_variance_kernel").params["stddev"] == \
        pytest.approx(10 / math.sqrt(12))


def test_zero_output_layer_and_glorot_kernels_are_fine():
    layers = mlp(2)
    layers[-1] = dense("out", 10, "softmax", kernel="Zeros")  # zero-initialized head: harmless
    finding, _ = diagnose(BadInitialization, model(layers), plateau_run())
    assert weight_of(finding, "standard_initializers") < 0 and finding.confidence < REPORTING_THRESHOLD


def test_bad_initialization_from_symptoms_alone_is_capped():
    finding, _ = diagnose(BadInitialization, None, plateau_run())
    assert_symptom_only(finding, BadInitialization, "plateau_no_learning")


def test_bad_initialization_weakened_by_a_healthy_log():
    layers = mlp(2)
    layers[0] = dense("dense_0", 64, kernel="Zeros")
    assert_weakened_by_healthy_log(BadInitialization, model(layers))


# ---------------------------------------------------------------- missing_bias

def test_layers_without_bias_fire():
    layers = mlp(3, use_bias=False)
    finding, _ = diagnose(MissingBias, model(layers), slow_run())
    bare = next(e for e in finding.evidence if e.code == "use_bias_false")
    assert bare.params["count"] == 3 and bare.weight == pytest.approx(0.6) and bare.where == {"layer": "dense_0"}
    assert finding.reported
    fix = finding.fixes[0]
    assert (fix.id, fix.applicability) == ("enable_bias", "safe")
    assert fix.params["layers"] == ["dense_0", "dense_1", "dense_2"] and "use_bias=True" in fix.code


def test_conv_without_bias_before_batchnorm_is_fine():
    conv = dense("conv", 32, None, use_bias=False, class_name="Conv2D", kernel_size=(3, 3))
    layers = [conv, layer("bn", "BatchNormalization"), layer("relu", "ReLU", "relu"), dense("out", 10, "softmax")]
    finding, _ = diagnose(MissingBias, model(layers), slow_run())
    assert weight_of(finding, "bias_replaced_by_normalization") < 0
    assert finding.confidence < REPORTING_THRESHOLD


def test_functional_graph_through_dropout_to_normalization():
    conv = dense("conv", 32, None, use_bias=False, class_name="Conv2D", kernel_size=(3, 3))
    layers = [layer("in", "InputLayer"), conv, layer("drop", "Dropout", inbound=["conv"]),
              layer("ln", "LayerNormalization", inbound=["drop"]), dense("out", 10, "softmax", inbound=["ln"])]
    layers[1].inbound = ["in"]
    spec = model(layers, class_name="Functional")
    assert "bias_replaced_by_normalization" in {e.code for e in MissingBias().evaluate(Context(model=spec))}
    layers[3] = dense("d2", 8, inbound=["drop"])
    layers[4].inbound = ["d2"]
    found = list(MissingBias().evaluate(Context(model=model(layers, class_name="Functional"))))
    assert found[0].code == "use_bias_false"
    assert MissingBias().fixes(Context(model=model(layers)))[0].code.startswith("Conv2D(32, (3, 3)")


def test_all_biased_model_contradicts_and_the_rule_needs_a_model():
    finding, _ = diagnose(MissingBias, model(mlp(3)), slow_run())
    assert weight_of(finding, "all_layers_biased") < 0 and finding.confidence < REPORTING_THRESHOLD
    assert MissingBias.needs == ("model",)


def test_missing_bias_weakened_by_a_healthy_log():
    finding = assert_weakened_by_healthy_log(MissingBias, model(mlp(3, use_bias=False)))
    assert not finding.reported


# ---------------------------------------------------------------- bias_regularized

def test_bias_regularizer_fires():
    layers = mlp(2, bias_regularizer={"class": "L2", "l2": 0.01})
    finding, _ = diagnose(BiasRegularized, model(layers))
    item = finding.evidence[0]
    assert item.code == "bias_regularizer" and item.weight == 0.6
    assert item.params["regularizer"] == "L2(l2=0.01)" and item.params["count"] == 2
    assert finding.reported
    fix = finding.fixes[0]
    assert (fix.id, fix.applicability, fix.params["layers"]) == ("drop_bias_regularizer", "safe", ["dense_0", "dense_1"])
    assert "bias_regularizer=None" in fix.code


def test_weak_bias_regularizer_is_weaker_evidence():
    finding, _ = diagnose(BiasRegularized, model(mlp(1, bias_regularizer={"class": "L1", "l1": 1e-5})))
    assert finding.evidence[0].weight == 0.5


def test_no_bias_regularizer_contradicts_and_the_rule_needs_a_model():
    finding, _ = diagnose(BiasRegularized, model(mlp(2)), slow_run())
    assert weight_of(finding, "no_bias_regularizer") < 0 and finding.confidence < 0.1
    assert BiasRegularized.needs == ("model",)


def test_bias_regularized_weakened_by_a_healthy_log():
    finding = assert_weakened_by_healthy_log(BiasRegularized, model(mlp(2, bias_regularizer={"class": "L2", "l2": 0.01})))
    assert not finding.reported


# ---------------------------------------------------------------- sgd_without_momentum

def test_plain_sgd_fires_with_slow_convergence():
    finding, _ = diagnose(SgdWithoutMomentum, model(mlp(), optimizer="SGD"), slow_run())
    assert {"sgd_zero_momentum", "slow_convergence"} <= codes(finding) and finding.reported
    assert [(f.id, f.applicability) for f in finding.fixes] == [("set_momentum", "review"), ("switch_optimizer", "review")]
    assert finding.fixes[0].params == {"momentum": 0.9} and "momentum=0.9" in finding.fixes[0].code


def test_keras2_sgd_config_without_momentum_is_plain_sgd():
    spec = model(mlp(), optimizer="SGD")
    spec.optimizer.momentum = None
    finding, _ = diagnose(SgdWithoutMomentum, spec)
    assert finding.evidence[0].code == "sgd_default_momentum"


def test_momentum_or_adam_contradicts():
    finding, _ = diagnose(SgdWithoutMomentum, model(mlp(), optimizer="SGD", momentum=0.9, nesterov=True), slow_run())
    item = next(e for e in finding.evidence if e.code == "sgd_with_momentum")
    assert item.weight < 0 and "nesterov=True" in item.describe()
    assert finding.confidence < REPORTING_THRESHOLD
    finding, _ = diagnose(SgdWithoutMomentum, model(mlp()), slow_run())
    assert weight_of(finding, "not_sgd") < 0 and finding.confidence < 0.1


def test_sgd_from_symptoms_alone_is_capped():
    finding, _ = diagnose(SgdWithoutMomentum, None, slow_run())
    assert_symptom_only(finding, SgdWithoutMomentum, "slow_convergence")
    # a model without compile settings does not decide it either
    no_optimizer = model(mlp(), optimizer=None)
    finding, _ = diagnose(SgdWithoutMomentum, no_optimizer, slow_run())
    assert finding.settle is not None


def test_sgd_weakened_by_a_healthy_log():
    finding = assert_weakened_by_healthy_log(SgdWithoutMomentum, model(mlp(), optimizer="SGD"))
    assert not finding.reported


# ---------------------------------------------------------------- kl_divergence_misuse

def negative_kl_run():
    return run(loss=np.linspace(0.5, -0.8, 20))


def test_kl_with_relu_output_and_negative_loss():
    finding, _ = diagnose(KlDivergenceMisuse, model(mlp(output="relu"), loss="kl_divergence"), negative_kl_run())
    assert {"non_distribution_output", "negative_loss"} <= codes(finding)
    negative = next(e for e in finding.evidence if e.code == "negative_loss")
    assert negative.params["at"] == 9 and negative.source.line == 10
    assert finding.reported
    fix = finding.fixes[0]
    assert (fix.id, fix.applicability, fix.params["activation"]) == ("set_output_activation", "safe", "softmax")
    assert fix.code == 'Dense(10, activation="softmax", name="out")'


def test_kl_with_sigmoid_output_and_nan():
    finding, _ = diagnose(KlDivergenceMisuse, model(mlp(output="sigmoid"), loss="kl_divergence"), nan_run())
    assert weight_of(finding, "non_distribution_output") == 0.7 and "nan_loss" in codes(finding)


def test_softmax_output_or_another_loss_contradicts():
    finding, _ = diagnose(KlDivergenceMisuse, model(mlp(), loss="kl_divergence"), nan_run())
    assert weight_of(finding, "softmax_output") < 0 and finding.confidence < REPORTING_THRESHOLD
    finding, _ = diagnose(KlDivergenceMisuse, model(mlp(output="relu")), nan_run())
    assert weight_of(finding, "not_kl_loss") < 0 and finding.confidence < 0.1


def test_softmax_output_with_negative_loss_points_at_the_targets():
    finding, _ = diagnose(KlDivergenceMisuse, model(mlp(), loss="kl_divergence"), negative_kl_run())
    assert "softmax_output" not in codes(finding) and "negative_loss" in codes(finding)
    assert [f.id for f in finding.fixes] == ["check_labels"]


def test_kl_from_symptoms_alone_is_capped_and_negative_loss_speaks_alone():
    finding, _ = diagnose(KlDivergenceMisuse, None, nan_run())
    assert_symptom_only(finding, KlDivergenceMisuse, "nan_loss")
    finding, _ = diagnose(KlDivergenceMisuse, None, negative_kl_run())
    # The rule's own curve evidence, without a model: capped, saying what would settle it.
    assert "negative_loss" in codes(finding) and finding.settle is not None
    assert finding.confidence <= OWN_CURVES_CAP


def test_negative_loss_is_a_symptom_seen_not_an_absent_one():
    finding, _ = diagnose(KlDivergenceMisuse, None, negative_kl_run())
    assert codes(finding) == {"negative_loss"} and finding.reported


def test_kl_weakened_by_a_healthy_log():
    assert_weakened_by_healthy_log(KlDivergenceMisuse, model(mlp(output="linear"), loss="kl_divergence"))


# ---------------------------------------------------------------- robustness

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ODD_NUMBERS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5),
                        st.text(max_size=3), st.booleans())
CLASSES = ["Dense", "Conv2D", "LSTM", "SimpleRNN", "Bidirectional", "Activation", "ReLU", "BatchNormalization",
           "Dropout", "Add", "Flatten", "Lambda", "Embedding", "Functional", "Weird"]
ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu", "swish"]
INITIALIZERS = [None, "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
                "GlorotUniform", "HeNormal"]


@st.composite
def odd_layers(draw, depth=0):
    name = draw(st.sampled_from(["a", "b", "c", "d", "e", "out"]))
    init_name = draw(st.sampled_from(INITIALIZERS))
    config = draw(st.dictionaries(st.sampled_from(["kernel_initializer", "bias_initializer", "layer", "units"]),
                                  st.one_of(ODD_NUMBERS, st.fixed_dictionaries(
                                      {"class_name": st.sampled_from(INITIALIZERS[1:] + ["LSTM"]),
                                       "config": st.dictionaries(st.sampled_from(["value", "stddev", "minval",
                                                                                  "maxval", "units"]),
                                                                 st.one_of(ODD_NUMBERS, st.lists(ODD_NUMBERS,
                                                                                                  max_size=3)))})),
                                  max_size=4))
    sub = draw(st.lists(odd_layers(depth + 1), max_size=2)) if depth < 1 else []
    return LayerSpec(name=name, class_name=draw(st.sampled_from(CLASSES)), path=name, config=config,
                     units=draw(st.one_of(st.none(), st.integers(0, 5))),
                     kernel_size=draw(st.one_of(st.none(), st.just((3,)), st.just((3, 3)))),
                     activation=draw(st.sampled_from(ACTIVATIONS)), kernel_initializer=init_name,
                     bias_initializer=draw(st.sampled_from(INITIALIZERS)),
                     bias_regularizer=draw(st.one_of(st.none(), st.dictionaries(
                         st.sampled_from(["class", "l1", "l2"]), ODD_NUMBERS, max_size=3))),
                     use_bias=draw(st.sampled_from([None, True, False])), trainable=draw(st.booleans()),
                     inbound=draw(st.lists(st.sampled_from(["a", "b", "c", "zz"]), max_size=2)), sublayers=sub)


@st.composite
def odd_contexts(draw):
    layers = draw(st.lists(odd_layers(), max_size=6))
    optimizer = draw(st.one_of(st.none(), st.builds(
        OptimizerSpec, name=st.sampled_from(["Adam", "SGD", "Adadelta", "Lion", "Weird"]),
        learning_rate=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        epsilon=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        momentum=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        clipnorm=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)))))
    loss = draw(st.sampled_from([None, "kl_divergence", "categorical_crossentropy"]))
    spec = ModelSpec("m", draw(st.sampled_from(["Sequential", "Functional"])), "keras", layers=layers,
                     output_names=draw(st.lists(st.sampled_from(["a", "out", "zz"]), max_size=2)),
                     compile=CompileSpec(loss=[LossSpec(loss)] if loss else [], optimizer=optimizer),
                     complete=draw(st.booleans()))
    values = st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=12)
    # Losses kept in 1e-6..1e6 in size: the symptom detectors (not these rules) overflow on
    # extreme ones (relative_drop divides by a start level near 0 or near 1e308).
    losses = st.lists(st.one_of(st.floats(1e-6, 1e6), st.floats(-1e6, -1e-6),
                                st.sampled_from([0.0, math.nan, math.inf])), max_size=12)
    log = run(loss=draw(losses), learning_rate=draw(values),
              events=[CallbackEvent("lr_change", draw(st.text(max_size=40)), Source("x"),
                                    epoch=draw(st.one_of(st.none(), st.integers(-3, 20))),
                                    params=draw(st.dictionaries(st.sampled_from(["learning_rate", "lr"]),
                                                                ODD_NUMBERS, max_size=1)))])
    return draw(st.sampled_from([None, spec])), draw(st.sampled_from([None, log]))


@settings(deadline=None, max_examples=200)
@given(odd_contexts())
def test_odd_models_and_logs_never_crash_a_rule(case):
    spec, log = case
    for rule_class in ALL_RULES:
        ctx = Context(run=log, model=spec, settings=FitSettings(epochs_planned=600))
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
