"""What ``traindoc inspect`` prints: a readable text view and the JSON view."""

from __future__ import annotations

import math
from typing import Any

from app import __version__
from app.core.model import LayerSpec, ModelSpec
from app.core.read_summary import facts_text, model_facts, run_facts
from app.core.run import Run
from app.core.serialize import model_to_dict, run_to_dict
from app.io.load import Loaded


def render_json(loaded: Loaded) -> dict[str, Any]:
    models = [dict(model_to_dict(m), read=_facts_json(model_facts(m))) for m in loaded.models]
    return {
        "traindoc": __version__,
        "runs": [dict(run_to_dict(run), read=_facts_json(run_facts(run))) for run in loaded.runs],
        "model": models[0] if models else None,
        "models": models,
        "skipped": list(loaded.skipped),
    }


def _facts_json(facts) -> list[dict[str, Any]]:
    return [{"kind": f.kind, "count": f.count, "names": list(f.names)} for f in facts]


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


def _table(rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:  # type: ignore[assignment]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  " + "  ".join(cells).rstrip())
        if index == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return lines


def _run_text(run: Run) -> list[str]:
    out = [f"Run: {run.name}", f"  format: {run.format}   files: {', '.join(run.paths)}",
           f"  read: {facts_text(run_facts(run))}"]
    if run.epoch_count or run.step_count:
        counts = f"  epochs: {run.epoch_count}"
        if run.fit.epochs_planned:
            counts += f" (of {run.fit.epochs_planned} planned)"
        if run.step_count:
            counts += f"   steps: {run.step_count:,}"
        out.append(counts)
    fit = {k: v for k, v in run.fit.to_dict().items() if v is not None and k != "epochs_planned"}
    if fit:
        out.append("  fit: " + ", ".join(f"{k}={v}" for k, v in fit.items()))
    if run.epochs:
        out.append("  metrics (last value):")
        rows = [["metric", "train", "validation"]]
        last = run.last_values()
        for train, val in run.pairs():
            rows.append([train if not train.startswith("val_") else train[4:],
                         _fmt(last.get(train)) if not train.startswith("val_") else "-",
                         _fmt(last.get(val)) if val else (_fmt(last.get(train)) if train.startswith("val_") else "-")])
        out.extend("  " + line for line in _table(rows, {1, 2}))
    if run.steps:
        out.append("  per-step series: " + ", ".join(sorted(run.steps)))
    for ev in run.evaluations:
        label = f" ({ev.label})" if ev.label else ""
        values = ", ".join(f"{k}={_fmt(v)}" for k, v in ev.metrics.items())
        out.append(f"  evaluation{label}: {values}   [{ev.source}]")
    for event in run.events:
        epoch = f"epoch {event.epoch}: " if event.epoch is not None else ""
        out.append(f"  event {event.kind}: {epoch}{event.text.strip()}   [{event.source}]")
    for statement in run.statements:
        value = "" if statement.value is None else f" = {statement.value}"
        out.append(f"  said at line {statement.line}: \u201c{statement.sentence}\u201d -> "
                   f"{statement.kind} {statement.id}{value}")
    if isinstance(run.model, ModelSpec) and run.model.format == "code":
        out.append("  model built by the code quoted in the text (never run):")
        out.extend("  " + line for line in _model_text(run.model)[1:])
    elif isinstance(run.model, ModelSpec):
        out.append("  model.summary() table found in the log:")
        out.extend("  " + line for line in _model_lines(run.model))
    for warning in run.warnings:
        out.append(f"  note: {warning}")
    return out


def _layer_rows(layer: LayerSpec, total: int | None, depth: int) -> list[list[str]]:
    share = "-"
    if total and layer.params_total is not None:
        share = f"{100 * layer.params_total / total:.1f}%"
    frozen = "" if layer.trainable else " (frozen)"
    rows = [[
        "  " * depth + layer.name + frozen,
        layer.class_name,
        "-" if layer.units is None else str(layer.units),
        layer.activation or "-",
        _fmt(layer.params_total),
        share,
    ]]
    for sub in layer.sublayers:
        rows.extend(_layer_rows(sub, total, depth + 1))
    return rows


def _model_lines(model: ModelSpec) -> list[str]:
    rows = [["layer", "class", "units", "activation", "params", "share"]]
    for layer in model.layers:
        rows.extend(_layer_rows(layer, model.params_total, 0))
    lines = _table(rows, {2, 4, 5})
    lines.append(
        f"  total params: {_fmt(model.params_total)}   trainable: {_fmt(model.params_trainable)}"
        f"   non-trainable: {_fmt(model.params_non_trainable)}"
    )
    return lines


def _model_text(model: ModelSpec) -> list[str]:
    out = [f"Model: {model.name} ({model.class_name}, {model.format} file {model.source_path})",
           f"  read: {facts_text(model_facts(model))}"]
    out.extend(_model_lines(model))
    out.append(f"  output activation: {model.output_activation or '-'}"
               f"   output units: {model.output_units if model.output_units is not None else '-'}")
    if model.compile:
        for loss in model.compile.loss:
            logits = "" if loss.from_logits is None else f", from_logits={loss.from_logits}"
            target = f" (output {loss.output})" if loss.output else ""
            out.append(f"  loss: {loss.name}{logits}{target}")
        if model.optimizer:
            settings = ", ".join(f"{k}={v}" for k, v in model.optimizer.settings().items())
            out.append(f"  optimizer: {model.optimizer.name}({settings})")
        if model.compile.metrics:
            out.append(f"  metrics: {', '.join(model.compile.metrics)}")
    elif model.format == "code":
        out.append("  not compiled in this code (no model.compile(...) call for it)")
    else:
        out.append("  not compiled when saved (no loss or optimizer in the file)")
    if model.fit_settings is not None:
        shown = {k: v for k, v in model.fit_settings.to_dict().items() if v is not None and k != "sources"}
        if shown:
            out.append("  fit: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    for warning in model.warnings:
        out.append(f"  warning: {warning}")
    return out


def render_text(loaded: Loaded) -> str:
    blocks = [_run_text(run) for run in loaded.runs] + [_model_text(m) for m in loaded.models]
    if loaded.skipped:
        blocks.append(["Skipped:"] + [f"  {item}" for item in loaded.skipped])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"
