"""Start-up time of the window and frame time while panning a 1,000,000-point plot.

1. Process start → main window shown, for TrainDoc and for a bare PySide6 + pyqtgraph
   window (the named baseline), each in fresh processes, interleaved, median of N.
   Target: TrainDoc within 1.5× of the baseline.
2. Frame time while panning a plot holding a 1,000,000-point per-step series (downsampling
   and clip-to-view on): the median and 95th percentile of synchronous repaints while the
   x range slides over the data, against the same plot holding 1,000 points.

    .venv/bin/python bench/bench_startup.py            (uses Xvfb's DISPLAY, or offscreen)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BARE = r"""
import time, sys
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication([])
w = QMainWindow()
plot = pg.GraphicsLayoutWidget()
plot.addPlot()
w.setCentralWidget(plot)
w.resize(1280, 820)
w.show()
app.processEvents()
print(time.time() - t0, flush=True)
import os
os._exit(0)  # pyqtgraph's teardown at interpreter exit can crash PySide6; not what is timed
"""

OURS = r"""
import time, sys, tempfile, os
t0 = float(sys.argv[1])
from app.gui.main import build_window
app, w = build_window([], os.path.join(tempfile.mkdtemp(), "t.ini"))
app.processEvents()
assert w.isVisible()
print(time.time() - t0, flush=True)
w.close()
os._exit(0)  # as the baseline: the interpreter's teardown is not what is timed
"""

PAN = r"""
import time, sys, numpy as np
n = int(sys.argv[1])
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.core.run import Run, Series
from app.gui.plots.curve_panel import CurvePanel
panel = CurvePanel()
panel.resize(1200, 700)
run = Run("bench", "bench")
x = np.arange(1, n + 1)
rng = np.random.default_rng(0)
run.add_series(Series("loss", "step", x, (np.exp(-x / (n / 5)) + 0.1) * rng.lognormal(0, 0.2, n)))
run.add_series(Series("val_loss", "step", x, np.exp(-x / (n / 5)) + 0.15))
panel.set_runs([run])
panel.show()
app.processEvents()
plot = panel.plots["loss"]
width = n / 5
times = []
for i in range(60):
    start = (n - width) * i / 59
    plot.setXRange(start, start + width, padding=0)
    t = time.perf_counter()
    app.processEvents()
    panel.view.viewport().repaint()
    times.append(time.perf_counter() - t)
times.sort()
print(times[len(times) // 2], times[int(len(times) * 0.95)])
panel.release()
"""


def _env() -> dict:
    env = dict(os.environ)
    if not env.get("DISPLAY") and not env.get("QT_QPA_PLATFORM"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _timed(script: str, *args: str) -> list[float]:
    done = subprocess.run([sys.executable, "-c", "import statistics\n" + script, *args], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return [float(v) for v in done.stdout.split()]


def main(repeat: int = 7) -> None:
    platform = os.environ.get("QT_QPA_PLATFORM") or ("xcb" if os.environ.get("DISPLAY") else "offscreen")
    bare, ours = [], []
    _timed(BARE, str(time.time()))  # warm the file cache
    _timed(OURS, str(time.time()))
    for _ in range(repeat):
        bare.append(_timed(BARE, str(time.time()))[0])
        ours.append(_timed(OURS, str(time.time()))[0])
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"platform: {platform}; median of {repeat} fresh processes each")
    print(f"start-up to window shown: TrainDoc {o * 1000:.0f} ms, bare PySide6+pyqtgraph window "
          f"{b * 1000:.0f} ms, ratio {o / b:.2f}x (target <= 1.5x)")
    big = _timed(PAN, "1000000")
    small = _timed(PAN, "1000")
    print(f"panning 1,000,000 points: median frame {big[0] * 1000:.1f} ms, p95 {big[1] * 1000:.1f} ms; "
          f"same plot with 1,000 points: median {small[0] * 1000:.1f} ms (ratio {big[0] / small[0]:.1f}x)")


if __name__ == "__main__":
    main()
