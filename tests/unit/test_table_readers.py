"""Tabular and JSON run readers: CSVLogger, Lightning metrics.csv, plain CSV/TSV, History
JSON and Hugging Face trainer_state.json, and the shared CSV engine (app.io.table).

Real fixtures first (tests/fixtures/runs/*/log.csv and history.json against the manifest,
tests/fixtures/other/ Lightning and Hugging Face files); small literal files for the edge
cases real runs do not produce (blank lines, encodings, delimiters, bad cells).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import InputError
from app.core.progress import Cancelled
from app.core.run import canonical_metric
from app.io import registry
from app.io import table as tables
from app.io.readers import csvlogger, hf_trainer_state, history_json, lightning_csv, plain_table
from app.io.sniff import TextSource, probe_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUNS = FIXTURES / "runs"
OTHER = FIXTURES / "other"
MANIFEST = FIXTURES / "fixtures.json"

_MISSING_READERS = [name for name in registry.READER_MODULES if importlib.util.find_spec(name) is None]


@pytest.fixture
def load_path():
    """app.io.load.load_path, once every reader module of the registry exists."""
    if _MISSING_READERS:
        pytest.skip(f"reader modules not in the tree yet: {', '.join(_MISSING_READERS)}")
    from app.io.load import load_path as load

    return load


def _read(reader, text: str):
    return reader.read(TextSource.from_text(text))


def _write(tmp_path: Path, content: str | bytes, name: str = "log.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def _same(a, b) -> bool:
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


# --------------------------------------------------------------------------------------
# Real Keras runs: log.csv and history.json agree with each other and with the manifest
# --------------------------------------------------------------------------------------


def _manifest() -> dict:
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8")).get("scenarios", {})


def _run_logs() -> list[str]:
    if not RUNS.is_dir():
        return []
    return sorted(p.name for p in RUNS.iterdir()
                  if (p / "log.csv").exists() or (p / "history.json").exists())


def _manifest_value(value) -> float:
    return float(value) if not isinstance(value, str) else float(value.lower())


@pytest.mark.parametrize("scenario", _run_logs() or ["<none yet>"])
def test_real_run_logs_match_each_other_and_the_manifest(scenario, load_path):
    if scenario == "<none yet>":
        pytest.skip("tests/fixtures/runs/ holds no log.csv/history.json yet")
    folder = RUNS / scenario
    entry = _manifest().get(scenario)
    runs = {}
    for name, reader_id in (("log.csv", "csvlogger"), ("history.json", "history_json")):
        path = folder / name
        if path.exists():
            loaded = load_path(path)
            assert [run.format for run in loaded.runs] == [reader_id]
            runs[name] = loaded.runs[0]
    if entry is None:
        pytest.skip(f"{scenario} is not in the manifest yet")
    for name, run in runs.items():
        assert run.epoch_count == entry["epochs_run"], name
        assert run.epochs["loss"].x[0] == 1  # CSVLogger's epoch 0 is Keras' "Epoch 1"
    for metric, expected in entry["final"].items():
        name = canonical_metric(metric)
        found = [(file, run.epochs[name]) for file, run in runs.items() if name in run.epochs]
        # CSVLogger fixes its columns at the first epoch: a key a later callback adds to the
        # logs (ReduceLROnPlateau's learning_rate) is only in history.json.
        assert found, f"{metric} in neither file"
        want = _manifest_value(expected)
        for file, series in found:
            if math.isnan(want):
                assert math.isnan(series.last), (file, metric, series.last)
            else:
                assert series.last == pytest.approx(want, rel=1e-3, abs=6e-4), (file, metric)
    if len(runs) == 2:
        csv_run, json_run = runs["log.csv"], runs["history.json"]
        common = set(csv_run.epochs) & set(json_run.epochs)
        assert "loss" in common and set(csv_run.epochs) <= set(json_run.epochs)
        for metric in common:
            series, other = csv_run.epochs[metric], json_run.epochs[metric]
            assert series.x.tolist() == other.x.tolist(), metric
            assert _same(series.y, other.y), metric  # both are the floats' repr
    if "log.csv" in runs:
        _assert_lines_hold_values(folder / "log.csv", runs["log.csv"])


def _assert_lines_hold_values(path: Path, run, delimiter: str = ",") -> None:
    """Every point's source line, read back from the file, holds that value."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for series in list(run.epochs.values()) + list(run.steps.values()):
        assert series.source_path == str(path)
        for y, line in zip(series.y, series.source_lines):
            assert line >= 1
            cells = [cell.strip() for cell in lines[line - 1].split(delimiter)]
            values = [float(cell) for cell in cells if cell and cell != "NA"]
            assert any(_same(y, value) for value in values), (series.name, line, y)


