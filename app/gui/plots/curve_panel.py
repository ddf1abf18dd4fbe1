"""The curves: one plot per metric family, runs overlaid, symptoms shaded, NaN marked.

- ``Loss`` holds every ``*loss`` series, ``Metrics`` the rest (accuracy ...), and
  ``Learning rate`` appears when a run logs one. Train is drawn solid, validation dashed,
  one colour per run.
- NaN/inf leave a visible break (``connect="finite"``) and a red marker with a vertical line
  where they began.
- Symptom ranges are shaded and labeled; :meth:`highlight` shows one range strongly and
  brings it into view.
- Million-point series stay fluid: each curve is drawn from the coarsest of its
  peak-decimated copies (:mod:`app.core.decimate`, computed in the loading worker) that
  shows the visible range in full detail, switched as the view zooms, plus pyqtgraph's
  ``clipToView`` and peak downsampling on that copy. Dense curves are drawn with a thin
  solid pen: Qt dashes and widens a dense zigzag path for hundreds of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.core.decimate import level_for
from app.core.diagnosis import Symptom
from app.core.run import Run, Series

RUN_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
# One run open: training blue, validation orange (and dashed), as in most training plots.
# Several runs: one colour per run, validation dashed.
TRAIN_COLOUR, VAL_COLOUR = "#1f77b4", "#ff7f0e"
SYMPTOM_BRUSH = (255, 170, 0, 40)
HIGHLIGHT_BRUSH = (0, 120, 255, 70)
NAN_COLOUR = "#e4002b"


@dataclass
class Region:
    symptom: str
    plot: str
    start: float
    end: float
    item: pg.LinearRegionItem
    label: pg.TextItem


def family(name: str) -> str:
    base = name[4:] if name.startswith("val_") else name
    if base.endswith("loss"):
        return "loss"
    if base in ("learning_rate", "lr"):
        return "lr"
    return "metrics"


class CountAxis(pg.AxisItem):
    """An x axis of epochs or steps: whole numbers only (no "2.5 epochs" ticks)."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph API
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            if spacing < 1:
                continue
            whole = [v for v in values if abs(v - round(v)) < 1e-9]
            if whole:
                levels.append((spacing, whole))
        return levels or [(1.0, [float(v) for v in range(int(np.ceil(minVal)), int(np.floor(maxVal)) + 1)][:50])]


# Where a legend may sit, as (item and parent anchor, offset in pixels), the default first.
LEGEND_CORNERS = {"top right": ((1, 0), (-10, 10)), "top left": ((0, 0), (10, 10)),
                  "bottom right": ((1, 1), (-10, -10)), "bottom left": ((0, 1), (10, -10))}
LINE_SAMPLES = 400  # points taken along each curve (its line hides as much as its markers)
DENSE_POINTS = 2000  # above this, a curve is a band on screen: thin solid pen, no dashes
LABEL_WEIGHT = 25  # a symptom's name at the top edge counts as this many curve points


def emptiest_corner(points: Any, width: float, height: float) -> str:
    """The corner of the plot whose ``width`` × ``height`` box (fractions of the plot)
    covers the fewest of ``points`` (an (n, 2) array, x and y as fractions, y up, with a
    third column of weights when given); ties keep the earlier corner of LEGEND_CORNERS."""
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or not len(points):
        return next(iter(LEGEND_CORNERS))
    x, y = points[:, 0], points[:, 1]
    weight = points[:, 2] if points.shape[1] > 2 else np.ones(len(points))
    boxes = {"top right": (x >= 1 - width) & (y >= 1 - height), "top left": (x <= width) & (y >= 1 - height),
             "bottom right": (x >= 1 - width) & (y <= height), "bottom left": (x <= width) & (y <= height)}
    counts = {corner: float(weight[inside].sum()) for corner, inside in boxes.items()}
    return min(LEGEND_CORNERS, key=lambda corner: counts[corner])


