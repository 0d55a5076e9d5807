"""MemoryPanel: each neuron's weight row read as a stored memory, compared with the input.

For the chosen layer it lists, per neuron: the memory (a bar vector, or a 28×28
image when the layer reads an image), ‖w‖, ‖x‖, w·x, cos θ and the neuron's
output after bias and activation. The memory most similar to the input is marked.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.memory import memory_rows, most_similar
from nnstudio.document import Document
from nnstudio.ui import format as fmt
from nnstudio.ui.canvas import style
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.dock_layout import dock_column

COLUMNS = ["memory w", "‖w‖", "‖x‖", "w·x", "cos θ", "a"]


def memory_pixmap(weights: np.ndarray, image: tuple[int, int] | None, height: int = 48) -> QPixmap:
    """A picture of one memory: a diverging image (blue +, orange −) or a bar per weight."""
    scale = float(np.max(np.abs(weights))) or 1.0
    if image is not None:
        h, w = image
        grid = (weights.reshape(h, w) / scale).clip(-1, 1)
        rgb = np.full((h, w, 3), 255, dtype=np.uint8)
        pos, neg = grid > 0, grid < 0
        blue, orange = np.array([37, 99, 235]), np.array([234, 88, 12])
        rgb[pos] = (255 - grid[pos, None] * (255 - blue)).astype(np.uint8)
        rgb[neg] = (255 + grid[neg, None] * (255 - orange)).astype(np.uint8)
        rgb = np.ascontiguousarray(rgb)
        qimage = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        return QPixmap.fromImage(qimage).scaled(height, height, Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.FastTransformation)
    n = weights.shape[0]
    bar = max(3, min(10, 80 // max(n, 1)))
    pixmap = QPixmap(QSize(bar * min(n, 64) + 2, height))
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    mid = height / 2
    painter.setPen(style.MUTED)
    painter.drawLine(0, int(mid), pixmap.width(), int(mid))
    painter.setPen(Qt.PenStyle.NoPen)
    for i, value in enumerate(weights[:64]):
        length = (mid - 3) * float(value) / scale
        painter.setBrush(QBrush(style.POSITIVE if value > 0 else style.NEGATIVE))
        painter.drawRect(QRectF(1 + i * bar, mid - max(length, 0), bar - 1, abs(length)))
    painter.end()
    return pixmap


class MemoryPanel(QWidget):
    """Pick a layer; read its neurons as memories."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        layout = dock_column(self)
        self._build_layer_row(layout)
        self.build_button = QPushButton("Build from samples…")
        self.build_button.setObjectName("buildFromSamples")
        layout.addWidget(self.build_button)
        self.summary = QLabel()
        self.summary.setObjectName("memorySummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self._build_table(layout)
        self._stale = True
        self._shown = True
        self._follow_the_document()
        self.refresh()

    def _build_layer_row(self, layout: QBoxLayout) -> None:
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("memoryLayer")
        # Sized by a few characters, not by its longest entry, so the dock can stay narrow.
        self.layer_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.layer_combo.setMinimumContentsLength(8)
        self.layer_combo.currentIndexChanged.connect(lambda _: self.refresh_rows())
        row.addWidget(self.layer_combo, 1)
        layout.addLayout(row)

    def _build_table(self, layout: QBoxLayout) -> None:
        """One row per neuron of the layer: its weights read as a memory."""
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("memoryTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(60)
        self.table.horizontalHeader().setMinimumSectionSize(40)
        layout.addWidget(self.table, 1)

    def _follow_the_document(self) -> None:
        listen(self, self.document.changed, lambda kind: self.refresh())
        listen(self, self.document.stepping.changed, self.refresh_rows)
        # Live memories while training, at most twice a second and only when visible.
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(500)
        self._preview_timer.timeout.connect(self.refresh_rows)
        listen(self, self.document.preview_changed, self._on_preview)

    def set_shown(self, shown: bool) -> None:
        """Told by the dock (its visibilityChanged, which also fires when its tab is chosen or left):
        a tab behind another reports isVisible() all the same, so the panel cannot ask Qt itself."""
        self._shown = shown
        if shown and self._stale:
            self.refresh_rows()

    def on_screen(self) -> bool:
        return self._shown and self.isVisible()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        if self._stale:  # after the dock has said whether its tab is the one shown (opening a window
            QTimer.singleShot(0, self._refresh_if_stale)  # filled 256 hidden rows: 120 of its 310 ms)

    def _refresh_if_stale(self) -> None:
        if self._stale:
            self.refresh_rows()

    def _on_preview(self) -> None:
        if self.on_screen() and not self._preview_timer.isActive():
            self._preview_timer.start()

    def refresh(self) -> None:
        net = self.document.project.network
        current = self.layer_combo.currentData()
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for index, layer in enumerate(net.layers):
            held = f"{layer.n_out} memories × {layer.n_in}" if hasattr(layer, "weights") else "maps, no memories"
            self.layer_combo.addItem(f"Layer {index + 1}: {held}", index)
        position = self.layer_combo.findData(current)
        self.layer_combo.setCurrentIndex(position if position >= 0 else 0)
        self.layer_combo.blockSignals(False)
        self.build_button.setEnabled(bool(self.document.project.samples))
        self.refresh_rows()

    def current_rows(self):  # type: ignore[no-untyped-def]
        """The readings for the chosen layer with the input it receives now (or at this step)."""
        index = self.layer_combo.currentData()
        plan = self.document.stepping.plan
        trace = plan.current.trace if plan is not None else self.document.shown_trace
        network = plan.current.before if plan is not None else self.document.shown_network
        if index is None or trace is None or index >= len(network.layers):
            return None, []
        t = trace.layers[index]
        return index, memory_rows(network.layers[index], t.a_prev, t.a, name=f"layer {index + 1}")

    def refresh_rows(self) -> None:
        """Fill the table. While training (live weights), only the rows on screen are redrawn,
        in place: a 128-row table of 28×28 pictures at 2 Hz would otherwise cost the UI thread
        tens of milliseconds a time. While the panel is hidden (a tab behind the Inspector) nothing
        is drawn: it is filled when shown. Drawing mnist-mlp's 128 memories on every step of a pass
        took ~50 ms of each step's 60–100 ms (benchmarks/bench_stepping.py)."""
        if not self.on_screen():
            self._stale = True
            return
        self._stale = False
        try:
            index, rows = self.current_rows()
        except NNStudioError as refused:  # a convolution or pooling layer has no weight rows: the core says so by name
            self.table.setRowCount(0)
            self.summary.setText(f"{str(refused)[:1].upper()}{str(refused)[1:]}.")
            return
        count = min(len(rows), 512)
        live = self.document.preview is not None and count == self.table.rowCount() and count > 0
        self.table.setRowCount(count)
        if index is None:
            self.summary.setText("Add a layer to read its neurons as memories.")
            return
        image = self.document.project.input_image if index == 0 else None
        best = most_similar(rows)
        if live:
            first = max(self.table.rowAt(0), 0)
            last = self.table.rowAt(self.table.viewport().height() - 1)
            shown = range(first, (count - 1 if last < 0 else last) + 1)
        else:
            shown = range(count)
        for r in shown:
            self._fill_row(r, rows[r], image, r == best)
        if not live:
            self.table.resizeColumnsToContents()
        if best is None:
            self.summary.setText("The input is zero, so no memory is similar to it.")
        else:
            angle = float(np.degrees(np.arccos(np.clip(rows[best].cosine, -1, 1))))
            self.summary.setText(f"The input is most similar to memory {best + 1} "
                                 f"(cos θ = {rows[best].cosine:.4f}, θ = {angle:.1f}°).")

    def _fill_row(self, r: int, row, image: tuple[int, int] | None, best: bool) -> None:  # type: ignore[no-untyped-def]
        values = (row.weight_norm, row.input_norm, row.dot, row.cosine, row.output)
        background = QBrush(QColor("#dcfce7")) if best else QBrush()
        picture = self.table.item(r, 0) or QTableWidgetItem()
        picture.setData(Qt.ItemDataRole.DecorationRole, memory_pixmap(row.weights, image))
        picture.setToolTip("w = [" + ", ".join(fmt.short(float(v)) for v in row.weights[:16]) +
                           (", …]" if row.weights.shape[0] > 16 else "]"))
        picture.setBackground(background)
        if self.table.item(r, 0) is None:
            self.table.setItem(r, 0, picture)
        for c, value in enumerate(values, start=1):
            cell = self.table.item(r, c) or QTableWidgetItem()
            cell.setText("—" if value is None else fmt.short(value, 3))
            cell.setToolTip("undefined: a zero vector" if value is None else fmt.full(value))
            cell.setBackground(background)
            if self.table.item(r, c) is None:
                self.table.setItem(r, c, cell)
        header = self.table.verticalHeaderItem(r) or QTableWidgetItem()
        header.setText(f"{r + 1}" + (" ★" if best else ""))
        if self.table.verticalHeaderItem(r) is None:
            self.table.setVerticalHeaderItem(r, header)
