"""Writing outputs: always a new file, atomically, never over an input.

Everything TrainDoc writes (reports, patched models, training configs) goes through
:func:`write_atomic`: the data lands in a temporary file in the target folder and is moved
into place with ``os.replace``, so a crash leaves either the old file or the new one, never
half a file. Paths that were inputs of the session, or lie in a folder given as input, are
refused; an existing file is replaced only when the user asked for it.
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterable


class OutputError(Exception):
    """An output that must not or cannot be written (it would overwrite an input, ...)."""


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _inside(path: str, folder: str) -> bool:
    try:
        real, base = os.path.realpath(path), os.path.realpath(folder)
        return os.path.commonpath([real, base]) == base
    except ValueError:  # different drives
        return False


def check_output(path: str | os.PathLike, inputs: Iterable[str] = (), *, overwrite: bool = False) -> str:
    """Refuse an output path that is one of ``inputs``, lies inside an input folder, or
    exists while ``overwrite`` was not asked for (``--force``; the app's save dialogs ask)."""
    path = os.fspath(path)
    for source in inputs:
        source = os.fspath(source)
        if os.path.isdir(source) and _inside(path, source):
            raise OutputError(f"{path}: refusing to write inside {source}, a folder given as input; "
                              "choose a file elsewhere")
        if os.path.exists(path) and same_file(path, source):
            raise OutputError(f"{path}: refusing to overwrite an input file; choose a new file name")
    if os.path.exists(path) and not overwrite:
        raise OutputError(f"{path}: the file exists; choose a new name (or --force to replace it)")
    return path


def write_atomic(path: str | os.PathLike, data: bytes | str, *, inputs: Iterable[str] = (),
                 encoding: str = "utf-8", overwrite: bool = False) -> str:
    """Write ``data`` to ``path`` atomically; refused as :func:`check_output` says."""
    path = check_output(path, inputs, overwrite=overwrite)
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        raise OutputError(f"{path}: the folder {folder} does not exist")
    payload = data.encode(encoding) if isinstance(data, str) else data
    handle, temp = tempfile.mkstemp(prefix=".traindoc-", suffix=".part", dir=folder)
    try:
        # mkstemp makes the file private (0600); a report is shared: use the umask's default.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return path
