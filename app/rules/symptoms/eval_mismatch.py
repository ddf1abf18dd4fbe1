"""``eval_mismatch``: ``evaluate`` on the training data disagrees with ``fit``'s accuracy."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T
from app.rules.base import Context, SymptomDetector

# A gap this large between evaluate() and the last epoch's training accuracy is a mismatch
# when the evaluation ran on the training data; without a label we require the evaluation
# to sit at chance as well (a test set can legitimately score lower than training).
MIN_GAP_TRAIN = 0.15
MIN_GAP_UNLABELED = 0.25
# An unlabeled (or test) result that disagrees with validation too is no ordinary test score:
# corpus runs labeled eval_mismatch sit 0.24-0.5 below the last validation accuracy, or 0.67
# below training when fit printed no validation; healthy runs' test scores are within 0.05 of
# their validation accuracy.
MIN_GAP_VALIDATION = 0.2
MIN_GAP_NO_VALIDATION = 0.4

PROBED = T(
    "the saved model, run on the training data sample (the probe, inference mode), scores {metric} {evaluated} "
    "while the last epoch's training {metric} was {trained} (epoch {epoch})",
    "保存的模型在训练数据样本上（探测，推理模式）的 {metric} 为 {evaluated}，而最后一轮（第 {epoch} 轮）训练时的 {metric} 为 {trained}",
)
DETAIL = T(
    "evaluate() gives {metric} {evaluated} while the last epoch's training {metric} was "
    "{trained} (epoch {epoch}){label}",
    "evaluate() 得到的 {metric} 为 {evaluated}，而最后一轮（第 {epoch} 轮）训练时的 {metric} 为 {trained}{label}",
)


def _is_train_label(label: str) -> bool:
    return "train" in label.lower()


class EvalMismatch(SymptomDetector):
    id = "eval_mismatch"
    title = T("evaluate() disagrees with training", "evaluate() 与训练结果不一致")
    description = T(
        "model.evaluate on the training data gives a very different result from the training "
        "accuracy logged by fit.",
        "在训练数据上运行 model.evaluate 的结果与 fit 记录的训练准确率相差很大。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        if run is None:
            return
        for evaluation in run.evaluations:
            for metric, value in evaluation.metrics.items():
                if not metric.endswith("accuracy") or metric.startswith("val_"):
                    continue
                series = ctx.series(metric)
                if series is None or not np.isfinite(value):
                    continue
                finite = np.flatnonzero(np.isfinite(series.y))
                if finite.size == 0:
                    continue
                index = int(finite[-1])
                if evaluation.after_epoch is not None:
                    before = finite[series.x[finite] <= evaluation.after_epoch]
                    index = int(before[-1]) if before.size else index
                trained = float(series.y[index])
                gap = abs(trained - value)
                labeled = _is_train_label(evaluation.label)
                at_chance = any(abs(value - level) <= 0.05 for level in ctx.task.chance_levels())
                val = ctx.series("val_" + metric)
                val_y = val.y[np.isfinite(val.y)] if val is not None else np.array([])
                off_validation = (val_y.size and abs(float(val_y[-1]) - value) >= MIN_GAP_VALIDATION) or \
                    (not val_y.size and gap >= MIN_GAP_NO_VALIDATION)
                if not ((labeled and gap >= MIN_GAP_TRAIN)
                        or (gap >= MIN_GAP_UNLABELED and (at_chance or off_validation))):
                    continue
                epoch = int(series.x[index])
                yield Symptom(
                    id=self.id,
                    run=run.name,
                    metric=metric,
                    start=epoch,
                    end=epoch,
                    strength=min(1.0, gap / 0.4) * (1.0 if labeled else 0.8),
                    detail=DETAIL,
                    params={
                        "metric": metric, "evaluated": round(value, 4), "trained": round(trained, 4),
                        "epoch": epoch, "gap": round(gap, 4),
                        "label": f" (evaluated on {evaluation.label} data)" if evaluation.label else "",
                    },
                    source=evaluation.source,
                )
                return
        yield from self._probed(ctx)

    def _probed(self, ctx: Context) -> Iterator[Symptom]:
        """The probe's accuracy on the data sample (documented as training data) is an
        evaluate() on the training data: the labeled gap applies, below training only."""
        value = (ctx.probe or {}).get("accuracy_inference")
        series = ctx.series("accuracy")
        if not isinstance(value, (int, float)) or series is None:
            return
        finite = np.flatnonzero(np.isfinite(series.y))
        if finite.size == 0:
            return
        index = int(finite[-1])
        trained = float(series.y[index])
        if trained - value < MIN_GAP_TRAIN:
            return
        epoch = int(series.x[index])
        yield Symptom(id=self.id, run=ctx.run.name, metric="accuracy", start=epoch, end=epoch,
                      strength=min(1.0, (trained - value) / 0.4), detail=PROBED,
                      params={"metric": "accuracy", "evaluated": round(float(value), 4), "trained": round(trained, 4),
                              "epoch": epoch, "gap": round(trained - value, 4), "basis": "probe"})
