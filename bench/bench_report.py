"""How long a report of a 1,000,000-step run takes to render, per format (target: seconds).

A run with 1,000,000 logged steps (loss, accuracy, learning rate; the loss turns NaN at
step 700,001, so there is a symptom to shade and to tabulate) is diagnosed once; then, best
of 3 each, in the same process:

- baseline: ``json.dumps`` of the diagnosis (``app.cli.diagnose_view.render_json``), the
  least any report has to do;
- ``build_report`` (summaries, the compact table, versions);
- ``render(report, fmt)`` for md, json, html (the charts drawn by the GUI's CurvePanel and
  PNG-encoded) and pdf (charts plus Qt's layout and the PDF writer).

The first chart also pays for starting Qt (an offscreen QApplication) and importing
pyqtgraph; that one-off cost is printed on its own line.

    .venv/bin/python bench/bench_report.py [--steps N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def million_step_run(steps: int):
    from app.core.run import Run, Series

    x = np.arange(1, steps + 1)
    rng = np.random.default_rng(0)
    loss = np.exp(-x / (steps / 5)) + 0.05 * rng.standard_normal(steps) + 0.2
    loss[int(steps * 0.7):] = math.nan
    run = Run("million_steps", "tensorboard", paths=["bench/out/events.out.tfevents"])
    run.add_series(Series("loss", "step", x, loss))
    run.add_series(Series("accuracy", "step", x, np.clip(1 - loss / 3, 0, 1)))
    run.add_series(Series("learning_rate", "step", x, np.where(x < steps // 2, 1e-3, 1e-4)))
    return run


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from app.cli.diagnose_view import render_json
    from app.report import build_report, render
    from app.rules.engine import diagnose_all

    run = million_step_run(args.steps)
    diagnose_time, cases = best_of(1, lambda: diagnose_all([run], []))
    symptoms = [s.id for c in cases for s in c.diagnosis.symptoms]
    baseline, _ = best_of(args.repeat, lambda: json.dumps(render_json(cases, [], "en"), indent=2))
    build_time, report = best_of(args.repeat, lambda: build_report(cases, [], "en"))

    from app.report.charts import qt_application

    started = time.perf_counter()
    qt_application()
    import pyqtgraph  # noqa: F401 - the one-off cost of the first chart
    import app.gui.plots.curve_panel  # noqa: F401
    qt_start = time.perf_counter() - started

    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}")
    print(f"run: {args.steps:,} steps x 3 series; symptoms {symptoms}; diagnosis {diagnose_time:.3f} s")
    print(f"one-off: Qt offscreen app + pyqtgraph import {qt_start:.3f} s")
    print(f"{'what':<34}{'best of ' + str(args.repeat):>14}{'x baseline':>12}{'bytes':>10}")
    print(f"{'baseline: json.dumps(diagnosis)':<34}{baseline * 1e3:>11.2f} ms{1.0:>12.1f}")
    print(f"{'build_report':<34}{build_time * 1e3:>11.2f} ms{build_time / baseline:>12.1f}")
    for fmt in ("md", "json", "html", "pdf"):
        seconds, out = best_of(args.repeat, lambda: render(report, fmt))
        size = len(out.encode("utf-8") if isinstance(out, str) else out)
        print(f"{'render ' + fmt:<34}{seconds * 1e3:>11.2f} ms{seconds / baseline:>12.1f}{size:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
