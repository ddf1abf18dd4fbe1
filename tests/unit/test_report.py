"""Reports without Qt: Markdown, HTML (with given chart images) and JSON of the seed logs.

The seed logs are read with ``app.io.load.load_path`` and diagnosed by the engine, as the CLI
and the GUI do. Charts and PDF (which need Qt) are tested in ``tests/gui/test_report_pdf.py``.
"""

from __future__ import annotations

import base64
import html as html_lib
import importlib.metadata
import json
import math
import os
import re
import struct
import subprocess
import sys
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from markdown_it import MarkdownIt

from app.cli import main as cli_main
from app.core.diagnosis import REPORTING_THRESHOLD
from app.core.files import OutputError
from app.core.i18n import LANGUAGES
from app.core.model import CompileSpec, LayerSpec, LossSpec, ModelSpec, OptimizerSpec
from app.core.run import Run, Series
from app.io.load import load_path
from app.report import build_report, format_for_path, inputs_from, render, write_report
from app.report import wording as W
from app.report.charts import Chart
from app.report.content import curve_table, human_size
from app.report.html import render_html
from app.report.labels import L, SETTING_NAMES, label
from app.report.pdf_text import build_cmap, default_replacement, fix_to_unicode, parse_cmap
from app.rules.engine import diagnose_all

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
RUNS = ROOT / "tests" / "fixtures" / "runs"
# The seed scenarios: the fixture run folders (real Keras runs of the forum posts, each
# folder opened whole as the GUI does: console logs, CSV, History JSON, TensorBoard events and
# the model saved three ways) and the forum posts themselves. seed003 is an essay with
# neither a log nor code: it cannot be read (test_seed003_essay_is_not_an_input).
# seed000/seed001 posts hold only code, read as a model (no run, so no epoch table).
SEED_RUN_FOLDERS = ("seed000_mse_sigmoid", "seed000_bce_fixed", "seed001_relu_input_adam",
                    "seed002_softmax_bce_bn", "seed004_relu_cce_nan")
READABLE_SEED_POSTS = ("seed000", "seed001", "seed002", "seed004")
SEED_INPUTS = ([pytest.param(RUNS / name, id=name) for name in SEED_RUN_FOLDERS]
               + [pytest.param(SEEDS / f"{name}.txt", id=f"{name}.txt") for name in READABLE_SEED_POSTS])
SCHEMA = json.loads((ROOT / "app" / "schemas" / "diagnosis.schema.json").read_text(encoding="utf-8"))


def _load(*names: str):
    runs, models = [], []
    for name in names:
        loaded = load_path(SEEDS / f"{name}.txt")
        runs += loaded.runs
        models += loaded.models
    return runs, models


def _report(*names: str, lang: str = "en", models=(), include_all: bool = False):
    runs, found = _load(*names)
    models = list(found) + list(models)
    cases = diagnose_all(runs, models)
    return build_report(cases, inputs_from(runs, models), lang, include_all=include_all)


def _png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG (grey pixels), made without Qt."""
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _fake_charts(report) -> list[Chart]:
    return [Chart(index, _png(), 2, 2) for index, case in enumerate(report.cases) if case.run_objects]


def _all_findings(report):
    return [f for case in report.cases for f in case.findings]


# -- Markdown --------------------------------------------------------------------------------
def _tables(markdown: str) -> list[list[list[str]]]:
    """Tables as GitHub would render them (markdown-it with the GFM table rule)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables, rows, row = [], None, None
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content)
        elif token.type == "tr_close":
            rows.append(row)
            row = None
        elif token.type == "table_close":
            tables.append(rows)
            rows = None
    return tables


