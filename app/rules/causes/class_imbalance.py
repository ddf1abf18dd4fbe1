"""``class_imbalance``: one class dominates the training data, and a model that always predicts
it already scores the majority share (seed 000's accuracy frozen at one value).

What can be seen: class shares when a data sample gave them (``ctx.task.majority_share``), and
an accuracy frozen at a level well above the balanced chance 1/C, which is what "always the
same class" scores on imbalanced data. ``FitSettings`` does not record ``class_weight``, so a
run that already weights its classes cannot be told apart yet.
"""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence

# A frozen accuracy this far above 1/C is the share of one class, not a balanced guess
# (the stuck detector's tolerance around chance is at most 0.03).
ABOVE_CHANCE_MARGIN = 0.1
# The engine counts a rule's own curve evidence like static evidence (no symptom-only cap), so
# this stays low enough that with the stuck symptom (frozen: strength <= 0.8) the finding
# remains under the symptom-only cap of 0.6: curves alone never settle the class shares.
FROZEN_ABOVE_CHANCE_WEIGHT = 0.3
# Class shares from the data: a majority this far above 1/C is imbalanced (0.7 for two
# classes, ~0.3 for ten); within 0.05 of 1/C the classes are balanced.
IMBALANCED_MARGIN = 0.2
IMBALANCED_WEIGHT = 0.5
BALANCED_MARGIN = 0.05
BALANCED_WEIGHT = -0.6
UNKNOWN_TASK_CHANCE = 0.5

FROZEN_ABOVE = T(
    "{metric} frozen at {level} over {axis}s {start}–{end}, well above the {chance} a balanced "
    "guess over {classes} classes scores: the share of the class the model always predicts",
    "{metric} 在第 {start}–{end} {axis_zh}固定在 {level}，远高于 {classes} 个类别均衡时随机猜测的 {chance}："
    "这是模型总是预测的那个类别的占比",
)
IMBALANCED = T("the majority class holds {share} of the samples ({classes} classes, balanced would be {chance})",
               "多数类占样本的 {share}（共 {classes} 个类别，均衡时应为 {chance}）")
BALANCED = T("the classes are balanced: the largest holds {share} of the samples ({classes} classes)",
             "各类别是均衡的：最大的类别占样本的 {share}（共 {classes} 个类别）")


class ClassImbalance(CauseRule):
    id = "class_imbalance"
    title = T("Imbalanced classes", "类别不平衡")
    explanation = T(
        "When one class makes up most of the data, predicting it for every sample is the "
        "cheapest way to lower the loss, and accuracy then sits at that class's share (0.9 "
        "with a 90/10 split) while the model has learned nothing about the others. Weight the "
        "classes in the loss (class_weight in fit), resample the data, or use a focal loss, and "
        "judge the model by per-class precision and recall or AUC rather than accuracy.",
        "当某个类别占了数据的大部分时，对所有样本都预测这个类别是降低损失最省事的办法，"
        "此时准确率就停在该类别的占比上（90/10 的划分时为 0.9），而模型对其他类别什么也没学到。"
        "请在损失中为各类别加权（fit 的 class_weight）、对数据重采样或使用 focal loss，"
        "并用每个类别的精确率、召回率或 AUC 而不是准确率来评判模型。",
    )
    when_not = T(
        "Silent when the class shares are known to be balanced, and weak when accuracy is stuck "
        "exactly at 1/C (a balanced guess); without class counts it stays under the symptom-only cap.",
        "当已知各类别均衡时不报告；准确率正好停在 1/C（均衡的随机猜测）时证据很弱；"
        "没有类别计数时，其置信度不会超过仅凭症状的上限。",
    )
    explains = (SymptomWeight("stuck_chance_accuracy", 0.3),)
    settle = T(
        "The label counts per class (np.unique(y_train, return_counts=True)) would settle it.",
        "提供每个类别的标签数量（np.unique(y_train, return_counts=True)）即可确认。",
    )

    def decidable(self, ctx: Context) -> bool:
        return ctx.task.majority_share is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from probed.measured(ctx, probed.one_class_output)  # the probe's, if it ran
        task = ctx.task
        classes = task.classes
        balanced = 1.0 / classes if classes else task.chance
        if task.majority_share is not None and classes and balanced is not None:
            share = task.majority_share
            if share >= balanced + IMBALANCED_MARGIN:
                yield evidence("static", "majority_share", IMBALANCED, IMBALANCED_WEIGHT,
                               where={"setting": "data.class_shares"}, share=round(share, 3),
                               classes=classes, chance=round(balanced, 3))
            elif share <= balanced + BALANCED_MARGIN:
                yield evidence("static", "balanced_classes", BALANCED, BALANCED_WEIGHT,
                               where={"setting": "data.class_shares"}, share=round(share, 3), classes=classes)
        classes_text: object = classes or "?"
        if balanced is None:
            # Task unknown: 0.5 (two balanced classes) is the highest chance any task has.
            balanced, classes_text = UNKNOWN_TASK_CHANCE, "2+"
        for symptom in ctx.symptom("stuck_chance_accuracy"):
            params = symptom.params
            level = params.get("chance")
            frozen = params.get("basis") == "one class"
            if not frozen or not isinstance(level, (int, float)) or level < balanced + ABOVE_CHANCE_MARGIN:
                continue
            yield evidence("symptom", "accuracy_frozen_above_chance", FROZEN_ABOVE, FROZEN_ABOVE_CHANCE_WEIGHT,
                           where=symptom.where,
                           source=symptom.source, metric=symptom.metric, level=round(float(level), 4),
                           chance=round(balanced, 4), classes=classes_text,
                           start=symptom.start, end=symptom.end, axis=symptom.axis,
                           axis_zh="轮" if symptom.axis == "epoch" else "步")
            break

    def fixes(self, ctx: Context) -> list[Fix]:
        return [
            Fix("set_class_weight", T("Weight the classes by their inverse frequency", "按类别频率的倒数为各类别加权"),
                "review", {"class_weight": "balanced"},
                "import numpy as np\n"
                "labels = y_train.argmax(-1) if y_train.ndim > 1 else y_train.ravel()\n"
                "counts = np.bincount(labels.astype(int))\n"
                "class_weight = {i: len(labels) / (len(counts) * c) for i, c in enumerate(counts) if c}\n"
                "model.fit(x_train, y_train, class_weight=class_weight, ...)"),
            Fix("check_labels",
                T("Count the labels per class and judge the model by per-class metrics",
                  "统计每个类别的标签数量，并用分类别指标评判模型"),
                "manual", {},
                "print(np.unique(labels, return_counts=True))\n"
                "model.compile(..., metrics=[\"accuracy\", keras.metrics.Precision(), keras.metrics.Recall(),\n"
                "                            keras.metrics.AUC()])"),
        ]
