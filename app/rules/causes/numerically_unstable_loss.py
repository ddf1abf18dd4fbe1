"""``numerically_unstable_loss``: a hand-written loss taking the log of values that reach 0,
or the whole model in float16 (real posts: custom crossentropy going NaN)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence

# log(0) = -inf, and a softmax output reaches 0 in float32 once a logit is ~100 below the
# others: an unguarded log in the loss is NaN waiting to happen. A fact of the code.
UNGUARDED_LOG_WEIGHT = 0.75
# float16 everywhere (set_floatx) overflows at 65504 and has no loss scaling.
FLOAT16_WEIGHT = 0.55

UNGUARDED_LOG = T(
    "the loss (or a metric) is the code's own function and takes a log without clipping or an "
    "epsilon: `{snippet}`",
    "损失（或指标）是代码自己写的函数，取对数前没有裁剪也没有 epsilon：`{snippet}`",
)
FLOAT16 = T("the code sets every tensor to half precision: `{snippet}`",
            "代码把所有张量设为半精度：`{snippet}`")


class NumericallyUnstableLoss(CauseRule):
    id = "numerically_unstable_loss"
    title = T("Numerically unstable loss", "数值不稳定的损失函数")
    explanation = T(
        "A loss written by hand as -sum(y * log(p)) breaks as soon as a predicted probability "
        "rounds to 0: log(0) is -inf, its gradient infinite, and after one such step every "
        "weight is NaN. Keras' built-in crossentropies clip the probabilities (or work on logits "
        "with from_logits=True) exactly to avoid this. Half precision everywhere overflows above "
        "65504 and underflows small gradients; the mixed-precision policy keeps the loss in "
        "float32 and scales it.",
        "手写成 -sum(y * log(p)) 的损失，一旦某个预测概率舍入为 0 就会出错：log(0) 为负无穷，梯度无穷大，"
        "一步之后所有权重都变成 NaN。Keras 内置的交叉熵正是为此对概率做了裁剪（或用 from_logits=True 直接处理 logits）。"
        "全部使用半精度时，超过 65504 会溢出，小梯度会下溢；混合精度策略会让损失保持 float32 并做缩放。",
    )
    when_not = T(
        "Needs the training code; silent for built-in losses and for hand-written ones that clip "
        "or add an epsilon before the log.",
        "需要训练代码；对内置损失函数以及在取对数前做了裁剪或加了 epsilon 的手写损失不报告。",
    )
    explains = (SymptomWeight("nan_loss", 0.4), SymptomWeight("loss_spike", 0.15))
    settle = T("The training code (the loss function) would settle it.", "提供训练代码（其中的损失函数）即可确认。")

    def decidable(self, ctx: Context) -> bool:
        return ctx.has_code

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        for hint, text, weight in (("unguarded_log_loss", UNGUARDED_LOG, UNGUARDED_LOG_WEIGHT),
                                   ("float16_floatx", FLOAT16, FLOAT16_WEIGHT)):
            source = ctx.code_hint(hint)
            if source is not None:
                yield evidence("static", hint, text, weight, where={"setting": f"code.{hint}"}, source=source,
                               snippet=source.snippet or "")

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("guard_custom_loss",
                    T("Use the built-in loss, or clip before the log", "改用内置损失函数，或在取对数前裁剪"),
                    "manual", {},
                    "model.compile(loss=keras.losses.CategoricalCrossentropy(), ...)\n"
                    "# or in the own loss: y_pred = tf.clip_by_value(y_pred, 1e-7, 1 - 1e-7)\n"
                    "# half precision: keras.mixed_precision.set_global_policy(\"mixed_float16\")")]
