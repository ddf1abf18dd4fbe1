"""Every patch kind of the catalog, end to end on real fixture models (issue 5's proof).

For each automatic kind that edits the model or its compile settings, the patch is planned
on a committed fixture (``app.patches.plan``), the patched config is rebuilt by the worker
with the original weights carried over, and the written ``.keras``:

- loads with ``keras.models.load_model(out, safe_mode=True)`` (our own output file),
- carries the intended change (layer config, optimizer config or loss of the loaded model),
- holds, for every layer the patch did not have to change, exactly the original arrays
  (read from the ORIGINAL file with h5py, never through Keras),
- and the layers that had to change are reported in ``layers_reinitialized`` with a reason;
- the input file is byte-identical afterwards.

All rebuilds go to ONE worker through :func:`app.probe.run_rebuild_many` (one TensorFlow
import for the whole table). Training-only kinds are checked in the training settings file
they write; the manual kinds are refused with their reason. ``test_the_table_covers_every_kind``
fails when a kind is added to the catalog without a case here.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np
import pytest

from app.core.files import OutputError
from app.patches import CATALOG, Patch, load_document, plan, write_training_settings
from app.probe import RebuildFailed, RebuildResult, run_rebuild_many

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "tests" / "fixtures" / "runs"
MODEL_CLASSES = ("Sequential", "Functional", "Model")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snake(class_name: str) -> str:
    """Keras' own rule for group names: Conv2D → conv2d, BatchNormalization → batch_normalization."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


# ------------------------------------------------------- the original arrays, read with h5py

def _keras_original_arrays(path: Path) -> dict[str, list[np.ndarray]]:
    """Layer name path → its arrays (vars/0, vars/1 ...) in a .keras archive's model.weights.h5.

    Keras 3 names each layer's group after its class with a counter per container
    (``layers/dense``, ``layers/dense_1``; a nested model's layers under its own group),
    worked out here from the archive's config.json.
    """
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        data = archive.read("model.weights.h5")
    out: dict[str, list[np.ndarray]] = {}
    with h5py.File(io.BytesIO(data), "r") as weights:
        def walk(entry: dict, names: tuple[str, ...], prefix: str) -> None:
            used: dict[str, int] = {}
            for layer in entry["config"]["layers"]:
                key = snake(layer["class_name"])
                used[key] = used.get(key, -1) + 1
                group = f"{prefix}layers/{key}" + (f"_{used[key]}" if used[key] else "")
                name = names + (layer["config"]["name"],)
                if layer["class_name"] in MODEL_CLASSES:
                    walk(layer, name, group + "/")
                elif group in weights and "vars" in weights[group] and len(weights[group]["vars"]):
                    own = weights[group]["vars"]
                    out["/".join(name)] = [np.array(own[str(i)]) for i in range(len(own))]

        walk(config, (), "")
    return out


