"""The Code tab: a dropped training script is read without running it, shown with line
numbers, and the lines a finding points at are highlighted and reachable from the evidence."""

from __future__ import annotations

import pytest

from tests.gui.conftest import open_and_wait

pytestmark = pytest.mark.gui

TRAIN_PY = '''from tensorflow import keras
from tensorflow.keras import layers

open("marker_from_code", "w").write("ran")  # must never run
model = keras.Sequential([
    keras.Input(shape=(32,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(2, activation="relu"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x, y, epochs=5, batch_size=32, shuffle=False)
'''


def test_code_is_shown_flagged_and_reached_from_the_evidence(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train = tmp_path / "train.py"
    train.write_text(TRAIN_PY, encoding="utf-8")
    cases = open_and_wait(qtbot, window, [train])
    assert not (tmp_path / "marker_from_code").exists()
    assert window.code_view.path == str(train)
    assert "layers.Dense(2, activation=\"relu\")" in window.code_view.editor.toPlainText()
    top = cases[0].diagnosis.reported[0]
    assert top.cause == "final_activation_mismatch"
    assert 8 in window.code_view.editor.flagged  # the relu output line
    piece = next(e for e in top.evidence if e.source is not None and e.source.line == 8)
    from PySide6.QtWidgets import QTreeWidgetItemIterator

    from app.gui.views.findings_view import ROLE

    iterator = QTreeWidgetItemIterator(window.findings.tree)
    while iterator.value() is not None and iterator.value().data(0, ROLE) != ("evidence", piece):
        iterator += 1
    assert iterator.value() is not None
    window.findings.tree.setCurrentItem(iterator.value())  # as a click on the evidence does
    assert window.code_view.editor.selected_line == 8
    assert window.code_view.editor.textCursor().blockNumber() == 7


def _fix_button(window, text: str):
    from PySide6.QtWidgets import QPushButton

    buttons = [b for b in window.findings.fix_bar.findChildren(QPushButton) if text in b.text()]
    assert buttons, [b.text() for b in window.findings.fix_bar.findChildren(QPushButton)]
    return buttons[0]


def test_a_fix_of_code_alone_is_a_diff_of_the_script_and_saves_a_new_one(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    monkeypatch.chdir(tmp_path)
    train = tmp_path / "train.py"
    train.write_bytes(TRAIN_PY.replace("\n", "\r\n").encode("utf-8"))  # a Windows file stays one
    before = train.read_bytes()
    open_and_wait(qtbot, window, [train])
    qtbot.mouseClick(_fix_button(window, "softmax"), Qt.MouseButton.LeftButton)
    dialog = window.patch_dialog
    assert dialog.tabs.currentWidget() is dialog.code  # the diff is what there is to see
    diff = dialog.code.toPlainText()
    assert diff.startswith("--- a/train.py\n+++ b/train.py\n")
    assert '-    layers.Dense(2, activation="relu"),' in diff
    assert '+    layers.Dense(2, activation="softmax"),' in diff
    assert not dialog.save_model_button.isEnabled()  # no model file is open
    assert dialog.save_script_button.isVisible() and dialog.save_script_button.isEnabled()
    dialog.copy_code()
    assert QGuiApplication.clipboard().text() == diff
    out = tmp_path / "train_fixed.py"
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        dialog.save_script_to(str(out))
    fixed = out.read_bytes()
    assert b'layers.Dense(2, activation="softmax"),\r\n' in fixed and b"\n" not in fixed.replace(b"\r\n", b"")
    assert fixed.replace(b'"softmax"', b'"relu"') == before  # only that changed
    assert train.read_bytes() == before
    with qtbot.waitSignal(dialog.failed, timeout=5_000) as failed:
        dialog.save_script_to(str(train))
    assert "overwrite" in failed.args[0] and train.read_bytes() == before


def test_a_fix_in_a_notebook_is_a_diff_per_cell_and_saves_a_new_notebook(qtbot, window, tmp_path, monkeypatch):
    import json

    from PySide6.QtCore import Qt

    from tests.unit.test_script_patches import NOTEBOOK

    monkeypatch.chdir(tmp_path)
    notebook = tmp_path / "train.ipynb"
    notebook.write_text(NOTEBOOK, encoding="utf-8")
    before = notebook.read_bytes()
    open_and_wait(qtbot, window, [notebook])
    qtbot.mouseClick(_fix_button(window, "softmax"), Qt.MouseButton.LeftButton)
    dialog = window.patch_dialog
    diff = dialog.code.toPlainText()
    assert diff.startswith("--- a/train.ipynb (cell 3)\n+++ b/train.ipynb (cell 3)\n"), diff
    assert dialog.save_script_button.isEnabled()
    assert dialog.default_script_path().endswith("train_fixed.ipynb")
    out = tmp_path / "train_fixed.ipynb"
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        dialog.save_script_to(str(out))
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    assert "model.add(Dense(10, activation='softmax'))\n" in cells[2]["source"]
    assert cells[3]["outputs"] and notebook.read_bytes() == before


def test_with_a_model_file_and_its_script_both_are_fixed(qtbot, window, tmp_path):
    from PySide6.QtCore import Qt

    from tests.gui.conftest import FIXTURES

    folder = FIXTURES / "runs" / "seed004_relu_cce_nan"
    script = tmp_path / "train_seed004.py"
    script.write_text(SEED004_PY, encoding="utf-8")
    open_and_wait(qtbot, window, [folder / "model.keras", folder / "console_v1.txt", script])
    assert window.code_view.path == str(script)
    qtbot.mouseClick(_fix_button(window, "softmax"), Qt.MouseButton.LeftButton)
    dialog = window.patch_dialog
    assert dialog.save_model_button.isEnabled() and dialog.save_script_button.isEnabled()
    diff = dialog.code.toPlainText()
    assert "-outputs = layers.Dense(2, activation='relu')(x)" in diff
    assert "+outputs = layers.Dense(2, activation='softmax')(x)" in diff


SEED004_PY = '''import keras
from keras import layers

inputs = keras.Input((32, 32, 3))
x = layers.Conv2D(8, 3, activation='relu')(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
x = layers.Dense(16, activation='relu')(x)
outputs = layers.Dense(2, activation='relu')(x)
model = keras.Model(inputs, outputs)
model.compile(loss='categorical_crossentropy', optimizer=keras.optimizers.Adam(1e-3), metrics=['accuracy'])
model.fit(x_train, y_train, epochs=10, batch_size=32)
'''


def test_paste_code_from_the_code_tab_reads_it_with_prose_around(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    qtbot.mouseClick(window.code_view.paste_button, _left())
    dialog = window._paste_dialog
    assert dialog.windowTitle() == "Paste training code"
    dialog.editor.setPlainText("Here is my model, accuracy stays at 0.5:\n\n" + TRAIN_PY + "\nAny idea?\n")
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000) as blocker:
        dialog.accept()
    assert not (tmp_path / "marker_from_code").exists()
    assert window.code_view.path.startswith("<pasted code")
    assert "Here is my model" in window.code_view.editor.toPlainText()
    assert blocker.args[0][0].diagnosis.reported[0].cause == "final_activation_mismatch"
    assert 10 in window.code_view.editor.flagged  # the relu output, two prose lines further down


def test_pasted_text_without_code_in_the_code_tab_says_what_was_expected(qtbot, window):
    qtbot.mouseClick(window.code_view.paste_button, _left())
    dialog = window._paste_dialog
    dialog.editor.setPlainText("My loss is nan, what should I do?")
    with qtbot.waitSignal(window.session.error_occurred, timeout=10_000) as blocker:
        dialog.accept()
    assert "Keras training code that builds a model" in blocker.args[0]


def test_a_forum_post_shows_its_code_with_the_line_the_finding_cites(qtbot, window):
    from tests.gui.conftest import FIXTURES

    post = FIXTURES / "seeds" / "seed004.txt"
    cases = open_and_wait(qtbot, window, [post])
    assert window.curves.curve("loss") is not None  # the log part
    assert window.code_view.path == str(post)  # and its code
    top = cases[0].diagnosis.reported[0]
    assert top.cause == "final_activation_mismatch"
    assert 20 in window.code_view.editor.flagged  # predictions = Dense(numclasses, activation='relu')(x)


def _left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
