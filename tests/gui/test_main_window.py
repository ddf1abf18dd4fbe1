"""The window with a real QApplication: open by drop, menu and paste; plots; findings;
evidence highlighting; language; errors; settings."""

from __future__ import annotations

import json
import math
import time
import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QPushButton

from tests.gui.conftest import FIXTURES, ROOT, open_and_wait

pytestmark = pytest.mark.gui

SEED004 = FIXTURES / "seeds" / "seed004.txt"
SEED002 = FIXTURES / "seeds" / "seed002.txt"


def _drop(window, mime: QMimeData) -> None:
    """Drag ``mime`` over the window and drop it, as Qt delivers a real drop (enter, then drop)."""
    target = window.centralWidget()
    point = QPointF(target.width() / 2, target.height() / 2)
    enter = QDragEnterEvent(point.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window refuses the drag"
    event = QDropEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    assert event.isAccepted(), "the window ignored the drop"


def test_drop_a_log_plots_curves_and_marks_nan(qtbot, window):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(SEED004))])
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000) as blocker:
        _drop(window, mime)
    cases = blocker.args[0]
    assert cases and cases[0].diagnosis.runs
    item = window.curves.curve("loss")
    assert item is not None
    x, y = item.getData()
    run = window.session.runs[0]
    assert len(x) == run.epoch_count
    first_nan = int(np.flatnonzero(~np.isfinite(run.epochs["loss"].y))[0])
    assert ("loss", float(run.epochs["loss"].x[first_nan])) in window.curves.nan_markers
    assert any(r.symptom == "nan_loss" for r in window.curves.regions)


def test_findings_list_the_expected_top_cause_and_evidence_highlights(qtbot, window):
    open_and_wait(qtbot, window, [SEED004])
    causes = [f.cause for f in window.findings.findings()]
    assert "final_activation_mismatch" in causes
    nan_item = window.findings.item_for("symptom", lambda s: s.id == "nan_loss")
    assert nan_item is not None
    window.findings.tree.setCurrentItem(nan_item)
    symptom = nan_item.data(0, Qt.ItemDataRole.UserRole)[1]
    region = window.curves.highlighted
    assert region is not None
    assert (region.start, region.end) == (symptom.start - 0.5, symptom.end + 0.5)


def test_open_from_the_file_menu(qtbot, window, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(SEED002)], ""))
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000):
        window.open_action.trigger()
    assert [r.format for r in window.session.runs] == ["keras_console"]
    assert window.curves.curve("val_accuracy") is not None
    assert window.settings.recent_files == [str(SEED002)]


def test_paste_log_text_with_ctrl_v(qtbot, window):
    QGuiApplication.clipboard().setText(SEED002.read_text(encoding="utf-8"))
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000):
        window.paste_action.trigger()
    assert window.session.runs[0].epoch_count == 10
    ids = {s.id for case in window.session.cases for s in case.diagnosis.symptoms}
    assert "val_stuck_train_improves" in ids


def test_bad_file_shows_an_error_and_keeps_what_was_open(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, [SEED004])
    bad = tmp_path / "page.html"
    bad.write_text("<!DOCTYPE html><html><body>login</body></html>", encoding="utf-8")
    with qtbot.waitSignal(window.session.error_occurred, timeout=30_000) as blocker:
        window.open_paths([str(bad)])
    assert str(bad) in blocker.args[0]
    assert window.banner.isVisible() and str(bad) in window.banner.label.text()
    assert len(window.session.runs) == 1 and window.curves.curve("loss") is not None


