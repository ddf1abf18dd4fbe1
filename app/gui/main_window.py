"""The main window: composition of the curves, findings, model and runs panels, menus.

Behaviour lives in :class:`~app.gui.session.Session` (loading, diagnosis) and in the
panels; the window wires them and turns user gestures (drop, paste, menus) into session
calls. Collaborators are passed in (settings, session), so tests build it with a temporary
settings file.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QLocale, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import plural_forms
from app.core.read_summary import model_facts, run_facts
from app.gui.i18n import LANGUAGES, install_language
from app.gui.plots.curve_panel import CurvePanel
from app.gui.plots.trial_overlay import TrialOverlay
from app.gui.session import WARM_UP_DELAY_MS, Session
from app.gui.settings import Settings
from app.gui.views.dialogs import AboutDialog, PasteDialog
from app.gui.views.findings_view import FindingsPanel
from app.gui.views.code_view import CodeView
from app.gui.views.model_view import ModelView
from app.gui.views.probe_view import ProbeView
from app.gui.views.read_facts import fact_lines, short_line
from app.resources import resource_path

DATA_FILTER = "Data samples (*.npz *.npy *.csv *.tsv);;All files (*)"
FILE_FILTER = ("Training logs, models and code (*.txt *.log *.csv *.tsv *.json *.keras *.h5 *.hdf5 *tfevents* "
               "*.py *.ipynb);;All files (*)")
# Export report…: the format follows the file's ending; the filter picks it when there is none.
REPORT_FILTERS = {"PDF (*.pdf)": "pdf", "HTML (*.html *.htm)": "html", "Markdown (*.md)": "md",
                  "JSON (*.json)": "json"}


class ErrorBanner(QFrame):
    """A dismissible message at the top of the window (never a blocking dialog)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error_banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#error_banner { background: #fdecea; border: 1px solid #f5c2c0; }"
                           "#error_banner QLabel { color: #611a15; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.messages: list[str] = []
        self.hide()

    def add(self, message: str) -> None:
        self.messages = (self.messages + [message])[-5:]
        self.label.setText("\n".join(self.messages))
        self.show()

    def clear(self) -> None:
        self.messages = []
        self.hide()


