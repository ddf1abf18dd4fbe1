"""A data sample (``--data``) decides what a log and a model cannot: measured evidence on the
project's real runs (models saved by real Keras, logs printed by their ``fit``), each given the
training data its run was made with (regenerated here by the fixture's own numpy recipe,
``tools/make_fixtures.py``), and the same run with data that does not show the fault."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.io.data_sample import read_data_sample
from app.io.load import load_path
from app.rules.engine import diagnose_all

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "tests" / "fixtures" / "runs"


def _diagnose(run: str, x, y, tmp_path, log: str = "console_v1.txt"):
    np.savez(tmp_path / "sample.npz", x=x, y=y)
    loaded = load_path(RUNS / run / log)
    loaded.extend(load_path(RUNS / run / "model.keras"))
    (item,) = diagnose_all(loaded.runs, loaded.models, data=read_data_sample(tmp_path / "sample.npz"))
    return item.diagnosis


def _measured(diagnosis, cause: str) -> dict:
    finding = next((f for f in diagnosis.findings if f.cause == cause), None)
    return {} if finding is None else {e.code: e for e in finding.evidence if e.kind == "measured"}


def sorted_training_data():
    """no_shuffle_sorted_mlp's training set (RandomState(121)), sorted by label as it trained."""
    rs = np.random.RandomState(121)
    x = rs.normal(size=(800, 8)).astype("float32")
    y = ((x[:, 0] * x[:, 1] + x[:, 2] - 0.5 * x[:, 3]) > 0).astype("float32")
    order = np.argsort(y[:600], kind="stable")
    return x[:600][order], y[:600][order]


def test_class_sorted_data_is_measured_and_names_no_shuffle(tmp_path):
    x, y = sorted_training_data()
    diagnosis = _diagnose("no_shuffle_sorted_mlp", x, y, tmp_path)
    measured = _measured(diagnosis, "no_shuffle_sorted_data")
    assert measured["sample_sorted_by_class"].params["changes"] == 1
    assert diagnosis.reported[0].cause == "no_shuffle_sorted_data"


def test_the_same_data_shuffled_shows_no_order(tmp_path):
    x, y = sorted_training_data()
    order = np.random.RandomState(0).permutation(len(y))
    diagnosis = _diagnose("no_shuffle_sorted_mlp", x[order], y[order], tmp_path)
    assert "sample_sorted_by_class" not in _measured(diagnosis, "no_shuffle_sorted_data")


def test_class_shares_of_the_sample_decide_class_imbalance(tmp_path):
    rs = np.random.RandomState(122)  # class_imbalance_mlp: about 5 % positives
    y = (rs.uniform(size=1000) < 0.05).astype("float32")
    x = rs.normal(size=(1000, 10)).astype("float32")
    diagnosis = _diagnose("class_imbalance_mlp", x[:800], y[:800], tmp_path)
    top = diagnosis.reported[0]
    assert top.cause == "class_imbalance" and top.settle is None  # the counts decided it
    share = next(e for e in top.evidence if e.code == "majority_share").params["share"]
    assert abs(share - (1 - y[:800].mean())) < 1e-3


def test_one_hot_labels_under_a_sparse_loss_are_measured(tmp_path):
    rs = np.random.RandomState(10)  # healthy_mlp's data, labels one-hot instead of indices
    weights = rs.normal(size=(12, 3))
    x = rs.normal(size=(800, 12)).astype("float32")
    y = np.argmax(x @ weights + 0.8 * rs.normal(size=(800, 3)), axis=1)
    one_hot = np.eye(3, dtype="float32")[y[:600]]
    wrong = _diagnose("healthy_mlp", x[:600], one_hot, tmp_path)
    evidence = _measured(wrong, "label_loss_mismatch")["labels_one_hot_with_sparse_loss"]
    assert evidence.weight > 0.5 and "one-hot rows of 3 columns" in evidence.describe("en")
    assert any(f.cause == "label_loss_mismatch" for f in wrong.reported)
    right = _diagnose("healthy_mlp", x[:600], y[:600], tmp_path)
    assert not any(f.cause == "label_loss_mismatch" for f in right.findings)
    from app.rules.base import Context
    from app.rules.causes.label_loss_mismatch import LabelLossMismatch

    model = load_path(RUNS / "healthy_mlp" / "model.keras").models[0]
    codes = {e.code: e.weight for e in LabelLossMismatch().evaluate(
        Context(model=model, data=read_data_sample(tmp_path / "sample.npz")))}
    assert codes["labels_fit_loss"] < 0  # index labels fit the sparse loss: evidence against


def test_raw_input_scale_is_measured(tmp_path):
    rs = np.random.RandomState(120)  # unnormalized_inputs_mlp: features x 1000
    weights = rs.normal(size=(12, 3))
    x = rs.normal(size=(800, 12)).astype("float32")
    y = np.argmax(x @ weights + 0.8 * rs.normal(size=(800, 3)), axis=1)
    large = _measured(_diagnose("unnormalized_inputs_mlp", x[:600] * 1000, y[:600], tmp_path), "unnormalized_inputs")
    assert large["inputs_large"].params["high"] > 1000
    modest = _measured(_diagnose("unnormalized_inputs_mlp", np.clip(x[:600], -4, 4), y[:600], tmp_path),
                       "unnormalized_inputs")
    assert "inputs_large" not in modest


def test_cli_data_option_and_a_refused_sample(tmp_path):
    x, y = sorted_training_data()
    np.savez(tmp_path / "sample.npz", x=x, y=y)
    run = RUNS / "no_shuffle_sorted_mlp"
    command = [sys.executable, "-m", "app", "diagnose", str(run / "console_v1.txt"), str(run / "model.keras"),
               "--format", "json", "--no-probe"]  # the data sample's own measurements only
    done = subprocess.run([*command, "--data", str(tmp_path / "sample.npz")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"sample_sorted_by_class"' in done.stdout and '"measured"' in done.stdout
    import jsonschema

    jsonschema.validate(json.loads(done.stdout),
                        json.loads((ROOT / "app" / "schemas" / "diagnosis.schema.json").read_text()))
    np.save(tmp_path / "pickled.npy", np.array([object()], dtype=object), allow_pickle=True)
    refused = subprocess.run([*command, "--data", str(tmp_path / "pickled.npy")], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2 and "pickled.npy" in refused.stderr and "pickled" in refused.stderr
    assert json.loads(refused.stdout)  # the diagnosis without the sample still stands
