"""Hover cards: the numbers of a neuron or edge, with the formula that made each, checked by hand."""

import math

from PySide6.QtCore import QPoint

from nnstudio.core.equations import num
from nnstudio.ui.canvas.hover_card import HIDE_AFTER_MS, card_lines
from nnstudio.ui.selection import ItemKey

R2 = math.sqrt(2)
# cosine-memory at its input (5/6, 1/3), target 0, by hand:
H2 = (5 / 6 + 1 / 3) / R2 - 1 / R2         # z of hidden neuron 2 = a (ReLU, positive)
W2 = (2 + R2) / 2
Y = W2 * H2                                 # ŷ ≈ 0.2011844635 (ReLU output, positive)
DELTA_OUT = -(0 - Y) * 1                    # MSE: δ = −(y − ŷ)·g′(z), ReLU′ = 1
DELTA_H2 = W2 * DELTA_OUT * 1               # (W2ᵀδ)·ReLU′


def number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text.replace("-", "−")


def test_a_neuron_card_shows_z_a_delta_and_b_with_numbers_substituted(make_window):
    window = make_window("cosine-memory")
    lines = card_lines(window.document, ItemKey("neuron", 1, 1))
    text = "\n".join(lines)
    assert lines[0] == "neuron 2 of layer 1"
    assert f"z = 0.7071·0.8333 + 0.7071·0.3333 + (−0.7071) = {number(H2)}" in text
    assert f"a = ReLU({number(H2)}) = {number(H2)}" in text
    assert f"= {number(DELTA_H2)}" in lines[3] and lines[3].startswith("δ = (Σ_k w_kj δ_k) · g′(z_j)")
    assert "b = -1/sqrt(2) = −0.7071" in text
    assert "(δ for the current input and target y = (0))" in text


def test_an_edge_card_shows_w_its_gradient_and_what_it_carries_back(make_window):
    window = make_window("cosine-memory")
    lines = card_lines(window.document, ItemKey("edge", 2, 0, 1))
    assert lines[1] == f"w = (2+sqrt(2))/2 = {number(W2)}"
    assert lines[2] == (f"∂L/∂w = δ_1·a_2 = {number(DELTA_OUT)}·{number(H2)} = {number(DELTA_OUT * H2)}")
    assert lines[3].startswith(f"w·δ = w·δ_1 = {number(W2)}·{number(DELTA_OUT)} = {number(W2 * DELTA_OUT)}")
    assert card_lines(window.document, ItemKey("neuron", 0, 0)) == ["input x1", "x = 5/6 = 0.8333"]


def test_while_stepping_the_card_says_what_the_step_dock_says(qtbot, make_window):
    window = make_window("cosine-memory")
    window.actions_by_name["step"].trigger()  # the pass begins: nothing computed yet
    assert card_lines(window.document, ItemKey("neuron", 1, 1))[1] == "(not reached yet at this step)"
    window.actions_by_name["step"].trigger()  # z of layer 1 only
    lines = card_lines(window.document, ItemKey("neuron", 1, 1))
    assert any(line.startswith("z = ") for line in lines) and not any(line.startswith("a = ") for line in lines)
    assert card_lines(window.document, ItemKey("edge", 2, 0, 1))[1:] == [f"w = (2+sqrt(2))/2 = {number(W2)}"]
    window.step_dock.raise_()
    window.scene.select_key(ItemKey("neuron", 1, 1))
    said = [line for line in lines[1:] if not line.startswith("b = ")]
    qtbot.waitUntil(lambda: window.step_panel.equations.toPlainText().splitlines() == said)
    dock = window.step_panel.equations.toPlainText().splitlines()
    assert [line for line in lines[1:] if not line.startswith("b = ")] == dock


def test_resting_the_pointer_opens_a_card_that_stays_while_the_pointer_is_on_it(qtbot, make_window):
    window = make_window("cosine-memory")
    view = window.view
    point = view.mapFromScene(window.scene.items_by_key[ItemKey("neuron", 1, 1)].sceneBoundingRect().center())
    qtbot.mouseMove(view.viewport(), point)
    qtbot.waitUntil(lambda: view.card.isVisible(), timeout=2000)
    assert view.card.label.text().startswith("neuron 2 of layer 1")
    card_point = view.card.geometry().center()
    qtbot.mouseMove(view.viewport(), view.viewport().mapFrom(view, card_point))
    qtbot.mouseMove(view.card, QPoint(5, 5))
    # A wait for time on purpose: what is checked is that the card outlasts the delay after which a card
    # left alone closes (a loaded machine can make this pass more easily, never fail).
    qtbot.wait(HIDE_AFTER_MS + 150)
    assert view.card.isVisible()  # the pointer is on it: it stays, its text can be selected
    qtbot.mouseMove(view.viewport(), QPoint(5, 5))  # empty canvas
    view.card.leaveEvent(None)
    qtbot.waitUntil(lambda: not view.card.isVisible(), timeout=2000)