def _python_fences(markdown: str) -> list[str]:
    """The contents of the ```python code blocks, as a Markdown renderer sees them."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [t.content for t in tokens if t.type == "fence" and t.info == "python"]


def test_markdown_of_seed004_has_findings_curve_table_fixes_and_versions():
    report = _report("seed004")
    md = render(report, "md")
    assert isinstance(md, str)
    findings = _all_findings(report)
    assert findings, "seed004 (NaN loss) has a reported finding"
    for finding in findings:
        assert finding.title.render("en") in md
        assert f"`{finding.cause}`" in md
        for fix in finding.fixes:
            if fix.code:
                assert fix.code.rstrip("\n") + "\n" in _python_fences(md)
    assert "nan_loss" in md
    # The curves as a table that renders: header + separator row, epochs first … last.
    assert re.search(r"^\| epoch \| loss \|.*\n\|---:\|---:\|", md, re.M)
    tables = _tables(md)
    curve = next(t for t in tables if t[0][0] == "epoch")
    run = report.cases[0].runs[0]
    epochs = [int(row[0]) for row in curve[1:] if row[0] != "…"]
    assert epochs[0] == 1 and epochs[-1] == run.points
    loss_column = curve[0].index("loss")
    nan_rows = [row for row in curve[1:] if row[0] != "…" and row[loss_column] == "nan"]
    assert nan_rows and all("nan_loss" in row[-1] for row in nan_rows)
    # What was loaded, with the file size; the versions from package metadata.
    inputs = next(t for t in tables if t[0][0] == "File")
    assert inputs[1][0].endswith("seed004.txt")
    assert inputs[1][3] == human_size((SEEDS / "seed004.txt").stat().st_size)
    versions = dict(row for row in next(t for t in tables if t[0] == ["Library", "Version"])[1:])
    assert versions["numpy"] == importlib.metadata.version("numpy")
    assert versions["TrainDoc"] == report.traindoc


def test_markdown_tables_have_as_many_cells_as_headers():
    md = render(_report("seed002", "seed004"), "md")
    for table in _tables(md):
        assert all(len(row) == len(table[0]) for row in table), table[0]
    # Every pipe-table header is followed by its separator row (GitHub needs it).
    lines = md.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("| ") and (index == 0 or not lines[index - 1].startswith("|")):
            assert re.fullmatch(r"\|(---:?\|)+", lines[index + 1]), line


def test_markdown_in_chinese_uses_chinese_labels_and_rule_texts():
    report = _report("seed004", lang="zh_CN")
    md = render(report, "md")
    assert md.startswith("# TrainDoc 诊断报告")
    for key in ("inputs", "symptoms", "findings", "versions", "evidence", "fixes"):
        assert L[key].zh_CN in md
        assert L[key].en not in md
    for finding in _all_findings(report):
        assert finding.title.render("zh_CN") in md
        assert finding.explanation.render("zh_CN")[:20] in md


def test_every_label_exists_in_both_languages_with_the_same_placeholders():
    assert LANGUAGES == ("en", "zh_CN")
    for key, text in {**L, **SETTING_NAMES}.items():
        assert text.en.strip() and text.zh_CN.strip(), key
        assert set(re.findall(r"{(\w+)}", text.en)) == set(re.findall(r"{(\w+)}", text.zh_CN)), key


def test_long_step_run_gives_a_compact_table_around_the_symptom():
    n = 1_000_000
    x = np.arange(1, n + 1)
    loss = np.exp(-x / 2e5) + 0.01
    loss[700_000:] = math.nan
    run = Run("long", "tensorboard", paths=["long/events"])
    run.add_series(Series("loss", "step", x, loss))
    run.add_series(Series("accuracy", "step", x, 1 - loss / 3))
    started = time.perf_counter()
    cases = diagnose_all([run], [])
    report = build_report(cases, [], "en")
    md = render(report, "md")
    elapsed = time.perf_counter() - started
    symptom = next(s for s in report.cases[0].symptoms if s.id == "nan_loss")
    table = report.cases[0].runs[0].table
    shown = [row.x for row in table.rows]
    assert shown[0] == 1 and shown[-1] == n
    assert symptom.start in shown and symptom.start - 1 in shown
    assert len(shown) <= 8 and table.total_rows == n
    assert any(row.gap_before for row in table.rows)
    assert md.count("| … |") >= 1
    assert elapsed < 10, f"diagnosis + Markdown of 1M steps took {elapsed:.1f} s"


def test_curve_table_of_a_short_run_shows_every_epoch():
    run, _ = _load("seed002")
    table = curve_table(run[0], [])
    assert [row.x for row in table.rows] == list(range(1, run[0].epoch_count + 1))
    assert not any(row.gap_before for row in table.rows)


# -- HTML ------------------------------------------------------------------------------------
class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.pre: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if "pre" in self.stack:
            self.pre.append(data)


def _parse(document: str) -> _Page:
    page = _Page()
    page.feed(document)
    page.close()
    assert not page.stack, f"unclosed tags: {page.stack}"
    return page


def test_html_is_one_self_contained_phone_readable_file_with_findings_and_images():
    report = _report("seed004", "seed002")
    charts = _fake_charts(report)
    document = render_html(report, charts)
    assert document.startswith("<!DOCTYPE html>")
    page = _parse(document)
    text = " ".join(" ".join(page.text).split())
    metas = [attrs for tag, attrs in page.tags if tag == "meta"]
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in metas
    assert "max-width: 100%" in document  # images and the page shrink to a phone's width
    # Nothing outside the file: no scripts, no stylesheets or images fetched from elsewhere.
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        for name in ("src", "href", "srcset", "data", "action"):
            if name in attrs:
                assert attrs[name].startswith(("data:", "#")), (tag, attrs[name][:60])
    assert not re.search(r"url\(\s*['\"]?(?!data:)", document), "CSS fetches something"
    assert not re.search(r"(?:src|href)\s*=\s*['\"]?(?:https?:)?//", document)
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(charts) == 2
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        assert base64.b64decode(attrs["src"][len(prefix):]) == charts[0].png
        assert attrs["alt"]
    for finding in _all_findings(report):
        assert finding.title.render("en") in text
        for item in finding.evidence:
            assert " ".join(item.describe("en").split()) in text
        for fix in finding.fixes:
            if fix.code:
                assert fix.code.strip() in "".join(page.pre)
    for case in report.cases:
        for symptom in case.symptoms:
            assert " ".join(symptom.describe("en").split()) in text


def test_html_escapes_what_comes_from_the_user_files():
    runs, _ = _load("seed004")
    runs[0].name = "<script>alert(1)</script> & co"
    cases = diagnose_all(runs, [])
    report = build_report(cases, inputs_from(runs, []), "en")
    document = render_html(report, [])
    page = _parse(document)
    assert "script" not in [tag for tag, _ in page.tags]
    assert "<script>alert(1)</script> & co" in " ".join(page.text)


def test_html_in_chinese():
    report = _report("seed002", lang="zh_CN")
    document = render_html(report, _fake_charts(report))
    page = _parse(document)
    assert ("html", {"lang": "zh-CN"}) in page.tags
    text = " ".join(page.text)
    assert L["title"].zh_CN in text and L["symptoms"].zh_CN in text
    for finding in _all_findings(report):
        assert finding.title.render("zh_CN") in text


def test_flagged_layers_are_marked_in_the_model_summary():
    model = ModelSpec(
        "pneumonia_vgg16", "Functional", "keras", source_path="model.keras",
        layers=[LayerSpec("input_1", "InputLayer", output_shape=(None, 200, 200, 3), params_total=0),
                LayerSpec("flatten_2", "Flatten", output_shape=(None, 18432), params_total=0, inbound=["input_1"]),
                LayerSpec("dense_2", "Dense", units=2, activation="relu", output_shape=(None, 2),
                          params_total=36866, inbound=["flatten_2"])],
        output_names=["dense_2"],
        compile=CompileSpec([LossSpec("categorical_crossentropy")], OptimizerSpec("Adam", learning_rate=1e-4),
                            ["accuracy"]),
        params_total=14_751_554, params_trainable=36_866)
    report = _report("seed004", models=[model])
    summary = next(c.model for c in report.cases if c.model is not None and c.model.name == model.name)
    assert summary.flagged == ("dense_2",)
    assert [row.name for row in summary.layers if row.flagged] == ["dense_2"]
    md = render(report, "md")
    dense_row = next(line for line in md.splitlines() if line.startswith("| dense_2 |"))
    assert "⚠" in dense_row and "36,866" in dense_row
    assert "14,751,554 total" in md
    assert "| Adam.learning_rate | 0.0001 |" in md
    page = _parse(render_html(report, []))
    assert sum(1 for tag, attrs in page.tags if tag == "tr" and attrs.get("class") == "flagged") == 1


def test_include_all_adds_the_weaker_candidates():
    plain = _report("seed002", "seed004")
    everything = _report("seed002", "seed004", include_all=True)
    weaker = [f for case in everything.cases for f in case.weaker]
    assert weaker, "the seed logs have candidates below the reporting threshold"
    md_plain, md_all = render(plain, "md"), render(everything, "md")
    assert "Weaker candidates" not in md_plain and "Weaker candidates" in md_all
    for finding in weaker:
        assert f"`{finding.cause}`" in md_all


# -- JSON ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", ["seed004", "seed002"])
def test_json_report_is_exactly_the_cli_output_and_validates(seed, capsys):
    report = _report(seed)
    text = render(report, "json")
    assert cli_main(["diagnose", str(SEEDS / f"{seed}.txt"), "--format", "json"]) == 0
    assert text == capsys.readouterr().out
    jsonschema.validate(json.loads(text), SCHEMA)


def test_json_report_in_chinese_validates():
    report = _report("seed004", "seed002", lang="zh_CN")
    data = json.loads(render(report, "json"))
    jsonschema.validate(data, SCHEMA)
    assert data["language"] == "zh_CN"
    assert data["findings"][0]["title"] == report.top_findings()[0].title.render("zh_CN")


# -- every format of every seed scenario ----------------------------------------------------
def _scenario(path: Path, lang: str):
    """Read ``path`` (a run folder or a forum post) as the CLI and the GUI do, diagnose it,
    build its report."""
    loaded = load_path(path)
    cases = diagnose_all(loaded.runs, loaded.models)
    return loaded, cases, build_report(cases, inputs_from(loaded.runs, loaded.models), lang)


def _top_reported(cases):
    """The most likely reported finding, taken from the engine's result (not the report)."""
    reported = [f for item in cases for f in item.diagnosis.reported]
    assert reported, "every seed scenario has a reported finding"
    return max(reported, key=lambda f: f.confidence)


