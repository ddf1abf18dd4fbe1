"""Sentences and cells the Markdown and HTML renderings share (plain text, unescaped).

Keeping them here makes the two renderings say the same thing in the same words; each
renderer only adds its own markup and escaping.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from app.core.diagnosis import Evidence, Finding, Fix, Symptom
from app.core.i18n import format_number
from app.core.serialize import from_number
from app.report.content import CaseReport, ModelSummary, Report, RunSummary, display_path
from app.report.labels import SETTING_NAMES, L, label


def case_heading(case: CaseReport, lang: str) -> str:
    what = [label("run", lang, name=r.name) for r in case.runs]
    if case.model is not None:
        what.append(label("model", lang, name=case.model.name))
    return label("case", lang, what=", ".join(what) or "-")


def generated_line(report: Report) -> str:
    return label("generated", report.lang, time=report.created.isoformat(sep=" "), version=report.traindoc)


def kind_name(kind: str, lang: str) -> str:
    return label({"model": "kind_model", "data": "kind_data", "validation_data": "kind_validation_data"}.get(kind, "kind_run"),
                 lang)


def trial_lines(trials: list, lang: str) -> list[str]:
    """One sentence per fix tried on the data sample: the metric of both arms and the verdict
    (the reports' section and ``traindoc verify``'s text)."""
    from app.rules.verified import shown_summary

    lines = []
    for trial in trials:
        original, patched = trial.get("original") or {}, trial.get("patched") or {}
        lines.append(label("trial_line", lang, fix=trial.get("fix"), cause=trial.get("cause"),
                           metric=trial.get("metric"), patched=shown_summary(patched), original=shown_summary(original),
                           seeds=trial.get("seeds"), epochs=patched.get("epochs", 0),
                           verdict=label(f"verdict_{trial.get('verdict')}", lang)))
    return lines


def data_lines(data: Any, lang: str) -> list[str]:
    """The data sample's measurements (app.rules.data.sample_facts) as sentences."""
    if not data:
        return []
    lines = [label("data_rows", lang, path=os.path.basename(str(data.get("path", ""))) or "sample",
                   rows=data.get("rows", 0), total=data.get("rows_total", 0))]
    labels = data.get("labels")
    if labels:
        shares = labels.get("shares") or []
        encoding = labels.get("encoding", "?")
        lines.append(label("data_labels", lang, encoding=label(f"encoding_{encoding}", lang) if f"encoding_{encoding}" in L
                           else encoding, classes=labels.get("classes", 0),
                           largest=f"{100 * max(shares):.1f}" if shares else "–")
                     + (" " + label("data_sorted", lang) if labels.get("sorted_by_class") else ""))
    def inputs_line(key: str, inputs: dict) -> str:
        return label(key, lang, low=cell(inputs.get("low")) or "–", high=cell(inputs.get("high")) or "–",
                     mean_abs=cell(inputs.get("mean_abs")) or "–", nonfinite=inputs.get("nonfinite", 0),
                     constant=inputs.get("constant_features", 0), features=inputs.get("features", 0))

    if data.get("inputs"):
        lines.append(inputs_line("data_inputs", data["inputs"]))
    validation = data.get("validation")
    if validation:
        lines.append(label("data_validation", lang, rows=validation.get("rows", 0),
                           shared=validation.get("shared_rows", "–"), differ=validation.get("labels_differ", "–")))
        if validation.get("inputs"):
            lines.append(inputs_line("data_validation_inputs", validation["inputs"]))
    return lines


def axis_word(axis: str, lang: str) -> str:
    return label("step" if axis == "step" else "epoch", lang)


def cell(value: Any) -> str:
    """One table value as people read it in a log (4 significant digits, nan spelled)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def count(value: int | None) -> str:
    """A parameter count with thousands separators (14,751,554)."""
    return "" if value is None else f"{value:,}"


def run_line(run: RunSummary, lang: str) -> str:
    axis = label("steps" if run.axis == "step" else "epochs", lang)
    return label("run_summary", lang, points=run.points, axis=axis, metrics=", ".join(run.metrics) or "-")


def symptom_where(symptom: Symptom, lang: str) -> str:
    """"loss, epochs 3–5" (or just the metric when the symptom has no range)."""
    parts = [symptom.metric] if symptom.metric else []
    if symptom.start is not None:
        axis = axis_word(symptom.axis, lang)
        end = symptom.end if symptom.end is not None else symptom.start
        parts.append(label("at", lang, axis=axis, start=symptom.start) if end == symptom.start
                     else label("range", lang, axis=axis, start=symptom.start, end=end))
    parts.append(label("strength", lang, value=f"{symptom.strength:.2f}"))
    return ", ".join(parts)


def symptom_title(symptom_id: str, lang: str) -> str:
    """The detector's title for a symptom id (the id itself when unknown)."""
    try:
        from app.rules import registry

        return registry.detector(symptom_id).title.render(lang)
    except (KeyError, ImportError, AttributeError):
        return symptom_id


