"""The numbers of the worked examples, checked against calculations written out here.

Nothing in this file uses nnstudio to compute an expected value: the expected
numbers come from scalar formulas typed in the test, the way one would on paper.
"""

import math

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, OptimizerConfig, apply_update, backward, forward
from nnstudio.io import load_example

R2 = math.sqrt(2.0)


def relu(v):
    return v if v > 0 else 0.0


def test_cosine_memory_output_for_the_text_input():
    project = load_example("cosine-memory")
    x1, x2 = 5 / 6, 1 / 3
    # Hidden neurons: memory rows (1,0), (1/√2,1/√2), (0,1), each with bias −1/√2.
    h1 = relu(1 * x1 + 0 * x2 - 1 / R2)
    h2 = relu(x1 / R2 + x2 / R2 - 1 / R2)
    h3 = relu(0 * x1 + 1 * x2 - 1 / R2)
    expected = relu(0 * h1 + (2 + R2) / 2 * h2 + 0 * h3)
    trace = forward(project.network, project.input)
    assert trace.output[0] == pytest.approx(expected, abs=1e-9)
    assert round(trace.output[0], 3) == 0.201
    np.testing.assert_allclose(trace.layers[0].a, [h1, h2, h3], atol=1e-12)


def test_cosine_memory_structure_matches_the_text():
    net = load_example("cosine-memory").network
    assert net.sizes == [2, 3, 1]
    np.testing.assert_array_equal(net.layers[0].weights, [[1, 0], [1 / R2, 1 / R2], [0, 1]])
    np.testing.assert_array_equal(net.layers[0].bias, [-1 / R2] * 3)
    np.testing.assert_array_equal(net.layers[1].weights, [[0, (2 + R2) / 2, 0]])
    assert net.layers[1].bias is None
    assert net.layers[0].weight_text[(1, 0)] == "1/sqrt(2)"


@pytest.mark.parametrize(
    "x, target, expected",
    [((1, 0), 0.0, 0.0), ((1 / R2, 1 / R2), 0.5, 0.5), ((0, 2), 0.0, (2 + R2) / 2 * (2 / R2 - 1 / R2))],
)
def test_cosine_memory_on_its_samples_is_described_honestly(x, target, expected):
    project = load_example("cosine-memory")
    sample = [s for s in project.samples if tuple(s.input) == pytest.approx(x)][0]
    assert sample.target[0] == target
    out = forward(project.network, sample.input).output[0]
    assert out == pytest.approx(expected, abs=1e-12)


def test_the_description_states_each_samples_output():
    """The example's text must say what the network really gives, including where it fails."""
    text = load_example("cosine-memory").description
    far = (2 + R2) / 2 * (2 / R2 - 1 / R2)  # (0, 2) lands on memory 2 with m2·x = √2
    assert f"(0, 2) gives ≈ {far:.3f}" in text and "not its target 0" in text
    assert "(1, 0) gives 0" in text and "gives 0.5 (target ½)" in text


def sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def test_backprop_4_2_3_by_hand():
    """Forward values, δ, gradients and the SGD update, each computed with scalar arithmetic."""
    project = load_example("backprop-4-2-3")
    x = [1.0, 0.5, -1.0, 2.0]
    y = [1.0, 0.0, 0.0]
    W1 = [[0.1, 0.2, -0.1, 0.3], [0.3, -0.2, 0.2, 0.1]]
    b1 = [0.1, -0.1]
    W2 = [[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]]
    b2 = [0.1, -0.2, 0.0]
    lr = 0.5

    z1 = [sum(W1[j][i] * x[i] for i in range(4)) + b1[j] for j in range(2)]
    a1 = [relu(v) for v in z1]
    z2 = [sum(W2[k][j] * a1[j] for j in range(2)) + b2[k] for k in range(3)]
    a2 = [sigmoid(v) for v in z2]
    loss = 0.5 * sum((y[k] - a2[k]) ** 2 for k in range(3))
    d2 = [-(y[k] - a2[k]) * a2[k] * (1 - a2[k]) for k in range(3)]
    d1 = [sum(W2[k][j] * d2[k] for k in range(3)) * (1.0 if z1[j] > 0 else 0.0) for j in range(2)]
    gW2 = [[d2[k] * a1[j] for j in range(2)] for k in range(3)]
    gW1 = [[d1[j] * x[i] for i in range(4)] for j in range(2)]
    newW1 = [[W1[j][i] - lr * gW1[j][i] for i in range(4)] for j in range(2)]
    newW2 = [[W2[k][j] - lr * gW2[k][j] for j in range(2)] for k in range(3)]
    newb2 = [b2[k] - lr * d2[k] for k in range(3)]

    # Hand-checked anchors: z1 = (1.0, 0.1) and z2 = (0.56, 0.18, −0.58).
    assert z1 == pytest.approx([1.0, 0.1], abs=1e-15)
    assert z2 == pytest.approx([0.56, 0.18, -0.58], abs=1e-15)

    net = project.network
    np.testing.assert_array_equal(project.input, x)
    trace = forward(net, project.input)
    grads = backward(net, trace, project.target, project.loss)
    updated, _ = apply_update(net, grads, OptimizerConfig("sgd", learning_rate=lr))

    np.testing.assert_allclose(trace.layers[0].z, z1, atol=1e-9)
    np.testing.assert_allclose(trace.layers[0].a, a1, atol=1e-9)
    np.testing.assert_allclose(trace.layers[1].z, z2, atol=1e-9)
    np.testing.assert_allclose(trace.layers[1].a, a2, atol=1e-9)
    assert grads.loss == pytest.approx(loss, abs=1e-9)
    np.testing.assert_allclose(grads.layers[1].delta, d2, atol=1e-9)
    np.testing.assert_allclose(grads.layers[0].delta, d1, atol=1e-9)
    np.testing.assert_allclose(grads.layers[1].grad_weights, gW2, atol=1e-9)
    np.testing.assert_allclose(grads.layers[0].grad_weights, gW1, atol=1e-9)
    np.testing.assert_allclose(grads.layers[1].grad_bias, d2, atol=1e-9)
    np.testing.assert_allclose(grads.layers[0].grad_bias, d1, atol=1e-9)
    np.testing.assert_allclose(grads.layers[1].signal, [sum(W2[k][j] * d2[k] for k in range(3)) for j in range(2)],
                               atol=1e-9)
    np.testing.assert_allclose(updated.layers[0].weights, newW1, atol=1e-9)
    np.testing.assert_allclose(updated.layers[1].weights, newW2, atol=1e-9)
    np.testing.assert_allclose(updated.layers[1].bias, newb2, atol=1e-9)


def test_all_gradients_are_computed_before_any_parameter_changes():
    """δ1 must use the old W2: an update done layer by layer would use the new one."""
    w1, w2, x, y, lr = 0.7, -1.3, 0.9, 1.0, 0.5
    net = Network(1, (DenseLayer(np.array([[w1]]), None, "identity"), DenseLayer(np.array([[w2]]), None, "identity")))
    grads = backward(net, forward(net, [x]), [y], "mse")
    new, _ = apply_update(net, grads, OptimizerConfig("sgd", learning_rate=lr))
    out = w2 * w1 * x
    d2 = -(y - out)
    d1 = w2 * d2  # old w2
    assert new.layers[1].weights[0, 0] == pytest.approx(w2 - lr * d2 * (w1 * x), abs=1e-15)
    assert new.layers[0].weights[0, 0] == pytest.approx(w1 - lr * d1 * x, abs=1e-15)


def test_relu_derivative_at_zero_is_zero():
    net = Network(1, (DenseLayer(np.array([[1.0]]), np.array([0.0]), "relu"),))
    grads = backward(net, forward(net, [0.0]), [1.0], "mse")
    assert grads.layers[0].delta[0] == 0.0
