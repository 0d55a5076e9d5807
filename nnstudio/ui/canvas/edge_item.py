"""One weight as one line: colour for the sign, width for the magnitude, an optional label."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.neuron_item import NeuronItem
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

LABEL_H = 17.0
LABEL_FONT = style.font(8.5)
_METRICS = None


def label_width(text: str) -> float:
    """Width of a label box for `text` in the label font (measured, so "0.1 → 0.12" fits)."""
    global _METRICS
    if _METRICS is None:
        _METRICS = QFontMetricsF(LABEL_FONT)
    return max(30.0, _METRICS.horizontalAdvance(text) + 10.0)


class EdgeItem(QGraphicsItem):
    """Follows its two neurons; the scene calls `adjust()` when a column moves."""

    def __init__(self, key: ItemKey, source: NeuronItem, target: NeuronItem, label_at: float) -> None:
        super().__init__()
        self.key = key
        self.source = source
        self.target = target
        self.label_at = label_at  # 0 = at the source, 1 = at the target
        self.value = 0.0
        self.scale = 1.0
        self.label = ""
        self.label_w = 30.0
        self.show_label = False
        self.label_fits = True  # False when the scene found no free spot: hidden, never overlapping
        self.dashed = key.kind == "bias_edge"
        self.line = QLineF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.adjust()

    def set_value(self, value: float, scale: float, label: str, tooltip: str) -> None:
        if label != self.label:
            self.prepareGeometryChange()
            self.label_w = label_width(label)
        self.value, self.scale, self.label = value, scale, label
        self.setToolTip(tooltip)
        self.update()

    def set_show_label(self, show: bool) -> None:
        self.prepareGeometryChange()
        self.show_label = show
        self.update()

    def adjust(self) -> None:
        self.prepareGeometryChange()
        self.line = QLineF(self.source.anchor("right"), self.target.anchor("left"))

    def label_centre(self) -> QPointF:
        return self.line.pointAt(self.label_at)

    def label_rect(self, at: float | None = None) -> QRectF:
        c = self.line.pointAt(self.label_at if at is None else at)
        return QRectF(c.x() - self.label_w / 2, c.y() - LABEL_H / 2, self.label_w, LABEL_H)

    def set_label_at(self, at: float, fits: bool = True) -> None:
        self.prepareGeometryChange()
        self.label_at = at
        self.label_fits = fits
        self.update()

    @override
    def boundingRect(self) -> QRectF:
        rect = QRectF(self.line.p1(), self.line.p2()).normalized().adjusted(-8, -8, 8, 8)
        if self.show_label:
            rect = rect.united(self.label_rect())
        return rect

    @override
    def shape(self) -> QPainterPath:
        path = QPainterPath(self.line.p1())
        path.lineTo(self.line.p2())
        stroker = QPainterPathStroker()
        stroker.setWidth(10.0)  # easy to click even when drawn thin
        return stroker.createStroke(path)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.isSelected():
            painter.setPen(QPen(style.SELECTED, style.edge_width(self.value, self.scale) + 5,
                                Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawLine(self.line)
        pen = QPen(style.value_colour(self.value, self.scale), style.edge_width(self.value, self.scale))
        if self.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(self.line)
        if self.show_label and self.label and self.label_fits:
            rect = self.label_rect()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.LABEL_BACKGROUND)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(style.TEXT)
            painter.setFont(LABEL_FONT)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)
