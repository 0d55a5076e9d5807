"""Listening to the document for exactly as long as a Qt object lives.

The document's signals are Qt-free (`nnstudio/document/signals.py`) and know nothing of Qt's
object lifetimes: a dialog deleted on close leaves a Python wrapper whose C++ side is gone,
and calling into it raises "Internal C++ object already deleted". `listen` is the one way
the window connects to a document signal: the connection belongs to a QObject, ends when
that object's `destroyed` fires, and is skipped meanwhile if its C++ side has gone
(shiboken6.isValid). tests/test_architecture.py checks that nnstudio/ui connects no other way.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject

from nnstudio.document.signals import Connection, Signal


def _valid(owner: "weakref.ref[QObject]") -> bool:
    alive = owner()
    return alive is not None and shiboken6.isValid(alive)


def _drop(signal: "weakref.ref[Signal]", connection: Connection, *_: Any) -> None:
    source = signal()
    if source is not None:
        source.drop(connection)
    else:
        connection.end()


def listen(owner: QObject, signal: Signal, slot: Callable[..., Any]) -> Connection:
    """Call `slot` on every `signal` while `owner` lives; the connection ends with it."""
    owner_ref = weakref.ref(owner)
    connection = signal.connect(slot, owner=owner, alive=functools.partial(_valid, owner_ref))
    # Holds only the connection and a weak reference to the signal: ending it releases the slot.
    owner.destroyed.connect(functools.partial(_drop, weakref.ref(signal), connection))
    return connection
