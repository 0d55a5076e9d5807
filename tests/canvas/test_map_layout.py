"""The geometry of a network with maps, checked without a scene and without Qt (nnstudio/ui/canvas/map_layout.py).

Text is measured by a fake: 7 units a character of the widest line (9 in the legibility checks too: the bold
13 px title font measures about 8.8), 14 a line. The default window's canvas is 730×728 px (MainWindow at
1280×800 offscreen, `window.view.viewport().size()`), its phase banner takes 36 px at the top when shown.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.io import load_example
from nnstudio.ui.canvas import layout
from nnstudio.ui.canvas import map_layout as ml
from nnstudio.ui.canvas.layout import Rect
from nnstudio.ui.canvas.map_layout import MapNetworkShape, MapPixel

VIEW = (730.0, 728.0)  # the default window's canvas, in px
BANNER = 36.0
OUTPUT_ROOM = "→ 9 (p = 0.000)"  # readouts.output_room for ten output labels


def measure_at(per_char: float):
    def measure(text: str, role: object) -> tuple[float, float]:
        lines = text.split("\n")
        return per_char * max(len(line) for line in lines), 14.0 * len(lines)
    return measure


fake_measure = measure_at(7.0)


def network(architecture: str):
    ends_in_maps = not architecture.rsplit("-", 1)[-1].isdigit()  # then softmax cannot be its output
    return build_from_architecture(parse_architecture(architecture), output="identity" if ends_in_maps else "softmax",
                                   seed=0)


LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


def shape_of(example: str) -> MapNetworkShape:
    net = load_example(example).network if example == "conv-4x4" else network(example)
    return MapNetworkShape.of(net)


def intersects(a: Rect, b: Rect) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def contains(outer: Rect, inner: Rect) -> bool:
    return outer.x <= inner.x and outer.y <= inner.y and inner.right <= outer.right and inner.bottom <= outer.bottom


def moved(rect: Rect, position: tuple[float, float]) -> Rect:
    return Rect(rect.x + position[0], rect.y + position[1], rect.w, rect.h)


def test_lenets_columns_are_its_maps_then_its_dense_layers_with_short_titles():
    shape = shape_of(LENET)
    assert [m.shape for m in shape.maps] == [(1, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
    assert [m.title for m in shape.maps] == [
        "input\n1×28×28", "conv 6×28×28\n5×5 p2 · ReLU", "pool 6×14×14\nmax 2×2", "conv 16×10×10\n5×5 · ReLU",
        "pool 16×5×5\nmax 2×2"]
    assert shape.dense == (120, 84, 10) and shape.dense_bias == (True, True, True)
    assert shape.tail.sizes == (400, 120, 84, 10)  # column 0 stands for the 16×5×5 maps flattened
    with pytest.raises(ValueError, match="without an input shape"):
        MapNetworkShape.of(network("2-3-1"))


@pytest.mark.parametrize("example", [LENET, "conv-4x4"])
@pytest.mark.parametrize("banner", [0.0, BANNER])
@pytest.mark.parametrize("per_char", [7.0, 9.0])
def test_after_fit_at_the_default_window_every_map_shows_at_24_px_or_more(example, banner, per_char):
    shape = shape_of(example)
    geometry = ml.map_layout(shape, measure_at(per_char), view=VIEW, output_room=OUTPUT_ROOM, banner=banner)
    zoom = ml.fit_zoom(geometry.bounds, VIEW, banner)
    # Every channel of every layer has its tile (no page hides one), and the shorter side of every tile is ≥ 24 px.
    assert [len(c.tiles) for c in geometry.maps] == [m.shape[0] for m in shape.maps]
    assert all(c.pager is None for c in geometry.maps)
    assert min(min(t.rect.w, t.rect.h) for c in geometry.maps for t in c.tiles) * zoom >= ml.MIN_TILE_PX
    # Fit's sums by hand: 726 px wide for the bounds, 24 on each side and 24 more on the right
    expected = min(726 / (geometry.bounds.w + 72), (724 - banner) / (geometry.bounds.h + 48), 1.6)
    assert zoom == pytest.approx(expected)


def test_lenet_fits_by_its_width_with_height_to_spare():
    """Why one column of 16 tiles rather than two sub-columns of 8: the width sets Fit's zoom (8 columns side by
    side in a near-square canvas), so a second sub-column would shrink every tile."""
    geometry = ml.map_layout(shape_of(LENET), fake_measure, view=VIEW, output_room=OUTPUT_ROOM)
    assert not ml.height_limits(geometry.bounds, VIEW)
    assert ml.TILE * ml.fit_zoom(geometry.bounds, VIEW) == pytest.approx(64 * 726 / (geometry.bounds.w + 72))
    assert ml.TILE * ml.fit_zoom(geometry.bounds, VIEW) > 33  # 16 of 64 + 15 gaps of 8: 1144 tall


@pytest.mark.parametrize("example", [LENET, "conv-4x4", "3x32x32-c20k3-m2-c8k3-10", "1x8x8-c4k3"])
def test_nothing_overlaps(example):
    geometry = ml.map_layout(shape_of(example), fake_measure, view=VIEW, output_room=OUTPUT_ROOM)
    extents = [moved(c.extent, c.position) for c in (*geometry.maps, *geometry.dense)]
    for a, b in itertools.combinations(extents, 2):
        assert not intersects(a, b)
    assert [e.x for e in extents] == sorted(e.x for e in extents)  # left to right, in network order
    for c in geometry.maps:
        parts = [t.rect for t in c.tiles] + [c.title] + ([c.pager.rect] if c.pager else [])
        for a, b in itertools.combinations(parts, 2):
            assert not intersects(a, b)
        assert all(contains(c.extent, part) for part in parts + [c.body])
        assert all(contains(c.body, part) for part in parts if part is not c.title)
        assert c.title.bottom <= c.body.y  # above its tiles
        assert c.title.w >= fake_measure(geometry.shape.maps[c.column].title, ml.MapRole.TITLE)[0]
        assert max(c.minus[1], c.plus[1]) + layout.BUTTON_RADIUS <= c.extent.bottom and c.minus[1] > c.body.bottom
    for rect in extents + ([geometry.output] if geometry.output else []):
        assert contains(geometry.bounds, rect)
    if geometry.output:  # beside the last column's box, below its title (a dense extent's corners are empty)
        last = geometry.column(len(geometry.maps) + len(geometry.dense) - 1)
        drawn = [moved(c.extent, c.position) for c in geometry.maps[:-1]] + [
            moved(part, last.position) for part in (last.body, getattr(last, "header", last.title))]
        assert not any(intersects(geometry.output, e) for e in drawn)


def test_a_tile_keeps_its_maps_aspect_with_square_pixels():
    shape = MapNetworkShape((ml.Maps((2, 10, 20), "wide"), ml.Maps((3, 20, 10), "tall")))
    wide, tall = ml.map_layout(shape, fake_measure).maps
    assert wide.tiles[0].rect == Rect(-32.0, -16.0 - 4.0 - 16.0, 64.0, 32.0)  # 2 tiles of 32 + a gap, centred
    assert wide.tiles[1].rect.y == 4.0 and wide.tiles[0].pixel == 3.2
    assert (tall.tiles[0].rect.w, tall.tiles[0].rect.h, tall.tiles[0].pixel) == (32.0, 64.0, 3.2)
    assert tall.body == Rect(-22.0, -(3 * 64 + 2 * 8) / 2 - 6, 44.0, 3 * 64 + 2 * 8 + 12)  # BODY_MARGIN 6
    assert tall.title == Rect(-22.0, tall.body.y - 8 - 14, 44.0, 14.0)  # as wide as the box: "tall" is 28
    # Below the tiles: the buttons' room (34) and 6 more for the colour scale (map_layout.MAP_EXTENT_BELOW).
    assert tall.extent == Rect(-24.0, tall.title.y, 48.0, tall.body.bottom - 6 + 34 + 6 - tall.title.y)


def test_a_short_view_pages_the_tallest_map_columns_until_the_tiles_are_legible():
    """The Training dock open leaves a canvas ~420 px tall: LeNet's two 16-channel columns show fewer at once."""
    short = (730.0, 420.0)
    shape = shape_of(LENET)
    geometry = ml.map_layout(shape, fake_measure, view=short, output_room=OUTPUT_ROOM)
    assert ml.TILE * ml.fit_zoom(geometry.bounds, short) >= ml.MIN_TILE_PX
    pages = [c.page for c in geometry.maps]
    assert pages[:3] == [1, 6, 6] and pages[3] == pages[4] < 16  # only the tallest columns page
    # The height sets the zoom, and one tile more a page (64 + a gap of 8 taller) would be too small: the pages
    # are as large as the rule allows.
    assert ml.height_limits(geometry.bounds, short)
    assert ml.TILE * (420 - 4) / (geometry.bounds.h + 72 + 48) < ml.MIN_TILE_PX
    column = geometry.maps[3]
    assert column.pager.text == f"1–{pages[3]}\nof 16 ▼"
    assert column.pager.rect.y >= column.tiles[-1].rect.bottom + ml.TILE_GAP  # where the next tile would be
    # The pager turns as a dense column's does (layout.turn_page / shown_rows): the last page ends on channel 16.
    first = layout.turn_page(16, 0, 1, pages[3])
    turned = ml.map_layout(shape, fake_measure, pages={3: first}, view=short, output_room=OUTPUT_ROOM).maps[3]
    assert [t.channel for t in turned.tiles] == layout.shown_rows(16, first, pages[3])
    assert turned.tiles[-1].channel == 15


