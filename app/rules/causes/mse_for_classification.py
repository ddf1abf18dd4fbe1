"""``mse_for_classification``: a sigmoid/softmax output trained with MSE/MAE (seed 000)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.static import PROBABILITY, REGRESSION_LOSSES, layer_where, metric_names

PROB_OUTPUT = T(
    "the output `{layer}` is {activation} ({units} unit(s)), a classifier, but the loss is {loss}",
    "输出层 `{layer}` 使用 {activation}（{units} 个单元），是分类器，但损失函数是 {loss}",
)
ACCURACY_METRIC = T(
    "the model is compiled with an accuracy metric ({metrics}) but trained with {loss}",
    "模型以准确率指标（{metrics}）编译，却用 {loss} 训练",
)
NOT_REGRESSION = T("the loss is {loss}, not a regression loss", "损失函数是 {loss}，不是回归损失")


class MseForClassification(CauseRule):
    id = "mse_for_classification"
    title = T("Regression loss used for classification", "分类任务使用了回归损失")
    explanation = T(
        "Mean squared (or absolute) error on sigmoid/softmax outputs gives tiny gradients when "
        "the model is confidently wrong (the sigmoid's slope vanishes at 0 and 1), so training "
        "stalls near chance and depends on the random seed. Crossentropy matches the "
        "probabilistic output and keeps the gradient large exactly when the model is wrong.",
        "在 sigmoid/softmax 输出上使用均方（或绝对）误差时，模型一旦\"自信地出错\"梯度就非常小"
        "（sigmoid 在 0 和 1 附近斜率消失），训练停在随机水平附近，并且结果依赖随机种子。"
        "交叉熵与概率输出相匹配，恰好在模型出错时保持较大的梯度。",
    )
    when_not = T(
        "Silent for regression models (linear output without accuracy metrics) and for "
        "crossentropy losses.",
        "对于回归模型（线性输出且无准确率指标）以及交叉熵损失不报告。",
    )
    explains = (SymptomWeight("stuck_chance_accuracy", 0.4), SymptomWeight("plateau_no_learning", 0.3),
                SymptomWeight("slow_convergence", 0.15))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or model.loss is None or not model.complete:
            return
        loss = model.loss.name
        layer = model.output_layer
        activation = model.output_activation
        if loss not in REGRESSION_LOSSES:
            yield evidence("static", "not_regression_loss", NOT_REGRESSION, -0.8, loss=loss)
            return
        if activation in PROBABILITY:
            yield evidence("static", "probability_output_with_regression_loss", PROB_OUTPUT, 0.85,
                           where=layer_where(layer), layer=layer.name if layer else "?",
                           activation=activation, units=model.output_units, loss=loss)
            return
        accuracy = [m for m in metric_names(model) if "acc" in m]
        if accuracy:
            yield evidence("static", "accuracy_metric_with_regression_loss", ACCURACY_METRIC, 0.6,
                           metrics=", ".join(accuracy), loss=loss)

    def fixes(self, ctx: Context) -> list[Fix]:
        model = ctx.model
        units = model.output_units if model else None
        loss = "binary_crossentropy" if units in (None, 1) else "categorical_crossentropy"
        return [Fix("set_loss", T("Change the loss to {loss}", "将损失函数改为 {loss}"), "safe",
                    {"loss": loss}, f'model.compile(loss="{loss}", optimizer=..., metrics=["accuracy"])')]
