"""TFRecord files and the few protobuf messages of TensorBoard event files, without TensorFlow.

A TFRecord file is a sequence of records::

    uint64 length            little-endian
    uint32 masked_crc32c(length bytes)
    bytes  data[length]
    uint32 masked_crc32c(data)

TensorBoard event files (``events.out.tfevents.*``) hold one serialized
``tensorflow.Event`` per record. This module reads them with a small protobuf
wire-format decoder that knows just enough of ``Event``, ``Summary``, ``Summary.Value``,
``SummaryMetadata``, ``TensorProto`` and ``TensorShapeProto`` to get scalar values out:

- TF1 / PyTorch ``SummaryWriter`` / tensorboardX scalars: ``Summary.Value.simple_value``;
- TF2 ``tf.summary.scalar`` (the Keras TensorBoard callback): a one-element ``TensorProto``
  (``DT_FLOAT`` usually) in ``tensor_content`` or ``float_val``/``double_val``/...

Everything else (images, histograms, audio, graphs, text) is skipped by offset
arithmetic, without decoding. We never import tensorflow, tensorboard or protobuf.

Record indices are 0-based: record 0 is the ``file_version`` header TensorFlow writes.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any, Iterator

from app.core.errors import InputError

# A record longer than this is not a TensorBoard event (the biggest real ones are images of
# a few MB); a length this large means the file is corrupt or not a TFRecord file at all.
MAX_RECORD_BYTES = 256 * 1024 * 1024
HEADER_BYTES = 12  # uint64 length + uint32 length crc
FOOTER_BYTES = 4  # uint32 data crc

# --------------------------------------------------------------------------------------
# CRC32C (Castagnoli), table-driven, pure Python.
# --------------------------------------------------------------------------------------

_CRC32C_POLY = 0x82F63B78  # reversed 0x1EDC6F41


def _make_crc32c_tables() -> list[list[int]]:
    """Eight 256-entry tables for "slicing-by-8": eight bytes per loop step in Python."""
    first = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC32C_POLY if crc & 1 else crc >> 1
        first.append(crc)
    tables = [first]
    for _ in range(7):
        previous = tables[-1]
        tables.append([(previous[i] >> 8) ^ first[previous[i] & 0xFF] for i in range(256)])
    return tables


_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _make_crc32c_tables()
_MASK_DELTA = 0xA282EAD8


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C of ``data`` (``crc32c(b"123456789") == 0xE3069283``); ``crc`` continues one."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7
    crc ^= 0xFFFFFFFF
    length = len(data)
    whole = length - length % 8
    if whole:
        from_bytes = int.from_bytes
        for pos in range(0, whole, 8):
            low = crc ^ from_bytes(data[pos:pos + 4], "little")
            high = from_bytes(data[pos + 4:pos + 8], "little")
            crc = (t7[low & 0xFF] ^ t6[(low >> 8) & 0xFF] ^ t5[(low >> 16) & 0xFF]
                   ^ t4[low >> 24] ^ t3[high & 0xFF] ^ t2[(high >> 8) & 0xFF]
                   ^ t1[(high >> 16) & 0xFF] ^ t0[high >> 24])
    for byte in data[whole:]:
        crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The CRC as TFRecord stores it: rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One TFRecord record: its 0-based index, byte offset, payload and stored data CRC."""

    index: int
    offset: int
    data: bytes
    data_crc: int

    def data_crc_ok(self) -> bool:
        """Whether the payload matches its stored CRC (costs a pure-Python pass over it)."""
        return masked_crc32c(self.data) == self.data_crc


