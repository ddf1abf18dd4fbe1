"""``label_loss_mismatch``: labels encoded against the loss (real posts: one softmax unit,
categorical crossentropy over one output, one-hot labels with the sparse loss, labels outside
[0, 1] with binary crossentropy)."""

from __future__ import annotations

import math
from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.kl_divergence_misuse import negative_loss_evidence
from app.rules.static import layer_call, layer_where

CROSSENTROPY = {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                "binary_focal_crossentropy", "categorical_focal_crossentropy"}
# A softmax over one unit outputs 1.0 for every sample: nothing can be learned. A fact of the
# model, not a guess.
ONE_UNIT_SOFTMAX_WEIGHT = 0.9
# Categorical crossentropy over one output is -y·log(1) = 0 after Keras normalizes the row:
# the loss is 0 (or constant) whatever the weights.
ONE_UNIT_CATEGORICAL_WEIGHT = 0.85
# The code one-hot encodes labels (to_categorical) but compiles the sparse loss: Keras 2
# broadcasts (N, C) against (N, C) logits silently in some versions, fails in others.
ONE_HOT_WITH_SPARSE_WEIGHT = 0.6
# A negative crossentropy: a target outside [0, 1] (labels 1..C with binary crossentropy).
NEGATIVE_CROSSENTROPY_WEIGHT = 0.8
# A negative loss without knowing the loss: labels outside [0, 1] are its most common reason
# in the corpus (gh-keras-team-keras-8680 ...), KL divergence the other one.
NEGATIVE_LOSS_ONLY_WEIGHT = 0.5
NOT_CROSSENTROPY_WEIGHT = -0.8
# A crossentropy L bounds the accuracy on the labels the loss sees: a row is wrong only when the
# true class gets at most 1/2, costing at least ln 2, so accuracy >= 1 - L / ln 2 (L = 0.0158:
# at least 0.977). A logged accuracy well below that bound (by more than BOUND_MARGIN, room for
# the epoch averages of the two) means the metric compares other labels than the loss uses:
# float targets a sparse loss truncates to class ids, labels of another encoding.
BOUND_MARGIN = 0.1
ACCURACY_BELOW_BOUND_WEIGHT = 0.6
ACCURACY_BELOW_BOUND = T(
    "the loss reaches {loss}, which on the labels it sees means an accuracy of at least {bound}, but the logged "
    "{metric} is {accuracy}: the loss and the metric do not see the same labels",
    "损失降到 {loss}，在它所用的标签上意味着准确率至少为 {bound}，但记录的 {metric} 只有 {accuracy}："
    "损失和指标看到的不是同一套标签",
)

ONE_UNIT_SOFTMAX = T(
    "the output `{layer}` is a softmax over 1 unit: it outputs 1.0 for every sample, so the loss "
    "cannot fall and accuracy is the share of one class",
    "输出层 `{layer}` 是只有 1 个单元的 softmax：对每个样本都输出 1.0，损失无法下降，准确率就是某一类的占比",
)
ONE_UNIT_CATEGORICAL = T(
    "the loss is {loss} but the output `{layer}` has 1 unit: over a single output the loss is "
    "the same whatever the weights (binary labels need binary_crossentropy)",
    "损失函数是 {loss}，但输出层 `{layer}` 只有 1 个单元：单个输出上的该损失与权重无关，恒为常数"
    "（二分类标签应使用 binary_crossentropy）",
)
ONE_HOT_WITH_SPARSE = T(
    "the code one-hot encodes the labels (`{snippet}`) but the loss is sparse_categorical_crossentropy, "
    "which expects integer class ids",
    "代码把标签做了 one-hot 编码（`{snippet}`），但损失函数是 sparse_categorical_crossentropy，它需要整数类别编号",
)
NEGATIVE_CROSSENTROPY = T(
    "{metric} goes negative ({value} at {axis} {at}) with {loss}: a crossentropy of labels in "
    "[0, 1] never does, so some labels lie outside [0, 1]",
    "使用 {loss} 时 {metric} 变成了负数（第 {at} {axis_zh}为 {value}）：标签在 [0, 1] 内时交叉熵不可能为负，"
    "说明有标签超出了 [0, 1]",
)
NEGATIVE_LOSS = T(
    "{metric} goes negative ({value} at {axis} {at}): a crossentropy never does unless labels lie "
    "outside [0, 1] (class ids 1..C with binary crossentropy)",
    "{metric} 变成了负数（第 {at} {axis_zh}为 {value}）：除非标签超出 [0, 1]（例如二元交叉熵配 1..C 的类别编号），"
    "交叉熵不可能为负",
)
# Measured on the data sample (--data): what the labels are, against what the loss takes.
# As strong as the static signs above: the labels themselves are the evidence.
MEASURED_MISMATCH_WEIGHT = 0.85
MEASURED_FIT_WEIGHT = -0.6
LABELS_ONE_HOT_SPARSE = T(
    "the data sample's labels are one-hot rows of {classes} columns, but {loss} expects one "
    "class index per sample",
    "数据样本的标签是 {classes} 列的 one-hot 行，而 {loss} 期望每个样本一个类别索引",
)
LABELS_INDEX_CATEGORICAL = T(
    "the data sample's labels are class indices ({classes} classes, {low}–{high}), but {loss} "
    "expects one-hot rows",
    "数据样本的标签是类别索引（{classes} 个类别，{low}–{high}），而 {loss} 期望 one-hot 行",
)
LABELS_OUTSIDE_BINARY = T(
    "the data sample's labels run from {low} to {high}, but {loss} takes labels in [0, 1]",
    "数据样本的标签取值为 {low} 到 {high}，而 {loss} 只接受 [0, 1] 内的标签",
)
LABELS_FIT = T("the data sample's labels ({encoding}, {classes} classes) fit {loss}",
               "数据样本的标签（{encoding}，{classes} 个类别）与 {loss} 相符")


