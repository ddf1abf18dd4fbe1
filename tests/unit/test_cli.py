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
