"""Repair the text layer of Qt's PDFs so Chinese text copies and searches as written.

Qt writes, for every embedded font, a ToUnicode CMap (glyph → character) by looking up,
for each glyph, the *lowest* code point the font maps to it. CJK fonts map the Kangxi
radicals (U+2F00…) and CJK radicals (U+2E80…) to the same glyphs as the ideographs, so
"生成" lands in the text layer as "⽣成" (U+2F63, KANGXI RADICAL LIFE): it looks the same
but search, copy and ``pdftotext`` see other characters. Spaces come out as tabs for the
same reason, and ligatures ("ﬁ") stand where the text has two letters.

:func:`fix_to_unicode` rewrites those CMaps with a replacement function (the caller
knows which characters were drawn, see :mod:`app.report.pdf`) and rebuilds the xref
table, leaving the rest of the file byte for byte as Qt wrote it. Pure Python.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_TO_UNICODE_REF = re.compile(rb"/ToUnicode\s+(\d+)\s+0\s+R")
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")
_CMAP_HEADER = (
    "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
)
_CMAP_FOOTER = "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"


def is_radical(char: str) -> bool:
    """CJK Radicals Supplement or Kangxi Radicals: look like ideographs, are not text."""
    return len(char) == 1 and 0x2E80 <= ord(char) <= 0x2FDF


def is_ligature(char: str) -> bool:
    """Latin ligatures (ﬁ, ﬂ …) the font draws for "fi", "fl" …"""
    return len(char) == 1 and 0xFB00 <= ord(char) <= 0xFB06


def default_replacement(char: str) -> str:
    """Tabs → spaces; ligatures → their letters (ﬁ → fi); radicals → the ideograph they
    normalize to (NFKC: ⽣ → 生), when there is one."""
    if char == "\t":
        return " "
    if is_radical(char) or is_ligature(char):
        normal = unicodedata.normalize("NFKC", char)
        if normal and not any(is_radical(c) for c in normal):
            return normal
    return char


def _utf16(hex_text: bytes) -> str:
    raw = bytes.fromhex(hex_text.decode("ascii"))
    return raw.decode("utf-16-be", errors="replace")


def _hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def parse_cmap(text: bytes) -> dict[int, str]:
    """CID → text from a ToUnicode CMap's ``bfrange``/``bfchar`` sections."""
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        values = _HEX.findall(block)
        for cid, uni in zip(values[0::2], values[1::2]):
            mapping[int(cid, 16)] = _utf16(uni)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if not line:
                continue
            parts = _HEX.findall(line)
            if len(parts) < 3:
                continue
            first, last = int(parts[0], 16), int(parts[1], 16)
            if b"[" in line:
                for offset, uni in enumerate(parts[2:]):
                    mapping[first + offset] = _utf16(uni)
            else:
                start = _utf16(parts[2])
                for offset in range(last - first + 1):
                    # Only the last UTF-16 unit increments across a range.
                    mapping[first + offset] = start[:-1] + chr(ord(start[-1]) + offset) if start else ""
    return mapping


def build_cmap(mapping: dict[int, str]) -> bytes:
    lines = [_CMAP_HEADER]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):  # at most 100 entries per section (PDF spec)
        chunk = items[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar\n")
        lines.extend(f"<{cid:04X}> <{_hex(text)}>\n" for cid, text in chunk)
        lines.append("endbfchar\n")
    lines.append(_CMAP_FOOTER)
    return "".join(lines).encode("ascii")


def _object_span(pdf: bytes, offset: int) -> tuple[int, int]:
    end = pdf.find(b"endobj", offset)
    if end < 0:
        raise ValueError(f"object at byte {offset} has no endobj")
    return offset, end + len(b"endobj")


def fix_to_unicode(pdf: bytes, replace: Callable[[str], str] = default_replacement) -> bytes:
    """The PDF with every ToUnicode CMap's characters passed through ``replace``.

    Works on the classic cross-reference tables Qt writes (uncompressed CMap streams); a
    file it does not understand is returned unchanged.
    """
    try:
        start_at = pdf.rindex(b"startxref")
        xref_at = int(pdf[start_at + len(b"startxref"):].split()[0])
        if not pdf.startswith(b"xref", xref_at):
            return pdf
        trailer_at = pdf.index(b"trailer", xref_at)
    except ValueError:
        return pdf
    # Parse the xref table: subsections "first count" followed by entries.
    offsets: dict[int, int] = {}
    tokens = pdf[xref_at + 4:trailer_at].split(b"\n")
    number = 0
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        entry = _XREF_ENTRY.match(token)
        if entry:
            if entry.group(3) == b"n":
                offsets[number] = int(entry.group(1))
            number += 1
            continue
        head = token.split()
        if len(head) == 2 and all(h.isdigit() for h in head):
            number = int(head[0])
    targets = {int(n) for n in _TO_UNICODE_REF.findall(pdf)}
    replacements: list[tuple[int, int, bytes]] = []
    for obj in sorted(targets):
        if obj not in offsets:
            continue
        begin, end = _object_span(pdf, offsets[obj])
        body = pdf[begin:end]
        stream_at = body.find(b"stream")
        if stream_at < 0 or b"/Filter" in body[:stream_at]:
            continue  # compressed or odd: leave as is
        data_start = stream_at + len(b"stream")
        data_start += 2 if body[data_start:data_start + 2] == b"\r\n" else 1
        data_end = body.rfind(b"endstream")
        mapping = parse_cmap(body[data_start:data_end])
        fixed = {cid: "".join(replace(ch) for ch in text) for cid, text in mapping.items()}
        if fixed == mapping:
            continue
        cmap = build_cmap(fixed)
        new = (f"{obj} 0 obj\n<< /Length {len(cmap)} >>\nstream\n".encode("ascii") + cmap
               + b"endstream\nendobj")
        replacements.append((begin, end, new))
    if not replacements:
        return pdf
    replacements.sort()

    def moved(offset: int) -> int:
        return offset + sum(len(new) - (end - begin) for begin, end, new in replacements if end <= offset)

    out = bytearray()
    cursor = 0
    for begin, end, new in replacements:
        out += pdf[cursor:begin] + new
        cursor = end
    out += pdf[cursor:xref_at]
    # A fresh xref table with every object's new offset.
    size = max(offsets) + 1 if offsets else 1
    out += f"xref\n0 {size}\n".encode("ascii")
    out += b"0000000000 65535 f \n"
    for obj in range(1, size):
        if obj in offsets:
            out += f"{moved(offsets[obj]):010d} 00000 n \n".encode("ascii")
        else:
            out += b"0000000000 65535 f \n"
    trailer_end = pdf.index(b"startxref", trailer_at)
    out += pdf[trailer_at:trailer_end]
    out += f"startxref\n{moved(xref_at)}\n%%EOF\n".encode("ascii")
    return bytes(out)
