"""How long the rule engine takes on 1,000,000-point runs (target: well under a second).

Two runs: 1,000,000 steps (loss, accuracy, learning rate; NaN from step 700,001) and
1,000,000 epochs, as a CSVLogger file of that length reads (loss, accuracy, their validation
twins, learning rate). Every timing diagnoses fresh series objects: the binned curves the
detectors share are kept on a series, and a repeated diagnosis of the same objects would
measure that cache. Baseline in the same run: ``numpy.sort`` of the same loss array (one
O(n log n) pass over the data), so the figure reads as "diagnosis costs N sorts of the series".

    .venv/bin/python bench/bench_diagnose.py
"""

from __future__ import annotations

import time

import numpy as np

from app.core.run import Run, Series
from app.rules.engine import diagnose
from timing import best_of  # noqa: E402 (bench/timing.py, beside this script)

N = 1_000_000


def _columns(axis: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.arange(1, N + 1)
    loss = (2.0 * np.exp(-x / 150_000) + 0.1) * rng.lognormal(0, 0.25, N)
    columns = {"loss": loss, "accuracy": np.clip(1 - loss / 3, 0, 1), "learning_rate": np.full(N, 1e-3)}
    if axis == "step":
        loss[700_000:] = np.nan  # something for the detectors to find
    else:
        val = loss * 1.1 + 0.05
        columns.update(val_loss=val, val_accuracy=np.clip(1 - val / 3, 0, 1))
    return {"x": x, **columns}


def _fresh_run(axis: str, columns: dict[str, np.ndarray]) -> Run:
    run = Run("bench", "bench")
    for name, y in columns.items():
        if name != "x":
            run.add_series(Series(name, axis, columns["x"], y))
    return run


def _timed(axis: str, columns) -> float:
    times = []
    for _ in range(5):
        run = _fresh_run(axis, columns)
        start = time.perf_counter()
        diagnose(run)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    for axis, label in (("step", "1,000,000-step run, 3 series"), ("epoch", "1,000,000-epoch run, 5 series")):
        columns = _columns(axis)
        diagnose(_fresh_run(axis, columns))  # warm up imports
        baseline = best_of(lambda: np.sort(columns["loss"]))
        ours = _timed(axis, columns)
        found = diagnose(_fresh_run(axis, columns))
        print(f"{label}: diagnose {ours * 1000:.1f} ms "
              f"(baseline numpy.sort of the loss: {baseline * 1000:.1f} ms; ratio {ours / baseline:.1f}x)")
        print("  symptoms:", ", ".join(f"{s.id}@{s.start}" for s in found.symptoms))


if __name__ == "__main__":
    main()
