"""Write ``bench/corpus/INDEX.md``: one row per corpus case, from its ``meta.json``.

    .venv/bin/python bench/corpus_index.py           # rewrite the index
    .venv/bin/python bench/corpus_index.py --check   # exit 1 when the committed index is stale

A test runs ``--check`` so the committed table always matches the cases.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "corpus" / "cases"
INDEX = HERE / "corpus" / "INDEX.md"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render() -> str:
    metas = [json.loads((folder / "meta.json").read_text(encoding="utf-8"))
             for folder in sorted(p for p in CASES.iterdir() if p.is_dir())]
    healthy = sum(bool(m["healthy"]) for m in metas)
    sources = len({m["source"] for m in metas})
    kinds = Counter(m["source_kind"] for m in metas)
    shapes = Counter(m["log_shape"] for m in metas)
    lines = [
        "# Corpus index",
        "",
        "Written by `bench/corpus_index.py` from each case's `meta.json` (do not edit by hand). "
        "How cases are made and labeled: `README.md` here.",
        "",
        f"{len(metas)} runs, {healthy} healthy, from {sources} sources. Source kinds: "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + ". Log shapes: "
        + ", ".join(f"{k} {n}" for k, n in sorted(shapes.items())) + ".",
        "",
        "| case | what | source | era | log | symptoms | causes | label |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in metas:
        symptoms = ", ".join(m["symptoms"]) if not m["healthy"] else "healthy"
        causes = ", ".join(m["causes"]) or "-"
        code = " (+ train.py)" if m.get("code_file") else ""
        lines.append(
            f"| [{m['id']}](cases/{m['id']}/){code} | {_cell(m['title'])} | [{m['source_kind']}]({m['source_url']}) "
            f"| {m['framework']} {m['era']} | {m['log_shape']} | {symptoms} | {causes} "
            f"| {m['label_status']}{' (' + m['confirmed_by'] + ')' if m.get('confirmed_by') else ''} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed index")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = INDEX.read_text(encoding="utf-8") if INDEX.exists() else ""
        if current != text:
            print(f"{INDEX} is stale: run bench/corpus_index.py", file=sys.stderr)
            return 1
        return 0
    INDEX.write_text(text, encoding="utf-8")
    print(f"wrote {INDEX} ({text.count(chr(10) + '| [')} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
