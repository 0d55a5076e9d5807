"""Neuron maps against an independent numpy evaluation of each neuron on the same grid."""

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network
from nnstudio.core.errors import NNStudioError
from nnstudio.core.neuron_maps import DEFAULT_BOUNDS, neuron_maps, plane_bounds


def test_every_neurons_map_is_its_activation_at_each_grid_point():
    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(0, 1, (3, 2)), rng.normal(0, 0.5, 3)
    W2, b2 = rng.normal(0, 1, (1, 3)), rng.normal(0, 0.5, 1)
    network = Network(2, (DenseLayer(W1, b1, "tanh"), DenseLayer(W2, b2, "sigmoid")))
    maps = neuron_maps(network, ((-2.0, 1.0), (0.0, 3.0)), size=7)
    xs, ys = np.linspace(-2, 1, 7), np.linspace(3, 0, 7)  # x2 from the top of the picture down
    np.testing.assert_array_equal(maps.xs, xs)
    np.testing.assert_array_equal(maps.ys, ys)
    for row, x2 in enumerate(ys):
        for col, x1 in enumerate(xs):
            hidden = np.tanh(W1 @ np.array([x1, x2]) + b1)
            out = 1 / (1 + np.exp(-(W2 @ hidden + b2)))
            np.testing.assert_allclose(maps.layers[0][:, row, col], hidden, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(maps.layers[1][:, row, col], out, rtol=1e-12, atol=1e-15)
    assert maps.bounds == ((-2.0, 1.0), (0.0, 3.0))


def test_bounds_follow_the_data_and_only_two_inputs_have_a_plane():
    assert plane_bounds(None) == DEFAULT_BOUNDS
    (x_lo, x_hi), (y_lo, y_hi) = plane_bounds(np.array([[0.0, 1.0], [2.0, -1.0]]))
    assert (x_lo, x_hi, y_lo, y_hi) == pytest.approx((-0.2, 2.2, -1.2, 1.2))
    with pytest.raises(NNStudioError, match="this network takes 3"):
        neuron_maps(Network(3, (DenseLayer(np.ones((1, 3)), None, "relu"),)))
