"""``val_stuck_train_improves``: training improves while validation accuracy stays at chance."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, value_range
from app.rules.base import Context, SymptomDetector
from app.core.run import Series
from app.rules.curves import Curve, curve, relative_drop
from app.rules.symptoms.stuck_chance_accuracy import Stretch, chance_stretch

# Training counts as improving when its accuracy gains this much, or its loss falls this share.
MIN_ACCURACY_GAIN = 0.1
MIN_LOSS_DROP = 0.3
# Task unknown (a log alone, no loss at ln C): chance is presumed to be that of two classes,
# the commonest task, when the validation accuracy's median over the run lies within
# PRESUMED_TOLERANCE of 0.5 while training accuracy ends at TRAINED_ACCURACY or more.
# Corpus: 14 runs of unknown task have a validation median within 0.1 of 0.5; the 2 of them
# within 0.04 whose training ends above 0.9 are labeled val_stuck_train_improves (lipnet-2:
# 0.496, keras-9214: 0.535); the nearest other, acgowda hw3 model1 (overfitting), sits at
# 0.576. 0.04 is also 2 standard deviations of a chance accuracy on 625 validation samples.
PRESUMED_CHANCE = 0.5
PRESUMED_TOLERANCE = 0.04
TRAINED_ACCURACY = 0.9

DETAIL = T(
    "{train} rises from {train_first} to {train_last} while {val} stays {values} "
    "(chance {chance}) over {axis}s {start}–{end}",
    "{train} 从 {train_first} 升至 {train_last}，而 {val} 在第 {start}–{end} {axis_zh}一直停在 "
    "{values}（随机水平 {chance}）",
)


DETAIL_PRESUMED = T(
    "{train} rises from {train_first} to {train_last} while {val} has a median of {median} "
    "over {axis}s {start}–{end} ({values}): the chance of a two-class task (the inputs do not "
    "name the classes)",
    "{train} 从 {train_first} 升至 {train_last}，而 {val} 在第 {start}–{end} {axis_zh}的中位数为 "
    "{median}（{values}）：即二分类任务的随机水平（输入中没有类别数）",
)


def presumed_binary_stretch(ctx: Context, val_name: str) -> Stretch | None:
    """The whole validation accuracy curve when the task is unknown, its median is two-class
    chance and training accuracy ends high (see PRESUMED_TOLERANCE)."""
    val, train = ctx.series(val_name), ctx.series(val_name[4:])
    if ctx.task.kind != "unknown" or val is None or train is None:
        return None
    c = curve(val).until_nonfinite()
    trained = train.y[np.isfinite(train.y)]
    if len(c) < 2 or trained.size == 0 or float(trained[-1]) < TRAINED_ACCURACY:
        return None
    if abs(float(np.median(c.y)) - PRESUMED_CHANCE) > PRESUMED_TOLERANCE:
        return None
    return Stretch(val_name, c, 0, PRESUMED_CHANCE, PRESUMED_TOLERANCE, frozen=False)


def _training_while_stuck(ctx: Context, train: Series, stretch: Stretch) -> tuple[Curve, Curve | None]:
    """Training accuracy and loss over the stretch where validation is stuck, up to the first
    NaN/inf loss: once the loss is NaN the model is broken, not improving, and validation
    stuck after a divergence is not this symptom."""
    val = stretch.curve
    t = curve(train)
    loss_series = ctx.series(train.name.replace("accuracy", "loss")) or ctx.series("loss")
    loss = curve(loss_series) if loss_series is not None else None
    if t.axis == val.axis:
        first_x = val.label(stretch.start)
        t = t.since(first_x)
        if loss is not None and loss.axis == val.axis:
            loss = loss.since(first_x)
    if loss is not None and loss.axis == t.axis:
        bad = np.flatnonzero(~loss.finite)
        if bad.size:
            t = t.before(loss.x[bad[0]])
    return t.until_nonfinite(), loss.until_nonfinite() if loss is not None else None


def _training_stuck_too(ctx: Context, train_name: str, val: Stretch) -> bool:
    """Training accuracy sits at chance over most of the stretch where validation does. The
    loss can still fall then (a model learning the class prior), but training does not improve."""
    train = chance_stretch(ctx, train_name)
    if train is None or train.curve.axis != val.curve.axis:
        return False
    stuck_from = train.curve.label(train.start)
    val_from, val_to = val.curve.label(val.start), val.curve.label(len(val.curve) - 1)
    return stuck_from <= val_from + (val_to - val_from) / 2


class ValStuckTrainImproves(SymptomDetector):
    id = "val_stuck_train_improves"
    title = T("Validation stuck while training improves", "训练在进步而验证集停在随机水平")
    description = T(
        "Training loss/accuracy improve normally while validation accuracy stays at chance.",
        "训练损失/准确率正常改善，而验证准确率一直停在随机水平。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        for val_name in [n for n in ctx.accuracy_names() if n.startswith("val_")]:
            train_name = val_name[4:]
            train = ctx.series(train_name)
            stretch = chance_stretch(ctx, val_name)
            presumed = stretch is None
            if presumed:
                stretch = presumed_binary_stretch(ctx, val_name)
            if train is None or stretch is None or stretch.coverage < 0.5:
                continue
            if _training_stuck_too(ctx, train_name, stretch):
                continue  # both at chance (the majority class, a constant guess): nothing improves
            t, loss_curve = _training_while_stuck(ctx, train, stretch)
            if len(t) < 2:
                continue
            first = float(np.median(t.y[: max(1, min(3, len(t) // 5))]))
            last = float(np.median(t.y[-max(1, min(3, len(t) // 5)):]))
            gain = last - max(first, stretch.level)
            drop = relative_drop(loss_curve.y) if loss_curve is not None else 0.0
            if gain < MIN_ACCURACY_GAIN and drop < MIN_LOSS_DROP:
                continue
            tail = stretch.values()
            c = stretch.curve
            strength = min(1.0, stretch.coverage * min(1.0, 0.4 + max(gain, 0) * 2 + drop / 2))
            yield Symptom(
                id=self.id,
                run=ctx.run.name if ctx.run else "",
                metric=val_name,
                start=c.label(stretch.start),
                end=c.label(len(c) - 1),
                strength=strength,
                detail=DETAIL_PRESUMED if presumed else DETAIL,
                params={
                    "train": train_name, "val": val_name, "median": round(float(np.median(tail)), 4),
                    "train_first": round(first, 4), "train_last": round(last, 4),
                    "low": round(float(np.min(tail)), 4), "high": round(float(np.max(tail)), 4),
                    "values": value_range(round(float(np.min(tail)), 4), round(float(np.max(tail)), 4)),
                    "chance": round(stretch.level, 4), "axis": c.axis,
                    "axis_zh": "轮" if c.axis == "epoch" else "步",
                    "start": c.label(stretch.start), "end": c.label(len(c) - 1),
                },
                axis=c.axis,  # type: ignore[arg-type]
            )
            return