def measured_label_evidence(ctx: Context, loss: str) -> Evidence | None:
    """The data sample's labels against ``loss`` (None without labels or for other losses)."""
    labels = ctx.labels
    if labels is None or loss not in CROSSENTROPY:
        return None
    params = {"loss": loss, "classes": labels.classes, "low": round(labels.low, 4), "high": round(labels.high, 4),
              "encoding": labels.encoding.replace("_", "-")}
    where = {"setting": "data.labels"}
    if loss == "sparse_categorical_crossentropy" and labels.encoding == "one_hot":
        return evidence("measured", "labels_one_hot_with_sparse_loss", LABELS_ONE_HOT_SPARSE,
                        MEASURED_MISMATCH_WEIGHT, where=where, **params)
    if loss == "categorical_crossentropy" and labels.encoding in ("integer", "binary") \
            and (ctx.model is None or (ctx.model.output_units or 0) != 1):
        return evidence("measured", "labels_index_with_categorical_loss", LABELS_INDEX_CATEGORICAL,
                        MEASURED_MISMATCH_WEIGHT, where=where, **params)
    if loss.startswith("binary") and (labels.low < 0 or labels.high > 1):
        return evidence("measured", "labels_outside_binary_range", LABELS_OUTSIDE_BINARY,
                        MEASURED_MISMATCH_WEIGHT, where=where, **params)
    if labels.encoding == "real":
        return None
    return evidence("measured", "labels_fit_loss", LABELS_FIT, MEASURED_FIT_WEIGHT, where=where, **params)


NOT_CROSSENTROPY = T("the loss is {loss}, not a crossentropy over class labels",
                     "损失函数是 {loss}，不是基于类别标签的交叉熵")


