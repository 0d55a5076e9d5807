"""Learning-rate schedules and stop rules: what changes between epochs, and when a run is done.

Schedules give the learning rate of each epoch (1-based) from the starting rate α₀:

- constant: α₀ every epoch;
- step decay `step:EVERY:FACTOR`: α₀ · FACTOR^⌊(epoch − 1)/EVERY⌋ (halve every 10 epochs: step:10:0.5);
- cosine: α₀ · ½(1 + cos(π·(epoch − 1)/epochs)), from α₀ down towards 0 at the last epoch.

Stop rules are checked after each epoch's test evaluation: stop once the test accuracy reaches a
target, or once the test loss has not improved on its best for PATIENCE epochs (early stopping),
optionally putting back the parameters of the best epoch. Written as `parse_schedule` and the
`StopRules` record so the CLI (`--schedule`, `--early-stop`, `--target-accuracy`) and the Training
panel share one meaning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nnstudio.core.errors import NNStudioError, shorten

SCHEDULES = ("constant", "step", "cosine")


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule; `rate(epoch, epochs, start)` is the rate of epoch `epoch` (1-based)."""

    kind: str = "constant"
    every: int = 10
    factor: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise NNStudioError(f"unknown schedule {shorten(self.kind)!r}; expected one of: {', '.join(SCHEDULES)}")
        if self.kind == "step":
            if not isinstance(self.every, int) or self.every < 1:
                raise NNStudioError(f"a step schedule decays every whole number ≥ 1 of epochs, got {self.every!r}")
            if not (math.isfinite(self.factor) and 0 < self.factor <= 1):
                raise NNStudioError(f"a step schedule's factor must be in (0, 1], got {self.factor!r}")

    def rate(self, epoch: int, epochs: int, start: float) -> float:
        if self.kind == "step":
            return start * self.factor ** ((epoch - 1) // self.every)
        if self.kind == "cosine":
            return start * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / max(epochs, 1)))
        return start

    def describe(self) -> str:
        if self.kind == "step":
            return f"step decay ×{self.factor:g} every {self.every} epoch{'s' if self.every != 1 else ''}"
        return {"cosine": "cosine decay", "constant": "constant"}[self.kind]


def parse_schedule(text: str) -> Schedule:
    """`constant`, `cosine`, `step` (every 10 epochs ×0.5) or `step:EVERY:FACTOR` such as step:5:0.1."""
    parts = [part.strip() for part in text.strip().lower().split(":")]
    kind = parts[0] or "constant"
    if kind != "step":
        if len(parts) > 1:
            raise NNStudioError(f"the {kind} schedule takes no numbers, got {shorten(text)!r}")
        return Schedule(kind)
    if len(parts) not in (1, 3):
        raise NNStudioError(f"write a step schedule as step:EVERY:FACTOR, for example step:10:0.5, got {shorten(text)!r}")
    if len(parts) == 1:
        return Schedule("step")
    try:
        every, factor = int(parts[1]), float(parts[2])
    except ValueError:
        raise NNStudioError(f"step:EVERY:FACTOR needs a whole number and a number, got {shorten(text)!r}") from None
    return Schedule("step", every, factor)


@dataclass(frozen=True)
class StopRules:
    """When to end a run before its last epoch. None: that rule is off."""

    target_accuracy: float | None = None  # stop once the test accuracy is at least this (0…1)
    patience: int | None = None           # stop after this many epochs without a better test loss
    restore_best: bool = False            # with patience: end on the best epoch's parameters

    def __post_init__(self) -> None:
        if self.target_accuracy is not None and not 0 < self.target_accuracy <= 1:
            raise NNStudioError(f"a target accuracy is a fraction in (0, 1], got {self.target_accuracy!r}")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            raise NNStudioError(f"early stopping waits a whole number ≥ 1 of epochs, got {self.patience!r}")


class StopWatch:
    """Follows the test results epoch by epoch and says when a StopRules rule ends the run."""

    def __init__(self, rules: StopRules) -> None:
        self.rules = rules
        self.best_loss = math.inf
        self.best_epoch = 0
        self.waited = 0

    def after_epoch(self, epoch: int, test_loss: float, accuracy: float | None) -> str | None:
        """The reason to stop after `epoch` (a sentence), or None to go on. Records the best epoch."""
        improved = math.isfinite(test_loss) and test_loss < self.best_loss
        if improved:
            self.best_loss, self.best_epoch, self.waited = test_loss, epoch, 0
        else:
            self.waited += 1
        rules = self.rules
        if rules.target_accuracy is not None and accuracy is not None and accuracy >= rules.target_accuracy:
            return f"reached the target test accuracy {rules.target_accuracy:.2%} at epoch {epoch} ({accuracy:.2%})"
        if rules.patience is not None and self.waited >= rules.patience:
            return (f"the test loss has not improved for {rules.patience} epoch{'s' if rules.patience != 1 else ''} "
                    f"(best {self.best_loss:.6g} at epoch {self.best_epoch})")
        return None
