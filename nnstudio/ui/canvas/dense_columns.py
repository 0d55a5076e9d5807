"""The items of a network's dense columns: a LayerItem each with its neurons (or image input), pager, bias unit and
buttons, and the edges into each column (an item per edge, or one BulkEdgesItem for a large layer).

Why a module of its own: a dense network is all dense columns, and a network with maps ends with them (issue 35:
LeNet's 120-84-10 tail), so the scene builds them the same way in both pictures. Only the geometry differs: a dense
network's columns are layout.py's NetworkLayout, a map network's tail is map_layout.py's MapLayout, whose dense
columns are laid out as columns `column - offset` of `shape.tail` (`dense_geometry` answers for both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsItem

from nnstudio.document import Document
from nnstudio.ui.canvas import layout, readouts
from nnstudio.ui.canvas.bulk_edges_item import BulkEdgesItem
from nnstudio.ui.canvas.edge_item import EdgeItem
from nnstudio.ui.canvas.image_item import ImageItem
from nnstudio.ui.canvas.layer_item import ButtonItem, LayerItem, PagerItem
from nnstudio.ui.canvas.layout import ColumnLayout, NetworkLayout, NetworkShape
from nnstudio.ui.canvas.map_layout import MapLayout
from nnstudio.ui.canvas.neuron_item import NeuronItem
from nnstudio.ui.canvas.texts import measure
from nnstudio.ui.selection import ItemKey

SourcePoint = Callable[[int], "QPointF | None"]  # input index of a column -> where its edges start


class ColumnHost(Protocol):
    """What these builders read and fill of the scene (NetworkScene)."""

    document: Document
    geometry: NetworkLayout | MapLayout
    pages: dict[int, int]
    layers: list[LayerItem]
    items_by_key: dict[ItemKey, QGraphicsItem]
    edges: list[EdgeItem]
    bulk_edges: list[BulkEdgesItem]
    buttons: list[ButtonItem]
    image: ImageItem | None

    def addItem(self, item: QGraphicsItem) -> None: ...
    def page(self, column: int, step: int) -> None: ...
    def resize_by(self, column: int, step: int) -> None: ...
    def on_column_moved(self, column: int) -> None: ...
    def on_column_released(self, column: int) -> None: ...


def dense_geometry(geometry: NetworkLayout | MapLayout, column: int) -> tuple[ColumnLayout, NetworkShape, int]:
    """Dense network column `column`: its ColumnLayout, the NetworkShape layout.py's helpers read, and the offset
    (network column minus the column in that shape: 0 for a dense network)."""
    if isinstance(geometry, MapLayout):
        assert geometry.shape.tail is not None
        return geometry.dense[column - len(geometry.maps)], geometry.shape.tail, geometry.offset
    return geometry.columns[column], geometry.shape, 0


def add_column(scene: ColumnHost, geometry: ColumnLayout, movable: bool = True) -> None:
    """One column's items, each where `geometry` puts it (`movable`: dragging it moves the document's column)."""
    project = scene.document.project
    column = geometry.column
    title, subtitle = readouts.column_titles(project, column)
    item = LayerItem(column, title, subtitle, geometry, short_title(scene, column))
    item.setPos(QPointF(*geometry.position))
    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, movable)
    scene.addItem(item)
    scene.layers.append(item)
    scene.items_by_key[item.key] = item
    item.moved.connect(scene.on_column_moved)
    item.released.connect(scene.on_column_released)

    image_shape = project.input_image if column == 0 else None
    if image_shape:
        scene.image = ImageItem(image_shape, item)
    for row, y in geometry.neurons:
        neuron = NeuronItem(ItemKey("neuron", column, row), item)
        neuron.setPos(0.0, y)
        if column == 0:
            neuron.set_caption(project.input_label(row))
        scene.items_by_key[neuron.key] = neuron
    if geometry.pager is not None:
        pager = PagerItem(lambda step, c=column: scene.page(c, step), item)
        pager.setPos(0.0, geometry.pager.y)
        scene.buttons.append(pager)
    if geometry.bias_unit_y is not None:
        unit = NeuronItem(ItemKey("bias_unit", column + 1), item)
        unit.setPos(0.0, geometry.bias_unit_y)
        unit.set_value("+1", f"bias unit of layer {column + 1}: always 1; its edges carry b{column + 1}")
        scene.items_by_key[unit.key] = unit
    # + / − buttons under the column change its neuron count through the document.
    minus = ButtonItem("−", "one neuron fewer", lambda c=column: scene.resize_by(c, -1), item)
    plus = ButtonItem("+", "one neuron more", lambda c=column: scene.resize_by(c, +1), item)
    minus.setPos(*geometry.minus)
    plus.setPos(*geometry.plus)
    scene.buttons += [minus, plus]


def short_title(scene: ColumnHost, column: int) -> str:
    """After maps, what a dense column's title says where its full title is too small to read ("120", "84",
    "10 out"): such a network fits at ~40 %. A dense network fits where its titles are legible: none."""
    layers = scene.document.project.network.layers
    if not isinstance(scene.geometry, MapLayout) or not 0 < column <= len(layers):
        return ""
    size = str(layers[column - 1].weights.shape[0])
    return size + " out" if column == len(layers) else size


def source_point(scene: ColumnHost, column: int) -> SourcePoint:
    """A function: input index of dense `column` -> scene point its edges start from (or None)."""
    layer_item = scene.items_by_key[ItemKey("layer", column)]

    def point(index: int) -> QPointF | None:
        if column == 0 and scene.image is not None:
            return scene.image.pixel_centre(index)
        neuron = scene.items_by_key.get(ItemKey("neuron", column, index))
        if isinstance(neuron, NeuronItem):
            return neuron.anchor("right")
        return layer_item.mapToScene(QPointF(layout.COLUMN_WIDTH / 2, getattr(layer_item, "more_y", 0.0)))

    return point


def add_edges(scene: ColumnHost, column: int, from_maps: SourcePoint | None = None) -> None:
    """The edges into dense `column`: painted in bulk when large, or when they come from maps (`from_maps`, the
    pixel each input starts from: a map pixel has no item an EdgeItem could join)."""
    layer = scene.document.shown_network.layers[column - 1]
    n_out, n_in = layer.weights.shape
    geometry, shape, offset = dense_geometry(scene.geometry, column)
    targets = layout.shown_rows(n_out, scene.pages.get(column, 0), geometry.page)
    if from_maps is not None or layout.drawn_in_bulk(shape, column - offset):
        target_of = {j: scene.items_by_key[ItemKey("neuron", column, j)] for j in targets}
        bulk = BulkEdgesItem(np.asarray(layer.weights), targets, from_maps or source_point(scene, column - 1),
                             lambda j: target_of[j].anchor("left"))  # type: ignore[attr-defined]
        bulk.column = column
        scene.addItem(bulk)
        scene.bulk_edges.append(bulk)
    else:
        for j in targets:
            target = scene.items_by_key[ItemKey("neuron", column, j)]
            for i in range(n_in):
                source = scene.items_by_key[ItemKey("neuron", column - 1, i)]
                _register_edge(scene, EdgeItem(ItemKey("edge", column, j, i), source, target))  # type: ignore[arg-type]
    unit = scene.items_by_key.get(ItemKey("bias_unit", column))  # none after maps: the maps' column has no unit
    if layer.has_bias and unit is not None:
        for j in targets:
            target = scene.items_by_key[ItemKey("neuron", column, j)]
            _register_edge(scene, EdgeItem(ItemKey("bias_edge", column, j), unit, target))  # type: ignore[arg-type]


def _register_edge(scene: ColumnHost, edge: EdgeItem) -> None:
    edge.set_show_label(dense_geometry(scene.geometry, edge.key.column)[0].stack > 0)
    scene.addItem(edge)
    scene.edges.append(edge)
    scene.items_by_key[edge.key] = edge


def layout_slots(scene: ColumnHost, column: int) -> None:
    """Give every edge into dense `column` its slot in its neuron's stack (layout.label_stack), all stacks as wide
    as the column's widest label."""
    edges = [e for e in scene.edges if e.key.column == column]
    geometry, shape, offset = dense_geometry(scene.geometry, column)
    if not geometry.stack:
        for edge in edges:
            edge.set_slot(None, 0.0)
        return
    stack = layout.label_stack(geometry.stack, [e.label for e in edges], measure)
    has_bias = shape.has_bias[column - offset - 1]
    for edge in edges:
        slot = layout.label_slot(None if edge.key.kind == "bias_edge" else edge.key.col, has_bias)
        edge.set_slot(stack.offsets[slot], stack.width)
