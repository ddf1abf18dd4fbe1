"""``final_activation_mismatch``: the output activation does not fit the loss (seed 004)."""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.static import NON_PROBABILITY, PROBABILITY, layer_call, layer_where

NON_PROB_WITH_CE = T(
    "the output layer `{layer}` uses {activation} while the loss is {loss} with from_logits=False: "
    "the loss expects probabilities",
    "输出层 `{layer}` 使用 {activation}，而损失函数是 from_logits=False 的 {loss}：该损失需要概率输入",
)
PROB_WITH_LOGITS = T(
    "the output layer `{layer}` already applies {activation} while the loss is {loss} with "
    "from_logits=True: the probabilities are squashed a second time",
    "输出层 `{layer}` 已经使用 {activation}，而损失函数 {loss} 设置了 from_logits=True：概率被再次压缩",
)
ACTIVATION_BEFORE_SOFTMAX = T(
    "`{previous}` applies {activation} to the logits before the final {final}: negative logits are cut off",
    "`{previous}` 在最后的 {final} 之前对 logits 施加了 {activation}：负的 logits 被截断",
)
ONE_UNIT_SOFTMAX = T(
    "the output `{layer}` is a softmax over 1 unit with {loss}: it outputs 1.0 for every sample, so "
    "the loss cannot fall and accuracy is the share of one class; one unit for yes/no needs sigmoid",
    "输出层 `{layer}` 是只有 1 个单元的 softmax，损失为 {loss}：对每个样本都输出 1.0，损失无法下降，"
    "准确率就是某一类的占比；一个单元的二分类输出需要 sigmoid",
)
# A softmax over one unit is the constant 1: nothing the weights do reaches the loss.
ONE_UNIT_SOFTMAX_WEIGHT = 0.9
# A Dropout (or noise) layer after the softmax/sigmoid: in training it zeroes some of the
# probabilities and scales the rest by 1 / (1 - rate), so the loss is computed on values that
# are no probabilities (a dropped true class costs -log(1e-7) = 16). A fact of the model.
NOISE_AFTER_OUTPUT = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
                      "GaussianNoise", "AlphaDropout")
NOISE_AFTER_OUTPUT_WEIGHT = 0.75
NOISE_AFTER = T(
    "`{layer}` ({noise}) comes after the {activation} output: in training it zeroes some of the probabilities and "
    "scales the others, so {loss} is computed on values that are no probabilities",
    "`{layer}`（{noise}）位于 {activation} 输出之后：训练时它把部分概率置零并放大其余的值，"
    "因此 {loss} 计算在并非概率的数值上",
)
FITS = T(
    "the output activation {activation} fits {loss} (from_logits={from_logits})",
    "输出激活 {activation} 与 {loss}（from_logits={from_logits}）相匹配",
)


