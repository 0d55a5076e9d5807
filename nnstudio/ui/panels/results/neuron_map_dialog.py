"""A neuron's map, large: its activation over the input plane with axes, a colour scale, and the data.

For the output neuron this is the decision boundary, with the training points (filled) and the
test points (hollow) on top, coloured by their class. Opened from the Inspector (Map large…) or
with Ctrl+Shift+M on a selected neuron; it follows the network as it changes (edits, steps, training).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.core.neuron_maps import neuron_maps
from nnstudio.data.dataset import DataSplit
from nnstudio.document import Document
from nnstudio.ui.images import class_rgb
from nnstudio.ui.panels.results.boundary_view import hex_colour
from nnstudio.ui.lifetimes import listen

LARGE_SIZE = 100  # points a side (160 cost ~10 ms of the window's thread at every live update)


class NeuronMapDialog(QDialog):
    """Neuron `row` of layer `column` over (x1, x2); `refresh()` redraws it for the network on screen."""

    def __init__(self, document: Document, column: int, row: int, bounds, data: DataSplit | None,  # type: ignore[no-untyped-def]
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronMapDialog")
        self.document, self.column, self.row, self.bounds, self.data = document, column, row, bounds, data
        last = column == len(document.project.network.layers)
        self.setWindowTitle(f"{'Output' if last else 'Hidden'} neuron {row + 1} of layer {column} over the input plane")
        self._build_plot()
        self._points_for: tuple[DataSplit | None, bool] | None = None  # (data, whether shown) the points show
        self.caption = QLabel()
        self.caption.setObjectName("neuronMapCaption")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        self.resize(640, 600)
        self._follow_the_document()
        self.refresh()

    def _build_plot(self) -> None:
        """The map as an image over (x1, x2) in the canvas's colours, with the data's points on top."""
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("neuronMapPlot")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "x1")
        item.setLabel("left", "x2")
        item.setAspectLocked(True)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        # The canvas's colours: orange for negative, white at 0, blue for positive (see ui/images.py).
        canvas_colours = pg.ColorMap(pos=[0.0, 0.5, 1.0], color=[(234, 88, 12), (255, 255, 255), (37, 99, 235)])
        self.colour_bar = pg.ColorBarItem(values=(-1, 1), colorMap=canvas_colours, label="a")
        self.colour_bar.setImageItem(self.image, insert_in=item)
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("k", width=0.6), name="training")
        self.test_points = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(None), name="test")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)

    def _follow_the_document(self) -> None:
        """Redraw after an edit, a live or rewound network, or a step.

        Changes are coalesced and drawn in an event of their own: a live update of the canvas and of
        this map in one go kept the window's event loop busy for ~50 ms (bench_ui_latency.py, maps).
        """
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(0)
        self._later.timeout.connect(self.refresh)
        listen(self, self.document.changed, lambda kind: self._later.start())
        listen(self, self.document.preview_changed, self._later.start)
        listen(self, self.document.stepping.changed, self._later.start)

    def set_data(self, data: DataSplit | None, bounds) -> None:  # type: ignore[no-untyped-def]
        """A run's data arrived: show its points and the plane it spans (as the canvas's maps do)."""
        self.data, self.bounds = data, bounds
        self.refresh()

    def values(self) -> np.ndarray | None:
        network = self.document.shown_network
        if network.input_size != 2 or self.column > len(network.layers) or self.row >= network.sizes[self.column]:
            return None
        try:
            maps = neuron_maps(network, self.bounds, LARGE_SIZE)
        except (NNStudioError, FloatingPointError, ValueError):
            return None
        return maps.layers[self.column - 1][self.row]

    def refresh(self) -> None:
        values = self.values()
        if values is None:
            self.image.clear()
            self.caption.setText("This neuron is no longer in the network.")
            return
        (x_lo, x_hi), (y_lo, y_hi) = self.bounds
        # ImageItem is indexed [x, y] with y upwards: the map's rows run from the top, so flip them.
        self.image.setImage(values[::-1].T, autoLevels=False)
        self.image.setRect(x_lo, y_lo, x_hi - x_lo, y_hi - y_lo)
        scale = float(np.max(np.abs(values))) or 1.0
        self.colour_bar.setLevels((-scale, scale))
        last = self.column == len(self.document.project.network.layers)
        self.caption.setText(
            f"a of neuron {self.row + 1} of layer {self.column} at each point (x1, x2), from {values.min():.3g} to "
            f"{values.max():.3g}." + (" As the output, this is the decision boundary; training points filled, "
                                        "test points hollow, coloured by class." if last else ""))
        self._points()

    def _points(self) -> None:
        """The data's points, set only when the data (or whether they apply) changes: setting 2,000 points
        with a pen or brush each took ~8 ms of the window's thread at every live update while training."""
        data = self.data
        shown = data is not None and data.train.x.shape[1] == 2 and \
            self.column == len(self.document.project.network.layers)
        if self._points_for is not None and self._points_for[0] is data and self._points_for[1] == shown:
            return
        self._points_for = (data, shown)
        if not shown:
            self.train_points.clear()
            self.test_points.clear()
            return
        for split, item, hollow in ((data.train, self.train_points, False), (data.test, self.test_points, True)):
            x, y = split.x[:1000], split.y[:1000]
            # the Boundary tab's and the canvas's class colours: class 1 blue, class 0 orange
            colours = [hex_colour(class_rgb(int(float(label) > 0.5))) for label in y]
            if hollow:
                item.setData(x[:, 0], x[:, 1], pen=[pg.mkPen(c, width=1.6) for c in colours], brush=None)
            else:
                item.setData(x[:, 0], x[:, 1], brush=[pg.mkBrush(c) for c in colours])
