"""Cooperative stop, pause and change of pace, checked by the loop between batches (thread-safe)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from nnstudio.training.pace import Pace


class TrainingControl:
    """`stop()` ends the run after the current batch; `pause()`/`resume()` hold it between batches;
    `set_pace()` changes the run's pace while it goes (the panel's "as fast as possible").

    `responsive`: a window's thread shares this interpreter and must get the GIL within a few
    milliseconds whenever it asks. The loop then trades a little speed at small batches for it
    (see `loop.py`); a command-line run leaves it off and takes the fastest road.
    """

    def __init__(self, responsive: bool = False) -> None:
        self.responsive = responsive
        # Told "stop", "pause", "resume" or ("pace", Pace | None) as they happen, when the run is in a child
        # process (training/child_process.py): the child keeps its own flags, fed by these messages.
        self.forward: Callable[[object], None] | None = None
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._changed = threading.Condition()  # wakes a pace wait on stop, pause or a new pace
        self._pace: tuple[Pace | None] | None = None  # the pace told during the run; None: the run's own
        self._pace_news = False  # a pace told since the last pace wait: the next one ends at once

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop must wake up to see the stop
        self._wake()
        self._tell("stop")

    def pause(self) -> None:
        self._running.clear()
        self._wake()
        self._tell("pause")

    def set_pace(self, pace: Pace | None) -> None:
        """From now on, this pace (None: as fast as possible) instead of the run's own."""
        with self._changed:
            self._pace, self._pace_news = (pace,), True
            self._changed.notify_all()
        self._tell(("pace", pace))

    def pace_for(self, planned: Pace | None) -> Pace | None:
        """The pace to keep now: the one told last, else the run's own (`planned`)."""
        told = self._pace
        return planned if told is None else told[0]

    def wait_for_pace(self, seconds: float) -> None:
        """Wait up to `seconds` between two paced updates; at once back on stop, pause or a pace told since
        the last wait (the loop reads the pace again after each wait)."""
        with self._changed:
            self._changed.wait_for(lambda: self._stop.is_set() or not self._running.is_set() or self._pace_news,
                                   seconds)
            self._pace_news = False

    def _wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def resume(self) -> None:
        self._running.set()
        self._tell("resume")

    def _tell(self, message: object) -> None:
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
