"""Legacy HDF5 (``.h5``) Keras models, read as data.

``model.save("model.h5")`` (Keras 2, tf.keras, and Keras 3's legacy path) writes the model
config as a JSON string in the root attribute ``model_config``, the compile settings in
``training_config``, and the weights in the ``model_weights`` group: one group per layer
(listed in its ``layer_names`` attribute), each listing its datasets in ``weight_names``.

Only attributes and dataset *shapes* are read. Attributes over 64 MB are refused before they
are loaded; a weights-only file (``save_weights``) is refused with a message saying what is
needed instead. Nothing in the file is deserialized by Keras or executed.
"""

from __future__ import annotations

import math
from typing import Any

import h5py

from app.io.hdf5_data_only import check_data_only
import numpy as np

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.io import keras_config
from app.io.sniff import Probe

ID = "h5"
KIND = "model"
INPUT = "path"
TITLE = "Keras HDF5 model (.h5)"

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_ATTRIBUTE = 64 * 1024 * 1024
MAX_NAMES = 1_000_000  # layer_names / weight_names entries
_EXPECTED = "a Keras model saved with model.save (an HDF5 file with a model_config attribute)"


def identify(probe: Probe) -> float:
    """The HDF5 signature, at the start or after a user block (512, 1024, 2048 ... bytes)."""
    if probe.is_dir:
        return 0.0
    if probe.head.startswith(HDF5_MAGIC):
        return 0.9
    offset = 512
    while offset + 8 <= len(probe.head):
        if probe.head[offset:offset + 8] == HDF5_MAGIC:
            return 0.9
        offset *= 2
    return 0.0


def _attribute(path: str, node: Any, name: str) -> Any:
    """One attribute's value, refusing it unread when it is over the size limit."""
    if name not in node.attrs:
        return None
    try:
        handle = h5py.h5a.open(node.id, name.encode("utf-8"))
        # Fixed-size data: elements x element size. (Variable-length strings are pointers
        # here; their length is checked once read, see _text.)
        storage = math.prod(handle.shape or ()) * handle.dtype.itemsize
        if storage > MAX_ATTRIBUTE:
            raise InputError(path, f"a {name} attribute of at most {MAX_ATTRIBUTE // (1024 * 1024)} MB",
                             entry=f"attribute {name}",
                             found=f"{storage / (1024 * 1024):.0f} MB: refused unread")
        value = node.attrs[name]
    except InputError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
        raise InputError(path, f"a readable {name} attribute", entry=f"attribute {name}",
                         found=f"an attribute HDF5 cannot read ({error})") from None
    return value


