"""``dense_bottleneck``: a Flatten (or flattening Reshape) feeding a Dense layer that holds most
of the model's parameters (seed 002: 98.9% of them sit between Flatten and Dense).

The share is taken over **all** parameters, frozen ones included. The question is whether the
architecture spends its capacity on one fully connected layer over every spatial position; a
frozen pre-trained base is part of that architecture. Over trainable parameters only, every
transfer-learning head would look like a bottleneck (seed 004: a frozen VGG16 base leaves the
head's 36,866 parameters as 100% of the trainable ones, yet only 0.25% of the model); too many
trainable parameters for the data is ``overfitting_small_data``'s question. Works on partial
models read from a ``model.summary()`` table: it needs only classes, output shapes and params.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.core.model import LayerSpec, ModelSpec
from app.rules.base import CauseRule, Context, SymptomWeight, evidence
from app.rules.data_evidence import validation_overlap
from app.rules.probed import measured
from app.rules.static import layer_where

FLATTENING = {"Flatten", "Reshape"}
# Layers between the Flatten and the Dense that do not change the feature count.
LOOK_THROUGH = {"Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
                "BatchNormalization", "LayerNormalization"}
GLOBAL_POOLING = {"GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
                  "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"}
# "Most of the parameters": at half the model the Dense starts to dominate; the weight grows
# to its maximum at 90% (seed 002: 98.9%). The maximum stays at 0.6 so a run that trains fine
# (absence piece x0.65) is not reported for its architecture alone.
SHARE_THRESHOLD = 0.5
SHARE_FULL = 0.9
BASE_WEIGHT = 0.35
MAX_WEIGHT = 0.6
# Flattening P spatial positions multiplies the Dense kernel by P compared with global
# pooling: below 8 positions (a 2x2 map) pooling saves little.
MANY_POSITIONS = 16
SOME_POSITIONS = 8
FEW_POSITIONS_FACTOR = 0.6
SOME_POSITIONS_FACTOR = 0.85
UNKNOWN_POSITIONS_FACTOR = 0.85
SMALL_SHARE_WEIGHT = -0.4
GLOBAL_POOLING_WEIGHT = -0.6
NO_FLATTEN_WEIGHT = -0.5
# Training accuracy this far above validation accuracy at the end: the Dense memorizes.
GAP_MIN = 0.2
GAP_BASE_WEIGHT = 0.2
GAP_MAX_WEIGHT = 0.35
GAP_TAIL = 3  # epochs averaged at the end of each curve

BOTTLENECK = T(
    "`{dense}` after `{flatten}` holds {share}% of all parameters ({params} of {total}): "
    "{features} flattened features{positions_text} feed {units} units",
    "`{flatten}` 之后的 `{dense}` 占全部参数的 {share}%（{total} 个中的 {params} 个）："
    "{features} 个展平特征{positions_text_zh}连到 {units} 个单元",
)
SMALL_SHARE = T("`{dense}` after `{flatten}` holds only {share}% of all parameters ({params} of {total})",
                "`{flatten}` 之后的 `{dense}` 只占全部参数的 {share}%（{total} 个中的 {params} 个）")
GLOBAL_POOLING_TEXT = T("the model pools its feature maps with `{layer}` ({class_name}) instead of flattening them",
                        "模型用 `{layer}`（{class_name}）对特征图做全局池化，而不是展平")
NO_FLATTEN = T("no Flatten layer feeds a trainable Dense layer", "没有 Flatten 层连到可训练的 Dense 层")
GAP = T(
    "training {train} ends at {train_value} but validation {val} at {val_value}: a gap of {gap}",
    "训练 {train} 最终为 {train_value}，而验证 {val} 为 {val_value}：相差 {gap}",
)


@dataclass(frozen=True)
class Bottleneck:
    flatten: LayerSpec
    dense: LayerSpec
    params: int
    total: int
    features: int | None
    positions: int | None  # spatial positions flattened (None when the input shape is unknown)
    channels: int | None
    input_shape: tuple | None = None  # the flattened feature map's shape, batch axis first

    @property
    def share(self) -> float:
        return self.params / self.total if self.total else 0.0

    @property
    def pooling(self) -> str:
        rank = {1: "1D", 2: "2D", 3: "3D"}.get(self.spatial_rank or 2, "2D")
        return f"GlobalAveragePooling{rank}"

    @property
    def spatial_rank(self) -> int | None:
        shape = self.input_shape
        return len(shape) - 2 if shape is not None and len(shape) >= 3 else None

    @property
    def params_after(self) -> int | None:
        """The Dense layer's parameters after global pooling: (channels + 1) x units."""
        if self.channels is None or self.dense.units is None:
            return None
        bias = 0 if self.dense.use_bias is False else 1
        return (self.channels + bias) * self.dense.units


def _containers(model: ModelSpec) -> dict[int, list[LayerSpec]]:
    """Each layer's siblings: the list of the model (or nested model) it belongs to."""
    out: dict[int, list[LayerSpec]] = {}
    stack = [list(model.layers)]
    for _ in range(10_000):  # bounded walk over nested models
        if not stack:
            break
        siblings = stack.pop()
        for layer in siblings:
            out[id(layer)] = siblings
            if layer.sublayers:
                stack.append(list(layer.sublayers))
    return out


