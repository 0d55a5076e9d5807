"""Where a network with maps stands on the canvas, worked out without Qt (issue 35: feature maps on the canvas).

Why a module of its own: layout.py places columns of neurons; a convolutional network's input and its
convolution and pooling layers are columns of *map tiles* instead (one tile per channel, one image item each),
followed by ordinary dense columns. Keeping this geometry apart, as plain data in and plain geometry out, lets
the legibility rule of issue 35 (LeNet shows every map of every layer at ≥ 24 px after Fit at 1280×800) be
checked without a scene, and gives the scene one answer for where a click on a map pixel lands:

    MapNetworkShape.of(network)                      what the geometry depends on: each column's maps and title,
                                                     then the dense sizes and biases
    map_layout(shape, measure, pages, room, view)    every column: tiles, title, pager and buttons of the map
                                                     columns; the dense tail as layout.py lays out dense columns
    fit_zoom(bounds, view, banner)                   the zoom the view's Fit gives this layout (view.fit's sums)
    pixel_at(layout, point), pixel_rect(layout, px)  which map pixel is under a scene point, and the inverse

Text is measured as in layout.py: the caller passes `measure(text, role)`; a map column's title is measured in
the role `MapRole.TITLE` (the scene's measure must know it: style.ROLE_FONTS gains MapRole.TITLE → TITLE_PX, bold).

Coordinates are scene units. As in layout.py a column's parts are in the column's own coordinates (x = 0 on its
axis, y = 0 at the middle of its tiles or neurons), and the column stands at its `position`. Columns are packed
left to right here (the document's saved positions are not read: map columns are not dragged yet).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from nnstudio.core.activations import get_activation
from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.network import Network
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape
from nnstudio.document.edits import COLUMN_SPACING
from nnstudio.ui.canvas.layout import (BODY_MARGIN, BUTTON_DX, BUTTON_DY, BUTTON_RADIUS, COLUMN_WIDTH, EXTENT_BELOW,
                                       MIN_PAGE, OUTPUT_GAP, PAGER_HALF_HEIGHT, ColumnLayout, FontRole, NetworkShape,
                                       Pager, Rect, column_layout, output_label_at, room_pages, shown_rows)

TILE = 64.0  # the long side of a map tile: 16 of them stacked fit LeNet's column at ≥ 24 px after Fit
TILE_GAP = 8.0  # between two tiles of a column
TITLE_GAP = 8.0  # from a title's bottom to the top of its column's box
MAX_SHOWN_MAPS = 16  # tiles a column shows at once when no view is given (LeNet's 16 all show)
MIN_TILE_PX = 24.0  # the least a tile's long side (TILE) may be on screen after Fit (issue 35)
MAP_GAP = 48.0  # between the boxes of two columns of maps: room for the lines joining channels
DENSE_GAP = 24.0  # between the extents of two dense columns without labels (their edges are painted in bulk)
LABEL_GAP = COLUMN_SPACING - 2 * COLUMN_WIDTH  # before a dense column with labels: its axis as far as layout.py's
PAGER_HEIGHT = 2 * PAGER_HALF_HEIGHT
# Below a column of maps: the room of its colour scale ("δ ±0.001"), a few px taller than a dense column's buttons
# so that the scale is drawn (≥ 9 px on screen) at the zoom Fit gives LeNet in the default window.
MAP_EXTENT_BELOW = EXTENT_BELOW + 6.0
SCALE_MARGIN = 4.0  # between the rooms of two columns' scales
# view.fit's sums, so the layout can choose its pages for the zoom Fit will give (view.py may import these)
FIT_MARGIN, FIT_RIGHT_ROOM, VIEW_INSET, MIN_ZOOM, MAX_FIT_ZOOM = 24.0, 24.0, 4.0, 0.05, 1.6


class MapRole(enum.Enum):
    """Texts this module measures beyond layout.FontRole's."""

    TITLE = "map title"  # a map column's title (the column titles' font: bold TITLE_PX)


Measure = Callable[[str, "FontRole | MapRole"], tuple[float, float]]  # as layout.Measure, with MapRole


class MapPixel(NamedTuple):
    """One pixel of one map: network column (0 the input), channel, row and column in the map."""

    column: int
    channel: int
    row: int
    col: int