def _plain(text: str) -> str:
    """Text as read on screen: whitespace collapsed, code-span backticks dropped."""
    return " ".join(str(text).replace("`", "").split())


def _markdown_text(markdown: str) -> str:
    """What a reader sees of the Markdown once GitHub-style rendered (tags stripped)."""
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    return _plain(html_lib.unescape(re.sub(r"<[^>]+>", "", rendered)))


_REFERENCE_ATTRIBUTES = ("src", "href", "srcset", "data", "action", "formaction", "poster", "background",
                         "xlink:href", "manifest", "codebase", "cite", "longdesc", "usemap")


def assert_self_contained(document: str) -> _Page:
    """Nothing the page would fetch: no script/link/frame, every reference a ``data:`` URI
    (or an anchor), no ``http(s):`` in any attribute, CSS ``url(`` only of ``data:``, no
    ``@import``. (An address in the text a reader sees is not a reference.)"""
    page = _parse(document)
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "frame", "object", "embed", "base", "audio", "video",
                           "source", "track", "form"), tag
        for name, value in attrs.items():
            value = value or ""
            if name in _REFERENCE_ATTRIBUTES:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
            elif not value.startswith("data:"):
                assert not re.search(r"https?:|//|url\s*[=(]", value, re.I), (tag, name, value[:60])
    urls = re.findall(r"url\(\s*['\"]?([^)'\"]*)", document, re.I)
    assert all(u.startswith("data:") for u in urls), urls[:3]
    assert "@import" not in document
    return page


