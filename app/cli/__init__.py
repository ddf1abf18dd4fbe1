"""The ``traindoc`` command line: a thin shell over ``app.io`` (and later the rule engine).

Exit codes: 0 success, 2 unreadable input or bad usage (message on stderr), 130 when
interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Sequence

from app import __version__

EXIT_OK = 0
EXIT_INPUT = 2


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
        help="open the bundled sample failing run (prints what was read)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.demo:
        from app.resources import resource_path

        return _inspect([str(resource_path("samples", "demo"))], "text")
    if args.command == "inspect":
        return _inspect(args.paths, args.format)
    parser.print_help()
    return EXIT_OK


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
