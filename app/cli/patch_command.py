"""``traindoc patch``: apply fixes to a model and its training settings, into new files.

The config edits are pure Python (:mod:`app.patches`); rebuilding the model with its weights
runs in the TensorFlow worker process (:mod:`app.probe`), never in this one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

EXIT_OK = 0
EXIT_REFUSED = 2


def add_parser(sub) -> None:
    patch = sub.add_parser(
        "patch",
        help="write a patched model (.keras) and training settings for the fixes of a diagnosis",
        description=(
            "Apply fixes to MODEL and write the result to a new file (never over the input): the "
            "patched model with its weights carried over for every layer whose shapes are "
            "unchanged, the training settings (fit arguments, callbacks) as JSON or YAML, and the "
            "code change to make by hand. With --code, the same changes are made in the training "
            "script or notebook (read without running it): a unified diff of it is printed and "
            "--code-out writes the patched copy (a notebook keeps its outputs; the diff, for a "
            ".diff/.patch name); MODEL may then be "
            "left out. --fix takes a cause id (its finding's first fix) or a patch id; --auto "
            "applies the first fix of every reported finding. Exit 0 when a file was written, 2 "
            "for unreadable input or a refused patch (with the reason)."),
    )
    patch.add_argument("model", metavar="MODEL", nargs="?", help="the model file (.keras, .h5, model JSON)")
    patch.add_argument("--log", action="append", default=[], metavar="LOG",
                       help="a training log of this model (repeatable); used to diagnose")
    patch.add_argument("--code", metavar="FILE",
                       help="the training script (.py) or notebook (.ipynb) that built the model: its settings join the "
                            "diagnosis and the code change comes as a diff of it")
    patch.add_argument("--code-out", metavar="NEW.py",
                       help="write the patched training script (a new file; .ipynb: the notebook, for a "
                            "notebook; .diff/.patch: the diff)")
    patch.add_argument("--fix", action="append", default=[], metavar="CAUSE_OR_PATCH",
                       help="a cause id, or a patch id with optional parameters "
                            "(set_learning_rate:learning_rate=1e-4; see --list) (repeatable)")
    patch.add_argument("--auto", action="store_true",
                       help="diagnose, then apply the first fix of every finding above the threshold")
    patch.add_argument("-o", "--output", metavar="OUT.keras", help="the patched model to write (a new file)")
    patch.add_argument("--training-out", metavar="FILE",
                       help="where to write the training settings (.json, .yaml); default: next to "
                            "OUT.keras as OUT.training.json")
    patch.add_argument("--force", action="store_true",
                       help="replace output files that exist (never an input, nor a file in an input folder)")
    patch.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    patch.add_argument("--list", action="store_true", help="list the patch ids and exit")
    patch.add_argument("--lang", choices=["en", "zh_CN"], default="en", help="language of the texts")


def run(args: argparse.Namespace) -> int:
    from app.core.errors import InputError
    from app.core.files import OutputError, check_output
    from app.io.code import read_code_file
    from app.patches import load_document, plan
    from app.patches.choose import UnknownFix, automatic_patches, patches_for
    from app.patches.script import code_text_for, document_from_code, patch_script, training_from_code, write_script

    lang = args.lang
    if args.list:
        return _list(lang)
    if not (args.model or args.code) or not (args.fix or args.auto):
        print("traindoc patch: give MODEL (or --code FILE) and --fix CAUSE_OR_PATCH (or --auto)", file=sys.stderr)
        return EXIT_REFUSED
    if args.output and not args.model:
        print("traindoc patch: -o writes a patched model: give the MODEL file too (or use --code-out)",
              file=sys.stderr)
        return EXIT_REFUSED
    if args.code_out and not args.code:
        print("traindoc patch: --code-out writes the patched training script: give it with --code FILE",
              file=sys.stderr)
        return EXIT_REFUSED
    if not (args.output or args.code_out or args.training_out) and not args.dry_run:
        print("traindoc patch: give -o OUT.keras (a new file), --code-out NEW.py or --dry-run", file=sys.stderr)
        return EXIT_REFUSED
    try:
        code = read_code_file(args.code) if args.code else None
        document = load_document(args.model) if args.model else document_from_code(code)
        diagnosis = _diagnose(args.model, args.log, args.code)
        patches = automatic_patches(diagnosis) if args.auto else []
        patches += patches_for(args.fix, diagnosis)
    except InputError as error:
        print(f"traindoc: {error.message()}", file=sys.stderr)
        return EXIT_REFUSED
    except UnknownFix as error:
        print(f"traindoc patch: {error}", file=sys.stderr)
        return EXIT_REFUSED
    if not patches:
        print("traindoc patch: no reported finding has a fix that a file can carry; nothing to do",
              file=sys.stderr)
        return EXIT_REFUSED
    result = plan(document, patches, training_from_code(code) if code is not None else None)
    print(result.summary(lang))
    requested = {p.id for p in patches_for(args.fix, diagnosis)} if args.fix else set()
    refused = [r for r in result.refused if r.patch in requested or r.kind in ("conflict", "unsafe")]
    if refused or not result.applied:
        for item in refused:
            print(f"traindoc patch: refused {item.patch}: {item.describe(lang)}", file=sys.stderr)
        if not result.applied:
            print("traindoc patch: no patch could be applied", file=sys.stderr)
        return EXIT_REFUSED
    # A config TrainDoc does not rebuild (a Lambda layer, custom objects) refuses only the
    # patched model file: the training settings and the code change are still given.
    model_refused = bool(result.unsafe) and result.model_changed and bool(args.output)
    script = patch_script(code, result, document.model) if code is not None else None
    text = code_text_for(result, script, lang)
    if text:
        if script is not None and script.changed:
            print("\n" + (f"{args.code} 的修改：" if lang.startswith("zh") else f"The change to {args.code}:"))
        else:
            print("\n" + ("手动修改代码：" if lang.startswith("zh") else "The code change to make by hand:"))
        print(text)
    if args.dry_run:
        return EXIT_OK
    inputs = [p for p in (args.model, args.code, *args.log) if p]
    training_target = None
    if result.changes_for("training") and (args.training_out or args.output):
        training_target = args.training_out or _training_path(args.output)
        if not args.training_out and os.path.exists(training_target) and not args.force:
            print(f"traindoc: {training_target}: the training settings would replace an existing file; "
                  "name a new one with --training-out (or --force to replace it)", file=sys.stderr)
            return EXIT_REFUSED
    # Every output is checked before anything is written: an input, a file in an input
    # folder, or an existing file without --force stops the command with nothing written.
    targets = [t for t in (args.output if result.model_changed and not model_refused else None,
                           training_target, args.code_out if script is not None and script.changed else None) if t]
    try:
        for target in targets:
            check_output(target, inputs, overwrite=args.force)
    except OutputError as error:
        print(f"traindoc: {error}", file=sys.stderr)
        return EXIT_REFUSED
    written: list[str] = []
    try:
        if result.model_changed and args.output and not model_refused:
            written.append(_rebuild(args.model, result, args.output, overwrite=args.force))
        if training_target is not None:
            from app.patches import write_training_settings

            written.append(write_training_settings(result, training_target, inputs=inputs, overwrite=args.force))
        if args.code_out and script is not None:
            if not script.changed:
                print("traindoc patch: nothing could be changed in the code (see above); "
                      f"{args.code_out} not written", file=sys.stderr)
            else:
                written.append(write_script(script, args.code_out, inputs=inputs, overwrite=args.force))
    except (OutputError, OSError) as error:
        print(f"traindoc: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except _ProbeRefusal as error:
        print(f"traindoc patch: {error}", file=sys.stderr)
        return EXIT_REFUSED
    for path in written:
        print(("已写入 " if lang.startswith("zh") else "Wrote ") + path)
    if model_refused:
        print(f"traindoc patch: refused: the patched model cannot be rebuilt safely, {args.output} not written "
              "(the diagnosis, the training settings and the code change still stand):", file=sys.stderr)
        for refusal in result.unsafe[:10]:
            print(f"  {refusal}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK if written else EXIT_REFUSED


class _ProbeRefusal(Exception):
    pass


def _diagnose(model_path: str | None, logs: list[str], code: str | None = None):
    from app.io.load import load_paths
    from app.rules.engine import diagnose_all

    loaded = load_paths([p for p in (model_path, *logs) if p])
    models = [*loaded.models, *(load_paths([code]).models if code else [])]
    cases = diagnose_all(loaded.runs, models)
    for case in cases:  # the case holding this model (a log of another model is its own case)
        if case.diagnosis.model is not None:
            return case.diagnosis
    return cases[0].diagnosis if cases else None


def _training_path(output: str) -> str:
    base = output[:-len(".keras")] if output.endswith(".keras") else output
    return base + ".training.json"


def _rebuild(source: str, result, output: str, overwrite: bool = False) -> str:
    from app.core.i18n import plural_forms
    from app.probe import Refused, RebuildFailed, WorkerCrashed, run_rebuild

    from app.cli.progress import StderrProgress

    try:
        rebuilt = run_rebuild(source, result.document.config, output, StderrProgress(), overwrite=overwrite)
    except Refused as error:
        raise _ProbeRefusal("the model cannot be rebuilt safely (the diagnosis still stands): "
                            + "; ".join(error.reasons[:5])) from None
    except (RebuildFailed, WorkerCrashed) as error:
        raise _ProbeRefusal(f"rebuilding the model failed: {error}") from None
    print(plural_forms(f"Weights carried over for {len(rebuilt.layers_carried)} layer(s)")
          + (f"; re-initialized: {', '.join(f'{n} ({r})' for n, r in rebuilt.layers_reinitialized)}"
             if rebuilt.layers_reinitialized else ""))
    for note in rebuilt.notes:
        print(f"Note: {note}")
    if os.path.splitext(source)[1].lower() in (".h5", ".hdf5"):
        print("Note: the legacy .h5 model is written as a Keras 3 .keras file")
    return rebuilt.out_path


def _list(lang: str) -> int:
    from app.patches.catalog import CATALOG

    for unit in CATALOG.values():
        how = "manual" if unit.manual is not None else unit.target
        params = ", ".join(f"{key}={json.dumps(value)}" for key, value in unit.params.items())
        print(f"{unit.id:<26} [{how}] {unit.title.render(lang, unit.with_defaults({}))}"
              + (f"\n{'':<27}parameters: {params}" if params else ""))
    return EXIT_OK