def test_the_dense_tail_is_laid_out_by_layout_py():
    shape = shape_of(LENET)
    geometry = ml.map_layout(shape, fake_measure, room=500.0)
    tail_pages = layout.room_pages(shape.tail, 500.0)
    for i, col in enumerate(geometry.dense):
        assert geometry.column(5 + i) is col and col.column == 5 + i == geometry.offset + i + 1
        assert col == replace(layout.column_layout(shape.tail, i + 1, 0, True, tail_pages[i + 1]),
                              column=5 + i, position=col.position)
    assert [c.page for c in geometry.dense] == tail_pages[1:] and all(c.stack == 0 for c in geometry.dense)
    # columns stand on one line; the bulk-painted dense columns DENSE_GAP apart, the first MAP_GAP after the maps
    assert {c.position[1] for c in (*geometry.maps, *geometry.dense)} == {0.0}
    first, second = geometry.dense[:2]
    assert second.position[0] + second.extent.x - (first.position[0] + first.extent.right) == ml.DENSE_GAP
    last_maps = geometry.maps[-1]
    assert first.position[0] + first.extent.x - (last_maps.position[0] + last_maps.extent.right) == ml.MAP_GAP
    # the output text beside the last column, as layout.output_label_at places it
    with_output = ml.map_layout(shape, fake_measure, output_room=OUTPUT_ROOM)
    last = with_output.dense[-1]
    assert with_output.output == Rect(last.position[0] + 39 + 20, -7.0, 7.0 * len(OUTPUT_ROOM), 14.0)


