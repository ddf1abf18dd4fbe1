"""The model view: layer table with parameter shares, flagged layers, compile settings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.core.model import LayerSpec, ModelSpec

FLAG_COLOUR = QColor(255, 170, 0, 90)


def _shape(shape) -> str:
    if not shape:
        return "-"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


class ModelView(QWidget):
    COLUMNS = ("layer", "type", "output", "activation", "params", "share")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: ModelSpec | None = None
        self.table = QTableWidget(self)
        self.table.setObjectName("layers")
        self.table.setColumnCount(len(self.COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.compile_label = QLabel(self)
        self.compile_label.setObjectName("compile_settings")
        self.compile_label.setWordWrap(True)
        self.compile_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addWidget(self.compile_label)
        self.rows: list[LayerSpec] = []
        self.flagged: set[str] = set()
        self.retranslate()

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([
            self.tr("Layer"), self.tr("Type"), self.tr("Output"), self.tr("Activation"),
            self.tr("Parameters"), self.tr("Share")])
        self.set_model(self.model, self.flagged)

    def set_model(self, model: ModelSpec | None, flagged: set[str] | None = None) -> None:
        self.model = model
        self.flagged = set(flagged or ())
        self.rows = []
        self.table.setRowCount(0)
        if model is None:
            self.compile_label.setText(self.tr("No model opened. Drop a .keras or .h5 file to see its layers."))
            return
        total = model.params_total or 0
        for layer in model.layers:
            self._add(layer, total, 0)
        lines = [self.tr("{0} ({1}), {2} parameters, {3} trainable").format(
            model.name, model.class_name, _count(model.params_total), _count(model.params_trainable))]
        if model.compile is not None:
            for loss in model.compile.loss:
                logits = "" if loss.from_logits is None else f", from_logits={loss.from_logits}"
                lines.append(self.tr("Loss: {0}").format(loss.name + logits))
            if model.optimizer is not None:
                settings = ", ".join(f"{k}={v}" for k, v in model.optimizer.settings().items())
                lines.append(self.tr("Optimizer: {0}").format(f"{model.optimizer.name}({settings})"))
            if model.compile.metrics:
                lines.append(self.tr("Metrics: {0}").format(", ".join(model.compile.metrics)))
        elif model.complete:
            lines.append(self.tr("Not compiled when saved (no loss or optimizer in the file)."))
        else:
            lines.append(self.tr("From a model.summary() table: no activations, loss or optimizer."))
        for warning in model.warnings:
            lines.append("⚠ " + warning)
        self.compile_label.setText("\n".join(lines))

    def _add(self, layer: LayerSpec, total: int, depth: int) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.rows.append(layer)
        share = f"{100 * layer.params_total / total:.1f}%" if total and layer.params_total is not None else "-"
        name = "    " * depth + layer.name + ("" if layer.trainable else " " + self.tr("(frozen)"))
        values = [name, layer.class_name, _shape(layer.output_shape) if layer.output_shape else
                  (str(layer.units) if layer.units is not None else "-"),
                  layer.activation or "-", _count(layer.params_total), share]
        flagged = (layer.path or layer.name) in self.flagged or layer.name in self.flagged
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column >= 4:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if flagged:
                item.setBackground(QBrush(FLAG_COLOUR))
                item.setToolTip(self.tr("A finding points at this layer."))
            self.table.setItem(row, column, item)
        for sub in layer.sublayers:
            self._add(sub, total, depth + 1)

    def select_layer(self, path: str) -> bool:
        for row, layer in enumerate(self.rows):
            if path in (layer.path, layer.name):
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
                return True
        return False

    def selected_layer(self) -> LayerSpec | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
