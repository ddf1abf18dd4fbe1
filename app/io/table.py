"""One fast CSV/TSV reader shared by the CSVLogger, Lightning and plain-table readers.

:func:`read_table` turns a delimited text with a header row into float64 numpy columns
plus, per row, the 1-based line of the file it came from. The bulk work is done by
``pyarrow.csv`` (C++, multi-threaded); Python only touches the header and the columns, never
a row, so a million-row CSVLogger file reads about as fast as ``pandas.read_csv``.

What it accepts:

- delimiter comma, tab or semicolon (decided from the header and the first rows; a
  semicolon file whose numbers use a decimal comma, as European Excel writes them, is read
  too); the first non-blank line is the header; columns in any order;
- blank and whitespace-only lines anywhere (skipped), LF, CRLF, a UTF-8 BOM;
- cells ``nan``/``NaN``/``inf``/``-inf``/``Infinity`` (kept as NaN/inf: they are evidence);
  empty cells and ``NA``/``N/A``/``null``/``None`` are *missing* (NaN in the values, False in
  :attr:`Table.present`) — Keras' CSVLogger writes ``NA`` for a metric missing in an epoch
  and Lightning leaves cells empty;
- text in any encoding :class:`~app.io.sniff.TextSource` knows: UTF-8 files are handed to
  arrow as they are on disk; GB18030 and UTF-16 files are transcoded to UTF-8 in chunks
  first (in memory, or in a temporary file for very large ones); pasted text is encoded.

What it refuses, with :class:`~app.core.errors.InputError` naming the line: a row with more
or fewer fields than the header, and a cell that is not a number in a column that otherwise
holds numbers. A column holding no number at all (a name, a timestamp, a Keras list-valued
metric ``"[0.1, 0.2]"``) is not an error here: it is listed in :attr:`Table.text_columns`
and the caller decides.

How it stays fast and lean: the file is cut into slices of whole lines (a few MB each);
arrow parses each slice with all cores, the values are copied into float64 arrays (sized
from the first slice's bytes per line, grown if needed, trimmed at the end) and the slice
is dropped. Memory is the final arrays plus one slice, whatever the file size. Line
numbers cost nothing in the usual case: arrow is told to keep empty lines and every line
it skips passes through our handler, so in a slice where nothing was skipped row ``i`` sits
on the slice's first line plus ``i``; only a slice with skipped (whitespace-only) lines
gets one vectorized numpy pass over its bytes. (A quoted field holding a line break is not
supported; Keras and Lightning never write one.)
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.core.run import Series
from app.io.sniff import TextSource

# Arrow parses the file in slices of whole lines of about this size, each with all cores.
SLICE_BYTES = 8 << 20
# Arrow's block size inside a slice (one block per thread at a time).
ARROW_BLOCK_BYTES = 1 << 20
# Bytes per read when scanning the head.
SCAN_BLOCK_BYTES = 16 << 20
# A single line longer than this is not a table row.
MAX_LINE_BYTES = 64 << 20
# The header must start within this many bytes (blank lines before it are fine).
HEADER_SCAN_BYTES = 1 << 20
MAX_COLUMNS = 10_000
# Non-UTF-8 text bigger than this is transcoded into a temporary file instead of memory.
TRANSCODE_IN_MEMORY_BYTES = 64 << 20

DELIMITERS = (",", "\t", ";")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon"}
# Cells that mean "no value here" (compared after trimming; the fallback path lower-cases).
NULL_TOKENS = ("", "NA", "N/A", "n/a", "na", "null", "NULL", "Null", "None", "none")
_NULL_LOWER = sorted({token.lower() for token in NULL_TOKENS})
# A number as Python/Keras writes it, with the special values; RE2 syntax for arrow.
_NUMBER_RE = r"(?i)^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|nan|inf|infinity)$"
_NUMBER = re.compile(_NUMBER_RE[4:], re.IGNORECASE)
_NULL_RE = "^(?:" + "|".join(re.escape(token) for token in _NULL_LOWER) + ")$"
_DECIMAL_COMMA = re.compile(r"(^|;)\s*[+-]?[0-9]+,[0-9]+\s*(;|$)")

_NL, _CR, _TAB, _SPACE = 10, 13, 9, 32


# --------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------


@dataclass
class Table:
    """A parsed table: numeric columns by header name, and where each row came from."""

    label: str  # the file path or the pasted-text label, for messages and Series.source_path
    header: list[str]  # column names as written (trimmed; empty names become column_<n>)
    header_text: str  # the header line as written, for messages
    header_line: int  # 1-based line of the header
    delimiter: str
    columns: dict[str, np.ndarray]  # name → float64 values; missing cells are NaN
    present: dict[str, np.ndarray | None]  # name → bool mask of non-missing cells (None: all)
    lines: np.ndarray  # int64, 1-based file line of each row; -1 where unknown
    text_columns: dict[str, str] = field(default_factory=dict)  # name → first value found
    text_lines: dict[str, int] = field(default_factory=dict)  # name → line of that value (-1: ?)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return int(self.lines.shape[0])

    def column(self, name: str) -> str | None:
        """The header name matching ``name`` case-insensitively (numeric columns first)."""
        wanted = name.strip().lower()
        for header_name in list(self.columns) + list(self.text_columns):
            if header_name.strip().lower() == wanted:
                return header_name
        return None

    def mask(self, name: str) -> np.ndarray:
        """Rows where column ``name`` has a value (NaN written as ``nan`` counts as a value)."""
        present = self.present.get(name)
        return np.ones(self.rows, dtype=bool) if present is None else present

    def line_of(self, row: int) -> int | None:
        value = int(self.lines[row]) if 0 <= row < self.rows else -1
        return value if value > 0 else None


# --------------------------------------------------------------------------------------
# A cheap look at the head, for identify()
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peek:
    """The header and first rows of text that may be a table (from a probe's head)."""

    header: tuple[str, ...]  # trimmed names as written
    delimiter: str
    header_text: str
    rows: tuple[tuple[str, ...], ...]  # up to ``sample`` following non-blank rows, split

    @property
    def names(self) -> tuple[str, ...]:
        """Lower-case names."""
        return tuple(name.lower() for name in self.header)

    def consistent(self) -> bool:
        """At least one row, and every sampled row has as many fields as the header."""
        return bool(self.rows) and all(len(row) == len(self.header) for row in self.rows)

    def numeric_columns(self) -> set[int]:
        """Indexes of columns whose sampled cells are all numbers or missing (and one number)."""
        out = set()
        for index in range(len(self.header)):
            cells = [row[index].strip() for row in self.rows if index < len(row)]
            values = [cell for cell in cells if cell not in NULL_TOKENS]
            if values and all(_NUMBER.match(cell) for cell in values):
                out.add(index)
        return out

    def has_missing_cells(self) -> bool:
        return any(cell.strip() in ("", "NA") for row in self.rows for cell in row)


def peek(text: str | None, sample: int = 20) -> Peek | None:
    """The header and first rows of ``text`` if it looks like a delimited table, else None.

    Cheap and never raises: readers call it from ``identify``. A table here has a header of
    at least two fields; whether the rows agree with it is for the caller to weigh.
    """
    try:
        if not text:
            return None
        lines = [line for line in text[:HEADER_SCAN_BYTES].splitlines()[: sample + 64]
                 if line.strip()]
        if len(lines) < 1:
            return None
        header_text = lines[0].lstrip("\ufeff")
        delimiter = detect_delimiter(header_text, lines[1: sample + 1])
        header = tuple(split_line(header_text, delimiter))
        if len(header) < 2 or len(header) > MAX_COLUMNS:
            return None
        rows = tuple(tuple(split_line(line, delimiter)) for line in lines[1: sample + 1])
        return Peek(header, delimiter, header_text, rows)
    except Exception:  # identify must never raise
        return None


def detect_delimiter(header: str, sample: list[str] | tuple[str, ...] = ()) -> str:
    """Comma, tab or semicolon: the one that splits the header and the sample rows alike.

    Among delimiters present in the header, prefer one that gives every sampled row as
    many fields as the header, then the one with the most fields; comma when none appears.
    """
    best, best_key = ",", (-1, -1)
    for delimiter in DELIMITERS:
        count = len(split_line(header, delimiter)) - 1
        if count <= 0:
            continue
        agree = all(len(split_line(line, delimiter)) - 1 == count for line in sample[:20])
        key = (int(agree), count)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def split_line(line: str, delimiter: str) -> list[str]:
    """Fields of one line, honouring double quotes; each field trimmed."""
    line = line.rstrip("\r\n")
    if '"' not in line:
        return [part.strip() for part in line.split(delimiter)]
    try:
        fields = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        fields = line.split(delimiter)
    return [part.strip() for part in fields]


# --------------------------------------------------------------------------------------
# UTF-8 bytes of the source, without holding a big file in memory
# --------------------------------------------------------------------------------------


class _Utf8Bytes:
    """The text as UTF-8 bytes: a file read in place (from ``start``), or bytes in memory."""

    def __init__(self, *, path: str | None = None, data: bytes | None = None, start: int = 0,
                 temporary: bool = False) -> None:
        self.path = path
        self.data = data
        self.start = start
        self.temporary = temporary
        self.size = (len(data) if data is not None else os.path.getsize(path)) - start  # type: ignore[arg-type]

    def blocks(self, offset: int = 0, size: int = SCAN_BLOCK_BYTES,
               limit: int | None = None) -> Iterator[bytes]:
        """Bytes from ``offset`` to the end (or ``limit`` bytes), ``size`` at a time."""
        remaining = self.size - offset if limit is None else min(limit, self.size - offset)
        if self.data is not None:
            position = self.start + offset
            while remaining > 0:
                step = min(size, remaining)
                yield self.data[position: position + step]
                position += step
                remaining -= step
            return
        with open(self.path, "rb") as handle:  # type: ignore[arg-type]
            handle.seek(self.start + offset)
            while remaining > 0:
                chunk = handle.read(min(size, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def head(self, size: int) -> bytes:
        return b"".join(self.blocks(0, size, limit=size))

    def close(self) -> None:
        if self.temporary and self.path:
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def line_slices(self, offset: int, size: int, label: str) -> Iterator[_Slice]:
        """The bytes from ``offset`` in slices of about ``size`` bytes that end at a line end.

        In-memory text is sliced in place; a file is read slice by slice into one reused
        buffer (the partial line after the cut is read again with the next slice).
        """
        position = offset
        if self.data is not None:
            data, base = self.data, self.start
            while position < self.size:
                end = min(self.size, position + size)
                if end < self.size:
                    cut = data.rfind(b"\n", base + position, base + end) + 1
                    if cut == 0:
                        cut = data.find(b"\n", base + end) + 1 or base + self.size
                    end = cut - base
                yield _Slice(data, base + position, base + end)
                position = end
            return
        # One buffer, reused: each slice is parsed and copied out before the next is read.
        buffer = bytearray(size)
        with open(self.path, "rb", buffering=0) as handle:  # type: ignore[arg-type]
            while position < self.size:
                while True:
                    handle.seek(self.start + position)
                    count = handle.readinto(buffer)
                    if not count:
                        return
                    if position + count >= self.size:
                        cut = count
                        break
                    cut = buffer.rfind(b"\n", 0, count) + 1
                    if cut:
                        break
                    if len(buffer) >= MAX_LINE_BYTES:
                        raise InputError(label, f"lines shorter than {MAX_LINE_BYTES >> 20} MB",
                                         found="a longer line")
                    buffer = bytearray(2 * len(buffer))
                yield _Slice(buffer, 0, cut)
                position += cut


@dataclass(frozen=True)
class _Slice:
    """Whole lines: ``buffer[start:end]`` (a view, never copied; valid until the next slice)."""

    buffer: bytes | bytearray
    start: int
    end: int

    def arrow(self) -> pa.Buffer:
        return pa.py_buffer(self.buffer).slice(self.start, self.end - self.start)

    def array(self) -> np.ndarray:
        return np.frombuffer(self.buffer, dtype=np.uint8, count=self.end - self.start,
                             offset=self.start)

    def line_count(self) -> int:
        """Lines in the slice (a last line without a terminator counts)."""
        if self.end <= self.start:
            return 0
        count = self.buffer.count(b"\n", self.start, self.end)
        return count + (self.buffer[self.end - 1] != 0x0A)

    @property
    def size(self) -> int:
        return self.end - self.start


_UTF8_NAMES = {"utf-8", "utf8", "utf-8-sig", "ascii", "us-ascii"}


def _utf8_bytes(source: TextSource, progress: Progress) -> _Utf8Bytes:
    """UTF-8 bytes of ``source``: the file itself when it is UTF-8, else a transcoded copy."""
    encoding = (source.encoding or "utf-8").lower().replace("_", "-")
    if source.path is not None and encoding in _UTF8_NAMES:
        with open(source.path, "rb") as handle:
            start = 3 if handle.read(3) == codecs.BOM_UTF8 else 0
        return _Utf8Bytes(path=source.path, start=start)
    if source.path is None or source.size <= TRANSCODE_IN_MEMORY_BYTES:
        parts = []
        for chunk in source.chunks():
            check_cancelled(progress)
            parts.append(chunk.encode("utf-8", "replace"))
        data = b"".join(parts)
        start = 3 if data.startswith(codecs.BOM_UTF8) else 0
        return _Utf8Bytes(data=data, start=start)
    handle, temp_path = tempfile.mkstemp(prefix="traindoc-", suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            first = True
            for chunk in source.chunks():
                check_cancelled(progress)
                if first:
                    chunk, first = chunk.lstrip("\ufeff"), False
                out.write(chunk.encode("utf-8", "replace"))
    except BaseException:
        os.unlink(temp_path)
        raise
    return _Utf8Bytes(path=temp_path, temporary=True)


# --------------------------------------------------------------------------------------
# Header
# --------------------------------------------------------------------------------------


@dataclass
class _Header:
    line: int  # 1-based
    end: int  # byte offset just after the header line's terminator
    text: str
    delimiter: str
    names: list[str]
    decimal_comma: bool


def _read_header(data: _Utf8Bytes, label: str) -> _Header | None:
    """The first non-blank line, or None when there is no data at all (blank text)."""
    head = data.head(HEADER_SCAN_BYTES)
    position, line_no = 0, 1
    while position < len(head):
        end = head.find(b"\n", position)
        if end < 0:
            if len(head) < data.size:  # the line goes on past what we looked at
                raise InputError(label, "a header row naming the columns",
                                 found=f"no line break in the first {HEADER_SCAN_BYTES >> 20} MB",
                                 line=line_no)
            end = len(head)
        raw = head[position:end]
        if raw.strip():
            text = raw.decode("utf-8", "replace").rstrip("\r").lstrip("\ufeff")
            sample_text = head[end + 1: end + 1 + 64 * 1024].decode("utf-8", "replace")
            sample = [line for line in sample_text.splitlines()[:21] if line.strip()][:20]
            delimiter = detect_delimiter(text, sample)
            names = split_line(text, delimiter)
            if len(names) > MAX_COLUMNS:
                raise InputError(label, f"at most {MAX_COLUMNS} columns", line=line_no,
                                 found=f"{len(names)} columns")
            decimal_comma = delimiter == ";" and any(_DECIMAL_COMMA.search(s) for s in sample)
            return _Header(line_no, min(end + 1, data.size), text, delimiter, names, decimal_comma)
        position, line_no = end + 1, line_no + 1
    return None


def _unique_names(names: list[str], warnings: list[str]) -> list[str]:
    """Empty names become ``column_<n>``; a repeated name gets ``.2``, ``.3`` ..."""
    out: list[str] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        name = name.strip().strip('"').strip() or f"column_{index + 1}"
        if name in seen:
            count = 2
            while f"{name}.{count}" in seen:
                count += 1
            warnings.append(f"column {name!r} appears more than once; the copy is named {name}.{count}")
            name = f"{name}.{count}"
        seen.add(name)
        out.append(name)
    return out


# --------------------------------------------------------------------------------------
# Lines: which file line each row came from
# --------------------------------------------------------------------------------------


def _row_lines(piece: _Slice, first_line: int, columns: int, delimiter: str) -> np.ndarray:
    """1-based lines of ``piece`` (whose first line is ``first_line``) that arrow reads as rows.

    Arrow (with ``ignore_empty_lines=False``) makes a row of every line, an empty line
    giving a row of missing cells (dropped later as blank), except whitespace-only lines
    with the wrong number of fields, which our invalid-row handler skips. Vectorized:
    newline positions, "any non-blank byte" per line by ``logical_or.reduceat``, delimiter
    counts the same way when the delimiter is a tab (the only blank one).
    """
    arr = piece.array()
    if arr.size and arr[-1] != _NL:
        arr = np.append(arr, np.uint8(_NL))
    newlines = np.flatnonzero(arr == _NL)
    if newlines.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.empty(newlines.size, dtype=np.int64)
    starts[0] = 0
    starts[1:] = newlines[:-1] + 1
    lengths = newlines - starts  # bytes before "\n"
    has_cr = np.zeros(newlines.size, dtype=bool)
    nonzero = lengths > 0
    has_cr[nonzero] = arr[newlines[nonzero] - 1] == _CR
    empty = (lengths - has_cr) == 0
    blank_bytes = (arr == _SPACE) | (arr == _TAB) | (arr == _CR) | (arr == _NL)
    has_text = np.logical_or.reduceat(~blank_bytes, starts)
    whitespace_only = ~has_text & ~empty
    if delimiter == "\t":
        tabs = np.add.reduceat((arr == _TAB).view(np.uint8), starts, dtype=np.int64)
        skipped = whitespace_only & (tabs != columns - 1)
    else:
        skipped = whitespace_only & (columns != 1)
    return first_line + np.flatnonzero(~skipped)


def _line_with_text(piece: _Slice, first_line: int, text: str) -> int | None:
    """The first line of ``piece`` whose content is ``text`` (error path only)."""
    wanted = text.encode("utf-8", "replace")
    for number, line in enumerate(piece.buffer[piece.start: piece.end].split(b"\n")):
        if line.rstrip(b"\r") == wanted:
            return first_line + number
    return None


# --------------------------------------------------------------------------------------
# Parsing, slice by slice
# --------------------------------------------------------------------------------------


class _InvalidRows:
    """Arrow's invalid-row handler: skip blank lines (counting them), stop at a malformed row.

    Arrow is told not to drop empty lines itself, so every skipped line passes here: a
    slice with no skip has exactly one row per line, and its line numbers need no scan.
    """

    def __init__(self) -> None:
        self.bad_text: str | None = None
        self.bad_fields: int | None = None
        self.skipped = 0

    def __call__(self, row) -> str:
        if not row.text.strip():
            self.skipped += 1
            return "skip"
        if self.bad_text is None:
            self.bad_text, self.bad_fields = row.text, row.actual_columns
        return "error"


class _RetryAsText(Exception):
    """A cell arrow could not read as a float: parse again with text columns."""


# Arrow arrays become numpy arrays through their buffers. (``Array.to_numpy`` and building
# arrow arrays or scalars from Python objects import pandas, which app.io must not load.)


def _bits(buffer: pa.Buffer, offset: int, size: int) -> np.ndarray:
    """``size`` bits of an arrow bitmap from bit ``offset``, as a bool array."""
    if size == 0 or buffer is None:
        return np.zeros(size, dtype=bool)
    packed = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(packed, bitorder="little")[offset: offset + size].view(bool)


def _validity(array: pa.Array) -> np.ndarray | None:
    """Where ``array`` has a value (None when no cell is null)."""
    if array.null_count == 0:
        return None
    return _bits(array.buffers()[0], array.offset, len(array))


def _true(array: pa.Array) -> np.ndarray:
    """A boolean arrow array as numpy; null counts as False."""
    values = _bits(array.buffers()[1], array.offset, len(array))
    valid = _validity(array)
    return values if valid is None else values & valid


def _float_values(array: pa.Array) -> np.ndarray:
    """The float64 values buffer of ``array`` (a view; null slots hold arbitrary values)."""
    if len(array) == 0 or array.buffers()[1] is None:
        return np.full(len(array), np.nan)
    return np.frombuffer(array.buffers()[1], dtype=np.float64, count=len(array),
                         offset=array.offset * 8)


def _bool_array(mask: np.ndarray) -> pa.Array:
    """A numpy bool mask as an arrow BooleanArray (built from a packed buffer)."""
    packed = np.packbits(mask, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), mask.size, [None, pa.py_buffer(packed)])


class _Output:
    """Columns filled slice by slice into arrays sized once (grown only if a count was off)."""

    def __init__(self, keys: list[str], capacity: int) -> None:
        self.keys = keys
        self.capacity = max(1, capacity)
        self.values = {key: np.empty(self.capacity, dtype=np.float64) for key in keys}
        self.present: dict[str, np.ndarray | None] = {key: None for key in keys}
        self.lines = np.empty(self.capacity, dtype=np.int64)
        self.rows = 0
        self.numbers = {key: 0 for key in keys}  # text mode: cells holding a number
        self.first_text: dict[str, tuple[int, str] | None] = {key: None for key in keys}
        self.lines_known = True

    def reserve(self, rows: int) -> None:
        needed = self.rows + rows
        if needed <= self.capacity:
            return
        capacity = max(needed, self.capacity + self.capacity // 2)
        for table in (self.values, self.present):
            for key, array in table.items():
                if array is not None:
                    grown = np.ones(capacity, dtype=array.dtype)
                    grown[: self.rows] = array[: self.rows]
                    table[key] = grown
        grown_lines = np.empty(capacity, dtype=np.int64)
        grown_lines[: self.rows] = self.lines[: self.rows]
        self.lines, self.capacity = grown_lines, capacity

    def _mark_missing(self, key: str, start: int, valid: np.ndarray) -> None:
        if self.present[key] is None:
            self.present[key] = np.ones(self.capacity, dtype=bool)
        self.present[key][start: start + valid.size] = valid  # type: ignore[index]

    def put_floats(self, key: str, column: pa.ChunkedArray) -> None:
        chunks = column.chunks
        size = sum(len(chunk) for chunk in chunks)
        target = self.values[key][self.rows: self.rows + size]
        if len(chunks) == 1:
            target[:] = _float_values(chunks[0])
        else:
            np.concatenate([_float_values(chunk) for chunk in chunks], out=target)
        if column.null_count:
            position = 0
            for chunk in chunks:
                valid = _validity(chunk)
                if valid is not None:
                    target[position: position + valid.size][~valid] = np.nan  # arbitrary in arrow
                    self._mark_missing(key, self.rows + position, valid)
                position += len(chunk)

    def put_text(self, key: str, column: pa.ChunkedArray, decimal_comma: bool) -> None:
        """Numbers from a column read as text: trim, missing check, number check, cast."""
        array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        size = len(array)
        trimmed = pc.utf8_trim_whitespace(array)
        if decimal_comma:
            trimmed = pc.replace_substring(trimmed, pattern=",", replacement=".")
        has_value = _validity(trimmed)
        has_value = np.ones(size, dtype=bool) if has_value is None else has_value
        null_word = _true(pc.match_substring_regex(pc.utf8_lower(trimmed), pattern=_NULL_RE))
        is_missing = ~has_value | null_word
        is_number = _true(pc.match_substring_regex(trimmed, pattern=_NUMBER_RE)) & ~is_missing
        values = np.full(size, np.nan)
        if is_number.any():
            numbers = pc.filter(trimmed, _bool_array(is_number))
            try:
                values[is_number] = _float_values(pc.cast(numbers, pa.float64()))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                values[is_number] = [float(text) for text in numbers.to_pylist()]
        bad = ~is_number & ~is_missing
        if self.first_text[key] is None and bad.any():
            row = int(np.argmax(bad))
            self.first_text[key] = (self.rows + row, str(array[row].as_py()))
        self.numbers[key] += int(is_number.sum())
        self.values[key][self.rows: self.rows + size] = values
        if is_missing.any():
            self._mark_missing(key, self.rows, ~is_missing)

    def put_lines(self, rows: int, piece: _Slice, consecutive: bool, first_line: int,
                  columns: int, delimiter: str) -> None:
        """Line numbers of a slice's ``rows`` rows: consecutive unless the slice has blanks."""
        target = self.lines[self.rows: self.rows + rows]
        if consecutive:
            target[:] = np.arange(first_line, first_line + rows, dtype=np.int64)
            return
        lines = _row_lines(piece, first_line, columns, delimiter)
        if lines.size == rows:
            target[:] = lines
        else:  # quoted line breaks or bare CR line ends: arrow's rows are not our lines
            target[:] = -1
            self.lines_known = False


def _options(keys: list[str], header: _Header, as_text: bool, handler: _InvalidRows):
    read = pacsv.ReadOptions(column_names=keys, block_size=ARROW_BLOCK_BYTES, use_threads=True)
    parse = pacsv.ParseOptions(delimiter=header.delimiter, invalid_row_handler=handler,
                               ignore_empty_lines=False)
    kind = pa.string() if as_text else pa.float64()
    convert = pacsv.ConvertOptions(
        column_types={key: kind for key in keys},
        null_values=list(NULL_TOKENS),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        decimal_point="," if header.decimal_comma and not as_text else ".",
    )
    return read, parse, convert


def _parse(data: _Utf8Bytes, header: _Header, keys: list[str], as_text: bool, label: str,
           progress: Progress) -> _Output:
    """Every row into float64 arrays, one slice (a few MB of whole lines) at a time.

    Each slice is parsed by arrow with all cores, copied into arrays sized from the first
    slice's bytes per line (grown if the estimate was short, trimmed at the end), and
    dropped, so memory stays near the final arrays plus one slice.
    """
    handler = _InvalidRows()
    read, parse, convert = _options(keys, header, as_text, handler)
    pool = pa.system_memory_pool()  # plain malloc: freed slice buffers are reused at once
    out: _Output | None = None
    first_line = header.line + 1
    done = 0
    # Rows are one per line while arrow skips nothing; checked by a newline count on the
    # first slice (which also sizes the arrays) and on any slice where a line was skipped.
    trust_skips = True
    for piece in data.line_slices(header.end, SLICE_BYTES, label):
        check_cancelled(progress)
        line_count = None
        if out is None:  # size the arrays from the first slice's bytes per line
            line_count = piece.line_count()
            out = _Output(keys, int((data.size - header.end) / max(1, piece.size / max(1, line_count))
                                    * 1.02) + 16)
        skipped_before = handler.skipped
        try:
            part = pacsv.read_csv(pa.BufferReader(piece.arrow()), read_options=read,
                                  parse_options=parse, convert_options=convert, memory_pool=pool)
        except pa.ArrowInvalid as error:
            message = str(error)
            if "Empty CSV file" in message:
                part = None
            elif not as_text and "conversion error" in message:
                raise _RetryAsText() from None
            elif handler.bad_text is not None:
                line = _line_with_text(piece, first_line, handler.bad_text)
                raise InputError(
                    label, f"{len(keys)} {DELIMITER_NAMES[header.delimiter]}-separated fields "
                    "as in the header", line=line,
                    found=f"{handler.bad_fields} field(s): {handler.bad_text[:80]!r}") from None
            else:
                raise InputError(label, "a readable CSV/TSV table", found=message[:200]) from None
        rows = part.num_rows if part is not None else 0
        skipped = handler.skipped - skipped_before
        if line_count is not None and line_count != rows + skipped:
            trust_skips = False  # e.g. bare CR line ends: count every slice from now on
        consecutive = trust_skips and skipped == 0
        if not consecutive and line_count is None:
            line_count = piece.line_count()
        if rows:
            out.reserve(rows)
            for key in keys:
                column = part.column(key)  # type: ignore[union-attr]
                if as_text:
                    out.put_text(key, column, header.decimal_comma)
                else:
                    out.put_floats(key, column)
            out.put_lines(rows, piece, consecutive, first_line, len(keys), header.delimiter)
            out.rows += rows
        del part
        first_line += rows if consecutive else line_count  # type: ignore[operator]
        done += piece.size
        progress.report(min(0.95, done / max(1, data.size)), f"{out.rows:,} rows")
    return out if out is not None else _Output(keys, 0)


def read_table(source: TextSource, progress: Progress = NO_PROGRESS) -> Table:
    """Parse ``source`` (a delimited text with a header row) into numeric columns.

    Raises :class:`InputError` for text without a header, rows with the wrong number of
    fields and non-number cells in numeric columns. Zero data rows is not an error here.
    """
    label = source.label
    progress.report(0.0, "reading table")
    data = _utf8_bytes(source, progress)
    try:
        return _read(data, label, progress)
    finally:
        data.close()


def _trimmed(array: np.ndarray, rows: int) -> np.ndarray:
    """The first ``rows`` entries; a copy when the array was sized much larger."""
    if array.shape[0] - rows > rows // 8 + 1024:
        return array[:rows].copy()
    return array[:rows]


def _read(data: _Utf8Bytes, label: str, progress: Progress) -> Table:
    header = _read_header(data, label)
    if header is None:
        raise InputError(label, "a header row naming the columns", found="only blank lines")
    warnings: list[str] = []
    names = _unique_names(header.names, warnings)
    keys = [f"c{index}" for index in range(len(names))]
    as_text = False
    try:
        try:
            out = _parse(data, header, keys, False, label, progress)
        except _RetryAsText:
            # Some cell is not a plain number (spaces, a word, a list): read as text.
            as_text = True
            out = _parse(data, header, keys, True, label, progress)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise InputError(label, "a readable CSV/TSV table", found=str(error)[:200]) from None
    rows = out.rows
    lines = _trimmed(out.lines, rows)
    if not out.lines_known:
        warnings.append("some line numbers are unknown: the file has quoted line breaks or "
                        "bare CR line ends")
    columns: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray | None] = {}
    text_columns: dict[str, str] = {}
    text_lines: dict[str, int] = {}
    first_bad: tuple[int, int, str] | None = None  # (row, column index, cell)
    for index, (key, name) in enumerate(zip(keys, names)):
        first_text = out.first_text[key]
        if as_text and first_text is not None:
            row, cell = first_text
            if out.numbers[key] == 0:
                text_columns[name] = cell
                text_lines[name] = int(lines[row])
                continue
            if first_bad is None or (row, index) < first_bad[:2]:
                first_bad = (row, index, cell)
        columns[name] = _trimmed(out.values.pop(key), rows)
        mask = out.present.pop(key)
        present[name] = None if mask is None else _trimmed(mask, rows)
    if first_bad is not None:
        row, index, cell = first_bad
        line = int(lines[row]) if lines[row] > 0 else None
        raise InputError(label, f"a number in column {names[index]!r}", line=line,
                         entry=f"column {names[index]}", found=repr(cell[:60]))
    table = Table(label, names, header.text, header.line, header.delimiter, columns, present,
                  lines, text_columns, text_lines, warnings)
    _drop_blank_rows(table)
    progress.report(1.0, f"{table.rows:,} rows")
    return table


def _drop_blank_rows(table: Table) -> None:
    """Rows with no number at all (empty lines, ``,,,``, a line of tabs) are blank lines."""
    masks = [table.present.get(name) for name in table.columns]
    if not masks or any(mask is None for mask in masks):
        return
    keep = np.logical_or.reduce(masks)  # type: ignore[arg-type]
    if keep.all():
        return
    table.lines = table.lines[keep]
    for name in table.columns:
        table.columns[name] = table.columns[name][keep]
        table.present[name] = table.present[name][keep]  # type: ignore[index]


# --------------------------------------------------------------------------------------
# Helpers for the readers built on tables
# --------------------------------------------------------------------------------------


def whole_numbers(table: Table, name: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Column ``name`` (only the rows where the bool mask ``rows`` is True) as int64.

    InputError naming the line when a value is not a whole number (or is missing).
    """
    values = table.columns[name]
    picked = values if rows is None else values[rows]
    with np.errstate(invalid="ignore"):  # NaN/inf cast to garbage: caught by the comparison
        whole = picked.astype(np.int64)
        bad = whole != picked  # NaN, inf and fractions differ from their integer cast
    if bad.any():
        index = int(np.argmax(bad))
        row = index if rows is None else int(np.flatnonzero(rows)[index])
        raise InputError(table.label, f"whole numbers in column {name!r}", line=table.line_of(row),
                         entry=f"column {name}", found=_cell_text(table, name, row))
    return whole


def key_rows(table: Table, name: str) -> tuple[np.ndarray | slice, np.ndarray]:
    """Rows where key column ``name`` has a value (``slice(None)`` when all do) and the
    key values there as int64."""
    present = table.present.get(name)
    keys = whole_numbers(table, name, present)
    return (slice(None) if present is None else np.flatnonzero(present)), keys


def compose(first: np.ndarray | slice, then: np.ndarray | slice) -> np.ndarray | slice:
    """``rows[first][then]`` as one indexer (slices stand for "all rows")."""
    if isinstance(then, slice):
        return first
    if isinstance(first, slice):
        return then
    return first[then]


def _cell_text(table: Table, name: str, row: int) -> str:
    present = table.present.get(name)
    if present is not None and not present[row]:
        return "an empty cell"
    return repr(float(table.columns[name][row]))


def last_per_key(keys: np.ndarray) -> tuple[np.ndarray | slice, bool]:
    """Indexes that keep the last row for each key, sorted by key; and whether any repeated.

    When the keys already increase strictly (the usual log) the result is ``slice(None)``,
    so callers index without copying and series can share one x array.
    """
    if keys.size == 0 or bool(np.all(keys[1:] > keys[:-1])):
        return slice(None), False
    reversed_keys = keys[::-1]
    _, first_in_reversed = np.unique(reversed_keys, return_index=True)
    index = keys.size - 1 - first_in_reversed
    return index.astype(np.int64), bool(index.size != keys.size)


def column_series(table: Table, name: str, canonical: str, axis: str,
                  rows: np.ndarray | slice, x: np.ndarray) -> Series | None:
    """Column ``name`` at ``rows`` against ``x`` as a Series; missing cells are left out.

    With ``rows`` a slice and no missing cell, the Series' arrays are views: series of one
    table share their x and line arrays instead of copying them per metric.
    """
    values = table.columns[name][rows]
    lines = table.lines[rows]
    present = table.present.get(name)
    if present is not None:
        keep = present[rows]
        if not keep.all():
            values, x, lines = values[keep], x[keep], lines[keep]
    if values.size == 0:
        return None
    return Series(name=canonical, axis=axis, x=x, y=values, raw_name=name,  # type: ignore[arg-type]
                  source_path=table.label, source_lines=lines)


def run_name(label: str) -> str:
    """A short run name from a file path: ``healthy_mlp/log.csv``; labels stay as they are."""
    if label.startswith("<"):
        return label
    parent = os.path.basename(os.path.dirname(os.path.abspath(label)))
    base = os.path.basename(label)
    return f"{parent}/{base}" if parent else base


__all__ = [
    "Peek", "Table", "peek", "read_table", "detect_delimiter", "split_line", "whole_numbers",
    "last_per_key", "key_rows", "compose", "column_series", "run_name",
]