# --------------------------------------------------------------------------------------
# CSVLogger and the CSV engine: edge cases
# --------------------------------------------------------------------------------------

KERAS_CSV = (
    "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\n"
    "0,0.5,0.0010000000474974513,0.6931471824645996,0.5,0.6931471824645996\n"
    "1,0.625,0.0010000000474974513,0.6523,0.5,0.7\n"
    "2,0.75,0.0005000000237487257,0.5,0.625,0.65\n"
)


def test_csvlogger_file_reads_as_keras_epochs_with_lines(tmp_path, load_path):
    path = _write(tmp_path, KERAS_CSV)
    run = load_path(path).runs[0]
    assert run.format == "csvlogger"
    assert run.epochs["loss"].x.tolist() == [1, 2, 3]
    assert run.epochs["loss"].y.tolist() == [0.6931471824645996, 0.6523, 0.5]
    assert run.epochs["learning_rate"].y[-1] == 0.0005000000237487257
    assert run.epochs["val_accuracy"].source_lines.tolist() == [2, 3, 4]
    assert run.pairs() == [("accuracy", "val_accuracy"), ("learning_rate", None), ("loss", "val_loss")]
    _assert_lines_hold_values(path, run)


def test_blank_lines_crlf_and_bom_keep_true_line_numbers(tmp_path, load_path):
    text = "\r\n" + KERAS_CSV.replace("\n", "\r\n").replace("1,0.625", "\r\n   \r\n1,0.625") + "\r\n\r\n"
    path = _write(tmp_path, b"\xef\xbb\xbf" + text.encode())
    run = load_path(path).runs[0]
    assert run.format == "csvlogger"
    assert run.epochs["loss"].y.tolist() == [0.6931471824645996, 0.6523, 0.5]
    assert run.epochs["loss"].source_lines.tolist() == [3, 6, 7]  # header on line 2
    assert run.epochs["accuracy"].raw_name == "accuracy"  # the BOM is not part of a name


