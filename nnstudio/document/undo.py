"""An undo stack for the Qt-free document (about what QUndoStack does, without Qt).

A command is an object with `redo()`, `undo()` and `text`. Pushing runs `redo()`.
The clean index marks the state that was last saved, so the document knows
whether it has unsaved changes even after undoing past a save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nnstudio.document.signals import Signal


class Command(Protocol):
    text: str

    def redo(self) -> None: ...

    def undo(self) -> None: ...


@dataclass(frozen=True)
class UndoState:
    """A stack's commands, position and clean mark, to put back exactly (see Document._reset)."""

    commands: tuple[Command, ...]
    index: int
    clean: int | None


class UndoStack:
    """Commands in order; `index` is how many are applied. Emits `changed` after every move."""

    def __init__(self, limit: int = 500) -> None:
        self._commands: list[Command] = []
        self._index = 0
        self._clean: int | None = 0
        self.limit = limit
        self.changed = Signal()

    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    def top(self) -> Command | None:
        """The last applied command (the one Undo would undo), or None."""
        return self._commands[self._index - 1] if self.can_undo() else None

    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo() else ""

    def is_clean(self) -> bool:
        return self._clean == self._index

    def set_clean(self) -> None:
        self._clean = self._index
        self.changed.emit()

    def push(self, command: Command) -> None:
        """Apply `command` and record it; anything that was undone is dropped."""
        command.redo()
        del self._commands[self._index :]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state can no longer be reached
        self._commands.append(command)
        self._index += 1
        if len(self._commands) > self.limit:
            drop = len(self._commands) - self.limit
            del self._commands[:drop]
            self._index -= drop
            self._clean = None if self._clean is None or self._clean < drop else self._clean - drop
        self.changed.emit()

    def undo(self) -> None:
        if self.can_undo():
            self._index -= 1
            self._commands[self._index].undo()
            self.changed.emit()

    def redo(self) -> None:
        if self.can_redo():
            self._commands[self._index].redo()
            self._index += 1
            self.changed.emit()

    def withdraw(self, command: Command) -> bool:
        """Undo `command` if it is the last one applied and forget it: nothing is left to redo.

        Stepping uses this: Back from the update step takes the update away without leaving
        a Redo that would re-apply it behind the person's back. False (and nothing done)
        when `command` is not the last applied command.
        """
        if not self.can_undo() or self._commands[self._index - 1] is not command:
            return False
        self._index -= 1
        command.undo()
        del self._commands[self._index :]
        if self._clean is not None and self._clean > self._index:
            self._clean = None
        self.changed.emit()
        return True

    def state(self) -> UndoState:
        return UndoState(tuple(self._commands), self._index, self._clean)

    def restore(self, state: UndoState) -> None:
        self._commands, self._index, self._clean = list(state.commands), state.index, state.clean
        self.changed.emit()

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0
        self._clean = 0
        self.changed.emit()
