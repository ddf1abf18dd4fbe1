"""The patch layer on the real fixture models: each patch edits exactly what it says, the input
stays untouched, conflicting and unfitting patches are refused with a reason, and the patched
configs are ones Keras 3 rebuilds (checked with Keras itself on our own fixtures only)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import pytest

from app.core.errors import InputError
from app.core.files import OutputError
from app.io.load import load_path
from app.patches import (CATALOG, Patch, code_change, config_diff, load_document, patches_from_finding, plan,
                         write_training_settings)
from app.patches import document as d
from app.patches.allowlist import check_config
from app.rules.engine import diagnose_all

RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "runs"


def _doc(name: str, kind: str = "model.keras"):
    return load_document(RUNS / name / kind)


def _leaf_diff(a, b, path=""):
    """Paths where two JSON values differ (dict keys and list indices)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = set()
        for key in set(a) | set(b):
            out |= _leaf_diff(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{path}.{key}" if path else key)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = set()
        for index, (x, y) in enumerate(zip(a, b)):
            out |= _leaf_diff(x, y, f"{path}[{index}]")
        return out
    return set() if a == b else {path}


def _index(doc, name):
    return next(i for i, layer in enumerate(doc.model["layers"]) if d.layer_name(layer) == name)


def _classes(doc):
    return [layer["class_name"] for layer in doc.model["layers"]]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _history(layer):
    return [t["config"]["keras_history"][0] for t in d.input_tensors(layer)]


# ------------------------------------------------------------------------------ documents

@pytest.mark.parametrize("name, kind, fmt, classname", [
    ("seed004_relu_cce_nan", "model.keras", "keras", "Sequential"),
    ("seed001_relu_input_adam", "model.keras", "keras", "Functional"),
    ("seed001_relu_input_adam", "model.h5", "h5", "Functional"),
    ("keras2_tfkeras", "model.h5", "h5", "Sequential"),
    ("healthy_mlp", "model.json", "json", "Sequential"),
])
def test_documents_load_in_the_keras3_shape(name, kind, fmt, classname):
    doc = _doc(name, kind)
    assert doc.source_format == fmt and doc.config["class_name"] == classname
    assert set(doc.config) >= {"module", "class_name", "config", "registered_name", "compile_config"}
    assert all("module" in layer for layer in doc.model["layers"])
    if fmt == "h5":
        assert any("legacy .h5" in note for note in doc.notes)
        assert doc.compile_config["optimizer"]["module"] == "keras.optimizers"
    if classname == "Functional":
        nodes = [n for layer in doc.model["layers"] for n in layer.get("inbound_nodes", [])]
        assert nodes and all(isinstance(n, dict) and "args" in n for n in nodes)


def test_keras2_h5_is_converted_for_keras3():
    doc = _doc("keras2_tfkeras", "model.h5")
    optimizer = doc.compile_config["optimizer"]
    assert doc.keras_version.startswith("2.")
    assert optimizer["class_name"] == "Adam"  # "Custom>Adam" in the file
    assert "is_legacy_optimizer" not in optimizer["config"] and "jit_compile" not in optimizer["config"]
    assert doc.compile_config["metrics"] == ["accuracy"]  # MeanMetricWrapper "acc"
    first = doc.model["layers"][0]
    assert first["class_name"] == "InputLayer" and first["config"]["batch_shape"] == [None, 8]
    assert all("batch_input_shape" not in layer["config"] for layer in doc.model["layers"])
    assert any("Custom>Adam renamed Adam" in note for note in doc.notes)


def test_json_without_compile_settings_says_so_and_refuses_compile_patches():
    doc = _doc("keras2_tfkeras", "model.json")  # Keras 2 to_json(): no compile settings at all
    assert doc.compile_config is None and any("no compile settings" in note for note in doc.notes)
    result = plan(doc, [Patch("set_learning_rate", {"learning_rate": 1e-4})])
    assert not result.applied and "no compile settings" in result.refused[0].describe()
    # Keras 3 to_json() keeps the loss but not the optimizer
    keras3 = _doc("healthy_mlp", "model.json")
    assert keras3.compile_config["optimizer"] is None
    assert "name no optimizer" in plan(keras3, [Patch("set_clipnorm")]).refused[0].describe()
    assert plan(keras3, [Patch("set_loss", {"loss": "categorical_crossentropy"})]).applied


def test_unreadable_inputs_raise_input_error(tmp_path):
    garbage = tmp_path / "x.keras"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError):
        load_document(garbage)
    text = tmp_path / "x.json"
    text.write_text('{"class_name": "Dense", "config": {}}')
    with pytest.raises(InputError, match="Sequential or Functional"):
        load_document(text)
    with pytest.raises(InputError):
        load_document(tmp_path / "missing.keras")


