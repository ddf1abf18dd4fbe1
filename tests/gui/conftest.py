"""GUI tests run against a real X server when one can be had (Xvfb), else offscreen.

If no DISPLAY is set and ``Xvfb`` is installed (``tools/setup.sh --test`` installs it), one
Xvfb server is started for the whole test session before Qt is imported, so screenshots
come from a real window system. With neither, Qt's offscreen platform is used.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest


def _start_xvfb() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return
    binary = shutil.which("Xvfb")
    if binary is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    for number in range(97, 120):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        process = subprocess.Popen([binary, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            if process.poll() is not None:
                break
            time.sleep(0.1)
        if process.poll() is None:
            os.environ["DISPLAY"] = f":{number}"
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            atexit.register(process.terminate)
            return
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


_start_xvfb()

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def settings(tmp_path):
    from app.gui.settings import Settings

    return Settings(tmp_path / "traindoc.ini")


@pytest.fixture
def window(qtbot, settings):
    from app.gui.i18n import install_language
    from app.gui.main_window import MainWindow

    install_language("en")
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.session.shutdown()
    assert win.session.tasks.pool.activeThreadCount() == 0, "a worker outlived its window"
    install_language("en")


def open_and_wait(qtbot, window, paths, timeout=30_000):
    """Open ``paths`` and wait until the diagnosis of everything open is shown."""
    with qtbot.waitSignal(window.session.diagnosis_ready, timeout=timeout) as blocker:
        window.open_paths([str(p) for p in paths])
    return blocker.args[0]
