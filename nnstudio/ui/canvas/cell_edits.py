"""Which document edit a value typed into a canvas cell is: an input, a weight, a bias, or a layer's biases."""

from __future__ import annotations

from nnstudio.document import Document
from nnstudio.ui.selection import ItemKey


def commit_cell(document: Document, key: ItemKey, text: str) -> None:
    """Send `text`, typed into the cell `key`, to the document as one undoable edit; raises the parser's error
    and changes nothing on bad text."""
    if key.kind == "neuron" and key.column == 0:
        document.set_input(key.row, text)
    elif key.kind == "layer":
        document.set_all_biases(key.column, text)
    elif key.kind == "edge":
        document.set_weight(key.column, key.row, key.col, text)
    else:
        document.set_bias(key.column, key.row, text)
