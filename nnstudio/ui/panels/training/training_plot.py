"""TrainingPlot: live loss and accuracy curves with pyqtgraph.

Each curve is created once and updated with `setData` from a timer (2 Hz) only
when new points arrived, so the plot costs the UI thread almost nothing however
fast training runs. Train loss per step (raw and smoothed) on the left axis;
test loss per epoch on the left axis too, test accuracy per epoch on a right
axis. Hovering reads out the nearest point; the series export as CSV and the
plot as PNG. While the Rewind slider rests before the end, a vertical line marks
that moment (`mark_moment`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from nnstudio.atomic import atomic_write, check_can_write
from nnstudio.core.limits import MAX_RUN_ROWS
from nnstudio.training import EpochResult, StepProgress
from nnstudio.ui.panels.lazy_plot import LazyPlot
from nnstudio.ui.panels.training.loss_plots import loss_plot
from nnstudio.ui.saving import save_picture

SMOOTHING = 0.9
MAX_MARKED_EPOCHS = 200
#: Points kept of each curve: past this, every other one goes (the first and the latest stay), so a run of a
#: million epochs costs the window what one of twenty thousand does, not a list growing without end.
MAX_PLOT_POINTS = 2 * MAX_RUN_ROWS


def _thin(series: tuple[list, ...]) -> None:
    """Every other point of these parallel lists dropped in place, the first and the last kept."""
    for points in series:
        points[1:-1] = points[1:-1:2]


def _made_with_plot(name: str, what: str) -> property:
    """A curve or line of the plot, read from outside (the tests): the plot is made first if the dock was never
    shown."""

    def made(plot: "TrainingPlot") -> object:
        plot.place.plot()
        return getattr(plot, "_" + name)

    return property(made, doc=what)


class TrainingPlot(QWidget):
    """Curves for one run; `clear()` starts the next. The pyqtgraph plot is made when the Training dock is
    first shown (panels/lazy_plot.py); until then the points are kept and drawn when it is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log_loss = False
        self._moment: tuple[float | None, str] = (None, "")
        self.place = LazyPlot(self._make_plot, self._plot_made)
        self.readout = QLabel(" ")
        self.readout.setObjectName("plotReadout")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.place, 1)
        layout.addWidget(self.readout)
        self.timer = QTimer(self)
        # Every repaint redraws the axes (~10 ms of the window's thread): twice a second, as the canvas takes live
        # weights (PREVIEW_SECONDS). At 4 Hz the plot was a third of the window's work while LeNet trained on
        # 2 cores, and the window cost the run 12 % of its speed (benchmarks/bench_ui_latency.py --scenes lenet).
        self.timer.setInterval(500)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()
        self.clear()

    @property
    def plot(self) -> pg.PlotWidget:
        """The plot widget (made now if the dock was never shown)."""
        return self.place.plot()

    raw = _made_with_plot("raw", "the train loss, point by point")
    accuracy = _made_with_plot("accuracy", "the test accuracy at each epoch's end, on the right axis")
    rate = _made_with_plot("rate", "a schedule's learning rate ÷ the first, on the right axis")
    moment = _made_with_plot("moment_line", "the rewound moment's dashed line")

    def _make_plot(self) -> pg.PlotWidget:
        plot = loss_plot("trainingPlot", "samples seen", "loss")
        item = plot.getPlotItem()
        self._legend_row(item)
        self._add_loss_curves(item)
        self._add_accuracy_axis(item)
        item.getViewBox().sigResized.connect(self._sync_views)
        # The rewound moment: a dashed vertical line at its samples seen, named at the top; hidden at the end.
        self._moment_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#6b7280", width=1.5,
                                            style=Qt.PenStyle.DashLine), label="", labelOpts={"position": 0.92})
        item.addItem(self._moment_line, ignoreBounds=True)
        self.proxy = pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        return plot

    def _plot_made(self, plot: pg.PlotWidget) -> None:
        """What was kept while there was no plot, drawn: the curves, the log axis, the rewound moment."""
        self.set_log_loss(self._log_loss)
        self.mark_moment(*self._moment)
        self._reset_range()
        self._dirty = True
        self.redraw()

    def set_log_loss(self, on: bool) -> None:
        """The loss axis logarithmic (losses that fall over decades) or linear; accuracy stays linear."""
        self._log_loss = on
        if self.place.built():
            self.plot.getPlotItem().setLogMode(y=on)
            self.plot.getPlotItem().setLabel("left", "loss (log scale)" if on else "loss")

    @staticmethod
    def _legend_row(item: pg.PlotItem) -> None:
        """The legend in one row above the plot, in the title's place (it has none): laid over the plot at the top
        right, it covered a quarter of it, where the test accuracy of a run that learns is drawn (LeNet at 88 %)."""
        anchored = item.legend
        if anchored.scene() is not None:
            anchored.scene().removeItem(anchored)
        item.layout.removeItem(item.titleLabel)
        item.titleLabel.hide()
        item.legend = pg.LegendItem(colCount=4, horSpacing=14)  # no offset: placed by the layout, not anchored
        item.layout.addItem(item.legend, 0, 1)

    def _add_loss_curves(self, item: pg.PlotItem) -> None:
        """The training loss, raw and smoothed, and the test loss at each epoch's end."""
        self._raw = item.plot([], [], pen=pg.mkPen("#93c5fd", width=1), name="train loss")
        self._smooth = item.plot([], [], pen=pg.mkPen("#1d4ed8", width=2), name="train loss (smoothed)")
        self._test_loss = item.plot([], [], pen=pg.mkPen("#ea580c", width=2), symbol="o", symbolSize=6,
                                   symbolBrush="#ea580c", name="test loss")
        for curve in (self._raw, self._smooth):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)

    def _add_accuracy_axis(self, item: pg.PlotItem) -> None:
        """Accuracy on a second axis (right), in its own ViewBox linked to the x axis."""
        self._accuracy_view = pg.ViewBox()
        item.showAxis("right")
        item.scene().addItem(self._accuracy_view)
        item.getAxis("right").linkToView(self._accuracy_view)
        item.getAxis("right").setLabel("test accuracy", color="#15803d")
        item.getAxis("right").setGrid(False)  # the loss axis's grid is enough; a second one doubled the redraw
        self._accuracy_view.setXLink(item)
        self._accuracy_view.setYRange(0, 1)
        self._accuracy = pg.PlotDataItem([], [], pen=pg.mkPen("#15803d", width=2), symbol="s", symbolSize=6,
                                        symbolBrush="#15803d")
        self._accuracy_view.addItem(self._accuracy)
        item.legend.addItem(self._accuracy, "test accuracy")
        # A schedule's learning rate, as a share of the starting rate, on the same 0…1 axis; drawn only
        # when it changes (a constant rate would be a flat line saying nothing).
        self._rate = pg.PlotDataItem([], [], pen=pg.mkPen("#6b7280", width=1.5, style=Qt.PenStyle.DashLine),
                                    stepMode=None)
        self._accuracy_view.addItem(self._rate)
        self._rate_in_legend = False

    def _sync_views(self) -> None:
        self._accuracy_view.setGeometry(self.plot.getPlotItem().getViewBox().sceneBoundingRect())

    def mark_moment(self, samples_seen: float | None, name: str = "") -> None:
        """Mark the rewound moment at `samples_seen` (on the x axis), labelled `name`; None hides the mark."""
        self._moment = (samples_seen, name)
        if not self.place.built():
            return
        line = self._moment_line
        line.setVisible(samples_seen is not None)  # first: a hidden label does not take new text
        if samples_seen is not None:
            line.setValue(samples_seen)
            line.label.setFormat(name.replace("{", "{{").replace("}", "}}"))

    def clear(self) -> None:
        self.mark_moment(None)
        self.steps: list[float] = []
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.epoch_x: list[float] = []
        self.epoch_test_loss: list[float] = []
        self.epoch_accuracy: list[float] = []
        self.epoch_rate: list[float] = []
        self.epoch_numbers: list[int] = []  # which epoch each point is (the lists are thinned on a long run)
        self._step_count = 0
        self._ema = 0.0
        self._dirty = True
        self.redraw()
        self._reset_range()

    def _reset_range(self) -> None:
        """Axes of their own too: with no points pyqtgraph keeps the last run's range (a new network
        showed the old run's 0…60,000 samples), so start from an empty unit square, scaling again."""
        if self.place.built():
            item = self.plot.getPlotItem()
            item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            item.enableAutoRange()

    def add_step(self, record: StepProgress) -> None:
        """A train-curve point (`record.curve`; the records between them, for the status line, are left out)."""
        if not record.curve:
            return
        self.steps.append(float(record.samples_seen))
        self.losses.append(record.loss)
        # Exponential moving average with bias correction, so it does not lag from a start at 0.
        self._ema = SMOOTHING * self._ema + (1 - SMOOTHING) * record.loss
        self._step_count += 1
        self.smoothed.append(self._ema / (1 - SMOOTHING ** self._step_count))
        if len(self.steps) > MAX_PLOT_POINTS:
            _thin((self.steps, self.losses, self.smoothed))
        self._dirty = True

    def add_epoch(self, record: EpochResult, samples_seen: float) -> None:
        self.epoch_x.append(samples_seen)
        self.epoch_test_loss.append(record.test_loss)
        self.epoch_accuracy.append(np.nan if record.test_accuracy is None else record.test_accuracy)
        self.epoch_rate.append(record.learning_rate)
        self.epoch_numbers.append(record.epoch)
        if len(self.epoch_x) > MAX_PLOT_POINTS:
            _thin((self.epoch_x, self.epoch_test_loss, self.epoch_accuracy, self.epoch_rate, self.epoch_numbers))
        self._dirty = True

    def redraw(self) -> None:
        """Push new points to the curves (called by the timer; cheap when nothing changed or not shown yet)."""
        if not self._dirty or not self.place.built():
            return
        self._dirty = False
        x = np.asarray(self.steps)
        self._raw.setData(x, np.asarray(self.losses))
        self._smooth.setData(x, np.asarray(self.smoothed))
        # A marker per epoch reads well for tens of epochs; for thousands (a toy set trains an epoch in
        # milliseconds) the markers cost the window ~80 ms a redraw and merge into a line anyway.
        marked = len(self.epoch_x) <= MAX_MARKED_EPOCHS
        for curve, symbol in ((self._test_loss, "o"), (self._accuracy, "s")):
            if (curve.opts["symbol"] is not None) != marked:
                curve.setSymbol(symbol if marked else None)
        self._test_loss.setData(np.asarray(self.epoch_x), np.asarray(self.epoch_test_loss))
        accuracy = np.asarray(self.epoch_accuracy, dtype=float)
        if np.isnan(accuracy).all():  # a regression run has none (pyqtgraph warns on bounds of all-NaN points)
            self._accuracy.setData([], [])
        else:
            self._accuracy.setData(np.asarray(self.epoch_x), accuracy)
        rates = np.asarray(self.epoch_rate, dtype=float)
        varies = rates.size > 1 and np.all(np.isfinite(rates)) and rates.max() > 0 and np.ptp(rates) > 0
        self._rate.setData(np.asarray(self.epoch_x), rates / rates.max()) if varies else self._rate.setData([], [])
        legend = self.plot.getPlotItem().legend
        if varies and not self._rate_in_legend:
            legend.addItem(self._rate, "learning rate ÷ α₀")
        elif not varies and self._rate_in_legend:
            legend.removeItem(self._rate)
        self._rate_in_legend = bool(varies)
        self._sync_views()

    def _on_mouse(self, event) -> None:  # type: ignore[no-untyped-def]
        position = event[0]
        view = self.plot.getPlotItem().getViewBox()
        if not self.steps or not self.plot.sceneBoundingRect().contains(position):
            return
        x = view.mapSceneToView(position).x()
        i = int(np.clip(np.searchsorted(self.steps, x), 0, len(self.steps) - 1))
        text = f"{self.steps[i]:,.0f} samples: train loss {self.losses[i]:.4f} (smoothed {self.smoothed[i]:.4f})"
        if self.epoch_x:
            k = int(np.argmin(np.abs(np.asarray(self.epoch_x) - x)))
            accuracy = self.epoch_accuracy[k]
            text += f"; epoch {self.epoch_numbers[k]}: test loss {self.epoch_test_loss[k]:.4f}"
            text += "" if np.isnan(accuracy) else f", accuracy {accuracy:.2%}"
        self.readout.setText(text)

    def export_csv(self, path: str | Path) -> None:
        """Every point of every curve, one row each, written atomically; a target that is not a regular file
        or a new name is refused (OutputPathError) before the rows are made."""
        check_can_write(path)
        handle = io.StringIO(newline="")
        writer = csv.writer(handle)
        writer.writerow(["kind", "samples_seen", "train_loss", "train_loss_smoothed", "test_loss", "test_accuracy"])
        for x, raw, smooth in zip(self.steps, self.losses, self.smoothed):
            writer.writerow(["step", int(x), raw, smooth, "", ""])
        for x, loss, accuracy in zip(self.epoch_x, self.epoch_test_loss, self.epoch_accuracy):
            writer.writerow(["epoch", int(x), "", "", loss, "" if np.isnan(accuracy) else accuracy])
        atomic_write(path, handle.getvalue().encode("utf-8"))

    def export_png(self, path: str | Path) -> bool:
        """The plot as a PNG picture, checked and written atomically (ui/saving.py); raises on a refusal."""
        check_can_write(path)  # before the plot is grabbed
        save_picture(path, self.plot.grab())
        return True
