"""NetworkScene: mirrors the document as columns, neurons and edges.

The scene holds no numbers of its own. It reads the document's project and
forward trace, builds items for them, and rebuilds (keeping the selection by
key) whenever the document says something changed. Where each item stands is
layout.py's answer (Qt-free geometry); what it reads is readouts.py's. A network
with maps (issue 35) is drawn as columns of map tiles (map_columns.py, placed by map_layout.py) before its
dense columns (dense_columns.py builds them as a dense network's). A finished drag becomes one
`move_columns` command; a double-click asks for an in-place editor whose text is committed through
the document, so every edit is undoable.
"""

from __future__ import annotations

import math
import time

import numpy as np
import shiboken6
from PySide6.QtCore import QPoint, QPointF, QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
)

from nnstudio.document import Document
from nnstudio.ui.canvas import dense_columns, layout, map_values, readouts, style
from nnstudio.ui.canvas.bulk_edges_item import BulkEdgesItem
from nnstudio.ui.canvas.cell_edits import commit_cell
from nnstudio.ui.canvas.edge_item import EdgeItem
from nnstudio.ui.canvas.image_item import ImageItem
from nnstudio.ui.canvas.layer_item import ButtonItem, LayerItem
from nnstudio.ui.canvas.layout import NetworkLayout, NetworkShape
from nnstudio.ui.canvas.map_columns import MapColumns
from nnstudio.ui.canvas.map_layout import MapLayout
from nnstudio.ui.canvas.map_overlay import overlay_state, pixel_of
from nnstudio.ui.canvas.map_painter import NeuronMapPainter
from nnstudio.ui.canvas.texts import TextBlockItem, measure
from nnstudio.ui.compat import override
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.selection import ItemKey

BULK_LIVE_SECONDS = 1.0  # how often the bulk edges take new weights while a run streams them in


