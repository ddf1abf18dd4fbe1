"""The cause rules added with the real-world corpus (ids from the shared taxonomy):
``label_loss_mismatch``, ``preprocessing_mismatch``, ``insufficient_capacity``,
``numerically_unstable_loss``, ``accuracy_metric_on_regression``.

Each rule: training code of our own that shows the cause (read by the real code reader,
nothing run) fires it with the evidence named; the corrected code is silent; the log alone
gives a capped finding that says what would settle it where the rule can read the log.
"""

import numpy as np
import pytest

from app.core.diagnosis import REPORTING_THRESHOLD
from app.core.run import Run, Series
from app.io.code.reader import read_code
from app.patches import Patch, plan
from app.rules.base import Context
from app.rules.causes.accuracy_metric_on_regression import AccuracyMetricOnRegression
from app.rules.causes.insufficient_capacity import InsufficientCapacity
from app.rules.causes.label_loss_mismatch import LabelLossMismatch
from app.rules.causes.numerically_unstable_loss import NumericallyUnstableLoss
from app.rules.causes.preprocessing_mismatch import PreprocessingMismatch
from app.rules.engine import OWN_CURVES_CAP, detect_symptoms, diagnose, evaluate_rule
from tests.unit.test_patches import _doc

HEAD = """
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
"""


def code_model(body: str):
    code = read_code(HEAD + body, "train.py")
    assert code.model is not None, code.unresolved
    return code.model


def run(**series):
    result = Run("log.txt", "test")
    for name, values in series.items():
        y = np.asarray(values, dtype=float)
        result.add_series(Series(name, "epoch", np.arange(1, y.size + 1), y, source_path="log.txt",
                                 source_lines=np.arange(1, y.size + 1)))
    return result


def finding(rule, model=None, log=None):
    ctx = Context(run=log, model=model)
    if log is not None:
        detect_symptoms(ctx)
    return evaluate_rule(rule(), ctx)


def codes(found):
    return {e.code for e in found.evidence if e.weight > 0}


STUCK = dict(loss=[0.6931] * 8, accuracy=[0.5012, 0.4987, 0.5003, 0.4991, 0.5008, 0.4999, 0.5004, 0.4996])


# ------------------------------------------------------------------ label_loss_mismatch

def test_one_softmax_unit_with_binary_crossentropy_is_the_output_activation():
    # Softmax over one unit is the constant 1; with binary crossentropy the activation is what
    # does not fit the loss (taxonomy: final_activation_mismatch; corpus so-46620813).
    model = code_model("""
model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(64, activation="relu"),
                          layers.Dense(1, activation="softmax")])
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8)
""")
    diagnosis = diagnose(run(**STUCK), model)
    top = diagnosis.reported[0]
    assert top.cause == "final_activation_mismatch" and "one_unit_softmax" in codes(top)
    assert next(f for f in top.fixes if f.id == "set_output_activation").params["activation"] == "sigmoid"
    assert "label_loss_mismatch" not in {f.cause for f in diagnosis.reported}


def test_one_softmax_unit_with_a_categorical_loss_is_the_label_encoding():
    model = code_model("""
model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(64, activation="relu"),
                          layers.Dense(1, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8)
""")
    top = diagnose(run(**STUCK), model).reported[0]
    assert top.cause == "label_loss_mismatch" and "one_unit_softmax" in codes(top)
    assert {f.id for f in top.fixes} >= {"set_output_activation", "check_labels"}


def test_categorical_crossentropy_over_one_output_and_sparse_loss_with_one_hot_labels():
    one_output = code_model("""
model = keras.Sequential([layers.Dense(16, activation="relu", input_shape=(8,)), layers.Dense(1, activation="sigmoid")])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8)
""")
    assert "one_unit_categorical" in codes(finding(LabelLossMismatch, one_output))
    one_hot = code_model("""
y_train = keras.utils.to_categorical(y_train, 10)
model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8)
""")
    found = finding(LabelLossMismatch, one_hot)
    assert "one_hot_with_sparse_loss" in codes(found)
    assert next(f for f in found.fixes if f.id == "set_loss").params["loss"] == "categorical_crossentropy"


def test_matching_labels_and_loss_are_silent():
    model = code_model("""
model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8)
""")
    assert finding(LabelLossMismatch, model) is None


def test_negative_loss_in_a_log_alone_is_capped_and_says_what_settles_it():
    log = run(loss=[0.9, -1.2, -3.5, -7.9, -12.0, -15.2], accuracy=[0.31, 0.33, 0.33, 0.33, 0.33, 0.33])
    found = finding(LabelLossMismatch, None, log)
    assert "negative_loss" in codes(found)
    assert found.confidence <= OWN_CURVES_CAP and found.settle is not None


# ------------------------------------------------------------------ preprocessing_mismatch

SCALED_TRAIN = """
x_train = x_train.astype("float32") / 255
model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=3)
"""


def test_evaluation_on_unscaled_data_is_found_with_its_line():
    model = code_model(SCALED_TRAIN + "model.evaluate(x_test, y_test)\n")
    found = finding(PreprocessingMismatch, model)
    evidence = next(e for e in found.evidence if e.code == "unscaled_eval_input")
    assert "x_test" in evidence.params["snippet"] and evidence.source.line is not None
    assert found.confidence >= REPORTING_THRESHOLD and found.fixes[0].id == "same_preprocessing"


@pytest.mark.parametrize("scaling", ["x_test = x_test / 255.0\n", "x_test = prep(x_test)\n"])
def test_evaluation_data_scaled_like_training_is_silent(scaling):
    helper = "def prep(a):\n    return a / 255.0\n"
    model = code_model(helper + SCALED_TRAIN + scaling + "model.evaluate(x_test, y_test)\n")
    assert finding(PreprocessingMismatch, model) is None


