"""The TensorFlow worker: patched models rebuilt from checked configs, weights carried from
the original file (read with h5py), crafted files refused, crashes and cancels contained.

Each real rebuild starts one worker (about 5 s of TensorFlow import on 2 cores), so the
cases below run once per module and several tests look at the same output. Keras is
imported in this process only to load the files the worker wrote (our own files); the
user's original files are read with h5py and zipfile only.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import marshal
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from app.core.errors import InputError
from app.core.files import OutputError
from app.core.progress import Cancelled
from app.io.load import load_path
from app.patches.document import load_document
from app.probe import RebuildFailed, Refused, WorkerCrashed, run_rebuild, run_worker
from app.probe import client as probe_client

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "tests" / "fixtures" / "runs"

# Layer name → its group in the ORIGINAL archive's model.weights.h5, written out by hand
# from the fixture files (Keras names groups after the class with a counter, not the layer).
SEED004_GROUPS = {
    "vgg_base/block1_conv1": "layers/functional/layers/conv2d",
    "vgg_base/block1_conv2": "layers/functional/layers/conv2d_1",
    "vgg_base/block2_conv1": "layers/functional/layers/conv2d_2",
    "vgg_base/block2_conv2": "layers/functional/layers/conv2d_3",
    "vgg_base/block3_conv1": "layers/functional/layers/conv2d_4",
    "vgg_base/block3_conv2": "layers/functional/layers/conv2d_5",
    "dense": "layers/dense",
    "dense_1": "layers/dense_1",
}
MULTI_GROUPS = {"shared": "layers/dense", "value_hidden": "layers/dense_1", "class_out": "layers/dense_2",
                "value_out": "layers/dense_3"}
SEED002_WEIGHTED = ["conv1d", "batch_normalization", "conv1d_1", "batch_normalization_1", "conv1d_2",
                    "batch_normalization_2", "dense", "dense_1"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def archive_config(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def archive_arrays(path: Path, group: str) -> list[np.ndarray]:
    """vars/0, vars/1 ... of one layer group of a .keras archive, read with h5py."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as weights:
        own = weights[group]["vars"]
        return [np.array(own[str(i)]) for i in range(len(own))]


def h5_arrays(path: Path, layer: str) -> list[np.ndarray]:
    """A legacy .h5 layer's arrays in its weight_names order, read with h5py."""
    with h5py.File(path, "r") as root:
        group = root["model_weights"][layer]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
        return [np.array(group[name]) for name in names]


def sub_layer(model, path: str):
    layer = model
    for part in path.split("/"):
        layer = layer.get_layer(part)
    return layer


def layer_named(config: dict, name: str) -> dict:
    return next(layer for layer in config["config"]["layers"] if layer["config"].get("name") == name)


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[tuple[float, str]] = []
        self.cancel_after = cancel_after

    def report(self, fraction: float, message: str = "") -> None:
        self.reports.append((fraction, message))

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.reports) >= self.cancel_after


# ---------------------------------------------------------------- the rebuild cases (module-wide)

class Case:
    def __init__(self, source: Path, config: dict, out: Path, result, seconds: float, before: str) -> None:
        self.source, self.config, self.out, self.result, self.seconds = source, config, out, result, seconds
        self.hash_before = before


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras as keras_module

    return keras_module


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("probe")


def _run(workdir: Path, source: Path, config: dict, name: str, progress=None, **kwargs) -> Case:
    before = sha256(source)
    out = workdir / f"{name}.keras"
    start = time.monotonic()
    result = run_rebuild(source, config, out, progress or Recorder(), **kwargs)
    return Case(source, config, out, result, time.monotonic() - start, before)


@pytest.fixture(scope="module")
def seed004_softmax(workdir):
    """Sequential with a nested frozen Functional; output relu → softmax, learning rate 1e-3 → 5e-4."""
    source = RUNS / "seed004_relu_cce_nan" / "model.keras"
    config = archive_config(source)
    layer_named(config, "dense_1")["config"]["activation"] = "softmax"
    config["compile_config"]["optimizer"]["config"]["learning_rate"] = 0.0005
    recorder = Recorder()
    case = _run(workdir, source, config, "seed004_softmax", recorder)
    case.recorder = recorder
    return case


@pytest.fixture(scope="module")
def seed002_unchanged(workdir):
    """Sequential with three BatchNormalization layers, config unchanged."""
    source = RUNS / "seed002_softmax_bce_bn" / "model.keras"
    return _run(workdir, source, archive_config(source), "seed002_unchanged")


