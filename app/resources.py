"""Find files under ``resources/`` in a source checkout, an installed wheel or a frozen app.

``resources/`` sits at the repository top (beside ``app/``). A wheel installs it as the
package directory ``app/resources`` (see ``pyproject.toml``), and a PyInstaller bundle
unpacks it under ``sys._MEIPASS``. This one resolver handles all three; it is pure and
imports nothing heavy.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resources_dir() -> Path:
    candidates = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / "resources")
    candidates.append(_PACKAGE_DIR.parent / "resources")  # source checkout / editable install
    candidates.append(_PACKAGE_DIR / "resources")  # installed wheel
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("TrainDoc's resources folder is missing from this installation")


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``resource_path("samples", "seed004")``."""
    return resources_dir().joinpath(*parts)
