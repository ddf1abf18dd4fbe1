"""The architecture holds: pure layers import neither Qt nor TensorFlow (STYLE.md E2)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_reading_every_fixture_imports_no_qt_and_no_tensorflow():
    code = (
        "import sys, glob\n"
        "from app.io.load import load_path\n"
        "from app.cli.inspect_view import render_json\n"
        "from app.core.errors import InputError\n"
        "n = 0\n"
        "for p in sorted(glob.glob('tests/fixtures/*')):\n"
        "    try:\n"
        "        render_json(load_path(p)); n += 1\n"
        "    except InputError:\n"
        "        pass\n"
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'tensorflow', 'keras', 'pandas') if m in sys.modules]\n"
        "print(n, bad)\n"
    )
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    count, bad = result.stdout.strip().split(" ", 1)
    assert int(count) >= 1
    assert bad == "[]"
