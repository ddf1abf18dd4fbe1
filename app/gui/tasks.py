"""Running long work off the GUI thread, with progress and cancel.

``TaskRunner.submit(key, fn, *args)`` runs ``fn(*args, progress=...)`` on a
``QThreadPool`` thread. Results come back as queued signals on the GUI thread:
``progressed(key, fraction, message)``, ``finished(key, result)``, ``failed(key, error)``.
A new submit with the same key cancels the previous task, and a late result of a
cancelled or superseded task is dropped (compared by token), so the window never shows
the output of an old request.
"""

from __future__ import annotations

import itertools
import logging
import sys
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.core.progress import Cancelled

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # seconds between progress signals of one task
# Workers and the GUI thread share the GIL. Painting makes many short trips between Qt and
# Python, and with Python's default 5 ms switch interval each one can wait behind a parsing
# worker: a 40 MB log froze the window for 0.3-0.7 s. At 1 ms the longest pause measured was
# 0.07 s; the worker was 2-16 % slower in three paired runs (noisy: 3.2 vs 3.7 s, 3.8 vs 4.3 s, 4.3 vs 4.4 s).
SWITCH_INTERVAL_S = 0.001


class TaskProgress:
    """The ``progress`` object a task's function receives (thread-safe enough: flags only)."""

    def __init__(self, emit: Callable[[float, str], None]) -> None:
        self._emit = emit
        self._cancelled = False
        self._last = 0.0

    def cancel(self) -> None:
        self._cancelled = True

    def cancelled(self) -> bool:
        return self._cancelled

    def report(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL or fraction >= 1.0:
            self._last = now
            self._emit(float(fraction), message)


class _Signals(QObject):
    progressed = Signal(int, float, str)
    finished = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, token: int, fn: Callable[..., Any], args: tuple, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.token = token
        self.fn = fn
        self.args = args
        self.signals = signals
        self.progress = TaskProgress(lambda f, m: signals.progressed.emit(token, f, m))

    def run(self) -> None:  # runs on a pool thread
        try:
            result = self.fn(*self.args, progress=self.progress)
        except Cancelled:
            return
        except BaseException as error:  # noqa: BLE001 - every failure becomes a message
            self.signals.failed.emit(self.token, error)
            return
        self.signals.finished.emit(self.token, result)


class TaskRunner(QObject):
    """Owns a thread pool; one running task per key."""

    progressed = Signal(str, float, str)  #: key, fraction, message
    finished = Signal(str, object)  #: key, result
    failed = Signal(str, object)  #: key, exception
    busy_changed = Signal(bool)  #: whether any task runs

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._signals = _Signals(self)
        self._signals.progressed.connect(self._on_progress)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._tokens = itertools.count(1)
        self._current: dict[str, _Job] = {}  # key -> newest job
        self._by_token: dict[int, str] = {}

    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> int:
        """Run ``fn(*args, progress=...)``; cancels the task running under ``key``."""
        self.cancel(key)
        token = next(self._tokens)
        job = _Job(token, fn, args, self._signals)
        self._current[key] = job
        self._by_token[token] = key
        self.pool.start(job)
        self.busy_changed.emit(True)
        return token

    def cancel(self, key: str) -> None:
        job = self._current.pop(key, None)
        if job is not None:
            job.progress.cancel()
            self._by_token.pop(job.token, None)
            if not self._current:
                self.busy_changed.emit(False)

    def cancel_all(self) -> None:
        for key in list(self._current):
            self.cancel(key)

    def is_busy(self, key: str | None = None) -> bool:
        return bool(self._current) if key is None else key in self._current

    def shutdown(self, wait_ms: int = 10_000) -> bool:
        """Cancel everything and wait for the threads; True when all stopped."""
        self.cancel_all()
        return self.pool.waitForDone(wait_ms)

    # -- results, on the GUI thread ----------------------------------------------------
    def _key_of(self, token: int) -> str | None:
        key = self._by_token.get(token)
        if key is None or self._current.get(key) is None or self._current[key].token != token:
            return None  # cancelled or superseded: drop
        return key

    def _on_progress(self, token: int, fraction: float, message: str) -> None:
        key = self._key_of(token)
        if key is not None:
            self.progressed.emit(key, fraction, message)

    def _finish(self, token: int) -> str | None:
        key = self._key_of(token)
        if key is not None:
            del self._current[key]
            self._by_token.pop(token, None)
            if not self._current:
                self.busy_changed.emit(False)
        return key

    def _on_finished(self, token: int, result: object) -> None:
        key = self._finish(token)
        if key is not None:
            self.finished.emit(key, result)

    def _on_failed(self, token: int, error: object) -> None:
        key = self._finish(token)
        if key is not None:
            log.debug("task %s failed: %r", key, error)
            self.failed.emit(key, error)
