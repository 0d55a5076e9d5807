"""Map pixels on the canvas (issue 35, points 1, 3 and 4): a click selects a pixel by key, its receptive field and
kernel window light up on the earlier maps, its map carries numbers, and the maps follow a pass being stepped
through (blank, z, a, then δ; a max pooling marks the first maximum of each window).

Hand values: conv-4x4 is docs/conv-worked-example.md's network, a = [[3.5, 7.5, 0], [0.5, 0.5, 7.5],
[1.5, 3.5, 1.5]], pooled by one 2×2 window over its top-left corner, whose maximum 7.5 stands at (0, 1). LeNet is
1×28×28 → c6k5p2 → m2 → c16k5 → m2 → 120 → 84 → 10: a window of the 5×5 convolution of layer 1 (padding 2) starts
two rows and columns before its pixel, the pooling doubles, the 5×5 convolution of layer 3 reads five rows on.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QLabel

from nnstudio.core.stepper import Phase
from nnstudio.core.trace import backward, forward
from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.hover_card import card_lines
from nnstudio.ui.canvas.map_layout import MapPixel, tile_in_scene
from nnstudio.ui.canvas.map_overlay import MapOverlayItem, unit_of
from nnstudio.ui.canvas.map_tile_item import MapTileItem
from nnstudio.ui.canvas.map_values import shown_maps
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import run_queued_events

A = np.array([[3.5, 7.5, 0.0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]])


def overlay(window) -> MapOverlayItem:
    return next(i for i in window.scene.items() if isinstance(i, MapOverlayItem))


def box_rect(window, column: int, channel: int, top: int, left: int, bottom: int, right: int):
    """The scene rect of rows top…bottom, columns left…right (inclusive) of a map, from its tile."""
    tile = tile_in_scene(window.scene.maps.geometry, column, channel)
    return (tile.rect.x + left * tile.pixel, tile.rect.y + top * tile.pixel,
            (right - left + 1) * tile.pixel, (bottom - top + 1) * tile.pixel)


def near(a, b) -> bool:
    return np.allclose(tuple(a), tuple(b), atol=1e-9)


def click_scene_point(qtbot, window, point: QPointF) -> None:
    view = window.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(point))


def test_clicking_a_lenet_map_pixel_selects_its_key_and_the_selection_survives_a_rebuild(make_window, qtbot):
    window = make_window("lenet")
    scene = window.scene
    seen: list = []
    scene.selection_key_changed.connect(seen.append)
    channel = scene.maps.geometry.maps[3].tiles[0].channel
    tile = tile_in_scene(scene.maps.geometry, 3, channel)
    # Row 4, column 6 of that 10×10 map: 6.5 and 4.5 pixels from the tile's corner.
    click_scene_point(qtbot, window, QPointF(tile.rect.x + 6.5 * tile.pixel, tile.rect.y + 4.5 * tile.pixel))
    key = ItemKey("pixel", 3, 4, 6, channel=channel)
    assert scene.selected_key() == key and seen[-1] == key
    assert near(overlay(window).state.selected, (tile.rect.x + 6 * tile.pixel, tile.rect.y + 4 * tile.pixel,
                                                 tile.pixel, tile.pixel))
    scene.rebuild()  # an undo, a resize: the items go, the pixel stays selected by its key
    assert scene.selected_key() == key and seen[-1] == key
    click_scene_point(qtbot, window, scene.network_rect().topLeft() + QPointF(2, 2))  # the background
    assert scene.selected_key() is None and seen[-1] is None
    assert overlay(window).state.selected is None and overlay(window).state.field == ()


@pytest.mark.parametrize("pixel", [(0, 0, 0), (5, 3, 5)])
def test_the_receptive_field_of_a_lenet_layer_3_pixel_is_the_hand_worked_box_on_every_earlier_map(
        make_window, qtbot, pixel):
    window = make_window("lenet")
    channel, row, col = pixel
    window.scene.select_key(ItemKey("pixel", 3, row, col, channel=channel))
    state = overlay(window).state
    # By hand: layer 3 (5×5, no padding) reads pool rows row…row+4 of all 6 channels; the 2×2 pool reads conv rows
    # 2·row … 2·(row+4)+1; the 5×5 convolution with padding 2 reads input rows 2·row−2 … 2·row+11, clipped to 0…27.
    pool = (row, col, row + 4, col + 4)
    conv = (2 * row, 2 * col, 2 * row + 9, 2 * col + 9)
    image = (max(2 * row - 2, 0), max(2 * col - 2, 0), min(2 * row + 11, 27), min(2 * col + 11, 27))
    expected = [box_rect(window, 0, 0, *image)]
    expected += [box_rect(window, 1, c, *conv) for c in range(6)]
    expected += [box_rect(window, 2, c, *pool) for c in range(6)]
    assert len(state.field) == len(expected) == 13
    for got, want in zip(sorted(state.field), sorted(expected)):
        assert near(got, want)
    # The kernel window: the same 5×5 on every channel of the pool's maps (no padding to hang over).
    windows = sorted(box_rect(window, 2, c, *pool) for c in range(6))
    assert len(state.window) == 6 and all(near(got, want) for got, want in zip(sorted(state.window), windows))


def test_the_kernel_window_of_a_corner_pixel_hangs_over_the_padding_and_the_field_stops_at_the_edge(make_window,
                                                                                                   qtbot):
    window = make_window("lenet")
    window.scene.select_key(ItemKey("pixel", 1, 0, 0, channel=4))
    state = overlay(window).state
    assert near(state.field[0], box_rect(window, 0, 0, 0, 0, 2, 2))  # rows and columns −2…2 clipped to 0…2
    assert near(state.window[0], box_rect(window, 0, 0, -2, -2, 2, 2))  # the 5×5 window, two pixels of padding


def parse(text: str) -> float:
    return float(text.replace("−", "-"))


def test_numbers_on_the_selected_map_are_the_traces_values(make_window, qtbot):
    window = make_window("conv-4x4")
    window.scene.select_key(ItemKey("pixel", 1, 1, 1, channel=0))
    texts = [t.text for t in overlay(window).texts()]
    assert texts[:9] == ["3.5", "7.5", "0", ".5", ".5", "7.5", "1.5", "3.5", "1.5"]  # a, row by row (worked example)
    assert texts[9:] == ["1.0", "3.0", "1.0", "0"]  # and the input its 2×2 window reads: x rows 1–2, columns 1–2
    # LeNet's first convolution, channel 3: every number reads back as the trace's a to its last decimal.
    window = make_window("lenet")
    project = window.document.project
    a = np.asarray(forward(project.network, project.network_input()).layers[0].a).reshape(6, 28, 28)
    window.scene.select_key(ItemKey("pixel", 1, 10, 12, channel=3))
    texts = overlay(window).texts()[:28 * 28]  # (then the 5×5 window it reads on the input)
    decimals, unit = unit_of(a)
    assert len(overlay(window).texts()) == 28 * 28 + 25
    for k, text in enumerate(texts):
        assert abs(parse(text.text) * unit - a[3].reshape(-1)[k]) <= 0.5 * 10.0 ** -decimals * unit + 1e-12


def test_a_map_pixels_hover_card_gives_its_place_and_values(make_window, qtbot):
    window = make_window("conv-4x4")
    project = window.document.project
    grads = backward(project.network, forward(project.network, project.network_input()), project.target, "mse")
    delta = float(grads.layers[0].delta[1])
    lines = card_lines(window.document, ItemKey("pixel", 1, 0, 1, channel=0))
    assert lines[:3] == ["pixel (1, 2) of channel 1 of layer 1", "layer 1: conv 1×3×3 · 2×2 · ReLU",
                         "channel 1, row 1, column 2; value 2 of 9 in (channel, row, column) order"]
    assert lines[3:5] == ["z = 7.5", "a = 7.5"] and lines[5].startswith(f"δ = ∂L/∂z = {delta:.4g}".rstrip("0"))
    assert card_lines(window.document, ItemKey("pixel", 0, 1, 2, channel=0))[-1] == "x = 3"


def tile_blank(window, column: int) -> bool:
    return all(t.image.isNull() for t in window.scene.items() if isinstance(t, MapTileItem) and t.column == column)


def scale(window, column: int) -> str:
    return window.scene.maps.columns[column].scale_text


def test_stepping_fills_the_maps_layer_by_layer_then_shows_delta_and_back_undoes_it(make_window, qtbot):
    window = make_window("conv-4x4")
    stepping = window.document.stepping
    stepping.start()
    assert not tile_blank(window, 0) and tile_blank(window, 1) and tile_blank(window, 2)  # nothing computed yet
    stepping.forward()  # z of layer 1
    assert not tile_blank(window, 1) and scale(window, 1) == "z ±7.5" and tile_blank(window, 2)
    stepping.forward()  # a of layer 1
    assert scale(window, 1) == "a ±7.5" and tile_blank(window, 2)
    while stepping.plan.step.phase != Phase.DELTA or stepping.plan.step.layer != 1:
        assert stepping.forward()
    assert scale(window, 2).startswith("δ ±") and scale(window, 1) == "a ±7.5"  # the pool's δ known, not layer 1's
    assert "δ" in window.scene.maps.legend.text
    stepping.back()
    assert not scale(window, 2).startswith("δ")  # Back: the pool's δ is not known again


def test_at_the_backward_step_a_max_pool_marks_the_first_maximum(make_window, qtbot):
    window = make_window("conv-4x4")
    stepping = window.document.stepping
    stepping.start()
    while not stepping.plan.delta_visible(1):
        assert overlay(window).state.marks == ()  # nothing sent back yet
        assert stepping.forward()
    first = np.unravel_index(np.argmax(A[:2, :2]), (2, 2))  # the one window: the first maximum, 7.5 at (0, 1)
    assert tuple(int(v) for v in first) == (0, 1)
    assert overlay(window).state.marks == (box_rect(window, 1, 0, 0, 1, 0, 1),)
    # LeNet's second pooling (16 maps of 5×5, small enough to mark every window): np.argmax per 2×2 window.
    window = make_window("lenet")
    project = window.document.project
    a = np.asarray(forward(project.network, project.network_input()).layers[2].a).reshape(16, 10, 10)
    stepping = window.document.stepping
    stepping.start()
    while not stepping.plan.delta_visible(3):
        assert stepping.forward()
    expected = []
    for c in range(16):
        for r in range(5):
            for q in range(5):
                k = int(np.argmax(a[c, 2 * r:2 * r + 2, 2 * q:2 * q + 2]))  # row-major: the first maximum
                expected.append(MapPixel(3, c, 2 * r + k // 2, 2 * q + k % 2))
    tiles = {t.channel for t in window.scene.maps.geometry.maps[3].tiles}
    want = [box_rect(window, 3, p.channel, p.row, p.col, p.row, p.col) for p in expected if p.channel in tiles]
    assert len(want) == 25 * len(tiles) and sorted(overlay(window).state.marks) == sorted(want)


def test_arrow_keys_move_the_selected_pixel_within_its_map(make_window, qtbot):
    window = make_window("conv-4x4")
    window.scene.select_key(ItemKey("pixel", 1, 0, 1, channel=0))
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    assert window.scene.selected_key() == ItemKey("pixel", 1, 0, 2, channel=0)
    qtbot.keyClick(window.view, Qt.Key.Key_Right)  # the map's edge: it stays
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert window.scene.selected_key() == ItemKey("pixel", 1, 1, 2, channel=0)
    assert overlay(window).state.window == (box_rect(window, 0, 0, 1, 2, 2, 3),)  # its 2×2 window on the input


def test_clicking_a_map_columns_title_selects_its_layer_and_the_inspector_shows_its_kernel(make_window, qtbot):
    window = make_window("lenet")
    scene = window.scene
    column = scene.maps.columns[1]
    title = column.mapRectToScene(QRectF(*column.geometry.title)).center()
    assert scene.pixel_key_at(title) is None  # (the title, not a tile)
    click_scene_point(qtbot, window, title)
    run_queued_events()
    assert scene.selected_key() == ItemKey("layer", 1) and column.isSelected()
    inspector = window.inspector
    assert inspector.key == ItemKey("layer", 1) and inspector._kernels is not None
    titles = [label.text().replace("<b>", "").replace("</b>", "") for label in inspector.findChildren(QLabel)
              if label.isVisible()]
    assert "Layer 1" in titles
    scene.rebuild()  # (a step, an edit of another layer): the layer stays selected
    assert scene.selected_key() == ItemKey("layer", 1) and scene.maps.columns[1].isSelected()
    scene.select_key(ItemKey("layer", 3))  # selecting by key, as Insert and the context menu do
    assert scene.selected_key() == ItemKey("layer", 3) and scene.maps.columns[3].isSelected()
    tile = tile_in_scene(scene.maps.geometry, 1, 0)
    click_scene_point(qtbot, window, QPointF(tile.rect.x + 2.5 * tile.pixel, tile.rect.y + 3.5 * tile.pixel))
    assert scene.selected_key() == ItemKey("pixel", 1, 3, 2, channel=0)  # a tile still selects its pixel
    assert not scene.selectedItems()


def test_the_scale_under_every_map_column_is_legible_and_names_its_kind_at_every_step(make_window):
    """At the backward step "δ ±0.001" and its unit in two lines were fitted too small to draw at LeNet's Fit zoom:
    the scale under the column vanished and only the legend said δ."""
    window = make_window("lenet")
    zoom = window.view.zoom()
    stepping = window.document.stepping
    stepping.start()
    seen = set()
    while True:
        shown = shown_maps(window.document)
        for column in window.scene.maps.columns[1:]:
            values = shown[column.column]
            drawn = column.scale_canvas_text(zoom)
            if values is None:
                assert column.scale_text == ""
                continue
            seen.add(values.kind)
            assert column.scale_text.startswith(values.kind + " ±") and drawn.text.startswith(values.kind + " ±")
            assert style.legible(drawn.px, zoom)  # drawn at Fit, not dropped by the legibility rule
        if not stepping.forward():
            break
    assert seen == {"z", "a", "δ"}


def test_zoom_in_goes_on_until_the_inputs_numbers_show_then_is_greyed(make_window):
    """LeNet's input is 28×28 in a 64 px tile (2.3 per pixel): at 800 % a number was 8 px and never drawn, and
    Zoom + stayed enabled doing nothing. Zoom In now reaches the input's numbers and is disabled at the most zoom."""
    window = make_window("lenet")
    zoom_in, zoom_out, view = window.actions_by_name["zoom_in"], window.actions_by_name["zoom_out"], window.view
    key = ItemKey("pixel", 0, 14, 14, channel=0)
    window.scene.select_key(key)
    tile = tile_in_scene(window.scene.maps.geometry, 0, 0)
    presses = 0
    while zoom_in.isEnabled() and presses < 100:
        zoom_in.trigger()
        presses += 1
    assert not zoom_in.isEnabled() and zoom_out.isEnabled() and presses < 100
    zoom = view.zoom()
    assert zoom > 8.0 and style.legible(0.45 * tile.pixel, zoom)  # the input's numbers are drawn
    assert len(overlay(window).texts()) >= 28 * 28
    zoom_in.trigger()  # (greyed: a trigger does nothing either)
    assert view.zoom() == zoom
    zoom_out.trigger()
    assert zoom_in.isEnabled() and view.zoom() < zoom
