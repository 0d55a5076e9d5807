"""The pace of a run: how often the canvas follows the weights, and how fast, so that a learner can watch.

A toy set trains thousands of steps a second: XOR's run was over in 0.1 s, before the eye saw anything.
A `Pace` is a setting of the run (held by `TrainingConfig.pace`; None is "as fast as possible"): every
`steps_per_update` steps the loop yields a ParameterSnapshot (the canvas update) and then lets at least
1 / `updates_per_second` pass since the previous update, waiting through the run's control
(`wait_for_pace`), which returns at once on Stop, so a paced run still stops and pauses at once. Being
a setting, a test checks it, not the clock.

The default pace of a run (`default_pace`), the rule:

- toy sets (nnstudio/data/toy.py, TOY_SETS) are watched. The run has
  total = epochs × ⌈train samples / batch size⌉ steps;
  steps_per_update = max(1, ⌈total / 600⌉), so a long run shows at most ~600 updates (20 s at 30 a second)
  rather than taking forever; updates = total // steps_per_update;
  updates_per_second = min(30, updates / 10), so a short run still lasts 10 s (5 updates: one every 2 s)
  and no run asks the canvas for more than 30 updates a second.
- image sets (mnist, fashion-mnist), CSV files and typed functions: None. An epoch of MNIST takes seconds
  at full speed already, and the size of a CSV file is not known before it is read.

The panel knows a toy set's train part without loading it (`toy_train_samples`): XOR's four points are
trained and tested on whole; the others are their generator's default size less the test part.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

from nnstudio.core.errors import NNStudioError
from nnstudio.data.catalogue import CATALOGUE
from nnstudio.data.dataset import held_out_count
from nnstudio.data.toy import TOY_SETS

MAX_UPDATES_PER_SECOND = 30.0  # the canvas follows at most this often: more is lost on the eye and costs the window
MAX_UPDATES = 600  # a long run shows about this many updates (20 s at 30 a second) instead of every step
SHORTEST_SECONDS = 10.0  # a short run is slowed to last this long

#: The clock pacing reads (the tests swap it for one they move).
clock = time.perf_counter


@dataclass(frozen=True)
class Pace:
    """A canvas update every `steps_per_update` steps, at most `updates_per_second` of them a second."""

    steps_per_update: int
    updates_per_second: float

    def __post_init__(self) -> None:
        if not isinstance(self.steps_per_update, int) or isinstance(self.steps_per_update, bool) \
                or self.steps_per_update < 1:
            raise NNStudioError(f"pace: steps per update must be a whole number ≥ 1, got {self.steps_per_update!r}")
        ups = self.updates_per_second
        if not isinstance(ups, (int, float)) or isinstance(ups, bool) or not 0 < ups <= MAX_UPDATES_PER_SECOND:
            raise NNStudioError(f"pace: updates per second must be above 0 and at most {MAX_UPDATES_PER_SECOND:g}, "
                                f"got {ups!r}")

    @property
    def interval(self) -> float:
        """Seconds from one update to the next, at least."""
        return 1.0 / self.updates_per_second


def toy_train_samples(name: str, test_fraction: float) -> int | None:
    """The training samples of toy set `name` as `load_named` splits it at `test_fraction` (None: not a toy
    set). XOR trains and tests on all four points; the others keep max(1, round(n × test part)) for testing."""
    if name not in TOY_SETS:
        return None
    n = CATALOGUE[name].points
    assert n is not None  # every toy set has its default size in the catalogue (tests/data/test_catalogue.py)
    if name == "xor":
        return n
    return n - held_out_count(n, test_fraction)


def total_steps(epochs: int, samples: int, batch_size: int) -> int:
    """Steps of a run: one per batch, the last batch of an epoch possibly smaller."""
    return epochs * math.ceil(samples / max(1, min(batch_size, samples)))


def watch_pace(steps: int) -> Pace:
    """The pace to watch a run of `steps` steps at (see the module's rule)."""
    steps = max(1, steps)
    every = max(1, math.ceil(steps / MAX_UPDATES))
    updates = steps // every
    return Pace(every, min(MAX_UPDATES_PER_SECOND, updates / SHORTEST_SECONDS))


def default_pace(dataset: str, epochs: int, batch_size: int, test_fraction: float) -> Pace | None:
    """The pace a run on `dataset` starts with: a watch pace for a toy set, None (as fast as possible) else."""
    samples = toy_train_samples(dataset, test_fraction)
    if samples is None:
        return None
    return watch_pace(total_steps(epochs, samples, batch_size))


def describe(pace: Pace | None, steps: int | None = None) -> str:
    """The pace in words, e.g. "watch: 1 step per update, 30 updates/s, about 17 s" (the length when the
    run's `steps` are known)."""
    if pace is None:
        return "as fast as possible"
    every = pace.steps_per_update
    words = f"watch: {every:,} step{'' if every == 1 else 's'} per update, {pace.updates_per_second:.3g} updates/s"
    if steps is not None:
        words += f", about {steps // every / pace.updates_per_second:.0f} s"
    return words


class PaceWaiter(Protocol):
    def wait_for_pace(self, seconds: float) -> None: ...


class Pacer:
    """The loop's side of a pace: after each update, wait out what is left of the interval since the end of
    the previous wait (the steps and the update itself count towards it), through the control."""

    def __init__(self, control: PaceWaiter) -> None:
        self._control = control
        self._since = clock()

    def wait(self, pace: Pace) -> None:
        left = pace.interval - (clock() - self._since)
        if left > 0:
            self._control.wait_for_pace(left)
        self._since = clock()
