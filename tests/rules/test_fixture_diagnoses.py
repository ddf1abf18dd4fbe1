"""The whole engine on the real fixtures: the seed scenarios get their causes, healthy runs get
none, and the logs quoted in the seed reports yield the right symptoms on their own.

The fixtures are real Keras runs (``tools/make_fixtures.py``); each case loads the saved model
and the console log of ``fit(verbose=1)`` exactly as a user would drop them on the window.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.run import Source
from app.io.load import load_paths
from app.rules.engine import SYMPTOM_ONLY_CAP, diagnose_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUNS = FIXTURES / "runs"
MANIFEST = json.loads((FIXTURES / "fixtures.json").read_text(encoding="utf-8"))["scenarios"]


def _model_file(folder: Path) -> Path:
    for name in ("model.keras", "model.h5", "model.json"):
        if (folder / name).exists():
            return folder / name
    raise AssertionError(f"no model file in {folder}")


def _diagnosis(*paths: Path):
    loaded = load_paths([str(p) for p in paths])
    cases = diagnose_all(loaded.runs, loaded.models)
    assert len(cases) == 1, [c.diagnosis.runs for c in cases]
    return cases[0].diagnosis


def _run_diagnosis(scenario: str):
    folder = RUNS / scenario
    return _diagnosis(_model_file(folder), folder / "console_v1.txt")


def _reported(diagnosis) -> list[str]:
    return [f.cause for f in diagnosis.reported]


def test_seed000_run_is_mse_for_classification_first():
    diagnosis = _run_diagnosis("seed000_mse_sigmoid")
    assert _reported(diagnosis)[0] == "mse_for_classification"
    top = diagnosis.reported[0]
    assert any(e.kind == "static" and e.weight > 0 for e in top.evidence)


def test_seed000_lambda_layers_are_reported():
    assert "unsafe_lambda_layer" in _reported(_run_diagnosis("seed000_mse_sigmoid"))


def test_seed002_run_is_softmax_with_bce_and_batchnorm_mismatch_with_eval_mismatch():
    diagnosis = _run_diagnosis("seed002_softmax_bce_bn")
    reported = _reported(diagnosis)
    assert reported[0] == "softmax_with_binary_crossentropy"
    assert "batchnorm_train_inference_mismatch" in reported
    assert "eval_mismatch" in {s.id for s in diagnosis.symptoms}


def test_seed004_run_is_final_activation_mismatch_with_nan_loss():
    diagnosis = _run_diagnosis("seed004_relu_cce_nan")
    assert _reported(diagnosis)[0] == "final_activation_mismatch"
    top = diagnosis.reported[0]
    assert "nan_loss" in {e.code for e in top.evidence if e.kind == "symptom"}
    assert top.confidence >= 0.9


def test_seed001_run_is_activation_on_input_from_the_model_alone():
    # The 250-epoch fixture did not spike (a late Adam spike is rare on small data; see
    # fixtures.json); the static evidence of the model carries the finding.
    diagnosis = _run_diagnosis("seed001_relu_input_adam")
    assert "loss_spike" not in {s.id for s in diagnosis.symptoms}
    assert "activation_on_input" in _reported(diagnosis)


def without_code(path: Path, tmp_path: Path, first: str, last: str) -> Path:
    """The post with its quoted code blanked (from the line starting ``first`` to the one
    starting ``last``; line numbers kept): the log and summary table alone."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(last))
    lines[start:end + 1] = [""] * (end + 1 - start)
    out = tmp_path / path.name
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_seed002_log_alone_yields_eval_mismatch_and_val_stuck(tmp_path):
    diagnosis = _diagnosis(without_code(FIXTURES / "seeds" / "seed002.txt", tmp_path, "import pathlib",
                                        "model.evaluate("))
    symptoms = {s.id for s in diagnosis.symptoms}
    assert {"eval_mismatch", "val_stuck_train_improves"} <= symptoms
    mismatch = next(s for s in diagnosis.symptoms if s.id == "eval_mismatch")
    assert "0.5009" in mismatch.describe("en") and "0.9548" in mismatch.describe("en")
    # Without a model (a summary table shows no loss) the cause is only possible: below the
    # reporting threshold, with what would settle it; batchnorm_train_inference_mismatch,
    # which the summary table does show, is reported.
    possible = {f.cause: f for f in diagnosis.findings if not f.reported}
    softmax_bce = possible["softmax_with_binary_crossentropy"]
    assert softmax_bce.settle is not None and softmax_bce.confidence <= SYMPTOM_ONLY_CAP
    assert "batchnorm_train_inference_mismatch" in {f.cause for f in diagnosis.reported}


