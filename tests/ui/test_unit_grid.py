"""The unit grid: every first-layer unit's weights as an image, sortable; a click shows its most exciting images."""

import numpy as np
from PySide6.QtCore import Qt

from nnstudio.data.dataset import Dataset, DataSplit


def grid_window(make_window):
    window = make_window("mnist-mlp")
    window.results_dock.show()
    window.results_dock.raise_()
    results = window.results_panel
    results.tabs.setCurrentWidget(results.units)
    return window, results.units


def test_each_units_image_is_its_weight_row_and_the_sorts_order_them(qtbot, make_window):
    window, grid = grid_window(make_window)
    qtbot.waitUntil(lambda: grid.grid.count() == 128, timeout=3000)
    weights = window.document.project.network.layers[0].weights
    for j in (0, 57, 127):
        np.testing.assert_array_equal(grid.images[j], weights[j].reshape(28, 28))
    first = grid.grid.item(0)
    icon = first.icon().pixmap(240, 240).toImage()
    row, col = np.unravel_index(np.argmax(weights[0]), (28, 28))  # unit 1's strongest positive weight: blue
    pixel = icon.pixelColor(int(col * icon.width() / 28 + 1), int(row * icon.height() / 28 + 1))
    assert pixel.blue() > pixel.red()
    grid.sort.setCurrentIndex(grid.sort.findData("norm"))
    shown = [grid.grid.item(k).data(Qt.ItemDataRole.UserRole) for k in range(grid.grid.count())]
    assert shown == list(np.argsort(-np.linalg.norm(weights, axis=1), kind="stable"))
    grid.sort.setCurrentIndex(grid.sort.findData("activation"))
    layer = window.document.project.network.layers[0]
    a = np.maximum(layer.weights @ np.asarray(window.document.project.input) + layer.bias, 0)
    shown = [grid.grid.item(k).data(Qt.ItemDataRole.UserRole) for k in range(grid.grid.count())]
    assert shown == list(np.argsort(-a, kind="stable"))
    grid.size.setValue(200)
    assert grid.grid.iconSize().width() == 200


def test_clicking_a_unit_shows_the_test_images_that_excite_it_most(qtbot, make_window):
    window, grid = grid_window(make_window)
    rng = np.random.default_rng(1)
    x = rng.random((30, 784)).astype(np.float32)
    data = Dataset("test", x, rng.integers(0, 10, 30), tuple("0123456789"), image=(28, 28))
    window.results_panel.set_data(DataSplit(data, data))
    qtbot.waitUntil(lambda: grid.grid.count() == 128, timeout=3000)
    item = next(grid.grid.item(k) for k in range(grid.grid.count()) if grid.grid.item(k).data(Qt.ItemDataRole.UserRole) == 5)
    grid.grid.itemClicked.emit(item)
    layer = window.document.project.network.layers[0]
    z = x.astype(float) @ layer.weights[5] + layer.bias[5]
    assert grid.top == list(np.argsort(-z, kind="stable")[:8])
    assert grid.exciting.count() == 8 and "Unit 6" in grid.detail.text()


def test_a_network_without_an_image_input_says_so(make_window, qtbot):
    window = make_window("cosine-memory")
    window.results_dock.show()
    units = window.results_panel.units
    window.results_panel.tabs.setCurrentWidget(units)
    # The grid fills when it is first shown (an event of its own): wait for that fill to have run, not a guess.
    qtbot.waitUntil(lambda: "input is an image" in units.detail.text(), timeout=3000)
    assert units.isVisible() and units.grid.count() == 0 and units.images == {}
