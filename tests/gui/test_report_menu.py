"""File ▸ Export report… and File ▸ Copy report as Markdown, driven in the real window.

The actions sit in the File menu with their shortcuts (Ctrl+E, Ctrl+Shift+C) and are enabled
once something is diagnosed. Export writes the format the file's ending names (the dialog's
filter only chooses when the name has no ending) through ``MainWindow.export_report_to``,
the function the Save dialog calls; the dialog itself is replaced by a stub returning what a
user would pick. The report is in the UI language, and a file that was read is never
overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog

from app.gui.main_window import REPORT_FILTERS
from app.report import render
from app.report.labels import L
from tests.gui.conftest import FIXTURES, open_and_wait
from tests.unit.test_report import assert_self_contained

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "app" / "schemas" / "diagnosis.schema.json").read_text(encoding="utf-8"))
SEED004_POST = FIXTURES / "seeds" / "seed004.txt"
SEED004_RUN = FIXTURES / "runs" / "seed004_relu_cce_nan"


class _SaveDialog:
    """Stands in for QFileDialog.getSaveFileName: records the call, returns the user's pick."""

    def __init__(self, path: str, chosen_filter: str = "") -> None:
        self.answer = (path, chosen_filter)
        self.calls: list[tuple] = []

    def __call__(self, parent, caption, start, filters, *rest, **options):
        self.calls.append((parent, caption, start, filters))
        return self.answer


def _no_dialog(*_args, **_kwargs):
    raise AssertionError("the Save dialog must not open")


def _untimed(markdown: str) -> list[str]:
    """The Markdown's lines without the "Generated <time> by TrainDoc" line."""
    return [line for line in markdown.splitlines() if not line.startswith("*Generated ")]


def _leftovers(folder: Path) -> list[str]:
    return [p for p in os.listdir(folder) if p.startswith(".traindoc-")]


def test_report_actions_sit_in_the_file_menu_with_their_shortcuts(qtbot, window, monkeypatch):
    menu = window.menuBar().actions()[0].menu()
    assert menu is window.file_menu and menu.title() == "&File"
    actions = menu.actions()
    export, copy = window.export_action, window.copy_markdown_action
    assert export in actions and copy in actions
    # Between "Paste log text…" and "Close all", export first.
    assert (actions.index(window.paste_box_action) < actions.index(export) < actions.index(copy)
            < actions.index(window.close_all_action))
    assert export.text() == "&Export report…" and copy.text() == "Copy report as &Markdown"
    assert export.shortcut() == QKeySequence("Ctrl+E") and copy.shortcut() == QKeySequence("Ctrl+Shift+C")
    assert export.shortcut().toString() == "Ctrl+E" and copy.shortcut().toString() == "Ctrl+Shift+C"
    for action in (export, copy):
        assert action.shortcutContext() == Qt.ShortcutContext.WindowShortcut
        assert action in window.actions()  # the shortcut works while the menu is closed
    # No other action of the window takes either shortcut.
    others = [a for a in window.findChildren(QAction) if a not in (export, copy) and not a.shortcut().isEmpty()]
    assert not [a.objectName() for a in others if a.shortcut() in (export.shortcut(), copy.shortcut())]
    # Nothing diagnosed yet: both disabled, and neither does anything if called.
    assert not export.isEnabled() and not copy.isEnabled()
    QGuiApplication.clipboard().setText("untouched")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(_no_dialog))
    window.copy_markdown()
    window.export_report()
    assert QGuiApplication.clipboard().text() == "untouched"
    open_and_wait(qtbot, window, [SEED004_POST])
    assert export.isEnabled() and copy.isEnabled()
    # Close all: nothing to report again.
    window.close_all_action.trigger()
    qtbot.waitUntil(lambda: not export.isEnabled() and not copy.isEnabled())


def test_the_shortcuts_copy_markdown_and_open_the_export_dialog(qtbot, window, tmp_path, monkeypatch):
    open_and_wait(qtbot, window, [SEED004_POST])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QGuiApplication.clipboard().setText("before")
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() != "before")
    text = QGuiApplication.clipboard().text()
    assert text.startswith("# TrainDoc diagnosis report") and "final_activation_mismatch" in text
    assert _untimed(text) == _untimed(render(window.report(), "md"))  # the window's report
    # Ctrl+E: the Save dialog, starting at traindoc-report.pdf in the last folder, with the
    # four formats; a name without an ending takes the filter's format.
    window.settings.last_dir = str(tmp_path)
    dialog = _SaveDialog(str(tmp_path / "from-dialog"), "HTML (*.html *.htm)")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(dialog.calls))
    parent, _caption, start, filters = dialog.calls[0]
    assert parent is window
    assert start == os.path.join(str(tmp_path), "traindoc-report.pdf")
    assert filters == ";;".join(REPORT_FILTERS) and filters.split(";;")[0] == "PDF (*.pdf)"
    written = tmp_path / "from-dialog.html"
    assert written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # The ending typed wins over the filter; cancelling writes nothing.
    dialog.answer = (str(tmp_path / "typed.md"), "PDF (*.pdf)")
    window.export_action.trigger()
    assert (tmp_path / "typed.md").read_text(encoding="utf-8").startswith("# TrainDoc diagnosis report")
    before = sorted(os.listdir(tmp_path))
    dialog.answer = ("", "")
    window.export_action.trigger()
    assert sorted(os.listdir(tmp_path)) == before and len(dialog.calls) == 3