def _h5_original_arrays(path: Path) -> dict[str, list[np.ndarray]]:
    """Layer name → its arrays in a legacy .h5's ``model_weights`` (weight_names order)."""
    def text(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    out: dict[str, list[np.ndarray]] = {}
    with h5py.File(path, "r") as root:
        group = root["model_weights"]
        for layer in map(text, group.attrs["layer_names"]):
            names = [text(n) for n in group[layer].attrs["weight_names"]]
            if names:
                out[layer] = [np.array(group[layer][name]) for name in names]
    return out


def original_arrays(path: Path) -> dict[str, list[np.ndarray]]:
    return _keras_original_arrays(path) if path.suffix == ".keras" else _h5_original_arrays(path)


def weighted_leaves(model: Any, prefix: str = "") -> dict[str, Any]:
    """Name path → leaf layer with weights, nested models followed."""
    out: dict[str, Any] = {}
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.__class__.__name__ in MODEL_CLASSES:
            out.update(weighted_leaves(layer, f"{prefix}{layer.name}/"))
        elif layer.weights:
            out[f"{prefix}{layer.name}"] = layer
    return out


def layer_config(model: Any, name: str) -> dict:
    return model.get_layer(name).get_config()


def optimizer_config(model: Any) -> dict:
    return model.optimizer.get_config()


def classes(model: Any) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def inbound_of(model: Any, name: str) -> list[str]:
    """The layers feeding ``name`` in a functional model's saved config."""
    entry = next(layer for layer in model.get_config()["layers"] if layer["name"] == name)
    text = json.dumps(entry["inbound_nodes"])
    return [layer.name for layer in model.layers if f'"keras_history": ["{layer.name}"' in text]


# ---------------------------------------------------------------------------------- the table

@dataclass
class KindCase:
    """One patch kind on one fixture: what to apply, and what must be true of the output."""

    id: str  # the test id
    patch: str
    params: dict
    fixture: str  # "<run>/model.keras" or "<run>/model.h5"
    check: Callable[[Any], None]  # asserts the intended change on the loaded model
    reinitialized: set[str] = field(default_factory=set)  # layers whose weights had to change
    removed: set[str] = field(default_factory=set)  # original weighted layers the patch replaced
    gained: set[str] = field(default_factory=set)  # carried layers that gained arrays (a bias, renorm statistics)
    xfail: str | None = None  # a known bug in app/patches: the reason

    @property
    def source(self) -> Path:
        return RUNS / self.fixture


def _remove_noise_after_output(model):
    assert [type(layer).__name__ for layer in model.layers][-1] == "Dense"
    assert "Dropout" not in [type(layer).__name__ for layer in model.layers]
    assert model.layers[-1].get_config()["activation"] == "softmax"


def _remove_input_activation(model):
    assert "activation" not in [layer.name for layer in model.layers]
    assert inbound_of(model, "conv2d") == ["input_layer"]
    assert model.get_layer("activation_1").get_config()["activation"] == "softmax"  # the other one stays


def _gap_1d(model):
    assert "Flatten" not in classes(model) and "GlobalAveragePooling1D" in classes(model)
    assert model.get_layer("dense").get_weights()[0].shape == (16, 64)  # 16 channels, not 512 flat features


def _gap_2d(model):
    assert "Flatten" not in classes(model) and "GlobalAveragePooling2D" in classes(model)
    assert model.get_layer("dense").get_weights()[0].shape[0] == 16


def _layer_norm(model):
    assert "BatchNormalization" not in classes(model)
    assert classes(model).count("LayerNormalization") == 3
    assert [model.get_layer(f"layer_normalization{s}").get_weights()[0].shape for s in ("", "_1", "_2")] == \
        [(8,), (16,), (16,)]


def _group_norm(model):
    assert "BatchNormalization" not in classes(model)
    groups = [layer.get_config()["groups"] for layer in model.layers if type(layer).__name__ == "GroupNormalization"]
    assert len(groups) == 2 and all(g >= 1 for g in groups)


def _renorm(model):
    bns = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    assert len(bns) == 3 and all(layer.get_config()["renorm"] is True for layer in bns)


def _normalization_after_input(model):
    assert classes(model)[0] == "Normalization"
    assert list(model.layers[0].get_config()["axis"]) == [-1]


def _normalization_with_statistics(model):
    norm = model.layers[0]
    assert type(norm).__name__ == "Normalization"
    assert norm.get_config()["mean"] == pytest.approx(0.5) and norm.get_config()["variance"] == pytest.approx(2.0)
    x = np.full((1, model.input_shape[-1]), 2.5, dtype="float32")
    assert np.allclose(np.asarray(norm(x)), (2.5 - 0.5) / np.sqrt(2.0), atol=1e-5)


def _regularization(model):
    for name in ("dense", "dense_1", "dense_2"):
        regularizer = layer_config(model, name)["kernel_regularizer"]
        assert regularizer["class_name"] == "L2" and regularizer["config"]["l2"] == pytest.approx(1e-4)
    names = [layer.name for layer in model.layers]
    assert names[names.index("dropout") + 1] == "dense_1"  # before the Dense with most weights
    assert model.get_layer("dropout").get_config()["rate"] == 0.5


def _softmax_output(model):
    assert layer_config(model, "dense_1")["activation"] == "softmax"
    assert layer_config(model, "dense")["activation"] == "relu"


def _one_sigmoid_unit(model):
    config = layer_config(model, "dense_2")
    assert config["activation"] == "sigmoid" and config["units"] == 1
    assert model.output_shape == (None, 1)


def _leaky_relu_convs(model):
    assert [layer_config(model, n)["activation"] for n in ("conv1d", "conv1d_1")] == ["leaky_relu", "leaky_relu"]
    assert layer_config(model, "dense")["activation"] == "softmax"


def _he_normal(model):
    changed = [layer_config(model, n)["kernel_initializer"]["class_name"] for n in ("dense", "dense_1")]
    assert changed == ["HeNormal", "HeNormal"]


def _bias_on(model):
    for name in ("dense", "dense_1", "dense_2"):
        assert layer_config(model, name)["use_bias"] is True
        assert len(model.get_layer(name).get_weights()) == 2
        assert not model.get_layer(name).get_weights()[1].any()  # the new bias starts at zero


def _no_bias_regularizer(model):
    assert [layer_config(model, n)["bias_regularizer"] for n in ("dense", "dense_1", "dense_2")] == [None] * 3
    assert model.losses == [] or all(float(loss) == 0 for loss in model.losses)


def _loss(name):
    def check(model):
        assert model.loss == name

    return check


def _metrics(names):
    def check(model):
        compiled = model.get_compile_config()["metrics"]
        assert [m if isinstance(m, str) else m.get("config", {}).get("name") for m in compiled] == names

    return check


def _from_logits(model):
    loss = model.loss
    assert type(loss).__name__ == "CategoricalCrossentropy" and loss.get_config()["from_logits"] is True
    assert layer_config(model, "dense_1")["activation"] == "linear"


def _adam_instead_of_sgd(model):
    assert type(model.optimizer).__name__ == "Adam"
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)