class LabelLossMismatch(CauseRule):
    id = "label_loss_mismatch"
    title = T("Labels encoded against the loss", "标签编码与损失函数不匹配")
    explanation = T(
        "Each crossentropy expects its own label encoding: categorical_crossentropy one-hot rows "
        "and one softmax unit per class, sparse_categorical_crossentropy integer class ids, "
        "binary_crossentropy labels in [0, 1] and one sigmoid unit per label. Mixed up, the loss "
        "is computed on something else than the task: a softmax over one unit always answers 1.0, "
        "a crossentropy over one output is constant, labels 1..C make binary crossentropy "
        "negative. Training then sits at one class's share while the loss looks fine or odd.",
        "每种交叉熵都要求特定的标签编码：categorical_crossentropy 需要 one-hot 行且每类一个 softmax 单元，"
        "sparse_categorical_crossentropy 需要整数类别编号，binary_crossentropy 需要 [0, 1] 内的标签且每个标签一个 "
        "sigmoid 单元。一旦混用，损失计算的就不是这个任务：单个单元的 softmax 永远输出 1.0，单个输出上的"
        "交叉熵是常数，1..C 的标签会让二元交叉熵变成负数。训练于是停在某一类的占比上，而损失看起来正常或很奇怪。",
    )
    when_not = T(
        "Silent when the output units, the loss and the label encoding seen in the code agree, "
        "and for losses that are not crossentropies.",
        "当输出单元数、损失函数与代码中的标签编码一致时，以及损失不是交叉熵时不报告。",
    )
    explains = (SymptomWeight("stuck_chance_accuracy", 0.3), SymptomWeight("plateau_no_learning", 0.3),
                SymptomWeight("loss_collapse_zero", 0.2))

    def decidable(self, ctx: Context) -> bool:
        return ctx.model is not None and ctx.model.complete and ctx.model.loss is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        yield from probed.measured(ctx, probed.learn_trial)  # the probe's, if it ran
        if not self.decidable(ctx):
            negative = negative_loss_evidence(ctx, NEGATIVE_LOSS, NEGATIVE_LOSS_ONLY_WEIGHT)
            if negative is not None:
                yield negative
            return
        assert model is not None and model.loss is not None
        loss = model.loss.name
        layer = model.output_layer
        params = {"layer": layer.name if layer else "?", "loss": loss}
        if model.output_activation == "softmax" and model.output_units == 1 and not loss.startswith("binary"):
            # (with binary crossentropy the activation is what does not fit the loss:
            # final_activation_mismatch, as the taxonomy and so-46620813 have it)
            yield evidence("static", "one_unit_softmax", ONE_UNIT_SOFTMAX, ONE_UNIT_SOFTMAX_WEIGHT,
                           where=layer_where(layer), **params)
            return
        if loss not in CROSSENTROPY:
            yield evidence("static", "not_crossentropy", NOT_CROSSENTROPY, NOT_CROSSENTROPY_WEIGHT, loss=loss)
            return
        below = _accuracy_below_loss_bound(ctx)
        if below is not None:
            yield below
        if loss.startswith("categorical") and model.output_units == 1:
            yield evidence("static", "one_unit_categorical", ONE_UNIT_CATEGORICAL, ONE_UNIT_CATEGORICAL_WEIGHT,
                           where=layer_where(layer), **params)
        one_hot = ctx.code_hint("to_categorical", "one_hot_labels")
        if loss == "sparse_categorical_crossentropy" and one_hot is not None:
            yield evidence("static", "one_hot_with_sparse_loss", ONE_HOT_WITH_SPARSE, ONE_HOT_WITH_SPARSE_WEIGHT,
                           where={"setting": "code.labels"}, source=one_hot, snippet=one_hot.snippet or "")
        negative = negative_loss_evidence(ctx, NEGATIVE_CROSSENTROPY, NEGATIVE_CROSSENTROPY_WEIGHT, kind="static",
                                          loss=loss)
        if negative is not None:
            yield negative
        measured = measured_label_evidence(ctx, loss)
        if measured is not None:
            yield measured

    def fixes(self, ctx: Context) -> list[Fix]:
        model = ctx.model
        layer = model.output_layer if model is not None else None
        fixes = []
        if model is not None and layer is not None and model.output_units == 1 and (
                model.output_activation == "softmax" or (model.loss and model.loss.name.startswith("categorical"))):
            fixes.append(Fix("set_output_activation",
                             T("Set the output activation to {activation}", "将输出层激活函数改为 {activation}"),
                             "safe", {"activation": "sigmoid", "layer": layer.name},
                             layer_call(layer, activation="sigmoid")))
            fixes.append(Fix("set_loss", T("Change the loss to {loss}", "将损失函数改为 {loss}"), "safe",
                             {"loss": "binary_crossentropy"},
                             'model.compile(loss="binary_crossentropy", optimizer=..., metrics=["accuracy"])'))
        elif model is not None and model.loss is not None and model.loss.name == "sparse_categorical_crossentropy" \
                and ctx.code_hint("to_categorical", "one_hot_labels") is not None:
            fixes.append(Fix("set_loss", T("Change the loss to {loss}", "将损失函数改为 {loss}"), "safe",
                             {"loss": "categorical_crossentropy"},
                             'model.compile(loss="categorical_crossentropy", optimizer=..., metrics=["accuracy"])'))
        fixes.append(Fix("check_labels", T("Encode the labels as the loss expects", "按损失函数的要求编码标签"),
                         "manual", {},
                         "# integer ids 0..C-1 -> sparse_categorical_crossentropy, C softmax units\n"
                         "# one-hot rows -> categorical_crossentropy, C softmax units\n"
                         "# 0/1 labels -> binary_crossentropy, 1 sigmoid unit\n"
                         "print(np.unique(y_train))  # what the labels really are"))
        return fixes


def _accuracy_below_loss_bound(ctx: Context) -> Evidence | None:
    """The loss_collapse_zero symptom of a low loss with poor accuracy, when the accuracy is
    below what that crossentropy allows."""
    for symptom in ctx.symptom("loss_collapse_zero"):
        loss, accuracy = symptom.params.get("loss"), symptom.params.get("accuracy")
        if not isinstance(loss, (int, float)) or not isinstance(accuracy, (int, float)) or loss < 0:
            continue
        bound = 1.0 - loss / math.log(2)
        if accuracy < bound - BOUND_MARGIN:
            # static: the model's own loss (a crossentropy, checked by the caller) is what makes
            # the logged pair impossible; the curves alone would not say it
            return evidence("static", "accuracy_below_loss_bound", ACCURACY_BELOW_BOUND, ACCURACY_BELOW_BOUND_WEIGHT,
                            where=symptom.where,
                            loss=loss, bound=round(bound, 3), accuracy=accuracy,
                            metric=symptom.params.get("metric", "accuracy"))
    return None
