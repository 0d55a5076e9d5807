"""Help → Keyboard Shortcuts: made from the window's own actions, so it can never list a key that does
something else."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from nnstudio.ui.actions import ACTIONS, plain_text, shortcut_text


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str, str]]:
    """(action, keys, what it does) for every action that has keys, in the menus' order."""
    rows = []
    for spec in ACTIONS:
        action = actions.get(spec.name)
        keys = shortcut_text(action) if action is not None else ""
        if keys:
            rows.append((plain_text(spec), keys, spec.tip))
    return rows


class ShortcutsDialog(QDialog):
    """A read-only table of the window's keys; double-click-free, copyable by selecting cells."""

    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "What it does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        note = QLabel("Also: double-click a neuron or edge to type its value; Delete removes the selected layer "
                      "when the canvas has the focus; the mouse wheel zooms and dragging pans.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(720, 560)
