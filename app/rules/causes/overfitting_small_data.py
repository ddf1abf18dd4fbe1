"""``overfitting_small_data``: many trainable parameters per training sample and nothing that
holds them back (no dropout, no weight penalty, no early stopping) (seed 003 §11).

Parameters per sample alone is a weak signal: modern networks routinely train well with more
parameters than samples. The rule therefore keeps the static weights moderate and lets the
overfitting curve carry the finding.
"""

from __future__ import annotations

import math
from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import ModelSpec
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.causes.batchnorm_train_inference_mismatch import fit_setting, setting_where
from app.rules.causes.label_error import accuracy_below_chance
from app.rules.data_evidence import validation_overlap
from app.rules.probed import measured

DROPOUT_LAYERS = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
                  "GaussianDropout", "GaussianNoise", "ActivityRegularization"}
AUGMENTATION_PREFIX = "Random"  # RandomFlip, RandomRotation, RandomZoom, RandomCrop ...
# Parameters per training sample. The classical rule of thumb wants ~10 samples per
# parameter (ratio 0.1); deep networks with 10-100 parameters per sample still generalize with
# regularization, so the weights grow slowly: > 1 some, > 10 more, > 100 most.
RATIO_SOME, RATIO_MANY, RATIO_HUGE = 1.0, 10.0, 100.0
WEIGHT_SOME, WEIGHT_MANY, WEIGHT_HUGE = 0.15, 0.3, 0.45
RATIO_PLENTY = 0.1
PLENTY_WEIGHT = -0.4
UNREGULARIZED_WEIGHT = 0.1
REGULARIZED_WEIGHT = -0.3
# Once the curves show overfitting, the regularization the model has evidently did not hold it
# back: corpus, the 10 runs with training code whose overfitting is measured are all labeled
# overfitting_small_data, 5 of them with dropout in the model. It then counts only a little
# against, and training code that shows no EarlyStopping callback is evidence for: the run
# trained on past its best validation loss (none of the 10 has one).
REGULARIZED_BUT_OVERFITTING_WEIGHT = -0.1
NO_EARLY_STOPPING_WEIGHT = 0.3

RATIO = T(
    "{params} trainable parameters for {samples} training samples: {ratio} parameters per sample",
    "{samples} 个训练样本对应 {params} 个可训练参数：每个样本 {ratio} 个参数",
)
PLENTY = T(
    "{samples} training samples for {params} trainable parameters: plenty of data per parameter",
    "{params} 个可训练参数对应 {samples} 个训练样本：每个参数的数据很充足",
)
UNREGULARIZED = T("no dropout, weight penalty, augmentation or early stopping holds the parameters back",
                  "没有 dropout、权重惩罚、数据增强或早停来约束这些参数")
REGULARIZED = T("the model is regularized: {how}", "模型已有正则化：{how}")
REGULARIZED_NOT_ENOUGH = T("the model is regularized ({how}) and still overfits: not enough",
                           "模型已有正则化（{how}），但仍然过拟合：力度不够")
NO_EARLY_STOPPING = T(
    "the training code's fit() has no EarlyStopping callback: training went on past the best validation loss",
    "训练代码的 fit() 没有 EarlyStopping 回调：训练在验证损失最好之后仍在继续",
)


def code_callbacks(ctx: Context) -> list[str] | None:
    """The callback classes the training code passes to fit() ([] for none), or None when no
    training code was read or its callbacks are not known."""
    code = getattr(ctx.model, "code", None) if ctx.model is not None else None
    if code is None or getattr(code, "fit_source", None) is None:
        return None
    listed = (code.fit_extra or {}).get("callbacks", [])
    names = [str(item.get("class")) for item in listed]
    return None if "unknown" in names else names


def trainable_params(model: ModelSpec) -> int | None:
    if isinstance(model.params_trainable, int) and model.params_trainable >= 0:
        return model.params_trainable
    counts = [layer.params_trainable for layer in model.layers]
    if counts and all(isinstance(count, int) and count >= 0 for count in counts):
        return sum(counts)  # type: ignore[arg-type]
    return None


def regularizers(ctx: Context) -> list[str]:
    """What holds the parameters back, as short phrases: layer names, penalties, callbacks."""
    found: list[str] = []
    model = ctx.model
    if model is not None:
        layers = model.all_layers()
        dropout = [layer.name for layer in layers if layer.class_name in DROPOUT_LAYERS]
        if dropout:
            found.append(f"{', '.join(dropout[:3])} ({len(dropout)} dropout/noise layer(s))")
        augmentation = [layer.name for layer in layers if layer.class_name.startswith(AUGMENTATION_PREFIX)]
        if augmentation:
            found.append(f"augmentation layers {', '.join(augmentation[:3])}")
        penalized = [layer.name for layer in layers if layer.kernel_regularizer]
        if penalized:
            found.append(f"kernel_regularizer on {', '.join(penalized[:3])}")
        decay = model.optimizer.weight_decay if model.optimizer is not None else None
        if isinstance(decay, (int, float)) and math.isfinite(decay) and decay > 0:
            found.append(f"weight_decay={decay}")
    events = ctx.run.events if ctx.run is not None else []
    if any(event.kind in ("early_stopping", "restore_best_weights") for event in events) \
            or "EarlyStopping" in (code_callbacks(ctx) or []):
        found.append("EarlyStopping")
    return found


# Overfitting takes validation accuracy down to chance, never far below it (that is labels
# encoded differently, app.rules.causes.label_error).
BELOW_CHANCE_AGAINST_WEIGHT = -0.4
BELOW_CHANCE_NOT_OVERFITTING = T(
    "validation accuracy ends far below chance: overfitting brings it down to chance, not under it",
    "验证准确率最终远低于随机水平：过拟合只会让它降到随机水平，而不会低于它",
)


