"""One weight as one line: colour for the sign, width for the magnitude, and its label.

Labels do not float on the line, where other edges would cross them. Each edge ends in
a slot of a small stack of labels just left of the neuron it feeds, one slot per input
in input order with the bias on top: the stack reads like that neuron's row of W
followed by b. Every line into the column ends at the stacks' left side, and only a
short connector joins a label to its own neuron, so no line passes over a label.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layout import LABEL_H, stack_left
from nnstudio.ui.canvas.neuron_item import NeuronItem
from nnstudio.ui.canvas.texts import CanvasText, paint_texts
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

BIAS_LABEL_BACKGROUND = QColor("#fef9c3")  # bias labels stand out from the weights of the same row


class EdgeItem(QGraphicsItem):
    """Follows its two neurons; the scene calls `adjust()` when a column moves."""

    def __init__(self, key: ItemKey, source: NeuronItem, target: NeuronItem) -> None:
        super().__init__()
        self.key = key
        self.source = source
        self.target = target
        self.value = 0.0
        self.scale = 1.0
        self.label = ""
        self.show_label = False
        # The slot: vertical offset from the target's centre, and the stack's width (the scene sets them
        # from layout.label_stack).
        self.slot_dy: float | None = None
        self.slot_width = 30.0
        self.dashed = key.kind == "bias_edge"
        self.line = QLineF()
        self.connector: QLineF | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.adjust()

    def set_value(self, value: float, scale: float, label: str, tooltip: str) -> None:
        self.value, self.scale, self.label = value, scale, label
        self.setToolTip(tooltip)
        self.update()

    def set_show_label(self, show: bool) -> None:
        self.prepareGeometryChange()
        self.show_label = show
        self.update()

    def set_slot(self, dy: float | None, width: float) -> None:
        """End in the stack slot `dy` from the target's centre (None: run straight to the neuron)."""
        self.slot_dy, self.slot_width = dy, width
        self.adjust()

    def adjust(self) -> None:
        self.prepareGeometryChange()
        start = self.source.anchor("right")
        end = self.target.anchor("left")
        if self.slot_dy is None:
            self.line, self.connector = QLineF(start, end), None
            return
        rect = self.label_rect()
        self.line = QLineF(start, QPointF(rect.left(), rect.center().y()))
        self.connector = QLineF(QPointF(rect.right(), rect.center().y()), end)

    def label_rect(self) -> QRectF:
        """The slot, in scene coordinates (an empty rect when the edge has none); layout.LabelStack.rect
        is the same box from the neuron's centre."""
        if self.slot_dy is None:
            return QRectF()
        left = self.target.mapToScene(QPointF(stack_left(self.slot_width), self.slot_dy))
        return QRectF(left.x(), left.y() - LABEL_H / 2, self.slot_width, LABEL_H)

    def label_centre(self) -> QPointF:
        return self.label_rect().center() if self.slot_dy is not None else self.line.center()

    def segments(self) -> list[QLineF]:
        """The lines drawn, in scene coordinates (for hit tests and the geometry test)."""
        return [self.line] + ([self.connector] if self.connector is not None else [])

    def texts(self) -> list[CanvasText]:
        if not (self.show_label and self.label and self.slot_dy is not None):
            return []
        background = BIAS_LABEL_BACKGROUND if self.dashed else style.LABEL_BACKGROUND
        return [CanvasText(self.label, self.label_rect(), style.LABEL_PX, background=background)]

    @override
    def boundingRect(self) -> QRectF:
        rect = QRectF(self.line.p1(), self.line.p2()).normalized()
        if self.connector is not None:
            rect = rect.united(QRectF(self.connector.p1(), self.connector.p2()).normalized())
            rect = rect.united(self.label_rect())
        return rect.adjusted(-8, -8, 8, 8)

    @override
    def shape(self) -> QPainterPath:
        path = QPainterPath()
        for segment in self.segments():
            path.moveTo(segment.p1())
            path.lineTo(segment.p2())
        stroker = QPainterPathStroker()
        stroker.setWidth(10.0)  # easy to click even when drawn thin
        shape = stroker.createStroke(path)
        if self.slot_dy is not None:
            shape.addRect(self.label_rect())  # the label is part of the edge: click it to select
        return shape

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        segments = self.segments()
        if self.isSelected():
            painter.setPen(QPen(style.SELECTED, style.edge_width(self.value, self.scale) + 5,
                                Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawLines(segments)
            if self.slot_dy is not None:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(self.label_rect(), 3, 3)
        pen = QPen(style.value_colour(self.value, self.scale), style.edge_width(self.value, self.scale))
        if self.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLines(segments)
        paint_texts(painter, option, self.texts())