class FinalActivationMismatch(CauseRule):
    id = "final_activation_mismatch"
    title = T("Output activation does not fit the loss", "输出层激活函数与损失函数不匹配")
    explanation = T(
        "Crossentropy losses expect the model's output to be probabilities (softmax for one "
        "class per sample, sigmoid for yes/no or multi-label) unless from_logits=True. A relu or "
        "linear output gives values that are 0, negative or above 1: the loss takes the log of 0 "
        "and becomes inf/NaN, and the gradients die, so accuracy falls to chance. The opposite "
        "mistake, softmax/sigmoid output with from_logits=True, squashes twice and learns badly.",
        "交叉熵损失要求模型输出是概率（每个样本一个类别用 softmax，二分类或多标签用 sigmoid），"
        "除非设置 from_logits=True。relu 或线性输出会产生 0、负数或大于 1 的值：损失对 0 取对数"
        "变成 inf/NaN，梯度消失，准确率降到随机水平。反过来，softmax/sigmoid 输出再配 from_logits=True "
        "会压缩两次，学习效果很差。",
    )
    when_not = T(
        "Silent when the output is softmax/sigmoid with from_logits=False, or a linear output with "
        "from_logits=True, or the loss is not a crossentropy.",
        "当输出为 softmax/sigmoid 且 from_logits=False，或线性输出且 from_logits=True，或损失不是交叉熵时不报告。",
    )
    explains = (SymptomWeight("nan_loss", 0.45), SymptomWeight("stuck_chance_accuracy", 0.35),
                SymptomWeight("plateau_no_learning", 0.3))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from probed.measured(ctx, probed.learn_trial)  # the probe's, if it ran
        model = ctx.model
        if model is None or model.loss is None or not model.complete:
            return
        loss = model.loss
        layer = model.output_layer
        activation = model.output_activation
        if not loss.is_crossentropy or layer is None:
            return
        logits = bool(loss.from_logits)
        params = {"layer": layer.name, "activation": activation or "linear", "loss": loss.name,
                  "from_logits": logits}
        if not logits and activation in NON_PROBABILITY:
            weight = 0.9 if activation in ("relu", "linear", None) else 0.75
            yield evidence("static", "non_probability_output", NON_PROB_WITH_CE, weight,
                           where=layer_where(layer), **params)
            return
        if activation == "softmax" and model.output_units == 1 and loss.name.startswith("binary"):
            yield evidence("static", "one_unit_softmax", ONE_UNIT_SOFTMAX, ONE_UNIT_SOFTMAX_WEIGHT,
                           where=layer_where(layer), **params)
            return
        if logits and activation in PROBABILITY:
            yield evidence("static", "probability_output_with_logits", PROB_WITH_LOGITS, 0.75,
                           where=layer_where(layer), **params)
            return
        previous = self._activation_before_softmax(ctx)
        if previous is not None:
            yield previous
            return
        noise = noise_after_output(model)
        if noise is not None and activation in PROBABILITY:
            yield evidence("static", "noise_after_output", NOISE_AFTER, NOISE_AFTER_OUTPUT_WEIGHT, where=layer_where(noise),
                           layer=noise.name, noise=noise.class_name, activation=activation, loss=loss.name)
            return
        yield evidence("static", "activation_fits_loss", FITS, -0.8, where=layer_where(layer), **params)

    def _activation_before_softmax(self, ctx: Context) -> Evidence | None:
        model = ctx.model
        assert model is not None
        layers = model.layers
        out = model.output_layer
        if out is None or out.class_name not in ("Softmax", "Activation") or out not in layers:
            return None
        index = layers.index(out)
        if index == 0:
            return None
        previous = layers[index - 1]
        if previous.activation in ("relu", "sigmoid", "tanh", "elu", "selu") and previous.units is not None:
            return evidence("static", "activation_before_softmax", ACTIVATION_BEFORE_SOFTMAX, 0.6,
                            where=layer_where(previous), previous=previous.name,
                            activation=previous.activation, final=model.output_activation)
        return None

    def fixes(self, ctx: Context) -> list[Fix]:
        model = ctx.model
        noise = noise_after_output(model) if model is not None else None
        if noise is not None:
            return [Fix("remove_noise_after_output",
                        T("Remove {layer} after the output activation", "去掉输出激活之后的 {layer}"),
                        "safe", {"layer": noise.name},
                        f"# remove the {noise.class_name} after the output; dropout belongs before the last Dense:\n"
                        "x = layers.Dropout(0.2)(x)\n"
                        "outputs = layers.Dense(num_classes, activation=\"softmax\")(x)")]
        units = model.output_units if model else None
        activation = "sigmoid" if units == 1 or (model and model.loss and model.loss.name.startswith("binary")) else "softmax"
        layer = model.output_layer if model else None
        loss = model.loss.name if model and model.loss else "categorical_crossentropy"
        code = layer_call(layer, activation=activation) if layer and layer.units else \
            f'Dense(num_classes, activation="{activation}")'
        return [
            Fix("set_output_activation",
                T("Set the output activation to {activation}", "将输出层激活函数改为 {activation}"),
                "safe", {"activation": activation, "layer": layer.name if layer else None}, code),
            Fix("set_from_logits",
                T("Keep a linear output and set from_logits=True", "保留线性输出并设置 from_logits=True"),
                "review", {"from_logits": True, "activation": "linear"},
                f'model.compile(loss=keras.losses.{_loss_class(loss)}(from_logits=True), ...)'),
        ]


def _loss_class(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")).replace("Crossentropy", "Crossentropy")


def noise_after_output(model) -> object | None:
    """The Dropout/noise layer between the output activation and the model's output, if any."""
    for layer in model._output_chain():
        if layer.class_name in NOISE_AFTER_OUTPUT:
            return layer
        if layer.activation is not None or layer.units is not None or layer.class_name in ("Softmax", "Activation"):
            return None
    return None
