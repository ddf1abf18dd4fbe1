"""How long the rule engine takes on a 1,000,000-step run (target: well under a second).

Baseline in the same run: ``numpy.sort`` of the same loss array (one O(n log n) pass over
the data), so the figure reads as "diagnosis costs N sorts of the series".

    .venv/bin/python bench/bench_diagnose.py
"""

from __future__ import annotations


import numpy as np

from app.core.run import Run, Series
from app.rules.engine import diagnose
from timing import best_of  # noqa: E402 (bench/timing.py, beside this script)

N = 1_000_000


def _run() -> Run:
    rng = np.random.default_rng(0)
    steps = np.arange(1, N + 1)
    loss = (2.0 * np.exp(-steps / 150_000) + 0.1) * rng.lognormal(0, 0.25, N)
    loss[700_000:] = np.nan  # something for the detectors to find
    acc = np.clip(1 - loss / 3, 0, 1)
    run = Run("bench", "bench")
    run.add_series(Series("loss", "step", steps, loss))
    run.add_series(Series("accuracy", "step", steps, acc))
    run.add_series(Series("learning_rate", "step", steps, np.full(N, 1e-3)))
    return run


def main() -> None:
    run = _run()
    diagnose(run)  # warm up imports
    baseline = best_of(lambda: np.sort(run.steps["loss"].y))
    ours = best_of(lambda: diagnose(run))
    found = diagnose(run)
    print(f"1,000,000-step run, 3 series: diagnose {ours * 1000:.1f} ms "
          f"(baseline numpy.sort of the loss: {baseline * 1000:.1f} ms; ratio {ours / baseline:.1f}x)")
    print("symptoms:", ", ".join(f"{s.id}@{s.start}" for s in found.symptoms))


if __name__ == "__main__":
    main()
