"""Where the selection goes next when the canvas is typed on like a spreadsheet.

The cells are the network's numbers, by position (`ItemKey`): the weights of a layer
in the order of its W — row by row, that is every weight into one neuron, then the next
neuron's — and the neurons of a column from top to bottom (their biases; in the input
column, the input values). Enter and Tab go to the next cell, Shift+Tab to the previous
one; the arrows move in two dimensions. At an edge of the matrix or column the
selection stays where it is: nothing wraps round to re-open the first cell.

Plain functions of the network's sizes, so they are tested without a window.
"""

from __future__ import annotations

from nnstudio.ui.selection import ItemKey

MOVES = ("next", "previous", "up", "down", "left", "right")


def move(key: ItemKey, direction: str, sizes: list[int]) -> ItemKey | None:
    """The cell `direction` of `key` in a network of `sizes` (input first), or None at an edge."""
    if direction not in MOVES:
        raise ValueError(f"unknown move {direction!r}")
    if key.kind == "edge":
        return _edge_move(key, direction, sizes)
    if key.kind in ("neuron", "bias_edge"):
        return _neuron_move(key, direction, sizes)
    if key.kind == "layer":
        step = {"left": -1, "previous": -1, "right": 1, "next": 1}.get(direction)
        column = key.column + step if step else -1
        return ItemKey("layer", column) if 0 <= column < len(sizes) else None
    return None


def _edge_move(key: ItemKey, direction: str, sizes: list[int]) -> ItemKey | None:
    rows, cols = sizes[key.column], sizes[key.column - 1]  # W of layer k is (neurons × inputs)
    index = key.row * cols + key.col
    if direction in ("next", "previous"):
        index += 1 if direction == "next" else -1
        row, col = divmod(index, cols)
        return ItemKey("edge", key.column, row, col) if 0 <= index < rows * cols else None
    row = key.row + {"up": -1, "down": 1}.get(direction, 0)
    col = key.col + {"left": -1, "right": 1}.get(direction, 0)
    return ItemKey("edge", key.column, row, col) if 0 <= row < rows and 0 <= col < cols else None


def _neuron_move(key: ItemKey, direction: str, sizes: list[int]) -> ItemKey | None:
    if direction in ("next", "down", "previous", "up"):
        row = key.row + (1 if direction in ("next", "down") else -1)
        return ItemKey(key.kind, key.column, row) if 0 <= row < sizes[key.column] else None
    column = key.column + (1 if direction == "right" else -1)
    if not 0 <= column < len(sizes):
        return None
    return ItemKey("neuron", column, min(key.row, sizes[column] - 1))
