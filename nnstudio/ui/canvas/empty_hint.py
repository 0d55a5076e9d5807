"""The empty canvas says what to do next: a New Network button, and the other ways to start."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QLabel, QToolButton, QVBoxLayout, QWidget


class EmptyCanvasHint(QFrame):
    """Centred over the canvas while the network has no layers; the button is the New Network action itself
    (same text, same shortcut, disabled when it is)."""

    def __init__(self, parent: QWidget, new_network: QAction, add_layer: QAction) -> None:
        super().__init__(parent)
        self.setObjectName("emptyCanvasHint")
        self.setStyleSheet("#emptyCanvasHint { background: rgba(255, 255, 255, 240); border: 1px solid #cbd5e1;"
                           " border-radius: 6px; } QLabel { color: #374151; font-size: 13px; }")
        self.button = QToolButton()
        self.button.setObjectName("emptyCanvasNew")
        self.button.setDefaultAction(new_network)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setStyleSheet("QToolButton { font-size: 14px; padding: 6px 14px; }")
        shortcut = new_network.shortcut().toString(new_network.shortcut().SequenceFormat.NativeText)
        add = add_layer.shortcut().toString(add_layer.shortcut().SequenceFormat.NativeText)
        self.text = QLabel(
            f"<b>An empty network.</b><br>Build one from its sizes (such as 2-3-1) with New Network ({shortcut}),<br>"
            f"add layers one at a time with + Layer ({add}),<br>or open a worked example from File → Examples.")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(self.text)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def place(self) -> None:
        """Centred near the bottom of the canvas, below the input column the canvas shows in its middle
        (called when the canvas resizes or the hint is shown)."""
        self.adjustSize()
        parent = self.parentWidget()
        self.move((parent.width() - self.width()) // 2, max(0, parent.height() - self.height() - 32))
