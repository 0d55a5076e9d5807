"""Every piece of text the canvas draws, as data: what, where, how tall.

Items describe their text with `texts()` and paint exactly that list, dropping any
entry that would be under MIN_TEXT_PX on screen at the painter's level of detail.
Because painting and measuring read the same list, the geometry test (sizes,
overlaps, edges crossing labels) checks what a person actually sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layout import FontRole, Rect
from nnstudio.ui.compat import override

_metrics: dict[tuple[float, bool], QFontMetricsF] = {}


def metrics(pixel_size: float, bold: bool = False) -> QFontMetricsF:
    key = (pixel_size, bold)
    if key not in _metrics:
        _metrics[key] = QFontMetricsF(style.font(pixel_size, bold))
    return _metrics[key]


def text_width(text: str, pixel_size: float, bold: bool = False) -> float:
    """The widest line of `text` in that font, in scene units."""
    m = metrics(pixel_size, bold)
    return max((m.horizontalAdvance(line) for line in text.split("\n")), default=0.0)


def measure(text: str, role: FontRole) -> tuple[float, float]:
    """layout.py's `Measure`, from the fonts: the widest line of `text` and the height of its lines, in the
    font of `role` (style.ROLE_FONTS)."""
    px, bold = style.ROLE_FONTS[role]
    return text_width(text, px, bold), metrics(px, bold).height() * len(text.split("\n"))


MAX_FITTED_PX = 40.0  # the largest a text fitted to its room may be (scene px)


def fitted_px(text: str, room: Rect, bold: bool = False, most: float = MAX_FITTED_PX) -> float:
    """The largest font (scene px, at most `most`) in which `text` fits `room`. Why: a wide network (LeNet: 8
    columns) fits the window only at ~0.4, where a 13 px title is 5 px and not drawn; a short text in all the room
    the layout gave it is legible there, and stays inside that room, so it can overlap nothing (map columns' titles
    and scales, and the dense columns after maps: layer_item.py)."""
    width, height = text_width(text, 10.0, bold), metrics(10.0, bold).height() * len(text.split("\n"))
    return min(most, 10.0 * room.w / max(width, 1e-9), 10.0 * room.h / max(height, 1e-9))


@dataclass(frozen=True)
class CanvasText:
    """One text drawn by an item: `rect` in the item's coordinates, `px` the font's pixel size."""

    text: str
    rect: QRectF
    px: float
    bold: bool = False
    colour: QColor = field(default_factory=lambda: QColor(style.TEXT))
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter
    background: QColor | None = None  # an opaque box behind the text (edge labels)


def paint_texts(painter: QPainter, option: QStyleOptionGraphicsItem, texts: list[CanvasText]) -> None:
    """Draw each text that is legible at this zoom; the rest are left to hover and tooltips."""
    lod = option.levelOfDetailFromTransform(painter.worldTransform())
    for t in texts:
        if not t.text or not style.legible(t.px, lod):
            continue
        if t.background is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(t.background)
            painter.drawRoundedRect(t.rect, 3, 3)
        painter.setPen(t.colour)
        painter.setFont(style.font(t.px, t.bold))
        painter.drawText(t.rect, t.align, t.text)


class TextBlockItem(QGraphicsItem):
    """Free-standing lines of text (the output beside the last column), level-of-detail aware."""

    def __init__(self, px: float, bold: bool = False) -> None:
        super().__init__()
        self.px, self.bold = px, bold
        self.text = ""
        self.room = ""  # the widest text it will hold: Fit makes room for it, so growing stays in view
        self.setZValue(3)

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.prepareGeometryChange()
            self.text = text
            self.update()

    def texts(self) -> list[CanvasText]:
        if not self.text:
            return []
        m = metrics(self.px, self.bold)
        w = text_width(self.text, self.px, self.bold)
        h = m.height() * len(self.text.split("\n"))
        return [CanvasText(self.text, QRectF(0, 0, w + 2, h), self.px, self.bold,
                           align=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)]

    def set_room(self, text: str) -> None:
        self.prepareGeometryChange()
        self.room = text

    @override
    def boundingRect(self) -> QRectF:
        texts = self.texts()
        rect = texts[0].rect if texts else QRectF()
        if self.room:
            m = metrics(self.px, self.bold)
            rect = rect.united(QRectF(0, 0, text_width(self.room, self.px, self.bold) + 2,
                                      m.height() * len(self.room.split("\n"))))
        return rect

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        paint_texts(painter, option, self.texts())