@dataclass(frozen=True)
class Maps:
    """A column of maps: their shape (C, H, W) and the title over them."""

    shape: tuple[int, int, int]
    title: str


@dataclass(frozen=True)
class MapNetworkShape:
    """What the geometry depends on in a network with maps: the input's and every spatial layer's maps, then the
    dense layers after them (none when the network ends with maps)."""

    maps: tuple[Maps, ...]
    dense: tuple[int, ...] = ()  # neurons of each dense layer
    dense_bias: tuple[bool, ...] = ()

    @classmethod
    def of(cls, network: Network) -> MapNetworkShape:
        if network.input_shape is None:
            raise ValueError("a network without an input shape (channels, height, width) has no maps to lay out")
        maps = [Maps(network.input_shape, f"input\n{show_shape(network.input_shape)}")]
        dense = [layer for layer in network.layers if not is_spatial(layer)]
        for layer in network.layers[:len(network.layers) - len(dense)]:
            maps.append(Maps(layer.out_shape, map_title(layer)))  # type: ignore[attr-defined]
        return cls(tuple(maps), tuple(layer.n_out for layer in dense), tuple(layer.has_bias for layer in dense))

    @property
    def tail(self) -> NetworkShape | None:
        """The dense layers as layout.py sees a network: column 0 stands for the last maps flattened (never drawn
        as a column: its size tells layout.py whether the first dense layer's weights get labels or are painted
        in bulk, 400 inputs for LeNet, 1 for conv-4x4)."""
        if not self.dense:
            return None
        flat = math.prod(self.maps[-1].shape)
        return NetworkShape((flat, *self.dense), self.dense_bias, None, ((0.0, 0.0),) * (len(self.dense) + 1))


def map_title(layer: Conv2DLayer | Pool2DLayer) -> str:
    """Two short lines, so a title is about as wide as a tile: "conv 6×28×28" over "5×5 p2 · ReLU",
    "pool 6×14×14" over "max 2×2"."""
    shape = show_shape(layer.out_shape)
    if isinstance(layer, Conv2DLayer):
        steps = (f" /{layer.stride}" if layer.stride > 1 else "") + (f" p{layer.pad}" if layer.pad else "")
        return f"conv {shape}\n{layer.k}×{layer.k}{steps} · {get_activation(layer.activation).label}"
    return f"pool {shape}\n{layer.kind} {layer.size}×{layer.size}"


# ------------------------------------------------------------------ one column of maps


@dataclass(frozen=True)
class Tile:
    """The image of one channel, in its column's coordinates; `pixel` is the side of one map pixel."""

    channel: int
    rect: Rect
    pixel: float


@dataclass(frozen=True)
class MapColumnLayout:
    """Where the parts of one column of maps stand, in the column's coordinates (see the module's docstring)."""

    column: int
    position: tuple[float, float]
    shape: tuple[int, int, int]
    page: int  # tiles shown at once (all channels when they fit)
    tiles: tuple[Tile, ...]  # the channels shown, top to bottom
    pager: Pager | None  # "1–8 of 16 ▼" under the last tile when not all channels show
    title: Rect
    body: Rect  # the column's rounded box around its tiles (and pager)
    minus: tuple[float, float]  # the − and + buttons (a channel fewer or more), under the box as in layout.py
    plus: tuple[float, float]
    extent: Rect  # all the column draws: title, box and buttons


def tile_size(shape: tuple[int, int, int]) -> tuple[float, float, float]:
    """(width, height, pixel side) of a tile: TILE on the map's long side, square pixels, so the map's aspect is
    kept and a pixel's rect is the same in both directions."""
    _, height, width = shape
    pixel = TILE / max(height, width)
    return width * pixel, height * pixel, pixel


