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

The second benchmark does the same for a ~200 MB log of a hand-written training loop's
prints (target >= 50 MB/s; read by ``app.io.readers.metric_prints``), against a plain line
loop and against what a user would otherwise write: a line loop with one ``re.findall`` of
``name: value`` pairs per line.

Exits nonzero only if the parsed epoch (or step) count is wrong.

    .venv/bin/python bench/bench_console.py [--mb 200] [--steps 50] [--only keras|loop]
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


def write_custom_loop_log(path: str, megabytes: float, steps: int, seed: int = 0) -> int:
    """A hand-written ``tf.GradientTape`` loop's prints, in the shape issue 13 quotes from a
    public post (``Epoch 1, Step 10, Loss: 62.92216, Reg loss: 16.30484, Accuracy: 0.00000``):
    a line every 10 steps, an epoch summary with validation values, and a checkpoint print
    now and then. Returns the number of epochs written."""
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    written, epoch = 0, 0
    loss, acc = 60.0, 0.0
    with open(path, "w", encoding="utf-8", newline="") as out:
        while written < target:
            epoch += 1
            parts = []
            for step in range(10, steps + 1, 10):
                loss = max(1e-4, loss * rng.uniform(0.995, 1.001))
                acc = min(1.0, acc + rng.uniform(0.0, 0.0005))
                parts.append(f"Epoch {epoch}, Step {step}, Loss: {loss:.5f}, Reg loss: "
                             f"{loss * 0.26:.5f}, Accuracy: {acc:.5f}\n")
            parts.append(f"Epoch {epoch} finished, val_loss: {loss * 1.1:.5f}, val_accuracy: "
                         f"{max(0.0, acc - 0.05):.5f}\n")
            if epoch % 50 == 0:  # lines that are no record: a checkpoint print, a TensorFlow warning
                parts.append(f"Saved checkpoint to ./ckpt/ckpt-{epoch // 50}\n")
            if epoch % 70 == 0:
                parts.append("W1207 16:29:38.123456  1234 allocator.cc:124] Allocation of 40960000 "
                             "exceeds 10% of free system memory.\n")
            chunk = "".join(parts)
            out.write(chunk)
            written += len(chunk)
    return epoch


# What a user would otherwise write for such prints: a line loop with one regex per line.
_USER_REGEX = None


def user_regex_loop(path: str) -> int:
    """The baseline for custom-loop prints: ``for line in open(path)`` and a name-value regex."""
    import re

    global _USER_REGEX
    if _USER_REGEX is None:
        _USER_REGEX = re.compile(r"([A-Za-z_][\w ]*?):\s*(-?[\d.]+(?:e-?\d+)?|nan)")
    count = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            count += len(_USER_REGEX.findall(line))
    return count


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


def _keras_check(loaded, epochs: int) -> bool:
    run = loaded.runs[0] if loaded.runs else None
    return (len(loaded.runs) == 1 and run is not None and run.format == "keras_console"
            and run.epoch_count == epochs and len(run.epochs["loss"]) == epochs)


