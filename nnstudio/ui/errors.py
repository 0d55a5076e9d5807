"""The last line of defence: an exception nobody caught becomes a message, never a traceback.

Python prints an uncaught exception's traceback on stderr; in a slot Qt then carries on
as if nothing happened, and the window may be left showing a state that is no longer
true ("Training…"). `install` routes such exceptions (from the UI thread and from
worker threads) to the window: a message box naming what failed, a status line, one
line on stderr, and the full traceback in a log file for a bug report.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Callable

from PySide6.QtCore import QObject, Signal

from nnstudio.core.errors import terminal_text
from nnstudio.crash_log import describe, log_file, write_log



class ErrorRelay(QObject):
    """Carries an uncaught exception's summary to the UI thread (signals are the only road across)."""

    raised = Signal(str)


def install(show: Callable[[str], None]) -> ErrorRelay:
    """Route uncaught exceptions of every thread to `show(summary)` on the UI thread."""
    relay = ErrorRelay()
    relay.raised.connect(show)

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        write_log(kind, error, tb)
        summary = describe(error)
        print(terminal_text(f"nnstudio: internal error: {summary} (details in {log_file()})"), file=sys.stderr)
        relay.raised.emit(summary)

    sys.excepthook = hook
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
    return relay