def _previous(layer: LayerSpec, siblings: list[LayerSpec]) -> LayerSpec | None:
    if layer.inbound:
        return next((other for other in siblings if other.name == layer.inbound[0] and other is not layer), None)
    if any(other.inbound for other in siblings):
        return None
    index = next((i for i, other in enumerate(siblings) if other is layer), -1)
    return siblings[index - 1] if index > 0 else None


def _shape(layer: LayerSpec | None) -> tuple | None:
    if layer is None or not layer.output_shape:
        return None
    shape = layer.output_shape
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        shape = shape[0]  # a layer with several outputs: the first
    return tuple(shape) if isinstance(shape, (list, tuple)) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _total_params(model: ModelSpec) -> int | None:
    if _int(model.params_total):
        return model.params_total
    counts = [layer.params_total for layer in model.layers]
    if counts and all(isinstance(count, int) and count >= 0 for count in counts):
        return sum(counts) or None  # type: ignore[arg-type]
    return None


def _dense_params(dense: LayerSpec, features: int | None) -> int | None:
    if isinstance(dense.params_total, int) and dense.params_total >= 0:
        return dense.params_total
    if features is not None and _int(dense.units):
        return (features + (0 if dense.use_bias is False else 1)) * dense.units  # type: ignore[operator]
    return None


def find_bottlenecks(model: ModelSpec) -> list[Bottleneck]:
    """Trainable Dense layers fed by a Flatten (or a flattening Reshape), largest first."""
    containers = _containers(model)
    total = _total_params(model)
    found: list[Bottleneck] = []
    if not total:
        return found
    for dense in model.all_layers():
        if dense.class_name != "Dense" or not dense.trainable:
            continue
        siblings = containers.get(id(dense), [])
        flatten = _previous(dense, siblings)
        for _ in range(3):  # look through Dropout and the like
            if flatten is None or flatten.class_name not in LOOK_THROUGH:
                break
            flatten = _previous(flatten, siblings)
        if flatten is None or flatten.class_name not in FLATTENING:
            continue
        out_shape = _shape(flatten)
        if flatten.class_name == "Reshape" and (out_shape is None or len(out_shape) != 2):
            continue  # a Reshape that does not flatten
        features = _int(out_shape[-1]) if out_shape else None
        in_shape = _shape(_previous(flatten, siblings))
        positions = channels = None
        if in_shape is not None and len(in_shape) >= 3 and all(_int(v) for v in in_shape[1:]):
            channels = in_shape[-1]
            positions = int(np.prod([int(v) for v in in_shape[1:-1]]))
        elif in_shape is not None and len(in_shape) == 2:
            continue  # flattening a vector: nothing spatial to pool
        params = _dense_params(dense, features)
        if params is None:
            continue
        found.append(Bottleneck(flatten, dense, params, total, features, positions, channels,
                                input_shape=in_shape if positions is not None else None))
    return sorted(found, key=lambda item: -item.params)


def bottleneck_weight(found: Bottleneck) -> float:
    base = BASE_WEIGHT + (MAX_WEIGHT - BASE_WEIGHT) * min(1.0, (found.share - SHARE_THRESHOLD)
                                                        / (SHARE_FULL - SHARE_THRESHOLD))
    if found.positions is None:
        factor = UNKNOWN_POSITIONS_FACTOR
    elif found.positions >= MANY_POSITIONS:
        factor = 1.0
    elif found.positions >= SOME_POSITIONS:
        factor = SOME_POSITIONS_FACTOR
    else:
        factor = FEW_POSITIONS_FACTOR
    return min(MAX_WEIGHT, base * factor)


def _tail(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.median(finite[-GAP_TAIL:])) if finite.size else None


def accuracy_gap(ctx: Context) -> Evidence | None:
    """Training accuracy far above validation accuracy at the end of the run."""
    for train_name in [name for name in ctx.accuracy_names() if not name.startswith("val_")]:
        train, val = ctx.series(train_name), ctx.series(f"val_{train_name}")
        if train is None or val is None:
            continue
        train_value, val_value = _tail(train.y), _tail(val.y)
        if train_value is None or val_value is None:
            continue
        gap = train_value - val_value
        if not math.isfinite(gap) or gap < GAP_MIN:
            continue
        weight = min(GAP_MAX_WEIGHT, GAP_BASE_WEIGHT + (gap - GAP_MIN))
        last = int(val.x[-1])
        return evidence("symptom", "train_val_accuracy_gap", GAP, weight,
                        where={"metric": val.name, "start": last, "end": last, "axis": val.axis},
                        source=val.source_of(len(val) - 1), train=train.name, val=val.name,
                        train_value=round(train_value, 4), val_value=round(val_value, 4), gap=round(gap, 4))
    return None


