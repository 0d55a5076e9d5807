"""Every analytic gradient against a central finite difference, float64.

For each activation (in a hidden layer, and at the output with every loss it is
used with), single samples and batches: ∂L/∂W, ∂L/∂b and ∂L/∂x from `backward`
must agree with (L(θ + h) − L(θ − h)) / 2h to a relative error below 1e-6.
"""

import numpy as np
import pytest

from nnstudio.core import ACTIVATIONS, DenseLayer, Network, backward, forward, get_loss

H = 1e-6
FLAT = {"sign", "step"}  # derivative 0 everywhere it exists


def _loss_of(net, x, y, loss):
    trace = forward(net, x)
    last = net.layers[-1]
    return get_loss(loss).evaluate(trace.output, y, trace.layers[-1].z, last.activation)


def _perturbed(net, layer_index, which, flat_index, delta):
    layer = net.layers[layer_index]
    array = np.array(layer.weights if which == "W" else layer.bias)
    array.flat[flat_index] += delta
    new = layer.replace(weights=array) if which == "W" else layer.replace(bias=array)
    return net.with_layer(layer_index, new)


def _rel_error(analytic, numeric):
    scale = max(np.max(np.abs(analytic)), np.max(np.abs(numeric)))
    if scale < 1e-10:
        return 0.0
    return float(np.max(np.abs(analytic - numeric)) / scale)


def _check(net, x, y, loss):
    grads = backward(net, forward(net, x), y, loss)
    for index, layer in enumerate(net.layers):
        for which, analytic in (("W", grads.layers[index].grad_weights), ("b", grads.layers[index].grad_bias)):
            numeric = np.zeros_like(analytic)
            for k in range(analytic.size):
                plus = _loss_of(_perturbed(net, index, which, k, H), x, y, loss)
                minus = _loss_of(_perturbed(net, index, which, k, -H), x, y, loss)
                numeric.flat[k] = (plus - minus) / (2 * H)
            assert _rel_error(analytic, numeric) < 1e-6, (which, index, analytic, numeric)
    # ∂L/∂x is the signal the first layer sends back.
    x = np.asarray(x, dtype=float)
    numeric = np.zeros_like(x)
    for k in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[k] += H
        xm.flat[k] -= H
        numeric.flat[k] = (_loss_of(net, xp, y, loss) - _loss_of(net, xm, y, loss)) / (2 * H)
    assert _rel_error(grads.layers[0].signal, numeric) < 1e-6


def _net(hidden, output, n_out, seed):
    rng = np.random.default_rng(seed)
    return Network(
        3,
        (
            DenseLayer(rng.normal(0, 0.8, (4, 3)), rng.normal(0, 0.3, 4), hidden),
            DenseLayer(rng.normal(0, 0.8, (n_out, 4)), rng.normal(0, 0.3, n_out), output),
        ),
    )


def _safe_inputs(net, batch, seed):
    """Inputs whose pre-activations stay away from kinks (ReLU at 0, step at 0)."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        x = rng.normal(0, 1, (batch, 3)) if batch else rng.normal(0, 1, 3)
        trace = forward(net, x)
        if all(np.min(np.abs(t.z)) > 1e-3 for t in trace.layers):
            return x
    raise AssertionError("no input away from the kinks")


def _targets(loss, n_out, batch, seed):
    rng = np.random.default_rng(seed + 100)
    shape = (batch, n_out) if batch else (n_out,)
    if loss == "mse":
        return rng.normal(0, 1, shape)
    if loss == "bce":
        return rng.integers(0, 2, shape).astype(float)
    classes = rng.integers(0, n_out, batch if batch else ())
    if loss == "sparse_cce":
        return classes
    return np.eye(n_out)[classes]


# (output activation, loss) pairs: MSE with every activation; the cross-entropies with the
# activations that give probabilities, both fused and through the general chain rule.
OUTPUT_CASES = [(name, "mse") for name in ACTIVATIONS] + [
    ("sigmoid", "bce"),
    ("softmax", "bce"),
    ("softmax", "cce"),
    ("softmax", "sparse_cce"),
    ("sigmoid", "cce"),
]


@pytest.mark.parametrize("batch", [0, 5], ids=["single", "batch"])
@pytest.mark.parametrize("hidden", sorted(ACTIVATIONS))
def test_hidden_activation_gradients(hidden, batch):
    net = _net(hidden, "identity", 2, seed=1)
    x = _safe_inputs(net, batch, seed=2)
    _check(net, x, _targets("mse", 2, batch, 3), "mse")


@pytest.mark.parametrize("batch", [0, 5], ids=["single", "batch"])
@pytest.mark.parametrize("output, loss", OUTPUT_CASES)
def test_output_activation_with_loss_gradients(output, loss, batch):
    net = _net("tanh", output, 3, seed=4)
    x = _safe_inputs(net, batch, seed=5)
    _check(net, x, _targets(loss, 3, batch, 6), loss)


def test_flat_activations_pass_no_gradient():
    for name in FLAT:
        net = _net(name, "identity", 2, seed=7)
        grads = backward(net, forward(net, _safe_inputs(net, 0, 8)), [0.5, -0.5], "mse")
        assert np.all(grads.layers[0].grad_weights == 0.0)


def test_the_gradient_check_catches_a_broken_derivative_and_names_where(monkeypatch):
    """The check is only worth trusting if it disagrees when backprop is wrong: with ReLU's g′ doubled
    (the hidden layer of backprop-4-2-3), every ∂L/∂w of layer 1 is twice the finite difference, so the
    largest relative error is |d − 2d| / |2d| = 0.5 and the worst weight is in layer 1, not the intact layer 2."""
    import dataclasses

    from nnstudio.core.activations import ACTIVATIONS
    from nnstudio.core.gradcheck import check_gradients
    from nnstudio.io import load_example

    project = load_example("backprop-4-2-3")
    assert [layer.activation for layer in project.network.layers] == ["relu", "sigmoid"]
    relu = ACTIVATIONS["relu"]
    broken = dataclasses.replace(relu, derivative=lambda z, a, p: 2.0 * relu.derivative(z, a, p))
    monkeypatch.setitem(ACTIVATIONS, "relu", broken)
    result = check_gradients(project)
    assert result.max_relative_error == pytest.approx(0.5, rel=1e-6)
    assert result.worst.startswith("w") and " of layer 1 " in result.worst, result.worst
    assert result.checked == result.total == 14
