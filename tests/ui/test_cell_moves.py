"""Where Enter, Tab and the arrows take the selection.

Tab: layer by layer, each neuron's weights in input order and then its bias, on into the next
layer, no wrap at either end. Arrows: within W, down and across columns of neurons.
"""

import pytest

from nnstudio.ui.canvas.cell_moves import move
from nnstudio.ui.selection import ItemKey

SIZES = [2, 3, 1]  # cosine-memory: W1 is 3 × 2, W2 is 1 × 3


def edge(column, row, col):
    return ItemKey("edge", column, row, col)


def bias(column, row):
    return ItemKey("bias_edge", column, row)


def walk(start, direction, sizes, biases=(), bulk=()):
    """Every cell Tab (or Shift+Tab) visits from `start` until it stops; fails on a loop."""
    order, key = [start], start
    while (key := move(key, direction, sizes, biases, bulk)) is not None:
        assert key not in order, f"{key} visited twice: {order}"
        order.append(key)
    return order


# 2-3-1, layer 1 with a bias and the output without (cosine-memory), written out by hand.
WITH_B1 = [edge(1, 0, 0), edge(1, 0, 1), bias(1, 0),
           edge(1, 1, 0), edge(1, 1, 1), bias(1, 1),
           edge(1, 2, 0), edge(1, 2, 1), bias(1, 2),
           edge(2, 0, 0), edge(2, 0, 1), edge(2, 0, 2)]


def test_tab_visits_each_neurons_weights_then_its_bias_and_goes_on_into_the_next_layer():
    assert walk(edge(1, 0, 0), "next", SIZES, [True, False]) == WITH_B1


def test_shift_tab_is_the_exact_reverse_and_stops_at_the_first_weight():
    assert walk(edge(2, 0, 2), "previous", SIZES, [True, False]) == WITH_B1[::-1]


def test_without_biases_tab_goes_from_the_last_weight_of_w1_to_the_first_of_w2():
    assert walk(edge(1, 0, 0), "next", SIZES, [False, False]) == [
        edge(1, 0, 0), edge(1, 0, 1), edge(1, 1, 0), edge(1, 1, 1), edge(1, 2, 0), edge(1, 2, 1),
        edge(2, 0, 0), edge(2, 0, 1), edge(2, 0, 2)]
    assert move(edge(1, 2, 1), "next", SIZES) == edge(2, 0, 0)  # no biases given: none
    assert move(edge(2, 0, 0), "previous", SIZES) == edge(1, 2, 1)


def test_the_output_bias_is_the_very_last_cell_and_nothing_wraps():
    order = walk(bias(1, 1), "next", SIZES, [True, True])
    assert order == [bias(1, 1), edge(1, 2, 0), edge(1, 2, 1), bias(1, 2),
                     edge(2, 0, 0), edge(2, 0, 1), edge(2, 0, 2), bias(2, 0)]
    assert move(bias(2, 0), "next", SIZES, [True, True]) is None
    assert move(edge(1, 0, 0), "previous", SIZES, [True, True]) is None


def test_a_layer_drawn_in_bulk_offers_only_its_biases():
    sizes, biases = [20, 2, 2], [True, True]  # W1 (2 × 20) is one bulk item: no weight of it is a cell
    assert walk(bias(1, 0), "next", sizes, biases, bulk={1}) == [
        bias(1, 0), bias(1, 1), edge(2, 0, 0), edge(2, 0, 1), bias(2, 0), edge(2, 1, 0), edge(2, 1, 1), bias(2, 1)]
    assert move(edge(2, 0, 0), "previous", sizes, biases, bulk={1}) == bias(1, 1)
    # Without biases a bulk layer has no cell at all: Tab passes over it, or stops before it.
    assert move(edge(1, 1, 2), "next", [3, 2, 20, 1], [False] * 3, bulk={2}) == edge(3, 0, 0)
    assert move(edge(2, 0, 0), "previous", [20, 2, 2], [False, False], bulk={1}) is None
    assert move(edge(1, 0, 5), "next", sizes, biases, bulk={1}) is None  # a bulk weight is no cell


@pytest.mark.parametrize("direction, expected", [("up", edge(1, 0, 1)), ("down", edge(1, 2, 1)),
                                                 ("left", edge(1, 1, 0)), ("right", None)])
def test_arrows_move_a_weight_selection_within_w(direction, expected):
    assert move(edge(1, 1, 1), direction, SIZES, [True, False]) == expected  # from w22 of the 3 × 2 W1


def test_neurons_go_down_their_column_and_across_to_the_nearest_row():
    neuron = ItemKey("neuron", 1, 2)
    assert move(neuron, "next", SIZES) is None and move(neuron, "down", SIZES) is None
    assert move(neuron, "previous", SIZES) == ItemKey("neuron", 1, 1)
    assert move(neuron, "right", SIZES) == ItemKey("neuron", 2, 0)  # the output has one neuron
    assert move(neuron, "left", SIZES) == ItemKey("neuron", 0, 1)
    assert move(ItemKey("neuron", 0, 0), "left", SIZES) is None
    assert move(ItemKey("neuron", 0, 0), "next", SIZES) == ItemKey("neuron", 0, 1)  # x1 → x2
    assert move(ItemKey("layer", 1), "right", SIZES) == ItemKey("layer", 2)
    assert move(ItemKey("layer", 2), "next", SIZES) is None


def test_arrows_on_a_bias_go_down_the_biases_and_across_to_neurons():
    assert move(bias(1, 0), "down", SIZES, [True, False]) == bias(1, 1)
    assert move(bias(1, 0), "up", SIZES, [True, False]) is None
    assert move(bias(1, 2), "right", SIZES, [True, False]) == ItemKey("neuron", 2, 0)
