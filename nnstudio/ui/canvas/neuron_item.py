"""A neuron (or a dotted bias unit) drawn as a circle with its current value inside."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.texts import CanvasText, paint_texts, text_width
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

CAPTION_GAP = 6.0


class NeuronItem(QGraphicsItem):
    """Draws only: a circle, the value inside, an optional caption to its left."""

    def __init__(self, key: ItemKey, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.value_text = ""
        self.caption = ""
        self.fill = style.NEURON_FILL
        self.map: QImage | None = None  # the neuron's activation over the input plane (2-input networks)
        self.dotted = key.kind == "bias_unit"
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)

    def set_value(self, text: str, tooltip: str, fill=None) -> None:  # type: ignore[no-untyped-def]
        self.value_text = text
        self.setToolTip(tooltip)
        self.fill = fill if fill is not None else style.NEURON_FILL
        self.update()

    def set_map(self, image: QImage | None) -> None:
        """Draw `image` (the neuron map) inside the circle, under the value; None: the plain fill."""
        self.map = image
        self.update()

    def set_caption(self, caption: str) -> None:
        self.prepareGeometryChange()
        self.caption = caption
        self.update()

    def anchor(self, side: str) -> QPointF:
        """Where edges attach, in scene coordinates: the left or right rim."""
        r = style.NEURON_RADIUS
        return self.mapToScene(QPointF(-r if side == "left" else r, 0.0))

    def _caption_width(self) -> float:
        return text_width(self.caption, style.CAPTION_PX) + 4 if self.caption else 0.0

    def texts(self) -> list[CanvasText]:
        """The value inside the circle, and the caption (x1, a pixel's name) to its left."""
        r = style.NEURON_RADIUS
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
        r = style.NEURON_RADIUS + 3
        left = self._caption_width() + CAPTION_GAP if self.caption else 0.0
        return QRectF(-r - left, -r, 2 * r + left, 2 * r)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = style.NEURON_RADIUS
        selected = self.isSelected()
        pen = QPen(style.SELECTED if selected else style.NEURON_BORDER, 3.0 if selected else 1.4)
        if self.dotted:
            pen.setStyle(Qt.PenStyle.DotLine)
            pen.setWidthF(1.8 if not selected else 3.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(QBrush(self.fill))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if self.map is not None:
            clip = QPainterPath()
            clip.addEllipse(QPointF(0, 0), r - 1, r - 1)
            painter.save()
            painter.setClipPath(clip)
            painter.drawImage(QRectF(-r, -r, 2 * r, 2 * r), self.map)
            painter.restore()
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), r, r)  # the rim again, over the map
        paint_texts(painter, option, self.texts())
