"""BuildFromSamplesDialog: preview and build a memory network from the file's samples."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.trace import forward
from nnstudio.document import Document
from nnstudio.document.edits import build_from_samples
from nnstudio.ui import format as fmt
from nnstudio.ui.panels.expression_edit import error_label


class BuildFromSamplesDialog(QDialog):
    """τ in, a preview of every sample's output and error out; OK builds it as one undoable edit."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWindowTitle("Build a memory network from the samples")
        explain = QLabel("Each hidden neuron stores one sample's input, scaled to unit length, as its weight row, "
                         "with bias −τ. The output weights are the samples' targets scaled by λ = 1/(1 − τ), so a "
                         "stored input gives back its target. Inputs that are not of unit length may not.")
        explain.setWordWrap(True)
        self.tau = QLineEdit("1/sqrt(2)")
        self.tau.setObjectName("tau")
        self.tau.textChanged.connect(self.preview)
        self.error = error_label("buildError")
        self.error.show()
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("buildPreview")
        self.table.setHorizontalHeaderLabels(["sample", "target", "output", "error"])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Threshold τ", self.tau)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(520, 360)
        self.preview()

    def preview(self) -> None:
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            project = build_from_samples(self.document.project, self.tau.text())
        except NNStudioError as error:
            self.error.setText(str(error))
            self.table.setRowCount(0)
            ok_button.setEnabled(False)
            return
        self.error.setText("")
        ok_button.setEnabled(True)
        self.table.setRowCount(len(project.samples))
        for r, sample in enumerate(project.samples):
            out = forward(project.network, sample.input).output
            error = out - sample.target
            cells = [sample.name, ", ".join(fmt.short(float(v), 4) for v in sample.target),
                     ", ".join(fmt.short(float(v), 4) for v in out), ", ".join(fmt.short(float(v), 4) for v in error)]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def accept(self) -> None:
        try:
            self.document.build_from_samples(self.tau.text())
        except NNStudioError as error:
            self.error.setText(str(error))
            return
        super().accept()
