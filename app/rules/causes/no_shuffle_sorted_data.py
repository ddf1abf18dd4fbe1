"""``no_shuffle_sorted_data``: training batches come in file order (``shuffle=False``), which
for data sorted by label means single-class batches (seed 002's ``fit(..., shuffle=False)``,
seed 003 §6, §7)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.batchnorm_train_inference_mismatch import fit_setting, setting_where

# shuffle=False is a fact, not a guess, but it only hurts when the data are ordered: kept at
# 0.6 so a run that trains fine (absence piece x0.65) is not reported for it.
NO_SHUFFLE_WEIGHT = 0.6
# shuffle=True is Keras' default, so an explicit True only confirms the usual setting.
SHUFFLED_WEIGHT = -0.7

NO_SHUFFLE = T(
    "fit was called with shuffle=False: every epoch sees the samples in file order, and data "
    "sorted by label give single-class batches",
    "fit 使用了 shuffle=False：每轮都按文件顺序读取样本，按标签排序的数据会产生只含一个类别的批次",
)
# The code shuffles the arrays once before fit (np.random.shuffle, permutation,
# train_test_split, which shuffles by default): batches are mixed even with shuffle=False.
SHUFFLED_ONCE_WEIGHT = -0.5
# The code sorts something: a weak hint that the data are ordered.
SORTED_WEIGHT = 0.15
# Measured on the data sample (--data): rows in class-sorted order (app.rules.data.SORTED_CHANGE_SHARE).
# With shuffle=False that is the whole cause; with the shuffle setting unknown, a likely one.
MEASURED_SORTED_WEIGHT = 0.7
MEASURED_SORTED_SHUFFLE_UNKNOWN_WEIGHT = 0.4
SORTED_SAMPLE = T(
    "the data sample's {rows} rows come sorted by class: the label changes {changes} times, where a "
    "shuffled order of these classes would change about {expected} times",
    "数据样本的 {rows} 行按类别排序：标签只变化了 {changes} 次，而打乱后的顺序约会变化 {expected} 次",
)
SHUFFLED_ONCE = T("the training code shuffles the data once before fit: `{snippet}`",
                  "训练代码在 fit 之前把数据打乱了一次：`{snippet}`")
SORTED = T("the training code sorts data: `{snippet}`", "训练代码对数据做了排序：`{snippet}`")
SHUFFLED = T("fit shuffles the training data every epoch (shuffle=True)", "fit 每轮都会打乱训练数据（shuffle=True）")


class NoShuffleSortedData(CauseRule):
    id = "no_shuffle_sorted_data"
    title = T("Training data not shuffled", "训练数据没有打乱")
    explanation = T(
        "With shuffle=False Keras feeds the samples in the order they are stored. Data saved "
        "class by class then give batches of a single class: each step pulls the model toward "
        "that class, the loss swings from batch to batch, and BatchNormalization learns "
        "statistics of one class at a time, so validation and evaluate() disagree with training. "
        "The model leaves each epoch leaning to the last class it saw, so validation accuracy "
        "often sits at that class's share. "
        "Shuffle every epoch, or shuffle the dataset once with a buffer as large as the data.",
        "shuffle=False 时，Keras 按样本的存储顺序读取。如果数据是按类别依次保存的，每个批次就只含一个类别："
        "每一步都把模型拉向那个类别，损失在批次之间大幅摆动，BatchNormalization 也一次只学到一个类别的统计量，"
        "于是验证集和 evaluate() 的结果与训练不一致。模型每轮结束时偏向最后见到的类别，"
        "因此验证准确率常常停在该类别的占比上。请每轮都打乱数据，"
        "或者用与数据量同样大的缓冲区对数据集做打乱。",
    )
    when_not = T(
        "Silent when fit shuffles (shuffle=True, Keras' default) and undecided when the setting "
        "is not known; training code that shuffles the arrays once before fit weakens it. Note that fit ignores shuffle for tf.data datasets and generators, which "
        "must shuffle themselves.",
        "当 fit 打乱数据（shuffle=True，Keras 默认）时不报告；设置未知时无法判断；训练代码在 fit 之前"
        "把数组打乱过一次会削弱这一判断。注意：对 tf.data 数据集"
        "和生成器，fit 会忽略 shuffle 参数，需要它们自己打乱。",
    )
    # The model ends every epoch on the last class it saw: on validation it answers that one
    # class, so validation accuracy sits at that class's share (seed 002: 0.5000 every epoch).
    explains = (SymptomWeight("val_stuck_train_improves", 0.3), SymptomWeight("oscillation", 0.25),
                SymptomWeight("eval_mismatch", 0.3), SymptomWeight("stuck_chance_accuracy", 0.2))
    settle = T(
        "The fit call (its shuffle argument) or the data pipeline code would settle it.",
        "提供 fit 调用（其 shuffle 参数）或数据管道代码即可确认。",
    )

    def decidable(self, ctx: Context) -> bool:
        return fit_setting(ctx, "shuffle")[0] is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        shuffle, source = fit_setting(ctx, "shuffle")
        if shuffle is False:
            yield evidence("setting", "shuffle_false", NO_SHUFFLE, NO_SHUFFLE_WEIGHT,
                           where=setting_where("shuffle"), source=source)
            once = ctx.code_hint("shuffles_data")
            if once is not None:
                yield evidence("static", "shuffled_once_in_code", SHUFFLED_ONCE, SHUFFLED_ONCE_WEIGHT,
                               where={"setting": "code.shuffle"}, source=once, snippet=once.snippet or "")
            ordered = ctx.code_hint("sorts_data")
            if ordered is not None and once is None:
                yield evidence("static", "sorted_in_code", SORTED, SORTED_WEIGHT,
                               where={"setting": "code.sort"}, source=ordered, snippet=ordered.snippet or "")
        elif shuffle is True:
            yield evidence("setting", "shuffle_true", SHUFFLED, SHUFFLED_WEIGHT,
                           where=setting_where("shuffle"), source=source)
        labels = ctx.labels
        if labels is not None and labels.sorted_by_class and shuffle is not True:
            yield evidence("measured", "sample_sorted_by_class", SORTED_SAMPLE,
                           MEASURED_SORTED_WEIGHT if shuffle is False else MEASURED_SORTED_SHUFFLE_UNKNOWN_WEIGHT,
                           where={"setting": "data.order"}, rows=labels.rows, changes=labels.changes,
                           expected=int(round(labels.expected_changes)))

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("set_shuffle", T("Shuffle the training data every epoch", "每轮都打乱训练数据"),
                    "safe", {"shuffle": True},
                    "model.fit(x_train, y_train, shuffle=True, ...)\n"
                    "# tf.data: dataset = dataset.shuffle(len(x_train), reshuffle_each_iteration=True).batch(32)")]