def _learning_rate(before, after):
    def check(model):
        assert float(model.optimizer.learning_rate) == pytest.approx(after, rel=1e-5)
        assert after != pytest.approx(before)

    return check


def _schedule(model):
    rate = optimizer_config(model)["learning_rate"]
    assert rate["class_name"] == "ExponentialDecay"
    assert rate["config"]["initial_learning_rate"] == pytest.approx(0.002)


def _optimizer_setting(key, value, optimizer):
    def check(model):
        assert type(model.optimizer).__name__ == optimizer
        assert optimizer_config(model)[key] == pytest.approx(value)

    return check


BN3 = {"batch_normalization", "batch_normalization_1", "batch_normalization_2"}

CASES = [
    KindCase("remove_input_activation", "remove_input_activation", {}, "seed001_relu_input_adam/model.keras",
             _remove_input_activation),
    KindCase("remove_noise_after_output", "remove_noise_after_output", {},
             "fam_dropout_after_softmax_mlp/model.keras", _remove_noise_after_output),
    KindCase("replace_flatten_with_gap", "replace_flatten_with_gap", {}, "seed002_softmax_bce_bn/model.keras",
             _gap_1d, reinitialized={"dense"}),
    KindCase("replace_flatten_with_gap-h5", "replace_flatten_with_gap", {}, "healthy_conv2d/model.h5", _gap_2d,
             reinitialized={"dense"}),
    KindCase("swap_normalization", "swap_normalization", {}, "seed002_softmax_bce_bn/model.keras", _layer_norm,
             reinitialized={"layer_normalization", "layer_normalization_1", "layer_normalization_2"}, removed=BN3),
    KindCase("swap_normalization-group", "swap_normalization", {"normalization": "GroupNormalization", "groups": 4},
             "bn_small_batch_conv2d/model.keras", _group_norm,
             reinitialized={"group_normalization", "group_normalization_1"},
             removed={"batch_normalization", "batch_normalization_1"}),
    KindCase("batchnorm_renorm", "batchnorm_renorm", {}, "seed002_softmax_bce_bn/model.keras", _renorm,
             gained=BN3),
    KindCase("insert_normalization", "insert_normalization", {}, "unnormalized_inputs_mlp/model.keras",
             _normalization_after_input, reinitialized={"normalization"}),
    KindCase("insert_normalization-h5", "insert_normalization", {"mean": 0.5, "variance": 2.0},
             "healthy_mlp/model.h5", _normalization_with_statistics),
    KindCase("add_regularization", "add_regularization", {}, "overfit_small_mlp/model.keras", _regularization),
    KindCase("set_output_activation", "set_output_activation", {"activation": "softmax"},
             "seed004_relu_cce_nan/model.keras", _softmax_output),
    KindCase("set_output_activation-units", "set_output_activation", {"activation": "sigmoid", "units": 1},
             "softmax_bce_mlp/model.keras", _one_sigmoid_unit, reinitialized={"dense_2"}),
    KindCase("set_activation", "set_activation", {"activation": "leaky_relu", "layers": ["conv1d", "conv1d_1"]},
             "dead_relu_conv1d/model.keras", _leaky_relu_convs),
    KindCase("set_initializer", "set_initializer", {}, "zeros_init_mlp/model.keras", _he_normal),
    KindCase("enable_bias", "enable_bias", {}, "missing_bias_mlp/model.keras", _bias_on,
             gained={"dense", "dense_1", "dense_2"}),
    KindCase("drop_bias_regularizer", "drop_bias_regularizer", {}, "bias_regularized_mlp/model.keras",
             _no_bias_regularizer),
    KindCase("set_loss", "set_loss", {"loss": "categorical_crossentropy"}, "seed002_softmax_bce_bn/model.keras",
             _loss("categorical_crossentropy")),
    KindCase("set_loss-h5", "set_loss", {"loss": "binary_crossentropy"}, "mse_sigmoid_lstm/model.h5",
             _loss("binary_crossentropy")),
    KindCase("set_from_logits", "set_from_logits", {}, "seed004_relu_cce_nan/model.keras", _from_logits),
    KindCase("set_metrics", "set_metrics", {"metrics": ["mae"]}, "healthy_mlp/model.keras", _metrics(["mae"])),
    KindCase("switch_optimizer", "switch_optimizer", {"optimizer": "Adam", "learning_rate": 1e-3},
             "sgd_no_momentum_mlp/model.keras", _adam_instead_of_sgd),
    KindCase("set_learning_rate", "set_learning_rate", {"factor": 0.1}, "lr_high_sgd_mlp/model.keras",
             lambda model: None),  # the expected value is filled in from the fixture below
    KindCase("set_learning_rate-schedule", "set_learning_rate", {"factor": 0.1}, "lr_schedule/model.keras",
             _schedule),
    KindCase("set_learning_rate-keras2-h5", "set_learning_rate", {"learning_rate": 3e-4},
             "keras2_tfkeras/model.h5", _learning_rate(0.003, 3e-4)),
    KindCase("set_optimizer_epsilon", "set_optimizer_epsilon", {"epsilon": 1e-3},
             "seed001_relu_input_adam/model.keras", _optimizer_setting("epsilon", 1e-3, "Adam")),
    KindCase("set_momentum", "set_momentum", {"momentum": 0.9}, "sgd_no_momentum_mlp/model.keras",
             _optimizer_setting("momentum", 0.9, "SGD")),
    KindCase("set_clipnorm", "set_clipnorm", {"clipnorm": 1.0}, "lr_high_adam_conv2d/model.keras",
             _optimizer_setting("clipnorm", 1.0, "Adam")),
    KindCase("set_clipvalue", "set_clipvalue", {"clipvalue": 0.5}, "exploding_init_mlp/model.keras",
             _optimizer_setting("clipvalue", 0.5, "SGD")),
]

