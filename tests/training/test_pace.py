"""The pace of a run (training/pace.py): a setting the tests check, not the clock.

The loop's waits go through a control that records them and moves a clock of the test's own, so every
assertion is about the setting and the waits the loop asked for, never about how long anything took."""

import math
import threading
from multiprocessing import Pipe

import pytest

from nnstudio.core import build_network
from nnstudio.core.errors import NNStudioError
from nnstudio.data.named import load_named
from nnstudio.data.toy import TOY_SETS, xor
from nnstudio.training import ParameterSnapshot, StepProgress, TrainingConfig, TrainingControl, drive, train
from nnstudio.training import pace as pace_module
from nnstudio.training.child_process import ChildRun, PipeControl
from nnstudio.training.pace import Pace, default_pace, describe, toy_train_samples, total_steps, watch_pace

BOUND = 60  # seconds: only bounds a wait for an event that, when things work, comes at once


def test_a_default_xor_run_is_watched_for_ten_seconds_at_most_thirty_updates_a_second():
    # The panel's defaults: 5 epochs, batch 32 (4 points: one step an epoch), test part 0.25 (XOR trains on all).
    pace = default_pace("xor", 5, 32, 0.25)
    assert pace == Pace(steps_per_update=1, updates_per_second=0.5)
    assert describe(pace, 5) == "watch: 1 step per update, 0.5 updates/s, about 10 s"
    # A 300-epoch XOR run at batch 1: 1,200 steps, two per update, 600 updates at 30 a second.
    assert default_pace("xor", 300, 1, 0.25) == Pace(2, 30.0)
    # A long one does not take forever: 2,000 epochs of Circles at batch 1 (300 training points), 20 s.
    assert default_pace("circles", 2000, 1, 0.25) == Pace(1000, 30.0)


@pytest.mark.parametrize("steps", [1, 2, 5, 37, 299, 300, 301, 599, 600, 601, 1200, 9999, 600_000, 10**9])
def test_every_watch_pace_lasts_ten_to_twenty_seconds_at_most_thirty_updates_a_second(steps):
    pace = watch_pace(steps)
    updates = steps // pace.steps_per_update
    assert pace.steps_per_update == max(1, math.ceil(steps / 600))
    assert pace.updates_per_second <= 30
    assert 10 <= updates / pace.updates_per_second <= 20 + 1e-9


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "data/points.csv", "function:sin(x1) + x2"])
def test_image_sets_csv_files_and_functions_train_as_fast_as_possible(name):
    assert default_pace(name, 5, 32, 0.25) is None
    assert describe(None) == "as fast as possible"


@pytest.mark.parametrize("name", sorted(TOY_SETS))
@pytest.mark.parametrize("test_fraction", [0.1, 0.25, 0.5])
def test_the_toy_sets_training_parts_are_known_without_loading_them(name, test_fraction):
    assert toy_train_samples(name, test_fraction) == len(load_named(name, test_fraction=test_fraction).train)


def test_the_steps_of_a_run_and_a_bad_pace():
    assert total_steps(5, 4, 32) == 5 and total_steps(3, 300, 16) == 3 * 19
    for bad in (dict(steps_per_update=0, updates_per_second=1), dict(steps_per_update=1, updates_per_second=0),
                dict(steps_per_update=1, updates_per_second=31), dict(steps_per_update=1.5, updates_per_second=1)):
        with pytest.raises(NNStudioError, match="pace"):
            Pace(**bad)
    with pytest.raises(NNStudioError, match="pace must be a Pace"):
        TrainingConfig(pace=(1, 30))


