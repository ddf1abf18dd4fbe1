"""Rebuild a patched model with Keras and write it as a new ``.keras`` file (worker only).

This module imports Keras (inside its functions) and is only ever imported inside the
worker process (:mod:`app.probe.worker`). The steps of :func:`rebuild`:

1. The patched config is checked against the allowlist (:func:`app.patches.allowlist.check_config`);
   any refusal raises :class:`~app.probe.client.Refused` before Keras is even imported.
   ``keras.models.load_model`` / ``model_from_json`` are never called on a user's file:
   crafted configs execute code even with ``safe_mode=True`` (CVE-2025-1550,
   CVE-2025-8747, CVE-2025-9906) and ``.h5`` files ignore ``safe_mode`` for Lambda layers
   (CVE-2025-9905).
2. Keras 3 builds the model from the checked config (``deserialize_keras_object`` with
   ``safe_mode=True``).
3. The ORIGINAL file's weight arrays are read here with h5py and put into the rebuilt
   layers matched by layer name (nested models included): a ``.keras`` archive's
   ``model.weights.h5`` (Keras 3 layout: ``layers/<group>/vars/<i>``, groups named after
   the layer class with a counter, nested models under ``layers/<group>/layers/...``) or a
   legacy ``.h5``'s ``model_weights/<layer>`` (weights listed in ``weight_names``). A layer
   gets its weights only when their number and every shape match; otherwise it keeps its
   fresh initialization and the reason is recorded (e.g. the Dense after a Flatten →
   GlobalAveragePooling swap).
4. The model is compiled with the patched ``compile_config`` (deserialized from the checked
   config) and saved with ``model.save`` to a temporary ``.keras`` next to the output, then
   moved into place atomically. The input is never written.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import tempfile
import zipfile
from typing import Any, Iterator

import h5py
import numpy as np

from app.core.errors import InputError
from app.core.files import OutputError
from app.core.progress import NO_PROGRESS, Progress
from app.io import keras_config
from app.io.readers import h5_file, keras_file
from app.io.hdf5_data_only import check_data_only
from app.patches.allowlist import check_config
from app.probe.client import TEMP_PREFIX, RebuildResult, Refused, check_out_path

MODEL_CLASSES = ("Sequential", "Functional", "Model")
# Arguments of Keras 3 ``Model.compile`` taken from a compile_config.
COMPILE_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
                "steps_per_execution", "jit_compile", "auto_scale_loss")
# tf.keras optimizer settings Keras 3 optimizers reject.
LEGACY_OPTIMIZER_KEYS = ("is_legacy_optimizer", "jit_compile")
MAX_WEIGHT_NODES = 100_000  # groups and datasets looked at in one layer's group
_SOURCE_EXPECTED = "a Keras model file (.keras archive, legacy .h5 or model.to_json() text)"


class BuildError(Exception):
    """Keras could not build, compile or save the model from a config that passed the allowlist."""


# ------------------------------------------------------------------------------ entry point

def rebuild(source_path: str, config: dict[str, Any], out_path: str, progress: Progress = NO_PROGRESS,
            *, overwrite: bool = False) -> RebuildResult:
    """Rebuild ``config`` with the weights of ``source_path`` and save it as ``out_path``."""
    source_path, out_path = os.fspath(source_path), os.fspath(out_path)
    check_out_path(source_path, out_path, overwrite)
    model, result = rebuilt_model(source_path, config, progress)
    result.out_path = out_path
    progress.report(0.85, "saving")
    _save_atomically(model, out_path, overwrite)
    progress.report(1.0, "done")
    return result


def rebuilt_model(source_path: str, config: dict[str, Any], progress: Progress = NO_PROGRESS) -> tuple[Any, RebuildResult]:
    """The Keras model of the checked ``config`` with the weights of ``source_path``,
    compiled with its ``compile_config`` (steps 1-4 above, without saving): what
    :func:`rebuild` saves and what the probe measures."""
    source_path = os.fspath(source_path)
    if not isinstance(config, dict):
        raise Refused([f"config: a model config is a JSON object, not {type(config).__name__}"])
    refusals = check_config(config)
    if refusals:
        raise Refused([str(refusal) for refusal in refusals])
    progress.report(0.02, "checking the original model file")
    kind = _source_kind(source_path)
    result = RebuildResult(out_path="")
    model_config = {key: value for key, value in copy.deepcopy(config).items() if key != "compile_config"}
    compile_config = copy.deepcopy(config.get("compile_config"))
    _normalize_layers(model_config, result.notes)

    progress.report(0.05, "importing TensorFlow")
    model = _build_model(model_config)
    progress.report(0.4, "model rebuilt from the config")

    if kind == "json":
        result.notes.append("the source (model JSON) holds no weights: every layer is freshly initialized")
        for name, _layer in _weighted_leaves(model):
            result.layers_reinitialized.append((name, "the source file holds no weights"))
    else:
        with tempfile.TemporaryDirectory(prefix="traindoc-rebuild-") as scratch:
            if kind == "keras":
                _carry_from_keras(source_path, model, scratch, result)
            else:
                _carry_from_h5(source_path, model, result)
                result.notes.append("legacy .h5 input written as .keras")
    progress.report(0.75, "weights carried over")
    if result.layers_nonfinite:
        result.notes.append(f"the saved weights of {', '.join(result.layers_nonfinite[:5])} hold NaN or inf "
                            "(the run diverged): those layers start from their initializers")

    if isinstance(compile_config, dict):
        _compile(model, compile_config, result.notes)
        result.compiled = True
    else:
        result.notes.append("no compile settings: the model is saved uncompiled")
    return model, result


# ----------------------------------------------------------------------------- the source

def _source_kind(path: str) -> str:
    """``"keras"``, ``"h5"`` or ``"json"`` by content; InputError when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise InputError(path, _SOURCE_EXPECTED, found=f"a file that cannot be opened ({error.strerror})") from None
    if head.startswith(keras_file.ZIP_MAGIC):
        return "keras"
    if head.startswith(h5_file.HDF5_MAGIC) or any(
            head[offset:offset + 8] == h5_file.HDF5_MAGIC for offset in (512, 1024, 2048)):
        return "h5"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "json"
    raise InputError(path, _SOURCE_EXPECTED, found=f"data starting {head[:8]!r}")


