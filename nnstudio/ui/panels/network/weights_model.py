"""WeightsTableModel: a layer's W (and b, as the last column) as a Qt table over the document.

Cells show what was typed (`1/√2`) or the number; editing sends the text to the
document, which parses it, so a bad cell is refused with the parser's message.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QAbstractTableModel, QObject, QModelIndex, QPersistentModelIndex, Qt, Signal

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import DenseLayer
from nnstudio.document import Document
from nnstudio.ui import format as fmt
from nnstudio.ui.lifetimes import listen

Index = QModelIndex | QPersistentModelIndex


class WeightsTableModel(QAbstractTableModel):
    """Rows are neurons, columns are inputs, then the bias (if the layer has one)."""

    error_reported = Signal(str)

    def __init__(self, document: Document, column: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.column = column
        self._shape = (self.rowCount(), self.columnCount())
        listen(self, document.changed, self._on_document_changed)

    @property
    def valid(self) -> bool:
        return 1 <= self.column <= len(self.document.project.network.layers)

    def _layer(self):  # type: ignore[no-untyped-def]
        return self.document.project.network.layers[self.column - 1]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() or not self.valid else self._layer().n_out

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        if parent.isValid() or not self.valid:
            return 0
        layer = self._layer()
        return layer.n_in + (1 if layer.has_bias else 0)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole or not self.valid:
            return None
        if orientation == Qt.Orientation.Vertical:
            return f"neuron {section + 1}"
        layer = self._layer()
        if section == layer.n_in:
            return "bias b"
        if self.column == 1:
            return f"from {self.document.project.input_label(section)}"
        return f"from a{section + 1}"

    def _cell(self, row: int, col: int) -> tuple[float, str | None]:
        layer = self._layer()
        if col < layer.n_in:
            return float(layer.weights[row, col]), layer.weight_text.get((row, col))
        return float(layer.bias[row]), layer.bias_text.get(row)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not self.valid:
            return None
        value, typed = self._cell(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt.pretty_expression(typed) if typed else fmt.short(value, 6)
        if role == Qt.ItemDataRole.EditRole:
            return typed or fmt.full(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{typed + ' = ' if typed else ''}{fmt.full(value)}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        return self.paste(index.row(), index.column(), [[str(value)]])

    def paste(self, row: int, col: int, block: list[list[str]]) -> bool:
        """Set a block of cells from text in one undoable command; False (and a message) if refused."""
        try:
            self.document.paste_block(self.column, row, col, block)
        except NNStudioError as error:
            self.error_reported.emit(str(error))
            return False
        self.error_reported.emit("")
        return True

    def as_tsv(self, rows: range | None = None, cols: range | None = None, include_bias: bool = False) -> str:
        """W (optionally with b) as tab-separated full-precision numbers, one line per neuron."""
        return weights_tsv(self._layer(), rows, cols, include_bias)

    def _on_document_changed(self, kind: str) -> None:
        shape = (self.rowCount(), self.columnCount())
        if kind == "data":  # the training data chosen: W and b are as they were (the current cell stays)
            return
        if kind == "values" and shape == self._shape:
            # Same shape: keep the view's current cell and selection.
            self.dataChanged.emit(self.index(0, 0), self.index(shape[0] - 1, shape[1] - 1))
            return
        self.beginResetModel()
        self._shape = shape
        self.endResetModel()


def parse_tsv(text: str) -> list[list[str]]:
    """Spreadsheet text (tabs between cells, newlines between rows) to rows of cells."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return [line.split("\t") for line in lines if line != ""]


_NUMPY_WRAPPER = re.compile(r"^\s*(?:np\.|numpy\.)?array\((.*?)(?:,\s*dtype\s*=\s*[\w.]+)?\)\s*$", re.DOTALL)


class LiteralError(ValueError):
    """Text that starts like a Python/NumPy list but is not a table of cells."""


def parse_literal(text: str) -> list[list[str]] | None:
    """A pasted Python or NumPy literal — `[[1, 0], [0.7071, 0.7071]]`, `[1, 2]` (one row), or
    numpy's `array([[1., 0.], …], dtype=float32)` — as rows of cell texts; None when the text is
    not a literal (then it is spreadsheet text). Read by a bracket scanner, never by eval: each
    cell is a number or expression the document's parser then checks. Raises LiteralError on
    unbalanced brackets or rows nested deeper than a matrix."""
    stripped = text.strip()
    wrapped = _NUMPY_WRAPPER.match(stripped)
    if wrapped:
        stripped = wrapped.group(1).strip()
    if not stripped.startswith("["):
        return None
    rows: list[list[str]] = []
    depth, paren, cell, current = 0, 0, [], None
    for char in stripped:
        if char == "[" and paren == 0:
            depth += 1
            if depth > 2:
                raise LiteralError("a pasted list may be a row or a matrix, not nested deeper")
            current = []
        elif char == "]" and paren == 0:
            if depth == 0:
                raise LiteralError("a ']' closes nothing")
            if current is not None:
                word = "".join(cell).strip()
                if word:
                    current.append(word)
                elif current:
                    raise LiteralError("an empty cell between commas")
                rows.append(current)
            cell, current = [], None
            depth -= 1
        elif char == "," and paren == 0:
            if current is None:
                continue  # the comma between rows
            word = "".join(cell).strip()
            if not word:
                raise LiteralError("an empty cell between commas")
            current.append(word)
            cell = []
        else:
            if current is None:
                if char.strip():
                    raise LiteralError(f"{char!r} outside a row's brackets")
                continue
            paren += {"(": 1, ")": -1}.get(char, 0)
            cell.append(char)
    if depth != 0 or paren != 0:
        raise LiteralError("the brackets do not balance")
    if not rows or any(not row for row in rows):
        raise LiteralError("an empty row")
    return rows


def parse_block(text: str) -> list[list[str]]:
    """Pasted text as rows of cells: a Python/NumPy literal, else spreadsheet text."""
    literal = parse_literal(text)
    return literal if literal is not None else parse_tsv(text)


def weights_tsv(layer: DenseLayer, rows: range | None = None, cols: range | None = None,
                include_bias: bool = False) -> str:
    """A layer's W (optionally with b as the last column) as tab-separated full-precision numbers, one
    line per neuron: what a spreadsheet pastes. A function, so copying needs no table model (one made
    just to copy stayed connected to the document)."""
    rows = rows if rows is not None else range(layer.n_out)
    cols = cols if cols is not None else range(layer.n_in + (1 if include_bias and layer.has_bias else 0))

    def cell(r: int, c: int) -> float:
        return float(layer.weights[r, c]) if c < layer.n_in else float(layer.bias[r])

    return "\n".join("\t".join(fmt.full(cell(r, c)) for c in cols) for r in rows) + "\n"
