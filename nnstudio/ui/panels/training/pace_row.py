"""The Training panel's Pace row: the pace of the next run in words, and "as fast as possible" one click away.

A toy set is watched by default (training/pace.py `default_pace`: a short run lasts 10 s, at most 30 canvas
updates a second); the toggle trains it as fast as possible instead, and works while the run goes (the
controller tells the running loop). Image sets, CSV files and typed functions always train as fast as
possible: the toggle is on and cannot be turned off for them.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from nnstudio.training.pace import Pace, default_pace, describe, toy_train_samples, total_steps


class PaceRow(QWidget):
    """`pace()` is the pace a run started now takes (None: as fast as possible). It follows the dataset,
    epochs, batch size and test part fields it is given; `on_change(pace)` is told when the person clicks
    the toggle (the panel passes it to the running run, if any)."""

    def __init__(self, dataset: QComboBox, epochs: QSpinBox, batch: QSpinBox, test_fraction: QDoubleSpinBox,
                 on_change: Callable[[Pace | None], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fields = (dataset, epochs, batch, test_fraction)
        self._on_change = on_change
        self._fastest_chosen = False  # the person's choice for a toy set (the others have none)
        self.words = QLabel()
        self.words.setObjectName("paceWords")
        self.fastest = QPushButton("As fast as possible")
        self.fastest.setObjectName("fastestPace")
        self.fastest.setCheckable(True)
        self.fastest.clicked.connect(self._on_click)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Pace"))
        layout.addWidget(self.words, 1)
        layout.addWidget(self.fastest)
        dataset.currentIndexChanged.connect(self.refresh)
        for spin in (epochs, batch, test_fraction):
            spin.valueChanged.connect(self.refresh)
        self.refresh()

    def _run(self) -> tuple[Pace | None, int | None]:
        """The watch pace of the run the fields describe and its steps; (None, None) for a set not watched."""
        dataset, epochs, batch, test_fraction = self._fields
        name = dataset.currentData()
        samples = toy_train_samples(name, test_fraction.value())
        if samples is None:
            return None, None
        return (default_pace(name, epochs.value(), batch.value(), test_fraction.value()),
                total_steps(epochs.value(), samples, batch.value()))

    def pace(self) -> Pace | None:
        """The pace of a run started now: the watch pace of a toy set unless "as fast as possible" is on."""
        return None if self.fastest.isChecked() else self._run()[0]

    def refresh(self) -> None:
        """Follow the fields: a toy set keeps the person's choice, any other set trains as fast as possible."""
        watch, steps = self._run()
        self.fastest.setEnabled(watch is not None)
        self.fastest.setChecked(self._fastest_chosen if watch is not None else True)
        self.words.setText(describe(self.pace(), steps))
        self.fastest.setToolTip("Train as fast as possible; off: " + describe(watch, steps) if watch is not None
                                else "This dataset trains as fast as possible; the toy sets can be watched")

    def _on_click(self, checked: bool) -> None:
        self._fastest_chosen = checked
        self.refresh()
        self._on_change(self.pace())
