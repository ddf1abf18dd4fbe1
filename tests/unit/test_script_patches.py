"""Fixes made in the training script itself (issue 5's code change, issue 7's code reader):
the patched script is the user's file with the change at the place the code reader found,
nothing else touched, and reading it again gives the patched model and settings.

Proof on real code: the generating code of every committed fixture (tools/make_fixtures.py,
extracted as text, never run) and the code quoted in the seed reports, patched with every
patch kind that applies; each patched script parses, and the code reader finds in it exactly
what the plan says (layer classes in order, every changed setting, the compile and fit
settings). Changes that cannot be placed safely (a layer built by a helper called twice)
are refused with the reason, never guessed.
"""

from __future__ import annotations

import ast
import json
import functools
import math
import re
from pathlib import Path

import pytest

from app.io.code import read_code
from app.patches import CATALOG, Patch, plan
from app.patches import document as d
from app.patches.catalog import INITIALIZER_CLASSES, loss_name
from app.patches.script import code_text_for, document_from_code, patch_script, training_from_code, write_script
from tests.unit.test_code_reader import SCENARIOS, scenario_code, seed

ROOT = Path(__file__).resolve().parents[2]


def _initializer(value):
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, dict):
        name = value.get("class_name")
        return next((k for k, v in INITIALIZER_CLASSES.items() if v == name), str(name).lower())
    return value


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-6)
    if isinstance(a, dict) and isinstance(b, dict) and "class_name" in a and "class_name" in b:
        if str(a.get("module", "")).startswith("keras.initializers") or a["class_name"] in INITIALIZER_CLASSES.values():
            return _initializer(a) == _initializer(b)
        return a["class_name"] == b["class_name"] and all(
            _same(v, (b.get("config") or {}).get(k)) for k, v in (a.get("config") or {}).items() if v is not None)
    if isinstance(a, (dict, str)) and isinstance(b, (dict, str)) and (
            "initializer" in str(a) or "initializer" in str(b) or a in INITIALIZER_CLASSES or b in INITIALIZER_CLASSES):
        return _initializer(a) == _initializer(b)
    if isinstance(a, list) and isinstance(b, (list, int)):
        return a == (b if isinstance(b, list) else [b])
    return a == b


def layer_classes(document) -> list[str]:
    return [ref.class_name for ref in d.iter_layers(document.model) if ref.class_name != "InputLayer"]


def check_reread(result, script, original_text: str) -> None:
    """The patched script parses and reading it again gives what the plan made."""
    ast.parse(script.patched)
    again = read_code(script.patched, script.path)
    assert again.model is not None, again.unresolved[:3]
    patched = document_from_code(again)
    expected = result.document
    placed = [change for change, _ in script.placed]
    structural = [c for c in placed if c.target == "model" and c.kind != "set"]
    if structural or not any(c.target == "model" and c.kind != "set" for c, _, _ in script.by_hand):
        assert layer_classes(patched) == layer_classes(expected)
    for change in placed:
        if change.target == "model" and change.kind == "set":
            key = change.path.rsplit(".", 1)[-1]
            ref = d.find_layer(patched.model, change.layer)
            assert ref is not None, change.layer
            value = ref.config.get(key)
            if change.after is None:
                assert value is None, (change.layer, key, value)
            else:
                assert _same(change.after, value), (change.layer, key, change.after, value)
        elif change.target == "model" and change.kind in ("replace", "insert"):
            assert any(ref.class_name == change.after["class_name"] for ref in d.iter_layers(patched.model))
        elif change.target == "compile" and change.path.startswith("compile_config.loss"):
            new_loss = patched.compile_config["loss"]
            want = expected.compile_config["loss"]
            assert loss_name(new_loss) == loss_name(want)
            flag = (want.get("config") or {}).get("from_logits", False) if isinstance(want, dict) else False
            got = (new_loss.get("config") or {}).get("from_logits", False) if isinstance(new_loss, dict) else False
            assert flag == got
        elif change.target == "compile" and change.path == "compile_config.metrics":
            assert patched.compile_config["metrics"] == expected.compile_config["metrics"]
        elif change.target == "compile":
            new = patched.compile_config["optimizer"]
            want = expected.compile_config["optimizer"]
            assert new["class_name"] == want["class_name"]
            for key in ("learning_rate", "epsilon", "momentum", "clipnorm", "clipvalue"):
                if key in want["config"] and (want["config"][key] is not None or key in new["config"]):
                    assert _same(want["config"][key], new["config"].get(key)), (key, want["config"][key], new["config"])
    fit = [c for c in placed if c.target == "training"]
    for change in fit:
        if change.path == "fit.shuffle":
            assert again.fit.shuffle is change.after
        elif change.path == "fit.batch_size":
            assert again.fit.batch_size == change.after
        elif change.path == "fit.class_weight":
            assert again.fit_extra.get("class_weight") is not None
        elif change.path.startswith("callbacks["):
            classes = [c.get("class") for c in again.fit_extra.get("callbacks", [])]
            assert change.after["class_name"] in classes, classes
    # nothing else changed: the lines the diff touches all hold a placed change (or an import)
    if not placed:
        assert script.patched == original_text


