"""Fix buttons open a preview of the patch; Save patched model… runs the worker process off
the GUI thread and writes a new file; the input stays as it was."""

from __future__ import annotations

import hashlib

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from tests.gui.conftest import FIXTURES, open_and_wait

pytestmark = pytest.mark.gui

SEED004 = FIXTURES / "runs" / "seed004_relu_cce_nan"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fix_button(window, text: str) -> QPushButton:
    buttons = [b for b in window.findings.fix_bar.findChildren(QPushButton) if text in b.text()]
    assert buttons, [b.text() for b in window.findings.fix_bar.findChildren(QPushButton)]
    return buttons[0]


def test_fix_button_previews_and_saves_a_patched_model(qtbot, window, tmp_path):
    model = SEED004 / "model.keras"
    before = _sha(model)
    open_and_wait(qtbot, window, [model, SEED004 / "console_v1.txt"])
    assert window.findings.tree.currentItem() is not None
    qtbot.mouseClick(_fix_button(window, "softmax"), Qt.MouseButton.LeftButton)
    dialog = window.patch_dialog
    assert dialog is not None and dialog.isVisible()
    assert "relu → softmax" in dialog.changes.toPlainText()
    assert '"softmax"' in dialog.diff.toPlainText() and '"relu"' in dialog.diff.toPlainText()
    assert 'activation="softmax"' in dialog.code.toPlainText()
    assert dialog.save_model_button.isEnabled()
    out = tmp_path / "fixed.keras"
    with qtbot.waitSignal(dialog.saved, timeout=120_000) as saved:
        dialog.save_model_to(str(out))
        assert dialog.cancel_button.isVisible()  # the worker runs; the window does not wait
    assert saved.args[0] == str(out) and out.exists()
    # the frozen base is carried; the head's saved weights are NaN (the failed run): drawn fresh
    assert "weights carried over for 6 layers" in dialog.status.text()
    assert "NaN" in dialog.status.text()
    assert _sha(model) == before


def test_saving_over_the_input_is_refused_in_the_dialog(qtbot, window):
    model = SEED004 / "model.keras"
    open_and_wait(qtbot, window, [model, SEED004 / "console_v1.txt"])
    qtbot.mouseClick(_fix_button(window, "softmax"), Qt.MouseButton.LeftButton)
    dialog = window.patch_dialog
    with qtbot.waitSignal(dialog.failed, timeout=5_000) as failed:
        dialog.save_model_to(str(model))
    assert "overwrite" in failed.args[0]


def test_without_a_model_file_the_preview_offers_the_code_change(qtbot, window):
    open_and_wait(qtbot, window, [FIXTURES / "seeds" / "seed004.txt"])
    qtbot.mouseClick(_fix_button(window, "softmax"), Qt.MouseButton.LeftButton)
    dialog = window.patch_dialog
    assert not dialog.save_model_button.isEnabled()
    assert "softmax" in dialog.code.toPlainText() and dialog.copy_button.isEnabled()
    dialog.copy_code()
    from PySide6.QtGui import QGuiApplication

    assert "softmax" in QGuiApplication.clipboard().text()


def test_training_settings_never_go_over_an_open_log_and_an_unsafe_model_still_gives_them(qtbot, window, tmp_path):
    """seed000's model holds Lambda layers: Save patched model… is off, Save training
    config… stays on; and it refuses to write over the log that is open."""
    from tests.gui.conftest import FIXTURES

    folder = FIXTURES / "runs" / "seed000_mse_sigmoid"
    log = folder / "console_v1.txt"
    before = _sha(log)
    open_and_wait(qtbot, window, [folder / "model.keras", log])
    from app.core.diagnosis import Fix
    from app.core.i18n import T
    from app.gui.views.patch_dialog import PatchPreviewDialog

    finding = window.session.cases[0].diagnosis.findings[0]
    fix = Fix("set_shuffle", T("Shuffle", "打乱"), "safe", {"shuffle": True}, "model.fit(..., shuffle=True)")
    dialog = PatchPreviewDialog(finding, fix, str(folder / "model.keras"), "en", str(tmp_path), window,
                                inputs=window._opened_paths())
    qtbot.addWidget(dialog)
    assert dialog.plan.applied and not dialog.save_model_button.isEnabled()
    assert dialog.save_training_button.isEnabled()
    with qtbot.waitSignal(dialog.failed, timeout=5_000) as failed:
        dialog.save_training_to(str(log))
    assert "overwrite" in failed.args[0] and _sha(log) == before
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        dialog.save_training_to(str(tmp_path / "fit.json"))
    assert (tmp_path / "fit.json").exists()