def hover(qtbot, window, key: ItemKey) -> None:
    view = window.view
    point = view.mapFromScene(window.scene.edge_label_point(key))
    qtbot.mouseMove(view.viewport(), point)
    qtbot.waitUntil(lambda: view.card.isVisible() and view.card.key == key, timeout=2000)


def test_the_card_stands_in_a_corner_away_from_what_the_pointer_is_on(qtbot, make_window):
    window = make_window("cosine-memory")
    view = window.view
    for key in (ItemKey("neuron", 1, 1), ItemKey("bias_edge", 1, 0), ItemKey("edge", 2, 0, 1)):
        hover(qtbot, window, key)
        item_rect = view.mapFromScene(window.scene.items_by_key[key].sceneBoundingRect()).boundingRect()
        card = view.card.geometry()
        assert card.left() == 8 or card.right() == view.width() - 9  # in a corner
        assert not card.intersects(item_rect.translated(view.viewport().pos()))  # not over the item
        pointer = view.mapFromScene(window.scene.edge_label_point(key)) + view.viewport().pos()
        assert not card.contains(pointer)


def test_the_card_follows_the_numbers_and_ends_with_its_network(qtbot, make_window):
    window = make_window("cosine-memory")
    view = window.view
    hover(qtbot, window, ItemKey("bias_edge", 1, 0))
    assert "b = -1/sqrt(2) = −0.7071" in view.card.label.text()
    window.document.set_bias(1, 0, "1/4")
    assert "b = 1/4 = 0.25" in view.card.label.text() and "0.7071" not in view.card.label.text()
    window.document.mark_clean()
    window.actions_by_name["close"].trigger()  # Ctrl+W: an empty canvas, the card's item is gone
    assert not view.card.isVisible()


def test_resting_on_a_map_pixel_opens_its_card_with_its_place_and_values(qtbot, make_window):
    """conv-4x4 (docs/conv-worked-example.md): pixel (1, 2) of layer 1's map holds z = a = 1·0 + 0·1 − 1·1 + 2·3
    + 0.5 = 7.5 (kernel [[1, 0], [−1, 2]] on the input's rows 0–1, columns 1–2)."""
    window = make_window("conv-4x4")
    view = window.view
    key = ItemKey("pixel", 1, 0, 1, channel=0)
    qtbot.mouseMove(view.viewport(), view.mapFromScene(window.scene.key_rect(key).center()))
    qtbot.waitUntil(lambda: view.card.isVisible() and view.card.key == key, timeout=2000)
    lines = view.card.label.text().split("\n")
    assert lines[:5] == ["pixel (1, 2) of channel 1 of layer 1", "layer 1: conv 1×3×3 · 2×2 · ReLU",
                         "channel 1, row 1, column 2; value 2 of 9 in (channel, row, column) order", "z = 7.5", "a = 7.5"]
    assert lines[5].startswith("δ = ∂L/∂z = ")
    # The kernel that made this map: conv-4x4's one 2×2 kernel [[1, 0], [−1, 2]], one input channel, and its bias.
    assert lines[6:10] == ["kernel 1 of 1 (2×2 over 1 input channel):", "   1  0", "  −1  2", "bias b = 0.5"]


def test_a_lenet_pixel_card_shows_its_maps_kernel_channel_by_channel_and_says_where_the_rest_are(make_window):
    """Layer 3 of LeNet is 16 kernels of 5×5 over 6 channels: the card of a pixel of map 4 shows kernel 4's first
    two input channels as grids (50 numbers), says the other four are in the Inspector, and gives b."""
    window = make_window("lenet")
    layer = window.document.project.network.layers[2]
    text = "\n".join(card_lines(window.document, ItemKey("pixel", 3, 2, 5, channel=3)))
    head = "kernel 4 of 16 (5×5 over 6 input channels):"  # the Inspector's words
    assert head in text
    kernel = text.split(head)[1].split("\n")
    for channel in (0, 1):
        at = kernel.index(f" input channel {channel + 1}:")
        for r in range(5):
            assert kernel[at + 1 + r].split() == [num(float(v), 3) for v in layer.kernel[3, channel, r]]
    assert " input channel 3:" not in kernel and " … 4 more channels, all in the Inspector" in kernel
    assert f"bias b = {num(float(layer.bias[3]), 4)}" in kernel
    # A pooling's pixel has no kernel.
    assert "kernel" not in "\n".join(card_lines(window.document, ItemKey("pixel", 2, 0, 0, channel=3)))
