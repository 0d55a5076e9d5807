"""Training settings: epochs, batch size, optimiser, seed, precision, schedule, stop rules and pace."""

from __future__ import annotations

from dataclasses import dataclass, field

from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.limits import MAX_EPOCHS
from nnstudio.core.optim import OptimizerConfig
from nnstudio.training.pace import Pace
from nnstudio.training.schedule import Schedule, StopRules


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 5
    batch_size: int = 32
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    seed: int = 0
    dtype: str = "float32"
    # Status records (StepProgress, curve=False) at most this often; the train curve's points are chosen by
    # step count instead (StepProgress.curve: about 200 a run, on any machine; see loop.py).
    report_seconds: float = 0.05
    snapshot_every: int = 200  # steps between saved finite parameters (kept if the loss diverges)
    # BLAS threads while training. One is fastest here for these layer sizes (the large
    # elementwise passes then read gradients from their own core's cache) and leaves a
    # core free for the window. benchmarks/bench_train.py measures 1 and 2.
    blas_threads: int | None = 1
    preview_seconds: float | None = None  # if set, yield a ParameterSnapshot this often (unless paced)
    record_epochs: bool = False  # yield a ParameterSnapshot (epoch_end) after every epoch: the run's path
    schedule: Schedule = field(default_factory=Schedule)  # the learning rate epoch by epoch
    stop: StopRules = field(default_factory=StopRules)  # ending early: a target accuracy, early stopping
    # A snapshot every pace.steps_per_update steps, at most pace.updates_per_second of them a second, in place
    # of the clock's previews; None: as fast as possible (see pace.py). The control can change it mid-run.
    pace: Pace | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.epochs, int) or isinstance(self.epochs, bool) or not 1 <= self.epochs <= MAX_EPOCHS:
            raise NNStudioError(f"epochs must be a whole number from 1 to {MAX_EPOCHS:,}, got {shorten(repr(self.epochs))}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise NNStudioError(f"batch size must be a whole number ≥ 1, got {self.batch_size!r}")
        if self.dtype not in ("float32", "float64"):
            raise NNStudioError(f"precision must be float32 or float64, got {self.dtype!r}")
        if self.pace is not None and not isinstance(self.pace, Pace):
            raise NNStudioError(f"pace must be a Pace or None, got {shorten(repr(self.pace))}")
