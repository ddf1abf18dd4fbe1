"""The ``traindoc`` command line: version, help, inspect in text and JSON, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def test_version_and_help():
    done = _run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"traindoc {__version__}"
    done = _run("--help")
    assert done.returncode == 0 and "inspect" in done.stdout


def test_inspect_json_holds_runs_with_metrics(capsys):
    code = main(["inspect", str(SEEDS / "seed002.txt"), "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    run = data["runs"][0]
    assert run["format"] == "keras_console"
    assert run["epochs"] == 10
    assert len(run["metrics"]["val_accuracy"]) == 10
    assert data["runs"][0]["evaluations"], "seed 002's evaluate() result is reported"


def test_inspect_json_writes_nan_as_string(capsys):
    code = main(["inspect", str(SEEDS / "seed004.txt"), "--format", "json"])
    assert code == 0
    text = capsys.readouterr().out
    data = json.loads(text)  # strict JSON: a bare NaN token would still parse, so check below
    assert "NaN" not in text
    losses = data["runs"][0]["metrics"]["loss"]
    assert "nan" in losses


def test_inspect_text_reads_like_a_summary(capsys):
    assert main(["inspect", str(SEEDS / "seed002.txt")]) == 0
    out = capsys.readouterr().out
    assert "format: keras_console" in out and "epochs: 10" in out
    assert "val_accuracy" in out or "accuracy" in out


def test_stdin_is_read_when_path_is_dash():
    text = (SEEDS / "seed002.txt").read_text(encoding="utf-8")
    done = _run("inspect", "-", "--format", "json", stdin=text)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"][0]["epochs"] == 10


def test_unreadable_input_exits_2_with_a_message(tmp_path):
    bad = tmp_path / "page.html"
    bad.write_text("<!DOCTYPE html><html><body>Sign in</body></html>", encoding="utf-8")
    done = _run("inspect", str(bad))
    assert done.returncode == 2
    assert str(bad) in done.stderr and "expected" in done.stderr
    assert done.stdout == ""


def test_one_bad_file_does_not_hide_the_good_one(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("", encoding="utf-8")
    done = _run("inspect", str(SEEDS / "seed002.txt"), str(bad), "--format", "json")
    assert done.returncode == 2  # something was unreadable ...
    assert json.loads(done.stdout)["runs"][0]["epochs"] == 10  # ... and the rest is printed
    assert "empty" in done.stderr


def test_demo_without_a_display_prints_the_diagnosis_of_the_bundled_sample(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    done = _run("--demo")
    assert done.returncode == 0, done.stderr
    assert "no display" in done.stderr
    assert "final_activation_mismatch" in done.stdout and "nan_loss" in done.stdout


def test_the_bundled_sample_holds_a_model_and_a_log():
    from app.resources import resource_path

    done = _run("inspect", str(resource_path("samples", "demo")))
    assert done.returncode == 0, done.stderr
    assert "Run:" in done.stdout and "Model:" in done.stdout
    assert "categorical_crossentropy" in done.stdout


@pytest.mark.parametrize("command", [["inspect"], ["inspect", "--format", "xml", "x"]])
def test_bad_usage_exits_2(command):
    done = _run(*command)
    assert done.returncode == 2 and "usage" in done.stderr


# --- inspect --format json on the committed fixture runs (tests/fixtures/fixtures.json) -------

RUNS = ROOT / "tests" / "fixtures" / "runs"
MANIFEST = ROOT / "tests" / "fixtures" / "fixtures.json"


def _scenario(name: str) -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["scenarios"][name]


def _reject_constant(token: str):
    raise AssertionError(f"bare {token} token in the JSON output (not strict JSON)")


def _inspect_json(capsys, *paths: Path) -> dict:
    code = main(["inspect", "--format", "json", *map(str, paths)])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out, parse_constant=_reject_constant)


@pytest.mark.parametrize("scenario, file", [
    ("healthy_mlp", "model.keras"),
    ("healthy_mlp", "model.h5"),
    ("multi_output", "model.keras"),  # functional, two outputs: "loss" is the first output's
    ("seed002_softmax_bce_bn", "model.h5"),  # SGD: no epsilon; BatchNormalization
])
def test_inspect_json_model_fields_equal_what_keras_reported(capsys, scenario, file):
    from app.io.keras_config import canonical_loss

    expected = _scenario(scenario)["model"]
    data = _inspect_json(capsys, RUNS / scenario / file)
    assert data["runs"] == [] and len(data["models"]) == 1
    model = data["model"]
    assert model == data["models"][0]
    assert [layer["name"] for layer in model["layers"]] == expected["layer_names"]
    assert [layer["class_name"] for layer in model["layers"]] == expected["layer_classes"]
    assert model["params_total"] == expected["params_total"]
    assert model["params_trainable"] == expected["params_trainable"]
    assert sum(layer["params"] for layer in model["layers"]) == expected["params_total"]
    assert model["output_activation"] == expected["output_activation"]
    assert model["loss"]["name"] == canonical_loss(expected["loss"])
    assert model["loss"]["from_logits"] is expected["from_logits"]
    optimizer = model["optimizer"]
    assert optimizer["name"] == expected["optimizer"]
    assert optimizer["learning_rate"] == pytest.approx(expected["learning_rate"], rel=1e-7)
    if expected["epsilon"] is None:
        assert "epsilon" not in optimizer  # settings Keras did not save are left out
    else:
        assert optimizer["epsilon"] == pytest.approx(expected["epsilon"], rel=1e-7)


def _csvlogger_with_infinities(tmp_path: Path) -> Path:
    """exploding_init_mlp's real CSVLogger file (loss and val_loss nan from epoch 0), with the
    first loss written as inf and the second val_loss as -inf: CSVLogger writes floats with
    str(), so these are the spellings it produces."""
    rows = [line.split(",") for line in
            (RUNS / "exploding_init_mlp" / "log.csv").read_text(encoding="utf-8").splitlines()]
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1][2] == "nan" and rows[2][4] == "nan"
    rows[1][2] = str(float("inf"))
    rows[2][4] = str(float("-inf"))
    path = tmp_path / "log.csv"
    path.write_text("".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_inspect_json_writes_nan_inf_and_minus_inf_as_strings(capsys, tmp_path):
    data = _inspect_json(capsys, _csvlogger_with_infinities(tmp_path))
    run = data["runs"][0]
    assert run["format"] == "csvlogger"
    assert run["epochs"] == _scenario("exploding_init_mlp")["epochs_run"]
    loss, val_loss = run["metrics"]["loss"], run["metrics"]["val_loss"]
    assert loss[:3] == ["inf", "nan", "nan"]
    assert val_loss[:3] == ["nan", "-inf", "nan"]
    assert run["last"]["loss"] == "nan"
    accuracy = run["metrics"]["accuracy"]
    assert all(isinstance(value, float) for value in accuracy)  # finite values stay numbers


def test_inspect_json_on_a_run_folder_reads_every_log_and_model(capsys):
    scenario = _scenario("healthy_mlp")
    data = _inspect_json(capsys, RUNS / "healthy_mlp")
    formats = sorted(run["format"] for run in data["runs"])
    # console_v1.txt and console_v2.txt, history.json, log.csv, tb/ as one TensorBoard run
    assert formats == ["csvlogger", "history_json", "keras_console", "keras_console", "tensorboard"]
    assert all(run["epochs"] == scenario["epochs_run"] for run in data["runs"])
    assert sorted(model["format"] for model in data["models"]) == ["h5", "json", "keras"]
    assert all(model["params_total"] == scenario["model"]["params_total"] for model in data["models"])
    assert data["skipped"] == []


def test_inspect_json_on_a_tensorboard_log_directory(capsys):
    scenario = _scenario("healthy_mlp")
    data = _inspect_json(capsys, RUNS / "healthy_mlp" / "tb")
    assert data["models"] == [] and data["model"] is None
    [run] = data["runs"]
    assert run["format"] == "tensorboard"
    assert run["epochs"] == scenario["epochs_run"]
    assert sorted(Path(p).parent.name for p in run["paths"]) == ["train", "validation"]
    for name, last in scenario["final"].items():  # the events hold float32 copies of History
        assert len(run["metrics"][name]) == scenario["epochs_run"]
        assert run["last"][name] == pytest.approx(last, rel=1e-6)


def test_a_reader_closing_the_pipe_early_gets_no_traceback():
    """``traindoc inspect --format json ... | head -c 100``: the reader leaves after a few bytes.

    The folder is given four times so the output (about 190 kB) is larger than any pipe
    buffer: the command is still writing when the pipe closes, so the write must fail.
    """
    command = [sys.executable, "-m", "app", "inspect", "--format", "json",
               *["tests/fixtures/runs/healthy_mlp"] * 4]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}) as process:
        head = process.stdout.read(100)
        process.stdout.close()
        try:
            stderr = process.stderr.read().decode("utf-8", "replace")
            code = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert head.startswith(b"{")
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert stderr == ""
    assert code == 141  # 128 + SIGPIPE, as a shell reports a writer killed by a closed pipe
