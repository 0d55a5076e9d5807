"""InlineEditor: the line edit laid over a canvas cell while its value is typed (the view opens it)."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.ui.compat import override


class InlineEditor(QLineEdit):
    """A line edit laid over a canvas item, as a spreadsheet cell's editor.

    Enter or Tab commits and asks to move on (`done("next")`), Shift+Tab commits and moves
    back (`done("previous")`), Escape cancels (`done(None)`). Bad text keeps the editor open,
    shows the parser's message as its tooltip and in the status line, and changes nothing.

    Clicking elsewhere keeps what was typed, as a spreadsheet does: the text is committed when
    the focus leaves (`done("away")`: the selection and the focus are where the person put
    them). Text that cannot be kept is not dropped in silence: the status line names it and
    says why.
    """

    def __init__(self, parent: QWidget, commit: Callable[[str], None], report: Callable[[str], None],
                 done: Callable[[str | None], None] | None = None, name: str = "the value") -> None:
        super().__init__(parent)
        self._commit = commit
        self._report = report
        self._done = done or (lambda direction: None)
        self._name = name
        self._finished = False
        self.setObjectName("inlineEditor")
        self.setMinimumWidth(120)
        self.setStyleSheet("QLineEdit { border: 2px solid #16a34a; border-radius: 4px; padding: 2px 4px; "
                           "background: white; font-size: 11pt; }")

    def _finish(self, direction: str | None) -> None:
        if self._finished:
            return
        self._finished = True
        self.close()
        self.deleteLater()
        self._done(direction)

    def commit_and_move(self, direction: str) -> None:
        """Commit the text; on success close and move `direction`; on bad text stay open and say why."""
        try:
            self._commit(self.text())
        except NNStudioError as error:
            self.setStyleSheet(self.styleSheet().replace("#16a34a", "#dc2626"))
            self.setToolTip(str(error))
            self._report(str(error))
            return
        self._finish(direction)

    def commit_on_leaving(self) -> None:
        """The focus went elsewhere: keep the text if it is a value, else say which text was not kept and why."""
        if self._finished:
            return
        try:
            self._commit(self.text())
        except NNStudioError as error:
            self._report(f"{self._name[:1].upper()}{self._name[1:]} not changed: “{self.text()}” is not a value "
                         f"({error})")
        self._finish("away")

    @override
    def event(self, event: QEvent) -> bool:
        # Tab and Shift+Tab would move the keyboard focus away; here they commit and move to the next cell.
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):  # type: ignore[attr-defined]
            self.commit_and_move("previous" if event.key() == Qt.Key.Key_Backtab else "next")  # type: ignore[attr-defined]
            return True
        return super().event(event)

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._finish(None)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commit_and_move("next")
            return
        super().keyPressEvent(event)

    @override
    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        # The editor's own context menu, or another window coming to the front, only lends the focus:
        # the person comes back to the text as it was.
        if event.reason() in (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason):
            return
        if self.isVisible():
            self.commit_on_leaving()
