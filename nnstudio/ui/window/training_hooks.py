"""Network → Train… and what the window does as a run starts, sends data and snapshots, and ends.

The run itself is the Training panel's and the `TrainingController`'s (nnstudio/ui/workers/); here
the window follows it: structural edits wait while it runs, the live network is shown as the
document's preview, and the results and neuron maps take the run's data and its final network.
"""

from __future__ import annotations

from typing import Callable, Mapping, Protocol, TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMessageBox

from nnstudio.core.neuron_maps import plane_bounds
from nnstudio.document import Document
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.dock_layout import DOCK_WIDTHS
from nnstudio.ui.panels.results.neuron_map_dialog import NeuronMapDialog
from nnstudio.ui.panels.results.results_panel import ResultsPanel
from nnstudio.ui.panels.training.ending_words import stop_point
from nnstudio.ui.panels.training.training_panel import TrainingPanel
from nnstudio.ui.window.actions import ActionSpec
from nnstudio.ui.window.files import Files
from nnstudio.ui.workers.training_worker import STOPPED_EARLY, TrainingController

TRAINING_DOCK_HEIGHT = 300  # of the Training and Results docks below the canvas, as they open

# What waits while a run trains: everything that replaces the network or changes its shape.
STRUCTURAL_ACTIONS = ("new", "open", "import_model", "close", "add_layer", "insert_layer", "delete", "paste_layer",
                      "neuron_more", "neuron_fewer", "build_samples")

Found = TypeVar("Found", bound=QObject)


def run_words(result, last_step=None) -> str:  # type: ignore[no-untyped-def]
    """How a run ended, as the network it left: the moment the results panel names (`last_step`: the run's
    last StepProgress, so a Stop inside an epoch is named by its step)."""
    done = result.epochs_done  # not len(result.epochs): a long run's results are thinned
    epochs = f"{done} epoch{'' if done == 1 else 's'}"
    if result.error:
        return f"the network the run left when it failed after {epochs}"
    if result.stopped:
        return f"the network when Stop was pressed ({stop_point(result, last_step)})"
    if result.best_epoch:
        return f"the network of epoch {result.best_epoch} (the best of {epochs})"
    return f"the network after {epochs} of training"


class TrainingWindow(Protocol):
    """What following a run needs of the window (MainWindow is one). Named here rather than imported, so that
    this module and main_window.py do not import each other."""

    document: Document
    trainer: TrainingController
    scene: NetworkScene
    results_panel: ResultsPanel
    training_panel: TrainingPanel
    training_dock: QDockWidget
    results_dock: QDockWidget
    io_dock: QDockWidget
    inspector_dock: QDockWidget
    actions_by_name: dict[str, QAction]
    files: Files
    closing: bool  # from the start of an accepted close until the window is shown again

    def report(self, message: str) -> None: ...
    def show_error(self, title: str, message: str) -> QMessageBox: ...
    def tabifiedDockWidgets(self, dock: QDockWidget) -> list[QDockWidget]: ...
    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...
    def resizeDocks(self, docks: list[QDockWidget], sizes: list[int], orientation: Qt.Orientation) -> None: ...
    def findChildren(self, kind: type[Found]) -> list[Found]: ...


ACTIONS: list[ActionSpec] = [
    ActionSpec("train", "&Train…", "Ctrl+T", "Show the training panel: data, settings, Start"),
]