def _curve_tables(markdown: str, lang: str) -> list[list[list[str]]]:
    axes = (label("epoch", lang), label("step", lang))
    return [t for t in _tables(markdown) if t[0][0] in axes and t[0][-1] == label("note", lang)]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("path", SEED_INPUTS)
def test_markdown_of_every_seed_scenario(path, lang):
    loaded, cases, report = _scenario(path, lang)
    md = render(report, "md")
    top = _top_reported(cases)
    title = _plain(top.title.render(lang))
    assert title in _markdown_text(md)
    # The top finding leads the report, in the quote under the title.
    quote = next(line for line in md.splitlines() if line.startswith("> "))
    assert _markdown_text(quote).startswith(title), quote
    assert f"`{top.cause}`" in md
    tables = _tables(md)
    for table in tables:
        assert all(len(row) == len(table[0]) for row in table), table[0]
    curves = _curve_tables(md, lang)
    summaries = [run for case in report.cases for run in case.runs if run.table is not None]
    if any(run.epoch_count or run.step_count for run in loaded.runs):
        # Its epoch table: one per run, header = axis, the logged metrics, the symptom notes,
        # the rows the content chose (first and last epoch included), in order.
        assert summaries and len(curves) == len(summaries)
        assert any(t[0][0] == label("epoch", lang) for t in curves)
        for run, table in zip(summaries, curves):
            assert table[0] == [W.axis_word(run.table.axis, lang), *run.table.columns, label("note", lang)]
            shown = [int(row[0]) for row in table[1:] if row[0] != "…"]
            assert shown == [row.x for row in run.table.rows]
            assert len(shown) >= 2 and shown == sorted(shown)
            assert shown[0] == run.table.rows[0].x and len(shown) <= run.table.total_rows
    else:  # a post with code and prose, no log: the model, no curves
        assert not summaries and not curves
        assert any(case.model is not None for case in report.cases)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("path", SEED_INPUTS)
