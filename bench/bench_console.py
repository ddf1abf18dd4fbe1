"""How fast and how lean a ~200 MB verbose-1 Keras console log loads (target: >= 100 MB/s,
peak memory about 2x the parsed series, i.e. constant whatever the file size).

Writes ``bench/out/console_keras3_v1.txt`` (git-ignored): what a Keras 3 ``fit(verbose=1)``
prints through a terminal, the way ``tests/fixtures/runs/*/console_v1.txt`` shows it: an
``Epoch N/M`` line, then one line per epoch on which the progress bar redraws itself
(``\\r`` + bold counter + green/grey ``━`` bar + ETA + ms/step + metrics, followed by
backspaces), ending with the final redraw holding the validation values; ``\\r\\n`` line
ends as a pty writes them; a ReduceLROnPlateau message now and then and some NaN losses.

Then, in the same run, best of 3 each:

- baseline: a plain ``for line in open(path, encoding="utf-8"): pass``;
- ours: ``app.io.load.load_path(path)``: encoding and format detection, the parse, the
  :class:`Run` with its series and line numbers.

Memory, each in a fresh subprocess after a warm-up load of a small log: ``tracemalloc``
peak during one load, and the growth of the peak resident set (``VmHWM`` on Linux, which
starts afresh at ``exec``; ``ru_maxrss`` growth is printed too). Both are compared with the
bytes of the parsed series (x, y and line-number arrays).

Exits nonzero only if the parsed epoch count is wrong.

    .venv/bin/python bench/bench_console.py [--mb 200] [--steps 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
BAR_WIDTH = 20
METRICS = ("accuracy", "loss")
VAL_METRICS = ("val_accuracy", "val_loss")


def _fmt(value: float) -> str:
    """A value as Keras 3's progress bar prints it."""
    if value != value:
        return "nan"
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _redraw(step: int, steps: int, eta: str, per_step: str, values: dict[str, float]) -> str:
    digits = len(str(steps))
    done = int(BAR_WIDTH * step / steps)
    bar = f"\x1b[1m{step:>{digits}}/{steps}\x1b[0m "
    if done:
        bar += f"\x1b[32m{'━' * done}\x1b[0m"
    bar += f"\x1b[37m{'━' * (BAR_WIDTH - done)}\x1b[0m"
    info = f" \x1b[1m{eta}\x1b[0m {per_step}"
    info += "".join(f" - {k}: {_fmt(v)}" for k, v in values.items())
    return bar + info


