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

BUCKETS = 8  # strength levels: lines of one sign and level share a pen and one drawLines call


class BulkEdgesItem(QGraphicsItem):
    """Strongest edges into shown neurons; `source_point(i)` and `target_point(j)` give scene positions.

    Painted once into a cached pixmap (until the weights, the zoom or the layout change): redrawing
    its thousands of antialiased lines on every repaint took ~25 ms of each step on mnist-mlp.
    """

    CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache

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
        self.shown_targets = shown_targets
        self.column = 0  # the layer column these edges lead into (set by the scene)
        self.per_neuron = per_neuron
        self.setZValue(-1)
        self.setCacheMode(self.CACHE)
        self.setToolTip(f"{weights.shape[0]}×{weights.shape[1]} weights; the {per_neuron} strongest into each "
                        "shown neuron are drawn")
        self._groups: list[tuple[QPen, list[QLineF]]] = []
        self._rect = QRectF()
        self._sources: dict[int, QPointF | None] = {}  # line ends found for this layout (see adjust)
        self._targets: dict[int, QPointF] = {}
        self.set_weights(weights)

    def set_weights(self, weights: np.ndarray) -> None:
        """Pick the strongest edges of new weights (e.g. live during training) and redraw. The
        line ends are the ones already found (only the layout moves them: `adjust`)."""
        self.scale = float(np.max(np.abs(weights))) if weights.size else 1.0
        self.edges: list[tuple[int, int, float]] = []
        for j in self.shown_targets:
            row = weights[j]
            count = min(self.per_neuron, row.shape[0])
            strongest = np.argpartition(-np.abs(row), count - 1)[:count]
            self.edges += [(int(i), j, float(row[i])) for i in strongest]
        self._build()

    def adjust(self) -> None:
        """The layout changed: find the line ends again and redraw."""
        self._sources.clear()
        self._targets.clear()
        self._build()

    def _build(self) -> None:
        """The lines, grouped by sign and strength so `paint` makes a few calls. Line ends are
        looked up once per layout: during training new weights arrive several times a second,
        and asking every pixel and neuron for its position each time cost ~6 ms of the window's
        thread per arrival (profiled, mnist-mlp at batch 1)."""
        self.prepareGeometryChange()
        groups: dict[tuple[bool, int], list[QLineF]] = {}
        xs: list[float] = []
        ys: list[float] = []
        levels = (BUCKETS - 1) / self.scale if self.scale > 0 else 0.0
        for i, j, w in self.edges:
            if i not in self._sources:
                self._sources[i] = self.source_point(i)
            p1 = self._sources[i]
            if p1 is None:
                continue
            if j not in self._targets:
                self._targets[j] = self.target_point(j)
            p2 = self._targets[j]
            bucket = int(min(BUCKETS - 1, abs(w) * levels))
            groups.setdefault((w >= 0, bucket), []).append(QLineF(p1, p2))
            xs += (p1.x(), p2.x())
            ys += (p1.y(), p2.y())
        self._groups = []
        for (positive, bucket), lines in sorted(groups.items()):
            value = (bucket + 0.5) / BUCKETS * self.scale * (1 if positive else -1)
            # Opaque (blended over the background here): painting the translucent colour cost 20 ms of every
            # step that changed the weights on mnist-mlp, against 1 ms (bench_stepping.py, profiled).
            colour = style.over_background(style.value_colour(value, self.scale, alpha_floor=40))
            pen = QPen(colour, style.edge_width(value, self.scale) * 0.6)
            self._groups.append((pen, lines))
        self._rect = (QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).adjusted(-4, -4, 4, 4)
                      if xs else QRectF())
        self.update()

    @override
    def boundingRect(self) -> QRectF:
        return self._rect

    @override
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for pen, lines in self._groups:
            painter.setPen(pen)
            painter.drawLines(lines)
