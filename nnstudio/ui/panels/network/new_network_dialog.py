"""NewNetworkDialog: a whole network from a line of sizes, in one dialog (File → New Network…).

It fills in a `core.blueprint.Blueprint`, the same description `nnstudio new` builds, so
the window and the CLI make the same network. Sizes are typed as `2-3-1`; a row per
layer then offers its activation and bias; the loss follows the output activation as a
sensible pair until the person picks one; the first weights are zeros, a constant or
seeded random. Every change re-checks the blueprint and says what is wrong under it.
The network made keeps the dataset chosen for the one before when it fits (`project`).
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

from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project, loss_after, parse_sizes, square_image
from nnstudio.core.errors import NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.losses import LOSSES
from nnstudio.core.project import DataChoice, Project
from nnstudio.data.catalogue import keep_choice
from nnstudio.ui.panels.expression_edit import error_label

# Offered initial weights (the core has more; these are the ones a new network starts from).
INITIAL_WEIGHTS = (("he", "Random: He (normal), for ReLU"), ("xavier", "Random: Xavier (uniform), for tanh/sigmoid"),
                   ("zeros", "Zeros: every weight 0"), ("constant", "Constant: every weight the value below"))
_LOSSES = [name for name, loss in LOSSES.items() if not loss.sparse]


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
        self.sizes.setPlaceholderText("sizes from input to output, e.g. 2-3-1 or 784-128-10")
        self.sizes.setToolTip("Neurons per layer, input first, joined by '-': 2-3-1 is 2 inputs, 3 hidden, 1 output")
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
        self.resize(460, 420)

    # ------------------------------------------------------------------ the layer rows

    def _activation_combo(self, row: int) -> QComboBox:
        return self.layers.cellWidget(row, 1)  # type: ignore[return-value]

    def _bias_box(self, row: int) -> QCheckBox:
        return self.layers.cellWidget(row, 2)  # type: ignore[return-value]

    def _on_sizes_changed(self) -> None:
        """One row per layer; rows that stay keep their choices, the output row keeps the output's."""
        try:
            sizes = parse_sizes(self.sizes.text())
        except BlueprintError:
            self._refresh()
            return
        old = [(self._activation_combo(r).currentData(), self._bias_box(r).isChecked())
               for r in range(self.layers.rowCount())]
        old_output = old.pop() if old else None
        count = len(sizes) - 1
        for row in range(count, self.layers.rowCount()):  # rows going away: their widgets are deleted later,
            for column in (1, 2):                          # so they must not answer to their names meanwhile
                self.layers.cellWidget(row, column).setObjectName("")
        self.layers.setRowCount(count)
        self._updating = True
        try:
            for row in range(count):
                output = row == count - 1
                if output:
                    chosen = old_output if old_output and self._output_chosen else None
                    activation, bias = chosen or (self._default_output(sizes[-1]), old_output[1] if old_output else True)
                else:
                    activation, bias = old[row] if row < len(old) else ("relu", True)
                self._fill_row(row, sizes[row + 1], output, activation, bias)
        finally:
            self._updating = False
        image = square_image(sizes[0])
        self.image.setEnabled(image is not None)
        self.image.setText(f"Draw the input as a {image[0]} × {image[1]} image" if image else
                           "Draw the input as an image (for a square input size such as 784)")
        if image is None:
            self.image.setChecked(False)
        elif sizes[0] >= 64:
            self.image.setChecked(True)
        self._follow_output()
        self._refresh()

    @staticmethod
    def _default_output(size: int) -> str:
        return "softmax" if size > 1 else "identity"

    def _fill_row(self, row: int, neurons: int, output: bool, activation: str, bias: bool) -> None:
        title = QTableWidgetItem(f"{'output' if output else f'hidden {row + 1}'}: {neurons} neuron"
                                 f"{'' if neurons == 1 else 's'}")
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
        combo.setCurrentIndex(max(0, combo.findData(activation)))
        combo.setToolTip(ACTIVATIONS[combo.currentData()].formula)
        self._bias_box(row).setChecked(bias)
        self.layers.resizeColumnsToContents()

    def _on_activation_changed(self) -> None:
        if self._updating:
            return
        rows = self.layers.rowCount()
        if rows and self.sender() is self._activation_combo(rows - 1):
            self._output_chosen = True
        for row in range(rows):
            combo = self._activation_combo(row)
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

    def blueprint(self) -> Blueprint:
        """What the dialog describes now; raises BlueprintError naming what is wrong."""
        sizes = parse_sizes(self.sizes.text())
        rows = range(self.layers.rowCount())
        init = self.init.currentData()
        params: dict[str, float] = {}
        if init == "constant":
            try:
                params["value"] = evaluate_number(self.init_value.text())
            except NNStudioError as error:
                raise BlueprintError(f"the constant: {error}") from None
        image = square_image(sizes[0]) if self.image.isChecked() else None
        blueprint = Blueprint(tuple(sizes), tuple(self._activation_combo(r).currentData() for r in rows),
                              tuple(self._bias_box(r).isChecked() for r in rows), self.loss.currentData(), init,
                              params, self.seed.value(), image)
        blueprint.check()
        return blueprint

    def project(self, keep: DataChoice | None = None) -> Project:
        """The network the dialog describes, built, with `keep` (the data chosen for the network it replaces) saved
        in it if that fits: a person who trained XOR and makes a 2-4-1 sigmoid network keeps XOR, not Circles.
        Raises NNStudioError naming what is wrong."""
        return keep_choice(build_project(self.blueprint()), keep)

    def _refresh(self) -> None:
        self.init_value.setEnabled(self.init.currentData() == "constant")
        self.seed.setEnabled(self.init.currentData() in ("he", "xavier"))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            blueprint = self.blueprint()
        except NNStudioError as error:
            self.error.setText(str(error))
            self.error.show()
            self.summary.setText("")
            ok.setEnabled(False)
            return
        self.error.hide()
        ok.setEnabled(True)
        count = blueprint.parameter_count()
        self.summary.setText(f"{' → '.join(map(str, blueprint.sizes))}: {count:,} parameter{'' if count == 1 else 's'}, "
                             f"loss {LOSSES[blueprint.chosen_loss].label.lower()}")

    def accept(self) -> None:
        try:
            self.blueprint()
        except NNStudioError:
            return  # the message is already showing; Create is disabled
        super().accept()
