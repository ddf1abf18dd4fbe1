"""How fast and how lean a 1,000,000-row CSVLogger file loads (targets: ≤ 1.5× pandas' time,
peak memory ≤ 2× the parsed arrays).

Writes ``bench/out/csvlogger_1m.csv`` (git-ignored): the columns Keras' ``CSVLogger``
writes, ``epoch,accuracy,learning_rate,loss,val_accuracy,val_loss``, with values as Keras
writes them (``repr`` of float32 values widened to Python floats: ``0.8812500238418579``).
Then, in the same run, best of 3 each:

- baseline: ``pandas.read_csv(path)``;
- ours: ``app.io.load.load_path(path)``, the whole path a user's file takes (encoding and
  format detection, parse, line numbers, the :class:`Run` with its series).

Peak memory is measured in a fresh subprocess per contender, after a warm-up load of a
1,000-row file (so shared-library pages and thread pools are not counted): the growth of
the peak resident set (``VmHWM`` on Linux) during the load, compared with the bytes of the parsed
arrays (6 columns × rows × 8 bytes of float64, what pandas' DataFrame holds too). That
includes arrow's buffers, which ``tracemalloc`` would not see.

    .venv/bin/python bench/bench_csv.py [--rows N]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys

import numpy as np
from timing import best_of  # noqa: E402 (bench/timing.py, beside this script)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
COLUMNS = ["epoch", "accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]


def write_csvlogger_file(path: str, rows: int) -> None:
    """A CSVLogger-shaped file with ``rows`` epochs (written with pyarrow for speed; its
    shortest round-trip float formatting matches Python's ``repr``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(0)
    epoch = np.arange(rows, dtype=np.int64)
    decay = np.exp(-epoch / (rows / 5))
    loss = (0.7 * decay + 0.05 + rng.normal(0, 0.01, rows)).astype(np.float32)
    val_loss = (loss + 0.05 + rng.normal(0, 0.02, rows)).astype(np.float32)
    accuracy = np.clip(1 - loss, 0, 1).astype(np.float32)
    val_accuracy = np.clip(1 - val_loss, 0, 1).astype(np.float32)
    learning_rate = np.where(epoch < rows // 2, 1e-3, 1e-4).astype(np.float32)
    loss[rows // 3: rows // 3 + 10] = np.nan  # some NaN, as real broken runs have
    table = pa.table({
        "epoch": epoch,
        "accuracy": accuracy.astype(np.float64),
        "learning_rate": learning_rate.astype(np.float64),
        "loss": loss.astype(np.float64),
        "val_accuracy": val_accuracy.astype(np.float64),
        "val_loss": val_loss.astype(np.float64),
    })
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write((",".join(COLUMNS) + "\n").encode())
        pacsv.write_csv(table, handle, write_options=pacsv.WriteOptions(include_header=False))


def load_ours(path: str):
    from app.io.load import load_path

    return load_path(path)


def load_pandas(path: str):
    import pandas

    return pandas.read_csv(path)


def _peak_rss_delta(which: str, path: str) -> tuple[int, int]:
    """(peak RSS growth during one load, bytes of arrays in the result) in a fresh process."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {ROOT!r}); sys.path.insert(0, {HERE!r})\n"
        "import bench_csv, numpy\n"
        "import pandas, pyarrow.csv, app.io.load, app.io.table\n"
        "from app.io import registry; registry.readers()\n"
        f"bench_csv.load_{which}({_small_file()!r})  # warm-up: library pages, thread pools\n"
        "before = bench_csv.peak_rss()\n"
        f"result = bench_csv.load_{which}({path!r})\n"
        "after = bench_csv.peak_rss()\n"
        "print(after - before, bench_csv.result_bytes(result))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak, held = out.stdout.split()
    return int(peak), int(held)


def peak_rss() -> int:
    """Peak resident set of this process, in bytes.

    Linux: ``VmHWM`` from ``/proc/self/status``, which starts afresh at ``exec`` (unlike
    ``ru_maxrss``, which a child inherits from the parent it was forked from).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _small_file() -> str:
    path = os.path.join(OUT, "csvlogger_1000.csv")
    if not os.path.exists(path):
        write_csvlogger_file(path, 1000)
    return path


def result_bytes(result) -> int:
    """Bytes of the distinct numpy buffers a load returned (shared views counted once)."""
    if hasattr(result, "runs"):
        seen: dict[int, int] = {}
        for run in result.runs:
            for series in list(run.epochs.values()) + list(run.steps.values()):
                for array in (series.x, series.y, series.source_lines):
                    if array is None:
                        continue
                    base = array
                    while isinstance(base.base, np.ndarray):
                        base = base.base
                    seen[id(base)] = base.nbytes
        return sum(seen.values())
    return int(result.memory_usage(index=True, deep=True).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    import pandas
    import pyarrow

    path = os.path.join(OUT, f"csvlogger_{args.rows}.csv")
    if not os.path.exists(path):
        write_csvlogger_file(path, args.rows)
    size = os.path.getsize(path)
    loaded = load_ours(path)  # warm up imports and the page cache
    run = loaded.runs[0]
    assert run.format == "csvlogger" and run.epoch_count == args.rows, (run.format, run.epoch_count)
    frame = load_pandas(path)
    assert np.allclose(frame["val_loss"].to_numpy(), run.epochs["val_loss"].y, equal_nan=True)

    # Interleaved rounds, best of 3 each: both contenders see the same machine load.
    baseline_times, our_times = [], []
    for _ in range(3):
        baseline_times.append(best_of(lambda: load_pandas(path), repeat=1))
        our_times.append(best_of(lambda: load_ours(path), repeat=1))
    baseline, ours = min(baseline_times), min(our_times)
    arrays = args.rows * len(COLUMNS) * 8
    peak_ours, held_ours = _peak_rss_delta("ours", path)
    peak_pandas, held_pandas = _peak_rss_delta("pandas", path)

    print(f"machine: {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
          f"pyarrow {pyarrow.__version__}, pandas {pandas.__version__}, numpy {np.__version__}")
    print(f"file: {args.rows:,} rows x {len(COLUMNS)} columns, {size / 2**20:.1f} MiB; "
          f"parsed arrays (float64 columns): {arrays / 2**20:.1f} MiB")
    print(f"pandas.read_csv:      {baseline:.3f} s")
    print(f"app.io.load.load_path: {ours:.3f} s   ratio ours/pandas {ours / baseline:.2f} "
          f"(target <= 1.5)")
    print(f"peak RSS growth, ours:   {peak_ours / 2**20:.1f} MiB = {peak_ours / arrays:.2f}x the "
          f"parsed arrays (target <= 2); the Run holds {held_ours / 2**20:.1f} MiB of arrays "
          f"(series share x and line arrays)")
    print(f"peak RSS growth, pandas: {peak_pandas / 2**20:.1f} MiB = {peak_pandas / arrays:.2f}x "
          f"(DataFrame {held_pandas / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
