"""All the edges between two large layers, painted by one item.

A 784×128 layer has 100,352 weights: one graphics item each would make the
canvas crawl. This item draws, into each shown neuron, only its strongest few
weights (by |w|), from the pixel or neuron they come from, batched by colour.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.compat import override


class BulkEdgesItem(QGraphicsItem):
    """Strongest edges into shown neurons; `source_point(i)` and `target_point(j)` give scene positions."""

    def __init__(
        self,
        weights: np.ndarray,
        shown_targets: list[int],
        source_point: Callable[[int], QPointF | None],
        target_point: Callable[[int], QPointF],
        per_neuron: int = style.BULK_EDGES_PER_NEURON,
    ) -> None:
        super().__init__()
        self.source_point = source_point
        self.target_point = target_point
        self.scale = float(np.max(np.abs(weights))) if weights.size else 1.0
        self.edges: list[tuple[int, int, float]] = []
        for j in shown_targets:
            row = weights[j]
            count = min(per_neuron, row.shape[0])
            strongest = np.argpartition(-np.abs(row), count - 1)[:count]
            self.edges += [(int(i), j, float(row[i])) for i in strongest]
        self.setZValue(-1)
        self.setToolTip(f"{weights.shape[0]}×{weights.shape[1]} weights; the {per_neuron} strongest into each "
                        "shown neuron are drawn")
        self._lines: list[tuple[QLineF, float]] = []
        self._rect = QRectF()
        self.adjust()

    def adjust(self) -> None:
        self.prepareGeometryChange()
        lines = []
        for i, j, w in self.edges:
            p1 = self.source_point(i)
            if p1 is not None:
                lines.append((QLineF(p1, self.target_point(j)), w))
        self._lines = lines
        rect = QRectF()
        for line, _ in lines:
            rect = rect.united(QRectF(line.p1(), line.p2()).normalized())
        self._rect = rect.adjusted(-4, -4, 4, 4)

    @override
    def boundingRect(self) -> QRectF:
        return self._rect

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for line, w in self._lines:
            painter.setPen(QPen(style.value_colour(w, self.scale, alpha_floor=40), style.edge_width(w, self.scale) * 0.6))
            painter.drawLine(line)
