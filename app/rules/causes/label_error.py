"""``label_error``: labels that do not belong to their samples (misaligned after a shuffle or
a sort, a wrong encoding) (seed 003 §10). Neither the model nor the settings show labels, so
the rule only weighs the curves and says what would settle it."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight


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
        """Labels are never visible in a model or fit settings: symptoms stay capped, not scaled."""
        return False

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        return iter(())

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("check_labels", T("Check a few samples against their labels", "对照检查几个样本及其标签"),
                    "manual", {},
                    "import numpy as np\n"
                    "print(np.unique(y_train.argmax(-1) if y_train.ndim > 1 else y_train, return_counts=True))\n"
                    "for i in np.random.default_rng(0).choice(len(x_train), 5, replace=False):\n"
                    "    print(i, y_train[i], x_train[i].ravel()[:10])  # does the label fit the sample?")]
