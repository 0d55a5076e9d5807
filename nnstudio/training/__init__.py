"""The training loop: plain numpy, no Qt. `train` is a generator; a Qt worker or the CLI drives it."""

from nnstudio.training.config import TrainingConfig
from nnstudio.training.control import TrainingControl
from nnstudio.training.loop import drive, train
from nnstudio.training.progress import EpochResult, ParameterSnapshot, StepProgress, TrainingResult

__all__ = ["EpochResult", "ParameterSnapshot", "StepProgress", "TrainingConfig", "TrainingControl", "TrainingResult", "drive", "train"]