class MainWindow(QMainWindow):
    language_changed = Signal(str)  #: the UI language after a switch

    def __init__(self, settings: Settings, session: Session | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.session = session or Session(self)
        self._warmed_up = False
        self.lang = settings.language if settings.language in LANGUAGES else "en"
        self.setObjectName("main_window")
        self.setAcceptDrops(True)
        self.setWindowIcon(QIcon(str(resource_path("icons", "traindoc.svg"))))
        self.resize(1280, 820)

        self.curves = CurvePanel(self)
        self.trial_overlay = TrialOverlay(self.curves)  # a fix's trial, drawn live over the run's curves
        self.banner = ErrorBanner(self)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.curves, 1)
        self.setCentralWidget(central)

        self.patch_dialog = None  # the open fix preview, if any
        self.findings = FindingsPanel(self)
        self.findings.lang = self.lang
        self.model_view = ModelView(self)
        self.code_view = CodeView(self)
        self.code_view.paste_button.clicked.connect(lambda: self.paste_dialog(as_code=True))
        self.probe_view = ProbeView(self)
        self.probe_view.add_button.clicked.connect(self.data_dialog)
        self.run_list = QListWidget(self)
        self.run_list.setObjectName("open_items")
        self.findings_dock = self._dock("findings_dock", self.findings, Qt.DockWidgetArea.RightDockWidgetArea)
        self.model_dock = self._dock("model_dock", self.model_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.code_dock = self._dock("code_dock", self.code_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.probe_dock = self._dock("probe_dock", self.probe_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.runs_dock = self._dock("runs_dock", self.run_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.findings_dock, self.model_dock)
        self.tabifyDockWidget(self.model_dock, self.code_dock)
        self.tabifyDockWidget(self.code_dock, self.probe_dock)
        self.findings_dock.raise_()
        # First-start widths (a saved window state overrides them): findings need room to read.
        self.resizeDocks([self.findings_dock, self.runs_dock], [480, 200], Qt.Orientation.Horizontal)

        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton(self)
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.session.cancel)
        self.trial_verdict = QLabel(self)  # the last fix trial's verdict, until the next one
        self.trial_verdict.setObjectName("trial_verdict")
        self.trial_verdict.setVisible(False)
        self.statusBar().addPermanentWidget(self.trial_verdict)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)

        self._build_actions()
        self._build_menus()
        self._connect()
        self.retranslate()
        if settings.geometry is not None:
            self.restoreGeometry(settings.geometry)
        if settings.window_state is not None:
            self.restoreState(settings.window_state)
        self.curves.set_log_y(settings.log_y)

    # -- building --------------------------------------------------------------------------
    def _dock(self, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, name: str, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("open", self.open_dialog, QKeySequence.StandardKey.Open)
        self.paste_action = self._action("paste", self.paste_clipboard, QKeySequence.StandardKey.Paste)
        self.paste_box_action = self._action("paste_box", self.paste_dialog, "Ctrl+Shift+V")
        self.data_action = self._action("data", self.data_dialog)
        self.data_folder_action = self._action("data_folder", self.data_folder_dialog)
        self.validation_action = self._action("validation_data", self.validation_dialog)
        self.close_all_action = self._action("close_all", self.session.close_all, "Ctrl+Shift+W")
        self.export_action = self._action("export_report", self.export_report, "Ctrl+E")
        self.copy_markdown_action = self._action("copy_markdown", self.copy_markdown, "Ctrl+Shift+C")
        self.export_action.setEnabled(False)
        self.copy_markdown_action.setEnabled(False)
        self.quit_action = self._action("quit", self.close, QKeySequence.StandardKey.Quit)
        self.log_y_action = self._action("log_y", self._toggle_log_y, "Ctrl+L", checkable=True)
        self.log_y_action.setChecked(self.settings.log_y)
        self.reset_view_action = self._action("reset_view", self.curves.reset_view, "Ctrl+0")
        self.about_action = self._action("about", self.about, QKeySequence.StandardKey.HelpContents)
        self.language_group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, label in LANGUAGES.items():
            action = QAction(label, self)
            action.setObjectName(f"language_{code}")
            action.setCheckable(True)
            action.setChecked(code == self.lang)
            action.triggered.connect(lambda _=False, c=code: self.set_language(c))
            self.language_group.addAction(action)
            self.language_actions[code] = action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.file_menu.addAction(self.open_action)
        self.recent_menu = self.file_menu.addMenu("")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.file_menu.addAction(self.paste_box_action)
        self.file_menu.addAction(self.data_action)
        self.file_menu.addAction(self.data_folder_action)
        self.file_menu.addAction(self.validation_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.export_action)
        self.file_menu.addAction(self.copy_markdown_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.close_all_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self.edit_menu = bar.addMenu("")
        self.edit_menu.addAction(self.paste_action)
        self.view_menu = bar.addMenu("")
        self.view_menu.addAction(self.log_y_action)
        self.view_menu.addAction(self.reset_view_action)
        self.view_menu.addSeparator()
        for dock in (self.findings_dock, self.model_dock, self.code_dock, self.probe_dock, self.runs_dock):
            self.view_menu.addAction(dock.toggleViewAction())
        self.language_menu = bar.addMenu("")
        for action in self.language_actions.values():
            self.language_menu.addAction(action)
        self.help_menu = bar.addMenu("")
        self.help_menu.addAction(self.about_action)

    def _connect(self) -> None:
        s = self.session
        s.contents_changed.connect(self._on_contents)
        s.diagnosis_ready.connect(self._on_diagnosis)
        s.error_occurred.connect(self.show_error)
        s.busy.connect(self._on_busy)
        s.paths_opened.connect(self._remember)
        s.probe_ready.connect(self.probe_view.set_results)
        s.contents_changed.connect(lambda: self.probe_view.set_data(s.data_facts, self.lang))
        self.findings.evidence_selected.connect(self.show_evidence)
        self.findings.fix_requested.connect(self._on_fix)
        self.findings.trial_requested.connect(
            lambda fix, finding: self.session.try_fix(fix, finding, self._model_path_of(finding)))
        s.trial_started.connect(lambda _: self.trial_overlay.clear())
        s.contents_changed.connect(lambda: None if s.runs else self.trial_overlay.clear())  # Close all: the trial goes too
        s.trial_epoch.connect(self.trial_overlay.add_epoch)
        s.trial_ready.connect(self._on_trial)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("TrainDoc — training run diagnosis"))
        self._fill_open_list()
        self.open_action.setText(self.tr("&Open…"))
        self.paste_action.setText(self.tr("&Paste log"))
        self.paste_box_action.setText(self.tr("Paste log &text…"))
        self.data_action.setText(self.tr("Add &data sample…"))
        self.data_folder_action.setText(self.tr("Add &image folder…"))
        self.validation_action.setText(self.tr("Add &validation sample…"))
        self.close_all_action.setText(self.tr("&Close all"))
        self.export_action.setText(self.tr("&Export report…"))
        self.copy_markdown_action.setText(self.tr("Copy report as &Markdown"))
        self.quit_action.setText(self.tr("&Quit"))
        self.log_y_action.setText(self.tr("&Logarithmic loss axis"))
        self.reset_view_action.setText(self.tr("&Reset zoom"))
        self.about_action.setText(self.tr("&About TrainDoc"))
        self.file_menu.setTitle(self.tr("&File"))
        self.recent_menu.setTitle(self.tr("Open &Recent"))
        self.edit_menu.setTitle(self.tr("&Edit"))
        self.view_menu.setTitle(self.tr("&View"))
        self.language_menu.setTitle(self.tr("&Language"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.findings_dock.setWindowTitle(self.tr("Findings"))
        self.model_dock.setWindowTitle(self.tr("Model"))
        self.code_dock.setWindowTitle(self.tr("Code"))
        self.probe_dock.setWindowTitle(self.tr("Probe"))
        self.runs_dock.setWindowTitle(self.tr("Open files"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.statusBar().showMessage(self.tr("Drop training logs, model files or folders here, or paste a log (Ctrl+V)."))
        self.curves.retranslate()
        self.findings.set_language(self.lang)
        self.model_view.retranslate()
        self.code_view.retranslate()
        self.probe_view.lang = self.lang
        self.probe_view.retranslate()

    # -- user intent -----------------------------------------------------------------------
    def open_paths(self, paths: list[str]) -> None:
        self.session.open_paths(paths)

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Open training logs or models"),
                                                self.settings.last_dir, FILE_FILTER)
        if paths:
            self.settings.last_dir = os.path.dirname(paths[0])
            self.open_paths(paths)

    def data_dialog(self) -> None:
        """File ▸ Add data sample…: an .npz, .npy or CSV/TSV file (a folder of images: Add image
        folder…). Read in a worker; it joins the diagnosis of what is open."""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Add a sample of the training data"),
                                              self.settings.last_dir, DATA_FILTER)
        if path:
            self.settings.last_dir = os.path.dirname(path)
            self.session.add_data_sample([path])

    def validation_dialog(self) -> None:
        """File ▸ Add validation sample…: the validation_data that goes with the data sample."""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Add a sample of the validation data"),
                                              self.settings.last_dir, DATA_FILTER)
        if path:
            self.settings.last_dir = os.path.dirname(path)
            self.session.add_validation_sample([path])

    def data_folder_dialog(self) -> None:
        """File ▸ Add image folder…: a folder with one subfolder of images per class."""
        path = QFileDialog.getExistingDirectory(self, self.tr("Add a folder of images, one subfolder per class"),
                                                self.settings.last_dir)
        if path:
            self.settings.last_dir = path
            self.session.add_data_sample([path])

    def paste_clipboard(self) -> None:
        self.open_mime(QGuiApplication.clipboard().mimeData())

    def paste_dialog(self, as_code: bool = False) -> None:
        """The paste box: a log (File ▸ Paste log text…), or training code (the Code tab)."""
        dialog = PasteDialog(self, code=as_code)
        dialog.setModal(True)
        dialog.accepted.connect(lambda: self.session.open_text(dialog.text(), as_code=as_code))
        dialog.open()
        self._paste_dialog = dialog  # keep a reference while open (tests use it too)

    def open_mime(self, mime: QMimeData | None) -> bool:
        """Open what a drop or the clipboard carries: local files/folders, or log text."""
        if mime is None:
            return False
        if mime.hasUrls():
            paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
            if paths:
                self.open_paths(paths)
                return True
        if mime.hasText() and mime.text().strip():
            self.session.open_text(mime.text())
            return True
        return False

    def set_language(self, lang: str) -> None:
        self.lang = install_language(lang)
        self.settings.language = self.lang
        self.language_actions[self.lang].setChecked(True)
        self.retranslate()
        self.language_changed.emit(self.lang)

    def about(self) -> None:
        dialog = AboutDialog(self)
        dialog.open()
        self._about = dialog

    def show_error(self, message: str) -> None:
        self.banner.add(message)
        self.statusBar().showMessage(message, 10_000)

    def show_evidence(self, where: dict) -> None:
        """Highlight what a selected symptom or piece of evidence points at: its epochs on the
        plot, its layer in the model view, its line in the Code tab."""
        line = where.get("source_line")
        if line and where.get("source_path") == self.code_view.path:
            if where.get("layer"):
                self.model_view.select_layer(str(where["layer"]))
            self.code_dock.raise_()
            self.code_view.show_line(int(line))
        elif where.get("layer"):
            self.model_dock.raise_()
            self.model_view.select_layer(str(where["layer"]))
        elif where.get("start") is not None:
            self.curves.highlight(where.get("metric"), where["start"], where.get("end") or where["start"],
                                  str(where.get("symptom") or ""))

    def _on_fix(self, fix, finding) -> None:
        """A fix button: the preview of what it changes, with Save patched model… and the code."""
        from app.gui.views.patch_dialog import PatchPreviewDialog

        if self.patch_dialog is not None:
            self.patch_dialog.close()
        self.patch_dialog = PatchPreviewDialog(finding, fix, self._model_path_of(finding), self.lang,
                                               self.settings.last_dir, self, code=self._code_of(finding),
                                               inputs=self._opened_paths())
        self.patch_dialog.saved.connect(lambda path: self.statusBar().showMessage(
            self.tr("Saved {0}").format(path), 8000))
        self.patch_dialog.show()

    def _on_trial(self, result: dict) -> None:
        """The verdict of a fix's trial, in words, in the status bar (and as evidence after the
        diagnosis that follows)."""
        from app.rules.verified import shown

        words = {"helps": self.tr("the fix helps"), "no_difference": self.tr("no clear difference"),
                 "worse": self.tr("the fix makes it worse")}
        for trial in result.get("trials") or []:
            self.trial_verdict.setText(self.tr("Trial of {0}: {1} {2} against {3} for the original over {4} "
                                               "seed(s): {5}").format(
                trial["fix"], trial["metric"], shown(trial["patched"]["mean"]), shown(trial["original"]["mean"]),
                trial["seeds"], words.get(trial["verdict"], trial["verdict"])))
            self.trial_verdict.setVisible(True)

    def _model_path_of(self, finding) -> str | None:
        """The model file of the case ``finding`` belongs to (None when only a log is open)."""
        for case in self.session.cases:
            if finding in case.diagnosis.findings:
                model = case.case.model
                return model.source_path if model is not None and model.format in ("keras", "h5") else None
        return None

    def _opened_paths(self) -> list[str]:
        """Every file of what is open (logs, models, code): outputs never go over them."""
        paths = [p for run in self.session.runs for p in run.paths]
        paths += [m.source_path for m in self.session.models if m.source_path]
        return [p for p in dict.fromkeys(paths) if p and not p.startswith("<")]

    def _code_of(self, finding):
        """The training code open in the Code tab (its changes come as a diff of it)."""
        return self.session.code.get(self.code_view.path) if self.code_view.path else None

    # -- reports ---------------------------------------------------------------------------
    def report(self):
        """The report of what is open, in the UI language."""
        from app.report import build_report, inputs_from

        return build_report(self.session.cases, inputs_from(self.session.runs, self.session.models, self.session.data),
                            self.lang, probes=self.session.probes, data=self.session.data_facts,
                            trials=self.session.trials)

    def export_report(self) -> None:
        """File ▸ Export report…: ask for a file; its ending (or the filter) picks the format."""
        if not self.session.cases:
            return
        start = os.path.join(self.settings.last_dir or os.path.expanduser("~"), "traindoc-report.pdf")
        path, chosen = QFileDialog.getSaveFileName(self, self.tr("Export report"), start,
                                                   ";;".join(REPORT_FILTERS))
        if path:
            self.export_report_to(path, REPORT_FILTERS.get(chosen, "pdf"), confirmed=True)

    def export_report_to(self, path: str, fallback_format: str = "pdf", confirmed: bool = False) -> str | None:
        """Write the report to ``path`` (never an input or a file in an input folder); an
        existing file is replaced only when ``confirmed`` (the save dialog asked); returns
        the path written."""
        from app.core.files import OutputError
        from app.report import format_for_path, write_report

        fmt = format_for_path(path)
        if fmt is None:
            fmt = fallback_format
            path = f"{path}.{fmt}"
            confirmed = False  # the dialog asked about another name
        inputs = [p for run in self.session.runs for p in run.paths]
        inputs += [m.source_path for m in self.session.models if m.source_path]
        paper = "Letter" if QLocale.system().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem else "A4"
        try:
            written = write_report(self.report(), fmt, path, inputs=inputs, page_size=paper, overwrite=confirmed)
        except (OutputError, OSError, ValueError) as error:
            self.show_error(str(error))
            return None
        self.statusBar().showMessage(self.tr("Report saved to {0}").format(written), 8000)
        return written

    def copy_markdown(self) -> None:
        """Copy the report as Markdown (for a GitHub issue or a forum question)."""
        if not self.session.cases:
            return
        from app.report import render

        QGuiApplication.clipboard().setText(render(self.report(), "md"))
        self.statusBar().showMessage(self.tr("Report copied as Markdown"), 5000)

    def _toggle_log_y(self, on: bool) -> None:
        self.settings.log_y = on
        self.curves.set_log_y(on)

    # -- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasText():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.open_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    # -- session results -------------------------------------------------------------------
    def _fill_open_list(self) -> None:
        """One line per open run and model, in the UI language (its files in the tooltip)."""
        self.run_list.clear()
        for run in self.session.runs:
            if run.epoch_count or run.step_count:
                text = (self.tr("{0}  ({1}, {2} epoch(s))") if run.epoch_count else self.tr("{0}  ({1}, {2} step(s))"))
                title = plural_forms(text.format(run.name, run.format, run.epoch_count or run.step_count))
            else:
                title = self.tr("{0}  ({1})").format(run.name, run.format)
            self._add_open_item(title, run_facts(run), run.paths)
        for model in self.session.models:
            self._add_open_item(self.tr("{0}  ({1} model)").format(model.name, model.format),
                                model_facts(model), [model.source_path])
        sample = self.session.data
        if sample is not None:
            title = plural_forms(self.tr("{0}  (data sample, {1} row(s))").format(
                os.path.basename(sample.path), sample.rows))
            item = QListWidgetItem(title + "\n    " + self._sample_line(sample))
            item.setData(Qt.ItemDataRole.UserRole, title)
            item.setToolTip("\n".join([sample.path, "", *sample.notes]))
            self.run_list.addItem(item)

    def _sample_line(self, sample) -> str:
        """What the data sample holds, in short: inputs, labels, classes."""
        parts = []
        if sample.x is not None:
            parts.append(self.tr("inputs {0}").format("×".join(str(n) for n in sample.x.shape)))
        elif sample.files:
            parts.append(self.tr("{0} image file(s)").format(len(sample.files)))
        if sample.y is not None:
            parts.append(self.tr("labels from {0}").format(sample.label_name or "?"))
        else:
            parts.append(self.tr("no labels"))
        if sample.classes:
            parts.append(self.tr("classes: {0}").format(", ".join(sample.classes[:6])))
        return plural_forms("; ".join(parts))

    def _add_open_item(self, title: str, facts: list, paths: list[str]) -> None:
        """An Open files item: its title, what was read in short under it, all of it (and
        the files) in the tooltip."""
        item = QListWidgetItem(title + "\n    " + short_line(facts))
        item.setData(Qt.ItemDataRole.UserRole, title)
        item.setToolTip("\n".join([*paths, "", *fact_lines(facts)]))
        self.run_list.addItem(item)

    def _on_contents(self) -> None:
        self._fill_open_list()
        self.curves.set_runs(self.session.runs)
        models = self.session.models or [r.model for r in self.session.runs if r.model is not None]
        self.model_view.set_model(models[0] if models else None)
        code = list(self.session.code.values())[-1] if self.session.code else None  # the latest script
        self.code_view.set_code("\n".join(code.lines) if code is not None else None,
                                code.path if code is not None else None)

    def _on_diagnosis(self, cases: list) -> None:
        symptoms = [s for case in cases for s in case.diagnosis.symptoms]
        self.curves.set_symptoms(symptoms)
        self.findings.set_cases(cases)
        self.export_action.setEnabled(bool(cases))
        self.copy_markdown_action.setEnabled(bool(cases))
        flagged = {str(e.where["layer"]) for case in cases for f in case.diagnosis.reported
                   for e in f.evidence if e.weight > 0 and e.where.get("layer")}
        self.model_view.set_model(self.model_view.model, flagged)
        self.code_view.set_flagged({
            int(e.source.line): e.describe(self.lang) for case in cases for f in case.diagnosis.reported
            for e in f.evidence if e.weight > 0 and e.source is not None and e.source.line
            and e.source.path == self.code_view.path})
        top = next((c.diagnosis.top() for c in cases if c.diagnosis.top() is not None), None)
        if top is not None:
            self.statusBar().showMessage(self.tr("Most likely cause: {0} ({1:.0%})").format(
                top.title.render(self.lang), top.confidence))

    def _on_busy(self, message: str, fraction: float) -> None:
        idle = fraction < 0
        self.progress.setVisible(not idle)
        self.cancel_button.setVisible(not idle)
        if not idle:
            self.progress.setValue(int(1000 * max(0.0, min(1.0, fraction))))
            if message:
                self.statusBar().showMessage(message)

    def _remember(self, paths: list[str]) -> None:
        for path in paths:
            self.settings.add_recent(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_paths([p]))
        if not recent:
            action = self.recent_menu.addAction(self.tr("(none)"))
            action.setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(self.tr("Clear list"), self.settings.clear_recent)

    # -- lifecycle ---------------------------------------------------------------------------
    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange and hasattr(self, "file_menu"):
            QTimer.singleShot(0, self.retranslate)
        super().changeEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._warmed_up:
            self._warmed_up = True
            QTimer.singleShot(WARM_UP_DELAY_MS, self.session.warm_up)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.sync()
        self.session.shutdown()
        super().closeEvent(event)
        if event.isAccepted():
            self.curves.release()
