"""How long the window stops answering while a big run opens (issue 20: goal ≤ 100 ms).

Opens, in a real ``MainWindow`` (shown; Qt's offscreen platform when there is no display),
a 1,000,000-row CSVLogger file and a 1 GB Keras verbose-1 console log, each the way a user's
file goes (``open_paths``: read and diagnosed in workers, then plotted), and measures the
longest gap between two ticks of a 5 ms timer on the GUI thread, from the open until the
diagnosis is shown and the window has painted. The baseline, in the same run and process:
a bare ``pyqtgraph.PlotWidget`` given the same columns (``plot(x, y)`` per column, as a user
plotting a pandas frame would), measured the same way.

    .venv/bin/python bench/bench_gui_gaps.py [--rows N] [--mb M] [--only csv|console] [--profile]

``--profile`` prints the functions that took the most time on the GUI thread (cProfile);
``--stalls`` samples the stacks of the GUI thread and the workers every 2 ms while the GUI
thread has not ticked for 20 ms and prints the commonest ones (where a stall's time goes).
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


class StallSampler:
    """Samples the Python stacks of the GUI thread and of the workers from another thread
    while the GUI thread is in a gap (no tick for STALL_MS): which code the stalls are made
    of. A worker that holds the GIL in one long C call stalls the GUI thread too."""

    STALL_MS = 20

    def __init__(self, meter: GapMeter):
        import threading

        self.meter = meter
        self.main = threading.main_thread().ident
        self.samples: dict[tuple, int] = {}
        self.stalls: dict[float, dict[tuple, int]] = {}  # stall (its last tick) -> stacks seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.002):
            last = self.meter.last
            if last is None or time.perf_counter() - last < self.STALL_MS / 1000:
                continue
            for ident, frame in sys._current_frames().items():
                if ident == self._thread.ident:
                    continue
                stack = ["GUI thread" if ident == self.main else "worker thread"]
                while frame is not None and len(stack) < 12:
                    code = frame.f_code
                    stack.append(f"{os.path.basename(code.co_filename)}:{frame.f_lineno} {code.co_name}")
                    frame = frame.f_back
                key = tuple(stack)
                self.samples[key] = self.samples.get(key, 0) + 1
                stall = self.stalls.setdefault(last, {})
                stall[key] = stall.get(key, 0) + 1

    def start(self):
        self._thread.start()

    def report(self, top: int = 8) -> None:
        self._stop.set()
        self._thread.join()
        total = sum(self.samples.values())
        print(f"  stall samples (2 ms each, GUI thread silent > {self.STALL_MS} ms): {total}")
        for stack, count in sorted(self.samples.items(), key=lambda kv: -kv[1])[:top]:
            print(f"    {count:4d}  " + "\n          <- ".join(stack[:9]))
        if self.stalls:
            longest = max(self.stalls.values(), key=lambda stacks: sum(stacks.values()))
            print(f"  the longest stall's samples ({sum(longest.values())}):")
            for stack, count in sorted(longest.items(), key=lambda kv: -kv[1])[:top]:
                print(f"    {count:4d}  " + "\n          <- ".join(stack[:9]))


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


def ours(app, path: str, profile, stalls: bool = False) -> tuple[float, float]:
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
        sampler = StallSampler(meter) if stalls else None
        if sampler is not None:
            sampler.start()
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
        if sampler is not None:
            sampler.report()
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
    parser.add_argument("--stalls", action="store_true")
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
        gap, took = ours(app, path, profile, args.stalls)
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
