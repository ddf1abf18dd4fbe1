"""``accuracy_metric_on_regression``: ``accuracy`` tracked for a regression loss; it counts
exact matches of continuous values, so it sits near 0 while the model may be fine (real
posts: "my regression has accuracy 0.0012")."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, evidence
from app.rules.static import PROBABILITY, REGRESSION_LOSSES, metric_names

REGRESSION_METRICS = ("mae", "mse", "mean_absolute_error", "mean_squared_error", "rmse",
                      "root_mean_squared_error", "mape", "mean_absolute_percentage_error", "msle",
                      "mean_squared_logarithmic_error", "logcosh", "huber")
# Exact matches of continuous targets: accuracy at or below this for the whole run.
NEAR_ZERO = 0.05
ACCURACY_WITH_REGRESSION_WEIGHT = 0.6  # compile settings: a fact
NEAR_ZERO_WEIGHT = 0.45  # the log: accuracy ~0 beside a regression metric
REGRESSION_METRIC_WEIGHT = 0.3  # the log prints a regression metric next to accuracy
PROBABILITY_OUTPUT_WEIGHT = -0.8  # a classifier's output: mse_for_classification's territory

WITH_REGRESSION = T(
    "the model is compiled with {metrics} but trained with {loss} on a {activation} output: a regression",
    "模型以 {metrics} 编译，却在 {activation} 输出上用 {loss} 训练：这是回归任务",
)
NEAR_ZERO_TEXT = T(
    "{metric} stays at {value} or below over the whole run while {regression} is tracked too: "
    "exact matches of continuous targets",
    "{metric} 整个训练过程都不超过 {value}，同时还记录了 {regression}：这是在统计连续目标值的精确相等",
)
REGRESSION_METRIC = T("the log tracks {regression} next to {metric}, as a regression does",
                      "日志在 {metric} 旁边记录了 {regression}，这是回归任务的做法")
PROBABILITY_OUTPUT = T("the output `{layer}` is {activation}: a classifier, whose accuracy means something",
                       "输出层 `{layer}` 使用 {activation}：这是分类器，准确率有意义")


def regression_metric(ctx: Context) -> str | None:
    """A regression metric the log prints (training side), or None."""
    if ctx.run is None:
        return None
    names = set(ctx.run.epochs) | set(ctx.run.steps)
    return next((n for n in sorted(names) if n.lower() in REGRESSION_METRICS), None)


def accuracy_near_zero(ctx: Context) -> tuple[str, float] | None:
    """(name, max) of a training accuracy that never exceeds NEAR_ZERO, or None."""
    for name in ctx.accuracy_names():
        series = ctx.series(name)
        if series is None or len(series) < 2:
            continue
        finite = series.y[np.isfinite(series.y)]
        if finite.size >= 2 and float(finite.max()) <= NEAR_ZERO:
            return name, float(finite.max())
    return None


class AccuracyMetricOnRegression(CauseRule):
    id = "accuracy_metric_on_regression"
    title = T("Accuracy tracked for a regression", "回归任务使用了准确率指标")
    explanation = T(
        "Keras' accuracy counts predictions that equal the target exactly. For continuous "
        "targets (prices, temperatures, coordinates) that almost never happens, so accuracy "
        "stays near 0 however well the model fits: the number is meaningless, not the model. "
        "Judge a regression by its loss and by MAE or RMSE in the target's units.",
        "Keras 的准确率统计的是预测值与目标值完全相等的比例。对连续目标（价格、温度、坐标）几乎不可能相等，"
        "所以无论模型拟合得多好，准确率都接近 0：没有意义的是这个数字，而不是模型。"
        "回归任务应看损失以及以目标单位表示的 MAE 或 RMSE。",
    )
    when_not = T(
        "Silent for crossentropy losses and for sigmoid/softmax outputs (a classifier trained "
        "with MSE is mse_for_classification).",
        "对交叉熵损失以及 sigmoid/softmax 输出不报告（用 MSE 训练分类器属于 mse_for_classification）。",
    )
    explains = ()

    def decidable(self, ctx: Context) -> bool:
        return ctx.model is not None and ctx.model.complete and ctx.model.loss is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        regression = regression_metric(ctx)
        near_zero = accuracy_near_zero(ctx)
        if self.decidable(ctx):
            assert model is not None and model.loss is not None
            loss = model.loss.name
            if loss not in REGRESSION_LOSSES:
                return
            accuracy = [m for m in metric_names(model) if "acc" in m]
            if model.output_activation in PROBABILITY:
                layer = model.output_layer
                yield evidence("static", "probability_output", PROBABILITY_OUTPUT, PROBABILITY_OUTPUT_WEIGHT,
                               layer=layer.name if layer else "?", activation=model.output_activation)
                return
            if accuracy:
                yield evidence("static", "accuracy_with_regression_loss", WITH_REGRESSION,
                               ACCURACY_WITH_REGRESSION_WEIGHT, metrics=", ".join(accuracy), loss=loss,
                               activation=model.output_activation or "linear")
            regression = regression or loss
        if near_zero is not None and regression is not None:
            name, top = near_zero
            yield evidence("symptom", "accuracy_near_zero", NEAR_ZERO_TEXT, NEAR_ZERO_WEIGHT,
                           where={"metric": name}, metric=name, value=round(top, 4), regression=regression)
        elif regression is not None and ctx.accuracy_names() and not self.decidable(ctx):
            yield evidence("symptom", "regression_metric_in_log", REGRESSION_METRIC, REGRESSION_METRIC_WEIGHT,
                           metric=ctx.accuracy_names()[0], regression=regression)

    def fixes(self, ctx: Context) -> list[Fix]:
        return [Fix("set_metrics", T("Track {metrics} instead of accuracy", "改为跟踪 {metrics}，不再用准确率"),
                    "safe", {"metrics": ["mae"]},
                    'model.compile(loss="mse", optimizer=..., metrics=["mae"])')]
