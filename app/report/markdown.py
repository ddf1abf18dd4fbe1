"""The Markdown report: ready to paste into a GitHub issue or a Stack Overflow question.

GitHub-flavoured Markdown that also reads well as plain text: pipe tables (a header row and
a separator row) for the inputs, the logged values and the model, the findings with their
evidence, and each fix's code in a ```python fence. No images: a forum post cannot carry
them inline, so the curves are the compact table of epochs.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Mapping, Sequence

from app.core.diagnosis import Finding
from app.report import wording as W
from app.report.content import CaseReport, CurveTable, Report, display_path, human_size
from app.report.labels import label


def escape_cell(text: str) -> str:
    """Text safe inside a pipe-table cell: pipes escaped, no line breaks."""
    return " ".join(str(text).replace("\\", "\\\\").replace("|", "\\|").split())


_LONE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def escape_inline(text: str) -> str:
    """Text safe in a paragraph: characters that would start emphasis, links or HTML escaped.

    Underscores inside words (``val_loss``) never start emphasis in GitHub Markdown, so they
    stay readable; lone ones are escaped. (Underscores inside a `code span` are literal, but
    a lone one there is rare enough to accept the visible backslash.)
    """
    out = str(text)
    # Backticks in rule texts mark code (`dense_2`): kept when they pair up.
    specials = ("\\", "*", "<", "[", "]") + (("`",) if out.count("`") % 2 else ())
    for char in specials:
        out = out.replace(char, "\\" + char)
    return _LONE_UNDERSCORE.sub(r"\\_", out)


def code_span(text: str) -> str:
    text = str(text)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    """A pipe table; ``align`` holds "l" or "r" per column."""
    align = align or ["l"] * len(header)
    lines = ["| " + " | ".join(escape_cell(h) for h in header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(escape_cell(c) for c in row) + " |")
    return lines


def _fence(code: str, language: str = "python") -> list[str]:
    fence = "```"
    while fence in code:
        fence += "`"
    return [fence + language, *code.rstrip("\n").split("\n"), fence]


def _curve_table(curves: CurveTable, lang: str) -> list[str]:
    header = [W.axis_word(curves.axis, lang), *curves.columns, label("note", lang)]
    rows = []
    for row in curves.rows:
        if row.gap_before:
            rows.append(["…"] + [""] * (len(header) - 1))
        rows.append([str(row.x), *(W.cell(v) for v in row.values), ", ".join(row.notes)])
    out = table(header, rows, ["r"] + ["r"] * len(curves.columns) + ["l"])
    out.append("")
    out.append("*" + escape_inline(label("table_caption", lang, axis=W.axis_word(curves.axis, lang))) + "*")
    if curves.left_out:
        out.append("")
        out.append(escape_inline(label("more_columns", lang, count=len(curves.left_out),
                                       names=", ".join(curves.left_out))))
    return out


def _finding(rank: int | None, finding: Finding, lang: str,
             script_changes: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> list[str]:
    prefix = f"{rank}. " if rank is not None else ""
    out = [f"#### {prefix}{escape_inline(finding.title.render(lang))} — {code_span(finding.cause)}",
           "",
           f"*{escape_inline(W.finding_meta(finding, lang))}*",
           "",
           f"**{label('why', lang)}:** {escape_inline(finding.explanation.render(lang))}",
           "",
           f"**{label('evidence', lang)}:**",
           ""]
    for item in finding.evidence:
        where = W.evidence_where(item, lang)
        where_text = f" ({code_span(where)})" if where else ""
        out.append(f"- {W.evidence_mark(item)} *{W.evidence_stance(item, lang)}*: "
                   f"{escape_inline(item.describe(lang))}{where_text}")
    if finding.fixes:
        out += ["", f"**{label('fixes', lang)}:**", ""]
        for fix in finding.fixes:
            out.append(f"- **[{W.applicability(fix, lang)}]** {escape_inline(W.fix_title(fix, lang))}")
            change = (script_changes or {}).get((finding.cause, fix.id))
            if change is not None:  # the fix made in the user's own script
                out += ["", "  " + label("script_change", lang, path=code_span(os.path.basename(change[0]))) + ":", ""]
                out.extend("  " + line if line else line for line in _fence(change[1], "diff"))
                out.append("")
            elif fix.code:
                out.append("")
                out.extend("  " + line if line else line for line in _fence(fix.code))
                out.append("")
    if finding.settle is not None:
        out += ["", f"**{label('settle', lang)}:** {escape_inline(finding.settle.render(lang))}"]
    out.append("")
    return out


def _case(case: CaseReport, lang: str, include_all: bool) -> list[str]:
    out = [f"## {escape_inline(W.case_heading(case, lang))}", ""]
    # Runs and their curves
    for run in case.runs:
        out += [f"### {label('curves', lang)}: {escape_inline(run.name)}", "",
                f"{code_span(run.format)} — {escape_inline(W.run_line(run, lang))}", ""]
        if run.table is not None:
            out += _curve_table(run.table, lang) + [""]
        if run.evaluations:
            out += [f"**{label('evaluations', lang)}:**", ""]
            out += [f"- {escape_inline(W.evaluation_line(e, lang))}" for e in run.evaluations] + [""]
        if run.events:
            out += [f"**{label('events', lang)}:**", ""]
            out += [f"- {code_span(kind)}" + (f" ({W.axis_word('epoch', lang)} {epoch})" if epoch else "")
                    + f": {escape_inline(text)}" for kind, epoch, text in run.events] + [""]
    # Symptoms
    out += [f"### {label('symptoms', lang)}", ""]
    if case.symptoms:
        for symptom in case.symptoms:
            out.append(f"- **{code_span(symptom.id)}** ({escape_inline(W.symptom_where(symptom, lang))}): "
                       f"{escape_inline(symptom.describe(lang))}")
    elif case.runs:
        out.append(label("no_symptoms", lang))
    out.append("")
    # Findings
    out += [f"### {label('findings', lang)}", ""]
    if not case.findings:
        out += [label(case.nothing_label, lang), ""]
    for rank, finding in enumerate(case.findings, start=1):
        out += _finding(rank, finding, lang, case.script_changes)
    if case.possible and not include_all:
        out += [f"### {escape_inline(label('possible', lang))}", ""]
        for finding in case.possible:
            settle = f": {finding.settle.render(lang)}" if finding.settle is not None else ""
            out.append(f"- {escape_inline(finding.title.render(lang))} {code_span(finding.cause)} "
                       f"({finding.confidence:.2f}){escape_inline(settle)}")
        out.append("")
    if include_all and case.weaker:
        out += [f"### {escape_inline(label('weaker', lang, threshold=case.diagnosis.threshold))}", ""]
        for finding in case.weaker:
            out += _finding(None, finding, lang)
    if case.not_checked and (case.symptoms or include_all):
        out += [f"**{label('not_checked', lang)}:** " + "; ".join(
            f"{code_span(n.rule)} ({escape_inline(n.reason.render(lang))})" for n in case.not_checked), ""]
    # Model
    model = case.model
    if model is not None:
        out += [f"### {label('model_summary', lang)}", "", escape_inline(W.model_line(model, lang)), ""]
        if not model.complete:
            out += [f"*{escape_inline(label('partial_model', lang))}*", ""]
        params = W.params_line(model, lang)
        if params:
            out += [params, ""]
        if model.flagged:
            out += [f"**{escape_inline(label('flagged_layers', lang, names=', '.join(model.flagged)))}**", ""]
        if model.layers:
            rows = [[layer.name, layer.class_name, layer.output_shape, W.count(layer.params),
                     layer.activation or "", label("yes" if layer.trainable else "no", lang),
                     "⚠ " + label("flagged", lang) if layer.flagged else ""] for layer in model.layers]
            out += table([label(k, lang) for k in ("layer", "type", "output_shape", "param_count",
                                                   "activation", "trainable", "flag")],
                          rows, ["l", "l", "l", "r", "l", "l", "l"])
            if model.layers_left_out:
                out += ["", escape_inline(label("layers_left_out", lang, count=model.layers_left_out))]
            out.append("")
    out += _probe(case, lang)
    if case.trials:
        out += [f"### {label('trials', lang)}", ""] + [f"- {escape_inline(line)}" for line in W.trial_lines(case.trials, lang)] + [""]
    # Settings
    rows = W.settings_rows(case, lang)
    out += [f"### {label('settings', lang)}", ""]
    if rows:
        out += table([label("setting", lang), label("value", lang), label("source", lang)],
                     [(name, value, source) for name, value, source in rows]) + [""]
    else:
        out += [label("no_settings", lang), ""]
    return out


def render_markdown(report: Report) -> str:
    lang = report.lang
    out = [f"# {label('title', lang)}", "", f"*{escape_inline(W.generated_line(report))}*", ""]
    top = report.top_findings()
    if top:
        best = top[0]
        out += [f"> **{escape_inline(best.title.render(lang))}** ({code_span(best.cause)}, "
                f"{escape_inline(W.finding_meta(best, lang))})", ""]
    out += [f"## {label('inputs', lang)}", ""]
    if report.inputs:
        out += table([label("file", lang), label("format", lang), label("kind", lang), label("size", lang)],
                     [(display_path(f.path), f.format, W.kind_name(f.kind, lang), human_size(f.size)) for f in report.inputs],
                     ["l", "l", "l", "r"])
    else:
        out.append(label("no_inputs", lang))
    out.append("")
    if report.data:
        out += [f"### {label('data_sample', lang)}", ""]
        out += [f"- {escape_inline(line)}" for line in W.data_lines(report.data, lang)]
        out.append("")
    for case in report.cases:
        out += _case(case, lang, report.include_all)
    out += [f"## {label('versions', lang)}", ""]
    out += table([label("library", lang), label("version", lang)],
                 [("TrainDoc", report.traindoc)] + [(name, version or label("not_installed", lang))
                                                      for name, version in report.versions])
    out.append("")
    return "\n".join(out)


def _probe(case: CaseReport, lang: str) -> list[str]:
    """What the probe measured inside the model on the data sample (issue 15)."""
    probe = case.probe
    if not probe:
        return []
    out = [f"### {label('probe', lang)}", "", escape_inline(W.probe_line(case, lang)), ""]
    if probe.get("skipped"):
        out += [escape_inline(label("probe_skipped", lang, what="; ".join(probe["skipped"]))), ""]
    rows = [list(row) for row in case.probe_rows()]
    if rows:
        out += table([label(k, lang) for k in ("layer", "dead_units", "saturated", "grad_rms", "weight_rms")], rows,
                     ["l", "r", "r", "r", "r"])
        out.append("")
    rows = [list(row) for row in case.batchnorm_rows()]
    if rows:
        out += table([label(k, lang) for k in ("layer", "channels", "mean_shift", "variance_ratio")], rows,
                     ["l", "r", "r", "r"])
        out.append("")
    return out
