"""Source preparation: notebooks, prose between code lines, lost line breaks (pasted text)."""

from __future__ import annotations

import ast
import json
import re
import time
import warnings
from dataclasses import dataclass, field

from app.io.code.limits import MAX_LINE_CHARS, MAX_REPAIRS

# ======================================================================================
# Source preparation: notebooks, prose, lost line breaks
# ======================================================================================


@dataclass
class _Program:
    text: str  # what is parsed
    origin: list[tuple[int, str | None]]  # per program line: (line shown in CodeSpec.lines, entry)
    display: list[str]  # CodeSpec.lines
    recovered: list[str] = field(default_factory=list)
    # A notebook: per program line, (index in the notebook's "cells", line index in that
    # cell), None for the blank line between cells; with the notebook as given.
    cells: list[tuple[int, int] | None] | None = None
    notebook: str | None = None


_MAGIC = re.compile(r"^\s*(%|!|\?)")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_BLOCK_START = re.compile(r"^\s*(def|class|if|elif|else|for|while|with|try|except|finally|async|@)\b")


def _notebook_program(text: str, path: str) -> _Program | None:
    """The code cells of a notebook, magics and shell lines blanked; None if it is not one."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("{") or '"cells"' not in text[:200_000] and '"cells"' not in text:
        return None
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None
    lines: list[str] = []
    origin: list[tuple[int, str | None]] = []
    cells: list[tuple[int, int] | None] = []
    for index, cell in enumerate(data["cells"][:20_000], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell_source(cell)
        if source is None:
            continue
        cell_lines = source.splitlines()
        cell_magic = bool(cell_lines) and cell_lines[0].lstrip().startswith("%%")
        for number, line in enumerate(cell_lines, start=1):
            if cell_magic or _MAGIC.match(line):
                line = ""
            lines.append(line)
            origin.append((len(lines), f"cell {index}, line {number}"))
            cells.append((index - 1, number - 1))
        lines.append("")  # cells are separate statements
        origin.append((len(lines), f"cell {index}"))
        cells.append(None)
    return _Program("\n".join(lines), origin, lines, cells=cells, notebook=text)


def cell_source(cell: dict) -> str | None:
    """A notebook cell's source as one string (nbformat stores a string or a list of lines)."""
    source = cell.get("source")
    if isinstance(source, list):
        source = "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else None


def parse_python(text: str) -> ast.Module:
    """ast.parse without the warnings Python prints for odd literals (``"\\d"``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


def parses_as_python(text: str) -> bool:
    try:
        parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _bracket_delta(line: str) -> int:
    """Open minus closed brackets on a line, outside strings and comments (rough)."""
    depth = 0
    quote = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#":
            break
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    return depth


def _looks_like_prose(line: str) -> bool:
    """A line that is not Python on its own and does not open or continue a statement."""
    text = line.strip()
    if not text or text.startswith("#"):
        return False
    if parses_as_python(text):
        return False
    if text.endswith((",", "\\", "(", "[", "{")) or text.startswith((")", "]", "}")):
        return _CJK.search(text) is not None and not re.search(r"[=(]", text)
    if text.endswith(":"):
        return not parses_as_python(text + "\n pass")
    if _BLOCK_START.match(text) or text.startswith(("return ", "else", "elif ", "except", "finally")):
        return False
    if text.startswith(("'''", '"""')) or text.endswith(("'''", '"""')):
        return False
    return True


# --- lines whose line breaks were lost (seed 000: a whole script pasted as one line) ---

_DEF_AT = re.compile(r"def[ \t]{1,8}[A-Za-z_]\w{0,63}[ \t]{0,8}\(")
_RETURN_AT = re.compile(r"return\b")
_ASSIGN_AT = re.compile(r"([A-Za-z_]\w{0,63})[ \t]{0,8}(?:\+|-|\*|/)?=(?!=)")
_HEADER = re.compile(r"\s*(def|class|for|while|if|elif|else|with|try|except|finally)\b")


def _known_names(text: str) -> set[str]:
    """Names the squashed code uses as values: call arguments, returns, keyword values."""
    names = set(re.findall(r"[(,=]\s*([A-Za-z_]\w*)\s*[),]", text))
    names |= set(re.findall(r"return\s+([A-Za-z_]\w*)", text))
    return {n for n in names if len(n) <= 40}


def _glued_assignment(text: str, i: int, known: set[str]) -> int | None:
    """Where ``NAME = ...`` starts inside a word glued to the text before it (``blocksx = ``
    -> the ``x``), for a NAME the code uses elsewhere; None if there is no such start."""
    match = _ASSIGN_AT.match(text, i)
    if not match:
        return None
    word = match.group(1)
    for offset in range(len(word)):
        if word[offset:] in known:
            return i + offset
    return None


