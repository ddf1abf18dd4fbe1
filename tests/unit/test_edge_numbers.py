"""Numbers at the edges (issue 20): every reader and every detector takes ±inf, ±1e308,
subnormals, -0, NaN spelled any way, 400-digit integers and near-empty series, and ends in a
diagnosis (rendered as text, Markdown and JSON) or in an :class:`InputError`, never in another
exception. Property-based (hypothesis) with a bounded budget, plus the reproducers found so
far as plain regression tests."""

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli.diagnose_view import render_json, render_text
from app.core.errors import InputError
from app.io.load import load_path, load_text
from app.report import build_report, render
from app.rules.engine import diagnose_all

EDGES = [math.inf, -math.inf, math.nan, 1e308, -1e308, 1.7976931348623157e308, 5e-324, -5e-324, -0.0, 0.0,
         1.0, 0.5, 1e-300, 2.3026, 16.1181, 87.3365]
value = st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=True, allow_infinity=True),
                  st.floats(min_value=-10, max_value=10))
series = st.lists(value, min_size=1, max_size=12)
BUDGET = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

NAN_SPELLINGS = ("nan", "NaN", "-nan", "NAN", "inf", "-inf", "Infinity", "-Infinity")


def _spell(x: float, style: int) -> str:
    if math.isnan(x):
        return NAN_SPELLINGS[style % 4]
    if math.isinf(x):
        return ("inf", "Infinity", "INF")[style % 3] if x > 0 else ("-inf", "-Infinity", "-INF")[style % 3]
    return repr(x) if style % 2 else f"{x:.4e}"


def _diagnosed(loaded) -> None:
    """The whole path a user's input takes after reading: diagnosis and its renderings."""
    cases = diagnose_all(loaded.runs, loaded.models)
    assert isinstance(render_text(cases), str)
    json.dumps(render_json(cases, []), allow_nan=False)  # strict JSON: NaN written as a string
    assert render(build_report(cases), "md")


def _read_and_diagnose(path) -> None:
    try:
        loaded = load_path(path)
    except InputError as error:
        assert str(path) in error.message()
        return
    _diagnosed(loaded)


@BUDGET
@given(loss=series, accuracy=series, style=st.integers(0, 5))
def test_history_json_with_edge_values(tmp_path, loss, accuracy, style):
    path = tmp_path / "history.json"
    n = min(len(loss), len(accuracy))
    # json.dumps writes NaN/Infinity, as Keras' own json.dump(history.history) does
    path.write_text(json.dumps({"loss": loss[:n], "accuracy": accuracy[:n], "val_loss": loss[::-1][:n]}),
                    encoding="utf-8")
    _read_and_diagnose(path)


@BUDGET
@given(loss=series, accuracy=series, style=st.integers(0, 5))
def test_csvlogger_with_edge_values(tmp_path, loss, accuracy, style):
    n = min(len(loss), len(accuracy))
    rows = ["epoch,accuracy,loss,val_loss"] + [
        f"{i},{_spell(a, style)},{_spell(v, style + 1)},{_spell(v, style)}" for i, (a, v) in enumerate(zip(accuracy, loss))][:n + 1]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _read_and_diagnose(path)


@BUDGET
@given(loss=series, accuracy=series, style=st.integers(0, 5))
def test_keras_console_with_edge_values(tmp_path, loss, accuracy, style):
    n = min(len(loss), len(accuracy))
    lines = []
    for epoch, (v, a) in enumerate(zip(loss[:n], accuracy[:n]), 1):
        lines.append(f"Epoch {epoch}/{n}")
        lines.append(f"10/10 [==============================] - 0s 2ms/step - loss: {_spell(v, style)} "
                     f"- accuracy: {_spell(a, style)} - val_loss: {_spell(v, style + 1)}")
    path = tmp_path / "console.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _read_and_diagnose(path)


@BUDGET
@given(loss=series, accuracy=series, style=st.integers(0, 5))
def test_training_prints_with_edge_values(tmp_path, loss, accuracy, style):
    n = min(len(loss), len(accuracy))
    lines = [f"Epoch {i}, Step {10 * i}, Loss: {_spell(v, style)}, Accuracy: {_spell(a, style + 1)}"
             for i, (v, a) in enumerate(zip(loss[:n], accuracy[:n]), 1)]
    path = tmp_path / "prints.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _read_and_diagnose(path)


@BUDGET
@given(digits=st.integers(20, 4000), sign=st.sampled_from(["", "-"]))
def test_history_json_with_integers_beyond_floats(tmp_path, digits, sign):
    path = tmp_path / "history.json"
    path.write_text('{"loss": [1, 0.5, ' + sign + "9" * digits + "]}", encoding="utf-8")
    _read_and_diagnose(path)


# ------------------------------------------------------------------ reproducers found so far

@pytest.mark.parametrize("text", [
    '{"loss": [7, -1e308]}',  # OverflowError in healthy.py (100 x drop is inf)
    "epoch,loss\n0,7\n1,-1e308\n",
    "Epoch 1/2\n10/10 [====] - 0s - loss: 7.0000\nEpoch 2/2\n10/10 [====] - 0s - loss: -1e308\n",
    '{"loss": [1, ' + "9" * 400 + "]}",  # OverflowError in history_json.py (int too large for float)
    '{"loss": [1, -' + "9" * 400 + "]}",
])
def test_reproducers_of_issue_20(text):
    _diagnosed(load_text(text, "pasted"))


def test_an_integer_beyond_floats_reads_as_inf():
    (run,) = load_text('{"loss": [1, ' + "9" * 400 + "]}", "pasted").runs
    assert run.epochs["loss"].y[1] == math.inf


# 400-digit integers in a model config and a Trainer state (tools/fuzz.py model_json and
# hf_trainer_state, seed 0): OverflowError in keras_config._number, rules/task.py (1 / units),
# exploding_gradients._is_number and hf_trainer_state.read/_whole/_whole_epoch.
FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures"
HUGE = "9" * 400


@pytest.mark.parametrize("source, number", [
    ("runs/seed000_mse_sigmoid/model.json", '"units": 1,'),
    ("runs/seed000_mse_sigmoid/model.json", '"units": 32,'),
    ("other/hf_tiny/trainer_state.json", '"step": 4\n'),
    ("other/hf_tiny/trainer_state.json", '"epoch": 4.0,'),
])
def test_integers_beyond_floats_in_configs_and_trainer_states(tmp_path, source, number):
    text = (FIXTURES / source).read_text(encoding="utf-8")
    assert number in text
    key = number.partition(":")[0]
    path = tmp_path / (FIXTURES / source).name
    path.write_text(text.replace(number, f"{key}: {HUGE}{number[-1]}", 1), encoding="utf-8")
    try:
        loaded = load_path(path)
    except InputError:
        return
    _diagnosed(loaded)


def test_a_huge_integer_in_a_config_reads_as_no_units(tmp_path):
    text = (FIXTURES / "runs/seed000_mse_sigmoid/model.json").read_text(encoding="utf-8")
    path = tmp_path / "model.json"
    path.write_text(text.replace('"units": 1,', f'"units": {HUGE},', 1), encoding="utf-8")
    (model,) = load_path(path).models
    assert model.layers[-1].units is None  # not an int any more: read as unknown
