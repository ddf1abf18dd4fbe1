"""Evidence from the data samples alone (``--data``, ``--val-data``; no model run): inputs the
preparation left constant, and validation rows that are training rows.

Measured on the samples' arrays (:mod:`app.rules.data`); each check returns one piece of
evidence of kind ``measured`` or ``None`` and is called by the cause rules it bears on.
"""

from __future__ import annotations

from app.core.diagnosis import Evidence
from app.core.i18n import T
from app.rules.base import Context, evidence

# Inputs erased by the preparation: at least half the features hold one value in every row of
# the sample. The project's samples (tabular, sequences, 16x16 images) have no constant
# feature at all (measured on the fixture recipes' arrays); in photographs and digits only the
# border pixels can be constant, a minority of the image (reasoned, not measured here: no such
# data set is on this machine). ``x // 255`` on 0..254 values leaves every feature constant.
CONSTANT_SHARE = 0.5
CONSTANT_WEIGHT = 0.6
# Validation rows that are training rows: with at least half of them shared, a validation
# score below the training one cannot come from generalization (the model has seen those
# rows), so the causes that explain a gap by too little data or too many parameters lose
# weight, and a disagreement of the labels of the same rows is a labeling fault.
OVERLAP_SHARE = 0.5
OVERLAP_AGAINST_WEIGHT = -0.5
LABELS_DIFFER_SHARE = 0.5  # of the shared rows whose labels both samples give
LABELS_DIFFER_MIN_ROWS = 10
LABELS_DIFFER_WEIGHT = 0.7

CONSTANT = T(
    "{constant} of the data sample's {features} input features ({share}%) hold one value in every one of its "
    "{rows} rows: the preparation erased what the model could learn from",
    "数据样本的 {features} 个输入特征中有 {constant} 个（{share}%）在全部 {rows} 行中取同一个值："
    "预处理抹掉了模型可以学习的信息",
)
OVERLAP = T(
    "{shared} of the validation sample's {rows} rows ({share}%) are rows of the training sample: the gap between "
    "training and validation on them cannot come from generalization",
    "验证样本的 {rows} 行中有 {shared} 行（{share}%）也是训练样本中的行：它们在训练与验证之间的差距不可能来自泛化",
)
LABELS_DIFFER = T(
    "{differ} of the {shared} rows found in both the training and the validation sample carry different labels "
    "in the two ({share}%): the labels do not follow the rows",
    "同时出现在训练样本和验证样本中的 {shared} 行里，有 {differ} 行在两处的标签不同（{share}%）：标签与样本没有对应",
)


def constant_inputs(ctx: Context) -> Evidence | None:
    inputs = ctx.inputs
    if inputs is None or not inputs.features or inputs.constant_features < CONSTANT_SHARE * inputs.features:
        return None
    return evidence("measured", "constant_inputs_measured", CONSTANT, CONSTANT_WEIGHT, where={"setting": "data.inputs"},
                    constant=inputs.constant_features, features=inputs.features, rows=inputs.rows,
                    share=round(100 * inputs.constant_features / inputs.features, 1))


def validation_overlap(ctx: Context) -> Evidence | None:
    """Against the generalization causes, when most validation rows are training rows."""
    overlap = ctx.overlap
    if overlap is None or overlap.share < OVERLAP_SHARE:
        return None
    return evidence("measured", "validation_overlaps_training_measured", OVERLAP, OVERLAP_AGAINST_WEIGHT,
                    where={"setting": "data.validation"}, shared=overlap.shared, rows=overlap.validation_rows,
                    share=round(100 * overlap.share, 1))


def labels_differ(ctx: Context) -> Evidence | None:
    overlap = ctx.overlap
    if overlap is None or overlap.shared_labeled < LABELS_DIFFER_MIN_ROWS \
            or overlap.labels_differ < LABELS_DIFFER_SHARE * overlap.shared_labeled:
        return None
    return evidence("measured", "labels_differ_measured", LABELS_DIFFER, LABELS_DIFFER_WEIGHT,
                    where={"setting": "data.validation"}, differ=overlap.labels_differ, shared=overlap.shared_labeled,
                    share=round(100 * overlap.labels_differ / overlap.shared_labeled, 1))