def _regularized(ctx: Context, held_back: list[str]) -> Evidence:
    if ctx.has("overfitting"):
        return evidence("static", "regularized", REGULARIZED_NOT_ENOUGH, REGULARIZED_BUT_OVERFITTING_WEIGHT,
                        how="; ".join(held_back))
    return evidence("static", "regularized", REGULARIZED, REGULARIZED_WEIGHT, how="; ".join(held_back))


class OverfittingSmallData(CauseRule):
    id = "overfitting_small_data"
    title = T("Too many parameters for the data, no regularization", "参数相对数据过多且没有正则化")
    explanation = T(
        "A network with many more free parameters than training samples can fit the training "
        "set exactly, noise included, instead of learning what generalizes. Training loss keeps "
        "falling while validation loss turns up after a few epochs, and the model grows ever "
        "more confident on examples it gets wrong. Dropout, an L2 weight penalty, data "
        "augmentation and early stopping on the validation loss all limit this; more data or a "
        "smaller model address it at the root.",
        "可训练参数远多于训练样本的网络可以把训练集（连同噪声）完全拟合，而不是学到可泛化的规律。"
        "训练损失持续下降，验证损失却在几轮之后开始上升，模型对它判错的样本也越来越自信。"
        "Dropout、L2 权重惩罚、数据增强以及基于验证损失的早停都能抑制这种情况；"
        "更多的数据或更小的模型则能从根本上解决。",
    )
    when_not = T(
        "Silent when there are fewer than one trainable parameter per sample and the model is "
        "regularized; without the sample count only the overfitting curve and the model's lack "
        "of regularization count.",
        "当每个样本对应的可训练参数少于 1 个且模型已有正则化时不报告；"
        "不知道样本数时只看过拟合曲线以及模型是否缺少正则化。",
    )
    # Memorizing a small set also shows as validation at chance while training improves.
    explains = (SymptomWeight("overfitting", 0.45), SymptomWeight("val_stuck_train_improves", 0.3))
    settle = T(
        "The number of training samples (a log line such as \"Train on N samples\", or the code) "
        "with the model file would settle it.",
        "提供训练样本数（日志中如 “Train on N samples” 的行，或代码）以及模型文件即可确认。",
    )

    def decidable(self, ctx: Context) -> bool:
        samples, _ = fit_setting(ctx, "train_samples")
        return ctx.model is not None and isinstance(samples, int) and samples > 0 \
            and trainable_params(ctx.model) is not None

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from measured(ctx, validation_overlap)
        model = ctx.model
        if model is None:
            return
        params = trainable_params(model)
        samples, source = fit_setting(ctx, "train_samples")
        held_back = regularizers(ctx)
        if accuracy_below_chance(ctx) is not None:
            yield evidence("symptom", "below_chance_not_overfitting", BELOW_CHANCE_NOT_OVERFITTING,
                           BELOW_CHANCE_AGAINST_WEIGHT)
        if ctx.has("overfitting") and code_callbacks(ctx) is not None and "EarlyStopping" not in held_back:
            yield evidence("setting", "no_early_stopping", NO_EARLY_STOPPING, NO_EARLY_STOPPING_WEIGHT)
        if params is None or not isinstance(samples, int) or samples <= 0:
            # The sample count is unknown: on an overfitting curve, what the model does (or does
            # not do) to hold its parameters back still counts.
            if held_back:
                yield _regularized(ctx, held_back)
            elif ctx.has("overfitting"):
                yield evidence("static", "unregularized", UNREGULARIZED, UNREGULARIZED_WEIGHT)
            return
        ratio = params / samples
        shown = round(ratio, 1) if ratio < 100 else int(round(ratio))
        weight = WEIGHT_HUGE if ratio > RATIO_HUGE else WEIGHT_MANY if ratio > RATIO_MANY else \
            WEIGHT_SOME if ratio > RATIO_SOME else 0.0
        if weight > 0:
            yield evidence("setting", "params_per_sample", RATIO, weight, where=setting_where("train_samples"),
                           source=source, params=params, samples=samples, ratio=shown)
        elif ratio < RATIO_PLENTY:
            yield evidence("setting", "plenty_of_data", PLENTY, PLENTY_WEIGHT, where=setting_where("train_samples"),
                           source=source, params=params, samples=samples)
        if held_back:
            yield _regularized(ctx, held_back)
        elif weight > 0:
            yield evidence("static", "unregularized", UNREGULARIZED, UNREGULARIZED_WEIGHT)

    def fixes(self, ctx: Context) -> list[Fix]:
        return [
            Fix("add_regularization",
                T("Add dropout and an L2 weight penalty", "加入 dropout 和 L2 权重惩罚"),
                "review", {"dropout": 0.5, "l2": 1e-4},
                "x = layers.Dropout(0.5)(x)  # before the large Dense layer(s)\n"
                "x = layers.Dense(units, activation=\"relu\",\n"
                "                 kernel_regularizer=keras.regularizers.L2(1e-4))(x)"),
            Fix("add_early_stopping",
                T("Stop when the validation loss stops improving", "验证损失不再改善时停止训练"),
                "safe", {"monitor": "val_loss", "patience": 5, "restore_best_weights": True},
                "early_stopping = keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience=5,\n"
                "                                               restore_best_weights=True)\n"
                "model.fit(..., validation_data=(x_val, y_val), callbacks=[early_stopping])"),
        ]
