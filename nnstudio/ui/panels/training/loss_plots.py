"""The one way loss curves are plotted (the training plot, the runs overlay): read as they are."""

from __future__ import annotations

import pyqtgraph as pg


class WholeNumberAxis(pg.AxisItem):
    """An axis of counts (epochs): ticks only at whole numbers (pyqtgraph put them at 1.5, 2.5, …)."""

    def tickValues(self, minVal, maxVal, size):  # type: ignore[no-untyped-def]  # noqa: N802,N803
        levels = super().tickValues(minVal, maxVal, size)
        whole = [(spacing, [v for v in values if float(v).is_integer()]) for spacing, values in levels
                 if spacing >= 1 or any(float(v).is_integer() for v in values)]
        return whole or [(1.0, [float(v) for v in range(int(minVal) + 1, int(maxVal) + 1)])]


def loss_plot(object_name: str, x_label: str, y_label: str, whole_x: bool = False) -> pg.PlotWidget:
    """A white plot with its axes named, a light grid and a legend at the top right. Losses are read as
    they are: no "×0.001" with ticks in the hundreds (pyqtgraph's automatic SI prefix is off).
    `whole_x`: the x axis counts (epochs), ticked at whole numbers only."""
    plot = pg.PlotWidget(background="w", axisItems={"bottom": WholeNumberAxis("bottom")} if whole_x else None)
    plot.setObjectName(object_name)
    item = plot.getPlotItem()
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.getAxis("left").enableAutoSIPrefix(False)
    item.showGrid(x=True, y=True, alpha=0.2)
    # Grid lines at the major and minor ticks only (pyqtgraph draws sub-minor ones too by default): the grid
    # was 20 of a redraw's 24 ms, and a paced run redraws the plot while the canvas updates 30 times a second.
    for name in ("left", "bottom"):
        item.getAxis(name).setStyle(maxTickLevel=1)
    item.addLegend(offset=(-10, 10))
    return plot
