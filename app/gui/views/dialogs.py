"""Small dialogs: paste a log, About."""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import __version__


class PasteDialog(QDialog):
    """A box to paste log text copied from a forum, a notebook or a terminal (or, with
    ``code``, training code)."""

    def __init__(self, parent: QWidget | None = None, text: str = "", code: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Paste training code") if code else self.tr("Paste a training log"))
        self.resize(720, 480)
        hint = QLabel(self.tr("Paste your Keras training code: the model, compile() and fit(). It is read, "
                              "never run. Text around it is fine.") if code else
                      self.tr("Paste Keras console output, a CSVLogger file, History JSON, a model.summary() "
                              "table, or a whole forum post with its code. Text around the log is fine."), self)
        hint.setWordWrap(True)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("paste_text")
        self.editor.setPlainText(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Diagnose"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.editor)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.editor.toPlainText()


def versions() -> dict[str, str]:
    """Versions of TrainDoc and the libraries it runs on (no TensorFlow import)."""
    import numpy
    import pyqtgraph

    return {
        "TrainDoc": __version__,
        "Python": platform.python_version(),
        "PySide6": pyside_version,
        "Qt": qVersion(),
        "pyqtgraph": pyqtgraph.__version__,
        "numpy": numpy.__version__,
        "TensorFlow (worker process)": _installed("tensorflow", "tensorflow-cpu"),
        "Platform": f"{platform.system()} {platform.release()} ({sys.platform})",
    }


def _installed(*names: str) -> str:
    """An installed distribution's version, read from its metadata (nothing is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return "not installed"


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About TrainDoc"))
        rows = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in versions().items())
        label = QLabel(
            "<h2>TrainDoc</h2><p>" + self.tr("Diagnoses deep-learning training runs that went wrong: "
                                             "curves, likely causes, evidence and fixes.") +
            f"</p><table>{rows}</table>", self)
        label.setObjectName("about_text")
        label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
