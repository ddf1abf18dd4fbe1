"""``oscillation``: loss jumps up and down by large relative amounts with no clear trend.

Measured on the training loss (validation curves are noisy in healthy runs and need a much
larger swing to count). Per-step series are binned first, so per-batch noise is not taken
for oscillation. A per-epoch accuracy counts too, by its swing in accuracy points: a
validation accuracy that jumps 0.15 up and down from epoch to epoch while the training
accuracy climbs smoothly (a batch-norm model evaluated on other statistics) shows no swing
in its loss when no validation loss is printed.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, percent
from app.rules.base import Context, SymptomDetector
from app.rules.curves import MAX_POINTS, curve, rolling_median

# Calibrated on the real-world corpus (bench/corpus_calibrate.py; figures in bench/README.md):
# among its runs with 6+ points, labeled oscillations reverse direction on 54-100 % of their
# changes with a median swing of 8-13 % (training loss, flat runs) or 15-91 % (validation
# loss); healthy runs either reverse less, swing less or trend clearly (first third vs last
# third of the run) — e.g. kerasio-speaker-recognition val_loss swings 26 % but falls 71 %.
MIN_POINTS = 6
MIN_SIGN_CHANGES = 0.55  # share of consecutive changes that reverse direction
MIN_SWING = {"loss": 0.075, "val_loss": 0.14}  # median |change| relative to the running level
# "No clear trend": the median of the last third within this share of the first third's.
MAX_NET_TREND = {"loss": 0.2, "val_loss": 0.4}
STEP_BINS = 200
# Accuracy, per epoch: the median change from one epoch to the next, in accuracy points (not
# relative to the level: an accuracy of 0.08 moving to 0.13 is noise of a 10-class start).
# Corpus: healthy runs change by a median 0.034 at most (tensorflow-62460-fixed, training);
# the labeled oscillations that show it in their accuracy swing by 0.083-0.147 (mxnet-1865,
# kerasio-3d-image-classification, isolution st13475815), and one run labeled
# val_stuck_train_improves by 0.135 (keras-9214). 0.06 lies between the two groups.
MIN_ACCURACY_SWING = 0.06

DETAIL_ACCURACY = T(
    "{metric} moves by a median {swing} from one {axis} to the next, reversing direction "
    "{reversal_pct}% of the time, over {axis}s {start}–{end} (healthy runs of the corpus: 0.034 at most)",
    "{metric} 在第 {start}–{end} {axis_zh}间相邻两点的变化中位数为 {swing}，{reversal_pct}% 的变化"
    "方向反转（语料库中健康的训练最多为 0.034）",
)

DETAIL = T(
    "{metric} swings by a median {swing_pct}% from one {axis} to the next, reversing direction "
    "{reversal_pct}% of the time, over {axis}s {start}–{end} (overall change {trend_pct}%)",
    "{metric} 在第 {start}–{end} {axis_zh}间相邻两点的变化中位数为 {swing_pct}%，"
    "{reversal_pct}% 的变化方向反转（总体变化 {trend_pct}%）",
)


def net_trend(y: np.ndarray) -> float:
    """Relative fall from the first third of the run to the last third (medians): 0.3 is a
    30 % fall, -0.5 a 50 % rise."""
    k = max(1, y.size // 3)
    start, end = float(np.median(y[:k])), float(np.median(y[-k:]))
    return (start - end) / abs(start) if start else 0.0


class Oscillation(SymptomDetector):
    id = "oscillation"
    title = T("Loss oscillates", "损失剧烈震荡")
    description = T(
        "Loss jumps up and down by large relative amounts with no clear trend, or a per-epoch "
        "accuracy jumps up and down by several points.",
        "损失大幅上下跳动，没有明显的下降趋势；或每轮的准确率上下跳动好几个百分点。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        if run is None:
            return
        for name in ("loss", "val_loss"):
            series = ctx.series(name)
            if series is None:
                continue
            # every epoch counts, up to curve()'s MAX_POINTS (corpus runs have 158 epochs at most)
            c = curve(series, STEP_BINS if series.axis == "step" else MAX_POINTS).until_nonfinite()
            if len(c) < MIN_POINTS:
                continue
            y = c.y
            level = np.abs(rolling_median(y, 5))
            level[level == 0] = np.nan
            d = np.diff(y)
            with np.errstate(all="ignore"):
                ratios = np.abs(d) / level[:-1]
            if not np.isfinite(ratios).any():
                continue  # the loss sits at exactly 0: nothing to measure a swing against
            swing = float(np.nanmedian(ratios))
            nonzero = d[d != 0]
            if nonzero.size < 3 or not np.isfinite(swing):
                continue
            reversals = float(np.mean(np.sign(nonzero[1:]) != np.sign(nonzero[:-1])))
            trend = net_trend(y)
            if reversals < MIN_SIGN_CHANGES or swing < MIN_SWING[name] or abs(trend) > MAX_NET_TREND[name]:
                continue
            yield Symptom(
                id=self.id, run=run.name, metric=name, start=c.label(0), end=c.label(len(c) - 1),
                strength=min(1.0, swing / (2 * MIN_SWING[name]) * reversals * 1.5),
                detail=DETAIL,
                params={"metric": name, "swing_pct": percent(swing),
                        "reversal_pct": percent(reversals), "trend_pct": -percent(trend),
                        "axis": c.axis, "axis_zh": "轮" if c.axis == "epoch" else "步",
                        "start": c.label(0), "end": c.label(len(c) - 1)},
                axis=c.axis,  # type: ignore[arg-type]
            )
            return
        yield from self._accuracy(ctx)

    def _accuracy(self, ctx: Context) -> Iterator[Symptom]:
        """A per-epoch accuracy that jumps up and down by MIN_ACCURACY_SWING points."""
        assert ctx.run is not None
        for name in sorted(ctx.accuracy_names(), key=lambda n: not n.startswith("val_")):
            series = ctx.run.series(name, "epoch")
            if series is None:
                continue
            c = curve(series).until_nonfinite()
            if len(c) < MIN_POINTS:
                continue
            d = np.diff(c.y)
            nonzero = d[d != 0]
            if nonzero.size < 3:
                continue
            swing = float(np.median(np.abs(d)))
            reversals = float(np.mean(np.sign(nonzero[1:]) != np.sign(nonzero[:-1])))
            if swing < MIN_ACCURACY_SWING or reversals < MIN_SIGN_CHANGES:
                continue
            yield Symptom(
                id=self.id, run=ctx.run.name, metric=name, start=c.label(0), end=c.label(len(c) - 1),
                strength=min(1.0, swing / (2 * MIN_ACCURACY_SWING) * reversals * 1.5),
                detail=DETAIL_ACCURACY,
                params={"metric": name, "swing": round(swing, 3), "reversal_pct": percent(reversals),
                        "axis": c.axis, "axis_zh": "轮", "start": c.label(0), "end": c.label(len(c) - 1)},
                axis=c.axis,  # type: ignore[arg-type]
            )
            return
