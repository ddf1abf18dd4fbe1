"""Model readers: .keras archives, legacy .h5 files and model.to_json() text.

The first half checks every model file of the committed fixtures (real Keras runs, see
tests/fixtures/fixtures.json) against what Keras itself reported when it saved them:
``count_params()``, trainable parameters, layer classes, output activation and units, loss,
optimizer. The second half feeds hostile files built here: configs naming ``os.system``
or ``builtins>eval``, Lambda bytecode, zip bombs, truncated archives, odd member names,
huge HDF5 attributes. They must be read as data or refused with InputError, and the marker
file a real import or exec would create must never appear.
"""

from __future__ import annotations

import base64
import io
import json
import marshal
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.io import keras_config
from app.io.readers import h5_file, keras_file, model_json
from app.io.sniff import TextSource, probe_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MANIFEST = FIXTURES / "fixtures.json"
READERS = {".keras": keras_file, ".h5": h5_file, ".json": model_json}


def _manifest() -> dict:
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8")).get("scenarios", {})


def _fixture_path(scenario: str, file: str) -> Path:
    for candidate in (FIXTURES / file, FIXTURES / "runs" / scenario / file, FIXTURES.parents[1] / file):
        if candidate.exists():
            return candidate
    return FIXTURES / file


MODEL_FILES = [(name, file) for name, scenario in sorted(_manifest().items())
               for file in scenario.get("files", [])
               if Path(file).name in ("model.keras", "model.h5", "model.json")]
IDS = [f"{name}/{Path(file).name}" for name, file in MODEL_FILES]


def read_model(path: Path) -> ModelSpec:
    """Read a model file with the reader its content selects (as load_path would)."""
    probe = probe_file(str(path))
    scores = {suffix: reader.identify(probe) for suffix, reader in READERS.items()}
    suffix = max(scores, key=scores.get)
    assert scores[suffix] >= 0.9, scores
    reader = READERS[suffix]
    if reader.INPUT == "text":
        return reader.read(TextSource.from_file(str(path), probe.encoding))
    return reader.read(str(path))


def test_the_manifest_lists_keras_h5_and_json_model_files():
    assert MANIFEST.exists(), "tests/fixtures/fixtures.json is produced by tools/make_fixtures.py"
    names = {Path(file).name for _, file in MODEL_FILES}
    assert {"model.keras", "model.h5", "model.json"} <= names
    assert "vgg16_config" in {name for name, _ in MODEL_FILES}


@pytest.mark.parametrize("scenario, file", MODEL_FILES, ids=IDS)
def test_each_file_is_claimed_by_its_own_reader_only(scenario, file):
    probe = probe_file(str(_fixture_path(scenario, file)))
    own = READERS[Path(file).suffix]
    assert own.identify(probe) >= 0.9
    for reader in READERS.values():
        if reader is not own:
            assert reader.identify(probe) < 0.2


@pytest.mark.parametrize("scenario, file", MODEL_FILES, ids=IDS)
def test_parameter_counts_equal_keras_count_params(scenario, file):
    expected = _manifest()[scenario]["model"]
    model = read_model(_fixture_path(scenario, file))
    assert model.params_total == expected["params_total"]
    assert model.params_trainable == expected["params_trainable"]
    assert model.params_total == sum(layer.params_total for layer in model.layers)


@pytest.mark.parametrize("scenario, file", MODEL_FILES, ids=IDS)
def test_layers_output_and_compile_settings_equal_the_manifest(scenario, file):
    expected = _manifest()[scenario]["model"]
    path = _fixture_path(scenario, file)
    model = read_model(path)
    assert [layer.class_name for layer in model.layers] == expected["layer_classes"]
    assert model.output_activation == expected["output_activation"]
    assert model.output_units == expected["output_units"]
    for name in expected.get("nested") or []:
        nested = model.layer(name)
        assert nested is not None and nested.is_nested_model
        assert all(sub.path.startswith(name + "/") for sub in nested.sublayers)
    compiled = True
    optimizer_saved = True
    if path.suffix == ".json":  # to_json() carries compile settings only in some versions
        raw = json.loads(path.read_text(encoding="utf-8"))
        compiled = bool((raw.get("compile_config") or {}).get("loss"))
        optimizer_saved = bool((raw.get("compile_config") or {}).get("optimizer"))
    if compiled:
        # the manifest gives the loss of the first output (per-output losses are keyed by name)
        losses = model.compile.loss if model.compile else []
        loss = next((item for item in losses if item.output == model.output_names[0]), model.loss)
        assert loss is not None
        assert loss.name == keras_config.canonical_loss(expected["loss"])
        assert bool(loss.from_logits) == expected["from_logits"]
    else:
        assert model.loss is None
    if optimizer_saved and compiled:
        optimizer = model.optimizer
        assert optimizer is not None
        assert optimizer.name.lower() == expected["optimizer"].lower()
        if expected["learning_rate"] is None:
            assert optimizer.learning_rate is None or optimizer.schedule is not None
        else:
            assert optimizer.learning_rate == pytest.approx(expected["learning_rate"], rel=1e-6)
        if expected["epsilon"] is None:
            assert optimizer.epsilon is None
        else:
            assert optimizer.epsilon == pytest.approx(expected["epsilon"], rel=1e-6)