# ---------------------------------------------------------------- each patch, where it applies

def test_set_output_activation_on_seed004_changes_only_that_activation():
    doc = _doc("seed004_relu_cce_nan")
    result = plan(doc, [Patch("set_output_activation", {"activation": "softmax", "layer": "dense_1"})])
    i = _index(doc, "dense_1")
    assert _leaf_diff(doc.config, result.document.config) == {f"config.layers[{i}].config.activation"}
    assert result.document.model["layers"][i]["config"]["activation"] == "softmax"
    change = result.changes[0]
    assert (change.path, change.before, change.after) == ("layers[dense_1].config.activation", "relu", "softmax")
    assert "relu → softmax" in change.describe() and "激活函数" in change.describe("zh_CN")


def test_set_loss_renorm_and_gap_on_seed002():
    doc = _doc("seed002_softmax_bce_bn")
    result = plan(doc, [Patch("set_loss", {"loss": "categorical_crossentropy"}), Patch("batchnorm_renorm"),
                        Patch("replace_flatten_with_gap")])
    patched = result.document
    assert not result.refused
    assert patched.compile_config["loss"] == "categorical_crossentropy"
    bns = [layer for layer in patched.model["layers"] if layer["class_name"] == "BatchNormalization"]
    assert len(bns) == 3 and all(layer["config"]["renorm"] is True for layer in bns)
    before, after = _classes(doc), _classes(patched)
    assert before.count("Flatten") == 1 and "Flatten" not in after
    assert after[before.index("Flatten")] == "GlobalAveragePooling1D"
    dense = patched.model["layers"][_index(patched, "dense")]
    assert dense["build_config"]["input_shape"] == [None, 16]  # the channels of the last conv block
    diff = _leaf_diff({k: v for k, v in doc.config.items() if k != "config"},
                      {k: v for k, v in patched.config.items() if k != "config"})
    assert diff == {"compile_config.loss"}


def test_remove_input_activation_and_epsilon_on_seed001_rewire_the_graph():
    doc = _doc("seed001_relu_input_adam")
    result = plan(doc, [Patch("remove_input_activation"), Patch("set_optimizer_epsilon", {"epsilon": 1e-3})])
    patched = result.document
    names = [d.layer_name(layer) for layer in patched.model["layers"]]
    assert "activation" not in names and len(names) == len(doc.model["layers"]) - 1
    conv = patched.model["layers"][names.index("conv2d")]
    assert _history(conv) == ["input_layer"]
    assert patched.compile_config["optimizer"]["config"]["epsilon"] == 0.001
    assert doc.compile_config["optimizer"]["config"]["epsilon"] == 1e-07
    assert patched.model["output_layers"] == ["activation_1", 0, 0]
    assert {c.path for c in result.changes} == {"layers[activation]", "compile_config.optimizer.config.epsilon"}


def test_insert_normalization_in_a_functional_graph_rewires_consumers():
    doc = _doc("multi_output")
    result = plan(doc, [Patch("insert_normalization")])
    patched = result.document
    norm = next(layer for layer in patched.model["layers"] if layer["class_name"] == "Normalization")
    assert norm["name"] == "normalization" and _history(norm) == ["features"]
    shared = patched.model["layers"][_index(patched, "shared")]
    assert _history(shared) == ["normalization"]
    assert patched.model["input_layers"] == doc.model["input_layers"]  # the input stays the input
    assert check_config(patched.config) == []


