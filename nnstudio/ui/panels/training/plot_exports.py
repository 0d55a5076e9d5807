"""The Training panel's CSV… and PNG… buttons: the run's curves written out, a refusal said in words.

A refused target (a FIFO, a device, a folder, a link) or a disk error is said in a message box and on the
panel's error line; the run's curves stay as they are.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QToolButton, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.ui.panels.training.training_plot import TrainingPlot


class PlotExports(QObject):
    """The two export buttons for `plot`; `message` is the panel's error line."""

    def __init__(self, owner: QWidget, plot: TrainingPlot, message: QLabel) -> None:
        super().__init__(owner)
        self._owner = owner
        self._plot = plot
        self._message = message
        # Tool buttons: as wide as their text (a push button is at least 80 px), so the panel fits 1100 px
        self.csv_button = QToolButton()
        self.csv_button.setText("CSV…")
        self.csv_button.setToolTip("Export the curves as CSV")
        self.csv_button.clicked.connect(self.export_csv)
        self.png_button = QToolButton()
        self.png_button.setText("PNG…")
        self.png_button.setToolTip("Export the plot as a PNG picture")
        self.png_button.clicked.connect(self.export_png)

    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self._owner, "Export curves", "training.csv", "CSV files (*.csv)")
        if path:
            self.export(path, self._plot.export_csv)

    def export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self._owner, "Export plot", "training.png", "PNG images (*.png)")
        if path:
            self.export(path, self._plot.export_png)

    def export(self, path: str, write: Callable[[str], object]) -> bool:
        """Run one curve export; False (and the refusal said) when it failed."""
        try:
            write(path)
        except (NNStudioError, OSError) as error:
            text = str(error) if isinstance(error, NNStudioError) else f"{path}: {error.strerror or error}"
            self._message.setText(text)
            self._message.show()
            box = QMessageBox(QMessageBox.Icon.Warning, "Could not export", text, QMessageBox.StandardButton.Ok,
                              self._owner)
            box.setObjectName("errorBox")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
            return False
        return True
