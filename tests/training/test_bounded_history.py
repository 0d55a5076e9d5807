"""A long run keeps a bounded history (issue 29): epoch results and train-loss points are thinned evenly, the
first and the last kept, so thousands of epochs of XOR hold what a few dozen do; what the person sees at the
end (the final figures, the run's record, how many epochs ran) is unchanged. And no run asks for more than
MAX_EPOCHS epochs."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import MAX_EPOCHS
from nnstudio.data.toy import toy
from nnstudio.io import load_example
from nnstudio.training import EpochResult, StepProgress, TrainingConfig, drive, train
from nnstudio.training import loop as loop_module
from nnstudio.training.run_record import run_record, step_point
from nnstudio.training.thinned import Thinned


def test_a_thinned_history_keeps_the_first_the_last_and_an_even_spread():
    history: Thinned[int] = Thinned(100)
    for value in range(10_000):
        history.add(value)
        assert len(history.items()) <= 101  # bounded at every moment, not only at the end
    kept = history.items()
    assert kept[0] == 0 and kept[-1] == 9_999 and history.seen == 10_000
    gaps = {b - a for a, b in itertools.pairwise(kept[:-1])}
    assert gaps == {history.stride}  # evenly spread (the latest is added wherever it falls)
    assert len(kept) > 50  # thinned, not emptied: at least half the limit stays
    short: Thinned[int] = Thinned(100)
    short.extend(range(7))
    assert short.items() == list(range(7))  # a short run keeps everything


def test_a_long_xor_run_keeps_a_bounded_history_and_ends_as_an_unthinned_one_would(monkeypatch):
    monkeypatch.setattr(loop_module, "MAX_RUN_ROWS", 40)
    data = toy("xor")
    project = load_example("xor")
    config = TrainingConfig(epochs=3000, batch_size=4, seed=0, report_seconds=0.0)
    run = train(project.network, project.loss, data, data, config)
    epochs: list[EpochResult] = []
    steps = Thinned(40)

    def keep(record) -> None:  # as the command line does: every epoch seen, the step points thinned
        if isinstance(record, EpochResult):
            epochs.append(record)
        elif isinstance(record, StepProgress):
            steps.add(step_point(record))

    result = drive(run, keep)
    epochs_seen, last = len(epochs), epochs[-1]
    assert epochs_seen == 3000
    assert len(result.epochs) <= 41  # a count, not a clock: 3,000 results were yielded, at most 41 kept
    assert result.epochs[0].epoch == 1 and result.epochs[-1] is last and result.epochs_done == 3000
    assert [e.epoch for e in result.epochs] == sorted({e.epoch for e in result.epochs})
    record = run_record("xor", config, result, steps.items())
    assert record.epochs[-1].epoch == 3000 and record.final_accuracy == last.test_accuracy
    assert record.epochs[-1].train_loss == last.train_loss and record.epochs[0].epoch == 1


def test_no_run_asks_for_more_than_max_epochs():
    with pytest.raises(NNStudioError, match="epochs must be a whole number from 1 to 1,000,000, got 1000001"):
        TrainingConfig(epochs=MAX_EPOCHS + 1)
    with pytest.raises(NNStudioError, match="got True"):
        TrainingConfig(epochs=True)
    assert TrainingConfig(epochs=MAX_EPOCHS).epochs == MAX_EPOCHS


def test_the_command_line_refuses_more_epochs_than_max_epochs_in_one_line(tmp_path):
    out = tmp_path / "trained.nnstudio"
    result = subprocess.run([sys.executable, "-m", "nnstudio", "train", "xor", "--dataset", "xor", "--epochs",
                             str(MAX_EPOCHS + 1), "--out", str(out)], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("nnstudio: error: argument --epochs: expected a whole number from 1 to 1,000,000, "
                             "got 1000001\n")
    assert not out.exists()
