"""Results → Boundary tells one story with the canvas: the canvas's colours (class 1 blue, class 0 orange;
for a value blue positive, orange negative, grey exactly 0), a ground that agrees with the dots, a legend
that says so, and the plane the data spans with a small margin, not a mostly empty square."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from nnstudio.core import build_network
from nnstudio.core.neuron_maps import MARGIN, plane_bounds
from nnstudio.core.project import Project
from nnstudio.core.trace import forward
from nnstudio.data.named import load_named
from nnstudio.document import Document
from nnstudio.ui.images import ZERO_RGB
from nnstudio.ui.window.main_window import MainWindow
from nnstudio.ui.panels.results.results_panel import GRID
from tests.ui.conftest import settle

BLUE, ORANGE = QColor("#2563eb"), QColor("#ea580c")  # the canvas's positive and negative (style.py)


def window_on(qtbot, settings, project: Project) -> MainWindow:
    """A shown 1280×800 window on `project` (make_window opens built-in examples only)."""
    window = MainWindow(Document(project), settings)
    qtbot.addWidget(window, before_close_func=settle)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def boundary_of(qtbot, window, data=None):
    """The window's Boundary tab on screen, with `data` as the last run's."""
    window.actions_by_name["train"].trigger()
    window.results_dock.raise_()
    results = window.results_panel
    results.tabs.setCurrentWidget(results.boundary)
    if data is not None:
        results.set_data(data)
    qtbot.waitUntil(results.boundary.plot.isVisible)
    return results


def boundary_for(qtbot, settings, sizes, activations, loss, dataset, seed=0):
    """A new network of `sizes` (Xavier, seeded) and the Boundary tab with `dataset` as its last run's data."""
    window = window_on(qtbot, settings, Project(build_network(sizes, activations, "xavier", seed=seed), loss=loss))
    data = load_named(dataset)
    return window, data, boundary_of(qtbot, window, data)


def plane(results):
    """The grid's x1 and x2 values, and the image as [x1 index, x2 index] → RGB (x2 upwards)."""
    (x_lo, x_hi), (y_lo, y_hi) = results.boundary.bounds
    return np.linspace(x_lo, x_hi, GRID), np.linspace(y_lo, y_hi, GRID), results.boundary_image.image


def outputs(network, xs, ys) -> np.ndarray:
    """The network's outputs at every grid point, independently of the view: [x1 index, x2 index, output]."""
    points = np.array([[x, y] for x in xs for y in ys])
    return forward(network, points).output.reshape(len(xs), len(ys), -1)


def paler(pixel: np.ndarray, colour: QColor) -> float:
    """How far `pixel` is from white towards `colour` (0…1), asserting it lies on that line: the same hue."""
    target = np.array([colour.red(), colour.green(), colour.blue()], float)
    shares = (255.0 - pixel.astype(float)) / (255.0 - target)
    assert np.ptp(shares) < 0.03, (pixel, colour.name())
    return float(shares.mean())