def test_healthy_mlp_normalization_clipnorm_and_more():
    doc = _doc("healthy_mlp")
    result = plan(doc, [Patch("insert_normalization"), Patch("set_clipnorm", {"clipnorm": 1.0}),
                        Patch("set_learning_rate", {"factor": 0.1}),
                        Patch("set_activation", {"activation": "leaky_relu", "layers": ["dense"]}),
                        Patch("set_initializer", {"kernel_initializer": "he_normal", "layers": ["dense_1"]}),
                        Patch("add_regularization", {"dropout": 0.5, "l2": 1e-4})])
    patched = result.document
    assert not result.refused
    assert _classes(patched)[:2] == ["InputLayer", "Normalization"]
    optimizer = patched.compile_config["optimizer"]["config"]
    assert optimizer["clipnorm"] == 1.0 and optimizer["learning_rate"] == pytest.approx(1e-4)
    layers = {d.layer_name(layer): layer for layer in patched.model["layers"]}
    assert layers["dense"]["config"]["activation"] == "leaky_relu"
    assert layers["dense_1"]["config"]["kernel_initializer"]["class_name"] == "HeNormal"
    assert layers["dense"]["config"]["kernel_regularizer"]["config"] == {"l2": 0.0001}
    # dropout goes before the Dense holding most weights: dense_1 (32 x 16)
    names = [d.layer_name(layer) for layer in patched.model["layers"]]
    assert names[names.index("dense_1") - 1] == "dropout"
    assert check_config(patched.config) == []


def test_layer_setting_patches_on_edited_configs():
    """enable_bias, drop_bias_regularizer and set_initializer find their layers by default."""
    doc = _doc("healthy_mlp")
    edited = doc.copy()
    layers = edited.model["layers"]
    layers[1]["config"]["use_bias"] = False
    layers[2]["config"]["bias_regularizer"] = {"module": "keras.regularizers", "class_name": "L2",
                                                "config": {"l2": 0.01}, "registered_name": None}
    layers[3]["config"]["kernel_initializer"] = {"module": "keras.initializers", "class_name": "Zeros",
                                                  "config": {}, "registered_name": None}
    result = plan(edited, [Patch("enable_bias"), Patch("drop_bias_regularizer"),
                           Patch("set_initializer", {"kernel_initializer": "glorot_uniform"})])
    assert {c.path for c in result.changes} == {
        "layers[dense].config.use_bias", "layers[dense_1].config.bias_regularizer",
        "layers[dense_2].config.kernel_initializer"}
    patched = result.document.model["layers"]
    assert patched[1]["config"]["use_bias"] is True and patched[2]["config"]["bias_regularizer"] is None
    assert patched[3]["config"]["kernel_initializer"]["class_name"] == "GlorotUniform"


def test_swap_normalization_groups_divide_the_channels():
    doc = _doc("seed002_softmax_bce_bn")
    result = plan(doc, [Patch("swap_normalization", {"normalization": "GroupNormalization", "groups": 32})])
    groups = [layer for layer in result.document.model["layers"] if layer["class_name"] == "GroupNormalization"]
    assert [g["config"]["groups"] for g in groups] == [8, 16, 16]  # gcd(32, channels 8/16/16)
    assert "BatchNormalization" not in _classes(result.document)


def test_optimizer_patches_and_schedules():
    schedule = plan(_doc("lr_schedule"), [Patch("set_learning_rate", {"factor": 0.1})])
    rate = schedule.document.compile_config["optimizer"]["config"]["learning_rate"]
    assert rate["class_name"] == "ExponentialDecay" and rate["config"]["initial_learning_rate"] == pytest.approx(0.002)
    sgd = plan(_doc("seed000_mse_sigmoid"), [Patch("set_momentum", {"momentum": 0.9})])
    assert sgd.document.compile_config["optimizer"]["config"]["momentum"] == 0.9
    switched = plan(_doc("seed000_mse_sigmoid"), [Patch("switch_optimizer", {"optimizer": "Adam",
                                                                            "learning_rate": 1e-3})])
    optimizer = switched.document.compile_config["optimizer"]
    assert optimizer["class_name"] == "Adam" and optimizer["config"]["learning_rate"] == 0.001
    assert "momentum" not in optimizer["config"] and optimizer["config"]["epsilon"] == 1e-07
    clip = plan(_doc("healthy_mlp"), [Patch("set_clipvalue", {"clipvalue": 0.5})])
    assert clip.document.compile_config["optimizer"]["config"]["clipvalue"] == 0.5


def test_from_logits_writes_a_loss_object_and_a_linear_output():
    doc = _doc("seed004_relu_cce_nan")
    result = plan(doc, [Patch("set_from_logits", {"from_logits": True, "activation": "linear"})])
    loss = result.document.compile_config["loss"]
    assert loss["class_name"] == "CategoricalCrossentropy" and loss["config"]["from_logits"] is True
    assert result.document.model["layers"][_index(doc, "dense_1")]["config"]["activation"] == "linear"
    assert check_config(result.document.config) == []


