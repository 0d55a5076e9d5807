"""LazyPlot: a place for a pyqtgraph plot that is made when it is first shown or first asked for.

A PlotWidget costs the window's thread ~12 ms to make (its axes, its view box and the two context menus
pyqtgraph builds from templates), and the window had three in docks that are hidden when it opens
(Training, Results → Runs, Results → Boundary): over a third of the time a window took to open LeNet.
Their owners keep what the plot shows as plain data and draw it when the plot exists (`built()`).
"""

from __future__ import annotations

from typing import Callable

import pyqtgraph as pg
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from nnstudio.ui.compat import override


class LazyPlot(QWidget):
    """`make()` returns the plot; `made(plot)` is told once it sits in its place, to draw what it must show.
    The owner reads the plot through `plot()` (which makes it) and skips drawing while `built()` is False."""

    def __init__(self, make: Callable[[], pg.PlotWidget], made: Callable[[pg.PlotWidget], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make, self._made = make, made
        self._plot: pg.PlotWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)  # as the plot's own

    def built(self) -> bool:
        return self._plot is not None

    def plot(self) -> pg.PlotWidget:
        """The plot, made now if it was not yet."""
        if self._plot is None:
            plot = self._make()
            self._plot = plot  # before `made`: it may ask for the plot again
            layout = self.layout()
            assert layout is not None
            layout.addWidget(plot)
            self._made(plot)
        return self._plot

    @override
    def showEvent(self, event: QShowEvent) -> None:
        self.plot()  # before the first paint: the person never sees the place empty
        super().showEvent(event)
