"""Help menu (User Guide, Keyboard Shortcuts, About) and the settings the window keeps between sessions:
its geometry and docks, and the digits the canvas shows.
"""

from __future__ import annotations

from typing import Callable, Protocol

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from nnstudio import __version__
from nnstudio.document import Document
from nnstudio.ui import format as fmt
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.panels.help.guide_dialog import GuideDialog
from nnstudio.ui.panels.help.shortcuts_dialog import ShortcutsDialog
from nnstudio.ui.panels.network.step_panel import StepPanel
from nnstudio.ui.window.actions import ActionSpec


class HelpWindow(Protocol):
    """What the Help menu and the settings need of the window (MainWindow is one; it is also the dialogs'
    parent widget). Named here rather than imported, so that this module and main_window.py do not import
    each other."""

    document: Document
    settings: QSettings
    scene: NetworkScene
    step_panel: StepPanel
    action_specs: list[ActionSpec]  # every room's, for Help → Keyboard Shortcuts
    actions_by_name: dict[str, QAction]

    def show_error(self, title: str, message: str) -> QMessageBox: ...
    def saveGeometry(self) -> QByteArray: ...
    def restoreGeometry(self, geometry: QByteArray) -> bool: ...
    def saveState(self) -> QByteArray: ...
    def restoreState(self, state: QByteArray) -> bool: ...


ACTIONS: list[ActionSpec] = [
    ActionSpec("guide", "&User Guide", QKeySequence.StandardKey.HelpContents,
               "Building, hand-setting, stepping, training, files and the command line, with pictures"),
    ActionSpec("shortcuts", "&Keyboard Shortcuts", "Ctrl+/", "List every action with its keys"),
    ActionSpec("about", "&About nnstudio", None, "The version, and the shape and output of the open network"),
]


class HelpAndSettings:
    """The Help menu's handlers, and the window's settings read at the start and written at Close."""

    specs = ACTIONS  # the actions above, for build_actions

    def __init__(self, window: HelpWindow) -> None:
        self.window = window

    def handlers(self) -> dict[str, Callable[..., object]]:
        return {"guide": self.show_guide, "shortcuts": self.show_shortcuts, "about": self.about}

    def show_guide(self) -> GuideDialog | None:
        try:
            dialog = GuideDialog(self.window)
        except (OSError, ModuleNotFoundError) as error:  # an install without its docs
            self.window.show_error("The user guide is missing", f"{error}; it is docs/guide.md in the source.")
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()  # not modal: the guide stays open beside the window
        return dialog

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.window.action_specs, self.window.actions_by_name, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def about(self) -> None:
        window = self.window
        sizes = window.document.project.network.sizes
        QMessageBox.about(window, "About nnstudio",
                          f"<b>nnstudio {__version__}</b><p>A desktop studio for seeing inside neural networks: "
                          "assemble, hand-set, step through and train dense networks.</p>"
                          f"<p>Shape of the open network: {' → '.join(map(str, sizes))}"
                          f"</p><p>Output: {fmt.pretty_expression(window.scene.output_summary())}</p>")

    # ------------------------------------------------------------------ settings

    def on_digits_changed(self, digits: int) -> None:
        """The Step through panel's digits: the canvas writes its numbers with them, and the next session too."""
        self.window.scene.set_digits(digits)
        self.window.settings.setValue("digits", digits)

    def restore_settings(self) -> bool:
        """The last session's digits, geometry and docks; True if the docks' layout was restored."""
        settings = self.window.settings
        digits = settings.value("digits")
        if digits is not None:
            self.window.step_panel.digits.setValue(int(digits))
        geometry = settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.window.restoreGeometry(geometry)
        state = settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            return self.window.restoreState(state)
        return False

    def save_settings(self) -> None:
        settings = self.window.settings
        settings.setValue("geometry", self.window.saveGeometry())
        settings.setValue("windowState", self.window.saveState())
        settings.sync()