def test_training_patches_fill_fit_arguments_and_callbacks():
    result = plan(_doc("healthy_mlp"), [Patch("set_shuffle"), Patch("set_batch_size", {"batch_size": 64}),
                                        Patch("set_class_weight", {"class_weight": {0: 1.0, 1: 3.0}}),
                                        Patch("add_early_stopping")], training={"epochs": 30, "shuffle": False})
    assert result.training == {"epochs": 30, "shuffle": True, "batch_size": 64, "class_weight": {0: 1.0, 1: 3.0},
                               "callbacks": [{"class_name": "EarlyStopping", "config": {
                                   "monitor": "val_loss", "patience": 5, "restore_best_weights": True}}]}
    assert result.document.config == _doc("healthy_mlp").config  # training patches leave the model alone


# ----------------------------------------------------------------- untouched inputs, safety

@pytest.mark.parametrize("name, kind", [("seed002_softmax_bce_bn", "model.keras"),
                                        ("seed001_relu_input_adam", "model.h5")])
def test_input_document_and_file_are_untouched(name, kind):
    path = RUNS / name / kind
    digest = _sha(path)
    doc = load_document(path)
    snapshot = copy.deepcopy(doc.config)
    result = plan(doc, [Patch("replace_flatten_with_gap"), Patch("remove_input_activation"),
                        Patch("insert_normalization"), Patch("set_loss", {"loss": "categorical_crossentropy"}),
                        Patch("set_clipnorm")])
    assert result.changes
    assert doc.config == snapshot and result.document.config != snapshot
    assert result.document is not doc and result.document.config["config"] is not doc.config["config"]
    assert _sha(path) == digest


def test_every_patched_fixture_config_passes_the_allowlist():
    for name in ("seed004_relu_cce_nan", "seed002_softmax_bce_bn", "seed001_relu_input_adam", "healthy_mlp",
                 "multi_output", "healthy_conv2d"):
        doc = _doc(name)
        result = plan(doc, [Patch(unit_id) for unit_id in ("replace_flatten_with_gap", "insert_normalization",
                                                           "batchnorm_renorm", "set_clipnorm", "set_loss")])
        assert result.unsafe == [] and check_config(result.document.config) == [], name


def test_lambda_model_is_flagged_unsafe():
    result = plan(_doc("seed000_bce_fixed"), [Patch("set_loss", {"loss": "binary_focal_crossentropy"})])
    assert result.applied and any("Lambda" in str(r) for r in result.unsafe)


# ------------------------------------------------------------------- refusals and conflicts

@pytest.mark.parametrize("patches, refused, needle", [
    ([Patch("set_output_activation", {"activation": "softmax"}), Patch("set_from_logits", {"from_logits": True})],
     "set_from_logits", "conflicts with set_output_activation"),
    ([Patch("set_loss", {"loss": "sparse_categorical_crossentropy"}), Patch("set_loss", {"loss": "kl_divergence"})],
     "set_loss", "both change compile_config.loss"),
    ([Patch("set_clipnorm"), Patch("set_clipvalue")], "set_clipvalue", "conflicts with set_clipnorm"),
    ([Patch("set_learning_rate", {"learning_rate": 1e-4}), Patch("set_learning_rate", {"factor": 10})],
     "set_learning_rate", "both change"),
])
def test_conflicting_patches_are_refused_with_a_reason(patches, refused, needle):
    result = plan(_doc("seed004_relu_cce_nan"), patches)
    assert [p.id for p in result.applied] == [patches[0].id]
    assert len(result.refused) == 1 and result.refused[0].patch == refused and result.refused[0].kind == "conflict"
    assert needle in result.refused[0].describe()
    assert "冲突" in result.refused[0].describe("zh_CN")


def test_swap_normalization_conflicts_with_renorm_on_the_same_layer_only():
    doc = _doc("seed002_softmax_bce_bn")
    same = plan(doc, [Patch("batchnorm_renorm", {"layers": ["batch_normalization"]}),
                      Patch("swap_normalization", {"layers": ["batch_normalization"]})])
    assert [r.patch for r in same.refused] == ["swap_normalization"]
    other = plan(doc, [Patch("batchnorm_renorm", {"layers": ["batch_normalization"]}),
                       Patch("swap_normalization", {"layers": ["batch_normalization_2"]})])
    assert not other.refused and _classes(other.document).count("BatchNormalization") == 2


