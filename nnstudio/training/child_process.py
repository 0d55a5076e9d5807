"""Training in a process of its own, its records sent back over a pipe: how the window trains.

Why a process and not only a thread: Python runs one thread at a time (the GIL). A trainer thread
beside the window paid for every moment the window's thread held it, and the window waited for it
at every call into Qt: measured, the window cost the trainer 25–55 % of its speed and its event
loop stalled for 50–100 ms (benchmarks/bench_ui_latency.py). In its own process the trainer runs
the fastest (command-line) road and the window never waits for it.

The child is `python -m nnstudio.training.child_process`, talking over its stdin and stdout with
multiprocessing Connections (not multiprocessing.Process: that re-runs the parent's main script in
the child, which an embedding script without a `__main__` guard would not survive). The parent sends
("train", (network, loss, train set, test set, config)) once — pickled: our own objects between our
own processes, never a file — then "stop", "pause", "resume" or ("pace", Pace | None) at any time; the
child sends ("records", [r, …]) with the records `train` yields, batched at most every SEND_SECONDS (a live
ParameterSnapshot goes at once with the batch before it: a paced run waits after it, and the canvas must
not wait with it), then ("done", (TrainingResult, the run's path for the rewind slider)) or ("failed", message).
Ctrl-C in a terminal is the parent's to handle: the child ignores SIGINT, so no traceback of its own
reaches the terminal.

A child that does not answer is ended, never waited for: "stop" also wakes a suspended child (SIGCONT,
so one stopped with SIGSTOP ends the ordinary way, its weights kept) and sets a deadline,
STOP_DEADLINE_SECONDS, after which the child is killed (SIGKILL works on a stopped process too). A child
hung in a long BLAS call or a loop that reads no messages is thus gone within the deadline, the parent's
read ends (EOF), and `killed_at_deadline` says why. Messages from the window's thread never block
(a child that reads nothing fills its pipe), and `close` always reaps the child: no zombie is left.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from nnstudio.core.errors import NNStudioError
from nnstudio.training.pace import Pace

POLL_SECONDS = 0.005  # how often the child looks for a stop or pause message
SEND_SECONDS = 0.02  # records go to the parent in batches at most this often (a toy set yields thousands a second)
# A child still running this long after "stop" is killed. A responsive one answers within a batch (milliseconds
# on a toy set); the window's Close waits for the run's end with a bound of its own (training_worker.STOP_WAIT_MS)
# that this fits inside with room for the kill and the reaping. Tests lower it.
STOP_DEADLINE_SECONDS = 2.0
EXIT_WAIT_SECONDS = 2.0  # after its last message, how long `close` waits for the child to exit before killing it
REAP_SECONDS = 1.0  # after a kill, how long `close` waits to reap it (only a process stuck in the kernel takes longer)
CHILD_ARGUMENTS: tuple[str, ...] = ("-m", "nnstudio.training.child_process")  # what runs the child; tests swap it


class PipeControl:
    """The loop's control (see TrainingControl) fed by the parent's messages, read at most every
    POLL_SECONDS (a poll is a system call; a step at batch 1 takes a few tens of µs)."""

    responsive = False  # a process of its own: nothing shares its GIL

    def __init__(self, inbox: Connection) -> None:
        self._inbox = inbox
        self._polled_at = -1.0
        self._stop = self._paused = False
        self._pace: tuple[Pace | None] | None = None  # the pace told during the run; None: the run's own
        self._pace_news = False  # a pace told since the last pace wait (see TrainingControl.wait_for_pace)

    def _take(self, message: object) -> None:
        if message == "stop":
            self._stop, self._paused = True, False
        elif message == "pause":
            self._paused = True
        elif message == "resume":
            self._paused = False
        elif isinstance(message, tuple) and len(message) == 2 and message[0] == "pace" \
                and (message[1] is None or isinstance(message[1], Pace)):
            self._pace, self._pace_news = (message[1],), True

    def _poll(self) -> None:
        now = time.perf_counter()
        if now - self._polled_at >= POLL_SECONDS:
            self._polled_at = now
            try:
                while self._inbox.poll(0):
                    self._take(self._inbox.recv())
            except (EOFError, OSError):  # the window is gone: stop
                self._stop, self._paused = True, False

    @property
    def stop_requested(self) -> bool:
        self._poll()
        return self._stop

    @property
    def paused(self) -> bool:
        self._poll()
        return self._paused

    def wait_while_paused(self, timeout: float | None = None) -> None:
        while self._paused and not self._stop:
            try:
                self._take(self._inbox.recv())
            except (EOFError, OSError):
                self._stop, self._paused = True, False

    def pace_for(self, planned: Pace | None) -> Pace | None:
        """The pace told last, else the run's own (see TrainingControl.pace_for)."""
        told = self._pace
        return planned if told is None else told[0]

    def wait_for_pace(self, seconds: float) -> None:
        """Wait up to `seconds` reading messages: back at once on stop, pause or a pace told since the last wait."""
        deadline = time.perf_counter() + seconds
        while not self._stop and not self._paused and not self._pace_news:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            try:
                if self._inbox.poll(left):
                    self._take(self._inbox.recv())
            except (EOFError, OSError):  # the window is gone: stop
                self._stop, self._paused = True, False
        self._pace_news = False


