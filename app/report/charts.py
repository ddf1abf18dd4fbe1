"""The report's charts: the curves with symptom ranges shaded, drawn by the GUI's CurvePanel.

The same widget the window shows draws the report's pictures, so the app and the report
match (colours, dashes, NaN markers, shaded symptom ranges, peak downsampling of long
series). Only the theme differs: a white background for paper and screens alike, and the
plot titles in the report's language.

Qt is imported here lazily, inside the functions: importing ``app.report`` stays pure.
When no QApplication exists (the command line), one is created on Qt's ``offscreen``
platform, so no display is needed. Like every widget, the panel must be used from the
thread that runs the QApplication (in the app: the GUI thread; drawing takes well under a
second even for a million points, since the panel downsamples to the image width).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.report.labels import label

log = logging.getLogger(__name__)

WIDTH = 960  # pixels; scaled to the page/screen width by the HTML and PDF
PLOT_HEIGHT = 260  # per visible plot (loss, metrics, learning rate)
INK = "#222222"
AXIS = "#555555"

_app: Any = None  # the QApplication we made (kept alive for the process)


@dataclass(frozen=True)
class Chart:
    """One case's curves as a PNG."""

    case: int  # index into Report.cases
    png: bytes
    width: int
    height: int


def qt_application() -> Any:
    """The running QApplication, or a new one on the offscreen platform (no display needed)."""
    global _app
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        _app = QApplication(["traindoc-report", "-platform", "offscreen"])
        return _app
    if not isinstance(app, QApplication):
        raise RuntimeError("a QCoreApplication/QGuiApplication is running; charts need a QApplication")
    return app


def _theme(panel: Any, lang: str, axis: str) -> None:
    """White background, dark ink, titles in the report's language."""
    import pyqtgraph as pg

    panel.view.setBackground("w")
    titles = {"loss": label("plot_loss", lang), "metrics": label("plot_metrics", lang),
              "lr": label("plot_lr", lang)}
    for key, plot in panel.plots.items():
        plot.setTitle(titles[key], color=INK, size="11pt")
        for side in ("left", "bottom"):
            item = plot.getAxis(side)
            item.setPen(pg.mkPen(AXIS))
            item.setTextPen(pg.mkPen(INK))
        plot.setLabel("bottom", label("step" if axis == "step" else "epoch", lang), color=INK)
        if plot.legend is not None:
            plot.legend.setLabelTextColor(INK)  # for entries added later
            for _sample, text in plot.legend.items:  # and the ones already there
                text.setText(text.text, color=INK)
            plot.legend.setBrush(pg.mkBrush(255, 255, 255, 200))


def _place_symptom_labels(panel: Any) -> None:
    """Put each shaded range's name inside the plot's top edge (where it can be read)."""
    for region in panel.regions:
        plot = panel.plots[region.plot]
        (_x0, _x1), (_y0, y1) = plot.viewRange()
        region.label.setAnchor((0, 0))
        region.label.setPos(region.start, y1)


def _png(image: Any) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode the chart as PNG")
    buffer.close()
    return bytes(data.data())


def render_case_chart(runs: list, symptoms: list, lang: str, width: int = WIDTH,
                      plot_height: int = PLOT_HEIGHT) -> tuple[bytes, int, int] | None:
    """PNG of ``runs`` overlaid with ``symptoms`` shaded; None when there is nothing to draw."""
    if not any(run.epochs or run.steps for run in runs):
        return None
    qt_application()
    from app.gui.plots.curve_panel import CurvePanel

    panel = CurvePanel()
    try:
        panel.set_runs(runs)
        panel.set_symptoms(symptoms)
        axis = "epoch" if any(r.epochs for r in runs) else "step"
        _theme(panel, lang, axis)
        visible = sum(1 for key in panel.PLOTS if panel.items[key] or key == "loss")
        height = plot_height * max(1, visible)
        panel.resize(width, height)
        panel.grab()  # lays the plots out at this size
        panel.reset_view()
        _place_symptom_labels(panel)
        panel.place_legends()  # after the report's fonts and the symptom names are set
        image = panel.grab().toImage()
        return _png(image), image.width(), image.height()
    finally:
        panel.release()
        panel.deleteLater()


def render_charts(report: Any, width: int = WIDTH, plot_height: int = PLOT_HEIGHT) -> list[Chart]:
    """One chart per case that has curves, in case order."""
    charts = []
    for index, case in enumerate(report.cases):
        result = render_case_chart(case.run_objects, list(case.diagnosis.symptoms), report.lang,
                                   width, plot_height)
        if result is not None:
            png, w, h = result
            charts.append(Chart(index, png, w, h))
    return charts
