"""Update and compile the UI translations.

    .venv/bin/python packaging/build_translations.py            # compile .ts -> .qm
    .venv/bin/python packaging/build_translations.py --update   # re-scan the sources first

``--update`` runs ``pyside6-lupdate`` over ``app/gui`` so new ``self.tr()`` texts appear in
``resources/i18n/traindoc_zh_CN.ts`` (translate them there, e.g. with ``pyside6-linguist``);
then ``pyside6-lrelease`` writes the ``.qm`` files the app loads. Both files are committed,
so a fresh clone needs no build step; a test checks the ``.qm`` is newer than its ``.ts``
content (same translations).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "resources" / "i18n"
LANGUAGES = ("zh_CN",)


def tool(name: str) -> str:
    found = shutil.which(f"pyside6-{name}", path=str(Path(sys.executable).parent)) or shutil.which(f"pyside6-{name}")
    if not found:
        raise SystemExit(f"pyside6-{name} not found: install PySide6 in this environment")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="re-scan app/gui for texts first")
    args = parser.parse_args()
    sources = sorted(str(p) for p in (ROOT / "app" / "gui").rglob("*.py"))
    for lang in LANGUAGES:
        ts = I18N / f"traindoc_{lang}.ts"
        if args.update:
            subprocess.run([tool("lupdate"), *sources, "-no-obsolete", "-ts", str(ts)], check=True)
        subprocess.run([tool("lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