def test_html_of_every_seed_scenario_is_self_contained(path, lang):
    _loaded, cases, report = _scenario(path, lang)
    charts = _fake_charts(report)
    document = render_html(report, charts)
    assert document.startswith("<!DOCTYPE html>")
    page = assert_self_contained(document)
    text = _plain(" ".join(page.text))
    top = _top_reported(cases)
    title = _plain(top.title.render(lang))
    assert title in text
    assert f'<p class="top"><b>{html_lib.escape(top.title.render(lang))}</b>' in document
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(charts) == sum(1 for case in report.cases if case.runs)
    assert all(src.startswith("data:image/png;base64,") for src in images)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("path", SEED_INPUTS)
def test_json_of_every_seed_scenario_validates_and_is_the_cli_output(path, lang, capsys):
    loaded, cases, report = _scenario(path, lang)
    text = render(report, "json")
    data = json.loads(text)
    jsonschema.validate(data, SCHEMA)
    assert data["language"] == lang
    assert data["inputs"] == inputs_from(loaded.runs, loaded.models)
    top = _top_reported(cases)
    assert (data["findings"][0]["cause"], data["findings"][0]["title"]) == (top.cause, top.title.render(lang))
    assert cli_main(["diagnose", str(path), "--format", "json", "--lang", lang]) == 0
    assert capsys.readouterr().out == text


def test_seed003_essay_is_read_as_prose_and_names_no_cause():
    """The one seed post the scenarios leave out: an essay of lessons, with neither a log nor
    code. It is read as prose (no refusal): what it describes is evidence of kind described,
    which alone never makes a reported finding."""
    loaded = load_path(SEEDS / "seed003.txt")
    assert [run.format for run in loaded.runs] == ["prose"] and not loaded.runs[0].epochs
    assert any(s.kind == "symptom" for s in loaded.runs[0].statements)
    (case,) = diagnose_all(loaded.runs, loaded.models)
    assert all(s.kind == "described" for s in case.diagnosis.symptoms)
    assert not [f for f in case.diagnosis.findings if f.confidence >= REPORTING_THRESHOLD]


# -- writing ---------------------------------------------------------------------------------
def test_write_report_writes_a_new_file_and_never_an_input(tmp_path):
    log = tmp_path / "seed004.txt"
    log.write_bytes((SEEDS / "seed004.txt").read_bytes())
    before = log.read_bytes()
    runs = load_path(log).runs
    report = build_report(diagnose_all(runs, []), inputs_from(runs, []), "en")
    out = tmp_path / "report.md"
    assert write_report(report, "md", out, inputs=[str(log)]) == str(out)
    assert out.read_text(encoding="utf-8") == render(report, "md")
    with pytest.raises(OutputError):
        write_report(report, "md", log, inputs=[str(log)])
    assert log.read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".traindoc-")], "a temporary file was left"
    with pytest.raises(ValueError):
        render(report, "docx")


def test_format_follows_the_file_name():
    assert [format_for_path(p) for p in ("a.PDF", "b.html", "c.htm", "d.md", "e.json", "f.txt")] == \
        ["pdf", "html", "html", "md", "json", None]


def test_pure_renderings_import_neither_qt_nor_tensorflow():
    code = (
        "import sys\n"
        "from app.io.load import load_path\n"
        "from app.rules.engine import diagnose_all\n"
        "from app.report import build_report, inputs_from, render\n"
        "from app.report.html import render_html\n"
        f"runs = load_path({str(SEEDS / 'seed004.txt')!r}).runs\n"
        "report = build_report(diagnose_all(runs, []), inputs_from(runs, []), 'en')\n"
        "md, js, page = render(report, 'md'), render(report, 'json'), render_html(report, [])\n"
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'tensorflow', 'keras', 'tf_keras') if m in sys.modules]\n"
        "print(bad, 'tensorflow' in md)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "True"]


# -- the PDF text layer repair (pure) --------------------------------------------------------
_QT_STYLE_CMAP = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                  b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n3 beginbfrange\n"
                  b"<0000> <0000> <0000>\n<0001> <0004> [<0044> <0009> <2F63> <6210> ]\n"
                  b"<0005> <0007> <0030>\nendbfrange\n1 beginbfchar\n<0008> <FB01>\nendbfchar\nendcmap\n")


