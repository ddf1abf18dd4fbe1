"""The whole-chunk fast path of the training-print reader gives exactly what reading line by
line gives: on every corpus log read as training prints, and on a loop's prints written in
the shape of issue 13's example with other prints among them (bench/bench_console.py)."""

import sys
from pathlib import Path

import numpy as np

from app.io import print_templates
from app.io.load import load_path
from app.io.readers import metric_prints

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "bench" / "corpus" / "cases"
sys.path.insert(0, str(ROOT / "bench"))

import bench_console  # noqa: E402  (the benchmark's log writer)


def _read(path: Path, monkeypatch, chunk: int, first: int):
    monkeypatch.setattr(metric_prints, "CHUNK_CHARS", chunk)
    monkeypatch.setattr(metric_prints, "FIRST_BLOCK", first)
    return load_path(path)


def _same(a, b) -> None:
    assert [r.name for r in a.runs] == [r.name for r in b.runs]
    for x, y in zip(a.runs, b.runs):
        for table in ("epochs", "steps"):
            left, right = getattr(x, table), getattr(y, table)
            assert sorted(left) == sorted(right)
            for name in left:
                assert np.array_equal(left[name].x, right[name].x), name
                assert np.array_equal(left[name].y, right[name].y, equal_nan=True), name
                assert np.array_equal(left[name].source_lines, right[name].source_lines), name
        assert [e.metrics for e in x.evaluations] == [e.metrics for e in y.evaluations]
        assert x.warnings == y.warnings
        assert x.skipped_lines == y.skipped_lines
        assert x.fit.to_dict() == y.fit.to_dict()


def _whole_chunks(monkeypatch) -> list[int]:
    """Counts the chunks the fast path took (a spy around the real function)."""
    taken: list[int] = []
    real = print_templates.mixed_rows

    def spy(text, templates):
        rows = real(text, templates)
        if rows is not None:
            taken.append(rows.lines)
        return rows
    monkeypatch.setattr(metric_prints, "mixed_rows", spy)
    return taken


def test_a_loop_with_two_line_shapes_and_other_prints_reads_the_same_whole_or_by_line(tmp_path, monkeypatch):
    path = tmp_path / "loop.txt"
    epochs = bench_console.write_custom_loop_log(str(path), 0.5, 100)
    by_line = _read(path, monkeypatch, 1 << 30, 1 << 30)
    taken = _whole_chunks(monkeypatch)
    whole = _read(path, monkeypatch, 16_384, 2_048)
    assert sum(taken) > 0.8 * path.read_text().count("\n")  # most lines went the fast way
    _same(by_line, whole)
    (run,) = whole.runs
    assert run.epoch_count == epochs and len(run.steps["loss"]) == epochs * 10
    assert bool(np.all(np.diff(run.steps["loss"].x) > 0))  # steps restart each epoch: numbered on
    assert run.skipped_lines == epochs // 50 + epochs // 70  # the checkpoint prints and TF warnings


def test_a_key_only_line_among_the_records_sends_the_chunk_line_by_line(tmp_path, monkeypatch):
    # "Saved checkpoint for step N" holds a key: reading it changes the run, so the fast
    # path must not skip it as an unread line.
    lines = []
    for epoch in range(1, 301):
        lines += [f"Epoch {epoch}, Step {step}, Loss: {1 / (epoch + step):.5f}" for step in (10, 20, 30)]
        if epoch % 20 == 0:
            lines.append(f"Saved checkpoint for step {epoch * 30}: ./ckpt-{epoch // 20}")
    path = tmp_path / "loop.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    by_line = _read(path, monkeypatch, 1 << 30, 1 << 30)
    whole = _read(path, monkeypatch, 4_096, 1_024)
    _same(by_line, whole)


def test_corpus_logs_read_the_same_whole_or_by_line(monkeypatch):
    checked = 0
    for path in sorted(CASES.glob("*/log.txt")):
        by_line = _read(path, monkeypatch, 1 << 30, 1 << 30)
        if any(run.format == "metric_prints" for run in by_line.runs):
            _same(by_line, _read(path, monkeypatch, 512, 256))
            checked += 1
    assert checked >= 40  # the corpus's hand-written loops, Caffe, fastai, Hugging Face ... logs
