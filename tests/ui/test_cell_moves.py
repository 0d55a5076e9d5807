"""Where Enter, Tab and the arrows take the selection: W row by row, neurons top to bottom, no wrap."""

import pytest

from nnstudio.ui.canvas.cell_moves import move
from nnstudio.ui.selection import ItemKey

SIZES = [2, 3, 1]  # cosine-memory: W1 is 3 × 2, W2 is 1 × 3


def edge(column, row, col):
    return ItemKey("edge", column, row, col)


def test_next_walks_w_row_by_row_and_stops_at_the_last_weight():
    order, key = [], edge(1, 0, 0)
    while key is not None:
        order.append((key.row, key.col))
        key = move(key, "next", SIZES)
    assert order == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert move(edge(1, 0, 0), "previous", SIZES) is None  # no wrap back to the end either
    assert move(edge(1, 2, 0), "previous", SIZES) == edge(1, 1, 1)


@pytest.mark.parametrize("direction, expected", [("up", edge(1, 0, 1)), ("down", edge(1, 2, 1)),
                                                 ("left", edge(1, 1, 0)), ("right", None)])
def test_arrows_move_a_weight_selection_within_w(direction, expected):
    assert move(edge(1, 1, 1), direction, SIZES) == expected  # from w22 of the 3 × 2 W1


def test_neurons_go_down_their_column_and_across_to_the_nearest_row():
    neuron = ItemKey("neuron", 1, 2)
    assert move(neuron, "next", SIZES) is None and move(neuron, "down", SIZES) is None
    assert move(neuron, "previous", SIZES) == ItemKey("neuron", 1, 1)
    assert move(neuron, "right", SIZES) == ItemKey("neuron", 2, 0)  # the output has one neuron
    assert move(neuron, "left", SIZES) == ItemKey("neuron", 0, 1)
    assert move(ItemKey("neuron", 0, 0), "left", SIZES) is None
    assert move(ItemKey("layer", 1), "right", SIZES) == ItemKey("layer", 2)
    assert move(ItemKey("layer", 2), "next", SIZES) is None