@pytest.fixture(scope="module")
def multi_narrowed(workdir):
    """Functional two-headed model; value_hidden 16 → 8 units changes two layers' shapes."""
    source = RUNS / "multi_output" / "model.keras"
    config = archive_config(source)
    layer_named(config, "value_hidden")["config"]["units"] = 8
    return _run(workdir, source, config, "multi_narrowed")


@pytest.fixture(scope="module")
def seed004_h5_gap(workdir):
    """Legacy .h5 written by Keras 3; Flatten → GlobalAveragePooling2D (the Dense after it changes shape)."""
    source = RUNS / "seed004_relu_cce_nan" / "model.h5"
    config = load_document(source).config
    layers = config["config"]["layers"]
    index = next(i for i, layer in enumerate(layers) if layer["class_name"] == "Flatten")
    layers[index] = {"module": "keras.layers", "class_name": "GlobalAveragePooling2D", "registered_name": None,
                     "config": {"name": "global_average_pooling2d", "data_format": "channels_last",
                                "keepdims": False, "trainable": True}}
    return _run(workdir, source, config, "seed004_h5_gap")


@pytest.fixture(scope="module")
def tfkeras_h5(workdir):
    """tf_keras (Keras 2) legacy .h5, config unchanged, written over an existing file with overwrite=True."""
    source = RUNS / "keras2_tfkeras" / "model.h5"
    (workdir / "tfkeras.keras").write_bytes(b"old")
    return _run(workdir, source, load_document(source).config, "tfkeras", overwrite=True)


def test_sequential_with_nested_model_gets_its_patch_and_every_weight(seed004_softmax, keras):
    case = seed004_softmax
    finite = {name: group for name, group in SEED004_GROUPS.items() if name not in ("dense", "dense_1")}
    assert sorted(case.result.layers_carried) == sorted(finite)
    assert case.result.compiled
    model = keras.models.load_model(case.out, safe_mode=True)  # our own output file
    for name, group in finite.items():
        saved = archive_arrays(case.source, group)
        rebuilt = sub_layer(model, name).get_weights()
        assert len(rebuilt) == len(saved) == 2
        for a, b in zip(rebuilt, saved):
            assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), name
    assert model.get_layer("dense_1").get_config()["activation"] == "softmax"
    assert model.get_layer("vgg_base").trainable is False
    assert model.optimizer.__class__.__name__ == "Adam"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0005)
    assert model.loss == "categorical_crossentropy"
    # The run went NaN: its Dense weights are NaN; they are not carried (a NaN weight never
    # learns again) but start from their initializers, and the note says why.
    assert case.result.layers_nonfinite == ["dense", "dense_1"]
    reasons = dict(case.result.layers_reinitialized)
    assert set(reasons) == {"dense", "dense_1"} and all("NaN" in why for why in reasons.values())
    assert any("NaN" in note for note in case.result.notes)
    assert np.isnan(archive_arrays(case.source, SEED004_GROUPS["dense"])[0]).all()  # as saved
    assert all(np.isfinite(w).all() for w in model.get_layer("dense").get_weights())
    features = keras.Sequential(model.layers[:2])  # the carried (finite) convolution base
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    assert np.isfinite(features.predict(x, verbose=0)).all()
    assert sha256(case.source) == case.hash_before
    fractions = [f for f, _ in case.recorder.reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 4


def test_batchnorm_model_unchanged_predicts_like_a_model_given_the_original_arrays(seed002_unchanged, keras):
    case = seed002_unchanged
    assert case.result.layers_carried == SEED002_WEIGHTED
    model = keras.models.load_model(case.out, safe_mode=True)
    for name in SEED002_WEIGHTED:
        saved = archive_arrays(case.source, f"layers/{name}")
        rebuilt = model.get_layer(name).get_weights()
        assert [a.shape for a in rebuilt] == [b.shape for b in saved]
        assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(rebuilt, saved)), name
    moving_variance = model.get_layer("batch_normalization").get_weights()[3]
    assert not np.allclose(moving_variance, 1.0)  # trained statistics, not a fresh layer's ones
    # The reference: the same (fixture) config built here, given the original arrays by set_weights.
    config = archive_config(case.source)
    config.pop("compile_config")
    reference = keras.saving.deserialize_keras_object(config, safe_mode=True)
    for name in SEED002_WEIGHTED:
        reference.get_layer(name).set_weights(archive_arrays(case.source, f"layers/{name}"))
    x = np.random.default_rng(1).normal(size=(3, 256, 1)).astype("float32")
    assert np.allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)
    assert model.optimizer.__class__.__name__ == "SGD" and model.loss == "binary_crossentropy"
    assert sha256(case.source) == case.hash_before