def _bottleneck_params(found: Bottleneck) -> dict:
    positions = found.positions
    return {
        "dense": found.dense.name, "flatten": found.flatten.name, "share": round(100 * found.share, 1),
        "params": found.params, "total": found.total, "features": found.features or "?",
        "units": found.dense.units or "?",
        "positions_text": f" ({positions} positions × {found.channels} channels)" if positions else "",
        "positions_text_zh": f"（{positions} 个位置 × {found.channels} 个通道）" if positions else "",
    }


class DenseBottleneck(CauseRule):
    id = "dense_bottleneck"
    title = T("Flatten → Dense holds most of the parameters", "Flatten → Dense 占了大部分参数")
    explanation = T(
        "Flattening a feature map connects every position of every channel to every unit of the "
        "next Dense layer, so that one layer can end up holding nearly all of the model's "
        "weights. It then has enough capacity to memorize the training set position by "
        "position instead of learning features that generalize: training accuracy climbs while "
        "validation stalls or gets worse. GlobalAveragePooling instead of Flatten (or more "
        "convolution and pooling stages before it, and a smaller Dense) cuts those weights by "
        "the number of positions.",
        "展平特征图会把每个通道的每个位置都连接到下一个 Dense 层的每个单元，于是这一层可能占据模型几乎全部的权重。"
        "它因此有足够的容量逐位置地死记训练集，而不是学习可泛化的特征：训练准确率不断上升，验证集却停滞甚至变差。"
        "用 GlobalAveragePooling 代替 Flatten（或在此之前增加卷积和池化阶段，并缩小 Dense 层），"
        "可以把这些权重减少为原来的“位置数”分之一。",
    )
    when_not = T(
        "Silent when no Flatten feeds a trainable Dense, when the model pools globally, or when "
        "the Dense holds less than half of all parameters (frozen ones included, so a "
        "transfer-learning head on a frozen base is not flagged).",
        "当没有 Flatten 连到可训练的 Dense 层、模型使用全局池化，或该 Dense 层占全部参数（包括冻结参数，"
        "因此冻结基座上的迁移学习头部不会被标记）不到一半时不报告。",
    )
    # Overfitting is what a bottleneck produces; validation pinned at chance only weakly so.
    explains = (SymptomWeight("overfitting", 0.35), SymptomWeight("val_stuck_train_improves", 0.2))
    needs = ("model",)

    def decidable(self, ctx: Context) -> bool:
        """A summary table shows classes, shapes and params: enough to decide this rule."""
        return ctx.model is not None and bool(ctx.model.layers)

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        yield from measured(ctx, validation_overlap)
        model = ctx.model
        if model is None or not model.layers:
            return
        found = find_bottlenecks(model)
        if found:
            top = found[0]
            if top.share >= SHARE_THRESHOLD:
                yield evidence("static", "flatten_dense_share", BOTTLENECK, bottleneck_weight(top),
                               where=layer_where(top.dense), **_bottleneck_params(top))
                # The gap stands in for the symptoms only when no detector saw them (seed 002's
                # fixture: training starts high, so "train improves" does not fire).
                gap = None if any(ctx.has(item.symptom) for item in self.explains) else accuracy_gap(ctx)
                if gap is not None:
                    yield gap
            else:
                yield evidence("static", "flatten_dense_small_share", SMALL_SHARE, SMALL_SHARE_WEIGHT,
                               where=layer_where(top.dense), **_bottleneck_params(top))
            return
        pooled = next((layer for layer in model.all_layers() if layer.class_name in GLOBAL_POOLING), None)
        if pooled is not None:
            yield evidence("static", "global_pooling", GLOBAL_POOLING_TEXT, GLOBAL_POOLING_WEIGHT,
                           where=layer_where(pooled), layer=pooled.name, class_name=pooled.class_name)
        elif _total_params(model):
            yield evidence("static", "no_flatten_dense", NO_FLATTEN, NO_FLATTEN_WEIGHT)

    def fixes(self, ctx: Context) -> list[Fix]:
        found = find_bottlenecks(ctx.model) if ctx.model is not None else []
        if not found:
            return [Fix("replace_flatten_with_gap",
                        T("Replace Flatten with global average pooling", "用全局平均池化代替 Flatten"),
                        "review", {"pooling": "GlobalAveragePooling2D"},
                        "x = layers.GlobalAveragePooling2D()(x)  # instead of layers.Flatten()(x)")]
        top = found[0]
        after = top.params_after
        units = top.dense.units or "units"
        title = T("Replace `{flatten}` with {pooling}: `{dense}` shrinks from {params} to {params_after} parameters",
                  "用 {pooling} 代替 `{flatten}`：`{dense}` 的参数从 {params} 个减少到 {params_after} 个") \
            if after is not None else \
            T("Replace `{flatten}` with {pooling}", "用 {pooling} 代替 `{flatten}`")
        return [Fix("replace_flatten_with_gap", title, "review",
                    {"flatten": top.flatten.name, "dense": top.dense.name, "pooling": top.pooling,
                     "params": top.params, "params_after": after},
                    f"x = layers.{top.pooling}()(x)  # instead of layers.Flatten(name=\"{top.flatten.name}\")(x)\n"
                    f"x = layers.Dense({units}, ...)(x)  # consider fewer units as well")]
