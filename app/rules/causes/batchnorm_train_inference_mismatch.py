"""``batchnorm_train_inference_mismatch``: BatchNormalization normalizes with the statistics
of each batch in training and with its moving averages at inference; when the two differ
(too few steps for the moving averages to catch up, unshuffled or label-sorted batches),
``evaluate``/validation see a different model than ``fit`` did (seed 002, seed 003 §12).

Also holds the helpers the data/architecture rules share: reading a fit setting with where
it was seen, and finding the BatchNormalization layers that actually normalize by batch.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import LayerSpec, ModelSpec
from app.core.run import Source
from app.rules import probed
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.static import layer_where

BATCHNORM_LAYERS = {"BatchNormalization", "SyncBatchNormalization"}
# Normalizations that do not depend on the batch: the usual replacements for BatchNormalization.
BATCH_FREE_NORMALIZATION = {"LayerNormalization", "GroupNormalization", "UnitNormalization",
                            "RMSNormalization"}
# Keras' default BatchNormalization momentum (keras.layers.BatchNormalization, Keras 2 and 3).
DEFAULT_MOMENTUM = 0.99

# BatchNormalization alone is a risk, not a fault: every BN model switches statistics at
# inference. Kept low so a BN model alone (no log, no settings) is not reported.
BATCHNORM_PRESENT_WEIGHT = 0.3
# The moving averages are an exponential average over about 1 / (1 - momentum) steps (100 at
# 0.99). An epoch shorter than that window validates with averages that still mix in weights
# from earlier epochs; a whole training shorter than ~10 windows never lets them settle.
SHORT_EPOCH_WEIGHT = 0.35
SHORT_TRAINING_WINDOWS = 10
SHORT_TRAINING_WEIGHT = 0.25
# Unshuffled (often label-sorted) batches: each batch's statistics describe one class, the
# moving averages the mixture; the seed 002 fix was renorm=True plus shuffling.
NO_SHUFFLE_WEIGHT = 0.4
# Batches below 16 samples give noisy batch statistics (Wu & He 2018, Group Normalization, Fig. 1).
SMALL_BATCH = 16
SMALL_BATCH_WEIGHT = 0.3
# All static pieces together stay at or below 0.6 (noisy-OR): every one of them is a risk
# factor, not an observed fault, and a run that trains fine (absence piece x0.65) must stay
# under the reporting threshold; an eval/train disagreement in the log lifts it above.
STATIC_CAP = 0.6
MIN_PIECE_WEIGHT = 0.01
RENORM_WEIGHT = -0.7
FROZEN_WEIGHT = -0.6
NO_BATCHNORM_WEIGHT = -0.9

BN_PRESENT = T(
    "{count} BatchNormalization layer(s) without renorm ({layers}): training normalizes with "
    "each batch's statistics, evaluation with moving averages (momentum {momentum})",
    "{count} 个未启用 renorm 的 BatchNormalization 层（{layers}）：训练时用每个批次的统计量归一化，"
    "评估时用滑动平均（momentum {momentum}）",
)
SHORT_EPOCH = T(
    "the moving averages span about {window} steps (momentum {momentum}) but an epoch has only "
    "{steps}: validation after each epoch uses statistics of older weights",
    "滑动平均大约覆盖 {window} 步（momentum {momentum}），而每轮只有 {steps} 步："
    "每轮结束后的验证用的是旧权重时期的统计量",
)
SHORT_TRAINING = T(
    "the whole training has {total} steps, only {windows}× the moving averages' window of "
    "{window} steps (momentum {momentum}): the averages never settle",
    "整个训练只有 {total} 步，仅为滑动平均窗口（{window} 步，momentum {momentum}）的 {windows} 倍："
    "滑动平均始终没有稳定下来",
)
NO_SHUFFLE = T(
    "shuffle=False: batches in file order (often sorted by label) have statistics far from the "
    "data-wide moving averages",
    "shuffle=False：按文件顺序（常常按标签排序）组成的批次，其统计量与整体数据的滑动平均相差很大",
)
SMALL_BATCH_TEXT = T(
    "batch size {batch_size}: the statistics of so few samples jump from batch to batch",
    "批大小为 {batch_size}：这么少样本的统计量在批次之间波动很大",
)
RENORM = T(
    "every BatchNormalization layer uses renorm=True, which corrects batch statistics toward the moving ones",
    "所有 BatchNormalization 层都设置了 renorm=True，会把批次统计量向滑动统计量校正",
)
FROZEN = T(
    "the BatchNormalization layers are frozen (trainable=False): they use their moving statistics in training too",
    "BatchNormalization 层已冻结（trainable=False）：训练时也使用滑动统计量",
)
NO_BATCHNORM = T("the model has no BatchNormalization layer{instead}",
                 "模型中没有 BatchNormalization 层{instead_zh}")


# ---------------------------------------------------------------- shared helpers

def fit_setting(ctx: Context, name: str) -> tuple[Any, Source | None]:
    """A fit setting and where it was seen: the context's settings, else the run's own."""
    for settings in (ctx.settings, ctx.run.fit if ctx.run is not None else None):
        if settings is None:
            continue
        value = getattr(settings, name, None)
        if value is not None:
            return value, settings.sources.get(name)
    return None, None


def setting_where(name: str) -> dict[str, Any]:
    """``{"setting": "fit.shuffle"}``: where a fit setting's evidence points (the line is in its source)."""
    return {"setting": f"fit.{name}"}


