"""The preview of a fix: what changes in the model config and in the code, then Save patched
model…, Save training config…, Save patched script…, Copy code fix.

With the training script open (the Code tab), the code change is a unified diff of that
script (:mod:`app.patches.script`) and the script's own model stands in when no model file
is open.

The edit itself is pure (:mod:`app.patches`); saving the patched model runs the TensorFlow
worker process (:mod:`app.probe`) from a pool thread, with progress and Cancel, so the window
never waits and a crash of the worker only shows as a message here.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import plural_forms
from app.gui.tasks import TaskRunner


def _rebuild(source: str, config: dict, out: str, overwrite: bool, progress):
    from app.probe import run_rebuild

    return run_rebuild(source, config, out, progress, overwrite=overwrite)


class PatchPreviewDialog(QDialog):
    """Preview and apply one fix of one finding."""

    saved = Signal(str)  #: path of a file written (model or training settings)
    failed = Signal(str)  #: message

    def __init__(self, finding, fix, model_path: str | None, lang: str = "en",
                 start_dir: str = "", parent: QWidget | None = None, code=None,
                 inputs: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.setObjectName("patch_preview")
        self.finding, self.fix, self.model_path, self.lang = finding, fix, model_path, lang
        self.code_spec = code  # the training script read (app.io.code.CodeSpec), or None
        self.inputs = [p for p in (model_path, code.path if code is not None else None, *inputs) if p]  # never written over
        self.script = None  # the script with the fix made in it (app.patches.script.ScriptPatch)
        folder = model_path or (code.path if code is not None and os.path.isfile(code.path) else None)
        self.start_dir = start_dir or (os.path.dirname(folder) if folder else os.path.expanduser("~"))
        self.plan = None
        self.problem = ""
        self.tasks = TaskRunner(self, max_threads=1)
        self.tasks.progressed.connect(self._on_progress)
        self.tasks.finished.connect(self._on_finished)
        self.tasks.failed.connect(self._on_failed)
        self.setWindowTitle(self.tr("Fix: {0}").format(fix.title.render(lang, fix.params)))
        self.resize(860, 620)

        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.changes = QPlainTextEdit(self)
        self.changes.setObjectName("patch_changes")
        self.diff = QPlainTextEdit(self)
        self.diff.setObjectName("patch_diff")
        self.code = QPlainTextEdit(self)
        self.code.setObjectName("patch_code")
        for editor in (self.changes, self.diff, self.code):
            editor.setReadOnly(True)
            editor.setFont(mono)
            editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.changes, self.tr("What changes"))
        self.tabs.addTab(self.diff, self.tr("Model config diff"))
        self.tabs.addTab(self.code, self.tr("Code change"))
        self.status = QLabel(self)
        self.status.setObjectName("patch_status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        self.save_model_button = QPushButton(self.tr("Save patched model…"), self)
        self.save_model_button.clicked.connect(self.save_model)
        self.save_training_button = QPushButton(self.tr("Save training config…"), self)
        self.save_training_button.clicked.connect(self.save_training)
        self.save_script_button = QPushButton(self.tr("Save patched script…"), self)
        self.save_script_button.clicked.connect(self.save_script)
        self.copy_button = QPushButton(self.tr("Copy code fix"), self)
        self.copy_button.clicked.connect(self.copy_code)
        close = QPushButton(self.tr("Close"), self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        for button in (self.save_model_button, self.save_training_button, self.save_script_button, self.copy_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.progress)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._prepare()

    # -- the plan ------------------------------------------------------------------------
    def _prepare(self) -> None:
        from app.core.errors import InputError
        from app.patches import Patch, config_diff, load_document, plan
        from app.patches.choose import automatic
        from app.patches.script import code_text_for, document_from_code, patch_script, training_from_code

        lang = self.lang
        cause = self.finding.title.render(lang)
        self.heading.setText(f"{cause}  [{self.finding.cause}]\n{self.fix.title.render(lang, self.fix.params)}")
        patch = Patch(self.fix.id, {k: v for k, v in self.fix.params.items() if k not in ("old", "params")},
                      self.finding.cause)
        hand_code = self.fix.code or ""
        code = self.code_spec
        if (self.model_path is None and (code is None or code.config is None)) or not automatic(patch):
            self.problem = (self.tr("This fix is a change to make by hand.") if not automatic(patch) else
                            self.tr("Open the model file (.keras/.h5) to save a patched copy; "
                                    "the code change is below."))
            self.changes.setPlainText(self.problem)
            self.code.setPlainText(hand_code)
            self.tabs.setCurrentWidget(self.code)
            self._update_buttons()
            return
        try:
            document = load_document(self.model_path) if self.model_path else document_from_code(code)
        except InputError as error:
            self.problem = error.message()
            self.changes.setPlainText(self.problem)
            self.code.setPlainText(hand_code)
            self._update_buttons()
            return
        self.plan = plan(document, [patch], training_from_code(code) if code is not None else None)
        summary = self.plan.summary(lang)
        for note in self.plan.notes:
            summary += f"\n{note}"
        if self.plan.unsafe:
            self.problem = self.tr("The patched model cannot be written: its config holds objects TrainDoc "
                                   "does not rebuild (the diagnosis still stands). Make the change in your "
                                   "code instead.")
        elif self.plan.refused and not self.plan.applied:
            self.problem = self.plan.refused[0].describe(lang)
        self.changes.setPlainText(summary)
        self.diff.setPlainText(config_diff(document, self.plan.document) or self.tr("(no change to the model config)"))
        if code is not None:
            self.script = patch_script(code, self.plan, document.model)
            self.tabs.setTabText(self.tabs.indexOf(self.code), self.tr("Code change ({0})").format(
                os.path.basename(code.path)))
            if self.script.changed:
                self.tabs.setCurrentWidget(self.code)
        self.code.setPlainText(code_text_for(self.plan, self.script, lang) or hand_code)
        if self.model_path is None and not self.problem:
            self.problem = self.tr("No model file is open: the fix is made in {0}. Open the model file "
                                   "(.keras/.h5) to save a patched copy of it too.").format(
                os.path.basename(code.path))
        self.status.setText(self.problem)
        self._update_buttons()

    def _update_buttons(self, busy: bool = False) -> None:
        applied = self.plan is not None and bool(self.plan.applied)
        # An unsafe config (a Lambda layer ...) refuses only the patched model file.
        self.save_model_button.setEnabled(not busy and applied and not self.plan.unsafe and self.plan.model_changed
                                          and self.model_path is not None)
        self.save_training_button.setEnabled(not busy and applied and bool(self.plan.changes_for("training")))
        self.save_script_button.setVisible(self.code_spec is not None)
        self.save_script_button.setEnabled(not busy and self.script is not None and self.script.changed)
        self.copy_button.setEnabled(bool(self.code.toPlainText().strip()))
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    # -- actions -------------------------------------------------------------------------
    def default_model_path(self) -> str:
        base = os.path.splitext(os.path.basename(self.model_path or "model"))[0]
        return os.path.join(self.start_dir, f"{base}_fixed.keras")

    def save_model(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save patched model"), self.default_model_path(),
                                              self.tr("Keras model (*.keras)"))
        if path:
            self.save_model_to(path if path.endswith(".keras") else path + ".keras", confirmed=path.endswith(".keras"))

    def save_model_to(self, path: str, confirmed: bool = False) -> None:
        """Rebuild the patched model with its weights into ``path`` (never an input or a file in
        an input folder; an existing file only when ``confirmed``), off the GUI thread."""
        from app.core.files import OutputError, check_output
        from app.probe import check_out_path

        try:
            check_out_path(self.model_path, path, overwrite=confirmed)
            check_output(path, [*self.inputs, self.model_path], overwrite=confirmed)
        except OutputError as error:
            self._show_failure(str(error))
            return
        self.status.setText(self.tr("Rebuilding the model in a worker process…"))
        self._update_buttons(busy=True)
        self.tasks.submit("rebuild", _rebuild, self.model_path, self.plan.document.config, path, confirmed)

    def save_training(self) -> None:
        base = os.path.splitext(os.path.basename(self.model_path or "model"))[0]
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save training config"),
                                              os.path.join(self.start_dir, f"{base}_training.json"),
                                              self.tr("JSON (*.json);;YAML (*.yaml *.yml)"))
        if path:
            self.save_training_to(path, confirmed=True)

    def save_training_to(self, path: str, confirmed: bool = False) -> None:
        """Write the training settings to ``path``; an existing file only when ``confirmed``
        (the save dialog asked)."""
        from app.core.files import OutputError
        from app.patches import write_training_settings

        try:
            written = write_training_settings(self.plan, path, inputs=self.inputs, overwrite=confirmed)
        except (OutputError, OSError) as error:
            self._show_failure(str(error))
            return
        self.status.setText(self.tr("Training settings saved to {0}").format(written))
        self.saved.emit(written)

    def default_script_path(self) -> str:
        base, ending = os.path.splitext(os.path.basename(self.code_spec.path if self.code_spec else "train.py"))
        if not base or base.startswith("<"):
            base, ending = "train", ".py"
        return os.path.join(self.start_dir, f"{base}_fixed{ending or '.py'}")

    def save_script(self) -> None:
        kinds = self.tr("Python (*.py);;Unified diff (*.diff *.patch)")
        if self.script is not None and self.script.notebook is not None:
            kinds = self.tr("Notebook (*.ipynb)") + ";;" + kinds
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save patched script"), self.default_script_path(), kinds)
        if path:
            self.save_script_to(path, confirmed=True)

    def save_script_to(self, path: str, confirmed: bool = False) -> None:
        """Write the script with the fix made in it (or its diff, for .diff/.patch) to a new
        file; an existing one only when ``confirmed`` (the save dialog asked)."""
        from app.core.files import OutputError
        from app.patches.script import write_script

        try:
            written = write_script(self.script, path, inputs=self.inputs, overwrite=confirmed)
        except (OutputError, OSError) as error:
            self._show_failure(str(error))
            return
        self.status.setText(self.tr("Patched script saved to {0}").format(written))
        self.saved.emit(written)

    def copy_code(self) -> None:
        QGuiApplication.clipboard().setText(self.code.toPlainText())
        self.status.setText(self.tr("Code change copied to the clipboard."))

    def cancel(self) -> None:
        self.tasks.cancel_all()
        self._update_buttons()
        self.status.setText(self.tr("Cancelled."))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.tasks.shutdown()
        super().closeEvent(event)

    # -- worker results ------------------------------------------------------------------
    def _on_progress(self, key: str, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        if message:
            self.status.setText(message)

    def _on_finished(self, key: str, result) -> None:
        self._update_buttons()
        text = plural_forms(self.tr("Patched model saved to {0}: weights carried over for {1} layer(s).").format(
            result.out_path, len(result.layers_carried)))
        if result.layers_reinitialized:
            text += " " + self.tr("Re-initialized (shapes changed): {0}.").format(
                ", ".join(name for name, _ in result.layers_reinitialized))
        for note in result.notes:
            text += " " + note
        self.status.setText(text)
        self.saved.emit(result.out_path)

    def _on_failed(self, key: str, error) -> None:
        self._update_buttons()
        self._show_failure(str(error))

    def _show_failure(self, message: str) -> None:
        self.status.setText(message)
        self.failed.emit(message)