def test_language_switch_changes_visible_texts_and_is_remembered(qtbot, window):
    open_and_wait(qtbot, window, [SEED004])
    assert window.file_menu.title() == "&File"
    window.set_language("zh_CN")
    assert window.file_menu.title() == "文件(&F)"
    assert window.findings_dock.windowTitle() == "诊断结果"
    first = window.findings.tree.topLevelItem(0).text(0)
    assert first == "曲线显示"
    title, read = window.run_list.item(0).text().split("\n")
    assert title == "seeds/seed004.txt（keras_console，5 轮）"  # the open list too
    assert read.strip().startswith("5 轮 · 1 句文字 · 21 层")  # and what was read, translated
    assert "5 轮：accuracy, loss, val_accuracy, val_loss" in window.run_list.item(0).toolTip()
    assert window.settings.language == "zh_CN"
    window.set_language("en")
    assert window.file_menu.title() == "&File"
    assert window.run_list.item(0).text().split("\n")[0] == "seeds/seed004.txt  (keras_console, 5 epochs)"


def test_open_files_panel_says_what_was_read_from_each_input(qtbot, window):
    open_and_wait(qtbot, window, [SEED002])
    item = window.run_list.item(0)
    title, read = item.text().split("\n")
    assert title == "seeds/seed002.txt  (keras_console, 10 epochs)"
    # the counts under the title: epochs, evaluate() results, sentences, layers, compiled, lines not read
    assert read.strip().startswith("10 epochs · 1 result of evaluate() · 2 sentences · 25 layers · compiled")
    assert "other lines not read as metrics" in read
    tip = item.toolTip().splitlines()
    assert tip[0].endswith("seed002.txt")  # the file first, then every fact with its names
    assert "10 epochs of accuracy, loss, val_accuracy, val_loss" in tip
    assert "compile: loss=binary_crossentropy, optimizer=SGD, learning_rate=0.01, metric=accuracy" in tip
    assert "2 sentences used as evidence (stuck_chance_accuracy, loss)" in tip


def test_several_runs_overlay(qtbot, window):
    open_and_wait(qtbot, window, [SEED004])
    open_and_wait(qtbot, window, [SEED002])
    labels = window.curves.labels()
    assert sum(label.endswith(": loss") for label in labels) == 2


def test_million_point_series_is_drawn_from_decimated_copies(qtbot, window):
    from app.core.decimate import BUDGET
    from app.core.run import Run, Series

    n = 1_000_000
    run = Run("big", "bench")
    y = np.exp(-np.arange(n) / 2e5) + 0.1
    y[123_457] = 5.0  # one spike: drawn at every zoom
    run.add_series(Series("loss", "step", np.arange(1, n + 1), y))
    window.curves.set_runs([run])
    item = window.curves.curve("loss")
    assert len(window.curves.series["loss"]) == n  # the whole series is kept for the crosshair
    assert item.xData.size <= BUDGET  # pyqtgraph gets a copy the window's thread can afford
    assert item.yData.max() == 5.0 and item.yData.min() == y.min()  # the envelope, spike included
    assert item.opts["autoDownsample"] and item.opts["clipToView"]
    assert item.opts["pen"].width() == 1 and item.opts["pen"].style() == Qt.PenStyle.SolidLine

    window.curves.plots["loss"].setXRange(123_000, 124_000, padding=0)  # zoomed in: every point
    x_shown, y_shown = item.getData()
    inside = (x_shown >= 123_000) & (x_shown <= 124_000)
    assert np.array_equal(y_shown[inside], y[122_999:124_000])
    assert window.curves.values_at(123_458)["loss"] == 5.0

    window.curves.reset_view()  # the whole run again: the coarse copy
    qtbot.waitUntil(lambda: item.xData.size <= BUDGET, timeout=5_000)


def test_crosshair_values_are_exact(qtbot, window):
    open_and_wait(qtbot, window, [SEED002])
    run = window.session.runs[0]
    values = window.curves.values_at(3.2)
    assert values["val_accuracy"] == pytest.approx(run.epochs["val_accuracy"].value_at(3))


