"""A run's path for the rewind slider: the parameters at the start, after every epoch and a few between.

Kept where the run is (the training process, see child_process.py) and handed over once at the end:
a toy set finishes hundreds of epochs a second, and sending each epoch's parameters to the window
as it happened cost the window's process a network to unpickle and file away every few milliseconds.
"""

from __future__ import annotations

from nnstudio.core.network import Network
from nnstudio.training.progress import ParameterSnapshot

MAX_WITHIN_EPOCH_SNAPSHOTS = 60
PATH_BYTES = 256 * 2**20  # parameters kept for the rewind slider, at most


class RunPath:
    """A run's path for the rewind slider: the starting parameters, a snapshot after every epoch, and the
    live ones in between. Live ones are thinned (every other one dropped) past MAX_WITHIN_EPOCH_SNAPSHOTS;
    epoch ends only when all of them together would pass PATH_BYTES (thousands of epochs of a large
    network), keeping the start and the latest. Each thinning halves a list: amortised O(1) a snapshot."""

    def __init__(self, start: Network) -> None:
        self.snapshots: list[ParameterSnapshot] = [ParameterSnapshot(0, 0, start, 0, epoch_end=True)]
        self._bytes = 8 * start.parameter_count
        self._within = 0

    def record(self, snapshot: ParameterSnapshot) -> None:
        self.snapshots.append(snapshot)
        self._within += not snapshot.epoch_end
        if self._within > MAX_WITHIN_EPOCH_SNAPSHOTS:
            dropped = {id(s) for s in [s for s in self.snapshots if not s.epoch_end][1::2]}
            self.snapshots = [s for s in self.snapshots if id(s) not in dropped]
            self._within -= len(dropped)
        if self._bytes * len(self.snapshots) > PATH_BYTES:
            ends = [s for s in self.snapshots if s.epoch_end]
            dropped = {id(s) for s in ends[1:-1:2]}
            self.snapshots = [s for s in self.snapshots if id(s) not in dropped]
