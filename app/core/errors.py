"""The one error type for input that cannot be read.

Every reader raises :class:`InputError` (never a bare ``ValueError`` or a library's own
exception) so the CLI and the GUI can render one clear sentence: which file, which line or
entry, what was expected and what was found.
"""

from __future__ import annotations


class InputError(Exception):
    """A file or text that TrainDoc cannot read.

    ``path`` is the file (or a label such as ``<pasted text>``), ``line`` a 1-based line
    number when the problem sits on one line, ``entry`` a member or key inside the file
    (a zip member, a JSON key, an HDF5 attribute, a TFRecord index), ``expected`` what a
    readable input would have there and ``found`` what was there instead.
    """

    def __init__(
        self,
        path: str,
        expected: str,
        *,
        found: str | None = None,
        line: int | None = None,
        entry: str | None = None,
    ) -> None:
        self.path = str(path)
        self.expected = expected
        self.found = found
        self.line = line
        self.entry = entry
        super().__init__(self.message())

    def __reduce__(self):  # crosses process boundaries (app.io.isolated) with its fields
        return (_rebuild_input_error, (self.path, self.expected, self.found, self.line, self.entry))

    def message(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", line {self.line}"
        if self.entry is not None:
            where += f", {self.entry}"
        text = f"{where}: expected {self.expected}"
        if self.found is not None:
            found = self.found if len(self.found) <= 120 else self.found[:117] + "..."
            text += f", found {found}"
        return text

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "entry": self.entry,
            "expected": self.expected,
            "found": self.found,
            "message": self.message(),
        }


def _rebuild_input_error(path, expected, found, line, entry) -> InputError:
    return InputError(path, expected, found=found, line=line, entry=entry)
