"""Progress of long command-line steps (the TensorFlow worker), on stderr."""

from __future__ import annotations

import sys


class StderrProgress:
    """A :class:`app.core.progress.Progress` that prints each step as ``  NN%  message``."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    def report(self, fraction: float, message: str = "") -> None:
        if message:
            print(f"  {self.prefix}{int(100 * fraction):3d}%  {message}", file=sys.stderr)

    def cancelled(self) -> bool:
        return False
