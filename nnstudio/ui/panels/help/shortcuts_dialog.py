"""Help → Keyboard Shortcuts: made from the window's own actions, so it can never list a key that does
something else; in the menus' order, so each key is found where its menu item is."""

from __future__ import annotations

from typing import Mapping, Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.ui.window.actions import ActionSpec, plain_text, shortcut_text
from nnstudio.ui.window.menus import menu_order

DESCRIPTION = 2  # the column that says what an action does: it wraps, the others keep their words whole
SCREEN_MARGIN = 48  # px the dialog leaves free on each axis of the screen (window frame, taskbar)
DEFAULT_HEIGHT = 560


def shortcut_rows(specs: Sequence[ActionSpec], actions: Mapping[str, QAction]) -> list[tuple[str, str, str]]:
    """(action, keys, what it does) for every action of `specs` that has keys, in the menus' order
    (menus.menu_order: each action once, where it first shows; one in no menu after them)."""
    by_name = {spec.name: spec for spec in specs}
    rows = []
    for name in menu_order(by_name):
        spec = by_name[name]
        action = actions.get(name)
        keys = shortcut_text(action) if action is not None else ""
        if keys:
            rows.append((plain_text(spec), keys, spec.tip))
    return rows


class ShortcutsDialog(QDialog):
    """A read-only table of the window's keys; double-click-free, copyable by selecting cells.

    Every description is read without scrolling sideways: the dialog is as wide as the longest one
    needs when the screen allows it, and on a narrower screen the descriptions wrap onto more lines
    (a horizontal scrollbar hid most of them at 1280×800)."""

    def __init__(self, specs: Sequence[ActionSpec], actions: Mapping[str, QAction],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(specs, actions)
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "What it does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        note = QLabel("Also: double-click a neuron or edge to type its value; Delete removes the selected layer "
                      "when the canvas has the focus; the mouse wheel zooms and dragging pans.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.table.resizeColumnsToContents()
        wanted = self._table_width()  # every description on one line (measured before the columns stretch)
        self._wrap_descriptions()
        self.resize(self._fitted_size(wanted))

    def _table_width(self) -> int:
        """The table's width with every column as wide as its longest text, and room for the scrollbar."""
        table = self.table
        return (table.horizontalHeader().length() + table.verticalScrollBar().sizeHint().width()
                + 2 * table.frameWidth())

    def _wrap_descriptions(self) -> None:
        """Action and Keys keep their widths; the description takes the rest of the width and wraps,
        each row as tall as its wrapped text."""
        table = self.table
        header = table.horizontalHeader()
        for column in range(DESCRIPTION):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        table.setWordWrap(True)
        table.setTextElideMode(Qt.TextElideMode.ElideNone)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def _fitted_size(self, table_width: int) -> QSize:
        """Wide enough for the table at `table_width`, within the screen the dialog opens on."""
        parent = self.parentWidget()
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        margins = self.layout().contentsMargins()
        width = table_width + margins.left() + margins.right()
        if screen is None:
            return QSize(width, DEFAULT_HEIGHT)
        room = screen.availableGeometry().size() - QSize(SCREEN_MARGIN, SCREEN_MARGIN)
        return QSize(min(width, room.width()), min(DEFAULT_HEIGHT, room.height()))
