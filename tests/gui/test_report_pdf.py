"""Reports that need Qt: the charts (drawn by the GUI's CurvePanel) and the PDF.

The PDFs are checked with poppler's tools, as a reader would see them: ``pdfinfo`` (opens,
page count, page size), ``pdftoppm`` (each page rendered to PNG is not blank),
``pdftotext`` (the text layer holds the findings, the page numbers and, in Chinese, the
CJK characters as written) and ``pdffonts`` (the CJK font is embedded).
"""

from __future__ import annotations

import base64
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.run import Run, Series
from app.io.load import load_path
from app.report import build_report, inputs_from, render, write_report
from app.report.charts import PLOT_HEIGHT, WIDTH, render_charts
from app.report.labels import L
from app.report.pdf import render_pdf_with_pages
from app.rules.engine import diagnose_all
from tests.gui.conftest import ARTIFACTS, FIXTURES
from tests.unit.test_report import SEED_INPUTS, assert_self_contained

pytestmark = pytest.mark.gui

SEEDS = FIXTURES / "seeds"
ROOT = Path(__file__).resolve().parents[2]


def _report(*names: str, lang: str = "en"):
    runs, models = [], []
    for name in names:
        loaded = load_path(SEEDS / f"{name}.txt")
        runs += loaded.runs
        models += loaded.models
    return build_report(diagnose_all(runs, models), inputs_from(runs, models), lang)


def _tool(*args: str) -> str:
    """Run a poppler tool; it must succeed without complaining about the file."""
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    return result.stdout


def _xref_points_at_objects(pdf: bytes) -> None:
    """Every xref entry (rewritten by the text-layer repair) points at its object."""
    at = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
    assert pdf[at:at + 4] == b"xref"
    entries = pdf[at:pdf.index(b"trailer", at)].split(b"\n")[2:]
    numbers = [(n, int(e[:10])) for n, e in enumerate(entries) if e.strip().endswith(b"n")]
    assert len(numbers) > 10
    for number, offset in numbers:
        assert pdf[offset:].startswith(b"%d 0 obj" % number), number


def _pdfinfo(path: Path) -> dict[str, str]:
    out = _tool("pdfinfo", str(path))
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def _image_array(path: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    assert not image.isNull(), path
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(bytes(image.constBits()), dtype=np.uint8).reshape(height, stride)
    return data[:, : width * 3].reshape(height, width, 3)


def _not_blank(pixels: np.ndarray) -> None:
    ink = (pixels < 200).any(axis=2)
    assert pixels.std() > 5 and ink.mean() > 0.003, f"looks blank (std {pixels.std():.1f}, ink {ink.mean():.4f})"


def _save(name: str, data: bytes) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("page_size", "points"), [("A4", "595 x 842"), ("Letter", "612 x 792")])
def test_pdf_opens_with_the_laid_out_pages_numbered_and_none_blank(qapp, tmp_path, page_size, points):
    report = _report("seed004", "seed002")
    data, pages = render_pdf_with_pages(report, page_size)
    path = _save(f"report_seeds_{page_size}.pdf", data)
    _xref_points_at_objects(data)
    info = _pdfinfo(path)
    # Two cases: each starts on its own page, with its chart, table and findings.
    assert int(info["Pages"]) == pages >= 2
    assert info["Page size"].startswith(points)
    assert info["Title"] == L["title"].en and info["Creator"].startswith("TrainDoc")
    _tool("pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page"))
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == pages
    for png in rendered:
        _not_blank(_image_array(png))
    first_lines = []
    for number in range(1, pages + 1):
        text = _tool("pdftotext", "-layout", "-f", str(number), "-l", str(number), str(path), "-")
        assert f"Page {number} of {pages}" in text
        first_lines.append(next(line.strip() for line in text.splitlines() if line.strip()))
    # The second case starts a page of its own, under its heading.
    assert first_lines[0] == L["title"].en
    assert any(line.startswith("Diagnosis of run seeds/seed002.txt") for line in first_lines[1:]), first_lines
    text = " ".join(_tool("pdftotext", str(path), "-").split())
    for case in report.cases:
        for finding in case.findings:
            assert finding.title.render("en") in text
            for fix in finding.fixes:
                if fix.code:
                    assert " ".join(fix.code.split()) in text
    assert re.search(r"Generated \d{4}-\d\d-\d\d", text), "digits are in the text layer"


