"""File menu: New Network, Open, Open Recent, Examples, Save, Save As, Close and Quit.

Every way another network lands in the window (open, example, import, new, close) asks about unsaved
changes (`maybe_save`) only once the new network is known to be good, and goes through
`replace_document`, so a refusal is one message and the old network stays. File dialogs start in the
folder of the last file opened, saved or exported (`last_folder`, kept in the settings).
"""

from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import Callable, Protocol

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from nnstudio.atomic import OutputPathError, check_can_write
from nnstudio.core.architecture import architecture_text
from nnstudio.core.architecture_build import architecture_of
from nnstudio.core.errors import NNStudioError
from nnstudio.crash_log import log_file, write_log
from nnstudio.document import Document, ViewsFailed
from nnstudio.io.examples import list_examples, load_example
from nnstudio.io.network_file import SUFFIX, load_project
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.window.actions import ActionSpec
from nnstudio.ui.workers.training_worker import TrainingController

MAX_RECENT = 8
FILE_FILTER = f"nnstudio networks (*{SUFFIX});;All files (*)"


@functools.lru_cache(maxsize=None)
def _example_info(name: str) -> tuple[str, str]:
    """An example's title and description, read once per process: the built-in files do not change,
    and reading them all (mnist-mlp holds 100,000 weights) for every new window cost ~100 ms."""
    try:
        project = load_example(name)
    except NNStudioError:
        return "", ""
    return project.name, project.description


def example_title(name: str) -> str:
    title = _example_info(name)[0]
    return f"{title}  ({name})" if title else name


def example_description(name: str) -> str:
    """What the example shows (its file's own description), or ""."""
    return _example_info(name)[1]


class FileWindow(Protocol):
    """What the File menu needs of the window (MainWindow is one; it is also the dialogs' parent widget).
    Named here rather than imported, so that this module and main_window.py do not import each other."""

    document: Document
    settings: QSettings
    trainer: TrainingController
    scene: NetworkScene
    view: NetworkView

    def report(self, message: str) -> None: ...
    def show_error(self, title: str, message: str) -> QMessageBox: ...
    def show_unexpected(self, title: str, what: str, error: Exception) -> QMessageBox: ...
    def activateWindow(self) -> None: ...
    def close(self) -> bool: ...


ACTIONS: list[ActionSpec] = [
    ActionSpec("new", "&New Network…", QKeySequence.StandardKey.New,
               "Build a network from its layer sizes, activations, biases, loss and first weights"),
    ActionSpec("open", "&Open…", QKeySequence.StandardKey.Open, "Open a .nnstudio file"),
    ActionSpec("save", "&Save", QKeySequence.StandardKey.Save, "Save the network"),
    ActionSpec("save_as", "Save &As…", QKeySequence.StandardKey.SaveAs, "Save the network under a new name"),
    ActionSpec("close", "&Close", QKeySequence.StandardKey.Close, "Close this network and start an empty one"),
    ActionSpec("quit", "&Quit", QKeySequence.StandardKey.Quit, "Quit nnstudio"),
]


