"""Train-curve points are chosen by step count (loop.py, StepProgress.curve): about every ⌈steps/200⌉ steps
and at the run's last step, on any machine; a point's loss is the mean train loss of the steps since the
previous point, recomputed here from the engine's own step losses."""

import math

import pytest

from nnstudio.core import build_network
from nnstudio.data.toy import toy, xor
from nnstudio.training import EpochResult, StepProgress, TrainingConfig, TrainingControl, drive, train
from nnstudio.training.engine import FastMLP
from nnstudio.training.run_record import run_record, step_point
from nnstudio.training.schedule import StopRules


def _run(monkeypatch, data, config, test_set=None, control=None):
    """The run's records, its result and the loss of every step as the engine returned it."""
    losses: list[float] = []
    step = FastMLP.train_columns

    def recorded(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        value = step(self, *args, **kwargs)
        losses.append(value)
        return value

    monkeypatch.setattr(FastMLP, "train_columns", recorded)
    records: list = []
    result = drive(train(build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", data, test_set, config,
                         control), records.append)
    return records, result, losses


@pytest.mark.parametrize("points, epochs, expected", [(10, 5, 50), (100, 5, 167), (1000, 50, 200)])
def test_runs_of_50_500_and_50000_steps_draw_their_curve_by_step_count(monkeypatch, points, epochs, expected):
    steps = points * epochs  # batch 1: a step a sample
    records, result, losses = _run(monkeypatch, xor(points, noise=0.1), TrainingConfig(epochs=epochs, batch_size=1))
    curve = [r for r in records if isinstance(r, StepProgress) and r.curve]
    assert len(losses) == steps and len(curve) == expected  # 50: every step; 500: every 3rd + the last; 50,000: every 250th
    every = math.ceil(steps / 200)
    ends = [min(every * k, steps) for k in range(1, expected + 1)]
    assert [r.samples_seen for r in curve] == ends  # the last point is the run's last sample
    starts = [0] + ends[:-1]
    assert [r.loss for r in curve] == pytest.approx([sum(losses[a:b]) / (b - a) for a, b in zip(starts, ends)],
                                                    rel=1e-12)
    # The records between them are the status line's, by the clock: never in a curve.
    made = run_record("xor", TrainingConfig(epochs=epochs, batch_size=1), result,
                      [step_point(r) for r in records if isinstance(r, StepProgress) and r.curve])
    assert made.train_curve == tuple((r.samples_seen, r.loss) for r in curve)


def test_a_300_epoch_xor_runs_curve_reaches_its_1200_samples():
    data = toy("xor")
    records: list = []
    drive(train(build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", data, data,
                TrainingConfig(epochs=300, batch_size=4)), records.append)
    curve = [r.samples_seen for r in records if isinstance(r, StepProgress) and r.curve]
    assert len(curve) == 150 and curve[-1] == 1200


def test_a_run_ended_early_ends_its_curve_at_its_last_step(monkeypatch):
    """A stop rule (or Stop) ends a run before its last planned step: the curve still reaches where it ended."""
    data = xor(10, noise=0.1)
    config = TrainingConfig(epochs=1000, batch_size=1, stop=StopRules(target_accuracy=0.01))  # ends after epoch 1
    records, result, losses = _run(monkeypatch, data, config, test_set=data)
    curve = [r for r in records if isinstance(r, StepProgress) and r.curve]
    assert result.epochs_done == 1 and len(losses) == 10
    every = math.ceil(10_000 / 200)  # planned: 10,000 steps, a point every 50
    assert every > 10 and [r.samples_seen for r in curve] == [10]  # the one point: the run's last step
    assert curve[0].loss == pytest.approx(sum(losses) / 10, rel=1e-12)
    assert (curve[0].epoch, curve[0].step) == (1, 10)

    control = TrainingControl()
    run = train(build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", data, None,
                TrainingConfig(epochs=1000, batch_size=1), control)
    seen = []
    for record in run:
        seen.append(record)
        if isinstance(record, EpochResult) and record.epoch == 3:
            control.stop()
    last = [r for r in seen if isinstance(r, StepProgress) and r.curve][-1]
    assert last.samples_seen == 30  # stopped after epoch 3: the curve ends there, not at a multiple of 50
