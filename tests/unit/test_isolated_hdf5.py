"""Untrusted HDF5 is read in a child process with a time limit (issue 20, part 1): a model
file whose reading never returns costs a few seconds and a clear message, never the process;
the next file is read by a fresh child."""

import os
import time
from pathlib import Path

import pytest

from app.core.errors import InputError
from app.core.progress import Cancelled
from app.io import isolated
from app.io.readers import h5_file, keras_file

RUNS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "runs"
H5 = RUNS / "fam_relu_cce_mlp" / "model.h5"


@pytest.fixture()
def never_ends(tmp_path):
    """A named pipe nobody writes to: opening it for reading blocks for ever, in the child."""
    fifo = tmp_path / "model.h5"
    os.mkfifo(fifo)
    return fifo


def test_a_read_that_never_returns_is_stopped_with_a_message(never_ends, monkeypatch):
    monkeypatch.setattr(isolated, "BASE_SECONDS", 2.0)
    start = time.monotonic()
    with pytest.raises(InputError) as stopped:
        h5_file.read(str(never_ends))
    assert time.monotonic() - start < 10
    assert "makes the HDF5 library hang" in stopped.value.message() and str(never_ends) in stopped.value.message()
    # the killed child is replaced: the next model reads as usual
    assert h5_file.read(str(H5)).params_total == 995


class _CancelSoon:
    def __init__(self):
        self.start = time.monotonic()

    def report(self, fraction, message=""):
        pass

    def cancelled(self):
        return time.monotonic() - self.start > 0.5


def test_cancel_stops_the_child(never_ends):
    with pytest.raises(Cancelled):
        h5_file.read(str(never_ends), _CancelSoon())
    assert h5_file.read(str(H5)).params_total == 995


def test_the_child_only_runs_readers():
    with pytest.raises(InputError, match="is not a reader"):
        isolated.call(os.getcwd, path=str(H5), expected="a reader")


def test_a_keras_archive_is_read_with_its_weights_through_the_child():
    model = keras_file.read(str(RUNS / "healthy_mlp" / "model.keras"))
    assert model.params_total == 995 and not any("not read" in w for w in model.warnings)


def test_a_reply_naming_anything_but_our_result_types_is_refused():
    import io
    import pickle

    evil = pickle.dumps((True, os.system))  # what a subverted child could write back
    with pytest.raises(pickle.UnpicklingError, match="posix.system"):
        isolated._ReplyUnpickler(io.BytesIO(evil)).load()
    model = h5_file.read_here(str(H5))
    assert isolated._ReplyUnpickler(io.BytesIO(pickle.dumps((True, model)))).load()[1] == model
