"""Keras 3 ``.keras`` model archives, read as data.

A ``.keras`` file is a zip holding ``config.json`` (the model config with its
``compile_config``), ``metadata.json`` (Keras version) and ``model.weights.h5`` (the
weights, one HDF5 group per layer: ``layers/<layer>/vars/<i>``, nested models under
``layers/<model>/layers/...``).

The archive is untrusted: members are read only by their exact names (nothing is
extracted, odd names such as ``../x`` are only mentioned), sizes are checked before
anything is decompressed (a config over 64 MB or compressed more than 1000:1 is refused as
a zip bomb), and of the weights only the dataset *shapes* are read, to count parameters
exactly as Keras' ``count_params`` does. The config is never deserialized by Keras.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from typing import Any, BinaryIO

import h5py

from app.io.hdf5_data_only import check_data_only

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.io import keras_config
from app.io.sniff import Probe

ID = "keras"
KIND = "model"
INPUT = "path"
TITLE = "Keras 3 .keras model archive"

ZIP_MAGIC = b"PK\x03\x04"
MAX_JSON_MEMBER = 64 * 1024 * 1024  # config.json / metadata.json, uncompressed
MAX_RATIO = 1000  # uncompressed / compressed beyond this is a zip bomb
MAX_WEIGHTS = 2 * 1024 * 1024 * 1024  # model.weights.h5
MAX_WEIGHTS_IN_MEMORY = 256 * 1024 * 1024  # a compressed weights member is inflated in memory
MAX_NODES = 100_000  # groups and datasets visited in model.weights.h5
MAX_MEMBERS = 100_000
EXPECTED_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
_EXPECTED = "a Keras .keras archive (a zip with config.json, metadata.json, model.weights.h5)"


def identify(probe: Probe) -> float:
    """A zip whose first members are Keras' (their names sit in the local headers)."""
    if probe.is_dir or not probe.head.startswith(ZIP_MAGIC):
        return 0.0
    if b"config.json" in probe.head or b"metadata.json" in probe.head:
        return 0.95
    if probe.name.endswith(".keras"):
        return 0.6  # claimed so that a damaged archive gets a clear message
    return 0.0


def _odd_name(name: str) -> bool:
    return (name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/")
            or "\\" in name or "\x00" in name or (len(name) > 1 and name[1] == ":"))


def _check_size(path: str, info: zipfile.ZipInfo, limit: int) -> None:
    size_mb = info.file_size / (1024 * 1024)
    if info.file_size > limit:
        raise InputError(path, f"a {info.filename} of at most {limit // (1024 * 1024)} MB", entry=info.filename,
                         found=f"{size_mb:.0f} MB uncompressed: refused as a possible zip bomb")
    ratio = info.file_size / max(1, info.compress_size)
    if info.file_size > 1024 * 1024 and ratio > MAX_RATIO:
        raise InputError(path, f"a {info.filename} compressed at most {MAX_RATIO}:1", entry=info.filename,
                         found=f"{size_mb:.0f} MB compressed {ratio:.0f}:1: refused as a zip bomb")


