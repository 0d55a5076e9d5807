"""A minimal Qt-free signal, so the document can be observed without Qt.

Views connect callables; `emit` calls them in order. Bound methods are held
weakly, so a closed panel that forgot to disconnect does not stay alive (napari's
EventEmitter does the same).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable


class Signal:
    """connect / disconnect / emit, with weak references to bound methods."""

    def __init__(self) -> None:
        self._slots: list[Callable[[], Callable[..., Any] | None]] = []

    def connect(self, slot: Callable[..., Any]) -> None:
        if hasattr(slot, "__self__") and hasattr(slot, "__func__"):
            ref = weakref.WeakMethod(slot)  # type: ignore[arg-type]
            self._slots.append(ref)
        else:
            self._slots.append(lambda slot=slot: slot)

    def disconnect(self, slot: Callable[..., Any]) -> None:
        self._slots = [ref for ref in self._slots if ref() not in (None, slot)]

    def emit(self, *args: Any) -> None:
        """Call every live slot in order; forget those whose object has gone."""
        for ref in list(self._slots):
            slot = ref()
            if slot is not None:
                slot(*args)
        self._slots = [ref for ref in self._slots if ref() is not None]  # keeps slots connected meanwhile
