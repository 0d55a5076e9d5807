"""The `nnstudio` command's entry point: import the command line, quietly even when interrupted.

Why a module of its own: importing `nnstudio.cli` takes about a fifth of a second (numpy and the
core). A Ctrl-C in that moment arrives before `cli.main` can catch it, and Python would print a
traceback. Here the import itself is guarded, so an interrupt at any moment ends with one line
and exit status 130.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main() -> int:
    try:
        from nnstudio.cli import main as run
    except KeyboardInterrupt:
        print("nnstudio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return run()
