"""``traindoc patch`` end to end: real fixture models in, new files out, inputs untouched;
crafted files diagnosed and refused without running anything."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.unit.test_probe import RUNS, lambda_h5, lambda_keras, module_keras, sha256

SEED004 = RUNS / "seed004_relu_cce_nan"


def test_auto_writes_a_patched_model_that_loads_and_keeps_the_input(tmp_path, capsys):
    model = SEED004 / "model.keras"
    before = sha256(model)
    out = tmp_path / "fixed.keras"
    code = main(["patch", str(model), "--log", str(SEED004 / "console_v1.txt"), "--auto", "-o", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "relu → softmax" in printed and 'activation="softmax"' in printed
    assert f"Wrote {out}" in printed
    assert sha256(model) == before
    import keras

    rebuilt = keras.models.load_model(out, safe_mode=True)  # our own output file
    assert rebuilt.layers[-1].get_config()["activation"] == "softmax"
    assert rebuilt.loss == "categorical_crossentropy"


def test_training_patches_write_a_settings_file_next_to_the_model(tmp_path, capsys):
    model = RUNS / "healthy_mlp" / "model.keras"
    out = tmp_path / "mlp.keras"
    settings = tmp_path / "fit.yaml"
    code = main(["patch", str(model), "--fix", "add_early_stopping", "--fix", "set_shuffle",
                 "-o", str(out), "--training-out", str(settings)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert not out.exists()  # nothing changed in the model: no model file
    text = settings.read_text(encoding="utf-8")
    assert "EarlyStopping" in text and "shuffle: true" in text


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "x.keras"
    code = main(["patch", str(SEED004 / "model.keras"), "--fix", "final_activation_mismatch", "--dry-run"])
    assert code == 0 and "relu → softmax" in capsys.readouterr().out
    assert not out.exists()


def test_conflicting_fixes_are_refused_with_the_reason(tmp_path, capsys):
    code = main(["patch", str(SEED004 / "model.keras"), "--fix", "set_output_activation",
                 "--fix", "set_from_logits", "-o", str(tmp_path / "x.keras")])
    err = capsys.readouterr().err
    assert code == 2 and "refused" in err and "conflict" in err
    assert not (tmp_path / "x.keras").exists()


@pytest.mark.parametrize("request_id", ["no_such_fix", "label_error"])
def test_unknown_or_absent_fix_exits_2(tmp_path, capsys, request_id):
    code = main(["patch", str(SEED004 / "model.keras"), "--fix", request_id, "-o", str(tmp_path / "x.keras")])
    assert code == 2 and request_id in capsys.readouterr().err


def test_output_over_the_input_is_refused(capsys):
    model = SEED004 / "model.keras"
    before = sha256(model)
    code = main(["patch", str(model), "--fix", "final_activation_mismatch", "-o", str(model)])
    assert code == 2 and "overwrite" in capsys.readouterr().err
    assert sha256(model) == before


@pytest.mark.parametrize("make", [lambda_keras, module_keras, lambda_h5], ids=["lambda.keras", "os.system", "lambda.h5"])
def test_crafted_models_are_diagnosed_and_refused_for_patching(tmp_path, capsys, make):
    marker = tmp_path / "marker"
    crafted = make(tmp_path, marker)
    assert main(["diagnose", str(crafted), "--format", "json"]) == 0
    diagnosis = json.loads(capsys.readouterr().out)
    assert diagnosis["diagnoses"][0]["model"]
    code = main(["patch", str(crafted), "--fix", "set_clipnorm", "-o", str(tmp_path / "out.keras")])
    err = capsys.readouterr().err
    assert code == 2 and "refused" in err
    assert not (tmp_path / "out.keras").exists()
    assert not marker.exists()


def test_list_names_every_patch(capsys):
    assert main(["patch", "--list"]) == 0
    out = capsys.readouterr().out
    for patch_id in ("set_output_activation", "set_loss", "batchnorm_renorm", "replace_flatten_with_gap",
                     "set_shuffle", "add_early_stopping", "replace_lambda"):
        assert patch_id in out


def test_model_file_and_its_script_give_a_diff_and_a_patched_copy(tmp_path, capsys):
    from app.io.code import read_code_file
    from tests.unit.test_code_reader import scenario_code

    script = tmp_path / "train.py"
    script.write_text(scenario_code("seed004_relu_cce_nan"), encoding="utf-8")  # the code that made the model
    before = script.read_bytes()
    out = tmp_path / "train_fixed.py"
    code = main(["patch", str(SEED004 / "model.keras"), "--log", str(SEED004 / "console_v1.txt"),
                 "--code", str(script), "--auto", "--code-out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert f"The change to {script}:" in printed and "--- a/train.py\n+++ b/train.py\n" in printed
    # the saved model's dense_1 is the code's second Dense of the Sequential head
    assert '-                              layers.Dense(2, activation="relu")])' in printed
    assert '+                              layers.Dense(2, activation="softmax")])' in printed
    assert f"Wrote {out}" in printed and script.read_bytes() == before
    again = read_code_file(str(out)).model
    assert [layer.activation for layer in again.layers if layer.class_name == "Dense"] == ["relu", "softmax"]


def test_script_alone_is_patched_into_a_diff_file(tmp_path, capsys):
    from tests.unit.test_script_patches import KERAS2

    script = tmp_path / "train.py"
    script.write_text(KERAS2, encoding="utf-8")
    diff = tmp_path / "fix.diff"
    code = main(["patch", "--code", str(script), "--fix", "final_activation_mismatch", "--code-out", str(diff)])
    assert code == 0, capsys.readouterr()
    text = diff.read_text(encoding="utf-8")
    assert text.startswith("--- a/train.py\n+++ b/train.py\n")
    assert "-model.add(Dense(10, activation='relu'))\n+model.add(Dense(10, activation='softmax'))\n" in text
    assert main(["patch", "--code", str(script), "--auto", "-o", str(tmp_path / "x.keras")]) == 2
    assert "give the MODEL file" in capsys.readouterr().err
    assert main(["patch", "--code", str(script), "--auto", "--code-out", str(script)]) == 2
    assert "overwrite" in capsys.readouterr().err and script.read_text(encoding="utf-8") == KERAS2


def test_a_notebook_is_patched_into_a_new_notebook(tmp_path, capsys):
    from tests.unit.test_script_patches import NOTEBOOK

    notebook = tmp_path / "train.ipynb"
    notebook.write_text(NOTEBOOK, encoding="utf-8")
    kept = notebook.read_bytes()
    out = tmp_path / "train_fixed.ipynb"
    code = main(["patch", "--code", str(notebook), "--fix", "final_activation_mismatch", "--code-out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed
    assert "--- a/train.ipynb (cell 3)" in printed.out and "+model.add(Dense(10, activation='softmax'))" in printed.out
    fixed = json.loads(out.read_text(encoding="utf-8"))
    assert "model.add(Dense(10, activation='softmax'))\n" in fixed["cells"][2]["source"]
    assert fixed["cells"][3]["outputs"] == json.loads(NOTEBOOK)["cells"][3]["outputs"]
    assert notebook.read_bytes() == kept


def test_a_model_that_cannot_be_rebuilt_still_gets_its_training_settings_and_code_change(tmp_path, capsys):
    """seed000's model holds Lambda layers: the patched model file is refused, the rest is
    given (the fix of shuffle=False needs no model file; the code change is printed)."""
    model = RUNS / "seed000_mse_sigmoid" / "model.keras"
    before = sha256(model)
    settings = tmp_path / "fit.json"
    assert main(["patch", str(model), "--fix", "set_shuffle", "--fix", "add_early_stopping",
                 "--training-out", str(settings)]) == 0
    assert json.loads(settings.read_text(encoding="utf-8"))["shuffle"] is True
    capsys.readouterr()
    out = tmp_path / "fixed.keras"
    code = main(["patch", str(model), "--fix", "set_loss:loss=binary_crossentropy", "--fix", "set_shuffle",
                 "-o", str(out), "--training-out", str(tmp_path / "fit2.json")])
    captured = capsys.readouterr()
    assert code == 2 and not out.exists()
    assert "cannot be rebuilt safely" in captured.err and "Lambda" in captured.err
    assert 'loss="binary_crossentropy"' in captured.out  # the code change is still printed
    assert (tmp_path / "fit2.json").exists() and sha256(model) == before


def test_patch_parameters_on_the_command_line(tmp_path, capsys):
    model = SEED004 / "model.keras"
    assert main(["patch", str(model), "--fix", "set_learning_rate:learning_rate=1e-4", "--dry-run"]) == 0
    assert "learning rate 0.001 → 0.0001" in capsys.readouterr().out
    assert main(["patch", str(model), "--fix", "set_loss:los=mse", "--dry-run"]) == 2
    assert "set_loss takes loss, output, not los" in capsys.readouterr().err
    assert main(["patch", str(model), "--fix", "final_activation_mismatch:layer=x", "--dry-run"]) == 2
    assert "only patch ids take parameters" in capsys.readouterr().err


def test_the_default_training_settings_file_never_replaces_an_existing_one(tmp_path, capsys):
    model = RUNS / "healthy_mlp" / "model.keras"
    existing = tmp_path / "mlp.training.json"
    existing.write_text("keep", encoding="utf-8")
    assert main(["patch", str(model), "--fix", "set_shuffle", "--fix", "set_clipnorm",
                 "-o", str(tmp_path / "mlp.keras")]) == 2
    assert "--training-out" in capsys.readouterr().err and existing.read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "mlp.keras").exists()  # refused before anything was written
