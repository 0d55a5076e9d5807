"""A minimal Qt-free signal, so the document can be observed without Qt, safely.

Views connect callables; `emit` calls them in order. Three rules keep a listener from
outliving what it belongs to or from breaking the others (issue 27: a closed neuron-map
window left a lambda behind that raised on every later edit, and the first failure stopped
every listener after it):

- A bound method is held weakly: a panel that is garbage-collected drops out by itself
  (napari's EventEmitter does the same).
- Anything else (a lambda, a closure, a `functools.partial`, a built-in method such as a
  QTimer's `start`) would be held strongly, and with it whatever it refers to. It may only
  be connected with an `owner`, held weakly, whose end ends the connection, and an optional
  `alive` check that says when the owner can no longer take calls (for a Qt object, that its
  C++ side still exists: see `nnstudio/ui/lifetimes.py`). A plain module-level function holds
  nothing and needs no owner.
- One failing listener never stops the others: every listener runs, and each failure is
  handed to `sys.excepthook` (which the window turns into a message and the tests into a
  failure), or to the collector a caller set up with `failures_collected()` to decide what
  to do about it (the document rolls an opening back: see `Document._reset`).

Why not psygnal (napari's signal library): it too holds bound methods weakly, but it keeps lambdas
alive and knows nothing of Qt lifetimes, and the guarantees above would have to be added around it;
they fit in this module, with no dependency.
"""

from __future__ import annotations

import inspect
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

Slot = Callable[..., Any]

# Lists of failures being collected (innermost last); empty: failures go to sys.excepthook.
_collectors: list[list[BaseException]] = []


@contextmanager
def failures_collected() -> Iterator[list[BaseException]]:
    """Within the block, listeners' exceptions are appended to the yielded list instead of reported."""
    failures: list[BaseException] = []
    _collectors.append(failures)
    try:
        yield failures
    finally:
        _collectors.remove(failures)


def report_failure(error: BaseException) -> None:
    """Where a listener's exception goes: the innermost collector, else `sys.excepthook`."""
    if _collectors:
        _collectors[-1].append(error)
    else:
        sys.excepthook(type(error), error, error.__traceback__)


def _holds_nothing(slot: Slot) -> bool:
    """A named function with no closure (a module-level function): connecting it keeps nothing alive."""
    return inspect.isfunction(slot) and slot.__closure__ is None and slot.__name__ != "<lambda>"


class Connection:
    """One listener: how to reach its slot, and when it has ended."""

    __slots__ = ("_slot", "_owner", "_alive", "__weakref__")

    def __init__(self, slot: Slot, owner: object | None, alive: Callable[[], bool] | None) -> None:
        bound = hasattr(slot, "__self__") and hasattr(slot, "__func__")
        self._slot: Callable[[], Slot | None] = weakref.WeakMethod(slot) if bound else (lambda: slot)  # type: ignore[arg-type]
        self._owner = weakref.ref(owner) if owner is not None else None
        self._alive = alive

    def target(self) -> Slot | None:
        """The slot to call, or None once its object, its owner or the owner's other side has gone."""
        if self._owner is not None and self._owner() is None:
            return None
        if self._alive is not None and not self._alive():
            return None
        return self._slot()

    def end(self) -> None:
        """Drop the slot (and what it holds) now; the signal forgets the connection at its next look."""
        self._slot = lambda: None
        self._alive = None


class Signal:
    """connect / disconnect / emit; see the module's docstring for who may connect what."""

    def __init__(self) -> None:
        self._connections: list[Connection] = []

    def connect(self, slot: Slot, owner: object | None = None,
                alive: Callable[[], bool] | None = None) -> Connection:
        """Call `slot` on every emit while it (and `owner`, if given) lives.

        A lambda, closure, partial or built-in method needs an `owner`: without one nothing would
        ever end the connection, and it would keep its objects alive and keep being called.
        """
        if not callable(slot):
            raise TypeError(f"{slot!r} is not callable")
        bound = hasattr(slot, "__self__") and hasattr(slot, "__func__")
        if owner is None and not bound and not _holds_nothing(slot):
            raise TypeError(f"{getattr(slot, '__qualname__', slot)!r} would be kept alive and called for ever: "
                            "connect a lambda, closure or built-in method with an owner (in the window: "
                            "nnstudio.ui.lifetimes.listen)")
        connection = Connection(slot, owner, alive)
        self._connections.append(connection)
        return connection

    def disconnect(self, slot: Slot) -> None:
        """Forget every connection of `slot` (and any that have ended)."""
        kept = []
        for connection in self._connections:
            target = connection.target()
            if target is None or target == slot:
                connection.end()
            else:
                kept.append(connection)
        self._connections = kept

    def drop(self, connection: Connection) -> None:
        """Forget one connection (its owner has ended)."""
        connection.end()
        self._connections = [c for c in self._connections if c is not connection]

    def listener_count(self) -> int:
        """How many listeners would be called now (ended ones are not counted)."""
        return sum(1 for connection in self._connections if connection.target() is not None)

    def emit(self, *args: Any) -> None:
        """Call every live listener in order, each whatever the others do; forget those that ended."""
        ended = False
        for connection in list(self._connections):
            slot = connection.target()
            if slot is None:
                ended = True
                continue
            try:
                slot(*args)
            except Exception as error:  # noqa: BLE001 - one listener's fault is not the others'
                report_failure(error)
        if ended:
            self._connections = [c for c in self._connections if c.target() is not None]