def batch_size(ctx: Context) -> tuple[int | None, Source | None]:
    """The training batch size: given, or derived from samples and steps per epoch."""
    value, source = fit_setting(ctx, "batch_size")
    if isinstance(value, int) and value > 0:
        return value, source
    samples, source = fit_setting(ctx, "train_samples")
    steps, _ = fit_setting(ctx, "steps_per_epoch")
    if isinstance(samples, int) and isinstance(steps, int) and 0 < steps < samples:
        batch = math.ceil(samples / steps)
        if math.ceil(samples / batch) == steps:
            return batch, source
    return None, None


def batchnorm_layers(model: ModelSpec) -> list[LayerSpec]:
    """The BatchNormalization layers, and the keras.applications models read from code (whose
    layers are not listed) that hold some: such a layer stands for its BN layers."""
    return [layer for layer in model.all_layers() if layer.class_name in BATCHNORM_LAYERS
            or (layer.config.get("batchnorm_layers") or 0) > 0]


def batchnorm_count(layers: list[LayerSpec]) -> int:
    """How many BatchNormalization layers ``layers`` are (an application counts all of its own)."""
    return sum(int(layer.config.get("batchnorm_layers") or 1) for layer in layers)


def active_batchnorm(model: ModelSpec) -> list[LayerSpec]:
    """BatchNormalization layers that normalize by batch in training: trainable ones
    (Keras 3 runs a frozen BN layer in inference mode)."""
    return [layer for layer in batchnorm_layers(model) if layer.trainable]


def momentum_of(layers: list[LayerSpec]) -> float:
    """The largest momentum among the layers (the slowest averages), Keras' default if unknown."""
    values = [layer.batchnorm.momentum for layer in layers
              if layer.batchnorm is not None and isinstance(layer.batchnorm.momentum, (int, float))
              and math.isfinite(layer.batchnorm.momentum) and 0 <= layer.batchnorm.momentum < 1]
    return max(values) if values else DEFAULT_MOMENTUM


def name_list(layers: list[LayerSpec], limit: int = 4) -> str:
    names = ", ".join(f"`{layer.name}`" for layer in layers[:limit])
    return names + (" …" if len(layers) > limit else "")


