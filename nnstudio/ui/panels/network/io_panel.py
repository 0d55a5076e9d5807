"""IOPanel: the input vector, the target, the file's named samples, and the output and loss.

Cells accept expressions. Every edit goes through the document, which recomputes
the forward pass at once. The readout renders the document's one answer of what is
shown (`Document.shown()`): the same output and loss as the canvas and the status bar,
whether the numbers come from the network, a step of a pass or a training run.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
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
from nnstudio.ui.compat import override
from nnstudio.ui.panels.expression_edit import error_label
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.dock_layout import dock_column

MAX_ROWS_SHOWN = 1024


class VectorTable(QTableWidget):
    """Two columns: a label and a value (typed text kept), typed on like a spreadsheet's column.

    An edited cell calls `commit(index, text)`; the outcome (an error message, or
    "" for success) goes to `report`. A refused edit is put back to the valid value.

    Only the values take the keys, so nothing typed lands on a name and vanishes: typing over a
    selected value replaces it, Enter commits and moves down, Tab and Shift+Tab go to the next
    and previous value, and a click on a name selects its value. At the last (first) row the
    cell stays: nothing wraps round to the other end. A refused value keeps its cell.
    """

    VALUE = 1  # the column that takes the keys; column 0 names the entry

    def __init__(self, commit: Callable[[int, str], None], report: Callable[[str], None],
                 restore: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self._commit = commit
        self._report = report
        self._restore = restore
        self._filling = False
        self._refused = False  # the editor's text was refused: closing it leaves the cell where it is
        self._shown: tuple | None = None
        self.setHorizontalHeaderLabels(["", "value"])
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().hide()
        Trigger = QAbstractItemView.EditTrigger
        self.setEditTriggers(Trigger.DoubleClicked | Trigger.EditKeyPressed | Trigger.AnyKeyPressed)
        self.itemChanged.connect(self._on_item_changed)

    def fill(self, labels: list[str], values: np.ndarray, texts: tuple[str | None, ...], unset: bool = False) -> None:
        """Show these values; nothing is redone when they are what the table already shows (a weight
        update leaves a 784-value input as it was, and refilling it took ~15 ms of each step).
        `unset`: there are no values yet (no target): each cell shows "—" until one is typed."""
        shown = (tuple(labels), np.asarray(values).tobytes(), tuple(texts), unset)
        if shown == self._shown and self.rowCount() == min(len(labels), MAX_ROWS_SHOWN):
            return
        self._shown = shown
        self._filling = True
        count = min(len(labels), MAX_ROWS_SHOWN)
        self.setRowCount(count)
        for row in range(count):
            self._show(row, 0, labels[row], "")
            typed = texts[row]
            if unset:
                self._show(row, self.VALUE, "—", "no target yet: type one (the other values become 0)")
                continue
            self._show(row, self.VALUE, typed if typed else fmt.short(float(values[row]), 6),
                       f"{typed + ' = ' if typed else ''}{fmt.full(float(values[row]))}")
        self.resizeColumnToContents(0)
        self._filling = False

    def _show(self, row: int, column: int, text: str, tip: str) -> None:
        """Put `text` in a cell, touching it only if it differs: the refill after one value's Enter
        arrives while the next value's editor is open, and a changed cell resets its editor (the
        keys typed into it would be lost)."""
        item = self.item(row, column)
        if item is None:  # a new row (all 784 of an image's when a network opens): made whole, then placed
            item = QTableWidgetItem(text)
            if tip:
                item.setToolTip(tip)
            if column != self.VALUE:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a name: read, not typed on
            self.setItem(row, column, item)
            return
        if item.text() != text:
            item.setText(text)
        if item.toolTip() != tip:
            item.setToolTip(tip)

    def go_to_value(self, step: int) -> None:
        """Select the value `step` rows away (a name's own value first); past the first or last row, stay."""
        row = self.currentRow()
        if self.currentColumn() != self.VALUE:
            row += 0 if step > 0 else -1
        else:
            row += step
        if 0 <= row < self.rowCount():
            self.setCurrentCell(row, self.VALUE)

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Delete or Backspace clears the selected values to 0 (one undoable edit each); Enter moves
        down, Tab and Shift+Tab to the next and previous value, as they do from the editor."""
        if self.state() == self.State.EditingState:
            super().keyPressEvent(event)
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            for index in self.selectedIndexes():
                if index.column() == self.VALUE:
                    self.item(index.row(), self.VALUE).setText("0")
            event.accept()
            return
        step = self._step_of(event)
        if step:
            self.go_to_value(step)
            event.accept()
            return
        super().keyPressEvent(event)

    @staticmethod
    def _step_of(event: QKeyEvent) -> int:
        """+1 for Enter and Tab, −1 for Shift+Tab, 0 for any other key (or one held with Ctrl, Alt or Meta,
        which stay Qt's)."""
        held = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
        if event.modifiers() & held:
            return 0
        return {Qt.Key.Key_Return: 1, Qt.Key.Key_Enter: 1, Qt.Key.Key_Tab: 1,
                Qt.Key.Key_Backtab: -1}.get(Qt.Key(event.key()), 0)

    @override
    def commitData(self, editor: QWidget) -> None:
        self._refused = False  # _on_item_changed says otherwise if the document refuses the text
        super().commitData(editor)

    @override
    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        """The editor's Enter (SubmitModelCache) moves down, its Tab and Shift+Tab to the next and
        previous value, as on a value not being edited. A refused value keeps its cell, and the valid
        value is back in it at once: the next key typed there must not be overwritten by it later."""
        Hint = QAbstractItemDelegate.EndEditHint
        super().closeEditor(editor, Hint.NoHint)  # Qt's own next item would be a name, and wraps round
        refused, self._refused = self._refused, False
        step = {Hint.SubmitModelCache: 1, Hint.EditNextItem: 1, Hint.EditPreviousItem: -1}.get(hint, 0)
        if refused:
            self._restore()
        elif step:
            self.go_to_value(step)

    @override
    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:
        """A name is never the current cell (typing there would vanish): its value is."""
        super().currentChanged(current, previous)
        if current.isValid() and current.column() != self.VALUE:
            self.setCurrentCell(current.row(), self.VALUE)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != self.VALUE:
            return
        self._shown = None  # the table now shows what was typed: the next fill must redraw it
        try:
            self._commit(item.row(), item.text())
        except NNStudioError as error:
            self._refused = True
            self._report(str(error))
            QTimer.singleShot(0, self._restore)
            return
        self._report("")


class IOPanel(QWidget):
    """Input, target, samples, and the output shown large with the loss."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        layout = dock_column(self)
        self._build_output(layout)
        self._build_samples(layout)
        self.error = error_label("ioError")
        layout.addWidget(self.error)
        self._build_tables(layout)
        listen(self, document.changed, self._on_document_changed)
        listen(self, document.shown_changed, self.refresh_output)
        self.refresh_values()

    def _build_output(self, layout: QVBoxLayout) -> None:
        """Where the output comes from, the prediction, the output itself and the loss."""
        self.source_label = QLabel()
        self.source_label.setObjectName("outputSource")
        self.source_label.setStyleSheet("color: #4b5563;")
        self.prediction_label = QLabel()
        self.prediction_label.setObjectName("predictionLabel")
        self.prediction_label.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.output_label = QLabel()
        self.output_label.setObjectName("outputLabel")
        self.output_label.setStyleSheet("font-size: 11pt; font-weight: bold;")
        self.output_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.loss_label = QLabel()
        self.loss_label.setObjectName("lossLabel")
        self.loss_label.setWordWrap(True)  # a refused loss says why in a sentence (core/losses.py)
        layout.addWidget(self.source_label)
        layout.addWidget(self.prediction_label)
        layout.addWidget(self.output_label)
        layout.addWidget(self.loss_label)

    def _build_samples(self, layout: QVBoxLayout) -> None:
        """The samples the file holds, and Use to copy one into the input and target."""
        samples_row = QHBoxLayout()
        self.samples = QComboBox()
        self.samples.setObjectName("samples")
        self.samples.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.samples.setMinimumContentsLength(10)
        self.use_sample = QPushButton("Use")
        self.use_sample.setToolTip("Copy the chosen sample into the input and target")
        self.use_sample.clicked.connect(self._on_use_sample)
        layout.addWidget(QLabel("Samples of the file"))
        samples_row.addWidget(self.samples, 1)
        samples_row.addWidget(self.use_sample)
        layout.addLayout(samples_row)

    def _build_tables(self, layout: QVBoxLayout) -> None:
        """The input and target tables, each typed into value by value."""
        inputs = QGroupBox("Input x")
        self.input_table = VectorTable(self.document.set_input, self.show_error, self.refresh_values)
        self.input_table.setMinimumHeight(48)  # two rows at least; it scrolls, and the window keeps 1280×800
        self.input_table.setObjectName("inputTable")
        QVBoxLayout(inputs).addWidget(self.input_table)
        targets = QGroupBox("Target y")
        self.target_table = VectorTable(self.document.set_target, self.show_error, self.refresh_values)
        self.target_table.setMinimumHeight(48)
        self.target_table.setObjectName("targetTable")
        QVBoxLayout(targets).addWidget(self.target_table)
        layout.addWidget(inputs, 2)
        layout.addWidget(targets, 1)

    def _on_document_changed(self, kind: str) -> None:
        QTimer.singleShot(0, self.refresh_values)  # after the emitting edit has finished

    def refresh_values(self) -> None:
        project = self.document.project
        net = project.network
        self.input_table.fill([project.input_label(i) for i in range(net.input_size)], project.input,
                              project.input_text)
        self.target_table.fill([project.target_label(i) for i in range(net.output_size)], project.target,
                               project.target_text, unset=not project.target_known)
        self.samples.blockSignals(True)
        self.samples.clear()
        for sample in project.samples:
            x = ", ".join(fmt.short(float(v)) for v in sample.input[:4])
            y = ", ".join(fmt.short(float(v)) for v in sample.target[:4])
            self.samples.addItem(f"{sample.name}: ({x}{'…' if len(sample.input) > 4 else ''}) → ({y})")
            self.samples.setItemData(self.samples.count() - 1, self.samples.itemText(self.samples.count() - 1),
                                     Qt.ItemDataRole.ToolTipRole)
        # The combo names a sample only when the input is that sample; otherwise it says so.
        matching = [k for k, sample in enumerate(project.samples)
                    if sample.input.shape == project.input.shape and np.array_equal(sample.input, project.input)]
        if project.samples and not matching:
            self.samples.insertItem(0, "(input is not a sample)")
            self.samples.setCurrentIndex(0)
        elif matching:
            self.samples.setCurrentIndex(matching[0])
        self.samples.blockSignals(False)
        self.samples.setEnabled(bool(project.samples))
        self.use_sample.setEnabled(bool(project.samples))
        self.refresh_output()

    SOURCES = {"document": "Output", "step": "Output of this pass", "training": "Output while training (live)",
               "rewind": "Output of the rewound run"}

    def refresh_output(self) -> None:
        """Every output, labelled, and the loss: exactly what the canvas and status bar show."""
        shown = self.document.shown()
        project = self.document.project
        self.source_label.setText(self.SOURCES[shown.source])
        if not shown.has_layers:
            self.prediction_label.setText("")
            self.output_label.setText("—")
            self.output_label.setToolTip("")
            self.loss_label.setText("add a layer to see an output")
            return
        self.prediction_label.setText(shown.predicted())
        self.prediction_label.setVisible(bool(shown.predicted()))
        lines = shown.output_lines()
        if len(lines) > 4:  # MNIST's ten: two to a line, in order, so the dock fits a 1280×800 window
            lines = ["  ".join(lines[i:i + 2]) for i in range(0, len(lines), 2)]
        self.output_label.setText("\n".join(lines))
        self.output_label.setToolTip("" if shown.output is None else "\n".join(
            f"{label} = {fmt.full(v)}" for label, v in zip(shown.labels, shown.output)))
        if shown.loss is not None:
            self.loss_label.setText(f"loss ({project.loss}) = {shown.loss:.6g}")
        elif not project.target_known and project.input_image is not None and shown.classifier:
            self.loss_label.setText("no loss: the drawing has no label (say what it is on the Draw tab)")
        elif shown.loss_note:  # no target, or the loss refuses it: "—" and what to do, never a number
            self.loss_label.setText(f"loss ({project.loss}) = —  ({shown.loss_note})")
        else:
            self.loss_label.setText(f"loss ({project.loss}) = ?  (not reached yet)" if shown.output is None
                                    or shown.source == "step" else "")

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _on_use_sample(self) -> None:
        offset = self.samples.count() - len(self.document.project.samples)  # the "none of the samples" entry
        index = self.samples.currentIndex() - offset
        if index >= 0:
            self.document.use_sample(index)