def _patches_for(document) -> list[Patch]:
    """Every automatic patch kind, with the parameters a finding would give it."""
    model = document.model
    refs = list(d.iter_layers(model))
    with_activation = [r.name for r in refs if "activation" in r.config and r.class_name != "Activation"]
    dense = [r.name for r in refs if r.class_name == "Dense"]
    out = []
    for unit in CATALOG.values():
        if unit.apply is None:
            continue
        params: dict = {}
        if unit.id == "set_loss":
            params = {"loss": "categorical_crossentropy"}
        elif unit.id == "set_learning_rate":
            params = {"factor": 0.1}
        elif unit.id == "set_activation":
            if not with_activation:
                continue
            params = {"layers": with_activation[:1], "activation": "elu"}
        elif unit.id == "set_initializer" and dense:
            params = {"layers": dense[:1], "kernel_initializer": "he_normal"}
        out.append(Patch(unit.id, params))
    out.append(Patch("swap_normalization", {"normalization": "GroupNormalization", "groups": 4}))
    out.append(Patch("switch_optimizer", {"optimizer": "SGD", "learning_rate": 0.01}))
    out.append(Patch("set_from_logits", {"from_logits": True}))
    return out


@functools.lru_cache(maxsize=None)
def scenario_results(name: str) -> tuple[list[str], list[str]]:
    """Every patch kind on the scenario's own code: (patch ids placed, by-hand reasons)."""
    text = scenario_code(name)
    code = read_code(text, f"{name}.py")
    assert code.config is not None and code.editable
    document = document_from_code(code)
    placed: list[str] = []
    by_hand: list[str] = []
    for patch in _patches_for(document):
        result = plan(document, [patch], training_from_code(code))
        if not result.applied:
            continue
        script = patch_script(code, result)
        check_reread(result, script, text)
        placed.extend(patch.id for _ in script.placed)
        by_hand.extend(f"{patch.id}: {why.render('en', params)}" for _, why, params in script.by_hand)
    return placed, by_hand


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_patch_kind_on_every_fixture_script_rereads_as_planned(name):
    placed, by_hand = scenario_results(name)
    assert placed
    for reason in by_hand:  # only the honest refusals
        assert re.search(r"builds \d+ layers \(a helper function or a loop|has no model\.fit|does not take|"
                         r"is built in a way TrainDoc does not edit|adapt the Normalization", reason), reason


def test_every_automatic_patch_kind_is_placed_in_some_fixture_script():
    placed = {patch for name in SCENARIOS for patch in scenario_results(name)[0]}
    automatic = {unit.id for unit in CATALOG.values() if unit.apply is not None}
    assert automatic - placed == set()


# ------------------------------------------------------------------ the spellings people use

KERAS2 = '''# -*- coding: utf-8 -*-
"""Keras 2 style, as in many forum posts."""
from keras.models import Sequential
from keras.layers import Dense, Flatten, Conv2D
from keras.optimizers import Adam

model = Sequential()
model.add(Conv2D(32, (3, 3), input_shape=(28, 28, 1), activation='relu'))
model.add(Flatten())
model.add(Dense(10, activation='relu'))
opt = Adam(lr=0.01)
model.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])
model.fit(X, Y, batch_size=4, epochs=10, shuffle=False)
'''

TF_FUNCTIONAL = '''import tensorflow as tf

inputs = tf.keras.Input(shape=(64, 64, 3))
x = tf.keras.layers.Activation("relu")(inputs)
x = tf.keras.layers.Conv2D(16, 3, activation="relu")(x)
x = tf.keras.layers.BatchNormalization()(x)
x = tf.keras.layers.Flatten()(x)
outputs = tf.keras.layers.Dense(1, activation="sigmoid")(x)
model = tf.keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(train_ds, epochs=5, callbacks=[tf.keras.callbacks.ModelCheckpoint("best.keras")])
'''


def fixed(text: str, *patches: Patch, path: str = "train.py"):
    code = read_code(text, path)
    result = plan(document_from_code(code), list(patches), training_from_code(code))
    assert result.applied, result.summary()
    script = patch_script(code, result)
    check_reread(result, script, text)
    return script


