"""View menu: zoom and fit, weights on the edges and what the edges show, the neuron maps and a neuron's
map large, at which value the colours of a convolutional network's maps are full; and going to a neuron the
inspector names.

Only how the canvas shows the network: nothing here changes the document.
"""

from __future__ import annotations

import functools
from typing import Callable, Mapping, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from nnstudio.document import Document
from nnstudio.ui.canvas.map_colours import COLOUR_SCALES
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.panels.results.neuron_map_dialog import NeuronMapDialog
from nnstudio.ui.panels.results.results_panel import ResultsPanel
from nnstudio.ui.window.actions import ActionSpec

EDGE_MODES = ("weight", "gradient", "signal")


class ViewWindow(Protocol):
    """What the View menu needs of the window (MainWindow is one; it is also the map dialog's parent widget).
    Named here rather than imported, so that this module and main_window.py do not import each other."""

    document: Document
    scene: NetworkScene
    view: NetworkView
    results_panel: ResultsPanel

    def report(self, message: str) -> None: ...


ACTIONS: list[ActionSpec] = [
    ActionSpec("zoom_in", "Zoom &In", QKeySequence.StandardKey.ZoomIn, "Show the canvas larger"),
    ActionSpec("zoom_out", "Zoom &Out", QKeySequence.StandardKey.ZoomOut, "Show more of the canvas, smaller"),
    ActionSpec("fit", "&Fit to Window", "Ctrl+0", "Show the whole network"),
    ActionSpec("edge_labels", "Show &Weights on Edges", "Ctrl+L", "Write each weight on its edge", True),
    ActionSpec("neuron_maps", "Show &Neuron Maps", "Ctrl+M",
               "Two-input networks: draw each neuron's output over the input plane inside it", True),
    # Not M alone: on a selected cell a letter starts typing an expression (max(…), min(…)).
    ActionSpec("map_large", "Neuron Map &Large…", "Ctrl+Shift+M",
               "The selected neuron's map, large, with axes and the data"),
    ActionSpec("edge_weight", "Edges Show &Weights", None, "Each edge shows its weight w_ji", True),
    ActionSpec("edge_gradient", "Edges Show &Gradients", None, "Each edge shows ∂L/∂w_ji = δ_j·a_i", True),
    ActionSpec("edge_signal", "Edges Show Error &Signal", None, "Each edge shows what it carries back, w_ji·δ_j", True),
    ActionSpec("map_colours_layer", "Map Colours: Per La&yer", None,
               "Maps of a layer share one scale: full colour at the layer's largest |value|", True),
    ActionSpec("map_colours_map", "Map Colours: Per &Map", None,
               "Each map its own scale: full colour at that map's largest |value| (shows a weak map's pattern)", True),
    ActionSpec("map_colours_network", "Map Colours: Whole Ne&twork", None,
               "One scale for every layer: full colour at the network's largest |value| (compares layers)", True),
]


class Viewing:
    """The View menu's handlers and the one-of-three edge modes."""

    specs = ACTIONS  # the actions above, for build_actions

    def __init__(self, window: ViewWindow) -> None:
        self.window = window

    def handlers(self) -> dict[str, Callable[..., object]]:
        view, scene = self.window.view, self.window.scene
        return {"zoom_in": view.zoom_in, "zoom_out": view.zoom_out, "fit": view.fit,
                "edge_labels": scene.set_show_edge_labels, "neuron_maps": scene.map_painter.set_show,
                "map_large": self.show_map_large,
                **{f"edge_{mode}": functools.partial(self.on_edge_mode_checked, mode) for mode in EDGE_MODES},
                **{f"map_colours_{mode}": functools.partial(self.on_map_colours_checked, mode)
                   for mode in COLOUR_SCALES}}

    def set_up_actions(self, actions: Mapping[str, QAction]) -> None:
        """Weights on edges and neuron maps start on; the edges show weights, one mode of three at a time."""
        actions["edge_labels"].setChecked(True)
        actions["neuron_maps"].setChecked(True)
        edge_modes = QActionGroup(self.window)
        for mode in EDGE_MODES:
            edge_modes.addAction(actions[f"edge_{mode}"])
        actions["edge_weight"].setChecked(True)
        map_colours = QActionGroup(self.window)
        for mode in COLOUR_SCALES:
            map_colours.addAction(actions[f"map_colours_{mode}"])
        actions["map_colours_layer"].setChecked(True)
        # Zoom In / Out are enabled while they would change the view: at the most zoom Zoom + is greyed, not a
        # button that does nothing. The most zoom is the network's maps' (view.max_zoom): re-read after every
        # rebuild (the scene's `rebuilt`), not at every refresh of the values.
        view = self.window.view

        def zoom_limits() -> None:
            actions["zoom_in"].setEnabled(view.can_zoom(True))
            actions["zoom_out"].setEnabled(view.can_zoom(False))

        view.zoom_changed.connect(zoom_limits)
        self.window.scene.rebuilt.connect(zoom_limits)
        zoom_limits()

    def on_edge_mode_checked(self, mode: str, checked: bool) -> None:
        """An edge mode's action was checked (its group unchecks the others): the edges show that mode. The
        canvas is redrawn only for a new mode: weights, checked at the start, are what it already shows."""
        scene = self.window.scene
        if checked and scene.edge_mode != mode:
            scene.set_edge_mode(mode)

    def on_map_colours_checked(self, mode: str, checked: bool) -> None:
        """A map-colour scale was checked (its group unchecks the others): the maps are painted on it."""
        if checked:
            self.window.scene.set_map_colours(mode)

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
        dialog = NeuronMapDialog(window.document, column, row, window.scene.map_painter.bounds, window.results_panel.data,
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