TRAINING_KINDS = {
    "set_shuffle": ({"shuffle": True}, {"shuffle": True}),
    "set_batch_size": ({"batch_size": 64}, {"batch_size": 64}),
    "set_class_weight": ({"class_weight": {0: 1.0, 1: 4.0}}, {"class_weight": {"0": 1.0, "1": 4.0}}),
    "add_early_stopping": ({"monitor": "val_loss", "patience": 3},
                           {"callbacks": [{"class_name": "EarlyStopping", "config": {
                               "monitor": "val_loss", "patience": 3, "restore_best_weights": True}}]}),
}
MANUAL_KINDS = {"replace_lambda": "Lambda", "check_labels": "needs the data",
                "same_preprocessing": "training code", "guard_custom_loss": "hand-written loss",
                "grow_model": "depends on the task", "clean_nonfinite_data": "in the data"}


def _fill_learning_rate_case() -> None:
    """set_learning_rate factor 0.1: the expected rate is a tenth of the fixture's own."""
    case = next(c for c in CASES if c.id == "set_learning_rate")
    before = load_document(case.source).compile_config["optimizer"]["config"]["learning_rate"]
    case.check = _learning_rate(before, before * 0.1)


_fill_learning_rate_case()


# ------------------------------------------------------------------------ the batch (module)

@dataclass
class Batch:
    results: dict[str, RebuildResult | Exception]  # case id → what the worker answered
    plans: dict[str, Any]
    outs: dict[str, Path]
    hashes_before: dict[str, str]
    extra: list[RebuildResult | Exception]  # answers of the deliberately broken items
    reports: list[tuple[float, str]]
    seconds: float


