"""How long the window stops answering while a big run opens (issue 20: goal ≤ 100 ms).

Opens, in a real ``MainWindow`` (shown; Qt's offscreen platform when there is no display),
a 1,000,000-row CSVLogger file and a 1 GB Keras verbose-1 console log, each the way a user's
file goes (``open_paths``: read and diagnosed in workers, then plotted), and measures the
longest gap between two ticks of a 5 ms timer on the GUI thread, from the open until the
diagnosis is shown and the window has painted. The baseline, in the same run and process:
a bare ``pyqtgraph.PlotWidget`` given the same columns (``plot(x, y)`` per column, as a user
plotting a pandas frame would), measured the same way.

    .venv/bin/python bench/bench_gui_gaps.py [--rows N] [--mb M] [--only csv|console] [--profile]

``--profile`` prints the functions that took the most time on the GUI thread (cProfile).
The log files are written once to ``bench/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 5


class GapMeter:
    """The longest gap between ticks of a TICK_MS timer on the GUI thread."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.longest = 0.0

    def _tick(self):
        now = time.perf_counter()
        if self.last is not None:
            self.longest = max(self.longest, now - self.last)
        self.last = now

    def start(self):
        self.last, self.longest = time.perf_counter(), 0.0
        self.timer.start()

    def stop(self) -> float:
        self._tick()  # a stall that lasted until the end counts too
        self.timer.stop()
        return self.longest


def _spin(app, until, timeout: float) -> bool:
    """Run the event loop (a real one, as in the app) until ``until()`` or ``timeout``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    end = time.perf_counter() + timeout
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: loop.quit() if until() or time.perf_counter() > end else None)
    poll.start()
    if not until():
        loop.exec()
    poll.stop()
    return bool(until())


def _settle(app, seconds: float = 0.5) -> None:
    end = time.perf_counter() + seconds
    _spin(app, lambda: time.perf_counter() >= end, seconds + 1)


def ours(app, path: str, profile) -> tuple[float, float]:
    """(longest gap, seconds until the diagnosis was shown) for one file in a fresh window."""
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(Settings(os.path.join(folder, "settings.ini")))
        window.show()
        _settle(app)
        done = []
        window.session.diagnosis_ready.connect(lambda cases: done.append(cases))
        meter = GapMeter()
        meter.start()
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        window.open_paths([path])
        ok = _spin(app, lambda: bool(done) and not window.progress.isVisible(), 600)
        took = time.perf_counter() - start
        _settle(app)  # the paints after the diagnosis
        if profile is not None:
            profile.disable()
        gap = meter.stop()
        if not ok:
            raise SystemExit(f"{path}: no diagnosis within 600 s")
        window.session.shutdown()
        window.close()
        window.deleteLater()
        _settle(app, 0.2)
    return gap, took


def bare_pyqtgraph(app, path: str) -> float:
    """The longest gap while a bare PlotWidget shows the run's columns (read beforehand)."""
    import numpy as np
    import pyqtgraph as pg

    from app.io.load import load_path

    run = load_path(path).runs[0]
    columns = [(np.asarray(s.x, dtype=float), np.asarray(s.y, dtype=float))
               for s in list(run.epochs.values()) + list(run.steps.values())]
    widget = pg.PlotWidget()
    widget.resize(1000, 600)
    widget.show()
    _settle(app)
    meter = GapMeter()
    meter.start()
    for x, y in columns:
        widget.plot(x, y)
    _settle(app, 1.0)
    gap = meter.stop()
    widget.close()
    widget.deleteLater()
    _settle(app, 0.2)
    return gap


def _files(args) -> list[tuple[str, str]]:
    os.makedirs(OUT, exist_ok=True)
    files = []
    if args.only in (None, "csv"):
        import bench_csv

        path = os.path.join(OUT, f"csvlogger_{args.rows // 1000}k.csv")
        if not os.path.exists(path):
            bench_csv.write_csvlogger_file(path, args.rows)
        files.append((f"CSVLogger file, {args.rows:,} rows", path))
    if args.only in (None, "console"):
        import bench_console

        path = os.path.join(OUT, f"console_{args.mb:g}mb_gui.txt")
        if not os.path.exists(path):
            bench_console.write_log(path, args.mb, 50)
        files.append((f"Keras verbose-1 console log, {os.path.getsize(path) / 2**20:,.0f} MiB", path))
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mb", type=float, default=1024.0)
    parser.add_argument("--only", choices=("csv", "console"))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    files = _files(args)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
    print(f"Qt platform: {app.platformName()}; timer tick {TICK_MS} ms; goal: longest gap <= 100 ms")
    for label, path in files:
        gap, took = ours(app, path, profile)
        base = bare_pyqtgraph(app, path)
        print(f"{label}:")
        print(f"  ours      MainWindow.open_paths: longest gap {gap * 1000:.0f} ms "
              f"(diagnosis shown after {took:.1f} s)")
        print(f"  baseline  bare pyqtgraph PlotWidget.plot per column: longest gap {base * 1000:.0f} ms")
        print(f"  ratio ours / bare pyqtgraph: {gap / base:.2f}" if base > 0 else "")
    if profile is not None:
        import pstats

        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)
    return 0


if __name__ == "__main__":
    sys.exit(main())
