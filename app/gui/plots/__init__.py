"""Curve plots (pyqtgraph)."""
