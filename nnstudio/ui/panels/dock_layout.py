"""What every dock panel sits in: one layout, so the panels' margins agree, and a side dock's scroll area."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from nnstudio.ui.compat import override

#: Space between a dock's edge and its panel's widgets, in pixels.
DOCK_MARGIN = 8
#: The side docks' widths as the window opens, and again whenever the training docks are shown:
#: left (input and output), right (inspector); the canvas takes the rest.
DOCK_WIDTHS = (220, 290)


def dock_column(panel: QWidget) -> QVBoxLayout:
    """A vertical layout set on `panel` with the docks' margin."""
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(DOCK_MARGIN, DOCK_MARGIN, DOCK_MARGIN, DOCK_MARGIN)
    return layout


class _Holder(QWidget):
    """The panel's stand-in inside the scroll area: without a layout, so the scroll area sizes it to the dock
    (at least the panel's least size) rather than to the panel's height for its width, which a panel with
    word-wrapped text reports as its preferred height: a 408 px dock then scrolled a 602 px panel."""

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.panel = panel
        panel.setParent(self)
        # A panel of word-wrapped text (the Inspector's description) asks for its height at the dock's width: below
        # it Qt squeezed the rows and drew one text over another; now the dock scrolls instead.
        self.whole_text = bool(getattr(panel, "keeps_text_whole", False))
        if self.whole_text:
            panel.installEventFilter(self)  # its content changed: its height for this width too

    @override
    def minimumSizeHint(self) -> QSize:
        return self.panel.minimumSizeHint()

    @override
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit_text()
        return False

    def _fit_text(self) -> None:
        """At least the panel's height for the width it has (a minimum the scroll area keeps), so its lines are never
        squeezed over one another; the dock scrolls instead."""
        layout = self.panel.layout()
        if self.width() <= 0 or layout is None or not layout.hasHeightForWidth():
            return
        self.setMinimumHeight(max(self.panel.minimumSizeHint().height(), layout.totalHeightForWidth(self.width())))

    @override
    def sizeHint(self) -> QSize:
        return self.panel.sizeHint()

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.panel.setGeometry(self.rect())
        if self.whole_text and event.oldSize().width() != event.size().width():
            self._fit_text()  # its least height follows its width


class DockScroll(QScrollArea):
    """A side dock's panel in a scroll area that scrolls up and down only.

    Why: a dock's least height is its panel's, and the Step panel alone asked for 426 px; with the Training dock
    below, the window could not be made smaller than 1126×798, and at 1100×700 Qt laid the docks over each other.
    In here a short dock scrolls instead. Its least width stays the panel's, so nothing is cut at the side."""

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{panel.objectName() or type(panel).__name__}Scroll")
        self.setWidget(_Holder(panel))
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    @override
    def minimumSizeHint(self) -> QSize:
        panel = self.widget()
        width = panel.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(width, min(120, panel.minimumSizeHint().height()))

    @override
    def sizeHint(self) -> QSize:
        panel = self.widget()
        return QSize(panel.sizeHint().width() + self.verticalScrollBar().sizeHint().width(), panel.sizeHint().height())