class RecordingControl(TrainingControl):
    """The waits the loop asks for, recorded instead of slept; the test's clock moves by each of them."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__()
        self.clock = clock
        self.waits: list[float] = []

    def wait_for_pace(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock[0] += seconds


def test_a_paced_run_yields_one_snapshot_per_steps_per_update_and_waits_out_each_interval(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(pace_module, "clock", lambda: clock[0])  # the steps take no time on this clock
    data = xor(10, noise=0.1)
    config = TrainingConfig(epochs=7, batch_size=1, pace=Pace(3, 20.0), preview_seconds=0.0, record_epochs=True)
    control = RecordingControl(clock)
    records: list = []
    result = drive(train(build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", data, None, config, control),
                   records.append)
    live = [r for r in records if isinstance(r, ParameterSnapshot) and not r.epoch_end]
    assert len(live) == 70 // 3  # exactly one per 3 of the 70 steps; the clock's previews gave way to them
    assert [s.samples_seen for s in live] == [3 * k for k in range(1, 24)]
    assert control.waits == [0.05] * 23  # each update waits 1/20 s after the previous one
    assert result.epochs_done == 7 and not result.stopped


def test_a_pace_chosen_while_the_run_goes_takes_over(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(pace_module, "clock", lambda: clock[0])
    control = RecordingControl(clock)
    run = train(build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", xor(10, noise=0.1), None,
                TrainingConfig(epochs=4, batch_size=1, pace=Pace(2, 10.0)), control)
    first = next(r for r in run if isinstance(r, ParameterSnapshot))
    assert first.samples_seen == 2
    control.set_pace(None)  # "as fast as possible", clicked mid-run
    drive(run)
    assert control.waits == [0.1]  # the wait after the first update, and none after


class WaitingControl(TrainingControl):
    """Tells the test when the loop has begun a pace wait (an Event, not a guess of how long it takes)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait_for_pace(self, seconds: float) -> None:
        self.waiting.set()
        super().wait_for_pace(seconds)


def test_stop_during_a_pace_wait_ends_the_run_at_once():
    control = WaitingControl()
    config = TrainingConfig(epochs=100, batch_size=1, pace=Pace(1, 0.001))  # a 1,000 s wait after each step
    ended: list = []
    worker = threading.Thread(target=lambda: ended.append(drive(train(
        build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", xor(10, noise=0.1), None, config, control))))
    worker.start()
    assert control.waiting.wait(BOUND), "the loop never began its pace wait"
    control.stop()
    worker.join(BOUND)
    assert not worker.is_alive(), "Stop did not end the pace wait"
    assert ended[0].stopped and ended[0].epochs == []


@pytest.mark.parametrize("tell", [TrainingControl.stop, TrainingControl.pause, lambda c: c.set_pace(None)],
                         ids=["stop", "pause", "pace"])
def test_stop_pause_and_a_new_pace_each_end_a_pace_wait(tell):
    control = WaitingControl()
    worker = threading.Thread(target=control.wait_for_pace, args=(1000.0,))
    worker.start()
    assert control.waiting.wait(BOUND)
    tell(control)  # from another thread, as the window's buttons do
    worker.join(BOUND)
    assert not worker.is_alive()
    told_before = TrainingControl()
    tell(told_before)
    told_before.wait_for_pace(1000.0)  # told before the wait began: it ends at once too


def test_a_pace_message_reaches_the_childs_control():
    told: list = []
    control = TrainingControl()
    control.forward = told.append  # the worker's child.send
    control.set_pace(None)
    assert told == [("pace", None)] and control.pace_for(Pace(1, 30.0)) is None

    inbox, outbox = Pipe(duplex=False)
    child_control = PipeControl(inbox)
    assert child_control.pace_for(Pace(2, 5.0)) == Pace(2, 5.0)  # nothing told: the run's own
    outbox.send(("pace", "fast"))  # not a pace: left alone
    outbox.send(told[0])
    child_control.wait_for_pace(1000.0)  # the message ends the wait …
    assert child_control.pace_for(Pace(2, 5.0)) is None  # … and the child keeps it
    outbox.send(("pace", Pace(4, 10.0)))  # and back to watching
    assert not child_control.stop_requested  # (reads the messages)
    assert child_control.pace_for(None) == Pace(4, 10.0)


def test_a_paced_child_sends_its_snapshot_at_once_and_goes_fast_when_told():
    data = load_named("xor")
    config = TrainingConfig(epochs=50, batch_size=1, pace=Pace(1, 0.001))  # 1,000 s after each update
    child = ChildRun(build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", data.train, data.test, config)
    try:
        seen: list = []
        while not any(isinstance(r, ParameterSnapshot) for r in seen):  # the first update, not held in a batch
            assert child._from_child.poll(BOUND), "the paced snapshot did not come while the child waits"
            kind, payload = child.receive()
            assert kind == "records"
            seen += payload
        child.send(("pace", None))
        while True:
            assert child._from_child.poll(BOUND), "the child did not go on as fast as possible"
            kind, payload = child.receive()
            if kind == "done":
                break
            seen += payload
        result = payload[0]
        assert result.epochs_done == 50 and not result.stopped
        assert [r for r in seen if isinstance(r, StepProgress) and r.curve][-1].samples_seen == 200
    finally:
        child.close(5)
