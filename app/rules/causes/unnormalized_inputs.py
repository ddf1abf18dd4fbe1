"""``unnormalized_inputs``: input features on scales far from 1 reach the first weights
unchanged (seed 003 §5, the seed 002 answer "normalizing inputs helps").

The model file cannot tell the scale of the data: the evidence is what the model does near
its input (a Normalization/Rescaling layer there rules the cause out; its absence is a weak
hint, since data are often standardized before fit) and, from a log, a first loss far above
what a freshly initialized classifier starts at.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import ACTIVATION_LAYERS, PASS_THROUGH_LAYERS
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.activation_on_input import leading_layers
from app.rules.causes.exploding_gradients import is_weight_layer
from app.rules.static import layer_where

# Layers that bring the input to a standard scale.
INPUT_SCALING = {"Normalization", "Rescaling", "BatchNormalization", "SyncBatchNormalization",
                 "LayerNormalization", "UnitNormalization", "GroupNormalization", "RMSNormalization"}
# Inputs that are token ids or categories, not numbers on a scale.
NON_NUMERIC_INPUT = {"Embedding", "TextVectorization", "StringLookup", "IntegerLookup", "Hashing",
                     "CategoryEncoding", "Discretization", "HashedCrossing"}
# No scaling layer is a weak hint only: most pipelines standardize before fit.
NO_SCALING_WEIGHT = 0.2
# Measured on the data sample (--data), with no scaling layer in the model: inputs beyond
# LARGE_INPUT (raw pixels 0-255, unscaled prices) are evidence for; inputs within
# MODEST_INPUT around zero are evidence against (standardized or in [0, 1]).
LARGE_INPUT = 10.0
MODEST_INPUT = 5.0
MEASURED_LARGE_WEIGHT = 0.6
MEASURED_MODEST_WEIGHT = -0.5
SCALED_WEIGHT = -0.6
NON_NUMERIC_WEIGHT = -0.7
# BatchNormalization right after the first weight layer rescales its outputs (the first
# layer's gradients still see the raw scale).
NORMALIZED_AFTER_FIRST_WEIGHT = -0.3
# A classifier with small initial weights starts at a loss near ln C (uniform guess). A first
# epoch averaging several times that means huge initial logits, typically raw features in the
# hundreds (pixels 0-255, prices, counts).
LARGE_FIRST_LOSS_FACTOR = 4.0
LARGE_FIRST_LOSS_WEIGHT = 0.25
# A first loss thousands of times a fresh model's is the signature of raw inputs in the
# hundreds or thousands (logits scale with the inputs); a too-high rate gives tens to
# hundreds of times in the first epoch's average.
HUGE_FIRST_LOSS_FACTOR = 1000.0
HUGE_FIRST_LOSS_WEIGHT = 0.5
# A large first loss with a learning rate in its usual range: the rate does not explain the
# huge initial logits, the inputs' scale does (raw 0-255 pixels under SGD(0.01) start near
# 30x ln C).
LARGE_FIRST_LOSS_USUAL_RATE_WEIGHT = 0.4

# The training code scales the inputs itself (x / 255, a scaler, x - mean / std): as good as a
# scaling layer, a little less sure (the scaled array may not be the one given to fit).
SCALED_IN_CODE_WEIGHT = -0.5
SCALED_IN_CODE = T("the training code scales the inputs before fit: `{snippet}`",
                   "训练代码在 fit 之前对输入做了缩放：`{snippet}`")

NO_SCALING = T(
    "no Normalization or Rescaling layer before the first weight layer `{layer}`: the model "
    "relies on the data being standardized beforehand",
    "在第一个权重层 `{layer}` 之前没有 Normalization 或 Rescaling 层：模型依赖数据事先已被标准化",
)
SCALED = T("`{layer}` ({class_name}) rescales the input before the first weights",
           "`{layer}`（{class_name}）在第一个权重层之前对输入做了缩放")
NON_NUMERIC = T("the input goes into `{layer}` ({class_name}): token ids or categories, not a numeric scale",
                "输入进入 `{layer}`（{class_name}）：是词元 id 或类别，而不是数值尺度")
NORMALIZED_AFTER_FIRST = T("`{layer}` normalizes the first layer's outputs", "`{layer}` 对第一层的输出做了归一化")
LARGE_FIRST_LOSS = T(
    "the first epoch's loss {loss} is {factor}× the {start} a fresh {classes}-class model starts "
    "at (ln {classes}): the initial logits are huge, as with raw inputs on a large scale",
    "第一轮的损失 {loss} 是全新的 {classes} 类模型初始损失 {start}（ln {classes}）的 {factor} 倍："
    "初始 logits 非常大，原始输入尺度很大时就会这样",
)


def first_loss_reading(ctx: Context) -> tuple[float, float, int] | None:
    """(first finite training loss, ln C, C) for a classifier whose output fits its loss."""
    model = ctx.model
    task = ctx.task
    if model is None or model.loss is None or not model.loss.is_crossentropy or task.classes is None \
            or task.classes < 2:
        return None
    logits = bool(model.loss.from_logits)
    activation = model.output_activation
    if (logits and activation not in (None, "linear")) or (not logits and activation not in ("softmax", "sigmoid")):
        return None  # an output that does not fit the loss explains a large loss by itself
    from app.rules.causes.final_activation_mismatch import noise_after_output

    if noise_after_output(model) is not None:
        return None  # so does a Dropout after the softmax (a dropped true class costs -ln(1e-7))
    series = ctx.series("loss")
    if series is None:
        return None
    finite = series.y[np.isfinite(series.y)]
    if finite.size == 0:
        return None
    classes = int(task.classes)
    return float(finite[0]), math.log(classes), classes


def _rate_in_usual_range(ctx: Context) -> bool:
    from app.rules.causes.learning_rate_too_high import rate_reading

    reading = rate_reading(ctx)
    if reading is None or not reading.known_optimizer:
        return False
    low, high = reading.usual_range
    return low <= reading.rate <= high


class UnnormalizedInputs(CauseRule):
    id = "unnormalized_inputs"
    title = T("Inputs not normalized", "输入没有归一化")
    explanation = T(
        "Weights are initialized for inputs of roughly unit scale. Raw features in the hundreds "
        "or thousands (pixel values 0–255, prices, sensor counts) make the first layer's outputs "
        "and their gradients huge, while small-scale features barely move: the loss falls slowly, "
        "jumps about, or overflows to NaN, and no single learning rate suits all features. "
        "Standardize the inputs to mean 0 and variance 1, most simply with a Normalization layer "
        "adapted on the training data at the start of the model.",
        "权重的初始化是按大约单位尺度的输入设计的。数值在几百、几千的原始特征（0–255 的像素值、价格、"
        "传感器计数）会让第一层的输出及其梯度变得非常大，而小尺度的特征几乎不动：损失下降缓慢、来回跳动，"
        "甚至溢出为 NaN，也没有一个学习率能同时适合所有特征。请把输入标准化为均值 0、方差 1，"
        "最简单的做法是在模型开头加一个在训练数据上 adapt 过的 Normalization 层。",
    )
    when_not = T(
        "Silent when a Normalization, Rescaling or normalization layer sits before the first "
        "weights, when the training code scales the inputs itself (x / 255, a scaler), or when "
        "the input is token ids (Embedding, lookup layers). Without a data "
        "sample the missing layer is only a weak hint: data standardized before fit look the same.",
        "当第一个权重层之前有 Normalization、Rescaling 或归一化层，训练代码自己缩放了输入（x / 255、缩放器），"
        "或输入是词元 id（Embedding、查找层）时不报告。"
        "没有数据样本时，缺少这样的层只是弱线索：在 fit 之前已标准化的数据看起来是一样的。",
    )
    explains = (SymptomWeight("slow_convergence", 0.3), SymptomWeight("oscillation", 0.25),
                SymptomWeight("nan_loss", 0.15), SymptomWeight("loss_diverges", 0.3))
    settle = T(
        "A few rows of the training inputs (their range and mean) or the preprocessing code would settle it.",
        "提供几行训练输入（其取值范围和均值）或预处理代码即可确认。",
    )

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or not model.layers:
            return
        first_weight = None
        for layer in leading_layers(model):
            if layer.class_name in NON_NUMERIC_INPUT:
                yield evidence("static", "non_numeric_input", NON_NUMERIC, NON_NUMERIC_WEIGHT,
                               where=layer_where(layer), layer=layer.name, class_name=layer.class_name)
                return
            if layer.class_name in INPUT_SCALING:
                if first_weight is None:
                    yield evidence("static", "input_scaled", SCALED, SCALED_WEIGHT, where=layer_where(layer),
                                   layer=layer.name, class_name=layer.class_name)
                    return
                yield evidence("static", "normalized_after_first_layer", NORMALIZED_AFTER_FIRST,
                               NORMALIZED_AFTER_FIRST_WEIGHT, where=layer_where(layer), layer=layer.name)
                break
            if first_weight is None:
                if is_weight_layer(layer):
                    first_weight = layer
                continue
            if layer.class_name not in PASS_THROUGH_LAYERS and layer.class_name not in ACTIVATION_LAYERS:
                break  # past the first layer's block: its outputs are not normalized
        scaled = ctx.code_hint("divides_by_255", "scaler", "standardizes")
        if scaled is not None:
            yield evidence("static", "inputs_scaled_in_code", SCALED_IN_CODE, SCALED_IN_CODE_WEIGHT,
                           where={"setting": "code.input_scaling"}, source=scaled, snippet=scaled.snippet or "")
        elif first_weight is not None:
            yield evidence("static", "no_input_scaling", NO_SCALING, NO_SCALING_WEIGHT,
                           where=layer_where(first_weight), layer=first_weight.name)
        measured = _measured_scale(ctx)
        if measured is not None:
            yield measured
        reading = first_loss_reading(ctx)
        if reading is not None:
            loss, start, classes = reading
            if loss > LARGE_FIRST_LOSS_FACTOR * start:
                series = ctx.series("loss")
                weight = HUGE_FIRST_LOSS_WEIGHT if loss > HUGE_FIRST_LOSS_FACTOR * start else \
                    LARGE_FIRST_LOSS_USUAL_RATE_WEIGHT if _rate_in_usual_range(ctx) else LARGE_FIRST_LOSS_WEIGHT
                yield evidence("symptom", "large_first_loss", LARGE_FIRST_LOSS, weight,
                               where={"metric": "loss", "start": int(series.x[0]), "end": int(series.x[0])}
                               if series is not None else {},
                               source=series.source_of(0) if series is not None else None,
                               loss=round(loss, 4), start=round(start, 3), classes=classes,
                               factor=round(loss / start, 1))

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("insert_normalization",
                    T("Standardize the inputs with a Normalization layer adapted on the training data",
                      "用在训练数据上 adapt 过的 Normalization 层标准化输入"),
                    "review", {"layer": "Normalization", "axis": -1},
                    "normalizer = keras.layers.Normalization(axis=-1)\n"
                    "normalizer.adapt(x_train)  # learns the mean and variance of each feature\n"
                    "inputs = keras.Input(shape=x_train.shape[1:])\n"
                    "x = normalizer(inputs)\n"
                    "# ... the rest of the model takes x instead of inputs")]


INPUTS_LARGE = T(
    "the data sample's inputs run from {low} to {high} (mean |x| {mean_abs}) and no layer scales them",
    "数据样本的输入取值为 {low} 到 {high}（|x| 均值 {mean_abs}），且没有层对其进行缩放",
)
INPUTS_MODEST = T(
    "the data sample's inputs already lie within {low} to {high} (mean |x| {mean_abs})",
    "数据样本的输入已在 {low} 到 {high} 之间（|x| 均值 {mean_abs}）",
)


def _measured_scale(ctx: Context) -> Evidence | None:
    inputs = ctx.inputs
    if inputs is None or not np.isfinite(inputs.high):
        return None
    params = {"low": round(inputs.low, 4), "high": round(inputs.high, 4), "mean_abs": round(inputs.mean_abs, 4)}
    largest = max(abs(inputs.low), abs(inputs.high))
    if largest > LARGE_INPUT:
        return evidence("measured", "inputs_large", INPUTS_LARGE, MEASURED_LARGE_WEIGHT,
                        where={"setting": "data.inputs"}, **params)
    if largest <= MODEST_INPUT:
        return evidence("measured", "inputs_modest", INPUTS_MODEST, MEASURED_MODEST_WEIGHT,
                        where={"setting": "data.inputs"}, **params)
    return None
