"""The Probe tab: what the probe measured inside the model on the data sample.

Per layer: the share of ReLU units that never activate, of saturated sigmoid/tanh outputs and
the RMS of the loss gradient of the kernel (bar charts and a table); per BatchNormalization
layer its moving statistics against the sample's (a table); the loss in inference and in
training mode, the outputs, and what was skipped. Above them, what the data sample itself
shows (labels, inputs, NaN/inf, constant features, rows shared with the validation sample). The numbers are the probe's own (app.probe.measure); the findings use them as
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
    COLUMNS = ("layer", "dead", "saturated", "grad", "weight")
    BN_COLUMNS = ("layer", "channels", "mean_shift", "variance_ratio")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results: dict = {}
        self.data_facts: dict | None = None
        self.lang = "en"
        self.data_summary = QLabel(self)
        self.data_summary.setObjectName("probe_data_summary")
        self.data_summary.setWordWrap(True)
        self.data_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        self.bn_table = QTableWidget(self)
        self.bn_table.setObjectName("probe_batchnorm")
        self.bn_table.setColumnCount(len(self.BN_COLUMNS))
        self.bn_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.bn_table.verticalHeader().setVisible(False)
        self.bn_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.bn_table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.data_summary)
        layout.addWidget(self.summary)
        layout.addWidget(self.add_button)
        layout.addWidget(self.charts, 1)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.bn_table)
        self.retranslate()

    def retranslate(self) -> None:
        self.add_button.setText(self.tr("Add data sample…"))
        self.table.setHorizontalHeaderLabels([self.tr("Layer"), self.tr("Dead units"), self.tr("Saturated"),
                                              self.tr("Gradient RMS"), self.tr("Weight RMS")])
        self.bn_table.setHorizontalHeaderLabels([self.tr("BatchNormalization layer"), self.tr("Channels"),
                                                 self.tr("Moving mean off by (std)"),
                                                 self.tr("Sample / moving variance")])
        self.set_data(self.data_facts, self.lang)
        self.dead_plot.setTitle(self.tr("Share of ReLU units that never activate"))
        self.gradient_plot.setTitle(self.tr("Loss gradient per layer (RMS, log scale)"))
        self.set_results(self.results)

    def set_data(self, facts: dict | None, lang: str) -> None:
        """What the data sample shows (app.rules.data.sample_facts), in ``lang``."""
        from app.report.wording import data_lines

        self.data_facts, self.lang = facts, lang
        lines = data_lines(facts, lang)
        self.data_summary.setVisible(bool(lines))
        self.data_summary.setText(" ".join(lines))

    def rows(self) -> list[tuple[str, float | None, float | None, float | None, float | None]]:
        """(layer, dead share, saturated share, gradient RMS, weight RMS) of the first probed
        model, model order."""
        if not self.results:
            return []
        return [(row.name, float(row.relu.get("dead_share", 0.0)) if row.relu else None,
                 float(row.saturated.get("saturated_share", 0.0)) if row.saturated else None,
                 from_number(row.gradient.get("grad_rms")) if row.gradient else None,
                 from_number(row.gradient.get("weight_rms")) if row.gradient else None)
                for row in probe_layers(next(iter(self.results.values())))]

    def batchnorm_rows(self) -> list[tuple[str, int, float, float]]:
        """(layer, channels, moving mean off by, variance ratio) of the first probed model."""
        if not self.results:
            return []
        return [(str(item.get("layer", "?")), int(item.get("channels", 0)), from_number(item.get("mean_shift")),
                 from_number(item.get("variance_ratio")))
                for item in next(iter(self.results.values())).get("batchnorm") or []]

    def set_results(self, results: dict) -> None:
        self.results = dict(results or {})
        rows = self.rows()
        self.add_button.setVisible(not self.results)
        self.dead_plot.clear()
        self.gradient_plot.clear()
        self.table.setRowCount(len(rows))
        bn_rows = self.batchnorm_rows()
        self.bn_table.setRowCount(len(bn_rows))
        self.bn_table.setVisible(bool(bn_rows))
        for row, values in enumerate(bn_rows):
            cells = [values[0], str(values[1]), f"{values[2]:.3g}", f"{values[3]:.3g}"]
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.bn_table.setItem(row, column, item)
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
            chance = measured.get("chance_loss")
            if isinstance(chance, (int, float)):
                text += " " + self.tr("The uniform guess would lose ln {0} = {1:.4g}.").format(
                    max(2, int(measured.get("output_units") or 2)), chance)
        trial = measured.get("learn_trial")
        if isinstance(trial, dict):
            text += " " + (self.tr("A fresh copy of the model learned {0} rows: loss {1:.4g} → {2:.4g} in {3} steps.")
                           if trial.get("learned") else
                           self.tr("A fresh copy of the model could not learn {0} rows: loss {1:.4g} → {2:.4g} in {3} "
                                   "steps.")).format(trial.get("rows", 0), from_number(trial.get("loss_start")),
                                                     from_number(trial.get("loss_end")), trial.get("steps", 0))
        share = measured.get("predicted_share")
        if isinstance(share, (int, float)):
            accuracy = measured.get("accuracy_inference")
            text += " " + self.tr("Accuracy on the sample: {0}; the most predicted class takes {1:.0f} % of the rows.").format(
                f"{accuracy:.4g}" if isinstance(accuracy, (int, float)) else "–", 100 * share)
            entropy = measured.get("output_entropy")
            if isinstance(entropy, (int, float)):
                text += " " + self.tr("Output entropy: {0:.2f} of the uniform guess's.").format(entropy)
        skipped = measured.get("skipped") or []
        if skipped:
            text += " " + self.tr("Not measured: {0}.").format("; ".join(skipped))
        self.summary.setText(text)
        for row, (name, dead, saturated, grad, weight) in enumerate(rows):
            cells = [name, "–" if dead is None else f"{100 * dead:.0f} %",
                     "–" if saturated is None else f"{100 * saturated:.0f} %",
                     "–" if grad is None else f"{grad:.2e}", "–" if weight is None else f"{weight:.2e}"]
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        dead_rows = [(i, d) for i, (_, d, _, _, _) in enumerate(rows) if d is not None]
        if dead_rows:
            self.dead_plot.addItem(pg.BarGraphItem(x=[i for i, _ in dead_rows], height=[d for _, d in dead_rows],
                                                   width=0.6, brush=DEAD_COLOUR))
            self.dead_plot.setYRange(0, 1)
        grad_rows = [(i, g) for i, (_, _, _, g, _) in enumerate(rows) if g is not None and math.isfinite(g) and g > 0]
        if grad_rows:
            # log scale: bars from the smallest value's decade up to each value's log10
            logs = np.log10([g for _, g in grad_rows])
            floor = math.floor(float(logs.min())) - 1
            self.gradient_plot.addItem(pg.BarGraphItem(x=[i for i, _ in grad_rows], y0=floor, y1=logs, width=0.6,
                                                       brush=GRADIENT_COLOUR))
        ticks = [[(i, name) for i, (name, *_) in enumerate(rows)]]
        for plot in (self.dead_plot, self.gradient_plot):
            plot.getAxis("bottom").setTicks(ticks)