def test_seed002_whole_post_gives_the_cause_from_its_code_with_the_curves():
    """The post quotes its code: read (never run), it settles what the log alone cannot."""
    diagnosis = _diagnosis(FIXTURES / "seeds" / "seed002.txt")
    assert diagnosis.model == "sequential"
    reported = {f.cause: f for f in diagnosis.reported}
    softmax_bce = reported["softmax_with_binary_crossentropy"]
    assert softmax_bce.settle is None and softmax_bce.confidence > 0.6
    assert any(e.source is not None and e.source.line == 72 for e in softmax_bce.evidence)  # Activation('softmax')
    assert "no_shuffle_sorted_data" in reported  # fit(..., shuffle=False) at line 80


def test_seed004_log_alone_yields_nan_loss_and_chance_accuracy():
    diagnosis = _diagnosis(FIXTURES / "seeds" / "seed004.txt")
    symptoms = {s.id for s in diagnosis.symptoms}
    assert {"nan_loss", "stuck_chance_accuracy"} <= symptoms
    nan = next(s for s in diagnosis.symptoms if s.id == "nan_loss")
    assert nan.start == 3


# Built without a cause and trained well (a run built with a cause can look healthy too:
# softmax + binary_crossentropy shows nothing on the curves; those are not "healthy" here).
HEALTHY = sorted(name for name, entry in MANIFEST.items()
                 if entry.get("observed") == ["healthy"] and not entry.get("causes")
                 and (RUNS / name / "console_v1.txt").exists())


def test_there_are_healthy_fixtures():
    assert len(HEALTHY) >= 6


@pytest.mark.parametrize("scenario", HEALTHY)
def test_healthy_runs_have_no_reported_finding_about_the_curves(scenario):
    diagnosis = _run_diagnosis(scenario)
    assert "healthy" in {s.id for s in diagnosis.symptoms}
    # Static-only findings about the file itself (Lambda layers) may remain.
    curve_findings = [f for f in diagnosis.reported if f.cause != "unsafe_lambda_layer"]
    assert curve_findings == [], [(f.cause, round(f.confidence, 2)) for f in curve_findings]


# Runs whose built cause is honestly not the first reported finding with model, log and code.
KNOWN_MISSES = {
    "adam_eps_long_mlp": "Adam's default epsilon over 500 full-batch epochs; the run stayed healthy, and the "
                         "epsilon finding stays under the threshold when the curves are healthy (by design)",
}


def _labeled_with_code():
    from tests.unit.test_code_reader import TOP

    for name, entry in sorted(MANIFEST.items()):
        if entry.get("causes") and (RUNS / name / "console_v1.txt").exists() and f"scenario_{name}" in TOP:
            yield name


@pytest.mark.parametrize("name", list(_labeled_with_code()))
def test_every_labeled_run_with_its_code_gets_its_cause_first(name):
    """The benchmark's main figure as a test: the saved model, the console log and the run's
    own training code (read, never run) give a cause the run was built with (or has
    incidentally) as the first reported finding."""
    from app.io.code import read_code
    from tests.unit.test_code_reader import scenario_code

    folder = RUNS / name
    loaded = load_paths([str(_model_file(folder)), str(folder / "console_v1.txt")])
    code = read_code(scenario_code(name), f"{name}.py").model
    cases = diagnose_all(loaded.runs, [*loaded.models, code])
    assert len(cases) == 1
    _assert_cause_first(name, cases[0].diagnosis, KNOWN_MISSES)


def _assert_cause_first(name: str, diagnosis, known_misses: dict) -> None:
    """A cause the run was built with (or has incidentally) is the first reported finding,
    unless the run is a named miss, which must still miss (else it is fixed: drop it)."""
    reported = [f.cause for f in diagnosis.reported]
    truth = set(MANIFEST[name]["causes"]) | set(MANIFEST[name].get("incidental_causes", []))
    if name in known_misses:
        assert not reported or reported[0] not in truth, f"{name} is fixed: drop it from the known misses"
        return
    assert reported and reported[0] in truth, (reported, truth)


# Runs whose built cause is honestly not the first reported finding with only the model and
# the console log: what decides them lives in the training code, which a Keras 3 log never shows.
KNOWN_MISSES_WITHOUT_CODE = {
    **KNOWN_MISSES,
    "bn_small_batch_conv2d": "batch size 2 is in fit(), not in the log: with the batch size unknown, "
                             "batchnorm_small_batch cannot be told from a train/inference mismatch",
    "no_shuffle_sorted_mlp": "shuffle=False and the sorted labels are in the code; the log shows a "
                             "skewed curve that reads as class_imbalance",
    "label_error_mlp": "the training set size is in the code, not in a CSV log: without it "
                       "overfitting_small_data is only possible (symptom evidence alone stays below the "
                       "threshold), and the shuffled labels are outside any file",
}


def _labeled_runs():
    for name, entry in sorted(MANIFEST.items()):
        if entry.get("causes") and (RUNS / name / "console_v1.txt").exists():
            yield name