def test_alternative_fixes_of_one_finding_do_not_combine():
    """categorical_crossentropy and "one sigmoid unit" are alternatives for softmax + BCE."""
    result = plan(_doc("seed002_softmax_bce_bn"), [
        Patch("set_loss", {"loss": "categorical_crossentropy"}),
        Patch("set_output_activation", {"activation": "sigmoid", "units": 1})])
    assert [p.id for p in result.applied] == ["set_loss"]
    assert result.refused[0].patch == "set_output_activation"


@pytest.mark.parametrize("name, patch, needle", [
    ("healthy_mlp", Patch("replace_flatten_with_gap"), "not applicable: the model has no Flatten feeding a Dense"),
    ("healthy_mlp", Patch("batchnorm_renorm"), "no BatchNormalization"),
    ("healthy_mlp", Patch("set_momentum"), "Adam has no momentum setting"),
    ("seed000_mse_sigmoid", Patch("set_optimizer_epsilon"), "SGD has no epsilon setting"),
    ("healthy_mlp", Patch("remove_input_activation"), "no activation is applied directly to the input"),
    ("healthy_mlp", Patch("set_loss", {"loss": "sparse_categorical_crossentropy"}), "already"),
    ("healthy_mlp", Patch("set_initializer", {"kernel_initializer": "he_normal", "layers": ["nope"]}), "`nope`"),
    ("multi_output", Patch("set_output_activation"), "2 outputs"),
    ("healthy_mlp", Patch("replace_lambda"), "Lambda"),
    ("healthy_mlp", Patch("check_labels"), "needs the data"),
    ("healthy_mlp", Patch("no_such_patch"), "no patch with this id"),
    ("healthy_mlp", Patch("set_output_activation", {"activation": "softmax"}), "changes nothing"),
])
def test_not_applicable_patches_are_refused_with_the_reason(name, patch, needle):
    result = plan(_doc(name), [patch])
    assert not result.applied and not result.changes
    assert needle in result.refused[0].describe()


def test_a_patch_made_moot_by_an_earlier_one_is_refused():
    """set_momentum is applied after switch_optimizer (catalog order) only when they do not conflict."""
    doc = _doc("seed000_mse_sigmoid")
    result = plan(doc, [Patch("switch_optimizer", {"optimizer": "Adam"}), Patch("set_momentum")])
    assert [p.id for p in result.applied] == ["switch_optimizer"]
    assert result.refused[0].patch == "set_momentum"


def test_duplicates_are_applied_once():
    result = plan(_doc("healthy_mlp"), [Patch("set_shuffle"), Patch("set_shuffle")])
    assert len(result.applied) == 1 and not result.refused
    assert any("given twice" in note for note in result.notes)


def test_catalog_covers_the_vocabulary_of_the_rules():
    vocabulary = {"set_output_activation", "set_from_logits", "set_loss", "set_learning_rate",
                  "set_optimizer_epsilon", "set_momentum", "set_clipnorm", "set_clipvalue", "switch_optimizer",
                  "batchnorm_renorm", "swap_normalization", "set_initializer", "enable_bias",
                  "drop_bias_regularizer", "remove_input_activation", "insert_normalization",
                  "replace_flatten_with_gap", "set_shuffle", "set_batch_size", "set_class_weight",
                  "add_early_stopping", "add_regularization", "replace_lambda", "check_labels", "set_activation"}
    assert vocabulary <= set(CATALOG)
    emitted = set()
    for source in (Path(__file__).resolve().parents[2] / "app" / "rules" / "causes").glob("*.py"):
        emitted |= set(re.findall(r'Fix\(\s*"(\w+)"', source.read_text(encoding="utf-8")))
    assert emitted and emitted <= set(CATALOG), emitted - set(CATALOG)
    for unit in CATALOG.values():
        assert unit.target in ("model", "compile", "training")
        assert unit.title.en and unit.title.zh_CN


# ----------------------------------------------------------------------- from real findings

def _findings(name):
    runs, models = [], []
    for member in ("log.csv", "model.keras"):
        loaded = load_path(RUNS / name / member)
        runs += loaded.runs
        models += loaded.models
    return [f for case in diagnose_all(runs, models) for f in case.diagnosis.reported]


