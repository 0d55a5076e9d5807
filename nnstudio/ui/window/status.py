"""What the window tells: a status-bar message that lasts as long as its moment, and message boxes.

Every room tells through the window's `report` and `show_error` (MainWindow forwards them here), so a
message looks and lasts the same whichever action said it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from nnstudio.crash_log import describe, log_file, write_log
from nnstudio.document import Document
from nnstudio.ui.workers.training_worker import TrainingController


class StatusLine:
    """The status bar's short messages, each belonging to the moment it was said in."""

    def __init__(self, bar: QStatusBar, document: Document, trainer: TrainingController) -> None:
        self.bar = bar
        self.document = document
        self.trainer = trainer
        self.reported_at: tuple | None = None  # the moment the status message belongs to (see report)

    def report(self, message: str) -> None:
        """A short message in the status bar (errors of in-place edits land here too).

        A message belongs to the moment it was said in: once the network, the step or the run moves
        on, it goes ("Undo left step-through" stayed after Redo; "structural edits wait until it
        stops" after the run had ended). The moment is taken once the action that reported it has
        finished, so the change the message tells of does not clear it.
        """
        self.bar.showMessage(message, 8000)
        self.reported_at = None
        QTimer.singleShot(0, self._pin_report)

    def _moment(self) -> tuple:
        plan = self.document.stepping.plan
        return (self.document.version, None if plan is None else plan.index, self.trainer.running,
                self.document.preview_rewound)

    def _pin_report(self) -> None:
        if self.bar.currentMessage():
            self.reported_at = self._moment()

    def on_moment_changed(self, *_: object) -> None:
        """The network, the step or the run moved on: a message about the moment before goes."""
        if self.reported_at is not None and self._moment() != self.reported_at:
            self.reported_at = None
            self.bar.clearMessage()


def error_box(parent: QWidget, title: str, message: str) -> QMessageBox:
    """A clear, non-blocking message box; the document is untouched by whatever failed."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def unexpected_box(parent: QWidget, status: StatusLine, title: str, what: str, error: Exception) -> QMessageBox:
    """A failure no check foresaw, while doing `what`: a message box, one log entry, nothing changed."""
    write_log(type(error), error, error.__traceback__)
    status.report(f"Error: {describe(error)}")
    return error_box(parent, title, f"{what}: {describe(error)}\n\nNothing was changed. Details for a bug "
                                    f"report are in {log_file()}.")