def no_batchnorm_evidence(model: ModelSpec) -> Evidence:
    others = sorted({layer.class_name for layer in model.all_layers()
                     if layer.class_name in BATCH_FREE_NORMALIZATION})
    return evidence("static", "no_batchnorm", NO_BATCHNORM, NO_BATCHNORM_WEIGHT,
                    instead=f" (it uses {', '.join(others)} instead)" if others else "",
                    instead_zh=f"（改用了 {', '.join(others)}）" if others else "")


def training_steps(ctx: Context) -> tuple[int | None, int | None]:
    """(steps per epoch, total steps) as far as the settings and the log tell."""
    steps, _ = fit_setting(ctx, "steps_per_epoch")
    if not isinstance(steps, int) or steps <= 0:
        return None, None
    epochs = ctx.run.epoch_count if ctx.run is not None else 0
    if not epochs:
        planned, _ = fit_setting(ctx, "epochs_planned")
        epochs = planned if isinstance(planned, int) and planned > 0 else 0
    return steps, (steps * epochs if epochs else None)


def capped(pieces: Iterator[Evidence], cap: float) -> Iterator[Evidence]:
    """The pieces, with positive weights trimmed so that their noisy-OR stays at ``cap``
    (a piece beyond the cap keeps a token weight so the finding still shows it)."""
    disbelief = 1.0
    for piece in pieces:
        if piece.weight > 0:
            room = max(MIN_PIECE_WEIGHT, 1.0 - (1.0 - cap) / disbelief)
            weight = min(piece.weight, room)
            if weight < piece.weight:
                piece = replace(piece, weight=weight)
            disbelief *= 1.0 - weight
        yield piece


# ---------------------------------------------------------------- the rule

