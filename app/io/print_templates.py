"""Line templates of training prints: the fast path of :mod:`app.io.readers.metric_prints`.

Loops print a few line shapes over and over. The first line of a shape is parsed by the
grammar (:mod:`app.io.print_grammar`) and becomes a :class:`Template`: its text with the
numbers cut out, and the role each number plays (epoch, step, their totals, a metric value).
A chunk of lines is then rewritten by one regular expression over the whole chunk into rows
of fields that Arrow's CSV reader parses (:func:`mixed_rows`); only lines that fit no
template are looked at one by one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from app.io.print_grammar import NUM, Line, clean, parse_line, to_float

_NUM_TOKEN = re.compile(r"(?<![\w.])[-+]?(?:nan|inf(?:inity)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
                        r"(?![\w]|\.\d)", re.I)
_SPACES = re.compile(r"[ \t]+")
MAX_TEMPLATES = 4
# A number in the whole-chunk pattern (checked when converted). ASCII whitespace spelled out:
# \s in a str pattern tests Unicode categories, and the class runs once per character of
# every number (78 against 64 MB/s for findall over bench_console's custom-loop log).
_VALUE = r"([^ \t\n\r\f\v,;|\]\[()]+)"
MARKER = 7000  # numbers put in place of a line's numbers to see which role each one plays


@dataclass
class Template:
    """A line shape with its numbers cut out, and the role of each number (see the module
    docstring): ``epoch``/``step`` and their totals are group indexes, ``pairs`` lists
    ``(group, canonical name, printed name, scale)``."""

    regex: re.Pattern  # one line, spacing as it comes
    exact: re.Pattern  # the whole chunk at once, spacing as in the first line (re.M)
    epoch: int | None
    epoch_total: int | None
    step: int | None
    step_total: int | None
    pairs: list[tuple[int, str, str, float]]

    def line(self, groups: tuple[str, ...]) -> Line:
        out = Line()
        if self.epoch is not None:
            out.epoch = int(groups[self.epoch])
            out.epoch_total = int(groups[self.epoch_total]) if self.epoch_total is not None else None
        if self.step is not None:
            out.step = int(groups[self.step])
            out.step_total = int(groups[self.step_total]) if self.step_total is not None else None
        out.pairs = [(name, raw, to_float(groups[group]) * scale) for group, name, raw, scale in self.pairs]
        return out


def make_template(raw: str, parsed: Line) -> Template | None:
    """The template of a keyed record line, or None when its numbers cannot be told apart."""
    line = raw.rstrip(" \t\r")
    if "\r" in line or "\b" in line or "\x1b" in line or len(line) > 600:
        return None
    cleaned = clean(line)
    start = len(line) - len(cleaned)
    tokens = list(_NUM_TOKEN.finditer(line))
    if not tokens or len(tokens) > 40:
        return None
    parts = []
    marked = []
    last = 0
    for index, token in enumerate(tokens):
        literal = line[last:token.start()]
        parts.append(_SPACES.sub(lambda _m: "\x00", literal))
        marked.append(literal)
        marked.append(str(MARKER + index) if token.start() >= start else token.group(0))
        last = token.end()
    tail = line[last:]
    parts.append(_SPACES.sub(lambda _m: "\x00", tail))
    marked.append(tail)
    role = parse_line(clean("".join(marked)))
    if role is None or role.label or role.caffe or isinstance(role.epoch, float):
        return None
    index_of = {MARKER + i: i for i in range(len(tokens))}

    def group(value: int | None) -> int | None:
        return None if value is None else index_of.get(value, -1)

    epoch, epoch_total = group(role.epoch), group(role.epoch_total)
    step, step_total = group(role.step), group(role.step_total)
    if -1 in (epoch, epoch_total, step, step_total):
        return None
    pairs = []
    for name, printed, value in role.pairs:
        if not math.isfinite(value):
            return None
        if value in index_of:
            pairs.append((index_of[int(value)], name, printed, 1.0))
        elif round(value * 100) in index_of and abs(value * 100 - round(value * 100)) < 1e-9:
            pairs.append((index_of[round(value * 100)], name, printed, 0.01))
        else:
            return None
    pattern = "".join(re.escape(part).replace("\x00", "[ \\t]+") + ("(" + NUM + ")" if i < len(tokens) else "")
                      for i, part in enumerate(parts))
    exact = "".join(re.escape(literal) + (_VALUE if i < len(tokens) else "")
                    for i, literal in enumerate(marked[0::2]))
    template = Template(re.compile("^" + pattern + "[ \t\r]*$", re.I), re.compile("^" + exact + "$", re.M),
                         epoch, epoch_total, step, step_total, pairs)  # type: ignore[arg-type]
    match = template.regex.match(line)
    try:
        if match is None or not same_line(template.line(match.groups()), parsed):
            return None
    except ValueError:
        return None
    return template


def same_line(a: Line, b: Line) -> bool:
    if (a.epoch, a.epoch_total, a.step, a.step_total) != (b.epoch, b.epoch_total, b.step, b.step_total):
        return False
    if len(a.pairs) != len(b.pairs):
        return False
    return all(x[0] == y[0] and (x[2] == y[2] or (math.isnan(x[2]) and math.isnan(y[2])))
               for x, y in zip(a.pairs, b.pairs))


# A chunk is read whole when at most this share of its lines fits no template (a checkpoint
# or warning print now and then); those lines are then each checked to hold no record.
MAX_OTHER_SHARE = 0.05


@dataclass
class ChunkRows:
    """The lines of a chunk sorted by the template they fit, their numbers as columns."""

    lines: int  # lines in the chunk
    columns: list[dict[int, np.ndarray]]  # per template: its number groups as float64 columns
    offsets: list[np.ndarray]  # per template: the 0-based line offsets of its lines
    others: list[tuple[int, str]]  # (offset, text) of the non-blank lines no template fits


@dataclass
class TemplateSet:
    """All templates as one pattern over a chunk, ``^(?:A|B|...|.*)$``: ``findall`` gives
    every line one row holding the number groups of the template it fits (a template's
    first group is never empty when it fits), all empty when it fits none. The rows are
    joined into one text that Arrow's CSV reader parses: no Python work per line. (A
    capture group for the unmatched line, or a lookahead marker, would halve the speed.)"""

    templates: list[Template]
    pattern: re.Pattern
    bases: list[int]  # per template: the field of its first group

    @classmethod
    def of(cls, templates: list[Template]) -> "TemplateSet":
        bases, base = [], 0
        for template in templates:
            bases.append(base)
            base += template.exact.groups
        either = "|".join(template.exact.pattern[1:-1] for template in templates)  # without ^ and $
        return cls(list(templates), re.compile(f"^(?:{either}|.*)$", re.M), bases)


def mixed_rows(text: str, templates: TemplateSet) -> ChunkRows | None:
    """The lines of the chunk ``text`` (joined by ``\n``) by template; None when more than
    :data:`MAX_OTHER_SHARE` of them fit none, or a number group holds no number."""
    import io

    import pyarrow as pa
    from pyarrow import csv as pa_csv

    if "\x01" in text or "\r" in text:  # the field separator; a line end to Arrow
        return None
    found = templates.pattern.findall(text)
    count = len(found)
    fields = sum(template.exact.groups for template in templates.templates)
    if fields == 1:
        rows = "\n".join(found)
    else:
        rows = "\n".join(map("\x01".join, found))
    names = [f"f{i}" for i in range(fields)]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(rows.encode("ascii")),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pa_csv.ParseOptions(delimiter="\x01", quote_char=False, escape_char=False,
                                             ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={name: pa.float64() for name in names},
                                                  null_values=[""], strings_can_be_null=True))
    except (pa.ArrowInvalid, ValueError, UnicodeEncodeError):
        return None
    if table.num_rows != count:  # (findall gives every line one row: the last alternative fits any)
        return None
    matched = np.zeros(count, dtype=bool)
    columns_of, offsets_of = [], []
    for template, base in zip(templates.templates, templates.bases):
        mask = table.column(names[base]).is_valid().to_numpy(zero_copy_only=False)
        matched |= mask
        keep = pa.array(mask)
        columns = {}
        for index in range(template.exact.groups):
            column = table.column(names[base + index]).filter(keep)
            if column.null_count:
                return None
            columns[index] = column.to_numpy(zero_copy_only=False)
        columns_of.append(columns)
        offsets_of.append(np.flatnonzero(mask))
    missing = np.flatnonzero(~matched)
    if missing.size > MAX_OTHER_SHARE * count + 1:
        return None
    others: list[tuple[int, str]] = []
    if missing.size:
        starts = np.concatenate(([0], _newlines(text) + 1))
        ends = np.append(starts[1:] - 1, len(text))
        others = [(int(o), text[starts[o]:ends[o]]) for o in missing.tolist() if text[starts[o]:ends[o]].strip()]
    return ChunkRows(count, columns_of, offsets_of, others)


def _newlines(text: str) -> np.ndarray:
    """The character offsets of the line ends of ``text``."""
    if text.isascii():
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    else:  # one code unit per character
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.flatnonzero(codes == 10)
