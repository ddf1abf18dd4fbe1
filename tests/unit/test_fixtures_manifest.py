"""The real Keras fixtures (tests/fixtures/runs/, made by tools/make_fixtures.py) and their
manifest tests/fixtures/fixtures.json agree with each other.

Every file the manifest lists exists and the set stays small; the symptom labels under
"observed" are re-checked here on each run's history.json (a run labeled nan_loss has a NaN
loss, a healthy run's loss fell, ...); the console captures hold what their phase printed.
Only JSON, CSV and bytes are read: no TensorFlow.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUNS = FIXTURES / "runs"
MANIFEST = FIXTURES / "fixtures.json"
MAX_TOTAL_BYTES = 8 * 1024 * 1024

SCENARIO_IDS = [
    "seed000_mse_sigmoid", "seed000_bce_fixed", "seed002_softmax_bce_bn", "seed004_relu_cce_nan",
    "seed001_relu_input_adam", "healthy_mlp", "healthy_conv2d", "healthy_lstm", "healthy_conv1d",
    "multi_output", "lr_schedule", "keras2_tfkeras", "vgg16_config",
]
REQUIRED_FIELDS = {
    "description": str, "seed_report": (str, type(None)), "keras": str, "files": list,
    "epochs_run": int, "steps_per_epoch": (int, type(None)), "batch_size": (int, type(None)),
    "train_samples": (int, type(None)), "val_samples": (int, type(None)), "model": dict,
    "final": dict, "evaluate": (dict, type(None)), "observed": list, "notes": str,
}
MODEL_FIELDS = {
    "params_total": int, "params_trainable": int, "layer_classes": list, "output_activation": str,
    "output_units": int, "loss": str, "from_logits": bool, "optimizer": str,
    "learning_rate": (float, type(None)), "epsilon": (float, type(None)), "nested": list,
}
PROGRESS_BAR_KERAS3 = "━".encode()  # U+2501, Keras 3's bar character


def _manifest() -> dict:
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


SCENARIOS = _manifest().get("scenarios", {})
TRAINED = sorted(name for name, entry in SCENARIOS.items() if entry.get("epochs_run"))


def _history(name: str) -> dict[str, list[float]]:
    return json.loads((RUNS / name / "history.json").read_text(encoding="utf-8"))


def _number(value) -> float:
    return float(value) if not isinstance(value, str) else float(value.lower())


def _finite(values) -> bool:
    return all(math.isfinite(v) for v in values)


def _accuracy_key(history: dict) -> str | None:
    """The training accuracy key of a history (accuracy, acc or <output>_accuracy)."""
    for key in history:
        if not key.startswith("val_") and (key in ("accuracy", "acc") or key.endswith("_accuracy")):
            return key
    return None


def _chance_tolerance(entry: dict, chance: float, watched: str) -> float:
    samples = entry["val_samples"] if watched.startswith("val_") else entry["train_samples"]
    return max(0.03, 2 * math.sqrt(chance * (1 - chance) / samples))


def test_the_manifest_exists_and_lists_every_scenario():
    assert MANIFEST.exists(), "run tools/make_fixtures.py"
    manifest = _manifest()
    assert manifest["generated_by"] == "tools/make_fixtures.py"
    assert {"python", "tensorflow", "keras", "tf_keras", "numpy"} <= set(manifest["versions"])
    assert sorted(manifest["scenarios"]) == sorted(SCENARIO_IDS)


@pytest.mark.parametrize("name", SCENARIO_IDS)
def test_each_entry_has_the_agreed_fields(name):
    entry = SCENARIOS[name]
    for field, kind in REQUIRED_FIELDS.items():
        assert isinstance(entry[field], kind), (field, entry[field])
    for field, kind in MODEL_FIELDS.items():
        assert isinstance(entry["model"][field], kind), (field, entry["model"][field])
    assert entry["keras"] in ("2", "3")
    assert entry["seed_report"] in (None, "000", "001", "002", "003", "004")
    assert entry["model"]["params_trainable"] <= entry["model"]["params_total"]
    assert entry["notes"].strip()


@pytest.mark.parametrize("name", SCENARIO_IDS)
def test_every_listed_file_exists_and_every_file_is_listed(name):
    entry = SCENARIOS[name]
    listed = set(entry["files"])
    for relative in listed:
        assert (FIXTURES / relative).is_file(), relative
    on_disk = {str(p.relative_to(FIXTURES)) for p in (RUNS / name).rglob("*") if p.is_file()}
    assert on_disk == listed


def test_the_fixtures_stay_small():
    total = sum(p.stat().st_size for p in RUNS.rglob("*") if p.is_file()) + MANIFEST.stat().st_size
    assert total < MAX_TOTAL_BYTES, f"{total / 1e6:.2f} MB"


@pytest.mark.parametrize("name", TRAINED)
def test_a_trained_run_has_every_artifact(name):
    entry = SCENARIOS[name]
    names = {Path(f).relative_to(Path("runs") / name).parts[0] for f in entry["files"]}
    expected = {"model.h5", "model.json", "history.json", "log.csv", "console_v1.txt",
                "console_v2.txt", "tb"}
    if entry["keras"] == "3":
        expected.add("model.keras")
    assert expected <= names
    events = {Path(f).parent.name for f in entry["files"] if "tfevents" in f}
    assert events == {"train", "validation"}


@pytest.mark.parametrize("name", TRAINED)
def test_final_values_epochs_and_steps_match_history(name):
    entry = SCENARIOS[name]
    history = _history(name)
    assert entry["epochs_run"] == len(history["loss"])
    assert set(entry["final"]) == set(history)
    for key, value in entry["final"].items():
        last = history[key][-1]
        if math.isnan(last):
            assert value == "nan"
        else:
            assert _number(value) == last
    assert entry["steps_per_epoch"] == math.ceil(entry["train_samples"] / entry["batch_size"])


@pytest.mark.parametrize("name", TRAINED)
def test_log_csv_holds_the_same_epochs_as_history(name):
    history = _history(name)
    with open(RUNS / name / "log.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == list(range(len(history["loss"])))
    for key in set(rows[0]) - {"epoch"}:
        column = [float(row[key]) for row in rows]
        if key not in history:
            assert key in ("learning_rate", "lr"), key  # added by a callback, history has it too
            continue
        for got, want in zip(column, history[key]):
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-6), key


# ------------------------------------------------------------------ labels vs history


def _check_nan_loss(name, entry, history):
    assert not all(_finite(values) for key, values in history.items() if key.endswith("loss"))


def _check_stuck_chance_accuracy(name, entry, history):
    key = _accuracy_key(history)
    watched = "val_" + key if "val_" + key in history else key
    values = history[watched]
    chance = entry["checks"]["chance"]
    tolerance = _chance_tolerance(entry, chance, watched)
    within = [abs(v - chance) <= tolerance for v in values]
    trailing = next((i for i, ok in enumerate(reversed(within)) if not ok), len(within))
    assert all(within) or (trailing >= 3 and trailing >= 0.3 * len(values)), values


def _check_eval_mismatch(name, entry, history):
    key = _accuracy_key(history)
    assert abs(entry["evaluate"][key] - history[key][-1]) > 0.2


def _check_val_stuck_train_improves(name, entry, history):
    _check_stuck_chance_accuracy(name, entry, history)
    key = _accuracy_key(history)
    assert history[key][-1] >= entry["checks"]["chance"] + 0.2
    assert history["loss"][-1] <= 0.5 * history["loss"][0]


def _check_loss_spike(name, entry, history):
    loss = history["loss"]
    epoch = entry["checks"]["loss_spike_epoch"]
    assert loss[epoch - 1] > 3 * min(loss[:epoch - 1])


def _overfits(history) -> bool:
    """val_loss bottomed out in the first 60 % of the run and ended > 1.3x its best while
    the training loss kept falling."""
    val_loss = history.get("val_loss")
    if not val_loss or not _finite(val_loss):
        return False
    best = min(range(len(val_loss)), key=val_loss.__getitem__)
    return (best + 1 <= 0.6 * len(val_loss) and val_loss[-1] > 1.3 * val_loss[best]
            and history["loss"][-1] < history["loss"][best])


def _check_overfitting(name, entry, history):
    assert _overfits(history)


def _check_healthy(name, entry, history):
    loss = history["loss"]
    assert all(_finite(v) for v in history.values())
    assert loss[-1] < 0.5 * loss[0]
    key = _accuracy_key(history)
    if key and "val_" + key in history:
        val = history["val_" + key]
        assert val[-1] >= val[0] + 0.05
        assert val[-1] >= entry["checks"]["chance"] + 0.2
    elif "val_loss" in history:
        assert history["val_loss"][-1] < 0.8 * history["val_loss"][0]
    assert not _overfits(history)
    assert len(entry["observed"]) == 1, "healthy excludes every other symptom"


LABEL_CHECKS = {
    "nan_loss": _check_nan_loss,
    "stuck_chance_accuracy": _check_stuck_chance_accuracy,
    "eval_mismatch": _check_eval_mismatch,
    "val_stuck_train_improves": _check_val_stuck_train_improves,
    "loss_spike": _check_loss_spike,
    "overfitting": _check_overfitting,
    "healthy": _check_healthy,
}


@pytest.mark.parametrize("name", TRAINED)
def test_observed_labels_hold_on_the_history(name):
    entry = SCENARIOS[name]
    history = _history(name)
    assert entry["observed"], "a trained run gets at least one label"
    for label in entry["observed"]:
        assert label in LABEL_CHECKS, f"no check for label {label}"
        LABEL_CHECKS[label](name, entry, history)


@pytest.mark.parametrize("name", TRAINED)
def test_a_nan_in_the_history_is_always_labeled(name):
    history = _history(name)
    has_nan = not all(_finite(v) for key, v in history.items() if key.endswith("loss"))
    assert has_nan == ("nan_loss" in SCENARIOS[name]["observed"])


def test_the_seed_scenarios_show_what_their_seeds_reported():
    """The labels the runs were built to show (checked above against the curves)."""
    assert {"nan_loss", "stuck_chance_accuracy"} <= set(SCENARIOS["seed004_relu_cce_nan"]["observed"])
    assert {"stuck_chance_accuracy", "eval_mismatch"} <= set(SCENARIOS["seed002_softmax_bce_bn"]["observed"])
    assert "stuck_chance_accuracy" in SCENARIOS["seed000_mse_sigmoid"]["observed"]
    assert SCENARIOS["seed000_bce_fixed"]["observed"] == ["healthy"]
    for name in ("healthy_mlp", "healthy_conv2d", "healthy_lstm", "healthy_conv1d"):
        assert SCENARIOS[name]["observed"] == ["healthy"], name


# ------------------------------------------------------------------ console captures


def _console(name: str, file: str = "console_v1.txt") -> bytes:
    return (RUNS / name / file).read_bytes()


@pytest.mark.parametrize("name", TRAINED)
def test_console_v1_holds_interactive_progress_bars_and_every_epoch(name):
    entry = SCENARIOS[name]
    text = _console(name)
    epochs = entry["epochs_run"]
    assert b"Epoch 1/" in text and f"Epoch {epochs}/".encode() in text
    assert b"\r\n" in text  # the pty's line ends, kept as captured
    if entry["keras"] == "3":
        assert PROGRESS_BAR_KERAS3 in text and b"\r\x1b[1m" in text  # bar redrawn after \r
    else:
        assert b"\x08" in text and b"[=" in text and b">" in text  # tf_keras: \b redraws


@pytest.mark.parametrize("name", TRAINED)
def test_console_v2_is_the_one_line_per_epoch_form(name):
    text = _console(name, "console_v2.txt")
    # no redrawn bar (model.summary()'s table borders use the same character, so look for redraws)
    assert b"\x08" not in text and b"\r\x1b[1m" not in text and b"[=" not in text
    lines = [line for line in text.split(b"\r\n") if b"/step" in line or b"/epoch" in line]
    assert len(lines) >= SCENARIOS[name]["epochs_run"]
    assert b"Epoch 1/" in text


def test_callback_messages_are_in_the_consoles():
    assert b"early stopping" in _console("healthy_mlp").lower()
    assert b"ReduceLROnPlateau reducing learning rate" in _console("healthy_conv2d")
    assert b"saving model to" in _console("seed004_relu_cce_nan")
    terminated = _console("seed004_relu_cce_nan", "console_v1_terminate.txt")
    assert b"Invalid loss, terminating training" in terminated
    assert "runs/seed004_relu_cce_nan/console_v1_terminate.txt" in SCENARIOS["seed004_relu_cce_nan"]["files"]


def test_seed002_console_ends_with_the_printed_evaluate_list():
    entry = SCENARIOS["seed002_softmax_bce_bn"]
    text = _console("seed002_softmax_bce_bn")
    printed = text.rstrip().split(b"\r\n")
    line = next(line for line in reversed(printed) if line.startswith(b"["))
    values = json.loads(line)
    assert values == pytest.approx([entry["evaluate"]["loss"], entry["evaluate"]["accuracy"]], rel=1e-6)


def test_reduce_lr_column_and_keras2_spellings():
    with open(RUNS / "healthy_conv2d" / "log.csv", encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    assert "learning_rate" in header
    rates = [float(row["learning_rate"]) for row in csv.DictReader(open(RUNS / "healthy_conv2d" / "log.csv"))]
    assert rates[-1] < rates[0]
    keras2 = _history("keras2_tfkeras")
    assert {"acc", "val_acc"} <= set(keras2) and "accuracy" not in keras2
    multi = _history("multi_output")
    assert {"class_out_loss", "value_out_loss", "class_out_accuracy", "val_value_out_mae"} <= set(multi)


def test_model_facts_of_special_scenarios():
    vgg = SCENARIOS["vgg16_config"]
    assert vgg["files"] == ["runs/vgg16_config/model.json"]
    assert vgg["model"]["nested"] == ["vgg16"] and vgg["epochs_run"] == 0
    assert vgg["model"]["params_total"] - vgg["model"]["params_trainable"] == 14_714_688
    seed004 = SCENARIOS["seed004_relu_cce_nan"]["model"]
    assert seed004["nested"] == ["vgg_base"] and seed004["output_activation"] == "relu"
    assert SCENARIOS["lr_schedule"]["model"]["learning_rate"] is None
    assert SCENARIOS["lr_schedule"]["model"]["learning_rate_schedule"]["class_name"] == "ExponentialDecay"
    seed001 = SCENARIOS["seed001_relu_input_adam"]["model"]
    assert seed001["layer_classes"][:2] == ["InputLayer", "Activation"]
    assert seed001["optimizer"] == "Adam" and seed001["epsilon"] == pytest.approx(1e-7)
    model_json = json.loads((RUNS / "seed002_softmax_bce_bn" / "model.json").read_text(encoding="utf-8"))
    assert model_json["class_name"] == "Sequential"
