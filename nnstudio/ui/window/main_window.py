"""MainWindow: the canvas, the docks, the menus and the toolbar, wired to one Document.

This is the only place that connects panels to each other. It owns no numbers and knows no action's
job: every edit is a Document method, every view listens to the Document, and each menu item's
spec and handler live in the room of this package that does that job (files.py, exports.py, layer_edits.py,
viewing.py, step_through.py, training_hooks.py, help.py: `ROOMS`); menus.py places them.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from nnstudio.core.neuron_maps import DEFAULT_BOUNDS
from nnstudio.crash_log import log_file
from nnstudio.document import Document
from nnstudio.ui.canvas.empty_hint import EmptyCanvasHint
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.compat import override
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.dock_layout import DOCK_WIDTHS, DockScroll
from nnstudio.ui.panels.network.inspector import InspectorPanel
from nnstudio.ui.panels.network.io_panel import IOPanel
from nnstudio.ui.panels.network.memory_panel import MemoryPanel
from nnstudio.ui.panels.lessons.lesson_panel import LessonPanel
from nnstudio.ui.panels.network.step_panel import StepPanel
from nnstudio.ui.panels.results.results_panel import ResultsPanel
from nnstudio.ui.panels.training.training_panel import TrainingPanel
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.window.actions import ActionSpec, build_actions
from nnstudio.ui.window.exports import Exports
from nnstudio.ui.window.files import Files
from nnstudio.ui.window.help import HelpAndSettings
from nnstudio.ui.window.layer_edits import LayerEdits
from nnstudio.ui.window.lessons import Lessons
from nnstudio.ui.window.menus import build_menu_bar, build_toolbar, keep_keys_on_canvas
from nnstudio.ui.window.status import StatusLine, error_box, unexpected_box
from nnstudio.ui.window.step_through import StepThrough
from nnstudio.ui.window.training_hooks import TrainingHooks
from nnstudio.ui.window.viewing import Viewing
from nnstudio.ui.workers.training_worker import TrainingController


# The rooms, each with the actions it serves (its `specs`); the window makes one of each, in this order.
ROOMS = (Files, Exports, LayerEdits, Viewing, StepThrough, TrainingHooks, Lessons, HelpAndSettings)


def all_specs() -> list[ActionSpec]:
    """Every action of the window: the rooms' specs, room by room in the order of `ROOMS`."""
    return [spec for room in ROOMS for spec in room.specs]


