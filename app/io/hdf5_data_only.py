"""HDF5 is data only: a model file may not make TrainDoc read another file.

HDF5 can point outside the file it is in: *external links* name an object in another HDF5
file, *external raw storage* keeps a dataset's bytes in any file on disk (``/etc/passwd``
read as a kernel ends up in a patched model), *virtual datasets* map their data from other
files. :func:`check_data_only` walks the link structure of an open file (links only, never a
dataset's data) and raises :class:`~app.core.errors.InputError` naming the first such
reference, before anything is read. Soft links stay inside the file by construction; one that
names a path through an external link is caught at that link.
"""

from __future__ import annotations

from typing import Any

import h5py

from app.core.errors import InputError

MAX_LINKS = 200_000  # links visited at most; a larger structure is refused as well


def foreign_reference(root: Any) -> str | None:
    """The first reference of ``root`` (an open ``h5py.File`` or group) to data outside the
    file, described in a few words, or None."""
    seen: set = set()
    pending = [(root, "/")]
    budget = MAX_LINKS
    while pending:
        group, where = pending.pop()
        if group.id in seen:  # a group linked twice (or in a loop) is walked once
            continue
        seen.add(group.id)
        for name in group.keys():
            budget -= 1
            if budget <= 0:
                return f"more than {MAX_LINKS} links (refused rather than walked)"
            path = where.rstrip("/") + "/" + name
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                return f"an external link at {path} to {link.filename!r}:{link.path}"
            if isinstance(link, h5py.SoftLink):
                continue  # a path inside this file; what it names is walked where it lives
            item = group.get(name)
            if isinstance(item, h5py.Dataset):
                external = item.external
                if external:
                    return f"a dataset at {path} whose bytes are stored in {external[0][0]!r}"
                if item.is_virtual:
                    sources = item.virtual_sources()
                    named = sources[0].file_name if sources else "other files"
                    return f"a virtual dataset at {path} mapped from {named!r}"
            elif isinstance(item, h5py.Group):
                pending.append((item, path))
    return None


def check_data_only(root: Any, label: str, expected: str, entry: str | None = None) -> None:
    """Raise :class:`InputError` when ``root`` refers to data outside its file."""
    found = foreign_reference(root)
    if found is not None:
        raise InputError(label, expected, entry=entry,
                         found=f"references to other files, refused (a model file may not make TrainDoc "
                               f"read other files): {found}")