def _unsquash(line: str) -> list[tuple[int, str]] | None:
    """Split a line whose newlines were lost into (indent level, statement) pieces.

    Statement boundaries are guessed where a new statement is glued to the previous one:
    before ``def``/``return``/``#`` and before ``NAME =`` right after a closing bracket or
    quote; after the colon of a ``def``/``class``/... header; inside a comment, where a
    known name's assignment is glued to the comment's last word. Statements after a ``def``
    header form its body until the next ``def``. None when fewer than 3 pieces come out.
    """
    text = line.strip()
    if len(text) < 20 or len(text) > MAX_LINE_CHARS:
        return None
    known = _known_names(text)
    pieces: list[str] = []
    start = 0
    depth = 0
    quote: str | None = None
    in_comment = False
    i = 0

    def split(at: int) -> None:
        nonlocal start
        piece = text[start:at].strip()
        if piece:
            pieces.append(piece)
        start = at

    while i < len(text):
        c = text[i]
        prev = text[i - 1] if i > 0 else " "
        glued = not prev.isspace() and prev != "#"
        if in_comment:
            if c == "#" and glued:
                split(i)
            elif glued and (_DEF_AT.match(text, i) or (_RETURN_AT.match(text, i) and not (prev.isalnum() or prev == "_"))):
                split(i)
                in_comment = False
                continue
            elif glued:
                at = _glued_assignment(text, i, known)
                if at is not None:
                    split(at)
                    in_comment = False
                    i = at + 1
                    continue
            i += 1
            continue
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
            continue
        if c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            head = text[start:i].lstrip()
            if c == "#":
                split(i)
                in_comment = True
            elif i > start and _DEF_AT.match(text, i):
                split(i)
            elif i > start and _RETURN_AT.match(text, i) and not (prev.isalnum() or prev in "_."):
                split(i)
            elif c == ":" and _HEADER.match(head):
                split(i + 1)
            elif i > start and prev in ")]}'\"" and _ASSIGN_AT.match(text, i):
                split(i)
        i += 1
    split(len(text))
    if len(pieces) < 3:
        return None
    out: list[tuple[int, str]] = []
    indent = 0
    for piece in pieces:
        if piece.startswith(("def ", "class ")):
            out.append((0, piece))
            indent = 1
        else:
            out.append((indent, piece))
    return out


def _prepare(text: str, path: str, deadline: float) -> tuple[_Program, ast.Module | None]:
    """The program to interpret and its syntax tree (None if nothing parses)."""
    program = _notebook_program(text, path)
    if program is None:
        display = text.splitlines()
        program = _Program(text, [(i + 1, None) for i in range(len(display))], display)
    if parses_as_python(program.text):
        return program, parse_python(program.text)
    lines = program.text.splitlines()
    origin = list(program.origin[:len(lines)])
    while len(origin) < len(lines):
        origin.append((len(origin) + 1, None))
    recovered = program.recovered
    # 1. lines whose line breaks were lost: rebuilt into several statements
    work: list[str] = []
    work_origin: list[tuple[int, str | None]] = []
    for line, where in zip(lines, origin):
        if len(line) > 80 and not parses_as_python(line.strip()) and ("def " in line or ")" in line):
            pieces = _unsquash(line)
            if pieces is not None and parses_as_python("\n".join("    " * d + p for d, p in pieces)):
                base = len(line) - len(line.lstrip())
                for depth, piece in pieces:
                    work.append(" " * base + "    " * depth + piece)
                    work_origin.append(where)
                recovered.append(f"line {where[0]}: its line breaks were lost; {len(pieces)} statements "
                                  "were split apart and re-indented (a heuristic)")
                continue
        work.append(line[:MAX_LINE_CHARS])
        work_origin.append(where)
    # 2. prose between the code: blanked (line numbers stay)
    depth = 0
    for index, line in enumerate(work):
        if time.monotonic() > deadline:
            break
        if depth <= 0 and _looks_like_prose(line):
            work[index] = ""
            depth = 0
            continue
        depth = max(0, depth + _bracket_delta(line))
    blanked = sum(1 for a, b in zip(work, lines) if b.strip() and not a.strip())
    # 3. what still does not parse: blank the offending line, or dedent an indented paste
    tree = None
    repairs = 0
    while repairs < MAX_REPAIRS and time.monotonic() < deadline:
        source = "\n".join(work)
        try:
            tree = parse_python(source)
            break
        except (SyntaxError, ValueError) as error:
            repairs += 1
            lineno = getattr(error, "lineno", None) or len(work)
            index = min(max(lineno, 1), len(work)) - 1
            if isinstance(error, IndentationError) and "unexpected indent" in str(error.msg):
                indent = re.match(r"[ \t]*", work[index]).group(0)  # type: ignore[union-attr]
                j = index
                while j < len(work) and (not work[j].strip() or work[j].startswith(indent)):
                    work[j] = work[j][len(indent):] if work[j].startswith(indent) else work[j]
                    j += 1
                continue
            while index > 0 and not work[index].strip():
                index -= 1
            if not work[index].strip():
                break
            work[index] = ""
            blanked += 1
        except (RecursionError, MemoryError, OverflowError):
            recovered.append("the code is nested too deeply to read")
            break
    if tree is None:
        return _Program("\n".join(work), work_origin, program.display, recovered), None
    if blanked:
        recovered.append(f"{blanked} line(s) that are not Python (prose, output, broken code) were skipped")
    return _Program("\n".join(work), work_origin, program.display, recovered), tree
