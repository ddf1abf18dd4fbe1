"""A fix made in a Jupyter notebook: the edited code put back into its cells.

The code reader reads a notebook's code cells as one program (a blank line between cells,
magics and shell lines blanked) and records, per program line, which cell and which line of
it the line came from. :mod:`app.patches.script` edits that program like a ``.py`` file; this
module maps the edited lines back onto the cells (an inserted line joins the cell of the line
before it, or the next cell when it comes right after a cell's end) and writes the notebook
with only those cells' sources changed: outputs, metadata and every other cell stay as they
were.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from app.io.code.source import cell_source

CellMap = list  # per program line: (cell index, line in cell) or None between cells


def cell_sources(old_program: str, new_program: str, cells: CellMap, notebook: str) -> dict[int, str] | None:
    """The new source of every cell the edit changed (by index in the notebook's cells), or
    None when an edit cannot be put back (it spans two cells, or touches a blanked magic line)."""
    data = json.loads(notebook.lstrip("\ufeff"))
    old = old_program.split("\n")
    new = new_program.split("\n")
    if len(old) != len(cells):
        return None
    originals = {index: (cell_source(data["cells"][index]) or "").splitlines()
                 for index in {c[0] for c in cells if c is not None}}
    replacing: dict[tuple[int, int], list[str]] = {}  # first line of a replaced block -> its new lines
    dropped: set[tuple[int, int]] = set()  # every replaced or deleted line
    after: dict[tuple[int, int], list[str]] = {}  # (cell, line; -1 = top of the cell) -> inserted lines
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        mine = [cells[i] for i in range(i1, i2) if cells[i] is not None]
        if len({cell for cell, _ in mine}) > 1:
            return None
        if any(old[i] != originals[cells[i][0]][cells[i][1]] for i in range(i1, i2) if cells[i] is not None):
            return None  # a magic or shell line, blanked for reading
        if mine:
            dropped.update(mine)
            replacing[mine[0]] = new[j1:j2]
            continue
        place = _insertion_point(cells, i1)
        if place is None:
            return None
        after.setdefault(place, []).extend(new[j1:j2])
    changed: dict[int, str] = {}
    for cell, lines in originals.items():
        out = list(after.get((cell, -1), []))
        for number, line in enumerate(lines):
            key = (cell, number)
            out.extend(replacing.get(key, []) if key in dropped else [line])
            out.extend(after.get(key, []))
        if out != lines:
            source = "\n".join(out)
            if (cell_source(data["cells"][cell]) or "").endswith("\n"):
                source += "\n"
            changed[cell] = source
    return changed


def _insertion_point(cells: CellMap, index: int) -> tuple[int, int] | None:
    """Where lines inserted before program line ``index`` go: (cell, after line; -1 = at the top)."""
    before = cells[index - 1] if index > 0 else None
    if before is not None:
        return before
    after = cells[index] if index < len(cells) else None
    if after is not None:
        return after[0], after[1] - 1
    # Between two cells (after a cell's last line, before the next cell): the end of the cell before.
    for position in range(index - 1, -1, -1):
        if cells[position] is not None:
            return cells[position]
    return None


def notebook_with(notebook: str, sources: dict[int, str]) -> str:
    """The notebook JSON with the given cells' sources replaced (nbformat's list of lines)."""
    data: dict[str, Any] = json.loads(notebook.lstrip("\ufeff"))
    for index, source in sources.items():
        data["cells"][index]["source"] = source.splitlines(keepends=True)
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def cell_diffs(notebook: str, sources: dict[int, str], name: str, context: int = 3) -> str:
    """A unified diff per changed cell, named ``a/train.ipynb (cell 3)``."""
    data = json.loads(notebook.lstrip("\ufeff"))
    out: list[str] = []
    for index in sorted(sources):
        old = (cell_source(data["cells"][index]) or "").splitlines(keepends=True)
        new = sources[index].splitlines(keepends=True)
        for lines in (old, new):
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
        label = f"{name} (cell {index + 1})"
        out.extend(difflib.unified_diff(old, new, fromfile=f"a/{label}", tofile=f"b/{label}", n=context))
    return "".join(out)