def test_window_start_does_not_import_tensorflow():
    code = (
        "import sys, os\n"
        "os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
        "from app.gui.main import build_window\n"
        "app, w = build_window([], os.path.join(sys.argv[1], 't.ini'))\n"
        "assert w.isVisible()\n"
        "bad = [m for m in ('tensorflow', 'keras', 'tf_keras', 'pandas') if m in sys.modules]\n"
        "print('BAD' if bad else 'OK', bad)\n"
        "w.close()\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-c", code, folder], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout, done.stdout


def test_readers_and_rules_are_imported_after_the_window_shows():
    """pyarrow's 0.25 s import holds the GIL: done by a background thread once the window is up,
    not while the first file opens (bench/bench_gui_gaps.py), and not before the window shows."""
    code = (
        "import sys, os, time\n"
        "os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
        "from app.gui.main import build_window\n"
        "app, w = build_window([], os.path.join(sys.argv[1], 't.ini'))\n"
        "early = [m for m in ('pyarrow', 'app.rules.engine') if m in sys.modules]\n"
        "end = time.time() + 30\n"
        "while time.time() < end and 'app.rules.symptoms.overfitting' not in sys.modules:\n"
        "    app.processEvents(); time.sleep(0.02)\n"
        "time.sleep(0.5)\n"
        "late = [m for m in ('pyarrow', 'app.io.table', 'app.rules.engine', 'app.rules.symptoms.overfitting')\n"
        "        if m in sys.modules]\n"
        "print('EARLY', early, 'LATE', late, 'TF', 'tensorflow' in sys.modules)\n"
        "w.close()\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-c", code, folder], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env={**os.environ})
    assert done.returncode == 0, done.stderr
    assert "EARLY [] LATE ['pyarrow', 'app.io.table', 'app.rules.engine', 'app.rules.symptoms.overfitting'] TF False" \
        in done.stdout, done.stdout


def test_about_dialog_lists_versions(qtbot, window):
    window.about_action.trigger()
    text = window._about.findChild(type(window.banner.label), "about_text").text()
    assert "PySide6" in text and "TrainDoc" in text and "TensorFlow" in text
    window._about.close()


def test_geometry_is_remembered(qtbot, settings):
    from PySide6.QtCore import QSize

    from app.gui.main_window import MainWindow

    # restoreGeometry() fits a window into its screen's available area: Xvfb's screen is
    # 1600x1000, the offscreen platform's 800x800. Ask for a size every screen can hold
    # (900x640 where it fits) that is not the first-start size, so only a restored
    # geometry can produce it.
    available = QGuiApplication.primaryScreen().availableGeometry()
    wanted = QSize(min(900, available.width() - 100), min(640, available.height() - 100))
    assert wanted.width() >= 400 and wanted.height() >= 400, f"screen too small: {available}"

    fresh = MainWindow(settings=settings)
    qtbot.addWidget(fresh)
    default = fresh.size()
    assert default != wanted  # nothing saved yet: the first-start size

    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.resize(wanted)
    first.show()
    qtbot.waitExposed(first)
    assert first.size() == wanted
    first.close()
    assert settings.geometry is not None and not settings.geometry.isEmpty()

    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.size() == wanted
    second.show()
    qtbot.waitExposed(second)
    assert second.size() == wanted  # and showing it keeps the restored size
    second.close()


def test_nan_and_math_are_consistent():
    # The seed's NaN values are real NaN (not the string), as the plot relies on.
    from app.io.load import load_path

    run = load_path(SEED004).runs[0]
    assert any(math.isnan(v) for v in run.epochs["loss"].y)


def test_drop_of_plain_text_is_read_as_a_log(qtbot, window):
    mime = QMimeData()
    mime.setText(SEED002.read_text(encoding="utf-8"))
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000):
        _drop(window, mime)
    assert window.session.runs[0].epoch_count == 10



