"""Score the diagnosis engine on the corpus of real runs (``bench/corpus/cases``).

    .venv/bin/python bench/corpus_score.py                 # the tables, as in bench/README.md
    .venv/bin/python bench/corpus_score.py --json out.json # every case's result too
    .venv/bin/python bench/corpus_score.py --cases ID ...  # some cases, with what was found

Inputs per case, as a user would give them: the log alone; the log with the case's
``train.py`` (our own script of the posted model and settings, read without running it);
the log with its ``model.json`` (``model.to_json()`` of that script, by real Keras).

Figures:

- symptoms, log alone: per symptom id and overall (micro) precision and recall, over the
  cases' labeled symptoms (a symptom counts once per case, measured or described);
- causes: top-1 / top-3 over the faulty cases whose labels name a taxonomy cause (not
  ``unknown``): a hit when one of the labeled causes is the first (among the first three)
  *reported* findings; "possible" causes (below the reporting threshold) never count;
- false alarms: healthy cases with a reported finding, or with a failure symptom;
- reliability: findings grouped by their stated confidence, and how often they name one of
  the case's labeled causes;
- leave-one-source-out (``--loso``, see ``bench/corpus_calibrate.py``): the same figures with
  every calibrated constant chosen on the other sources only.

Works with any version of the engine that has ``app.io.load.load_path`` and
``app.rules.engine.diagnose_all`` (so "before" figures come from an older checkout:
``TRAINDOC_ROOT=/path/to/old/checkout python bench/corpus_score.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "corpus" / "cases"
# The engine measured: this checkout, or another one (TRAINDOC_ROOT=/path/to/old/checkout
# gives the "before" figures of bench/README.md).
sys.path.insert(0, os.environ.get("TRAINDOC_ROOT", str(HERE.parent)))

VARIANTS = ("log", "log+code", "log+model")


@dataclass
class Case:
    id: str
    folder: Path
    meta: dict

    @property
    def source(self) -> str:
        return self.meta["source"]

    @property
    def healthy(self) -> bool:
        return bool(self.meta["healthy"])

    @property
    def symptoms(self) -> set[str]:
        return set(self.meta["symptoms"])

    @property
    def causes(self) -> list[str]:
        return [c for c in self.meta["causes"] if c != "unknown"]

    def inputs(self, variant: str) -> tuple[Path, Path | None] | None:
        log = self.folder / self.meta.get("log_file", "log.txt")
        if variant == "log":
            return log, None
        if variant == "log+code":
            code = self.meta.get("code_file")
            return (log, self.folder / code) if code else None
        model = self.folder / "model.json"
        return (log, model) if model.is_file() else None


@dataclass
class Result:
    """What the engine said about one case with one set of inputs."""

    case: str
    variant: str
    read: bool
    error: str = ""
    symptoms: set[str] = field(default_factory=set)
    findings: list[tuple[str, float]] = field(default_factory=list)  # reported, best first
    possible: list[tuple[str, float]] = field(default_factory=list)  # below the threshold

    def to_dict(self) -> dict:
        return {"case": self.case, "variant": self.variant, "read": self.read, "error": self.error,
                "symptoms": sorted(self.symptoms), "findings": self.findings, "possible": self.possible}


def load_cases(ids: list[str] | None = None) -> list[Case]:
    folders = [CASES / i for i in ids] if ids else sorted(p for p in CASES.iterdir() if p.is_dir())
    return [Case(f.name, f, json.loads((f / "meta.json").read_text(encoding="utf-8"))) for f in folders]


def run_case(case: Case, variant: str) -> Result | None:
    """Read the case's inputs and diagnose them, as ``traindoc diagnose LOG [--code FILE]``."""
    from app.core.errors import InputError
    from app.io import load as load_module
    from app.rules.engine import diagnose_all

    inputs = case.inputs(variant)
    if inputs is None:
        return None
    log, extra = inputs
    try:
        loaded = load_module.load_path(log)
        if extra is not None:
            reader = getattr(load_module, "load_code_path", None) if variant == "log+code" else None
            loaded.extend(reader(extra) if reader else load_module.load_path(extra))
    except InputError as error:
        return Result(case.id, variant, read=False, error=error.message())
    result = Result(case.id, variant, read=True)
    findings: list[tuple[str, float]] = []
    for item in diagnose_all(loaded.runs, loaded.models):
        diagnosis = item.diagnosis
        result.symptoms |= {s.id for s in diagnosis.symptoms if s.id != "healthy"}
        findings.extend((f.cause, float(f.confidence)) for f in diagnosis.findings)
    findings.sort(key=lambda item: -item[1])
    threshold = _threshold()
    seen: set[str] = set()
    for cause, conf in findings:
        if cause in seen:
            continue
        seen.add(cause)
        (result.findings if conf >= threshold else result.possible).append((cause, round(conf, 3)))
    return result


