"""``bad_initialization``: kernels that start all equal (zeros, ones, a constant) or with a
variance far from Glorot/He's (seed 003 §1 tiny-variance Gaussians, §17 "never initialize
the weights to all zeros")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import LayerSpec, ModelSpec
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.exploding_gradients import (
    constant_value, hidden_layers, initializer_stddev, is_weight_layer, layer_code,
)
from app.rules.static import layer_where

# Glorot/He give a standard deviation of sqrt(1..2 / fan_in): 0.01..0.1 for 200..20,000
# inputs. 1e-3 shrinks the signal ~10-100x per layer; 1.0 blows it up as much.
TINY_STDDEV = 1e-3
HUGE_STDDEV = 1.0
SYMMETRIC_WEIGHT = 0.8  # every hidden unit computes the same thing forever
TINY_WEIGHT = 0.45
HUGE_WEIGHT = 0.5
STANDARD_WEIGHT = -0.7
RELU_FAMILY = {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "swish", "silu", "prelu", "mish"}

SYMMETRIC = T(
    "hidden layer `{layer}` initializes its kernel with {initializer} (every weight {value}): "
    "all its units get the same gradient and stay identical",
    "隐藏层 `{layer}` 用 {initializer} 初始化权重（全部为 {value}）：所有单元得到相同的梯度，始终一模一样",
)
TINY = T(
    "hidden layer `{layer}` starts from {initializer} with standard deviation {stddev}: the "
    "signal shrinks at every layer",
    "隐藏层 `{layer}` 使用标准差为 {stddev} 的 {initializer} 初始化：信号逐层衰减",
)
HUGE = T(
    "`{layer}` starts from {initializer} with standard deviation {stddev}: outputs and logits "
    "start huge and saturate",
    "`{layer}` 使用标准差为 {stddev} 的 {initializer} 初始化：输出和 logits 一开始就非常大并饱和",
)
STANDARD = T(
    "all {count} trainable weight layers start from Glorot/He-scale initializers",
    "全部 {count} 个可训练权重层都使用 Glorot/He 尺度的初始化",
)


class BadInitialization(CauseRule):
    id = "bad_initialization"
    title = T("Bad weight initialization", "权重初始化不当")
    explanation = T(
        "Training starts from the initial weights. If a hidden layer's kernel starts all zeros or "
        "all the same constant, every unit in it computes the same output and receives the same "
        "gradient, so they never become different: the layer behaves like a single unit and the "
        "loss hardly moves. Variances far from Glorot/He's make the signal vanish or blow up across "
        "layers, giving flat losses or saturated, overconfident outputs. Keras' defaults "
        "(glorot_uniform, or he_normal for ReLU layers) avoid both.",
        "训练从初始权重开始。如果隐藏层的权重全部初始化为 0 或同一个常数，该层每个单元的输出和梯度都完全相同，"
        "永远无法变得不同：整层相当于一个单元，损失几乎不动。方差远离 Glorot/He 的初始化会让信号逐层消失或爆炸，"
        "导致损失停滞，或输出饱和、过度自信。Keras 的默认值（glorot_uniform，ReLU 层用 he_normal）可以避免这两种情况。",
    )
    when_not = T(
        "Silent when every trainable kernel uses a Glorot/He/Lecun/orthogonal initializer or a "
        "normal/uniform one of moderate scale; a zero-initialized output layer alone is fine.",
        "当所有可训练权重使用 Glorot/He/Lecun/正交初始化，或尺度适中的正态/均匀初始化时不报告；"
        "仅输出层初始化为 0 没有问题。",
    )
    explains = (SymptomWeight("plateau_no_learning", 0.4), SymptomWeight("loss_collapse_zero", 0.3),
                SymptomWeight("stuck_chance_accuracy", 0.15))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or not model.complete:
            return
        kernels = BadKernels.of(model)
        if not kernels.every:
            return
        if kernels.symmetric:
            layer = kernels.symmetric[0]
            yield evidence("static", "constant_kernel", SYMMETRIC, SYMMETRIC_WEIGHT, where=layer_where(layer),
                           layer=layer.name, initializer=layer.kernel_initializer,
                           value=constant_value(layer, "kernel_initializer"), count=len(kernels.symmetric))
        if kernels.tiny:
            layer = kernels.tiny[0]
            yield evidence("static", "tiny_variance_kernel", TINY, TINY_WEIGHT, where=layer_where(layer),
                           layer=layer.name, initializer=layer.kernel_initializer, stddev=initializer_stddev(layer))
        if kernels.huge:
            layer = kernels.huge[0]
            yield evidence("static", "huge_variance_kernel", HUGE, HUGE_WEIGHT, where=layer_where(layer),
                           layer=layer.name, initializer=layer.kernel_initializer, stddev=initializer_stddev(layer))
        if not kernels.bad:
            yield evidence("static", "standard_initializers", STANDARD, STANDARD_WEIGHT, count=len(kernels.every))

    def fixes(self, ctx: Context) -> list[Fix]:
        bad = BadKernels.of(ctx.model).bad if ctx.model is not None else []
        relu = sum(1 for layer in bad if layer.activation in RELU_FAMILY)
        initializer = "he_normal" if bad and 2 * relu >= len(bad) else "glorot_uniform"
        code = layer_code(bad[0], kernel_initializer=initializer) if bad and bad[0].units is not None else \
            f'Dense(units, kernel_initializer="{initializer}")'
        return [Fix("set_initializer",
                    T("Initialize the kernels with {kernel_initializer}", "用 {kernel_initializer} 初始化权重"),
                    "safe", {"kernel_initializer": initializer, "layers": [layer.name for layer in bad]}, code)]


@dataclass
class BadKernels:
    """The trainable kernels of a model, sorted by what is wrong with their initializer."""

    every: list[LayerSpec]  # all trainable weight layers
    symmetric: list[LayerSpec]  # hidden layers starting from one constant
    tiny: list[LayerSpec]  # hidden layers with a tiny-variance start
    huge: list[LayerSpec]  # any layer with a huge-variance start

    @property
    def bad(self) -> list[LayerSpec]:
        seen = {id(layer) for layer in self.symmetric + self.tiny + self.huge}
        return [layer for layer in self.every if id(layer) in seen]

    @classmethod
    def of(cls, model: ModelSpec) -> "BadKernels":
        hidden = {id(layer) for layer in hidden_layers(model)}
        every = [layer for layer in model.all_layers()
                 if is_weight_layer(layer) and layer.trainable and not layer.is_nested_model]
        inner = [layer for layer in every if id(layer) in hidden]
        return cls(
            every=every,
            symmetric=[layer for layer in inner if constant_value(layer, "kernel_initializer") is not None],
            tiny=[layer for layer in inner if (initializer_stddev(layer) or 1.0) <= TINY_STDDEV],
            huge=[layer for layer in every if (initializer_stddev(layer) or 0.0) >= HUGE_STDDEV],
        )
