"""DigitPad: draw a digit with the mouse; it becomes the network's input, prepared like MNIST."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from nnstudio.core.digits import mnist_like
from nnstudio.ui.compat import override

CANVAS = 112  # drawing resolution; prepared down to 28×28


class DigitPad(QWidget):
    """A square to draw on. `drawn` carries the 28×28 MNIST-like image (784 values) after each stroke."""

    drawn = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitPad")
        self.setMinimumSize(140, 140)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse; right-click clears")
        self.image = QImage(CANVAS, CANVAS, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPointF | None = None

    def clear(self) -> None:
        """The person cleared the pad: an empty drawing is the input."""
        self.reset()
        self.drawn.emit(np.zeros(784))

    def reset(self) -> None:
        """Blank the pad without drawing anything as the input (its drawing no longer applies)."""
        self.image.fill(0)
        self._last = None
        self.update()

    def ink(self) -> np.ndarray:
        """The drawing as floats 0…1 (CANVAS × CANVAS)."""
        bits = self.image.constBits()
        array = np.frombuffer(bits, dtype=np.uint8, count=self.image.bytesPerLine() * CANVAS)
        return array.reshape(CANVAS, self.image.bytesPerLine())[:, :CANVAS] / 255.0

    def prepared(self) -> np.ndarray:
        return mnist_like(self.ink()).reshape(784)

    def _to_canvas(self, point: QPointF) -> QPointF:
        side = min(self.width(), self.height())
        return QPointF(point.x() * CANVAS / side, point.y() * CANVAS / side)

    def _stroke(self, point: QPointF) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), 9, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        target = self._to_canvas(point)
        if self._last is None:
            painter.drawPoint(target)  # a tap leaves a dot (a line of no length draws nothing)
        else:
            painter.drawLine(self._last, target)
        painter.end()
        self._last = target
        self.update()

    @override
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.clear()
            return
        self._last = None
        self._stroke(event.position())

    @override
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._stroke(event.position())

    @override
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self.drawn.emit(self.prepared())

    @override
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        side = min(self.width(), self.height())
        painter.fillRect(self.rect(), QColor("#f1f5f9"))
        shown = self.image.copy()
        shown.invertPixels()  # ink dark on white, as people draw
        painter.drawImage(QRectF(0, 0, side, side), shown)
        painter.setPen(QPen(QColor("#64748b"), 1))
        painter.drawRect(QRectF(0, 0, side - 1, side - 1))
        painter.end()