def _loop_check(loaded, epochs: int, steps: int) -> bool:
    run = loaded.runs[0] if loaded.runs else None
    return (len(loaded.runs) == 1 and run is not None and run.format == "metric_prints"
            and run.epoch_count == epochs and len(run.epochs["val_loss"]) == epochs
            and len(run.steps["loss"]) == epochs * (steps // 10)
            and bool((run.steps["loss"].x[1:] > run.steps["loss"].x[:-1]).all()))


def _bench(label: str, path: str, epochs: int, check, target: float, baselines) -> bool:
    """Memory, then best of 3 of ours and of each baseline, interleaved; prints the block."""
    size = os.path.getsize(path)
    # Memory first, while this process is still small: a child's ru_maxrss starts from the
    # resident size of the process it was forked from.
    peak, hwm, maxrss, held = _memory(path)
    loaded = load_ours(path)  # warm-up (imports, page cache) and the check
    ok = check(loaded)
    times: dict[str, list[float]] = {name: [] for name, _ in baselines}
    ours_times = []
    for _ in range(3):  # interleaved, best of 3 each
        for name, function in baselines:
            start = time.perf_counter()
            function(path)
            times[name].append(time.perf_counter() - start)
        start = time.perf_counter()
        load_ours(path)
        ours_times.append(time.perf_counter() - start)
    ours = min(ours_times)
    mib = 2**20
    print(f"file: {size / mib:.1f} MiB {label}")
    for name, _ in baselines:
        best = min(times[name])
        print(f"baseline  {name}: {best:.3f} s = {size / mib / best:.0f} MiB/s")
    print(f"ours      app.io.load.load_path: {ours:.3f} s = {size / mib / ours:.0f} MiB/s (target >= {target:g})")
    for name, _ in baselines:
        print(f"ratio ours / {name}: {ours / min(times[name]):.2f}")
    run = loaded.runs[0] if loaded.runs else None
    print(f"parsed series: {held / mib:.2f} MiB ({len(run.epochs) + len(run.steps) if run else 0} series, "
          f"x, y and line arrays)")
    print(f"peak memory during one load: tracemalloc {peak / mib:.1f} MiB = {peak / held:.2f}x "
          f"the series; VmHWM growth {hwm / mib:.1f} MiB = {hwm / held:.2f}x; ru_maxrss growth "
          f"{maxrss / mib:.1f} MiB")
    if not ok:
        print(f"WRONG: expected one run with {epochs} epochs, got "
              f"{[(r.format, r.epoch_count) for r in loaded.runs]}")
        return False
    print(f"epochs parsed: {epochs:,} (correct)")
    return True


def _cached(path: str, write) -> int:
    epochs_file = path + ".epochs"
    if not (os.path.exists(path) and os.path.exists(epochs_file)):
        epochs = write(path)
        with open(epochs_file, "w", encoding="ascii") as handle:
            handle.write(str(epochs))
    with open(epochs_file, encoding="ascii") as handle:
        return int(handle.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of each log to write")
    parser.add_argument("--steps", type=int, default=50, help="steps per epoch (Keras log)")
    parser.add_argument("--loop-steps", type=int, default=100, help="steps per epoch (custom-loop log)")
    parser.add_argument("--only", choices=("keras", "loop"), help="run one of the two benchmarks")
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    print(f"machine: {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
          f"{platform.system()}")
    ok = True
    if args.only in (None, "keras"):
        path = os.path.join(OUT, f"console_keras3_v1_{args.mb:g}mb_{args.steps}steps.txt")
        epochs = _cached(path, lambda p: write_log(p, args.mb, args.steps))
        lines = plain_lines(path)
        ok &= _bench(f"Keras 3 verbose-1 log, {epochs:,} epochs x {args.steps} steps, "
                     f"{max(1, args.steps // 8)} redraws per epoch, {lines:,} lines for open() "
                     "(it splits at \\r too)", path, epochs, lambda loaded: _keras_check(loaded, epochs), 100,
                     [("for line in open(path)", plain_lines)])
    if args.only in (None, "loop"):
        print()
        path = os.path.join(OUT, f"custom_loop_{args.mb:g}mb_{args.loop_steps}steps.txt")
        epochs = _cached(path, lambda p: write_custom_loop_log(p, args.mb, args.loop_steps))
        ok &= _bench(f"custom training-loop prints, {epochs:,} epochs x {args.loop_steps // 10} step "
                     "lines + an epoch line, a checkpoint print every 50 epochs, a TensorFlow warning "
                     "every 70", path, epochs, lambda loaded: _loop_check(loaded, epochs, args.loop_steps), 50,
                     [("for line in open(path)", plain_lines),
                      ("a line loop with re.findall(name: value)", user_regex_loop)])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
