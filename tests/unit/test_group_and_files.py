"""Logs of one run merge; different runs stay apart; outputs are atomic and never inputs."""

import math

import numpy as np
import pytest

from app.core.files import OutputError, write_atomic
from app.core.model import LayerSpec, ModelSpec
from app.core.run import Run, Series, Source
from app.io.group import group_runs, pair


def _run(name, fmt, values, path, decimals=None):
    run = Run(name, fmt, paths=[path])
    y = np.asarray(values, dtype=float)
    if decimals is not None:
        y = np.round(y, decimals)
    run.add_series(Series("loss", "epoch", np.arange(1, y.size + 1), y, source_path=path))
    return run


LOSS = [0.693147182, 0.523401201, 0.412345678, math.nan]


def test_console_and_csv_of_the_same_run_merge_and_csv_precision_wins():
    console = _run("console", "keras_console", LOSS, "/r/log.txt", decimals=4)
    csv = _run("csv", "csvlogger", LOSS, "/r/log.csv")
    console.fit.set("epochs_planned", 4, Source("/r/log.txt", 1))
    (merged,) = group_runs([console, csv])
    assert merged.paths == ["/r/log.csv", "/r/log.txt"]
    assert merged.epochs["loss"].y[1] == pytest.approx(0.523401201, abs=1e-12)
    assert merged.fit.epochs_planned == 4  # what only the console knew is kept
    assert set(merged.format.split("+")) == {"csvlogger", "keras_console"}


def test_different_runs_stay_apart():
    a = _run("a", "csvlogger", [0.7, 0.5, 0.4], "/a/log.csv")
    b = _run("b", "csvlogger", [0.7, 0.6, 0.55], "/b/log.csv")
    assert len(group_runs([a, b])) == 2


def test_models_pair_with_runs_in_their_folder():
    a = _run("a", "csvlogger", [0.7, 0.5, 0.4], "/a/log.csv")
    b = _run("b", "csvlogger", [0.7, 0.6, 0.55], "/b/log.csv")
    ma = ModelSpec("ma", "Sequential", "keras", source_path="/a/model.keras", layers=[LayerSpec("d", "Dense")])
    mb = ModelSpec("mb", "Sequential", "keras", source_path="/b/model.keras", layers=[LayerSpec("d", "Dense")])
    cases = pair([a, b], [ma, mb])
    assert [(c.model.name, [r.name for r in c.runs]) for c in cases] == [("ma", ["a"]), ("mb", ["b"])]
    single = pair([a, b], [ma])
    assert len(single) == 1 and len(single[0].runs) == 2


def test_write_atomic_refuses_inputs_and_leaves_no_partial_files(tmp_path):
    source = tmp_path / "log.txt"
    source.write_text("epoch,loss\n", encoding="utf-8")
    with pytest.raises(OutputError, match="overwrite an input"):
        write_atomic(source, "x", inputs=[str(source)])
    assert source.read_text(encoding="utf-8") == "epoch,loss\n"
    target = tmp_path / "out.md"
    write_atomic(target, "# ok\n", inputs=[str(source)])
    assert target.read_text(encoding="utf-8") == "# ok\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".traindoc-")] == []
    with pytest.raises(OutputError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "x.md", "x")
