"""The real Keras fixtures (tests/fixtures/runs/, made by tools/make_fixtures.py) and their
manifest tests/fixtures/fixtures.json agree with each other.

Every file the manifest lists exists and the set stays small; the symptom labels under
"observed" are re-checked here on each run's history.json (a run labeled nan_loss has a NaN
loss, a healthy run's loss fell, ...); the causes each run was built with are taxonomy ids;
the console captures hold what their phase printed. Only JSON, CSV and bytes are read: no
TensorFlow.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from app.core.ids import CAUSES, SYMPTOMS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUNS = FIXTURES / "runs"
MANIFEST = FIXTURES / "fixtures.json"
MAX_TOTAL_BYTES = 8 * 1024 * 1024

SCENARIO_IDS = [
    "seed000_mse_sigmoid", "seed000_bce_fixed", "seed002_softmax_bce_bn", "seed004_relu_cce_nan",
    "seed001_relu_input_adam", "healthy_mlp", "healthy_conv2d", "healthy_lstm", "healthy_conv1d",
    "multi_output", "lr_schedule", "keras2_tfkeras", "vgg16_config",
    # the labeled runs for the diagnosis benchmark ("artifacts": "light")
    "fam_relu_cce_mlp", "fam_dropout_after_softmax_mlp", "fam_linear_bce_conv1d", "fam_relu_sparse_cce_conv2d", "mse_softmax_mlp",
    "mse_sigmoid_lstm", "softmax_bce_mlp", "softmax_bce_conv1d", "lr_high_sgd_mlp",
    "lr_high_adam_conv2d", "lr_low_adam_mlp", "lr_low_adam_lstm", "sgd_no_momentum_mlp",
    "vanishing_sigmoid_mlp", "zeros_init_mlp", "dead_relu_conv1d", "exploding_init_mlp",
    "bias_regularized_mlp", "missing_bias_mlp", "bn_small_batch_conv2d", "unnormalized_inputs_mlp",
    "no_shuffle_sorted_mlp", "class_imbalance_mlp", "label_error_mlp", "dense_bottleneck_conv2d",
    "overfit_small_mlp", "kl_linear_mlp", "healthy_mlp_sgd", "healthy_gap_conv2d",
    "healthy_lstm_3class",
    # a second labeled run for 15 causes, on another architecture (or MLP shape)
    "bn_moving_stats_conv2d", "relu_input_conv1d", "adam_eps_long_mlp", "sgd_no_momentum_lstm",
    "vanishing_sigmoid_conv1d", "zeros_init_conv2d", "dead_relu_conv2d", "exploding_init_conv1d",
    "bias_regularized_lstm", "missing_bias_conv2d", "unnormalized_pixels_conv2d",
    "class_imbalance_conv1d", "label_error_conv2d", "overfit_small_conv1d", "kl_linear_lstm",
]
ARCHITECTURES = {"MLP", "Conv1D", "Conv2D", "LSTM"}
REQUIRED_FIELDS = {
    "description": str, "seed_report": (str, type(None)), "keras": str, "files": list,
    "epochs_run": int, "steps_per_epoch": (int, type(None)), "batch_size": (int, type(None)),
    "train_samples": (int, type(None)), "val_samples": (int, type(None)), "model": dict,
    "final": dict, "evaluate": (dict, type(None)), "observed": list, "notes": str,
    "causes": list, "architecture": str, "artifacts": str,
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
FULL = sorted(name for name in TRAINED if SCENARIOS[name].get("artifacts") == "full")
LIGHT = sorted(name for name in TRAINED if SCENARIOS[name].get("artifacts") == "light")


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
    assert entry["artifacts"] in ("full", "light")


@pytest.mark.parametrize("name", SCENARIO_IDS)
def test_causes_and_symptoms_are_taxonomy_ids(name):
    entry = SCENARIOS[name]
    assert set(entry["causes"]) <= set(CAUSES), entry["causes"]
    assert len(set(entry["causes"])) == len(entry["causes"])
    incidental = entry.get("incidental_causes", [])
    assert set(incidental) <= set(CAUSES) and not set(incidental) & set(entry["causes"])
    assert set(entry["observed"]) <= set(SYMPTOMS), entry["observed"]
    assert entry["architecture"] in ARCHITECTURES


def test_enough_labeled_runs_per_cause_architecture_and_healthy():
    """The diagnosis benchmark's ground truth: >= 30 trained runs with causes, >= 8 healthy
    constructions (no cause), every architecture, most causes built in at least once."""
    assert len(TRAINED) >= 30
    healthy = [name for name in TRAINED if not SCENARIOS[name]["causes"]]
    assert len(healthy) >= 8, healthy
    assert {SCENARIOS[name]["architecture"] for name in TRAINED} == ARCHITECTURES
    built = {cause for name in TRAINED for cause in SCENARIOS[name]["causes"]}
    assert len(built) >= 20, sorted(set(CAUSES) - built)
    several = [cause for cause in built
               if sum(cause in SCENARIOS[name]["causes"] for name in TRAINED) >= 2]
    assert len(several) >= 8, several


def test_unshuffled_runs_record_the_fit_setting():
    """shuffle=False shows in no log: the manifest's fit part records it."""
    for name in TRAINED:
        entry = SCENARIOS[name]
        if entry.get("fit") is None:  # not every entry was generated after "fit" was added
            continue
        if "no_shuffle_sorted_data" in entry["causes"]:
            assert entry["fit"]["shuffle"] is False, name
            assert entry["extra"]["train_sorted_by_label"] is True, name
    assert SCENARIOS["no_shuffle_sorted_mlp"]["fit"]["shuffle"] is False


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


