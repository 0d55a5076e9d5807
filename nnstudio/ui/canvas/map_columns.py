"""The columns of maps of a convolutional network on the canvas (issue 35, point 1): the input's maps and every
convolution's and pooling's output maps, each channel one image (map_tile_item.py), under a two-line title, paged
when a column has more channels than fit; a legend below the network names the colour scale.

Where everything stands is map_layout.py's answer (Qt-free); this module makes the items and paints the tiles from
what each column shows (map_values.shown_maps: a, or while stepping blank, z, a or δ). Colours are
the canvas's (images.map_pixels: blue positive, orange negative, exactly 0 grey), on a scale per layer (the largest
|value| of the layer, all channels, so turning a page keeps the colours), per map or for the whole network (View →
Map Colours; map_colours.py), written under each column with what it shows ("a ±2.36", "δ ±1e−3"). The overlay
over the tiles (map_overlay.py) is made here too; it knows the selected pixel. An input of values in 0…1 (an image
such as a digit) is drawn as the image input of a dense network is, ink on white.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.core.network import Network
from nnstudio.ui import format as fmt
from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layer_item import PagerItem
from nnstudio.ui.canvas.layout import Rect
from nnstudio.ui.canvas.map_colours import (
    COLOUR_SCALES,
    channel_scales,
    legend_head,
    scale_labels,
    scale_tooltip,
)
from nnstudio.ui.canvas.map_layout import (
    MapColumnLayout,
    MapLayout,
    MapNetworkShape,
    MapPixel,
    map_layout,
    pixel_at,
    pixel_rect,
    scale_room,
)
from nnstudio.ui.canvas.map_overlay import MapOverlayItem, unit_of, unit_text
from nnstudio.ui.canvas.map_tile_item import MapTileItem
from nnstudio.ui.canvas.map_values import ColumnValues
from nnstudio.ui.canvas.texts import (
    CanvasText,
    TextBlockItem,
    fitted_px,
    measure,
    paint_texts,
)
from nnstudio.ui.compat import override
from nnstudio.ui.images import ink_image, map_pixels, rgb_image
from nnstudio.ui.selection import ItemKey

SCALE_GAP = 1.0  # from a column's box to the scale written under it (where a dense column has its buttons)
LEGEND_GAP = 16.0  # from the network's bottom to the legend
_WIDEST_SCALE = "δ ±0.000e-00"


def legend_text(titles: list[str], scales: list[str], mode: str = "layer") -> str:
    """The legend: what the colours mean and which scale they use (`mode`, map_colours.py), then each map column's
    scale in order ("input x ink 0…1 · 1 conv a ±7.5 · 2 pool a ±7.5"), numbered as the layers are (the dense
    columns' titles say "Layer 5")."""
    names = [f"{c} {title.split()[0]}" if c else title.split()[0] for c, title in enumerate(titles)]
    return legend_head(mode) + "\n" + " · ".join(f"{name} {scale}" for name, scale in zip(names, scales))


class MapColumnItem(QGraphicsItem):
    """One column of maps: its rounded box, its title, the pager's text and the colour scale under the box. Its
    children are the tiles (one image item each) and the pager's click target. A click on the box outside the tiles
    (its title) selects the layer, as a dense column's does: the Inspector shows it, a convolution's kernels too."""

    def __init__(self, geometry: MapColumnLayout, title: str, scale_room: Rect) -> None:
        super().__init__()
        self.key = ItemKey("layer", geometry.column)
        self.scale_room = scale_room  # (map_layout.scale_room: wider than the box, between the neighbours)
        self.column = geometry.column
        self.geometry = geometry
        self.title = title
        self.scale_text = ""  # "a ±7.5": what the column shows and the value at full colour (MapColumns.paint)
        self.short_scale = ""  # the same, shorter, for a zoom at which scale_text is too small to read
        self.unit_note = ""  # "numbers ×1e−4": the unit the numbers over a selected map are printed in
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(1)

    def scale_rect(self) -> Rect:
        """Under the box, down to the column's extent (the room a dense column gives its + and − buttons), as wide
        as the room between its neighbours."""
        return self.scale_room

    def texts(self, lod: float = 1.0) -> list[CanvasText]:
        """What paint draws at zoom `lod` (and legibility tests read): the title, in full where its font is legible,
        else its first word ("conv", "pool", "input") fitted to the title's room (the rest is in the tooltip); the
        pager's "1–8 of 16 ▼"; the colour scale fitted to the room under the box."""
        g = self.geometry
        if style.legible(style.TITLE_PX, lod):
            out = [CanvasText(self.title, QRectF(*g.title), style.TITLE_PX, bold=True)]
        else:
            short = self.title.split()[0]
            out = [CanvasText(short, QRectF(*g.title), fitted_px(short, g.title, bold=True, most=3 * style.TITLE_PX),
                              bold=True)]
        if g.pager is not None:
            out.append(CanvasText(g.pager.text, QRectF(*g.pager.rect), style.SUBTITLE_PX, bold=True, colour=style.MUTED))
        if self.scale_text:
            out.append(self.scale_canvas_text(lod))
        return out

    def scale_canvas_text(self, lod: float) -> CanvasText:
        """The scale under the box, fitted to its room: with the numbers' unit on a second line where that is
        legible at zoom `lod`, else the scale alone, else its short form. Why: at the backward step "δ ±0.001" and
        "numbers ×1e−4" in two lines were fitted so small that the scale vanished at LeNet's Fit zoom."""
        room = self.scale_rect()
        candidates = [self.scale_text + "\n" + self.unit_note] if self.unit_note else []
        candidates += [self.scale_text, self.short_scale or self.scale_text]
        # A quiet note, not a heading: SUBTITLE_PX and a half, or as large as it must be to be drawn at this zoom.
        most = max(1.5 * style.SUBTITLE_PX, style.MIN_TEXT_PX / max(lod, 1e-9))
        for text in candidates:
            px = fitted_px(text, room, most=most)
            if style.legible(px, lod):
                break
        return CanvasText(text, QRectF(*room), px, colour=style.MUTED)

    def set_scale_text(self, text: str, short: str = "", unit: str = "") -> None:
        if (text, short, unit) != (self.scale_text, self.short_scale, self.unit_note):
            self.scale_text, self.short_scale, self.unit_note = text, short, unit
            self.update()

    @override
    def boundingRect(self) -> QRectF:
        return QRectF(*self.geometry.extent).united(QRectF(*self.scale_room))

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        painter.setPen(QPen(style.SELECTED if selected else QColor("#cbd5e1"), 2.4 if selected else 1.0))
        painter.setBrush(QColor("#eef2f7"))
        painter.drawRoundedRect(QRectF(*self.geometry.body), 10, 10)
        paint_texts(painter, option, self.texts(option.levelOfDetailFromTransform(painter.worldTransform())))


class MapColumns:
    """Builds the map columns of a network into a scene and paints their tiles from a forward trace."""

    def __init__(self) -> None:
        self.geometry: MapLayout | None = None  # None: the network on the canvas has no maps
        self.columns: list[MapColumnItem] = []
        self.tiles: list[MapTileItem] = []
        self.legend: TextBlockItem | None = None
        self.overlay: MapOverlayItem | None = None  # the selected pixel, its field, marks and numbers (map_overlay.py)
        self.colour_scale = "layer"  # the colours' full value: per "layer", per "map" or the "network" (View menu)
        self.scales: list[np.ndarray | None] = []  # per column and channel, the |value| drawn at full colour
        self.shown: list[ColumnValues | None] = []  # what the tiles were last painted from (the overlay reads it)
        self.pagers: list[PagerItem] = []  # shown where legible at the view's zoom, as the scene's buttons are

    @staticmethod
    def layout(network: Network, pages: dict[int, int], room: float | None, view: tuple[float, float] | None,
               banner: float, output_room: str, show_edge_labels: bool) -> MapLayout:
        return map_layout(MapNetworkShape.of(network), measure, pages, room, view=view, output_room=output_room,
                          show_edge_labels=show_edge_labels, banner=banner)

    def build(self, geometry: MapLayout, add: Callable[[QGraphicsItem], None], page: Callable[[int, int], None],
              keyed: dict[ItemKey, QGraphicsItem]) -> None:
        """Items for every map column of `geometry` (added by `add`, each column under its layer key in `keyed`, so
        selecting a layer finds it); `page(column, step)` turns a column's page."""
        self.geometry, self.columns, self.tiles, self.pagers = geometry, [], [], []
        for index, (col, maps) in enumerate(zip(geometry.maps, geometry.shape.maps)):
            item = MapColumnItem(col, maps.title, scale_room(geometry, index, SCALE_GAP))
            item.setPos(*col.position)
            item.setToolTip(maps.title.replace("\n", " · "))
            add(item)
            keyed[item.key] = item
            self.columns.append(item)
            for tile in col.tiles:
                self.tiles.append(MapTileItem(col.column, tile.channel, tile.rect, item))
            if col.pager is not None:
                pager = PagerItem(lambda step, c=col.column: page(c, step), item)
                pager.setPos(0.0, col.pager.y)
                pager.setToolTip("Show the next channels of this column; Shift+click: the previous")
                self.pagers.append(pager)
        # As wide as the network (its font fitted to that width, never under SUBTITLE_PX): legible whenever the
        # network is, without widening what Fit shows.
        titles = [m.title for m in geometry.shape.maps]
        widest = max((legend_text(titles, [_WIDEST_SCALE] * len(titles), mode) for mode in COLOUR_SCALES), key=len)
        px = fitted_px(widest, Rect(0.0, 0.0, geometry.bounds.w, 1e9))
        self.legend = TextBlockItem(max(style.SUBTITLE_PX, float(int(px))))
        self.legend.set_room(widest)
        self.legend.setPos(geometry.bounds.x, geometry.bounds.bottom + LEGEND_GAP)
        add(self.legend)
        self.overlay = MapOverlayItem()
        add(self.overlay)

    def clear(self) -> None:
        """The network on the canvas has no maps (its items went with the scene's clear)."""
        self.geometry, self.columns, self.tiles, self.legend, self.overlay = None, [], [], None, None
        self.scales, self.shown, self.pagers = [], [], []

    def paint(self, shown: list[ColumnValues | None]) -> None:
        """Every tile's image from what each column shows (map_values.shown_maps; None: blank, not reached yet)."""
        if self.geometry is None:
            return
        self.shown = shown
        self.scales = scales = channel_scales(shown, self.colour_scale)
        for item in self.columns:
            inside = item.column < len(shown)
            self._paint_column(item, shown[item.column] if inside else None, scales[item.column] if inside else None)
        if self.legend is not None:
            self.legend.set_text(legend_text([item.title for item in self.columns],
                                             [item.short_scale or item.scale_text or "?" for item in self.columns],
                                             self.colour_scale))  # (short: the legend's head names the scale)

    def set_colour_scale(self, mode: str) -> bool:
        """Colours per "layer", per "map" or for the whole "network" (map_colours.COLOUR_SCALES); True if that
        changed them (the caller repaints)."""
        if mode not in COLOUR_SCALES or mode == self.colour_scale:
            return False
        self.colour_scale = mode
        return True

    def _paint_column(self, item: MapColumnItem, shown: ColumnValues | None, scales: np.ndarray | None) -> None:
        tiles = [t for t in self.tiles if t.column == item.column]
        name = item.title.split("\n")[0]
        values = None if shown is None else shown.values
        if values is None or scales is None or not np.all(np.isfinite(values)):
            for tile in tiles:
                tile.set_image(QImage(), f"{name} · channel {tile.channel + 1}: no values")
            item.set_scale_text("")
            return
        kind = shown.kind  # type: ignore[union-attr]
        inked = shown.inked  # type: ignore[union-attr]
        what = {"δ": "δ = ∂L/∂z ", "z": "z "}.get(kind, "")
        for tile in tiles:
            channel = values[tile.channel]
            full = float(scales[tile.channel])
            image = ink_image(channel, values.shape[1:]) if inked else rgb_image(map_pixels(channel, full))
            tile.set_image(image, f"{name} · channel {tile.channel + 1}: {what}values from "
                                  f"{fmt.full(float(channel.min()))} to {fmt.full(float(channel.max()))}")
        unit = unit_text(unit_of(values)[1])
        text, short = ("x ink 0…1", "x 0…1") if inked else scale_labels(kind, scales, self.colour_scale)
        item.set_scale_text(text, short, f"numbers {unit}" if unit else "")
        item.setToolTip(item.title.replace("\n", " · ") + ("" if inked else "\n" + scale_tooltip(
            kind, scales, self.colour_scale)) + (f"\nthe numbers over a selected channel: {unit}" if unit else ""))

    def pixel_point(self, index: int) -> QPointF | None:
        """Where an edge from input `index` of the first dense layer starts: the centre of that pixel of the last
        maps (flattened in (C, H, W) order), None when its channel's page is not shown."""
        if self.geometry is None:
            return None
        last = self.geometry.maps[-1]
        channel, row, col = (int(v) for v in np.unravel_index(index, last.shape))
        rect = pixel_rect(self.geometry, MapPixel(last.column, channel, row, col))
        return None if rect is None else QPointF(rect.x + rect.w / 2, rect.y + rect.h / 2)

    def has_pixel(self, key: ItemKey | None) -> bool:
        """Is `key` a pixel of the maps drawn now (whatever page its channel is on)?"""
        if key is None or key.kind != "pixel" or self.channels(key.column) is None:
            return False
        channels, height, width = self.geometry.maps[key.column].shape  # type: ignore[union-attr]
        return 0 <= key.channel < channels and 0 <= key.row < height and 0 <= key.col < width

    def key_at(self, x: float, y: float) -> ItemKey | None:
        """The map pixel under scene point (x, y) (map_layout.pixel_at) as a selection key; None off the tiles."""
        pixel = None if self.geometry is None else pixel_at(self.geometry, (x, y))
        return None if pixel is None else ItemKey("pixel", pixel.column, pixel.row, pixel.col, channel=pixel.channel)

    def key_rect(self, key: ItemKey) -> QRectF | None:
        """The scene square of pixel `key`; None when its channel's page is not shown."""
        pixel = MapPixel(key.column, key.channel, key.row, key.col)
        rect = None if self.geometry is None or not self.has_pixel(key) else pixel_rect(self.geometry, pixel)
        return None if rect is None else QRectF(*rect)

    def channels(self, column: int) -> int | None:
        """Channels of map column `column`; None when it is not a column of maps."""
        if self.geometry is None or not 0 <= column < len(self.geometry.maps):
            return None
        return self.geometry.maps[column].shape[0]