def _vgg_json() -> Path:
    files = [file for name, file in MODEL_FILES if name == "vgg16_config"]
    assert files, "the manifest has the vgg16_config scenario"
    return _fixture_path("vgg16_config", files[0])


def test_frozen_vgg16_base_is_nested_frozen_and_non_trainable():
    model = read_model(_vgg_json())
    base = next(layer for layer in model.layers if layer.is_nested_model)
    assert base.trainable is False
    conv = model.layer(f"{base.name}/block1_conv1")
    assert conv is not None and conv.path == f"{base.name}/block1_conv1"
    assert conv.trainable is False and conv.params_trainable == 0
    assert conv.params_total == 3 * 3 * 3 * 64 + 64
    assert base.params_trainable == 0
    assert base.params_total == 14_714_688  # VGG16 without its top, as Keras counts it
    assert model.params_non_trainable >= 14_700_000


def test_a_frozen_nested_model_freezes_sublayers_that_say_trainable():
    inner = {"class_name": "Sequential", "config": {"name": "base", "trainable": False, "layers": [
        {"class_name": "InputLayer", "config": {"name": "i", "batch_shape": [None, 4]}},
        {"class_name": "Dense", "config": {"name": "inner_dense", "units": 3, "trainable": True}},
        {"class_name": "BatchNormalization", "config": {"name": "inner_bn", "trainable": True}},
    ]}}
    outer = {"class_name": "Sequential", "config": {"name": "outer", "layers": [
        {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 4]}},
        inner, {"class_name": "Dense", "config": {"name": "head", "units": 1}}]}}
    model = keras_config.model_from_config(outer, path="crafted", fmt="json")
    assert model.layer("base/inner_dense").trainable is False
    assert model.layer("base/inner_dense").params_trainable == 0
    assert model.layer("base").params_total == 15 + 12
    assert (model.params_total, model.params_trainable) == (15 + 12 + 4, 4)


# --- Layer settings read from the real fixture files -------------------------------------------
# The expected values are what tools/make_fixtures.py built (the Keras calls are quoted in each
# test) plus Keras's own defaults; counts are cross-checked with the manifest and the weights
# Keras stored beside the config.


def _load_model(scenario: str, file: str) -> ModelSpec:
    from app.io.load import load_path

    loaded = load_path(FIXTURES / "runs" / scenario / file)
    assert loaded.runs == [] and len(loaded.models) == 1
    assert loaded.models[0].format == Path(file).suffix.lstrip(".")
    return loaded.models[0]


@pytest.mark.parametrize("file", ["model.keras", "model.h5"])
def test_functional_two_head_model_keeps_its_branching_graph(file):
    """multi_output: inputs = Input(name="features"); shared = Dense(32)(inputs);
    class_out = Dense(3)(shared); value_out = Dense(1)(Dense(16, name="value_hidden")(shared))."""
    model = _load_model("multi_output", file)
    assert model.class_name == "Functional"
    inbound = {layer.name: layer.inbound for layer in model.layers}
    assert inbound == {"features": [], "shared": ["features"], "value_hidden": ["shared"],
                       "class_out": ["shared"], "value_out": ["value_hidden"]}
    assert model.output_names == ["class_out", "value_out"]
    assert model.output_layer.name == "class_out"
    assert model.output_activation == "softmax" and model.output_units == 3
    assert [(loss.output, loss.name) for loss in model.compile.loss] == [
        ("class_out", "sparse_categorical_crossentropy"), ("value_out", "mean_squared_error")]


@pytest.mark.parametrize("scenario", ["seed000_bce_fixed", "seed000_mse_sigmoid"])
@pytest.mark.parametrize("file", ["model.keras", "model.h5"])
def test_functional_chain_with_lambda_layers_links_each_layer_to_the_one_before(scenario, file):
    """seed000: Input -> 2 x (Conv1D, SeparableConv1D, Lambda) -> Flatten -> Dense x 3, built
    with the functional API, so every layer names the one feeding it."""
    model = _load_model(scenario, file)
    names = _manifest()[scenario]["model"]["layer_names"]
    assert model.class_name == "Functional"
    assert [layer.name for layer in model.layers] == names
    assert model.layers[0].class_name == "InputLayer" and model.layers[0].inbound == []
    for before, layer in zip(model.layers, model.layers[1:]):
        assert layer.inbound == [before.name], layer.name
    assert [layer.name for layer in model.lambda_layers] == ["lambda", "lambda_1"]
    assert model.output_names == [names[-1]]
    assert model.output_activation == "sigmoid" and model.output_units == 1