def test_patches_from_a_real_finding_fix_seed004():
    finding = next(f for f in _findings("seed004_relu_cce_nan") if f.cause == "final_activation_mismatch")
    patches = patches_from_finding(finding)
    assert patches[0] == Patch("set_output_activation", {"activation": "softmax", "layer": "dense_1"},
                               "final_activation_mismatch")
    result = plan(_doc("seed004_relu_cce_nan"), patches)
    assert [p.id for p in result.applied] == ["set_output_activation"]  # from_logits is the alternative
    assert result.refused[0].patch == "set_from_logits"
    assert "[final_activation_mismatch]" in result.summary()


def test_every_reported_fix_on_seed002_and_seed001_plans_cleanly():
    for name in ("seed002_softmax_bce_bn", "seed001_relu_input_adam"):
        doc = _doc(name)
        findings = _findings(name)
        assert findings
        for finding in findings:
            result = plan(doc, patches_from_finding(finding))
            assert result.applied or all(r.kind in ("manual", "not_applicable", "no_change") for r in result.refused)
            assert result.unsafe == []


# ----------------------------------------------------------------------------- outputs

def test_code_change_has_the_calls_to_paste():
    result = plan(_doc("seed004_relu_cce_nan"), [
        Patch("set_output_activation", {"activation": "softmax"}), Patch("set_learning_rate", {"learning_rate": 1e-4}),
        Patch("set_optimizer_epsilon", {"epsilon": 1e-3}), Patch("set_batch_size", {"batch_size": 64}),
        Patch("add_early_stopping"), Patch("check_labels")])
    code = code_change(result)
    assert 'layers.Dense(2, activation="softmax", name="dense_1")' in code
    assert "optimizer=keras.optimizers.Adam(learning_rate=0.0001, epsilon=0.001)" in code
    assert 'loss="categorical_crossentropy"' in code
    assert ('early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, '
            'restore_best_weights=True)') in code
    assert "model.fit(x_train, y_train, batch_size=64, callbacks=[early_stopping], ...)" in code
    assert "check_labels" in code
    compile(code.replace(", ...)", ")"), "<snippet>", "exec")  # valid Python
    assert "编译设置" in code_change(result, "zh_CN")


def test_code_change_for_structural_edits():
    result = plan(_doc("seed001_relu_input_adam"), [Patch("remove_input_activation"), Patch("insert_normalization"),
                                                     Patch("set_from_logits")])
    code = code_change(result)
    assert '# removed: x = layers.Activation("relu", name="activation")(x)' in code
    assert 'x = layers.Normalization(axis=-1, name="normalization")(x)' in code
    assert 'model.get_layer("normalization").adapt(x_train)' in code
    assert "loss=keras.losses.BinaryCrossentropy(from_logits=True)" in code
    gap = code_change(plan(_doc("seed002_softmax_bce_bn"), [Patch("replace_flatten_with_gap"), Patch("set_shuffle")]))
    assert 'layers.GlobalAveragePooling1D(name="global_average_pooling1d"),  # replaces `flatten`' in gap
    assert "shuffle=True" in gap


