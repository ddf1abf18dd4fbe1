"""No file is ever replaced (issue 20, part 4): an output path that is an input, lies inside a
folder given as input, or exists without --force is refused before anything is written."""

import shutil
from pathlib import Path

import pytest

from app.cli import main
from app.core.files import OutputError, check_output, write_atomic

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "tests" / "fixtures" / "runs" / "healthy_mlp"


@pytest.fixture()
def run_folder(tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(RUN, folder)
    return folder


def test_diagnose_refuses_to_write_into_a_folder_given_as_input(run_folder, capsys):
    # the reproducer: `diagnose DIR -o DIR/console_v1.txt` exited 0 and replaced the input log
    log = run_folder / "console_v1.txt"
    before = log.read_bytes()
    assert main(["diagnose", str(run_folder), "-o", str(log)]) == 2
    assert "a folder given as input" in capsys.readouterr().err
    assert log.read_bytes() == before
    assert main(["diagnose", str(run_folder), "-o", str(run_folder / "report.md"), "--force"]) == 2
    assert not (run_folder / "report.md").exists()  # a new file inside the input folder: refused too


def test_diagnose_replaces_an_existing_report_only_with_force(run_folder, tmp_path, capsys):
    report = tmp_path / "report.md"
    report.write_text("keep", encoding="utf-8")
    assert main(["diagnose", str(run_folder / "log.csv"), "-o", str(report)]) == 2
    assert "--force" in capsys.readouterr().err and report.read_text(encoding="utf-8") == "keep"
    assert main(["diagnose", str(run_folder / "log.csv"), "-o", str(report), "--force"]) == 0
    assert report.read_text(encoding="utf-8").startswith("# ")


def test_patch_code_out_and_training_out_never_replace_an_existing_file(tmp_path, capsys):
    from tests.unit.test_script_patches import KERAS2

    script = tmp_path / "train.py"
    script.write_text(KERAS2, encoding="utf-8")
    existing = tmp_path / "train_fixed.py"
    existing.write_text("keep", encoding="utf-8")
    args = ["patch", "--code", str(script), "--fix", "final_activation_mismatch", "--code-out", str(existing)]
    assert main(args) == 2
    assert "exists" in capsys.readouterr().err and existing.read_text(encoding="utf-8") == "keep"
    assert main([*args, "--force"]) == 0
    assert "softmax" in existing.read_text(encoding="utf-8")
    settings = tmp_path / "fit.json"
    settings.write_text("keep", encoding="utf-8")
    model = RUN / "model.keras"
    assert main(["patch", str(model), "--fix", "set_shuffle", "--training-out", str(settings)]) == 2
    assert settings.read_text(encoding="utf-8") == "keep"
    assert main(["patch", str(model), "--fix", "set_shuffle", "--training-out", str(settings), "--force"]) == 0
    assert '"shuffle": true' in settings.read_text(encoding="utf-8")


def test_check_output_names_each_reason(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "log.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="folder given as input"):
        check_output(folder / "sub" / "new.md", [str(folder)])
    with pytest.raises(OutputError, match="input file"):
        check_output(folder / "log.txt", [str(folder / "log.txt")], overwrite=True)
    with pytest.raises(OutputError, match="exists"):
        check_output(folder / "log.txt", [])
    link = tmp_path / "alias"
    link.symlink_to(folder)
    with pytest.raises(OutputError, match="folder given as input"):  # through a symlink too
        write_atomic(link / "r.md", "x", inputs=[str(folder)])
    assert write_atomic(tmp_path / "out.md", "x", inputs=[str(folder)]) == str(tmp_path / "out.md")