def _text(path: str, value: Any, name: str) -> str | None:
    """An attribute as text (bytes, numpy bytes/str, a one-element array)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise InputError(path, f"a text {name} attribute", entry=f"attribute {name}",
                             found=f"an array of shape {value.shape}")
        value = value.reshape(-1)[0]
    if isinstance(value, (bytes, np.bytes_)):
        data = bytes(value)
        if len(data) > MAX_ATTRIBUTE:
            raise InputError(path, f"a {name} attribute of at most {MAX_ATTRIBUTE // (1024 * 1024)} MB",
                             entry=f"attribute {name}", found=f"{len(data) / (1024 * 1024):.0f} MB: refused")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(path, f"UTF-8 text in the {name} attribute", entry=f"attribute {name}",
                             found=f"bytes that are not UTF-8 ({error.reason} at byte {error.start})") from None
    if isinstance(value, (str, np.str_)):
        if len(value) > MAX_ATTRIBUTE:
            raise InputError(path, f"a {name} attribute of at most {MAX_ATTRIBUTE // (1024 * 1024)} MB",
                             entry=f"attribute {name}", found=f"{len(value) / (1024 * 1024):.0f} MB: refused")
        return str(value)
    raise InputError(path, f"a text {name} attribute", entry=f"attribute {name}",
                     found=f"a value of type {type(value).__name__}")


def _names(path: str, node: Any, name: str) -> list[str]:
    """A list-of-names attribute; Keras splits long ones into ``name0``, ``name1`` ..."""
    values: list = []
    if name in node.attrs:
        chunks = [_attribute(path, node, name)]
    else:
        chunks = []
        index = 0
        while f"{name}{index}" in node.attrs and index < 10000:
            chunks.append(_attribute(path, node, f"{name}{index}"))
            index += 1
    for chunk in chunks:
        array = np.asarray(chunk).reshape(-1)
        for item in array[: MAX_NAMES - len(values)]:
            if isinstance(item, (bytes, np.bytes_)):
                values.append(bytes(item).decode("utf-8", "replace"))
            elif isinstance(item, (str, np.str_)):
                values.append(str(item))
    return values


def _weights_only(root: Any) -> bool:
    return "layer_names" in root.attrs or "layer_names0" in root.attrs or "model_weights" in root \
        or ("layers" in root and "vars" in root)


def _nested_owner(layer: Any, weight_name: str) -> Any:
    """The layer inside nested model ``layer`` that a weight name such as
    ``block1_conv1/kernel:0`` or ``vgg16/block1_conv1/kernel:0`` belongs to."""
    leaves = {sub.name: sub for sub in layer.walk() if sub is not layer and not sub.sublayers}
    parts = weight_name.split("/")[:-1]
    for part in reversed(parts):
        if part in leaves:
            return leaves[part]
    return None


def _apply_weights(path: str, root: Any, model: ModelSpec, progress: Progress) -> None:
    group = root.get("model_weights")
    if not isinstance(group, h5py.Group):
        model.warnings.append("no model_weights group (saved with include_optimizer only?): "
                              "parameters worked out from the config")
        return
    top = {layer.name: layer for layer in model.layers}
    saved: dict[str, list] = {}
    unmatched = 0
    names = _names(path, group, "layer_names")
    for index, name in enumerate(names):
        if index % 100 == 0:
            check_cancelled(progress)
        sub = group.get(name)
        if not isinstance(sub, h5py.Group):
            continue
        weights = []
        for weight_name in _names(path, sub, "weight_names"):
            dataset = sub.get(weight_name)
            if isinstance(dataset, h5py.Dataset):
                weights.append((weight_name, tuple(int(d) for d in dataset.shape)))
        layer = top.get(name)
        if layer is None:
            unmatched += sum(math.prod(shape) for _, shape in weights)
            continue
        if not layer.sublayers:
            saved[layer.path] = weights
            continue
        saved.setdefault(layer.path, [])
        for weight in weights:
            owner = _nested_owner(layer, weight[0])
            key = owner.path if owner is not None else layer.path
            saved.setdefault(key, []).append(weight)
    for name in ("top_level_model_weights",):
        extra = group.get(name)
        if isinstance(extra, h5py.Group):
            for weight_name in _names(path, extra, "weight_names"):
                dataset = extra.get(weight_name)
                if isinstance(dataset, h5py.Dataset):
                    unmatched += math.prod(dataset.shape)
    if not names:
        model.warnings.append("model_weights lists no layers: parameters worked out from the config")
        return
    keras_config.apply_saved_weights(model, saved, extra=unmatched)


def read(path: str, progress: Progress = NO_PROGRESS) -> ModelSpec:
    """The model of a legacy ``.h5`` file, parsed in a child process with a time limit
    (:mod:`app.io.isolated`: a damaged file can hang libhdf5)."""
    from app.io import isolated

    path = str(path)
    return isolated.call(read_here, path, path=path, expected=_EXPECTED, progress=progress)


def read_here(path: str, progress: Progress = NO_PROGRESS) -> ModelSpec:
    """:func:`read` in this process (what the child runs)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError as error:
        raise InputError(path, _EXPECTED, found=f"a file that cannot be opened ({error.strerror})") from None
    if identify(Probe(path, "", len(head), head, None, None)) == 0:
        raise InputError(path, _EXPECTED, found=f"data starting {head[:8]!r}, not HDF5")
    try:
        root = h5py.File(path, "r")
    except (OSError, ValueError, RuntimeError) as error:
        raise InputError(path, _EXPECTED, found=f"a damaged or truncated HDF5 file ({error})") from None
    with root:
        try:
            check_data_only(root, path, _EXPECTED)
            return _read_root(path, root, progress)
        except InputError:
            raise
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
            raise InputError(path, _EXPECTED, found=f"an HDF5 file HDF5 cannot read ({error})") from None


def _read_root(path: str, root: Any, progress: Progress) -> ModelSpec:
    config_text = _text(path, _attribute(path, root, "model_config"), "model_config")
    if config_text is None:
        if _weights_only(root):
            raise InputError(path, "a full model saved with model.save (with a model_config attribute)",
                             entry="attribute model_config",
                             found="a file that holds weights only (saved with save_weights)")
        raise InputError(path, _EXPECTED, entry="attribute model_config",
                         found=f"an HDF5 file without model_config (root holds {sorted(root.keys())[:6]})")
    check_cancelled(progress)
    progress.report(0.1, "model_config")
    config = keras_config.parse_json(config_text, path, "attribute model_config")
    warnings: list[str] = []
    training = None
    training_text = _text(path, _attribute(path, root, "training_config"), "training_config")
    if training_text is not None:
        try:
            training = keras_config.parse_json(training_text, path, "attribute training_config")
        except InputError as error:  # the model is still readable without its compile settings
            warnings.append(f"training_config not read ({error.found}): compile settings unknown")
    version = _text(path, _attribute(path, root, "keras_version"), "keras_version")
    backend = _text(path, _attribute(path, root, "backend"), "backend")
    model = keras_config.model_from_config(config, path=path, fmt="h5", entry_label="attribute model_config",
                                           training_config=training, keras_version=version, backend=backend)
    model.warnings[:0] = warnings
    progress.report(0.5, "model_weights")
    _apply_weights(path, root, model, progress)
    progress.report(1.0, "")
    return model
