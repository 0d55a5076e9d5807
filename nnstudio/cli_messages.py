"""What the `nnstudio` command says besides its results: report lines, the one error line, the progress bar.

Why a module of its own: every command (cli_eval_step, cli_train, cli_files) reports through these, and
`cli.main` needs them too (an interrupt finishes a half-drawn bar before its one line). Whatever a file or
an option holds, nothing reaches the terminal unescaped or uncut (`terminal_text`).
"""

from __future__ import annotations

import sys
from typing import Callable

from nnstudio.core.errors import terminal_text

#: Characters of one report line on stdout ("saved …", "training … on …"): longer than an error line, as
#: import lists up to MAX_LAYERS layers, but never unbounded whatever a file or option holds.
REPORT_LINE = 4000


class UsageError(Exception):
    """A mistake in how the command was called; reported on one line, exit status 2."""


def say(text: str, *, flush: bool = False) -> None:
    """One report line on stdout that may hold names from files or options: escaped and cut (terminal_text)."""
    print(terminal_text(text, REPORT_LINE), flush=flush)


def error_line(text: str) -> None:
    """The one place a message reaches stderr: one line, its control characters shown as escapes, cut
    to TERMINAL_LINE characters, so a file name holding ESC or a 100,000-character value stays harmless."""
    print(terminal_text(text), file=sys.stderr)


_bar_drawn = False


def end_progress_line() -> None:
    """Finish a half-drawn progress bar so the next message starts on a line of its own."""
    global _bar_drawn
    if _bar_drawn:
        sys.stderr.write("\r" + " " * 80 + "\r")
        _bar_drawn = False


def progress_bar(enabled: bool) -> Callable[[str, float, float | None], None]:
    """A callback drawing a one-line progress bar on stderr (downloads and epochs)."""
    def draw(label: str, done: float, total: float | None) -> None:
        global _bar_drawn
        if not enabled:
            return
        _bar_drawn = True
        if total:
            width = 30
            filled = int(width * min(done / total, 1.0))
            sys.stderr.write(f"\r{terminal_text(label, 40):40s} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{done / total:6.1%}")
        else:
            sys.stderr.write(f"\r{terminal_text(label, 40):40s} {done:,.0f}")
        sys.stderr.flush()
    return draw
