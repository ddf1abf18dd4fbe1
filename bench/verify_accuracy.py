"""How often the A/B trial (``traindoc verify``) gets the verdict right on the project's runs
(issue 16: "helps" for the true cause's fix on >= 80 % of the faulty runs that have a data
sample and an automatic fix; "no clear difference" on healthy runs for fixes of causes they do
not have), and how long a trial takes on this machine (goal: a verdict within 90 s for models
up to 1M parameters, 2 cores).

Every light fixture scenario of ``tools/make_fixtures.py`` has its training arrays and fit
settings (``training_setup``: the recipe run up to its fit call): the sample and the original
setup (batch size, shuffle), as ``traindoc verify --code`` would read them. For a faulty run, the fix
tried is the first automatic fix of its labeled cause as the diagnosis of its model and log
proposes it (``traindoc verify --fix CAUSE``); for a healthy run, gradient clipping
(``set_clipnorm``, a fix for exploding gradients it does not have).

    .venv/bin/python bench/verify_accuracy.py [--budget 30] [--seeds 2] [--only RUN ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
RUNS = ROOT / "tests" / "fixtures" / "runs"
HEALTHY_FIX = "set_clipnorm:clipnorm=1.0"


def _recipes():
    spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "tools" / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--only", nargs="+")
    parser.add_argument("--json", help="write every trial's result here")
    args = parser.parse_args(argv)

    from app.io.data_sample import DataSample
    from app.io.load import load_path
    from app.patches import load_document
    from app.patches.choose import UnknownFix, patches_for
    from app.probe.verify import run_trial, trial_arms
    from app.rules.engine import diagnose_all

    recipes = _recipes()
    manifest = json.loads((ROOT / "tests" / "fixtures" / "fixtures.json").read_text())["scenarios"]
    rows, results = [], {}
    print(f"{os.cpu_count()} CPU cores; budget {args.budget:g} s, {args.seeds} seeds per setup")
    for name in sorted(args.only or manifest):
        entry = manifest.get(name) or {}
        model_path = RUNS / name / "model.keras"
        if entry.get("artifacts") != "light" or not model_path.is_file():
            continue
        try:
            x, y, fit_settings = recipes.training_setup(name)  # the fit settings a user's --code would give
        except ValueError:
            continue
        causes = [c for c in entry.get("causes") or [] if c != "unknown"]
        loaded = load_path(RUNS / name / "console_v1.txt")
        loaded.extend(load_path(model_path))
        (case,) = diagnose_all(loaded.runs, loaded.models)
        request = causes[0] if causes else HEALTHY_FIX
        try:
            patches = patches_for([request], case.diagnosis)
        except UnknownFix:
            rows.append((name, request, "-", "no automatic fix", None, None))
            continue
        plan = trial_arms(load_document(model_path), patches, fit_settings)
        if len(plan.arms) < 2:
            rows.append((name, request, patches[0].id, "not tried", None, None))
            continue
        sample = DataSample(f"{name} training data", "npz", x, y, len(x))
        began = time.perf_counter()
        result = run_trial(str(model_path), plan, sample, seeds=args.seeds, budget=args.budget)
        seconds = time.perf_counter() - began
        (trial,) = result["trials"]
        results[name] = result
        rows.append((name, request, trial["fix"], trial["verdict"], trial, seconds))
        print(f"{name}: {request} -> {trial['fix']}: {trial['verdict']} ({trial['metric']} "
              f"{trial['original']['mean']:.3f} -> {trial['patched']['mean']:.3f}; {seconds:.1f} s)", flush=True)
    faulty = [r for r in rows if not r[1].startswith("set_clipnorm") and r[4] is not None]
    healthy = [r for r in rows if r[1].startswith("set_clipnorm") and r[4] is not None]
    helps = sum(r[3] == "helps" for r in faulty)
    calm = sum(r[3] == "no_difference" for r in healthy)
    times = sorted(r[5] for r in rows if r[5] is not None)
    print()
    print(f"faulty runs with an automatic fix tried: {len(faulty)}; verdict 'helps' for the true cause's fix: "
          f"{helps} ({100 * helps / max(1, len(faulty)):.0f} %)")
    print(f"healthy runs: {len(healthy)}; 'no clear difference' for a fix of a cause they do not have: "
          f"{calm} ({100 * calm / max(1, len(healthy)):.0f} %)")
    not_tried = [r for r in rows if r[4] is None]
    if not_tried:
        print("not tried: " + ", ".join(f"{r[0]} ({r[3]})" for r in not_tried))
    if times:
        print(f"trial wall time (worker start, TensorFlow import, both arms, every seed): median {times[len(times) // 2]:.1f} s, "
              f"max {times[-1]:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