def test_the_ground_where_the_network_says_class_1_is_the_blue_of_the_class_1_dots(qtbot, make_window):
    window = make_window("xor")  # 2 → 2 tanh → 1 sigmoid, untrained: its own answer is what is drawn
    data = load_named("xor")
    results = boundary_of(qtbot, window, data)
    xs, ys, image = plane(results)
    p = outputs(window.document.project.network, xs, ys)[..., 0]
    ones, zeros = np.argwhere(p > 0.6), np.argwhere(p < 0.4)
    assert len(ones) and len(zeros)  # both answers somewhere on the plane
    for i, j in ones[:: max(1, len(ones) // 40)]:
        assert paler(image[i, j], BLUE) > 0.1
    for i, j in zeros[:: max(1, len(zeros) // 40)]:
        assert paler(image[i, j], ORANGE) > 0.1
    surest, least = np.unravel_index(np.argmax(p), p.shape), tuple(ones[np.argmin(p[tuple(ones.T)])])
    assert paler(image[surest], BLUE) > paler(image[least], BLUE)  # paler where the network is less sure
    # the dots: each in the full colour of its true class
    brushes = [QColor(b.color()).name() for b in results.boundary_points.data["brush"]]
    assert brushes == [BLUE.name() if label == 1 else ORANGE.name() for label in data.train.y]
    legend = results.boundary.legend.text()
    assert f"color:{BLUE.name()}" in legend and f"color:{ORANGE.name()}" in legend
    assert "class 1" in legend and "class 0" in legend and "true class" in legend


def test_three_classes_each_have_their_colour_and_the_blue_and_orange_of_classes_1_and_0(qtbot, settings):
    window, data, results = boundary_for(qtbot, settings, [2, 5, 3], ["tanh", "softmax"], "cce", "clusters",
                                         seed=1)
    xs, ys, image = plane(results)
    picked = np.argmax(outputs(window.document.project.network, xs, ys), axis=-1)
    brushes = {int(label): QColor(b.color()) for label, b in zip(data.train.y, results.boundary_points.data["brush"])}
    assert (brushes[0].name(), brushes[1].name()) == (ORANGE.name(), BLUE.name()) and brushes[2].name() not in (
        ORANGE.name(), BLUE.name())
    assert list(np.unique(picked)) == [0, 1, 2]  # each class's ground is on the plane: the loop checks all three
    for k in np.unique(picked):
        i, j = np.argwhere(picked == k)[0]
        paler(image[i, j], brushes[int(k)])  # the ground's hue is the dots' of the class picked there
    for name in data.train.classes:
        assert name in results.boundary.legend.text()


def test_the_plane_fits_the_data_with_a_small_margin_and_fills_the_plot(qtbot, settings):
    window, data, results = boundary_for(qtbot, settings, [2, 6, 2], ["tanh", "softmax"], "cce", "circles",
                                         seed=0)
    (x_lo, x_hi), (y_lo, y_hi) = results.boundary.bounds
    points = data.train.x
    for lo, hi, axis in ((x_lo, x_hi, 0), (y_lo, y_hi, 1)):
        assert lo <= points[:, axis].min() and points[:, axis].max() <= hi  # every point inside …
        assert points[:, axis].min() - lo <= MARGIN + 1e-6 and hi - points[:, axis].max() <= MARGIN + 1e-6  # … snugly
    assert results.boundary.bounds == plane_bounds(points)  # the plane the canvas's maps show after a run
    # the view shows that plane, not a wide strip of white around it: the plot is as wide as it needs
    plot = results.boundary.plot
    qtbot.waitUntil(lambda: plot.getPlotItem().viewRange()[0][1] - plot.getPlotItem().viewRange()[0][0]
                    <= 1.3 * (x_hi - x_lo))
    (view_x_lo, view_x_hi), (view_y_lo, view_y_hi) = plot.getPlotItem().viewRange()
    assert view_y_lo <= y_lo and y_hi <= view_y_hi and view_y_hi - view_y_lo <= 1.1 * (y_hi - y_lo)
    assert view_x_lo <= x_lo and x_hi <= view_x_hi
    assert results.boundary.legend.isVisible() and (window.width(), window.height()) == (1280, 800)


def test_a_value_output_reads_as_the_canvas_reads_it_grey_where_exactly_0(qtbot, make_window):
    window = make_window("cosine-memory")  # ReLU output, MSE: a value, 0 over much of the plane
    results = boundary_of(qtbot, window)
    xs, ys, image = plane(results)
    y = outputs(window.document.project.network, xs, ys)[..., 0]
    assert (y == 0).any() and (y > 0).any()
    assert np.all(image[y == 0] == ZERO_RGB)
    for i, j in np.argwhere(y > 0.2 * y.max())[::50]:
        paler(image[i, j], BLUE)
    legend = results.boundary.legend.text()
    assert "exactly 0" in legend and "positive" in legend and "negative" in legend


def test_a_regressions_dots_are_coloured_by_their_target_on_the_grounds_scale(qtbot, settings):
    window, data, results = boundary_for(qtbot, settings, [2, 4, 1], ["tanh", "identity"], "mse", "function:x1 - x2",
                                         seed=0)
    colours = [QColor(b.color()) for b in results.boundary_points.data["brush"]]
    targets = data.train.y
    for target, colour in zip(targets[:50], colours[:50]):
        pixel = np.array([colour.red(), colour.green(), colour.blue()])
        if abs(target) > 0.2:
            paler(pixel, BLUE if target > 0 else ORANGE)
    strongest = int(np.argmax(np.abs(targets)))
    assert QColor(colours[strongest]).name() != "#ffffff"


def test_class_names_are_shown_as_written_in_the_legend(qtbot, make_window):
    window = make_window("xor")
    data = load_named("product")  # classes "x1·x2 < 0" and "x1·x2 > 0": rich text must not eat them
    results = boundary_of(qtbot, window, data)
    shown = results.boundary.legend
    from PySide6.QtGui import QTextDocument

    text = QTextDocument()
    text.setHtml(shown.text())
    assert "x1·x2 < 0 (class 0)" in text.toPlainText() and "x1·x2 > 0 (class 1)" in text.toPlainText()