def _normalize_layers(model_config: dict[str, Any], notes: list[str]) -> None:
    """Small data fixes so that a patched config builds (the container rebuilds shapes):

    - a layer's own ``build_config`` inside a model is dropped: the model builds its layers
      when it connects them, and a stale one (the Dense after Flatten → GlobalAveragePooling)
      would build the layer for the old input shape;
    - Keras 2 configs give layers a ``batch_input_shape`` that Keras 3 layers reject: after
      an InputLayer it is redundant and dropped; on a first layer without one it becomes
      ``input_shape`` (what Keras 3's Sequential understands).
    """
    changed = []

    def walk(entry: Any, depth: int) -> None:
        if not isinstance(entry, dict) or depth > keras_config.MAX_DEPTH:
            return
        inner = entry.get("config")
        layers = inner.get("layers") if isinstance(inner, dict) else None
        if entry.get("class_name") not in MODEL_CLASSES or not isinstance(layers, list):
            return
        has_input = any(isinstance(layer, dict) and layer.get("class_name") == "InputLayer" for layer in layers)
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
                continue
            layer.pop("build_config", None)
            layer_config = layer["config"]
            if layer.get("class_name") != "InputLayer" and "batch_input_shape" in layer_config:
                shape = layer_config.pop("batch_input_shape")
                if not has_input and isinstance(shape, list) and shape:
                    layer_config["input_shape"] = shape[1:]
                changed.append(str(layer_config.get("name", layer.get("class_name"))))
            walk(layer, depth + 1)

    walk(model_config, 0)
    if changed:
        notes.append(f"Keras 2 batch_input_shape removed from {', '.join(changed[:5])}")


# ------------------------------------------------------------------------- building

def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[-1] if text else type(error).__name__
    for line in text:  # Keras puts the useful sentence on an "Exception encountered:" line
        if line.startswith("Exception encountered:"):
            first = line[len("Exception encountered:"):].strip()
    return f"{type(error).__name__}: {first[:400]}"


# Fresh weights (new layers, layers whose shapes changed or whose saved weights are NaN) are
# drawn with a fixed seed: the same input and patch give the same file.
INIT_SEED = 0


