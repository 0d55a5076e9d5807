"""The one layout every dock panel starts from, so the panels' margins agree (and are changed in one place)."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

#: Space between a dock's edge and its panel's widgets, in pixels.
DOCK_MARGIN = 8


def dock_column(panel: QWidget) -> QVBoxLayout:
    """A vertical layout set on `panel` with the docks' margin."""
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(DOCK_MARGIN, DOCK_MARGIN, DOCK_MARGIN, DOCK_MARGIN)
    return layout
