"""IOPanel: the input vector, the target, the file's named samples, and the live output and loss.

Cells accept expressions. Every edit goes through the document, which recomputes
the forward pass at once; the output label follows the document's trace.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.document import Document
from nnstudio.ui import format as fmt
from nnstudio.ui.panels.expression_edit import error_label

MAX_ROWS_SHOWN = 1024


class VectorTable(QTableWidget):
    """Two columns: a label and a value (typed text kept).

    An edited cell calls `commit(index, text)`; the outcome (an error message, or
    "" for success) goes to `report`. A refused edit is put back to the valid value.
    """

    def __init__(self, commit: Callable[[int, str], None], report: Callable[[str], None],
                 restore: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self._commit = commit
        self._report = report
        self._restore = restore
        self._filling = False
        self.setHorizontalHeaderLabels(["", "value"])
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        self.itemChanged.connect(self._on_item_changed)

    def fill(self, labels: list[str], values: np.ndarray, texts: tuple[str | None, ...]) -> None:
        self._filling = True
        count = min(len(labels), MAX_ROWS_SHOWN)
        self.setRowCount(count)
        for row in range(count):
            name = QTableWidgetItem(labels[row])
            name.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.setItem(row, 0, name)
            typed = texts[row]
            cell = QTableWidgetItem(typed if typed else fmt.short(float(values[row]), 6))
            cell.setToolTip(f"{typed + ' = ' if typed else ''}{fmt.full(float(values[row]))}")
            self.setItem(row, 1, cell)
        self.resizeColumnToContents(0)
        self._filling = False

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 1:
            return
        try:
            self._commit(item.row(), item.text())
        except NNStudioError as error:
            self._report(str(error))
            QTimer.singleShot(0, self._restore)
            return
        self._report("")


class IOPanel(QWidget):
    """Input, target, samples, and the output shown large with the loss."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)

        self.output_label = QLabel()
        self.output_label.setObjectName("outputLabel")
        self.output_label.setStyleSheet("font-size: 20pt; font-weight: bold;")
        self.output_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.loss_label = QLabel()
        self.loss_label.setObjectName("lossLabel")
        layout.addWidget(QLabel("Output"))
        layout.addWidget(self.output_label)
        layout.addWidget(self.loss_label)

        samples_row = QHBoxLayout()
        self.samples = QComboBox()
        self.samples.setObjectName("samples")
        self.use_sample = QPushButton("Use")
        self.use_sample.setToolTip("Copy the chosen sample into the input and target")
        self.use_sample.clicked.connect(self._on_use_sample)
        samples_row.addWidget(QLabel("Sample"))
        samples_row.addWidget(self.samples, 1)
        samples_row.addWidget(self.use_sample)
        layout.addLayout(samples_row)

        self.error = error_label("ioError")
        layout.addWidget(self.error)

        inputs = QGroupBox("Input x")
        self.input_table = VectorTable(self.document.set_input, self.show_error, self.refresh_values)
        self.input_table.setObjectName("inputTable")
        QVBoxLayout(inputs).addWidget(self.input_table)
        targets = QGroupBox("Target y")
        self.target_table = VectorTable(self.document.set_target, self.show_error, self.refresh_values)
        self.target_table.setObjectName("targetTable")
        QVBoxLayout(targets).addWidget(self.target_table)
        layout.addWidget(inputs, 2)
        layout.addWidget(targets, 1)

        document.changed.connect(self._on_document_changed)
        document.trace_changed.connect(self.refresh_output)
        self.refresh_values()

    def _on_document_changed(self, kind: str) -> None:
        QTimer.singleShot(0, self.refresh_values)  # after the emitting edit has finished

    def refresh_values(self) -> None:
        project = self.document.project
        net = project.network
        self.input_table.fill([project.input_label(i) for i in range(net.input_size)], project.input,
                              project.input_text)
        self.target_table.fill([project.output_label(i) for i in range(net.output_size)], project.target,
                               project.target_text)
        current = self.samples.currentIndex()
        self.samples.blockSignals(True)
        self.samples.clear()
        for sample in project.samples:
            x = ", ".join(fmt.short(float(v)) for v in sample.input[:4])
            y = ", ".join(fmt.short(float(v)) for v in sample.target[:4])
            self.samples.addItem(f"{sample.name}: ({x}{'…' if len(sample.input) > 4 else ''}) → ({y})")
        self.samples.setCurrentIndex(min(max(current, 0), self.samples.count() - 1))
        self.samples.blockSignals(False)
        self.samples.setEnabled(bool(project.samples))
        self.use_sample.setEnabled(bool(project.samples))
        self.refresh_output()

    def refresh_output(self) -> None:
        project = self.document.project
        trace = self.document.trace
        if trace is None or not project.network.layers:
            self.output_label.setText("—")
            self.loss_label.setText("add a layer to see an output")
            return
        out = trace.output
        if out.shape[0] == 1:
            self.output_label.setText(f"ŷ = {out[0]:.4f}")
        else:
            best = int(np.argmax(out))
            self.output_label.setText(f"{project.output_label(best)}: {out[best]:.4f}")
        self.output_label.setToolTip("\n".join(f"{project.output_label(i)} = {fmt.full(v)}" for i, v in enumerate(out)))
        loss = self.document.loss
        self.loss_label.setText(f"loss ({project.loss}) = {loss:.6g}" if loss is not None else "")

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _on_use_sample(self) -> None:
        index = self.samples.currentIndex()
        if index >= 0:
            self.document.use_sample(index)
