"""The canvas draws a network with maps (issue 35, point 1): each channel of the input and of every convolution and
pooling is ONE image item whose pixels are the map's values in the canvas's colours, the dense tail keeps its
items, and the maps follow the document. The window still refuses such networks (test_conv_refused.py): these tests
build the scene around a Document made directly.

conv-4x4 is docs/conv-worked-example.md's network: x below, one 2×2 kernel [[1, 0], [−1, 2]] with bias 0.5 and
ReLU, so a = [[3.5, 7.5, 0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]], and a 2×2 max pool that keeps 7.5.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QTransform

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.network import Network
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import as_maps
from nnstudio.document import Document
from nnstudio.io import load_example
from nnstudio.ui import images
from nnstudio.ui.canvas import layout, style
from nnstudio.ui.canvas.layer_item import LayerItem
from nnstudio.ui.canvas.map_columns import MapColumnItem
from nnstudio.ui.canvas.map_layout import MIN_TILE_PX, MapLayout
from nnstudio.ui.canvas.map_tile_item import MapTileItem
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.selection import ItemKey

X = [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]]
A = [[3.5, 7.5, 0.0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]
LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


def tiles(scene: NetworkScene) -> dict[tuple[int, int], MapTileItem]:
    return {(t.column, t.channel): t for t in scene.items() if isinstance(t, MapTileItem)}


def pixels(tile: MapTileItem) -> np.ndarray:
    """The tile's image as RGB bytes (rows, cols, 3), row 0 at the top: what it paints, one pixel a map pixel."""
    image = tile.image
    return np.array([[image.pixelColor(c, r).getRgb()[:3] for c in range(image.width())]
                     for r in range(image.height())], dtype=np.uint8)


def lenet_document() -> Document:
    network = build_from_architecture(parse_architecture(LENET), seed=0)
    digit = np.asarray(load_example("mnist-mlp").input, dtype=float)  # a 7, values 0…1
    return Document(Project(network=network, input=digit, target=np.eye(10)[7], loss="cce"))


@pytest.fixture
def conv(qtbot):
    document = Document(load_example("conv-4x4"))
    return document, NetworkScene(document)


def test_conv_4x4_draws_one_image_per_channel_with_the_worked_example_values(conv):
    _, scene = conv
    shown = tiles(scene)
    assert sorted(shown) == [(0, 0), (1, 0), (2, 0)]  # input, conv and pool: one channel each
    assert isinstance(scene.geometry, MapLayout)
    assert len(shown) == sum(len(column.tiles) for column in scene.geometry.maps)
    conv_tile = shown[(1, 0)]
    assert (conv_tile.image.width(), conv_tile.image.height()) == (3, 3)  # one image pixel a map pixel
    # The colours the canvas gives the worked example's a on its layer's scale (the largest |a|, 7.5), row-major.
    expected = images.map_pixels(np.array(A), 7.5)
    assert np.array_equal(pixels(conv_tile), expected)
    got = pixels(conv_tile)
    assert tuple(got[0, 2]) == tuple(images.ZERO_RGB)  # a[0, 2] = 0 (ReLU of −0.5): grey, at row 0 column 2 …
    assert tuple(got[2, 0]) != tuple(images.ZERO_RGB)  # … not transposed to row 2 column 0 (1.5)
    assert got[0, 1, 2] > got[0, 1, 0] and tuple(got[0, 1]) == tuple(got[1, 2])  # the two 7.5s: full blue
    assert np.array_equal(pixels(shown[(2, 0)]), images.map_pixels(np.array([[7.5]]), 7.5))  # the pooled 7.5
    assert np.array_equal(pixels(shown[(0, 0)]), images.map_pixels(np.array(X, float), 3.0))  # x beyond 0…1
    # Nothing per pixel: three image items, and the dense output neuron as before.
    assert ItemKey("neuron", 3, 0) in scene.items_by_key
    assert [b.column for b in scene.bulk_edges] == [3]  # its one weight, from the pooled pixel


