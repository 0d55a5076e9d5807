"""Network structure rules, initialisers and precision."""

import math

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, build_network, forward, initial_weights
from nnstudio.core.errors import ShapeError, UnknownNameError


def test_weights_are_neurons_by_inputs():
    layer = DenseLayer(np.zeros((3, 2)), np.zeros(3), "relu")
    assert (layer.n_out, layer.n_in) == (3, 2)
    with pytest.raises(ShapeError, match="layer 2 takes 4 inputs but the layer before it gives 3"):
        Network(2, (layer, DenseLayer(np.zeros((1, 4)), None)))


@pytest.mark.parametrize("size", [0, -1, 4097])
def test_sizes_outside_1_to_4096_are_refused(size):
    with pytest.raises(ShapeError, match="1 to 4096"):
        Network(size, ())


def test_largest_layer_is_allowed():
    layer = DenseLayer(np.zeros((4096, 1)), None)
    assert Network(1, (layer,)).output_size == 4096


def test_bias_shape_and_unknown_activation_are_named():
    with pytest.raises(ShapeError, match=r"bias must have shape \(3,\)"):
        DenseLayer(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(UnknownNameError, match="unknown activation 'relux'"):
        DenseLayer(np.zeros((3, 2)), None, "relux")


def test_activation_parameters_are_checked_and_used():
    layer = DenseLayer(np.array([[1.0]]), None, "leaky_relu", {"slope": 0.2})
    assert forward(Network(1, (layer,)), [-2.0]).output[0] == pytest.approx(-0.4)
    with pytest.raises(UnknownNameError, match="parameter of leaky_relu"):
        DenseLayer(np.array([[1.0]]), None, "leaky_relu", {"alpha": 0.2})


def test_initialisers_are_seeded_and_have_the_right_scale():
    a = initial_weights((200, 300), "he", np.random.default_rng(5))
    b = initial_weights((200, 300), "he", np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)
    x = initial_weights((200, 300), "xavier", np.random.default_rng(1))
    assert np.abs(x).max() <= math.sqrt(6 / 500)
    assert x.std() == pytest.approx(math.sqrt(6 / 500) / math.sqrt(3), rel=0.02)
    np.testing.assert_array_equal(initial_weights((2, 2), "constant", params={"value": 0.3}), np.full((2, 2), 0.3))
    with pytest.raises(UnknownNameError):
        initial_weights((2, 2), "orthogonal")


def test_build_network_same_seed_same_weights():
    a = build_network([4, 3, 2], ["relu", "softmax"], "he", seed=9)
    b = build_network([4, 3, 2], ["relu", "softmax"], "he", seed=9)
    assert a.same_as(b)
    assert not a.same_as(build_network([4, 3, 2], ["relu", "softmax"], "he", seed=10))


def test_float32_precision_runs_in_float32():
    net = build_network([3, 4, 2], ["tanh", "sigmoid"]).astype("float32")
    trace = forward(net, [0.1, 0.2, 0.3])
    assert trace.output.dtype == np.float32
    assert net.dtype == np.float32


def test_wrong_input_size_is_named():
    net = build_network([3, 2], ["identity"])
    with pytest.raises(ShapeError, match="expected 3 values per sample"):
        forward(net, [1.0, 2.0])
