"""Where the selection goes next when the canvas is typed on like a spreadsheet.

The cells are the network's numbers, by position (`ItemKey`). Tab walks them in the order a
person reads a layer's equation, z_j = Σ w_ji·a_i + b_j: layer by layer, neuron by neuron,
each neuron's weights in input order and then its bias (when the layer has one), and on from
the last cell of a layer to the first of the next. Enter after typing a value goes the same
way; Shift+Tab is the exact reverse. At the first and last cell of the network the selection
stays where it is: nothing wraps round to re-open the first cell.

Neurons have their own order: Tab goes down their column (in the input column, the input
values x1, x2, …; in a layer, each neuron holds its bias). The arrows move in two dimensions:
within a layer's W, down and across a column of neurons.

A large layer is drawn as one bulk item, so its weights are not cells a person can see or
select: Tab steps over them (its biases, drawn one edge each, stay in the order).

Plain functions of the network's shape, so they are tested without a window.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from nnstudio.ui.selection import ItemKey

MOVES = ("next", "previous", "up", "down", "left", "right")


def move(key: ItemKey, direction: str, sizes: Sequence[int], biases: Sequence[bool] = (),
         bulk: Collection[int] = ()) -> ItemKey | None:
    """The cell `direction` of `key`, or None at an edge of the network (or for a key that is no cell).

    `sizes`: neurons per column, input first. `biases[k - 1]`: layer k has a bias (missing
    entries: no bias). `bulk`: the layers drawn as one bulk item, whose weights are no cells.
    """
    if direction not in MOVES:
        raise ValueError(f"unknown move {direction!r}")
    if key.kind in ("edge", "bias_edge") and direction in ("next", "previous"):
        return _tab(key, 1 if direction == "next" else -1, _Shape(sizes, biases, bulk))
    if key.kind == "edge":
        return _edge_move(key, direction, sizes)
    if key.kind in ("neuron", "bias_edge"):
        return _neuron_move(key, direction, sizes)
    if key.kind == "layer":
        step = {"left": -1, "previous": -1, "right": 1, "next": 1}.get(direction)
        column = key.column + step if step else -1
        return ItemKey("layer", column) if 0 <= column < len(sizes) else None
    return None


class _Shape:
    """How many cells each neuron of a layer has in Tab order: its weights (none when drawn in
    bulk), then its bias."""

    def __init__(self, sizes: Sequence[int], biases: Sequence[bool], bulk: Collection[int]) -> None:
        self.sizes, self.biases, self.bulk = sizes, biases, bulk

    def weights(self, column: int) -> int:
        return 0 if column in self.bulk else self.sizes[column - 1]

    def has_bias(self, column: int) -> bool:
        return column - 1 < len(self.biases) and bool(self.biases[column - 1])

    def per_neuron(self, column: int) -> int:
        return self.weights(column) + int(self.has_bias(column))

    def cells(self, column: int) -> int:
        return self.sizes[column] * self.per_neuron(column)


def _tab(key: ItemKey, step: int, shape: _Shape) -> ItemKey | None:
    """One cell on (step +1) or back (−1) in Tab order, across layers; None past either end."""
    if not 1 <= key.column < len(shape.sizes):
        return None
    index = _index(key, shape)
    if index is None:
        return None
    index += step
    column = key.column
    while not 0 <= index < shape.cells(column):
        column += step
        if not 1 <= column < len(shape.sizes):
            return None
        index = 0 if step > 0 else shape.cells(column) - 1
    return _cell(column, index, shape)


def _index(key: ItemKey, shape: _Shape) -> int | None:
    """Where `key` is among its layer's cells in Tab order (None: not a cell, e.g. a weight drawn in bulk)."""
    weights = shape.weights(key.column)
    if not 0 <= key.row < shape.sizes[key.column]:
        return None
    if key.kind == "edge" and 0 <= key.col < weights:
        offset = key.col
    elif key.kind == "bias_edge" and shape.has_bias(key.column):
        offset = weights
    else:
        return None
    return key.row * shape.per_neuron(key.column) + offset


def _cell(column: int, index: int, shape: _Shape) -> ItemKey:
    row, offset = divmod(index, shape.per_neuron(column))
    if offset < shape.weights(column):
        return ItemKey("edge", column, row, offset)
    return ItemKey("bias_edge", column, row)


def _edge_move(key: ItemKey, direction: str, sizes: Sequence[int]) -> ItemKey | None:
    """An arrow within W of layer k, which is (neurons × inputs)."""
    rows, cols = sizes[key.column], sizes[key.column - 1]
    row = key.row + {"up": -1, "down": 1}.get(direction, 0)
    col = key.col + {"left": -1, "right": 1}.get(direction, 0)
    return ItemKey("edge", key.column, row, col) if 0 <= row < rows and 0 <= col < cols else None


def _neuron_move(key: ItemKey, direction: str, sizes: Sequence[int]) -> ItemKey | None:
    if direction in ("next", "down", "previous", "up"):
        row = key.row + (1 if direction in ("next", "down") else -1)
        return ItemKey(key.kind, key.column, row) if 0 <= row < sizes[key.column] else None
    column = key.column + (1 if direction == "right" else -1)
    if not 0 <= column < len(sizes):
        return None
    return ItemKey("neuron", column, min(key.row, sizes[column] - 1))
