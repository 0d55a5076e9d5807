"""MainWindow: menus, toolbar, docks and the canvas, wired to one Document.

This is the only place that connects panels to each other. It owns no numbers:
every edit is a Document method, every view listens to the Document.
"""

from __future__ import annotations

import functools
import html
import weakref
from pathlib import Path
from typing import Callable

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QMarginsF, QRectF, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import (
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QPainter,
    QShowEvent,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from nnstudio import __version__
from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.blueprint import build_project
from nnstudio.core.neuron_maps import DEFAULT_BOUNDS, plane_bounds
from nnstudio.atomic import OutputPathError, check_can_write
from nnstudio.core.errors import NNStudioError
from nnstudio.crash_log import describe, log_file, write_log
from nnstudio.document import Document, ViewsFailed
from nnstudio.io.examples import list_examples, load_example
from nnstudio.io.layer_clipboard import layer_from_text, layer_to_text
from nnstudio.io.network_file import SUFFIX, load_project
from nnstudio.ui import format as fmt
from nnstudio.ui.actions import build_actions
from nnstudio.ui.canvas.empty_hint import EmptyCanvasHint
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.compat import override
from nnstudio.ui.panels.network.build_dialog import BuildFromSamplesDialog
from nnstudio.ui.panels.help.guide_dialog import GuideDialog
from nnstudio.ui.panels.network.inspector import InspectorPanel
from nnstudio.ui.panels.network.io_panel import IOPanel
from nnstudio.ui.panels.network.matrix_editor import MatrixEditorDialog
from nnstudio.ui.model_exchange import export_dialog, import_dialog
from nnstudio.ui.panels.results.neuron_map_dialog import NeuronMapDialog
from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog
from nnstudio.ui.panels.network.memory_panel import MemoryPanel
from nnstudio.ui.panels.results.results_panel import ResultsPanel
from nnstudio.ui.panels.help.shortcuts_dialog import ShortcutsDialog
from nnstudio.ui.panels.network.step_panel import StepPanel
from nnstudio.ui.panels.training.training_panel import TrainingPanel
from nnstudio.ui.workers.training_worker import TrainingController
from nnstudio.ui.panels.network.weights_model import weights_tsv
from nnstudio.ui.saving import save_drawing, save_picture
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.lifetimes import listen

MAX_RECENT = 8
FILE_FILTER = f"nnstudio networks (*{SUFFIX});;All files (*)"
NEW_LAYER_SIZE = 2
DOCK_WIDTHS = (220, 290)  # left (input and output), right (inspector): the canvas takes the rest


@functools.lru_cache(maxsize=None)
def _example_info(name: str) -> tuple[str, str]:
    """An example's title and description, read once per process: the built-in files do not change,
    and reading them all (mnist-mlp holds 100,000 weights) for every new window cost ~100 ms."""
    try:
        project = load_example(name)
    except NNStudioError:
        return "", ""
    return project.name, project.description


def run_words(result) -> str:  # type: ignore[no-untyped-def]
    """How a run ended, as the network it left: the moment the results panel names."""
    done = result.epochs_done  # not len(result.epochs): a long run's results are thinned
    epochs = f"{done} epoch{'' if done == 1 else 's'}"
    if result.error:
        return f"the network the run left when it failed after {epochs}"
    if result.stopped:
        return f"the network when Stop was pressed ({epochs} done)"
    if result.best_epoch:
        return f"the network of epoch {result.best_epoch} (the best of {epochs})"
    return f"the network after {epochs} of training"


class MainWindow(QMainWindow):
    """The studio window around one document."""

    def __init__(self, document: Document | None = None, settings: QSettings | None = None) -> None:
        super().__init__()
        self.document = document or Document()
        self.settings = settings or QSettings()
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.matrix_editors: dict[int, MatrixEditorDialog] = {}

        self.scene = NetworkScene(self.document, self)
        self.view = NetworkView(self.scene, self)
        self.setCentralWidget(self.view)

        self.inspector = InspectorPanel(self.document)
        self.io_panel = IOPanel(self.document)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.io_dock = self._dock("Input and output", "ioDock", self.io_panel, Qt.DockWidgetArea.LeftDockWidgetArea)

        self.actions_by_name = build_actions(self, {
            "new": self.new_network, "open": self.open_dialog, "save": self.save, "save_as": self.save_as,
            "export_png": self.export_png_dialog, "export_svg": self.export_svg_dialog, "close": self.close_document,
            "export_model": lambda: export_dialog(self), "import_model": lambda: import_dialog(self),
            "quit": self.close, "undo": self.document.undo, "redo": self.document.redo,
            "delete": self.delete_selected, "copy_weights": self.copy_weights,
            "copy_layer": self.copy_layer, "paste_layer": self.paste_layer, "zoom_in": self.view.zoom_in,
            "zoom_out": self.view.zoom_out, "fit": self.view.fit, "edge_labels": self.scene.set_show_edge_labels,
            "add_layer": self.add_layer, "insert_layer": self.insert_layer,
            "neuron_more": lambda: self.resize_selected(+1), "neuron_fewer": lambda: self.resize_selected(-1),
            "edit_matrix": self.edit_matrix, "about": self.about,
            "step": self.step, "step_back": self.document.stepping.back,
            "run_forward": self.document.stepping.run_to_end_of_forward,
            "run_backward": self.document.stepping.run_to_end_of_backward,
            "reset_steps": self.document.stepping.reset, "stop_stepping": self.document.stepping.stop,
            "build_samples": self.build_from_samples, "train": self.show_training,
            "shortcuts": self.show_shortcuts, "guide": self.show_guide,
            "neuron_maps": self.scene.set_show_maps, "map_large": self.show_map_large,
        })
        # Delete removes a layer only when the canvas has the keyboard focus; in a table it clears
        # the cell (the table handles the key), and the menu item works from anywhere.
        # So do Ctrl+C and Ctrl+V (copy and paste a layer): in a text field or table they are its own.
        for name in ("delete", "copy_layer", "paste_layer"):
            action = self.actions_by_name[name]
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)
        self.actions_by_name["edge_labels"].setChecked(True)
        self.actions_by_name["neuron_maps"].setChecked(True)
        # Ctrl+Shift+M opens the selected neuron's map when the canvas has the keys.
        map_large = self.actions_by_name["map_large"]
        map_large.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.addAction(map_large)
        edge_modes = QActionGroup(self)
        for mode in ("weight", "gradient", "signal"):
            action = self.actions_by_name[f"edge_{mode}"]
            edge_modes.addAction(action)
            action.triggered.connect(lambda checked=False, m=mode: self.scene.set_edge_mode(m))
        self.actions_by_name["edge_weight"].setChecked(True)
        self.step_panel = StepPanel(self.document, self.actions_by_name)
        self.memory_panel = MemoryPanel(self.document)
        self.step_dock = self._dock("Step through", "stepDock", self.step_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.memory_dock = self._dock("Memory view", "memoryDock", self.memory_panel,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.memory_dock.visibilityChanged.connect(self.memory_panel.set_shown)
        self.tabifyDockWidget(self.inspector_dock, self.step_dock)
        self.tabifyDockWidget(self.step_dock, self.memory_dock)
        self.inspector_dock.raise_()
        self.memory_panel.build_button.clicked.connect(self.build_from_samples)
        self.trainer = TrainingController(self.document, self)
        self.training_panel = TrainingPanel(self.document, self.trainer,
                                            folders=self.last_folder, remember=self._remember_folder)
        self.results_panel = ResultsPanel(self.document)
        self.training_dock = self._dock("Training", "trainingDock", self.training_panel,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.results_dock = self._dock("Results", "resultsDock", self.results_panel,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.training_dock.hide()  # shown by Network → Train… (the window opens on the canvas)
        self.results_dock.hide()  # tabified when first shown: hidden tabified docks leave their tab bar behind
        self._reported_at: tuple | None = None  # the moment the status message belongs to (see report)
        self.trainer.started.connect(self._on_moment_changed)
        self.trainer.ended.connect(self._on_moment_changed)
        self.trainer.started.connect(self._on_training_started)
        self.trainer.ended.connect(self._on_training_ended)
        self.trainer.failed.connect(lambda message: self._tell_about_training("Training failed", message))
        self.step_panel.digits_changed.connect(self._on_digits_changed)
        self.step_panel.refused.connect(lambda message: self.show_error("Cannot step", message))
        self._build_menus()
        self._build_toolbar()
        self.output_status = QLabel()
        self.output_status.setObjectName("outputStatus")
        self.zoom_status = QLabel()
        self.statusBar().addPermanentWidget(self.output_status)
        self.statusBar().addPermanentWidget(self.zoom_status)

        self.scene.selection_key_changed.connect(self._on_selection_changed)
        self.scene.context_menu_requested.connect(self._on_context_menu)
        self.view.error_reported.connect(self.report)
        self.view.zoom_changed.connect(lambda z: self.zoom_status.setText(f"{z * 100:.0f} %"))
        self.inspector.open_matrix_requested.connect(self.edit_matrix)
        self.inspector.neuron_requested.connect(self._go_to_neuron)
        self.inspector.map_requested.connect(self.show_map_large)
        self.view.map_requested.connect(self.show_map_large)
        listen(self, self.document.replaced, lambda: self.scene.set_map_bounds(DEFAULT_BOUNDS))
        self.inspector.copy_matrix_requested.connect(self.copy_weights)
        listen(self, self.document.modified_changed, lambda _: self._update_title())
        listen(self, self.document.path_changed, self._update_title)
        listen(self, self.document.changed, self._on_document_changed)
        listen(self, self.document.shown_changed, self._update_output_status)
        listen(self, self.document.shown_changed, self._on_moment_changed)
        listen(self, self.document.undo_stack.changed, self._on_moment_changed)
        listen(self, self.document.message, self.report)
        listen(self, self.document.undo_stack.changed, self._update_undo_actions)
        self.empty_hint = EmptyCanvasHint(self.view, self.actions_by_name["new"], self.actions_by_name["add_layer"])
        self.view.resized.connect(self._update_empty_hint)
        listen(self, self.document.changed, lambda _: self._update_empty_hint())

        self.resize(1280, 800)
        self._first_show = True
        self._restored_state = False
        self._closing = False  # from the start of an accepted close until the window is shown again
        self._restore_settings()
        self._update_title()
        self._update_undo_actions()
        self._update_output_status()

    # ------------------------------------------------------------------ construction

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setMinimumWidth(200)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        a = self.actions_by_name
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([a["new"], a["open"]])
        self.recent_menu = file.addMenu("Open &Recent")
        self.examples_menu = file.addMenu("&Examples")
        self.examples_menu.setToolTipsVisible(True)
        for name in list_examples():
            action = self.examples_menu.addAction(self._example_title(name))
            action.setData(name)
            description = self._example_description(name)
            if description:  # a tooltip while the item is hovered; its first sentence in the status bar
                action.setToolTip("<p style='white-space: normal'>" + html.escape(description) + "</p>")
                action.setStatusTip(description.split(". ")[0])
            action.triggered.connect(lambda checked=False, n=name: self.open_example(n))
        file.addSeparator()
        file.addActions([a["save"], a["save_as"]])
        file.addSeparator()
        file.addActions([a["export_png"], a["export_svg"], a["export_model"]])
        file.addAction(a["import_model"])
        file.addSeparator()
        file.addActions([a["close"], a["quit"]])
        self._refresh_recent_menu()

        edit = bar.addMenu("&Edit")
        edit.addActions([a["undo"], a["redo"]])
        edit.addSeparator()
        edit.addActions([a["copy_layer"], a["paste_layer"], a["delete"], a["copy_weights"]])

        view = bar.addMenu("&View")
        view.addActions([a["zoom_in"], a["zoom_out"], a["fit"]])
        view.addSeparator()
        view.addActions([a["edge_labels"], a["neuron_maps"], a["map_large"]])
        view.addSeparator()
        view.addActions([self.actions_by_name[f"edge_{m}"] for m in ("weight", "gradient", "signal")])
        view.addSeparator()
        view.addActions([self.inspector_dock.toggleViewAction(), self.io_dock.toggleViewAction(),
                         self.step_dock.toggleViewAction(), self.memory_dock.toggleViewAction(),
                         self.training_dock.toggleViewAction(), self.results_dock.toggleViewAction()])

        network = bar.addMenu("&Network")
        network.addActions([a["add_layer"], a["insert_layer"], a["delete"]])
        network.addSeparator()
        network.addActions([a["neuron_more"], a["neuron_fewer"]])
        network.addSeparator()
        network.addAction(a["edit_matrix"])
        network.addAction(a["build_samples"])
        network.addSeparator()
        network.addAction(a["train"])

        step = bar.addMenu("&Step")
        step.addActions([a["step"], a["step_back"], a["run_forward"], a["run_backward"], a["reset_steps"],
                         a["stop_stepping"]])

        help_menu = bar.addMenu("&Help")
        help_menu.addActions([a["guide"], a["shortcuts"], a["about"]])

    @staticmethod
    def _example_description(name: str) -> str:
        """What the example shows (its file's own description), or ""."""
        return _example_info(name)[1]

    @staticmethod
    def _example_title(name: str) -> str:
        title = _example_info(name)[0]
        return f"{title}  ({name})" if title else name

    def _build_toolbar(self) -> None:
        a = self.actions_by_name
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for name in ("new", "open", "save", None, "undo", "redo", None, "add_layer", "insert_layer", "delete",
                     "edit_matrix", None, "step_back", "step", "run_forward", "run_backward", "reset_steps", None,
                     "edge_weight", "edge_gradient", "edge_signal", None, "train", None, "fit", "edge_labels"):
            if name is None:
                bar.addSeparator()
            else:
                bar.addAction(a[name])
        a["add_layer"].setIconText("+ Layer")
        a["insert_layer"].setIconText("Insert")
        a["delete"].setIconText("Remove")
        a["edit_matrix"].setIconText("W and b…")
        a["edge_labels"].setIconText("Weights")
        a["zoom_in"].setIconText("Zoom +")
        a["zoom_out"].setIconText("Zoom −")
        a["fit"].setIconText("Fit")
        a["step"].setIconText("Step ▶")
        a["step_back"].setIconText("◀ Back")
        a["run_forward"].setIconText("Forward ▶▶")
        a["run_backward"].setIconText("Backward ▶▶")
        a["reset_steps"].setIconText("Reset")
        a["edge_weight"].setIconText("w")
        a["edge_gradient"].setIconText("∂L/∂w")
        a["edge_signal"].setIconText("w·δ")
        a["train"].setIconText("Train…")
        self.addToolBar(bar)

    # ------------------------------------------------------------------ state shown

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — nnstudio")
        self.setWindowModified(self.document.modified)

    def _update_undo_actions(self) -> None:
        stack = self.document.undo_stack
        undo, redo = self.actions_by_name["undo"], self.actions_by_name["redo"]
        undo.setEnabled(stack.can_undo())
        redo.setEnabled(stack.can_redo())
        undo.setText(f"&Undo {stack.undo_text()}".rstrip())
        redo.setText(f"&Redo {stack.redo_text()}".rstrip())
        undo.setIconText("Undo")  # the toolbar stays short; the menu says what will be undone
        redo.setIconText("Redo")

    def _update_output_status(self) -> None:
        self.output_status.setText(self.document.shown().summary())

    def _on_document_changed(self, kind: str) -> None:
        if kind == "all":
            QTimer.singleShot(0, self.view.fit)

    def _on_selection_changed(self, key: ItemKey | None) -> None:
        self.inspector.show_key(key)
        self.step_panel.show_key(key)
        if key is not None:
            self.statusBar().showMessage(key.describe().capitalize(), 3000)

    def report(self, message: str) -> None:
        """A short message in the status bar (errors of in-place edits land here too).

        A message belongs to the moment it was said in: once the network, the step or the run moves
        on, it goes ("Undo left step-through" stayed after Redo; "structural edits wait until it
        stops" after the run had ended). The moment is taken once the action that reported it has
        finished, so the change the message tells of does not clear it.
        """
        self.statusBar().showMessage(message, 8000)
        self._reported_at = None
        QTimer.singleShot(0, self._pin_report)

    def _moment(self) -> tuple:
        plan = self.document.stepping.plan
        return (self.document.version, None if plan is None else plan.index, self.trainer.running,
                self.document.preview_rewound)

    def _pin_report(self) -> None:
        if self.statusBar().currentMessage():
            self._reported_at = self._moment()

    def _on_moment_changed(self, *_: object) -> None:
        """The network, the step or the run moved on: a message about the moment before goes."""
        if self._reported_at is not None and self._moment() != self._reported_at:
            self._reported_at = None
            self.statusBar().clearMessage()

    def show_internal_error(self, summary: str) -> None:
        """An exception nobody caught (see errors.py): say so, and put the window back to the truth.

        The message claims nothing it cannot know (whether the network changed depends on where the
        fault was); what holds in every case is said: the network is kept, every other view went on,
        and quitting still asks about unsaved changes (Document.modified does not rely on the edit
        having finished).
        """
        self.show_error("Something went wrong",
                        f"nnstudio hit an error it did not expect:\n{summary}\n\nYour network is kept as the canvas "
                        "shows it, and nnstudio asks before closing it unsaved. Details for a bug report are in "
                        f"{log_file()}.")
        self.report(f"Error: {summary}")
        if not self.trainer.running:
            self._set_structure_enabled(True)

    def show_unexpected(self, title: str, what: str, error: Exception) -> QMessageBox:
        """A failure no check foresaw, while doing `what`: a message box, one log entry, nothing changed."""
        write_log(type(error), error, error.__traceback__)
        self.report(f"Error: {describe(error)}")
        return self.show_error(title, f"{what}: {describe(error)}\n\nNothing was changed. Details for a bug "
                                      f"report are in {log_file()}.")

    def show_error(self, title: str, message: str) -> QMessageBox:
        """A clear, non-blocking message box; the document is untouched by whatever failed."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # ------------------------------------------------------------------ files

    def maybe_save(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; True means go ahead."""
        if not self.document.modified:
            return True
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"{self.document.display_name} has unsaved changes. Save them first?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("unsavedBox")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        try:
            answer = box.exec()
        finally:
            box.deleteLater()  # asked once, then gone (each prompt left its box behind)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_network(self) -> NewNetworkDialog | None:
        """File → New Network…: the dialog, window-modal; Create replaces the document (after asking
        about unsaved changes). Returns the dialog (tests drive it), or None while training."""
        if self.trainer.running:
            return None
        dialog = NewNetworkDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self._create_network(dialog))
        dialog.open()
        return dialog

    def _create_network(self, dialog: NewNetworkDialog) -> None:
        try:
            project = build_project(dialog.blueprint())
        except NNStudioError as error:
            self.show_error("Could not build the network", str(error))
            return
        if not self.maybe_save():
            return
        if not self.replace_document("Could not build the network", lambda: self.document.new_project(project)):
            return
        # The first weight is selected and the canvas has the keys: typing sets it at once (cell by cell).
        # The window takes the keys back from the closed dialog itself: not every platform hands them
        # back, and an inactive window's shortcuts (Ctrl+E, Ctrl+S) do nothing.
        self.scene.select_key(ItemKey("edge", 1, 0, 0))
        self.activateWindow()
        self.view.setFocus()
        self.report(f"New network {' → '.join(map(str, project.network.sizes))}: type a value to set the selected "
                    "weight; Enter and Tab move on")

    def new_document(self) -> None:
        """An empty canvas (after asking about unsaved changes)."""
        if self.maybe_save():
            self.replace_document("Could not close the network", self.document.new)

    def close_document(self) -> None:
        self.new_document()

    def _update_empty_hint(self) -> None:
        empty = not self.document.project.network.layers
        if empty:
            self.empty_hint.place()
        self.empty_hint.setVisible(empty)

    # ------------------------------------------------------------------ file dialogs start where you were

    def last_folder(self) -> str:
        """The folder of the last file opened, saved or exported (kept in the settings), else home."""
        folder = self.settings.value("lastFolder", "")
        folder = str(folder) if folder else ""
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def _remember_folder(self, path: str | Path) -> None:
        self.settings.setValue("lastFolder", str(Path(path).resolve().parent))

    def _ask_save_path(self, title: str, name: str, file_filter: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(self.last_folder()) / name), file_filter)
        return path

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open network", self.last_folder(), FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, ask: bool = True) -> bool:
        """Open a file; a bad file shows a message and leaves the current document as it was.

        The file is read and checked first: the unsaved-changes prompt comes only for a file
        that can actually be opened, so answering it is never wasted.
        """
        try:
            project = load_project(path)
        except (NNStudioError, OSError) as error:
            self.show_error("Could not open the file", str(error))
            return False
        except Exception as error:  # a fault no check foresaw: the open document stays as it was
            self.show_unexpected("Could not open the file", f"{path}", error)
            return False
        if ask and not self.maybe_save():
            return False
        if not self.replace_document("Could not open the file", lambda: self.document.open_project(project, path)):
            return False
        self._remember_folder(path)
        self._add_recent(str(Path(path).resolve()))
        self.report(f"Opened {Path(path).name}")
        return True

    def open_example(self, name: str, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        return self.replace_document("Could not open the example", lambda: self.document.open_example(name))

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
            self.show_error(title, f"{error}.\n\nDetails for a bug report are in {log_file()}.")
            self.report(f"{title}: {error}")
            return False
        except NNStudioError as error:
            self.show_error(title, str(error))
            return False
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        name = self.document.path.name if self.document.path else f"{self.document.display_name}{SUFFIX}"
        path = self._ask_save_path("Save network as", name, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += SUFFIX
        return self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        try:
            check_can_write(path)  # a FIFO, device, socket, folder or link: refused before anything is written
            self.document.save(path)
        except OutputPathError as error:  # its message names the path and what it is
            self.show_error("Could not save", str(error))
            return False
        except (NNStudioError, OSError) as error:
            self.show_error("Could not save", f"{path}: {getattr(error, 'strerror', None) or error}")
            return False
        except Exception as error:  # the file on disk is untouched (saves are atomic), the document too
            self.show_unexpected("Could not save", f"{path}", error)
            return False
        self._add_recent(str(Path(path).resolve()))
        self._remember_folder(path)
        self.report(f"Saved {Path(path).name}")
        return True

    def _recent(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _add_recent(self, path: str) -> None:
        recent = [path] + [p for p in self._recent() if p != path]
        self.settings.setValue("recentFiles", recent[:MAX_RECENT])
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self._recent()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(recent))

    # ------------------------------------------------------------------ export

    def export_png_dialog(self) -> None:
        path = self._ask_save_path("Export canvas as PNG", "network.png", "PNG images (*.png)")
        if path and self.export_png(path):
            self._remember_folder(path)

    def export_svg_dialog(self) -> None:
        path = self._ask_save_path("Export canvas as SVG", "network.svg", "SVG drawings (*.svg)")
        if path and self.export_svg(path):
            self._remember_folder(path)

    def _export_rect(self) -> QRectF:
        return self.scene.network_rect().marginsAdded(QMarginsF(24, 24, 24, 24))

    def _render_scene(self, painter: QPainter, target: QRectF, source: QRectF) -> None:
        """The canvas as a picture: the same drawing without the editing buttons."""
        self.scene.set_export_mode(True)
        try:
            self.scene.render(painter, target, source)
        finally:
            self.scene.set_export_mode(False)

    def _write_picture(self, path: str | Path, write: Callable[[], None]) -> bool:
        """Run `write` (ui/saving.py: checked target, atomic write); a refusal or a disk error is one message."""
        try:
            write()
        except NNStudioError as error:  # OutputPathError names the path and what it is
            self.show_error("Could not export", str(error))
            return False
        except OSError as error:
            self.show_error("Could not export", f"{path}: {error.strerror or error}")
            return False
        return True

    def export_png(self, path: str | Path, scale: float = 2.0) -> bool:
        if not self._write_picture(path, lambda: check_can_write(path)):  # before the canvas is drawn
            return False
        rect = self._export_rect()
        image = QImage(QSize(int(rect.width() * scale), int(rect.height() * scale)), QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._render_scene(painter, QRectF(image.rect()), rect)
        painter.end()
        return self._write_picture(path, lambda: save_picture(path, image))

    def export_svg(self, path: str | Path) -> bool:
        rect = self._export_rect()
        generator = QSvgGenerator()
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(self.document.display_name)

        def draw(buffer: QBuffer) -> bool:  # into memory; only save_drawing touches the disk
            generator.setOutputDevice(buffer)
            painter = QPainter()
            if not painter.begin(generator):
                return False
            self._render_scene(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
            painter.end()
            return True

        return self._write_picture(path, lambda: save_drawing(path, draw))

    # ------------------------------------------------------------------ network edits

    def selected_column(self) -> int | None:
        key = self.scene.selected_key()
        return None if key is None else key.column

    def _try(self, edit) -> None:  # type: ignore[no-untyped-def]
        try:
            edit()
        except NNStudioError as error:
            self.report(str(error))
            self.show_error("That change cannot be made", str(error))

    def add_layer(self) -> None:
        column = self.selected_column()
        at = len(self.document.project.network.layers) + 1 if column is None else column + 1
        self._try(lambda: self.document.insert_layer(at, NEW_LAYER_SIZE, "relu"))
        self._show_layer(at)

    def _show_layer(self, column: int) -> None:
        """Select the layer just made and bring it into sight."""
        self.scene.select_key(ItemKey("layer", column))
        if column < len(self.scene.layers):
            item = self.scene.layers[column]
            self.view.bring_into_view(item.mapRectToScene(item.boundingRect()))

    def insert_layer(self) -> None:
        column = self.selected_column()
        if column is None or column == 0:
            self.report("Select a layer first: the new layer goes before it")
            return
        self._try(lambda: self.document.insert_layer(column, NEW_LAYER_SIZE, "relu"))
        self._show_layer(column)

    def delete_selected(self) -> None:
        if self.view.editor is not None:
            return
        column = self.selected_column()
        if column is None or column == 0:
            self.report("Select a layer to remove (the input layer stays)")
            return
        self._try(lambda: self.document.remove_layer(column))

    def resize_selected(self, step: int) -> None:
        column = self.selected_column()
        if column is None:
            self.report("Select a layer first")
            return
        size = self.document.project.network.sizes[column] + step
        if size >= 1:
            self._try(lambda: self.document.resize_column(column, size))

    def edit_matrix(self, column: int | None = None) -> None:
        column = self.selected_column() if column is None else column
        if not column:
            self.report("Select a layer (not the input) to edit its weights")
            return
        editor = self.matrix_editors.get(column)
        if editor is None or not shiboken6.isValid(editor):
            # Deleted when closed (a hidden editor would still follow every edit): a new one each time.
            editor = MatrixEditorDialog(self.document, column, self)
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.matrix_editors[column] = editor
            editor.destroyed.connect(functools.partial(self._forget_editor, column, weakref.ref(editor)))
        editor.show()
        editor.raise_()
        editor.activateWindow()

    def _forget_editor(self, column: int, editor: "weakref.ref[MatrixEditorDialog]", *_: object) -> None:
        """A closed matrix editor is gone: the dict no longer names it (a newer one may stand there)."""
        if self.matrix_editors.get(column) is editor():
            del self.matrix_editors[column]

    def show_map_large(self, column: int | None = None, row: int | None = None) -> NeuronMapDialog | None:
        """The selected (or given) neuron's map, large — for a two-input network."""
        if column is None or row is None:
            key = self.scene.selected_key()
            if key is None or key.kind != "neuron" or key.column == 0:
                self.report("Select a neuron of a layer to see its map")
                return None
            column, row = key.column, key.row
        if self.document.project.network.input_size != 2:
            self.report("Neuron maps are drawn over the plane of two inputs; this network takes "
                        f"{self.document.project.network.input_size}")
            return None
        dialog = NeuronMapDialog(self.document, column, row, self.scene.map_bounds, self.results_panel.data, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _go_to_neuron(self, column: int, row: int) -> None:
        """Inspector → Go to neuron: the canvas shows it (paging a large column) and selects it."""
        if self.scene.show_neuron(column, row):
            key = self.scene.selected_key()
            item = self.scene.items_by_key.get(key) if key is not None else None
            if item is not None:
                self.view.ensureVisible(item.sceneBoundingRect(), 40, 40)

    def copy_layer(self) -> None:
        """Ctrl+C on the canvas: the selected layer as JSON on the clipboard (see io/layer_clipboard.py)."""
        column = self.selected_column()
        if column is None or column == 0:
            self.report("Select a layer to copy (click its title)")
            return
        layer = self.document.project.network.layers[column - 1]
        QGuiApplication.clipboard().setText(layer_to_text(layer))
        self.report(f"Copied layer {column} ({layer.n_out} neurons, {layer.activation}, {layer.n_in} inputs)")

    def paste_layer(self) -> None:
        """Ctrl+V on the canvas: the copied layer inserted after the selected column (or at the end)."""
        column = self.selected_column()
        at = len(self.document.project.network.layers) + 1 if column is None else column + 1
        network = self.document.project.network
        try:  # the column it goes after bounds the text's length, checked before any of it is parsed
            layer = layer_from_text(QGuiApplication.clipboard().text(), network.dtype, inputs=network.sizes[at - 1])
        except NNStudioError as error:
            self.show_error("Could not paste a layer", str(error))
            return
        try:
            self.document.paste_layer(at, layer)
        except NNStudioError as error:
            self.show_error("Could not paste a layer", str(error))
            return
        self._show_layer(at)
        self.report(f"Pasted a layer of {layer.n_out} neurons as layer {at}")

    def copy_weights(self, column: int | None = None) -> None:
        column = self.selected_column() if column is None else column
        if not column:
            self.report("Select a layer (not the input) to copy its W")
            return
        QGuiApplication.clipboard().setText(weights_tsv(self.document.project.network.layers[column - 1]))
        self.report(f"Copied W{column} as tab-separated text")

    def _on_context_menu(self, column: int, screen_pos) -> None:  # type: ignore[no-untyped-def]
        a = self.actions_by_name
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right-click, gone once closed
        menu.addAction(a["add_layer"])
        if column >= 1:
            menu.addAction(a["insert_layer"])
            menu.addAction(a["delete"])
            menu.addSeparator()
            menu.addActions([a["neuron_more"], a["neuron_fewer"]])
            activation = menu.addMenu("Activation")
            current = self.document.project.network.layers[column - 1].activation
            for name, spec in ACTIVATIONS.items():
                action = activation.addAction(spec.label)
                action.setCheckable(True)
                action.setChecked(name == current)
                action.triggered.connect(lambda checked=False, n=name: self._try(
                    lambda: self.document.set_activation(column, n)))
            has_bias = self.document.project.network.layers[column - 1].has_bias
            bias = menu.addAction("Has a Bias")
            bias.setCheckable(True)
            bias.setChecked(has_bias)
            bias.triggered.connect(lambda on: self._try(lambda: self.document.set_bias_enabled(column, on)))
            menu.addSeparator()
            menu.addActions([a["edit_matrix"], a["copy_weights"]])
        elif column == 0:
            menu.addActions([a["neuron_more"], a["neuron_fewer"]])
        menu.popup(screen_pos)

    STRUCTURAL_ACTIONS = ("new", "open", "import_model", "close", "add_layer", "insert_layer", "delete", "paste_layer", "neuron_more",
                          "neuron_fewer", "build_samples")

    def show_training(self) -> None:
        """Show the Training and Results docks (bottom, tabbed) and bring Training forward."""
        if not self.tabifiedDockWidgets(self.training_dock):
            self.tabifyDockWidget(self.training_dock, self.results_dock)
        self.results_dock.show()
        self.training_dock.show()
        self.training_dock.raise_()
        self.resizeDocks([self.training_dock], [300], Qt.Orientation.Vertical)

    def _set_structure_enabled(self, enabled: bool) -> None:
        for name in self.STRUCTURAL_ACTIONS:
            self.actions_by_name[name].setEnabled(enabled)
        self.examples_menu.setEnabled(enabled)
        if enabled:
            self._refresh_recent_menu()
        else:
            self.recent_menu.setEnabled(False)

    def _on_training_started(self) -> None:
        self._set_structure_enabled(False)
        worker = self.trainer.worker
        assert worker is not None
        worker.snapshot.connect(self._on_snapshot)
        worker.data_ready.connect(self._on_data)
        self.training_dock.raise_()
        self.report("Training… structural edits wait until it stops")

    def _on_data(self, data) -> None:  # type: ignore[no-untyped-def]
        """A run's data arrived: the results use it, and the neuron maps show the plane it spans."""
        worker = self.trainer.worker
        self.results_panel.set_data(data, worker.normalisation if worker is not None else None)
        if self.results_panel.data is not None and self.results_panel.data.train.x.shape[1] == 2:
            self.scene.set_map_bounds(plane_bounds(self.results_panel.data.train.x))
            for dialog in self.findChildren(NeuronMapDialog):  # large maps already open follow the data too
                dialog.set_data(self.results_panel.data, self.scene.map_bounds)

    def _on_snapshot(self, snapshot) -> None:  # type: ignore[no-untyped-def]
        # Live previews come a few times a second; the end-of-epoch snapshots are for the rewind slider
        # (on a toy set at batch 1 they arrive hundreds of times a second: no preview for each).
        if self.trainer.running and not snapshot.epoch_end:
            self.document.set_preview(snapshot.network)

    def _on_training_ended(self, result) -> None:  # type: ignore[no-untyped-def]
        self._set_structure_enabled(True)
        if result is None:  # it failed before or while running: the message box says why
            if not self._closing:  # (closing, the status bar says it: _tell_about_training)
                self.report("Training did not finish: see the message")
            return
        self._on_data(self.trainer.data)
        self.results_panel.show_run(run_words(result))
        if not result.error:
            self.results_dock.raise_()
        self.report("Training stopped" if result.stopped or result.error else "Training finished")
        if result is not None and result.error:
            self._tell_about_training("Training stopped", result.error)

    def _tell_about_training(self, title: str, message: str) -> None:
        """A message box, or while the window closes (a stuck trainer ended by Close, a run ending after
        it) the status bar and the Training panel's own line: a box outliving its window would keep the
        application from quitting until someone answered it."""
        if self._closing:
            self.report(f"{title}: {message.splitlines()[0]}")
        else:
            self.show_error(title, message)

    def step(self) -> None:
        """One step on, starting a plan (with the panel's modes) when not stepping yet."""
        try:
            if not self.document.stepping.active:
                self.step_panel.start()
                self.step_dock.raise_()
                return
            if not self.document.stepping.forward():
                self.report("End of the plan: Reset to step again, or Step Back")
        except NNStudioError as error:
            self.show_error("Cannot step", str(error))

    def build_from_samples(self) -> None:
        if not self.document.project.samples:
            self.report("This network has no named samples to build memories from")
            return
        dialog = BuildFromSamplesDialog(self.document, self)
        dialog.setObjectName("buildDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_digits_changed(self, digits: int) -> None:
        self.scene.set_digits(digits)
        self.settings.setValue("digits", digits)

    def show_guide(self) -> GuideDialog | None:
        try:
            dialog = GuideDialog(self)
        except (OSError, ModuleNotFoundError) as error:  # an install without its docs
            self.show_error("The user guide is missing", f"{error}; it is docs/guide.md in the source.")
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()  # not modal: the guide stays open beside the window
        return dialog

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.actions_by_name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def about(self) -> None:
        QMessageBox.about(self, "About nnstudio",
                          f"<b>nnstudio {__version__}</b><p>A desktop studio for seeing inside neural networks: "
                          "assemble, hand-set, step through and train dense networks.</p>"
                          f"<p>Shape of the open network: {' → '.join(map(str, self.document.project.network.sizes))}"
                          f"</p><p>Output: {fmt.pretty_expression(self.scene.output_summary())}</p>")

    # ------------------------------------------------------------------ window events

    def _restore_settings(self) -> None:
        digits = self.settings.value("digits")
        if digits is not None:
            self.step_panel.digits.setValue(int(digits))
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = self.settings.value("windowState")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._restored_state = self.restoreState(state)

    def save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.sync()

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        if self.trainer.running:
            # Stop cleanly first: the run lands in the document, then we ask about unsaved work. A trainer
            # that does not answer is ended by its deadline; Close waits at most STOP_WAIT_MS in all.
            self.trainer.stop(wait=True)
        if not self.maybe_save():
            self._closing = False
            event.ignore()
            return
        self.save_settings()
        for editor in list(self.matrix_editors.values()):
            editor.close()
        self.training_panel.plot.timer.stop()  # a closed window does no more periodic work
        event.accept()

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._closing = False
        if self._first_show:
            # Dock sizes only take once the window has its size; the canvas gets what is left,
            # and Fit runs again once the docks have taken their room.
            self._first_show = False
            if not self._restored_state:
                self.resizeDocks([self.io_dock, self.inspector_dock], list(DOCK_WIDTHS), Qt.Orientation.Horizontal)
            self.view.setFocus()
            QTimer.singleShot(0, self.view.fit)

    @override
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    @override
    def dropEvent(self, event: QDropEvent) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_path(files[0]))