def fresh_model(config: dict[str, Any], seed: int = INIT_SEED) -> Any:
    """The model of the (checked) ``config`` newly initialized with ``seed``, not compiled: the
    fresh copy the probe's learn trial and the A/B trial of a fix train."""
    model_config = {key: value for key, value in copy.deepcopy(config).items() if key != "compile_config"}
    _normalize_layers(model_config, [])
    return _build_model(model_config, seed)


def _build_model(model_config: dict[str, Any], seed: int = INIT_SEED) -> Any:
    import keras

    keras.utils.set_random_seed(seed)  # this worker process's own generators only
    try:
        if "module" in model_config:
            model = keras.saving.deserialize_keras_object(model_config, safe_mode=True)
        else:  # a Keras 2 config without module keys: Keras 3's own legacy reader of configs
            from keras.src.legacy.saving import saving_utils
            model = saving_utils.model_from_config({"class_name": model_config.get("class_name"),
                                                    "config": model_config.get("config")})
    except Exception as error:  # Keras raises TypeError/ValueError/KeyError ... for bad configs
        raise BuildError(f"Keras could not build the model from the patched config: {_short(error)}") from None
    if not isinstance(model, keras.Model):
        raise BuildError(f"the patched config builds a {type(model).__name__}, not a model")
    return model


def _is_container(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.Model) and hasattr(layer, "layers")


def _counter_name(class_name: str, used: dict[str, int]) -> str:
    """Keras 3's group name for the next saveable of ``class_name`` in one container."""
    name = keras_config.snake_case(class_name)
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _rebuilt_units(model: Any) -> list[tuple[str, Any, str]]:
    """Every leaf layer of the live model: (name path, layer, its group in a weights file)."""
    out: list[tuple[str, Any, str]] = []

    def walk(container: Any, names: tuple[str, ...], prefix: str, depth: int) -> None:
        used: dict[str, int] = {}
        for layer in container.layers:
            group = f"{prefix}layers/{_counter_name(type(layer).__name__, used)}"
            if _is_container(layer) and depth < keras_config.MAX_DEPTH:
                walk(layer, names + (layer.name,), group + "/", depth + 1)
            else:
                out.append(("/".join(names + (layer.name,)), layer, group))

    walk(model, (), "", 0)
    return out


def _weighted_leaves(model: Any) -> list[tuple[str, Any]]:
    return [(name, layer) for name, layer, _group in _rebuilt_units(model) if layer.weights]


# ------------------------------------------------------------- weights of a .keras source

def _original_groups(config: Any) -> dict[str, list[str]]:
    """Name path → candidate groups of the original archive's model.weights.h5, from its
    config.json read as data (the rule Keras used when it saved: class name + counter per
    container; older archives named groups after the layer)."""
    out: dict[str, list[str]] = {}

    def walk(entry: Any, names: tuple[str, ...], prefixes: list[str], depth: int) -> None:
        inner = entry.get("config") if isinstance(entry, dict) else None
        layers = inner.get("layers") if isinstance(inner, dict) else None
        if not isinstance(layers, list) or depth > keras_config.MAX_DEPTH:
            return
        entries = [layer for layer in layers if isinstance(layer, dict)]
        if entry.get("class_name") == "Sequential" and entries and entries[0].get("class_name") == "InputLayer":
            entries = entries[1:]  # Sequential.layers leaves its InputLayer out
        used: dict[str, int] = {}
        for layer in entries:
            class_name = layer.get("class_name")
            layer_config = layer.get("config")
            name = layer_config.get("name") if isinstance(layer_config, dict) else None
            if not isinstance(class_name, str) or not isinstance(name, str):
                continue
            key = _counter_name(class_name, used)
            groups = []
            for prefix in prefixes:
                groups += [f"{prefix}layers/{key}", f"{prefix}layers/{name}",
                           f"{prefix}_layer_checkpoint_dependencies/{name}"]
            if class_name in MODEL_CLASSES:
                walk(layer, names + (name,), [group + "/" for group in groups[:2]], depth + 1)
            else:
                out["/".join(names + (name,))] = groups

    walk(config, (), [""], 0)
    return out