def test_typing_an_input_repaints_the_maps_with_the_new_values(conv):
    document, scene = conv
    document.set_input(0, "9")  # x[0, 0]: z[0, 0] = 1·9 + 0·2 − 1·0 + 2·1 + 0.5 = 11.5, the new largest
    shown = tiles(scene)
    new_a = [[11.5, 7.5, 0.0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]
    assert np.array_equal(pixels(shown[(1, 0)]), images.map_pixels(np.array(new_a), 11.5))
    assert np.array_equal(pixels(shown[(2, 0)]), images.map_pixels(np.array([[11.5]]), 11.5))
    column = next(i for i in scene.items() if isinstance(i, MapColumnItem) and i.column == 1)
    assert column.scale_text == "a ±11.5"
    assert "1 conv a ±11.5" in scene.maps.legend.text


def test_a_new_kernel_repaints_the_maps(conv):
    document, scene = conv
    project = document.project
    layer = project.network.layers[0]
    flipped = layer.with_parameters(-np.asarray(layer.kernel), np.asarray(layer.bias))  # z → −z + 1 … all ≤ 0.5
    network = Network(project.network.input_size, (flipped, *project.network.layers[1:]), project.network.input_shape)
    document.apply(dataclasses.replace(project, network=network), "Flip the kernel", "values")
    # z = −(z without bias − 0.5 … ) : by hand, z' = −(z − 0.5) + 0.5 = 1 − z, so a' = ReLU(1 − z)
    z = np.array([[3.5, 7.5, -0.5], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]])
    a = np.maximum(1.0 - z, 0.0)  # only z[0, 2] = −0.5 gives 1.5; 0.5 gives 0.5
    assert np.array_equal(pixels(tiles(scene)[(1, 0)]), images.map_pixels(a, 1.5))


