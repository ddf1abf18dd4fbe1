"""The HTML report: one self-contained file, readable on a phone, nothing fetched from outside.

The stylesheet (``resources/report/report.css``) is inlined and the charts are PNG images
in ``data:`` URIs, so the file can be mailed, attached to a lab notebook or opened offline.
The page has a viewport meta and a fluid width; wide tables scroll on their own.

The PDF (:mod:`app.report.pdf`) lays out the same HTML with Qt's rich-text engine; for it
``for_qt=True`` adds the table attributes Qt understands and names the images as document
resources instead of data URIs.
"""

from __future__ import annotations

import base64
import html
import logging
import os
from typing import Callable, Iterable, Mapping, Sequence

from app.core.diagnosis import Finding
from app.report import wording as W
from app.report.content import CaseReport, CurveTable, Report, display_path, human_size
from app.report.labels import label

log = logging.getLogger(__name__)

_CSS_FALLBACK = "body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}img{max-width:100%}"


def _css() -> str:
    try:
        from app.resources import resource_path

        return resource_path("report", "report.css").read_text(encoding="utf-8")
    except (OSError, FileNotFoundError):  # a broken installation still gets a readable page
        log.warning("report.css not found; using a minimal style")
        return _CSS_FALLBACK


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


class _Writer:
    """Accumulates markup; knows whether it writes for a browser or for Qt's rich text."""

    def __init__(self, for_qt: bool) -> None:
        self.for_qt = for_qt
        self.parts: list[str] = []

    def add(self, *chunks: str) -> None:
        self.parts.extend(chunks)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] = (),
              row_classes: Sequence[str] = ()) -> None:
        """A table; cells are already-escaped HTML."""
        attrs = ' border="1" cellspacing="0" cellpadding="3" width="100%"' if self.for_qt else ""
        self.add('<div class="scroll">' if not self.for_qt else "", f"<table{attrs}><thead><tr>")
        self.add(*(f"<th>{h}</th>" for h in header))
        self.add("</tr></thead><tbody>")
        for index, row in enumerate(rows):
            cls = row_classes[index] if index < len(row_classes) and row_classes[index] else ""
            style = ""
            if self.for_qt and cls == "flagged":
                style = ' bgcolor="#fdecea"'
            elif self.for_qt and cls == "symptom":
                style = ' bgcolor="#fff4e5"'
            self.add(f'<tr class="{cls}"{style}>' if cls else "<tr>")
            for col, value in enumerate(row):
                num = col < len(numeric) and numeric[col]
                align = ' align="right"' if num and self.for_qt else ""
                self.add(f'<td class="num"{align}>{value}</td>' if num else f"<td>{value}</td>")
            self.add("</tr>")
        self.add("</tbody></table>", "</div>" if not self.for_qt else "")

    def code(self, text: str, language: str = "python") -> None:
        if self.for_qt:
            self.add('<pre style="background-color:#f6f8fa">', e(text), "</pre>")
        else:
            self.add(f'<pre><code class="language-{language}">', e(text), "</code></pre>")


def _curve_table(w: _Writer, curves: CurveTable, lang: str) -> None:
    header = [e(W.axis_word(curves.axis, lang))] + [e(c) for c in curves.columns] + [e(label("note", lang))]
    rows, classes = [], []
    for row in curves.rows:
        if row.gap_before:
            rows.append(["…"] + [""] * (len(header) - 1))
            classes.append("gap")
        rows.append([str(row.x)] + [e(W.cell(v)) for v in row.values] + [e(", ".join(row.notes))])
        classes.append("symptom" if row.notes else "")
    w.table(header, rows, [True] * (len(curves.columns) + 1), classes)
    w.add(f'<p class="meta">{e(label("table_caption", lang, axis=W.axis_word(curves.axis, lang)))}</p>')
    if curves.left_out:
        w.add(f'<p class="meta">{e(label("more_columns", lang, count=len(curves.left_out), names=", ".join(curves.left_out)))}</p>')


