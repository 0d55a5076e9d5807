"""The one way loss curves are plotted (the training plot, the runs overlay): read as they are."""

from __future__ import annotations

import pyqtgraph as pg


def loss_plot(object_name: str, x_label: str, y_label: str) -> pg.PlotWidget:
    """A white plot with its axes named, a light grid and a legend at the top right. Losses are read as
    they are: no "×0.001" with ticks in the hundreds (pyqtgraph's automatic SI prefix is off)."""
    plot = pg.PlotWidget(background="w")
    plot.setObjectName(object_name)
    item = plot.getPlotItem()
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.getAxis("left").enableAutoSIPrefix(False)
    item.showGrid(x=True, y=True, alpha=0.2)
    item.addLegend(offset=(-10, 10))
    return plot