def changed_lines(script) -> tuple[list[str], list[str]]:
    lines = script.diff().splitlines()[2:]
    return ([line[1:] for line in lines if line.startswith("-")],
            [line[1:] for line in lines if line.startswith("+")])


@pytest.mark.parametrize("patch, removed, added", [
    (Patch("set_output_activation"), ["model.add(Dense(10, activation='relu'))"],
     ["model.add(Dense(10, activation='softmax'))"]),
    (Patch("set_learning_rate", {"factor": 0.1}), ["opt = Adam(lr=0.01)"], ["opt = Adam(learning_rate=0.001)"]),
    (Patch("switch_optimizer", {"optimizer": "SGD", "learning_rate": 0.01}), ["opt = Adam(lr=0.01)"],
     ["from keras.optimizers import SGD", "opt = SGD(learning_rate=0.01)"]),
    (Patch("replace_flatten_with_gap"), ["model.add(Flatten())"],
     ["from keras.layers import GlobalAveragePooling2D", "model.add(GlobalAveragePooling2D())"]),
    (Patch("insert_normalization"), [],
     ["from keras.layers import Normalization",
      "model.add(Normalization(name='normalization', input_shape=(28, 28, 1)))",
      "model.get_layer('normalization').adapt(X)  # learns the feature means and variances"]),
    (Patch("set_batch_size", {"batch_size": 32}), ["model.fit(X, Y, batch_size=4, epochs=10, shuffle=False)"],
     ["model.fit(X, Y, batch_size=32, epochs=10, shuffle=False)"]),
    (Patch("set_shuffle"), ["model.fit(X, Y, batch_size=4, epochs=10, shuffle=False)"],
     ["model.fit(X, Y, batch_size=4, epochs=10, shuffle=True)"]),
    (Patch("set_from_logits"), ["model.add(Dense(10, activation='relu'))",
                                "model.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])"],
     ["model.add(Dense(10, activation='linear'))",
      "model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True), optimizer=opt, "
      "metrics=['accuracy'])", "import keras"]),
])
def test_keras2_script_is_edited_in_its_own_spelling(patch, removed, added):
    script = fixed(KERAS2, patch)
    old, new = changed_lines(script)
    assert old == removed and sorted(new) == sorted(added)
    assert script.by_hand == []


def test_functional_tf_keras_script_edits():
    old, new = changed_lines(fixed(TF_FUNCTIONAL, Patch("remove_input_activation")))
    assert old == ['x = tf.keras.layers.Activation("relu")(inputs)'] and new == ["x = inputs"]
    old, new = changed_lines(fixed(TF_FUNCTIONAL, Patch("insert_normalization")))
    assert old == ['x = tf.keras.layers.Activation("relu")(inputs)']
    assert new == ['inputs_normalization = tf.keras.layers.Normalization(name="normalization")(inputs)',
                   'x = tf.keras.layers.Activation("relu")(inputs_normalization)',
                   'model.get_layer("normalization").adapt(train_ds.map(lambda features, labels: features))'
                   '  # learns the feature means and variances']
    old, new = changed_lines(fixed(TF_FUNCTIONAL, Patch("swap_normalization", {"normalization": "GroupNormalization",
                                                                            "groups": 4})))
    assert new == ["x = tf.keras.layers.GroupNormalization(groups=4)(x)"]
    old, new = changed_lines(fixed(TF_FUNCTIONAL, Patch("set_optimizer_epsilon")))
    assert new == ['model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.001, epsilon=0.001), '
                   'loss="binary_crossentropy", metrics=["accuracy"])']
    old, new = changed_lines(fixed(TF_FUNCTIONAL, Patch("add_early_stopping")))
    # a long line: the new callback goes under the first one
    assert new == ['model.fit(train_ds, epochs=5, callbacks=[tf.keras.callbacks.ModelCheckpoint("best.keras"),',
                   '                                         tf.keras.callbacks.EarlyStopping(monitor="val_loss", '
                   'patience=5, restore_best_weights=True)])']


def test_class_weight_needs_the_labels_and_says_so_for_a_dataset():
    script = fixed(TF_FUNCTIONAL, Patch("set_class_weight"))
    assert not script.changed and "labels" in script.reasons()[0]
    old, new = changed_lines(fixed(KERAS2, Patch("set_class_weight")))
    assert "import numpy as np" in new and "labels = Y.argmax(-1) if Y.ndim > 1 else Y.ravel()" in new
    assert new[-1] == "model.fit(X, Y, batch_size=4, epochs=10, shuffle=False, class_weight=class_weight)"


