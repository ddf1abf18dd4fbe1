"""``nonfinite_data``: NaN or inf values in the data the model trains or validates on (a data
sample given with ``--data`` / ``--val-data`` shows them; a log cannot).

Added to the taxonomy by this project: a missing value read as NaN (pandas' empty cells, a
division by a zero standard deviation) is the most common cause of a NaN loss on real data
and had no id.
"""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import Context, CauseRule, SymptomWeight, evidence

# No threshold: one NaN in a batch makes that batch's loss NaN (every reduction over it is
# NaN), and with it every weight after the update. So any NaN/inf value is strong evidence.
NONFINITE_WEIGHT = 0.9
# A sample free of NaN/inf argues against, weakly: it is a few thousand rows of the data.
FINITE_WEIGHT = -0.3

NONFINITE = T(
    "the {which} sample holds {count} NaN/inf {part} value(s) ({share}% of {total}): the loss of any "
    "batch that contains one is NaN, and after its update every weight",
    "{which_zh}样本中含有 {count} 个 NaN/inf {part_zh}值（占 {total} 个的 {share}%）：任何包含它的批次的损失都是 NaN，"
    "更新之后所有权重也会变成 NaN",
)
FINITE = T(
    "the data sample holds no NaN or inf ({total} input values{labels})",
    "数据样本中没有 NaN 或 inf（{total} 个输入值{labels_zh}）",
)


class NonfiniteData(CauseRule):
    id = "nonfinite_data"
    title = T("NaN or inf values in the data", "数据中含有 NaN 或 inf 值")
    explanation = T(
        "A single NaN (a missing value read from a CSV, a division by a zero standard deviation, "
        "the log of 0 in feature engineering) turns the loss of its batch into NaN; the "
        "gradient and then every weight follow after one update, and the run never recovers. "
        "No learning rate or clipping helps: the data has to be cleaned before fit(). Drop or "
        "impute the rows, and assert np.isfinite on every array given to fit.",
        "一个 NaN（CSV 中读入的缺失值、除以为零的标准差、特征工程中对 0 取对数）就会让其所在批次的损失变成 NaN；"
        "一次更新后梯度和所有权重随之变成 NaN，训练再也无法恢复。调整学习率或梯度裁剪都无济于事："
        "必须在 fit() 之前清理数据。删除或填补这些行，并对传给 fit 的每个数组断言 np.isfinite。",
    )
    when_not = T(
        "Needs a data sample (--data, --val-data); silent when the sample holds no NaN or inf.",
        "需要数据样本（--data、--val-data）；样本中没有 NaN 或 inf 时不报告。",
    )
    explains = (SymptomWeight("nan_loss", 0.5),)
    settle = T("A sample of the training data (--data) would settle it.",
               "提供训练数据的样本（--data）即可确认。")

    def decidable(self, ctx: Context) -> bool:
        return ctx.inputs is not None or ctx.labels is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        found = False
        for which, which_zh, facts in (("training", "训练", ctx.inputs), ("validation", "验证", ctx.validation_inputs)):
            if facts is not None and facts.nonfinite:
                found = True
                yield evidence("measured", "nonfinite_inputs_measured", NONFINITE, NONFINITE_WEIGHT,
                               where={"setting": "data.inputs"}, which=which, which_zh=which_zh, part="input",
                               part_zh="输入", count=facts.nonfinite, total=facts.values,
                               share=round(100 * facts.nonfinite / facts.values, 3))
        labels = ctx.labels
        if labels is not None and labels.nonfinite:
            found = True
            yield evidence("measured", "nonfinite_labels_measured", NONFINITE, NONFINITE_WEIGHT,
                           where={"setting": "data.labels"}, which="training", which_zh="训练", part="label",
                           part_zh="标签", count=labels.nonfinite, total=labels.rows,
                           share=round(100 * labels.nonfinite / max(1, labels.rows), 3))
        inputs = ctx.inputs
        if not found and inputs is not None:
            checked = labels is not None
            yield evidence("measured", "data_finite_measured", FINITE, FINITE_WEIGHT, where={"setting": "data.inputs"},
                           total=inputs.values, labels=" and their labels" if checked else "",
                           labels_zh="及其标签" if checked else "")

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("clean_nonfinite_data",
                    T("Drop (or impute) the rows with NaN/inf before fit()", "在 fit() 之前删除（或填补）含 NaN/inf 的行"),
                    "manual", {},
                    "import numpy as np\n"
                    "bad = ~np.isfinite(x_train).reshape(len(x_train), -1).all(axis=1)\n"
                    "bad |= ~np.isfinite(np.asarray(y_train, dtype=float)).reshape(len(y_train), -1).all(axis=1)\n"
                    "x_train, y_train = x_train[~bad], y_train[~bad]  # or impute, e.g. df.fillna(df.median())\n"
                    "assert np.isfinite(x_train).all() and np.isfinite(y_train).all()\n"
                    "# the same for the validation and test arrays")]