def _tiny_pdf(cmap: bytes) -> bytes:
    """A minimal PDF shaped as Qt writes them: numbered objects, a classic xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /X /ToUnicode 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"endstream",
        b"<< /Producer (test) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _xref(pdf: bytes) -> dict[int, int]:
    at = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
    assert pdf[at:at + 4] == b"xref"
    lines = pdf[at:pdf.index(b"trailer", at)].split(b"\n")[2:]
    return {n: int(line[:10]) for n, line in enumerate(lines) if line.endswith(b"n ")}


def test_cmap_parse_and_build_round_trip():
    mapping = parse_cmap(_QT_STYLE_CMAP)
    assert mapping == {0: "\x00", 1: "D", 2: "\t", 3: "\u2f63", 4: "成", 5: "0", 6: "1", 7: "2", 8: "\ufb01"}
    assert parse_cmap(build_cmap(mapping)) == mapping


def test_text_layer_repair_rewrites_the_cmap_and_keeps_the_file_consistent():
    pdf = _tiny_pdf(_QT_STYLE_CMAP)
    fixed = fix_to_unicode(pdf, default_replacement)
    assert fixed != pdf
    for number, offset in _xref(fixed).items():
        assert fixed[offset:].startswith(b"%d 0 obj" % number), number
    stream = fixed[fixed.index(b"4 0 obj"):]
    length = int(re.search(rb"/Length (\d+)", stream).group(1))
    body = stream[stream.index(b"stream\n") + 7:]
    assert body[length:].startswith(b"endstream")
    mapping = parse_cmap(body[:length])
    assert (mapping[2], mapping[3], mapping[4], mapping[8]) == (" ", "生", "成", "fi")
    assert fixed.endswith(b"%%EOF\n") and b"<< /Producer (test) >>" in fixed
    # Nothing to repair: the bytes stay as they were; a file it cannot read is left alone.
    clean = _tiny_pdf(build_cmap({1: "D", 2: "生"}))
    assert fix_to_unicode(clean, default_replacement) == clean
    assert fix_to_unicode(b"not a pdf", default_replacement) == b"not a pdf"


def test_a_report_of_a_training_script_shows_each_fix_as_a_diff_of_it(tmp_path, capsys):
    """With the training script given as a file, a reported fix is shown as the change in
    that script (a unified diff), in Markdown and in HTML."""
    from app.cli import main
    from tests.unit.test_script_patches import KERAS2

    script = tmp_path / "train.py"
    script.write_text(KERAS2, encoding="utf-8")
    assert main(["diagnose", "--code", str(script), "--format", "md"]) == 0
    markdown = capsys.readouterr().out
    assert "The change in `train.py`:" in markdown and "```diff" in markdown
    assert "-model.add(Dense(10, activation='relu'))\n  +model.add(Dense(10, activation='softmax'))" in markdown
    html_path = tmp_path / "report.html"
    assert main(["diagnose", "--code", str(script), "-o", str(html_path)]) == 0
    page = html_path.read_text(encoding="utf-8")
    assert '<code class="language-diff">' in page and "+model.add(Dense(10, activation=&#x27;softmax&#x27;))" in page
    assert script.read_text(encoding="utf-8") == KERAS2


def test_a_report_of_a_model_file_with_its_script_diffs_the_script(tmp_path, capsys):
    from app.cli import main
    from tests.unit.test_code_reader import RUNS, scenario_code

    script = tmp_path / "train.py"
    script.write_text(scenario_code("seed004_relu_cce_nan"), encoding="utf-8")
    folder = RUNS / "seed004_relu_cce_nan"
    assert main(["diagnose", str(folder / "model.keras"), str(folder / "console_v1.txt"), "--code", str(script),
                 "--format", "md"]) == 0
    markdown = capsys.readouterr().out
    assert '-                              layers.Dense(2, activation="relu")])' in markdown
    assert '+                              layers.Dense(2, activation="softmax")])' in markdown


def test_reports_for_people_show_the_home_folder_as_a_tilde_and_json_keeps_paths_whole(monkeypatch):
    """A Markdown report pasted into a forum post does not carry the user's name and folder
    layout: paths under the home folder read ``~/...`` in the inputs table, the evidence and
    the settings; the JSON for machines keeps them whole."""
    monkeypatch.setenv("HOME", str(ROOT / "tests"))
    folder = RUNS / "seed004_relu_cce_nan"
    loaded = load_path(folder)
    report = build_report(diagnose_all(loaded.runs, loaded.models), inputs_from(loaded.runs, loaded.models), "en")
    home = str(ROOT / "tests")
    for fmt, text in (("md", render(report, "md")), ("html", render_html(report, []))):
        assert home not in text, fmt
        assert "~/fixtures/runs/seed004_relu_cce_nan/model.keras" in text, fmt
    assert home in render(report, "json")
