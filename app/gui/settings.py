"""The only place that touches QSettings: typed properties for what the app remembers.

Tests pass a temporary ini file (``Settings(path)``), never the user's real settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


class Settings:
    def __init__(self, path: str | os.PathLike | None = None) -> None:
        if path is None:
            self._q = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "TrainDoc", "traindoc")
        else:
            self._q = QSettings(str(path), QSettings.Format.IniFormat)

    def sync(self) -> None:
        self._q.sync()

    # -- window -------------------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray | None:
        value = self._q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._q.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        value = self._q.value("window/state")
        return value if isinstance(value, QByteArray) else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._q.setValue("window/state", value)

    # -- language -----------------------------------------------------------------------
    @property
    def language(self) -> str:
        return str(self._q.value("ui/language", "en"))

    @language.setter
    def language(self, value: str) -> None:
        self._q.setValue("ui/language", value)

    # -- plots --------------------------------------------------------------------------
    @property
    def log_y(self) -> bool:
        return self._q.value("plot/log_y", False, type=bool)  # type: ignore[return-value]

    @log_y.setter
    def log_y(self, value: bool) -> None:
        self._q.setValue("plot/log_y", bool(value))

    # -- files --------------------------------------------------------------------------
    @property
    def last_dir(self) -> str:
        return str(self._q.value("files/last_dir", str(Path.home())))

    @last_dir.setter
    def last_dir(self, value: str) -> None:
        self._q.setValue("files/last_dir", value)

    @property
    def recent_files(self) -> list[str]:
        value = self._q.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if os.path.exists(str(v))][:MAX_RECENT]

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        items = [p for p in self.recent_files if p != path]
        self._q.setValue("files/recent", [path, *items][:MAX_RECENT])

    def clear_recent(self) -> None:
        self._q.setValue("files/recent", [])
