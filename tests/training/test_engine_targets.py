"""The fast engine on every target its loss accepts, and refusing the rest before the first step.

Softmax + cross-entropy takes δ = ŷ − y only for one-hot rows (the fast path, read off ŷ); for soft,
multi-label and all-zero rows δ = ŷ·Σy − y. Both are held to core.backward + core.apply_update to 1e-12
(float64), as the engine's other tests hold it. What a loss refuses (docs/losses.md) is refused by name
before training starts, naming the dataset.
"""

import numpy as np
import pytest

from nnstudio.core import OptimizerConfig, apply_update, backward, build_network, forward
from nnstudio.core.errors import LossError
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, drive, train
from nnstudio.training.engine import FastMLP

ROWS = {
    "one-hot": np.eye(3)[[0, 2, 1, 1, 0]],
    "soft": np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.9, 0.1], [0.5, 0.5, 0.0]]),
    "all-zero": np.zeros((5, 3)),
    "multi-label": np.array([[1.0, 1.0, 0.0], [0.5, 1.0, 1.0], [0.0, 0.0, 1.0], [2.0, 0.0, 0.5], [0.0, 0.0, 0.0]]),
}


@pytest.mark.parametrize("told", [True, False], ids=["told", "seen per batch"])
@pytest.mark.parametrize("kind", sorted(ROWS))
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_cross_entropy_steps_equal_the_core_for_every_accepted_target(output, kind, told):
    rng = np.random.default_rng(4)
    network = build_network([4, 5, 3], ["tanh", output], "xavier", seed=2)
    config = OptimizerConfig("sgd", learning_rate=0.5)
    engine = FastMLP(network, "cce", config, "float64")
    y = ROWS[kind]
    if told:
        engine.expect_targets(y)
    reference = network
    for _ in range(3):
        x = rng.normal(0, 1, (5, 4))
        loss = engine.train_step(x, y)
        grads = backward(reference, forward(reference, x), y, "cce")
        assert loss == pytest.approx(grads.loss, rel=1e-12, abs=1e-15)
        reference, _ = apply_update(reference, grads, config)
    for mine, theirs in zip(engine.to_network().layers, reference.layers, strict=True):
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=0, atol=1e-12)
        np.testing.assert_allclose(mine.bias, theirs.bias, rtol=0, atol=1e-12)
    if kind == "all-zero":  # L = 0 for every z: nothing moves
        for mine, before in zip(engine.to_network().layers, network.layers):
            np.testing.assert_array_equal(mine.weights, before.weights)


def test_one_hot_classes_keep_the_fast_path():
    engine = FastMLP(build_network([4, 3], ["softmax"], "xavier", seed=1), "cce", OptimizerConfig(), "float64")
    engine.expect_targets(ROWS["one-hot"])
    assert engine.one_hot is True
    engine.expect_targets(ROWS["soft"])
    assert engine.one_hot is False


def _regression(y: np.ndarray, name: str = "measurements") -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset(name, rng.normal(0, 1, (len(y), 2)), y)


@pytest.mark.parametrize("loss, output, y, message", [
    ("bce", "sigmoid", [[0.5], [1.5], [0.0]], "measurements: target 1.5 for binary cross-entropy: each target must lie "
                                              "in [0, 1]"),
    ("cce", "softmax", [[0.5, 0.5], [-0.25, 1.0], [0.0, 1.0]], "measurements: target −0.25 for categorical "
                                                               "cross-entropy: a target may not be negative"),
    ("cce", "relu", [[0.5, 0.5], [0.0, 1.0], [0.0, 1.0]], "categorical cross-entropy after a relu output layer"),
])
def test_targets_or_outputs_the_loss_refuses_stop_training_before_it_starts(loss, output, y, message):
    y = np.array(y)
    network = build_network([2, y.shape[1]], [output], "xavier", seed=0)
    run = train(network, loss, _regression(y), None, TrainingConfig(epochs=1, batch_size=2))
    with pytest.raises(LossError) as refused:
        drive(run)
    assert str(refused.value).startswith(message)


def test_a_test_part_with_refused_targets_is_named_too():
    good, bad = _regression(np.array([[0.25], [1.0]])), _regression(np.array([[0.5], [-1.0]]), "held out")
    run = train(build_network([2, 1], ["sigmoid"], "xavier", seed=0), "bce", good, bad, TrainingConfig(epochs=1))
    with pytest.raises(LossError, match=r"^held out \(test part\): target −1 for binary cross-entropy"):
        drive(run)
