"""``kl_divergence_misuse``: KL divergence computed on outputs (or targets) that are not
probability distributions, so the "divergence" goes negative or NaN (seed 003 §20)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.static import layer_call, layer_where

KL_LOSSES = {"kl_divergence", "kullback_leibler_divergence", "kld"}
# A KL divergence of distributions is >= 0; float32 rounding can give -1e-7, nothing more.
NEGATIVE_LOSS = -1e-6
UNBOUNDED_OUTPUT_WEIGHT = 0.85  # relu/linear: zeros and values above 1
SQUASHED_OUTPUT_WEIGHT = 0.7  # sigmoid & co: in [0, 1] but not summing to 1
NEGATIVE_LOSS_WEIGHT = 0.5  # the curve shows it
NEGATIVE_LOSS_ONLY_WEIGHT = 0.45  # negative loss without knowing the loss function
SOFTMAX_WEIGHT = -0.8
NOT_KL_WEIGHT = -0.9
UNBOUNDED = {"relu", "linear", None, "elu", "selu", "leaky_relu", "relu6", "gelu", "swish", "silu",
             "softplus", "exponential", "tanh", "prelu", "mish"}

NOT_DISTRIBUTION = T(
    "the loss is KL divergence but the output `{layer}` uses {activation}: its outputs do not sum "
    "to 1, so the \"divergence\" can go negative or NaN",
    "损失函数是 KL 散度，但输出层 `{layer}` 使用 {activation}：输出之和不为 1，\"散度\"可能变为负数或 NaN",
)
NEGATIVE_LOSS_TEXT = T(
    "{metric} goes negative ({value} at {axis} {at}); a KL divergence between distributions never does",
    "{metric} 变成了负数（第 {at} {axis_zh}为 {value}）；两个概率分布之间的 KL 散度不可能为负",
)
SOFTMAX_TARGETS = T(
    "the output is softmax, yet {metric} goes negative ({value} at {axis} {at}): the targets are "
    "not distributions (each row must be >= 0 and sum to 1)",
    "输出是 softmax，但 {metric} 变成了负数（第 {at} {axis_zh}为 {value}）：目标值不是概率分布"
    "（每行必须非负且和为 1）",
)
SOFTMAX = T("the output `{layer}` is softmax: a probability distribution, as KL divergence expects",
            "输出层 `{layer}` 是 softmax：正是 KL 散度需要的概率分布")
NOT_KL = T("the loss is {loss}, not KL divergence", "损失函数是 {loss}，不是 KL 散度")


def first_negative_loss(ctx: Context) -> tuple[str, int, float, int] | None:
    """(metric, x, value, index) of the first clearly negative loss value, train or validation."""
    for name in ("loss", "val_loss"):
        series = ctx.series(name)
        if series is None:
            continue
        hits = np.flatnonzero(np.isfinite(series.y) & (series.y < NEGATIVE_LOSS))
        if hits.size:
            i = int(hits[0])
            return name, int(series.x[i]), float(series.y[i]), i
    return None


def negative_loss_evidence(ctx: Context, text, weight: float, kind: str = "symptom", **params) -> Evidence | None:
    """Evidence of the first clearly negative loss (text gets metric, value, at, axis), or None.
    ``kind`` is "static" when the model names the loss that went negative: the model's own
    loss function then decides it, not the curve alone."""
    found = first_negative_loss(ctx)
    if found is None:
        return None
    name, x, value, i = found
    series = ctx.series(name)
    axis = series.axis if series is not None else "epoch"
    return evidence(kind, "negative_loss", text, weight,
                    where={"symptom": "negative_loss", "metric": name, "start": x, "end": x, "axis": axis},
                    source=series.source_of(i) if series is not None else None,
                    metric=name, value=value, at=x, axis=axis, axis_zh="轮" if axis == "epoch" else "步", **params)


class KlDivergenceMisuse(CauseRule):
    id = "kl_divergence_misuse"
    title = T("KL divergence on outputs that are not distributions", "KL 散度用在了非概率分布的输出上")
    explanation = T(
        "KL divergence compares two probability distributions: both the targets and the model's "
        "outputs must be non-negative and sum to 1 over the classes. With a relu, linear or sigmoid "
        "output the predictions are not a distribution, so the loss can become negative (which a "
        "true divergence never is) or NaN when a log meets 0, and minimizing it does not fit the "
        "targets. Put a softmax on the output (and make each target row sum to 1).",
        "KL 散度比较的是两个概率分布：目标值和模型输出都必须非负，且在各类别上之和为 1。"
        "使用 relu、线性或 sigmoid 输出时，预测值不是概率分布，损失可能变成负数（真正的散度不可能为负），"
        "或在对 0 取对数时变成 NaN，最小化它也不能拟合目标。请在输出层使用 softmax（并让每行目标之和为 1）。",
    )
    when_not = T(
        "Silent when the loss is not KL divergence, or the output is softmax and the loss never "
        "goes negative.",
        "当损失函数不是 KL 散度，或输出为 softmax 且损失从未变为负数时不报告。",
    )
    explains = (SymptomWeight("nan_loss", 0.35),)

    def decidable(self, ctx: Context) -> bool:
        return ctx.model is not None and ctx.model.complete and ctx.model.loss is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if not self.decidable(ctx):
            # Without the loss function, a negative loss is the tell-tale sign by itself.
            negative = negative_loss_evidence(ctx, NEGATIVE_LOSS_TEXT, NEGATIVE_LOSS_ONLY_WEIGHT)
            if negative is not None:
                yield negative
            return
        assert model is not None and model.loss is not None
        if model.loss.name not in KL_LOSSES:
            yield evidence("static", "not_kl_loss", NOT_KL, NOT_KL_WEIGHT, loss=model.loss.name)
            return
        layer = model.output_layer
        activation = model.output_activation
        params = {"layer": layer.name if layer else "?", "activation": activation or "linear"}
        if activation != "softmax":
            weight = UNBOUNDED_OUTPUT_WEIGHT if activation in UNBOUNDED else SQUASHED_OUTPUT_WEIGHT
            yield evidence("static", "non_distribution_output", NOT_DISTRIBUTION, weight,
                           where=layer_where(layer), **params)
            negative = negative_loss_evidence(ctx, NEGATIVE_LOSS_TEXT, NEGATIVE_LOSS_WEIGHT)
            if negative is not None:
                yield negative
            return
        negative = negative_loss_evidence(ctx, SOFTMAX_TARGETS, NEGATIVE_LOSS_WEIGHT, kind="static")
        if negative is not None:
            yield negative
        else:
            yield evidence("static", "softmax_output", SOFTMAX, SOFTMAX_WEIGHT, where=layer_where(layer), **params)

    def fixes(self, ctx: Context) -> list[Fix]:
        model = ctx.model
        layer = model.output_layer if model is not None else None
        fixes = []
        if model is None or model.output_activation != "softmax":
            code = layer_call(layer, activation="softmax") if layer is not None and layer.units else \
                'Dense(num_classes, activation="softmax")'
            fixes.append(Fix("set_output_activation",
                             T("Set the output activation to {activation}", "将输出层激活函数改为 {activation}"),
                             "safe", {"activation": "softmax", "layer": layer.name if layer else None}, code))
        fixes.append(Fix("check_labels",
                         T("Make every target row a distribution (non-negative, summing to 1)",
                           "让每一行目标值都是概率分布（非负且和为 1）"),
                         "manual", {}, "y = y / y.sum(axis=-1, keepdims=True)  # targets must be distributions"))
        return fixes
