"""``batchnorm_small_batch``: BatchNormalization trained with batches below 16 samples
(seed 003 §12): the mean and variance of a handful of samples are too noisy to normalize with.
"""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.batchnorm_train_inference_mismatch import (
    active_batchnorm, batch_size, batchnorm_layers, name_list, no_batchnorm_evidence, setting_where)
from app.rules.static import layer_where

# Wu & He (2018, Group Normalization, Fig. 1): BN's error grows quickly below 16 images per
# batch and is much worse at 2-4. Weights stay at or below 0.6 so a run that trains fine
# (absence piece x0.65) is not reported for its batch size alone.
SMALL_BATCH = 16
TINY_BATCH = 4
# At 4 samples or fewer the batch statistics are noise (Wu & He, Group Normalization, 2018:
# BatchNorm's error rises steeply below 8): reported even when the log looks healthy, since
# the model's inference-mode behaviour differs from what training measured.
TINY_BATCH_WEIGHT = 0.7
SMALL_BATCH_WEIGHT = 0.5
# 32 is Keras' default batch size: batch statistics of 32+ samples are stable enough.
ENOUGH_BATCH = 32
ENOUGH_BATCH_WEIGHT = -0.7
MODERATE_BATCH_WEIGHT = -0.3
RENORM_WEIGHT = -0.4
FROZEN_WEIGHT = -0.6
SUGGESTED_BATCH = 32

SMALL = T(
    "BatchNormalization ({layers}) trained with batches of {batch_size}, below {threshold}: "
    "each batch's mean and variance are noisy estimates",
    "BatchNormalization（{layers}）使用 {batch_size} 的批大小训练，低于 {threshold}："
    "每个批次的均值和方差都是噪声很大的估计",
)
ENOUGH = T("batches of {batch_size} give BatchNormalization stable statistics",
           "{batch_size} 的批大小能让 BatchNormalization 得到稳定的统计量")
MODERATE = T("batches of {batch_size} are at the low end but usually enough for BatchNormalization",
             "{batch_size} 的批大小偏小，但通常足以支撑 BatchNormalization")
RENORM = T("renorm=True on every BatchNormalization layer tempers small-batch statistics",
           "所有 BatchNormalization 层都设置了 renorm=True，可缓解小批次统计量的问题")
FROZEN = T("the BatchNormalization layers are frozen and use their moving statistics",
           "BatchNormalization 层已冻结，使用的是滑动统计量")


class BatchnormSmallBatch(CauseRule):
    id = "batchnorm_small_batch"
    title = T("BatchNormalization with very small batches", "BatchNormalization 配了过小的批次")
    explanation = T(
        "BatchNormalization estimates a mean and a variance from each batch. With fewer than "
        "about 16 samples those estimates jump from batch to batch, so the same input is "
        "normalized differently every step and the training loss turns noisy; the moving "
        "averages used at inference then match none of the batches seen, so evaluate() "
        "disagrees with training. Train with larger batches (32 or more), or use a "
        "batch-independent normalization such as GroupNormalization or LayerNormalization.",
        "BatchNormalization 从每个批次估计均值和方差。样本少于约 16 个时，这些估计在批次之间大幅波动，"
        "同一输入每一步都被不同地归一化，训练损失变得很嘈杂；推理时使用的滑动平均也与任何一个训练批次都不吻合，"
        "于是 evaluate() 与训练结果不一致。请用更大的批次（32 或以上）训练，"
        "或改用与批次无关的归一化，如 GroupNormalization 或 LayerNormalization。",
    )
    when_not = T(
        "Silent when the model has no (trainable) BatchNormalization layer or trains with "
        "batches of 16 or more; symptoms alone stay capped while the batch size is unknown.",
        "当模型没有（可训练的）BatchNormalization 层，或批大小不小于 16 时不报告；"
        "批大小未知时仅凭症状的置信度有上限。",
    )
    explains = (SymptomWeight("eval_mismatch", 0.35), SymptomWeight("oscillation", 0.3))
    settle = T(
        "The batch size (fit's batch_size, or the training sample count with the steps per epoch) "
        "and the model file would settle it.",
        "提供批大小（fit 的 batch_size，或训练样本数与每轮步数）以及模型文件即可确认。",
    )

    def decidable(self, ctx: Context) -> bool:
        return ctx.model is not None and batch_size(ctx)[0] is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
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
        batch, source = batch_size(ctx)
        if batch is None:
            return
        if batch < SMALL_BATCH:
            weight = TINY_BATCH_WEIGHT if batch <= TINY_BATCH else SMALL_BATCH_WEIGHT
            yield evidence("setting", "small_batch", SMALL, weight, where=setting_where("batch_size"),
                           source=source, batch_size=batch, threshold=SMALL_BATCH, layers=name_list(active))
            if all(layer.batchnorm is not None and layer.batchnorm.renorm for layer in active):
                yield evidence("static", "batchnorm_renorm", RENORM, RENORM_WEIGHT, where=layer_where(active[0]))
        elif batch >= ENOUGH_BATCH:
            yield evidence("setting", "batch_large_enough", ENOUGH, ENOUGH_BATCH_WEIGHT,
                           where=setting_where("batch_size"), source=source, batch_size=batch)
        else:
            yield evidence("setting", "batch_moderate", MODERATE, MODERATE_BATCH_WEIGHT,
                           where=setting_where("batch_size"), source=source, batch_size=batch)

    def fixes(self, ctx: Context) -> list[Fix]:
        names = [layer.name for layer in active_batchnorm(ctx.model)] if ctx.model is not None else []
        return [
            Fix("set_batch_size", T("Train with batches of {batch_size}", "使用 {batch_size} 的批大小训练"),
                "review", {"batch_size": SUGGESTED_BATCH},
                f"model.fit(x_train, y_train, batch_size={SUGGESTED_BATCH}, ...)"),
            Fix("swap_normalization",
                T("Replace BatchNormalization with GroupNormalization", "把 BatchNormalization 换成 GroupNormalization"),
                "review", {"normalization": "GroupNormalization", "layers": names},
                "layers.GroupNormalization(groups=8)  # or layers.LayerNormalization(); independent of the batch size"),
        ]
