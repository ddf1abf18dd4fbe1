"""Fuzz one reader in-process: mutate real inputs, read and diagnose each, keep what breaks.

    .venv/bin/python tools/fuzz.py READER [--seconds N] [--inputs N] [--seed S] [--out DIR]
    .venv/bin/python tools/fuzz.py --list

READER is a reader id (``history_json``, ``csvlogger``, ``keras_console``, ``metric_prints``,
``plain_table``, ``model_json``, ``hf_trainer_state``, ``lightning_csv``, ``h5_file``,
``keras_file``, ``tensorboard``). Seeds are the files of that format in ``tests/fixtures`` and
``bench/corpus`` (found by reading them); each input is a seed mutated by byte flips, cut or
repeated slices, spliced seeds and edited numbers (±inf, 1e308, NaN spellings, 400-digit
integers). Every input goes the way a user's file goes: ``load_path`` (by content), then the
diagnosis and its text rendering. The documented outcomes are a diagnosis or an
:class:`InputError`; anything else (an exception, or more than ``--hang`` seconds on one input)
is written to ``--out`` (``tools/fuzz-found/`` by default) with its traceback, and counted.
Prints inputs tried, outcomes, and inputs per second. Exit 1 when something was found.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EDGE_NUMBERS = [b"inf", b"-inf", b"nan", b"NaN", b"-nan", b"Infinity", b"1e308", b"-1e308", b"5e-324", b"-0.0",
                b"9" * 400, b"0", b"1e-300", b"1.7976931348623157e308"]
NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class Hang(Exception):
    pass


def seeds_for(reader: str) -> list[bytes]:
    """Files of ``reader``'s format among the fixtures and the corpus."""
    from app.core.errors import InputError
    from app.io.load import load_path

    found = []
    candidates = sorted((ROOT / "tests" / "fixtures").rglob("*")) + sorted((ROOT / "bench" / "corpus").rglob("*"))
    for path in candidates:
        if not path.is_file() or path.stat().st_size > 2_000_000 or path.suffix in (".md", ".py", ".ipynb"):
            continue
        try:
            loaded = load_path(path)
        except (InputError, Exception):
            continue
        formats = {r.format for r in loaded.runs} | {m.format for m in loaded.models}
        aliases = {"h5_file": "h5", "keras_file": "keras", "model_json": "json", "lightning_csv": "lightning"}
        if reader in formats or aliases.get(reader) in formats:
            found.append(path.read_bytes())
        if len(found) >= 40:
            break
    if not found and reader == "plain_table":
        # No fixture is only a plain table (CSVLogger claims the epoch,loss files): the
        # CSVLogger seeds keyed by step instead, comma- and tab-separated.
        for data in seeds_for("csvlogger")[:20]:
            stepped = data.replace(b"epoch", b"step", 1)
            found += [stepped, stepped.replace(b",", b"\t")]
    return found


def mutate(data: bytes, seeds: list[bytes], rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 8))):
        kind = rng.randrange(6)
        if not out:
            out = bytearray(rng.choice(seeds))
        i = rng.randrange(len(out))
        if kind == 0:  # flip a byte
            out[i] = rng.randrange(256)
        elif kind == 1:  # cut a slice
            del out[i:i + rng.randrange(1, 64)]
        elif kind == 2:  # repeat a slice
            j = min(len(out), i + rng.randrange(1, 256))
            out[i:i] = out[i:j] * rng.randrange(1, 4)
        elif kind == 3:  # splice another seed
            other = rng.choice(seeds)
            k = rng.randrange(len(other)) if other else 0
            out[i:] = other[k:k + rng.randrange(1, 4096)]
        else:  # edit a number
            numbers = list(NUMBER.finditer(bytes(out)))
            if numbers:
                m = rng.choice(numbers)
                out[m.start():m.end()] = rng.choice(EDGE_NUMBERS)
    return bytes(out)


def _alarm(signum, frame):
    raise Hang()


def run_one(data: bytes, suffix: str, folder: str, hang: float) -> str:
    """'ok', 'refused' or 'failed: ...' for one input."""
    from app.cli.diagnose_view import render_text
    from app.core.errors import InputError
    from app.io.load import load_path
    from app.rules.engine import diagnose_all

    path = os.path.join(folder, "input" + suffix)
    with open(path, "wb") as handle:
        handle.write(data)
    signal.setitimer(signal.ITIMER_REAL, hang)
    try:
        loaded = load_path(path)
        render_text(diagnose_all(loaded.runs, loaded.models))
        return "ok"
    except InputError:
        return "refused"
    except Hang:
        return "failed: hang"
    except Exception:
        return "failed: " + traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


SUFFIX = {"history_json": ".json", "csvlogger": ".csv", "lightning_csv": ".csv", "plain_table": ".tsv",
          "h5_file": ".h5", "keras_file": ".keras", "model_json": ".json", "tensorboard": ".tfevents",
          "hf_trainer_state": ".json"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reader", nargs="?")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--inputs", type=int, default=0, help="stop after this many inputs (0: no limit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang", type=float, default=30.0, help="seconds one input may take")
    parser.add_argument("--out", default=str(ROOT / "tools" / "fuzz-found"))
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    if args.list or not args.reader:
        print("readers:", ", ".join(sorted({*SUFFIX, "keras_console", "metric_prints"})))
        return 0
    seeds = seeds_for(args.reader)
    if not seeds:
        print(f"no seed file of format {args.reader} found", file=sys.stderr)
        return 2
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(args.seed)
    counts = {"ok": 0, "refused": 0, "failed": 0}
    found = 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="traindoc-fuzz-") as folder:
        while time.monotonic() - start < args.seconds and not (args.inputs and sum(counts.values()) >= args.inputs):
            data = mutate(rng.choice(seeds), seeds, rng)
            outcome = run_one(data, SUFFIX.get(args.reader, ".txt"), folder, args.hang)
            kind = outcome.split(":")[0]
            counts[kind] += 1
            if kind == "failed":
                found += 1
                os.makedirs(args.out, exist_ok=True)
                stem = os.path.join(args.out, f"{args.reader}-{args.seed}-{sum(counts.values())}")
                Path(stem + SUFFIX.get(args.reader, ".txt")).write_bytes(data)
                Path(stem + ".txt").write_text(outcome, encoding="utf-8")
    total = sum(counts.values())
    elapsed = time.monotonic() - start
    print(f"{args.reader}: {total:,} inputs from {len(seeds)} seeds in {elapsed:.0f} s ({total / elapsed:,.0f}/s): "
          f"{counts['ok']:,} diagnosed, {counts['refused']:,} refused with a message, {counts['failed']} failed"
          + (f" (reproducers in {args.out})" if found else ""))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