HELPER = '''from tensorflow import keras
from tensorflow.keras import layers


def block(x, units):
    x = layers.Dense(units, activation="sigmoid")(x)
    return x


inputs = keras.Input(shape=(20,))
x = block(inputs, 32)
x = block(x, 32)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x_train, y_train, epochs=3)
'''


def test_a_layer_built_by_a_helper_called_twice_is_left_by_hand_with_the_reason():
    code = read_code(HELPER, "train.py")
    document = document_from_code(code)
    one = plan(document, [Patch("set_activation", {"layers": ["dense"], "activation": "relu"})])
    script = patch_script(code, one)
    assert not script.changed
    assert "builds 2 layers" in script.reasons()[0] and "line 6" in script.reasons()[0]
    both = plan(document, [Patch("set_activation", {"layers": ["dense", "dense_1"], "activation": "relu"})])
    script = patch_script(code, both)  # the same change for every layer that call builds: made once
    old, new = changed_lines(script)
    assert new == ['    x = layers.Dense(units, activation="relu")(x)'] and len(script.placed) == 2


def _notebook(*cells: tuple[str, str], outputs: bool = True) -> str:
    out = []
    for kind, source in cells:
        cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=len(out) + 1, outputs=[
                {"name": "stdout", "output_type": "stream", "text": ["Epoch 1/10\n", "loss: nan\n"]}] if outputs else [])
        out.append(cell)
    return json.dumps({"cells": out, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4,
                       "nbformat_minor": 5}, indent=1)


NOTEBOOK = _notebook(
    ("markdown", "# 训练\nThe model from the forum post."),
    ("code", "%matplotlib inline\n!pip install keras\nfrom keras.models import Sequential\n"
             "from keras.layers import Dense, Flatten, Conv2D\nfrom keras.optimizers import Adam"),
    ("code", "model = Sequential()\nmodel.add(Conv2D(32, (3, 3), input_shape=(28, 28, 1), activation='relu'))\n"
             "model.add(Flatten())\nmodel.add(Dense(10, activation='relu'))\n"),
    ("code", "opt = Adam(lr=0.01)\nmodel.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])\n"
             "model.fit(X, Y, batch_size=4, epochs=10, shuffle=False)"),
)


def test_a_notebook_is_patched_in_its_cells_and_everything_else_stays(tmp_path):
    code = read_code(NOTEBOOK, "train.ipynb")
    assert code.editable and code.cells is not None
    result = plan(document_from_code(code), [Patch("set_output_activation"),
                                              Patch("switch_optimizer", {"optimizer": "SGD", "learning_rate": 0.01}),
                                              Patch("set_shuffle")], training_from_code(code))
    script = patch_script(code, result)
    assert script.changed and not script.by_hand, script.reasons()
    assert sorted(script.cell_sources) == [1, 2, 3]  # the markdown cell 0 is not touched
    before, after = json.loads(NOTEBOOK), json.loads(script.file_text())
    assert after["metadata"] == before["metadata"] and after["nbformat"] == 4
    assert after["cells"][0] == before["cells"][0]
    for old, new in zip(before["cells"][1:], after["cells"][1:]):
        assert new["outputs"] == old["outputs"] and new["execution_count"] == old["execution_count"]
    imports, layers, training = ("".join(after["cells"][i]["source"]) for i in (1, 2, 3))
    assert imports.startswith("%matplotlib inline\n!pip install keras\n")  # magics kept as written
    assert "from keras.optimizers import SGD" in imports.splitlines()
    assert "model.add(Dense(10, activation='softmax'))\n" in layers and layers.endswith("\n")
    assert training.splitlines() == [
        "opt = SGD(learning_rate=0.01)",
        "model.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])",
        "model.fit(X, Y, batch_size=4, epochs=10, shuffle=True)"]
    assert not training.endswith("\n")  # the cell's own last line stays as it was
    diff = script.diff()
    assert "--- a/train.ipynb (cell 3)" in diff and "+++ b/train.ipynb (cell 4)" in diff
    assert "-model.add(Dense(10, activation='relu'))" in diff and "(cell 1)" not in diff
    # The patched notebook reads as the fixed model.
    again = read_code(script.file_text(), "train_fixed.ipynb")
    assert again.model.layers[-1].activation == "softmax" and again.model.optimizer.name == "SGD"
    assert again.fit.shuffle is True


