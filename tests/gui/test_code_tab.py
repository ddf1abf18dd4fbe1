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