def test_functional_model_keeps_matching_layers_and_reports_the_changed_ones(multi_narrowed, keras):
    case = multi_narrowed
    assert sorted(case.result.layers_carried) == ["class_out", "shared"]
    reasons = dict(case.result.layers_reinitialized)
    assert sorted(reasons) == ["value_hidden", "value_out"]
    assert "(32, 16)" in reasons["value_hidden"] and "(32, 8)" in reasons["value_hidden"]
    assert "(16, 1)" in reasons["value_out"] and "(8, 1)" in reasons["value_out"]
    model = keras.models.load_model(case.out, safe_mode=True)
    for name in ("shared", "class_out"):
        saved = archive_arrays(case.source, MULTI_GROUPS[name])
        assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(model.get_layer(name).get_weights(), saved))
    assert model.get_layer("value_hidden").get_weights()[0].shape == (32, 8)
    assert model.loss == {"class_out": "sparse_categorical_crossentropy", "value_out": "mse"}
    assert sha256(case.source) == case.hash_before


def test_legacy_keras3_h5_with_a_swapped_pooling_layer(seed004_h5_gap, keras):
    case = seed004_h5_gap
    reasons = dict(case.result.layers_reinitialized)
    assert list(reasons) == ["dense", "dense_1"]
    assert "(512, 32)" in reasons["dense"] and "(32, 32)" in reasons["dense"]
    assert "NaN" in reasons["dense_1"] and case.result.layers_nonfinite == ["dense_1"]  # the failed run's head
    assert "vgg_base/block3_conv2" in case.result.layers_carried
    assert len(case.result.layers_carried) == 6
    assert "legacy .h5 input written as .keras" in case.result.notes
    model = keras.models.load_model(case.out, safe_mode=True)
    assert [type(layer).__name__ for layer in model.layers] == ["Functional", "GlobalAveragePooling2D",
                                                                 "Dense", "Dense"]
    saved = h5_arrays(case.source, "vgg_base")  # one group for the nested model, 12 arrays in order
    rebuilt = [w for name in ("block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
                              "block3_conv1", "block3_conv2")
               for w in model.get_layer("vgg_base").get_layer(name).get_weights()]
    assert len(saved) == len(rebuilt) == 12
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(rebuilt, saved))
    assert np.isnan(h5_arrays(case.source, "dense_1")[0]).all()  # as saved ...
    assert all(np.isfinite(w).all() for w in model.get_layer("dense_1").get_weights())  # ... not carried
    assert model.get_layer("dense").get_weights()[0].shape == (32, 32)
    assert sha256(case.source) == case.hash_before


def test_tf_keras_h5_predicts_what_its_arrays_compute(tfkeras_h5, keras):
    case = tfkeras_h5
    assert case.result.layers_carried == ["dense", "dense_1", "dense_2"] and case.result.compiled
    model = keras.models.load_model(case.out, safe_mode=True)
    (w0, b0), (w1, b1), (w2, b2) = (h5_arrays(case.source, name) for name in ("dense", "dense_1", "dense_2"))
    x = np.random.default_rng(2).normal(size=(16, 8)).astype("float32")
    hidden = np.maximum(np.maximum(x @ w0 + b0, 0) @ w1 + b1, 0)
    expected = 1 / (1 + np.exp(-(hidden @ w2 + b2)))  # numpy forward pass of the original arrays
    assert np.allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.003)
    assert model.loss == "binary_crossentropy"
    assert sha256(case.source) == case.hash_before


def test_no_temporary_files_are_left_next_to_the_outputs(seed004_softmax, seed002_unchanged, workdir):
    leftovers = [p.name for p in workdir.iterdir() if p.name.startswith(".traindoc")]
    assert leftovers == []


# --------------------------------------------------------------------------- crafted files

def _marker_code(marker: Path) -> str:
    """What Keras writes for a Lambda: the base64 of the marshalled function code."""
    function = eval(f"lambda x: (open({str(marker)!r}, 'w').write('pwned'), x)[1]")  # noqa: S307 - test only
    return base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")


def _empty_weights() -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as weights:
        weights.create_group("layers")
    return buffer.getvalue()


def _input_layer(shape: list) -> dict:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": [None, *shape], "dtype": "float32", "name": "input_layer"}}