def test_plots_follow_the_light_or_dark_palette(qtbot, window):
    from PySide6.QtGui import QColor, QPalette

    panel = window.curves
    base = panel.palette().color(QPalette.ColorRole.Base)
    assert panel.view.backgroundBrush().color() == base
    dark = QPalette(panel.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#f0f0f0"))
    panel.setPalette(dark)
    assert panel.view.backgroundBrush().color() == QColor("#1e1e1e")
    assert panel.plots["loss"].getAxis("left").textPen().color() == QColor("#f0f0f0")


def _big_console_log(path, epochs: int) -> int:
    """A verbose-2 Keras log of ``epochs`` epochs (tens of MB), written fast."""
    block = []
    for epoch in range(1, epochs + 1):
        block.append(f"Epoch {epoch}/{epochs}\n50/50 - 1s - 20ms/step - accuracy: 0.{5000 + epoch % 4000:04d} - "
                     f"loss: {1 / (1 + epoch / 1000):.4f} - val_accuracy: 0.5012 - val_loss: 0.6931\n")
    text = "".join(block)
    path.write_text(text, encoding="utf-8")
    return len(text)


def test_a_large_log_loads_off_the_gui_thread_with_progress_and_cancel(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, [SEED004])
    big = tmp_path / "big_training.log"
    size = _big_console_log(big, 400_000)
    assert size > 40_000_000
    fractions = []
    window.session.busy.connect(lambda message, fraction: fractions.append(fraction))
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    window.open_paths([str(big)])
    qtbot.waitUntil(lambda: any(0 < f < 1 for f in fractions), timeout=30_000)
    assert window.cancel_button.isVisible() and window.progress.isVisible()
    qtbot.wait(300)  # the event loop keeps running while the worker reads
    timer.stop()
    gaps = np.diff(ticks)
    # The default 5 ms GIL switch interval stalled it 0.3-0.7 s here; 1 ms: about 0.07 s (app.gui.tasks).
    assert len(ticks) >= 5 and gaps.max() < 0.3, f"GUI thread stalled {gaps.max():.2f} s"
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.cancel_button.isVisible(), timeout=5_000)
    qtbot.wait(200)
    # The cancelled file was not added; the run open before is still there.
    assert [r.name for r in window.session.runs] == ["seeds/seed004.txt"]
    assert not window.banner.isVisible()


def test_epoch_axis_has_whole_number_ticks_only(qtbot, window):
    open_and_wait(qtbot, window, [SEED004])
    axis = window.curves.plots["loss"].getAxis("bottom")
    x0, x1 = window.curves.plots["loss"].viewRange()[0]
    ticks = [v for _, values in axis.tickValues(x0, x1, 600) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)


def test_the_loading_worker_counts_epochs_so_the_window_does_not():
    # issue 20: the Open files list asked a 1M-row run for its epoch count on the GUI thread,
    # which sorted every series each time (2.56 s); the worker counts, the window reads the kept figure
    from app.core.progress import NO_PROGRESS
    from app.gui.session import load_inputs

    result = load_inputs([str(FIXTURES / "runs" / "healthy_mlp" / "log.csv")], NO_PROGRESS)
    (run,) = result.runs
    assert run._counted, "counted in the worker"


def test_a_dropped_data_sample_joins_the_diagnosis(qtbot, window, tmp_path):
    # no_shuffle_sorted_mlp: its real model and log, and its training data as it trained
    # (sorted by label: RandomState(121), tools/make_fixtures.py)
    from tests.rules.test_data_evidence import sorted_training_data

    run = FIXTURES / "runs" / "no_shuffle_sorted_mlp"
    open_and_wait(qtbot, window, [run / "console_v1.txt", run / "model.keras"])
    before = [f.cause for f in window.findings.findings()]
    x, y = sorted_training_data()
    np.savez(tmp_path / "train_sample.npz", x=x, y=y)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "train_sample.npz"))])
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000) as blocker:
        _drop(window, mime)
    top = blocker.args[0][0].diagnosis.reported[0]
    assert top.cause == "no_shuffle_sorted_data"
    assert any(e.kind == "measured" and e.code == "sample_sorted_by_class" for e in top.evidence)
    assert window.findings.findings()[0].cause == "no_shuffle_sorted_data" != before[0]
    texts = [window.run_list.item(i).text() for i in range(window.run_list.count())]
    assert any("train_sample.npz" in t and "600 rows" in t and "labels from y" in t for t in texts), texts