class BatchnormTrainInferenceMismatch(CauseRule):
    id = "batchnorm_train_inference_mismatch"
    title = T("BatchNormalization statistics differ between training and inference",
              "BatchNormalization 的训练统计量与推理统计量不一致")
    explanation = T(
        "In training, BatchNormalization normalizes each batch with that batch's own mean and "
        "variance; in evaluate(), predict() and validation it uses moving averages collected "
        "along the way. When the batches are not representative (unshuffled or label-sorted "
        "data, very small batches) or training is too short for the averages to catch up with "
        "the changing weights, the model that is evaluated is not the one that was trained: "
        "training accuracy looks fine while evaluate() on the same data sits at chance. "
        "Shuffle the data, use larger batches, or switch to BatchNormalization(renorm=True) or a "
        "batch-independent normalization such as LayerNormalization.",
        "训练时，BatchNormalization 用每个批次自身的均值和方差做归一化；而在 evaluate()、predict() "
        "和验证时，它使用训练过程中累积的滑动平均。如果批次不具代表性（数据未打乱或按标签排序、批次过小），"
        "或者训练太短，滑动平均跟不上权重的变化，那么被评估的模型就不是训练时的那个模型："
        "训练准确率看起来很好，而在同一份数据上 evaluate() 却停在随机水平。请打乱数据、增大批次，"
        "或改用 BatchNormalization(renorm=True) 或与批次无关的归一化（如 LayerNormalization）。",
    )
    when_not = T(
        "Silent when the model has no BatchNormalization layer, when every BatchNormalization "
        "layer uses renorm=True or is frozen, and weak when only the layers are known (no fit "
        "settings, no log showing a train/evaluate disagreement).",
        "当模型没有 BatchNormalization 层，或所有 BatchNormalization 层都设置了 renorm=True 或已冻结时不报告；"
        "只知道层结构（没有 fit 设置，日志也没有显示训练与评估不一致）时证据很弱。",
    )
    explains = (SymptomWeight("eval_mismatch", 0.5), SymptomWeight("val_stuck_train_improves", 0.3))

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from probed.measured(ctx, probed.batchnorm_gap, probed.batchnorm_stats)  # the probe's, if it ran (not capped)
        yield from capped(self._evidence(ctx), STATIC_CAP)

    def _evidence(self, ctx: Context) -> Iterator[Evidence]:
        model = ctx.model
        if model is None or not model.layers:
            return
        layers = batchnorm_layers(model)
        if not layers:
            yield no_batchnorm_evidence(model)
            return
        active = active_batchnorm(model)
        if not active:
            yield evidence("static", "batchnorm_frozen", FROZEN, FROZEN_WEIGHT, where=layer_where(layers[0]))
            return
        plain = [layer for layer in active if not (layer.batchnorm and layer.batchnorm.renorm)]
        if not plain:
            yield evidence("static", "batchnorm_renorm", RENORM, RENORM_WEIGHT, where=layer_where(active[0]))
            return
        momentum = momentum_of(plain)
        window = int(round(1.0 / (1.0 - momentum))) if momentum < 1 else 0
        yield evidence("static", "batchnorm_present", BN_PRESENT, BATCHNORM_PRESENT_WEIGHT,
                       where=layer_where(plain[0]), count=batchnorm_count(plain), layers=name_list(plain),
                       momentum=momentum)
        steps, total = training_steps(ctx)
        steps_source = fit_setting(ctx, "steps_per_epoch")[1]
        if steps is not None and window > 1 and steps < window:
            yield evidence("setting", "epoch_shorter_than_window", SHORT_EPOCH, SHORT_EPOCH_WEIGHT,
                           where=setting_where("steps_per_epoch"), source=steps_source,
                           window=window, steps=steps, momentum=momentum)
        elif total is not None and window > 1 and total < SHORT_TRAINING_WINDOWS * window:
            yield evidence("setting", "training_shorter_than_windows", SHORT_TRAINING, SHORT_TRAINING_WEIGHT,
                           where=setting_where("steps_per_epoch"), source=steps_source,
                           total=total, windows=round(total / window, 1), window=window, momentum=momentum)
        shuffle, source = fit_setting(ctx, "shuffle")
        if shuffle is False:
            yield evidence("setting", "no_shuffle", NO_SHUFFLE, NO_SHUFFLE_WEIGHT,
                           where=setting_where("shuffle"), source=source)
        batch, source = batch_size(ctx)
        if batch is not None and batch < SMALL_BATCH:
            yield evidence("setting", "small_batch", SMALL_BATCH_TEXT, SMALL_BATCH_WEIGHT,
                           where=setting_where("batch_size"), source=source, batch_size=batch)

    def fixes(self, ctx: Context) -> list[Fix]:
        layers = active_batchnorm(ctx.model) if ctx.model is not None else []
        names = [layer.name for layer in layers]
        fixes = [
            Fix("batchnorm_renorm",
                T("Use BatchNormalization(renorm=True)", "改用 BatchNormalization(renorm=True)"),
                "review", {"renorm": True, "layers": names},
                "layers.BatchNormalization(renorm=True)  # instead of layers.BatchNormalization()"),
            Fix("swap_normalization",
                T("Replace BatchNormalization with LayerNormalization", "把 BatchNormalization 换成 LayerNormalization"),
                "review", {"normalization": "LayerNormalization", "layers": names},
                "layers.LayerNormalization()  # batch-independent; or layers.GroupNormalization(groups=8)"),
        ]
        shuffle, _ = fit_setting(ctx, "shuffle")
        if shuffle is not True:
            fixes.append(Fix("set_shuffle", T("Shuffle the training data every epoch", "每轮都打乱训练数据"),
                             "safe", {"shuffle": True},
                             "model.fit(x_train, y_train, shuffle=True, ...)\n"
                             "# tf.data: dataset = dataset.shuffle(len(x_train), reshuffle_each_iteration=True)"))
        batch, _ = batch_size(ctx)
        if batch is None or batch < 32:
            fixes.append(Fix("set_batch_size", T("Train with batches of {batch_size}", "使用 {batch_size} 的批大小训练"),
                             "review", {"batch_size": 32}, "model.fit(x_train, y_train, batch_size=32, ...)"))
        return fixes