class Recorder:
    def __init__(self) -> None:
        self.reports: list[tuple[float, str]] = []

    def report(self, fraction: float, message: str = "") -> None:
        self.reports.append((fraction, message))

    def cancelled(self) -> bool:
        return False


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    """Every case planned here, then rebuilt in ONE worker; three broken items in the middle."""
    workdir = tmp_path_factory.mktemp("patch_kinds")
    items, ids, plans, outs, hashes = [], [], {}, {}, {}
    for case in CASES:
        hashes[case.id] = sha256(case.source)
        result = plan(load_document(case.source), [Patch(case.patch, case.params)])
        plans[case.id] = result
        if [p.id for p in result.applied] != [case.patch] or result.unsafe:
            continue  # the test of this case reports the refusal
        outs[case.id] = workdir / f"{case.id}.keras"
        items.append((case.source, result.document.config, outs[case.id]))
        ids.append(case.id)
    # Broken items in the middle of the batch: the ones after them must still be rebuilt.
    healthy = RUNS / "healthy_mlp" / "model.keras"
    bad_config = load_document(healthy).config
    bad_config["config"]["layers"][1]["config"]["units"] = "many"  # data, but not a number
    existing = workdir / "existing.keras"
    existing.write_bytes(b"keep me")
    middle = len(items) // 2
    broken = [(healthy, bad_config, workdir / "bad.keras"), (healthy, load_document(healthy).config, existing),
              (healthy, load_document(healthy).config, outs[ids[0]])]  # the output of another item
    items[middle:middle] = broken
    recorder = Recorder()
    start = time.monotonic()
    answers = run_rebuild_many(items, recorder)
    seconds = time.monotonic() - start
    assert len(answers) == len(items)
    extra = answers[middle:middle + len(broken)]
    del answers[middle:middle + len(broken)]
    print(f"\nrun_rebuild_many: {len(items)} items in {seconds:.1f} s")
    return Batch(dict(zip(ids, answers)), plans, outs, hashes, extra, recorder.reports, seconds)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras as keras_module

    return keras_module


def _params(case: KindCase):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_params(case) for case in CASES])
def test_patch_kind_end_to_end(case: KindCase, batch: Batch, keras):
    planned = batch.plans[case.id]
    assert [p.id for p in planned.applied] == [case.patch], [r.describe() for r in planned.refused]
    assert planned.unsafe == []
    result = batch.results[case.id]
    assert isinstance(result, RebuildResult), result
    assert result.compiled
    # 1. it loads, with safe_mode (our own output file)
    model = keras.models.load_model(batch.outs[case.id], safe_mode=True)
    # 2. the intended change is in the loaded model
    case.check(model)
    # 3. the layers that had to change are reported, with a reason; so are the layers whose
    #    saved weights are NaN/inf (a diverged run): those start from their initializers
    original = original_arrays(case.source)
    nonfinite = {name for name, arrays in original.items()
                 if name not in case.removed | case.reinitialized
                 and not all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")}
    reasons = dict(result.layers_reinitialized)
    assert set(reasons) == case.reinitialized | nonfinite
    assert sorted(result.layers_nonfinite) == sorted(nonfinite)
    assert all("NaN" in reasons[name] for name in nonfinite)
    assert all(len(reason) > 10 for reason in reasons.values())
    for name in nonfinite:
        assert all(np.isfinite(w).all() for w in weighted_leaves(model)[name].get_weights()), name
    # 4. every other weighted layer carries exactly the original arrays (read with h5py)
    leaves = weighted_leaves(model)
    expected_carried = set(original) - case.removed - case.reinitialized - nonfinite
    assert set(result.layers_carried) == expected_carried
    assert set(leaves) == expected_carried | case.reinitialized | nonfinite
    for name in sorted(expected_carried):
        rebuilt, saved = leaves[name].get_weights(), original[name]
        if name in case.gained:  # the trained arrays first, the new ones after them, fresh
            assert len(rebuilt) > len(saved), name
            rebuilt = rebuilt[:len(saved)]
            assert any(f"{name}:" in note and "new weight array" in note for note in result.notes), result.notes
        assert [a.shape for a in rebuilt] == [b.shape for b in saved], name
        assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(rebuilt, saved)), name
    for name in case.reinitialized & set(original):  # a changed layer's shapes really changed
        assert [a.shape for a in leaves[name].get_weights()] != [b.shape for b in original[name]], name
    # 5. the input is untouched
    assert sha256(case.source) == batch.hashes_before[case.id]