def test_a_pickled_data_sample_is_refused_and_what_was_open_stays(qtbot, window, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, [SEED004])
    np.save(tmp_path / "objects.npy", np.array([object()], dtype=object), allow_pickle=True)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "objects.npy"), ""))
    with qtbot.waitSignal(window.session.error_occurred, timeout=30_000) as blocker:
        window.data_action.trigger()
    assert "objects.npy" in blocker.args[0] and "pickled" in blocker.args[0]
    assert window.session.data is None and window.session.runs  # the run is still open


@pytest.mark.slow
def test_the_probe_runs_in_a_worker_process_and_fills_the_probe_tab(qtbot, window, tmp_path):
    # dead_relu_conv1d: its real model and log, and its training data (RandomState(115))
    from tests.rules.test_probe_evidence import _data

    run = FIXTURES / "runs" / "dead_relu_conv1d"
    open_and_wait(qtbot, window, [run / "console_v1.txt", run / "model.keras"])
    x, y = _data("dead_relu_conv1d")
    np.savez(tmp_path / "sample.npz", x=x, y=y)
    with qtbot.waitSignal(window.session.probe_ready, timeout=120_000) as probed:
        window.open_paths([str(tmp_path / "sample.npz")])
    assert str(run / "model.keras") in probed.args[0]

    def measured_first():
        found = window.findings.findings()
        return bool(found) and any(e.kind == "measured" for e in found[0].evidence)

    qtbot.waitUntil(measured_first, timeout=30_000)  # the diagnosis again, with the probe's evidence
    top = window.findings.findings()[0]
    assert top.cause == "dead_relu"
    assert any(e.kind == "measured" and e.code == "dead_units_measured" for e in top.evidence)
    rows = window.probe_view.rows()
    assert [(name, dead) for name, dead, *_ in rows if dead is not None] == [("conv1d", 1.0), ("conv1d_1", 1.0)]
    assert window.probe_view.table.rowCount() == len(rows) and not window.probe_view.add_button.isVisible()
    assert "could not learn 32 rows" in window.probe_view.summary.text()
    assert "the most predicted class takes 100 % of the rows" in window.probe_view.summary.text()
    assert "sample.npz: 600 rows used" in window.probe_view.data_summary.text()
    # (that TensorFlow stays out of the calling process is checked in fresh processes, where other
    # tests' imports cannot mask it: test_window_start_does_not_import_tensorflow and
    # tests/rules/test_probe_evidence.py::test_the_cli_probes_with_data_and_tensorflow_stays_out...)


def test_a_validation_sample_joins_the_data_sample_and_its_shared_rows_are_shown(qtbot, window, tmp_path):
    rs = np.random.RandomState(125)
    x = rs.normal(size=(300, 20)).astype("float32")
    y = np.argmax(x @ rs.normal(size=(20, 3)), axis=1)
    np.savez(tmp_path / "train.npz", x=x[:200], y=y[:200])
    np.savez(tmp_path / "val.npz", x=x[:100], y=(y[:100] + 1) % 3)  # training rows, other labels
    with qtbot.waitSignal(window.session.error_occurred, timeout=5_000) as refused:
        assert not window.session.add_validation_sample([str(tmp_path / "val.npz")])
    assert "training data first" in refused.args[0]
    open_and_wait(qtbot, window, [FIXTURES / "runs" / "overfit_small_mlp" / "console_v1.txt"])
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000):
        window.session.add_data_sample([str(tmp_path / "train.npz")])
    assert "train.npz: 200 rows used" in window.probe_view.data_summary.text()
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=30_000) as diagnosed:
        assert window.session.add_validation_sample([str(tmp_path / "val.npz")])
    assert window.session.data.validation is not None and window.session.data.path.endswith("train.npz")
    assert "100 of them also training rows (100 labeled differently)" in window.probe_view.data_summary.text()
    causes = {f.cause for case in diagnosed.args[0] for f in case.diagnosis.findings}
    assert "label_error" in causes
    window.set_language("zh_CN")
    assert "验证样本：100 行" in window.probe_view.data_summary.text()
    markdown = window.report()
    assert markdown.data["validation"]["labels_differ"] == 100