def write_log(path: str, megabytes: float, steps: int, seed: int = 0) -> int:
    """Write the log; returns the number of epochs written."""
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    redraws = max(1, steps // 8)  # the bar redraws about every 8 steps (0.05 s at ~6 ms/step)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    written = 0
    epoch = 0
    planned = 10**9
    with open(path, "w", encoding="utf-8", newline="") as out:
        header = ("I0000 00:00:1795376413.510037     389 cudart_stub.cc:31] Could not find cuda "
                  "drivers on your machine, GPU will not be used.\r\n")
        out.write(header)
        written += len(header)
        loss, acc = 1.2, 0.3
        while written < target:
            epoch += 1
            parts = [f"Epoch {epoch}/{planned}\r\n"]
            prev_width = 0
            for r in range(redraws):
                step = 1 + r * (steps // redraws)
                values = {"accuracy": acc + rng.uniform(-0.05, 0.05),
                          "loss": loss * rng.uniform(0.9, 1.1)}
                eta, per_step = f"{rng.randint(0, 9)}s", f"{rng.randint(2, 30)}ms/step"
                text = _redraw(step, steps, eta, per_step, values)
                parts.append("\b" * prev_width + "\r" + text)
                prev_width = len(text) - 40
            loss = max(1e-4, loss * rng.uniform(0.97, 1.0))
            acc = min(1.0, acc + rng.uniform(0.0, 0.002))
            final = {"accuracy": acc, "loss": loss if epoch % 997 else float("nan"),
                     "val_accuracy": acc - 0.05, "val_loss": loss * 1.1}
            if epoch % 500 == 0:
                parts.append(f" \r\nEpoch {epoch}: ReduceLROnPlateau reducing learning rate to "
                             f"{1e-3 * 0.5 ** (epoch // 500)}.\r\n")
            parts.append("\b" * prev_width + "\r"
                         + _redraw(steps, steps, "1s", "4ms/step", final) + "\r\n")
            chunk = "".join(parts)
            out.write(chunk)
            written += len(chunk.encode("utf-8"))
    # Epoch headers say /1000000000; rewrite nothing: the planned count is not checked.
    return epoch


def load_ours(path: str):
    from app.io.load import load_path

    return load_path(path)


def plain_lines(path: str) -> int:
    count = 0
    with open(path, encoding="utf-8") as handle:
        for _line in handle:
            count += 1
    return count


def series_bytes(loaded) -> int:
    import numpy as np

    seen: dict[int, int] = {}
    for run in loaded.runs:
        for series in list(run.epochs.values()) + list(run.steps.values()):
            for array in (series.x, series.y, series.source_lines):
                if array is None:
                    continue
                base = array
                while isinstance(base.base, np.ndarray):
                    base = base.base
                seen[id(base)] = array.nbytes
    return sum(seen.values())


def peak_rss() -> int:
    """Peak resident set of this process (``VmHWM``), in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return max_rss()


def max_rss() -> int:
    import resource

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _small_log() -> str:
    path = os.path.join(OUT, "console_keras3_small.txt")
    if not os.path.exists(path):
        write_log(path, 0.2, 50)
    return path


def _memory(path: str) -> tuple[int, int, int, int]:
    """(tracemalloc peak, VmHWM growth, ru_maxrss growth, series bytes) in fresh processes."""
    common = (
        "import sys\n"
        f"sys.path.insert(0, {ROOT!r}); sys.path.insert(0, {HERE!r})\n"
        "import bench_console\n"
        "from app.io import registry; registry.readers()\n"
        f"bench_console.load_ours({_small_log()!r})  # warm-up: imports, regex caches\n"
    )
    traced = common + (
        "import tracemalloc\n"
        "tracemalloc.start()\n"
        f"loaded = bench_console.load_ours({path!r})\n"
        "print(tracemalloc.get_traced_memory()[1], bench_console.series_bytes(loaded))\n"
    )
    rss = common + (
        "hwm, maxrss = bench_console.peak_rss(), bench_console.max_rss()\n"
        f"loaded = bench_console.load_ours({path!r})\n"
        "print(bench_console.peak_rss() - hwm, bench_console.max_rss() - maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", traced], capture_output=True, text=True, check=True)
    peak, held = (int(v) for v in out.stdout.split())
    out = subprocess.run([sys.executable, "-c", rss], capture_output=True, text=True, check=True)
    hwm, maxrss = (int(v) for v in out.stdout.split())
    return peak, hwm, maxrss, held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the log to write")
    parser.add_argument("--steps", type=int, default=50, help="steps per epoch")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)

    path = os.path.join(OUT, f"console_keras3_v1_{args.mb:g}mb_{args.steps}steps.txt")
    epochs_file = path + ".epochs"
    if not (os.path.exists(path) and os.path.exists(epochs_file)):
        epochs = write_log(path, args.mb, args.steps)
        with open(epochs_file, "w", encoding="ascii") as handle:
            handle.write(str(epochs))
    with open(epochs_file, encoding="ascii") as handle:
        epochs = int(handle.read())
    size = os.path.getsize(path)
    # Memory first, while this process is still small: a child's ru_maxrss starts from the
    # resident size of the process it was forked from.
    peak, hwm, maxrss, held = _memory(path)

    loaded = load_ours(path)  # warm-up (imports, page cache) and the check
    run = loaded.runs[0] if loaded.runs else None
    ok = (len(loaded.runs) == 1 and run is not None and run.format == "keras_console"
          and run.epoch_count == epochs and len(run.epochs["loss"]) == epochs)
    lines = plain_lines(path)

    baseline_times, our_times = [], []
    for _ in range(3):  # interleaved, best of 3 each
        start = time.perf_counter()
        plain_lines(path)
        baseline_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        load_ours(path)
        our_times.append(time.perf_counter() - start)
    baseline, ours = min(baseline_times), min(our_times)
    mib = 2**20

    print(f"machine: {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
          f"{platform.system()}")
    print(f"file: {size / mib:.1f} MiB Keras 3 verbose-1 log, {epochs:,} epochs x "
          f"{args.steps} steps, {max(1, args.steps // 8)} redraws per epoch, "
          f"{lines:,} lines for open() (it splits at \\r too)")
    print(f"baseline  for line in open(path): {baseline:.3f} s = {size / mib / baseline:.0f} MiB/s")
    print(f"ours      app.io.load.load_path:  {ours:.3f} s = {size / mib / ours:.0f} MiB/s "
          f"(target >= 100)")
    print(f"ratio ours / plain line loop: {ours / baseline:.2f}")
    print(f"parsed series: {held / mib:.2f} MiB ({len(run.epochs) if run else 0} series x "
          f"{epochs:,} points x (x, y, line))")
    print(f"peak memory during one load: tracemalloc {peak / mib:.1f} MiB = {peak / held:.2f}x "
          f"the series; VmHWM growth {hwm / mib:.1f} MiB = {hwm / held:.2f}x; ru_maxrss growth "
          f"{maxrss / mib:.1f} MiB")
    if not ok:
        print(f"WRONG: expected one run with {epochs} epochs, got "
              f"{[(r.format, r.epoch_count) for r in loaded.runs]}")
        return 1
    print(f"epochs parsed: {run.epoch_count:,} (correct)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