def test_reordered_columns_lr_and_acc_are_canonical():
    text = "val_acc,lr,loss,epoch,acc,val_loss\n0.5,0.01,0.9,0,0.4,1.0\n0.6,0.001,0.8,1,0.5,0.95\n"
    run = _read(csvlogger, text)[0]
    assert sorted(run.epochs) == ["accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
    assert run.epochs["learning_rate"].raw_name == "lr"
    assert run.epochs["learning_rate"].y.tolist() == [0.01, 0.001]
    assert run.epochs["val_accuracy"].y.tolist() == [0.5, 0.6]
    assert run.epochs["accuracy"].x.tolist() == [1, 2]


def test_nan_inf_are_kept_and_missing_cells_are_left_out():
    text = ("epoch,loss,val_loss,accuracy\n"
            "0,0.7,0.8,0.5\n"
            "1,nan,NA,0.5\n"
            "2,inf,,NaN\n"
            "3,-inf,-Infinity,0.5\n")
    run = _read(csvlogger, text)[0]
    loss = run.epochs["loss"]
    assert loss.x.tolist() == [1, 2, 3, 4]
    assert math.isnan(loss.y[1]) and loss.y[2] == math.inf and loss.y[3] == -math.inf
    assert math.isnan(run.epochs["accuracy"].y[2])
    val = run.epochs["val_loss"]  # "NA" (Keras' missing value) and "" are not points
    assert val.x.tolist() == [1, 4] and val.y.tolist() == [0.8, -math.inf]
    assert val.source_lines.tolist() == [2, 5]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(delimiter, tmp_path, load_path):
    path = _write(tmp_path, KERAS_CSV.replace(",", delimiter))
    run = load_path(path).runs[0]
    assert run.format == "csvlogger"
    assert run.epochs["val_loss"].y.tolist() == [0.6931471824645996, 0.7, 0.65]
    _assert_lines_hold_values(path, run, delimiter)


def test_semicolon_file_with_decimal_commas():
    text = "epoch;loss;accuracy\n0;0,75;0,5\n1;0,5;0,625\n"
    run = _read(csvlogger, text)[0]
    assert run.epochs["loss"].y.tolist() == [0.75, 0.5]
    assert run.epochs["accuracy"].y.tolist() == [0.5, 0.625]


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-16-le", "utf-8-sig"])
def test_encodings_are_detected_and_read(encoding, tmp_path, load_path):
    # A Chinese note column makes GBK detectable; it holds text, so it is skipped.
    text = KERAS_CSV.replace("val_loss\n", "val_loss,备注\n").replace("\n0,", "\n0,").strip()
    rows = text.split("\n")
    rows = [rows[0]] + [row + ",第一轮" for row in rows[1:]]
    path = _write(tmp_path, "\r\n".join(rows) + "\r\n", encoding=encoding)
    loaded = load_path(path)
    run = loaded.runs[0]
    assert run.epochs["loss"].y.tolist() == [0.6931471824645996, 0.6523, 0.5]
    assert run.epochs["loss"].source_lines.tolist() == [2, 3, 4]
    assert "备注" not in run.epochs
    assert any("备注" in warning for warning in run.warnings)


def test_header_only_is_an_input_error(tmp_path, load_path):
    path = _write(tmp_path, "epoch,accuracy,loss,val_accuracy,val_loss\n")
    with pytest.raises(InputError) as info:
        load_path(path)
    assert "only the header line" in info.value.message()
    assert info.value.line == 1


def test_non_numeric_cell_names_line_and_column(tmp_path, load_path):
    path = _write(tmp_path, KERAS_CSV.replace("0.7\n", "oops\n"))
    with pytest.raises(InputError) as info:
        load_path(path)
    error = info.value
    assert error.line == 3 and error.entry == "column val_loss"
    assert "'oops'" in error.message() and str(path) in error.message()


def test_row_with_extra_fields_names_its_line():
    text = KERAS_CSV + "3,0.8,0.0005,0.4,0.7,0.6,0.1\n"
    with pytest.raises(InputError) as info:
        _read(csvlogger, text)
    assert info.value.line == 5
    assert "6 comma-separated fields" in info.value.message()


def test_repeated_epochs_later_row_wins_with_a_warning():
    text = "epoch,loss\n0,0.9\n1,0.8\n0,0.7\n1,0.6\n2,0.5\n"
    run = _read(csvlogger, text)[0]
    assert run.epochs["loss"].x.tolist() == [1, 2, 3]
    assert run.epochs["loss"].y.tolist() == [0.7, 0.6, 0.5]
    assert run.epochs["loss"].source_lines.tolist() == [4, 5, 6]
    assert any("more than once" in warning for warning in run.warnings)


def test_list_valued_keras_metric_is_skipped_with_a_warning():
    text = 'epoch,f1_score,loss\n0,"[0.1, 0.2]",0.5\n1,"[0.3, 0.4]",0.4\n'
    run = _read(csvlogger, text)[0]
    assert list(run.epochs) == ["loss"]
    assert any("f1_score" in warning for warning in run.warnings)


def test_slices_keep_values_and_lines_across_boundaries(monkeypatch):
    """Tiny slices: the arrays are sized from the first slice and grown, blank lines fall in
    later slices, and a bad cell deep in the file still names its line."""
    monkeypatch.setattr(tables, "SLICE_BYTES", 40)
    rows = ["epoch,loss"] + [f"{i},{i / 7!r}" for i in range(3)] + [f"{i},{i}" for i in range(3, 60)]
    rows[30:30] = ["", "  "]  # two blank lines in the middle
    text = "\n".join(rows) + "\n"
    table = tables.read_table(TextSource.from_text(text))
    assert table.rows == 60
    assert table.columns["epoch"].tolist() == list(range(60))
    assert table.columns["loss"][:3].tolist() == [0.0, 1 / 7, 2 / 7]
    expected_lines = [n for n, row in enumerate(rows, 1) if row.strip()][1:]
    assert table.lines.tolist() == expected_lines
    bad = text.replace("\n55,55\n", "\n55,x5\n")
    with pytest.raises(InputError) as info:
        tables.read_table(TextSource.from_text(bad))
    assert info.value.line == rows.index("55,55") + 1


def test_large_non_utf8_text_is_transcoded_through_a_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "TRANSCODE_IN_MEMORY_BYTES", 0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    os.mkdir(tmp_path / "tmp")
    path = _write(tmp_path, KERAS_CSV, encoding="utf-16")
    run = csvlogger.read(TextSource.from_file(str(path), "utf-16-le"))[0]
    assert run.epochs["loss"].y.tolist() == [0.6931471824645996, 0.6523, 0.5]
    assert os.listdir(tmp_path / "tmp") == []  # the temporary copy is gone


def test_reading_can_be_cancelled(monkeypatch):
    class Stop:
        def report(self, fraction, message=""):
            pass

        def cancelled(self):
            return True

    with pytest.raises(Cancelled):
        csvlogger.read(TextSource.from_text(KERAS_CSV), Stop())


# --------------------------------------------------------------------------------------
# Plain tables and unreadable CSV
# --------------------------------------------------------------------------------------


def test_plain_table_with_step_column_keeps_steps_and_skips_text(tmp_path, load_path):
    text = "step\tloss\tlr\tphase\n0\t2.5\t0.1\ttrain\n100\t1.5\t0.1\ttrain\n200\tnan\t0.01\ttrain\n"
    run = load_path(_write(tmp_path, text, "metrics.tsv")).runs[0]
    assert run.format == "plain_table"
    assert run.steps["loss"].x.tolist() == [0, 100, 200]
    assert math.isnan(run.steps["loss"].y[2])
    assert run.steps["learning_rate"].y.tolist() == [0.1, 0.1, 0.01]
    assert "phase" not in run.steps and any("phase" in w for w in run.warnings)


def test_plain_table_epochs_from_one_stay_and_from_zero_shift():
    one = _read(plain_table, "Epoch,train_loss,valid_loss\n1,0.9,1.0\n2,0.8,0.95\n")[0]
    assert one.epochs["loss"].x.tolist() == [1, 2]
    assert one.epochs["val_loss"].y.tolist() == [1.0, 0.95]
    zero = _read(plain_table, "epoch,my_metric\n0,3\n1,4\n")[0]
    assert zero.epochs["my_metric"].x.tolist() == [1, 2]


def test_csv_without_key_or_numbers_names_its_header(tmp_path, load_path):
    path = _write(tmp_path, b"name,comment\nalice,hello\nbob,world\n", "input.txt")
    with pytest.raises(InputError) as info:
        load_path(path)
    assert "name,comment" in info.value.message()
    assert plain_table.identify(probe_text("name,comment\nalice,hello\n")) >= registry.MIN_SCORE


def test_plain_table_without_a_key_column_is_refused():
    with pytest.raises(InputError) as info:
        _read(plain_table, "loss,accuracy\n0.5,0.7\n0.4,0.8\n")
    assert info.value.found == "loss,accuracy"


# --------------------------------------------------------------------------------------
# Lightning metrics.csv
# --------------------------------------------------------------------------------------

LIGHTNING_CSV = (
    "epoch,step,train_loss_epoch,train_loss_step,val_acc,val_loss\n"
    "0,49,,0.6931,,\n"
    "0,99,,0.512,,\n"
    "0,156,,,0.81,0.45\n"
    "0,156,0.55,,,\n"
    "1,206,,0.40,,\n"
    "1,313,,,0.85,nan\n"
    "1,313,0.41,,,\n"
)


def test_lightning_sparse_rows_split_into_epoch_and_step_series():
    run = _read(lightning_csv, LIGHTNING_CSV)[0]
    assert run.format == "lightning"
    assert run.epochs["loss"].x.tolist() == [1, 2]  # epoch 0-based + 1
    assert run.epochs["loss"].y.tolist() == [0.55, 0.41]
    assert run.epochs["loss"].source_lines.tolist() == [5, 8]
    assert run.epochs["val_accuracy"].y.tolist() == [0.81, 0.85]
    assert math.isnan(run.epochs["val_loss"].y[1])
    assert run.steps["loss"].x.tolist() == [50, 100, 207]  # global_step + 1
    assert run.steps["loss"].raw_name == "train_loss_step"
    assert run.fit.steps_per_epoch == 157


def test_lightning_real_metrics_csv():
    path = OTHER / "lightning_mlp" / "metrics.csv"
    if not path.exists():
        pytest.skip("tests/fixtures/other/lightning_mlp/metrics.csv not made yet")
    run = lightning_csv.read(TextSource.from_file(str(path), "utf-8"))[0]
    # The run: 6 epochs of 16 steps, log_every_n_steps=5, LearningRateMonitor on SGD.
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert run.epochs[name].x.tolist() == [1, 2, 3, 4, 5, 6], name
    assert run.fit.steps_per_epoch == 16
    steps = run.steps["loss"].x
    assert steps[0] == 5 and np.all(steps % 5 == 0) and steps[-1] <= 96
    assert run.steps["learning_rate"].y[0] == 0.1
    assert run.steps["learning_rate"].y[-1] < run.steps["learning_rate"].y[0]  # a schedule
    assert run.epochs["loss"].y[-1] < run.epochs["loss"].y[0]
    _assert_lines_hold_values(path, run)


# --------------------------------------------------------------------------------------
# History JSON
# --------------------------------------------------------------------------------------

HISTORY = {"loss": [0.7, float("nan"), 0.5], "accuracy": [0.5, 0.6, float("inf")],
           "val_loss": [0.8, 0.75, 0.7], "lr": [0.001, 0.001, 0.0005]}


@pytest.mark.parametrize("indent", [None, 2])
def test_history_json_as_json_dump_writes_it(indent):
    text = json.dumps(HISTORY, indent=indent)  # NaN/Infinity tokens, as Python writes them
    assert "NaN" in text and "Infinity" in text
    run = _read(history_json, text)[0]
    assert run.format == "history_json"
    assert run.epochs["loss"].x.tolist() == [1, 2, 3]
    assert _same(run.epochs["loss"].y, HISTORY["loss"])
    assert run.epochs["accuracy"].y[-1] == math.inf
    assert run.epochs["learning_rate"].raw_name == "lr"
    lines = run.epochs["val_loss"].source_lines.tolist()
    if indent is None:
        assert lines == [1, 1, 1]
    else:
        text_lines = text.splitlines()
        assert [text_lines[n - 1].strip().rstrip(",") for n in lines] == ["0.8", "0.75", "0.7"]


def test_history_object_wrapper_gives_epochs_and_fit_settings():
    text = json.dumps({"history": {"loss": [0.5, 0.4]}, "epoch": [5, 6],
                       "params": {"verbose": 1, "epochs": 10, "steps": 32}}, indent=1)
    run = _read(history_json, text)[0]
    assert run.epochs["loss"].x.tolist() == [6, 7]
    assert (run.fit.epochs_planned, run.fit.steps_per_epoch, run.fit.initial_epoch) == (10, 32, 5)


def test_history_json_strings_nulls_and_lists():
    text = json.dumps({"loss": ["0.5", "0.25"], "val_loss": [0.6, None],
                       "per_class": [[0.1, 0.2], [0.3, 0.4]]})
    run = _read(history_json, text)[0]
    assert run.epochs["loss"].y.tolist() == [0.5, 0.25]
    assert math.isnan(run.epochs["val_loss"].y[1])
    assert "per_class" not in run.epochs
    assert any("null" in w for w in run.warnings) and any("per_class" in w for w in run.warnings)


def test_history_json_bad_value_and_bad_json_name_the_line():
    text = '{\n  "loss": [\n    0.5,\n    "oops"\n  ]\n}'
    with pytest.raises(InputError) as info:
        _read(history_json, text)
    assert info.value.line == 4 and info.value.entry == "loss[1]"
    with pytest.raises(InputError) as info:
        _read(history_json, '{\n "loss": [0.5,\n 0.4,,]\n}')
    assert info.value.line == 3


def test_history_json_value_lines_helper():
    lines = history_json.json_value_lines('{"a": [1,\n 2],\n "b": {"c": "x,]"}, "d": 3}', 3)
    assert lines[("a", 0)] == 1 and lines[("a", 1)] == 2
    assert lines[("b", "c")] == 3 and lines[("d",)] == 3


# --------------------------------------------------------------------------------------
# Hugging Face trainer_state.json
# --------------------------------------------------------------------------------------

TRAINER_STATE = {
    "epoch": 2.0, "global_step": 20, "best_metric": None,
    "log_history": [
        {"epoch": 0.5, "grad_norm": 1.5, "learning_rate": 5e-05, "loss": 0.69, "step": 5},
        {"epoch": 1.0, "grad_norm": 1.2, "learning_rate": 4e-05, "loss": 0.6, "step": 10},
        {"epoch": 1.0, "eval_accuracy": 0.7, "eval_loss": 0.55, "eval_runtime": 0.1,
         "eval_samples_per_second": 100.0, "step": 10},
        {"epoch": 1.5, "grad_norm": 1.1, "learning_rate": 3e-05, "loss": float("nan"), "step": 15},
        {"epoch": 2.0, "eval_accuracy": 0.8, "eval_loss": 0.5, "eval_runtime": 0.1, "step": 20},
        {"epoch": 2.0, "step": 20, "total_flos": 1e10, "train_loss": 0.61, "train_runtime": 10.0},
    ],
    "logging_steps": 5, "max_steps": 20, "num_train_epochs": 2, "train_batch_size": 8,
}


def test_hf_log_history_steps_epochs_and_fit_settings():
    text = json.dumps(TRAINER_STATE, indent=2, sort_keys=True)
    run = _read(hf_trainer_state, text)[0]
    assert run.format == "hf_trainer_state"
    assert run.steps["loss"].x.tolist() == [5, 10, 15]  # the summary's train_loss is not a point
    assert math.isnan(run.steps["loss"].y[2])
    assert run.steps["val_loss"].x.tolist() == [10, 20]
    assert run.epochs["val_loss"].x.tolist() == [1, 2]  # eval at whole epochs
    assert run.epochs["val_accuracy"].y.tolist() == [0.7, 0.8]
    assert "loss" not in run.epochs  # logged every 5 steps, not per epoch
    assert "eval_runtime" not in run.steps and "runtime" not in run.steps
    assert (run.fit.epochs_planned, run.fit.batch_size, run.fit.steps_per_epoch) == (2, 8, 10)
    text_lines = text.splitlines()
    for line in run.steps["grad_norm"].source_lines:
        assert '"grad_norm"' in text_lines[line - 1]


def test_hf_real_trainer_state():
    path = OTHER / "hf_tiny" / "trainer_state.json"
    if not path.exists():
        pytest.skip("tests/fixtures/other/hf_tiny/trainer_state.json not made yet")
    run = hf_trainer_state.read(TextSource.from_file(str(path), "utf-8"))[0]
    # The run: 4 epochs x 16 steps, logging_steps=4, eval each epoch, batch 16.
    assert run.epochs["val_loss"].x.tolist() == [1, 2, 3, 4]
    assert run.steps["val_loss"].x.tolist() == [16, 32, 48, 64]
    assert run.steps["loss"].x.tolist() == list(range(4, 65, 4))
    assert set(run.steps) >= {"loss", "learning_rate", "grad_norm", "val_accuracy"}
    assert (run.fit.epochs_planned, run.fit.steps_per_epoch, run.fit.batch_size) == (4, 16, 16)
    state = json.loads(path.read_text(encoding="utf-8"))
    last_eval = [e for e in state["log_history"] if "eval_loss" in e][-1]
    assert run.epochs["val_loss"].last == last_eval["eval_loss"]


# --------------------------------------------------------------------------------------
# Detection: each format goes to its own reader
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, reader_id", [
    (KERAS_CSV, "csvlogger"),
    (KERAS_CSV.replace(",", "\t"), "csvlogger"),
    (LIGHTNING_CSV, "lightning"),
    ("step,loss,accuracy\n1,0.5,0.7\n2,0.4,0.8\n", "plain_table"),
    (json.dumps(HISTORY), "history_json"),
    (json.dumps(TRAINER_STATE, indent=2), "hf_trainer_state"),
])
def test_each_format_is_claimed_by_its_reader(text, reader_id):
    if _MISSING_READERS:
        pytest.skip(f"reader modules not in the tree yet: {', '.join(_MISSING_READERS)}")
    ranked = registry.rank(probe_text(text))
    assert ranked and ranked[0][1].ID == reader_id