@pytest.mark.slow
def test_the_probe_tab_lists_batchnorm_layers_with_their_moving_statistics(qtbot, window):
    from tests.rules.test_probe_evidence import _probed

    measured, _, _ = _probed("bn_moving_stats_conv2d")
    window.probe_view.set_results({"model.keras": measured})
    rows = window.probe_view.batchnorm_rows()
    assert [name for name, *_ in rows] == ["batch_normalization", "batch_normalization_1"]
    assert all(ratio < 0.25 for *_, ratio in rows)  # the sample's variance is far below the moving one
    table = window.probe_view.bn_table
    assert table.rowCount() == 2 and not table.isHidden() and table.item(0, 0).text() == "batch_normalization"
    window.probe_view.set_results({})
    assert window.probe_view.bn_table.isHidden()


@pytest.mark.slow
def test_try_this_fix_trains_both_setups_live_and_the_verdict_joins_the_ranking(qtbot, window, tmp_path):
    # lr_high_sgd_mlp: SGD(5.0) diverges; its training arrays from the fixture's recipe
    from tests.rules.test_probe_outputs import scenario_training_data

    run = FIXTURES / "runs" / "lr_high_sgd_mlp"
    open_and_wait(qtbot, window, [run / "console_v1.txt", run / "model.keras"])
    x, y = scenario_training_data("lr_high_sgd_mlp")
    np.savez(tmp_path / "sample.npz", x=x, y=y)
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=120_000):
        window.open_paths([str(tmp_path / "sample.npz")])
    window.session.trial_budget, window.session.trial_seeds = 12.0, 2
    window.findings.tree.setCurrentItem(window.findings.item_for("finding", lambda f: f.cause == "learning_rate_too_high"))
    button = window.findings.fix_bar.findChild(QPushButton, "try_set_learning_rate")
    assert button is not None and button.text() == "Try this fix"
    epochs: list = []
    window.session.trial_epoch.connect(epochs.append)
    with qtbot.waitSignal(window.session.trial_ready, timeout=180_000) as ready:
        button.click()
        qtbot.waitUntil(lambda: len(epochs) >= 2, timeout=120_000)
        assert window.isVisible()  # the window stays up while the worker trains
    (trial,) = ready.args[0]["trials"]
    assert trial["verdict"] == "helps"
    assert set(window.trial_overlay.arms()) == {"original", "set_learning_rate"}
    assert ("metrics", "set_learning_rate") in window.trial_overlay.bold
    assert "the fix helps" in window.trial_verdict.text() and window.trial_verdict.isVisible()

    def measured():
        found = next((f for f in window.findings.findings() if f.cause == "learning_rate_too_high"), None)
        return found is not None and any(e.code == "fix_helps_measured" for e in found.evidence)

    qtbot.waitUntil(measured, timeout=30_000)  # the verdict is evidence after the diagnosis that follows
    from app.report import render

    markdown = render(window.report(), "md")
    assert "### Fixes tried on the data sample" in markdown and "set_learning_rate (for learning_rate_too_high)" in markdown
    document = json.loads(render(window.report(), "json"))
    assert document["trials"][str(run / "model.keras")][0]["verdict"] == "helps"
    window.session.close_all()
    assert not window.trial_overlay.thin and not window.trial_overlay.bold and not window.session.trials
