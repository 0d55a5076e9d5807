"""The canvas's geometry, checked without a scene and without Qt (nnstudio/ui/canvas/layout.py).

Text is measured by a fake: 7 units a character of the widest line, 15 a line, so every number below
can be worked out by hand from the layout's constants (NEURON_RADIUS 30, NEURON_SPACING 72,
LABEL_PITCH 18, LABEL_H 16, PORT_GAP 16, COLUMN_WIDTH 78, HEADER_GAP 44, OUTPUT_GAP 20).
"""

from __future__ import annotations

import pytest

from nnstudio.core.blueprint import Blueprint, build_project
from nnstudio.document.edits import COLUMN_SPACING, move_columns
from nnstudio.ui.canvas import layout
from nnstudio.ui.canvas.layout import FontRole, NetworkShape, Rect


def fake_measure(text: str, role: FontRole) -> tuple[float, float]:
    lines = text.split("\n")
    return 7.0 * max(len(line) for line in lines), 15.0 * len(lines)


def shape(sizes: tuple[int, ...], biases: tuple[bool, ...] | None = None,
          image: tuple[int, int] | None = None) -> NetworkShape:
    biases = biases if biases is not None else (True,) * (len(sizes) - 1)
    return NetworkShape(sizes, biases, image, tuple((i * COLUMN_SPACING, 0.0) for i in range(len(sizes))))


def test_columns_stand_left_to_right_where_the_document_puts_them():
    project = build_project(Blueprint.simple([2, 3, 1], output="sigmoid"))
    columns = layout.network_layout(NetworkShape.of(project)).columns
    assert [c.position for c in columns] == [(0.0, 0.0), (260.0, 0.0), (520.0, 0.0)]  # COLUMN_SPACING apart
    moved = move_columns(project, [(0.0, 0.0), (300.0, -40.0), (640.0, 25.0)])  # dragged: they stay put
    assert [c.position for c in layout.network_layout(NetworkShape.of(moved)).columns] == [
        (0.0, 0.0), (300.0, -40.0), (640.0, 25.0)]
    # Between two boxes 260 apart: the labels into column 2, up to "-0.12345" wide, stand clear of column 1's box.
    stack = layout.label_stack(4, ["-0.12345"], fake_measure)
    assert stack.width == 8 * 7 + 10
    assert columns[2].position[0] + stack.rect(0).x == 520 - 30 - 16 - 66 == 408
    assert columns[1].position[0] + columns[1].body.right == 260 + 39 == 299


def test_neurons_are_centred_on_the_column_and_evenly_spaced():
    col = layout.column_layout(shape((2, 3, 1)), 1)
    assert col.neurons == ((0, -72.0), (1, 0.0), (2, 72.0))  # two inputs + a bias: 3 labels, 72 apart
    assert col.stack == 3 and col.spacing == 72.0
    tall = layout.column_layout(shape((6, 2, 1)), 1)  # 6 inputs + bias: 7 labels of 18 need 7·18 + 10
    assert tall.stack == 7 and tall.spacing == 136.0
    assert tall.neurons == ((0, -68.0), (1, 68.0))
    # A neuron's stack is 6·18 + 16 = 124 tall: the stacks of neighbours keep 12 apart.
    assert tall.spacing - 2 * layout.stack_half_height(7) == 12.0


def test_the_column_box_holds_its_neurons_and_its_title_stands_above():
    col = layout.column_layout(shape((2, 3, 1)), 2)  # one neuron, 3 inputs + bias: 4 labels, 35 above and below
    assert (col.top, col.bottom) == (-35.0, 35.0)
    assert col.body == Rect(-39.0, -41.0, 78.0, 82.0)
    assert col.header == Rect(-78.0, -79.0, 156.0, 36.0)  # HEADER_GAP above the top
    assert col.title == Rect(-78.0, -79.0, 156.0, 18.0) and col.subtitle == Rect(-78.0, -61.0, 156.0, 16.0)
    assert col.minus == (-14.0, 57.0) and col.plus == (14.0, 57.0)  # below the box, either side of the axis
    # all it draws: from the header's top to 2 past the buttons (radius 10) under it, as wide as the header
    assert col.extent == Rect(-78.0, -79.0, 156.0, 35.0 + 79.0 + 22.0 + 10.0 + 2.0)