def map_column_layout(column: int, maps: Maps, measure: Measure, first: int = 0, page: int | None = None,
                      position: tuple[float, float] = (0.0, 0.0)) -> MapColumnLayout:
    """Column `column`: `page` tiles (default all, up to MAX_SHOWN_MAPS) from channel `first`, centred on y = 0
    with the pager, if any, where the next tile would be; the title above; the buttons below."""
    channels = maps.shape[0]
    page = min(channels, MAX_SHOWN_MAPS) if page is None else max(1, min(page, channels))
    rows = shown_rows(channels, first, page)
    w, h, pixel = tile_size(maps.shape)
    paged = len(rows) < channels
    tall = len(rows) * h + (len(rows) - 1) * TILE_GAP + (TILE_GAP + PAGER_HEIGHT if paged else 0.0)
    top = -tall / 2
    tiles = tuple(Tile(channel, Rect(-w / 2, top + i * (h + TILE_GAP), w, h), pixel) for i, channel in enumerate(rows))
    bottom = top + tall
    pager = None
    if paged:
        box_w = max(w, 2 * (BUTTON_DX + BUTTON_RADIUS))
        pager = Pager(bottom - PAGER_HALF_HEIGHT, f"{rows[0] + 1}–{rows[-1] + 1}\nof {channels} ▼",
                      Rect(-box_w / 2, bottom - PAGER_HEIGHT, box_w, PAGER_HEIGHT))
    body_w = max(w, pager.rect.w if pager else 0.0) + 2 * BODY_MARGIN
    body = Rect(-body_w / 2, top - BODY_MARGIN, body_w, tall + 2 * BODY_MARGIN)
    title_w, title_h = measure(maps.title, MapRole.TITLE)
    title_w = max(title_w, body_w)
    title = Rect(-title_w / 2, body.y - TITLE_GAP - title_h, title_w, title_h)
    half = max(title_w / 2, BUTTON_DX + BUTTON_RADIUS)
    return MapColumnLayout(
        column=column, position=position, shape=maps.shape, page=page, tiles=tiles, pager=pager, title=title,
        body=body, minus=(-BUTTON_DX, bottom + BUTTON_DY), plus=(BUTTON_DX, bottom + BUTTON_DY),
        extent=Rect(-half, title.y, 2 * half, bottom + MAP_EXTENT_BELOW - title.y))


# ------------------------------------------------------------------ the whole network


@dataclass(frozen=True)
class MapLayout:
    """Every column of a network with maps: the map columns (input first), then the dense ones.

    `dense[i]` is layout.py's ColumnLayout of network column len(maps) + i, laid out in `shape.tail` (where it is
    column i + 1): the scene reads `tail` for layout.py's helpers (drawn_in_bulk, shown_rows…) with column
    `column - offset`."""

    shape: MapNetworkShape
    maps: tuple[MapColumnLayout, ...]
    dense: tuple[ColumnLayout, ...]
    output: Rect | None  # the output text beside the last column, as wide and tall as its widest value
    bounds: Rect  # everything above, in scene coordinates: what Fit shows

    @property
    def offset(self) -> int:
        """Network column minus tail column for a dense column."""
        return len(self.maps) - 1

    def column(self, column: int) -> MapColumnLayout | ColumnLayout:
        return self.maps[column] if column < len(self.maps) else self.dense[column - len(self.maps)]


def in_scene(rect: Rect, position: tuple[float, float]) -> Rect:
    return Rect(rect.x + position[0], rect.y + position[1], rect.w, rect.h)


def union(rects: list[Rect]) -> Rect:
    left, top = min(r.x for r in rects), min(r.y for r in rects)
    return Rect(left, top, max(r.right for r in rects) - left, max(r.bottom for r in rects) - top)


def map_layout(shape: MapNetworkShape, measure: Measure, pages: Mapping[int, int] | None = None,
               room: float | None = None, view: tuple[float, float] | None = None, output_room: str = "",
               show_edge_labels: bool = True, banner: float = 0.0) -> MapLayout:
    """The whole network. `pages` maps a network column that pages to its first channel or neuron shown; `room`
    is layout.network_layout's (the height for a dense column at a legible zoom); `view` the viewport's (width,
    height) in pixels that Fit fills (with `banner` kept free at its top): given it, a map column that makes Fit
    shrink its tiles under MIN_TILE_PX shows fewer at once (`map_pages`); `output_room` is the widest output text.
    """
    pages = pages or {}
    sizes = [min(m.shape[0], MAX_SHOWN_MAPS) for m in shape.maps]
    built = _compose(shape, measure, pages, sizes, room, output_room, show_edge_labels)
    if view is None:
        return built
    return map_pages(shape, measure, pages, sizes, room, view, output_room, show_edge_labels, banner, built)


