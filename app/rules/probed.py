"""Evidence from the probe (``--data`` with a model file): what the model does on the data
sample, measured in the TensorFlow worker (:mod:`app.probe.measure`), as evidence of kind
``measured`` for the cause rules that the log and the config leave undecided.

The thresholds come from the project's real runs, each probed with the data it trained on
(``tests/rules/test_probe_evidence.py``): dead_relu_conv1d has 100 % of its ReLU units
silent on its sample, healthy_mlp 0 %; vanishing_sigmoid_mlp's first layer gets 3e-8 of the
last layer's gradient, healthy_mlp 1.3x; bn_moving_stats_conv2d loses 14x more in inference
mode than in training mode, healthy_mlp 1.0x. Each threshold sits far from both sides.

Saturated sigmoid/tanh outputs are measured and shown, not counted: no run here saturates
(vanishing_sigmoid_mlp's twelve sigmoid layers have 0 % of their outputs in the flat ends; its
gradient vanishes through the derivative's 0.25 ceiling), so there is no figure to put a
threshold on. Nor is the outputs' entropy: a model that answers the uniform guess is stuck, and
every cause of being stuck gives it (dead_relu_conv1d 0.9995, zeros_init_mlp 0.998,
unnormalized_pixels_conv2d 0.998), so it tells none of them apart.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator, NamedTuple

from app.core.diagnosis import Evidence
from app.core.i18n import T
from app.core.serialize import from_number
from app.rules.base import Context, evidence

DEAD_SHARE = 0.5  # a ReLU layer with half its units never firing on the sample
ALIVE_SHARE = 0.1  # every ReLU layer with at most this share silent: no dead units
DEAD_WEIGHT, ALIVE_WEIGHT = 0.8, -0.6
# Without a data sample the units are measured on standard-normal inputs of the model's input
# shape: the real data may sit elsewhere (0-255 pixels, one-hot words), so half the weight.
SYNTHETIC_FACTOR = 0.5
VANISHED_RATIO = 1e-4  # first weight layer's gradient RMS / the last one's
FLOWING_RATIO = 1e-2
VANISHED_WEIGHT, FLOWING_WEIGHT = 0.8, -0.5
EXPLODED_RMS = 1e3  # a kernel gradient this large (RMS) on one batch
EXPLODED_WEIGHT = 0.8
BN_GAP_RATIO = 2.0  # inference-mode loss at least this many times the training-mode loss ...
BN_GAP_MIN = 0.1  # ... and at least this much higher
BN_SAME_RATIO = 1.25  # within this factor either way: the moving statistics fit
BN_GAP_WEIGHT, BN_SAME_WEIGHT = 0.8, -0.6
# Can it learn at all (a fresh copy, 32 rows, Adam(1e-3), up to 300 full-batch steps): on the
# project's runs healthy_mlp fits its 32 rows (1.216 -> 0.118 in 168 steps), dead_relu_conv1d
# (1.099 -> 1.080) and vanishing_sigmoid_mlp (0.717 -> 0.691) do not in 300. A model that cannot
# fit 32 rows with a standard optimizer is broken in its structure, loss or labels (the causes
# that call this); one that can is not. Between the two, a loss still falling slowly
# (healthy_mlp_sgd: 0.707 -> 0.388 in 300 steps) says neither: "cannot learn" needs the loss to
# end above CANNOT_LEARN_SHARE of its start (the broken ones: 0.98 and 0.96 of it).
CANNOT_LEARN_SHARE = 0.9
LEARN_FAILED_WEIGHT = 0.4
LEARNED_WEIGHT = -0.3
# Saved weights that hold NaN/inf: the run diverged and the file keeps what it diverged to
# (exploding_init_mlp, exploding_init_conv1d, fam_relu_cce_mlp and seed004 among the fixture
# models; no healthy one). Evidence that gradients blew up, from the model file alone.
NONFINITE_WEIGHTS_WEIGHT = 0.5
# BatchNormalization's moving variance against the variance of the layer's inputs on the
# sample: off by VARIANCE_OFF either way, inference scales the layer's outputs by a factor of
# 2 or more against training. bn_moving_stats_conv2d: 0.045 and 0.030 (its two BN layers).
# Measured while writing this rule on the same shapes data, shuffled, batch 32: a conv2d with
# two BN layers trained 8 epochs (150 steps; with momentum 0.99 the moving statistics still
# hold 22 % of their initial 1.0) gives 0.15 and 0.12 and evaluates at 0.23 against 0.98 in
# training (the same fault); trained 40 epochs, 0.96 and 0.91, evaluating as it trained.
VARIANCE_OFF = 4.0
BN_STATS_WEIGHT = 0.7
# An adaptive optimizer (Adam family, RMSprop, Adagrad) moves each weight by about the
# learning rate per step: a rate at most UPDATE_TINY of the RMS of a layer's weights, for
# every layer, takes 1,000 steps to move them 1 %. lr_low_adam_lstm: 5.7e-6 at its largest;
# the 13 other Adam-trained fixture models probed with their training data: 2.9e-3
# (zeros_init_conv2d) to 2.7e-2 (kl_linear_lstm).
UPDATE_TINY = 1e-5
UPDATE_TINY_WEIGHT = 0.3
ADAPTIVE_OPTIMIZERS = ("adam", "adamw", "nadam", "adamax", "rmsprop", "adagrad", "adadelta", "lion", "ftrl")
# The model answers one class for (nearly) every row of the sample and that is the majority
# class: its accuracy equals the labels' majority share. class_imbalance_conv1d: 100 % of rows
# predicted as one class, accuracy 0.934 on labels of shares 0.934 / 0.066. Of the 13 other
# probed fixture models that answer one class for every row, 12 score 0.0-0.512 (the share of
# the class they answer: under ONE_CLASS_MAJORITY, silent); fam_linear_bce_conv1d (its cause a
# linear output under binary crossentropy) scores 0.668 on the 256 rows probed, against a
# majority share of 0.635 over its 600-row sample: 0.033 off, outside ONE_CLASS_MATCH, silent.
ONE_CLASS_SHARE = 0.99
ONE_CLASS_MAJORITY = 0.6
ONE_CLASS_MATCH = 0.02
ONE_CLASS_WEIGHT = 0.5

CANNOT_LEARN = T(
    "a fresh copy of the model cannot fit {rows} rows of the sample: Adam(1e-3) for {steps} full-batch "
    "steps takes its loss only from {start} to {end}, so the model, its loss or the labels are broken, "
    "not the training settings",
    "模型的全新副本无法拟合样本的 {rows} 行：用 Adam(1e-3) 全批训练 {steps} 步，损失只从 {start} 降到 {end}，"
    "说明是模型、损失或标签本身有问题，而不是训练设置",
)
CAN_LEARN = T(
    "a fresh copy of the model fits {rows} rows of the sample (Adam(1e-3), {steps} steps: loss {start} → {end}): "
    "its structure, loss and labels can learn",
    "模型的全新副本能拟合样本的 {rows} 行（Adam(1e-3)，{steps} 步：损失 {start} → {end}）：其结构、损失和标签都能学习",
)

NONFINITE_WEIGHTS = T(
    "the saved weights of {layers} hold NaN or inf: training diverged and the file keeps the broken weights",
    "{layers} 保存的权重含有 NaN 或 inf：训练已发散，文件保留了损坏的权重",
)

SYNTHETIC_DEAD = T("on synthetic inputs (standard normal, the model's input shape; no data sample), {dead} of the "
                   "{units} units of `{layer}` never activate ({share}%)",
                   "在合成输入上（标准正态分布，模型的输入形状；没有数据样本），`{layer}` 的 {units} 个单元中有 {dead} 个从不激活（{share}%）")
SYNTHETIC_ALIVE = T("on synthetic inputs (standard normal; no data sample), every ReLU layer has units that activate "
                    "(at most {share}% silent, in `{layer}`)",
                    "在合成输入上（标准正态分布；没有数据样本），每个 ReLU 层都有单元被激活（最多 {share}% 不激活，在 `{layer}`）")
DEAD = T("on the data sample, {dead} of the {units} units of `{layer}` never activate ({share}%): they "
         "output 0 for every row and get no gradient",
         "在数据样本上，`{layer}` 的 {units} 个单元中有 {dead} 个从不激活（{share}%）：对每一行都输出 0，得不到梯度")
ALIVE = T("on the data sample, every ReLU layer has units that activate (at most {share}% silent, in `{layer}`)",
          "在数据样本上，每个 ReLU 层都有单元被激活（最多 {share}% 不激活，在 `{layer}`）")
VANISHED = T("on one batch of the sample, the loss gradient reaching the first layer `{first}` is {ratio} of "
             "the one at the last layer `{last}` (RMS {first_rms} against {last_rms})",
             "在样本的一个批次上，到达第一层 `{first}` 的损失梯度只有最后一层 `{last}` 的 {ratio}（RMS {first_rms} 对 {last_rms}）")
FLOWING = T("on one batch of the sample, the first layer `{first}` still gets {ratio} of the last layer's gradient",
            "在样本的一个批次上，第一层 `{first}` 仍得到最后一层梯度的 {ratio}")
EXPLODED = T("on one batch of the sample, the loss gradient of `{layer}` is {what}",
             "在样本的一个批次上，`{layer}` 的损失梯度{what_zh}")
BN_GAP = T("on the data sample, the loss is {inference} in inference mode (BatchNormalization's moving "
           "statistics) against {training} in training mode (each batch's own): {ratio}× higher",
           "在数据样本上，推理模式（BatchNormalization 的滑动统计量）下损失为 {inference}，"
           "训练模式（每批自身统计量）下为 {training}：高 {ratio} 倍")
BN_SAME = T("on the data sample, the loss in inference mode ({inference}) matches training mode ({training}): "
            "the moving statistics fit the data",
            "在数据样本上，推理模式的损失（{inference}）与训练模式（{training}）一致：滑动统计量与数据相符")


BN_STATS = T(
    "on the data sample, the inputs of `{layer}` have {ratio}× the variance its moving statistics hold (moving mean "
    "off by {shift} std): in inference mode its outputs are scaled {scale}× against training",
    "在数据样本上，`{layer}` 输入的方差是其滑动统计量的 {ratio} 倍（滑动均值偏离 {shift} 个标准差）："
    "推理模式下它的输出与训练时相比缩放了 {scale} 倍",
)
UPDATE_TINY_TEXT = T(
    "with {optimizer} at {rate}, each step moves the weights of every layer by at most {ratio} of their RMS (`{layer}`): "
    "1,000 steps change them by about {percent}%",
    "使用 {optimizer}、学习率 {rate} 时，每一步对各层权重的改变至多为其 RMS 的 {ratio}（`{layer}`）："
    "1000 步只改变约 {percent}%",
)
ONE_CLASS = T(
    "on the data sample, the model answers one class for {share}% of the rows, and its accuracy {accuracy} is the "
    "labels' majority share {majority}: it has learned to always answer the majority class",
    "在数据样本上，模型对 {share}% 的行给出同一个类别，其准确率 {accuracy} 正是标签中多数类的占比 {majority}："
    "它学会了总是回答多数类",
)


def _where() -> dict:
    return {"setting": "probe"}


def dead_units(ctx: Context) -> Evidence | None:
    layers = (ctx.probe or {}).get("relu_layers") or []
    if not layers:
        return None
    worst = max(layers, key=lambda item: item.get("dead_share", 0.0))
    share = float(worst.get("dead_share", 0.0))
    params = {"layer": worst.get("layer", "?"), "dead": worst.get("dead", 0), "units": worst.get("units", 0),
              "share": round(100 * share, 1)}
    synthetic = (ctx.probe or {}).get("inputs") == "synthetic"
    factor = SYNTHETIC_FACTOR if synthetic else 1.0
    if share >= DEAD_SHARE:
        return evidence("measured", "dead_units_measured", SYNTHETIC_DEAD if synthetic else DEAD, DEAD_WEIGHT * factor,
                        where=_where(), **params)
    if share <= ALIVE_SHARE:
        return evidence("measured", "units_alive_measured", SYNTHETIC_ALIVE if synthetic else ALIVE,
                        ALIVE_WEIGHT * factor, where=_where(), **params)
    return None


def _gradients(ctx: Context) -> list[dict]:
    return [g for g in (ctx.probe or {}).get("gradients") or [] if isinstance(g, dict)]


def vanishing(ctx: Context) -> Evidence | None:
    grads = _gradients(ctx)
    if len(grads) < 2:
        return None
    first, last = from_number(grads[0].get("grad_rms")), from_number(grads[-1].get("grad_rms"))
    if not (math.isfinite(first) and math.isfinite(last)) or last <= 0:
        return None  # no gradient at the output either: nothing to compare (dead units, a flat loss)
    ratio = first / last
    params = {"first": grads[0].get("layer", "?"), "last": grads[-1].get("layer", "?"),
              "ratio": f"{ratio:.1e}", "first_rms": f"{first:.1e}", "last_rms": f"{last:.1e}"}
    if ratio <= VANISHED_RATIO:
        return evidence("measured", "gradient_vanished_measured", VANISHED, VANISHED_WEIGHT, where=_where(), **params)
    if ratio >= FLOWING_RATIO:
        return evidence("measured", "gradient_flows_measured", FLOWING, FLOWING_WEIGHT, where=_where(), **params)
    return None


def exploding(ctx: Context) -> Evidence | None:
    for grad in _gradients(ctx):
        rms = from_number(grad.get("grad_rms"))
        if grad.get("nonfinite") or not math.isfinite(rms):
            return evidence("measured", "gradient_nonfinite_measured", EXPLODED, EXPLODED_WEIGHT, where=_where(),
                            layer=grad.get("layer", "?"), what="NaN or inf", what_zh="为 NaN 或 inf")
        if rms >= EXPLODED_RMS:
            return evidence("measured", "gradient_huge_measured", EXPLODED, EXPLODED_WEIGHT, where=_where(),
                            layer=grad.get("layer", "?"), what=f"{rms:.1e} (RMS)", what_zh=f"的 RMS 为 {rms:.1e}")
    return None


def batchnorm_gap(ctx: Context) -> Evidence | None:
    probe = ctx.probe or {}
    if not probe.get("batchnorm_layers"):
        return None
    inference, training = from_number(probe.get("loss_inference")), from_number(probe.get("loss_training_mode"))
    if not (math.isfinite(inference) and math.isfinite(training)) or training <= 0:
        return None
    ratio = inference / training
    params = {"inference": round(inference, 4), "training": round(training, 4), "ratio": round(ratio, 1)}
    if ratio >= BN_GAP_RATIO and inference - training >= BN_GAP_MIN:
        return evidence("measured", "batchnorm_gap_measured", BN_GAP, BN_GAP_WEIGHT, where=_where(), **params)
    if 1 / BN_SAME_RATIO <= ratio <= BN_SAME_RATIO:
        return evidence("measured", "batchnorm_consistent_measured", BN_SAME, BN_SAME_WEIGHT, where=_where(), **params)
    return None


def learn_trial(ctx: Context) -> Evidence | None:
    """The learn-at-all trial: for a structural cause when it failed, against when it learned."""
    trial = (ctx.probe or {}).get("learn_trial")
    if not isinstance(trial, dict) or trial.get("stopped_by_budget") and not trial.get("learned"):
        return None  # cut short by the time budget: it says nothing
    params = {"rows": trial.get("rows", 0), "steps": trial.get("steps", 0),
              "start": round(from_number(trial.get("loss_start")), 4), "end": round(from_number(trial.get("loss_end")), 4)}
    if trial.get("learned"):
        return evidence("measured", "learns_measured", CAN_LEARN, LEARNED_WEIGHT, where=_where(), **params)
    start, end = from_number(trial.get("loss_start")), from_number(trial.get("loss_end"))
    if math.isfinite(start) and math.isfinite(end) and start > 0 and end < CANNOT_LEARN_SHARE * start:
        return None  # still falling, only slowly: neither broken nor shown to learn
    return evidence("measured", "cannot_learn_measured", CANNOT_LEARN, LEARN_FAILED_WEIGHT, where=_where(), **params)


def nonfinite_weights(ctx: Context) -> Evidence | None:
    layers = (ctx.probe or {}).get("layers_nonfinite") or []
    if not layers:
        return None
    shown = ", ".join(f"`{name}`" for name in layers[:4]) + (f" (+{len(layers) - 4})" if len(layers) > 4 else "")
    return evidence("measured", "weights_nonfinite_measured", NONFINITE_WEIGHTS, NONFINITE_WEIGHTS_WEIGHT,
                    where=_where(), layers=shown)


def measured(ctx: Context, *checks: Callable[[Context], Evidence | None]) -> Iterator[Evidence]:
    """The evidence of each probe check that has something to say (a rule's measured part)."""
    for check in checks:
        found = check(ctx)
        if found is not None:
            yield found


class ProbeLayer(NamedTuple):
    """One layer of a probe result: its ReLU measurement and its gradient measurement (either
    may be missing), as the worker wrote them."""

    name: str
    relu: dict | None
    gradient: dict | None
    saturated: dict | None = None  # a hidden sigmoid/tanh layer's saturated share


def probe_layers(probe: dict | None) -> list[ProbeLayer]:
    """The layers of a probe result in model order (the weight layers the gradients list, then
    the ReLU layers that have no kernel, e.g. an Activation layer): the Probe tab's and the
    reports' table."""
    probe = probe or {}
    relu = {item.get("layer"): item for item in probe.get("relu_layers") or []}
    saturated = {item.get("layer"): item for item in probe.get("saturated_layers") or []}
    rows = [ProbeLayer(item.get("layer", "?"), relu.get(item.get("layer")), item, saturated.get(item.get("layer")))
            for item in probe.get("gradients") or []]
    seen = {row.name for row in rows}
    rows.extend(ProbeLayer(name, item, None) for name, item in relu.items() if name not in seen)
    rows.extend(ProbeLayer(name, None, None, item) for name, item in saturated.items() if name not in seen)
    return rows


def batchnorm_stats(ctx: Context) -> Evidence | None:
    """A BatchNormalization layer whose moving variance is far from its inputs' on the sample."""
    worst, worst_off = None, 1.0
    for item in (ctx.probe or {}).get("batchnorm") or []:
        ratio = from_number(item.get("variance_ratio"))
        if not math.isfinite(ratio) or ratio <= 0:
            continue
        off = max(ratio, 1 / ratio)
        if off > worst_off:
            worst, worst_off = item, off
    if worst is None or worst_off < VARIANCE_OFF:
        return None
    ratio = from_number(worst.get("variance_ratio"))
    return evidence("measured", "batchnorm_stats_measured", BN_STATS, BN_STATS_WEIGHT, where=_where(),
                    layer=worst.get("layer", "?"), ratio=f"{ratio:.3g}", shift=f"{from_number(worst.get('mean_shift')):.2g}",
                    scale=f"{math.sqrt(ratio):.2g}")


def tiny_updates(ctx: Context) -> Evidence | None:
    """An adaptive optimizer's rate that is tiny against the weights of every layer."""
    optimizer = ctx.model.optimizer if ctx.model is not None else None
    rate = getattr(optimizer, "learning_rate", None)
    name = (getattr(optimizer, "name", None) or "").lower()
    if not isinstance(rate, (int, float)) or rate <= 0 or name not in ADAPTIVE_OPTIMIZERS:
        return None
    weights = [(g.get("layer", "?"), from_number(g.get("weight_rms"))) for g in _gradients(ctx)]
    weights = [(layer, rms) for layer, rms in weights if math.isfinite(rms) and rms > 0]
    if not weights:
        return None
    layer, rms = min(weights, key=lambda item: item[1])  # the smallest weights move the most
    ratio = rate / rms
    if ratio > UPDATE_TINY:
        return None
    return evidence("measured", "updates_tiny_measured", UPDATE_TINY_TEXT, UPDATE_TINY_WEIGHT, where=_where(),
                    optimizer=getattr(optimizer, "name", "?"), rate=f"{rate:g}", ratio=f"{ratio:.1e}", layer=layer,
                    percent=f"{100 * 1000 * ratio:.2g}")


def one_class_output(ctx: Context) -> Evidence | None:
    """The model always answers the labels' majority class."""
    probe, labels = ctx.probe or {}, ctx.labels
    share, accuracy = probe.get("predicted_share"), probe.get("accuracy_inference")
    if labels is None or not labels.shares or not isinstance(share, (int, float)) or not isinstance(accuracy, (int, float)):
        return None
    majority = labels.majority_share
    if share < ONE_CLASS_SHARE or majority < ONE_CLASS_MAJORITY or abs(accuracy - majority) > ONE_CLASS_MATCH:
        return None
    return evidence("measured", "one_class_output_measured", ONE_CLASS, ONE_CLASS_WEIGHT, where=_where(),
                    share=round(100 * share, 1), accuracy=round(accuracy, 3), majority=round(majority, 3))
