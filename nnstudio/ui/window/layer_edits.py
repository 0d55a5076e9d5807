"""Edit and Network menus: undo and redo, layers added, inserted, removed, resized, copied and pasted,
the W and b editor, Build Memories from Samples, and the canvas's right-click menu.

Each edit is one `Document` method (one undoable command); here it is only aimed at the selected
column, and a refusal is said in the status bar and a message box. On a network with maps, + Layer and Insert
ask for the layer in the notation (`c8k3p1`, `m2`, `120`; AddLayerDialog) and Remove re-chains the shapes
after it: document/conv_edits.py, one undoable command each.
"""

from __future__ import annotations

import functools
import weakref
from typing import Callable, Mapping, Protocol

import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import DenseLayer
from nnstudio.document import Document
from nnstudio.document.conv_edits import gives_maps, has_maps, remove_layer
from nnstudio.io.layer_clipboard import layer_from_text, layer_to_text
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.panels.network.build_dialog import BuildFromSamplesDialog
from nnstudio.ui.panels.network.layer_geometry_form import AddLayerDialog
from nnstudio.ui.panels.network.matrix_editor import MatrixEditorDialog
from nnstudio.ui.panels.network.weights_model import weights_tsv
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.window.actions import ActionSpec

NEW_LAYER_SIZE = 2


class EditWindow(Protocol):
    """What the edits need of the window (MainWindow is one; it is also the dialogs' and menu's parent widget).
    Named here rather than imported, so that this module and main_window.py do not import each other."""

    document: Document
    scene: NetworkScene
    view: NetworkView
    actions_by_name: dict[str, QAction]

    def report(self, message: str) -> None: ...
    def show_error(self, title: str, message: str) -> QMessageBox: ...


ACTIONS: list[ActionSpec] = [
    ActionSpec("undo", "&Undo", QKeySequence.StandardKey.Undo, "Take back the last edit (its name is in the Edit menu)"),
    ActionSpec("redo", "&Redo", QKeySequence.StandardKey.Redo, "Make the edit taken back again"),
    ActionSpec("delete", "&Delete Layer", QKeySequence.StandardKey.Delete, "Remove the selected layer"),
    ActionSpec("copy_layer", "&Copy Layer", QKeySequence.StandardKey.Copy,
               "Copy the selected layer (size, activation, weights and bias) to paste into any network"),
    ActionSpec("paste_layer", "&Paste Layer", QKeySequence.StandardKey.Paste,
               "Insert the copied layer after the selected column (or at the end)"),
    ActionSpec("copy_weights", "Copy &W as Text", "Ctrl+Shift+C", "Copy the selected layer's W, tab-separated"),
    ActionSpec("add_layer", "&Add Layer", "Ctrl+Shift+A", "Add a layer after the selected one (or at the end)"),
    ActionSpec("insert_layer", "&Insert Layer Before", "Ctrl+Shift+I", "Insert a layer before the selected one"),
    # Not Ctrl+Shift+=: on a US keyboard that is Ctrl++, Zoom In's key (tests/ui/test_gestures.py).
    ActionSpec("neuron_more", "One Neuron &More", "Ctrl+Alt+=", "Add a neuron to the selected layer"),
    ActionSpec("neuron_fewer", "One Neuron &Fewer", "Ctrl+Alt+-", "Remove the last neuron of the selected layer"),
    ActionSpec("edit_matrix", "&Edit W and b…", "Ctrl+E", "Edit the selected layer's weights as a table"),
    ActionSpec("build_samples", "&Build Memories from Samples…", None,
               "Make a one-hidden-layer ReLU network that stores each sample as a memory"),
]


