"""Small, copyable records the training loop yields (safe to send across threads)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.network import Network


@dataclass(frozen=True)
class StepProgress:
    """Within an epoch: where we are and how fast.

    `curve`: a point of the train-loss curve. Those are chosen by step count, about every
    ⌈total steps / 200⌉ steps and at the run's last step, so a curve has the same points on any machine;
    their `loss` is the mean train loss (per sample) of the steps since the previous curve point, across
    epoch boundaries (no reset, so no jump at each new epoch). The other records (`curve` False) come by
    the clock (TrainingConfig.report_seconds) for the window's status line; their `loss` is the mean since
    the previous curve point so far. Only curve points go into a curve."""

    epoch: int
    step: int
    steps_per_epoch: int
    samples_seen: int
    loss: float
    samples_per_second: float
    curve: bool = False


@dataclass(frozen=True, eq=False)
class ParameterSnapshot:
    """A copy of the parameters as they are now: for live views (a few a second by the clock, or one every
    `Pace.steps_per_update` steps when the run is paced), and at the end of each epoch when the run records
    its path (`epoch_end`; see TrainingConfig.record_epochs)."""

    epoch: int
    step: int
    network: Network
    samples_seen: int = 0
    epoch_end: bool = False


@dataclass(frozen=True, eq=False)
class EpochResult:
    """After an epoch: train and test loss, test accuracy, per-class accuracy, confusion matrix."""

    epoch: int
    train_loss: float
    test_loss: float
    test_accuracy: float | None
    per_class_accuracy: np.ndarray | None
    confusion: np.ndarray | None
    samples_per_second: float
    seconds: float
    learning_rate: float = float("nan")  # the rate this epoch trained with (see schedule.py)
    samples_seen: int = 0  # training samples seen since the run began, at the end of this epoch


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """The trained network and how the run ended. `epochs` holds every epoch's result, thinned evenly on a
    long run (the first and the last kept; see training/thinned.py): `epochs_done` counts them all."""

    network: Network
    epochs: list[EpochResult] = field(default_factory=list)
    stopped: bool = False
    error: str | None = None
    seconds: float = 0.0
    stop_reason: str | None = None  # a stop rule ended the run early: which, in words
    best_epoch: int | None = None   # the parameters are this epoch's (early stopping with restore_best)

    @property
    def epochs_done(self) -> int:
        """Epochs the run finished: the last one's number, not len(epochs), which is thinned."""
        return self.epochs[-1].epoch if self.epochs else 0