class MainWindow(QMainWindow):
    """The studio window around one document."""

    def __init__(self, document: Document | None = None, settings: QSettings | None = None) -> None:
        super().__init__()
        # Every plot's curves and points drawn smooth. pyqtgraph's items read this as they are made, and the docks'
        # plots are made when first shown (panels/lazy_plot.py), in whatever order a person opens them: set first.
        pg.setConfigOptions(antialias=True)
        self.document = document or Document()
        self.settings = settings or QSettings()
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)

        self._build_canvas()
        self._build_first_docks()
        self._build_rooms()
        self._build_other_docks()
        self._build_menus_and_status()
        self._connect()
        self._forward_room_names()
        self.resize(1280, 800)
        self._first_show = True
        self.closing = False  # from the start of an accepted close until the window is shown again
        self._restored_state = self.help.restore_settings()
        self._update_title()
        self.edits.update_undo_actions()
        self._update_output_status()

    def _build_canvas(self) -> None:
        """The canvas: the scene that mirrors the document, in the view that zooms and edits."""
        self.scene = NetworkScene(self.document, self)
        self.view = NetworkView(self.scene, self)
        self.setCentralWidget(self.view)

    def _build_first_docks(self) -> None:
        """The Inspector and Input and output docks, made before the rooms that reach them."""
        self.inspector = InspectorPanel(self.document)
        self.io_panel = IOPanel(self.document)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.io_dock = self._dock("Input and output", "ioDock", self.io_panel, Qt.DockWidgetArea.LeftDockWidgetArea)

    def _build_rooms(self) -> None:
        """The rooms and their actions: each holds the handlers of its actions and reaches the window only for what
        it names."""
        self.files = Files(self)
        self.exports = Exports(self)
        self.edits = LayerEdits(self)
        self.viewing = Viewing(self)
        self.step_through = StepThrough(self)
        self.training_hooks = TrainingHooks(self)
        self.lessons = Lessons(self)
        self.help = HelpAndSettings(self)
        rooms = (self.files, self.exports, self.edits, self.viewing, self.step_through, self.training_hooks,
                 self.lessons, self.help)
        self.action_specs = all_specs()  # Help → Keyboard Shortcuts reads them
        self.actions_by_name = build_actions(self, rooms)
        keep_keys_on_canvas(self.view, self.actions_by_name)
        self.viewing.set_up_actions(self.actions_by_name)

    def _build_other_docks(self) -> None:
        """Step through, Memory view, Training and Results: they take the actions or the trainer."""
        self.step_panel = StepPanel(self.document, self.actions_by_name)
        self.memory_panel = MemoryPanel(self.document)
        self.step_dock = self._dock("Step through", "stepDock", self.step_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.memory_dock = self._dock("Memory view", "memoryDock", self.memory_panel,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.memory_dock.visibilityChanged.connect(self.memory_panel.set_shown)
        self.step_dock.visibilityChanged.connect(self.step_panel.set_shown)
        self.tabifyDockWidget(self.inspector_dock, self.step_dock)
        self.tabifyDockWidget(self.step_dock, self.memory_dock)
        self.inspector_dock.raise_()
        self.memory_panel.build_button.clicked.connect(self.edits.build_from_samples)
        self.trainer = TrainingController(self.document, self)
        self.training_panel = TrainingPanel(self.document, self.trainer,
                                            folders=self.files.last_folder, remember=self.files.remember_folder)
        self.results_panel = ResultsPanel(self.document)
        self.training_dock = self._dock("Training", "trainingDock", self.training_panel,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.results_dock = self._dock("Results", "resultsDock", self.results_panel,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.lessons_panel = LessonPanel()
        self.lessons_dock = self._dock("Lessons", "lessonsDock", self.lessons_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.splitDockWidget(self.lessons_dock, self.io_dock, Qt.Orientation.Vertical)  # the lesson above the input
        self.lessons_dock.hide()  # shown by Help → Lessons
        self.training_dock.hide()  # shown by Network → Train… (the window opens on the canvas)
        self.results_dock.hide()  # tabified when first shown: hidden tabified docks leave their tab bar behind
        self.step_panel.digits_changed.connect(self.help.on_digits_changed)
        self.step_panel.refused.connect(lambda message: self.show_error("Cannot step", message))

    def _build_menus_and_status(self) -> None:
        """The menu bar, the toolbar and the status bar, from the actions and the docks."""
        docks = [self.inspector_dock, self.io_dock, self.step_dock, self.memory_dock, self.training_dock,
                 self.results_dock, self.lessons_dock]
        submenus = build_menu_bar(self.menuBar(), self.actions_by_name, [dock.toggleViewAction() for dock in docks])
        self.files.fill_menus(submenus["recent"], submenus["examples"])
        build_toolbar(self, self.actions_by_name)
        self.status = StatusLine(self.statusBar(), self.document, self.trainer)
        self.trainer.started.connect(self.status.on_moment_changed)  # first: a message of the moment before goes
        self.trainer.ended.connect(self.status.on_moment_changed)
        self.training_hooks.connect()
        self.lessons.connect()
        self.output_status = QLabel()
        self.output_status.setObjectName("outputStatus")
        self.zoom_status = QLabel()
        self.statusBar().addPermanentWidget(self.output_status)
        self.statusBar().addPermanentWidget(self.zoom_status)

    def _connect(self) -> None:
        """Views to the document and to one another: the only place panels are wired together."""
        self.scene.selection_key_changed.connect(self._on_selection_changed)
        self.scene.context_menu_requested.connect(self.edits.show_context_menu)
        self.view.error_reported.connect(self.report)
        self.view.zoom_changed.connect(lambda z: self.zoom_status.setText(f"{z * 100:.0f} %"))
        self.inspector.open_matrix_requested.connect(self.edits.edit_matrix)
        self.inspector.neuron_requested.connect(self.viewing.go_to_neuron)
        self.inspector.map_requested.connect(self.viewing.show_map_large)
        self.view.map_requested.connect(self.viewing.show_map_large)
        listen(self, self.document.replaced, lambda: self.scene.map_painter.set_bounds(DEFAULT_BOUNDS))
        self.inspector.copy_matrix_requested.connect(self.edits.copy_weights)
        self.inspector.follow_canvas(self.scene)  # kernel cells show the canvas's edge mode and digits
        listen(self, self.document.modified_changed, lambda _: self._update_title())
        listen(self, self.document.path_changed, self._update_title)
        listen(self, self.document.changed, self._on_document_changed)
        listen(self, self.document.shown_changed, self._update_output_status)
        listen(self, self.document.shown_changed, self.status.on_moment_changed)
        listen(self, self.document.undo_stack.changed, self.status.on_moment_changed)
        listen(self, self.document.message, self.report)
        listen(self, self.document.undo_stack.changed, self.edits.update_undo_actions)
        self.empty_hint = EmptyCanvasHint(self.view, self.actions_by_name["new"], self.actions_by_name["add_layer"])
        self.view.resized.connect(self._update_empty_hint)
        listen(self, self.document.changed, lambda _: self._update_empty_hint())

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        side = area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        dock.setWidget(DockScroll(widget) if side else widget)  # a short window scrolls a side panel
        dock.setMinimumWidth(200)
        self.addDockWidget(area, dock)
        return dock

    def _forward_room_names(self) -> None:
        """What app.py, the tests and the scripts call on the window, served by the rooms that do it."""
        files, exports, edits = self.files, self.exports, self.edits
        self.open_path, self.open_example, self.open_dialog = files.open_path, files.open_example, files.open_dialog
        self.save_to, self.save_as, self.new_network = files.save_to, files.save_as, files.new_network
        self.new_document, self.close_document = files.new_document, files.close_document
        self.last_folder = files.last_folder
        self.recent_menu, self.examples_menu = files.recent_menu, files.examples_menu
        self.export_png, self.export_svg = exports.export_png, exports.export_svg
        self.export_png_dialog, self.export_svg_dialog = exports.export_png_dialog, exports.export_svg_dialog
        self.edit_matrix, self.copy_weights = edits.edit_matrix, edits.copy_weights
        self.matrix_editors = edits.matrix_editors  # the same dict: closed editors leave it
        self.resize_selected, self.build_from_samples = edits.resize_selected, edits.build_from_samples
        self.show_map_large, self.step = self.viewing.show_map_large, self.step_through.step
        self.show_training = self.training_hooks.show_training
        self.show_guide, self.show_shortcuts = self.help.show_guide, self.help.show_shortcuts
        self.save_settings = self.help.save_settings

    # ------------------------------------------------------------------ state shown

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — nnstudio")
        self.setWindowModified(self.document.modified)

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

    def _update_empty_hint(self) -> None:
        empty = not self.document.project.network.layers
        if empty:
            self.empty_hint.place()
        self.empty_hint.setVisible(empty)

    # ------------------------------------------------------------------ telling (status.py)

    def report(self, message: str) -> None:
        """A short message in the status bar, for as long as its moment lasts (StatusLine.report)."""
        self.status.report(message)

    def show_error(self, title: str, message: str) -> QMessageBox:
        """A clear, non-blocking message box; the document is untouched by whatever failed."""
        return error_box(self, title, message)

    def show_unexpected(self, title: str, what: str, error: Exception) -> QMessageBox:
        """A failure no check foresaw, while doing `what`: a message box, one log entry, nothing changed."""
        return unexpected_box(self, self.status, title, what, error)

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
            self.training_hooks.set_structure_enabled(True)

    # ------------------------------------------------------------------ window events

    @override
    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing = True
        if self.trainer.running:
            # Stop cleanly first: the run lands in the document, then we ask about unsaved work. A trainer
            # that does not answer is ended by its deadline; Close waits at most STOP_WAIT_MS in all.
            self.trainer.stop(wait=True)
        self.lessons.flush()  # the lesson's work is kept whatever is answered below
        if not self.files.maybe_save():
            self.closing = False
            event.ignore()
            return
        self.help.save_settings()
        for editor in list(self.edits.matrix_editors.values()):
            editor.close()
        self.training_panel.plot.timer.stop()  # a closed window does no more periodic work
        event.accept()

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.closing = False
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
            QTimer.singleShot(0, lambda: self.files.open_path(files[0]))
