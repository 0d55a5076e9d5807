"""The menu bar, the toolbar and the canvas-only keys, laid out from action names.

This is where an action shows, not what it does: the rooms of this package declare their actions and
do them (`build_actions` in actions.py makes the QActions), and the layouts below only place actions by
name; this module imports no room. A `None` is a separator; a `Submenu` is a menu the room that fills it
receives (File → Open Recent and Examples belong to files.py); `DOCKS` is where the View menu lists the
docks' own show/hide actions. Help → Keyboard Shortcuts lists the actions in the menus' order (`menu_order`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence, Union

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar, QToolBar, QWidget


@dataclass(frozen=True)
class Submenu:
    key: str
    title: str


DOCKS = "<docks>"
Item = Union[str, Submenu, None]

MENUS: list[tuple[str, list[Item]]] = [
    ("&File", ["new", "open", Submenu("recent", "Open &Recent"), Submenu("examples", "&Examples"), None,
               "save", "save_as", None, "export_png", "export_svg", "export_model", "import_model", None,
               "close", "quit"]),
    ("&Edit", ["undo", "redo", None, "copy_layer", "paste_layer", "delete", "copy_weights"]),
    ("&View", ["zoom_in", "zoom_out", "fit", None, "edge_labels", "neuron_maps", "map_large", None,
               "edge_weight", "edge_gradient", "edge_signal", None, "map_colours_layer", "map_colours_map",
               "map_colours_network", None, DOCKS]),
    ("&Network", ["add_layer", "insert_layer", "delete", None, "neuron_more", "neuron_fewer", None,
                  "edit_matrix", "build_samples", None, "train"]),
    ("&Step", ["step", "step_back", "run_forward", "run_backward", "reset_steps", "stop_stepping"]),
    ("&Help", ["lessons", "guide", "shortcuts", "about"]),
]

TOOLBAR: tuple[str | None, ...] = (
    "new", "open", "save", None, "undo", "redo", None, "add_layer", "insert_layer", "delete", "edit_matrix", None,
    "step_back", "step", "run_forward", "run_backward", "reset_steps", None,
    "edge_weight", "edge_gradient", "edge_signal", None, "train", None, "fit", "edge_labels")

# The toolbar's words: short, where the menu says the whole name (Undo and Redo: layer_edits.py, as their
# menu text follows the undo stack).
ICON_TEXTS = {
    "add_layer": "+ Layer", "insert_layer": "Insert", "delete": "Remove", "edit_matrix": "W and b…",
    "edge_labels": "Weights", "zoom_in": "Zoom +", "zoom_out": "Zoom −", "fit": "Fit", "step": "Step ▶",
    "step_back": "◀ Back", "run_forward": "Forward ▶▶", "run_backward": "Backward ▶▶", "reset_steps": "Reset",
    "edge_weight": "w", "edge_gradient": "∂L/∂w", "edge_signal": "w·δ", "train": "Train…",
}

# Delete removes a layer only when the canvas has the keyboard focus; in a table it clears the cell (the
# table handles the key), and the menu item works from anywhere. So do Ctrl+C and Ctrl+V (copy and paste a
# layer): in a text field or table they are its own; and Ctrl+Shift+M opens the selected neuron's map.
CANVAS_KEYS = ("delete", "copy_layer", "paste_layer", "map_large")


def menu_order(names: Iterable[str]) -> list[str]:
    """`names` in the order the menus show them, each once, at its first place in `MENUS` (Delete Layer: in
    Edit, before Network); the names no menu shows come after them, in the order given."""
    given = list(names)
    in_menus = [item for _, items in MENUS for item in items if isinstance(item, str) and item in given]
    ordered = list(dict.fromkeys(in_menus))
    return ordered + [name for name in given if name not in ordered]


def build_menu_bar(bar: QMenuBar, actions: Mapping[str, QAction], docks: Sequence[QAction]) -> dict[str, QMenu]:
    """Every menu of `MENUS` on `bar`; returns the submenus by key, for the rooms that fill them."""
    submenus: dict[str, QMenu] = {}
    for title, items in MENUS:
        menu = bar.addMenu(title)
        for item in items:
            if item is None:
                menu.addSeparator()
            elif isinstance(item, Submenu):
                submenus[item.key] = menu.addMenu(item.title)
            elif item == DOCKS:
                menu.addActions(list(docks))
            else:
                menu.addAction(actions[item])
    return submenus


def build_toolbar(window: QMainWindow, actions: Mapping[str, QAction]) -> QToolBar:
    """The main toolbar (text only, short words), added to `window`."""
    bar = QToolBar("Main", window)
    bar.setObjectName("mainToolbar")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for name in TOOLBAR:
        if name is None:
            bar.addSeparator()
        else:
            bar.addAction(actions[name])
    for name, text in ICON_TEXTS.items():
        actions[name].setIconText(text)
    window.addToolBar(bar)
    return bar


def keep_keys_on_canvas(canvas: QWidget, actions: Mapping[str, QAction]) -> None:
    """The keys of `CANVAS_KEYS` act only while `canvas` (or a child) has the focus."""
    for name in CANVAS_KEYS:
        action = actions[name]
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        canvas.addAction(action)