class TrainingHooks(QObject):
    """Network → Train…, and the window's answers to the trainer's signals.

    A QObject, a child of the window, unlike the other rooms: the worker's snapshots and data are sent
    from its own thread, and a slot of a plain Python object would run there (drawing from the wrong
    thread); a QObject's slots are queued to the thread it lives in, and end with the window."""

    specs = ACTIONS  # the actions above, for build_actions

    def __init__(self, window: TrainingWindow) -> None:
        super().__init__(window)  # type: ignore[call-overload]  # MainWindow, a QObject
        self.window = window

    def handlers(self) -> dict[str, Callable[..., object]]:
        return {"train": self.show_training}

    def connect(self) -> None:
        """Follow the window's trainer (after anything that must hear its signals first)."""
        trainer = self.window.trainer
        trainer.started.connect(self._on_training_started)
        trainer.data_ready.connect(self._on_data)
        trainer.snapshot.connect(self._on_snapshot)
        trainer.ended.connect(self._on_training_ended)
        trainer.failed.connect(lambda message: self.tell_about_training("Training failed", message))
        self.window.results_panel.runs.start_requested.connect(self.train_from_start_of)
        listen(self, self.window.document.changed, self._on_document_changed)

    def train_from_start_of(self, number: int) -> None:
        """Results → Runs → "Train from its start…": the Training panel in front, starting from run `number`'s
        exact start parameters, or the status line says why it cannot."""
        if self.window.trainer.running:
            self.window.report("A run is going: its start can be chosen once it ends")
            return
        self.show_training()
        if self.window.training_panel.start_row.choose_run(number):
            self.window.report(f"The next run starts from run {number}'s start: change a setting and press Start")
        else:
            self.window.report(f"Run {number}'s start is not known for the network as it is now (opened from a file, "
                               "no longer held, or another shape): see Start from's tooltip")

    def show_training(self) -> None:
        """Show the Training and Results docks (bottom, tabbed) and bring Training forward. The side docks go
        back to their widths (a panel that grew with its content, say the input column, keeps the canvas
        narrow otherwise), and the canvas keeps the room the training docks leave it."""
        window = self.window
        if not window.tabifiedDockWidgets(window.training_dock):
            window.tabifyDockWidget(window.training_dock, window.results_dock)
        window.results_dock.show()
        window.training_dock.show()
        window.training_dock.raise_()
        window.resizeDocks([window.io_dock, window.inspector_dock], list(DOCK_WIDTHS), Qt.Orientation.Horizontal)
        window.resizeDocks([window.training_dock], [TRAINING_DOCK_HEIGHT], Qt.Orientation.Vertical)

    def set_structure_enabled(self, enabled: bool) -> None:
        actions: Mapping[str, QAction] = self.window.actions_by_name
        for name in STRUCTURAL_ACTIONS:
            actions[name].setEnabled(enabled)
        self.window.files.set_menus_enabled(enabled)

    def _on_training_started(self) -> None:
        self.set_structure_enabled(False)
        self.window.training_dock.raise_()
        self.window.report("Training… structural edits wait until it stops")

    def _on_data(self, data) -> None:  # type: ignore[no-untyped-def]
        """A run's data arrived: the results use it, and the neuron maps show the plane it spans."""
        window = self.window
        worker = window.trainer.worker
        window.results_panel.set_data(data, worker.normalisation if worker is not None else None)
        if window.results_panel.data is not None and window.results_panel.data.train.x.shape[1] == 2:
            window.scene.map_painter.set_bounds(plane_bounds(window.results_panel.data.train.x))
            for dialog in window.findChildren(NeuronMapDialog):  # large maps already open follow the data too
                dialog.set_data(window.results_panel.data, window.scene.map_painter.bounds)

    def _on_snapshot(self, snapshot) -> None:  # type: ignore[no-untyped-def]
        # Live previews come a few times a second; the end-of-epoch snapshots are for the rewind slider
        # (on a toy set at batch 1 they arrive hundreds of times a second: no preview for each).
        if self.window.trainer.running and not snapshot.epoch_end:
            self.window.document.set_preview(snapshot.network)

    def _on_document_changed(self, kind: str) -> None:
        """Another input while a run's live copy is shown (a test image picked, a digit drawn, a sample used): the
        copy's forward pass is of the old input until the next snapshot, so the canvas drew the new input beside
        the old input's maps. The copy is shown again, its pass taken on the new input at once."""
        document = self.window.document
        if kind == "input" and document.preview is not None and self.window.trainer.running:
            document.set_preview(document.preview, document.preview_rewound)

    def _on_training_ended(self, result) -> None:  # type: ignore[no-untyped-def]
        window = self.window
        self.set_structure_enabled(True)
        if result is None:  # it failed before or while running: the message box says why
            worker = window.trainer.worker
            if worker is not None and worker.failure == STOPPED_EARLY:  # Stop while loading: no box, no failure
                window.report(STOPPED_EARLY)
            elif not window.closing:  # (closing, the status bar says it: tell_about_training)
                window.report("Training did not finish: see the message")
            return
        self._on_data(window.trainer.data)
        window.results_panel.show_run(run_words(result, window.trainer.last_step))
        if not result.error:
            window.results_dock.raise_()
        window.report("Training stopped" if result.stopped or result.error else "Training finished")
        if result is not None and result.error:
            self.tell_about_training("Training stopped", result.error)

    def tell_about_training(self, title: str, message: str) -> None:
        """A message box, or while the window closes (a stuck trainer ended by Close, a run ending after
        it) the status bar and the Training panel's own line: a box outliving its window would keep the
        application from quitting until someone answered it."""
        if self.window.closing:
            self.window.report(f"{title}: {message.splitlines()[0]}")
        else:
            self.window.show_error(title, message)
