"""InspectorPanel: the selected layer, neuron or edge, with editors for it.

Every change goes through the document (so it can be undone); the panel redraws
itself from the document whenever the document or the selection changes.
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.init import INITIALISERS
from nnstudio.core.network import MAX_SIZE, DenseLayer
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape
from nnstudio.document import Document
from nnstudio.ui import format as fmt
from nnstudio.ui.panels.expression_edit import ExpressionEdit
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.dock_layout import dock_column
from nnstudio.ui.panels.network.kernel_editor import KernelEditor
from nnstudio.ui.panels.network.layer_geometry_form import LayerGeometryForm


class InspectorPanel(QWidget):
    """Shows and edits whatever is selected on the canvas."""

    open_matrix_requested = Signal(int)  # column
    neuron_requested = Signal(int, int)  # column, row: show and select that neuron (Go to neuron)
    map_requested = Signal(int, int)  # column, row: open that neuron's map large
    copy_matrix_requested = Signal(int)

    keeps_text_whole = True  # its dock scrolls rather than squeeze the description's lines (dock_layout.py)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.key: ItemKey | None = None
        self._column: QVBoxLayout | None = None  # the body's box: its form, then its paragraphs
        self._body: QWidget | None = None
        self._layout = dock_column(self)
        self._layout.addStretch(1)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self._values_of: ItemKey | None = None  # the neuron whose z and a the labels below show
        self._z: QLabel | None = None
        self._a: QLabel | None = None
        self._kernels: KernelEditor | None = None  # the selected convolution's kernel, kept through value edits
        self.edge_mode, self.digits = "weight", 3  # the canvas's, which kernel cells follow (follow_canvas)
        listen(self, document.changed, self._on_document_changed)
        listen(self, document.shown_changed, self._refresh_values)
        self.refresh()

    def show_key(self, key: ItemKey | None) -> None:
        if key == self.key and self._only_kernel_values_changed():
            return  # the canvas redrew (a step, a training snapshot) and selected it again: the kernel stays
        self.key = key
        self.refresh()

    def follow_canvas(self, scene) -> None:  # type: ignore[no-untyped-def]
        """Kernel cells show what the canvas's edges show (w, ∂L/∂w, old → new) with its digits: `scene` is the
        NetworkScene, read on each of its redraws (its banner names the mode)."""
        self._canvas = scene
        scene.banner_changed.connect(self._follow)  # a bound slot: Qt drops it with this panel

    def _follow(self, _banner: str = "") -> None:
        mode, digits = self.edge_mode, self.digits = self._canvas.edge_mode, self._canvas.digits
        if self._kernels is not None and shiboken6.isValid(self._kernels):
            self._kernels.set_canvas_view(mode, digits)

    def _on_document_changed(self, kind: str) -> None:
        if kind not in ("all", "structure") and self._only_kernel_values_changed():
            return  # the kernel editor redraws its numbers in place: a cell being typed in keeps its editor
        self._refresh_timer.start()  # later: never destroy the widget that is emitting right now

    def _refresh_values(self) -> None:
        """z and a of the selected neuron as the canvas shows them now (a step of a pass, a rewound
        moment, the run's live copy): set in place, so an editor being typed in is never rebuilt."""
        key, z_label, a_label = self._values_of, self._z, self._a
        if key is None or z_label is None or a_label is None or not shiboken6.isValid(z_label) \
                or not shiboken6.isValid(a_label):
            return
        shown, plan, layer = self.document.shown(), self.document.stepping.plan, key.column - 1
        sizes = shown.network.sizes  # the key may name a neuron of the network before another was opened
        if shown.trace is None or not 1 <= key.column < len(sizes) or key.row >= sizes[key.column]:
            z_label.setText("—")
            a_label.setText("—")
            return
        t = shown.trace.layers[layer]
        z_seen = plan is None or shown.source != "step" or plan.z_visible(layer)
        a_seen = plan is None or shown.source != "step" or plan.a_visible(layer)
        z_label.setText(fmt.full(float(t.z[key.row])) if z_seen else "? (not reached yet)")
        a_label.setText(fmt.full(float(t.a[key.row])) if a_seen else "? (not reached yet)")

    def _only_kernel_values_changed(self) -> bool:
        """Whether the shown convolution is the same layer with other kernel or bias values (or typed text): the same
        kernel shape too, since a layer's channels are its kernel's first axis (16 → 8 channels is not a value)."""
        editor = self._kernels
        if editor is None or not shiboken6.isValid(editor) or not editor.fits():
            return False
        return editor.built_from.same_geometry(editor.layer())

    # ------------------------------------------------------------------ building

    def refresh(self) -> None:
        self._values_of, self._z, self._a, self._kernels = None, None, None, None
        if self._body is not None:
            self._layout.removeWidget(self._body)
            self._body.hide()  # until deleteLater's turn comes it would be drawn under the new body
            self._body.deleteLater()
        body = QWidget()
        # Word-wrapped paragraphs go below the form, in a box layout: a form row spanning both columns was given
        # less than its text's height for its width, and the last lines were cut (or drawn over, in a short dock).
        self._column = QVBoxLayout(body)
        self._column.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        self._column.addLayout(form)
        key = self._valid_key(self.key)
        if key is None:
            self._summary(form)
        elif key.kind == "layer":
            self._layer(form, key.column)
        elif key.kind == "neuron":
            self._neuron(form, key)
        elif key.kind in ("edge", "bias_edge"):
            self._edge(form, key)
        else:
            self._layer(form, key.column, key.channel if key.kind == "pixel" else 0)
        self._layout.insertWidget(0, body)
        self._body = body

    def _valid_key(self, key: ItemKey | None) -> ItemKey | None:
        if key is None:
            return None
        net = self.document.project.network
        if key.column >= len(net.sizes):
            return None
        if key.kind in ("neuron",) and key.row >= net.sizes[key.column]:
            return None
        if key.kind in ("edge", "bias_edge", "bias_unit"):
            if key.column == 0:
                return None
            layer = net.layers[key.column - 1]
            if key.kind != "bias_unit" and not isinstance(layer, DenseLayer):
                return None  # a layer of maps has no edge per weight
            if key.row >= layer.n_out or key.col >= layer.n_in or (key.kind != "edge" and not layer.has_bias):
                return None
        return key

    def _title(self, form: QFormLayout, text: str) -> None:
        label = QLabel(f"<b>{text}</b>")
        label.setObjectName("inspectorTitle")
        label.setWordWrap(True)  # LeNet's name and notation are wider than the dock: wrapped, not cut
        self._column.insertWidget(0, label)  # above the form: a wrapped row of a form was given too few lines

    def _summary(self, form: QFormLayout) -> None:
        project = self.document.project
        net = project.network
        self._title(form, project.name or "Network")
        shape = QLabel(self._shapes())
        shape.setObjectName("networkShape")
        shape.setWordWrap(True)  # LeNet's chain of maps is wider than the dock
        form.addRow("Shape", shape)
        form.addRow("Parameters", QLabel(f"{net.parameter_count:,}"))
        form.addRow("Loss", QLabel(project.loss))
        hint = QLabel("Click a layer, neuron or edge to inspect it; double-click a neuron or edge to type its value.")
        hint.setWordWrap(True)
        self._column.addWidget(hint)
        if project.description:
            text = QLabel(project.description)
            text.setWordWrap(True)
            text.setStyleSheet("color: #4b5563;")
            self._column.addWidget(text)

    def _shapes(self) -> str:
        """The network's sizes, as maps where it has them: 1×28×28 → conv 6×28×28 → max pool 6×14×14 → … → 10."""
        net = self.document.project.network
        if net.input_shape is None:
            return " → ".join(map(str, net.sizes))
        steps = [show_shape(net.input_shape)]
        for layer in net.layers:
            if isinstance(layer, Conv2DLayer):
                steps.append(f"conv {show_shape(layer.out_shape)}")
            elif isinstance(layer, Pool2DLayer):
                steps.append(f"{'max' if layer.kind == 'max' else 'mean'} pool {show_shape(layer.out_shape)}")
            else:
                steps.append(str(layer.n_out))
        return " → ".join(steps)

    def _layer(self, form: QFormLayout, column: int, kernel: int = 0) -> None:
        net = self.document.project.network
        self._title(form, "Input layer" if column == 0 else f"Layer {column}")
        if column == 0 and net.input_shape is not None:
            form.addRow("Input maps", QLabel(show_shape(net.input_shape)))
            return
        if column and not isinstance(net.layers[column - 1], DenseLayer):
            self._maps_layer(form, column, kernel)
            return
        size = QSpinBox()
        size.setObjectName("layerSize")
        size.setRange(1, MAX_SIZE)
        size.setValue(net.sizes[column])
        size.setKeyboardTracking(False)
        size.valueChanged.connect(lambda n: self.document.resize_column(column, n))
        form.addRow("Neurons" if column else "Inputs", size)
        if net.sizes[column] > 1:  # jump to any neuron by its number (a large column shows a page of them)
            go = QSpinBox()
            go.setObjectName("goToNeuron")
            go.setRange(1, net.sizes[column])
            go.setKeyboardTracking(False)
            go.setToolTip("Type a neuron's number and press Enter: the canvas shows and selects it")
            go.valueChanged.connect(lambda n: self.neuron_requested.emit(column, n - 1))
            form.addRow("Go to input" if column == 0 else "Go to neuron", go)
        init = QComboBox()
        init.setObjectName("initialiser")
        for name, spec in INITIALISERS.items():
            init.addItem(spec.label, name)
        init.setCurrentIndex(init.findData(self.document.initialiser))
        init.setToolTip("How weights are drawn for neurons and layers you add; existing weights are kept")
        init.currentIndexChanged.connect(lambda i: setattr(self.document, "initialiser", init.itemData(i)))
        form.addRow("New weights", init)
        if column == 0:
            return
        layer = net.layers[column - 1]
        self._activation_and_bias(form, column)
        form.addRow("W", QLabel(f"{layer.n_out} × {layer.n_in} (one row per neuron)"))
        buttons = QHBoxLayout()
        edit = QPushButton("Edit W and b…")
        edit.setObjectName("editMatrix")
        edit.clicked.connect(lambda: self.open_matrix_requested.emit(column))
        copy = QPushButton("Copy W")
        copy.setToolTip("Copy W as tab-separated text, ready to paste into a spreadsheet")
        copy.clicked.connect(lambda: self.copy_matrix_requested.emit(column))
        buttons.addWidget(edit)
        buttons.addWidget(copy)
        form.addRow(buttons)

    def _activation_and_bias(self, form: QFormLayout, column: int) -> None:
        """The layer's activation and whether it has a bias, both editable (a dense layer's or a convolution's)."""
        layer = self.document.project.network.layers[column - 1]
        combo = QComboBox()
        combo.setObjectName("layerActivation")
        for name, activation in ACTIVATIONS.items():
            combo.addItem(activation.label, name)
        combo.setCurrentIndex(combo.findData(layer.activation))
        combo.setToolTip(ACTIVATIONS[layer.activation].formula)
        combo.currentIndexChanged.connect(lambda i: self.document.set_activation(column, combo.itemData(i)))
        form.addRow("Activation", combo)
        bias = QCheckBox("has a bias b")
        bias.setObjectName("layerBias")
        bias.setChecked(layer.has_bias)
        bias.toggled.connect(lambda on: self.document.set_bias_enabled(column, on))
        form.addRow("Bias", bias)

    def _maps_layer(self, form: QFormLayout, column: int, kernel: int = 0) -> None:
        """A convolution or pooling layer as its numbers say it: the maps it reads and gives, its window, stride and
        padding, and its parameter count. Its neurons are maps, not a column one resizes, so no size is offered."""
        layer = self.document.project.network.layers[column - 1]
        form.addRow("Reads maps", QLabel(show_shape(layer.in_shape)))
        form.addRow("Gives maps", QLabel(show_shape(layer.out_shape)))
        if isinstance(layer, Conv2DLayer):
            kernels = QLabel(f"{layer.channels} of {layer.k}×{layer.k} over {layer.in_shape[0]} "
                             f"channel{'s' if layer.in_shape[0] != 1 else ''}")
            kernels.setObjectName("kernelsSummary")
            form.addRow("Kernels", kernels)
            form.addRow(LayerGeometryForm(self.document, column))  # channels, kernel size, stride, padding
            self._activation_and_bias(form, column)
        else:
            form.addRow("Pooling", QLabel(f"{'max' if layer.kind == 'max' else 'mean'} of each "
                                          f"{layer.size}×{layer.size} window"))
            form.addRow(LayerGeometryForm(self.document, column))  # pool size and stride
        form.addRow("Parameters", QLabel(f"{layer.parameter_count:,}"))
        if isinstance(layer, Conv2DLayer):
            self._kernel_editor(column, kernel)
        note = QLabel("Changing the geometry draws this layer's kernels afresh and re-chains the shapes after it "
                      "(one undo step). + Layer and Insert add layers of maps: c8k3p1, m2.")
        note.setObjectName("mapsNote")
        note.setWordWrap(True)
        self._column.addWidget(note)

    def _kernel_editor(self, column: int, kernel: int) -> None:
        """Kernel `kernel` of the convolution at `column`, its cells to type (kernel_editor.py)."""
        self._kernels = KernelEditor(self.document, column, kernel, self.edge_mode, self.digits)
        self._kernels.setObjectName("kernelEditor")
        self._column.addWidget(self._kernels)

    def _neuron(self, form: QFormLayout, key: ItemKey) -> None:
        project = self.document.project
        self._title(form, key.describe().capitalize())
        if key.column == 0:
            editor = ExpressionEdit(project.input_text[key.row] or fmt.full(project.input[key.row]),
                                    lambda t: self.document.set_input(key.row, t))
            editor.setObjectName("valueEditor")
            form.addRow("Value", editor)
            return
        layer = project.network.layers[key.column - 1]
        if not isinstance(layer, DenseLayer):
            self._map_value(form, key)
            return
        if project.network.input_size == 2:  # a neuron map exists: offer it large
            large = QPushButton("Map large…")
            large.setObjectName("mapLarge")
            large.setToolTip("This neuron's output over the input plane, with axes, a colour scale and the data")
            large.clicked.connect(lambda: self.map_requested.emit(key.column, key.row))
            form.addRow("Neuron map", large)
        self._z, self._a = self._number(0.0), self._number(0.0)
        form.addRow("z = w·a + b", self._z)
        form.addRow(f"a = {layer.activation}(z)", self._a)
        self._values_of = key
        self._refresh_values()
        if layer.bias is not None:
            editor = ExpressionEdit(layer.bias_text.get(key.row) or fmt.full(layer.bias[key.row]),
                                    lambda t: self.document.set_bias(key.column, key.row, t))
            editor.setObjectName("valueEditor")
            form.addRow(f"Bias b{key.row + 1}", editor)
        weights = ", ".join(fmt.short(w) for w in layer.weights[key.row][:8])
        more = " …" if layer.n_in > 8 else ""
        weights_in = QLabel(f"[{weights}{more}]")
        weights_in.setWordWrap(True)  # a wide layer's row must not widen the dock and shrink the canvas
        form.addRow("Weights in", weights_in)

    def _map_value(self, form: QFormLayout, key: ItemKey) -> None:
        """One value of a layer's maps (`key.row` counts in (C, H, W) order, as the trace does): where it is, and
        its z and a as the canvas shows them now."""
        shape = self.document.project.network.layers[key.column - 1].out_shape
        channel, row, col = (int(i) for i in np.unravel_index(key.row, shape))
        where = QLabel(f"map {channel + 1}, row {row + 1}, column {col + 1} of {show_shape(shape)}")
        where.setWordWrap(True)  # "map 16, row 10, column 10 of 16×10×10" is about the dock's width
        form.addRow("Where", where)
        self._z, self._a = self._number(0.0), self._number(0.0)
        form.addRow("z", self._z)
        form.addRow("a", self._a)
        self._values_of = key
        self._refresh_values()

    def _edge(self, form: QFormLayout, key: ItemKey) -> None:
        layer = self.document.project.network.layers[key.column - 1]
        self._title(form, key.describe().capitalize())
        if key.kind == "edge":
            source = (f"input {self.document.project.input_label(key.col)}" if key.column == 1
                      else f"neuron {key.col + 1} of layer {key.column - 1}")
            form.addRow("From", QLabel(source))
            form.addRow("To", QLabel(f"neuron {key.row + 1} of layer {key.column}"))
            typed = layer.weight_text.get((key.row, key.col))
            value = float(layer.weights[key.row, key.col])
            commit = lambda t: self.document.set_weight(key.column, key.row, key.col, t)  # noqa: E731
        else:
            assert layer.bias is not None
            form.addRow("To", QLabel(f"neuron {key.row + 1} of layer {key.column}"))
            typed = layer.bias_text.get(key.row)
            value = float(layer.bias[key.row])
            commit = lambda t: self.document.set_bias(key.column, key.row, t)  # noqa: E731
        editor = ExpressionEdit(typed or fmt.full(value), commit)
        editor.setObjectName("valueEditor")
        form.addRow("Value", editor)
        form.addRow("Full precision", self._number(value))

    def _number(self, value: float) -> QLabel:
        label = QLabel(fmt.full(value))
        label.setObjectName("fullValue")
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label
