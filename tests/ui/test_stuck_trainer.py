"""A stuck trainer is stopped (issue 29): whatever the training child does — suspended with SIGSTOP, hung
ignoring "stop", reading nothing at all — Stop and Close end the run, edits unlock, the window says what
happened, the child is reaped and the run's QThread has finished before anything can destroy it.

The stop deadline (child_process.STOP_DEADLINE_SECONDS, 2 s in the product) is lowered where a test
needs the kill, and raised where it tests the ordinary road, so no outcome depends on the machine's speed."""

import os
import signal
import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from nnstudio.training import child_process
from nnstudio.ui.window.main_window import MainWindow
from nnstudio.ui.workers import training_worker
from tests.ui.helpers import answer_next_message_box, shown_training_window
from tests.ui.helpers import error_boxes

READS_NOTHING = ("-c", "import signal; signal.pause()")  # hung before its first read
IGNORES_STOP = ("-c", ("import nnstudio.training.child_process as c\n"  # trains on, never sees its stop
                       "c.PipeControl.stop_requested = property(lambda self: False)\n"
                       "c.main()\n"))


def training_window(qtbot, settings) -> tuple[MainWindow, object]:
    return shown_training_window(qtbot, settings, epochs=2000, batch=1)  # long: only Stop or Close ends it


def start_and_suspend(qtbot, window, panel) -> int:
    """Start a run, let records arrive, then SIGSTOP its child; its pid."""
    panel.start_button.click()
    qtbot.waitUntil(lambda: len(panel.plot.steps) >= 2, timeout=20000)
    pid = window.trainer.worker.child.pid
    os.kill(pid, signal.SIGSTOP)
    _, status = os.waitpid(pid, os.WUNTRACED)  # returns once it is stopped (not reaped by this)
    assert os.WIFSTOPPED(status)
    return pid


def start_a_stuck_child(qtbot, settings, monkeypatch, arguments) -> tuple[MainWindow, object, object]:
    """A window whose Start ran the child `arguments` (one that ignores Stop or reads nothing), with the stop
    deadline lowered to 0.2 s; returns the window, its Training panel and the project before the run."""
    monkeypatch.setattr(child_process, "CHILD_ARGUMENTS", arguments)
    monkeypatch.setattr(child_process, "STOP_DEADLINE_SECONDS", 0.2)
    window, panel = training_window(qtbot, settings)
    before = window.document.project
    panel.start_button.click()
    qtbot.waitUntil(lambda: window.trainer.worker is not None and window.trainer.worker.child is not None,
                    timeout=20000)
    return window, panel, before


