"""``preprocessing_mismatch``: inputs prepared differently for training and for evaluation or
prediction, or destroyed by the preparation (real posts: test images not divided by 255,
``x // 255``)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.data_evidence import constant_inputs
from app.rules.probed import measured

# ``x // 255`` turns 0..254 into 0 and 255 into 1: the inputs are all but erased. A fact of
# the code.
FLOOR_DIVISION_WEIGHT = 0.85
# fit() gets an array scaled in the code, evaluate()/predict() a different one that never
# is: the evaluation sees inputs 255× larger than anything in training.
UNSCALED_EVAL_WEIGHT = 0.7
# One ImageDataGenerator rescales, another one does not: most often the test generator.
UNSCALED_GENERATOR_WEIGHT = 0.55

FLOOR_DIVISION = T(
    "the code divides the inputs with integer division (`{snippet}`): every value below 255 becomes 0",
    "代码用整数除法处理输入（`{snippet}`）：所有小于 255 的值都变成 0",
)
UNSCALED_EVAL = T(
    "fit() gets data scaled in the code, but `{snippet}` gets an array that is never scaled",
    "fit() 使用的是代码中缩放过的数据，但 `{snippet}` 使用的数组从未被缩放",
)
UNSCALED_GENERATOR = T(
    "one ImageDataGenerator rescales its images, but `{snippet}` does not",
    "一个 ImageDataGenerator 对图像做了缩放，但 `{snippet}` 没有",
)


class PreprocessingMismatch(CauseRule):
    id = "preprocessing_mismatch"
    title = T("Evaluation data prepared differently from training data",
              "评估数据与训练数据的预处理不一致")
    explanation = T(
        "A model only knows inputs like the ones it was trained on. Images divided by 255 for "
        "fit() but not for evaluate() or predict() reach the model 255 times larger than "
        "anything it has seen, and it answers one class for everything: evaluate() disagrees "
        "with the training accuracy. Integer division (x // 255) erases the inputs before "
        "training even starts. Prepare every split with the same code, best inside the model "
        "(a Rescaling or Normalization layer), so a saved model carries its preprocessing.",
        "模型只认识与训练时相似的输入。如果 fit() 的图像除以了 255，而 evaluate() 或 predict() 的没有，"
        "模型看到的输入比训练时大 255 倍，于是对所有样本都给出同一类别：evaluate() 与训练准确率不一致。"
        "整数除法（x // 255）则在训练开始前就抹掉了输入。请用同一段代码处理所有数据划分，"
        "最好放在模型内部（Rescaling 或 Normalization 层），这样保存的模型也带着它的预处理。",
    )
    when_not = T(
        "Needs the training code (data preparation is not in a model file) or a data sample whose "
        "features the preparation left constant; silent when every array given to fit, evaluate "
        "and predict is prepared the same way.",
        "需要训练代码（数据预处理不在模型文件中）或特征被预处理变成常量的数据样本；"
        "当传给 fit、evaluate 和 predict 的数组都以相同方式处理时不报告。",
    )
    explains = (SymptomWeight("eval_mismatch", 0.4), SymptomWeight("stuck_chance_accuracy", 0.15),
                SymptomWeight("val_stuck_train_improves", 0.15))
    settle = T("The training code (where the data are prepared) would settle it.",
               "提供训练代码（数据预处理的部分）即可确认。")

    def decidable(self, ctx: Context) -> bool:
        return ctx.has_code or ctx.inputs is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from measured(ctx, constant_inputs)
        for hint, code, text, weight in (
                ("floor_divides_by_255", "floor_division", FLOOR_DIVISION, FLOOR_DIVISION_WEIGHT),
                ("unscaled_eval_input", "unscaled_eval_input", UNSCALED_EVAL, UNSCALED_EVAL_WEIGHT),
                ("unscaled_generator", "unscaled_generator", UNSCALED_GENERATOR, UNSCALED_GENERATOR_WEIGHT)):
            source = ctx.code_hint(hint)
            if source is not None:
                yield evidence("static", code, text, weight, where={"setting": f"code.{hint}"}, source=source,
                               snippet=source.snippet or "")

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("same_preprocessing",
                    T("Prepare evaluation data exactly like training data", "评估数据按与训练数据完全相同的方式预处理"),
                    "manual", {},
                    "x_train = x_train.astype(\"float32\") / 255.0\n"
                    "x_test = x_test.astype(\"float32\") / 255.0   # the same for every split\n"
                    "# or inside the model: keras.layers.Rescaling(1 / 255) as the first layer")]