def test_export_writes_the_format_its_file_ending_names(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, [SEED004_RUN])  # the whole run folder: logs, events, models
    checks = {
        "pdf": lambda data: data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"),
        "html": lambda data: data.startswith(b"<!DOCTYPE html>") and b"data:image/png;base64," in data,
        "md": lambda data: data.startswith(b"# TrainDoc diagnosis report\n") and b"\n| epoch | loss |" in data,
        "json": lambda data: json.loads(data)["traindoc"] is not None,
    }
    names = {"r.pdf": "pdf", "R.PDF": "pdf", "r.html": "html", "r.htm": "html", "r.md": "md",
             "r.markdown": "md", "r.json": "json"}
    for name, fmt in names.items():
        target = tmp_path / name
        assert window.export_report_to(str(target)) == str(target), window.banner.messages
        data = target.read_bytes()
        assert checks[fmt](data), (name, data[:80])
        for other, check in checks.items():  # and no other format's shape
            if other != fmt:
                try:
                    assert not check(data), (name, other)
                except ValueError:  # json.loads of a non-JSON file
                    pass
        assert str(target) in window.statusBar().currentMessage()
    assert_self_contained((tmp_path / "r.html").read_text(encoding="utf-8"))
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA)
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == render(window.report(), "json")
    assert document["findings"][0]["cause"] == "final_activation_mismatch"
    # No ending: the fallback format is appended (the dialog's filter, PDF by default).
    assert window.export_report_to(str(tmp_path / "noext"), "html") == str(tmp_path / "noext.html")
    assert window.export_report_to(str(tmp_path / "plain")) == str(tmp_path / "plain.pdf")
    assert (tmp_path / "plain.pdf").read_bytes().startswith(b"%PDF-")
    # An existing report is replaced only when the save dialog asked (issue 20), atomically.
    window.banner.clear()
    assert window.export_report_to(str(tmp_path / "r.md")) is None
    assert "exists" in window.banner.label.text()
    assert window.export_report_to(str(tmp_path / "r.md"), confirmed=True) == str(tmp_path / "r.md")
    # A folder that does not exist: nothing written, the reason in the banner.
    window.banner.clear()
    assert window.export_report_to(str(tmp_path / "missing" / "r.pdf")) is None
    assert "does not exist" in window.banner.label.text() and window.banner.isVisible()
    assert not _leftovers(tmp_path)


def test_the_report_follows_the_ui_language(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, [SEED004_POST])
    zh = {key: L[key].zh_CN for key in ("inputs", "symptoms", "findings", "versions", "curves")}
    window.language_actions["zh_CN"].trigger()
    try:
        assert window.lang == "zh_CN" and window.language_actions["zh_CN"].isChecked()
        assert window.file_menu.title() == "文件(&F)" and window.export_action.text() == "导出报告(&E)…"
        assert window.copy_markdown_action.text() == "复制报告为 Markdown(&M)"
        window.copy_markdown_action.trigger()
        text = QGuiApplication.clipboard().text()
        assert text.startswith(f"# {L['title'].zh_CN}\n")
        lines = text.splitlines()
        assert f"## {zh['inputs']}" in lines and f"## {zh['versions']}" in lines
        assert f"### {zh['symptoms']}" in lines and f"### {zh['findings']}" in lines
        assert any(line.startswith(f"### {zh['curves']}: ") for line in lines)
        assert any(line.startswith("## 诊断：") for line in lines)
        for key in ("title", "inputs", "symptoms", "findings", "versions"):
            assert L[key].en not in text, key
        top = window.session.cases[0].diagnosis.top()
        assert top.title.render("zh_CN") in text and top.title.render("en") not in text
        assert "| 轮次 | loss |" in text  # the epoch table's header too
        # An exported file is in Chinese as well.
        out = window.export_report_to(str(tmp_path / "zh.html"))
        assert out and '<html lang="zh-CN">' in Path(out).read_text(encoding="utf-8")
    finally:
        window.language_actions["en"].trigger()
    assert window.lang == "en" and window.language_actions["en"].isChecked()
    assert window.file_menu.title() == "&File"
    window.copy_markdown()
    text = QGuiApplication.clipboard().text()
    assert text.startswith(f"# {L['title'].en}\n") and f"## {L['inputs'].en}" in text
    assert L["inputs"].zh_CN not in text


def test_exporting_over_an_input_is_refused_and_leaves_it_byte_identical(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "run"  # (tmp_path also holds the window's settings file)
    folder.mkdir()
    history = folder / "history.json"  # a History JSON log: its ending names a report format
    console = folder / "console_v1.txt"
    shutil.copyfile(SEED004_RUN / "history.json", history)
    shutil.copyfile(SEED004_RUN / "console_v1.txt", console)
    open_and_wait(qtbot, window, [history, console])
    assert str(history) in [p for run in window.session.runs for p in run.paths]
    originals = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (history, console)}
    link = folder / "link.json"
    link.symlink_to(history)
    # Straight, through another spelling of the path, through a symlink, through the dialog.
    for attempt in (str(history), str(folder / "." / "history.json"), str(link)):
        window.banner.clear()
        assert window.export_report_to(attempt) is None, attempt
        message = window.banner.label.text()
        assert window.banner.isVisible() and "refusing to overwrite an input file" in message, message
        assert "refusing to overwrite" in window.statusBar().currentMessage()
    window.banner.clear()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(_SaveDialog(str(history), "JSON (*.json)")))
    window.export_action.trigger()
    assert "refusing to overwrite an input file" in window.banner.label.text()
    # A log whose ending is no report format is not overwritten either: the format's ending is added.
    assert window.export_report_to(str(console)) == f"{console}.pdf"
    for path, (data, mtime) in originals.items():
        assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime, path
    assert link.is_symlink() and os.readlink(link) == str(history)
    assert not _leftovers(folder)
    assert sorted(os.listdir(folder)) == ["console_v1.txt", "console_v1.txt.pdf", "history.json", "link.json"]