@pytest.mark.parametrize("name", list(_labeled_runs()))
def test_every_labeled_run_from_its_model_and_log_gets_its_cause_first(name):
    """The benchmark's "model + log" figure as a test: what most users have, the saved model
    and the console output of fit()."""
    folder = RUNS / name
    loaded = load_paths([str(_model_file(folder)), str(folder / "console_v1.txt")])
    cases = diagnose_all(loaded.runs, list(loaded.models))
    _assert_cause_first(name, cases[0].diagnosis, KNOWN_MISSES_WITHOUT_CODE)


def test_validation_accuracy_far_below_chance_is_a_label_error_not_overfitting():
    """label_error_conv2d: training class ids shifted by one; training accuracy 0.985,
    validation accuracy falls to 0.0 (below the 0.25 of a guess)."""
    folder = RUNS / "label_error_conv2d"
    diagnosis = _diagnosis(_model_file(folder), folder / "console_v1.txt")
    top = diagnosis.reported[0]
    assert top.cause == "label_error"
    piece = next(e for e in top.evidence if e.code == "val_accuracy_below_chance")
    assert piece.params["val_acc"] < 0.125 and piece.params["train_acc"] > 0.9
    overfit = next((f for f in diagnosis.findings if f.cause == "overfitting_small_data"), None)
    assert overfit is None or any(e.code == "below_chance_not_overfitting" for e in overfit.evidence)


def test_the_training_set_size_comes_from_steps_and_the_codes_batch_size():
    """overfit_small_conv1d: 40 sequences in batches of 8 (the code), 5 steps an epoch (the
    log): at most 40 samples for 4,995 parameters."""
    from app.io.code import read_code
    from tests.unit.test_code_reader import scenario_code

    folder = RUNS / "overfit_small_conv1d"
    loaded = load_paths([str(_model_file(folder)), str(folder / "console_v1.txt")])
    code = read_code(scenario_code("overfit_small_conv1d"), "train.py").model
    diagnosis = diagnose_all(loaded.runs, [*loaded.models, code])[0].diagnosis
    top = diagnosis.reported[0]
    assert top.cause == "overfitting_small_data"
    ratio = next(e for e in top.evidence if e.code == "params_per_sample")
    assert ratio.params["samples"] == 40 and "steps" in str(ratio.source)


def test_a_network_without_any_bias_is_reported_even_when_it_trains():
    folder = RUNS / "missing_bias_mlp"
    diagnosis = _diagnosis(_model_file(folder), folder / "console_v1.txt")
    assert diagnosis.reported[0].cause == "missing_bias"
    assert any(e.code == "no_bias_anywhere" for e in diagnosis.reported[0].evidence)


def test_raw_pixels_at_a_usual_learning_rate_point_at_the_inputs():
    folder = RUNS / "unnormalized_pixels_conv2d"
    diagnosis = _diagnosis(_model_file(folder), folder / "console_v1.txt")
    assert diagnosis.reported[0].cause == "unnormalized_inputs"
    large = next(e for e in diagnosis.reported[0].evidence if e.code == "large_first_loss")
    assert large.weight == pytest.approx(0.4)


def test_unshuffled_sorted_data_explains_validation_stuck_at_one_classs_share():
    """no_shuffle_sorted_mlp with the fit() call's shuffle=False: training accuracy swings down
    from 0.915 and settles at 0.6, validation accuracy is 0.555 every epoch. Training does not
    improve, so it is not val_stuck_train_improves; validation at one class's share is what
    single-class batches leave behind, and it carries the finding."""
    folder = RUNS / "no_shuffle_sorted_mlp"
    loaded = load_paths([str(_model_file(folder)), str(folder / "console_v1.txt")])
    for run in loaded.runs:
        run.fit.set("shuffle", False, Source("train.py", 30))
    diagnosis = diagnose_all(loaded.runs, list(loaded.models))[0].diagnosis
    assert "val_stuck_train_improves" not in {s.id for s in diagnosis.symptoms}
    top = diagnosis.reported[0]
    assert top.cause == "no_shuffle_sorted_data"
    assert {"shuffle_false", "stuck_chance_accuracy"} <= {e.code for e in top.evidence}
    assert "symptoms_absent" not in {e.code for e in top.evidence}


def test_a_loss_wrecked_in_the_first_epoch_is_not_plain_sgds_slow_progress():
    """unnormalized_inputs_mlp (plain SGD on unscaled inputs): 2.9e4 in epoch 1, then 1.08 for
    good. The plateau is no learning, but plain SGD crawls, it does not do this."""
    folder = RUNS / "unnormalized_inputs_mlp"
    diagnosis = _diagnosis(_model_file(folder), folder / "console_v1.txt")
    plateau = next(s for s in diagnosis.symptoms if s.id == "plateau_no_learning")
    assert plateau.start == 2 and plateau.params["first"] > 1e4
    sgd = next(f for f in diagnosis.findings if f.cause == "sgd_without_momentum")
    assert any(e.code == "wrecked_in_first_epoch" and e.weight < 0 for e in sgd.evidence)
    assert diagnosis.reported[0].cause == "unnormalized_inputs"
