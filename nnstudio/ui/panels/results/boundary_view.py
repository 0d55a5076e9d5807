"""Results → Boundary: a two-input network's answer over the plane of its inputs, the data on top.

One story with the canvas: the same colours (class 1 blue and class 0 orange, as the canvas's positive
and negative; for a network that outputs a value, blue positive, orange negative, grey exactly 0),
the same plane as the canvas's neuron maps (the training data's extent and a small margin,
`core.neuron_maps.plane_bounds`), and a legend beside the plot that says what the colours are.
It once coloured the region blue for low and red for high while its points were blue for class 1,
in a square mostly empty around the data.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from nnstudio.ui.compat import override
from nnstudio.ui.panels.lazy_plot import LazyPlot

Bounds = tuple[tuple[float, float], tuple[float, float]]
AXIS_ROOM = 56  # px the plot's left axis and margins take beside the plane
LEGEND_WIDTH = 300
VIEW_PADDING = 0.03  # of the plane's size, around it
POINT_PEN = "#111827"  # a dark rim: a dot reads on a ground of its own colour too
MAX_POINTS = 1000  # training points drawn at most


def value_scale(values: np.ndarray, targets: np.ndarray | None) -> float:
    """The |value| drawn in the strongest colour when the output is a value, not a class: the largest of
    the output over the plane and of the targets, so that a dot and the ground under it share one scale."""
    parts = [np.asarray(values, dtype=float).ravel()]
    if targets is not None:
        parts.append(np.asarray(targets, dtype=float).ravel())
    finite = np.abs(np.concatenate(parts))
    finite = finite[np.isfinite(finite)]
    peak = float(finite.max()) if finite.size else 0.0
    return peak if peak > 0 else 1.0


def hex_colour(rgb: np.ndarray) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb))


def class_words(k: int, name: str) -> str:
    """How the legend names class k: "disc (class 1)", or "class 1" where the name is just the number."""
    return f"class {k}" if name in (str(k), f"class {k}") else f"{name} (class {k})"


def swatch(rgb: np.ndarray, words: str) -> str:
    """A legend line: a square of the colour, then what it means (rich text: a class may be "x1·x2 < 0")."""
    return f'<span style="color:{hex_colour(rgb)}; font-size:13pt">■</span>&nbsp;{html.escape(words)}'


class BoundaryView(QWidget):
    """The plot (image of the plane, data points, or a sentence why there is none) and its legend.

    The plane keeps its true shape (circles stay round): the plot is only as wide as the plane needs at
    its height, so the Results dock's wide strip is not mostly white space around a small square."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Where a decision boundary cannot be drawn, the tab says why instead of showing empty axes.
        self.why = pg.TextItem(anchor=(0.5, 0.5), color="#374151")
        self.image = pg.ImageItem()
        self.points = pg.ScatterPlotItem(size=7, pen=pg.mkPen(POINT_PEN, width=0.6))
        # The plot is made when the tab is first shown (panels/lazy_plot.py); its items take what they show
        # before that, and `_frame` sets the axes and the range for it once the plot exists.
        self.place = LazyPlot(self._make_plot, lambda _plot: self._frame())
        self.legend = QLabel()
        self.legend.setObjectName("boundaryLegend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.legend.setFixedWidth(LEGEND_WIDTH)
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Ignored)  # never makes the dock taller
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.place, 1)
        layout.addWidget(self.legend)
        layout.addStretch(0)
        self.bounds: Bounds | None = None  # the plane shown, None while saying why there is none
        self._points_for: tuple[object, float | None] | None = None  # (data, scale) the points show

    @property
    def plot(self) -> pg.PlotWidget:
        """The plot (made now if the tab was never shown)."""
        return self.place.plot()

    def _make_plot(self) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="w")
        plot.setObjectName("boundaryPlot")
        item = plot.getPlotItem()
        item.setLabel("bottom", "x1")
        item.setLabel("left", "x2")
        plot.addItem(self.why, ignoreBounds=True)
        plot.addItem(self.image)
        plot.addItem(self.points)
        plot.setAspectLocked(True)
        return plot

    # ------------------------------------------------------------------ what is shown

    def say_why(self, text: str) -> None:
        """No plane to show: the sentence, in a plot as wide as the tab, without axes or legend."""
        self.bounds = None
        self.image.clear()
        self.points.clear()
        self._points_for = None
        self.legend.hide()
        self.why.setText(text)
        self.why.setPos(0.5, 0.5)
        self._frame()

    def show_plane(self, pixels: np.ndarray, bounds: Bounds, legend: str) -> None:
        """`pixels` (rows × cols × 3 bytes, row 0 at the top: the largest x2) over `bounds`, with `legend`.
        The view is fitted to the plane when the plane changes, not at every redraw (live updates come
        twice a second while training and must not undo a zoom)."""
        (x_lo, x_hi), (y_lo, y_hi) = bounds
        self.why.setText("")
        # ImageItem is indexed [x, y] with y upwards: the rows run from the top, so flip them.
        self.image.setImage(np.ascontiguousarray(pixels[::-1].transpose(1, 0, 2)), autoLevels=False, levels=(0, 255))
        self.image.setRect(x_lo, y_lo, x_hi - x_lo, y_hi - y_lo)
        self.legend.setText(legend)
        self.legend.show()
        if bounds != self.bounds:
            self.bounds = bounds
            self._frame()

    def _frame(self) -> None:
        """The plot's axes, width and range for what it shows: the plane, or the sentence over the whole tab."""
        self._fit_width()
        if not self.place.built():
            return
        item = self.plot.getPlotItem()
        if self.bounds is None:
            item.hideAxis("left")
            item.hideAxis("bottom")
            self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            return
        (x_lo, x_hi), (y_lo, y_hi) = self.bounds
        item.showAxis("left")
        item.showAxis("bottom")
        # a hair of padding: a tick on the plane's edge (±1.5) keeps its label whole
        self.plot.setRange(xRange=(x_lo, x_hi), yRange=(y_lo, y_hi), padding=VIEW_PADDING)

    def set_points(self, data: object, scale: float | None, x: np.ndarray, rgb: np.ndarray) -> None:
        """The points (n × 2) of `data` in their colours (n × 3 bytes), on a value `scale` (None: classes);
        set again only when the data or the scale changes: a brush for each of 1,000 points took ~8 ms of
        the window's thread at every live update (neuron_map_dialog.py)."""
        last = self._points_for
        if isinstance(last, tuple) and last[0] is data and last[1] == scale:
            return
        self._points_for = (data, scale)
        if len(x) == 0:
            self.points.clear()
            return
        brushes = [pg.mkBrush(hex_colour(c)) for c in rgb]
        self.points.setData(x[:, 0], x[:, 1], brush=brushes)

    def clear_points(self) -> None:
        self._points_for = None
        self.points.clear()

    # ------------------------------------------------------------------ shape

    def _fit_width(self) -> None:
        """As wide as the plane at the plot's height (and the axis beside it), no wider than the tab; as wide as
        the tab for the sentence."""
        if self.bounds is None:
            self.place.setMaximumWidth(16777215)
            return
        (x_lo, x_hi), (y_lo, y_hi) = self.bounds
        aspect = (x_hi - x_lo) / max(y_hi - y_lo, 1e-12)
        view_height = max(self.height() - AXIS_ROOM // 2, 1)  # the bottom axis takes some of the height
        self.place.setMaximumWidth(max(int(view_height * aspect) + AXIS_ROOM, 2 * AXIS_ROOM))

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_width()
