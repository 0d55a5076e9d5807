"""One channel's map on the canvas as ONE image item (issue 35: a map is an image, never an item per pixel).

The item keeps the map's image at the map's own size (one image pixel a map pixel, row 0 at the top) and draws it
scaled to its tile, nearest-neighbour, so every map pixel is a sharp square of `Tile.pixel` scene units: a 28×28
map is 784 pixels of image, not 784 items.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layout import Rect
from nnstudio.ui.compat import override


class MapTileItem(QGraphicsItem):
    """The map of `channel` of network column `column`, drawn in `rect` (its column's coordinates)."""

    def __init__(self, column: int, channel: int, rect: Rect, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.column, self.channel = column, channel
        self.size = (rect.w, rect.h)
        self.image = QImage()  # the map, one pixel a map pixel (set_image)
        self.setPos(rect.x, rect.y)
        self.setZValue(2)

    def set_image(self, image: QImage, tip: str = "") -> None:
        self.image = image
        self.setToolTip(tip)
        self.update()

    @override
    def boundingRect(self) -> QRectF:
        return QRectF(-1.0, -1.0, self.size[0] + 2.0, self.size[1] + 2.0)

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        target = QRectF(0.0, 0.0, *self.size)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # square pixels, no blur
        if not self.image.isNull():
            painter.drawImage(target, self.image)
        painter.setPen(QPen(style.NEURON_BORDER, 0.0))  # cosmetic: one screen pixel at every zoom
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(target)
