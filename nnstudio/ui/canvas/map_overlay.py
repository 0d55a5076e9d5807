"""What is drawn over the map tiles: the selected map pixel, its receptive field on every earlier map, the kernel
window it reads on the map before it, the pixels a max pooling sent δ back to, and numbers on map pixels.

Why one item over the tiles, not items per pixel: a map is one image (issue 35), so what lights up on it is a few
rectangles; they are worked out here from core/receptive_field.py in scene coordinates (`overlay_state`, plain data
a test can read) and painted by one MapOverlayItem that takes no clicks (a click still lands on the tile below).

Numbers: the selected pixel's whole map carries its values, in a font 0.45 of a map pixel (so 9 px on screen once
a pixel is 20 px: zoom in), drawn only where legible (texts.py's rule, as every canvas text); smaller, the colour
carries the value and the hover card gives it in full. A map's numbers share its decimals (two significant digits
of its largest |value|); tiny or huge maps print whole numbers in a unit the column's scale names ("×1e−4").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.core.network import Network
from nnstudio.core.receptive_field import receptive_field
from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layout import Rect
from nnstudio.ui.canvas.map_layout import (
    MapLayout,
    MapPixel,
    in_scene,
    pixel_rect,
    tile_in_scene,
    union,
)
from nnstudio.ui.canvas.map_values import ColumnValues
from nnstudio.ui.canvas.texts import CanvasText, paint_texts, text_width
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

NO_RECT = Rect(0.0, 0.0, 0.0, 0.0)
NUMBER_SHARE = 0.45  # a number's font, in map pixels: 9 px on screen when a pixel is 20 px


def numbers_zoom(geometry: MapLayout | None) -> float | None:
    """The zoom at which the numbers of every map are drawn (those of its smallest pixels: LeNet's 28×28 input,
    ~8.75); None without maps. Why: the view's zoom must reach it, or the input's numbers never show."""
    pixels = [tile.pixel for col in geometry.maps for tile in col.tiles] if geometry is not None else []
    return style.MIN_TEXT_PX / (NUMBER_SHARE * min(pixels)) if pixels else None
FIELD = QColor(22, 163, 74, 60)  # the receptive field: a green wash over what the pixel depends on
FIELD_EDGE = QColor("#15803d")
WINDOW_EDGE = QColor("#7c3aed")  # the kernel window on the map before: violet, dashed, over the field's green
MARK = QColor("#dc2626")  # a pixel a max pooling sent δ back to
MARK_RING_PX = 8.0  # a mark is a ring once its pixel is this large on screen, else a dot
SELECTED_PX = 10.0  # the selected pixel's outline is at least this wide on screen


def unit_of(values: np.ndarray) -> tuple[int, float]:
    """(decimals, unit) a map's numbers are printed in: two significant digits of its largest |value|, as decimals
    from 0.1 to 99 ("7.5", ".12", "75"), else whole numbers of a power of ten (unit ≠ 1, the scale names it)."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if not math.isfinite(largest) or largest == 0.0:
        return 0, 1.0
    exponent = math.floor(math.log10(largest))
    if -1 <= exponent <= 1:
        return 1 - exponent, 1.0
    return 0, 10.0 ** (exponent - 1)


def unit_text(unit: float) -> str:
    """"" for plain numbers, else "×1e−4": what a map's whole numbers are counted in."""
    return "" if unit == 1.0 else f"×1e{round(math.log10(unit))}".replace("-", "−")


def number_text(value: float, decimals: int, unit: float, room: float, px: float) -> str:
    """`value` in a map's decimals and unit, leading zero dropped (".12"); the typographic minus where it fits
    `room`, else the narrower hyphen; a value that rounds to 0 reads "0"."""
    text = f"{value / unit:.{decimals}f}"
    if float(text) == 0.0:
        return "0"
    text = text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text
    typographic = text.replace("-", "−")
    return typographic if text_width(typographic, px) <= room else text