def legend_names(names: list[str]) -> list[str]:
    """Run names as the legend shows them: without the folder they all share
    (``seed004/history.json`` and ``seed004/log.csv`` → ``history.json``, ``log.csv``)."""
    if len(names) < 2:
        return list(names)
    heads = {name.rsplit("/", 1)[0] if "/" in name else None for name in names}
    if len(heads) != 1 or None in heads:
        return list(names)
    short = [name.rsplit("/", 1)[1] for name in names]
    return short if len(set(short)) == len(short) else list(names)


class CurvePanel(QWidget):
    """pyqtgraph plots of the open runs."""

    PLOTS = ("loss", "metrics", "lr")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False)
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setObjectName("curves")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.plots: dict[str, pg.PlotItem] = {}
        self.items: dict[str, dict[str, pg.PlotDataItem]] = {p: {} for p in self.PLOTS}
        self.series: dict[str, Series] = {}  # label -> the series drawn (all its points)
        self._level: dict[str, int] = {}  # label -> the decimation level drawn now
        self.nan_markers: list[tuple[str, float]] = []  # (series label, x where NaN began)
        self.regions: list[Region] = []
        self.highlighted: Region | None = None
        self._nan_items: list = []
        self._log_y = False
        self._axis = "epoch"
        for row, key in enumerate(self.PLOTS):
            plot = self.view.addPlot(row=row, col=0, axisItems={"bottom": CountAxis("bottom")})
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.addLegend(offset=(-10, 10))
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            for side in ("left", "bottom"):
                # Grid lines at the major and minor ticks only: pyqtgraph's third tick level
                # added ~100 faint full-length lines that cost most of every paint (221 -> 134
                # ms of paint per open of a 1M-row run, bench/bench_gui_gaps.py).
                plot.getAxis(side).setStyle(maxTickLevel=1)
            self.plots[key] = plot
        # x ranges follow each other. Not with pyqtgraph's setXLink: its linked-view path
        # (ViewBox.screenGeometry) crashes with PySide6 6.12 ("deallocating None").
        self._syncing = False
        for key, plot in self.plots.items():
            plot.vb.sigXRangeChanged.connect(self._sync_x)
            # Symptom labels hang from the top of the view, wherever zoom and pan put it.
            plot.vb.sigYRangeChanged.connect(lambda *_, key=key: self._place_labels(key))
        self._crosshair: dict[str, pg.InfiniteLine] = {}
        self.readout = pg.TextItem(anchor=(0, 0), color="#444")
        self.plots["loss"].addItem(self.readout, ignoreBounds=True)
        for key, plot in self.plots.items():
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._crosshair[key] = line
        self._proxy = pg.SignalProxy(self.view.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse)
        self.apply_palette()
        self.retranslate()
        self._update_visibility()

    def _sync_x(self, source, x_range) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            for plot in self.plots.values():
                if plot.vb is not source:
                    plot.vb.setXRange(float(x_range[0]), float(x_range[1]), padding=0)
        finally:
            self._syncing = False
        self._refine(float(x_range[0]), float(x_range[1]))

    def _refine(self, low: float, high: float) -> None:
        """Draw each long curve from the decimation level that fits the visible x range."""
        for items in self.items.values():
            for label, item in items.items():
                series = self.series.get(label)
                if series is None:
                    continue
                levels = series.display_levels()
                if len(levels) < 2:
                    continue
                level = level_for(levels, low, high)
                if level != self._level.get(label):
                    self._level[label] = level
                    item.setData(*levels[level])

    def release(self) -> None:
        """Drop the plot items before Qt tears the scene down (pyqtgraph's legends are
        anchored to view boxes and complain when those go first at exit)."""
        self._proxy.disconnect()
        for plot in self.plots.values():
            legend = plot.legend
            if legend is not None and legend.scene() is not None:
                legend.scene().removeItem(legend)
            plot.legend = None
        self.view.clear()
        self.plots.clear()

    # -- content -------------------------------------------------------------------------
    def apply_palette(self) -> None:
        """Plot background and text from the system palette, so the plots are readable in
        light and dark themes alike (pyqtgraph's default is always black)."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.view.setBackground(background)
        for plot in self.plots.values():
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(text))
                axis.setTextPen(pg.mkPen(text))
            plot.titleLabel.setAttr("color", text.name())
            plot.titleLabel.setText(plot.titleLabel.text)
            if plot.legend is not None:
                plot.legend.setLabelTextColor(text)
        self.readout.setColor(text)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_palette()
        super().changeEvent(event)

    def retranslate(self) -> None:
        titles = {"loss": self.tr("Loss"), "metrics": self.tr("Accuracy and other metrics"),
                  "lr": self.tr("Learning rate")}
        for key, plot in self.plots.items():
            plot.setTitle(titles[key])
            plot.setLabel("bottom", self.tr("epoch") if self._axis == "epoch" else self.tr("step"))

    def clear(self) -> None:
        for key, plot in self.plots.items():
            for item in self.items[key].values():
                plot.removeItem(item)
            self.items[key].clear()
            legend = plot.legend
            if legend is not None:
                legend.clear()
        self.series.clear()
        self._level.clear()
        for item in self._nan_items:
            item.getViewBox().removeItem(item) if item.getViewBox() else None
        self._nan_items.clear()
        self.nan_markers.clear()
        self.clear_symptoms()

    def set_runs(self, runs: list[Run]) -> None:
        """Draw ``runs`` overlaid (one colour each)."""
        self.clear()
        self._axis = "epoch" if any(r.epochs for r in runs) or not runs else "step"
        names = legend_names([run.name for run in runs])
        for index, run in enumerate(runs):
            colour = RUN_COLOURS[index % len(RUN_COLOURS)]
            table = run.epochs if run.epochs else run.steps
            prefix = f"{names[index]}: " if len(runs) > 1 else ""
            for name, series in sorted(table.items()):
                if len(runs) == 1:
                    colour = VAL_COLOUR if name.startswith("val_") else TRAIN_COLOUR
                self._add_series(prefix + name, series, colour)
        self.retranslate()
        self._update_visibility()
        self.set_log_y(self._log_y)
        self.reset_view()

    def _add_series(self, label: str, series: Series, colour: str) -> None:
        key = family(series.name)
        plot = self.plots[key]
        dashed = series.name.startswith("val_")
        levels = series.display_levels()
        x, y = levels[0]
        dense = x.size > DENSE_POINTS
        pen = pg.mkPen(colour, width=1 if dense else 2,
                       style=Qt.PenStyle.DashLine if dashed and not dense else Qt.PenStyle.SolidLine)
        symbol = "o" if x.size <= 60 else None
        self.series[label] = series
        self._level[label] = len(levels) - 1  # the whole run in view: the coarsest copy
        shown_x, shown_y = levels[-1]
        item = plot.plot(shown_x, shown_y, pen=pen, name=label, connect="finite", symbol=symbol, symbolSize=5,
                         symbolBrush=colour, symbolPen=None)
        item.setClipToView(True)
        item.setDownsampling(auto=True, method="peak")
        self.items[key][label] = item
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            first = int(bad[0])
            x0 = float(x[first])
            self.nan_markers.append((label, x0))
            finite = y[np.isfinite(y)]
            anchor_y = float(finite[-1]) if finite.size else 0.0
            line = pg.InfiniteLine(pos=x0, angle=90, movable=False, pen=pg.mkPen(NAN_COLOUR, width=1),
                                   label="NaN", labelOpts={"color": NAN_COLOUR, "position": 0.9})
            marker = pg.ScatterPlotItem([x0], [anchor_y], symbol="x", size=14, pen=pg.mkPen(NAN_COLOUR, width=3),
                                        brush=NAN_COLOUR)
            plot.addItem(line)
            plot.addItem(marker)
            self._nan_items.extend([line, marker])

    def curve(self, label: str) -> pg.PlotDataItem | None:
        for items in self.items.values():
            if label in items:
                return items[label]
        return None

    def labels(self) -> list[str]:
        return [label for items in self.items.values() for label in items]

    def _update_visibility(self) -> None:
        for key, plot in self.plots.items():
            plot.setVisible(bool(self.items[key]) or key == "loss")

    # -- symptoms ------------------------------------------------------------------------
    def clear_symptoms(self) -> None:
        for region in self.regions:
            plot = self.plots[region.plot]
            plot.removeItem(region.item)
            plot.removeItem(region.label)
        self.regions.clear()
        self.highlighted = None

    def set_symptoms(self, symptoms: list[Symptom]) -> None:
        """Shade and label the range of every failure symptom on its metric's plot."""
        self.clear_symptoms()
        for symptom in symptoms:
            if symptom.id == "healthy" or symptom.start is None:
                continue
            key = family(symptom.metric or "loss")
            if not self.plots[key].isVisible():
                key = "loss"
            self.regions.append(self._region(symptom.id, key, symptom.start, symptom.end or symptom.start,
                                             SYMPTOM_BRUSH))
        self.place_legends()  # off the symptom names too

    def _region(self, name: str, key: str, start: float, end: float, brush) -> Region:
        plot = self.plots[key]
        low, high = float(start) - 0.5, float(end) + 0.5
        item = pg.LinearRegionItem(values=(low, high), movable=False, brush=pg.mkBrush(*brush),
                                   pen=pg.mkPen(QColor(brush[0], brush[1], brush[2], 160)))
        item.setZValue(-10)
        plot.addItem(item, ignoreBounds=True)
        row = sum(1 for r in self.regions if r.plot == key)  # stack the labels of one plot
        colour = QColor(brush[0], brush[1], brush[2])
        dark_theme = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        label = pg.TextItem(name, color=colour.lighter(130) if dark_theme else colour.darker(170),
                            anchor=(0, -1.1 * row))
        plot.addItem(label, ignoreBounds=True)
        region = Region(name, key, low, high, item, label)
        self._place_label(region)
        return region

    def _place_label(self, region: Region) -> None:
        # View coordinates (log10 values on a log axis), as the view range gives them.
        region.label.setPos(region.start, self.plots[region.plot].viewRange()[1][1])

    def _place_labels(self, key: str) -> None:
        for region in self.regions + ([self.highlighted] if self.highlighted else []):
            if region.plot == key:
                self._place_label(region)

    def highlight(self, metric: str | None, start: float, end: float, name: str = "") -> Region:
        """Show one range strongly (evidence selected in the findings) and bring it into view."""
        if self.highlighted is not None:
            plot = self.plots[self.highlighted.plot]
            plot.removeItem(self.highlighted.item)
            plot.removeItem(self.highlighted.label)
        key = family(metric or "loss")
        if not self.plots[key].isVisible():
            key = "loss"
        region = self._region(name or self.tr("selected"), key, start, end, HIGHLIGHT_BRUSH)
        self.highlighted = region
        x0, x1 = self.plots[key].viewRange()[0]
        if region.start < x0 or region.end > x1:
            self.plots[key].setXRange(min(x0, region.start), max(x1, region.end), padding=0.02)
        return region

    # -- view options --------------------------------------------------------------------
    def set_log_y(self, on: bool) -> None:
        self._log_y = bool(on)
        self.plots["loss"].setLogMode(y=self._log_y)
        self.plots["lr"].setLogMode(y=True)

    def reset_view(self) -> None:
        # The whole x extent first, from the series themselves: pyqtgraph's autoRange sees
        # only the clipped part of a zoomed-in curve. That range draws the coarse copies.
        firsts = [float(s.x[0]) for s in self.series.values() if len(s)]
        lasts = [float(s.x[-1]) for s in self.series.values() if len(s)]
        if firsts:
            self.plots["loss"].vb.setXRange(min(firsts), max(lasts))
        for key, plot in self.plots.items():
            plot.enableAutoRange()
            if self.items[key]:  # (an empty plot would widen the shared x range by its padding)
                plot.autoRange()
        self.place_legends()

    def place_legends(self) -> None:
        """Move each plot's legend to the corner where it hides the fewest curve points and
        symptom names (a rising accuracy curve runs through the top-right corner); nothing
        happens before the plots have a size."""
        for key, plot in self.plots.items():
            legend = plot.legend
            box = plot.vb.sceneBoundingRect()
            if legend is None or not legend.items or box.width() <= 0 or box.height() <= 0:
                continue
            points = self._legend_obstacles(key, plot, box)
            if points is None:
                continue
            if len(legend.items) > 2:
                legend.setColumnCount(2)  # wide and short: it fits a corner of a wide plot
            size = legend.boundingRect()
            corner = emptiest_corner(points, (size.width() + 10) / box.width(), (size.height() + 10) / box.height())
            anchor, offset = LEGEND_CORNERS[corner]
            legend.anchor(itemPos=anchor, parentPos=anchor, offset=offset)

    def _legend_obstacles(self, key: str, plot: pg.PlotItem, box) -> np.ndarray | None:
        """What a legend on ``plot`` must not hide, as (x, y, weight) rows, x and y fractions
        of the plot (y up): points along each curve and the boxes of the symptom names."""
        (x0, x1), (y0, y1) = plot.viewRange()
        if x1 <= x0 or y1 <= y0:
            return None
        parts = []
        for item in plot.items:
            if isinstance(item, (pg.PlotDataItem, pg.ScatterPlotItem)):
                x, y = item.getData()
                if x is None or y is None or not len(x):
                    continue
                if len(x) > 10 * LINE_SAMPLES:  # a zoomed-in long curve: enough to place a legend
                    x, y = x[::len(x) // (10 * LINE_SAMPLES)], y[::len(y) // (10 * LINE_SAMPLES)]
                keep = np.isfinite(x) & np.isfinite(y)
                x, y = (np.asarray(x, dtype=float)[keep] - x0) / (x1 - x0), (np.asarray(y, dtype=float)[keep] - y0) / (y1 - y0)
                if isinstance(item, pg.PlotDataItem) and len(x) > 1:  # the line between the points too
                    along = np.linspace(x[0], x[-1], LINE_SAMPLES)
                    x, y = along, np.interp(along, x, y)
                parts.append(np.column_stack([x, y, np.ones(len(x))]))
        for region in self.regions:
            if region.plot == key and region.label.isVisible():
                # the name's whole box, as a grid of points sharing its weight
                rect = region.label.sceneBoundingRect()
                gx, gy = np.meshgrid(np.linspace(rect.left(), rect.right(), 8), np.linspace(rect.top(), rect.bottom(), 3))
                nx = (gx.ravel() - box.left()) / box.width()
                ny = 1 - (gy.ravel() - box.top()) / box.height()
                parts.append(np.column_stack([nx, ny, np.full(nx.size, LABEL_WEIGHT / nx.size)]))
        return np.concatenate(parts) if parts else None

    # -- crosshair -----------------------------------------------------------------------
    def values_at(self, x: float) -> dict[str, float]:
        """The exact logged values at the point nearest to ``x`` for every curve."""
        out: dict[str, float] = {}
        for items in self.items.values():
            for label in items:
                xs, ys = self.series[label].x, self.series[label].y  # every point, not the drawn copy
                if len(xs) == 0:
                    continue
                i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
                if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                    i -= 1
                out[label] = float(ys[i])
        return out

    def _on_mouse(self, event) -> None:
        pos = event[0]
        for key, plot in self.plots.items():
            if plot.isVisible() and plot.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                values = self.values_at(x)
                if not values:
                    return
                nearest = round(x)
                for line in self._crosshair.values():
                    line.setPos(nearest)
                    line.setVisible(True)
                axis = self.tr("epoch") if self._axis == "epoch" else self.tr("step")
                text = f"{axis} {nearest}\n" + "\n".join(
                    f"{label}: {value:.4g}" for label, value in values.items())
                self.readout.setText(text)
                (x0, _x1), (_y0, y1) = self.plots["loss"].viewRange()
                self.readout.setPos(x0, y1 if not self._log_y else y1)
                return