@pytest.mark.parametrize("name", FULL)
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


@pytest.mark.parametrize("name", LIGHT)
def test_a_light_run_has_its_reduced_artifacts(name):
    """history.json, log.csv, console_v1.txt and at least one model file; no tb/, no v2."""
    entry = SCENARIOS[name]
    names = {Path(f).relative_to(Path("runs") / name).parts[0] for f in entry["files"]}
    assert {"history.json", "log.csv", "console_v1.txt"} <= names
    assert names & {"model.keras", "model.h5"}
    assert names <= {"history.json", "log.csv", "console_v1.txt", "model.keras", "model.h5", "model.json"}
    if entry["keras"] == "2":
        assert "model.keras" not in names


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
    within = [v <= chance + tolerance for v in values]  # at chance or below it
    trailing = next((i for i, ok in enumerate(reversed(within)) if not ok), len(within))
    assert all(within) or (trailing >= 3 and trailing >= 0.3 * len(values)), values


def _val_at_chance_whole_run(entry, history) -> bool:
    key = _accuracy_key(history)
    if not key or "val_" + key not in history:
        return False
    chance = entry["checks"]["chance"]
    tolerance = _chance_tolerance(entry, chance, "val_" + key)
    return all(v <= chance + tolerance for v in history["val_" + key])


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


def _plateau(history) -> bool:
    """From epoch 2 on the loss stays within 5 % of its epoch-2 value and the training
    accuracy within a 0.05 band."""
    loss = history["loss"]
    if len(loss) < 5 or not _finite(loss):
        return False
    key = _accuracy_key(history)
    accuracy = history[key][1:] if key else [0.0]
    return (max(abs(v - loss[1]) for v in loss[1:]) <= 0.05 * abs(loss[1])
            and max(accuracy) - min(accuracy) <= 0.05)


def _slow(history) -> bool:
    """Not a plateau; the loss fell (> 2 %) but ended above 60 % of its first value, and its
    last quarter still brought >= 15 % of the fall."""
    loss = history["loss"]
    if len(loss) < 5 or not _finite(loss) or _plateau(history):
        return False
    fall = loss[0] - loss[-1]
    quarter = int(0.75 * (len(loss) - 1))
    return fall > 0.02 * abs(loss[0]) and loss[-1] > 0.6 * loss[0] and loss[quarter] - loss[-1] >= 0.15 * fall


def _oscillates(history) -> bool:
    """The loss rose by > 25 % from one epoch to the next at least 3 times (>= 20 % of the
    steps) and did not end below half its first value."""
    loss = history["loss"]
    if len(loss) < 5 or not _finite(loss):
        return False
    rises = sum(1 for a, b in zip(loss, loss[1:]) if a > 0 and b > 1.25 * a)
    return rises >= 3 and rises >= 0.2 * (len(loss) - 1) and loss[-1] > 0.5 * loss[0]


def _collapses(entry, history) -> bool:
    """Training loss <= 0.001 within 3 epochs, or training accuracy >= 0.99 while the
    validation accuracy sat at chance the whole run."""
    loss = history["loss"]
    if len(loss) < 5 or not _finite(loss):
        return False
    key = _accuracy_key(history)
    memorized = bool(key) and history[key][-1] >= 0.99 and _val_at_chance_whole_run(entry, history)
    return min(loss[:3]) <= 1e-3 or memorized


CURVE_SHAPE_RULES = {
    "plateau_no_learning": lambda entry, history: _plateau(history),
    "slow_convergence": lambda entry, history: _slow(history),
    "oscillation": lambda entry, history: _oscillates(history),
    "loss_collapse_zero": _collapses,
}


LABEL_CHECKS = {
    "nan_loss": _check_nan_loss,
    "stuck_chance_accuracy": _check_stuck_chance_accuracy,
    "eval_mismatch": _check_eval_mismatch,
    "val_stuck_train_improves": _check_val_stuck_train_improves,
    "loss_spike": _check_loss_spike,
    "overfitting": _check_overfitting,
    "healthy": _check_healthy,
}
for _label, _rule in CURVE_SHAPE_RULES.items():
    LABEL_CHECKS[_label] = lambda name, entry, history, rule=_rule: _assert(rule(entry, history))


def _assert(condition: bool) -> None:
    assert condition


@pytest.mark.parametrize("name", TRAINED)
def test_observed_labels_hold_on_the_history(name):
    entry = SCENARIOS[name]
    history = _history(name)
    if not entry["observed"]:  # honest: nothing in the taxonomy fits these curves
        assert "No taxonomy symptom was detected" in entry["notes"]
    for label in entry["observed"]:
        assert label in LABEL_CHECKS, f"no check for label {label}"
        LABEL_CHECKS[label](name, entry, history)


@pytest.mark.parametrize("name", TRAINED)
def test_a_nan_in_the_history_is_always_labeled(name):
    history = _history(name)
    has_nan = not all(_finite(v) for key, v in history.items() if key.endswith("loss"))
    assert has_nan == ("nan_loss" in SCENARIOS[name]["observed"])


@pytest.mark.parametrize("name", TRAINED)
def test_curve_shape_labels_are_given_exactly_when_the_curves_show_them(name):
    entry = SCENARIOS[name]
    history = _history(name)
    shown = {label for label, rule in CURVE_SHAPE_RULES.items() if rule(entry, history)}
    assert shown == set(entry["observed"]) & set(CURVE_SHAPE_RULES)


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


@pytest.mark.parametrize("name", FULL)
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
