"""A neuron (or a dotted bias unit) drawn as a circle with its current value inside."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layout import NEURON_RADIUS
from nnstudio.ui.canvas.texts import CanvasText, paint_texts, text_width
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

CAPTION_GAP = 6.0
MAP_PIXMAP_PX = 96  # the map cut to its circle at this size: sharp up to ~1.6× zoom, then scaled


def _circle_pixmap(image: QImage, size: int) -> QPixmap:
    """`image` scaled to size × size and cut to the inscribed circle (transparent outside)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    clip = QPainterPath()
    clip.addEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.setClipPath(clip)
    painter.drawImage(QRectF(0, 0, size, size), image)
    painter.end()
    return pixmap


class NeuronItem(QGraphicsItem):
    """Draws only: a circle, the value inside, an optional caption to its left."""

    def __init__(self, key: ItemKey, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.value_text = ""
        self.caption = ""
        self.fill = style.NEURON_FILL
        self.map: QImage | None = None  # the neuron's activation over the input plane (2-input networks)
        self._map_pixmap: QPixmap | None = None  # the map cut to the circle (see set_map)
        self.dotted = key.kind == "bias_unit"
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)

    def set_value(self, text: str, tooltip: str, fill=None) -> None:  # type: ignore[no-untyped-def]
        self.value_text = text
        self.setToolTip(tooltip)
        self.fill = fill if fill is not None else style.NEURON_FILL
        self.update()

    def set_map(self, image: QImage | None, cut: QImage | None = None) -> None:
        """Draw `image` (the neuron map) inside the circle, under the value; None: the plain fill.

        The map is cut to the circle once, into a pixmap the paint just copies: scaling and clipping it
        on every paint cost ~0.1 ms a neuron a repaint (bench_ui_latency.py, maps). `cut`: the map already
        cut, MAP_PIXMAP_PX a side (the scene cuts a whole layer's in one pass, `images.circle_cut`)."""
        self.map = image
        if image is None:
            self._map_pixmap = None
        else:
            self._map_pixmap = QPixmap.fromImage(cut) if cut is not None else _circle_pixmap(image, MAP_PIXMAP_PX)
        self.update()

    def set_caption(self, caption: str) -> None:
        self.prepareGeometryChange()
        self.caption = caption
        self.update()

    def anchor(self, side: str) -> QPointF:
        """Where edges attach, in scene coordinates: the left or right rim."""
        r = NEURON_RADIUS
        return self.mapToScene(QPointF(-r if side == "left" else r, 0.0))

    def _caption_width(self) -> float:
        return text_width(self.caption, style.CAPTION_PX) + 4 if self.caption else 0.0

    def texts(self) -> list[CanvasText]:
        """The value inside the circle, and the caption (x1, a pixel's name) to its left."""
        r = NEURON_RADIUS
        out = []
        if self.value_text:
            px = style.VALUE_TWO_LINES_PX if "\n" in self.value_text else style.VALUE_PX
            out.append(CanvasText(self.value_text, QRectF(-r, -r, 2 * r, 2 * r), px))
        if self.caption:
            w = self._caption_width()
            out.append(CanvasText(self.caption, QRectF(-r - CAPTION_GAP - w, -10, w, 20), style.CAPTION_PX,
                                  colour=style.MUTED,
                                  align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter))
        return out

    @override
    def boundingRect(self) -> QRectF:
        r = NEURON_RADIUS + 3
        left = self._caption_width() + CAPTION_GAP if self.caption else 0.0
        return QRectF(-r - left, -r, 2 * r + left, 2 * r)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = NEURON_RADIUS
        selected = self.isSelected()
        pen = QPen(style.SELECTED if selected else style.NEURON_BORDER, 3.0 if selected else 1.4)
        if self.dotted:
            pen.setStyle(Qt.PenStyle.DotLine)
            pen.setWidthF(1.8 if not selected else 3.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        if self._map_pixmap is not None:
            painter.drawPixmap(QRectF(-r, -r, 2 * r, 2 * r), self._map_pixmap, QRectF(self._map_pixmap.rect()))
            painter.setBrush(Qt.BrushStyle.NoBrush)  # the rim over the map
        else:
            painter.setBrush(QBrush(self.fill))
        painter.drawEllipse(QPointF(0, 0), r, r)
        paint_texts(painter, option, self.texts())