def test_lenet_draws_every_channel_of_every_layer_and_its_dense_tail(qtbot):
    document = lenet_document()
    scene = NetworkScene(document)
    shown = tiles(scene)
    channels = [1, 6, 6, 16, 16]
    assert len(shown) == sum(channels) == 45
    assert sorted(shown) == [(c, k) for c, n in enumerate(channels) for k in range(n)]
    sizes = {0: 28, 1: 28, 2: 14, 3: 10, 4: 5}
    assert all((t.image.width(), t.image.height()) == (sizes[c], sizes[c]) for (c, _), t in shown.items())
    trace = document.shown_trace
    shapes = [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
    for column, shape in enumerate(shapes, start=1):
        maps = as_maps(trace.layers[column - 1].a, shape)
        scale = float(np.max(np.abs(maps)))
        expected = images.map_pixels(maps, scale)
        for channel in range(shape[0]):
            assert np.array_equal(pixels(shown[(column, channel)]), expected[channel]), (column, channel)
    digit = np.asarray(document.project.input).reshape(28, 28)
    ink = images.ink_image(digit, (28, 28))
    assert shown[(0, 0)].image == ink  # the digit drawn as a dense network's image input is
    # The dense tail: columns 5–7 are LayerItems (120 paged, 84, 10), the edges into 5 start on the pooled maps.
    assert sorted(item.column for item in scene.items() if isinstance(item, LayerItem)) == [5, 6, 7]
    assert {b.column for b in scene.bulk_edges} == {5, 6, 7}
    assert ItemKey("neuron", 7, 9) in scene.items_by_key
    assert scene.output_summary()


def test_a_short_view_pages_a_map_column_and_its_pager_turns_it(qtbot):
    scene = NetworkScene(lenet_document())
    scene.set_room(None, (730.0, 420.0), 0.0)  # a dock below: LeNet's 16-channel columns cannot show whole
    geometry = scene.geometry
    paged = [c for c in geometry.maps if c.pager is not None]
    assert paged, "a short view pages the tallest map columns"
    column = paged[0]
    first = sorted(k for (c, k) in tiles(scene) if c == column.column)
    assert first == list(range(column.page))
    scene.page(column.column, +1)
    second = sorted(k for (c, k) in tiles(scene) if c == column.column)
    assert second == layout.shown_rows(16, column.page, column.page) != first  # the next channels, clamped to 16


def test_at_the_windows_canvas_size_fit_shows_every_map_at_24_px_with_legible_titles(qtbot):
    """The canvas of the 1280×800 window (593×728 px with the Inspector as wide as LeNet's shape line): every tile
    is ≥ 24 px a side on screen, every title is drawn at ≥ 9 px, and no title meets a tile or another title."""
    scene = NetworkScene(lenet_document())
    view = NetworkView(scene)
    qtbot.addWidget(view)
    view.resize(593 + 2 * view.frameWidth(), 728 + 2 * view.frameWidth())
    view.show()
    qtbot.waitExposed(view)
    view.fit()
    zoom = view.zoom()
    shown = tiles(scene)
    assert len(shown) == 45
    for tile in shown.values():
        rect = view.mapFromScene(tile.mapRectToScene(QRectF(0, 0, *tile.size))).boundingRect()
        assert min(rect.width(), rect.height()) >= MIN_TILE_PX - 1
    boxes = []
    for column in (i for i in scene.items() if isinstance(i, MapColumnItem)):
        title = column.texts(zoom)[0]
        assert title.px * zoom >= style.MIN_TEXT_PX  # drawn, not dropped by the legibility rule
        boxes.append(column.mapRectToScene(title.rect))
    for a in boxes:
        assert sum(a.intersects(b) for b in boxes) == 1  # itself only
        assert not any(a.intersects(t.sceneBoundingRect()) for t in shown.values())
    legend = scene.maps.legend
    assert legend.px * zoom >= style.MIN_TEXT_PX


def test_the_status_bars_zoom_follows_every_zoom_change_including_code_setting_the_transform(make_window):
    window = make_window("lenet")
    assert window.zoom_status.text() == f"{window.view.zoom() * 100:.0f} %"  # Fit's zoom, told at the start
    window.view.setTransform(QTransform.fromScale(2.0, 2.0))  # (a script, a lesson: not the wheel)
    assert window.zoom_status.text() == "200 %"
    window.view.resetTransform()
    assert window.zoom_status.text() == "100 %"
    window.view.zoom_out()
    assert window.zoom_status.text() == f"{window.view.zoom() * 100:.0f} %" != "100 %"


def test_at_fit_lenets_dense_columns_say_which_is_which_and_unreadable_buttons_are_not_drawn(make_window):
    """LeNet fits at ~40 %: the dense columns' 13 px titles were not drawn and their − / + buttons were blank 8 px
    circles, the pager an invisible click area. Now each dense column's size is its title, fitted to the header's
    room and legible at Fit; the buttons and pager are hidden there and come back where they read (100 %)."""
    from nnstudio.ui.canvas.layer_item import ButtonItem, PagerItem

    window = make_window("lenet")
    scene, view = window.scene, window.view
    zoom = view.zoom()
    assert zoom < style.TITLE_PX and not style.legible(style.TITLE_PX, zoom)
    dense = [item for item in scene.layers if item.column >= len(scene.maps.geometry.maps)]
    drawn = [[t.text for t in item.texts(zoom) if style.legible(t.px, zoom)] for item in dense]
    assert drawn == [["120"], ["84"], ["10 out"]]
    buttons = [item for item in scene.items() if isinstance(item, ButtonItem)]
    assert any(isinstance(b, PagerItem) for b in buttons) and len(buttons) >= 6
    assert not any(b.isVisible() for b in buttons)
    view.set_zoom(1.0)
    assert all(b.isVisible() for b in buttons)
    assert [t.text for t in dense[0].texts(1.0)][:2] == ["Layer 5", "120 · ReLU"]
