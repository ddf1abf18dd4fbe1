"""The A/B trial of a fix (``traindoc verify``): the original setup and the patched one trained
from the same fresh initialization on the fixture's own training data (its recipe in
``tools/make_fixtures.py``, run up to its fit call), in a TensorFlow worker. Real saved models,
real training; a short budget and two seeds keep each trial near 20 s (the module is slow)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.io.data_sample import DataSample
from app.io.load import load_path
from app.patches import Patch, load_document
from app.probe.verify import TrialInputError, run_trial, split_sample, trial_arms
from app.rules.engine import diagnose_all
from app.rules.verified import verdict
from tests.rules.test_probe_outputs import scenario_training_data

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "tests" / "fixtures" / "runs"


def _sample(run: str) -> DataSample:
    x, y = scenario_training_data(run)
    return DataSample(f"{run} training data", "npz", x, y, len(x))


def _patches(run: str, requests: list[str]) -> list[Patch]:
    """The patches ``traindoc verify --fix`` makes of ``requests``: from the run's diagnosis."""
    from app.patches.choose import patches_for

    loaded = load_path(RUNS / run / "console_v1.txt")
    loaded.extend(load_path(RUNS / run / "model.keras"))
    (case,) = diagnose_all(loaded.runs, loaded.models)
    return patches_for(requests, case.diagnosis)


def _trial(run: str, requests: list[str], seeds: int = 2, budget: float = 16.0, epochs: list | None = None):
    model = RUNS / run / "model.keras"
    plan = trial_arms(load_document(model), _patches(run, requests))
    assert not plan.not_tried, plan.not_tried
    return run_trial(str(model), plan, _sample(run), seeds=seeds, budget=budget,
                     on_epoch=epochs.append if epochs is not None else None)


@pytest.mark.slow
def test_lowering_a_rate_that_was_too_high_helps_and_the_epochs_stream():
    epochs: list = []
    result = _trial("lr_high_sgd_mlp", ["learning_rate_too_high"], epochs=epochs)
    (trial,) = result["trials"]
    assert trial["verdict"] == "helps" and trial["metric"] == "val_balanced_accuracy"
    assert trial["patched"]["mean"] > trial["original"]["mean"] + 0.2 and trial["seeds"] == 2
    assert {item["arm"] for item in epochs} == {"original", "set_learning_rate"}
    assert {item["seed"] for item in epochs} == {0, 1} and all("val_balanced_accuracy" in item["logs"] for item in epochs)
    # the verdict is measured evidence for the cause's ranking
    loaded = load_path(RUNS / "lr_high_sgd_mlp" / "console_v1.txt")
    loaded.extend(load_path(RUNS / "lr_high_sgd_mlp" / "model.keras"))
    path = str(RUNS / "lr_high_sgd_mlp" / "model.keras")
    before = diagnose_all(loaded.runs, loaded.models)[0].diagnosis
    (case,) = diagnose_all(loaded.runs, loaded.models, trials={path: result["trials"]})
    finding = next(f for f in case.diagnosis.findings if f.cause == "learning_rate_too_high")
    evidence = next(e for e in finding.evidence if e.code == "fix_helps_measured")
    assert evidence.kind == "measured" and "the fix helps" in evidence.describe("en")
    assert finding.confidence >= next(f for f in before.findings if f.cause == "learning_rate_too_high").confidence


@pytest.mark.slow
def test_a_fix_for_a_cause_the_healthy_run_does_not_have_makes_no_clear_difference():
    # 24 s: each run trains 6 s, long enough that both arms reach the model's plateau whatever the
    # machine's load does to the number of epochs (at 4 s one run in eight differed here)
    result = _trial("healthy_mlp_sgd", ["set_clipnorm:clipnorm=1.0"], budget=24.0)
    (trial,) = result["trials"]
    assert trial["verdict"] == "no_difference", trial
    assert trial["original"]["mean"] > 0.65  # it learns (binary: chance 0.5) in its 6 s per run, either way
    assert abs(trial["patched"]["mean"] - trial["original"]["mean"]) < 0.05


