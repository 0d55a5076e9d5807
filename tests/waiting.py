"""Waiting for an event a test means, never for a guessed time (issue 27).

A subprocess is "ready" when it says so on its stdout; `wait_for_line` reads until that line.
Its timeout bounds only the wait for the line (a hung child fails the test with a clear message
instead of hanging the suite); it says nothing about how fast anything is.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from typing import Callable

import pytest

WAIT_SECONDS = 120  # generous: a bound on a wait on a busy machine, not a speed claim


def wait_for_line(process: subprocess.Popen, accept: Callable[[str], bool], what: str,
                  timeout: float = WAIT_SECONDS) -> str:
    """The first line on `process.stdout` (a text pipe) for which `accept` holds.

    Reading stops right after that line, so the test may go on to `communicate()`. Fails naming
    `what` if the process ends first (with its stderr) or no line comes for `timeout` seconds.
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in iter(process.stdout.readline, ""):
            lines.put(line)
            if accept(line):
                return
        lines.put(None)  # end of output: the process has ended or closed its stdout

    threading.Thread(target=read, name="wait_for_line", daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            process.kill()
            _, errors = process.communicate()
            pytest.fail(f"no sign of {what} after {timeout} s without output; stdout so far {seen!r}, "
                        f"stderr {errors!r}", pytrace=False)
        if line is None:
            _, errors = process.communicate()
            pytest.fail(f"the process ended (status {process.returncode}) before {what}; stdout {seen!r}, "
                        f"stderr {errors!r}", pytrace=False)
        seen.append(line)
        if accept(line):
            return line
