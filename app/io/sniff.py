"""Text encodings and the first look at a file.

Logs arrive in UTF-8 (with or without BOM), GBK/GB18030 from Chinese Windows consoles and
UTF-16 from PowerShell redirection. :func:`detect_encoding` decides from the first bytes;
:class:`TextSource` then streams the text in that encoding without holding the file.
"""

from __future__ import annotations

import codecs
import io
import os
from dataclasses import dataclass
from typing import Iterator, TextIO

HEAD_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_length(encoding: str) -> int:
    return {"utf-8-sig": 3, "utf-16-le": 2, "utf-16-be": 2, "utf-32-le": 4, "utf-32-be": 4}.get(
        encoding, 0
    )


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without BOM shows as NUL bytes in every other position (for ASCII text)."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _decodes(head: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(head, final=False)  # a character cut at the end of head is fine
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(head: bytes) -> str | None:
    """The text encoding of a file that starts with ``head``; ``None`` if it is binary."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    if b"\x00" in head:
        return None
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    return None


def looks_binary(text: str) -> bool:
    """Decoded text with many control characters is not a log (``\\b``/``\\r``/tab are fine)."""
    if not text:
        return False
    bad = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\b\x1b\x0c")
    return bad > max(8, len(text[:8192]) // 100)


@dataclass(frozen=True)
class Probe:
    """What readers look at to say whether a file is theirs."""

    path: str  # as given (display label for pasted text)
    name: str  # lower-case base name
    size: int  # bytes (characters for pasted text)
    head: bytes  # the first HEAD_BYTES bytes (encoded UTF-8 for pasted text)
    text: str | None  # head decoded, None for binary files
    encoding: str | None
    is_dir: bool = False


class TextSource:
    """A text to read: a file in a known encoding, or a string (pasted text, stdin)."""

    def __init__(self, label: str, *, path: str | None = None, text: str | None = None,
                 encoding: str = "utf-8", size: int | None = None) -> None:
        if (path is None) == (text is None):
            raise ValueError("give exactly one of path and text")
        self.label = label
        self.path = path
        self._text = text
        self.encoding = encoding
        if size is None:
            size = os.path.getsize(path) if path is not None else len(text or "")
        self.size = size

    @classmethod
    def from_file(cls, path: str, encoding: str) -> "TextSource":
        return cls(str(path), path=str(path), encoding=encoding)

    @classmethod
    def from_text(cls, text: str, label: str = "<pasted text>") -> "TextSource":
        if text.startswith("\ufeff"):
            text = text[1:]
        return cls(label, text=text)

    def open(self) -> TextIO:
        """A fresh text stream. Newlines are not translated: ``\\r`` redraws stay visible."""
        if self._text is not None:
            return io.StringIO(self._text, newline="")
        return open(self.path, encoding=self.encoding, errors="replace", newline="")  # type: ignore[arg-type]

    def chunks(self, size: int = 1 << 22) -> Iterator[str]:
        """The text in pieces of about ``size`` characters."""
        with self.open() as stream:
            while True:
                chunk = stream.read(size)
                if not chunk:
                    return
                yield chunk

    def head(self, chars: int = HEAD_BYTES) -> str:
        with self.open() as stream:
            return stream.read(chars)


def probe_file(path: str) -> Probe:
    """Read the head of ``path`` and decide its encoding."""
    if os.path.isdir(path):
        return Probe(path, os.path.basename(os.path.normpath(path)).lower(), 0, b"", None, None, True)
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    size = os.path.getsize(path)
    encoding = detect_encoding(head)
    text = None
    if encoding is not None:
        text = codecs.getincrementaldecoder(encoding)("replace").decode(head, final=False)
        if encoding == "utf-8-sig" and text.startswith("\ufeff"):
            text = text[1:]
        if looks_binary(text):
            text, encoding = None, None
    return Probe(path, os.path.basename(path).lower(), size, head, text, encoding)


def probe_text(text: str, label: str = "<pasted text>") -> Probe:
    if text.startswith("\ufeff"):
        text = text[1:]
    head = text[:HEAD_BYTES]
    return Probe(label, label.lower(), len(text), head.encode("utf-8", "replace"), head, "utf-8")
