"""``slow_convergence``: the loss decreases, but so slowly that the run ends far from converged.

Read as: a modest overall drop that is still going at the end at nearly the pace of the
start (a converging run front-loads its progress and flattens).
"""

from __future__ import annotations

from typing import Iterator


from app.core.diagnosis import Symptom
from app.core.i18n import T, percent
from app.rules.base import Context, SymptomDetector
from app.rules.curves import curve, relative_drop, rolling_median

MIN_POINTS = 5
DROP_RANGE = (0.05, 0.35)  # it does learn, but little
# The last third still falls at this share of the first third's pace or more. Corpus
# (bench/corpus_calibrate.py): 0.4 finds 2 of 5 labeled runs with 4 false, 0.5 finds 1 with
# 3 false; the detector is weak on real runs either way (bench/README.md).
MIN_PACE_KEPT = 0.4

DETAIL = T(
    "{metric} falls only {drop_pct}% over {axis}s {start}–{end} and is still falling at the end "
    "({pace_pct}% of its early pace)",
    "{metric} 在第 {start}–{end} {axis_zh}仅下降 {drop_pct}%，结束时仍在下降（保持了早期 {pace_pct}% 的速度）",
)


class SlowConvergence(SymptomDetector):
    id = "slow_convergence"
    title = T("Slow convergence", "收敛过慢")
    description = T(
        "Loss decreases, but so slowly that the run ends far from converged.",
        "损失在下降，但太慢，训练结束时离收敛还很远。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        series = ctx.series("loss")
        if run is None or series is None:
            return
        c = curve(series).until_nonfinite()
        n = len(c)
        if n < MIN_POINTS or n < len(curve(series)):
            return
        drop = relative_drop(c.y)
        if not DROP_RANGE[0] <= drop <= DROP_RANGE[1]:
            return
        y = rolling_median(c.y, 3)
        third = max(1, n // 3)
        early = y[0] - y[third]
        late = y[n - 1 - third] - y[n - 1]
        if early <= 0 or late <= 0:
            return
        pace = late / early
        if pace < MIN_PACE_KEPT:
            return
        yield Symptom(
            id=self.id, run=run.name, metric="loss", start=c.label(0), end=c.label(n - 1),
            strength=min(1.0, 0.4 + 0.4 * min(pace, 1.5)),
            detail=DETAIL,
            params={"metric": "loss", "drop_pct": percent(drop),
                    "pace_pct": percent(pace), "axis": c.axis,
                    "axis_zh": "轮" if c.axis == "epoch" else "步",
                    "start": c.label(0), "end": c.label(n - 1)},
            axis=c.axis,  # type: ignore[arg-type]
        )
