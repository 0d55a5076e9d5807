"""View menu: zoom and fit, weights on the edges and what the edges show, the neuron maps and a neuron's
map large; and going to a neuron the inspector names.

Only how the canvas shows the network: nothing here changes the document.
"""

from __future__ import annotations

from typing import Callable, Mapping, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup

from nnstudio.document import Document
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.panels.results.neuron_map_dialog import NeuronMapDialog
from nnstudio.ui.panels.results.results_panel import ResultsPanel

EDGE_MODES = ("weight", "gradient", "signal")


class ViewWindow(Protocol):
    """What the View menu needs of the window (MainWindow is one; it is also the map dialog's parent widget).
    Named here rather than imported, so that this module and main_window.py do not import each other."""

    document: Document
    scene: NetworkScene
    view: NetworkView
    results_panel: ResultsPanel

    def report(self, message: str) -> None: ...


class Viewing:
    """The View menu's handlers and the one-of-three edge modes."""

    def __init__(self, window: ViewWindow) -> None:
        self.window = window

    def handlers(self) -> dict[str, Callable[..., object]]:
        view, scene = self.window.view, self.window.scene
        return {"zoom_in": view.zoom_in, "zoom_out": view.zoom_out, "fit": view.fit,
                "edge_labels": scene.set_show_edge_labels, "neuron_maps": scene.set_show_maps,
                "map_large": self.show_map_large}

    def set_up_actions(self, actions: Mapping[str, QAction]) -> None:
        """Weights on edges and neuron maps start on; the edges show weights, one mode of three at a time."""
        actions["edge_labels"].setChecked(True)
        actions["neuron_maps"].setChecked(True)
        edge_modes = QActionGroup(self.window)
        for mode in EDGE_MODES:
            action = actions[f"edge_{mode}"]
            edge_modes.addAction(action)
            action.triggered.connect(lambda checked=False, m=mode: self.window.scene.set_edge_mode(m))
        actions["edge_weight"].setChecked(True)

    def show_map_large(self, column: int | None = None, row: int | None = None) -> NeuronMapDialog | None:
        """The selected (or given) neuron's map, large — for a two-input network."""
        window = self.window
        if column is None or row is None:
            key = window.scene.selected_key()
            if key is None or key.kind != "neuron" or key.column == 0:
                window.report("Select a neuron of a layer to see its map")
                return None
            column, row = key.column, key.row
        if window.document.project.network.input_size != 2:
            window.report("Neuron maps are drawn over the plane of two inputs; this network takes "
                          f"{window.document.project.network.input_size}")
            return None
        dialog = NeuronMapDialog(window.document, column, row, window.scene.map_bounds, window.results_panel.data,
                                 window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def go_to_neuron(self, column: int, row: int) -> None:
        """Inspector → Go to neuron: the canvas shows it (paging a large column) and selects it."""
        scene = self.window.scene
        if scene.show_neuron(column, row):
            key = scene.selected_key()
            item = scene.items_by_key.get(key) if key is not None else None
            if item is not None:
                self.window.view.ensureVisible(item.sceneBoundingRect(), 40, 40)