def test_a_labelled_dense_column_keeps_layout_pys_room_for_its_labels():
    geometry = ml.map_layout(shape_of("conv-4x4"), fake_measure)
    (dense,) = geometry.dense
    assert dense.stack == 2  # one input and the bias, stacked left of the neuron
    gap = dense.position[0] + dense.extent.x - (geometry.maps[-1].position[0] + geometry.maps[-1].extent.right)
    assert gap == ml.LABEL_GAP == 260 - 2 * 78


def test_a_network_ending_with_maps_has_no_dense_column_and_its_output_beside_the_maps():
    geometry = ml.map_layout(shape_of("1x8x8-c4k3"), fake_measure, output_room="z")
    assert geometry.dense == () and geometry.shape.tail is None
    last = geometry.maps[-1]
    assert geometry.output == Rect(last.position[0] + last.body.right + 20, -7.0, 7.0, 14.0)


def test_the_pixel_under_a_point_and_the_rect_of_a_pixel_agree_both_ways():
    geometry = ml.map_layout(shape_of(LENET), fake_measure, view=VIEW)
    # By hand: the input stands at x = 0, its one 28×28 tile 64 a side centred on (0, 0).
    assert ml.pixel_rect(geometry, MapPixel(0, 0, 0, 0)) == Rect(-32.0, -32.0, 64 / 28, 64 / 28)
    assert ml.pixel_at(geometry, (-32.0, -32.0)) == MapPixel(0, 0, 0, 0)  # a pixel owns its top-left corner
    assert ml.pixel_at(geometry, (-32.0 + 64 / 28, -32.0)) == MapPixel(0, 0, 0, 1)  # …not its right edge
    assert ml.pixel_at(geometry, (31.999, 31.999)) == MapPixel(0, 0, 27, 27)
    assert ml.pixel_at(geometry, (32.0, 0.0)) is None  # right of the tile
    for col in geometry.maps:
        channels, height, width = col.shape
        for channel in (0, channels - 1):
            for row, c in {(0, 0), (height - 1, width - 1), (height // 2, width // 3)}:
                pixel = MapPixel(col.column, channel, row, c)
                rect = ml.pixel_rect(geometry, pixel)
                assert rect.w == rect.h == ml.TILE / max(height, width)
                assert ml.pixel_at(geometry, (rect.x + rect.w / 2, rect.y + rect.h / 2)) == pixel
                assert ml.pixel_at(geometry, (rect.x, rect.y)) == pixel
        # between two tiles, on the title, on a dense column: no pixel
        if len(col.tiles) > 1:
            gap_y = col.tiles[0].rect.bottom + ml.TILE_GAP / 2
            assert ml.pixel_at(geometry, (col.position[0], gap_y)) is None
        title = moved(col.title, col.position)
        assert ml.pixel_at(geometry, (title.x + title.w / 2, title.y + title.h / 2)) is None
    assert ml.pixel_at(geometry, geometry.dense[0].position) is None
    assert ml.pixel_rect(geometry, MapPixel(1, 0, 28, 0)) is None  # outside the 28×28 map
    assert ml.pixel_rect(geometry, MapPixel(5, 0, 0, 0)) is None  # a dense column has no maps


def test_a_channel_on_another_page_has_no_rect_until_its_page_is_shown():
    shape = shape_of(LENET)
    geometry = ml.map_layout(shape, fake_measure, view=(730.0, 420.0))
    page = geometry.maps[3].page
    hidden = MapPixel(3, 15, 2, 3)
    assert ml.pixel_rect(geometry, hidden) is None
    turned = ml.map_layout(shape, fake_measure, pages={3: layout.page_start(16, 15, page)}, view=(730.0, 420.0))
    rect = ml.pixel_rect(turned, hidden)
    assert rect is not None and ml.pixel_at(turned, (rect.x + 0.1, rect.y + 0.1)) == hidden
    tile = ml.tile_in_scene(turned, 3, 15)
    assert (rect.x, rect.y) == (tile.rect.x + 3 * 6.4, tile.rect.y + 2 * 6.4)  # 10×10 maps: 6.4 a pixel
