"""Helpers for UI tests: answering a modal dialog, finding widgets."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


def answer_next_message_box(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """When the next modal message box opens, record its text and press `button` on it."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(20, press)

    QTimer.singleShot(0, press)