class NetworkScene(QGraphicsScene):
    """Items for the document's network; emits what the person picked or asked for."""

    selection_key_changed = Signal(object)  # ItemKey | None
    context_menu_requested = Signal(int, QPoint)  # column (−1: background), screen position
    edit_requested = Signal(object)  # ItemKey
    banner_changed = Signal(str)  # the phase and the edge mode in words ("" for none)
    rebuilt = Signal()  # every item drawn again (the view shows the new buttons legible at its zoom)
    geometry: NetworkLayout | MapLayout  # where the items stand (layout.py; map_layout.py with maps), every rebuild

    def __init__(self, document: Document, parent: object | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.show_edge_labels = True
        self.edge_mode = "weight"  # while stepping: "weight", "gradient" (δ_j·a_i) or "signal" (w_ji·δ_j)
        self.digits = 3  # digits of numbers on the canvas; tooltips always show all of them
        self.layers: list[LayerItem] = []
        self.items_by_key: dict[ItemKey, QGraphicsItem] = {}
        self.edges: list[EdgeItem] = []
        self.bulk_edges: list[BulkEdgesItem] = []
        self.image: ImageItem | None = None
        self._built_for: tuple = ()
        self._bulk_drawn_at = -math.inf  # when the bulk edges last took live weights (_refresh_weights)
        self.pages: dict[int, int] = {}  # column → first neuron shown, for columns too large to show whole
        self.room: float | None = None  # the height the view gives a column at a legible zoom (set_room)
        self.view_size: tuple[float, float] | None = None  # the viewport Fit fills, and its banner (set_room)
        self.banner_room = 0.0
        self.maps = MapColumns()  # the columns of maps of a convolutional network (none for a dense one)
        self.pixel_key: ItemKey | None = None  # a selected map pixel: no item of its own (a map is one image)
        # Neuron maps (two-input networks): each neuron's activation over the input plane, drawn inside it.
        self.map_painter = NeuronMapPainter(self, lambda: self.document.shown_network, lambda: self.items_by_key)
        self.output_text: TextBlockItem | None = None
        self.buttons: list[ButtonItem] = []
        self.setBackgroundBrush(style.BACKGROUND)
        self.selectionChanged.connect(self._on_selection_changed)
        listen(self, document.replaced, self.pages.clear)  # another network: every column from its first page
        listen(self, document.changed, self._on_document_changed)
        listen(self, document.stepping.changed, self.refresh_values)
        listen(self, document.preview_changed, self._on_preview_changed)
        self.rebuild()

    # ------------------------------------------------------------------ building

    def rebuild(self) -> None:
        """Throw away every item and draw the document's network again, keeping the selection."""
        selected = self.selected_key()
        self.blockSignals(True)
        self.clear()
        self.layers, self.edges, self.bulk_edges, self.items_by_key = [], [], [], {}
        self.image, self.output_text, self.buttons = None, None, []
        project = self.document.project
        self._built_for = self._shape_of(project)
        first_dense, from_maps = 1, None
        if project.network.is_spatial:
            self.geometry = self._map_layout()
            self.maps.build(self.geometry, self.addItem, self.page, self.items_by_key)
            for dense in self.geometry.dense:
                dense_columns.add_column(self, dense, movable=False)  # packed after the maps (not dragged yet)
            first_dense, from_maps = len(self.geometry.maps), self.maps.pixel_point
            if not self.maps.has_pixel(self.pixel_key):
                self.pixel_key = None  # (kept by key across rebuilds while the maps still have that pixel)
        else:
            self.pixel_key = None
            self.maps.clear()
            self.geometry = layout.network_layout(NetworkShape.of(project), self.pages, self.show_edge_labels,
                                                  self.room)
            for column in self.geometry.columns:
                dense_columns.add_column(self, column)
        for column in range(first_dense, len(project.network.sizes)):
            dense_columns.add_edges(self, column, from_maps if column == first_dense else None)
        self._add_output_text()
        self.refresh_values()
        self.blockSignals(False)
        self.banner_changed.emit(self.banner_text())  # refresh_values ran while signals were blocked
        self.rebuilt.emit()
        if selected is not None and selected in self.items_by_key:
            self.items_by_key[selected].setSelected(True)
        self.selection_key_changed.emit(self.selected_key())

    def _add_output_text(self) -> None:
        if not self.document.project.network.layers:
            return
        self.output_text = TextBlockItem(style.OUTPUT_PX, bold=True)
        self.addItem(self.output_text)

    # ------------------------------------------------------------------ values

    @staticmethod
    def _shape_of(project) -> tuple:  # type: ignore[no-untyped-def]
        net = project.network
        return tuple(net.sizes), tuple(layer.has_bias for layer in net.layers), project.input_image

    def refresh_values(self) -> None:
        """Put the document's current numbers (or the current step's) on the items; no rebuild."""
        if self._shape_of(self.document.project) != self._built_for:
            self.rebuild()  # the items were drawn for another shape: draw them again
            return
        plan = self.document.stepping.plan
        for item in self.layers:
            item.highlighted = plan is not None and plan.active_layer() == item.column - 1 and item.column > 0
            item.update()
        if plan is not None and plan.current.before.sizes == self.document.project.network.sizes:
            readouts.show_step(self.document, plan, self.items_by_key, self.edges, self.image, self.digits,
                               self.edge_mode)
        else:
            readouts.show_plain(self.document, self.items_by_key, self.edges, self.image, self.digits)
        for item in self.layers[1:] if self.maps.geometry is None else self.layers:
            dense_columns.layout_slots(self, item.column)  # labels change width with their text
        self._paint_maps()
        self.map_painter.later()  # in events of their own (see map_painter.py)
        self._update_output_text()
        self.banner_changed.emit(self.banner_text())

    def _paint_maps(self, tiles: bool = True) -> None:
        """The tiles (what each column shows now; `tiles` False: as last painted), then the selected pixel's overlay."""
        if self.maps.geometry is None or self.maps.overlay is None:
            return
        if tiles:
            self.maps.paint(map_values.shown_maps(self.document))
        marks = map_values.pool_marks(self.document, pixel_of(self.pixel_key))
        self.maps.overlay.set_state(overlay_state(self.maps.geometry, self.document.project.network, self.pixel_key,
                                                  self.maps.shown, marks, self.maps.scales))

    def set_map_colours(self, mode: str) -> None:
        """View → Map Colours: full at each layer's, each map's or the whole network's largest |value|."""
        if self.maps.set_colour_scale(mode):
            self._paint_maps()

    def banner_text(self) -> str:
        """Where the pass stands and what the edges show, or why they show nothing yet."""
        return readouts.banner_text(self.document, self.edge_mode)

    def _on_preview_changed(self) -> None:
        """Training sent new weights: update values and the strongest edges in place (no rebuild)."""
        if self._shape_of(self.document.project) != self._built_for:
            self.rebuild()
            return
        self._refresh_weights(live=self.document.preview is not None)

    def _refresh_weights(self, live: bool = False) -> None:
        """New weights of the same shape: the strongest bulk edges are picked again, every value redrawn.

        `live` (weights arriving from a training run several times a second): the bulk edges are
        redrawn at most once a second (BULK_LIVE_SECONDS) — each redraw of their thousands of
        antialiased lines takes ~6 ms of the window's thread, which the trainer's thread then waits
        for — while the neurons' values follow every arrival. The last weights of a run always land.
        """
        network = self.document.shown_network
        now = time.monotonic()
        if not live or now - self._bulk_drawn_at >= BULK_LIVE_SECONDS:
            self._bulk_drawn_at = now
            for bulk in self.bulk_edges:
                bulk.set_weights(np.asarray(network.layers[bulk.column - 1].weights))
        self.refresh_values()

    def set_edge_mode(self, mode: str) -> None:
        self.edge_mode = mode
        self.refresh_values()

    def set_digits(self, digits: int) -> None:
        self.digits = digits
        self.refresh_values()

    def output_summary(self) -> str:
        """The output beside the last column, from the document's one answer (see readouts.output_summary)."""
        return readouts.output_summary(self.document)

    def _update_output_text(self) -> None:
        if self.output_text is None or not self.layers:
            return
        text = self.output_summary()
        self.output_text.set_text(text)
        room = readouts.output_room(self.document.shown().labels)
        self.output_text.set_room(room)
        last = self.layers[-1].pos()
        self.output_text.setPos(*layout.output_label_at((last.x(), last.y()), text, room, measure))

    def set_show_edge_labels(self, show: bool) -> None:
        if show == self.show_edge_labels:  # (the window sets it as it starts: LeNet's rebuild is ~25 ms)
            return
        self.show_edge_labels = show
        self.rebuild()  # stacks of labels take room: the columns are spaced again

    # ------------------------------------------------------------------ what is drawn, as data

    def network_rect(self) -> QRectF:
        """What Fit shows: every top-level item (columns with their buttons, edges, the output text
        with room for its widest value)."""
        rect = QRectF()
        for item in self.items():
            if item.parentItem() is None and item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        return rect

    def set_export_mode(self, exporting: bool) -> None:
        """Hide the editing chrome (the + and − buttons) while a picture is rendered, and draw the bulk
        edges as lines (not from their on-screen cache) so an SVG holds vectors."""
        for button in self.buttons:
            button.setVisible(not exporting and button.legible)  # (legible: at the view's zoom)
        for bulk in self.bulk_edges:
            bulk.setCacheMode(QGraphicsItem.CacheMode.NoCache if exporting else BulkEdgesItem.CACHE)

    # ------------------------------------------------------------------ document and interaction

    def _on_document_changed(self, kind: str) -> None:
        if kind == "layout" and self.maps.geometry is None:  # (map columns are not dragged yet)
            positions = NetworkShape.of(self.document.project).positions
            for item, position in zip(self.layers, positions):
                if item.pos() != QPointF(*position):
                    item.setPos(QPointF(*position))
        elif kind == "input":
            self.refresh_values()
        elif kind == "values" and self._shape_of(self.document.project) == self._built_for:
            self._refresh_weights()  # same shape (an update, a typed weight): no rebuild
        elif kind != "data":  # (the training data chosen: nothing on the canvas depends on it)
            self.rebuild()

    def on_column_moved(self, column: int) -> None:
        for edge in self.edges:
            if edge.key.column in (column, column + 1):
                edge.adjust()
        for bulk in self.bulk_edges:
            bulk.adjust()
        self._update_output_text()

    def on_column_released(self, column: int) -> None:
        positions = [(item.pos().x(), item.pos().y()) for item in self.layers]
        self.document.move_columns(positions)

    def resize_by(self, column: int, step: int) -> None:
        size = self.document.project.network.sizes[column] + step
        if size >= 1:
            self.document.resize_column(column, size)

    def selected_key(self) -> ItemKey | None:
        if self.pixel_key is not None:
            return self.pixel_key
        image = self.image
        if image is not None and shiboken6.isValid(image) and image.isSelected() and image.selected_pixel is not None:
            return ItemKey("neuron", 0, image.selected_pixel)  # a pixel of an image input
        for item in self.selectedItems():
            key = getattr(item, "key", None)
            if key is not None:
                return key
        return None

    # ------------------------------------------------------------------ columns shown page by page

    def page(self, column: int, step: int) -> None:
        """The next (step +1) or previous (−1) page of a column's neurons; after the last, the first."""
        channels = self.maps.channels(column)  # a column of maps pages through its channels
        size = self.document.project.network.sizes[column] if channels is None else channels
        page = (self.geometry.column(column) if isinstance(self.geometry, MapLayout)
                else self.geometry.columns[column]).page
        if size <= page:
            return
        self.pages[column] = layout.turn_page(size, self.pages.get(column, 0), step, page)
        self.rebuild()

    def set_room(self, room: float | None, view: tuple[float, float] | None = None, banner: float = 0.0) -> None:
        """The view's height for a column at a legible zoom (None: no limit); see layout.room_pages. A network
        with maps also reads the viewport Fit fills (`view`, px) and its `banner`: see map_layout.map_pages."""
        if isinstance(self.geometry, MapLayout):  # rebuilt only when the room moves the maps (opening LeNet: 2 of 3)
            self.room, self.view_size, self.banner_room = room, view, banner
            if self._map_layout() != self.geometry:
                self.rebuild()
            return
        self.room, self.view_size, self.banner_room = room, view, banner
        wanted = layout.room_pages(self.geometry.shape, room, self.show_edge_labels)
        if wanted != [column.page for column in self.geometry.columns]:
            self.pages.update(layout.realigned(self.geometry.shape, self.pages, wanted))
            self.rebuild()

    def _map_layout(self) -> MapLayout:
        return self.maps.layout(self.document.project.network, self.pages, self.room, self.view_size,
                                self.banner_room, readouts.output_room(self.document.shown().labels),
                                self.show_edge_labels)

    def show_neuron(self, column: int, row: int) -> bool:
        """Bring neuron `row` of `column` into view (its page, for a large column) and select it.
        An image input's pixel is selected on the image. False if there is no such neuron."""
        sizes = self.document.project.network.sizes
        if not 0 <= column < len(sizes) or not 0 <= row < sizes[column] or self.maps.channels(column) is not None:
            return False  # (a map pixel is not a neuron one can select yet)
        if column == 0 and self.image is not None:
            self.clearSelection()
            self.image.select_pixel(row)
            return True
        key = ItemKey("neuron", column, row)
        if key not in self.items_by_key:
            self.pages[column] = layout.page_start(sizes[column], row, self.geometry.columns[column].page)
            self.rebuild()
        self.select_key(key)
        return key in self.items_by_key

    def select_key(self, key: ItemKey | None) -> None:
        if self.maps.has_pixel(key):  # a map pixel: one signal, its field drawn
            with QSignalBlocker(self):
                self.clearSelection()
            self.pixel_key = key
            self._paint_maps(tiles=False)
            self.selection_key_changed.emit(key)
            return
        self._drop_pixel()
        self.clearSelection()
        if key is not None and key in self.items_by_key:
            self.items_by_key[key].setSelected(True)

    def _drop_pixel(self) -> bool:
        """Unselect the selected map pixel, if any (True if there was one)."""
        if self.pixel_key is None:
            return False
        self.pixel_key = None
        self._paint_maps(tiles=False)
        return True

    def _on_selection_changed(self) -> None:
        if self.selectedItems():
            self._drop_pixel()
        self.selection_key_changed.emit(self.selected_key())

    @override
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """A click on a map pixel selects it (issue 35: its receptive field lights up); elsewhere as usual."""
        key = self.pixel_key_at(event.scenePos())
        if key is not None and event.button() == Qt.MouseButton.LeftButton:
            self.select_key(key)
            event.accept()
            return
        dropped = self._drop_pixel()
        super().mousePressEvent(event)
        if dropped and not self.selectedItems():
            self.selection_key_changed.emit(self.selected_key())

    def pixel_key_at(self, scene_pos: QPointF) -> ItemKey | None:
        """The map pixel under `scene_pos`, as a selection key; None off the tiles."""
        return self.maps.key_at(scene_pos.x(), scene_pos.y())

    def key_rect(self, key: ItemKey) -> QRectF | None:
        """Where the item of `key` is drawn (scene), a map pixel's square included; None if it is not drawn."""
        if key.kind == "pixel":
            return self.maps.key_rect(key)
        item = self.items_by_key.get(key)
        return None if item is None else item.sceneBoundingRect()

    def key_at(self, scene_pos: QPointF) -> ItemKey | None:
        pixel = self.pixel_key_at(scene_pos)
        if pixel is not None:
            return pixel
        for item in self.items(scene_pos):
            key = getattr(item, "key", None)
            if key is not None:
                return key
            parent = item.parentItem()
            if parent is not None and getattr(parent, "key", None) is not None:
                return parent.key
        return None

    @override
    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        key = self.key_at(event.scenePos())
        if key is not None and key.kind in ("edge", "bias_edge", "neuron"):
            self.select_key(key)
            self.edit_requested.emit(key)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    @override
    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        key = self.key_at(event.scenePos())
        column = -1 if key is None else key.column
        if key is not None and key.kind == "bias_unit":
            column = key.column
        if key is not None:
            self.select_key(ItemKey("layer", column))
        self.context_menu_requested.emit(column, event.screenPos())
        event.accept()

    # ------------------------------------------------------------------ in-place editing

    def edit_text(self, key: ItemKey) -> str:
        """The text an in-place editor starts with: what was typed, else the full number."""
        return readouts.edit_text(self.document.project, key)

    def commit_edit(self, key: ItemKey, text: str) -> None:
        """Send typed text to the document; raises the parser's error and changes nothing on bad text."""
        commit_cell(self.document, key, text)

    def edge_label_point(self, key: ItemKey) -> QPointF:
        if key.kind == "neuron" and key.column == 0 and self.image is not None:
            return self.image.pixel_centre(key.row)
        item = self.items_by_key[key]
        if isinstance(item, EdgeItem):
            return item.label_centre()
        return item.sceneBoundingRect().center()
