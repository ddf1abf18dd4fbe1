"""``traindoc verify``: a short A/B trial of the original setup and each fix, on the data sample."""

from __future__ import annotations

import argparse
import json
import sys

EXIT_OK, EXIT_REFUSED = 0, 2


def add_parser(sub) -> None:
    verify = sub.add_parser(
        "verify",
        help="try fixes: train the original and each patched setup briefly on a data sample and compare",
        description=(
            "Train the original model setup and each patched one (the config and fit settings "
            "`traindoc patch` would write) from the same fresh initialization on the data sample "
            "(a training and a validation split of it), K seeds each, in a TensorFlow worker "
            "process, within the time budget; then say for each fix whether it helps, makes no "
            "clear difference, or makes things worse. The input files are never changed. "
            "Exit 0 when the trial ran, 2 for unusable input."),
    )
    verify.add_argument("paths", nargs="+", metavar="FILE", help="the model file (.keras, .h5) and its logs")
    verify.add_argument("--data", action="append", default=[], required=True, metavar="SAMPLE",
                        help="the data sample (.npz x/y, two .npy, CSV/TSV with a label column)")
    verify.add_argument("--label", metavar="COLUMN", help="the label column of a CSV/TSV sample")
    verify.add_argument("--code", metavar="FILE", help="the training script: its fit settings join the setups")
    verify.add_argument("--fix", action="append", default=[], metavar="PATCH_ID",
                        help="a patch id or cause id to try (repeatable); default: the first fix a file "
                             "can carry of every reported finding")
    verify.add_argument("--budget", type=float, default=60.0, metavar="SECONDS",
                        help="seconds of training in all (default 60)")
    verify.add_argument("--seeds", type=int, default=3, metavar="K", help="seeds per setup (default 3)")
    verify.add_argument("--from-saved", action="store_true",
                        help="continue from the saved weights instead of a fresh initialization")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.add_argument("--lang", default="en", choices=("en", "zh_CN"))


def run(args: argparse.Namespace) -> int:
    from app.cli.patch_command import _diagnose
    from app.cli.progress import StderrProgress
    from app.core.errors import InputError
    from app.io.data_sample import read_data_sample
    from app.io.load import load_paths
    from app.patches import load_document
    from app.patches.choose import UnknownFix, automatic_patches, patches_for
    from app.probe import ProbeError, probed_files
    from app.probe.verify import TrialInputError, run_trial, trial_arms

    try:
        loaded = load_paths(args.paths)
        models = probed_files(loaded.models)
        if not models:
            print("traindoc verify: give a model file (.keras, .h5) with its weights and config", file=sys.stderr)
            return EXIT_REFUSED
        model = models[0]
        logs = [p for p in args.paths if p != model]
        diagnosis = _diagnose(model, logs, args.code)
        patches = patches_for(args.fix, diagnosis) if args.fix else automatic_patches(diagnosis)
        document = load_document(model)
        sample = read_data_sample(args.data, label=args.label)
        base = _base_training(args.code, loaded.runs)
    except InputError as error:
        print(f"traindoc: {error.message()}", file=sys.stderr)
        return EXIT_REFUSED
    except UnknownFix as error:
        print(f"traindoc verify: {error}", file=sys.stderr)
        return EXIT_REFUSED
    if not patches:
        print("traindoc verify: no reported finding has a fix that a file can carry; name one with --fix",
              file=sys.stderr)
        return EXIT_REFUSED
    plan = trial_arms(document, patches, base)
    for message in plan.not_tried:
        print(f"traindoc verify: {message}", file=sys.stderr)
    if len(plan.arms) < 2:
        print("traindoc verify: none of the fixes could be tried", file=sys.stderr)
        return EXIT_REFUSED

    def epoch(item: dict) -> None:
        logs = item.get("logs") or {}
        shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in logs.items())
        print(f"  {item.get('arm')} seed {int(item.get('seed', 0)) + 1} epoch {item.get('epoch')}: {shown}",
              file=sys.stderr)

    try:
        result = run_trial(model, plan, sample, seeds=max(1, args.seeds), budget=max(1.0, args.budget),
                           from_saved=args.from_saved, progress=StderrProgress("trial "), on_epoch=epoch)
    except TrialInputError as error:
        print(f"traindoc verify: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except ProbeError as error:
        print(f"traindoc verify: the trial failed ({error})", file=sys.stderr)
        return EXIT_REFUSED
    result["model"] = model
    if args.format == "json":
        from app.core.serialize import json_ready

        sys.stdout.write(json.dumps(json_ready(result), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(result, args.lang))
    return EXIT_OK


def _base_training(code: str | None, runs) -> dict:
    """The fit settings of the original setup: the training code's, else what the log shows."""
    if code:
        from app.io.code import read_code_file
        from app.patches.script import training_from_code

        return dict(training_from_code(read_code_file(code)) or {})
    fit = runs[0].fit if runs else None
    return {key: value for key, value in (("batch_size", getattr(fit, "batch_size", None)),
                                           ("shuffle", getattr(fit, "shuffle", None))) if value is not None}


def render_text(result: dict, lang: str = "en") -> str:
    from app.report.wording import trial_lines

    zh = lang.startswith("zh")
    lines = [("在数据样本上试验修复" if zh else "Trial of the fixes on the data sample")
             + f" ({result.get('rows_train')} + {result.get('rows_validation')} rows, {result.get('seeds')} "
             + ("个种子" if zh else "seed(s)") + f", {result.get('seconds')} s):"]
    for trial, line in zip(result["trials"], trial_lines(result["trials"], lang)):
        lines.append(f"  {line}")
        patched = trial["patched"]
        lines.extend(f"      {error}" for error in [patched.get("error"), *patched.get("run_errors", [])] if error)
    lines.extend(f"  {message}" for message in result.get("not_tried") or [])
    return "\n".join(lines) + "\n"
