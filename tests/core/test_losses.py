"""Losses: the textbook values, and no inf or NaN from log(0)."""

import math

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, backward, forward, get_loss
from nnstudio.core.errors import ShapeError, UnknownNameError


def test_mse_is_half_the_squared_error_summed_and_batch_mean():
    mse = get_loss("mse")
    assert mse.evaluate(np.array([0.2, 0.5]), np.array([1.0, 0.0])) == pytest.approx(0.5 * (0.8**2 + 0.5**2))
    batch = mse.evaluate(np.array([[0.0], [2.0]]), np.array([[1.0], [1.0]]))
    assert batch == pytest.approx((0.5 + 0.5) / 2)
    np.testing.assert_allclose(mse.grad(np.array([0.2, 0.5]), np.array([1.0, 0.0])), [-(1.0 - 0.2), -(0.0 - 0.5)])


def test_cross_entropy_values():
    p = np.array([0.7, 0.2, 0.1])
    assert get_loss("cce").evaluate(p, np.array([0, 1.0, 0])) == pytest.approx(-math.log(0.2))
    assert get_loss("sparse_cce").evaluate(p, np.array(1)) == pytest.approx(-math.log(0.2))
    assert get_loss("bce").evaluate(np.array([0.9]), np.array([1.0])) == pytest.approx(-math.log(0.9))


def _single(activation, z_out, loss, y):
    net = Network(1, (DenseLayer(np.array(z_out, dtype=float).reshape(-1, 1), None, activation),))
    trace = forward(net, [1.0])
    return backward(net, trace, y, loss)


@pytest.mark.parametrize(
    "activation, loss, z, y",
    [
        ("softmax", "cce", [1000.0, -1000.0, 0.0], [0.0, 1.0, 0.0]),
        ("softmax", "sparse_cce", [-1000.0, 1000.0], 0),
        ("sigmoid", "bce", [-1000.0], [1.0]),
        ("sigmoid", "bce", [1000.0], [0.0]),
        ("sigmoid", "cce", [-1000.0, 1000.0], [1.0, 0.0]),
        ("softmax", "bce", [1000.0, -1000.0], [0.0, 1.0]),
    ],
)
def test_saturated_outputs_give_finite_loss_and_gradients(activation, loss, z, y):
    grads = _single(activation, z, loss, y)
    assert math.isfinite(grads.loss) and grads.loss > 30  # very wrong, but a number
    assert np.all(np.isfinite(grads.layers[0].grad_weights))


def test_fused_softmax_cross_entropy_delta_is_prediction_minus_target():
    z = np.array([0.3, -1.2, 2.0])
    grads = _single("softmax", z, "cce", [0.0, 0.0, 1.0])
    e = np.exp(z)
    np.testing.assert_allclose(grads.layers[0].delta, e / e.sum() - [0, 0, 1], atol=1e-15)


def test_wrong_target_shape_and_bad_class_index_are_named():
    with pytest.raises(ShapeError, match="expected shape"):
        _single("identity", [1.0, 2.0], "mse", [1.0])
    with pytest.raises(ShapeError, match="class indices"):
        _single("softmax", [1.0, 2.0], "sparse_cce", 5)


def test_unknown_loss_is_named():
    with pytest.raises(UnknownNameError, match="unknown loss 'hinge'"):
        get_loss("hinge")
