"""The fast engine's in-place rules against the core's: every optimiser × every activation, both ways, to 1e-12.

The optimisers and the activations' derivatives are written twice: in `nnstudio/core/` (new arrays on every
call, what Step through shows) and in `nnstudio/training/in_place_rules.py` (the engine's buffers, samples as
columns). Here a small network takes a few steps both ways on the same batches, in float64: FastMLP, and
core.backward + core.apply_update. The cases are drawn from the registries (`OPTIMIZERS`, `ACTIVATIONS`), so
an optimiser or activation added to the core is held to the engine at once.

Each activation sits once on the hidden layer (its derivative carries δ back) and once on the output layer
(its derivative meets ∂L/∂ŷ of the mean squared error, which takes every output). SGD runs with and without
L2: without, the engine folds the learning rate into δ and updates W in one BLAS call; with, it takes the
general update, as momentum and Adam do. Batch 1 goes through the vector path, batch 5 through the columns.

Tolerance: the two ways add the same products in a different order (BLAS against numpy), so they part in the
last bits of float64; weights and biases are of order 1, and the largest difference over all cases was 2.2e-16
when this was written. 1e-12 (absolute and relative) leaves room for rounding and nothing else: a rule written
differently on one side (a sign, a missing factor, β₁ for β₂) parts them by far more.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core import OptimizerConfig, apply_update, backward, forward
from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OPTIMIZERS
from nnstudio.training.engine import FastMLP

TOLERANCE = 1e-12
STEPS = 3


def test_the_registries_the_cases_come_from_are_not_empty():
    """An empty registry would make every test below pass by holding no case."""
    assert len(OPTIMIZERS) >= 3 and "adam" in OPTIMIZERS
    assert len(ACTIVATIONS) >= 10 and {"relu", "sigmoid", "tanh", "softmax", "identity"} <= set(ACTIVATIONS)


def _config(optimizer: str, l2: float) -> OptimizerConfig:
    return OptimizerConfig(optimizer, learning_rate=0.05, momentum=0.8, beta1=0.85, beta2=0.99, epsilon=1e-7, l2=l2)


def _network(activation: str, position: str, rng: np.random.Generator) -> Network:
    """4 inputs → 5 → 3, `activation` on the hidden or the output layer, random W and b, and parameters
    other than the defaults (leaky slope, ELU α), so the engine is seen to use the layer's own."""
    names = (activation, "sigmoid") if position == "hidden" else ("tanh", activation)
    layers = []
    for n_in, n_out, name in ((4, 5, names[0]), (5, 3, names[1])):
        params = {key: 0.3 + 0.1 * index for index, key in enumerate(ACTIVATIONS[name].defaults)}
        layers.append(DenseLayer(rng.normal(0, 0.7, (n_out, n_in)), rng.normal(0, 0.3, n_out), name, params))
    return Network(4, tuple(layers))


@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("position", ["hidden", "output"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("l2", [0.0, 0.01], ids=["no L2", "L2"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_engine_steps_equal_the_core_for_every_optimiser_and_activation(optimizer, l2, activation, position, batch):
    rng = np.random.default_rng(7)
    network = _network(activation, position, rng)
    config = _config(optimizer, l2)
    engine = FastMLP(network, "mse", config, "float64")
    reference, state = network, None
    for _ in range(STEPS):
        x = rng.normal(0, 1.2, (batch, 4)) if batch > 1 else rng.normal(0, 1.2, 4)
        y = rng.random((batch, 3)) if batch > 1 else rng.random(3)
        loss = engine.train_step(x, y)
        grads = backward(reference, forward(reference, x), y, "mse")
        assert loss == pytest.approx(grads.loss, rel=TOLERANCE, abs=TOLERANCE)
        reference, state = apply_update(reference, grads, config, state)
    trained = engine.to_network()
    for mine, theirs in zip(trained.layers, reference.layers, strict=True):
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=TOLERANCE, atol=TOLERANCE)
        np.testing.assert_allclose(mine.bias, theirs.bias, rtol=TOLERANCE, atol=TOLERANCE)
    # Not a comparison of two networks that stood still: they learn, unless no error can reach a weight
    # (an output that passes no gradient, sign or step) and no L2 shrinks them.
    moved = not all(np.array_equal(after.weights, before.weights)
                    for after, before in zip(trained.layers, network.layers))
    assert moved != (position == "output" and _passes_no_gradient(activation) and not l2)


def _passes_no_gradient(name: str) -> bool:
    """Whether ∂L/∂z is zero whatever ∂L/∂a is (g′ = 0 everywhere), by the core's own derivative."""
    z = np.linspace(-3, 3, 13)[None, :]
    grad_a = np.random.default_rng(1).normal(size=z.shape)  # not all ones: softmax's Σ a = 1 would cancel them
    activation = ACTIVATIONS[name]
    return not np.any(activation.backward(z, activation(z), grad_a))
