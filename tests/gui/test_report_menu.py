"""Sketch for the lead: File ▸ Export report… and Copy as Markdown on the seed logs."""
import pytest
from PySide6.QtGui import QGuiApplication
from tests.gui.conftest import FIXTURES, open_and_wait

pytestmark = pytest.mark.gui


def test_export_report_and_copy_markdown(qtbot, window, tmp_path):
    assert not window.export_action.isEnabled()
    open_and_wait(qtbot, window, [FIXTURES / "seeds" / "seed004.txt"])
    assert window.export_action.isEnabled() and window.copy_markdown_action.isEnabled()
    window.copy_markdown()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("# TrainDoc diagnosis report") and "final_activation_mismatch" in text
    for name in ("r.pdf", "r.html", "r.md", "r.json"):
        assert window.export_report_to(str(tmp_path / name)) == str(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 500
    assert window.export_report_to(str(tmp_path / "noext"), "html") == str(tmp_path / "noext.html")
    assert window.export_report_to(str(tmp_path / "missing" / "r.pdf")) is None  # shown in the banner
    assert "does not exist" in window.banner.label.text()
