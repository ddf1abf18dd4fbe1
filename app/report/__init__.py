"""Reports: one content, four renderings (Markdown, HTML, PDF, JSON), for the GUI and the CLI.

    report = build_report(cases, inputs, lang="zh_CN")   # cases: app.rules.engine.diagnose_all(...)
    text = render(report, "md")                          # str for md/html/json, bytes for pdf
    write_report(report, "pdf", "run.pdf", inputs=paths, page_size="Letter")

Importing this package is pure (no Qt, no TensorFlow). The charts (HTML, PDF) and the PDF
itself import PySide6/pyqtgraph inside the functions that need them, and create an
offscreen QApplication when none is running.
"""

from __future__ import annotations

import os
from typing import Iterable

from app.report.content import Report, build_report, inputs_from

FORMATS = ("md", "html", "pdf", "json")
# File name endings → format (the GUI's Export dialog and the CLI pick the format this way).
SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".json": "json"}

__all__ = ["FORMATS", "Report", "build_report", "format_for_path", "inputs_from", "render", "write_report"]


def format_for_path(path: str | os.PathLike) -> str | None:
    """The report format a file name asks for (``report.pdf`` → ``"pdf"``), or None."""
    return SUFFIXES.get(os.path.splitext(os.fspath(path))[1].lower())


def render(report: Report, fmt: str, *, page_size: str = "A4") -> str | bytes:
    """``report`` as ``fmt``: str for md/html/json, bytes for pdf (``page_size`` A4 or Letter)."""
    if fmt == "md":
        from app.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from app.report.html import render_html

        return render_html(report)
    if fmt == "json":
        from app.report.json import render_json

        return render_json(report)
    if fmt == "pdf":
        from app.report.pdf import render_pdf

        return render_pdf(report, page_size)
    raise ValueError(f"report format {fmt!r}: expected one of {', '.join(FORMATS)}")


def write_report(report: Report, fmt: str, path: str | os.PathLike, inputs: Iterable[str] = (), *,
                 page_size: str = "A4", overwrite: bool = False) -> str:
    """Render and write atomically to a new file; refuses one of ``inputs``, a path inside an
    input folder, and an existing file unless ``overwrite``."""
    from app.core.files import write_atomic

    return write_atomic(path, render(report, fmt, page_size=page_size), inputs=list(inputs), overwrite=overwrite)
