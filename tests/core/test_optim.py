"""Optimisers on a one-weight network, against the update rules written out by hand."""

import math

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, OptimizerConfig, apply_update, backward, forward
from nnstudio.core.errors import NNStudioError, UnknownNameError


def _net(w=0.5, b=0.25):
    return Network(1, (DenseLayer(np.array([[w]]), np.array([b]), "identity"),))


def _grads(net, x=2.0, y=1.0):
    return backward(net, forward(net, [x]), [y], "mse")


def test_sgd_and_l2_on_weights_only():
    w, b, x, y, lr, l2 = 0.5, 0.25, 2.0, 1.0, 0.1, 0.3
    g = -(y - (w * x + b))  # δ
    net, _ = apply_update(_net(w, b), _grads(_net(w, b)), OptimizerConfig("sgd", learning_rate=lr, l2=l2))
    assert net.layers[0].weights[0, 0] == pytest.approx(w - lr * (g * x + l2 * w), abs=1e-15)
    assert net.layers[0].bias[0] == pytest.approx(b - lr * g, abs=1e-15)  # no L2 on b


def test_momentum_two_steps():
    lr, mu, x, y = 0.1, 0.9, 2.0, 1.0
    w, b, vw, vb = 0.5, 0.25, 0.0, 0.0
    net, state = _net(w, b), None
    config = OptimizerConfig("momentum", learning_rate=lr, momentum=mu)
    for _ in range(2):
        delta = -(y - (w * x + b))
        vw, vb = mu * vw - lr * delta * x, mu * vb - lr * delta
        w, b = w + vw, b + vb
        net, state = apply_update(net, _grads(net, x, y), config, state)
    assert net.layers[0].weights[0, 0] == pytest.approx(w, abs=1e-14)
    assert net.layers[0].bias[0] == pytest.approx(b, abs=1e-14)


def test_adam_first_step_moves_each_parameter_by_about_lr():
    lr = 0.01
    config = OptimizerConfig("adam", learning_rate=lr)
    net, state = apply_update(_net(), _grads(_net()), config)
    # Step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g).
    g = -(1.0 - (0.5 * 2 + 0.25)) * 2
    expected = 0.5 - lr * g / (abs(g) + 1e-8)
    assert net.layers[0].weights[0, 0] == pytest.approx(expected, abs=1e-15)
    assert state.step == 1


def test_adam_three_steps_with_bias_correction():
    lr, b1, b2, eps, x, y = 0.01, 0.9, 0.999, 1e-8, 2.0, 1.0
    config = OptimizerConfig("adam", learning_rate=lr)
    params = {"w": 0.5, "b": 0.25}
    m = {"w": 0.0, "b": 0.0}
    v = {"w": 0.0, "b": 0.0}
    net, state = _net(params["w"], params["b"]), None
    for t in (1, 2, 3):
        delta = -(y - (params["w"] * x + params["b"]))
        grad = {"w": delta * x, "b": delta}
        for k in params:
            m[k] = b1 * m[k] + (1 - b1) * grad[k]
            v[k] = b2 * v[k] + (1 - b2) * grad[k] ** 2
            params[k] -= lr * (m[k] / (1 - b1**t)) / (math.sqrt(v[k] / (1 - b2**t)) + eps)
        net, state = apply_update(net, _grads(net, x, y), config, state)
    assert net.layers[0].weights[0, 0] == pytest.approx(params["w"], abs=1e-14)
    assert net.layers[0].bias[0] == pytest.approx(params["b"], abs=1e-14)


def test_update_leaves_the_old_network_untouched():
    net = _net()
    before = net.layers[0].weights.copy()
    apply_update(net, _grads(net), OptimizerConfig("sgd", learning_rate=1.0))
    np.testing.assert_array_equal(net.layers[0].weights, before)
    with pytest.raises(ValueError):
        net.layers[0].weights[0, 0] = 3.0  # read-only


def test_bad_settings_are_named():
    with pytest.raises(UnknownNameError, match="unknown optimizer 'rmsprop'"):
        OptimizerConfig("rmsprop")
    with pytest.raises(NNStudioError, match="learning_rate"):
        OptimizerConfig("sgd", learning_rate=float("nan"))