def map_pages(shape: MapNetworkShape, measure: Measure, pages: Mapping[int, int], sizes: list[int],
              room: float | None, view: tuple[float, float], output_room: str, show_edge_labels: bool,
              banner: float, built: MapLayout) -> MapLayout:
    """Fewer tiles at once, one at a time in the map column that reaches the top or bottom of the bounds (the
    tallest first), while Fit would draw a tile under MIN_TILE_PX and the height is what limits the zoom.
    Why not two sub-columns: the network is wide (LeNet: 8 columns) and the window's canvas about square, so the
    height has room to spare and a second sub-column would cost the width that limits the zoom."""
    while TILE * fit_zoom(built.bounds, view, banner) < MIN_TILE_PX and height_limits(built.bounds, view, banner):
        top, bottom = built.bounds.y, built.bounds.bottom
        reaching = [c for c in built.maps if sizes[c.column] > MIN_PAGE
                    and (c.extent.y + c.position[1] <= top + 1e-6 or c.extent.bottom + c.position[1] >= bottom - 1e-6)]
        if not reaching:
            break
        sizes[max(reaching, key=lambda c: c.extent.h).column] -= 1
        built = _compose(shape, measure, pages, sizes, room, output_room, show_edge_labels)
    return built


def _compose(shape: MapNetworkShape, measure: Measure, pages: Mapping[int, int], sizes: list[int],
             room: float | None, output_room: str, show_edge_labels: bool) -> MapLayout:
    """Map columns then dense columns, packed left to right on y = 0 (see `gap_before`)."""
    maps = [map_column_layout(c, m, measure, pages.get(c, 0), sizes[c]) for c, m in enumerate(shape.maps)]
    tail = shape.tail
    dense: list[ColumnLayout] = []
    if tail is not None:
        # Column 0 of the tail stands for the flattened maps; layout.py may page it too, which is never drawn.
        tail_pages = room_pages(tail, room, show_edge_labels)
        offset = len(maps) - 1
        dense = [column_layout(tail, c, pages.get(c + offset, 0), show_edge_labels, tail_pages[c])
                 for c in range(1, len(tail.sizes))]
        dense = [replace(col, column=col.column + offset) for col in dense]
    placed_maps: list[MapColumnLayout] = []
    placed_dense: list[ColumnLayout] = []
    x = 0.0
    previous: MapColumnLayout | ColumnLayout | None = None
    for col in [*maps, *dense]:
        if previous is not None:
            x += previous.extent.right + gap_before(col, previous) - col.extent.x
        if isinstance(col, MapColumnLayout):
            placed_maps.append(replace(col, position=(x, 0.0)))
        else:
            placed_dense.append(replace(col, position=(x, 0.0)))
        previous = col
    rects = [in_scene(c.extent, c.position) for c in [*placed_maps, *placed_dense]]
    output = _output(placed_maps[-1], placed_dense[-1] if placed_dense else None, output_room, measure)
    bounds = union(rects + ([output] if output else []))
    return MapLayout(shape, tuple(placed_maps), tuple(placed_dense), output, bounds)


def scale_room(geometry: MapLayout, index: int, gap: float) -> Rect:
    """The room of map column `index`'s colour scale, in its own coordinates: from `gap` under its box down to its
    extent's bottom, centred on it and as wide as half the way to each neighbouring column allows (its own extent
    at the network's left end). Why wider than the box: a 76 px box holds "δ ±0.001" only in a font too small to
    draw at LeNet's Fit zoom, and the room between the columns under their boxes is free."""
    col = geometry.maps[index]
    centres = [c.position[0] for c in geometry.maps] + [d.position[0] for d in geometry.dense]
    x = col.position[0]
    half = min([col.extent.w / 2] if index == 0 else [(x - centres[index - 1]) / 2 - SCALE_MARGIN])
    if index + 1 < len(centres):
        half = min(half, (centres[index + 1] - x) / 2 - SCALE_MARGIN)
    half = max(half, col.body.w / 2)
    top = col.body.bottom + gap
    return Rect(-half, top, 2 * half, col.extent.bottom - top)


def gap_before(col: MapColumnLayout | ColumnLayout, previous: MapColumnLayout | ColumnLayout) -> float:
    """Between the extents of a column and the one before it: a dense column that stacks its weights' labels left
    of its neurons gets their room (LABEL_GAP, so its axis stands as far as layout.py's COLUMN_SPACING); else
    MAP_GAP after a map column (the lines joining channels, or the edges into the first dense layer), DENSE_GAP
    between dense columns (their edges are painted in bulk and need no more)."""
    if isinstance(col, ColumnLayout) and col.stack:
        return LABEL_GAP
    return MAP_GAP if isinstance(previous, MapColumnLayout) else DENSE_GAP


