"""Helpers cause rules share to read static evidence from a ModelSpec and fit settings."""

from __future__ import annotations

from typing import Any

from app.core.model import LayerSpec, ModelSpec

# Activations that produce unbounded, possibly negative or zero outputs: not probabilities.
NON_PROBABILITY = {"relu", "linear", "elu", "selu", "tanh", "leaky_relu", "relu6", "gelu",
                   "swish", "silu", "softplus", "exponential", "prelu", "mish", None}
PROBABILITY = {"softmax", "sigmoid"}
REGRESSION_LOSSES = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh",
                     "mean_squared_logarithmic_error", "mean_absolute_percentage_error"}


def output_layer(model: ModelSpec) -> LayerSpec | None:
    return model.output_layer


def layer_where(layer: LayerSpec | None) -> dict[str, Any]:
    if layer is None:
        return {}
    return {"layer": layer.path or layer.name}


def loss_name(model: ModelSpec | None) -> str | None:
    return model.loss.name if model is not None and model.loss is not None else None


def metric_names(model: ModelSpec | None) -> list[str]:
    if model is None or model.compile is None:
        return []
    return [m.lower() for m in model.compile.metrics]


def py_repr(value: Any) -> str:
    """A value as it reads in Python source."""
    if isinstance(value, str):
        return repr(value).replace("'", '"')
    return repr(value)


def layer_call(layer: LayerSpec, **changes: Any) -> str:
    """``Dense(10, activation="softmax")``: the layer as code, with ``changes`` applied."""
    args = []
    if layer.units is not None:
        args.append(str(layer.units))
    keys = {"activation": layer.activation} if layer.activation else {}
    keys.update(changes)
    args.extend(f"{k}={py_repr(v)}" for k, v in keys.items())
    if layer.name:
        args.append(f"name={py_repr(layer.name)}")
    return f"{layer.class_name}({', '.join(args)})"
