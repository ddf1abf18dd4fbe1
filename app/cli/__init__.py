"""The ``traindoc`` command line: a thin shell over ``app.io`` (and later the rule engine).

Exit codes: 0 success, 2 unreadable input or bad usage (message on stderr), 130 when
interrupted, 141 when the reader of the output went away (``traindoc ... | head``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Sequence

from app import __version__

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_BROKEN_PIPE = 128 + 13  # 128 + SIGPIPE, what a shell shows for a writer whose pipe closed


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="traindoc",
        description=(
            "TrainDoc reads a Keras/TensorFlow training run (logs, model files) and explains "
            "what went wrong. Formats are recognized by content, whatever the file is called."
        ),
        epilog="Run 'traindoc COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"traindoc {__version__}")
    parser.add_argument("--debug", action="store_true", help="log details to stderr")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app on the bundled sample failing run (without a display: print its diagnosis)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the desktop app (the default without a command)",
                         description="Open the desktop app, optionally with files or folders.")
    gui.add_argument("paths", nargs="*", metavar="PATH", help="logs, model files or folders to open")

    inspect = sub.add_parser(
        "inspect",
        help="print what TrainDoc understood from logs, model files and folders",
        description=(
            "Read training logs (Keras console output, CSVLogger CSV, History JSON, "
            "TensorBoard event files or log folders, Lightning metrics.csv, Hugging Face "
            "trainer_state.json, CSV/TSV with an epoch or step column) and model files "
            "(.keras, .h5, model.to_json()), and print per run the format, epochs, metrics, "
            "last values, evaluations and callback events, and per model the layer table, "
            "parameter counts, loss and optimizer."
        ),
    )
    inspect.add_argument("paths", nargs="+", metavar="PATH",
                         help="a file, a folder, or - for standard input")
    inspect.add_argument("--format", choices=("text", "json"), default="text",
                         help="output format (default: text)")

    diagnose = sub.add_parser(
        "diagnose",
        help="diagnose a training run: symptoms, ranked likely causes, evidence and fixes",
        description=(
            "Read any mix of training logs, model files and folders (recognized by content), "
            "group the logs of the same run, and print the symptoms seen in the curves and the "
            "likely causes, most likely first, with their evidence and fixes. Exit 0 whatever "
            "the diagnosis; 2 for unreadable input."
        ),
    )
    diagnose.add_argument("paths", nargs="*", metavar="PATH",
                          help="a log, a model file, a folder, or - for standard input")
    diagnose.add_argument("--format", choices=("text", "json", "md", "html", "pdf"), default=None,
                          help="output format: text, json, or a report as md (Markdown for an issue "
                               "or a forum post), html (one self-contained file) or pdf; default: "
                               "from the -o file's ending, else text")
    diagnose.add_argument("-o", "--output", metavar="FILE",
                          help="write to FILE (a new file, written atomically) instead of stdout "
                               "(required for --format pdf and html)")
    diagnose.add_argument("--force", action="store_true",
                          help="replace the -o FILE when it exists (never an input, nor a file in an input folder)")
    diagnose.add_argument("--paper", choices=("A4", "Letter"), default="A4",
                          help="page size of --format pdf (default: A4)")
    diagnose.add_argument("--all", action="store_true",
                          help="also list the weaker candidates below the reporting threshold")
    diagnose.add_argument("--lang", default="en", choices=("en", "zh_CN"),
                          help="language of the explanations (default: en)")
    diagnose.add_argument("--code", action="append", default=[], metavar="FILE",
                          help="the training code (.py, .ipynb), read without running it: its model, "
                               "compile and fit() settings join the diagnosis (repeatable)")
    diagnose.add_argument("--data", action="append", default=[], metavar="SAMPLE",
                          help="a sample of the training data, read as data only: .npz (x, y), .npy "
                               "(give --data twice for inputs and labels), CSV/TSV with a label column, "
                               "or a folder of class subfolders; its labels, class shares, order and "
                               "input scale are measured as evidence")
    diagnose.add_argument("--val-data", action="append", default=[], metavar="SAMPLE",
                          help="with --data: a sample of the validation data, in the same shapes; its NaN/inf "
                               "values and the rows it shares with the training sample are measured")
    diagnose.add_argument("--label", metavar="COLUMN",
                          help="the label column of a CSV/TSV --data sample (default: guessed by name)")
    diagnose.add_argument("--probe-budget", type=float, default=30.0, metavar="SECONDS",
                          help="with --data and a model file: seconds the probe may measure inside the model "
                               "(default 30; TensorFlow runs in a separate worker process)")
    diagnose.add_argument("--no-probe", action="store_true",
                          help="with --data: measure the data sample only, do not run the model on it")
    diagnose.add_argument("--probe", action="store_true",
                          help="probe the model files even without --data: their saved weights only "
                               "(per-layer statistics, NaN/inf weights)")

    rules = sub.add_parser("rules", help="list the symptoms and causes TrainDoc knows",
                           description="List every symptom detector and cause rule.")
    rules.add_argument("--format", choices=("text", "json", "md"), default="text",
                       help="text (default), json, or md (the rule reference in docs/rules.md)")
    rules.add_argument("--lang", default="en", choices=("en", "zh_CN"))

    from app.cli.patch_command import add_parser as add_patch_parser

    add_patch_parser(sub)

    from app.cli.verify_command import add_parser as add_verify_parser

    add_verify_parser(sub)

    explain = sub.add_parser("explain", help="explain one symptom or cause id")
    explain.add_argument("id", help="a symptom or cause id, e.g. final_activation_mismatch")
    explain.add_argument("--lang", default="en", choices=("en", "zh_CN"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        if sys.stdout is not None:
            sys.stdout.flush()  # a closed pipe often shows only here, on the last buffered write
        return code
    except BrokenPipeError:
        # The reader left early (``| head``): stop quietly. Point stdout at devnull so the
        # flush at interpreter exit does not fail again on the same closed pipe.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # stdout without a file descriptor (captured, replaced): nothing to redirect
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.demo:
        from app.resources import resource_path

        demo = str(resource_path("samples", "demo"))
        if not _has_display():
            print("traindoc: no display found; printing the diagnosis of the sample run instead "
                  "of opening the window", file=sys.stderr)
            return _diagnose([demo], "text", None, False, "en")
        return _gui([], demo=True)
    if args.command in (None, "gui"):
        return _gui(getattr(args, "paths", []) or [])
    if args.command == "inspect":
        return _inspect(args.paths, args.format)
    if args.command == "diagnose":
        return _diagnose(args.paths, args.format, args.output, args.all, args.lang, args.paper, args.code, args.force,
                         args.data, args.label, args.probe_budget, not args.no_probe, args.probe, args.val_data)
    if args.command == "patch":
        from app.cli.patch_command import run as run_patch

        return run_patch(args)
    if args.command == "verify":
        from app.cli.verify_command import run as run_verify

        return run_verify(args)
    if args.command == "rules":
        from app.cli.catalog import render_catalog

        sys.stdout.write(render_catalog(args.format, args.lang))
        return EXIT_OK
    if args.command == "explain":
        from app.cli.catalog import render_explain

        text = render_explain(args.id, args.lang)
        if text is None:
            print(f"traindoc: unknown id {args.id!r}; 'traindoc rules' lists them", file=sys.stderr)
            return EXIT_INPUT
        sys.stdout.write(text)
        return EXIT_OK
    parser.print_help()
    return EXIT_OK


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _gui(paths: list[str], demo: bool = False) -> int:
    from app.gui.main import main as gui_main

    return gui_main(paths, demo=demo)


def _read_all(paths: list[str], as_code: bool = False):
    """Read every path (``as_code``: as training code, ``--code``); unreadable ones are
    reported on stderr. Returns (loaded, failed)."""
    from app.core.errors import InputError
    from app.io.load import Loaded, load_code_path, load_paths

    loaded = Loaded()
    failed = False
    for path in paths:
        try:
            loaded.extend(load_code_path(path) if as_code else load_paths([path]))
        except InputError as error:
            print(f"traindoc: {error.message()}", file=sys.stderr)
            failed = True
    return loaded, failed


def _diagnose(paths: list[str], fmt: str | None, output: str | None, include_all: bool, lang: str,
              paper: str = "A4", code: list[str] | None = None, force: bool = False,
              data: list[str] | None = None, label: str | None = None, probe_budget: float = 30.0,
              probe: bool = True, weights_only: bool = False, val_data: list[str] | None = None) -> int:
    from app.cli.diagnose_view import render_json, render_text
    from app.core.files import OutputError, check_output, write_atomic
    from app.report import format_for_path
    from app.rules.data import sample_facts
    from app.rules.engine import diagnose_all

    fmt = fmt or (format_for_path(output) if output else None) or "text"
    if not paths and not code:
        print("traindoc diagnose: give the files to diagnose (logs, models, code, folders)", file=sys.stderr)
        return EXIT_INPUT
    if fmt in ("pdf", "html") and not output:
        print(f"traindoc: --format {fmt} needs -o FILE", file=sys.stderr)
        return EXIT_INPUT
    if val_data and not data:
        print("traindoc: --val-data needs --data (the training sample it is compared with)", file=sys.stderr)
        return EXIT_INPUT
    input_paths = [p for p in [*paths, *(code or []), *(data or []), *(val_data or [])] if p != "-"]
    if output:
        try:  # before anything is read: a refused output costs no time
            check_output(output, input_paths, overwrite=force)
        except OutputError as error:
            print(f"traindoc: {error}", file=sys.stderr)
            return EXIT_INPUT
    try:
        loaded, failed = _read_all(paths)
    except KeyboardInterrupt:
        return 130
    if code:  # read like any other input; diagnose_all joins the code with a model file
        code_loaded, code_failed = _read_all(code, as_code=True)
        failed = failed or code_failed
        loaded.extend(code_loaded)
        paths = [*paths, *code]
    if failed and not (loaded.runs or loaded.models):
        return EXIT_INPUT
    sample = None
    if data:
        from app.core.errors import InputError
        from app.io.data_sample import read_data_sample

        try:
            sample = read_data_sample(data, label=label)
        except InputError as error:  # the diagnosis without the sample still stands
            print(f"traindoc: {error.message()} (diagnosed without the data sample)", file=sys.stderr)
            failed = True
        if sample is not None and val_data:
            try:
                sample.validation = read_data_sample(val_data, label=label)
            except InputError as error:
                print(f"traindoc: {error.message()} (diagnosed without the validation sample)", file=sys.stderr)
                failed = True
    wanted = probe and (sample is not None or weights_only)
    probes = _probe_models(loaded.models, sample, probe_budget) if wanted else {}
    if probes is None:
        failed, probes = True, {}
    cases = diagnose_all(loaded.runs, loaded.models, data=sample, probes=probes)
    text: str | bytes
    if fmt in ("md", "html", "pdf"):
        from app.report import build_report, inputs_from, render

        report = build_report(cases, inputs_from(loaded.runs, loaded.models, sample), lang, include_all=include_all,
                              probes=probes, data=sample_facts(sample))
        text = render(report, fmt, page_size=paper)
    elif fmt == "json":
        from app.report import inputs_from

        text = json.dumps(render_json(cases, inputs_from(loaded.runs, loaded.models, sample), lang, include_all, probes,
                                      sample_facts(sample)), indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_text(cases, lang, include_all)
    if output:
        try:
            write_atomic(output, text, inputs=input_paths, overwrite=force)
        except (OutputError, OSError) as error:
            print(f"traindoc: {error}", file=sys.stderr)
            return EXIT_INPUT
    else:
        sys.stdout.write(text)
    return EXIT_INPUT if failed else EXIT_OK


def _probe_models(models, sample, budget: float) -> dict | None:
    """Run the probe on every model file (.keras, .h5) with the data sample; progress and
    what was skipped on stderr. ``None`` when the sample does not fit a model (a bad input)."""
    from app.cli.progress import StderrProgress
    from app.probe import probe_files, probed_files

    done = probe_files(probed_files(models), sample, StderrProgress("probe "), budget=budget)
    for message in done.messages:
        print(f"traindoc: {message}", file=sys.stderr)
    return None if done.mismatched else done.results


def _inspect(paths: list[str], fmt: str) -> int:
    from app.cli.inspect_view import render_json, render_text
    from app.core.errors import InputError
    from app.io.load import Loaded, load_paths

    loaded = Loaded()
    failed = False
    for path in paths:
        try:
            loaded.extend(load_paths([path]))
        except InputError as error:
            print(f"traindoc: {error.message()}", file=sys.stderr)
            failed = True
        except KeyboardInterrupt:
            return 130
    if failed and not (loaded.runs or loaded.models):
        return EXIT_INPUT
    if fmt == "json":
        json.dump(render_json(loaded), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(loaded))
    return EXIT_INPUT if failed else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