def test_readers_do_not_import_pandas():
    """pyarrow imports pandas from ``Array.to_numpy`` and from arrays built out of Python
    objects; the CSV engine avoids both (app.io must not load pandas)."""
    code = (
        "import sys\n"
        "from app.io.sniff import TextSource\n"
        "from app.io.readers import csvlogger, lightning_csv, plain_table, history_json\n"
        "csvlogger.read(TextSource.from_text('epoch,loss\\n0,0.5\\n1,\\n'))\n"
        "plain_table.read(TextSource.from_text('step;loss;note\\n1; 0,5 ;a\\n2;NA;b\\n'))\n"
        f"lightning_csv.read(TextSource.from_text({LIGHTNING_CSV!r}))\n"
        "history_json.read(TextSource.from_text('{\"loss\": [0.5]}'))\n"
        "print('pandas' in sys.modules)\n"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------------------
# No input crashes or hangs a reader
# --------------------------------------------------------------------------------------

_CSVISH = st.sampled_from([
    "epoch", "step", "loss", "val_loss", "acc", "lr", "train_loss_step", ",", ";", "\t", "\n",
    "\r\n", "\r", " ", '"', "0", "1", "-1", "0.5", "1e-3", "nan", "NaN", "inf", "-inf", "NA",
    "", "x", "[0.1, 0.2]", "\ufeff", "训练", "1,5", "99999999999999999999",
])
_JSONISH = st.sampled_from([
    "{", "}", "[", "]", ",", ":", '"loss"', '"val_loss"', '"log_history"', '"step"', '"epoch"',
    '"history"', "0.5", "1", "NaN", "Infinity", "-Infinity", "null", "true", '"0.5"', '"x"', "\n",
    " ", '"eval_loss"', "1e999",
])


def _check(runs) -> None:
    for run in runs:
        for series in list(run.epochs.values()) + list(run.steps.values()):
            assert len(series.x) == len(series.y) == len(series.source_lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(_CSVISH, st.text(max_size=8)), max_size=60))