def encode_record(data: bytes) -> bytes:
    """``data`` framed as one TFRecord record (used by tests and tools to craft files)."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + data
            + struct.pack("<I", masked_crc32c(data)))


def iter_records(
    path: str,
    *,
    verify_data: bool = False,
    warnings: list[str] | None = None,
    max_records: int | None = None,
) -> Iterator[Record]:
    """The records of the TFRecord file at ``path``, in order.

    The length CRC of every record is checked; a mismatch, or a length above
    :data:`MAX_RECORD_BYTES`, raises :class:`InputError` naming the file and the record.
    With ``verify_data`` the data CRC is checked too (slow in pure Python: callers may
    instead call :meth:`Record.data_crc_ok` on the records they actually use).
    A file that ends inside a record (TensorFlow still writing it) ends the iteration
    after the last complete record; a sentence saying so is appended to ``warnings``.
    """
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise InputError(path, "a readable TFRecord file", found=str(error)) from None
    length_crcs: dict[bytes, int] = {}
    with handle:
        offset = 0
        index = 0
        while max_records is None or index < max_records:
            try:
                header = handle.read(HEADER_BYTES)
            except OSError as error:
                raise InputError(path, "a readable TFRecord file", found=str(error),
                                 entry=f"record {index}") from None
            if not header:
                return  # clean end of file
            if len(header) < HEADER_BYTES:
                _truncated(path, index, offset, len(header), warnings)
                return
            length_bytes = header[:8]
            (length,) = struct.unpack("<Q", length_bytes)
            (length_crc,) = struct.unpack("<I", header[8:])
            expected_crc = length_crcs.get(length_bytes)
            if expected_crc is None:
                expected_crc = masked_crc32c(length_bytes)
                if len(length_crcs) < 4096:  # records of one file share few lengths
                    length_crcs[length_bytes] = expected_crc
            if expected_crc != length_crc:
                raise InputError(
                    path, "a TFRecord record header with a valid length checksum",
                    found=f"a checksum mismatch at byte {offset}",
                    entry=f"record {index}")
            if length > MAX_RECORD_BYTES:
                raise InputError(
                    path, f"a TFRecord record of at most {MAX_RECORD_BYTES} bytes",
                    found=f"a length of {length} bytes at byte {offset}",
                    entry=f"record {index}")
            try:
                body = handle.read(length + FOOTER_BYTES)
            except OSError as error:
                raise InputError(path, "a readable TFRecord file", found=str(error),
                                 entry=f"record {index}") from None
            if len(body) < length + FOOTER_BYTES:
                _truncated(path, index, offset, HEADER_BYTES + len(body), warnings)
                return
            data = body[:length]
            (data_crc,) = struct.unpack("<I", body[length:])
            record = Record(index, offset, data, data_crc)
            if verify_data and not record.data_crc_ok():
                raise InputError(
                    path, "a TFRecord record whose data matches its checksum",
                    found=f"a checksum mismatch in the {length} bytes at byte {offset + 12}",
                    entry=f"record {index}")
            yield record
            offset += HEADER_BYTES + length + FOOTER_BYTES
            index += 1


def _truncated(path: str, index: int, offset: int, have: int, warnings: list[str] | None) -> None:
    if warnings is not None:
        warnings.append(
            f"{path}: the file ends inside record {index} (byte {offset}, {have} byte(s) of it "
            "present); it may still be being written. Read the records before it.")


# --------------------------------------------------------------------------------------
# Protobuf wire format
# --------------------------------------------------------------------------------------


class ProtoError(ValueError):
    """Bytes that are not a well-formed protobuf message."""


_VARINT, _FIXED64, _LENGTH, _START_GROUP, _END_GROUP, _FIXED32 = 0, 1, 2, 3, 4, 5


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Decode a varint at ``pos``; returns (value, position after it)."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise ProtoError("varint runs past the end of the message")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtoError("varint longer than 10 bytes")


def _fields(buf: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """The fields of the message in ``buf[pos:end]``: (number, wire type, a, b).

    For varints ``a`` is the value; for fixed64/fixed32 ``a`` is the offset of the bytes;
    for length-delimited fields ``a:b`` is the slice of the payload. One-byte varints (the
    common case for keys and lengths) are decoded inline for speed.
    """
    while pos < end:
        key = buf[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = _varint(buf, pos, end)
        number = key >> 3
        wire = key & 7
        if number == 0:
            raise ProtoError("field number 0")
        if wire == _LENGTH:
            if pos >= end:
                raise ProtoError("length-delimited field runs past the end of the message")
            size = buf[pos]
            if size < 0x80:
                pos += 1
            else:
                size, pos = _varint(buf, pos, end)
            stop = pos + size
            if stop > end:
                raise ProtoError("length-delimited field runs past the end of the message")
            yield number, wire, pos, stop
            pos = stop
        elif wire == _VARINT:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value, 0
        elif wire == _FIXED64:
            if pos + 8 > end:
                raise ProtoError("64-bit field runs past the end of the message")
            yield number, wire, pos, 0
            pos += 8
        elif wire == _FIXED32:
            if pos + 4 > end:
                raise ProtoError("32-bit field runs past the end of the message")
            yield number, wire, pos, 0
            pos += 4
        else:
            # Groups are deprecated and unused by the messages we read.
            raise ProtoError(f"unsupported wire type {wire}")


def _signed64(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(buf: bytes, start: int, stop: int) -> str:
    return buf[start:stop].decode("utf-8", "replace")


# DataType enum values (tensorflow/core/framework/types.proto) → (struct format, size).
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_STRING, DT_INT64, DT_BOOL, DT_BFLOAT16, DT_HALF = (
    1, 2, 3, 7, 9, 10, 14, 19)
_DTYPE_FORMATS: dict[int, tuple[str, int]] = {
    DT_FLOAT: ("<f", 4),
    DT_DOUBLE: ("<d", 8),
    DT_INT32: ("<i", 4),
    4: ("<B", 1),  # DT_UINT8
    5: ("<h", 2),  # DT_INT16
    6: ("<b", 1),  # DT_INT8
    DT_INT64: ("<q", 8),
    DT_BOOL: ("<?", 1),
    17: ("<H", 2),  # DT_UINT16
    DT_HALF: ("<e", 2),
    22: ("<I", 4),  # DT_UINT32
    23: ("<Q", 8),  # DT_UINT64
}


@dataclass
class ScalarValue:
    """A scalar found in a ``Summary.Value``: its tag, value and plugin name (if given)."""

    tag: str
    value: float
    plugin: str | None = None  # "scalars" for tf.summary.scalar; None when not written


@dataclass
class Event:
    """The parts of a ``tensorflow.Event`` that TrainDoc uses."""

    wall_time: float = 0.0
    step: int = 0
    file_version: str | None = None
    scalars: list[ScalarValue] = field(default_factory=list)
    # Tags of non-scalar values with the plugin that wrote them (histograms, images ...),
    # so a reader can remember that later metadata-less values of that tag are not scalars.
    other_plugins: dict[str, str] = field(default_factory=dict)
    has_summary: bool = False


def decode_event(data: bytes) -> Event:
    """Decode the scalars of one serialized ``tensorflow.Event``; raises :class:`ProtoError`."""
    event = Event()
    end = len(data)
    for number, wire, a, b in _fields(data, 0, end):
        if number == 1 and wire == _FIXED64:
            (event.wall_time,) = struct.unpack_from("<d", data, a)
        elif number == 2 and wire == _VARINT:
            event.step = _signed64(a)
        elif number == 3 and wire == _LENGTH:
            event.file_version = _text(data, a, b)
        elif number == 5 and wire == _LENGTH:
            event.has_summary = True
            _decode_summary(data, a, b, event)
        # graph_def (4), log_message (6), session_log (7), run metadata (8), meta graph (9),
        # source_metadata (10) and unknown fields are skipped.
    return event


def _decode_summary(buf: bytes, pos: int, end: int, event: Event) -> None:
    for number, wire, a, b in _fields(buf, pos, end):
        if number == 1 and wire == _LENGTH:
            _decode_value(buf, a, b, event)


def _decode_value(buf: bytes, pos: int, end: int, event: Event) -> None:
    """One ``Summary.Value``: keep it when it holds a scalar."""
    tag = ""
    simple: float | None = None
    tensor: tuple[int, int] | None = None
    plugin: str | None = None
    for number, wire, a, b in _fields(buf, pos, end):
        if number == 1 and wire == _LENGTH:
            tag = _text(buf, a, b)
        elif number == 7 and wire == _LENGTH and not tag:
            tag = _text(buf, a, b)  # node_name, the TF1 spelling of the tag
        elif number == 2 and wire == _FIXED32:
            (simple,) = struct.unpack_from("<f", buf, a)
        elif number == 8 and wire == _LENGTH:
            tensor = (a, b)
        elif number == 9 and wire == _LENGTH:
            raw = buf[a:b]  # the same few bytes for every value of a tag: decode once
            plugin = _PLUGIN_NAMES.get(raw, _MISSING)
            if plugin is _MISSING:
                plugin = _plugin_name(buf, a, b)
                if len(_PLUGIN_NAMES) < 1024:
                    _PLUGIN_NAMES[raw] = plugin
        # image (4), histo (5), audio (6), old-style histogram (3): skipped.
    if simple is not None:
        event.scalars.append(ScalarValue(tag, simple, plugin))
        return
    if tensor is not None and plugin in (None, "scalars", ""):
        value = _tensor_scalar(buf, tensor[0], tensor[1])
        if value is not None:
            event.scalars.append(ScalarValue(tag, value, plugin))
            return
    if plugin:
        event.other_plugins[tag] = plugin


_MISSING: Any = object()
_PLUGIN_NAMES: dict[bytes, str | None] = {}  # serialized SummaryMetadata → plugin name


def _plugin_name(buf: bytes, pos: int, end: int) -> str | None:
    for number, wire, a, b in _fields(buf, pos, end):
        if number == 1 and wire == _LENGTH:  # plugin_data
            for inner, inner_wire, c, d in _fields(buf, a, b):
                if inner == 1 and inner_wire == _LENGTH:
                    return _text(buf, c, d)
    return None


def _shape_elements(buf: bytes, pos: int, end: int) -> int | None:
    """Number of elements of a ``TensorShapeProto`` (``None`` for unknown rank/sizes)."""
    count = 1
    for number, wire, a, b in _fields(buf, pos, end):
        if number == 2 and wire == _LENGTH:  # dim
            size = 1
            for inner, inner_wire, c, _d in _fields(buf, a, b):
                if inner == 1 and inner_wire == _VARINT:
                    size = _signed64(c)
            if size < 0:
                return None
            count *= size
            if count > 1 << 40:
                return None
        elif number == 3 and wire == _VARINT and a:  # unknown_rank
            return None
    return count


def _tensor_scalar(buf: bytes, pos: int, end: int) -> float | None:
    """The value of a one-element numeric ``TensorProto``; ``None`` for anything else."""
    dtype = 0
    elements = 1
    content: tuple[int, int] | None = None
    values: list[float] = []
    for number, wire, a, b in _fields(buf, pos, end):
        if number == 1 and wire == _VARINT:
            dtype = a
            if dtype not in _DTYPE_FORMATS and dtype != DT_BFLOAT16:
                return None  # strings (text, images), complex, resources ...
        elif number == 2 and wire == _LENGTH:
            shape = _shape_elements(buf, a, b)
            if shape != 1:
                return None  # histograms, images, vectors
            elements = shape
        elif number == 4 and wire == _LENGTH:
            content = (a, b)
        elif number in (5, 6, 7, 10, 11, 13, 16, 17) and len(values) <= 1:
            _append_repeated(buf, number, wire, a, b, values)
    if elements != 1:
        return None
    if content is not None and content[1] > content[0]:
        return _from_content(buf[content[0]:content[1]], dtype)
    if len(values) == 1:
        value = values[0]
        if dtype == DT_HALF:  # half_val holds the raw 16 bits
            return struct.unpack("<e", struct.pack("<H", int(value) & 0xFFFF))[0]
        if dtype == DT_BFLOAT16:
            return struct.unpack("<f", struct.pack("<I", (int(value) & 0xFFFF) << 16))[0]
        return value
    return None


def _from_content(raw: bytes, dtype: int) -> float | None:
    if dtype == DT_BFLOAT16:
        if len(raw) != 2:
            return None
        return struct.unpack("<f", b"\x00\x00" + raw)[0]
    spec = _DTYPE_FORMATS.get(dtype)
    if spec is None or len(raw) != spec[1]:
        return None
    return float(struct.unpack(spec[0], raw)[0])


def _append_repeated(buf: bytes, number: int, wire: int, a: int, b: int,
                     values: list[float]) -> None:
    """Collect (at most two) values of a repeated numeric TensorProto field."""
    if number == 5:  # float_val
        if wire == _FIXED32:
            values.append(struct.unpack_from("<f", buf, a)[0])
        elif wire == _LENGTH:
            values.extend(struct.unpack_from("<f", buf, a + 4 * i)[0]
                          for i in range(min(2, (b - a) // 4)))
    elif number == 6:  # double_val
        if wire == _FIXED64:
            values.append(struct.unpack_from("<d", buf, a)[0])
        elif wire == _LENGTH:
            values.extend(struct.unpack_from("<d", buf, a + 8 * i)[0]
                          for i in range(min(2, (b - a) // 8)))
    else:  # varint fields: int_val 7, int64_val 10, bool_val 11, half_val 13, uint32 16, uint64 17
        signed = number in (7, 10)
        if wire == _VARINT:
            values.append(float(_signed64(a) if signed else a))
        elif wire == _LENGTH:
            pos = a
            while pos < b and len(values) <= 1:
                value, pos = _varint(buf, pos, b)
                values.append(float(_signed64(value) if signed else value))


# --------------------------------------------------------------------------------------
# Convenience
# --------------------------------------------------------------------------------------


def looks_like_event_file(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) starts with an Event TFRecord record.

    True when the first record's length checksum is right, the record is complete in
    ``head`` and it decodes as an ``Event`` with a ``brain.Event:`` file version.
    """
    if len(head) < HEADER_BYTES + FOOTER_BYTES:
        return False
    (length,) = struct.unpack_from("<Q", head, 0)
    if masked_crc32c(head[:8]) != struct.unpack_from("<I", head, 8)[0]:
        return False
    if length > len(head) - HEADER_BYTES - FOOTER_BYTES:
        return False
    try:
        event = decode_event(head[HEADER_BYTES:HEADER_BYTES + length])
    except ProtoError:
        return False
    return bool(event.file_version and event.file_version.startswith("brain.Event:"))


def file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
