"""Where an unexpected exception goes: one readable line for the person, the traceback to a log file.

Shared by the command line and the window (so it holds no Qt): neither ever prints a
traceback on the terminal. The log lives in the user's cache folder
(`~/.cache/nnstudio/nnstudio.log` on Linux) for a bug report.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

from nnstudio.atomic import OutputPathError, open_regular_for_writing


def cache_root() -> Path:
    """The platform's user cache folder for nnstudio."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "nnstudio"


def log_file() -> Path:
    """The file full tracebacks are appended to."""
    return cache_root() / "nnstudio.log"


def describe(error: BaseException) -> str:
    """One line a person can read: the kind of error and its message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def write_log(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """Append the traceback to the log; a failure to log is swallowed (never a second error while reporting)."""
    try:
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Appended only to a regular file: a FIFO planted at the log's name would block the open forever.
        with os.fdopen(open_regular_for_writing(path, append=True), "a", encoding="utf-8",
                       errors="backslashreplace") as out:
            out.write("".join(traceback.format_exception(kind, error, tb)))
    except (OSError, OutputPathError):
        pass
