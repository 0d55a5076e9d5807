"""Start the studio: a QApplication and the main window on a file or the built-in example."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from nnstudio.io.examples import DEFAULT_EXAMPLE
from nnstudio.ui.main_window import MainWindow


def run(path: str | None = None) -> int:
    """Open the window (on `path`, or on the built-in example) and run until it is closed."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("nnstudio")
    app.setApplicationName("nnstudio")
    window = MainWindow()
    window.open_example(DEFAULT_EXAMPLE, ask=False)
    if path:
        window.open_path(path)
    window.show()
    QTimer.singleShot(0, window.view.fit)
    return app.exec()