def test_integer_division_and_an_unscaled_test_generator():
    floor = code_model(SCALED_TRAIN.replace("/ 255", "// 255"))
    assert "floor_division" in codes(finding(PreprocessingMismatch, floor))
    generators = code_model(SCALED_TRAIN + """
train_gen = keras.preprocessing.image.ImageDataGenerator(rescale=1.0 / 255)
test_gen = keras.preprocessing.image.ImageDataGenerator()
""")
    assert "unscaled_generator" in codes(finding(PreprocessingMismatch, generators))


def test_without_code_it_only_says_what_would_settle_it():
    log = run(loss=[0.5, 0.3, 0.2], accuracy=[0.8, 0.9, 0.95])
    assert finding(PreprocessingMismatch, None, log) is None
    assert PreprocessingMismatch().settle.en.startswith("The training code")


# ------------------------------------------------------------------ numerically_unstable_loss

def test_hand_written_log_loss_without_guard():
    body = """
def my_loss(y_true, y_pred):
    return -keras.backend.sum(y_true * keras.backend.log(y_pred), axis=-1)
model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(10, activation="softmax")])
model.compile(loss=my_loss, optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=3)
"""
    found = finding(NumericallyUnstableLoss, code_model(body),
                    run(loss=[2.3, 1.1, float("nan"), float("nan"), float("nan")]))
    assert "unguarded_log_loss" in codes(found) and found.confidence >= REPORTING_THRESHOLD
    guarded = body.replace("keras.backend.log(y_pred)", "keras.backend.log(keras.backend.clip(y_pred, 1e-7, 1.0))")
    assert finding(NumericallyUnstableLoss, code_model(guarded)) is None


def test_float16_everywhere():
    model = code_model('keras.backend.set_floatx("float16")\n' + SCALED_TRAIN)
    assert "float16_floatx" in codes(finding(NumericallyUnstableLoss, model))


# ------------------------------------------------------------------ accuracy_metric_on_regression

REGRESSION = """
model = keras.Sequential([layers.Dense(64, activation="relu", input_shape=(13,)), layers.Dense(1)])
model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5)
"""
NEAR_ZERO_LOG = dict(loss=[540.2, 88.1, 41.7, 30.2, 25.9], accuracy=[0.0, 0.0025, 0.0, 0.0025, 0.0],
                     mae=[21.3, 7.9, 4.9, 4.1, 3.7])


def test_accuracy_on_a_regression_is_reported_with_the_metric_patch():
    found = finding(AccuracyMetricOnRegression, code_model(REGRESSION), run(**NEAR_ZERO_LOG))
    assert codes(found) == {"accuracy_with_regression_loss", "accuracy_near_zero"}
    assert found.confidence >= REPORTING_THRESHOLD
    assert found.fixes[0].id == "set_metrics"


def test_from_the_log_alone_accuracy_near_zero_beside_mae_is_enough():
    found = finding(AccuracyMetricOnRegression, None, run(**NEAR_ZERO_LOG))
    assert REPORTING_THRESHOLD <= found.confidence <= OWN_CURVES_CAP
    # A classifier early on (accuracy low, no regression metric) is not a regression.
    assert finding(AccuracyMetricOnRegression, None, run(loss=[4.6, 4.5, 4.3], accuracy=[0.01, 0.02, 0.03])) is None


def test_a_sigmoid_classifier_trained_with_mse_is_not_this_cause():
    model = code_model(REGRESSION.replace("layers.Dense(1)", 'layers.Dense(1, activation="sigmoid")'))
    found = finding(AccuracyMetricOnRegression, model)
    assert found is None or found.confidence < REPORTING_THRESHOLD


def test_the_metric_patch_replaces_accuracy_in_the_model_file():
    result = plan(_doc("healthy_mlp"), [Patch("set_metrics", {"metrics": ["mae"]})])
    assert [p.id for p in result.applied] == ["set_metrics"]
    assert result.document.compile_config["metrics"] == ["mae"]


# ------------------------------------------------------------------ insufficient_capacity

POOR = dict(loss=[2.20, 2.05, 1.93, 1.84, 1.76, 1.69, 1.62, 1.56, 1.50],
            accuracy=[0.18, 0.24, 0.29, 0.33, 0.36, 0.39, 0.42, 0.44, 0.46])


def test_poor_training_accuracy_still_improving_with_a_tiny_model():
    model = code_model("""
model = keras.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(1, activation="relu"),
                          layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=9)
""")
    found = finding(InsufficientCapacity, model, run(**POOR))
    assert codes(found) >= {"poor_and_improving", "tiny_model"}
    assert found.confidence >= REPORTING_THRESHOLD and found.fixes[0].id == "grow_model"


def test_a_model_that_fits_or_overfits_has_capacity():
    fits = run(loss=[0.9, 0.4, 0.2, 0.1, 0.06], accuracy=[0.7, 0.86, 0.93, 0.97, 0.98])
    assert finding(InsufficientCapacity, None, fits) is None or \
        finding(InsufficientCapacity, None, fits).confidence < REPORTING_THRESHOLD
    overfit = run(loss=[1.0, 0.8, 0.6, 0.45, 0.33, 0.25, 0.18, 0.13, 0.09, 0.06],
                  val_loss=[1.0, 0.85, 0.8, 0.82, 0.9, 1.0, 1.12, 1.25, 1.4, 1.6],
                  accuracy=[0.4, 0.45, 0.5, 0.55, 0.58, 0.6, 0.62, 0.64, 0.66, 0.68])
    found = finding(InsufficientCapacity, None, overfit)
    assert found is None or found.confidence < REPORTING_THRESHOLD
