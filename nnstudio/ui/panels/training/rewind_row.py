"""The Training panel's Rewind row: scrub through a finished run's path, and keep a moment of it.

While the slider rests before the end, the canvas, the readouts and the maps show the network as it was then
(the document's preview) and the training plot marks it (`moment`, to TrainingPlot.mark_moment); "Use these
weights" lands that moment as one undoable edit.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QSlider, QWidget

from nnstudio.document import Document
from nnstudio.ui.workers.training_worker import TrainingController


class RewindRow(QObject):
    """The slider over the last run's path, the moment it points at in words, and "Use these weights"."""

    moment = Signal(object, str)  # the rewound moment's samples seen and its name; None at the end (no marker)

    def __init__(self, document: Document, controller: TrainingController, owner: QWidget) -> None:
        super().__init__(owner)
        self.document = document
        self.controller = controller
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("rewind")
        self.slider.setMinimumWidth(180)
        self.slider.setToolTip("Rewind the run: the window shows the network as it was at that moment")
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._on_rewind)
        self.label = QLabel("")
        self.label.setObjectName("rewindLabel")
        self.use_weights = QPushButton("Use these weights")
        self.use_weights.setToolTip("Keep the rewound parameters in the document (one undoable step)")
        self.use_weights.setObjectName("useRewound")
        self.use_weights.setEnabled(False)
        self.use_weights.clicked.connect(self.use_rewound)

    def arm(self) -> None:
        """After a run: the slider spans its path, resting at the end (the network as it landed)."""
        path = self.controller.path
        usable = len(path) > 1 and not self.controller.running
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(path) - 1))
        self.slider.setValue(len(path) - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(usable)
        self.use_weights.setEnabled(False)
        self.label.setText("end" if usable else "")
        self.moment.emit(None, "")

    def disarm(self) -> None:
        self.slider.setEnabled(False)
        self.use_weights.setEnabled(False)
        self.label.setText("")
        self.moment.emit(None, "")

    def rewound(self):  # type: ignore[no-untyped-def]
        """The snapshot the slider points at, or None at the end (the document's own network)."""
        path = self.controller.path
        index = self.slider.value()
        if not self.slider.isEnabled() or index >= len(path) - 1:
            return None
        return path[index]

    def to_end(self) -> None:
        """An edit while rewound: the window goes back to showing the document (the slider to the end)."""
        if self.rewound() is not None:
            self.slider.setValue(self.slider.maximum())

    def _on_rewind(self, index: int) -> None:
        snapshot = self.rewound()
        fits = snapshot is not None and snapshot.network.sizes == self.document.project.network.sizes
        where = "end" if snapshot is None else "start" if snapshot.samples_seen == 0 else (
            f"end of epoch {snapshot.epoch}" if snapshot.epoch_end else f"epoch {snapshot.epoch}, step {snapshot.step}")
        self.document.set_preview(snapshot.network if fits else None, where)
        self.use_weights.setEnabled(fits)
        self.label.setText(where)
        self.label.setToolTip("" if snapshot is None else f"{where}: {snapshot.samples_seen:,} samples seen")
        self.moment.emit(None if snapshot is None else float(snapshot.samples_seen), where)

    def use_rewound(self) -> None:
        """Land the rewound parameters in the document as one undoable edit."""
        snapshot = self.rewound()
        if snapshot is None or snapshot.network.sizes != self.document.project.network.sizes:
            return
        project = self.document.project
        self.document.set_preview(None)
        self.document.apply(project.replace(network=snapshot.network.astype(project.network.dtype)),
                            f"Use the weights of {self.label.text()}", "values")
        self.arm()
