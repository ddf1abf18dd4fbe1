"""The single entry point: content detection, folders, and clear errors for bad input."""

import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import InputError
from app.io.load import load_path, load_text

SEED002 = "tests/fixtures/seeds/seed002.txt"


def test_format_is_detected_by_content_not_name(tmp_path):
    text = open(SEED002, encoding="utf-8").read()
    odd = tmp_path / "notes.csv"  # the wrong extension on purpose
    odd.write_text(text, encoding="utf-8")
    loaded = load_path(odd)
    assert [run.format for run in loaded.runs] == ["keras_console"]
    assert loaded.runs[0].epoch_count == 10


@pytest.mark.parametrize(
    "content, found",
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><head><title>Login</title></head><body>hi</body></html>", "html"),
        (bytes(range(256)) * 64, "binary"),
        (b"name,comment\nalice,hello\nbob,world\n", "name,comment"),
    ],
)
def test_unreadable_files_raise_one_clear_error(tmp_path, content, found):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_path(path)
    message = info.value.message()
    assert str(path) in message and "expected" in message
    assert found.lower() in message.lower()


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nothing at that path"):
        load_path(tmp_path / "nope.csv")


def test_truncated_zip_is_an_input_error(tmp_path):
    good = tmp_path / "m.keras"
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": []}}' * 50)
        archive.writestr("metadata.json", '{"keras_version": "3.15.1"}')
    data = good.read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as info:
        load_path(cut)
    assert str(cut) in info.value.message()


def test_folder_reads_what_it_can_and_lists_the_rest(tmp_path):
    (tmp_path / "log.txt").write_text(open(SEED002, encoding="utf-8").read(), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("just some notes, nothing numeric here\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("print('never run')\n", encoding="utf-8")
    loaded = load_path(tmp_path)
    assert len(loaded.runs) == 1
    assert any("notes.txt" in item for item in loaded.skipped)
    assert not any("train.py" in item for item in loaded.skipped)  # code is not a log


def test_empty_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="folder"):
        load_path(tmp_path)


def test_empty_paste_is_an_input_error():
    with pytest.raises(InputError, match="pasted"):
        load_text("   \n ")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_no_bytes_crash_the_loader(tmp_path, data):
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    try:
        load_path(path)
    except InputError:
        pass


_LOGGY = st.sampled_from([
    "Epoch 1/3\n", "Epoch 2\n", "10/10 [======] - 1s - loss: 0.5 - accuracy: 0.75\n",
    " - val_loss: nan", " - acc: inf", "\r 3/10 [==>...] - ETA: 1s - loss: 1e-3", "\b\b\b",
    "epoch,loss,val_loss\n", "0,0.5,0.6\n", "1,nan,\n", '{"loss": [0.5, NaN]}',
    "Model: \"sequential\"\n", "Total params: 1,234\n", "训练", "史诗1/6", "━━━━", "[0.5, 0.7]\n",
])


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.one_of(_LOGGY, st.text(max_size=40)), max_size=30))
def test_no_text_crashes_the_loader(parts):
    text = "".join(parts)
    try:
        loaded = load_text(text)
    except InputError:
        return
    for run in loaded.runs:
        for series in list(run.epochs.values()) + list(run.steps.values()):
            assert len(series.x) == len(series.y)
