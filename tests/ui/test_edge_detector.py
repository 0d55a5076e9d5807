"""Issue 35's acceptance: the edge detector rebuilt from an empty window with counted key and mouse events.

A 1×28×28 input, one 3×3 convolution with identity activation and no bias ending the network (File → New
Network…, `1x28x28-c1k3`), the Sobel-x kernel typed cell by cell in the Inspector's kernel editor, a vertical
stroke drawn on the Draw pad as the input: the map the window computes equals a cross-correlation written out
here, out[i, j] = Σ_u Σ_v K[u, v] · x[i + u, j + v].
"""

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QLabel, QTableView

from nnstudio.ui.canvas.map_layout import tile_in_scene
from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog
from nnstudio.ui.selection import ItemKey
from tests.support.conv_reference import SOBEL_X, correlate
from tests.ui.counted import Counted, drag, focused, menu_item, scroll_to


def build_in_the_dialog(person: Counted, window) -> None:
    """The empty canvas's New Network button; the notation typed; the bias unticked; Create."""
    person.click(window.empty_hint.button)
    dialog = next(d for d in window.findChildren(NewNetworkDialog) if d.isVisible())
    person.type(dialog.sizes, "1x28x28-c1k3")
    assert dialog.findChild(QLabel, "newSummary").text() == ("1×28×28 → 1×26×26: 10 parameters, "
                                                             "loss mean squared error")
    assert dialog.layers.cellWidget(0, 1).currentData() == "identity"  # maps out: identity, as offered
    person.click(dialog.findChild(QCheckBox, "bias1"))
    person.click(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))


def select_the_map(person: Counted, window) -> None:
    """A click on the output map's first pixel: the layer is selected and the Inspector shows its kernel."""
    tile = tile_in_scene(window.scene.maps.geometry, 1, 0)
    point = QPointF(tile.rect.x + 0.5 * tile.pixel, tile.rect.y + 0.5 * tile.pixel)
    person.click(window.view.viewport(), window.view.mapFromScene(point))
    assert window.scene.selected_key() == ItemKey("pixel", 1, 0, 0, channel=0)


def type_the_kernel(person: Counted, window) -> None:
    """A click on the kernel's first cell, then each value and Tab (Enter after the last)."""
    grid = window.inspector.findChild(QTableView, "kernelGrid1")
    assert grid is not None, "the Inspector shows no kernel grid"
    scroll_to(person, grid)
    person.click(grid.viewport(), grid.visualRect(grid.model().index(0, 0)).center())
    for r, row in enumerate(SOBEL_X):
        for c, value in enumerate(row):
            person.type(grid, str(value))
            person.key(focused(grid), Qt.Key.Key_Return if (r, c) == (2, 2) else Qt.Key.Key_Tab)


def draw_a_vertical_stroke(person: Counted, window) -> None:
    """View → Results opens at the Draw tab; one stroke from top to bottom through the pad's middle."""
    menu_item(person, window, "&View", "Results")
    pad = window.results_panel.pad
    assert window.results_panel.tabs.currentWidget() is window.results_panel.draw_tab and pad.isEnabled()
    side = min(pad.width(), pad.height())
    top, bottom = QPoint(side // 2, side // 6), QPoint(side // 2, 5 * side // 6)
    drag(person, pad, [top + (bottom - top) * (i / 20) for i in range(21)])


def test_the_edge_detector_from_an_empty_window(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    build_in_the_dialog(person, window)
    network = window.document.project.network
    (conv,) = network.layers
    assert network.input_shape == (1, 28, 28) and conv.out_shape == (1, 26, 26)
    assert conv.activation == "identity" and conv.bias is None
    select_the_map(person, window)
    type_the_kernel(person, window)
    assert window.document.project.network.layers[0].kernel[0, 0].tolist() == SOBEL_X
    draw_a_vertical_stroke(person, window)

    x = window.document.project.input.reshape(28, 28)
    ink_rows, ink_cols = np.nonzero(x > 0.5)
    assert np.ptp(ink_rows) >= 12 and np.ptp(ink_cols) <= 6  # the stroke stands upright
    expected = correlate(x, SOBEL_X)
    shown = window.document.trace.layers[0].a.reshape(26, 26)
    np.testing.assert_allclose(shown, expected, rtol=0, atol=1e-12)
    assert expected.max() > 1 and expected.min() < -1  # an edge each side of the stroke, opposite signs
    # Counted as a person counts them (reported in the note).
    assert (person.clicks, person.keys) == (8, 33)