def _write_keras(path: Path, config: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "backend": "tensorflow"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", _empty_weights())


def lambda_keras(tmp_path: Path, marker: Path) -> Path:
    lam = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
           "config": {"name": "lambda", "trainable": True, "dtype": "float32",
                      "function": {"class_name": "__lambda__",
                                   "config": {"code": _marker_code(marker), "defaults": None, "closure": None}},
                      "arguments": {}}}
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "layers": [_input_layer([4]), lam]}}
    path = tmp_path / "lambda.keras"
    _write_keras(path, config)
    return path


def module_keras(tmp_path: Path, marker: Path) -> Path:
    dense = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "dense", "units": 2,
                        "kernel_initializer": {"module": "os", "class_name": "system", "registered_name": "system",
                                               "config": {"command": f"touch {marker}"}},
                        "bias_initializer": {"module": "keras.models", "class_name": "load_model",
                                             "registered_name": None, "config": {"filepath": str(marker)}},
                        "activation": {"module": "builtins", "class_name": "function", "registered_name": "function",
                                       "config": "exec"}}}
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "layers": [_input_layer([4]), dense]}}
    path = tmp_path / "module.keras"
    _write_keras(path, config)
    return path


def lambda_h5(tmp_path: Path, marker: Path) -> Path:
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "name": "lambda_input"}},
        {"class_name": "Lambda", "config": {"name": "lambda", "trainable": True, "dtype": "float32",
                                            "function": [_marker_code(marker), None, None],
                                            "function_type": "lambda", "module": "__main__",
                                            "output_shape": None, "arguments": {}}}]}}
    path = tmp_path / "lambda.h5"
    with h5py.File(path, "w") as root:
        root.attrs["keras_version"] = "2.21.0"
        root.attrs["backend"] = "tensorflow"
        root.attrs["model_config"] = json.dumps(config)
        weights = root.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"lambda"])
        weights.create_group("lambda").attrs["weight_names"] = np.array([], dtype="S1")
    return path


def _crafted_config(path: Path) -> dict:
    if path.suffix == ".keras":
        return archive_config(path)
    with h5py.File(path, "r") as root:
        return json.loads(root.attrs["model_config"])


@pytest.mark.parametrize("make, offending, words", [
    (lambda_keras, "config.config.layers[1]", ["Lambda"]),
    (module_keras, "config.config.layers[1].config.kernel_initializer", ["'os'", "load_model", "'function'"]),
    (lambda_h5, "config.config.layers[1]", ["Lambda"]),
])
def test_crafted_models_are_refused_and_never_run(tmp_path, make, offending, words):
    marker = tmp_path / "marker"
    path = make(tmp_path, marker)
    before = sha256(path)
    config = _crafted_config(path)
    with pytest.raises(Refused) as info:  # the client's own check, before any worker starts
        run_rebuild(path, config, tmp_path / "out.keras")
    assert any(reason.startswith(offending) for reason in info.value.reasons), info.value.reasons
    for word in words:
        assert word in str(info.value)
    # The worker refuses it too when asked directly (the client's check bypassed).
    request = {"op": "rebuild", "source": str(path), "config": config, "out": str(tmp_path / "out2.keras")}
    with pytest.raises(Refused) as direct:
        run_worker(request)
    assert any(reason.startswith(offending) for reason in direct.value.reasons)
    # The readers still diagnose the file, as data.
    loaded = load_path(path)
    assert len(loaded.models) == 1
    assert not marker.exists()
    assert not (tmp_path / "out.keras").exists() and not (tmp_path / "out2.keras").exists()
    assert sha256(path) == before


