"""Start the desktop app: exception hook, QApplication, language, the window, then files.

Imports stay light until the window is shown: PySide6, pyqtgraph and the window shell.
Readers and rules are imported by the worker threads on first use; TensorFlow never.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Sequence

log = logging.getLogger(__name__)


def _excepthook(kind, value, tb) -> None:
    """Log, then show a copyable message; the window stays up."""
    text = "".join(traceback.format_exception(kind, value, tb))
    log.error("unhandled exception\n%s", text)
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance()
        if app is not None:
            box = QMessageBox(QMessageBox.Icon.Critical, "TrainDoc", "An unexpected error occurred.")
            box.setDetailedText(text)
            box.setModal(False)
            box.show()
            app._traindoc_error_box = box  # keep it alive
    except Exception:  # pragma: no cover - the hook itself must never raise
        pass


def build_window(paths: Sequence[str] = (), settings_path: str | None = None):
    """Create the QApplication if needed and the main window (shown), opening ``paths``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from app.resources import resource_path

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("TrainDoc")
    app.setOrganizationName("TrainDoc")
    app.setWindowIcon(QIcon(str(resource_path("icons", "traindoc.svg"))))

    from app.gui.i18n import install_language
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings

    settings = Settings(settings_path)
    install_language(settings.language)
    window = MainWindow(settings)
    window.show()
    if paths:
        QTimer.singleShot(0, lambda: window.open_paths(list(paths)))
    return app, window


def main(paths: Sequence[str] | None = None, demo: bool = False) -> int:
    """The ``traindoc-gui`` entry point (``paths`` default to the command-line arguments)."""
    if paths is None:
        paths = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
        demo = demo or "--demo" in sys.argv[1:]
    sys.excepthook = _excepthook
    if demo:
        from app.resources import resource_path

        paths = [str(resource_path("samples", "demo"))]
    app, window = build_window(paths)
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