@pytest.mark.parametrize("scenario, file, filters", [
    ("bn_small_batch_conv2d", "model.keras", [8, 16]),  # Conv2D(8), BN, ..., Conv2D(16), BN
    ("seed002_softmax_bce_bn", "model.keras", [8, 16, 16]),  # Conv1D 8, 16, 16 each + BN
    ("seed002_softmax_bce_bn", "model.h5", [8, 16, 16]),
])
def test_batchnormalization_settings_and_moving_statistics(scenario, file, filters):
    """layers.BatchNormalization() with Keras defaults: momentum 0.99, epsilon 1e-3,
    center/scale on, axis -1, no renorm, not synchronized. gamma and beta train; the moving
    mean and variance are the model's only non-trainable parameters."""
    model = _load_model(scenario, file)
    norms = [layer for layer in model.layers if layer.class_name == "BatchNormalization"]
    assert len(norms) == len(filters)
    for layer, width in zip(norms, filters):
        bn = layer.batchnorm
        assert bn is not None, layer.name
        assert (bn.momentum, bn.epsilon, bn.center, bn.scale, bn.axis, bn.renorm, bn.synchronized) == (
            pytest.approx(0.99), pytest.approx(1e-3), True, True, -1, False, False)
        assert (layer.params_total, layer.params_trainable) == (4 * width, 2 * width)
    assert all(layer.batchnorm is None for layer in model.layers if layer not in norms)
    expected = _manifest()[scenario]["model"]
    assert model.params_non_trainable == expected["params_total"] - expected["params_trainable"]
    assert model.params_non_trainable == sum(layer.params_non_trainable for layer in norms)


def test_zeros_initializer_on_the_hidden_layers():
    """zeros_init_mlp: _mlp(..., (32, 16), 3, "softmax", kernel_initializer="zeros") on the
    hidden Dense layers; the output Dense keeps the default GlorotUniform."""
    model = _load_model("zeros_init_mlp", "model.keras")
    assert [(layer.name, layer.kernel_initializer, layer.bias_initializer) for layer in model.layers] == [
        ("dense", "Zeros", "Zeros"), ("dense_1", "Zeros", "Zeros"), ("dense_2", "GlorotUniform", "Zeros")]


def test_random_normal_initializer_keeps_its_stddev():
    """exploding_init_mlp: 8 x Dense(32, relu, kernel_initializer=RandomNormal(stddev=3.0)),
    then the default-initialized output Dense. Keras saves the one initializer object once and
    later uses as shared references; each layer must still show it."""
    model = _load_model("exploding_init_mlp", "model.keras")
    hidden, output = model.layers[:-1], model.layers[-1]
    assert len(hidden) == 8
    for layer in hidden:
        assert layer.kernel_initializer == "RandomNormal", layer.name
        assert layer.config["kernel_initializer"]["config"]["stddev"] == 3.0
        assert layer.config["kernel_initializer"]["config"]["mean"] == 0.0
        assert layer.bias_initializer == "Zeros" and layer.units == 32 and layer.activation == "relu"
    assert output.kernel_initializer == "GlorotUniform"


@pytest.mark.parametrize("file", ["model.keras", "model.h5"])
def test_he_normal_initializers_in_a_functional_model(file):
    """seed000: Conv1D(..., kernel_initializer="he_normal") in each block and the two hidden
    Dense layers with he_normal; the sigmoid output Dense keeps GlorotUniform."""
    model = _load_model("seed000_bce_fixed", file)
    initializers = {layer.name: layer.kernel_initializer for layer in model.layers
                    if layer.class_name in ("Conv1D", "Dense")}
    assert initializers == {"conv1d": "HeNormal", "conv1d_1": "HeNormal", "dense": "HeNormal",
                            "dense_1": "HeNormal", "dense_2": "GlorotUniform"}


def test_bias_regularizer_is_read_with_its_factor():
    """bias_regularized_mlp: reg = regularizers.l2(10.0) as bias_regularizer of every Dense;
    no kernel or activity regularizer."""
    model = _load_model("bias_regularized_mlp", "model.keras")
    assert len(model.layers) == 3
    for layer in model.layers:
        assert layer.bias_regularizer == {"class": "L2", "l2": 10.0}, layer.name
        assert layer.kernel_regularizer is None and layer.activity_regularizer is None
        assert layer.use_bias is True


