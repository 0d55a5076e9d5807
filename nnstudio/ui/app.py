"""Start the studio: a QApplication and the main window on a file or the built-in example."""

from __future__ import annotations

import gc
import signal
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from nnstudio.io.examples import DEFAULT_EXAMPLE, list_examples
from nnstudio.ui import errors
from nnstudio.ui.window.main_window import MainWindow


def run(path: str | None = None) -> int:
    """Open the window on `path` (a file, or a built-in example's name) or on the default example."""
    np.seterr(all="ignore")  # an overflow shows as inf/nan where it happened, not as warnings on the terminal
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("nnstudio")
    app.setApplicationName("nnstudio")
    keep_startup_out_of_collections()
    window = MainWindow()
    window.error_relay = errors.install(window.show_internal_error)  # kept alive with the window
    window.open_example(DEFAULT_EXAMPLE, ask=False)
    if path:
        if not Path(path).exists() and path in list_examples():
            window.open_example(path, ask=False)
        else:
            window.open_path(path, ask=False)
    window.show()
    previous = signal.getsignal(signal.SIGINT)
    interrupted = _close_on_interrupt(window)
    try:
        code = app.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
    return 130 if interrupted() else code


def keep_startup_out_of_collections() -> None:
    """Move everything made so far (the ~100,000 objects of numpy, Qt's and pyqtgraph's modules) out of the
    garbage collector's reach: they live as long as the process. Python's full collections walk every
    tracked object, so one of them took ~50 ms whenever it fell inside a moment a person waits for (an open,
    a step, a live update); with these frozen, a full collection walks only what the window made since
    (gc.freeze, Python ≥ 3.7). Called once, after the imports and before the window."""
    gc.collect()  # garbage made while importing is freed, not kept for ever
    gc.freeze()


def _close_on_interrupt(window: MainWindow):  # type: ignore[no-untyped-def]
    """Ctrl-C in the terminal closes the window the normal way (asking about unsaved changes).

    Python runs its signal handlers only between bytecodes, and Qt's event loop runs in C, so
    a timer gives the interpreter a moment five times a second. Without this, Ctrl-C was
    either ignored until the next event or ended in a traceback out of some slot.
    """
    state = {"interrupted": False}

    def on_interrupt(signum: int, frame: object) -> None:
        if state["interrupted"]:
            window.report("Interrupted: answer the question in the window to close it")
            return
        state["interrupted"] = True
        QTimer.singleShot(0, attempt)

    def attempt() -> None:
        if not window.close():  # the person chose Cancel: carry on as before
            state["interrupted"] = False

    signal.signal(signal.SIGINT, on_interrupt)
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(200)
    window.interrupt_ticker = ticker  # kept alive with the window
    return lambda: state["interrupted"]
