"""A line edit for a number typed as an expression, with the parser's message shown under it."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from nnstudio.core.errors import NNStudioError

ERROR_STYLE = "color: #b91c1c;"


def error_label(object_name: str) -> QLabel:
    """The red, word-wrapped, initially hidden line where panels say why an input was refused."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


class ExpressionEdit(QWidget):
    """Commits on Enter or when focus leaves; bad text turns red, shows why, and changes nothing."""

    def __init__(self, text: str, commit: Callable[[str], None], placeholder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._commit = commit
        self._committed = text
        self.edit = QLineEdit(text)
        self.edit.setPlaceholderText(placeholder or "a number or expression, e.g. 1/sqrt(2)")
        self.error = error_label("expressionError")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.editingFinished.connect(self._on_editing_finished)

    def _on_editing_finished(self) -> None:
        text = self.edit.text()
        if text == self._committed:
            return
        try:
            self._commit(text)
        except NNStudioError as error:
            self.error.setText(str(error))
            self.error.show()
            self.edit.setStyleSheet("border: 2px solid #dc2626;")
            return
        self._committed = text
        self.error.hide()
        self.edit.setStyleSheet("")
