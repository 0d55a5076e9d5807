"""A column of the network: a header, its neurons (or an image), + / − buttons; draggable.

The item only draws and reports: `moved` while dragged (so the scene can bend the
edges), `released` when the drag ends (so the scene can push one Move command).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from nnstudio.ui.canvas import style
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

COLUMN_WIDTH = 78.0


class ButtonItem(QGraphicsItem):
    """A small round + or − button that runs `action` when clicked."""

    def __init__(self, text: str, tooltip: str, action: Callable[[], None], parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.text = text
        self.action = action
        self.setToolTip(tooltip)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(3)

    @override
    def boundingRect(self) -> QRectF:
        return QRectF(-10, -10, 20, 20)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(style.MUTED, 1.0))
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.drawEllipse(QPointF(0, 0), 9, 9)
        painter.setPen(style.TEXT)
        painter.setFont(style.font(10, bold=True))
        painter.drawText(QRectF(-10, -11, 20, 20), Qt.AlignmentFlag.AlignCenter, self.text)

    @override
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()

    @override
    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.boundingRect().contains(event.pos()):
            self.action()
        event.accept()


class LayerItem(QGraphicsObject):
    """One column. Its children are NeuronItems (or an ImageItem), buttons and the more-label."""

    moved = Signal(int)
    released = Signal(int)

    def __init__(self, column: int, title: str, subtitle: str, top: float, bottom: float) -> None:
        super().__init__()
        self.key = ItemKey("layer", column)
        self.column = column
        self.title = title
        self.subtitle = subtitle
        self.top = top
        self.bottom = bottom
        self.more_text = ""
        self.more_y = 0.0
        self.highlighted = False
        self._press_pos: QPointF | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setZValue(1)

    def set_more(self, text: str, y: float) -> None:
        self.more_text, self.more_y = text, y
        self.update()

    def header_rect(self) -> QRectF:
        return QRectF(-COLUMN_WIDTH, self.top - style.HEADER_GAP, 2 * COLUMN_WIDTH, 36)

    @override
    def boundingRect(self) -> QRectF:
        return QRectF(-COLUMN_WIDTH / 2 - 6, self.top - style.HEADER_GAP, COLUMN_WIDTH + 12,
                      self.bottom - self.top + style.HEADER_GAP + 34).united(self.header_rect())

    def _body(self) -> QRectF:
        return QRectF(-COLUMN_WIDTH / 2, self.top - 6, COLUMN_WIDTH, self.bottom - self.top + 12)

    @override
    def shape(self):  # type: ignore[override]
        from PySide6.QtGui import QPainterPath

        path = QPainterPath()
        path.addRoundedRect(self._body(), 10, 10)
        path.addRect(self.header_rect())
        return path

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        fill = QColor("#e0ecff") if self.highlighted else QColor("#eef2f7")
        painter.setPen(QPen(style.SELECTED if selected else QColor("#cbd5e1"), 2.4 if selected else 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(self._body(), 10, 10)
        header = self.header_rect()
        painter.setPen(style.TEXT)
        painter.setFont(style.font(9.5, bold=True))
        painter.drawText(QRectF(header.x(), header.y(), header.width(), 18), Qt.AlignmentFlag.AlignCenter, self.title)
        painter.setPen(style.MUTED)
        painter.setFont(style.font(8.5))
        painter.drawText(QRectF(header.x(), header.y() + 17, header.width(), 16), Qt.AlignmentFlag.AlignCenter,
                         self.subtitle)
        if self.more_text:
            painter.setPen(style.MUTED)
            painter.setFont(style.font(8.5, bold=True))
            painter.drawText(QRectF(-COLUMN_WIDTH / 2, self.more_y - 22, COLUMN_WIDTH, 44),
                             Qt.AlignmentFlag.AlignCenter, self.more_text)

    @override
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.moved.emit(self.column)
        return super().itemChange(change, value)

    @override
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._press_pos = QPointF(self.pos())
        self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    @override
    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        if self._press_pos is not None and self._press_pos != self.pos():
            self.released.emit(self.column)
        self._press_pos = None
