"""Helpers for UI tests: answering a modal dialog, finding widgets, letting queued events run."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

QUEUE_BOUND_MS = 5000  # ends a queue that never empties; not a wait: an empty queue returns at once


def run_queued_events() -> None:
    """Run the events already queued, and those they queue in turn, until none is left: what the app's event
    loop does before it next waits (a table's refill after an edit, a redraw in an event of its own, a dock
    taking its width, a replaced widget's deleteLater).

    Not a wait for time: it returns as soon as nothing is left to run, however loaded the machine. A timer
    still counting down (a 150 ms redraw delay) is not run by it: wait for what that timer shows with
    qtbot.waitUntil.
    """
    everything = QEventLoop.ProcessEventsFlag.AllEvents
    QApplication.processEvents(everything, QUEUE_BOUND_MS)
    # Outside a running event loop (a test's own code) processEvents leaves deleteLater's deletions queued;
    # the app's loop runs them, so this does too.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents(everything, QUEUE_BOUND_MS)


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


def shown_training_window(qtbot, settings, network=None, epochs: int = 3, batch: int = 16,  # type: ignore[no-untyped-def]
                            project=None, dataset: str = "circles", learning_rate: str = "0.05"):
    """A shown window on a 2-6-2 tanh/softmax network (or `network`, or a whole `project`) with Network → Train…
    open, `dataset` chosen (Circles), `epochs`, `batch` and the learning rate set: (window, its Training panel)."""
    from dataclasses import replace

    from nnstudio.core import build_network
    from nnstudio.core.expr import evaluate_number
    from nnstudio.core.project import Project
    from nnstudio.document import Document
    from nnstudio.ui.window.main_window import MainWindow
    from tests.ui.conftest import settle

    if project is None:
        project = Project(network or build_network([2, 6, 2], ["tanh", "softmax"], "xavier", seed=0), loss="cce")
    # The learning rate is the project's (an edit when typed in the panel): set in the file the window opens, so
    # the window starts unmodified, as a saved file with that rate would.
    project = project.replace(optimizer=replace(project.optimizer, learning_rate=evaluate_number(learning_rate)))
    window = MainWindow(Document(project), settings)
    qtbot.addWidget(window, before_close_func=settle)
    window.resize(1280, 800)
    window.show()
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData(dataset))
    panel.epochs.setValue(epochs)
    panel.batch.setValue(batch)
    assert evaluate_number(panel.learning_rate.text()) == evaluate_number(learning_rate)
    return window, panel


def run_landed(window) -> bool:  # type: ignore[no-untyped-def]
    """The run has ended and landed: its network is the last undoable edit and the panel has taken the end.
    (Not "anything to undo": typing the learning rate is an undoable edit of its own, before the run.)"""
    top = window.document.undo_stack.top()
    return not window.trainer.running and top is not None and top.text.startswith(("Train ", "Stopped training"))
