"""NewNetworkDialog: a whole network from a line of sizes, in one dialog (File → New Network…).

It takes what `nnstudio new` takes, so the window and the CLI make the same network. Sizes are
typed as `2-3-1` and fill in a `core.blueprint.Blueprint`; the notation with maps
(`1x28x28-c6k5p2-m2-c16k5-m2-120-84-10`, core/architecture.py) is built by
`core.architecture_build`, as `nnstudio new` builds it. A row per layer then offers its
activation and bias (a pooling row has neither); the loss follows the output activation as a
sensible pair until the person picks one; the first weights are zeros, a constant or seeded
random. Every change re-checks what the line says and says what is wrong under it, naming
the part. The network made keeps the dataset chosen for the one before when it fits (`project`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.activations import ACTIVATIONS, get_activation
from nnstudio.core.architecture import Architecture, ConvSpec, PoolSpec, is_spatial, parse_architecture
from nnstudio.core.architecture_build import build_from_architecture, check_architecture_size, describe_shapes
from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project, loss_after, parse_sizes, square_image
from nnstudio.core.errors import NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.init import check_params, get_initialiser
from nnstudio.core.losses import LOSSES, get_loss
from nnstudio.core.project import DataChoice, Project
from nnstudio.core.spatial_layers import show_shape
from nnstudio.data.catalogue import keep_choice
from nnstudio.ui.panels.expression_edit import error_label

# Offered initial weights (the core has more; these are the ones a new network starts from).
INITIAL_WEIGHTS = (("he", "Random: He (normal), for ReLU"), ("xavier", "Random: Xavier (uniform), for tanh/sigmoid"),
                   ("zeros", "Zeros: every weight 0"), ("constant", "Constant: every weight the value below"))
_LOSSES = [name for name, loss in LOSSES.items() if not loss.sparse]


def read_line(text: str) -> tuple[list[int], Architecture | None]:
    """The values each layer gives, input first, and the architecture when the line is the notation with maps
    (None for plain sizes, which stay Blueprint's). Raises BlueprintError naming the part."""
    if is_spatial(text):
        arch = parse_architecture(text)
        return list(arch.sizes), arch
    return parse_sizes(text), None


def row_titles(sizes: list[int], arch: Architecture | None) -> list[tuple[str, str]]:
    """(title, kind) of each layer's row; kind is "dense", "conv" or "pool". A network with maps numbers its layers
    from 1, pooling counted, as `nnstudio new --no-bias` does."""
    count = len(sizes) - 1
    if arch is None:
        return [(f"{'output' if row == count - 1 else f'hidden {row + 1}'}: {n} neuron{'' if n == 1 else 's'}",
                 "dense") for row, n in enumerate(sizes[1:])]
    rows = []
    for number, spec in enumerate(arch.layers, start=1):
        where = "output" if number == count else f"{number}"
        if isinstance(spec, ConvSpec):
            rows.append((f"{where}: convolution {spec.text()} → {show_shape(spec.out_shape)}", "conv"))
        elif isinstance(spec, PoolSpec):
            rows.append((f"{where}: {spec.kind} pooling {spec.text()} → {show_shape(spec.out_shape)}", "pool"))
        else:
            rows.append((f"{where}: {spec.size} neuron{'' if spec.size == 1 else 's'}", "dense"))
    return rows


class NewNetworkDialog(QDialog):
    """Sizes, activations, biases, loss and first weights; `blueprint()` is what OK builds."""

    def __init__(self, parent: QWidget | None = None, sizes: str = "2-3-1") -> None:
        super().__init__(parent)
        self.setObjectName("newNetworkDialog")
        self.setWindowTitle("New network")
        # Once the person picks a loss, the output activation stops changing it; once they pick the
        # output's activation, a new output size stops changing that. `_updating`: the dialog itself
        # is setting a widget, which is not a person's choice.
        self._loss_chosen = False
        self._output_chosen = False
        self._updating = False
        self._build_network_fields(sizes)
        self._build_weight_fields()
        self._build_footer()
        self._lay_out()
        self.sizes.textChanged.connect(self._on_sizes_changed)
        for signal in (self.init.currentIndexChanged, self.init_value.textChanged, self.seed.valueChanged,
                       self.image.toggled):
            signal.connect(self._refresh)
        self._on_sizes_changed()

    def _build_network_fields(self, sizes: str) -> None:
        """The sizes line, the table of layers it makes, and the loss."""
        self.sizes = QLineEdit(sizes)
        self.sizes.setObjectName("sizes")
        self.sizes.setPlaceholderText("sizes from input to output, e.g. 2-3-1, or with maps 1x28x28-c6k5p2-m2-120-10")
        self.sizes.setToolTip("Neurons per layer, input first, joined by '-': 2-3-1 is 2 inputs, 3 hidden, 1 output.\n"
                              "With maps: the input as channels×height×width (1x28x28); c6k5 is a convolution of six "
                              "5×5 kernels, then s stride, p padding (p2, psame); m2, a2 max and average pooling; "
                              "a number is a dense layer, as `nnstudio new` reads it")
        self.sizes.selectAll()
        self.layers = QTableWidget(0, 3)
        self.layers.setObjectName("layers")
        self.layers.setHorizontalHeaderLabels(["Layer", "Activation", "Bias"])
        self.layers.verticalHeader().hide()
        self.layers.horizontalHeader().setStretchLastSection(True)
        self.loss = QComboBox()
        self.loss.setObjectName("loss")
        for name in _LOSSES:
            self.loss.addItem(LOSSES[name].label, name)
        self.loss.setToolTip("Follows the output activation (softmax → categorical cross-entropy, sigmoid → binary "
                             "cross-entropy, else mean squared error) until you pick one")
        self.loss.currentIndexChanged.connect(self._on_loss_picked)

    def _build_weight_fields(self) -> None:
        """How the first weights are chosen (zeros, a constant, seeded random), and whether the input is drawn as
        an image."""
        self.init = QComboBox()
        self.init.setObjectName("init")
        for name, label in INITIAL_WEIGHTS:
            self.init.addItem(label, name)
        self.init_value = QLineEdit("0.1")
        self.init_value.setObjectName("initValue")
        self.init_value.setToolTip("The constant every weight starts at (an expression: 1/sqrt(2) works)")
        self.seed = QSpinBox()
        self.seed.setObjectName("seed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The same seed gives the same random weights, here and in `nnstudio new --seed`")
        self.image = QCheckBox()
        self._maps_input = False  # whether the sizes last typed had an input of maps (the box then ticked, fixed)
        self.image.setObjectName("image")

    def _build_footer(self) -> None:
        """Under the table: what the network will be, what is wrong with it, and Create / Cancel."""
        self.summary = QLabel()
        self.summary.setObjectName("newSummary")
        self.error = error_label("newError")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self) -> None:
        """The form above the table of layers, the summary and the buttons below."""
        weights = QHBoxLayout()
        weights.addWidget(self.init, 1)
        weights.addWidget(self.init_value)
        form = QFormLayout()
        form.addRow("&Sizes", self.sizes)
        form.addRow("&Loss", self.loss)
        weights_label = QLabel("First &weights")
        weights_label.setBuddy(self.init)
        form.addRow(weights_label, weights)
        form.addRow("Random s&eed", self.seed)
        form.addRow("", self.image)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Each layer (the last is the output; biases start at 0):"))
        layout.addWidget(self.layers, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(540, 470)  # room for LeNet's seven rows and its shapes line

    # ------------------------------------------------------------------ the layer rows

    def _activation_combo(self, row: int) -> QComboBox:
        return self.layers.cellWidget(row, 1)  # type: ignore[return-value]

    def _bias_box(self, row: int) -> QCheckBox:
        return self.layers.cellWidget(row, 2)  # type: ignore[return-value]

    def _on_sizes_changed(self) -> None:
        """One row per layer; rows that stay keep their choices, the output row keeps the output's."""
        try:
            sizes, arch = read_line(self.sizes.text())
        except BlueprintError:
            self._refresh()
            return
        rows = row_titles(sizes, arch)
        # A pooling row's "identity, no bias" is not a choice: a row that was pooling starts afresh.
        old = [(self._activation_combo(r).currentData(), self._bias_box(r).isChecked())
               if self._bias_box(r).isEnabled() else None for r in range(self.layers.rowCount())]
        old_output = old.pop() if old else None
        count = len(sizes) - 1
        for row in range(count, self.layers.rowCount()):  # rows going away: their widgets are deleted later,
            for column in (1, 2):                          # so they must not answer to their names meanwhile
                self.layers.cellWidget(row, column).setObjectName("")
        self.layers.setRowCount(count)
        self._updating = True
        try:
            for row, (title, kind) in enumerate(rows):
                if row == count - 1:
                    chosen = old_output if old_output and self._output_chosen else None
                    default = self._default_output(sizes[-1], kind)
                    activation, bias = chosen or (default, old_output[1] if old_output else True)
                else:
                    activation, bias = old[row] if row < len(old) and old[row] else ("relu", True)
                self._fill_row(row, title, kind, activation, bias)
        finally:
            self._updating = False
        self._offer_image(sizes[0], arch)
        self._follow_output()
        self._refresh()

    def _offer_image(self, inputs: int, arch: Architecture | None) -> None:
        """Plain inputs of a square count may be drawn as an image; an input of maps is drawn as its maps, which the
        box says ticked and fixed (greyed and unticked it read as "not drawn"). Plain sizes typed after maps get
        their own default again, not the maps' tick."""
        maps = arch is not None and arch.input_shape is not None
        image = None if maps else square_image(inputs)
        self.image.setEnabled(image is not None)
        was_maps, self._maps_input = self._maps_input, maps
        if arch is not None and arch.input_shape is not None:
            self.image.setText(f"The input is {show_shape(arch.input_shape)}: drawn as its maps")
            self.image.setChecked(True)
            return
        self.image.setText(f"Draw the input as a {image[0]} × {image[1]} image" if image else
                           "Draw the input as an image (for a square input size such as 784)")
        if image is None:
            self.image.setChecked(False)
        elif inputs >= 64 or was_maps:
            self.image.setChecked(inputs >= 64)

    @staticmethod
    def _default_output(size: int, kind: str = "dense") -> str:
        """Classes for several dense outputs; identity for one, or for maps (softmax is only for a flat output)."""
        return "softmax" if size > 1 and kind == "dense" else "identity"

    def _fill_row(self, row: int, text: str, kind: str, activation: str, bias: bool) -> None:
        title = QTableWidgetItem(text)
        title.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.layers.setItem(row, 0, title)
        combo = self._activation_combo(row) if self.layers.cellWidget(row, 1) else None
        if combo is None:
            combo = QComboBox()
            combo.setObjectName(f"activation{row + 1}")
            for name, activation_rule in ACTIVATIONS.items():
                combo.addItem(activation_rule.label, name)
            combo.currentIndexChanged.connect(self._on_activation_changed)
            self.layers.setCellWidget(row, 1, combo)
            box = QCheckBox("bias")
            box.setObjectName(f"bias{row + 1}")
            box.toggled.connect(lambda _checked: None if self._updating else self._refresh())
            self.layers.setCellWidget(row, 2, box)
        pooling = kind == "pool"  # no activation and no bias: the combo says identity, the box is off
        combo.setCurrentIndex(max(0, combo.findData("identity" if pooling else activation)))
        combo.setToolTip("Pooling has no activation: z = a" if pooling else ACTIVATIONS[combo.currentData()].formula)
        combo.setEnabled(not pooling)
        box = self._bias_box(row)
        box.setChecked(bias and not pooling)
        box.setEnabled(not pooling)
        self.layers.resizeColumnsToContents()

    def _on_activation_changed(self) -> None:
        if self._updating:
            return
        rows = self.layers.rowCount()
        if rows and self.sender() is self._activation_combo(rows - 1):
            self._output_chosen = True
        for row in range(rows):
            combo = self._activation_combo(row)
            if combo.isEnabled():
                combo.setToolTip(ACTIVATIONS[combo.currentData()].formula)
        self._follow_output()
        self._refresh()

    def _on_loss_picked(self) -> None:
        if self._updating:
            return
        self._loss_chosen = True
        self._refresh()

    def _follow_output(self) -> None:
        rows = self.layers.rowCount()
        if rows and not self._loss_chosen:
            self._updating = True
            try:
                self.loss.setCurrentIndex(self.loss.findData(loss_after(self._activation_combo(rows - 1).currentData())))
            finally:
                self._updating = False

    # ------------------------------------------------------------------ the result

    def _params(self) -> dict[str, float]:
        """The initialiser's parameters: the constant's value, typed as an expression."""
        if self.init.currentData() != "constant":
            return {}
        try:
            return {"value": evaluate_number(self.init_value.text())}
        except NNStudioError as error:
            raise BlueprintError(f"the constant: {error}") from None

    def blueprint(self) -> Blueprint:
        """What the dialog describes now, for plain sizes; raises BlueprintError naming what is wrong (the notation
        with maps has no blueprint: `project` builds it by core.architecture_build)."""
        sizes = parse_sizes(self.sizes.text())
        rows = range(self.layers.rowCount())
        image = square_image(sizes[0]) if self.image.isChecked() else None
        blueprint = Blueprint(tuple(sizes), tuple(self._activation_combo(r).currentData() for r in rows),
                              tuple(self._bias_box(r).isChecked() for r in rows), self.loss.currentData(),
                              self.init.currentData(), self._params(), self.seed.value(), image)
        blueprint.check()
        return blueprint

    def _maps_choices(self, arch: Architecture) -> tuple[list[str], list[bool], dict[str, float]]:
        """Each row's activation and bias and the initialiser's parameters for a network with maps, checked as
        `nnstudio new` checks them, without drawing a weight: a convolution's activation is elementwise, the loss
        fits the output, the budget holds. Raises BlueprintError naming the layer or the field."""
        rows = range(self.layers.rowCount())
        activations = [self._activation_combo(r).currentData() for r in rows]
        biases = [self._bias_box(r).isChecked() for r in rows]
        for number, (spec, name) in enumerate(zip(arch.layers, activations), start=1):
            if isinstance(spec, ConvSpec) and not get_activation(name).elementwise:
                raise BlueprintError(f"layer {number} (convolution {spec.text()}): {name} is only for a flat output; "
                                     f"a convolution takes an elementwise activation, such as relu or identity")
        params = self._params()
        try:
            get_loss(self.loss.currentData()).check_output(activations[-1])  # cross-entropy after ReLU: refused
            initialiser = get_initialiser(self.init.currentData())
            check_architecture_size(arch, biases)
        except NNStudioError as error:
            raise BlueprintError(str(error)) from None
        try:
            check_params(initialiser.name, {**initialiser.defaults, **params})
        except NNStudioError as error:
            raise BlueprintError(f"initial weights: {error}") from None
        return activations, biases, params

    def _maps_project(self, arch: Architecture) -> Project:
        """The network with maps, drawn as `nnstudio new` draws it (hidden layers all one activation there: the
        same weights, bit for bit), then each layer given its row's activation."""
        activations, biases, params = self._maps_choices(arch)
        hidden = next((name for spec, name in zip(arch.layers[:-1], activations)
                       if not isinstance(spec, PoolSpec)), "relu")
        no_bias = {number for number, (spec, bias) in enumerate(zip(arch.layers, biases), start=1)
                   if not bias and not isinstance(spec, PoolSpec)}
        network = build_from_architecture(arch, hidden, activations[-1], self.init.currentData(), self.seed.value(),
                                          no_bias, params=params)
        layers = [layer if isinstance(spec, PoolSpec) or layer.activation == name else layer.replace(activation=name)
                  for layer, spec, name in zip(network.layers, arch.layers, activations)]
        return Project(network.with_layers(layers), loss=self.loss.currentData())

    def project(self, keep: DataChoice | None = None) -> Project:
        """The network the dialog describes, built, with `keep` (the data chosen for the network it replaces) saved
        in it if that fits: a person who trained XOR and makes a 2-4-1 sigmoid network keeps XOR, not Circles.
        Raises NNStudioError naming what is wrong."""
        arch = read_line(self.sizes.text())[1]
        return keep_choice(build_project(self.blueprint()) if arch is None else self._maps_project(arch), keep)

    def _summary_text(self) -> str:
        """What Create would make, checked: "2 → 3 → 1: 13 parameters, loss …"; raises NNStudioError."""
        sizes, arch = read_line(self.sizes.text())
        if arch is None:
            blueprint = self.blueprint()
            shapes, count, loss = " → ".join(map(str, sizes)), blueprint.parameter_count(), blueprint.chosen_loss
        else:
            biases = self._maps_choices(arch)[1]
            shapes, count, loss = describe_shapes(arch), arch.parameter_count(biases), self.loss.currentData()
        return f"{shapes}: {count:,} parameter{'' if count == 1 else 's'}, loss {LOSSES[loss].label.lower()}"

    def _refresh(self) -> None:
        self.init_value.setEnabled(self.init.currentData() == "constant")
        self.seed.setEnabled(self.init.currentData() in ("he", "xavier"))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            summary = self._summary_text()
        except NNStudioError as error:
            self.error.setText(str(error))
            self.error.show()
            self.summary.setText("")
            ok.setEnabled(False)
            return
        self.error.hide()
        ok.setEnabled(True)
        self.summary.setText(summary)

    def accept(self) -> None:
        try:
            self._summary_text()
        except NNStudioError:
            return  # the message is already showing; Create is disabled
        super().accept()
