"""``softmax_with_binary_crossentropy``: a 2+ unit softmax output under binary_crossentropy
(seed 002): Keras silently switches ``accuracy`` to binary accuracy."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.static import layer_where

SOFTMAX_BCE = T(
    "the output `{layer}` is a softmax over {units} units while the loss is binary_crossentropy: "
    "\"accuracy\" becomes binary accuracy over the one-hot vector",
    "输出层 `{layer}` 是 {units} 个单元的 softmax，而损失函数是 binary_crossentropy：\"accuracy\" "
    "变成了对 one-hot 向量逐元素计算的二值准确率",
)
FITS = T("the loss {loss} fits a {activation} output of {units} unit(s)",
         "损失函数 {loss} 与 {units} 个单元的 {activation} 输出相匹配")


class SoftmaxWithBinaryCrossentropy(CauseRule):
    id = "softmax_with_binary_crossentropy"
    title = T("Softmax output trained with binary crossentropy", "softmax 输出配了二元交叉熵")
    explanation = T(
        "binary_crossentropy treats every output unit as an independent yes/no question, while "
        "softmax makes the units compete. Keras then reports binary accuracy over the one-hot "
        "vector, which looks fine on training data while the model has not learned the classes: "
        "validation stays at chance and evaluate() disagrees with training. Use "
        "categorical_crossentropy with softmax, or one sigmoid unit with binary_crossentropy.",
        "binary_crossentropy 把每个输出单元当作独立的是/否问题，而 softmax 让各单元相互竞争。"
        "Keras 此时报告的是对 one-hot 向量逐元素的二值准确率，训练集上看起来不错，但模型并没有学会类别："
        "验证集停在随机水平，evaluate() 与训练结果不一致。softmax 应配 categorical_crossentropy，"
        "或改为 1 个 sigmoid 单元配 binary_crossentropy。",
    )
    when_not = T(
        "Silent for sigmoid outputs under binary_crossentropy and softmax outputs under "
        "categorical/sparse crossentropy.",
        "sigmoid 输出配 binary_crossentropy、softmax 输出配 categorical/sparse 交叉熵时不报告。",
    )
    explains = (SymptomWeight("val_stuck_train_improves", 0.35), SymptomWeight("eval_mismatch", 0.3),
                SymptomWeight("stuck_chance_accuracy", 0.15))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or model.loss is None or not model.complete:
            return
        layer = model.output_layer
        units = model.output_units
        activation = model.output_activation
        if model.loss.name == "binary_crossentropy" and activation == "softmax" and (units or 0) >= 2:
            yield evidence("static", "softmax_under_bce", SOFTMAX_BCE, 0.85, where=layer_where(layer),
                           layer=layer.name if layer else "?", units=units)
        else:
            yield evidence("static", "loss_fits_output", FITS, -0.8, loss=model.loss.name,
                           activation=activation or "linear", units=units)

    def fixes(self, ctx: Context) -> list[Fix]:
        return [
            Fix("set_loss", T("Change the loss to categorical_crossentropy", "将损失函数改为 categorical_crossentropy"),
                "safe", {"loss": "categorical_crossentropy"},
                'model.compile(loss="categorical_crossentropy", optimizer=..., metrics=["accuracy"])'),
            Fix("set_output_activation",
                T("Use one sigmoid output unit with binary_crossentropy", "改为 1 个 sigmoid 输出单元并使用 binary_crossentropy"),
                "review", {"activation": "sigmoid", "units": 1},
                'Dense(1, activation="sigmoid")  # labels as 0/1, not one-hot'),
        ]
