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
own processes, never a file — then "stop", "pause" or "resume" at any time; the child sends
("records", [r, …]) with the records `train` yields, batched at most every SEND_SECONDS, then ("done", (TrainingResult, the run's path for the rewind slider)) or ("failed", message).
Ctrl-C in a terminal is the parent's to handle: the child ignores SIGINT, so no traceback of its own
reaches the terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from nnstudio.core.errors import NNStudioError

POLL_SECONDS = 0.005  # how often the child looks for a stop or pause message
SEND_SECONDS = 0.02  # records go to the parent in batches at most this often (a toy set yields thousands a second)


class PipeControl:
    """The loop's control (see TrainingControl) fed by the parent's messages, read at most every
    POLL_SECONDS (a poll is a system call; a step at batch 1 takes a few tens of µs)."""

    responsive = False  # a process of its own: nothing shares its GIL

    def __init__(self, inbox: Connection) -> None:
        self._inbox = inbox
        self._polled_at = -1.0
        self._stop = self._paused = False

    def _take(self, message: object) -> None:
        if message == "stop":
            self._stop, self._paused = True, False
        elif message == "pause":
            self._paused = True
        elif message == "resume":
            self._paused = False

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
            if isinstance(record, ParameterSnapshot):
                path.record(record)
                if record.epoch_end:
                    continue  # only for the path; live previews go to the window as well
            batch.append(record)
            now = time.perf_counter()
            if now - sent_at >= SEND_SECONDS:
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
    """The parent's side: start the child, send it the run, receive its messages, steer it."""

    def __init__(self, network: Any, loss: str, train_set: Any, test_set: Any, config: Any) -> None:
        # The child finds this nnstudio whatever the parent's sys.path was made of (a checkout, a script).
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH"))
                                                          if p))
        self.process = subprocess.Popen([sys.executable, "-m", "nnstudio.training.child_process"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, env=env)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to_child = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self._from_child = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self._lock = threading.Lock()  # send() comes from the window's thread (stop, pause) and the worker's
        self.send(("train", (network, loss, train_set, test_set, config)))

    def send(self, message: object) -> None:
        with self._lock:
            try:
                self._to_child.send(message)
            except (BrokenPipeError, EOFError, OSError):
                pass  # the child has ended: its last message (or its absence) says how

    def receive(self) -> tuple[str, Any]:
        """The child's next message; EOFError when it has ended without one."""
        return self._from_child.recv()

    def close(self, wait: float) -> None:
        """Wait up to `wait` seconds for the child to end, then end it."""
        for connection in (self._to_child, self._from_child):
            try:
                connection.close()
            except OSError:
                pass
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


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
