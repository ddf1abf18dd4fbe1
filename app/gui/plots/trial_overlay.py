"""A fix's A/B trial drawn live over the run's own curves: each arm's validation accuracy (the
trial's own ``val_balanced_accuracy``) on the metrics plot and its ``val_loss`` on the loss plot,
one thin line per seed and the mean over the seeds bold; the original grey, the fix green."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from app.core.serialize import from_number

ORIGINAL_COLOUR = "#7f7f7f"
PATCHED_COLOUR = "#2ca02c"
PLOTTED = (("metrics", "val_balanced_accuracy"), ("loss", "val_loss"))


class TrialOverlay:
    """The trial's lines on a :class:`~app.gui.plots.curve_panel.CurvePanel`'s plots."""

    def __init__(self, panel) -> None:
        self.panel = panel
        self.values: dict[tuple[str, int], dict[str, list[float]]] = {}  # (arm, seed) -> metric -> per epoch
        self.thin: dict[tuple[str, str, int], pg.PlotDataItem] = {}  # (plot, arm, seed)
        self.bold: dict[tuple[str, str], pg.PlotDataItem] = {}  # (plot, arm)

    def clear(self) -> None:
        for (key, *_), item in [*self.thin.items(), *self.bold.items()]:
            self.panel.plots[key].removeItem(item)
        self.values.clear()
        self.thin.clear()
        self.bold.clear()

    def add_epoch(self, item: dict) -> None:
        """One epoch of one arm and seed, as the worker streamed it."""
        arm, seed = str(item.get("arm")), int(item.get("seed", 0))
        logs = item.get("logs") or {}
        series = self.values.setdefault((arm, seed), {})
        for _, metric in PLOTTED:
            series.setdefault(metric, []).append(from_number(logs.get(metric)))
        for key, metric in PLOTTED:
            self._draw(key, metric, arm, seed)

    def _colour(self, arm: str) -> str:
        return ORIGINAL_COLOUR if arm == "original" else PATCHED_COLOUR

    def _draw(self, key: str, metric: str, arm: str, seed: int) -> None:
        plot = self.panel.plots[key]
        ys = self.values[(arm, seed)].get(metric) or []
        if not any(math.isfinite(v) for v in ys):
            return
        xs = np.arange(1, len(ys) + 1, dtype=float)
        line = self.thin.get((key, arm, seed))
        if line is None:
            line = plot.plot(pen=pg.mkPen(self._colour(arm), width=1, style=Qt.PenStyle.DotLine))
            self.thin[(key, arm, seed)] = line
        line.setData(xs, np.asarray(ys, dtype=float), connect="finite")
        mean = self.mean(arm, metric)
        bold = self.bold.get((key, arm))
        if bold is None:
            label = ("trial: original" if arm == "original" else f"trial: {arm}") + f" ({metric})"
            bold = plot.plot(pen=pg.mkPen(self._colour(arm), width=3), name=label)
            self.bold[(key, arm)] = bold
        bold.setData(np.arange(1, len(mean) + 1, dtype=float), mean, connect="finite")

    def mean(self, arm: str, metric: str) -> np.ndarray:
        """The mean over the seeds of ``arm``'s ``metric``, epoch by epoch (as far as any seed got)."""
        rows = [v.get(metric) or [] for (name, _), v in self.values.items() if name == arm]
        length = max((len(r) for r in rows), default=0)
        table = np.full((len(rows), length), np.nan)
        for index, row in enumerate(rows):
            table[index, :len(row)] = row
        if not rows:
            return np.array([])
        with warnings.catch_warnings():  # an epoch no seed reached with a finite value: NaN, said quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(table, axis=0)

    def arms(self) -> list[str]:
        return sorted({arm for arm, _ in self.values})