def test_no_csvish_text_crashes_the_table_readers(parts):
    text = "".join(parts)
    probe = probe_text(text)
    for reader in (csvlogger, lightning_csv, plain_table):
        assert 0.0 <= reader.identify(probe) <= 1.0
        try:
            _check(reader.read(TextSource.from_text(text)))
        except InputError:
            pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(_JSONISH, st.text(max_size=6)), max_size=60))
def test_no_jsonish_text_crashes_the_json_readers(parts):
    text = "".join(parts)
    probe = probe_text(text)
    for reader in (history_json, hf_trainer_state):
        assert 0.0 <= reader.identify(probe) <= 1.0
        try:
            _check(reader.read(TextSource.from_text(text)))
        except InputError:
            pass


_CELLS = st.sampled_from(["0", "1.5", "-2", "nan", "inf", "-inf", "", "NA", "1e-07", " 3 "])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELLS, min_size=3, max_size=3), min_size=1, max_size=40),
       blanks=st.lists(st.sampled_from(["", "   ", "\t"]), max_size=6),
       positions=st.lists(st.integers(0, 45), max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]), newline=st.sampled_from(["\n", "\r\n"]),
       slice_bytes=st.sampled_from([16, 64, 1 << 20]))
def test_structured_tables_keep_values_and_lines(monkeypatch, rows, blanks, positions,
                                                 delimiter, newline, slice_bytes):
    """Random tables with blank lines anywhere and any slice size: every row's values and
    line number come back as written."""
    monkeypatch.setattr(tables, "SLICE_BYTES", slice_bytes)
    lines = ["a" + delimiter + "b" + delimiter + "c"] + [delimiter.join(row) for row in rows]
    kinds = ["row"] * len(lines)
    for blank, position in zip(blanks, positions):
        at = min(1 + position, len(lines))
        lines.insert(at, blank)
        kinds.insert(at, "blank")
    table = tables.read_table(TextSource.from_text(newline.join(lines) + newline))

    def number(cell: str) -> float:
        return math.nan if cell.strip() in ("", "NA") else float(cell)

    # A data line whose cells are all missing reads as a blank line.
    expected = [(n, line.split(delimiter)) for n, (line, kind) in enumerate(zip(lines, kinds), 1)
                if kind == "row" and n > 1
                and any(cell.strip() not in ("", "NA") for cell in line.split(delimiter))]
    expected_rows = [cells for _, cells in expected]
    assert table.lines.tolist() == [n for n, _ in expected]
    for index, name in enumerate("abc"):
        assert _same(table.columns[name], [number(row[index]) for row in expected_rows])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), st.just("")), min_size=3,
    max_size=3), max_size=30))
def test_numbers_written_by_python_read_back_exactly(rows):
    """Any float repr Python (and so Keras' CSVLogger) writes comes back bit for bit."""
    lines = ["epoch,loss,val_loss"] + [
        ",".join([str(index)] + [repr(float(v)) if v != "" else "" for v in row[1:]])
        for index, row in enumerate(rows)]
    table = tables.read_table(TextSource.from_text("\n".join(lines) + "\n"))
    for column, name in ((1, "loss"), (2, "val_loss")):
        expected = [float(row[column]) if row[column] != "" else math.nan for row in rows]
        if any(row[column] != "" for row in rows):
            assert _same(table.columns[name], expected)
