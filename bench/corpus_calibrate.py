"""Calibrate the symptom detectors' main constants on the real-world corpus, and say how well
they generalize: leave-one-source-out (LOSO).

    .venv/bin/python bench/corpus_calibrate.py          # the table in bench/README.md
    .venv/bin/python bench/corpus_calibrate.py --json out.json

For each detector, one constant (the one that decides most of its calls) is tried over a grid
while the others keep their shipped values. Per grid value every case's log is diagnosed as a
user would have it (the log alone), and the detector's symptom is scored against the case's
labels (F1 over all cases, healthy ones included, so false alarms count).

- **in-sample**: the symptom's precision and recall with the shipped value, on all cases;
- **chosen**: the grid value with the best F1 on all cases (ties: the shipped one);
- **LOSO**: for every source (a thread, page or notebook: ``meta.json`` ``source``), the value
  is chosen on the other sources only and the held-out source's cases are scored with it;
  the figures sum those held-out scores. A constant tuned to one case shows here: its LOSO
  figures fall below the in-sample ones.

The engine is this checkout's (``TRAINDOC_ROOT`` selects another one, as for corpus_score).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, os.environ.get("TRAINDOC_ROOT", str(HERE.parent)))
sys.path.insert(0, str(HERE))

import corpus_score  # noqa: E402  (bench/ is not a package)


@dataclass(frozen=True)
class Knob:
    symptom: str
    module: str
    name: str
    grid: tuple

    def shipped(self):
        return getattr(importlib.import_module(self.module), self.name)


KNOBS = (
    Knob("oscillation", "app.rules.symptoms.oscillation", "MIN_SIGN_CHANGES", (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)),
    Knob("overfitting", "app.rules.symptoms.overfitting", "GAP_RATIO", (1.5, 2.0, 2.5, 3.0, 4.0, 6.0)),
    Knob("loss_spike", "app.rules.symptoms.loss_spike", "MIN_RATIO", (1.3, 1.5, 1.7, 2.0, 2.5, 3.0)),
    Knob("stuck_chance_accuracy", "app.rules.symptoms.stuck_chance_accuracy", "MIN_COVERAGE",
         (0.2, 0.3, 0.4, 0.5, 0.7)),
    Knob("plateau_no_learning", "app.rules.symptoms.plateau_no_learning", "MAX_DROP", (0.02, 0.03, 0.04, 0.05, 0.08, 0.12)),
    Knob("slow_convergence", "app.rules.symptoms.slow_convergence", "MIN_PACE_KEPT", (0.3, 0.4, 0.5, 0.6, 0.8)),
    Knob("eval_mismatch", "app.rules.symptoms.eval_mismatch", "MIN_GAP_VALIDATION", (0.1, 0.15, 0.2, 0.25, 0.3)),
    Knob("loss_collapse_zero", "app.rules.symptoms.loss_collapse_zero", "LOW_LOSS", (0.01, 0.02, 0.05, 0.1, 0.2)),
    Knob("val_stuck_train_improves", "app.rules.symptoms.val_stuck_train_improves", "MIN_ACCURACY_GAIN",
         (0.05, 0.1, 0.15, 0.2)),
    Knob("loss_diverges", "app.rules.symptoms.loss_diverges", "MIN_RISING_SHARE", (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)),
    # second constants of a detector: their own rows, counted once in "all of these"
    Knob("oscillation", "app.rules.symptoms.oscillation", "MIN_ACCURACY_SWING",
         (0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12)),
    Knob("val_stuck_train_improves", "app.rules.symptoms.val_stuck_train_improves", "PRESUMED_TOLERANCE",
         (0.02, 0.03, 0.04, 0.05, 0.06, 0.08)),
)


def load_all(cases):
    """Every case's log, read once (reading does not depend on the detectors' constants)."""
    from app.core.errors import InputError
    from app.io.load import load_path

    loaded = {}
    for case in cases:
        try:
            loaded[case.id] = load_path(case.folder / "log.txt")
        except InputError:
            loaded[case.id] = None
    return loaded


def detected(loaded) -> set[str]:
    from app.rules.engine import diagnose_all

    if loaded is None:
        return set()
    return {s.id for item in diagnose_all(loaded.runs, loaded.models) for s in item.diagnosis.symptoms
            if s.id != "healthy"}


def scores_by_value(knob: Knob, cases, loaded) -> dict:
    """grid value -> case id -> (tp, fp, fn) for the knob's symptom."""
    module = importlib.import_module(knob.module)
    shipped = getattr(module, knob.name)
    out = {}
    try:
        for value in knob.grid:
            setattr(module, knob.name, value)
            per_case = {}
            for case in cases:
                found = knob.symptom in detected(loaded[case.id])
                labeled = knob.symptom in case.meta["symptoms"]
                per_case[case.id] = (int(found and labeled), int(found and not labeled), int(labeled and not found))
            out[value] = per_case
    finally:
        setattr(module, knob.name, shipped)
    return out


