"""``bias_regularized``: a ``bias_regularizer`` pulls the layers' offsets toward 0 (seed 003
§2: regularize weights, not biases)."""

from __future__ import annotations

from typing import Any, Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import LayerSpec, ModelSpec
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.exploding_gradients import layer_code
from app.rules.static import layer_where

# Any bias penalty is a mistake (biases hold few parameters and do not overfit); one of 0.01
# or more (Keras' L2 default is 0.01) pulls offsets visibly toward 0. Both weights stay below
# 0.615 so that a healthy log (absence piece x0.65) keeps the finding unreported.
STRONG_FACTOR = 0.01
WEIGHT = 0.5
STRONG_WEIGHT = 0.6
# A factor of 1 or more (100x Keras' default) pins the biases near 0 whatever the curves
# show: static evidence strong enough to be reported even when the log looks healthy (a run
# can train "fine" to a lower accuracy than it should: underfitting has no symptom of its own).
EXTREME_FACTOR = 1.0
EXTREME_WEIGHT = 0.7
NONE_WEIGHT = -0.8

REGULARIZED = T(
    "{count} layer(s) regularize their bias ({regularizer} on `{layer}`)",
    "{count} 个层对偏置做了正则化（`{layer}` 上的 {regularizer}）",
)
NONE = T("no layer has a bias_regularizer", "没有层设置 bias_regularizer")


def regularized_layers(model: ModelSpec) -> list[LayerSpec]:
    return [layer for layer in model.all_layers() if layer.bias_regularizer and layer.trainable]


def describe(regularizer: dict[str, Any]) -> str:
    """``{"class": "L2", "l2": 0.01}`` -> ``L2(l2=0.01)``."""
    args = ", ".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in regularizer.items() if key != "class" and value is not None)
    return f"{regularizer.get('class', '?')}({args})"


def strength(regularizer: dict[str, Any]) -> float:
    """The largest penalty factor in the regularizer's config (0 when none is given)."""
    values = [float(value) for key, value in regularizer.items()
              if key in ("l1", "l2", "l") and isinstance(value, (int, float)) and not isinstance(value, bool)]
    return max(values, default=0.0)


class BiasRegularized(CauseRule):
    id = "bias_regularized"
    title = T("Biases are regularized", "对偏置做了正则化")
    explanation = T(
        "Weight regularization (L1/L2) limits how large the weights grow, which curbs overfitting. "
        "Biases only shift each unit's output, hold few parameters and do not overfit; penalizing "
        "them pulls the offsets toward 0, so units cannot place their thresholds where the data "
        "needs them and the model underfits or learns slowly. Keep kernel_regularizer and remove "
        "bias_regularizer.",
        "权重正则化（L1/L2）限制权重的大小，从而抑制过拟合。偏置只负责平移每个单元的输出，参数很少，"
        "不会导致过拟合；对它们施加惩罚会把偏移量拉向 0，单元无法把阈值放在数据需要的位置，"
        "模型因此欠拟合或学得很慢。保留 kernel_regularizer，去掉 bias_regularizer。",
    )
    when_not = T("Silent when no layer sets a bias_regularizer.", "当没有层设置 bias_regularizer 时不报告。")
    explains = (SymptomWeight("slow_convergence", 0.2), SymptomWeight("plateau_no_learning", 0.15))
    needs = ("model",)

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or not model.complete:
            return
        layers = regularized_layers(model)
        if not layers:
            yield evidence("static", "no_bias_regularizer", NONE, NONE_WEIGHT)
            return
        layer = max(layers, key=lambda item: strength(item.bias_regularizer or {}))
        regularizer = layer.bias_regularizer or {}
        factor = strength(regularizer)
        weight = EXTREME_WEIGHT if factor >= EXTREME_FACTOR else STRONG_WEIGHT if factor >= STRONG_FACTOR else WEIGHT
        yield evidence("static", "bias_regularizer", REGULARIZED, weight, where=layer_where(layer),
                       count=len(layers), layer=layer.name, regularizer=describe(regularizer))

    def fixes(self, ctx: Context) -> list[Fix]:
        layers = regularized_layers(ctx.model) if ctx.model is not None else []
        code = layer_code(layers[0], bias_regularizer=None) + "  # keep kernel_regularizer" \
            if layers and layers[0].units is not None else "Dense(units, kernel_regularizer=..., bias_regularizer=None)"
        return [Fix("drop_bias_regularizer", T("Remove the bias regularizer", "去掉偏置正则化"), "safe",
                    {"layers": [layer.name for layer in layers]}, code)]