def test_the_bias_unit_stands_one_spacing_above_the_first_neuron():
    layers = layout.network_layout(shape((2, 3, 1))).columns
    assert layers[0].bias_unit_y == -36.0 - 72.0  # feeds layer 1
    assert layers[0].top == -108.0 - 30.0  # the box reaches over the unit
    assert layers[1].bias_unit_y == -144.0 and layers[1].top == -174.0
    assert layers[2].bias_unit_y is None  # the output feeds nothing
    no_bias = layout.network_layout(shape((2, 3, 1), (False, True))).columns
    assert no_bias[0].bias_unit_y is None and no_bias[0].top == -66.0


def test_a_large_column_shows_one_page_and_a_pager_where_the_next_neuron_would_be():
    small = layout.column_layout(shape((2, 12, 1)), 1)
    assert [row for row, _ in small.neurons] == list(range(12)) and small.pager is None
    col = layout.column_layout(shape((2, 20, 1)), 1, first_row=8)
    assert [row for row, _ in col.neurons] == list(range(8, 16))
    assert col.stack == 0 and col.spacing == 72.0  # a large layer shows no labels
    ys = [y for _, y in col.neurons]
    assert ys[0] == -288.0 and all(b - a == 72.0 for a, b in zip(ys, ys[1:]))  # 9 slots centred: the pager's too
    assert col.pager is not None and col.pager.y == 288.0
    assert col.pager.text == "9–16\nof 20 ▼"
    assert col.pager.rect == Rect(-39.0, 266.0, 78.0, 44.0)
    last = layout.column_layout(shape((2, 20, 1)), 1, first_row=16)  # clamped to the column's end
    assert [row for row, _ in last.neurons] == list(range(12, 20)) and last.pager.text == "13–20\nof 20 ▼"


def test_pages_turn_round_and_a_row_finds_its_page():
    assert layout.turn_page(20, 0, +1) == 8 and layout.turn_page(20, 8, +1) == 16
    assert layout.turn_page(20, 16, +1) == 0 and layout.turn_page(20, 0, -1) == 16
    assert layout.page_start(20, 13) == 8 and layout.page_start(20, 19) == 12 and layout.page_start(128, 127) == 120


def test_an_image_input_is_as_tall_as_its_pixels_and_its_edges_are_painted_in_bulk():
    mnist = shape((784, 128, 10), image=(28, 28))
    col = layout.column_layout(mnist, 0)
    assert col.neurons == () and col.pager is None
    assert col.bottom == 70.0 and col.bias_unit_y == -70.0 - 72.0 and col.top == -172.0
    assert layout.drawn_in_bulk(mnist, 1) and layout.drawn_in_bulk(mnist, 2)
    assert layout.drawn_in_bulk(shape((2, 13, 1)), 1) and not layout.drawn_in_bulk(shape((2, 12, 1)), 1)
    assert layout.drawn_in_bulk(shape((4, 4, 1), image=(2, 2)), 1)


@pytest.mark.parametrize("sizes, biases, image, shown, stack", [
    ((2, 3, 1), (True, True), None, True, 3),
    ((2, 3, 1), (True, True), None, False, 0),  # labels turned off
    ((7, 3, 1), (True, True), None, True, 0),  # 7 inputs + a bias: more than MAX_STACK
    ((7, 3, 1), (False, True), None, True, 7),
    ((2, 13, 1), (True, True), None, True, 0),  # a large layer
    ((4, 3, 1), (True, True), (2, 2), True, 0),  # fed by an image
])
def test_which_layers_show_their_weights_as_labels(sizes, biases, image, shown, stack):
    assert layout.stack_size(shape(sizes, biases, image), 1, shown) == stack
    col = layout.network_layout(shape(sizes, biases, image), show_edge_labels=shown).columns[1]
    assert col.stack == stack


def test_a_label_stack_stands_left_of_its_neuron_and_widens_with_its_widest_label():
    stack = layout.label_stack(4, ["0.5", "-0.125", "1"], fake_measure)
    assert stack.width == 6 * 7 + 10  # the widest text, padded
    assert stack.offsets == (-27.0, -9.0, 9.0, 27.0)  # LABEL_PITCH apart, centred on the neuron
    assert stack.rect(0) == Rect(-98.0, -35.0, 52.0, 16.0)  # right side PORT_GAP left of the rim at −30
    assert stack.rect(3).right == -46.0 and stack.rect(3).bottom == 35.0
    wider = layout.label_stack(4, ["0.5", "0.1 → 0.12345"], fake_measure)
    assert wider.width == 13 * 7 + 10 and wider.rect(0).x == -30 - 16 - 101
    assert layout.label_stack(2, ["1"], fake_measure).width == 30.0  # never narrower than MIN_LABEL_WIDTH
    assert layout.label_stack(2, [], fake_measure).width == 30.0
    assert [layout.label_slot(None, True), layout.label_slot(0, True), layout.label_slot(2, True)] == [0, 1, 3]
    assert layout.label_slot(0, False) == 0  # no bias: the first input on top