@dataclass(frozen=True)
class OverlayState:
    """Scene rectangles to draw: the selected pixel, the field on each earlier map (a rect per shown channel), the
    kernel window on the previous map (per shown channel it reads), the pooling's marks, the numbers."""

    selected: Rect | None = None
    field: tuple[Rect, ...] = ()
    window: tuple[Rect, ...] = ()
    marks: tuple[Rect, ...] = ()
    # (pixel rect, value, decimals, unit, light text on a strong colour): written as text only where drawn (texts())
    numbers: tuple[tuple[Rect, float, int, float, bool], ...] = ()
    bounds: Rect = NO_RECT


def pixel_of(key: ItemKey | None) -> MapPixel | None:
    return None if key is None or key.kind != "pixel" else MapPixel(key.column, key.channel, key.row, key.col)


def _box_rects(geometry: MapLayout, column: int, channels: tuple[int, ...], box: tuple[int, int, int, int],
               ) -> list[Rect]:
    """The scene rect of pixels box = (top, left, bottom, right) on each shown tile of `channels` of `column`;
    rows and columns past the map's edge (padding) reach past the tile by whole pixels."""
    out = []
    for channel in channels:
        tile = tile_in_scene(geometry, column, channel)
        if tile is None:
            continue
        top, left, bottom, right = box
        out.append(Rect(tile.rect.x + left * tile.pixel, tile.rect.y + top * tile.pixel,
                        (right - left + 1) * tile.pixel, (bottom - top + 1) * tile.pixel))
    return out


def overlay_state(geometry: MapLayout, network: Network, key: ItemKey | None, shown: list[ColumnValues | None],
                  marks: list[MapPixel], full: list[np.ndarray | None] | None = None) -> OverlayState:
    """What MapOverlayItem draws for the selected `key` (a pixel key, or anything else: no field), the values
    each column `shown`, and the pooling `marks` (map_values.pool_marks). `full`: per column and channel the |value|
    the tiles' colours are full at (map_colours.channel_scales; None: each layer's largest), so a number is written
    light on exactly the pixels drawn dark."""
    full = full or []
    bounds = union([in_scene(c.extent, c.position) for c in geometry.maps])
    mark_rects = tuple(r for r in (pixel_rect(geometry, m) for m in marks) if r is not None)
    pixel = pixel_of(key)
    if pixel is None or not 0 <= pixel.column < len(geometry.maps):
        return OverlayState(marks=mark_rects, bounds=bounds)
    selected = pixel_rect(geometry, pixel)
    field_rects: list[Rect] = []
    window_rects: list[Rect] = []
    if pixel.column > 0:
        found = receptive_field(network, pixel.column, (pixel.channel, pixel.row, pixel.col))
        for part in found.maps:
            if part.box is not None:
                field_rects += _box_rects(geometry, part.layer, part.channels, part.box)
        w = found.window
        reads = found.maps[-1].channels
        window_rects = _box_rects(geometry, pixel.column - 1, reads,
                                  (w.top, w.left, w.top + w.size - 1, w.left + w.size - 1))
    numbers = _numbers(geometry, pixel, shown[pixel.column] if pixel.column < len(shown) else None,
                       full_at=_full_at(full, pixel.column, pixel.channel))
    if pixel.column > 0:  # and the values the kernel window reads on the map before (what its z is made of)
        w, before = found.window, shown[pixel.column - 1] if pixel.column - 1 < len(shown) else None
        for channel in reads:
            numbers += _numbers(geometry, MapPixel(pixel.column - 1, channel, 0, 0), before,
                                (range(max(w.top, 0), w.top + w.size), range(max(w.left, 0), w.left + w.size)),
                                _full_at(full, pixel.column - 1, channel))
    return OverlayState(selected, tuple(field_rects), tuple(window_rects), mark_rects, numbers, bounds)


def _full_at(full: list[np.ndarray | None], column: int, channel: int) -> float | None:
    scales = full[column] if column < len(full) else None
    return None if scales is None or channel >= len(scales) else float(scales[channel])


