"""The window's trainer runs in a child process (training/child_process.py): the same numbers as a run in
this process, steered by stop and pause messages, and a failure there comes back as a message."""

import numpy as np

from nnstudio.core import build_network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.data.named import load_named
from nnstudio.training import TrainingConfig, drive, train
from nnstudio.training.child_process import ChildRun
from nnstudio.training.progress import EpochResult


QUIET_SECONDS = 0.5  # how long a silent pipe counts as silence (a running child sends every 20 ms)
MAX_IN_FLIGHT = 20  # batches the child may have sent before it read "pause": one or two in practice


def _samples_seen(records: list) -> int:
    """The training samples seen by the latest record that counts them (0 before any)."""
    return max((r.samples_seen for r in records if hasattr(r, "samples_seen")), default=0)


def _run_to_end(child: ChildRun) -> tuple[list, object]:
    records, result = [], None
    while True:
        kind, payload = child.receive()
        if kind == "records":
            records += payload
        elif kind == "done":
            result, path = payload
            records.append(path)
            break
        else:
            raise AssertionError(payload)
    child.close(5)
    return records, result


def test_a_run_in_the_child_equals_the_same_run_here_bit_for_bit():
    data = load_named("circles", seed=1)
    network = build_network([2, 5, 1], ["tanh", "sigmoid"], "xavier", seed=2)
    config = TrainingConfig(epochs=6, batch_size=8, optimizer=OptimizerConfig("adam", learning_rate=0.01), seed=4,
                            dtype="float64", record_epochs=True)
    here = drive(train(network, "bce", data.train, data.test, config))
    records, there = _run_to_end(ChildRun(network, "bce", data.train, data.test, config))
    assert len(there.epochs) == 6 and there.network.same_as(here.network)
    assert [e.test_loss for e in there.epochs] == [e.test_loss for e in here.epochs]
    path = records[-1]  # the rewind slider's path came with the result: the start and every epoch's end
    assert [s.epoch for s in path if s.epoch_end] == [0, 1, 2, 3, 4, 5, 6]
    assert path[0].network.same_as(network) and path[-1].network.same_as(here.network)
    assert not any(getattr(r, "epoch_end", False) for r in records[:-1])  # not sent one by one
    assert there.network.layers[0].weights.flags.writeable is False  # a real Network, checked as any other


def test_stop_and_pause_reach_the_child_and_a_failure_comes_back_as_its_message():
    data = load_named("circles", seed=1)
    network = build_network([2, 5, 1], ["tanh", "sigmoid"], "xavier", seed=2)
    config = TrainingConfig(epochs=100_000, batch_size=1, optimizer=OptimizerConfig("sgd", learning_rate=0.05),
                            report_seconds=0.01)
    child = ChildRun(network, "bce", data.train, data.test, config)
    assert child.pid == child.process.pid and child.process.poll() is None  # a process of its own, running
    seen: list = []
    while not any(isinstance(r, EpochResult) for r in seen):  # running: records arrive, an epoch ends
        kind, batch = child.receive()
        assert kind == "records"
        seen += batch
    # Paused, the child sends nothing: what was already on its way arrives (a batch or two), then the pipe
    # stays quiet. Running, it sends a batch every SEND_SECONDS, so the pipe would never be quiet and the
    # count of messages drained below would pass its bound.
    child.send("pause")
    drained = 0
    while child._from_child.poll(QUIET_SECONDS):
        kind, batch = child.receive()
        assert kind == "records"
        seen += batch
        drained += 1
        assert drained <= MAX_IN_FLIGHT, "records kept arriving after pause"
    paused_at = _samples_seen(seen)
    child.send("resume")  # resumed, records arrive again and training has moved on from where it paused
    after: list = []
    while _samples_seen(after) <= paused_at:
        kind, batch = child.receive()
        assert kind == "records"
        after += batch
    child.send("stop")
    records, result = _run_to_end(child)
    assert result.stopped and 0 < len(result.epochs) < 100_000
    assert child.process.returncode == 0

    wrong = build_network([3, 1], ["sigmoid"], "xavier", seed=0)  # 3 inputs for a 2-feature set
    failed = ChildRun(wrong, "bce", data.train, data.test, config)
    kind, message = failed.receive()
    failed.close(5)
    assert kind == "failed" and "the network takes 3 inputs but circles (train) has 2 features" in message
    assert np.isfinite(result.network.layers[0].weights).all()