def run_child(inbox: Connection, outbox: Connection) -> None:
    """The child's whole life: take the run, train, send every record, then the result."""
    try:
        kind, args = inbox.recv()
        from nnstudio.training.loop import train
        from nnstudio.training.progress import ParameterSnapshot
        from nnstudio.training.run_path import RunPath

        run = train(*args, PipeControl(inbox))  # type: ignore[arg-type]
        path = RunPath(args[0])  # the rewind slider's path, kept here and sent with the result
        batch: list = []
        sent_at = time.perf_counter()
        while True:
            try:
                record = next(run)
            except StopIteration as done:
                if batch:
                    outbox.send(("records", batch))
                outbox.send(("done", (done.value, path.snapshots)))
                break
            live = isinstance(record, ParameterSnapshot)
            if live:
                path.record(record)
                if record.epoch_end:
                    continue  # only for the path; live previews go to the window as well
            batch.append(record)
            now = time.perf_counter()
            if live or now - sent_at >= SEND_SECONDS:  # a paced run waits after a snapshot: it goes now
                outbox.send(("records", batch))
                batch, sent_at = [], now
    except NNStudioError as error:
        _send(outbox, ("failed", str(error)))
    except (BrokenPipeError, EOFError, OSError):
        pass  # the window went away: nothing left to tell
    except Exception as error:  # a bug: report it instead of dying silently
        _send(outbox, ("failed", f"training failed: {error!r}\n{traceback.format_exc(limit=3)}"))


def _send(connection: Connection, message: tuple) -> None:
    try:
        connection.send(message)
    except (BrokenPipeError, EOFError, OSError):
        pass


