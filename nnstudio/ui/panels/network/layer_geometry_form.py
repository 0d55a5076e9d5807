"""The forms that say a layer of maps' geometry: the Inspector's form for a selected convolution or pooling layer
(channels, kernel size, stride, padding; a pooling's size and stride), and the one-line form that adds a layer
to a network with maps (+ Layer, Insert: `c8k3p1`, `m2`, `120`).

Why its own module: the shapes are the document's (document/conv_edits.py chains and checks them); here they are
only typed. Each change is one undoable edit; a refusal (a kernel larger than the padded maps, a dense layer
before a convolution) is said under the form, naming the field, and the document is left as it was.

The form always says the document's geometry: it reads it again on every document change (Undo, Redo, an edit
elsewhere) and after a refusal, and an edit is the document's geometry with only the field typed in changed — a
spin box left at a stale value never rides along with the next edit.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout,
                               QWidget)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import MAX_SIZE
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer
from nnstudio.document import Document
from nnstudio.document.conv_edits import (conv_text, insert_layer, insertable, pool_text, preview_insert,
                                          set_geometry)
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.expression_edit import error_label

# (object name, label, least value, tooltip) of each number a convolution's form edits, in the notation's order.
_CONV_FIELDS = (("geometryChannels", "Channels", 1, "Output maps: one kernel (over every input channel) each"),
                ("geometryKernel", "Kernel size", 1, "k: each kernel is k × k per input channel"),
                ("geometryStride", "Stride", 1, "How far the kernel moves between outputs"),
                ("geometryPadding", "Padding", 0, "Zeros added around each input map"))
_POOL_FIELDS = (("geometrySize", "Pool size", 1, "Each output is the max or mean of a size × size window"),
                ("geometryStride", "Stride", 1, "How far the window moves between outputs"))


class LayerGeometryForm(QWidget):
    """A convolution's channels, kernel size, stride and padding, or a pooling's size and stride, each a spin box
    that commits when its value is set (Enter, the arrows, leaving it): the layer's kernel is drawn afresh and
    the shapes after it follow (conv_edits.set_geometry), as one undo step."""

    def __init__(self, document: Document, column: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerGeometry")
        self.document, self.column = document, column
        layer = document.project.network.layers[column - 1]
        self.conv = isinstance(layer, Conv2DLayer)
        values = ((layer.channels, layer.k, layer.stride, layer.pad) if isinstance(layer, Conv2DLayer)
                  else (layer.size, layer.stride))
        self.kind = getattr(layer, "kind", "conv")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.spins: list[QSpinBox] = []
        for i, ((name, label, least, tip), value) in enumerate(zip(_CONV_FIELDS if self.conv else _POOL_FIELDS,
                                                                     values)):
            spin = QSpinBox()
            spin.setObjectName(name)
            spin.setRange(least, MAX_SIZE)
            spin.setValue(value)
            spin.setKeyboardTracking(False)  # one edit per number set, not one per digit typed
            spin.setToolTip(tip + "; changing it draws this layer's kernel afresh" if self.conv else tip)
            spin.valueChanged.connect(lambda n, i=i: self._commit(i, n))
            form.addRow(label, spin)
            self.spins.append(spin)
        self.error = error_label("geometryError")
        form.addRow(self.error)
        listen(self, document.changed, self._follow)

    def geometry(self) -> tuple[int, ...] | None:
        """The layer's numbers as the document holds them now, in the form's order (None: no longer this kind)."""
        layers = self.document.project.network.layers
        layer = layers[self.column - 1] if 1 <= self.column <= len(layers) else None
        if self.conv and isinstance(layer, Conv2DLayer):
            return layer.channels, layer.k, layer.stride, layer.pad
        if not self.conv and isinstance(layer, Pool2DLayer):
            return layer.size, layer.stride
        return None

    def text(self, field: int | None = None, value: int = 0) -> str:
        """The document's geometry in the notation ("c6k5s1p2", "m2s2"), with field `field` set to `value`."""
        numbers = list(self.geometry() or [spin.value() for spin in self.spins])
        if field is not None:
            numbers[field] = value
        return conv_text(*numbers) if self.conv else pool_text(self.kind, *numbers)

    def _follow(self, _kind: str = "") -> None:
        """Every spin box says the document's number again (without committing it)."""
        numbers = self.geometry()
        if numbers is None:
            return  # the layer went (the Inspector is rebuilding): nothing to say
        for spin, number in zip(self.spins, numbers):
            if spin.value() != number:
                spin.blockSignals(True)
                spin.setValue(number)
                spin.blockSignals(False)

    def _commit(self, field: int, value: int) -> None:
        numbers = self.geometry()
        if numbers is None or numbers[field] == value:
            return  # nothing the person changed (or no layer of this kind to change)
        text = self.text(field, value)
        try:
            self.document.structure_edit(set_geometry, f"Set layer {self.column} to {text}", self.column, text)
        except NNStudioError as error:
            self.error.setText(str(error))
            self.error.show()
            self._follow()  # the refused number goes; the error says why it could not stand
            return
        self.error.hide()


class AddLayerDialog(QDialog):
    """One layer of a network with maps, typed in the notation, to stand as column `column`; what the shapes
    would become, or why it cannot stand there, is said as it is typed. OK applies it (one undo step)."""

    def __init__(self, document: Document, column: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addLayerDialog")
        self.setWindowTitle(f"Add layer {column}")
        self.document, self.column = document, column
        maps, dense = insertable(document.project.network, column)
        self.line = QLineEdit("c4k3p1" if maps else "2")
        self.line.setObjectName("layerNotation")
        self.line.selectAll()
        kinds = [kind for kind, ok in (("a convolution (c8k3p1: 8 kernels 3×3, padding 1; s2 a stride) or pooling "
                                        "(m2 max, a2 average)", maps), ("a dense layer's size (120)", dense)) if ok]
        hint = QLabel(f"Layer {column} may be {' or '.join(kinds)}.")
        hint.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setObjectName("layerPreview")
        self.preview.setWordWrap(True)
        self.error = error_label("layerError")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("&Layer", self.line)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)  # LeNet's shapes on two lines, not four
        self.line.textChanged.connect(self._check)
        self._check()

    def _check(self) -> bool:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            shapes = preview_insert(self.document.project.network, self.column, self.line.text())
        except NNStudioError as error:
            self.error.setText(str(error))
            self.error.show()
            self.preview.setText("")
            ok.setEnabled(False)
            return False
        self.error.hide()
        self.preview.setText(shapes)
        ok.setEnabled(True)
        return True

    def accept(self) -> None:
        if not self._check():
            return
        text = self.line.text().strip()
        try:
            self.document.structure_edit(insert_layer, f"Insert {text} as layer {self.column}", self.column, text)
        except NNStudioError as error:  # the budget, or training began meanwhile: said, the dialog stays
            self.error.setText(str(error))
            self.error.show()
            return
        super().accept()