def test_layers_without_bias_count_only_their_kernel():
    """missing_bias_mlp: Input((2,)), Dense(32, use_bias=False), Dense(16, use_bias=False),
    Dense(1, use_bias=False). The weights file beside the config stores one variable (the
    kernel) per layer; the parameter counts must be those kernels alone."""
    path = FIXTURES / "runs" / "missing_bias_mlp" / "model.keras"
    model = _load_model("missing_bias_mlp", "model.keras")
    with zipfile.ZipFile(path) as archive, \
            h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights:
        stored = {name: [weights[f"layers/{name}/vars"][key].shape
                         for key in weights[f"layers/{name}/vars"]] for name in weights["layers"]}
    assert stored == {"dense": [(2, 32)], "dense_1": [(32, 16)], "dense_2": [(16, 1)]}
    for layer in model.layers:
        assert layer.use_bias is False, layer.name
        [kernel] = stored[layer.name]
        assert layer.params_total == kernel[0] * kernel[1]
    assert model.params_total == _manifest()["missing_bias_mlp"]["model"]["params_total"] == 592
    healthy = _load_model("healthy_mlp", "model.keras")
    assert all(layer.use_bias is True for layer in healthy.layers)


_OPTIMIZER_KEYS = ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "momentum",
                   "nesterov", "beta_1", "beta_2", "amsgrad", "epsilon")


@pytest.mark.parametrize("scenario, file", [(name, file) for name, file in MODEL_FILES
                                            if not file.endswith(".json")],
                         ids=[i for i, (_, file) in zip(IDS, MODEL_FILES) if not file.endswith(".json")])
def test_optimizer_settings_equal_the_config_keras_reported(scenario, file):
    """Every fixture was compiled without clipnorm, clipvalue, global_clipnorm or weight decay
    (tools/make_fixtures.py sets none, and Keras reported them as None): the readers must not
    make any up, and settings() (what inspect prints) leaves them out."""
    reported = _manifest()[scenario]["model"]["optimizer_config"]
    optimizer = read_model(_fixture_path(scenario, file)).optimizer
    assert optimizer is not None
    for key in _OPTIMIZER_KEYS:
        value, saved = getattr(optimizer, key), reported.get(key)  # absent: e.g. momentum of Adam
        if saved is None or isinstance(saved, bool):
            assert value is saved, key
        else:
            assert value == pytest.approx(saved, rel=1e-7), key
    shown = optimizer.settings()
    for key in ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay"):
        assert key not in shown


def _first_model_file(suffix: str) -> Path:
    for name, file in MODEL_FILES:
        if file.endswith(suffix):
            return _fixture_path(name, file)
    pytest.fail(f"no fixture model file ending {suffix}")