def _read_yaml(text: str):
    """A reader for the block YAML subset write_training_settings emits (mappings, lists, scalars)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    def scalar(token):
        if token.startswith('"'):
            return json.loads(token)
        if token in ("true", "false"):
            return token == "true"
        if token == "null":
            return None
        if token in ("{}", "[]"):
            return {} if token == "{}" else []
        for kind in (int, float):
            try:
                return kind(token)
            except ValueError:
                pass
        return token

    def block(index, indent):
        if lines[index].startswith(" " * indent + "- "):
            items = []
            while index < len(lines) and lines[index].startswith(" " * indent + "- "):
                rest = lines[index][indent + 2:]
                if ":" in rest and not rest.startswith('"'):
                    lines[index] = " " * (indent + 2) + rest
                    value, index = block(index, indent + 2)
                else:
                    value, index = scalar(rest), index + 1
                items.append(value)
            return items, index
        mapping = {}
        while index < len(lines) and lines[index].startswith(" " * indent) and \
                not lines[index].startswith(" " * (indent + 1)) and not lines[index][indent:].startswith("- "):
            key, _, rest = lines[index][indent:].partition(":")
            key = scalar(key)
            if rest.strip():
                mapping[key], index = scalar(rest.strip()), index + 1
            else:
                mapping[key], index = block(index + 1, indent + 2)
        return mapping, index

    return block(0, 0)[0]


def test_training_settings_json_and_yaml_round_trip(tmp_path):
    result = plan(_doc("healthy_mlp"), [Patch("set_shuffle"), Patch("set_batch_size", {"batch_size": 64}),
                                        Patch("set_class_weight", {"class_weight": {0: 1.0, 1: 2.5}}),
                                        Patch("add_early_stopping", {"patience": 3, "min_delta": 1e-05})])
    json_path = write_training_settings(result, tmp_path / "fit.json")
    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(result.training))  # class_weight keys become strings in JSON
    assert data["callbacks"][0] == {"class_name": "EarlyStopping", "config": {
        "monitor": "val_loss", "patience": 3, "restore_best_weights": True, "min_delta": 1e-05}}
    yaml_path = write_training_settings(result, tmp_path / "fit.yaml")
    text = Path(yaml_path).read_text(encoding="utf-8")
    assert "shuffle: true" in text and "min_delta: 1.0e-05" in text
    assert _read_yaml(text) == result.training


def test_training_settings_never_overwrite_the_model(tmp_path):
    source = RUNS / "healthy_mlp" / "model.keras"
    copy_path = tmp_path / "model.keras"
    copy_path.write_bytes(source.read_bytes())
    result = plan(load_document(copy_path), [Patch("set_shuffle")])
    with pytest.raises(OutputError):
        write_training_settings(result, copy_path)
    assert copy_path.read_bytes() == source.read_bytes()


def test_config_diff_shows_the_changed_lines():
    doc = _doc("seed004_relu_cce_nan")
    result = plan(doc, [Patch("set_output_activation", {"activation": "softmax"}),
                        Patch("set_loss", {"loss": "sparse_categorical_crossentropy"})])
    diff = config_diff(doc, result.document)
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == ['-          "activation": "relu",', '-    "loss": "categorical_crossentropy",']
    assert added == ['+          "activation": "softmax",', '+    "loss": "sparse_categorical_crossentropy",']
    assert config_diff(doc, doc) == ""


# ------------------------------------------------------------- Keras rebuilds the patched configs

KERAS_CASES = [
    ("seed004_relu_cce_nan", "model.keras", [Patch("set_output_activation", {"activation": "softmax"}),
                                             Patch("replace_flatten_with_gap"), Patch("set_optimizer_epsilon")]),
    ("seed002_softmax_bce_bn", "model.keras", [Patch("set_loss", {"loss": "categorical_crossentropy"}),
                                               Patch("batchnorm_renorm", {"layers": ["batch_normalization"]}),
                                               Patch("swap_normalization", {"layers": ["batch_normalization_1"]}),
                                               Patch("replace_flatten_with_gap"), Patch("switch_optimizer")]),
    ("seed001_relu_input_adam", "model.h5", [Patch("remove_input_activation"), Patch("insert_normalization"),
                                             Patch("insert_normalization", {"layer": "BatchNormalization",
                                                                            "after": ["conv2d"]}),
                                             Patch("set_from_logits")]),
    ("multi_output", "model.keras", [Patch("insert_normalization"), Patch("add_regularization"),
                                     Patch("set_loss", {"loss": "binary_crossentropy", "output": "value_out"}),
                                     Patch("set_output_activation", {"activation": "sigmoid", "layer": "value_out"})]),
    ("keras2_tfkeras", "model.h5", [Patch("set_learning_rate", {"factor": 0.1}), Patch("set_clipvalue")]),
]


@pytest.mark.slow
def test_keras_rebuilds_patched_fixture_configs():
    """Only our own committed fixtures are handed to Keras; never an untrusted file."""
    keras = pytest.importorskip("keras")
    import numpy as np

    for name, kind, patches in KERAS_CASES:
        result = plan(load_document(RUNS / name / kind), patches)
        assert not result.refused and not result.unsafe, (name, [r.describe() for r in result.refused])
        model = keras.saving.deserialize_keras_object(copy.deepcopy(result.document.config))
        model.compile_from_config(copy.deepcopy(result.document.compile_config))
        shape = [1 if size is None else size for size in model.inputs[0].shape]
        outputs = model.predict(np.zeros(shape, "float32"), verbose=0)
        assert outputs is not None
        names = {layer.name for layer in model.layers}
        for change in result.changes:
            if change.target == "model" and change.kind in ("insert", "replace"):
                assert change.layer in names, (name, change.layer)
            if change.kind == "remove":
                assert change.layer not in names
        if name == "seed004_relu_cce_nan":
            assert model.get_layer("dense_1").activation.__name__ == "softmax"
            assert model.optimizer.epsilon == pytest.approx(1e-3)
