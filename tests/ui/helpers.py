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


def error_boxes() -> list[QMessageBox]:
    """The window's error boxes (objectName "errorBox") now on screen."""
    return [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox" and w.isVisible()]


def error_shown(window) -> str:  # type: ignore[no-untyped-def]
    """The text of the error box the last action of `window` opened (all of them closed after reading)."""
    boxes = [box for box in window.findChildren(QMessageBox, "errorBox") if box.isVisible()]
    assert boxes, "no error box"
    text = boxes[-1].text()
    for box in boxes:
        box.close()
    return text