def _rewrite_keras(source: Path, target: Path, change_config) -> None:
    """Copy a .keras archive, changing its config.json (weights kept as they are)."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename == "config.json":
                data = json.dumps(change_config(json.loads(data))).encode()
            out.writestr(info, data)


def test_saved_weights_decide_params_even_when_the_config_cannot_be_sized(tmp_path):
    """Strip every shape from the config: only model.weights.h5 can give the counts."""
    source = _first_model_file("model.keras")
    reference = read_model(source)

    def strip_shapes(value):
        if isinstance(value, dict):
            return {k: strip_shapes(v) for k, v in value.items()
                    if k not in ("build_config", "batch_shape", "batch_input_shape", "shape",
                                 "build_input_shape", "input_shape")}
        if isinstance(value, list):
            return [strip_shapes(v) for v in value]
        return value

    target = tmp_path / "no_shapes.keras"
    _rewrite_keras(source, target, strip_shapes)
    model = keras_file.read(str(target))
    assert (model.params_total, model.params_trainable) == (reference.params_total, reference.params_trainable)
    without_weights = tmp_path / "no_weights.keras"
    with zipfile.ZipFile(target) as archive, zipfile.ZipFile(without_weights, "w") as out:
        for info in archive.infolist():
            if info.filename != "model.weights.h5":
                out.writestr(info, archive.read(info.filename))
    blind = keras_file.read(str(without_weights))
    assert blind.params_total is None  # never guessed
    assert any("parameter count not known" in w for w in blind.warnings)


def test_keras_file_without_weights_infers_params_from_the_config(tmp_path):
    source = _first_model_file("model.keras")
    reference = read_model(source)
    target = tmp_path / "config_only.keras"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            if info.filename != "model.weights.h5":
                out.writestr(info, archive.read(info.filename))
    model = keras_file.read(str(target))
    assert (model.params_total, model.params_trainable) == (reference.params_total, reference.params_trainable)
    assert any("no model.weights.h5" in w for w in model.warnings)


def test_compressed_weights_member_gives_the_same_counts(tmp_path):
    """Keras stores members uncompressed (read in place); a re-zipped archive deflates them."""
    source = _first_model_file("model.keras")
    reference = read_model(source)
    target = tmp_path / "deflated.keras"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            out.writestr(info.filename, archive.read(info.filename))
    with zipfile.ZipFile(target) as archive:
        assert archive.getinfo("model.weights.h5").compress_type == zipfile.ZIP_DEFLATED
    model = keras_file.read(str(target))
    assert (model.params_total, model.params_trainable) == (reference.params_total, reference.params_trainable)
    assert not any("model.weights.h5" in w for w in model.warnings)


def _tiny_weights(build) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        build(handle)
    return buffer.getvalue()


def test_weights_file_with_linked_groups_in_a_loop_finishes(tmp_path):
    def build(handle):
        layer = handle.create_group("layers/dense")
        variables = layer.create_group("vars")
        variables.attrs["name"] = "d"
        variables.create_dataset("0", data=np.zeros((4, 2)))
        variables.create_dataset("1", data=np.zeros(2))
        layer["loop_a"] = layer  # hard links back to the layer: a walk without memory never ends
        layer["loop_b"] = layer

    path = tmp_path / "loop.keras"
    _write_keras(path, _sequential(_dense("d", 2)), members={"model.weights.h5": _tiny_weights(build)})
    model = keras_file.read(str(path))
    assert model.params_total == 4 * 2 + 2


def test_weights_under_unexpected_groups_are_counted_but_flagged(tmp_path):
    def build(handle):
        variables = handle.create_group("layers/dense/vars")
        variables.attrs["name"] = "d"
        variables.create_dataset("0", data=np.zeros((4, 2)))
        variables.create_dataset("1", data=np.zeros(2))
        handle.create_dataset("layers/stowaway/vars/0", data=np.zeros((100,)))

    path = tmp_path / "extra.keras"
    _write_keras(path, _sequential(_dense("d", 2)), members={"model.weights.h5": _tiny_weights(build)})
    model = keras_file.read(str(path))
    assert model.layer("d").params_total == 10
    assert model.params_total == 110
    assert any("belong to no listed layer" in w for w in model.warnings)


# ---------------------------------------------------------------- compile settings

def test_keras2_training_config_with_lr_nested_metrics_and_loss_weights():
    training = {
        "optimizer_config": {"class_name": "Custom>Adam", "config": {"lr": 0.002, "epsilon": 1e-8,
                                                                   "decay": 0.0, "amsgrad": True}},
        "loss": {"out_a": "mse", "out_b": {"class_name": "CategoricalCrossentropy",
                                           "config": {"from_logits": True}}},
        "metrics": [["acc"], [{"class_name": "MeanMetricWrapper", "config": {"name": "auc"}}]],
        "loss_weights": [1.0, 0.3],
    }
    spec = keras_config.compile_spec(training, ["out_a", "out_b"])
    assert spec.optimizer.name == "Adam"
    assert spec.optimizer.learning_rate == 0.002 and spec.optimizer.epsilon == 1e-8
    assert spec.optimizer.amsgrad is True
    assert [(loss.output, loss.name, loss.from_logits) for loss in spec.loss] == [
        ("out_a", "mean_squared_error", False), ("out_b", "categorical_crossentropy", True)]
    assert spec.metrics == ["acc", "auc"]
    assert spec.loss_weights == [1.0, 0.3]


def test_keras3_compile_config_with_a_schedule_and_a_loss_object():
    compile_config = {
        "optimizer": {"module": "keras.optimizers", "class_name": "SGD", "config": {
            "learning_rate": {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
                              "config": {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.9}},
            "momentum": 0.9, "nesterov": True, "clipnorm": 1.0}},
        "loss": {"module": "keras.losses", "class_name": "BinaryCrossentropy",
                 "config": {"from_logits": True, "name": "binary_crossentropy"}},
        "metrics": ["accuracy"],
    }
    spec = keras_config.compile_spec(compile_config, ["out"])
    assert spec.optimizer.name == "SGD" and spec.optimizer.learning_rate == 0.1
    assert spec.optimizer.schedule["class"] == "ExponentialDecay"
    assert spec.optimizer.momentum == 0.9 and spec.optimizer.nesterov is True and spec.optimizer.clipnorm == 1.0
    assert spec.loss[0].name == "binary_crossentropy" and spec.loss[0].from_logits is True
    assert spec.loss[0].class_name == "BinaryCrossentropy"


def test_optimizer_given_by_name_gets_keras_defaults():
    spec = keras_config.compile_spec({"optimizer": "rmsprop", "loss": "mse"}, [])
    assert spec.optimizer.name == "RMSprop"
    assert spec.optimizer.learning_rate == 0.001 and spec.optimizer.epsilon == 1e-7
    assert spec.optimizer.config["settings"] == "Keras defaults"
    assert keras_config.compile_spec({"optimizer": "sgd"}, []).optimizer.learning_rate == 0.01


@pytest.mark.parametrize("given_name, canonical", [
    ("mse", "mean_squared_error"), ("MSE", "mean_squared_error"), ("MeanSquaredError", "mean_squared_error"),
    ("mean_squared_error", "mean_squared_error"), ("mae", "mean_absolute_error"),
    ("CategoricalCrossentropy", "categorical_crossentropy"), ("categorical_crossentropy", "categorical_crossentropy"),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"), ("BinaryCrossentropy", "binary_crossentropy"),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy"), ("kld", "kl_divergence"),
    ("KLDivergence", "kl_divergence"), ("logcosh", "log_cosh"), ("Huber", "huber"),
    ("keras.losses.mse", "mean_squared_error"), ("my_custom_loss", "my_custom_loss"),
])
def test_canonical_loss_names(given_name, canonical):
    assert keras_config.canonical_loss(given_name) == canonical


# ---------------------------------------------------------------- hostile files

def _dense(name, units, activation="linear"):
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": name, "units": units, "activation": activation, "trainable": True},
            "build_config": {"input_shape": [None, 4]}}


def _sequential(*layers):
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "sequential", "trainable": True, "layers": [
                {"module": "keras.layers", "class_name": "InputLayer",
                 "config": {"name": "input", "batch_shape": [None, 4]}}, *layers]}}


def _write_keras(path: Path, config, members: dict[str, bytes] | None = None, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr(zipfile.ZipInfo("config.json"),
                         config if isinstance(config, bytes) else json.dumps(config).encode(),
                         compress_type=compress)
        for name, data in (members or {}).items():
            archive.writestr(name, data)


def _bytecode_writing(marker: Path) -> str:
    """Base64 marshal of code that would create ``marker`` if anyone ran it."""
    code = compile(f"open({str(marker)!r}, 'w').write('ran')", "<evil>", "exec")
    return base64.b64encode(marshal.dumps(code)).decode()


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "MARKER_CODE_RAN"
    yield path
    assert not path.exists(), "code from a model file was executed"


def test_config_naming_os_system_is_read_as_data(tmp_path, marker):
    evil = {"module": "os", "class_name": "system", "registered_name": None,
            "config": {"name": "pwn", "command": f"touch {marker}"}}
    path = tmp_path / "evil.keras"
    _write_keras(path, _sequential(_dense("d", 2), evil))
    model = keras_file.read(str(path))
    layer = model.layer("pwn")
    assert layer.class_name == "system" and layer.module == "os"
    assert any("'os'" in w and "never imported" in w for w in model.warnings)
    assert any("unknown to TrainDoc" in w for w in model.warnings)


def test_top_level_object_from_os_is_data_too(tmp_path, marker):
    path = tmp_path / "evil_top.keras"
    _write_keras(path, {"module": "os", "class_name": "system", "config": {"command": f"touch {marker}"}})
    model = keras_file.read(str(path))
    assert model.layers == [] and model.complete is False
    assert any("'os'" in w for w in model.warnings)


def test_lambda_bytecode_is_described_never_run(tmp_path, marker):
    code = _bytecode_writing(marker)
    lam = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
           "config": {"name": "sneaky", "function": {"class_name": "__lambda__",
                                                     "config": {"code": code, "defaults": None, "closure": None}},
                      "arguments": {}}}
    path = tmp_path / "lambda.keras"
    _write_keras(path, _sequential(lam, _dense("d", 2)))
    model = keras_file.read(str(path))
    layer = model.layer("sneaky")
    assert layer.lambda_code == f"python bytecode, {len(base64.b64decode(code))} bytes"
    assert model.lambda_layers == [layer]
    assert any("sneaky" in w and "never run" in w for w in model.warnings)


def test_keras2_lambda_and_builtins_eval_in_json_are_data(tmp_path, marker):
    code = _bytecode_writing(marker)
    config = {"class_name": "Sequential", "keras_version": "2.15.0", "backend": "tensorflow", "config": {
        "name": "seq", "layers": [
            {"class_name": "Lambda", "config": {"name": "lam", "function": [code, None, None],
                                                "function_type": "lambda", "module": "__main__",
                                                "batch_input_shape": [None, 4]}},
            {"class_name": "Dense", "registered_name": "builtins>eval",
             "config": {"name": "d", "units": 2, "activation": {"class_name": "function",
                                                                "config": "__import__('os').system('x')"},
                        "kernel_initializer": {"module": "subprocess", "class_name": "Popen",
                                               "config": {"args": ["touch", str(marker)]}}}},
        ]}}
    source = TextSource.from_text(json.dumps(config), "evil.json")
    assert model_json.identify(probe_file_text(json.dumps(config))) >= 0.9
    model = model_json.read(source)
    warnings = " | ".join(model.warnings)
    assert "builtins>eval" in warnings and "'subprocess'" in warnings and "'__main__'" in warnings
    assert model.layer("lam").lambda_code.startswith("python bytecode")
    assert model.layer("d").kernel_initializer == "Popen"  # a name, nothing more


def probe_file_text(text: str):
    from app.io.sniff import probe_text
    return probe_text(text, "evil.json")


@pytest.mark.parametrize("megabytes", [100, 10])
def test_zip_bomb_config_is_refused(tmp_path, megabytes):
    """100 MB (over the size limit) and 10 MB (under it, but compressed over 1000:1)."""
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr(zipfile.ZipInfo("config.json"), b" " * (megabytes * 1024 * 1024),
                         compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    assert path.stat().st_size < 200 * 1024
    with pytest.raises(InputError) as info:
        keras_file.read(str(path))
    assert "zip bomb" in info.value.message() and str(path) in info.value.message()
    assert info.value.entry == "config.json"


def test_truncated_archive_is_an_input_error(tmp_path):
    data = _first_model_file("model.keras").read_bytes()
    for fraction in (0.5, 0.9, 0.999):
        cut = tmp_path / f"cut{fraction}.keras"
        cut.write_bytes(data[: int(len(data) * fraction)])
        with pytest.raises(InputError) as info:
            keras_file.read(str(cut))
        assert str(cut) in info.value.message() and "zip" in info.value.message()


def test_corrupted_config_bytes_are_an_input_error(tmp_path):
    path = tmp_path / "m.keras"
    _write_keras(path, _sequential(_dense("d", 2)))
    data = bytearray(path.read_bytes())
    start = data.index(b'"class_name"')
    data[start:start + 12] = b"\xff" * 12  # CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        keras_file.read(str(path))
    assert info.value.entry == "config.json"


def test_zip_without_config_json_says_what_was_expected(tmp_path):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="config.json"):
        keras_file.read(str(path))


def test_odd_member_names_are_mentioned_not_extracted(tmp_path):
    work = tmp_path / "inner"
    work.mkdir()
    path = work / "odd.keras"
    _write_keras(path, _sequential(_dense("d", 2, "softmax")),
                 members={"../escaped.txt": b"x", "/abs/path.txt": b"y", "C:\\win.txt": b"z"})
    model = keras_file.read(str(path))
    assert model.output_activation == "softmax" and model.output_units == 2
    odd = [w for w in model.warnings if "odd names" in w]
    assert odd and "../escaped.txt" in odd[0] and "/abs/path.txt" in odd[0]
    assert not (tmp_path / "escaped.txt").exists() and not Path("/abs/path.txt").exists()


def test_non_json_and_non_model_configs_are_input_errors(tmp_path):
    path = tmp_path / "notjson.keras"
    _write_keras(path, b"import os; os.system('x')")
    with pytest.raises(InputError) as info:
        keras_file.read(str(path))
    assert info.value.entry == "config.json" and "JSON" in info.value.message()
    path = tmp_path / "list.keras"
    _write_keras(path, json.dumps([1, 2]).encode())
    with pytest.raises(InputError, match="class_name"):
        keras_file.read(str(path))


def _h5(path: Path, **attrs):
    with h5py.File(path, "w", libver="latest") as handle:
        for key, value in attrs.items():
            handle.attrs[key] = value


def test_h5_with_a_huge_attribute_is_refused(tmp_path):
    fixed = tmp_path / "huge_fixed.h5"
    _h5(fixed, model_config=np.bytes_(b" " * (65 * 1024 * 1024)))
    with pytest.raises(InputError) as info:
        h5_file.read(str(fixed))
    assert "64 MB" in info.value.message() and info.value.entry == "attribute model_config"
    variable = tmp_path / "huge_vlen.h5"
    _h5(variable, model_config="{" + " " * (65 * 1024 * 1024) + "}")
    with pytest.raises(InputError, match="64 MB"):
        h5_file.read(str(variable))


def test_h5_with_non_json_model_config_is_an_input_error(tmp_path, marker):
    path = tmp_path / "bad.h5"
    _h5(path, model_config=f"__import__('os').system('touch {marker}')".encode())
    with pytest.raises(InputError) as info:
        h5_file.read(str(path))
    assert "JSON" in info.value.message() and info.value.entry == "attribute model_config"


def test_weights_only_h5_files_are_refused_with_what_is_needed(tmp_path):
    keras2 = tmp_path / "weights_k2.h5"
    with h5py.File(keras2, "w") as handle:  # the save_weights layout of Keras 2
        handle.attrs["layer_names"] = np.array([b"dense"])
        group = handle.create_group("dense")
        group.attrs["weight_names"] = np.array([b"dense/kernel:0"])
        group.create_dataset("dense/kernel:0", data=np.zeros((4, 2)))
    keras3 = tmp_path / "model.weights.h5"
    with h5py.File(keras3, "w") as handle:  # the .weights.h5 layout of Keras 3
        handle.create_group("vars")
        handle.create_dataset("layers/dense/vars/0", data=np.zeros((4, 2)))
    for path in (keras2, keras3):
        with pytest.raises(InputError) as info:
            h5_file.read(str(path))
        message = info.value.message()
        assert "weights only" in message and "model.save" in message


def test_h5_config_naming_odd_modules_is_data(tmp_path, marker):
    config = _sequential(_dense("d", 2), {"module": "subprocess", "class_name": "Popen",
                                          "config": {"name": "p", "args": ["touch", str(marker)]}})
    path = tmp_path / "odd.h5"
    _h5(path, model_config=json.dumps(config).encode(), keras_version=b"3.15.1")
    model = h5_file.read(str(path))
    assert model.keras_version == "3.15.1"
    assert model.layer("p").module == "subprocess"
    assert any("'subprocess'" in w for w in model.warnings)


def test_corrupt_hdf5_is_an_input_error(tmp_path):
    path = tmp_path / "cut.h5"
    data = _first_model_file("model.h5").read_bytes()
    path.write_bytes(data[:2048])
    with pytest.raises(InputError) as info:
        h5_file.read(str(path))
    assert str(path) in info.value.message()


def test_model_json_rejects_json_that_is_not_a_model():
    with pytest.raises(InputError, match="Sequential"):
        model_json.read(TextSource.from_text('{"class_name": "Adam", "config": {}}'))
    with pytest.raises(InputError, match="layer"):
        model_json.read(TextSource.from_text('{"class_name": "Sequential", "config": {"name": "x"}}'))
    with pytest.raises(InputError):
        model_json.read(TextSource.from_text("[" * 100000 + "]" * 100000))


# ---------------------------------------------------------------- nothing crashes

_SCALARS = st.none() | st.booleans() | st.integers(-3, 100) | st.floats(allow_nan=True) | st.sampled_from(
    ["Dense", "Sequential", "Functional", "InputLayer", "Lambda", "os", "builtins>eval", "relu", "same",
     "__keras_tensor__", "keras.layers", "", "x"])
_KEYS = st.sampled_from(["class_name", "config", "layers", "name", "units", "filters", "kernel_size",
                         "inbound_nodes", "args", "keras_history", "input_layers", "output_layers",
                         "batch_shape", "batch_input_shape", "activation", "module", "registered_name",
                         "function", "trainable", "build_config", "input_shape", "compile_config",
                         "loss", "optimizer", "learning_rate", "layer", "axis", "target_shape"])
_JSONISH = st.recursive(_SCALARS, lambda children: st.lists(children, max_size=4)
                        | st.dictionaries(_KEYS, children, max_size=6), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(config=_JSONISH, compile_config=_JSONISH)
def test_random_configs_never_crash_the_config_reader(config, compile_config):
    try:
        model = keras_config.model_from_config(config, path="fuzz", fmt="json", compile_config=compile_config)
    except InputError:
        return
    assert isinstance(model, ModelSpec)
    for layer in model.all_layers():
        assert layer.params_total is None or layer.params_total >= 0
    model.output_activation, model.output_units  # properties walk the graph: must not fail


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


def _fixture_configs():
    configs = []
    for name, file in MODEL_FILES:
        path = _fixture_path(name, file)
        if file.endswith("model.json") and path.exists():
            configs.append(json.loads(path.read_text(encoding="utf-8")))
    return configs[:4]


FIXTURE_CONFIGS = _fixture_configs()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_real_configs_never_crash_the_config_reader(data):
    config = data.draw(st.sampled_from(FIXTURE_CONFIGS))
    paths = list(_paths(config))
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(paths))
        config = _replace(config, path, data.draw(_JSONISH))
        paths = list(_paths(config))
    try:
        model = keras_config.model_from_config(config, path="fuzz", fmt="json")
    except InputError:
        return
    if model.params_total is not None:
        assert model.params_total == sum(layer.params_total for layer in model.layers)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), keep=st.integers(0, 4000))
def test_random_bytes_after_zip_or_hdf5_magic_never_crash(tmp_path, data, keep):
    for reader, magic in ((keras_file, b"PK\x03\x04"), (h5_file, h5_file.HDF5_MAGIC)):
        path = tmp_path / "fuzz.bin"
        path.write_bytes(magic + data)
        with pytest.raises(InputError):
            reader.read(str(path))
    real = _first_model_file("model.keras").read_bytes()
    path = tmp_path / "cut.keras"
    path.write_bytes(real[:keep] + data[:64])
    try:
        keras_file.read(str(path))
    except InputError:
        pass
