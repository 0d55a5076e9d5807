"""NetworkView: zoom (wheel, clamped), pan (drag the background), fit, and in-place editors."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QLineEdit, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

MIN_ZOOM, MAX_ZOOM = 0.05, 8.0
MAX_FIT_ZOOM = 1.6
ZOOM_STEP = 1.2


class InlineEditor(QLineEdit):
    """A line edit laid over a canvas item. Enter commits, Escape cancels.

    Bad text keeps the editor open, shows the parser's message as its tooltip and
    in the status line, and changes nothing.
    """

    def __init__(self, parent: QWidget, commit: Callable[[str], None], report: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._commit = commit
        self._report = report
        self.setObjectName("inlineEditor")
        self.setMinimumWidth(120)
        self.setStyleSheet("QLineEdit { border: 2px solid #16a34a; border-radius: 4px; padding: 2px 4px; "
                           "background: white; font-size: 11pt; }")
        self.returnPressed.connect(self._on_return)

    def _on_return(self) -> None:
        try:
            self._commit(self.text())
        except NNStudioError as error:
            self.setStyleSheet(self.styleSheet().replace("#16a34a", "#dc2626"))
            self.setToolTip(str(error))
            self._report(str(error))
            return
        self.close()
        self.deleteLater()

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            self.deleteLater()
            return
        super().keyPressEvent(event)

    @override
    def focusOutEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().focusOutEvent(event)
        if self.isVisible():
            self.close()
            self.deleteLater()


class NetworkView(QGraphicsView):
    """Only zooms, pans and places editors; everything else is the scene's."""

    zoom_changed = Signal(float)
    error_reported = Signal(str)

    def __init__(self, scene: NetworkScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(False)  # files dropped here go to the main window
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # pan by dragging instead
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.editor: InlineEditor | None = None
        scene.edit_requested.connect(self.open_editor)

    @property
    def network_scene(self) -> NetworkScene:
        return self.scene()  # type: ignore[return-value]

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        step = target / self.zoom()
        self.scale(step, step)
        self.zoom_changed.emit(self.zoom())

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def fit(self) -> None:
        # Room on the right for the output text, which grows while stepping (ŷ = ? → three lines).
        rect = self.scene().itemsBoundingRect().adjusted(-40, -40, 140, 40)
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > MAX_FIT_ZOOM:
            self.set_zoom(MAX_FIT_ZOOM)
            self.centerOn(rect.center())
        self.setSceneRect(rect.adjusted(-2000, -2000, 2000, 2000))
        self.zoom_changed.emit(self.zoom())

    @override
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom() * ZOOM_STEP**steps)
        event.accept()

    def open_editor(self, key: ItemKey) -> None:
        """An in-place editor over the edge label or neuron, starting from the typed text."""
        scene = self.network_scene
        try:
            text = scene.edit_text(key)
        except NNStudioError as error:
            self.error_reported.emit(str(error))
            return
        if self.editor is not None:
            self.editor.close()
        editor = InlineEditor(self.viewport(), lambda t: scene.commit_edit(key, t), self.error_reported.emit)
        editor.setText(text)
        editor.selectAll()
        editor.setToolTip(f"{key.describe()}: type a number or an expression such as 1/sqrt(2)")
        point = self.mapFromScene(scene.edge_label_point(key))
        editor.adjustSize()
        editor.move(point.x() - editor.width() // 2, point.y() - editor.height() // 2)
        editor.show()
        editor.setFocus()
        self.editor = editor
        editor.destroyed.connect(lambda: setattr(self, "editor", None))
