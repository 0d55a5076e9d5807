"""The Qt application the window benchmarks run in: offscreen, without the offscreen plugin's notices.

Qt's offscreen platform prints "This plugin does not support propagateSizeHints()" to stderr whenever
a window's size hints change. It says nothing about nnstudio (no real display plugin prints it), yet it
interleaved with the figures a person reads. Every other Qt message still goes to stderr.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

_PLATFORM_NOTICE = "This plugin does not support"  # the offscreen plugin's one phrase for what it cannot do


def _forward(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if not message.startswith(_PLATFORM_NOTICE):
        print(message, file=sys.stderr)


def application() -> QApplication:
    """The running QApplication, or a new one, with the offscreen plugin's notices left out."""
    qInstallMessageHandler(_forward)
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication([])
    from nnstudio.ui.app import keep_startup_out_of_collections

    keep_startup_out_of_collections()  # once, as the app does before its first window (not a scene's windows too)
    return app