def _numbers(geometry: MapLayout, pixel: MapPixel, values: ColumnValues | None,
             window: tuple[range, range] | None = None,
             full_at: float | None = None) -> tuple[tuple[Rect, float, int, float, bool], ...]:
    """The pixels of `pixel`'s map (all, or those of `window`: rows, columns) with their values (module docstring),
    if its tile is shown. Kept as numbers: at most zooms none is drawn, and writing a LeNet input's 784 as text at
    every refresh was 4 of a refresh's 11 ms."""
    tile = tile_in_scene(geometry, pixel.column, pixel.channel)
    if values is None or tile is None:
        return ()
    maps = values.values[pixel.channel]
    decimals, unit = unit_of(values.values)
    scale = (float(np.max(np.abs(values.values))) if full_at is None else full_at) or 1.0
    inked = values.inked  # (ink on white: a number is light where the ink is dark, as map_columns draws it)
    out = []
    rows, cols = window or (range(maps.shape[0]), range(maps.shape[1]))
    for r in (r for r in rows if r < maps.shape[0]):
        for q in (q for q in cols if q < maps.shape[1]):
            value = float(maps[r, q])
            light = value > 0.5 if inked else abs(value) / scale > 0.55
            rect = Rect(tile.rect.x + q * tile.pixel, tile.rect.y + r * tile.pixel, tile.pixel, tile.pixel)
            out.append((rect, value, decimals, unit, light))
    return tuple(out)


def _q(rect: Rect) -> QRectF:
    return QRectF(rect.x, rect.y, rect.w, rect.h)


class MapOverlayItem(QGraphicsItem):
    """Paints an OverlayState over the map tiles (scene coordinates); takes no clicks."""

    def __init__(self) -> None:
        super().__init__()
        self.state = OverlayState()
        self.setZValue(5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def set_state(self, state: OverlayState) -> None:
        if state != self.state:
            self.prepareGeometryChange()
            self.state = state
            self.update()

    def texts(self, lod: float | None = None, exposed: QRectF | None = None) -> list[CanvasText]:
        """The numbers on map pixels (each inside its pixel, so they overlap nothing), as paint draws them: those
        legible at `lod` and meeting `exposed` (None: all), picked before any text is made (a 28×28 input has 784)."""
        out = []
        for rect, value, decimals, unit, light in self.state.numbers:
            box = _q(rect)
            px = NUMBER_SHARE * rect.w
            if (exposed is None or exposed.intersects(box)) and (lod is None or style.legible(px, lod)):
                text = number_text(value, decimals, unit, 0.96 * rect.w, px)
                out.append(CanvasText(text, box, px, colour=QColor("#ffffff") if light else QColor(style.TEXT)))
        return out

    @override
    def boundingRect(self) -> QRectF:
        return _q(self.state.bounds)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s = self.state
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        edge = QPen(FIELD_EDGE, 1.5)
        edge.setCosmetic(True)  # the same on screen at every zoom
        painter.setPen(edge)
        for rect in s.field:
            painter.fillRect(_q(rect), FIELD)
            painter.drawRect(_q(rect))
        dashed = QPen(WINDOW_EDGE, 3.0, Qt.PenStyle.DashLine)
        dashed.setCosmetic(True)
        painter.setPen(dashed)
        for rect in s.window:
            painter.drawRect(_q(rect))
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        paint_texts(painter, option, self.texts(lod, option.exposedRect))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for rect in s.marks:  # a ring inside the pixel; a dot where the pixel is too small on screen for a ring
            if rect.w * lod >= MARK_RING_PX:
                painter.setPen(QPen(MARK, 0.12 * rect.w))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(_q(rect).adjusted(rect.w * 0.18, rect.h * 0.18, -rect.w * 0.18, -rect.h * 0.18))
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(MARK)
                painter.drawRect(_q(rect).adjusted(rect.w * 0.25, rect.h * 0.25, -rect.w * 0.25, -rect.h * 0.25))
        if s.selected is not None:  # never smaller than SELECTED_PX on screen, so a 2 px pixel is still found
            grow = max(0.0, SELECTED_PX / max(lod, 1e-9) - s.selected.w) / 2
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for colour, width in ((QColor("#ffffff"), 5.0), (style.SELECTED, 3.0)):
                pen = QPen(colour, width)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawRect(_q(s.selected).adjusted(-grow, -grow, grow, grow))