def evidence_mark(item: Evidence) -> str:
    return "+" if item.weight > 0 else ("−" if item.weight < 0 else "·")


def evidence_stance(item: Evidence, lang: str) -> str:
    return label("for" if item.weight > 0 else ("against" if item.weight < 0 else "context"), lang)


def evidence_where(item: Evidence, lang: str) -> str:
    """Where the evidence points: a layer, or file:line."""
    where = label("layer_ref", lang, name=item.where["layer"]) if item.where.get("layer") else ""
    if item.source is not None and item.source.path:
        if not where or item.source.snippet:  # a layer read from code: its line and code too
            shown = replace(item.source, path=display_path(item.source.path))
            where = f"{where} {shown.cited()}".strip()
    return where


def finding_meta(finding: Finding, lang: str) -> str:
    parts = [label("confidence", lang, value=f"{finding.confidence:.2f}")]
    if finding.run:
        parts.append(label("finding_run", lang, name=finding.run))
    return ", ".join(parts)


def fix_title(fix: Fix, lang: str) -> str:
    return fix.title.render(lang, fix.params)


def applicability(fix: Fix, lang: str) -> str:
    return label(fix.applicability if fix.applicability in ("safe", "review", "manual") else "review", lang)


def evaluation_line(evaluation: tuple, lang: str) -> str:
    what, after, values = evaluation
    text = ", ".join(f"{name} {cell(value)}" for name, value in values.items())
    if after is not None:
        return label("evaluation", lang, label=what or "?", epoch=after, values=text)
    return label("evaluation_plain", lang, values=text)


def settings_rows(case: CaseReport, lang: str) -> list[tuple[str, str, str]]:
    """(setting, value, source) rows: fit settings seen in the logs, then the compile settings."""
    rows: list[tuple[str, str, str]] = []
    for run in case.runs:
        prefix = f"{run.name}: " if len(case.runs) > 1 else ""
        for key, value, source in run.settings:
            name = SETTING_NAMES[key].render(lang) if key in SETTING_NAMES else key
            rows.append((prefix + name, cell(value), source))
    model = case.model
    if model is not None:
        source = display_path(model.source_path)
        if model.loss:
            rows.append((label("loss", lang), model.loss, source))
        if model.optimizer:
            rows.append((label("optimizer", lang), model.optimizer, source))
            for key, value in model.optimizer_settings.items():
                rows.append((f"{model.optimizer}.{key}", cell(value), source))
        if model.metrics:
            rows.append((label("metrics", lang), ", ".join(model.metrics), source))
    return rows


def params_line(model: ModelSummary, lang: str) -> str | None:
    if model.params_total is None:
        return None
    return label("params", lang, total=count(model.params_total), trainable=count(model.params_trainable) or "?",
                 frozen=count(model.params_frozen) or "?")


def model_line(model: ModelSummary, lang: str) -> str:
    text = label("model_line", lang, name=model.name, class_name=model.class_name, format=model.format)
    extra = [v for v in (f"Keras {model.keras_version}" if model.keras_version else None,
                         f"backend {model.backend}" if model.backend else None) if v]
    return text + (" — " + ", ".join(extra) if extra else "")


def probe_line(case: Any, lang: str) -> str:
    """One sentence on the probe of ``case``: rows, time, the two losses."""
    probe = case.probe or {}

    def loss(key: str) -> str:
        value = probe.get(key)
        return f"{value:.4g}" if isinstance(value, (int, float)) else str(value or "–")

    line = label("probe_line", lang, path=os.path.basename(case.probe_path) or "model", rows=probe.get("rows", 0),
                 seconds=probe.get("seconds", "?"), inference=loss("loss_inference"),
                 training=loss("loss_training_mode"))
    if isinstance(probe.get("chance_loss"), (int, float)):
        line += label("probe_chance", lang, classes=max(2, int(probe.get("output_units") or 2)),
                      chance=f"{probe['chance_loss']:.4g}")
    trial = probe.get("learn_trial")
    if isinstance(trial, dict):
        def number(key: str) -> str:
            value = trial.get(key)
            return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)

        line += ". " + label("probe_learned" if trial.get("learned") else "probe_not_learned", lang,
                             rows=trial.get("rows", 0), start=number("loss_start"), end=number("loss_end"),
                             steps=trial.get("steps", 0))
    if isinstance(probe.get("predicted_share"), (int, float)):
        entropy = probe.get("output_entropy")
        accuracy = probe.get("accuracy_inference")
        line += (" " if line.endswith(".") else ". ") + label(
            "probe_outputs", lang, accuracy=f"{accuracy:.4g}" if isinstance(accuracy, (int, float)) else "–",
            share=f"{100 * probe['predicted_share']:.1f}", rms=f"{from_number(probe.get('output_rms')):.3g}",
            entropy=label("probe_entropy", lang, entropy=f"{entropy:.2f}") if isinstance(entropy, (int, float)) else "")
    return line
