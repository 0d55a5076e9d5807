"""MatrixEditorDialog: edit a layer's W and b as a table; paste a block from a spreadsheet."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.paste_budget import check_paste_size
from nnstudio.document import Document
from nnstudio.ui.panels.expression_edit import error_label
from nnstudio.ui.compat import override
from nnstudio.ui.panels.network.weights_model import LiteralError, WeightsTableModel, parse_block
from nnstudio.ui.lifetimes import listen

class MatrixTable(QTableView):
    """A table whose Tab stops at the last cell (and Shift+Tab at the first) instead of wrapping
    round and re-opening the first cell, as a spreadsheet does."""

    @override
    def moveCursor(self, action: QAbstractItemView.CursorAction, modifiers) -> QModelIndex:  # type: ignore[no-untyped-def]  # noqa: N802
        current = self.currentIndex()
        model = self.model()
        if current.isValid() and model is not None:
            last_row, last_col = model.rowCount() - 1, model.columnCount() - 1
            at_end = current.row() == last_row and current.column() == last_col
            at_start = current.row() == 0 and current.column() == 0
            if (action == QAbstractItemView.CursorAction.MoveNext and at_end) or \
                    (action == QAbstractItemView.CursorAction.MovePrevious and at_start):
                return current
        return super().moveCursor(action, modifiers)


class MatrixEditorDialog(QDialog):
    """A table over the document: each cell edit or paste is one undoable command."""

    def __init__(self, document: Document, column: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.column = column
        self.setWindowTitle(f"W{column} and b{column} — layer {column}")
        self.model = WeightsTableModel(document, column, self)  # deleted with the dialog
        self._build_table()
        hint = QLabel("One row per neuron. Type numbers or expressions (1/sqrt(2), -√2/2, 5/6). "
                      "Paste a block copied from a spreadsheet, or a Python/NumPy list such as [[1, 0], [0.5, 0.5]], "
                      "with Ctrl+V.")
        hint.setWordWrap(True)
        self.error = error_label("matrixError")
        self.model.error_reported.connect(self._show_error)
        row = self._build_button_row()
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(row)
        QShortcut(QKeySequence.StandardKey.Paste, self.table, self.paste_clipboard)
        QShortcut(QKeySequence.StandardKey.Copy, self.table, self.copy_selection)
        listen(self, document.changed, self._on_document_changed)
        self.resize(560, 360)

    def _build_table(self) -> None:
        self.table = MatrixTable()
        self.table.setObjectName("matrixTable")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.table.horizontalHeader().setDefaultSectionSize(96)

    def _build_button_row(self) -> QHBoxLayout:
        """Go to a neuron's row, Copy W, Paste, and Close."""
        self.go_to = QSpinBox()
        self.go_to.setObjectName("matrixGoTo")
        self.go_to.setRange(1, max(1, self.model.rowCount()))
        self.go_to.setKeyboardTracking(False)
        self.go_to.setPrefix("neuron ")
        self.go_to.setToolTip("Jump to a neuron's row by its number")
        self.go_to.valueChanged.connect(self.show_row)
        copy = QPushButton("Copy W")
        copy.clicked.connect(self.copy_matrix)
        paste = QPushButton("Paste")
        paste.clicked.connect(self.paste_clipboard)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(QLabel("Go to"))
        row.addWidget(self.go_to)
        row.addWidget(copy)
        row.addWidget(paste)
        row.addStretch(1)
        row.addWidget(close)
        return row

    def show_row(self, number: int) -> None:
        """Scroll to neuron `number` (1-based) and put the cursor on its first weight."""
        index = self.model.index(number - 1, 0)
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _on_document_changed(self, kind: str) -> None:
        if not self.model.valid:
            self.close()  # the layer was removed (e.g. by undo)

    def paste_text(self, text: str) -> bool:
        """Paste tab/newline separated text at the current cell (top-left of the block)."""
        current = self.table.currentIndex()
        row, col = (current.row(), current.column()) if current.isValid() else (0, 0)
        # Checked on the raw length before anything is split or read: no paste can hold more than the cells
        # from here to the table's end (core/paste_budget.py), so a stray 4 MB clipboard costs nothing.
        cells = max(0, self.model.rowCount() - row) * max(0, self.model.columnCount() - col)
        try:
            check_paste_size(len(text), cells, f"W{self.column} from row {row + 1}, column {col + 1}")
        except NNStudioError as error:
            self._show_error(str(error))
            return False
        try:
            block = parse_block(text)
        except LiteralError as error:
            self._show_error(f"the pasted list cannot be read: {error}")
            return False
        if not block:
            self._show_error("the clipboard holds no text to paste")
            return False
        return self.model.paste(row, col, block)

    def paste_clipboard(self) -> None:
        self.paste_text(QGuiApplication.clipboard().text())

    def copy_matrix(self) -> None:
        QGuiApplication.clipboard().setText(self.model.as_tsv())

    def copy_selection(self) -> None:
        indexes = self.table.selectionModel().selectedIndexes()
        if not indexes:
            return self.copy_matrix()
        rows = sorted({i.row() for i in indexes})
        cols = sorted({i.column() for i in indexes})
        QGuiApplication.clipboard().setText(
            self.model.as_tsv(range(rows[0], rows[-1] + 1), range(cols[0], cols[-1] + 1), include_bias=True))
