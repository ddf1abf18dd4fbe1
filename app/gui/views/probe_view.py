"""The Probe tab: what the probe measured inside the model on the data sample.

Per layer: the share of ReLU units that never activate and the RMS of the loss gradient of the
kernel (bar charts and a table), the loss in inference and in training mode, and what was
skipped. The numbers are the probe's own (app.probe.measure); the findings use them as
evidence of kind ``measured``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.core.serialize import from_number
from app.rules.probed import probe_layers

DEAD_COLOUR = "#d62728"
GRADIENT_COLOUR = "#1f77b4"


class ProbeView(QWidget):
    COLUMNS = ("layer", "dead", "grad", "weight")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results: dict = {}
        self.summary = QLabel(self)
        self.summary.setObjectName("probe_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.add_button = QPushButton(self)
        self.add_button.setObjectName("add_data_sample")
        self.charts = pg.GraphicsLayoutWidget(self)
        self.charts.setMinimumHeight(220)
        self.dead_plot = self.charts.addPlot(row=0, col=0)
        self.gradient_plot = self.charts.addPlot(row=1, col=0)
        self.gradient_plot.setLogMode(y=True)
        for plot in (self.dead_plot, self.gradient_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
        self.table = QTableWidget(self)
        self.table.setObjectName("probe_layers")
        self.table.setColumnCount(len(self.COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.add_button)
        layout.addWidget(self.charts, 1)
        layout.addWidget(self.table, 1)
        self.retranslate()

    def retranslate(self) -> None:
        self.add_button.setText(self.tr("Add data sample…"))
        self.table.setHorizontalHeaderLabels([self.tr("Layer"), self.tr("Dead units"), self.tr("Gradient RMS"),
                                              self.tr("Weight RMS")])
        self.dead_plot.setTitle(self.tr("Share of ReLU units that never activate"))
        self.gradient_plot.setTitle(self.tr("Loss gradient per layer (RMS, log scale)"))
        self.set_results(self.results)

    def rows(self) -> list[tuple[str, float | None, float | None, float | None]]:
        """(layer, dead share, gradient RMS, weight RMS) of the first probed model, model order."""
        if not self.results:
            return []
        return [(row.name, float(row.relu.get("dead_share", 0.0)) if row.relu else None,
                 from_number(row.gradient.get("grad_rms")) if row.gradient else None,
                 from_number(row.gradient.get("weight_rms")) if row.gradient else None)
                for row in probe_layers(next(iter(self.results.values())))]

    def set_results(self, results: dict) -> None:
        self.results = dict(results or {})
        rows = self.rows()
        self.add_button.setVisible(not self.results)
        self.dead_plot.clear()
        self.gradient_plot.clear()
        self.table.setRowCount(len(rows))
        if not self.results:
            self.summary.setText(self.tr("Nothing measured yet. Add a sample of the training data "
                                         "(File ▸ Add data sample…) with a model file open: TrainDoc runs "
                                         "the model on it in a separate process and measures dead units, "
                                         "gradients per layer and BatchNormalization."))
            return
        path, measured = next(iter(self.results.items()))
        text = self.tr("{0}: {1} rows of the sample, {2} s.").format(path, measured.get("rows", 0),
                                                                      measured.get("seconds", "?"))
        inference, training = from_number(measured.get("loss_inference")), from_number(measured.get("loss_training_mode"))
        if math.isfinite(inference) or math.isfinite(training):
            text += " " + self.tr("Loss on the sample: {0:.4g} in inference mode, {1:.4g} in training mode.").format(
                inference, training)
        trial = measured.get("learn_trial")
        if isinstance(trial, dict):
            text += " " + (self.tr("A fresh copy of the model learned {0} rows: loss {1:.4g} → {2:.4g} in {3} steps.")
                           if trial.get("learned") else
                           self.tr("A fresh copy of the model could not learn {0} rows: loss {1:.4g} → {2:.4g} in {3} "
                                   "steps.")).format(trial.get("rows", 0), from_number(trial.get("loss_start")),
                                                     from_number(trial.get("loss_end")), trial.get("steps", 0))
        skipped = measured.get("skipped") or []
        if skipped:
            text += " " + self.tr("Not measured: {0}.").format("; ".join(skipped))
        self.summary.setText(text)
        for row, (name, dead, grad, weight) in enumerate(rows):
            cells = [name, "–" if dead is None else f"{100 * dead:.0f} %",
                     "–" if grad is None else f"{grad:.2e}", "–" if weight is None else f"{weight:.2e}"]
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        dead_rows = [(i, d) for i, (_, d, _, _) in enumerate(rows) if d is not None]
        if dead_rows:
            self.dead_plot.addItem(pg.BarGraphItem(x=[i for i, _ in dead_rows], height=[d for _, d in dead_rows],
                                                   width=0.6, brush=DEAD_COLOUR))
            self.dead_plot.setYRange(0, 1)
        grad_rows = [(i, g) for i, (_, _, g, _) in enumerate(rows) if g is not None and math.isfinite(g) and g > 0]
        if grad_rows:
            # log scale: bars from the smallest value's decade up to each value's log10
            logs = np.log10([g for _, g in grad_rows])
            floor = math.floor(float(logs.min())) - 1
            self.gradient_plot.addItem(pg.BarGraphItem(x=[i for i, _ in grad_rows], y0=floor, y1=logs, width=0.6,
                                                       brush=GRADIENT_COLOUR))
        ticks = [[(i, name) for i, (name, _, _, _) in enumerate(rows)]]
        for plot in (self.dead_plot, self.gradient_plot):
            plot.getAxis("bottom").setTicks(ticks)
