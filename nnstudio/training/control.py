"""Cooperative stop and pause, checked by the loop between batches (thread-safe)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class TrainingControl:
    """`stop()` ends the run after the current batch; `pause()`/`resume()` hold it between batches.

    `responsive`: a window's thread shares this interpreter and must get the GIL within a few
    milliseconds whenever it asks. The loop then trades a little speed at small batches for it
    (see `loop.py`); a command-line run leaves it off and takes the fastest road.
    """

    def __init__(self, responsive: bool = False) -> None:
        self.responsive = responsive
        # Told "stop", "pause" or "resume" as they happen, when the run is in a child process
        # (training/child_process.py): the child keeps its own flags, fed by these messages.
        self.forward: Callable[[str], None] | None = None
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop must wake up to see the stop
        self._tell("stop")

    def pause(self) -> None:
        self._running.clear()
        self._tell("pause")

    def resume(self) -> None:
        self._running.set()
        self._tell("resume")

    def _tell(self, message: str) -> None:
        if self.forward is not None:
            self.forward(message)

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> None:
        self._running.wait(timeout)