def _f1(counts) -> float:
    tp, fp, fn = counts
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _sum(per_case: dict, ids) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for case_id in ids:
        a, b, c = per_case[case_id]
        tp, fp, fn = tp + a, fp + b, fn + c
    return tp, fp, fn


def _best(by_value: dict, ids, shipped) -> object:
    ranked = sorted(by_value, key=lambda v: (-_f1(_sum(by_value[v], ids)), v != shipped, v))
    return ranked[0]


def _pr(counts) -> dict:
    tp, fp, fn = counts
    return {"tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None}


def calibrate(cases, loaded) -> list[dict]:
    sources = defaultdict(list)
    for case in cases:
        sources[case.source].append(case.id)
    all_ids = [case.id for case in cases]
    rows = []
    for knob in KNOBS:
        by_value = scores_by_value(knob, cases, loaded)
        shipped = knob.shipped()
        chosen = _best(by_value, all_ids, shipped)
        held = [0, 0, 0]
        picks = Counter()
        for source, ids in sources.items():
            rest = [i for i in all_ids if i not in set(ids)]
            value = _best(by_value, rest, shipped)
            picks[value] += 1
            for k, n in enumerate(_sum(by_value[value], ids)):
                held[k] += n
        rows.append({"symptom": knob.symptom, "constant": f"{knob.module.rsplit('.', 1)[1]}.{knob.name}",
                     "shipped": shipped, "chosen_on_all": chosen, "loso_picks": dict(picks),
                     "in_sample": _pr(_sum(by_value[shipped], all_ids)), "loso": _pr(tuple(held)),
                     "grid": {str(v): _pr(_sum(by_value[v], all_ids)) for v in knob.grid}})
    return rows


def totals(rows) -> tuple[list[int], list[int]]:
    """(tp, fp, fn) in-sample and held out, summed over detectors: a detector's second
    constant has its own row but its cases count once (with its first constant's row)."""
    total_in, total_loso, counted = [0, 0, 0], [0, 0, 0], set()
    for row in rows:
        if row["symptom"] in counted:
            continue
        counted.add(row["symptom"])
        for k, key in enumerate(("tp", "fp", "fn")):
            total_in[k] += row["in_sample"][key]
            total_loso[k] += row["loso"][key]
    return total_in, total_loso


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def print_table(rows, cases) -> None:
    sources = len({case.source for case in cases})
    print(f"{len(cases)} runs from {sources} sources; the log alone; one constant per detector\n")
    print("| symptom | constant | shipped | best on all | LOSO picks | in-sample P / R | LOSO P / R |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        picks = ", ".join(f"{v}: {n}" for v, n in sorted(row["loso_picks"].items(), key=lambda kv: -kv[1]))
        i, o = row["in_sample"], row["loso"]
        print(f"| {row['symptom']} | `{row['constant']}` | {row['shipped']} | {row['chosen_on_all']} | {picks} | "
              f"{_pct(i['precision'])} / {_pct(i['recall'])} | {_pct(o['precision'])} / {_pct(o['recall'])} |")
    total_in, total_loso = totals(rows)
    a, b = _pr(tuple(total_in)), _pr(tuple(total_loso))
    print(f"| all of these | | | | | {_pct(a['precision'])} / {_pct(a['recall'])} | "
          f"{_pct(b['precision'])} / {_pct(b['recall'])} |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write every figure (and the grids) to this file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    cases = corpus_score.load_cases()
    loaded = load_all(cases)
    rows = calibrate(cases, loaded)
    print_table(rows, cases)
    print(f"\n({time.perf_counter() - start:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
