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


def test_a_convolutional_network_shows_its_first_layers_kernels_in_the_canvas_colours(qtbot, make_window):
    """LeNet: six 5×5 kernel images, one colour scale for the layer (its largest |w|), blue where a weight is
    positive and orange where negative; they follow the live weights of a run; a click finds the test images
    whose map of the kernel peaks highest."""
    window = make_window("lenet")
    window.results_dock.show()
    window.results_dock.raise_()
    units = window.results_panel.units
    window.results_panel.tabs.setCurrentWidget(units)
    qtbot.waitUntil(lambda: units.grid.count() == 6, timeout=3000)
    kernel = np.asarray(window.document.project.network.layers[0].kernel)  # (6, 1, 5, 5)
    assert [units.grid.item(k).text() for k in range(6)] == [f"K{k + 1}" for k in range(6)]
    assert units.kernel_scale == np.max(np.abs(kernel))
    for k in range(6):
        np.testing.assert_array_equal(units.images[k], kernel[k, 0])
        icon = units.grid.item(k).icon().pixmap(250, 250).toImage()
        cell = icon.width() / 5
        for row in range(5):
            for col in range(5):
                pixel = icon.pixelColor(int((col + 0.5) * cell), int((row + 0.5) * cell))
                weight = kernel[k, 0, row, col]
                if abs(weight) > 0.1 * units.kernel_scale:  # (near 0 a colour is near white)
                    assert (pixel.blue() > pixel.red()) == (weight > 0), (k, row, col, weight)
    # Live weights: a preview with the kernels negated turns every colour over.
    network = window.document.project.network
    flipped = network.with_layer(0, network.layers[0].with_parameters(-kernel, network.layers[0].bias))
    window.document.set_preview(flipped)
    qtbot.waitUntil(lambda: np.array_equal(units.images.get(0), -kernel[0, 0]), timeout=5000)
    window.document.set_preview(None)
    qtbot.waitUntil(lambda: np.array_equal(units.images.get(0), kernel[0, 0]), timeout=5000)
    # A click: the kernel large, and the test images whose map of that kernel has the highest peak.
    rng = np.random.default_rng(2)
    x = rng.random((20, 784))
    data = Dataset("test", x, rng.integers(0, 10, 20), tuple("0123456789"), image=(28, 28))
    window.results_panel.set_data(DataSplit(data, data))
    grid_item = units.grid.item(2)
    units.grid.itemClicked.emit(grid_item)
    layer = network.layers[0]
    padded = np.pad(x.reshape(20, 28, 28), ((0, 0), (2, 2), (2, 2)))
    z = np.einsum("bhwij,ij->bhw", np.lib.stride_tricks.sliding_window_view(padded, (5, 5), axis=(1, 2)),
                  kernel[2, 0]) + layer.bias[2]
    peaks = np.maximum(z, 0).reshape(20, -1).max(axis=1)
    assert units.top == list(np.argsort(-peaks, kind="stable")[:8])
    assert units.exciting.count() == 8 and units.detail.text().startswith("Kernel 3 ")
