"""a = 0 on a neuron's map reads as "zero here": the canvas's grey for a zero, outlined where it meets the
rest of the map, never the white a neuron without a map is filled with (a ReLU map looked half drawn)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF

from nnstudio.core.neuron_maps import DEFAULT_BOUNDS
from nnstudio.ui.canvas.layout import NEURON_RADIUS
from nnstudio.ui.canvas.map_painter import MAP_SIZE
from nnstudio.ui.canvas.neuron_item import MAP_PIXMAP_PX, NeuronItem
from nnstudio.ui.canvas.style import NEURON_FILL, NEUTRAL
from nnstudio.ui.images import ZERO_EDGE_RGB, ZERO_RGB, circle_cut, map_pixels
from nnstudio.ui.selection import ItemKey

WHITE = np.array([255, 255, 255])


def test_exactly_0_is_the_neutral_grey_and_no_value_of_the_scale_is():
    values = np.array([[0.0, -0.0, 1e-12, -1e-12, 0.5, -0.5, 1.0, -1.0]])
    pixels = map_pixels(values, 1.0)
    assert (pixels[0, 0] == ZERO_RGB).all() and (pixels[0, 1] == ZERO_RGB).all()
    assert (pixels[0, 2] == WHITE).all() and (pixels[0, 3] == WHITE).all()  # near 0 stays white
    assert pixels[0, 4, 2] > pixels[0, 4, 0] and pixels[0, 5, 0] > pixels[0, 5, 2]  # blue +, orange −
    sweep = map_pixels(np.linspace(-1, 1, 20001)[np.linspace(-1, 1, 20001) != 0], 1.0)
    assert not np.all(sweep == ZERO_RGB, axis=-1).any()  # the grey means 0 and nothing else
    assert tuple(ZERO_EDGE_RGB) == (NEUTRAL.red(), NEUTRAL.green(), NEUTRAL.blue())  # the canvas's zero grey
    assert tuple(ZERO_RGB) != (NEURON_FILL.red(), NEURON_FILL.green(), NEURON_FILL.blue())


def test_the_zero_region_is_outlined_where_it_meets_the_rest_and_a_dead_map_is_all_grey():
    half = np.zeros((2, 4, 4))
    half[0, :, 2:] = 1.0  # map 0: zero on the left, positive on the right; map 1: zero everywhere
    cut = circle_cut(map_pixels(half, 1.0), 96)
    rgb, alpha = cut[..., :3], cut[..., 3]
    inside = alpha == 255
    row = 48  # across the middle, inside the circle
    assert (rgb[0, row, 20] == ZERO_RGB).all()  # deep in the zero half: the grey fill
    assert (rgb[0, row, 47] == ZERO_EDGE_RGB).all() and (rgb[0, row, 46] == ZERO_EDGE_RGB).all()  # its edge
    assert (rgb[0, row, 48] == map_pixels(np.array([1.0]), 1.0)[0]).all()  # the positive half as it was
    assert not (rgb[0][inside[0]] == WHITE).all(axis=-1).any()  # nothing inside is white
    assert (rgb[1][inside[1]] == ZERO_RGB).all()  # a neuron off everywhere: all grey, no edge to draw


def test_a_relu_neuron_off_over_part_of_the_plane_shows_grey_there_on_screen(qtbot, make_window):
    window = make_window("cosine-memory")  # hidden neuron 3: ReLU(x2 − 1/√2), 0 below x2 = 1/√2
    network = window.document.project.network
    W1, b1 = network.layers[0].weights, network.layers[0].bias
    (x_lo, x_hi), (y_lo, y_hi) = DEFAULT_BOUNDS
    xs, ys = np.linspace(x_lo, x_hi, MAP_SIZE), np.linspace(y_hi, y_lo, MAP_SIZE)
    a = np.maximum(W1[2, 0] * xs[None, :] + W1[2, 1] * ys[:, None] + b1[2], 0.0)  # [row, col], row 0 on top
    assert (a == 0).any() and (a > 0).any()
    item = window.scene.items_by_key[ItemKey("neuron", 1, 2)]
    assert isinstance(item, NeuronItem) and item.map is not None
    for row, col in np.argwhere(a == 0)[::37]:
        colour = item.map.pixelColor(int(col), int(row))
        assert (colour.red(), colour.green(), colour.blue()) == tuple(ZERO_RGB)
    # what a learner sees: the canvas itself, low in the circle (x2 small: a = 0), is grey, not white
    row = MAP_SIZE * 3 // 4  # below the value written in the middle, inside the rim
    assert a[row, MAP_SIZE // 2] == 0
    below_text = QPointF(0.0, -NEURON_RADIUS + (row + 0.5) * 2 * NEURON_RADIUS / MAP_SIZE)
    point = window.view.mapFromScene(item.mapToScene(below_text))
    seen = window.view.viewport().grab().toImage().pixelColor(point)
    assert max(abs(seen.red() - int(ZERO_RGB[0])), abs(seen.green() - int(ZERO_RGB[1])),
               abs(seen.blue() - int(ZERO_RGB[2]))) <= 6, seen.name()
    assert MAP_PIXMAP_PX % MAP_SIZE == 0  # (the cut repeats whole points: the grey is exactly the map's)