class Files:
    """The File menu's handlers, Open Recent and Examples, and the question about unsaved changes."""

    specs = ACTIONS  # the actions above, for build_actions

    recent_menu: QMenu  # the menu bar's own, from fill_menus
    examples_menu: QMenu

    def __init__(self, window: FileWindow) -> None:
        self.window = window

    def handlers(self) -> dict[str, Callable[..., object]]:
        return {"new": self.new_network, "open": self.open_dialog, "save": self.save, "save_as": self.save_as,
                "close": self.close_document, "quit": self.window.close}

    def fill_menus(self, recent: QMenu, examples: QMenu) -> None:
        """File → Open Recent (from the settings) and File → Examples (the built-in files, with what each shows)."""
        self.recent_menu, self.examples_menu = recent, examples
        examples.setToolTipsVisible(True)
        for name in list_examples():
            action = examples.addAction(example_title(name))
            action.setData(name)
            description = example_description(name)
            if description:  # a tooltip while the item is hovered; its first sentence in the status bar
                action.setToolTip("<p style='white-space: normal'>" + html.escape(description) + "</p>")
                action.setStatusTip(description.split(". ")[0])
            action.triggered.connect(lambda checked=False, n=name: self.open_example(n))
        self.refresh_recent_menu()

    def set_menus_enabled(self, enabled: bool) -> None:
        """Examples and Open Recent replace the network: off while it trains."""
        self.examples_menu.setEnabled(enabled)
        if enabled:
            self.refresh_recent_menu()
        else:
            self.recent_menu.setEnabled(False)

    # ------------------------------------------------------------------ the network replaced

    def maybe_save(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; True means go ahead."""
        document = self.window.document
        if not document.modified:
            return True
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"{document.display_name} has unsaved changes. Save them first?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self.window)
        box.setObjectName("unsavedBox")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        try:
            answer = box.exec()
        finally:
            box.deleteLater()  # asked once, then gone (each prompt left its box behind)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def replace_document(self, title: str, replace: Callable[[], None]) -> bool:
        """Put another network in the window (open, example, import, new, close) as one transaction.

        The document lands the new network whole or puts the old one back (Document._reset); here
        a refusal becomes one message that says which, and a view's failure goes to the log as the
        internal error it is. True if the new network is shown.
        """
        try:
            replace()
        except ViewsFailed as error:
            for failure in error.failures + error.again:
                write_log(type(failure), failure, failure.__traceback__)
            self.window.show_error(title, f"{error}.\n\nDetails for a bug report are in {log_file()}.")
            self.window.report(f"{title}: {error}")
            return False
        except NNStudioError as error:
            self.window.show_error(title, str(error))
            return False
        return True

    def new_network(self) -> NewNetworkDialog | None:
        """File → New Network…: the dialog, window-modal; Create replaces the document (after asking
        about unsaved changes). Returns the dialog (tests drive it), or None while training."""
        if self.window.trainer.running:
            return None
        dialog = NewNetworkDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self._create_network(dialog))
        dialog.open()
        return dialog

    def _create_network(self, dialog: NewNetworkDialog) -> None:
        window = self.window
        try:
            project = dialog.project(keep=window.document.project.training_data)  # a dataset that still fits
        except NNStudioError as error:
            window.show_error("Could not build the network", str(error))
            return
        if not self.maybe_save():
            return
        if not self.replace_document("Could not build the network", lambda: window.document.new_project(project)):
            return
        # The first weight is selected and the canvas has the keys: typing sets it at once (cell by cell).
        # The window takes the keys back from the closed dialog itself: not every platform hands them
        # back, and an inactive window's shortcuts (Ctrl+E, Ctrl+S) do nothing.
        network = project.network
        if network.is_spatial:  # a first layer of maps: its first pixel, so the Inspector shows its kernels
            window.scene.select_key(ItemKey("pixel", 1, 0, 0, channel=0))
        else:
            window.scene.select_key(ItemKey("edge", 1, 0, 0))
        window.activateWindow()
        window.view.setFocus()
        if network.is_spatial:
            told = ("the Inspector shows layer 1's kernels; type into their cells, Enter and Tab move on"
                    if hasattr(network.layers[0], "kernel") else "click a map pixel to see what made it")
            window.report(f"New network {architecture_text(architecture_of(network))}: {told}")
        else:
            window.report(f"New network {' → '.join(map(str, network.sizes))}: type a value to set the "
                          "selected weight; Enter and Tab move on")

    def new_document(self) -> None:
        """An empty canvas (after asking about unsaved changes)."""
        if self.maybe_save():
            self.replace_document("Could not close the network", self.window.document.new)

    def close_document(self) -> None:
        self.new_document()

    # ------------------------------------------------------------------ file dialogs start where you were

    def last_folder(self) -> str:
        """The folder of the last file opened, saved or exported (kept in the settings), else home."""
        folder = self.window.settings.value("lastFolder", "")
        folder = str(folder) if folder else ""
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def remember_folder(self, path: str | Path) -> None:
        self.window.settings.setValue("lastFolder", str(Path(path).resolve().parent))

    def ask_save_path(self, title: str, name: str, file_filter: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(Path(self.last_folder()) / name), file_filter)
        return path

    # ------------------------------------------------------------------ open and save

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open network", self.last_folder(), FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, ask: bool = True) -> bool:
        """Open a file; a bad file shows a message and leaves the current document as it was.

        The file is read and checked first: the unsaved-changes prompt comes only for a file
        that can actually be opened, so answering it is never wasted.
        """
        window = self.window
        try:
            project = load_project(path)
        except (NNStudioError, OSError) as error:
            window.show_error("Could not open the file", str(error))
            return False
        except Exception as error:  # a fault no check foresaw: the open document stays as it was
            window.show_unexpected("Could not open the file", f"{path}", error)
            return False
        if ask and not self.maybe_save():
            return False
        if not self.replace_document("Could not open the file", lambda: window.document.open_project(project, path)):
            return False
        self.remember_folder(path)
        self._add_recent(str(Path(path).resolve()))
        window.report(f"Opened {Path(path).name}")
        return True

    def open_example(self, name: str, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        return self.replace_document("Could not open the example", lambda: self.window.document.open_example(name))

    def save(self) -> bool:
        if self.window.document.path is None:
            return self.save_as()
        return self.save_to(self.window.document.path)

    def save_as(self) -> bool:
        document = self.window.document
        name = document.path.name if document.path else f"{document.display_name}{SUFFIX}"
        path = self.ask_save_path("Save network as", name, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += SUFFIX
        return self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        window = self.window
        try:
            check_can_write(path)  # a FIFO, device, socket, folder or link: refused before anything is written
            window.document.save(path)
        except OutputPathError as error:  # its message names the path and what it is
            window.show_error("Could not save", str(error))
            return False
        except (NNStudioError, OSError) as error:
            window.show_error("Could not save", f"{path}: {getattr(error, 'strerror', None) or error}")
            return False
        except Exception as error:  # the file on disk is untouched (saves are atomic), the document too
            window.show_unexpected("Could not save", f"{path}", error)
            return False
        self._add_recent(str(Path(path).resolve()))
        self.remember_folder(path)
        window.report(f"Saved {Path(path).name}")
        return True

    # ------------------------------------------------------------------ Open Recent

    def _recent(self) -> list[str]:
        value = self.window.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _add_recent(self, path: str) -> None:
        recent = [path] + [p for p in self._recent() if p != path]
        self.window.settings.setValue("recentFiles", recent[:MAX_RECENT])
        self.refresh_recent_menu()

    def refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self._recent()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))
