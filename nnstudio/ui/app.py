"""Start the studio: a QApplication and the main window on a file or the built-in example."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from nnstudio.io.examples import DEFAULT_EXAMPLE, list_examples
from nnstudio.ui import errors
from nnstudio.ui.main_window import MainWindow


def run(path: str | None = None) -> int:
    """Open the window on `path` (a file, or a built-in example's name) or on the default example."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("nnstudio")
    app.setApplicationName("nnstudio")
    window = MainWindow()
    window.error_relay = errors.install(window.show_internal_error)  # kept alive with the window
    window.open_example(DEFAULT_EXAMPLE, ask=False)
    if path:
        if not Path(path).exists() and path in list_examples():
            window.open_example(path, ask=False)
        else:
            window.open_path(path, ask=False)
    window.show()
    return app.exec()