class LayerEdits:
    """The edit actions' handlers, the open matrix editors (one per column) and Undo/Redo's words."""

    specs = ACTIONS  # the actions above, for build_actions

    def __init__(self, window: EditWindow) -> None:
        self.window = window
        self.matrix_editors: dict[int, MatrixEditorDialog] = {}

    def handlers(self) -> dict[str, Callable[..., object]]:
        document = self.window.document
        return {"undo": document.undo, "redo": document.redo, "delete": self.delete_selected,
                "copy_weights": self.copy_weights, "copy_layer": self.copy_layer, "paste_layer": self.paste_layer,
                "add_layer": self.add_layer, "insert_layer": self.insert_layer,
                "neuron_more": lambda: self.resize_selected(+1), "neuron_fewer": lambda: self.resize_selected(-1),
                "edit_matrix": self.edit_matrix, "build_samples": self.build_from_samples}

    def update_undo_actions(self) -> None:
        """Edit → Undo and Redo say what they would take back or make again, and are off when nothing is."""
        stack = self.window.document.undo_stack
        undo, redo = self.window.actions_by_name["undo"], self.window.actions_by_name["redo"]
        undo.setEnabled(stack.can_undo())
        redo.setEnabled(stack.can_redo())
        undo.setText(f"&Undo {stack.undo_text()}".rstrip())
        redo.setText(f"&Redo {stack.redo_text()}".rstrip())
        undo.setIconText("Undo")  # the toolbar stays short; the menu says what will be undone
        redo.setIconText("Redo")

    def selected_column(self) -> int | None:
        key = self.window.scene.selected_key()
        return None if key is None else key.column

    def try_edit(self, edit: Callable[[], object]) -> None:
        try:
            edit()
        except NNStudioError as error:
            self.window.report(str(error))
            self.window.show_error("That change cannot be made", str(error))

    # ------------------------------------------------------------------ layers

    def add_layer(self) -> None:
        column = self.selected_column()
        at = len(self.window.document.project.network.layers) + 1 if column is None else column + 1
        if self._ask_for_layer(at):
            return
        self.try_edit(lambda: self.window.document.insert_layer(at, NEW_LAYER_SIZE, "relu"))
        self._show_layer(at)

    def _ask_for_layer(self, column: int) -> bool:
        """On a network with maps: the layer to stand as `column` is typed in the notation (a convolution, a
        pooling or a dense layer, where each can go), in a dialog that applies it; True when one was opened."""
        document = self.window.document
        if not has_maps(document.project.network):
            return False
        if document.structure_locked:
            self.window.report("The network's shape cannot change while it is training; stop training first")
            return True
        dialog = AddLayerDialog(document, column, self.window)  # type: ignore[arg-type]
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._show_new_layer(column))
        dialog.open()
        return True

    def _show_new_layer(self, column: int) -> None:
        """Select the layer just added: a dense one by its title, one of maps by its first pixel (a map column
        has no title to select; its pixel shows the layer, and its geometry, in the Inspector)."""
        network = self.window.document.project.network
        if column <= len(network.layers) and gives_maps(network, column):
            self.window.scene.select_key(ItemKey("pixel", column, 0, 0, channel=0))
        else:
            self._show_layer(column)

    def _show_layer(self, column: int) -> None:
        """Select the layer just made and bring it into sight."""
        scene = self.window.scene
        scene.select_key(ItemKey("layer", column))
        if column < len(scene.layers):
            item = scene.layers[column]
            self.window.view.bring_into_view(item.mapRectToScene(item.boundingRect()))

    def insert_layer(self) -> None:
        column = self.selected_column()
        if column is None or column == 0:
            self.window.report("Select a layer first: the new layer goes before it")
            return
        if self._ask_for_layer(column):
            return
        self.try_edit(lambda: self.window.document.insert_layer(column, NEW_LAYER_SIZE, "relu"))
        self._show_layer(column)

    def delete_selected(self) -> None:
        if self.window.view.editor is not None:
            return
        column = self.selected_column()
        if column is None or column == 0:
            self.window.report("Select a layer to remove (the input layer stays)")
            return
        document = self.window.document
        if has_maps(document.project.network):  # the shapes after it are chained again
            self.try_edit(lambda: document.structure_edit(remove_layer, f"Remove layer {column}", column))
            return
        self.try_edit(lambda: document.remove_layer(column))

    def resize_selected(self, step: int) -> None:
        column = self.selected_column()
        if column is None:
            self.window.report("Select a layer first")
            return
        size = self.window.document.project.network.sizes[column] + step
        if size >= 1:
            self.try_edit(lambda: self.window.document.resize_column(column, size))

    def edit_matrix(self, column: int | None = None) -> None:
        column = self.selected_column() if column is None else column
        if not column:
            self.window.report("Select a layer (not the input) to edit its weights")
            return
        editor = self.matrix_editors.get(column)
        if editor is None or not shiboken6.isValid(editor):
            # Deleted when closed (a hidden editor would still follow every edit): a new one each time.
            editor = MatrixEditorDialog(self.window.document, column, self.window)
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.matrix_editors[column] = editor
            editor.destroyed.connect(functools.partial(self._forget_editor, column, weakref.ref(editor)))
        editor.show()
        editor.raise_()
        editor.activateWindow()

    def _forget_editor(self, column: int, editor: "weakref.ref[MatrixEditorDialog]", *_: object) -> None:
        """A closed matrix editor is gone: the dict no longer names it (a newer one may stand there)."""
        if self.matrix_editors.get(column) is editor():
            del self.matrix_editors[column]

    def build_from_samples(self) -> None:
        if not self.window.document.project.samples:
            self.window.report("This network has no named samples to build memories from")
            return
        dialog = BuildFromSamplesDialog(self.window.document, self.window)
        dialog.setObjectName("buildDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # ------------------------------------------------------------------ the clipboard

    def copy_layer(self) -> None:
        """Ctrl+C on the canvas: the selected layer as JSON on the clipboard (see io/layer_clipboard.py)."""
        column = self.selected_column()
        if column is None or column == 0:
            self.window.report("Select a layer to copy (click its title)")
            return
        layer = self.window.document.project.network.layers[column - 1]
        QGuiApplication.clipboard().setText(layer_to_text(layer))
        self.window.report(f"Copied layer {column} ({layer.n_out} neurons, {layer.activation}, {layer.n_in} inputs)")

    def paste_layer(self) -> None:
        """Ctrl+V on the canvas: the copied layer inserted after the selected column (or at the end)."""
        column = self.selected_column()
        document = self.window.document
        at = len(document.project.network.layers) + 1 if column is None else column + 1
        network = document.project.network
        try:  # the column it goes after bounds the text's length, checked before any of it is parsed
            layer = layer_from_text(QGuiApplication.clipboard().text(), network.dtype, inputs=network.sizes[at - 1])
        except NNStudioError as error:
            self.window.show_error("Could not paste a layer", str(error))
            return
        try:
            document.paste_layer(at, layer)
        except NNStudioError as error:
            self.window.show_error("Could not paste a layer", str(error))
            return
        self._show_layer(at)
        self.window.report(f"Pasted a layer of {layer.n_out} neurons as layer {at}")

    def copy_weights(self, column: int | None = None) -> None:
        column = self.selected_column() if column is None else column
        if not column:
            self.window.report("Select a layer (not the input) to copy its W")
            return
        QGuiApplication.clipboard().setText(weights_tsv(self.window.document.project.network.layers[column - 1]))
        self.window.report(f"Copied W{column} as tab-separated text")

    # ------------------------------------------------------------------ right-click

    def _activation_and_bias(self, menu: QMenu, column: int) -> None:
        """The right-click menu's Activation submenu and Has a Bias toggle for the layer at `column`."""
        document = self.window.document
        layer = document.project.network.layers[column - 1]
        activation = menu.addMenu("Activation")
        for name, spec in ACTIVATIONS.items():
            action = activation.addAction(spec.label)
            action.setCheckable(True)
            action.setChecked(name == layer.activation)
            action.triggered.connect(lambda checked=False, n=name: self.try_edit(
                lambda: document.set_activation(column, n)))
        bias = menu.addAction("Has a Bias")
        bias.setCheckable(True)
        bias.setChecked(layer.has_bias)
        bias.triggered.connect(lambda on: self.try_edit(lambda: document.set_bias_enabled(column, on)))

    def show_context_menu(self, column: int, screen_pos: QPoint) -> None:
        """The canvas's right-click menu for `column`: the layer actions, its activation and its bias."""
        a: Mapping[str, QAction] = self.window.actions_by_name
        document = self.window.document
        menu = QMenu(self.window)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right-click, gone once closed
        menu.addAction(a["add_layer"])
        network = document.project.network
        if column >= 1:
            layer = network.layers[column - 1]
            dense = isinstance(layer, DenseLayer)  # a layer of maps is sized by its geometry (the Inspector's form)
            menu.addAction(a["insert_layer"])
            menu.addAction(a["delete"])
            menu.addSeparator()
            if dense:
                menu.addActions([a["neuron_more"], a["neuron_fewer"]])
            if layer.parameter_count or dense:  # a pooling layer has no activation or bias to set
                self._activation_and_bias(menu, column)
            if dense:
                menu.addSeparator()
                menu.addActions([a["edit_matrix"], a["copy_weights"]])
        elif column == 0 and network.input_shape is None:
            menu.addActions([a["neuron_more"], a["neuron_fewer"]])
        menu.popup(screen_pos)
