"""Progress reporting and cancellation for long pure functions.

Long functions (reading a 1 GB log, diagnosing a million steps) take a ``progress``
argument. They call ``progress.report(fraction, message)`` now and then and check
``progress.cancelled()`` every few thousand lines, raising :class:`Cancelled` when asked
to stop. The GUI passes an object backed by its task runner; tests and the CLI pass
:data:`NO_PROGRESS` or a small recorder.
"""

from __future__ import annotations

from typing import Protocol


class Cancelled(Exception):
    """The user asked to stop; callers drop the work silently."""


class Progress(Protocol):
    def report(self, fraction: float, message: str = "") -> None: ...

    def cancelled(self) -> bool: ...


class NoProgress:
    """Reports nowhere and never cancels."""

    def report(self, fraction: float, message: str = "") -> None:
        return None

    def cancelled(self) -> bool:
        return False


NO_PROGRESS = NoProgress()


def check_cancelled(progress: Progress) -> None:
    """Raise :class:`Cancelled` if ``progress`` says so."""
    if progress.cancelled():
        raise Cancelled()