def test_one_broken_item_does_not_stop_the_batch(batch: Batch):
    bad, existing, twice = batch.extra
    assert isinstance(bad, RebuildFailed) and "could not build" in str(bad)
    assert isinstance(existing, OutputError) and "already exists" in str(existing)
    assert isinstance(twice, OutputError) and "two models" in str(twice)
    assert (batch.outs[CASES[0].id].parent / "existing.keras").read_bytes() == b"keep me"
    assert not (batch.outs[CASES[0].id].parent / "bad.keras").exists()
    rebuilt = [case_id for case_id, answer in batch.results.items() if isinstance(answer, RebuildResult)]
    assert rebuilt == list(batch.results)  # every good item, before and after the broken ones


def test_the_batch_reports_progress_and_leaves_no_temporary_files(batch: Batch):
    fractions = [f for f, _ in batch.reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(message.startswith("model 2 of ") for _, message in batch.reports)
    folder = batch.outs[CASES[0].id].parent
    assert [p.name for p in folder.iterdir() if p.name.startswith(".traindoc")] == []


@pytest.mark.parametrize("kind", sorted(TRAINING_KINDS))
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_training_kind_writes_its_settings_file(kind, suffix, tmp_path):
    params, expected = TRAINING_KINDS[kind]
    source = RUNS / "class_imbalance_mlp" / "model.keras"
    before = sha256(source)
    doc = load_document(source)
    result = plan(doc, [Patch(kind, params)], training={"epochs": 20})
    assert [p.id for p in result.applied] == [kind] and not result.model_changed
    assert result.document.config == doc.config  # the model is left alone
    out = tmp_path / f"fit{suffix}"
    write_training_settings(result, out)
    text = out.read_text(encoding="utf-8")
    if suffix == ".json":
        assert json.loads(text) == {"epochs": 20, **expected}
    else:
        assert "epochs: 20" in text
        for key, value in expected.items():
            assert f"{key}:" in text
            if not isinstance(value, (dict, list)):
                assert f"{key}: {json.dumps(value)}" in text
        if kind == "add_early_stopping":
            assert "class_name: EarlyStopping" in text and "patience: 3" in text
    assert sha256(source) == before


@pytest.mark.parametrize("kind", sorted(MANUAL_KINDS))
def test_manual_kinds_are_refused_with_a_reason(kind):
    result = plan(load_document(RUNS / "seed000_bce_fixed" / "model.keras"), [Patch(kind)])
    assert not result.applied and not result.changes
    assert [(r.patch, r.kind) for r in result.refused] == [(kind, "manual")]
    assert MANUAL_KINDS[kind] in result.refused[0].describe()
    assert result.refused[0].describe("zh_CN") != result.refused[0].describe()


def test_the_table_covers_every_kind():
    automatic = {case.patch for case in CASES}
    assert automatic | set(TRAINING_KINDS) | set(MANUAL_KINDS) == set(CATALOG)
    assert {kind for kind, unit in CATALOG.items() if unit.target in ("model", "compile") and not unit.manual} \
        == automatic
    assert {kind for kind, unit in CATALOG.items() if unit.target == "training" and not unit.manual} \
        == set(TRAINING_KINDS)
    legacy = {case.patch for case in CASES if case.fixture.endswith(".h5") and not case.xfail}
    assert len(legacy) >= 2


def test_bad_batch_items_get_their_own_errors_and_an_empty_batch_starts_no_worker(monkeypatch):
    from app.probe import ProbeError, run_worker
    from app.probe import client as probe_client

    reply = run_worker({"op": "rebuild_many", "items": [42, {"source": 1, "config": {}, "out": "x.keras"}]})
    errors = [item["error"] for item in reply["items"]]
    assert [e["kind"] for e in errors] == ["internal", "internal"]
    assert "not a JSON object" in errors[0]["message"] and "must be strings" in errors[1]["message"]
    assert all(isinstance(probe_client._answer(item), ProbeError) for item in reply["items"])
    with pytest.raises(ProbeError, match="list of items"):
        run_worker({"op": "rebuild_many", "items": "all of them"})

    def refuse(*args, **kwargs):
        raise AssertionError("a worker was started")

    monkeypatch.setattr(probe_client.subprocess, "Popen", refuse)
    assert run_rebuild_many([]) == []
    refused = run_rebuild_many([(RUNS / "healthy_mlp" / "model.keras", [], Path("/nonexistent/x.keras"))])
    assert len(refused) == 1 and isinstance(refused[0], OutputError)
