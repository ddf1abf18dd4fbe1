"""Plain-JSON views of runs and models (for ``traindoc inspect --format json`` and reports).

JSON has no NaN or infinity, so non-finite numbers are written as the strings ``"nan"``,
``"inf"`` and ``"-inf"``; :func:`number` does that for one value, :func:`from_number` reads it back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.core.model import LayerSpec, ModelSpec, OptimizerSpec
from app.core.run import Run, Series


def number(value: float | int | None) -> float | int | str | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def from_number(value: Any) -> float:
    """The float a :func:`number` stands for (``"nan"``, ``"inf"``, ``"-inf"`` back to floats;
    NaN for anything that is no number)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(str(value), math.nan)


def numbers(array: np.ndarray) -> list[float | str]:
    values = array.tolist()
    if np.isfinite(array).all():
        return values
    return [number(v) for v in values]  # type: ignore[misc]


def series_to_dict(series: Series) -> dict[str, Any]:
    return {
        "name": series.name,
        "raw_name": series.raw_name,
        "axis": series.axis,
        "x": series.x.tolist(),
        "y": numbers(series.y),
        "source": series.source_path,
    }


def run_to_dict(run: Run) -> dict[str, Any]:
    return {
        "name": run.name,
        "format": run.format,
        "paths": list(run.paths),
        "epochs": run.epoch_count,
        "steps": run.step_count,
        "metrics": {name: numbers(s.y) for name, s in sorted(run.epochs.items())},
        "epoch_numbers": {name: s.x.tolist() for name, s in sorted(run.epochs.items())},
        "step_metrics": sorted(run.steps),
        "pairs": [list(pair) for pair in run.pairs()],
        "last": {name: number(v) for name, v in run.last_values().items()},
        "evaluations": [
            {
                "metrics": {k: number(v) for k, v in ev.metrics.items()},
                "label": ev.label,
                "after_epoch": ev.after_epoch,
                "source": ev.source.to_dict(),
            }
            for ev in run.evaluations
        ],
        "fit": run.fit.to_dict(),
        "events": [
            {
                "kind": ev.kind,
                "epoch": ev.epoch,
                "text": ev.text,
                "params": {k: number(v) if isinstance(v, float) else v for k, v in ev.params.items()},
                "source": ev.source.to_dict(),
            }
            for ev in run.events
        ],
        "warnings": list(run.warnings),
        "statements": [statement.to_dict() for statement in run.statements],
        "skipped_lines": run.skipped_lines,
        "summary_model": model_to_dict(run.model) if isinstance(run.model, ModelSpec) else None,
    }


def _optimizer_to_dict(optimizer: OptimizerSpec | None) -> dict[str, Any] | None:
    if optimizer is None:
        return None
    out: dict[str, Any] = {"name": optimizer.name}
    for key, value in optimizer.settings().items():
        out[key] = number(value) if isinstance(value, float) else value
    return out


def layer_to_dict(layer: LayerSpec, total: int | None) -> dict[str, Any]:
    share = None
    if total and layer.params_total is not None:
        share = layer.params_total / total
    return {
        "name": layer.name,
        "path": layer.path or layer.name,
        "class_name": layer.class_name,
        "units": layer.units,
        "kernel_size": list(layer.kernel_size) if layer.kernel_size else None,
        "activation": layer.activation,
        "output_shape": list(layer.output_shape) if layer.output_shape is not None else None,
        "params": layer.params_total,
        "params_trainable": layer.params_trainable,
        "share": share,
        "trainable": layer.trainable,
        "use_bias": layer.use_bias,
        "kernel_initializer": layer.kernel_initializer,
        "bias_initializer": layer.bias_initializer,
        "kernel_regularizer": layer.kernel_regularizer,
        "bias_regularizer": layer.bias_regularizer,
        "inbound": list(layer.inbound),
        "is_lambda": layer.is_lambda,
        "layers": [layer_to_dict(sub, total) for sub in layer.sublayers],
        "notes": list(layer.notes),
    }


def model_to_dict(model: ModelSpec) -> dict[str, Any]:
    loss = model.loss
    return {
        "name": model.name,
        "class_name": model.class_name,
        "format": model.format,
        "source": model.source_path,
        "complete": model.complete,
        "keras_version": model.keras_version,
        "layers": [layer_to_dict(layer, model.params_total) for layer in model.layers],
        "params_total": model.params_total,
        "params_trainable": model.params_trainable,
        "params_non_trainable": model.params_non_trainable,
        "input_shapes": [list(s) for s in model.input_shapes],
        "outputs": list(model.output_names),
        "output_activation": model.output_activation,
        "output_units": model.output_units,
        "loss": (
            {"name": loss.name, "from_logits": loss.from_logits, "class_name": loss.class_name}
            if loss
            else None
        ),
        "losses": [
            {"name": l.name, "from_logits": l.from_logits, "output": l.output}
            for l in (model.compile.loss if model.compile else [])
        ],
        "optimizer": _optimizer_to_dict(model.optimizer),
        "metrics": list(model.compile.metrics) if model.compile else [],
        "warnings": list(model.warnings),
        # fit() arguments seen in training code (models read from code only)
        "fit": _fit_to_dict(model.fit_settings) if model.fit_settings is not None else None,
    }


def _fit_to_dict(settings: Any) -> dict[str, Any]:
    return {k: v for k, v in settings.to_dict().items() if v is not None and k != "sources"}


def json_ready(value: Any) -> Any:
    """``value`` (dicts, lists, numbers) with every float through :func:`number`: NaN/inf as
    text, as strict JSON needs (a trial's histories, a probe's measurements)."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, float):
        return number(value)
    return value
