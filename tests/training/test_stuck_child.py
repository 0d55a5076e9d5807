"""A training child that does not answer is ended, never waited for (issue 29): a suspended one (SIGSTOP) is
woken by "stop" and ends the ordinary way; one that reads nothing is killed at the stop deadline and reaped;
and a message to a child that has stopped reading never blocks the caller (the window's thread)."""

import os
import signal
import threading

import pytest

from nnstudio.core import build_network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.data.named import load_named
from nnstudio.training import TrainingConfig, child_process
from nnstudio.training.child_process import ChildRun
from nnstudio.training.progress import EpochResult

READS_NOTHING = ("-c", "import signal; signal.pause()")  # a child hung before its first read: never answers


def _run_args(epochs: int = 100_000) -> tuple:
    data = load_named("circles", seed=1)
    network = build_network([2, 5, 1], ["tanh", "sigmoid"], "xavier", seed=2)
    config = TrainingConfig(epochs=epochs, batch_size=1, optimizer=OptimizerConfig("sgd", learning_rate=0.05),
                            report_seconds=0.01)
    return network, "bce", data.train, data.test, config


def _gone(pid: int) -> bool:
    """True when no process has the pid (reaped: not even a zombie is left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_child_that_reads_nothing_is_killed_at_the_stop_deadline_and_reaped(monkeypatch):
    monkeypatch.setattr(child_process, "CHILD_ARGUMENTS", READS_NOTHING)
    monkeypatch.setattr(child_process, "STOP_DEADLINE_SECONDS", 0.2)
    child = ChildRun(*_run_args())
    pid = child.pid
    child.stop()
    with pytest.raises(EOFError):  # the kill closes its end of the pipe: the blocking read returns
        child.receive()
    child.close(5)
    assert child.killed_at_deadline and child.deadline_seconds == 0.2
    assert child.process.returncode == -signal.SIGKILL
    assert _gone(pid)


def test_a_suspended_child_is_woken_by_stop_and_ends_the_ordinary_way(monkeypatch):
    monkeypatch.setattr(child_process, "STOP_DEADLINE_SECONDS", 600.0)  # the ordinary road, not the deadline's
    child = ChildRun(*_run_args())
    pid = child.pid
    seen: list = []
    while not any(isinstance(r, EpochResult) for r in seen):
        kind, batch = child.receive()
        assert kind == "records"
        seen += batch
    os.kill(pid, signal.SIGSTOP)
    _, status = os.waitpid(pid, os.WUNTRACED)  # returns once it is stopped (it is not reaped by this)
    assert os.WIFSTOPPED(status)
    child.stop()
    result = None
    while result is None:
        kind, payload = child.receive()
        if kind == "done":
            result = payload[0]
        else:
            assert kind == "records"
    child.close(5)
    assert result.stopped and 0 < len(result.epochs) < 100_000
    assert not child.killed_at_deadline and child.process.returncode == 0
    assert _gone(pid)


def test_messages_to_a_child_that_reads_nothing_never_block(monkeypatch):
    """Twenty thousand Pause/Resume clicks fill a 64 KiB pipe many times over: each is dropped, not waited on."""
    monkeypatch.setattr(child_process, "CHILD_ARGUMENTS", READS_NOTHING)
    child = ChildRun(*_run_args())
    sent = threading.Event()

    def click() -> None:
        for _ in range(10_000):
            child.send("pause")
            child.send("resume")
        sent.set()

    clicker = threading.Thread(target=click, daemon=True)
    clicker.start()
    try:
        assert sent.wait(timeout=120), "a message to a child that reads nothing blocked the sender"
    finally:
        child.close(0)  # a kill: the child reads nothing, so it would never end of itself
        clicker.join(timeout=60)
    assert child.process.returncode == -signal.SIGKILL and not child.killed_at_deadline

