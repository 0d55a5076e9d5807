"""RunsPanel: every training run of the network (kept in the file), and several overlaid for comparison.

Ticking runs overlays their curves — test loss per epoch (with markers) and the thinned train loss —
each run in its own colour; the legend names each by the settings that differ between the ticked
runs ("2: lr 0.05", "3: lr 0.1"), so a comparison says what was compared. Each title says where its run
started ("fresh, seed 3", "continued from run 1", "from the start of run 1"), and the line under the
overlay which ticked runs share a start ("runs 2 and 3 share a start (run 2's)", "different starts"):
curves from different starts do not compare settings alone (core/run_comparison.py).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from nnstudio.core.run_comparison import differing_settings, legend, shared_starts, start_details, start_words
from nnstudio.core.runs import RunRecord
from nnstudio.document import Document
from nnstudio.ui.panels.lazy_plot import LazyPlot
from nnstudio.ui.panels.training.loss_plots import loss_plot
from nnstudio.ui.lifetimes import listen

COLOURS = ("#1d4ed8", "#ea580c", "#15803d", "#9333ea", "#be123c", "#0e7490", "#a16207", "#4b5563")


class RunsPanel(QWidget):
    """The list (tick to compare) and the overlay plot; "Train from its start" asks for a run from the selected
    run's start (`start_requested(number)`, 1 = the oldest), for a fair comparison of another setting."""

    start_requested = Signal(int)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.list = QListWidget()
        self.list.setObjectName("runsList")
        self.list.setMaximumWidth(420)
        self.list.itemChanged.connect(lambda _: self.redraw())
        self.note = QLabel("Every run of this network is kept (and saved with the file). Tick runs to overlay "
                           "their curves.")
        self.note.setWordWrap(True)
        self.note.setMaximumWidth(420)
        self._curves: dict[int, pg.PlotDataItem] = {}
        # made when the tab is first shown (panels/lazy_plot.py): the Results dock is hidden when the window opens
        self.place = LazyPlot(lambda: loss_plot("runsPlot", "epoch", "test loss", whole_x=True),
                              lambda _plot: self.redraw())
        self.starts = QLabel("")
        self.starts.setObjectName("runsStarts")
        self.starts.setWordWrap(True)
        self.use_start = QPushButton("Train from its start…")
        self.use_start.setObjectName("trainFromRunStart")
        self.use_start.setToolTip("Choose \"the same start as\" the selected run in the Training panel, to try "
                                  "another setting from exactly the same parameters")
        self.use_start.setEnabled(False)
        self.use_start.clicked.connect(lambda: self.start_requested.emit(self.list.currentRow() + 1))
        self.list.currentRowChanged.connect(lambda row: self.use_start.setEnabled(row >= 0))
        left = QVBoxLayout()
        left.addWidget(self.note)
        left.addWidget(self.list, 1)
        left.addWidget(self.use_start)
        right = QVBoxLayout()
        right.addWidget(self.place, 1)
        right.addWidget(self.starts)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        listen(self, document.changed, lambda kind: self.refresh())
        self.refresh()

    @property
    def plot(self) -> pg.PlotWidget:
        """The overlay plot (made now if the tab was never shown)."""
        return self.place.plot()

    @property
    def curves(self) -> dict[int, pg.PlotDataItem]:
        """The drawn test-loss curve of each ticked run, by its index in the document's runs."""
        self.place.plot()
        return self._curves

    @property
    def legend(self) -> pg.LegendItem:
        """The overlay's legend: each ticked run named by the settings that differ."""
        return self.plot.getPlotItem().legend

    def runs(self) -> tuple[RunRecord, ...]:
        return self.document.project.runs

    def refresh(self) -> None:
        """The list from the document's runs; the latest two ticked when the list grew."""
        runs = self.runs()
        ticked = {i for i in range(self.list.count()) if self.list.item(i).checkState() == Qt.CheckState.Checked}
        grew = len(runs) != self.list.count()
        self.list.blockSignals(True)
        self.list.clear()
        for number, run in enumerate(runs, start=1):
            start = start_words(runs, number - 1)
            item = QListWidgetItem(f"{run.title(number)}\n     {start}")  # its own line: seen in a narrow list
            item.setToolTip(f"outcome: {run.outcome}; " + "; ".join(f"{k} {v}" for k, v in run.settings.items())
                            + f"\nstarted: {start}; {start_details(run)}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            wanted = (number - 1 >= len(runs) - 2) if grew else (number - 1 in ticked)
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.use_start.setEnabled(self.list.currentRow() >= 0)
        self.redraw()

    def ticked(self) -> list[int]:
        return [i for i in range(self.list.count()) if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def redraw(self) -> None:
        runs = self.runs()
        chosen = [i for i in self.ticked() if i < len(runs)]
        self.starts.setText(shared_starts(runs, chosen))
        if not self.place.built():
            return  # drawn when the plot is made
        item = self.plot.getPlotItem()
        item.clear()
        item.legend.clear()
        keys = differing_settings([runs[i] for i in chosen]) if len(chosen) > 1 else []
        self._curves = {}
        for slot, index in enumerate(chosen):
            run = runs[index]
            colour = COLOURS[slot % len(COLOURS)]
            epochs = [row.epoch for row in run.epochs]
            test = [row.test_loss for row in run.epochs]
            name = legend(run, index + 1, keys)
            curve = item.plot(epochs, test, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                              symbolBrush=colour, name=name)
            self._curves[index] = curve