def gone(pid: int) -> bool:
    """No process has the pid any more: the child was reaped, not left a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_stop_ends_a_suspended_trainer_the_ordinary_way(qtbot, settings, monkeypatch):
    """Stop wakes the stopped child (SIGCONT) and it answers: the run lands as any stopped run."""
    monkeypatch.setattr(child_process, "STOP_DEADLINE_SECONDS", 600.0)  # the ordinary road, not the kill
    window, panel = training_window(qtbot, settings)
    pid = start_and_suspend(qtbot, window, panel)
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.stop_button.click()
    result = ended.args[0]
    assert result is not None and result.stopped and result.error is None
    assert not window.trainer.running and window.trainer.thread.isFinished()
    assert not window.document.structure_locked and window.actions_by_name["add_layer"].isEnabled()
    assert panel.start_button.isEnabled()
    assert panel.status.text().startswith(f"stopped after {len(result.epochs)} epoch")
    assert window.document.undo_stack.undo_text().startswith("Stopped training")
    child = window.trainer.worker.child
    assert child.process.returncode == 0 and not child.killed_at_deadline and gone(pid)


def test_stop_ends_a_trainer_that_ignores_it_and_keeps_the_last_weights_it_sent(qtbot, settings, monkeypatch):
    window, panel, before = start_a_stuck_child(qtbot, settings, monkeypatch, IGNORES_STOP)
    previews: list = []
    window.trainer.worker.snapshot.connect(previews.append)
    qtbot.waitUntil(lambda: len(previews) >= 1 and len(window.trainer.epochs) >= 1, timeout=30000)
    pid = window.trainer.worker.child.pid
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.stop_button.click()
    result = ended.args[0]
    last = previews[-1]  # every preview sent before the kill reached the window before `ended`
    words = (f"the training process did not answer Stop within 0.2 s and was ended; the network has the last "
             f"weights it sent (epoch {last.epoch}, step {last.step}), and the run is kept with ")
    assert result is not None and result.stopped and result.error.startswith(words)
    assert [e.epoch for e in result.epochs] == list(range(1, last.epoch))  # the epochs those weights went through

    # The window: edits unlock, the words are under the panel and in a message box, the run is one undo step.
    assert not window.trainer.running and window.trainer.thread.isFinished()
    assert not window.document.structure_locked and window.actions_by_name["add_layer"].isEnabled()
    assert panel.start_button.isEnabled()
    assert panel.message.text() == result.error
    assert any(box.text() == result.error for box in error_boxes())
    landed = window.document.project
    for mine, sent in zip(landed.network.layers, last.network.layers):
        np.testing.assert_array_equal(mine.weights, sent.weights.astype(mine.weights.dtype))
    assert landed.runs[-1].outcome == result.error and len(landed.runs[-1].epochs) == last.epoch - 1
    assert window.document.undo_stack.undo_text().startswith("Stopped training")
    window.actions_by_name["undo"].trigger()
    assert window.document.project is before

    child = window.trainer.worker.child
    assert child.killed_at_deadline and child.process.returncode == -signal.SIGKILL and gone(pid)


def test_close_ends_a_suspended_trainer_and_waits_for_its_thread(qtbot, settings, monkeypatch):
    monkeypatch.setattr(child_process, "STOP_DEADLINE_SECONDS", 600.0)
    window, panel = training_window(qtbot, settings)
    pid = start_and_suspend(qtbot, window, panel)
    thread = window.trainer.thread
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Discard, seen)  # the stopped run is unsaved work
    assert window.close()
    assert thread.isFinished() and not window.trainer.running
    assert seen and "unsaved changes" in seen[0]
    assert window.document.undo_stack.undo_text().startswith("Stopped training")
    assert window.trainer.worker.child.process.returncode == 0 and gone(pid)


def test_close_ends_a_trainer_that_reads_nothing(qtbot, settings, monkeypatch):
    """Hung before its first read (a run larger than the pipe would block the worker's send too): Close
    kills it at the deadline, nothing lands, and the window closes without asking (nothing changed)."""
    window, panel, before = start_a_stuck_child(qtbot, settings, monkeypatch, READS_NOTHING)
    thread, worker = window.trainer.thread, window.trainer.worker
    pid = worker.child.pid
    assert window.close()
    assert thread.isFinished() and not window.trainer.running
    assert worker.failure == ("the training process did not answer Stop within 0.2 s and was ended before it "
                              "sent any weights; the network in the window is unchanged")
    assert panel.message.text() == worker.failure
    assert window.statusBar().currentMessage() == f"Training failed: {worker.failure}"
    assert not error_boxes()  # a box would outlive the window and keep the application from quitting
    assert window.document.project is before and not window.document.structure_locked
    assert worker.child.killed_at_deadline and worker.child.process.returncode == -signal.SIGKILL and gone(pid)


def test_a_thread_that_outlives_close_is_kept_until_it_ends(qtbot, settings, monkeypatch):
    """Not the child: the worker blocked before it (a download in a read until its timeout). Close does not
    wait past its bound and does not let the running QThread be destroyed: it is kept until it has ended."""
    release = threading.Event()
    real_load = training_worker.load_named

    def blocked_download(*args, **kwargs):
        release.wait(timeout=120)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(training_worker, "load_named", blocked_download)
    monkeypatch.setattr(training_worker, "STOP_WAIT_MS", 50)
    window, panel = training_window(qtbot, settings)
    panel.start_button.click()
    thread = window.trainer.thread
    assert window.close()
    assert thread.isRunning() and thread in training_worker._outliving.kept
    release.set()
    qtbot.waitUntil(lambda: thread.isFinished() and thread not in training_worker._outliving.kept, timeout=60000)
    assert window.trainer.worker.failure == training_worker.STOPPED_EARLY  # Close stopped it while the data loaded
    qtbot.waitUntil(lambda: not window.document.structure_locked, timeout=60000)  # its ending was delivered
    assert not error_boxes()  # and said nothing in a box on a closed window
    assert window.trainer.worker.child is None  # stopped before any training process was started


@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_trainer_ended_from_outside_is_told_and_unlocks(qtbot, settings, number):
    """Kept as it was: a child killed by someone else is a failure the window names, with nothing landed."""
    window, panel = training_window(qtbot, settings)
    before = window.document.project
    panel.start_button.click()
    qtbot.waitUntil(lambda: len(panel.plot.steps) >= 2, timeout=20000)
    child = window.trainer.worker.child
    with qtbot.waitSignal(window.trainer.failed, timeout=60000) as failed:
        os.kill(child.pid, number)
    message = (f"the training process ended unexpectedly (exit status {-number}); the network in the window is "
               "unchanged")
    assert failed.args == [message]
    assert any(box.text() == message for box in error_boxes())
    assert not window.trainer.running and not window.document.structure_locked
    assert window.document.project is before
    assert not child.killed_at_deadline and child.process.returncode == -number and gone(child.pid)
