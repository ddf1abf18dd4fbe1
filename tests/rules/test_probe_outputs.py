"""What the probe measures of the model's outputs and statistics on the data sample: its
accuracy there against the accuracy fit() logged (a measured ``eval_mismatch``), each
BatchNormalization layer's moving variance against the sample's, a model that always answers
the majority class, an adaptive optimizer's steps against the size of the weights, and the
time budget held inside a measurement. On the project's real runs, each probed with the
training arrays its fixture recipe made (``tools/make_fixtures.py``, run here up to its fit
call). TensorFlow workers: the module is marked slow."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from app.io.data_sample import DataSample
from app.io.load import load_path
from app.probe import run_probe
from app.rules.engine import diagnose_all
from tests.rules.test_probe_evidence import _measured_codes, _probed

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "tests" / "fixtures" / "runs"


def scenario_training_data(run: str) -> tuple[np.ndarray, np.ndarray]:
    """The training arrays of a fixture scenario, from its own recipe (run up to its fit call:
    ``tools/make_fixtures.py``'s ``training_arrays``)."""
    spec = importlib.util.spec_from_file_location("make_fixtures_arrays", ROOT / "tools" / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.training_arrays(run)


def _probe_run(run: str, budget: float = 30.0):
    x, y = scenario_training_data(run)
    sample = DataSample(f"{run} training data", "npz", x, y, len(x))
    model_path = RUNS / run / "model.keras"
    measured = run_probe(model_path, sample, budget=budget)
    loaded = load_path(RUNS / run / "console_v1.txt")
    loaded.extend(load_path(model_path))
    (item,) = diagnose_all(loaded.runs, loaded.models, data=sample, probes={str(model_path): measured})
    return measured, item.diagnosis


def _finding(diagnosis, cause: str):
    return next(f for f in diagnosis.findings if f.cause == cause)


def test_the_probe_s_accuracy_is_an_evaluate_on_training_data_and_bn_statistics_are_compared():
    measured, _, with_probe = _probed("bn_moving_stats_conv2d")
    assert measured["accuracy_inference"] < 0.3  # fit logged 0.99 in its last epoch
    model_path = str(RUNS / "bn_moving_stats_conv2d" / "model.keras")
    loaded = load_path(RUNS / "bn_moving_stats_conv2d" / "log.csv")  # the CSVLogger: no evaluate() in it
    loaded.extend(load_path(model_path))
    without = diagnose_all(loaded.runs, loaded.models)[0].diagnosis
    (probed,) = diagnose_all(loaded.runs, loaded.models, probes={model_path: measured})
    (symptom,) = [s for s in probed.diagnosis.symptoms if s.id == "eval_mismatch"]
    assert symptom.params["basis"] == "probe" and symptom.params["trained"] > 0.95
    assert "inference mode" in symptom.describe("en") and "推理模式" in symptom.describe("zh_CN")
    assert not any(s.id == "eval_mismatch" for s in without.symptoms)
    assert [layer["layer"] for layer in measured["batchnorm"]] == ["batch_normalization", "batch_normalization_1"]
    assert all(layer["variance_ratio"] < 0.25 for layer in measured["batchnorm"])
    top = with_probe.reported[0]
    assert top.cause == "batchnorm_train_inference_mismatch"
    assert {"batchnorm_gap_measured", "batchnorm_stats_measured"} <= set(_measured_codes(top))


def test_a_healthy_model_scores_on_its_sample_as_it_trained():
    measured, _, with_probe = _probed("healthy_mlp")
    assert abs(measured["accuracy_inference"] - 0.92) < 0.1  # the log's last training accuracy
    assert not any(s.id == "eval_mismatch" for s in with_probe.symptoms)
    assert 0 < measured["output_entropy"] < 0.5 and measured["predicted_share"] < 0.6


def test_a_model_that_always_answers_the_majority_class_is_measured():
    measured, diagnosis = _probe_run("class_imbalance_conv1d")
    assert measured["predicted_share"] == 1.0
    evidence = _measured_codes(_finding(diagnosis, "class_imbalance"))["one_class_output_measured"]
    assert abs(evidence.params["accuracy"] - evidence.params["majority"]) <= 0.02
    assert diagnosis.reported[0].cause == "class_imbalance"


def test_tiny_adam_steps_against_the_weights_are_measured_for_a_low_rate():
    measured, diagnosis = _probe_run("lr_low_adam_lstm")
    evidence = _measured_codes(_finding(diagnosis, "learning_rate_too_low"))["updates_tiny_measured"]
    assert float(evidence.params["ratio"]) <= 1e-5 and evidence.weight > 0
    assert diagnosis.reported[0].cause == "learning_rate_too_low"
    _, _, healthy = _probed("healthy_mlp")  # Adam(1e-3): steps of 1e-3 of the weights
    assert not any(e.code == "updates_tiny_measured" for f in healthy.findings for e in f.evidence)


def test_the_budget_is_held_inside_a_measurement():
    measured, _ = _probe_run("healthy_mlp_sgd", budget=0.001)  # used up before the first batch ends
    assert measured["rows_measured"] == measured["batch"] < measured["rows"]
    assert any(item.startswith("activations: measured on 64 of 256 rows") for item in measured["skipped"])
    assert any(item.startswith("loss: the time budget was used up") for item in measured["skipped"])
    assert "gradients" not in measured and "learn_trial" not in measured


def test_without_a_sample_the_units_are_measured_on_synthetic_inputs():
    from app.probe import probe_files

    paths = [str(RUNS / run / "model.keras") for run in ("dead_relu_conv1d", "healthy_mlp")]
    done = probe_files(paths, None)
    dead, healthy = (done.results[path] for path in paths)
    assert dead["inputs"] == healthy["inputs"] == "synthetic" and dead["rows"] == 128
    assert [layer["dead_share"] for layer in dead["relu_layers"]] == [1.0, 1.0]
    assert max(layer["dead_share"] for layer in healthy["relu_layers"]) <= 0.1
    loaded = load_path(RUNS / "dead_relu_conv1d" / "console_v1.txt")
    loaded.extend(load_path(paths[0]))
    (item,) = diagnose_all(loaded.runs, loaded.models, probes={paths[0]: dead})
    evidence = _measured_codes(_finding(item.diagnosis, "dead_relu"))["dead_units_measured"]
    assert evidence.weight == pytest.approx(0.4) and "synthetic inputs" in evidence.describe("en")


def test_a_model_that_is_not_rebuilt_is_probed_from_its_saved_weights():
    from app.probe import probe_files

    for name in ("model.keras", "model.h5"):  # seed 000's model: a Lambda layer, never rebuilt
        path = str(RUNS / "seed000_mse_sigmoid" / name)
        done = probe_files([path], None)
        measured = done.results[path]
        assert "saved weights only" in done.messages[0] and "Lambda" in done.messages[0]
        assert any("Lambda" in reason for reason in measured["refused"])
        layers = {item["layer"]: item for item in measured["weights"]}
        assert {"conv1d", "dense", "dense_2"} <= set(layers) and layers["conv1d"]["weight_rms"] > 0
        assert measured["layers_nonfinite"] == [] and "relu_layers" not in measured
