"""The window's gestures with a real QApplication: clicking evidence in the findings, the
flagged layers of the model view, dropping folders and several files, File ▸ Open Recent,
the log-y axis (Ctrl+L), the paste box, and ``traindoc --demo``."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QTabBar

from tests.gui.conftest import FIXTURES, open_and_wait

pytestmark = pytest.mark.gui

RUNS = FIXTURES / "runs"
SEED004_RUN = RUNS / "seed004_relu_cce_nan"
SEED002_RUN = RUNS / "seed002_softmax_bce_bn"
SEED002_POST = FIXTURES / "seeds" / "seed002.txt"
SEED004_POST = FIXTURES / "seeds" / "seed004.txt"


# -- helpers -------------------------------------------------------------------------------
def _new_window(qtbot, settings):
    """A second window on the same settings file (as the next start of the app)."""
    from app.gui.main_window import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _close(win) -> None:
    win.close()  # saves settings, stops the workers
    assert win.session.tasks.pool.activeThreadCount() == 0


def _drop(window, mime: QMimeData) -> None:
    """Deliver a drag and drop of ``mime`` to the window as Qt does: enter, move, drop."""
    target = window.centralWidget()
    point = QPointF(target.width() / 2, target.height() / 2)
    action, button, mods = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point.toPoint(), action, mime, button, mods)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window refuses the drag"
    move = QDragMoveEvent(point.toPoint(), action, mime, button, mods)
    QApplication.sendEvent(window, move)
    assert move.isAccepted(), "the window refuses the drag while it moves"
    drop = QDropEvent(point, action, mime, button, mods)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted(), "the window ignored the drop"


def _urls(*paths) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _click_item(qtbot, tree, item) -> None:
    """A left click on ``item`` in the tree (its parent expanded first, as a user would)."""
    parent = item.parent()
    if parent is not None:
        parent.setExpanded(True)
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    assert rect.isValid() and tree.viewport().rect().contains(rect.center()), "the item is not on screen"
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tree.currentItem() is item, "the click did not select the item"


def _evidence_item(window, predicate):
    """The findings tree item of the first evidence satisfying ``predicate``: a child of a
    finding row, never a symptom row."""
    from app.gui.views.findings_view import ROLE

    item = window.findings.item_for("evidence", predicate)
    assert item is not None, "no such evidence in the findings"
    assert item.data(0, ROLE)[0] == "evidence"
    assert item.parent() is not None and item.parent().data(0, ROLE)[0] == "finding"
    return item


def _front_dock_tab(window) -> str:
    """The title of the dock tab in front in the tab group holding Findings and Model."""
    bars = [bar for bar in window.findChildren(QTabBar)
            if {"Findings", "Model"} <= {bar.tabText(i) for i in range(bar.count())}]
    assert len(bars) == 1, "Findings and Model are not tabbed together"
    return bars[0].tabText(bars[0].currentIndex())


def _flagged_rows(model_view) -> dict[str, bool]:
    """Layer name -> whether its row is painted as flagged (what the user sees)."""
    from app.gui.views.model_view import FLAG_COLOUR

    out = {}
    for row, layer in enumerate(model_view.rows):
        item = model_view.table.item(row, 0)
        painted = item.background().color() == FLAG_COLOUR
        out[layer.name] = painted
        if painted:
            assert item.toolTip() == "A finding points at this layer."
    return out


# -- findings: evidence selection ----------------------------------------------------------
def test_clicking_evidence_highlights_its_epoch_range_on_the_plot(qtbot, window):
    open_and_wait(qtbot, window, [SEED004_RUN / "model.keras", SEED004_RUN / "console_v1.txt"])
    assert window.curves.highlighted is None  # the first finding row is current: nothing highlighted yet
    item = _evidence_item(window, lambda e: e.where.get("symptom") == "stuck_chance_accuracy"
                          and e.where.get("metric") == "accuracy")
    piece = item.data(0, Qt.ItemDataRole.UserRole)[1]
    start, end = piece.where["start"], piece.where["end"]
    assert (start, end) == (7, 10)
    _click_item(qtbot, window.findings.tree, item)
    region = window.curves.highlighted
    assert region is not None, "selecting the evidence highlighted nothing"
    assert region.plot == "metrics"  # accuracy is drawn on the metrics plot, not the loss plot
    assert (region.start, region.end) == (start - 0.5, end + 0.5)
    assert tuple(region.item.getRegion()) == (start - 0.5, end + 0.5)
    assert region.item in window.curves.plots["metrics"].items
    x0, x1 = window.curves.plots["metrics"].viewRange()[0]
    assert x0 <= region.start and region.end <= x1  # brought into view

    # Another piece of evidence moves the highlight (the loss NaN range on the loss plot).
    nan_item = _evidence_item(window, lambda e: e.where.get("symptom") == "nan_loss")
    _click_item(qtbot, window.findings.tree, nan_item)
    moved = window.curves.highlighted
    assert moved is not region and moved.plot == "loss"
    assert (moved.start, moved.end) == (5.5, 10.5)
    assert region.item not in window.curves.plots["metrics"].items  # the old highlight is gone


def test_clicking_layer_evidence_selects_the_layer_in_the_model_view(qtbot, window):
    open_and_wait(qtbot, window, [SEED004_RUN / "model.keras", SEED004_RUN / "console_v1.txt"])
    assert [f.cause for f in window.findings.findings()][0] == "final_activation_mismatch"
    assert window.model_view.selected_layer() is None
    assert _front_dock_tab(window) == "Findings"
    item = _evidence_item(window, lambda e: e.where.get("layer") == "dense_1")
    _click_item(qtbot, window.findings.tree, item)
    assert _front_dock_tab(window) == "Model", "the Model tab was not brought to the front"
    layer = window.model_view.selected_layer()
    assert layer is not None and layer.name == "dense_1"
    assert layer.activation == "relu"  # the relu output the finding is about
    selected = window.model_view.table.selectionModel().selectedRows()
    assert [index.row() for index in selected] == [window.model_view.rows.index(layer)]


# -- model view: flagged layers -------------------------------------------------------------
def test_model_view_flags_the_output_layer_of_seed004(qtbot, window):
    open_and_wait(qtbot, window, [SEED004_RUN / "model.keras", SEED004_RUN / "console_v1.txt"])
    rows = _flagged_rows(window.model_view)
    assert "dense_1" in rows and len(rows) > 1
    assert {name for name, painted in rows.items() if painted} == {"dense_1"}
    assert window.model_view.rows[-1].name == "dense_1"  # it is the output layer


def test_model_view_flags_seed002s_dense_bottleneck_and_softmax_output(qtbot, window):
    cases = open_and_wait(qtbot, window, [SEED002_RUN / "model.keras", SEED002_RUN / "console_v1.txt"])
    causes = {f.cause for case in cases for f in case.diagnosis.reported}
    assert "dense_bottleneck" in causes
    rows = _flagged_rows(window.model_view)
    assert rows["dense"], "the dense bottleneck after flatten is not flagged"
    assert rows["activation_4"], "the softmax output under binary cross-entropy is not flagged"
    assert not rows["flatten"]  # layers no finding points at stay plain
    assert not all(rows.values())


# -- drag and drop -------------------------------------------------------------------------
def test_dropping_a_run_folder_opens_everything_in_it(qtbot, window):
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=60_000) as blocker:
        _drop(window, _urls(SEED002_RUN))
    assert blocker.args[0], "no diagnosis for the dropped folder"
    runs = window.session.runs
    formats = {run.format for run in runs}
    assert {"tensorboard", "keras_console", "history_json", "csvlogger"} <= formats
    tb = next(run for run in runs if run.format == "tensorboard")
    assert tb.paths and all(os.sep + "tb" + os.sep in p for p in tb.paths)
    assert all(run.epoch_count == 12 for run in runs)
    assert window.run_list.count() == len(runs) + len(window.session.models)
    assert sum(label.endswith(": loss") for label in window.curves.labels()) == len(runs)
    assert window.settings.recent_files == [str(SEED002_RUN)]


def test_dropping_several_files_at_once_opens_them_all(qtbot, window):
    paths = [SEED004_RUN / "model.keras", SEED004_RUN / "console_v1.txt", SEED002_POST]
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=60_000) as blocker:
        _drop(window, _urls(*paths))
    cases = blocker.args[0]
    assert sorted(p for run in window.session.runs for p in run.paths) == sorted(
        [str(SEED004_RUN / "console_v1.txt"), str(SEED002_POST)])
    assert [m.source_path for m in window.session.models] == [str(SEED004_RUN / "model.keras")]
    causes = {f.cause for case in cases for f in case.diagnosis.reported}
    assert "final_activation_mismatch" in causes  # the seed 004 model with its log
    symptoms = {s.id for case in cases for s in case.diagnosis.symptoms}
    assert "val_stuck_train_improves" in symptoms  # the seed 002 post
    assert sum(label.endswith(": loss") for label in window.curves.labels()) == 2
    assert sorted(window.settings.recent_files) == sorted(str(p) for p in paths)


# -- File ▸ Open Recent --------------------------------------------------------------------
def _show_recent(qtbot, window):
    """Open File ▸ Open Recent as a popup (its aboutToShow fills it) and return its entries."""
    assert window.recent_menu.menuAction() in window.file_menu.actions()
    menu = window.recent_menu
    menu.popup(window.mapToGlobal(QPoint(40, 40)))
    qtbot.waitUntil(menu.isVisible, timeout=5_000)
    return menu, [a for a in menu.actions() if not a.isSeparator()]


def test_open_recent_lists_a_file_opened_before_and_reopens_it(qtbot, window, settings):
    menu, entries = _show_recent(qtbot, window)
    assert [(a.text(), a.isEnabled()) for a in entries] == [("(none)", False)]
    menu.hide()
    log = SEED004_RUN / "console_v1.txt"
    open_and_wait(qtbot, window, [log])
    _close(window)

    later = _new_window(qtbot, settings)  # the next start of the app
    assert later.session.runs == []
    menu, entries = _show_recent(qtbot, later)
    texts = [a.text() for a in entries]
    assert texts[0] == str(log) and "Clear list" in texts
    entry = entries[0]
    with qtbot.waitSignal(later.session.diagnosis_ready, timeout=30_000) as blocker:
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(entry).center())
    assert [run.paths for run in later.session.runs] == [[str(log)]]
    # From the log alone the cause is possible, not reported (it takes the model to decide).
    assert any(f.cause == "final_activation_mismatch" for case in blocker.args[0]
               for f in case.diagnosis.possible)
    assert later.curves.curve("loss") is not None
    _close(later)


# -- View ▸ Logarithmic loss axis (Ctrl+L) -------------------------------------------------
def _loss_axis_is_log(window) -> bool:
    plot = window.curves.plots["loss"]
    return bool(plot.getAxis("left").logMode)


def test_ctrl_l_switches_the_loss_axis_to_log_and_is_remembered(qtbot, window, settings):
    open_and_wait(qtbot, window, [SEED002_POST])
    run = window.session.runs[0]
    loss = run.epochs["loss"].y
    assert not _loss_axis_is_log(window) and not window.log_y_action.isChecked()
    _, shown = window.curves.curve("loss").getData()
    assert np.allclose(shown, loss)  # linear: the values as logged

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.log_y_action.isChecked(), "Ctrl+L did not toggle the log axis"
    assert _loss_axis_is_log(window)
    _, shown = window.curves.curve("loss").getData()
    assert np.allclose(shown, np.log10(loss))  # the curve is drawn on the log scale
    assert settings.log_y is True
    _close(window)

    later = _new_window(qtbot, settings)
    assert later.log_y_action.isChecked()
    assert _loss_axis_is_log(later)
    open_and_wait(qtbot, later, [SEED002_POST])
    assert _loss_axis_is_log(later)  # runs opened later are drawn on it too
    _, shown = later.curves.curve("loss").getData()
    assert np.allclose(shown, np.log10(loss))

    later.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is later, timeout=5_000)
    qtbot.keyClick(later, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # and back
    assert not later.log_y_action.isChecked() and not _loss_axis_is_log(later)
    assert settings.log_y is False
    _close(later)


# -- File ▸ Paste log text… ----------------------------------------------------------------
def test_paste_box_reads_pasted_seed002_log_text(qtbot, window):
    assert window.paste_box_action in window.file_menu.actions()
    text = SEED002_POST.read_text(encoding="utf-8")
    QGuiApplication.clipboard().setText(text)
    window.paste_box_action.trigger()  # File ▸ Paste log text… (window.paste_dialog())
    dialog = window._paste_dialog
    qtbot.waitExposed(dialog)
    assert dialog.isVisible() and dialog.text() == ""
    dialog.editor.setFocus()
    dialog.editor.paste()  # the user's paste into the box
    assert dialog.text() == text
    assert window.session.runs == []  # nothing is read before Diagnose
    diagnose = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert diagnose.text() == "Diagnose"
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000) as blocker:
        qtbot.mouseClick(diagnose, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    run = window.session.runs[0]
    assert run.format == "keras_console" and run.epoch_count == 10
    assert run.name == "<pasted text 1>"
    symptoms = {s.id for case in blocker.args[0] for s in case.diagnosis.symptoms}
    assert "val_stuck_train_improves" in symptoms
    assert window.curves.curve("val_accuracy") is not None


def test_paste_box_cancel_reads_nothing(qtbot, window):
    window.paste_dialog()
    dialog = window._paste_dialog
    qtbot.waitExposed(dialog)
    dialog.editor.setPlainText(SEED002_POST.read_text(encoding="utf-8"))
    cancel = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert not dialog.isVisible()
    assert window.session.runs == [] and not window.session.tasks.is_busy()


# -- traindoc --demo -----------------------------------------------------------------------
def test_traindoc_demo_opens_the_bundled_sample(qtbot, qapp, tmp_path, monkeypatch):
    """``traindoc --demo`` end to end through the CLI and app.gui.main; only the settings
    file is redirected to a temporary one (never the user's) and the event loop is left
    once the diagnosis is shown."""
    import app.gui.main as gui_main
    from app.cli import main as cli_main
    from app.resources import resource_path

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main() installs its own
    name, organization = qapp.applicationName(), qapp.organizationName()
    real_build_window = gui_main.build_window
    opened: dict = {}
    guard = QTimer()  # never hang the suite; stopped below so it cannot end a later test's loop
    guard.setSingleShot(True)

    def build_window(paths=(), settings_path=None):
        assert settings_path is None  # the demo uses the default settings: redirect them
        app, win = real_build_window(paths, str(tmp_path / "traindoc.ini"))
        qtbot.addWidget(win)
        opened.update(paths=list(paths), window=win)

        def shown(cases):
            if "cases" not in opened:
                opened["cases"] = cases
                QTimer.singleShot(0, lambda: app.exit(0))  # exit(), not quit(): Qt 6's quit() closes the windows

        win.session.diagnosis_ready.connect(shown)
        win.session.error_occurred.connect(lambda message: opened.setdefault("errors", []).append(message))
        guard.timeout.connect(lambda: app.exit(1))
        guard.start(60_000)
        return app, win

    monkeypatch.setattr(gui_main, "build_window", build_window)
    try:
        assert cli_main(["--demo"]) == 0, f"the demo showed no diagnosis within 60 s: {opened.get('errors')}"
    finally:
        guard.stop()
        qapp.setApplicationName(name)
        qapp.setOrganizationName(organization)
    demo = resource_path("samples", "demo")
    assert opened["paths"] == [str(demo)]
    assert opened["cases"]
    win = opened["window"]
    assert win.isVisible() and not opened.get("errors")
    assert [os.path.dirname(p) for run in win.session.runs for p in run.paths] == [str(demo)]
    causes = [f.cause for f in win.findings.findings()]
    assert causes and causes[0] == "final_activation_mismatch"
    assert win.curves.curve("loss") is not None
    assert win.model_view.model is not None and any(_flagged_rows(win.model_view).values())
    _close(win)