def test_the_output_stands_beside_the_last_column_centred_on_it():
    # As tall as the taller of the text and the room kept for the widest value: it does not jump.
    at = layout.output_label_at((520.0, 10.0), "ŷ = 0.5", "a = −0.0000\nb = −0.0000", fake_measure)
    assert at == (520 + 39 + 20, 10.0 - 15.0)
    assert layout.output_label_at((520.0, 10.0), "1\n2\n3", "a = −0.0000", fake_measure) == (579.0, 10.0 - 22.5)
    assert layout.output_label_at((0.0, 0.0), "", "", fake_measure) == (59.0, 0.0)


def test_the_banner_sits_in_the_views_corner_and_fit_leaves_it_room():
    assert layout.banner_at((0, 30)) == (8, 38)
    assert layout.banner_room(21.0) == 33.0


def span(geometry: layout.NetworkLayout) -> float:
    """From the highest column's header to the lowest column's buttons, each column where it stands."""
    tops = [c.position[1] + c.extent.y for c in geometry.columns]
    bottoms = [c.position[1] + c.extent.bottom for c in geometry.columns]
    return max(bottoms) - min(tops)


def test_a_short_view_pages_the_columns_painted_in_bulk_until_they_fit():
    mnist = shape((784, 128, 10), image=(28, 28))
    roomy = layout.network_layout(mnist)
    assert [c.page for c in roomy.columns[1:]] == [8, 10] and roomy.columns[2].pager is None
    # By hand: the hidden column with a page of p holds p neurons, the pager and the bias unit above them,
    # from its title (HEADER_GAP above the unit's top) to its buttons (EXTENT_BELOW under the pager's slot):
    # 44 + 30 + 72 (unit to the first neuron) + 72·p (to the pager's slot) + 30 + 34 = 210 + 72·p;
    # the output column without a bias unit above: 44 + 30 + 72·p + 30 + 34 = 138 + 72·p, centred alike.
    hidden = layout.column_layout(mnist, 1, 0, True, 4)
    assert hidden.extent.h == 210 + 72 * 4
    for room in (800.0, 540.0, 500.0, 420.0):
        geometry = layout.network_layout(mnist, room=room)
        assert span(geometry) <= room or [c.page for c in geometry.columns[1:]] == [layout.MIN_PAGE] * 2, room
        output = geometry.columns[2]
        assert (output.pager is not None) == (output.page < 10)
        assert output.pager is None or output.pager.text == f"1–{output.page}\nof 10 ▼"
    assert [c.page for c in layout.network_layout(mnist, room=500.0).columns[1:]] == [3, 5]
    assert [c.page for c in layout.network_layout(mnist, room=100.0).columns[1:]] == [layout.MIN_PAGE] * 2


@pytest.mark.parametrize("sizes", [(2, 3, 1), (4, 2, 3), (2, 12, 12, 1), (784, 128, 10)])
def test_columns_with_an_item_per_edge_never_page_by_room(sizes):
    """A neuron not shown has no item for a single edge to start from: only columns whose edges on both
    sides are painted in bulk page when the view is short (a small network shows every weight)."""
    net = shape(sizes)
    short = layout.network_layout(net, room=50.0)
    for column, geometry in enumerate(short.columns):
        whole = layout.whole_or_page(sizes[column])
        if not layout.pages_by_room(net, column):
            assert geometry.page == min(whole, sizes[column]), (sizes, column)
    assert not any(layout.pages_by_room(shape((2, 3, 1)), c) for c in range(3))
    assert [layout.pages_by_room(shape((784, 128, 10)), c) for c in range(3)] == [True, True, True]


def test_first_rows_move_to_the_start_of_their_new_page():
    net = shape((784, 128, 10), image=(28, 28))
    assert layout.realigned(net, {1: 16, 2: 0}, [784, 5, 5]) == {1: 15, 2: 0}
    assert layout.realigned(net, {1: 120}, [784, 3, 10]) == {1: 120}
    assert layout.page_start(128, 127, 3) == 125 and layout.turn_page(10, 5, +1, 5) == 0
