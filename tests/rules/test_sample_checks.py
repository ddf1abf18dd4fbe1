"""What the data samples show by themselves (``--data``, ``--val-data``; no model run): NaN/inf
values, features the preparation left constant, validation rows that are training rows, and
the same rows labeled differently in the two samples. On the project's real runs (logs printed
by real ``fit`` calls, models saved by real Keras), each with a sample that shows the fault and
one that does not."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.io.data_sample import read_data_sample
from app.io.load import load_path
from app.report import build_report, render
from app.rules.data import input_facts, overlap_facts, sample_facts
from app.rules.engine import diagnose_all

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "tests" / "fixtures" / "runs"


def _tabular(seed: int, rows: int = 600, features: int = 12):
    rs = np.random.RandomState(seed)
    x = rs.normal(size=(rows, features)).astype("float32")
    return x, np.argmax(x @ rs.normal(size=(features, 3)), axis=1)


def _sample(tmp_path, name: str, x, y, validation=None):
    np.savez(tmp_path / f"{name}.npz", x=x, y=y)
    sample = read_data_sample(tmp_path / f"{name}.npz")
    if validation is not None:
        np.savez(tmp_path / f"{name}_val.npz", x=validation[0], y=validation[1])
        sample.validation = read_data_sample(tmp_path / f"{name}_val.npz")
    return sample


def _diagnose(run: str, sample, with_model: bool = True):
    loaded = load_path(RUNS / run / "console_v1.txt")
    if with_model:
        loaded.extend(load_path(RUNS / run / "model.keras"))
    (item,) = diagnose_all(loaded.runs, loaded.models, data=sample)
    return item.diagnosis


def _finding(diagnosis, cause: str):
    return next((f for f in diagnosis.findings if f.cause == cause), None)


def test_nan_in_the_inputs_names_nonfinite_data_for_a_nan_loss(tmp_path):
    x, y = _tabular(116)
    x[[3, 50, 51], 2] = np.nan
    x[7, 0] = np.inf
    diagnosis = _diagnose("exploding_init_mlp", _sample(tmp_path, "nan", x, y))
    found = _finding(diagnosis, "nonfinite_data")
    assert found is not None and found in diagnosis.reported
    evidence = next(e for e in found.evidence if e.code == "nonfinite_inputs_measured")
    assert evidence.params["count"] == 4 and evidence.params["total"] == x.size
    assert "4 NaN/inf input value(s)" in evidence.describe("en") and "NaN/inf 输入值" in evidence.describe("zh_CN")
    assert found.fixes and "np.isfinite" in found.fixes[0].code


def test_nan_labels_count_too_and_a_clean_sample_argues_against(tmp_path):
    x, y = _tabular(116)
    labels = y.astype("float32")
    labels[10] = np.nan
    found = _finding(_diagnose("exploding_init_mlp", _sample(tmp_path, "labels", x, labels)), "nonfinite_data")
    assert any(e.code == "nonfinite_labels_measured" and e.params["count"] == 1 for e in found.evidence)
    clean = _diagnose("exploding_init_mlp", _sample(tmp_path, "clean", x, y))
    finding = _finding(clean, "nonfinite_data")
    assert finding not in clean.reported
    assert any(e.code == "data_finite_measured" and e.weight < 0 for e in finding.evidence)
    assert clean.reported[0].cause == "exploding_gradients"  # what the log and model said before


def test_inputs_erased_by_integer_division_are_measured_as_constant(tmp_path):
    x, y = _tabular(116)
    pixels = np.clip(np.abs(x) * 60, 0, 254).astype("float32")
    erased = _sample(tmp_path, "erased", pixels // 255, y)  # every value below 255 becomes 0
    facts = input_facts(erased)
    assert (facts.constant_features, facts.features) == (12, 12)
    found = _finding(_diagnose("healthy_mlp", erased), "preprocessing_mismatch")
    evidence = next(e for e in found.evidence if e.code == "constant_inputs_measured")
    assert evidence.params["share"] == 100.0 and "12 of the data sample's 12 input features" in evidence.describe("en")
    kept = _finding(_diagnose("healthy_mlp", _sample(tmp_path, "kept", pixels / 255, y)), "preprocessing_mismatch")
    assert kept is None or not any(e.code == "constant_inputs_measured" for e in kept.evidence)


def test_validation_rows_that_are_training_rows_argue_against_overfitting_small_data(tmp_path):
    x, y = _tabular(125, rows=300, features=20)
    separate = _diagnose("overfit_small_mlp", _sample(tmp_path, "apart", x[:200], y[:200], (x[200:], y[200:])))
    shared = _diagnose("overfit_small_mlp", _sample(tmp_path, "shared", x[:200], y[:200], (x[:100], y[:100])))
    before, after = _finding(separate, "overfitting_small_data"), _finding(shared, "overfitting_small_data")
    evidence = next(e for e in after.evidence if e.code == "validation_overlaps_training_measured")
    assert evidence.weight < 0 and evidence.params["shared"] == 100 and evidence.params["share"] == 100.0
    assert after.confidence < before.confidence
    assert not any(e.code == "validation_overlaps_training_measured" for e in before.evidence)


def test_the_same_rows_labeled_differently_name_label_error(tmp_path):
    x, y = _tabular(125, rows=300, features=20)
    relabeled = (y[:100] + 1) % 3
    sample = _sample(tmp_path, "relabeled", x[:200], y[:200], (x[:100], relabeled))
    overlap = overlap_facts(sample)
    assert (overlap.shared, overlap.shared_labeled, overlap.labels_differ) == (100, 100, 100)
    found = _finding(_diagnose("overfit_small_mlp", sample), "label_error")
    assert found is not None and found.settle is None  # the two samples decided it
    assert any(e.code == "labels_differ_measured" and e.params["differ"] == 100 for e in found.evidence)
    same = _sample(tmp_path, "same", x[:200], y[:200], (x[:100], y[:100]))
    assert overlap_facts(same).labels_differ == 0


def test_sample_facts_and_the_report_section(tmp_path):
    x, y = _tabular(125, rows=300, features=20)
    x[0, 0] = np.nan
    sample = _sample(tmp_path, "facts", x[:200], y[:200], (x[:100], y[:100]))
    facts = sample_facts(sample)
    assert facts["rows"] == 200 and facts["labels"]["classes"] == 3 and facts["inputs"]["nonfinite"] == 1
    assert facts["validation"]["rows"] == 100 and facts["validation"]["shared_rows"] == 100  # NaN row too
    json.dumps(facts, allow_nan=False)  # plain JSON data
    loaded = load_path(RUNS / "overfit_small_mlp" / "console_v1.txt")
    cases = diagnose_all(loaded.runs, [], data=sample)
    for lang, lines in (("en", ["### Data sample", "facts.npz: 200 rows used", "integer class ids, 3 classes",
                                "1 NaN/inf values", "Validation sample: 100 rows, 100 of them also training rows"]),
                        ("zh_CN", ["### 数据样本", "facts.npz：使用 200 行", "整数类别编号，3 个类别", "1 个 NaN/inf 值",
                                   "验证样本：100 行，其中 100 行也在训练样本中"])):
        markdown = render(build_report(cases, [], lang, data=facts), "md")
        assert all(line in markdown for line in lines), lang


def test_cli_val_data_in_the_json_and_without_data(tmp_path):
    x, y = _tabular(125, rows=300, features=20)
    np.savez(tmp_path / "train.npz", x=x[:200], y=y[:200])
    np.savez(tmp_path / "val.npz", x=x[:100], y=(y[:100] + 1) % 3)
    run = RUNS / "overfit_small_mlp"
    command = [sys.executable, "-m", "app", "diagnose", str(run / "console_v1.txt"), str(run / "model.keras"),
               "--format", "json", "--no-probe"]
    done = subprocess.run([*command, "--data", str(tmp_path / "train.npz"), "--val-data", str(tmp_path / "val.npz")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    import jsonschema

    jsonschema.validate(document, json.loads((ROOT / "app" / "schemas" / "diagnosis.schema.json").read_text()))
    assert {"path": str(tmp_path / "val.npz"), "format": "npz", "kind": "validation_data"} in document["inputs"]
    assert document["data_sample"]["validation"]["labels_differ"] == 100
    assert any(f["cause"] == "label_error" for f in document["findings"])
    alone = subprocess.run([*command, "--val-data", str(tmp_path / "val.npz")], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert alone.returncode == 2 and "--val-data needs --data" in alone.stderr
