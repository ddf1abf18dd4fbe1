"""``nan_loss``: the loss (or any metric) becomes NaN or inf and stays there."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from app.core.diagnosis import Symptom
from app.core.i18n import T, percent
from app.rules.base import Context, SymptomDetector

DETAIL = T(
    "{metric} becomes {value} at {axis} {start} and stays non-finite in {persist_pct}% of the "
    "{remaining} {axis}s from there{others}",
    "{metric} 在第 {start} {axis_zh}变为 {value}，此后 {remaining} {axis_zh}中 {persist_pct}% 保持非有限值{others_zh}",
)
DETAIL_EVENT = T(
    "training was stopped for an invalid loss ({event}) at {axis} {start}",
    "训练因损失无效而停止（{event}），位于第 {start} {axis_zh}",
)
AXIS_ZH = {"epoch": "轮", "step": "步"}


class NanLoss(SymptomDetector):
    id = "nan_loss"
    title = T("Loss becomes NaN", "损失变为 NaN")
    description = T(
        "The loss (or any metric) becomes NaN or inf and stays there; accuracy usually falls "
        "to chance afterwards.",
        "损失（或任一指标）变为 NaN 或 inf 并保持；之后准确率通常降到随机水平。",
    )

    def detect(self, ctx: Context) -> Iterator[Symptom]:
        run = ctx.run
        if run is None:
            return
        table = run.epochs if run.epochs else run.steps
        found = []
        for name, series in table.items():
            bad = np.flatnonzero(~np.isfinite(series.y))
            if bad.size:
                found.append((name, series, int(bad[0])))
        if found:
            losses = [item for item in found if item[0].endswith("loss")]
            name, series, first = sorted(
                losses or found, key=lambda item: (item[0] != "loss", item[0].startswith("val_"), item[2])
            )[0]
            after = series.y[first:]
            persist = float(np.mean(~np.isfinite(after)))
            value = series.y[first]
            others = sorted(n for n, _, _ in found if n != name)
            yield Symptom(
                id=self.id,
                run=run.name,
                metric=name,
                start=int(series.x[first]),
                end=int(series.x[-1]),
                strength=0.6 + 0.4 * persist,
                detail=DETAIL,
                params={
                    "metric": name,
                    "value": "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf"),
                    "axis": series.axis,
                    "axis_zh": AXIS_ZH[series.axis],
                    "start": int(series.x[first]),
                    "remaining": int(after.size),
                    "persist_pct": percent(persist),
                    "others": f" (also: {', '.join(others)})" if others else "",
                    "others_zh": f"（另有：{', '.join(others)}）" if others else "",
                },
                axis=series.axis,
                source=series.source_of(first),
            )
            return
        for event in run.events:
            if event.kind in ("terminate_on_nan", "nan_batch"):
                epoch = event.epoch if event.epoch is not None else run.epoch_count + 1
                yield Symptom(
                    id=self.id, run=run.name, metric="loss", start=epoch, end=epoch, strength=0.9,
                    detail=DETAIL_EVENT,
                    params={"event": event.text.strip()[:80], "axis": "epoch",
                            "axis_zh": AXIS_ZH["epoch"], "start": epoch},
                    source=event.source,
                )
                return
