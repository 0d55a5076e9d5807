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
from nnstudio.ui.canvas.layout import (
    BUTTON_RADIUS,
    COLUMN_WIDTH,
    PAGER_HALF_HEIGHT,
    ColumnLayout,
    Rect,
)
from nnstudio.ui.canvas.texts import CanvasText, fitted_px, paint_texts
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey


class ButtonItem(QGraphicsItem):
    """A small round + or − button that runs `action` when clicked (editing chrome: not exported)."""

    TEXT_PX = style.BUTTON_PX  # what it must draw legibly to be shown (set_zoom)

    def __init__(self, text: str, tooltip: str, action: Callable[[], None], parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.text = text
        self.action = action
        self.legible = True  # can it be read at the view's zoom? (set_zoom; export shows none)
        self.setToolTip(tooltip)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(3)

    @override
    def boundingRect(self) -> QRectF:
        return QRectF(-BUTTON_RADIUS, -BUTTON_RADIUS, 2 * BUTTON_RADIUS, 2 * BUTTON_RADIUS)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(style.MUTED, 1.0))
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.drawEllipse(QPointF(0, 0), 9, 9)
        paint_texts(painter, option, self.texts())

    def texts(self) -> list[CanvasText]:
        return [CanvasText(self.text, QRectF(-9, -10, 18, 19), style.BUTTON_PX, bold=True)]

    def set_zoom(self, zoom: float) -> None:
        """Shown only where its text is legible at `zoom` (texts.py's rule): smaller, a − or + was a blank 8 px
        circle and a pager an invisible click area (LeNet at Fit, ~40 %); zoomed in, they come back."""
        self.legible = style.legible(self.TEXT_PX, zoom)
        self.setVisible(self.legible)

    @override
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()

    @override
    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.boundingRect().contains(event.pos()):
            self.clicked(event)
        event.accept()

    def clicked(self, event: QGraphicsSceneMouseEvent) -> None:
        self.action()


class PagerItem(ButtonItem):
    """The "1–8 of 128 ▼ more" label of a large column, clickable: the next page of its neurons
    (Shift+click: the previous one). The column draws the text; this item takes the clicks."""

    TEXT_PX = style.SUBTITLE_PX  # the column's pager text

    def __init__(self, action: Callable[[int], None], parent: QGraphicsItem) -> None:
        super().__init__("", "Show the next neurons of this column (Page Down); Shift+click or Page Up: the previous",
                         action, parent)  # type: ignore[arg-type]

    @override
    def boundingRect(self) -> QRectF:
        return QRectF(-COLUMN_WIDTH / 2, -PAGER_HALF_HEIGHT, COLUMN_WIDTH, 2 * PAGER_HALF_HEIGHT)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pass  # the column paints the label

    @override
    def clicked(self, event: QGraphicsSceneMouseEvent) -> None:
        self.action(-1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)  # type: ignore[call-arg]


class LayerItem(QGraphicsObject):
    """One column. Its children are NeuronItems (or an ImageItem), buttons and the more-label; where
    its box, header and pager label stand is `geometry`'s (layout.py)."""

    moved = Signal(int)
    released = Signal(int)

    def __init__(self, column: int, title: str, subtitle: str, geometry: ColumnLayout, short_title: str = "") -> None:
        super().__init__()
        self.key = ItemKey("layer", column)
        self.column = column
        self.title = title
        self.subtitle = subtitle
        self.short_title = short_title  # after maps: "120", "10 out", drawn where the title is too small to read
        self.geometry = geometry
        self.top = geometry.top
        self.bottom = geometry.bottom
        self.more_text = geometry.pager.text if geometry.pager is not None else ""
        self.more_y = geometry.pager.y if geometry.pager is not None else 0.0
        self.highlighted = False
        self._press_pos: QPointF | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setZValue(1)

    def header_rect(self) -> QRectF:
        return QRectF(*self.geometry.header)

    @override
    def boundingRect(self) -> QRectF:
        return QRectF(*self.geometry.extent)

    def _body(self) -> QRectF:
        return QRectF(*self.geometry.body)

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
        paint_texts(painter, option, self.texts(option.levelOfDetailFromTransform(painter.worldTransform())))

    def texts(self, lod: float = 1.0) -> list[CanvasText]:
        """What paint draws at zoom `lod`: the title, the subtitle (size · activation) and "⋮ N more" of a large
        column. With a short title (a dense column after maps) and a zoom where the title is not legible, the short
        title instead, fitted to the room of both (as map columns do, map_columns.py): at LeNet's Fit (~40 %)
        nothing else said which dense column is which."""
        if self.short_title and not style.legible(style.TITLE_PX, lod):
            room = QRectF(*self.geometry.title).united(QRectF(*self.geometry.subtitle))
            px = fitted_px(self.short_title, Rect(room.x(), room.y(), room.width(), room.height()), bold=True,
                           most=3 * style.TITLE_PX)
            out = [CanvasText(self.short_title, room, px, bold=True)]
        else:
            out = [CanvasText(self.title, QRectF(*self.geometry.title), style.TITLE_PX, bold=True),
                   CanvasText(self.subtitle, QRectF(*self.geometry.subtitle), style.SUBTITLE_PX, colour=style.MUTED)]
        if self.geometry.pager is not None:
            out.append(CanvasText(self.more_text, QRectF(*self.geometry.pager.rect), style.SUBTITLE_PX, bold=True,
                                  colour=style.MUTED))
        return out

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