def test_a_refused_config_never_imports_keras(tmp_path):
    marker = tmp_path / "marker"
    path = lambda_keras(tmp_path, marker)
    code = ("import json, sys\n"
            "from app.probe.rebuild import rebuild\n"
            "from app.probe.client import Refused\n"
            f"config = json.loads({json.dumps(json.dumps(archive_config(path)))})\n"
            "try:\n"
            f"    rebuild({str(path)!r}, config, {str(tmp_path / 'out.keras')!r})\n"
            "except Refused as error:\n"
            "    print('refused', len(error.reasons))\n"
            "print(sorted(m for m in ('keras', 'tensorflow', 'tf_keras') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    refused, imported = result.stdout.split("\n")[:2]
    assert refused in ("refused 1", "refused 2") and imported == "[]"
    assert not marker.exists()


# ------------------------------------------------------------- outputs, inputs, crashes, cancel

@pytest.fixture
def no_worker(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a worker was started")
    monkeypatch.setattr(probe_client.subprocess, "Popen", refuse)


def test_refused_output_paths_raise_before_any_work(tmp_path, no_worker):
    source = RUNS / "healthy_mlp" / "model.keras"
    config = archive_config(source)
    copy_of_source = tmp_path / "model.keras"
    copy_of_source.write_bytes(source.read_bytes())
    existing = tmp_path / "existing.keras"
    existing.write_bytes(b"keep me")
    for out, words in [(copy_of_source, "overwrite the input"), (tmp_path / "." / "model.keras", "overwrite the input"),
                       (existing, "already exists"), (tmp_path / "patched.h5", ".keras"),
                       (tmp_path / "missing" / "patched.keras", "does not exist")]:
        with pytest.raises(OutputError, match=words):
            run_rebuild(copy_of_source, config, out)
    assert existing.read_bytes() == b"keep me"
    assert copy_of_source.read_bytes() == source.read_bytes()


def test_unreadable_source_is_an_input_error(tmp_path):
    source = tmp_path / "model.keras"
    source.write_text("this is not a model\n")
    config = archive_config(RUNS / "healthy_mlp" / "model.keras")
    with pytest.raises(InputError) as info:
        run_rebuild(source, config, tmp_path / "out.keras")
    message = info.value.message()
    assert str(source) in message and "expected a Keras model file" in message and "this is" in message


def test_a_config_keras_rejects_is_a_rebuild_failure(tmp_path):
    source = RUNS / "healthy_mlp" / "model.keras"
    config = archive_config(source)
    config["config"]["layers"][1]["config"]["units"] = "many"  # plain data, but not a number
    with pytest.raises(RebuildFailed, match="could not build"):
        run_rebuild(source, config, tmp_path / "out.keras")
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_crashing_worker_raises_and_this_process_survives(monkeypatch):
    monkeypatch.setenv("TRAINDOC_TEST_CRASH", "1")
    pid = os.getpid()
    with pytest.raises(WorkerCrashed) as info:
        run_worker({"op": "crash_for_test"})
    assert info.value.returncode == -6 and info.value.signal_name == "SIGABRT"
    assert "SIGABRT" in str(info.value)
    assert os.getpid() == pid  # still here
    monkeypatch.delenv("TRAINDOC_TEST_CRASH")
    with pytest.raises(probe_client.ProbeError, match="TRAINDOC_TEST_CRASH"):
        run_worker({"op": "crash_for_test"})


def _worker_children() -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"app.probe.worker" in cmdline:
            children.append(int(entry.name))
    return children


def test_cancel_kills_the_worker_quickly(tmp_path):
    source = RUNS / "seed002_softmax_bce_bn" / "model.keras"
    recorder = Recorder(cancel_after=2)  # cancel once TensorFlow is being imported
    start = time.monotonic()
    with pytest.raises(Cancelled):
        run_rebuild(source, archive_config(source), tmp_path / "out.keras", recorder)
    assert time.monotonic() - start < 5
    assert _worker_children() == []
    assert list(tmp_path.iterdir()) == []


def test_a_worker_past_its_timeout_is_stopped(tmp_path):
    source = RUNS / "healthy_mlp" / "model.keras"
    start = time.monotonic()
    with pytest.raises(WorkerCrashed, match="did not finish within"):
        run_rebuild(source, archive_config(source), tmp_path / "out.keras", timeout=0.5)
    assert time.monotonic() - start < 3
    assert _worker_children() == []


def test_the_probe_package_is_pure():
    code = ("import sys, app.probe\n"
            "print(sorted(m for m in ('keras', 'tensorflow', 'tf_keras', 'PySide6') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def test_rebuild_result_round_trips_through_json():
    result = probe_client.RebuildResult("x.keras", ["a"], [("b", "why")], True, ["note"])
    assert probe_client.RebuildResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_config_is_not_modified_by_the_client(tmp_path, no_worker):
    config = archive_config(RUNS / "healthy_mlp" / "model.keras")
    kept = copy.deepcopy(config)
    with pytest.raises(OutputError):
        run_rebuild(RUNS / "healthy_mlp" / "model.keras", config, tmp_path / "x.h5")
    assert config == kept


def test_the_crafted_lambda_file_is_a_live_payload(tmp_path):
    """The control for the test above: the crafted .keras really runs its code when Keras
    deserializes it unsafely (in a separate process, on our own file), so "the marker never
    appears" above means TrainDoc did not run it, not that the payload was inert."""
    marker = tmp_path / "marker"
    path = lambda_keras(tmp_path, marker)
    code = f"import keras; keras.models.load_model({str(path)!r}, safe_mode=False)"
    subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, check=False)
    assert marker.exists()