def test_chinese_pdf_has_the_cjk_characters_in_its_text_layer(qapp):
    report = _report("seed004", lang="zh_CN")
    data, pages = render_pdf_with_pages(report, "A4")
    path = _save("report_seed004_zh_CN.pdf", data)
    fonts = _tool("pdffonts", str(path))
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts  # embedded
    text = _tool("pdftotext", str(path), "-")
    flat = "".join(text.split())
    for key in ("title", "inputs", "curves", "symptoms", "findings", "settings", "versions"):
        assert "".join(L[key].zh_CN.split()) in flat, L[key].zh_CN
    for finding in report.cases[0].findings:
        assert "".join(finding.title.render("zh_CN").split()) in flat
    assert f"第1页，共{pages}页" in flat
    # As written: no look-alike radicals (U+2E80–U+2FDF) instead of the ideographs.
    assert not [c for c in text if 0x2E80 <= ord(c) <= 0x2FDF]
    _not_blank(_image_array(_first_page_png(path)))


def _first_page_png(path: Path) -> Path:
    prefix = path.with_suffix("")
    _tool("pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile", str(path), str(prefix))
    return prefix.with_suffix(".png")


def test_charts_are_the_curve_panel_with_symptoms_shaded(qapp):
    report = _report("seed004")
    charts = render_charts(report)
    assert [c.case for c in charts] == [0]
    chart = charts[0]
    path = _save("report_chart_seed004.png", chart.png)
    pixels = _image_array(path)
    assert pixels.shape[1] == WIDTH and pixels.shape[0] == chart.height == 2 * PLOT_HEIGHT  # loss + metrics
    _not_blank(pixels)
    # The symptom shading (CurvePanel.SYMPTOM_BRUSH, light orange on white) is there ...
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    shaded = (r > 245) & (abs(g - 242) <= 6) & (abs(b - 215) <= 8)
    assert shaded.mean() > 0.02
    # ... in the epochs of the NaN symptom: right of the plots' middle (epochs 3–5 of 5).
    columns = np.flatnonzero(shaded.any(axis=0))
    assert columns.min() > WIDTH * 0.35
    # The run's colour (CurvePanel.RUN_COLOURS[0], #1f77b4) draws the curves.
    blue = (abs(r - 0x1F) < 30) & (abs(g - 0x77) < 30) & (abs(b - 0xB4) < 30)
    assert blue.sum() > 200


def test_html_embeds_the_real_charts(qapp):
    report = _report("seed004", "seed002")
    document = render(report, "html")
    sources = re.findall(r'<img class="chart" src="data:image/png;base64,([^"]+)"', document)
    assert len(sources) == 2
    from PySide6.QtGui import QImage

    for source in sources:
        image = QImage.fromData(base64.b64decode(source), "PNG")
        assert image.width() == WIDTH and image.height() >= PLOT_HEIGHT


def _flat(text: str) -> str:
    """Text without any whitespace: pdftotext breaks lines where the page did."""
    return "".join(text.split())


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("path", SEED_INPUTS)
def test_html_and_pdf_of_every_seed_scenario(qapp, tmp_path, path, lang):
    """Every seed run folder and readable forum post (see tests/unit/test_report.py), with
    the real charts: the HTML stays self-contained, the PDF opens with its pages numbered, and
    both show the top finding. All nine inputs in both languages: each PDF takes ~0.2 s."""
    loaded = load_path(path)
    cases = diagnose_all(loaded.runs, loaded.models)
    report = build_report(cases, inputs_from(loaded.runs, loaded.models), lang)
    reported = [f for item in cases for f in item.diagnosis.reported]
    assert reported
    title = max(reported, key=lambda f: f.confidence).title.render(lang)
    # HTML with the charts the CurvePanel draws, as data: URIs.
    document = render(report, "html")
    page = assert_self_contained(document)
    assert " ".join(title.split()) in " ".join(" ".join(page.text).split())
    sources = re.findall(r'<img class="chart" src="data:image/png;base64,([^"]+)"', document)
    assert len(sources) == sum(1 for case in report.cases if any(r.epochs or r.steps for r in case.run_objects))
    assert bool(sources) == any(run.epochs or run.steps for run in loaded.runs)
    from PySide6.QtGui import QImage

    for source in sources:
        image = QImage.fromData(base64.b64decode(source), "PNG")
        assert image.width() == WIDTH and image.height() >= PLOT_HEIGHT
    # PDF, as a reader's tools see it.
    data, pages = render_pdf_with_pages(report, "A4")
    out = tmp_path / "report.pdf"
    out.write_bytes(data)
    _xref_points_at_objects(data)
    info = _pdfinfo(out)
    assert int(info["Pages"]) == pages >= 1 and info["Page size"].startswith("595 x 842")
    text = _tool("pdftotext", str(out), "-")
    flat = _flat(text)
    assert _flat(L["title"].render(lang)) in flat
    assert _flat(title) in flat
    assert _flat(L["page"].render(lang, {"page": pages, "pages": pages})) in flat
    assert not [c for c in text if 0x2E80 <= ord(c) <= 0x2FDF], "look-alike radicals in the text layer"


