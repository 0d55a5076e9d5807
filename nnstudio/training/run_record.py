"""What a finished training run leaves in the document: one `RunRecord`, built the same way for the
window's Training panel and for `nnstudio train`.

Both drive the same loop and see the same records, so one function turns them into the record:
the settings, one row per epoch (from the `EpochResult`s), the train-loss curve (from the curve points
among the `StepProgress` records the loop yields, `StepProgress.curve`: chosen by step count, about 200 a
run and the run's last step, thinned to `MAX_CURVE_POINTS`; the epoch rows are thinned to MAX_RUN_ROWS), the seconds, the outcome, the layer
sizes, where the run started (a `RunStart` the caller makes with core/run_comparison.py `run_start`, which
needs the earlier runs) and the fingerprint of the parameters it ended with. Whoever drives the loop keeps
the step points it saw; nothing is invented for steps the loop did not report.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.limits import MAX_RUN_ROWS
from nnstudio.core.parameter_print import parameter_print
from nnstudio.core.runs import EpochRow, RunRecord, RunStart, thin
from nnstudio.training.config import TrainingConfig
from nnstudio.training.progress import StepProgress, TrainingResult
from nnstudio.training.schedule import StopRules


def describe_stop(rules: StopRules) -> str:
    """The stop rules of a run in words, for its record ("none" without any)."""
    parts = []
    if rules.target_accuracy is not None:
        parts.append(f"at {rules.target_accuracy:.1%}")
    if rules.patience is not None:
        parts.append(f"after {rules.patience} epochs without progress" + (", best kept" if rules.restore_best else ""))
    return "; ".join(parts) or "none"


def step_point(record: StepProgress) -> tuple[int, float]:
    """A point of the train-loss curve, from a record with `curve` set (the others are the status line's):
    (samples seen, the mean loss since the previous curve point)."""
    return record.samples_seen, record.loss


def run_record(dataset: str, config: TrainingConfig, result: TrainingResult,
               steps: Sequence[tuple[int, float]], start: RunStart | None = None) -> RunRecord:
    """The record of a run on `dataset` (the name it was asked for by) with `config`, ended as `result`;
    `steps` are the `step_point`s of the curve points among the StepProgress records the caller saw, in
    order; `start` where it started (None: not recorded). `result.network` is the end as it lands (in the document's precision)."""
    settings = {"epochs": config.epochs, "batch_size": config.batch_size, "optimizer": config.optimizer.name,
                "learning_rate": config.optimizer.learning_rate, "l2": config.optimizer.l2, "seed": config.seed,
                "schedule": config.schedule.describe(), "stop": describe_stop(config.stop)}
    # At most MAX_RUN_ROWS rows, first and last kept, so a long run always saves a file that opens again.
    rows = thin([EpochRow(e.epoch, e.train_loss, e.test_loss, e.test_accuracy, e.learning_rate, e.samples_seen)
                 for e in result.epochs], MAX_RUN_ROWS)
    outcome = result.error or result.stop_reason or ("stopped" if result.stopped else "finished")
    return RunRecord(dataset, settings, rows, thin(list(steps)), result.seconds, outcome,
                     tuple(result.network.sizes), start, parameter_print(result.network))
