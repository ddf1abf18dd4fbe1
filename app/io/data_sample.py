"""A sample of the training data given beside a run (``traindoc diagnose ... --data SAMPLE``).

Read as data, never as code: ``.npz`` and ``.npy`` with ``allow_pickle=False`` (an object
array is refused, not unpickled), CSV/TSV through pyarrow, an image folder only listed (one
subfolder per class; the probe worker decodes the files). At most ``MAX_ROWS`` rows are kept,
the first ones in file order: the order of the labels is itself evidence (class-sorted data).

Accepted shapes:

- ``sample.npz`` holding ``x``/``y`` (or ``x_train``/``y_train``, ``X``/``Y``, ``features``/
  ``labels`` ...), else its first two arrays;
- ``x.npy`` and ``y.npy`` (two paths; which is which from their names, else in the order given);
  one ``.npy`` alone is inputs without labels;
- ``sample.csv`` / ``.tsv`` with a label column chosen (``label=``) or guessed by name
  (``label``, ``target``, ``class``, ``y`` ...), else the last column; text labels become class
  indices in sorted order;
- a folder with one subfolder of images per class.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from app.core.errors import InputError

MAX_ROWS = 4096  # rows kept: enough for shares, order and scale; the probe uses fewer
MAX_FILE_BYTES = 2 * 2**30  # a sample, not a data set
MAX_ARRAY_BYTES = 512 * 2**20  # one array inside an .npz, uncompressed
X_NAMES = ("x", "x_train", "X", "X_train", "features", "inputs", "data", "images")
Y_NAMES = ("y", "y_train", "Y", "Y_train", "labels", "label", "targets", "target")
LABEL_COLUMNS = ("label", "labels", "target", "targets", "class", "y", "category")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}


@dataclass
class DataSample:
    """Inputs and labels of a data sample, as arrays (``x`` is ``None`` for an image folder:
    ``files`` lists its images and ``y`` their class indices)."""

    path: str
    kind: str  # "npz", "npy", "csv", "images"
    x: np.ndarray | None
    y: np.ndarray | None
    rows_total: int  # rows in the file (the first MAX_ROWS are kept)
    label_name: str | None = None  # the array or column the labels came from
    classes: list[str] | None = None  # names of text labels or of an image folder's classes
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was dropped or guessed
    validation: DataSample | None = None  # the validation_data sample given with it (--val-data)
    # what app.rules.data measured of x and y, kept: every case's diagnosis and the reports read it
    measured: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def rows(self) -> int:
        return int(self.y.shape[0]) if self.y is not None else int(self.x.shape[0]) if self.x is not None else 0


def read_data_sample(paths: str | os.PathLike | Sequence[str | os.PathLike], label: str | None = None) -> DataSample:
    """Read the sample at ``paths`` (one path, or two ``.npy`` files)."""
    items = [os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else [os.fspath(p) for p in paths]
    if not items or len(items) > 2:
        raise InputError(", ".join(items) or "<no path>", "a data sample: one .npz, .npy, CSV/TSV or image "
                         "folder, or two .npy files (inputs and labels)", found=f"{len(items)} paths")
    for item in items:
        if not os.path.exists(item):
            raise InputError(item, "a data sample file or folder", found="nothing at this path")
        if os.path.isfile(item) and os.path.getsize(item) > MAX_FILE_BYTES:
            raise InputError(item, f"a data sample of at most {MAX_FILE_BYTES // 2**30} GB (a few thousand rows "
                             "are used)", found=f"{os.path.getsize(item) / 2**30:.1f} GB")
    if len(items) == 2:
        return _npy_pair(items)
    path = items[0]
    if os.path.isdir(path):
        return _image_folder(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".npz":
        return _npz(path)
    if suffix == ".npy":
        x = _npy(path)
        return DataSample(path, "npy", _head(x), None, int(x.shape[0]) if x.ndim else 1,
                          notes=["one .npy file: inputs without labels"])
    if suffix in TEXT_SUFFIXES:
        return _table(path, label)
    raise InputError(path, "a data sample: .npz, .npy, .csv/.tsv or a folder of class subfolders",
                     found=f"a {suffix or 'suffix-less'} file")


def _head(array: np.ndarray) -> np.ndarray:
    return np.asarray(array[:MAX_ROWS]) if array.ndim else array.reshape(1)


def _npy(path: str) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except ValueError as error:
        found = "an object array (pickled Python objects, never loaded)" if "pickle" in str(error) else str(error)
        raise InputError(path, "a .npy array of numbers", found=found) from None
    except (OSError, EOFError) as error:
        raise InputError(path, "a .npy array of numbers", found=f"an unreadable file ({error})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise InputError(path, "a .npy array of numbers", found=f"dtype {getattr(array, 'dtype', type(array))}")
    return array


def _npy_pair(paths: list[str]) -> DataSample:
    for item in paths:
        if Path(item).suffix.lower() != ".npy":
            raise InputError(item, "two .npy files (inputs and labels)", found=f"a {Path(item).suffix or 'suffix-less'} file")
    ranks = [_stem_rank(p) for p in paths]
    swap = ranks in (["y", "x"], ["y", "?"], ["?", "x"])  # named labels first, or named inputs second
    x_path, y_path = (paths[1], paths[0]) if swap else (paths[0], paths[1])
    x, y = _npy(x_path), _npy(y_path)
    _same_rows(x, y, f"{x_path} + {y_path}")
    return DataSample(f"{x_path} + {y_path}", "npy", _head(x), _head(y), int(x.shape[0]), label_name=Path(y_path).name)


def _stem_rank(path: str) -> str:
    stem = Path(path).stem.lower()
    if stem in {n.lower() for n in Y_NAMES} or stem.startswith(("y_", "label")):
        return "y"
    if stem in {n.lower() for n in X_NAMES} or stem.startswith("x_"):
        return "x"
    return "?"


def _same_rows(x: np.ndarray, y: np.ndarray, where: str) -> None:
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise InputError(where, "inputs and labels with one row each per sample",
                         found=f"inputs of shape {x.shape} and labels of shape {y.shape}")


def _npz(path: str) -> DataSample:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > MAX_ARRAY_BYTES:
                    raise InputError(path, f"arrays of at most {MAX_ARRAY_BYTES // 2**20} MB in a data sample",
                                     entry=info.filename, found=f"{info.file_size / 2**20:.0f} MB")
        archive_ = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise InputError(path, "an .npz archive of arrays", found=f"an unreadable file ({error})") from None
    with archive_ as npz:
        names = list(npz.files)
        x_name = next((n for n in X_NAMES if n in names), None)
        y_name = next((n for n in Y_NAMES if n in names), None)
        if x_name is None or y_name is None:
            rest = [n for n in names if n not in (x_name, y_name)]
            x_name = x_name or (rest.pop(0) if rest else None)
            y_name = y_name or (rest.pop(0) if rest else None)
        if x_name is None:
            raise InputError(path, "an .npz holding inputs (x) and labels (y)", found="no arrays")
        arrays = {}
        for name in (x_name, y_name):
            if name is None:
                continue
            try:
                arrays[name] = npz[name]
            except ValueError as error:
                found = "an object array (pickled Python objects, never loaded)" if "pickle" in str(error) else str(error)
                raise InputError(path, "arrays of numbers", entry=name, found=found) from None
            if arrays[name].dtype.kind not in "biuf":
                raise InputError(path, "arrays of numbers", entry=name, found=f"dtype {arrays[name].dtype}")
    x = arrays[x_name]
    y = arrays.get(y_name) if y_name else None
    notes = [] if y is not None else ["no labels in the archive"]
    if y is not None:
        _same_rows(x, y, path)
    return DataSample(path, "npz", _head(x), _head(y) if y is not None else None, int(x.shape[0]) if x.ndim else 1,
                      label_name=y_name, notes=notes)


def _table(path: str, label: str | None) -> DataSample:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    delimiter = "\t" if Path(path).suffix.lower() == ".tsv" else _sniff_delimiter(path)
    try:
        table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(path, "a CSV/TSV table with a header row", found=str(error).splitlines()[0]) from None
    if table.num_columns < 2:
        raise InputError(path, "a table with feature columns and a label column",
                         found=f"{table.num_columns} column(s)")
    names = table.column_names
    lowered = {n.strip().lower(): n for n in names}
    notes = []
    if label is not None:
        if label not in names:
            raise InputError(path, f"a label column named {label!r}", found="columns " + ", ".join(names[:12]))
        label_name = label
    else:
        label_name = next((lowered[n] for n in LABEL_COLUMNS if n in lowered), names[-1])
        notes.append(f"label column guessed: {label_name!r}")
    table = table.slice(0, MAX_ROWS)
    labels = table.column(label_name).to_numpy(zero_copy_only=False)
    classes = None
    if labels.dtype.kind not in "biuf":
        text = np.asarray([str(v) for v in labels])
        classes = sorted(set(text.tolist()))
        labels = np.searchsorted(np.asarray(classes), text)
    features, dropped = [], []
    for name in names:
        if name == label_name:
            continue
        column = table.column(name)
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_boolean(column.type):
            features.append(column.to_numpy(zero_copy_only=False).astype(np.float64))
        else:
            dropped.append(name)
    if not features:
        raise InputError(path, "numeric feature columns beside the label column",
                         found="only text columns: " + ", ".join(dropped[:8]))
    if dropped:
        notes.append("text columns left out: " + ", ".join(dropped[:8]))
    rows_total = _count_rows(path)
    return DataSample(path, "csv", np.stack(features, axis=1), np.asarray(labels), rows_total,
                      label_name=label_name, classes=classes, notes=notes)


def _sniff_delimiter(path: str) -> str:
    with open(path, "rb") as handle:
        head = handle.readline().decode("utf-8", "replace")
    counts = {d: head.count(d) for d in (",", "\t", ";")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _count_rows(path: str) -> int:
    with open(path, "rb") as handle:
        return max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1)


def _image_folder(path: str) -> DataSample:
    classes = sorted(entry.name for entry in os.scandir(path) if entry.is_dir() and not entry.is_symlink())
    if not classes:
        raise InputError(path, "a folder with one subfolder of images per class", found="no subfolders")
    per_class = []
    for name in classes:
        folder = os.path.join(path, name)
        images = sorted(entry.path for entry in os.scandir(folder)
                        if entry.is_file() and not entry.is_symlink() and Path(entry.name).suffix.lower() in IMAGE_SUFFIXES)
        per_class.append(images)
    total = sum(len(images) for images in per_class)
    if total == 0:
        raise InputError(path, "image files (.png, .jpg ...) in the class subfolders", found="none")
    # Round robin over the classes so a sample of MAX_ROWS keeps every class's share.
    files, labels = [], []
    for depth in range(max(len(images) for images in per_class)):
        for index, images in enumerate(per_class):
            if depth < len(images):
                files.append(images[depth])
                labels.append(index)
    counts = np.asarray([len(images) for images in per_class])
    keep = min(MAX_ROWS, total)
    notes = ["image folder: labels in folder order; class shares from all files"]
    sample = DataSample(path, "images", None, np.asarray(labels[:keep]), total, label_name="subfolder",
                        classes=classes, files=files[:keep], notes=notes)
    sample.notes.append("class counts: " + ", ".join(f"{c}={n}" for c, n in zip(classes, counts.tolist())))
    return sample
