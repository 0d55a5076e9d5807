"""The Training panel's Rules…: the learning-rate schedule and the stop rules of the next run.

The same three settings as `nnstudio train --schedule / --target-accuracy / --early-stop
--restore-best` (their meaning is in training/schedule.py); the panel reads the widgets when a
run starts and refuses bad text by name then.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class RulesDialog(QDialog):
    """Schedule text, a target accuracy (0 = off), early stopping after N epochs (0 = off), keep the best."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rulesDialog")
        self.setWindowTitle("Schedule and stop rules")
        self.schedule = QLineEdit("constant")
        self.schedule.setObjectName("schedule")
        self.schedule.setToolTip("constant, cosine (down to 0 at the last epoch), or step:EVERY:FACTOR — "
                                 "step:10:0.5 halves the learning rate every 10 epochs")
        self.target_accuracy = QDoubleSpinBox()
        self.target_accuracy.setObjectName("targetAccuracy")
        self.target_accuracy.setRange(0.0, 100.0)
        self.target_accuracy.setDecimals(1)
        self.target_accuracy.setSuffix(" %")
        self.target_accuracy.setSpecialValueText("off")
        self.patience = QSpinBox()
        self.patience.setObjectName("earlyStop")
        self.patience.setRange(0, 10000)
        self.patience.setSpecialValueText("off")
        self.patience.setSuffix(" epochs without a better test loss")
        self.restore_best = QCheckBox("end on the epoch with the best test loss")
        self.restore_best.setObjectName("restoreBest")
        form = QFormLayout()
        form.addRow("Learning-rate schedule", self.schedule)
        form.addRow("Stop at test accuracy", self.target_accuracy)
        form.addRow("Early stop after", self.patience)
        form.addRow("", self.restore_best)
        note = QLabel("Both stop rules judge the test part after each epoch. The same settings in the command line: "
                      "nnstudio train --schedule step:10:0.5 --target-accuracy 98% --early-stop 5 --restore-best")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def is_default(self) -> bool:
        return (self.schedule.text().strip() in ("", "constant") and not self.target_accuracy.value()
                and not self.patience.value() and not self.restore_best.isChecked())

    def summary(self) -> str:
        parts = [f"schedule {self.schedule.text().strip() or 'constant'}"]
        if self.target_accuracy.value():
            parts.append(f"stop at {self.target_accuracy.value():g} % test accuracy")
        if self.patience.value():
            parts.append(f"early stop after {self.patience.value()} epochs"
                         + (", keeping the best" if self.restore_best.isChecked() else ""))
        return "; ".join(parts)
