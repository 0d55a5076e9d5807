"""NetworkView: zoom (wheel, clamped), pan (drag the background), fit, and in-place editors."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QResizeEvent, QTransform, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QLabel, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.cell_moves import move
from nnstudio.ui.canvas.hover_card import SHOW_AFTER_MS, HoverCard, card_lines
from nnstudio.ui.canvas.inline_editor import InlineEditor
from nnstudio.ui.canvas.layout import banner_at, banner_room
from nnstudio.ui.canvas.map_layout import (
    FIT_MARGIN,
    FIT_RIGHT_ROOM,
    MAX_FIT_ZOOM,
    MIN_ZOOM,
    VIEW_INSET,
)
from nnstudio.ui.canvas.map_overlay import numbers_zoom
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.compat import override
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.selection import ItemKey

MAX_ZOOM = 8.0  # at least; a network with maps goes to NUMBERS_ROOM × where its smallest pixels show numbers
NUMBERS_ROOM = 2.0  # at the most zoom those numbers are twice the least drawn (18 px): read comfortably, not just
# (MIN_ZOOM, MAX_FIT_ZOOM and Fit's margins are map_layout's: its layout pages for Fit's zoom)
ZOOM_STEP = 1.2


# Keys that start typing into the selected cell (the first character of a number or expression).
_STARTS_A_VALUE = set("0123456789.-+(√πe") | set("abcdefghijklmnopqrstuvwxyz")
_ARROWS = {Qt.Key.Key_Up: "up", Qt.Key.Key_Down: "down", Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right"}
_EDITABLE = ("edge", "bias_edge", "neuron", "layer")
_CARDS = ("neuron", "edge", "bias_edge", "pixel")  # what a hover card is shown for (a map pixel: issue 35)


class NetworkView(QGraphicsView):
    """Only zooms, pans and places editors; everything else is the scene's."""

    zoom_changed = Signal(float)
    error_reported = Signal(str)
    resized = Signal()  # overlays (the empty-canvas hint) re-centre
    map_requested = Signal(int, int)  # column, row: a second click on a neuron showing its map

    def __init__(self, scene: NetworkScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self._told_zoom: float | None = None  # the zoom zoom_changed last told (see _zoom_moved); None: none yet
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(False)  # files dropped here go to the main window
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # pan by dragging instead
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.editor: InlineEditor | None = None
        # Until the person zooms or pans, the view keeps the network fitted as its size changes
        # (docks opening, the window resized); Fit turns this on again.
        self.auto_fit = True
        scene.edit_requested.connect(self.open_editor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # The phase banner ("Backward · layer 2 · δ") sits in the view's corner at a fixed size,
        # where the eyes are. It is a child of the view, not of the viewport (whose children
        # scroll with the scene), so it never zooms or moves.
        self.banner = QLabel(self)
        self.banner.setObjectName("phaseBanner")
        self.banner.setStyleSheet("QLabel { background: rgba(255, 255, 255, 235); border: 1px solid #cbd5e1; "
                                  "border-radius: 4px; padding: 3px 6px; color: #111827; font-size: 13px; }")
        self.banner.hide()
        scene.banner_changed.connect(self.set_banner)
        scene.rebuilt.connect(self.show_legible_buttons)
        # Hover cards: rest the pointer on a neuron or edge to see its numbers (hover_card.py).
        self.card = HoverCard(self)
        self._hover_key: ItemKey | None = None
        self._hover_at = QPoint()
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(SHOW_AFTER_MS)
        self._hover_timer.timeout.connect(self._show_card)
        self.viewport().setMouseTracking(True)
        # The card's numbers follow the network (an edit, a step); another network ends it.
        listen(self, scene.document.shown_changed, self._refresh_card)
        listen(self, scene.document.replaced, self._end_card)

    @property
    def network_scene(self) -> NetworkScene:
        return self.scene()  # type: ignore[return-value]

    def zoom(self) -> float:
        return self.transform().m11()

    def max_zoom(self) -> float:
        """How far the view zooms in: MAX_ZOOM, or for a network with maps far enough that every map's pixel
        carries its number (LeNet's input: 8 px numbers at 800 % were never drawn, and Zoom + did nothing)."""
        needed = numbers_zoom(self.network_scene.maps.geometry)
        return MAX_ZOOM if needed is None else max(MAX_ZOOM, NUMBERS_ROOM * needed)

    def can_zoom(self, larger: bool) -> bool:
        """Would Zoom In (`larger`) or Zoom Out change the view? (The View menu disables the one that would not.)"""
        zoom = self.zoom()
        return zoom < self.max_zoom() * (1 - 1e-9) if larger else zoom > MIN_ZOOM * (1 + 1e-9)

    def set_zoom(self, factor: float) -> None:
        target = min(self.max_zoom(), max(MIN_ZOOM, factor))
        step = target / self.zoom()
        self.scale(step, step)

    def zoom_in(self) -> None:
        self.auto_fit = False
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.auto_fit = False
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def set_banner(self, text: str) -> None:
        """Show `text` in the corner (none: hidden); a fitted view fits again when the banner's room changes,
        so a banner that comes (training starts) does not lie over the network's titles."""
        room = self.banner_height()
        self.banner.setText(text)
        self.banner.adjustSize()
        self._place_banner()
        self.banner.setVisible(bool(text))
        if self.auto_fit and self.banner_height() != room:
            self.fit()

    def _place_banner(self) -> None:
        corner = self.viewport().geometry().topLeft()
        self.banner.move(QPoint(*banner_at((corner.x(), corner.y()))))

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_banner()
        if self.auto_fit:
            self.fit()
        self.resized.emit()

    def bring_into_view(self, rect: QRectF) -> None:
        """Show `rect` (scene coordinates): the whole network again while the view follows it, else
        scroll just enough — a layer added off screen comes into sight."""
        if self.auto_fit:
            self.fit()
        else:
            self.ensureVisible(rect, 40, 40)

    def banner_height(self) -> float:
        return banner_room(self.banner.sizeHint().height()) if self.banner.text() else 0.0

    def fit(self) -> None:
        """Show the whole network as large as the view allows, below the phase banner."""
        self.auto_fit = True
        banner = self.banner_height()
        viewport = self.viewport().rect()
        width = max(viewport.width() - VIEW_INSET, 1)
        height = max(viewport.height() - VIEW_INSET - banner, 1)
        # A short view (a dock below) shows fewer neurons of a large column rather than every text too small
        self.network_scene.set_room(height / style.LEGIBLE_ZOOM - 2 * FIT_MARGIN,
                                    (float(viewport.width()), float(viewport.height())), banner)
        rect = self.network_scene.network_rect()
        if rect.isEmpty():
            return
        # right: room for the output to grow
        rect = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN + FIT_RIGHT_ROOM, FIT_MARGIN)
        zoom = max(MIN_ZOOM, min(MAX_FIT_ZOOM, width / rect.width(), height / rect.height()))
        self.setSceneRect(rect.adjusted(-4000, -4000, 4000, 4000))
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self.centerOn(rect.center() - QPointF(0.0, banner / 2 / zoom))

    def show_legible_buttons(self) -> None:
        """The − / + buttons and pagers are shown where they can be read at this zoom (ButtonItem.set_zoom); run
        on every zoom and after every rebuild (the scene's `rebuilt`), not on every value refresh."""
        zoom = self.zoom()
        scene = self.network_scene
        for item in [*scene.buttons, *scene.maps.pagers]:
            item.set_zoom(zoom)

    # Every way the view's zoom changes tells zoom_changed (the status bar's "42 %"): the wheel, the menu, Fit, and
    # code that sets the transform itself (a test, a lesson, a screenshot script), which the status bar missed.
    @override
    def setTransform(self, matrix: QTransform, combine: bool = False) -> None:
        super().setTransform(matrix, combine)
        self._zoom_moved()

    @override
    def scale(self, sx: float, sy: float) -> None:
        super().scale(sx, sy)
        self._zoom_moved()

    @override
    def resetTransform(self) -> None:
        super().resetTransform()
        self._zoom_moved()

    def _zoom_moved(self) -> None:
        if self.zoom() != self._told_zoom:
            self._told_zoom = self.zoom()
            self.show_legible_buttons()
            self.zoom_changed.emit(self._told_zoom)

    @override
    def mousePressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.itemAt(event.position().toPoint()) is None:
            self.auto_fit = False  # dragging the background pans: the person chose the view
        key = self.network_scene.key_at(self.mapToScene(event.position().toPoint()))
        again = key is not None and key == self.network_scene.selected_key()
        super().mousePressEvent(event)
        # A click on a neuron that is already selected opens its map large (when it shows one).
        if again and event.button() == Qt.MouseButton.LeftButton and self._has_map(key):
            self.map_requested.emit(key.column, key.row)

    def _has_map(self, key: ItemKey) -> bool:
        item = self.network_scene.items_by_key.get(key)
        return key.kind == "neuron" and key.column > 0 and getattr(item, "map", None) is not None

    @override
    def mouseMoveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().mouseMoveEvent(event)
        if event.buttons() != Qt.MouseButton.NoButton:
            self._hover_timer.stop()
            self.card.hide()
            return
        point = event.position().toPoint()
        key = self.network_scene.key_at(self.mapToScene(point))
        if key is not None and key.kind not in _CARDS:
            key = None
        before, self._hover_at = self._hover_at, self.viewport().mapTo(self, point)
        if key is None and self.card.isVisible() and self.card.heading_for(before, self._hover_at):
            self.card.keep()  # on the way to the card in its corner
            self._hover_key = None
            self._hover_timer.stop()
            return
        if key == self._hover_key:
            if key is not None and self.card.key == key:
                self.card.keep()
            return
        self._hover_key = key
        if key is None:
            self._hover_timer.stop()
            self.card.hide_soon()
        else:
            self._hover_timer.start()
            if self.card.key != key:
                self.card.hide_soon()

    def _show_card(self) -> None:
        key = self._hover_key
        if key is None or self.editor is not None:
            return
        lines = self._card_lines(key)
        if lines:
            drawn = self.network_scene.key_rect(key) or QRectF()
            rect = self.mapFromScene(drawn).boundingRect().translated(self.viewport().pos())
            self.card.show_card(key, lines, self._hover_at, rect)

    def _card_lines(self, key: ItemKey) -> list[str]:
        """The card of `key` now, or [] if the network no longer has that item."""
        if self.network_scene.key_rect(key) is None:
            return []
        lines = card_lines(self.network_scene.document, key)
        if lines and self._has_map(key):
            lines.append("(its map: click the neuron again once selected, or Ctrl+Shift+M)")
        return lines

    def _refresh_card(self) -> None:
        """The card on screen shows its item's numbers as they are now ("b = 0" stayed after b was set)."""
        if not self.card.isVisible() or self.card.key is None:
            return
        lines = self._card_lines(self.card.key)
        if lines:
            self.card.set_lines(lines)
        else:
            self._end_card()

    def _end_card(self) -> None:
        """Another network (or none): the card's item is gone."""
        self._hover_timer.stop()
        self._hover_key = None
        self.card.hide()
        self.card.key = None

    @override
    def viewportEvent(self, event: QEvent) -> bool:
        # Items with a hover card show no tooltip as well: the card says more, and stays.
        if event.type() == QEvent.Type.ToolTip:
            key = self.network_scene.key_at(self.mapToScene(event.pos()))  # type: ignore[attr-defined]
            if key is not None and key.kind in _CARDS:
                return True
        if event.type() == QEvent.Type.Leave:
            self._hover_timer.stop()
            self._hover_key = None
            self.card.hide_soon()
        return super().viewportEvent(event)

    @override
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.auto_fit = False
            self.set_zoom(self.zoom() * ZOOM_STEP**steps)
        event.accept()

    # ------------------------------------------------------------------ typing on the canvas like a spreadsheet

    def _editable_selection(self) -> ItemKey | None:
        key = self.network_scene.selected_key()
        if key is None or key.kind not in _EDITABLE or (key.kind == "layer" and (
                key.column == 0 or self.network_scene.maps.channels(key.column) is not None)):
            return None  # (a column of maps: its kernels are typed in the Inspector)
        return key

    def move_selection(self, direction: str) -> bool:
        """Select the cell `direction` of the selected one (see cell_moves); False at an edge."""
        scene = self.network_scene
        key = scene.selected_key()
        if key is None:
            return False
        network = scene.document.project.network
        target = move(key, direction, network.sizes, [layer.has_bias for layer in network.layers],
                      bulk={bulk.column for bulk in scene.bulk_edges})
        if target is None:
            return False
        if target not in scene.items_by_key:
            return self._reveal(key, target)
        scene.select_key(target)
        self.ensureVisible(scene.items_by_key[target].sceneBoundingRect(), 24, 24)
        return True

    def _reveal(self, key: ItemKey, target: ItemKey) -> bool:
        """Select a cell that is not drawn now: a neuron or bias on another page of a large column
        (the page turns), or a pixel of an image input (selected on the image). Anything else is
        not shown, so the selection stays on `key` rather than on something invisible."""
        scene = self.network_scene
        if target.kind not in ("neuron", "bias_edge") or not scene.show_neuron(target.column, target.row):
            return False
        if target.kind == "neuron" and target not in scene.items_by_key:
            return True  # a pixel: selected on the image
        scene.select_key(target if target in scene.items_by_key else key)
        item = scene.items_by_key.get(target)
        if item is not None:
            self.ensureVisible(item.sceneBoundingRect(), 24, 24)
        return item is not None

    @override
    def event(self, event: QEvent) -> bool:
        # Tab and Shift+Tab step through the cells while one is selected (else they move the focus).
        if (event.type() == QEvent.Type.KeyPress and self.editor is None
                and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)  # type: ignore[attr-defined]
                and self._editable_selection() is not None):
            self.move_selection("previous" if event.key() == Qt.Key.Key_Backtab else "next")  # type: ignore[attr-defined]
            return True
        return super().event(event)

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = self._editable_selection() if self.editor is None else None
        plain = not (event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                                          | Qt.KeyboardModifier.MetaModifier))
        if key is not None and plain:
            text = event.text()
            if text and text.lower() in _STARTS_A_VALUE:
                self.open_editor(key, initial=text)  # typing replaces the value, as in a spreadsheet
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2):
                self.open_editor(key)  # the value as typed, to change
                return
            if event.key() in _ARROWS:
                self.move_selection(_ARROWS[event.key()])  # type: ignore[index]
                return
        selected = self.network_scene.selected_key() if self.editor is None else None
        if selected is not None and selected.kind == "pixel" and plain and event.key() in _ARROWS:
            self._move_pixel(selected, _ARROWS[event.key()])  # type: ignore[index]
            return
        if selected is not None and plain and event.key() in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            self._page(selected, 1 if event.key() == Qt.Key.Key_PageDown else -1)
            return
        super().keyPressEvent(event)

    def _move_pixel(self, key: ItemKey, direction: str) -> None:
        """An arrow key moves a selected map pixel within its map (its field follows); at the edge it stays."""
        rows, cols = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}[direction]
        target = replace(key, row=key.row + rows, col=key.col + cols)
        if self.network_scene.maps.has_pixel(target):
            self.network_scene.select_key(target)

    def _page(self, key: ItemKey, step: int) -> None:
        """Page Down / Up: the next or previous page of the selected neuron's large column, its first
        neuron selected."""
        scene = self.network_scene
        column = key.column
        scene.page(column, step)
        if key.kind == "neuron":
            scene.show_neuron(column, scene.pages.get(column, 0))

    def open_editor(self, key: ItemKey, initial: str | None = None) -> None:
        """An in-place editor over the edge label or neuron: starting from the typed text, or from
        `initial` (the first key typed on a selected cell)."""
        scene = self.network_scene
        if self.editor is not None:
            self.editor.commit_on_leaving()  # another cell's editor keeps its text, as when clicking away
        try:
            text = scene.edit_text(key)
        except NNStudioError as error:
            self.error_reported.emit(str(error))
            return
        editor = InlineEditor(self.viewport(), lambda t: scene.commit_edit(key, t), self.error_reported.emit,
                              lambda direction: self._after_edit(key, direction), key.describe())
        if initial is None:
            editor.setText(text)
            editor.setSelection(len(text), -len(text))  # all selected, cursor at the start: a long number shows its beginning
        else:
            editor.setText(initial)
        editor.setToolTip(f"{key.describe()}: type a number or an expression such as 1/sqrt(2); "
                          "Enter or Tab keeps it and moves on, Escape cancels")
        point = self.mapFromScene(scene.edge_label_point(key))
        editor.adjustSize()
        editor.move(point.x() - editor.width() // 2, point.y() - editor.height() // 2)
        editor.show()
        editor.setFocus()
        self.editor = editor
        editor.destroyed.connect(lambda: setattr(self, "editor", None))

    def _after_edit(self, key: ItemKey, direction: str | None) -> None:
        """Back to the canvas, on the next cell after a commit (the same cell after Escape). After a
        click elsewhere ("away") the focus and the selection stay where the person put them."""
        self.editor = None
        if direction == "away":
            return
        self.setFocus()
        if key in self.network_scene.items_by_key:
            self.network_scene.select_key(key)  # the edit may have rebuilt the items
        if direction is not None:
            self.move_selection(direction)