@pytest.mark.slow
def test_the_cli_prints_the_documented_json():
    x, y = scenario_training_data("lr_high_sgd_mlp")
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    np.savez(folder / "verify_sample.npz", x=x, y=y)
    run = RUNS / "lr_high_sgd_mlp"
    done = subprocess.run([sys.executable, "-m", "app", "verify", str(run / "model.keras"), str(run / "console_v1.txt"),
                           "--data", str(folder / "verify_sample.npz"), "--fix", "set_learning_rate", "--seeds", "1",
                           "--budget", "8", "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    (trial,) = document["trials"]
    assert set(trial) >= {"fix", "cause", "verdict", "metric", "original", "patched", "seeds", "seconds"}
    assert trial["fix"] == "set_learning_rate" and trial["verdict"] in ("helps", "no_difference", "worse")
    assert "epoch 1" in done.stderr  # the epochs stream as they end
    from app.cli.verify_command import render_text

    text = render_text(document)  # the text form: the reports' sentence for each trial
    assert "set_learning_rate (for learning_rate_too_high): val_balanced_accuracy" in text
    assert "against" in text and "for the original setup, 1 seed," in text


def test_a_sample_without_labels_or_too_small_says_what_is_needed():
    x = np.zeros((100, 8), dtype="float32")
    with pytest.raises(TrialInputError, match="needs labels"):
        split_sample(DataSample("unlabeled.npz", "npz", x, None, 100))
    with pytest.raises(TrialInputError, match="too few for a trial"):
        split_sample(DataSample("tiny.npz", "npz", x[:12], np.zeros(12), 12))
    x_train, y_train, x_val, y_val = split_sample(DataSample("s.npz", "npz", np.arange(100.0)[:, None],
                                                             np.arange(100) % 2, 100))
    assert len(x_val) == 20 and len(x_train) == 80
    assert np.all(np.diff(x_train[:, 0]) > 0)  # the training rows keep their order (sorted data stays sorted)


def test_a_patch_that_changes_nothing_is_not_tried():
    plan = trial_arms(load_document(RUNS / "healthy_mlp" / "model.keras"),
                      [Patch("replace_flatten_with_gap", cause="dense_bottleneck")])
    assert [arm.name for arm in plan.arms] == ["original"]
    assert plan.not_tried and plan.not_tried[0].startswith("replace_flatten_with_gap: not tried")


def test_the_verdict_needs_a_clear_difference():
    def arm(values):
        mean = sum(values) / len(values)
        std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5 if len(values) > 1 else 0.0
        return {"mean": mean, "std": std, "runs": len(values)}

    metric = "val_balanced_accuracy"
    assert verdict(arm([0.5, 0.5, 0.5]), arm([0.91, 0.93, 0.89]), metric) == "helps"
    assert verdict(arm([0.9, 0.91, 0.92]), arm([0.5, 0.52, 0.48]), metric) == "worse"
    assert verdict(arm([0.80, 0.82, 0.81]), arm([0.83, 0.84, 0.82]), metric) == "no_difference"  # under 0.05
    assert verdict(arm([0.3, 0.9, 0.5]), arm([0.9, 0.4, 0.95]), metric) == "no_difference"  # within the noise
    assert verdict(arm([0.5]), arm([float("-inf")]), metric) == "worse"  # the patched run went NaN
    # the seeds pair the arms (the same initialization): a gain every seed shows is clear even
    # when the seeds themselves differ a lot (bn_moving_stats_conv2d: +0.185 and +0.127)
    original, patched = arm([0.25, 0.43]), arm([0.435, 0.557])
    assert verdict(original, patched, metric) == "no_difference"  # unpaired: within the seeds' spread
    assert verdict(original, patched, metric, paired=[0.185, 0.127]) == "helps"