class ChildRun:
    """The parent's side: start the child, send it the run, receive its messages, steer it, end it.

    `receive` is for one thread (the window's worker); `send`, `stop` and the deadline's kill may come
    from any thread and never block. `spawned(self)` is called once the process exists and before the
    run is sent (a large data set may fill the pipe): from then on the caller can stop it."""

    def __init__(self, network: Any, loss: str, train_set: Any, test_set: Any, config: Any, *,
                 spawned: Callable[[ChildRun], None] | None = None) -> None:
        # The child finds this nnstudio whatever the parent's sys.path was made of (a checkout, a script).
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH"))
                                                          if p))
        self.process = subprocess.Popen([sys.executable, *CHILD_ARGUMENTS],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, env=env)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to_child = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self._from_child = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self._lock = threading.Lock()  # one writer at a time on the pipe to the child
        self._state = threading.Lock()  # the deadline, the signals and the pidfd against `close`
        self._deadline: threading.Timer | None = None
        self._closed = False
        self.deadline_seconds: float | None = None  # set by the first `stop`
        self.killed_at_deadline = False  # True once the child was ended for not answering "stop" in time
        self._pidfd = _pidfd(self.process.pid)
        try:
            if spawned is not None:
                spawned(self)
            with self._lock:  # blocks while the child reads; a kill (the deadline) breaks the pipe and ends it
                _send(self._to_child, ("train", (network, loss, train_set, test_set, config)))
        except BaseException:
            self.close(0)
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: object) -> None:
        """Tell the child "stop", "pause", "resume" or ("pace", Pace | None), without ever blocking: while the
        run itself is being sent, or when the child has stopped reading and its pipe is full, the message is dropped (the
        worker sends the control's state once the run is sent; a stop's deadline ends a child that reads
        nothing). "stop" goes through `stop`."""
        if message == "stop":
            self.stop()
            return
        self._post(message)

    def stop(self) -> None:
        """Ask the child to end after its current batch; end it if it is still running
        STOP_DEADLINE_SECONDS from the first time of asking."""
        with self._state:
            if self._deadline is None and not self._closed:
                self.deadline_seconds = STOP_DEADLINE_SECONDS
                self._deadline = threading.Timer(STOP_DEADLINE_SECONDS, self._end_overdue)
                self._deadline.name = f"nnstudio-child-{self.process.pid}-deadline"
                self._deadline.daemon = True
                self._deadline.start()
            if hasattr(signal, "SIGCONT"):
                self._signal(signal.SIGCONT)  # stopped (SIGSTOP): woken to read its "stop"
        self._post("stop")

    def _post(self, message: object) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            if _writable(self._to_child):
                self._to_child.send(message)
        except (BrokenPipeError, EOFError, OSError, ValueError):
            pass  # the child has ended (or the pipe is closed): its last message, or its absence, says how
        finally:
            self._lock.release()

    def _end_overdue(self) -> None:
        """The deadline passed: kill the child if it is still running."""
        with self._state:
            if not self._closed and self.process.poll() is None and self._signal(signal.SIGKILL):
                self.killed_at_deadline = True

    def _signal(self, number: int) -> bool:
        """Send signal `number` to the child unless it has been reaped; called under self._state.
        Through a pidfd where there is one: never to another process that has since taken the pid."""
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, number)  # type: ignore[attr-defined]
            elif self.process.returncode is None:
                os.kill(self.process.pid, number)
            else:
                return False
        except OSError:  # ProcessLookupError: it has ended
            return False
        return True

    def receive(self) -> tuple[str, Any]:
        """The child's next message; EOFError when it has ended without one."""
        return self._from_child.recv()

    def close(self, wait: float = EXIT_WAIT_SECONDS) -> None:
        """Close the pipes, wait up to `wait` seconds for the child to end, then kill it; reap it."""
        with self._lock:  # not under a message being written from another thread
            _close(self._to_child)
        _close(self._from_child)
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            with self._state:
                self._signal(signal.SIGKILL)
            try:
                self.process.wait(REAP_SECONDS)
            except subprocess.TimeoutExpired:
                pass  # stuck in the kernel (uninterruptible I/O): it dies on leaving, and subprocess reaps it then
        with self._state:
            self._closed = True
            if self._deadline is not None:
                self._deadline.cancel()
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None


def _pidfd(pid: int) -> int | None:
    """A file descriptor naming the child itself (Linux ≥ 5.3), or None where there is none."""
    try:
        return os.pidfd_open(pid) if hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal") else None
    except OSError:
        return None


def _writable(connection: Connection) -> bool:
    """Whether a small message can be written now without waiting (the child may have stopped reading)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLOUT)
        return any(events & select.POLLOUT for _, events in poller.poll(0))
    return bool(select.select([], [connection], [], 0)[1])


def _close(connection: Connection) -> None:
    try:
        connection.close()
    except OSError:
        pass


def main() -> None:
    """Entry of the child process: fds 0 and 1 become the Connections; prints go to stderr."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print must not break the message stream
    sys.stdout = sys.stderr
    run_child(inbox, outbox)


if __name__ == "__main__":
    main()