def test_write_report_pdf(qapp, tmp_path):
    report = _report("seed002")
    out = tmp_path / "seed002.pdf"
    write_report(report, "pdf", out, inputs=[str(SEEDS / "seed002.txt")], page_size="Letter")
    assert out.read_bytes().startswith(b"%PDF-")
    assert _pdfinfo(out)["Page size"].startswith("612 x 792")


def test_command_line_use_needs_no_display_and_no_running_app(tmp_path):
    """Without a QApplication (the CLI), the report makes its own on the offscreen platform."""
    out = tmp_path / "cli.pdf"
    code = (
        "import sys\n"
        "from app.io.load import load_path\n"
        "from app.rules.engine import diagnose_all\n"
        "from app.report import build_report, inputs_from, write_report\n"
        f"runs = load_path({str(SEEDS / 'seed004.txt')!r}).runs\n"
        "report = build_report(diagnose_all(runs, []), inputs_from(runs, []), 'zh_CN')\n"
        f"write_report(report, 'pdf', {str(out)!r})\n"
        "from PySide6.QtWidgets import QApplication\n"
        "print(QApplication.instance().platformName())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "offscreen"
    assert "诊断报告" in _tool("pdftotext", str(out), "-")


def test_a_million_step_run_renders_in_seconds(qapp):
    n = 1_000_000
    x = np.arange(1, n + 1)
    rng = np.random.default_rng(3)
    loss = np.exp(-x / 2e5) + 0.05 * rng.standard_normal(n) + 0.2
    loss[700_000:] = math.nan
    run = Run("million", "tensorboard", paths=["million/events.out.tfevents"])
    run.add_series(Series("loss", "step", x, loss))
    run.add_series(Series("accuracy", "step", x, 1 - loss / 3))
    run.add_series(Series("learning_rate", "step", x, np.full(n, 1e-3)))
    report = build_report(diagnose_all([run], []), [], "en")
    for fmt, limit in (("md", 5), ("json", 5), ("html", 20), ("pdf", 20)):
        started = time.perf_counter()
        out = render(report, fmt)
        elapsed = time.perf_counter() - started
        assert out and elapsed < limit, f"{fmt}: {elapsed:.1f} s"
    assert report.cases[0].runs[0].table.total_rows == n


def _pages_of_code_lines(document, page_height: float) -> list[set[int]]:
    from app.report.pdf import _kept_together

    layout = document.documentLayout()
    return [{int(layout.blockBoundingRect(b).top() // page_height) for b in group}
            for group in _kept_together(document) if group[0].blockFormat().nonBreakableLines()]


def _document(html: str):
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(html)
    document.setPageSize(QSizeF(400, 600))
    return document


def test_a_code_block_that_would_straddle_a_page_break_starts_the_next_page(qapp):
    from app.report.pdf import keep_together

    code = "<pre>x = layers.GlobalAveragePooling1D()(x)\nx = layers.Dense(200)(x)\nmodel.compile()</pre>"
    straddling = [n for n in range(1, 80)
                  if len(_pages_of_code_lines(_document("<p>line</p>" * n + code), 600)[0]) > 1]
    assert straddling, "no filler puts the code across the page break"
    for n in straddling:
        document = _document("<p>line</p>" * n + code + "<p>after</p>" * 5)
        before = _pages_of_code_lines(document, 600)
        assert keep_together(document, 600) == 1
        assert _pages_of_code_lines(document, 600) == [{max(before[0])}], n  # whole, on the next page
    # A block that already fits on one page stays where it is.
    fits = _document("<p>line</p>" * (straddling[0] - 3) + code)
    assert keep_together(fits, 600) == 0


def test_a_code_block_taller_than_a_page_is_left_to_split(qapp):
    from app.report.pdf import keep_together

    document = _document("<p>intro</p><pre>" + "\n".join(f"line_{n} = {n}" for n in range(200)) + "</pre>")
    assert keep_together(document, 600) == 0
    assert len(_pages_of_code_lines(document, 600)[0]) > 1


def test_a_heading_is_never_left_alone_at_the_foot_of_a_page(qapp):
    """A case heading and the Curves heading under it go with the chart to the next page
    when the chart does not fit under them (seed 004's folder report left both behind)."""
    from app.report.pdf import keep_together

    def pages(document):
        layout = document.documentLayout()
        block, found = document.begin(), {}
        while block.isValid():
            if block.text() in ("Diagnosis of run", "Curves", "first line of the chart"):
                found[block.text()] = int(layout.blockBoundingRect(block).top() // 600)
            block = block.next()
        return found

    tail = "<h2>Diagnosis of run</h2><h4>Curves</h4><p>first line of the chart</p>" + "<p>more</p>" * 5
    split = [n for n in range(1, 80) if len(set(pages(_document("<p>line</p>" * n + tail)).values())) > 1]
    assert split, "no filler puts the headings and what follows on two pages"
    for n in split:
        document = _document("<p>line</p>" * n + tail)
        before = pages(document)
        assert keep_together(document, 600) == 1
        document.markContentsDirty(0, document.characterCount())
        after = pages(document)
        assert set(after.values()) == {max(before.values())}, (n, before, after)


def test_the_emptiest_corner_takes_the_legend():
    from app.gui.plots.curve_panel import emptiest_corner

    rising = np.column_stack([np.linspace(0, 1, 50), np.linspace(0.1, 0.95, 50)])  # bottom left to top right
    assert emptiest_corner(rising, 0.3, 0.3) in ("top left", "bottom right")
    falling = np.column_stack([np.linspace(0, 1, 50), np.linspace(0.95, 0.1, 50)])
    assert emptiest_corner(falling, 0.3, 0.3) == "top right"  # the default, when it is free
    assert emptiest_corner(np.empty((0, 2)), 0.3, 0.3) == "top right"
    # A symptom's name at the top edge weighs like many curve points.
    label = np.array([[0.9, 1.0, 25.0]])
    low = np.column_stack([np.linspace(0, 1, 20), np.full(20, 0.05), np.ones(20)])
    assert emptiest_corner(np.concatenate([low, label]), 0.3, 0.3) == "top left"


def test_report_legends_move_off_a_rising_curve_and_drop_the_shared_folder(qapp):
    from app.gui.plots.curve_panel import CurvePanel, legend_names

    assert legend_names(["run/history.json", "run/log.csv"]) == ["history.json", "log.csv"]
    assert legend_names(["a/log.csv", "b/log.csv"]) == ["a/log.csv", "b/log.csv"]  # the folder tells them apart
    assert legend_names(["x/log.csv"]) == ["x/log.csv"]
    runs = []
    for name, shift in (("run/history.json", 0.0), ("run/console.txt", 0.01)):
        run = Run(name, "test")
        epochs = np.arange(1, 21)
        for metric, values in (("accuracy", np.linspace(0.5, 0.97, 20) - shift),
                               ("val_accuracy", np.linspace(0.48, 0.93, 20) - shift),
                               ("loss", np.linspace(0.7, 0.1, 20) + shift)):
            run.add_series(Series(metric, "epoch", epochs, values))
        runs.append(run)
    panel = CurvePanel()
    try:
        panel.set_runs(runs)
        panel.resize(WIDTH, 2 * PLOT_HEIGHT)
        panel.grab()
        panel.reset_view()
        plot = panel.plots["metrics"]
        assert [label.text for _sample, label in plot.legend.items][0].startswith("history.json: ")
        panel.place_legends()
        panel.grab()
        legend = plot.legend.sceneBoundingRect()
        view = plot.vb.sceneBoundingRect()
        assert legend.center().x() < view.center().x() or legend.center().y() > view.center().y(), \
            "the legend stayed in the top-right corner the rising accuracy runs through"
    finally:
        panel.release()
        panel.deleteLater()


@pytest.mark.slow
def test_html_and_pdf_reports_have_the_probe_section(qapp):
    from tests.rules.test_probe_evidence import PROBE_SECTION, probed_report_inputs

    cases, inputs, probes = probed_report_inputs()
    for lang, (title, dead, _) in PROBE_SECTION.items():
        html = render(build_report(cases, inputs, lang, probes=probes), "html")
        assert title in html and dead in html
    pdf = render(build_report(cases, inputs, "en", probes=probes), "pdf")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert _flat(PROBE_SECTION["en"][0]) in _flat(text)