def _finding(w: _Writer, rank: int | None, finding: Finding, lang: str,
             script_changes: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> None:
    prefix = f"{rank}. " if rank is not None else ""
    w.add('<div class="finding">')
    w.add(f"<h4>{prefix}{e(finding.title.render(lang))} <code>{e(finding.cause)}</code></h4>")
    w.add(f'<p class="meta">{e(W.finding_meta(finding, lang))}</p>')
    w.add(f"<p><b>{e(label('why', lang))}:</b> {e(finding.explanation.render(lang))}</p>")
    w.add(f"<h5>{e(label('evidence', lang))}</h5>", '<ul class="evidence">')
    for item in finding.evidence:
        stance = "for" if item.weight > 0 else ("against" if item.weight < 0 else "context")
        where = W.evidence_where(item, lang)
        where_html = f" <code>{e(where)}</code>" if where else ""
        colour = {"for": "#1a5e20", "against": "#8a1c1c", "context": "#555555"}[stance]
        style = f' style="color:{colour}"' if w.for_qt else ""
        w.add(f'<li class="{stance}"{style}>{e(W.evidence_mark(item))} <i>{e(W.evidence_stance(item, lang))}</i>: '
              f"{e(item.describe(lang))}{where_html}</li>")
    w.add("</ul>")
    if finding.fixes:
        w.add(f"<h5>{e(label('fixes', lang))}</h5>", '<ul class="fixes">')
        for fix in finding.fixes:
            badge = fix.applicability if fix.applicability in ("safe", "review", "manual") else "review"
            w.add(f'<li><span class="badge {badge}">{e(W.applicability(fix, lang))}</span> '
                  f"{e(W.fix_title(fix, lang))}")
            change = (script_changes or {}).get((finding.cause, fix.id))
            if change is not None:  # the fix made in the user's own script
                w.add(f"<p>{e(label('script_change', lang, path=os.path.basename(change[0])))}:</p>")
                w.code(change[1], "diff")
            elif fix.code:
                w.code(fix.code)
            w.add("</li>")
        w.add("</ul>")
    if finding.settle is not None:
        w.add(f"<p><b>{e(label('settle', lang))}:</b> {e(finding.settle.render(lang))}</p>")
    w.add("</div>")


def _case(w: _Writer, index: int, case: CaseReport, report: Report, images: dict[int, tuple[str, int, int]],
          image_width: int | None) -> None:
    lang = report.lang
    # On paper every case starts on a new page (its chart under its heading).
    breaks = ' style="page-break-before: always"' if w.for_qt and index > 0 else ""
    w.add(f'<section class="case" id="case-{index + 1}">', f"<h2{breaks}>{e(W.case_heading(case, lang))}</h2>")
    if case.runs:
        w.add(f"<h3>{e(label('curves', lang))}</h3>")
        if index in images:
            src, width, height = images[index]
            shown_w = image_width or width
            shown_h = round(height * shown_w / width)
            alt = e(label("curves", lang) + ": " + ", ".join(r.name for r in case.runs))
            if w.for_qt:
                w.add(f'<p><img src="{e(src)}" width="{shown_w}" height="{shown_h}" alt="{alt}"></p>')
            else:
                w.add(f'<figure><img class="chart" src="{src}" width="{width}" height="{height}" alt="{alt}">')
                w.add(f"<figcaption>{e(label('chart_caption', lang))}</figcaption></figure>")
            if w.for_qt:
                w.add(f'<p class="meta">{e(label("chart_caption", lang))}</p>')
        for run in case.runs:
            w.add(f"<h4>{e(run.name)}</h4>",
                  f"<p><code>{e(run.format)}</code> — {e(W.run_line(run, lang))}</p>")
            if run.table is not None:
                _curve_table(w, run.table, lang)
            if run.evaluations:
                w.add(f"<h5>{e(label('evaluations', lang))}</h5><ul>")
                w.add(*(f"<li>{e(W.evaluation_line(item, lang))}</li>" for item in run.evaluations))
                w.add("</ul>")
            if run.events:
                w.add(f"<h5>{e(label('events', lang))}</h5><ul>")
                for kind, epoch, text in run.events:
                    when = f" ({e(W.axis_word('epoch', lang))} {epoch})" if epoch else ""
                    w.add(f"<li><code>{e(kind)}</code>{when}: {e(text)}</li>")
                w.add("</ul>")
    w.add(f"<h3>{e(label('symptoms', lang))}</h3>")
    if case.symptoms:
        w.add("<ul>")
        for symptom in case.symptoms:
            w.add(f"<li><b><code>{e(symptom.id)}</code></b> ({e(W.symptom_where(symptom, lang))}): "
                  f"{e(symptom.describe(lang))}</li>")
        w.add("</ul>")
    elif case.runs:
        w.add(f"<p>{e(label('no_symptoms', lang))}</p>")
    w.add(f"<h3>{e(label('findings', lang))}</h3>")
    if not case.findings:
        w.add(f"<p>{e(label(case.nothing_label, lang))}</p>")
    for rank, finding in enumerate(case.findings, start=1):
        _finding(w, rank, finding, lang, case.script_changes)
    if case.possible and not report.include_all:
        w.add(f"<h3>{e(label('possible', lang))}</h3>", "<ul>")
        for finding in case.possible:
            settle = f": {e(finding.settle.render(lang))}" if finding.settle is not None else ""
            w.add(f"<li>{e(finding.title.render(lang))} <code>{e(finding.cause)}</code> "
                  f"({finding.confidence:.2f}){settle}</li>")
        w.add("</ul>")
    if report.include_all and case.weaker:
        w.add(f"<h3>{e(label('weaker', lang, threshold=case.diagnosis.threshold))}</h3>")
        for finding in case.weaker:
            _finding(w, None, finding, lang)
    if case.not_checked and (case.symptoms or report.include_all):
        items = "; ".join(f"<code>{e(n.rule)}</code> ({e(n.reason.render(lang))})" for n in case.not_checked)
        w.add(f"<p><b>{e(label('not_checked', lang))}:</b> {items}</p>")
    model = case.model
    if model is not None:
        w.add(f"<h3>{e(label('model_summary', lang))}</h3>", f"<p>{e(W.model_line(model, lang))}</p>")
        if not model.complete:
            w.add(f'<p class="meta">{e(label("partial_model", lang))}</p>')
        params = W.params_line(model, lang)
        if params:
            w.add(f"<p>{e(params)}</p>")
        if model.flagged:
            w.add(f"<p><b>{e(label('flagged_layers', lang, names=', '.join(model.flagged)))}</b></p>")
        if model.layers:
            header = [e(label(k, lang)) for k in ("layer", "type", "output_shape", "param_count",
                                                   "activation", "trainable", "flag")]
            rows = [[e(layer.name), e(layer.class_name), e(layer.output_shape), e(W.count(layer.params)),
                     e(layer.activation or ""), e(label("yes" if layer.trainable else "no", lang)),
                     ("⚠ " + e(label("flagged", lang))) if layer.flagged else ""] for layer in model.layers]
            w.table(header, rows, [False, False, False, True], ["flagged" if layer.flagged else "" for layer in model.layers])
            if model.layers_left_out:
                w.add(f'<p class="meta">{e(label("layers_left_out", lang, count=model.layers_left_out))}</p>')
    if case.trials:
        w.add(f"<h3>{e(label('trials', lang))}</h3>",
              "<ul>" + "".join(f"<li>{e(line)}</li>" for line in W.trial_lines(case.trials, lang)) + "</ul>")
    if case.probe:
        w.add(f"<h3>{e(label('probe', lang))}</h3>", f"<p>{e(W.probe_line(case, lang))}</p>")
        if case.probe.get("skipped"):
            w.add(f'<p class="meta">{e(label("probe_skipped", lang, what="; ".join(case.probe["skipped"])))}</p>')
        rows = [[e(cell) for cell in row] for row in case.probe_rows()]
        if rows:
            w.table([e(label(k, lang)) for k in ("layer", "dead_units", "saturated", "grad_rms", "weight_rms")], rows,
                    [False, True, True, True, True], ["" for _ in rows])
        rows = [[e(cell) for cell in row] for row in case.batchnorm_rows()]
        if rows:
            w.table([e(label(k, lang)) for k in ("layer", "channels", "mean_shift", "variance_ratio")], rows,
                    [False, True, True, True], ["" for _ in rows])
    rows = W.settings_rows(case, lang)
    w.add(f"<h3>{e(label('settings', lang))}</h3>")
    if rows:
        w.table([e(label("setting", lang)), e(label("value", lang)), e(label("source", lang))],
                [[e(name), e(value), f"<code>{e(source)}</code>" if source else ""] for name, value, source in rows])
    else:
        w.add(f"<p>{e(label('no_settings', lang))}</p>")
    w.add("</section>")


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(report: Report, charts: list | None = None, *, for_qt: bool = False,
                image_src: Callable[[object], str] | None = None, image_width: int | None = None) -> str:
    """The report as one HTML document.

    ``charts``: :class:`app.report.charts.Chart` list (drawn now when None). ``image_src``
    names a chart's image (a ``data:`` URI by default); ``image_width`` scales the images
    to that width (the PDF's text width).
    """
    lang = report.lang
    note = ""
    if charts is None:
        charts, note = _draw_charts(report)
    source = image_src or (lambda chart: data_uri(chart.png))
    images = {chart.case: (source(chart), chart.width, chart.height) for chart in charts}
    w = _Writer(for_qt)
    html_lang = "zh-CN" if lang == "zh_CN" else "en"
    w.add("<!DOCTYPE html>", f'<html lang="{html_lang}"><head><meta charset="utf-8">',
          '<meta name="viewport" content="width=device-width, initial-scale=1">',
          '<meta name="generator" content="TrainDoc ' + e(report.traindoc) + '">',
          f"<title>{e(label('title', lang))}</title>")
    if not for_qt:
        w.add("<style>", _css(), "</style>")
    w.add("</head><body><main>", f"<h1>{e(label('title', lang))}</h1>",
          f'<p class="meta">{e(W.generated_line(report))}</p>')
    top = report.top_findings()
    if top:
        best = top[0]
        w.add(f'<p class="top"><b>{e(best.title.render(lang))}</b> (<code>{e(best.cause)}</code>, '
              f"{e(W.finding_meta(best, lang))})</p>")
    if note:
        w.add(f'<p class="meta">{e(note)}</p>')
    w.add(f"<h2>{e(label('inputs', lang))}</h2>")
    if report.inputs:
        w.table([e(label(k, lang)) for k in ("file", "format", "kind", "size")],
                [[f"<code>{e(display_path(f.path))}</code>", e(f.format), e(W.kind_name(f.kind, lang)), e(human_size(f.size))]
                 for f in report.inputs], [False, False, False, True])
    else:
        w.add(f"<p>{e(label('no_inputs', lang))}</p>")
    if report.data:
        w.add(f"<h3>{e(label('data_sample', lang))}</h3>")
        w.add("<ul>" + "".join(f"<li>{e(line)}</li>" for line in W.data_lines(report.data, lang)) + "</ul>")
    for index, case in enumerate(report.cases):
        _case(w, index, case, report, images, image_width)
    w.add(f"<h2>{e(label('versions', lang))}</h2>")
    w.table([e(label("library", lang)), e(label("version", lang))],
            [["TrainDoc", e(report.traindoc)]] + [[e(name), e(version or label("not_installed", lang))]
                                                   for name, version in report.versions])
    w.add("</main></body></html>\n")
    return "".join(w.parts)


def _draw_charts(report: Report) -> tuple[list, str]:
    """The charts, or none and a note saying why (Qt missing or unusable here)."""
    try:
        from app.report.charts import render_charts

        return render_charts(report), ""
    except (ImportError, RuntimeError) as error:
        log.warning("charts not drawn: %s", error)
        return [], label("charts_unavailable", report.lang, reason=str(error))