def _output(last_maps: MapColumnLayout, last_dense: ColumnLayout | None, room: str, measure: Measure) -> Rect | None:
    """Where the output text stands: as layout.output_label_at beside the last dense column, or OUTPUT_GAP right
    of the last column of maps when the network ends with maps."""
    if not room:
        return None
    w, h = measure(room, FontRole.OUTPUT)
    if last_dense is not None:
        return Rect(*output_label_at(last_dense.position, room, room, measure), w, h)
    x, y = last_maps.position
    return Rect(x + last_maps.body.right + OUTPUT_GAP, y - h / 2, w, h)


# ------------------------------------------------------------------ Fit, and the pixel under a point


def fit_zoom(bounds: Rect, view: tuple[float, float], banner: float = 0.0) -> float:
    """The zoom view.fit gives `bounds` in a viewport `view` (px) with `banner` px kept at its top: the same sums
    (FIT_MARGIN around, FIT_RIGHT_ROOM more on the right for the output to grow, VIEW_INSET px of frame)."""
    width, height = _fit_room(view, banner)
    zoom = min(width / (bounds.w + 2 * FIT_MARGIN + FIT_RIGHT_ROOM), height / (bounds.h + 2 * FIT_MARGIN))
    return max(MIN_ZOOM, min(MAX_FIT_ZOOM, zoom))


def height_limits(bounds: Rect, view: tuple[float, float], banner: float = 0.0) -> bool:
    """Is it the height (not the width) that sets Fit's zoom? Only then do fewer tiles a page help."""
    width, height = _fit_room(view, banner)
    return height / (bounds.h + 2 * FIT_MARGIN) < width / (bounds.w + 2 * FIT_MARGIN + FIT_RIGHT_ROOM)


def _fit_room(view: tuple[float, float], banner: float) -> tuple[float, float]:
    return max(view[0] - VIEW_INSET, 1.0), max(view[1] - VIEW_INSET - banner, 1.0)


def tile_in_scene(layout: MapLayout, column: int, channel: int) -> Tile | None:
    """The tile of `channel` of map column `column`, in scene coordinates; None when its page is not shown."""
    if not 0 <= column < len(layout.maps):
        return None
    col = layout.maps[column]
    for tile in col.tiles:
        if tile.channel == channel:
            return Tile(channel, in_scene(tile.rect, col.position), tile.pixel)
    return None


def pixel_at(layout: MapLayout, point: tuple[float, float]) -> MapPixel | None:
    """The map pixel under scene point `point`, or None (between tiles, on a title, a dense column…). A pixel owns
    its top and left edges, not its bottom and right ones, so every point of a tile belongs to one pixel."""
    px, py = point
    for col in layout.maps:
        _, height, width = col.shape
        for tile in col.tiles:
            rect = in_scene(tile.rect, col.position)
            if rect.x <= px < rect.right and rect.y <= py < rect.bottom:
                return MapPixel(col.column, tile.channel, _index(py - rect.y, tile.pixel, height),
                                _index(px - rect.x, tile.pixel, width))
    return None


def _index(offset: float, pixel: float, count: int) -> int:
    """The pixel `offset` into a tile falls in. A hair (1e-9 of a pixel) of tolerance, so the left edge that
    `pixel_rect` gives (x + c·pixel, rounded) finds pixel c again, not c − 1; clamped, so the far edge stays in."""
    return max(0, min(math.floor(offset / pixel + 1e-9), count - 1))


def pixel_rect(layout: MapLayout, pixel: MapPixel) -> Rect | None:
    """The scene rect of `pixel` (the inverse of `pixel_at`): None when its channel's page is not shown or it lies
    outside its map."""
    tile = tile_in_scene(layout, pixel.column, pixel.channel)
    if tile is None:
        return None
    _, height, width = layout.maps[pixel.column].shape
    if not (0 <= pixel.row < height and 0 <= pixel.col < width):
        return None
    return Rect(tile.rect.x + pixel.col * tile.pixel, tile.rect.y + pixel.row * tile.pixel, tile.pixel, tile.pixel)