def _threshold() -> float:
    from app.core.diagnosis import REPORTING_THRESHOLD

    return REPORTING_THRESHOLD


def _named(findings: list[tuple[str, float]]) -> list[str]:
    return [cause for cause, _ in findings if cause != "unknown"]


# ------------------------------------------------------------------------------ figures


def symptom_table(cases: list[Case], results: dict[str, Result]) -> dict:
    """Per symptom id and overall: true/false positives, misses, precision, recall."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        result = results.get(case.id)
        if result is None:
            continue
        truth, found = case.symptoms, result.symptoms
        for sid in truth | found:
            if sid in truth and sid in found:
                counts[sid]["tp"] += 1
            elif sid in found:
                counts[sid]["fp"] += 1
            else:
                counts[sid]["fn"] += 1
    total = Counter()
    for c in counts.values():
        total.update(c)
    table = {sid: _pr(c) for sid, c in sorted(counts.items())}
    table["all"] = _pr(total)
    return table


def _pr(c: Counter) -> dict:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None}


def cause_figures(cases: list[Case], results: dict[str, Result]) -> dict:
    top1 = top3 = n = 0
    for case in cases:
        result = results.get(case.id)
        if result is None or case.healthy or not case.causes:
            continue
        n += 1
        named = _named(result.findings)
        top1 += bool(named[:1]) and named[0] in case.causes
        top3 += any(c in case.causes for c in named[:3])
    return {"cases": n, "top1": top1 / n if n else None, "top3": top3 / n if n else None,
            "top1_count": top1, "top3_count": top3}


def false_alarms(cases: list[Case], results: dict[str, Result]) -> dict:
    n = finding = symptom = 0
    names = []
    for case in cases:
        result = results.get(case.id)
        if result is None or not case.healthy:
            continue
        n += 1
        f = bool(result.findings)
        s = bool(result.symptoms)
        finding += f
        symptom += s
        if f or s:
            names.append(case.id)
    return {"cases": n, "with_finding": finding, "with_symptom": symptom,
            "rate_finding": finding / n if n else None, "rate_any": len(names) / n if n else None,
            "cases_alarmed": names}


def reliability(cases: list[Case], results: dict[str, Result]) -> list[dict]:
    """Reported findings of faulty cases with named causes, by stated confidence: how many
    name a labeled cause (the first finding of each case only, so each case counts once)."""
    bins = [(0.4, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01)]
    rows = []
    for low, high in bins:
        hits = total = 0
        stated = []
        for case in cases:
            result = results.get(case.id)
            if result is None or not result.findings:
                continue
            if not case.healthy and not case.causes:
                continue  # the truth is not known
            named = [(c, v) for c, v in result.findings if c != "unknown"]
            if not named:
                continue  # "no known cause fits" names nothing to be right or wrong about
            cause, conf = named[0]
            if not low <= conf < high:
                continue
            total += 1
            stated.append(conf)
            hits += (not case.healthy) and cause in case.causes
        rows.append({"confidence": f"{low:.1f}–{min(high, 1.0):.1f}", "findings": total,
                     "right": hits, "share_right": hits / total if total else None,
                     "mean_stated": sum(stated) / len(stated) if stated else None})
    return rows


def read_rate(cases: list[Case], results: dict[str, Result]) -> dict:
    refused = [c.id for c in cases if c.id in results and not results[c.id].read]
    return {"cases": sum(1 for c in cases if c.id in results), "refused": refused}


def score(cases: list[Case], variant: str, results: dict[str, Result] | None = None) -> dict:
    if results is None:
        results = {}
        for case in cases:
            result = run_case(case, variant)
            if result is not None:
                results[case.id] = result
    return {"variant": variant, "read": read_rate(cases, results), "symptoms": symptom_table(cases, results),
            "causes": cause_figures(cases, results), "false_alarms": false_alarms(cases, results),
            "reliability": reliability(cases, results), "results": {k: r.to_dict() for k, r in results.items()}}


# ------------------------------------------------------------------------------ printing


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def corpus_summary(cases: list[Case]) -> str:
    sources = {c.source for c in cases}
    healthy = sum(c.healthy for c in cases)
    shapes = Counter(c.meta["log_shape"] for c in cases)
    kinds = Counter(c.meta["source_kind"] for c in cases)
    return (f"{len(cases)} runs ({healthy} healthy) from {len(sources)} sources; "
            f"source kinds: {dict(kinds)}; log shapes: {dict(shapes)}")


def print_report(scores: list[dict], cases: list[Case]) -> None:
    print(corpus_summary(cases))
    print()
    print("| inputs | cases | refused | symptom precision | symptom recall | top-1 | top-3 | false alarms (finding / any) |")
    print("|---|---|---|---|---|---|---|---|")
    for s in scores:
        sy, ca, fa = s["symptoms"]["all"], s["causes"], s["false_alarms"]
        print(f"| {s['variant']} | {s['read']['cases']} | {len(s['read']['refused'])} | {_pct(sy['precision'])} "
              f"| {_pct(sy['recall'])} | {_pct(ca['top1'])} of {ca['cases']} | {_pct(ca['top3'])} "
              f"| {_pct(fa['rate_finding'])} / {_pct(fa['rate_any'])} of {fa['cases']} |")
    print()
    log = scores[0]
    print("Symptoms, log alone:")
    print("| symptom | labeled | found right | false | precision | recall |")
    print("|---|---|---|---|---|---|")
    for sid, row in log["symptoms"].items():
        print(f"| {sid} | {row['tp'] + row['fn']} | {row['tp']} | {row['fp']} | {_pct(row['precision'])} | {_pct(row['recall'])} |")
    print()
    print("Reliability (first reported finding of each case with a known truth):")
    for s in scores:
        cells = ", ".join(f"{r['confidence']}: {r['right']}/{r['findings']}" for r in s["reliability"])
        print(f"  {s['variant']}: {cells}")
    print()
    for s in scores:
        if s["read"]["refused"]:
            print(f"refused ({s['variant']}): {', '.join(s['read']['refused'])}")
        if s["false_alarms"]["cases_alarmed"]:
            print(f"false alarms ({s['variant']}): {', '.join(s['false_alarms']['cases_alarmed'])}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="*", help="only these case ids (prints each result)")
    parser.add_argument("--json", help="write every figure and case result to this file")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    args = parser.parse_args(argv)
    cases = load_cases(args.cases)
    started = time.perf_counter()
    scores = [score(cases, variant) for variant in args.variants]
    print_report(scores, cases)
    print(f"\n({time.perf_counter() - started:.1f} s)")
    if args.cases:
        for s in scores:
            for case in cases:
                result = s["results"].get(case.id)
                if result:
                    print(f"{s['variant']:10s} {case.id}: truth {sorted(case.symptoms)} {case.causes} | found "
                          f"{result['symptoms']} {result['findings'][:3]} possible {result['possible'][:3]} {result['error']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"scores": scores}, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
