"""A neuron (or a dotted bias unit) drawn as a circle with its current value inside."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey


class NeuronItem(QGraphicsItem):
    """Draws only: a circle, the value inside, an optional caption beside it."""

    def __init__(self, key: ItemKey, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.value_text = ""
        self.caption = ""
        self.fill = style.NEURON_FILL
        self.dotted = key.kind == "bias_unit"
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)

    def set_value(self, text: str, tooltip: str, fill=None) -> None:
        self.value_text = text
        self.setToolTip(tooltip)
        self.fill = fill if fill is not None else style.NEURON_FILL
        self.update()

    def set_caption(self, caption: str) -> None:
        self.prepareGeometryChange()
        self.caption = caption
        self.update()

    def anchor(self, side: str) -> QPointF:
        """Where edges attach, in scene coordinates: the left or right rim."""
        r = style.NEURON_RADIUS
        return self.mapToScene(QPointF(-r if side == "left" else r, 0.0))

    @override
    def boundingRect(self) -> QRectF:
        r = style.NEURON_RADIUS + 3
        left = 46.0 if self.caption else 0.0
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
        painter.setPen(style.TEXT)
        two_lines = "\n" in self.value_text
        painter.setFont(style.font(7.5 if two_lines else 9.5))
        painter.drawText(QRectF(-r, -r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, self.value_text)
        if self.caption:
            painter.setPen(style.MUTED)
            painter.setFont(style.font(8))
            painter.drawText(QRectF(-r - 48, -10, 44, 20),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.caption)
