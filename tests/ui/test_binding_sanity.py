"""The Qt binding must not leak references to None (PySide6 6.12.0 on Python 3.11 does).

A binding that returns None without a reference makes every void call (setPen,
drawLine…) decrement None's count; after a few thousand repaints the interpreter
aborts with "deallocating None". pyproject.toml excludes that release; this test
fails loudly if such a binding is installed anyway.
"""

import sys

from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QColor, QImage, QPainter


def test_void_qt_calls_do_not_consume_references_to_none(qapp):
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    colour, line = QColor("#2563eb"), QLineF(0, 0, 8, 8)
    before = sys.getrefcount(None)
    for _ in range(200):
        painter.setPen(colour)
        painter.setBrush(colour)
        painter.drawLine(line)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.end()
    assert sys.getrefcount(None) - before > -100, "this PySide6 build leaks references to None; see pyproject.toml"