def _datasets(group: Any) -> dict[str, h5py.Dataset] | None:
    """Every dataset under ``group`` by its path relative to it (None: not a group)."""
    if not isinstance(group, h5py.Group):
        return None
    found: dict[str, h5py.Dataset] = {}
    visited = [0]

    def visit(name: str, item: Any) -> Any:
        visited[0] += 1
        if isinstance(item, h5py.Dataset):
            found[name] = item
        return True if visited[0] > MAX_WEIGHT_NODES else None  # a non-None value stops the walk

    group.visititems(visit)
    return found


def _shapes(datasets: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {name: tuple(int(d) for d in item.shape) for name, item in datasets.items()}


def _describe_shapes(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join(str(tuple(shape)) for shape in shapes) or "none"


@contextlib.contextmanager
def _open_keras_archive(path: str) -> Iterator[tuple[Any, h5py.File | None]]:
    """(config.json as data, model.weights.h5 opened read-only or None) of a .keras archive."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as error:
        raise InputError(path, keras_file._EXPECTED, found=f"a damaged or truncated zip ({error})") from None
    with contextlib.ExitStack() as stack:
        stack.enter_context(archive)
        members: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist()[: keras_file.MAX_MEMBERS]:
            if not keras_file._odd_name(info.filename):
                members.setdefault(info.filename, info)
        if "config.json" not in members:
            raise InputError(path, keras_file._EXPECTED, entry="config.json", found="a zip without config.json")
        config = keras_file._json_member(path, archive, members["config.json"])
        info = members.get("model.weights.h5")
        if info is None:
            yield config, None
            return
        if info.file_size > keras_file.MAX_WEIGHTS:
            raise InputError(path, f"a model.weights.h5 of at most {keras_file.MAX_WEIGHTS // 2 ** 20} MB",
                             entry="model.weights.h5", found=f"{info.file_size // 2 ** 20} MB")
        handle = stack.enter_context(open(path, "rb"))
        source: Any = None
        if info.compress_type == zipfile.ZIP_STORED:
            source = keras_file._stored_member_window(handle, info)
        else:
            keras_file._check_size(path, info, keras_file.MAX_WEIGHTS_IN_MEMORY)
            source = io.BytesIO(keras_file._read_member(path, archive, info, keras_file.MAX_WEIGHTS_IN_MEMORY))
        if source is None:
            raise InputError(path, "a complete model.weights.h5 member", entry="model.weights.h5",
                             found="a truncated archive")
        try:
            weights = stack.enter_context(h5py.File(source, "r"))
        except (OSError, ValueError, RuntimeError) as error:
            raise InputError(path, "an HDF5 model.weights.h5", entry="model.weights.h5",
                             found=f"data HDF5 cannot read ({error})") from None
        check_data_only(weights, path, "a model.weights.h5 holding its own arrays", entry="model.weights.h5")
        yield config, weights


def _carry_from_keras(path: str, model: Any, scratch: str, result: RebuildResult) -> None:
    """Copy the original archive's arrays, layer by layer, into a weights file Keras wrote
    for the rebuilt model (so every array lands at Keras' own path), then load that file."""
    staged = os.path.join(scratch, "rebuilt.weights.h5")
    try:
        model.save_weights(staged)
    except Exception as error:
        raise BuildError(f"Keras could not write the rebuilt model's weights: {_short(error)}") from None
    with _open_keras_archive(path) as (original_config, weights):
        if weights is None:
            result.notes.append("the archive holds no model.weights.h5: every layer is freshly initialized")
            for name, _layer in _weighted_leaves(model):
                result.layers_reinitialized.append((name, "the source file holds no weights"))
            return
        groups = _original_groups(original_config)
        with h5py.File(staged, "r+") as rebuilt:
            for name, layer, group in _rebuilt_units(model):
                if not layer.weights:
                    continue
                target = _datasets(rebuilt.get(group))
                if not target:
                    result.layers_reinitialized.append((name, "its weights were not found where Keras saves them"))
                    continue
                reason, fresh = _copy_group(weights, groups.get(name, []), target)
                if reason is None:
                    result.layers_carried.append(name)
                    if fresh:
                        result.notes.append(f"{name}: {fresh} new weight array(s) start from their initializers "
                                            "(the others are carried)")
                else:
                    result.layers_reinitialized.append((name, reason))
                    if reason == NONFINITE:
                        result.layers_nonfinite.append(name)
    try:
        model.load_weights(staged)  # our own file, written by Keras above and filled with arrays
    except Exception as error:
        raise BuildError(f"Keras could not load the carried weights: {_short(error)}") from None


NONFINITE = "its saved weights are NaN or inf: the run diverged"


def _prefix_match(saved: list[tuple[int, ...]], wanted: list[tuple[int, ...]]) -> bool:
    """The saved arrays are the first of the wanted ones, shapes equal: the patched layer only
    gained arrays after them (a bias after the kernel, renorm statistics after BatchNorm's)."""
    return 0 < len(saved) < len(wanted) and wanted[:len(saved)] == saved


def _copy_group(weights: h5py.File, candidates: list[str], target: dict[str, h5py.Dataset]
                ) -> tuple[str | None, int]:
    """Copy one layer's arrays into ``target`` when they fit: (None, how many target arrays
    start fresh), else (the reason they were not copied, 0)."""
    source = None
    for group in candidates:  # the first group that exists (the fallbacks are for older layouts)
        source = _datasets(weights.get(group))
        if source is not None:
            break
    if not candidates:
        return "no layer of that name in the original model", 0
    if not source:
        return "the original model holds no weights for it", 0
    wanted, saved = _shapes(target), _shapes(source)
    wanted_order = [wanted[k] for k in sorted(wanted, key=_index_key)]
    saved_order = [saved[k] for k in sorted(saved, key=_index_key)]
    prefix = _prefix_match(saved_order, wanted_order) and set(saved) <= set(wanted)
    if wanted != saved and not prefix:
        if len(wanted) != len(saved):
            return f"it has {len(wanted)} weight arrays, the original {len(saved)}", 0
        return (f"its weight shapes changed: {_describe_shapes(saved_order)} in the "
                f"original, {_describe_shapes(wanted_order)} now"), 0
    try:
        arrays = {key: np.asarray(source[key][()]) for key in saved}
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        return f"its saved weights could not be read ({error})", 0
    if not all(np.isfinite(array).all() for array in arrays.values() if array.dtype.kind == "f"):
        return NONFINITE, 0
    for key, array in arrays.items():
        target[key][...] = array
    return None, len(wanted) - len(saved)


def _index_key(key: str) -> tuple:
    """``vars/10`` after ``vars/2``: Keras numbers a layer's variables in creation order."""
    return tuple(int(part) if part.isdigit() else part for part in key.split("/"))


# ------------------------------------------------------------- weights of a legacy .h5

def _carry_from_h5(path: str, model: Any, result: RebuildResult) -> None:
    """Assign ``model_weights/<layer>`` arrays (``weight_names`` order, which is the layer's
    trainable then non-trainable weights) to the rebuilt layers of the same name."""
    try:
        root = h5py.File(path, "r")
    except (OSError, ValueError, RuntimeError) as error:
        raise InputError(path, h5_file._EXPECTED, found=f"a damaged or truncated HDF5 file ({error})") from None
    with root:
        check_data_only(root, path, h5_file._EXPECTED)
        group = root.get("model_weights")
        if not isinstance(group, h5py.Group):
            group = root if ("layer_names" in root.attrs or "layer_names0" in root.attrs) else None
        units = _rebuilt_units(model)
        if group is None:
            result.notes.append("the .h5 file holds no model_weights: every layer is freshly initialized")
            for name, layer, _group in units:
                if layer.weights:
                    result.layers_reinitialized.append((name, "the source file holds no weights"))
            return
        try:
            saved = _h5_saved_weights(path, group, model)
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
            raise InputError(path, "readable model_weights", entry="model_weights",
                             found=f"data HDF5 cannot read ({error})") from None
        for name, layer, _group in units:
            variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
            if not variables:
                continue
            arrays = saved.get(name)
            if arrays is None:
                result.layers_reinitialized.append((name, "no layer of that name in the original model"))
                continue
            reason, fresh = _assign(variables, arrays)
            if reason is None:
                result.layers_carried.append(name)
                if fresh:
                    result.notes.append(f"{name}: {fresh} new weight array(s) start from their initializers "
                                        "(the others are carried)")
            else:
                result.layers_reinitialized.append((name, reason))
                if reason == NONFINITE:
                    result.layers_nonfinite.append(name)


def _h5_saved_weights(path: str, group: h5py.Group, model: Any) -> dict[str, list[h5py.Dataset]]:
    """Name path → that layer's datasets in order. The weights of a nested model (one group
    for the whole model) are split between its layers by the layer name in each weight name."""
    top = {layer.name: layer for layer in model.layers}
    saved: dict[str, list[h5py.Dataset]] = {}
    for name in h5_file._names(path, group, "layer_names"):
        layer_group = group.get(name)
        if not isinstance(layer_group, h5py.Group):
            continue
        entries = []
        for weight_name in h5_file._names(path, layer_group, "weight_names"):
            dataset = layer_group.get(weight_name)
            if isinstance(dataset, h5py.Dataset):
                entries.append((weight_name, dataset))
        layer = top.get(name)
        if layer is None or not _is_container(layer):
            saved[name] = [dataset for _weight, dataset in entries]
            continue
        leaves = {unit_name.split("/")[-1]: f"{name}/{unit_name}"
                  for unit_name, _leaf, _group in _rebuilt_units(layer)}
        for weight_name, dataset in entries:
            owner = next((leaves[part] for part in reversed(weight_name.split("/")[:-1]) if part in leaves), name)
            saved.setdefault(owner, []).append(dataset)
    return saved


def _assign(variables: list[Any], arrays: list[h5py.Dataset]) -> tuple[str | None, int]:
    """Assign ``arrays`` to ``variables`` (in order) when they fit: (None, how many variables
    keep their fresh values), else (the reason, 0)."""
    wanted = [tuple(int(d) for d in variable.shape) for variable in variables]
    saved = [tuple(int(d) for d in dataset.shape) for dataset in arrays]
    if wanted != saved and not _prefix_match(saved, wanted):
        if len(wanted) != len(saved):
            return f"it has {len(wanted)} weight arrays, the original {len(saved)}", 0
        return f"its weight shapes changed: {_describe_shapes(saved)} in the original, {_describe_shapes(wanted)} now", 0
    try:
        values = [np.asarray(dataset[()]) for dataset in arrays]
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        return f"its saved weights could not be read ({error})", 0
    if not all(np.isfinite(value).all() for value in values if value.dtype.kind == "f"):
        return NONFINITE, 0
    for variable, value in zip(variables, values):
        variable.assign(value.astype(variable.dtype) if value.dtype != variable.dtype else value)
    return None, len(wanted) - len(saved)


# --------------------------------------------------------------------- compile and save

def _compile(model: Any, compile_config: dict[str, Any], notes: list[str]) -> None:
    import keras

    dropped = sorted(key for key in compile_config if key not in COMPILE_KEYS)
    settings = {key: value for key, value in compile_config.items() if key in COMPILE_KEYS}
    if dropped:
        notes.append(f"compile settings not understood by Keras 3 were left out: {', '.join(dropped)}")
    optimizer = settings.get("optimizer")
    if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict):
        legacy = [key for key in LEGACY_OPTIMIZER_KEYS if key in optimizer["config"]]
        for key in legacy:
            optimizer["config"].pop(key)
        if legacy:
            notes.append(f"tf.keras optimizer settings left out: {', '.join(legacy)}")
    if settings.get("jit_compile") is None:
        settings.pop("jit_compile", None)
    try:
        arguments = keras.saving.deserialize_keras_object(settings, safe_mode=True)
        model.compile(**arguments)
        if getattr(model, "optimizer", None) is not None and model.built:
            model.optimizer.build(model.trainable_variables)
    except Exception as error:
        raise BuildError(f"Keras could not compile the model with the patched settings: {_short(error)}") from None


def _save_atomically(model: Any, out_path: str, overwrite: bool) -> None:
    folder = os.path.dirname(os.path.abspath(out_path))
    handle, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".keras", dir=folder)
    os.close(handle)
    try:
        try:
            model.save(temp, overwrite=True)
        except Exception as error:
            raise BuildError(f"Keras could not save the rebuilt model: {_short(error)}") from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        if os.path.exists(out_path) and not overwrite:
            raise OutputError(f"{out_path}: the file appeared while the model was rebuilt; not overwritten")
        os.replace(temp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