def test_a_patched_notebook_is_written_as_a_notebook_a_script_or_a_diff(tmp_path):
    source = tmp_path / "train.ipynb"
    source.write_text(NOTEBOOK, encoding="utf-8")
    kept = source.read_bytes()
    code = read_code(NOTEBOOK, str(source))
    script = patch_script(code, plan(document_from_code(code), [Patch("set_output_activation")]))
    notebook = write_script(script, str(tmp_path / "train_fixed.ipynb"))
    assert json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"][2]["source"][3] == \
        "model.add(Dense(10, activation='softmax'))\n"
    as_script = Path(write_script(script, str(tmp_path / "train_fixed.py"))).read_text(encoding="utf-8")
    assert "model.add(Dense(10, activation='softmax'))" in as_script and "%matplotlib" not in as_script
    diff = Path(write_script(script, str(tmp_path / "fix.diff"))).read_text(encoding="utf-8")
    assert diff == script.diff() and "(cell 3)" in diff
    assert source.read_bytes() == kept


def test_an_edit_that_would_span_two_cells_is_left_by_hand():
    from app.patches.notebook import cell_sources

    notebook = _notebook(("code", "a = 1\nb = 2"), ("code", "c = 3"))
    cells = [(0, 0), (0, 1), None, (1, 0), None]
    assert cell_sources("a = 1\nb = 2\n\nc = 3\n", "a = 1\nb = 2\nd = 4\n\nc = 3\n", cells, notebook) == \
        {0: "a = 1\nb = 2\nd = 4"}  # an inserted line joins the cell before it
    # One replaced block over the end of cell 1 and cell 2: no cell to put it back into.
    assert cell_sources("a = 1\nb = 2\n\nc = 3\n", "a = 1\nz = 0", cells, notebook) is None


def test_a_notebook_that_needed_repairs_is_not_edited_and_the_snippet_stays():
    # A code cell holding prose is skipped to be read: the text read is not the notebook as
    # written, so nothing is edited in it.
    notebook = _notebook(("code", KERAS2), ("code", "这里是说明文字，不是代码"))
    code = read_code(notebook, "train.ipynb")
    assert code.recovered and not code.editable
    result = plan(document_from_code(code), [Patch("set_output_activation")])
    script = patch_script(code, result)
    assert not script.changed and "train.ipynb is not code TrainDoc can edit" in script.reasons()[0]
    shown = code_text_for(result, script)
    assert "To change by hand in train.ipynb" in shown and 'activation="softmax"' in shown


@pytest.mark.parametrize("encoding, bom, newline", [("utf-8", b"", "\n"), ("utf-8", b"\xef\xbb\xbf", "\r\n"),
                                                    ("gbk", b"", "\r\n"), ("utf-16", b"", "\n")])
def test_the_patched_copy_keeps_encoding_and_line_ends_and_the_input_stays(tmp_path, encoding, bom, newline):
    text = "# 训练脚本：输出层用了 relu\n" + KERAS2
    source = tmp_path / "train.py"
    source.write_bytes(bom + text.replace("\n", newline).encode(encoding))
    before = source.read_bytes()
    from app.io.code import read_code_file

    code = read_code_file(str(source))
    result = plan(document_from_code(code), [Patch("set_output_activation")])
    script = patch_script(code, result)
    out = write_script(script, str(tmp_path / "train_fixed.py"))
    data = Path(out).read_bytes()
    assert data.startswith(bom) or encoding == "utf-16"
    decoded = data.decode("utf-8-sig" if bom else encoding)
    assert decoded == text.replace("activation='relu'))\nopt", "activation='softmax'))\nopt").replace("\n", newline)
    assert source.read_bytes() == before
    diff = write_script(script, str(tmp_path / "fix.diff"))
    assert Path(diff).read_text(encoding="utf-8") == script.diff()
    with pytest.raises(Exception, match="overwrite"):
        write_script(script, str(source))


def test_seed_report_code_in_a_file_gives_a_diff_for_its_top_finding(tmp_path):
    """The code quoted in seed 004, saved as the user's train.py (its last line, `return
    model`, indented into the function as it is in a file that runs; the forum post lost that
    indent): its top finding's fix is a one-line diff of the relu output layer."""
    from app.patches.choose import automatic_patches
    from app.rules.engine import diagnose
    from tests.unit.test_code_reader import code_between

    text = code_between(seed("004"), "map_characters1", "    print(") + "    return model\n"
    code = read_code(text, "train.py")
    assert code.editable
    diagnosis = diagnose(None, model=code.model, settings=code.fit)
    assert diagnosis.reported[0].cause == "final_activation_mismatch"
    result = plan(document_from_code(code), automatic_patches(diagnosis)[:1], training_from_code(code))
    script = patch_script(code, result)
    old, new = changed_lines(script)
    assert len(old) == len(new) == 1 and "relu" in old[0] and new[0] == old[0].replace("relu", "softmax")
