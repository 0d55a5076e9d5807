"""Neuron maps on the canvas and large, for two-input networks."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from nnstudio.core.neuron_maps import DEFAULT_BOUNDS
from nnstudio.ui.canvas.neuron_item import NeuronItem
from nnstudio.ui.canvas.map_painter import MAP_SIZE
from nnstudio.ui.selection import ItemKey


def test_every_neuron_of_a_two_input_network_shows_its_map_in_the_canvas_colours(make_window):
    window = make_window("xor")  # 2 → 2 tanh → 1 sigmoid
    network = window.document.project.network
    (x_lo, x_hi), (y_lo, y_hi) = DEFAULT_BOUNDS
    xs, ys = np.linspace(x_lo, x_hi, MAP_SIZE), np.linspace(y_hi, y_lo, MAP_SIZE)
    W1, b1 = network.layers[0].weights, network.layers[0].bias
    for j in range(2):
        item = window.scene.items_by_key[ItemKey("neuron", 1, j)]
        assert isinstance(item, NeuronItem) and item.map is not None
        assert (item.map.width(), item.map.height()) == (MAP_SIZE, MAP_SIZE)
        # independently: the neuron's strongest positive and negative points are blue and orange there
        values = np.tanh(W1[j, 0] * xs[None, :] + W1[j, 1] * ys[:, None] + b1[j])
        for row, col in (np.unravel_index(np.argmax(values), values.shape),
                         np.unravel_index(np.argmin(values), values.shape)):
            colour = item.map.pixelColor(int(col), int(row))
            if values[row, col] > 0.1:
                assert colour.blue() > colour.red()
            elif values[row, col] < -0.1:
                assert colour.red() > colour.blue()
    assert window.scene.items_by_key[ItemKey("neuron", 2, 0)].map is not None  # the output too
    window.actions_by_name["neuron_maps"].trigger()  # View → Show Neuron Maps off
    assert window.scene.items_by_key[ItemKey("neuron", 1, 0)].map is None
    wide = make_window("cosine-memory")
    assert wide.scene.items_by_key[ItemKey("neuron", 1, 0)].map is not None
    mnist = make_window("mnist-mlp")
    assert all(item.map is None for key, item in mnist.scene.items_by_key.items() if isinstance(item, NeuronItem))


def test_a_map_opens_large_with_its_values_and_follows_edits(qtbot, make_window):
    window = make_window("xor")
    window.scene.select_key(ItemKey("neuron", 1, 0))
    qtbot.waitUntil(lambda: window.inspector.findChild(QPushButton, "mapLarge") is not None)
    window.inspector.findChild(QPushButton, "mapLarge").click()
    from nnstudio.ui.panels.results.neuron_map_dialog import LARGE_SIZE, NeuronMapDialog

    dialog = next(d for d in window.findChildren(NeuronMapDialog) if d.isVisible())
    network = window.document.project.network
    W1, b1 = network.layers[0].weights, network.layers[0].bias
    (x_lo, x_hi), (y_lo, y_hi) = DEFAULT_BOUNDS
    xs, ys = np.linspace(x_lo, x_hi, LARGE_SIZE), np.linspace(y_hi, y_lo, LARGE_SIZE)
    expected = np.tanh(W1[0, 0] * xs[None, :] + W1[0, 1] * ys[:, None] + b1[0])
    np.testing.assert_allclose(dialog.image.image, expected[::-1].T, rtol=1e-12, atol=1e-15)
    window.document.set_bias(1, 0, "3")  # an edit: the large map follows (drawn in an event of its own)
    expected = np.tanh(W1[0, 0] * xs[None, :] + W1[0, 1] * ys[:, None] + 3)
    qtbot.waitUntil(lambda: np.allclose(dialog.image.image, expected[::-1].T, rtol=1e-12, atol=1e-15))
    np.testing.assert_allclose(dialog.image.image, expected[::-1].T, rtol=1e-12, atol=1e-15)
    dialog.close()
    window.scene.select_key(ItemKey("neuron", 2, 0))
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus, timeout=2000)  # the shortcut belongs to the canvas
    qtbot.keyClick(window.view, Qt.Key.Key_M,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)  # the selected neuron's map
    assert any(d.isVisible() and d.column == 2 for d in window.findChildren(NeuronMapDialog))


def test_clicking_a_selected_neurons_map_opens_it_large_and_a_schedule_shows_on_the_plot(qtbot, make_window):
    from nnstudio.ui.panels.results.neuron_map_dialog import NeuronMapDialog

    window = make_window("xor")
    key = ItemKey("neuron", 1, 1)
    point = window.view.mapFromScene(window.scene.items_by_key[key].sceneBoundingRect().center())
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.scene.selected_key() == key
    assert not [d for d in window.findChildren(NeuronMapDialog) if d.isVisible()]  # the first click selects
    # Not a double-click (which edits): the second click comes after the platform's double-click interval.
    # A wait for time on purpose: time between the clicks is what tells two clicks from a double-click.
    qtbot.wait(QApplication.doubleClickInterval() + 100)
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    opened = [d for d in window.findChildren(NeuronMapDialog) if d.isVisible()]
    assert len(opened) == 1 and (opened[0].column, opened[0].row) == (1, 1)
    opened[0].close()

    from nnstudio.training.progress import EpochResult

    plot = window.training_panel.plot
    for epoch, rate in enumerate((0.4, 0.4, 0.2, 0.1), start=1):
        plot.add_epoch(EpochResult(epoch, 1.0, 1.0, 0.5, None, None, 1.0, 1.0, rate), 10.0 * epoch)
    plot.redraw()
    x, y = plot.rate.getData()
    assert list(y) == [1.0, 1.0, 0.5, 0.25]  # the rate as a share of the starting rate, on the 0…1 axis
