"""``label_error``: labels that do not belong to their samples (misaligned after a shuffle or
a sort, a wrong encoding) (seed 003 §10). Neither the model nor the settings show labels, so
the rule only weighs the curves and says what would settle it."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.data_evidence import LABELS_DIFFER_MIN_ROWS, labels_differ
from app.rules.probed import measured

# Validation accuracy far BELOW chance while training accuracy is high: the model learned a
# consistent mapping that the validation labels contradict, which happens when the two label
# sets are encoded differently (class ids shifted, another class order, one-hot built from
# another list). Noise or overfitting bring accuracy down to chance, not under it.
BELOW_CHANCE_SHARE = 0.5  # val accuracy under half the chance level ...
TRAIN_LEARNED = 0.3  # ... while training accuracy ends this far above chance
BELOW_CHANCE_WEIGHT = 0.7
LAST_EPOCHS = 3
BELOW_CHANCE = T(
    "{val} ends at {val_acc}, far below the {chance} of a guess, while {train} reaches {train_acc}: "
    "the model learned a mapping the validation labels contradict (labels encoded differently "
    "in the two sets)",
    "{val} 最终为 {val_acc}，远低于随机猜测的 {chance}，而 {train} 达到 {train_acc}："
    "模型学到的映射与验证标签相反（两组数据的标签编码不同）",
)


def accuracy_below_chance(ctx: Context) -> dict | None:
    """The numbers when validation accuracy ends far below chance while training accuracy
    is high (the signature of differently encoded labels), else None."""
    chance = ctx.task.chance
    train, val = ctx.series("accuracy"), ctx.series("val_accuracy")
    if chance is None or train is None or val is None:
        return None
    train_tail = train.y[np.isfinite(train.y)][-LAST_EPOCHS:]
    val_tail = val.y[np.isfinite(val.y)][-LAST_EPOCHS:]
    if train_tail.size == 0 or val_tail.size == 0:
        return None
    train_acc, val_acc = float(np.mean(train_tail)), float(np.mean(val_tail))
    if val_acc >= BELOW_CHANCE_SHARE * chance or train_acc <= chance + TRAIN_LEARNED:
        return None
    return {"series": val, "val": val.name, "train": train.name, "val_acc": round(val_acc, 4),
            "train_acc": round(train_acc, 4), "chance": round(chance, 4)}


class LabelError(CauseRule):
    id = "label_error"
    title = T("Labels do not match the samples", "标签与样本不对应")
    explanation = T(
        "If labels are shifted against their samples (x and y shuffled or sorted separately, "
        "files matched in the wrong order) or encoded wrongly (one-hot columns swapped, class "
        "ids off by one), the network can only memorize the training pairs. Training loss then "
        "falls to almost zero while validation stays at chance, because nothing general links "
        "inputs to labels. Look at a few samples next to their labels, and count the labels per "
        "class, before changing the model.",
        "如果标签与样本错位（x 和 y 被分别打乱或排序、文件按错误顺序配对），或者编码有误（one-hot 列顺序颠倒、"
        "类别 id 差一），网络只能死记训练集中的样本-标签对。于是训练损失降到几乎为 0，而验证集仍停在随机水平，"
        "因为输入和标签之间没有可泛化的联系。在修改模型之前，先查看几个样本及其标签，并统计每个类别的标签数量。",
    )
    when_not = T(
        "Silent when the training loss does not collapse and validation does not stay at chance "
        "while training improves; without a data sample it never goes past the symptom-only cap.",
        "当训练损失没有骤降为零、且验证集没有在训练改善时停在随机水平时不报告；"
        "没有数据样本时，其置信度不会超过仅凭症状的上限。",
    )
    explains = (SymptomWeight("loss_collapse_zero", 0.45), SymptomWeight("val_stuck_train_improves", 0.25))
    settle = T(
        "A look at a few samples and their labels (and the label counts per class) would settle it.",
        "查看几个样本及其标签（以及每个类别的标签数量）即可确认。",
    )

    def decidable(self, ctx: Context) -> bool:
        """Labels are never visible in a model or fit settings: symptoms stay capped, not scaled,
        unless a training and a validation sample share rows whose labels can be compared."""
        overlap = ctx.overlap
        return overlap is not None and overlap.shared_labeled >= LABELS_DIFFER_MIN_ROWS

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from measured(ctx, labels_differ)
        found = accuracy_below_chance(ctx)
        if found is None:
            return
        val = found.pop("series")
        yield evidence("symptom", "val_accuracy_below_chance", BELOW_CHANCE, BELOW_CHANCE_WEIGHT,
                       where={"metric": val.name, "start": int(val.x[-min(LAST_EPOCHS, val.x.size)]),
                              "end": int(val.x[-1])},
                       source=val.source_of(val.y.size - 1), **found)

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("check_labels", T("Check a few samples against their labels", "对照检查几个样本及其标签"),
                    "manual", {},
                    "import numpy as np\n"
                    "print(np.unique(y_train.argmax(-1) if y_train.ndim > 1 else y_train, return_counts=True))\n"
                    "for i in np.random.default_rng(0).choice(len(x_train), 5, replace=False):\n"
                    "    print(i, y_train[i], x_train[i].ravel()[:10])  # does the label fit the sample?")]
