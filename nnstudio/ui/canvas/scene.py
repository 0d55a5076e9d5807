"""NetworkScene: mirrors the document as columns, neurons and edges.

The scene holds no numbers of its own. It reads the document's project and
forward trace, builds items for them, and rebuilds (keeping the selection by
key) whenever the document says something changed. A finished drag becomes one
`move_columns` command; a double-click asks for an in-place editor whose text is
committed through the document, so every edit is undoable.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np
import shiboken6
from PySide6.QtCore import QPoint, QPointF, QTimer, Signal
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
)

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import NNStudioError
from nnstudio.core.neuron_maps import DEFAULT_BOUNDS, NeuronMaps, neuron_maps
from nnstudio.document import Document
from nnstudio.document.edits import auto_layout
from nnstudio.ui import format as fmt
from nnstudio.ui.canvas import style
from nnstudio.ui.images import circle_cut, map_pixels, rgb_image, rgba_image
from nnstudio.ui.canvas.bulk_edges_item import BulkEdgesItem
from nnstudio.ui.canvas.edge_item import EdgeItem, label_width
from nnstudio.ui.canvas.image_item import ImageItem
from nnstudio.ui.canvas.layer_item import COLUMN_WIDTH, ButtonItem, LayerItem, PagerItem
from nnstudio.ui.canvas.neuron_item import MAP_PIXMAP_PX, NeuronItem
from nnstudio.ui.canvas.texts import CanvasText, TextBlockItem
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.lifetimes import listen

MAP_SIZE = 32  # points a side of each neuron's map on the canvas
BULK_LIVE_SECONDS = 1.0  # how often the bulk edges take new weights while a run streams them in


def shown_rows(size: int, first: int = 0) -> list[int]:
    """Which neurons of a column of `size` get their own circle: all of a small column; of a large one
    a page of SHOWN_WHEN_LARGE from `first` (clamped to the column)."""
    if size <= style.MAX_SHOWN_NEURONS:
        return list(range(size))
    first = max(0, min(first, size - style.SHOWN_WHEN_LARGE))
    return list(range(first, first + style.SHOWN_WHEN_LARGE))


def page_start(size: int, row: int) -> int:
    """The first row of the page that shows `row` (pages start at multiples of SHOWN_WHEN_LARGE)."""
    return min(row - row % style.SHOWN_WHEN_LARGE, max(0, size - style.SHOWN_WHEN_LARGE))


def row_y(slot: int, slots: int, spacing: float = style.NEURON_SPACING) -> float:
    return (slot - (slots - 1) / 2.0) * spacing


MAX_STACK = 7  # labels into one neuron (inputs + bias) shown as a stack; more: values on hover


def stack_offset(slot: int, slots: int) -> float:
    """Vertical offset of label `slot` of a stack of `slots`, centred on its neuron."""
    return (slot - (slots - 1) / 2.0) * style.LABEL_PITCH


def stack_half_height(slots: int) -> float:
    return 0.0 if slots == 0 else (slots - 1) / 2.0 * style.LABEL_PITCH + style.LABEL_H / 2


class NetworkScene(QGraphicsScene):
    """Items for the document's network; emits what the person picked or asked for."""

    selection_key_changed = Signal(object)  # ItemKey | None
    context_menu_requested = Signal(int, QPoint)  # column (−1: background), screen position
    edit_requested = Signal(object)  # ItemKey
    banner_changed = Signal(str)  # the phase and the edge mode in words ("" for none)

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
        # Neuron maps (two-input networks): each neuron's activation over the input plane, drawn inside it.
        self.show_maps = True
        self.map_bounds = DEFAULT_BOUNDS
        self.maps: NeuronMaps | None = None
        # The maps are drawn in events of their own, coalesced, a layer an event (`_map_steps`): with a
        # refresh of the values in the same event, a live update held the event loop for tens of ms, and
        # all layers in one event still 45 ms (2-16-16-1 while training, bench_ui_latency.py, maps).
        self._maps_later = QTimer(self)
        self._maps_later.setSingleShot(True)
        self._maps_later.setInterval(0)
        self._maps_later.timeout.connect(self._start_map_steps)
        self._map_job: Iterator[None] | None = None
        self._map_next = QTimer(self)
        self._map_next.setSingleShot(True)
        self._map_next.setInterval(0)
        self._map_next.timeout.connect(self._next_map_step)
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
        net = project.network
        self._built_for = self._shape_of(project)
        positions = auto_layout(project)
        for column, size in enumerate(net.sizes):
            self._add_column(column, size, positions[column])
        for column in range(1, len(net.sizes)):
            self._add_edges(column)
        self._add_output_text()
        self.refresh_values()
        self.blockSignals(False)
        self.banner_changed.emit(self.banner_text())  # refresh_values ran while signals were blocked
        if selected is not None and selected in self.items_by_key:
            self.items_by_key[selected].setSelected(True)
        self.selection_key_changed.emit(self.selected_key())

    def _column_titles(self, column: int) -> tuple[str, str]:
        net = self.document.project.network
        if column == 0:
            image = self.document.project.input_image
            shape = f" ({image[0]}×{image[1]} image)" if image else ""
            return "Input", f"{net.input_size} input{'s' if net.input_size != 1 else ''}{shape}"
        layer = net.layers[column - 1]
        title = f"Layer {column}" + (" · output" if column == len(net.layers) else "")
        return title, f"{layer.n_out} · {get_activation(layer.activation).label}"

    def _add_column(self, column: int, size: int, position: tuple[float, float]) -> None:
        project = self.document.project
        image_shape = project.input_image if column == 0 else None
        rows = [] if image_shape else shown_rows(size, self.pages.get(column, 0))
        slots = len(rows) + (1 if len(rows) < size and not image_shape else 0)
        spacing = self.neuron_spacing(column)
        stack = stack_half_height(self.stack_size(column))
        if image_shape:
            h = image_shape[0] * style.IMAGE_PIXEL
            top, bottom = -h / 2, h / 2
        else:
            top = row_y(0, slots, spacing) - max(style.NEURON_RADIUS, stack)
            bottom = row_y(slots - 1, slots, spacing) + max(style.NEURON_RADIUS, stack)
        has_next_bias = column < len(project.network.layers) and project.network.layers[column].has_bias
        unit_y = (top if image_shape else row_y(0, slots, spacing)) - spacing
        if has_next_bias:
            top = min(top, unit_y - style.NEURON_RADIUS)
        title, subtitle = self._column_titles(column)
        item = LayerItem(column, title, subtitle, top, bottom)
        item.setPos(QPointF(*position))
        self.addItem(item)
        self.layers.append(item)
        self.items_by_key[item.key] = item
        item.moved.connect(self._on_column_moved)
        item.released.connect(self._on_column_released)

        if image_shape:
            self.image = ImageItem(image_shape, item)
        for slot, row in enumerate(rows):
            neuron = NeuronItem(ItemKey("neuron", column, row), item)
            neuron.setPos(0.0, row_y(slot, slots, spacing))
            if column == 0:
                neuron.set_caption(project.input_label(row))
            self.items_by_key[neuron.key] = neuron
        if len(rows) < size and not image_shape:
            more_y = row_y(slots - 1, slots, spacing)
            item.set_more(f"{rows[0] + 1}–{rows[-1] + 1}\nof {size} ▼", more_y)
            pager = PagerItem(lambda step, c=column: self.page(c, step), item)
            pager.setPos(0.0, more_y)
            self.buttons.append(pager)
        if has_next_bias:
            unit = NeuronItem(ItemKey("bias_unit", column + 1), item)
            unit.setPos(0.0, unit_y)
            unit.set_value("+1", f"bias unit of layer {column + 1}: always 1; its edges carry b{column + 1}")
            self.items_by_key[unit.key] = unit
        # + / − buttons under the column change its neuron count through the document.
        minus = ButtonItem("−", "one neuron fewer", lambda c=column: self._resize_by(c, -1), item)
        plus = ButtonItem("+", "one neuron more", lambda c=column: self._resize_by(c, +1), item)
        minus.setPos(-14, bottom + 22)
        plus.setPos(14, bottom + 22)
        self.buttons += [minus, plus]

    def labels_on(self, column: int) -> bool:
        """Does layer `column` show its weights as a stack of labels beside each neuron?"""
        if column < 1 or not self.show_edge_labels or self._is_large(column):
            return False
        if column == 1 and self.document.project.input_image:
            return False
        layer = self.document.project.network.layers[column - 1]
        return layer.n_in + layer.has_bias <= MAX_STACK

    def stack_size(self, column: int) -> int:
        """How many labels stand beside each neuron of `column` (0: none)."""
        if not self.labels_on(column):
            return 0
        layer = self.document.project.network.layers[column - 1]
        return layer.n_in + int(layer.has_bias)

    def neuron_spacing(self, column: int) -> float:
        """Distance between neurons of `column`: enough for their stacks of labels not to meet."""
        return max(style.NEURON_SPACING, self.stack_size(column) * style.LABEL_PITCH + 10.0)

    def _source_point(self, column: int):
        """A function: input index of `column` -> scene point its edges start from (or None)."""
        layer_item = self.layers[column]

        def point(index: int) -> QPointF | None:
            if column == 0 and self.image is not None:
                return self.image.pixel_centre(index)
            neuron = self.items_by_key.get(ItemKey("neuron", column, index))
            if isinstance(neuron, NeuronItem):
                return neuron.anchor("right")
            return layer_item.mapToScene(QPointF(COLUMN_WIDTH / 2, layer_item.more_y))

        return point

    def _add_edges(self, column: int) -> None:
        layer = self.document.shown_network.layers[column - 1]
        n_out, n_in = layer.weights.shape
        targets = shown_rows(n_out, self.pages.get(column, 0))
        large = (n_in > style.MAX_EDGE_ITEMS_PER_SIDE or n_out > style.MAX_EDGE_ITEMS_PER_SIDE
                 or (column == 1 and self.image is not None))
        if large:
            target_of = {j: self.items_by_key[ItemKey("neuron", column, j)] for j in targets}
            bulk = BulkEdgesItem(np.asarray(layer.weights), targets, self._source_point(column - 1),
                                 lambda j: target_of[j].anchor("left"))
            bulk.column = column
            self.addItem(bulk)
            self.bulk_edges.append(bulk)
        else:
            for j in targets:
                target = self.items_by_key[ItemKey("neuron", column, j)]
                for i in range(n_in):
                    source = self.items_by_key[ItemKey("neuron", column - 1, i)]
                    edge = EdgeItem(ItemKey("edge", column, j, i), source, target)  # type: ignore[arg-type]
                    self._register_edge(edge)
        if layer.has_bias:
            unit = self.items_by_key[ItemKey("bias_unit", column)]
            for j in targets:
                target = self.items_by_key[ItemKey("neuron", column, j)]
                edge = EdgeItem(ItemKey("bias_edge", column, j), unit, target)  # type: ignore[arg-type]
                self._register_edge(edge)

    def _layout_slots(self, column: int) -> None:
        """Give every edge into `column` its slot in its neuron's stack, all stacks as wide as the widest label.

        The bias comes first (its unit is drawn on top of the previous column), then the inputs in
        order, so the lines into one stack never cross each other near it.
        """
        edges = [e for e in self.edges if e.key.column == column]
        slots = self.stack_size(column)
        if not slots:
            for edge in edges:
                edge.set_slot(None, 0.0)
            return
        width = max((label_width(e.label) for e in edges), default=30.0)
        has_bias = self.document.project.network.layers[column - 1].has_bias
        for edge in edges:
            slot = 0 if edge.key.kind == "bias_edge" else edge.key.col + int(has_bias)
            edge.set_slot(stack_offset(slot, slots), width)

    def _register_edge(self, edge: EdgeItem) -> None:
        edge.set_show_label(self.labels_on(edge.key.column))
        self.addItem(edge)
        self.edges.append(edge)
        self.items_by_key[edge.key] = edge

    def _is_large(self, column: int) -> bool:
        layer = self.document.project.network.layers[column - 1]
        return layer.n_out > style.MAX_SHOWN_NEURONS or layer.n_in > style.MAX_SHOWN_NEURONS

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
        for index, item in enumerate(self.layers):
            item.highlighted = plan is not None and plan.active_layer() == index - 1 and index > 0
            item.update()
        if plan is not None and plan.current.before.sizes == self.document.project.network.sizes:
            self._refresh_stepping(plan)
        else:
            self._refresh_plain()
        for column in range(1, len(self.layers)):
            self._layout_slots(column)  # labels change width with their text
        self._maps_later.start()  # in an event of its own (see _refresh_maps)
        self._update_output_text()
        self.banner_changed.emit(self.banner_text())

    def set_show_maps(self, on: bool) -> None:
        self.show_maps = on
        self._refresh_maps()

    def set_map_bounds(self, bounds) -> None:  # type: ignore[no-untyped-def]
        """The part of the input plane the maps show (the training data's extent, once there is data)."""
        self.map_bounds = bounds
        self._refresh_maps()

    def _refresh_maps(self) -> None:
        """Each neuron's map for the network on screen, or none (off, or not a two-input network), now."""
        self._map_job = None
        self._map_next.stop()
        for _ in self._map_steps():
            pass

    def _start_map_steps(self) -> None:
        """Draw the maps a layer an event (a newer request restarts from the network then on screen)."""
        self._map_job = self._map_steps()
        self._next_map_step()

    def _next_map_step(self) -> None:
        if self._map_job is None:
            return
        if next(self._map_job, StopIteration) is StopIteration:
            self._map_job = None
        else:
            self._map_next.start()

    def _map_steps(self) -> Iterator[None]:
        """Compute the maps, then colour and cut one layer's maps a step (see `_maps_later`)."""
        network = self.document.shown_network
        self.maps = None
        if self.show_maps and network.input_size == 2 and network.layers:
            try:
                self.maps = neuron_maps(network, self.map_bounds, MAP_SIZE)
            except (NNStudioError, FloatingPointError, ValueError):
                self.maps = None
        maps = self.maps
        by_column: dict[int, list[NeuronItem]] = {}
        for key, item in self.items_by_key.items():
            if isinstance(item, NeuronItem) and key.kind == "neuron" and key.column > 0:
                by_column.setdefault(key.column, []).append(item)
        for column, items in sorted(by_column.items()):
            if maps is None or column > len(maps.layers):
                for item in items:
                    if item.map is not None:  # (most networks have no maps: no repaint for nothing)
                        item.set_map(None)
                continue
            yield  # the layers before this one are drawn: let the event loop breathe
            if self.maps is not maps or not all(shiboken6.isValid(item) for item in items):
                return  # redrawn or rebuilt meanwhile
            layer = maps.layers[column - 1]
            scale = float(np.max(np.abs(layer))) if layer.size else 1.0
            rgb = map_pixels(layer, scale if np.isfinite(scale) else 1.0)  # a whole layer in one pass
            cut = circle_cut(rgb, MAP_PIXMAP_PX)
            for item in items:
                item.set_map(rgb_image(rgb[item.key.row]), rgba_image(cut[item.key.row]))

    MODE_NAMES = {"weight": "w", "gradient": "∂L/∂w", "signal": "w·δ"}

    def banner_text(self) -> str:
        """Where the pass stands and what the edges show, or why they show nothing yet."""
        plan = self.document.stepping.plan
        mode = self.MODE_NAMES[self.edge_mode]
        shown = self.document.shown()
        if shown.source == "rewind":
            return (f"Rewound · the network at {self.document.preview_rewound}; 'Use these weights' keeps it, "
                    "the slider's end returns")
        if shown.source == "training":
            return "Training · the canvas follows the network as it learns"
        if plan is None:
            if self.edge_mode == "weight":
                return ""
            return f"Edges show w: {mode} needs a pass through the network; Step ▶ (F10) starts one"
        parts = [f"Step {plan.index} of {len(plan.steps) - 1} · {shown.phase}"]
        layers = range(len(self.document.project.network.layers))
        if plan.updated():
            parts.append("edges: old → new value of each weight and bias")
        elif self.edge_mode == "gradient" and not any(plan.gradients_visible(k) for k in layers):
            parts.append("edges: ∂L/∂w = δ·a appears once the backward pass reaches a layer's gradients")
        elif self.edge_mode == "signal" and not any(plan.delta_visible(k) for k in layers):
            parts.append("edges: w·δ appears once the backward pass reaches a layer's δ")
        elif self.edge_mode == "signal":
            parts.append("edges: w·δ carried back; a bias edge carries 1·δ")
        else:
            parts.append(f"edges: {mode}")
        return "\n".join(parts)

    def _short(self, value: float) -> str:
        return fmt.short(value, self.digits)

    def _set_input_values(self, x: np.ndarray, texts: tuple) -> None:
        project = self.document.project
        for key, item in self.items_by_key.items():
            if key.kind == "neuron" and key.column == 0 and isinstance(item, NeuronItem):
                value = float(x[key.row])
                typed = texts[key.row] if texts else None
                label = fmt.pretty_expression(typed) if typed and len(typed) <= 6 else self._short(value)
                item.set_value(label, f"input {project.input_label(key.row)} = {typed + ' = ' if typed else ''}"
                               f"{fmt.full(value)}")
        if self.image is not None:
            self.image.set_values(x)

    def _refresh_plain(self) -> None:
        project = self.document.project
        trace = self.document.shown_trace
        net = self.document.shown_network
        self._set_input_values(project.input, project.input_text)
        for key, item in self.items_by_key.items():
            if key.kind != "neuron" or key.column == 0 or not isinstance(item, NeuronItem):
                continue
            if trace is not None:
                layer_trace = trace.layers[key.column - 1]
                z, a = float(layer_trace.z[key.row]), float(layer_trace.a[key.row])
                scale = float(np.max(np.abs(layer_trace.a))) or 1.0
                fill = style.value_colour(a, scale, alpha_floor=0)
                fill.setAlpha(int(fill.alpha() * 0.35))
                item.set_value(self._short(a), f"{key.describe()}\nz = {fmt.full(z)}\na = {fmt.full(a)}", fill)
        for edge in self.edges:
            layer = net.layers[edge.key.column - 1]
            scale = float(max(np.max(np.abs(layer.weights)),
                              np.max(np.abs(layer.bias)) if layer.bias is not None else 0.0)) or 1.0
            value, typed = self._weight(layer, edge)
            label = fmt.pretty_expression(typed) if typed and len(fmt.pretty_expression(typed)) <= 8 \
                else self._short(value)
            edge.set_value(value, scale, label,
                           f"{edge.key.describe()} = {typed + ' = ' if typed else ''}{fmt.full(value)}")

    @staticmethod
    def _weight(layer, edge: EdgeItem) -> tuple[float, str | None]:  # type: ignore[no-untyped-def]
        if edge.key.kind == "edge":
            return float(layer.weights[edge.key.row, edge.key.col]), layer.weight_text.get((edge.key.row, edge.key.col))
        return float(layer.bias[edge.key.row]), layer.bias_text.get(edge.key.row)

    def edge_value(self, plan, edge_key: ItemKey) -> tuple[float | None, str]:  # type: ignore[no-untyped-def]
        """What an edge shows at this step in the chosen mode: (value or None if not reached, label)."""
        passed = plan.current
        layer_index = edge_key.column - 1
        before = passed.before.layers[layer_index]
        j, i = edge_key.row, edge_key.col
        is_bias = edge_key.kind == "bias_edge"
        old = float(before.bias[j]) if is_bias else float(before.weights[j, i])
        if plan.updated():
            after = passed.after.layers[layer_index]
            new = float(after.bias[j]) if is_bias else float(after.weights[j, i])
            return new, f"{self._short(old)} → {self._short(new)}"
        if self.edge_mode == "weight":
            return old, self._short(old)
        if passed.gradients is None:  # the pass stops before its loss (no target): nothing flows back
            return None, ""
        grads = passed.gradients.layers[layer_index]
        if self.edge_mode == "gradient":
            if not plan.gradients_visible(layer_index):
                return None, ""
            value = float(grads.grad_bias[j]) if is_bias else float(grads.grad_weights[j, i])
            return value, self._short(value)
        if not plan.delta_visible(layer_index):  # "signal": what the edge carries back, w_ji·δ_j
            return None, ""
        delta = float(grads.delta[j])
        value = delta if is_bias else float(before.weights[j, i]) * delta
        return value, f"1·δ {self._short(value)}" if is_bias else self._short(value)

    def neuron_text(self, plan, key: ItemKey) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        """(label, tooltip) of a neuron at this step: blank until reached, then z and a, then a and δ."""
        layer_index = key.column - 1
        t = plan.current.trace.layers[layer_index]
        z, a = float(t.z[key.row]), float(t.a[key.row])
        lines, tips = [], [key.describe()]
        if plan.z_visible(layer_index):
            tips.append(f"z = {fmt.full(z)}")
        if plan.a_visible(layer_index):
            tips.append(f"a = {fmt.full(a)}")
        if plan.delta_visible(layer_index):
            delta = float(plan.current.gradients.layers[layer_index].delta[key.row])
            lines = [f"a {self._short(a)}", f"δ {self._short(delta)}"]
            tips.append(f"δ = ∂L/∂z = {fmt.full(delta)}")
        elif plan.a_visible(layer_index):
            lines = [f"z {self._short(z)}", f"a {self._short(a)}"]
        elif plan.z_visible(layer_index):
            lines = [f"z {self._short(z)}"]
        return "\n".join(lines), "\n".join(tips)

    def _refresh_stepping(self, plan) -> None:  # type: ignore[no-untyped-def]
        passed = plan.current
        project = self.document.project
        texts = project.samples[plan.step.sample].input_text if plan.use_samples else project.input_text
        self._set_input_values(passed.x, texts)
        for key, item in self.items_by_key.items():
            if key.kind != "neuron" or key.column == 0 or not isinstance(item, NeuronItem):
                continue
            label, tip = self.neuron_text(plan, key)
            fill = style.ACTIVE_FILL if plan.active_layer() == key.column - 1 else style.NEURON_FILL
            item.set_value(label, tip, fill)
        values: dict[int, list[float]] = {}
        shown = []
        for edge in self.edges:
            value, label = self.edge_value(plan, edge.key)
            shown.append((edge, value, label))
            if value is not None:
                values.setdefault(edge.key.column, []).append(abs(value))
        for edge, value, label in shown:
            scale = max(values.get(edge.key.column, [0.0])) or 1.0
            tip = edge.key.describe() + ("" if value is None else f": {self.edge_mode if not plan.updated() else 'new'}"
                                          f" = {fmt.full(value)}")
            edge.set_value(0.0 if value is None else value, scale, label, tip)

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
        """The output beside the last column, from the document's one answer (see shown.py).

        Up to four outputs are listed; more (MNIST's ten) show the predicted class and p.
        """
        shown = self.document.shown()
        if not shown.has_layers:
            return ""
        if shown.output is None:
            return "ŷ = ?" if len(shown.labels) == 1 else "\n".join(shown.output_lines()[:4] + (
                ["…"] if len(shown.labels) > 4 else []))
        if shown.classifier:
            return shown.predicted()
        return "\n".join(shown.output_lines())

    def _update_output_text(self) -> None:
        if self.output_text is None or not self.layers:
            return
        self.output_text.set_text(self.output_summary())
        labels = self.document.shown().labels
        self.output_text.set_room("\n".join(f"{label} = −0.0000" for label in labels[:4])
                                  if len(labels) <= 4 else f"→ {max(labels, key=len)} (p = 0.000)")
        last = self.layers[-1]
        rect = self.output_text.boundingRect()
        self.output_text.setPos(last.pos() + QPointF(COLUMN_WIDTH / 2 + 20, -rect.height() / 2))

    def set_show_edge_labels(self, show: bool) -> None:
        self.show_edge_labels = show
        self.rebuild()  # stacks of labels take room: the columns are spaced again

    # ------------------------------------------------------------------ what is drawn, as data

    def visible_texts(self, level_of_detail: float) -> list[tuple[CanvasText, QRectF, QGraphicsItem]]:
        """Every text drawn at this zoom: (text, its glyphs' rectangle in scene coordinates, item)."""
        out = []
        for item in self.items():
            texts = getattr(item, "texts", None)
            if texts is None or not item.isVisible():
                continue
            for text in texts():
                if text.text and style.legible(text.px, level_of_detail):
                    out.append((text, item.mapRectToScene(text.ink_rect()), item))
        return out

    def edge_lines(self) -> list[tuple[QLineF, QGraphicsItem]]:
        """Every line drawn between neurons, in scene coordinates, with the item that draws it."""
        out: list[tuple[QLineF, QGraphicsItem]] = [(line, edge) for edge in self.edges for line in edge.segments()]
        for bulk in self.bulk_edges:
            out += [(line, bulk) for line in bulk.lines()]
        return out

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
            button.setVisible(not exporting)
        for bulk in self.bulk_edges:
            bulk.setCacheMode(QGraphicsItem.CacheMode.NoCache if exporting else BulkEdgesItem.CACHE)

    # ------------------------------------------------------------------ document and interaction

    def _on_document_changed(self, kind: str) -> None:
        if kind == "layout":
            positions = auto_layout(self.document.project)
            for item, position in zip(self.layers, positions):
                if item.pos() != QPointF(*position):
                    item.setPos(QPointF(*position))
        elif kind == "input":
            self.refresh_values()
        elif kind == "values" and self._shape_of(self.document.project) == self._built_for:
            self._refresh_weights()  # same shape (an update, a typed weight): no rebuild
        else:
            self.rebuild()

    def _on_column_moved(self, column: int) -> None:
        for edge in self.edges:
            if edge.key.column in (column, column + 1):
                edge.adjust()
        for bulk in self.bulk_edges:
            bulk.adjust()
        self._update_output_text()

    def _on_column_released(self, column: int) -> None:
        positions = [(item.pos().x(), item.pos().y()) for item in self.layers]
        self.document.move_columns(positions)

    def _resize_by(self, column: int, step: int) -> None:
        size = self.document.project.network.sizes[column] + step
        if size >= 1:
            self.document.resize_column(column, size)

    def selected_key(self) -> ItemKey | None:
        image = self.image
        if image is not None and shiboken6.isValid(image) and image.isSelected() and image.selected_pixel is not None:
            return ItemKey("neuron", 0, image.selected_pixel)  # a pixel of an image input
        for item in self.selectedItems():
            key = getattr(item, "key", None)
            if key is not None:
                return key
        return None

    # ------------------------------------------------------------------ large columns, page by page

    def page(self, column: int, step: int) -> None:
        """Show the next (step +1) or previous (−1) page of a large column's neurons; past the last
        page it starts again at the first."""
        size = self.document.project.network.sizes[column]
        if size <= style.MAX_SHOWN_NEURONS:
            return
        pages = -(-size // style.SHOWN_WHEN_LARGE)
        current = self.pages.get(column, 0) // style.SHOWN_WHEN_LARGE
        self.pages[column] = ((current + step) % pages) * style.SHOWN_WHEN_LARGE
        self.rebuild()

    def show_neuron(self, column: int, row: int) -> bool:
        """Bring neuron `row` of `column` into view (its page, for a large column) and select it.
        An image input's pixel is selected on the image. False if there is no such neuron."""
        sizes = self.document.project.network.sizes
        if not 0 <= column < len(sizes) or not 0 <= row < sizes[column]:
            return False
        if column == 0 and self.image is not None:
            self.clearSelection()
            self.image.select_pixel(row)
            return True
        key = ItemKey("neuron", column, row)
        if key not in self.items_by_key:
            self.pages[column] = page_start(sizes[column], row)
            self.rebuild()
        self.select_key(key)
        return key in self.items_by_key

    def select_key(self, key: ItemKey | None) -> None:
        self.clearSelection()
        if key is not None and key in self.items_by_key:
            self.items_by_key[key].setSelected(True)

    def _on_selection_changed(self) -> None:
        self.selection_key_changed.emit(self.selected_key())

    def key_at(self, scene_pos: QPointF) -> ItemKey | None:
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
        project = self.document.project
        if key.kind == "neuron" and key.column == 0:
            typed = project.input_text[key.row]
            return typed or fmt.full(project.input[key.row])
        layer = project.network.layers[key.column - 1]
        if key.kind == "layer":  # every bias of the layer at once: shown when they are all alike
            if layer.bias is None:
                raise NNStudioError(f"layer {key.column} has no bias; turn on its bias in the inspector first")
            texts = {layer.bias_text.get(row) or fmt.full(layer.bias[row]) for row in range(layer.n_out)}
            return texts.pop() if len(texts) == 1 else ""
        if key.kind == "edge":
            return layer.weight_text.get((key.row, key.col)) or fmt.full(layer.weights[key.row, key.col])
        if layer.bias is None:
            raise NNStudioError(f"layer {key.column} has no bias; turn on its bias in the inspector first")
        return layer.bias_text.get(key.row) or fmt.full(layer.bias[key.row])

    def commit_edit(self, key: ItemKey, text: str) -> None:
        """Send typed text to the document; raises the parser's error and changes nothing on bad text."""
        if key.kind == "neuron" and key.column == 0:
            self.document.set_input(key.row, text)
        elif key.kind == "layer":
            self.document.set_all_biases(key.column, text)
        elif key.kind == "edge":
            self.document.set_weight(key.column, key.row, key.col, text)
        else:
            self.document.set_bias(key.column, key.row, text)

    def edge_label_point(self, key: ItemKey) -> QPointF:
        if key.kind == "neuron" and key.column == 0 and self.image is not None:
            return self.image.pixel_centre(key.row)
        item = self.items_by_key[key]
        if isinstance(item, EdgeItem):
            return item.label_centre()
        return item.sceneBoundingRect().center()
