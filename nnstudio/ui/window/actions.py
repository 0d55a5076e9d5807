"""How the window's actions are declared and made: `ActionSpec` (name, text, shortcut, tip) and `build_actions`.

Shortcuts use Qt's standard keys where one exists, so each platform gets its own
conventions (Ctrl+O here, ⌘O on macOS).

The actions themselves are the rooms': each room of this package (files.py, exports.py, …) declares the
specs of the actions it serves in its module's `ACTIONS` and does them in its `handlers()`, so a newcomer
finds what an action says and what it does side by side. Where an action shows is menus.py's. This module
imports no room: the rooms import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Protocol, Sequence

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

Shortcut = QKeySequence.StandardKey | str | None


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    shortcut: Shortcut = None
    tip: str = ""
    checkable: bool = False


def plain_text(spec: ActionSpec) -> str:
    """The action's name as a person reads it: no mnemonic ampersand, no trailing ellipsis."""
    return spec.text.replace("&", "").rstrip("…")


def shortcut_text(action: QAction) -> str:
    """The action's main keys in this platform's own notation (Ctrl+N; ⌘N on macOS), or "". (A standard
    key's alternatives — X11's dedicated "New" or "Open" keys — are left out: few keyboards have them.)"""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


class Room(Protocol):
    """A room of the window as `build_actions` sees it: the specs of the actions it serves (its module's
    `ACTIONS`) and, by name, the handler of each."""

    @property
    def specs(self) -> Sequence[ActionSpec]: ...

    def handlers(self) -> Mapping[str, Callable[..., object]]: ...


def check_rooms(rooms: Sequence[Room]) -> None:
    """Refuse rooms that do not each serve exactly the actions they declare, naming the names.

    A spec without a handler would be a menu item that does nothing; a handler without a spec, one no
    menu reaches (or another room's action done twice); a name declared twice, two items where the menus
    and the shortcut list expect one."""
    declared = [spec.name for room in rooms for spec in room.specs]
    twice = sorted({name for name in declared if declared.count(name) > 1})
    if twice:
        raise ValueError(f"actions declared twice: {', '.join(twice)}")
    for room in rooms:
        names, handled = {spec.name for spec in room.specs}, room.handlers().keys()
        unhandled, unknown = sorted(names - handled), sorted(handled - names)
        if unhandled:
            raise ValueError(f"{type(room).__name__} declares actions it has no handler for: {', '.join(unhandled)}")
        if unknown:
            raise ValueError(f"{type(room).__name__} has handlers for actions it declares no spec of: "
                             f"{', '.join(unknown)}")


def build_actions(parent: QWidget, rooms: Iterable[Room]) -> dict[str, QAction]:
    """One QAction per spec of every room, in the rooms' order, connected to that room's handler of its name.

    The rooms are checked first (`check_rooms`), so a slip in one makes no action at all."""
    rooms = list(rooms)
    check_rooms(rooms)
    actions: dict[str, QAction] = {}
    for room in rooms:
        handlers = room.handlers()
        for spec in room.specs:
            actions[spec.name] = _make_action(parent, spec, handlers[spec.name])
    return actions


def _make_action(parent: QWidget, spec: ActionSpec, handler: Callable[..., object]) -> QAction:
    """The QAction of `spec`: its text, keys, tips and checkability, connected to `handler` (a checkable
    action's handler hears whether it is now checked)."""
    action = QAction(spec.text, parent)
    action.setObjectName(f"action_{spec.name}")
    if isinstance(spec.shortcut, QKeySequence.StandardKey):
        action.setShortcuts(spec.shortcut)
    elif spec.shortcut:
        action.setShortcut(QKeySequence(spec.shortcut))
    keys = shortcut_text(action)
    if spec.tip:
        action.setStatusTip(spec.tip)
    # Every button and menu item says what it does and which keys do it too.
    action.setToolTip(plain_text(spec) + (f" ({keys})" if keys else "") + (f" — {spec.tip}" if spec.tip else ""))
    action.setCheckable(spec.checkable)
    if spec.checkable:
        action.toggled.connect(handler)
    else:
        action.triggered.connect(lambda checked=False, h=handler: h())
    return action
