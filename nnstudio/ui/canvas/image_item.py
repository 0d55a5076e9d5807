"""An image input (e.g. a 28×28 digit) drawn as pixels instead of 784 neurons."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layout import IMAGE_PIXEL
from nnstudio.ui.compat import override
from nnstudio.ui.images import ink_image
from nnstudio.ui.selection import ItemKey


class ImageItem(QGraphicsItem):
    """Shows the current input as a greyscale image, ink dark on white."""

    def __init__(self, shape: tuple[int, int], parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.key = ItemKey("layer", 0)
        self.rows, self.cols = shape
        self.pixel = IMAGE_PIXEL
        self._image = QImage()
        self.selected_pixel: int | None = None  # the input picked by a click (shown framed)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setToolTip("Click a pixel to select that input")
        self.setZValue(2)

    def pixel_at(self, point: QPointF) -> int | None:
        """The input (row-major) under `point` in item coordinates, or None outside the image."""
        w, h = self.size
        c, r = int((point.x() + w / 2) // self.pixel), int((point.y() + h / 2) // self.pixel)
        return r * self.cols + c if 0 <= r < self.rows and 0 <= c < self.cols else None

    def select_pixel(self, index: int) -> None:
        """Select input `index` (the scene reports it as ItemKey("neuron", 0, index))."""
        self.selected_pixel = index
        self.setSelected(True)
        self.scene().selectionChanged.emit()  # the same pixel-item may already be selected: say it anyway
        self.update()

    @override
    def mousePressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        index = self.pixel_at(event.pos())
        if index is None:
            event.ignore()
            return
        if self.scene() is not None:
            self.scene().clearSelection()
        self.select_pixel(index)
        event.accept()

    @property
    def size(self) -> tuple[float, float]:
        return self.cols * self.pixel, self.rows * self.pixel

    def set_values(self, values: np.ndarray) -> None:
        self._image = ink_image(values, (self.rows, self.cols))
        self.update()

    def pixel_centre(self, index: int) -> QPointF:
        """Scene position of input `index` (row-major), where its edges start."""
        w, h = self.size
        r, c = divmod(index, self.cols)
        return self.mapToScene(QPointF(-w / 2 + (c + 0.5) * self.pixel, -h / 2 + (r + 0.5) * self.pixel))

    @override
    def boundingRect(self) -> QRectF:
        w, h = self.size
        return QRectF(-w / 2 - 2, -h / 2 - 2, w + 4, h + 4)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        w, h = self.size
        target = QRectF(-w / 2, -h / 2, w, h)
        painter.drawImage(target, self._image)
        painter.setPen(QPen(style.NEURON_BORDER, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(target)
        if self.isSelected() and self.selected_pixel is not None:
            r, c = divmod(self.selected_pixel, self.cols)
            painter.setPen(QPen(style.SELECTED, 1.5))
            painter.drawRect(QRectF(-w / 2 + c * self.pixel, -h / 2 + r * self.pixel, self.pixel, self.pixel))