def _read_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The bytes of one member, never more than ``limit`` (the header may lie)."""
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, struct.error) as error:
        raise InputError(path, f"a readable {info.filename} member in the zip", entry=info.filename,
                         found=f"damaged or truncated data ({error})") from None
    if len(data) > limit:
        raise InputError(path, f"a {info.filename} of at most {limit // (1024 * 1024)} MB", entry=info.filename,
                         found="more data than its header declares: refused as a zip bomb")
    return data


def _json_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    _check_size(path, info, MAX_JSON_MEMBER)
    data = _read_member(path, archive, info, MAX_JSON_MEMBER)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, f"UTF-8 JSON in {info.filename}", entry=info.filename,
                         found=f"bytes that are not UTF-8 ({error.reason} at byte {error.start})") from None
    return keras_config.parse_json(text, path, info.filename)


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``length`` bytes at ``start`` of an open file.

    A stored (uncompressed) zip member is read in place this way, so HDF5 can jump around
    a 2 GB weights file without it being copied into memory.
    """

    def __init__(self, handle: BinaryIO, start: int, length: int) -> None:
        super().__init__()
        self._handle, self._start, self._length, self._pos = handle, start, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = max(0, min(len(view), self._length - self._pos))
        if count == 0:
            return 0
        self._handle.seek(self._start + self._pos)
        data = self._handle.read(count)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _stored_member_window(handle: BinaryIO, info: zipfile.ZipInfo) -> _Window | None:
    """A window on an uncompressed member's data, found through its local header."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != ZIP_MAGIC:
        return None
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    handle.seek(0, os.SEEK_END)
    if start + info.file_size > handle.tell():
        return None  # truncated
    return _Window(handle, start, info.file_size)


def _numeric_first(key: str) -> tuple:
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def _layer_weights(group: Any, budget: list[int], depth: int = 0,
                   seen: set | None = None) -> list[tuple[None, tuple]]:
    """Shapes of every dataset under a layer's group, in Keras' order (vars/0, vars/1 ...).

    Groups linked more than once (or into a loop) are visited once.
    """
    out: list[tuple[None, tuple]] = []
    seen = set() if seen is None else seen
    if depth > keras_config.MAX_DEPTH or group.id in seen:
        return out
    seen.add(group.id)
    keys = sorted(group.keys(), key=_numeric_first)
    if "vars" in keys:  # the layer's own variables first, then its sub-objects'
        keys.remove("vars")
        keys.insert(0, "vars")
    for key in keys:
        if budget[0] <= 0:
            break
        budget[0] -= 1  # every group and dataset visited counts: linked groups cannot loop forever
        item = group.get(key)
        if isinstance(item, h5py.Dataset):
            out.append((None, tuple(int(d) for d in item.shape)))
        elif isinstance(item, h5py.Group):
            out.extend(_layer_weights(item, budget, depth + 1, seen))
    return out


def _expected_group_names(layers: list) -> dict[str, Any]:
    """Keras' own group names for a container's layers: snake_case class name, then _1, _2 ..."""
    used: dict[str, int] = {}
    names = {}
    for layer in layers:
        base = keras_config.snake_case(layer.class_name)
        if base in used:
            used[base] += 1
            names[f"{base}_{used[base]}"] = layer
        else:
            used[base] = 0
            names[base] = layer
    return names


def _attr_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _walk_container(group: Any, layers: list, saved: dict, budget: list[int], depth: int) -> int:
    """Match the groups under ``group/layers`` to ``layers``; returns unmatched parameter count."""
    container = group.get("layers")
    if not isinstance(container, h5py.Group):
        container = group.get("_layer_checkpoint_dependencies")  # tf.keras 2.13-2.15 archives
    if not isinstance(container, h5py.Group) or depth > keras_config.MAX_DEPTH:
        return 0
    by_name = {layer.name: layer for layer in layers}
    by_group = _expected_group_names(layers)
    unmatched = 0
    for key in sorted(container.keys()):
        if budget[0] <= 0:
            break
        budget[0] -= 1
        item = container.get(key)
        if not isinstance(item, h5py.Group):
            continue
        own_vars = item.get("vars")
        recorded = _attr_text(own_vars.attrs.get("name")) if isinstance(own_vars, h5py.Group) else None
        layer = by_name.get(recorded or "") or by_name.get(key) or by_group.get(key)
        if layer is None:
            unmatched += sum(_size(shape) for _, shape in _layer_weights(item, budget, depth + 1))
            continue
        if layer.sublayers:
            own = _layer_weights(own_vars, budget, depth + 1) if isinstance(own_vars, h5py.Group) else []
            saved[layer.path] = own
            unmatched += _walk_container(item, layer.sublayers, saved, budget, depth + 1)
        else:
            saved[layer.path] = _layer_weights(item, budget, depth + 1)
    return unmatched


def _size(shape: tuple) -> int:
    total = 1
    for dim in shape:
        total *= dim
    return total


def _weights_isolated(path: str, info: zipfile.ZipInfo, model: ModelSpec, progress: Progress) -> ModelSpec:
    """The parameter counts of ``model.weights.h5``, read in a child process with a time limit
    (:mod:`app.io.isolated`: a damaged member can hang libhdf5); a member that hangs or fails
    costs the counts only, never the architecture read from config.json."""
    from app.io import isolated

    try:
        return isolated.call(weights_here, path, info.filename, model, path=path, entry="model.weights.h5",
                             expected="a readable model.weights.h5", progress=progress)
    except InputError as error:
        model.warnings.append(f"model.weights.h5 not read ({error.found}): parameters worked out from the config")
        return model


def weights_here(path: str, member: str, model: ModelSpec) -> ModelSpec:
    """What the child runs: :func:`_apply_weights` on the archive at ``path``; the model back."""
    with zipfile.ZipFile(path) as archive:
        _apply_weights(path, archive, archive.getinfo(member), model)
    return model


def _apply_weights(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, model: ModelSpec) -> None:
    """Count parameters from ``model.weights.h5``; on any trouble keep the inferred counts."""
    if info.file_size > MAX_WEIGHTS:
        model.warnings.append(f"model.weights.h5 is {info.file_size // (1024 * 1024)} MB (over the "
                              f"{MAX_WEIGHTS // (1024 * 1024)} MB limit): parameters worked out from the config")
        return
    try:
        with open(path, "rb") as handle:
            source: BinaryIO | None = None
            if info.compress_type == zipfile.ZIP_STORED:
                source = _stored_member_window(handle, info)  # type: ignore[assignment]
            elif info.file_size <= MAX_WEIGHTS_IN_MEMORY and info.file_size / max(1, info.compress_size) <= MAX_RATIO:
                source = io.BytesIO(_read_member(path, archive, info, MAX_WEIGHTS_IN_MEMORY))
            if source is None:
                model.warnings.append("model.weights.h5 could not be read in place (compressed or "
                                      "truncated): parameters worked out from the config")
                return
            with h5py.File(source, "r") as weights:
                check_data_only(weights, path, "a model.weights.h5 holding its own arrays", entry="model.weights.h5")
                saved: dict = {}
                budget = [MAX_NODES]
                unmatched = _walk_container(weights, model.layers, saved, budget, 0)
                if budget[0] <= 0:
                    model.warnings.append(f"model.weights.h5 has more than {MAX_NODES} groups and arrays: "
                                          "parameters worked out from the config")
                    return
        if not saved and model.layers:
            model.warnings.append("model.weights.h5 holds no layer weights in the Keras 3 layout: "
                                  "parameters worked out from the config")
            return
        if not model.layers:  # a subclassed model: only the total is known
            total = unmatched
            model.params_total = total
            model.warnings.append(f"{total} parameters in model.weights.h5 (trainable share unknown)")
            return
        keras_config.apply_saved_weights(model, saved, extra=unmatched)
    except InputError as error:
        model.warnings.append(f"model.weights.h5 not read ({error.found}): parameters worked out from the config")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, struct.error) as error:
        model.warnings.append(f"model.weights.h5 not readable ({type(error).__name__}: {error}): "
                              "parameters worked out from the config")


def read(path: str, progress: Progress = NO_PROGRESS) -> ModelSpec:
    path = str(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise InputError(path, _EXPECTED, found=f"a file that cannot be opened ({error.strerror})") from None
    if magic != ZIP_MAGIC:
        raise InputError(path, _EXPECTED, found=f"data starting {magic!r}, not a zip")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, struct.error) as error:
        raise InputError(path, _EXPECTED, found=f"a damaged or truncated zip ({error})") from None
    with archive:
        return _read_archive(path, archive, progress)


def _read_archive(path: str, archive: zipfile.ZipFile, progress: Progress) -> ModelSpec:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(path, _EXPECTED, found=f"a zip with {len(infos)} members")
    warnings: list[str] = []
    members: dict[str, zipfile.ZipInfo] = {}
    odd = []
    for info in infos:
        if _odd_name(info.filename):
            odd.append(info.filename)
            continue
        if info.filename in members and info.filename in EXPECTED_MEMBERS:
            warnings.append(f"member {info.filename!r} appears more than once: the first one is read")
            continue
        members.setdefault(info.filename, info)
    if odd:
        shown = ", ".join(repr(name[:80]) for name in odd[:5])
        warnings.append(f"the archive holds member(s) with odd names ({shown}"
                        f"{'' if len(odd) <= 5 else f' and {len(odd) - 5} more'}): ignored, nothing is extracted")
    if "config.json" not in members:
        names = ", ".join(repr(i.filename[:60]) for i in infos[:6]) or "no members"
        raise InputError(path, _EXPECTED, entry="config.json", found=f"a zip without config.json ({names})")
    check_cancelled(progress)
    progress.report(0.1, "config.json")
    config = _json_member(path, archive, members["config.json"])
    keras_version = backend = None
    if "metadata.json" in members:
        info = members["metadata.json"]
        _check_size(path, info, MAX_JSON_MEMBER)  # a bomb is refused, whatever the member
        try:
            metadata = _json_member(path, archive, info)
        except InputError as error:  # only the version is lost: say so and go on
            warnings.append(f"metadata.json not read ({error.found})")
            metadata = None
        if isinstance(metadata, dict):
            keras_version = metadata.get("keras_version") if isinstance(metadata.get("keras_version"), str) else None
            backend = metadata.get("backend") if isinstance(metadata.get("backend"), str) else None
    model = keras_config.model_from_config(
        config, path=path, fmt="keras", entry_label="config.json", keras_version=keras_version,
        backend=backend, compile_config=config.get("compile_config") if isinstance(config, dict) else None)
    model.warnings[:0] = warnings
    check_cancelled(progress)
    progress.report(0.5, "model.weights.h5")
    if "model.weights.h5" in members:
        model = _weights_isolated(path, members["model.weights.h5"], model, progress)
    else:
        model.warnings.append("no model.weights.h5 in the archive: parameters worked out from the config")
    progress.report(1.0, "")
    return model
