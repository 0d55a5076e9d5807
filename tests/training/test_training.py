"""The training loop: it learns, it equals the textbook loop, it stops, pauses and survives divergence."""

import threading

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, OptimizerConfig, build_network, forward
from nnstudio.data.dataset import Dataset
from nnstudio.data.toy import xor
from nnstudio.io import load_example
from nnstudio.training import EpochResult, StepProgress, TrainingConfig, TrainingControl, drive, train


def test_xor_example_reaches_100_percent_with_a_fixed_seed():
    project = load_example("xor")
    data = xor()
    config = TrainingConfig(epochs=300, batch_size=1, optimizer=OptimizerConfig("sgd", learning_rate=0.5), seed=0)
    result = drive(train(project.network, project.loss, data, data, config))
    assert result.epochs[-1].test_accuracy == 1.0
    outputs = forward(result.network, data.x.astype(float)).output[:, 0]
    assert np.all((outputs > 0.5) == (data.y == 1))


def test_linearly_separable_set_above_95_percent():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, (600, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0.3).astype(np.int64)
    data = Dataset("plane", x, y, ("below", "above"))
    train_set, test_set = data.subset(np.arange(450)), data.subset(np.arange(450, 600))
    network = build_network([3, 2], ["softmax"], "xavier", seed=0)
    config = TrainingConfig(epochs=30, batch_size=16, optimizer=OptimizerConfig("sgd", learning_rate=0.5))
    result = drive(train(network, "cce", train_set, test_set, config))
    assert result.epochs[-1].test_accuracy > 0.95


def test_batch_size_1_equals_a_hand_written_per_sample_sgd_loop():
    """The textbook loop, written with plain numpy here, against the fast trainer in float64."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (6, 3))
    labels = rng.integers(0, 2, 6)
    data = Dataset("tiny", x.astype(np.float32), labels, ("a", "b"))
    data = Dataset("tiny", x, labels, ("a", "b"))  # float64 inputs, exactly
    network = build_network([3, 4, 2], ["tanh", "softmax"], "xavier", seed=1)
    lr, epochs, seed = 0.3, 3, 7
    config = TrainingConfig(epochs=epochs, batch_size=1, optimizer=OptimizerConfig("sgd", learning_rate=lr),
                            seed=seed, dtype="float64")
    result = drive(train(network, "cce", data, None, config))

    W1, b1 = np.array(network.layers[0].weights), np.array(network.layers[0].bias)
    W2, b2 = np.array(network.layers[1].weights), np.array(network.layers[1].bias)
    order_rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for i in order_rng.permutation(6):
            a0, y = x[i], np.eye(2)[labels[i]]
            z1 = W1 @ a0 + b1
            a1 = np.tanh(z1)
            z2 = W2 @ a1 + b2
            a2 = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
            d2 = a2 - y                      # softmax + cross-entropy
            d1 = (W2.T @ d2) * (1 - a1**2)   # with the old W2
            W2, b2 = W2 - lr * np.outer(d2, a1), b2 - lr * d2
            W1, b1 = W1 - lr * np.outer(d1, a0), b1 - lr * d1
    trained = result.network
    np.testing.assert_allclose(trained.layers[0].weights, W1, atol=1e-12, rtol=0)
    np.testing.assert_allclose(trained.layers[0].bias, b1, atol=1e-12, rtol=0)
    np.testing.assert_allclose(trained.layers[1].weights, W2, atol=1e-12, rtol=0)
    np.testing.assert_allclose(trained.layers[1].bias, b2, atol=1e-12, rtol=0)


def _big_set(n=20000):
    rng = np.random.default_rng(0)
    return Dataset("big", rng.random((n, 20), dtype=np.float32), rng.integers(0, 3, n), ("a", "b", "c"))


def test_stop_ends_between_batches_and_keeps_a_usable_network():
    data = _big_set()
    control = TrainingControl()
    run = train(build_network([20, 8, 3], ["relu", "softmax"]), "cce", data, None,
                TrainingConfig(epochs=50, batch_size=1, report_seconds=0.0), control)
    progress = [next(run) for _ in range(3)]
    assert all(isinstance(p, StepProgress) for p in progress)
    control.stop()
    result = drive(run)
    assert result.stopped and result.error is None and result.epochs == []
    assert result.network.sizes == [20, 8, 3]


class WatchedControl(TrainingControl):
    """A TrainingControl that tells the test when the loop has reached its pause, and records whether
    each wait ended paused (held by nothing) or resumed."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self.still_paused_on_release: list[bool] = []

    def wait_while_paused(self, timeout: float | None = None) -> None:
        self.waiting.set()
        super().wait_while_paused(timeout)
        self.still_paused_on_release.append(self.paused)


def test_pause_holds_the_loop_and_resume_continues():
    data = _big_set(4000)
    control = WatchedControl()
    records = []

    def consume():
        try:
            records.extend(train(build_network([20, 8, 3], ["relu", "softmax"]), "cce", data, None,
                                 TrainingConfig(epochs=2, batch_size=8, report_seconds=0.0), control))
        finally:
            control.waiting.set()  # a loop that never pauses ends the wait below too (and fails the asserts)

    control.pause()
    worker = threading.Thread(target=consume)
    worker.start()
    # The event meant: the loop has reached its pause (the timeout only bounds that wait).
    assert control.waiting.wait(timeout=120), "the loop neither paused nor ended"
    assert records == [] and worker.is_alive()  # paused before the first batch
    control.resume()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert control.still_paused_on_release == [False]  # held once, and let go by resume() alone
    assert [r.epoch for r in records if isinstance(r, EpochResult)] == [1, 2]


def test_same_seed_same_run():
    data = _big_set(2000)
    config = TrainingConfig(epochs=2, batch_size=16, seed=11)
    a = drive(train(build_network([20, 8, 3], ["relu", "softmax"]), "cce", data, data, config))
    b = drive(train(build_network([20, 8, 3], ["relu", "softmax"]), "cce", data, data, config))
    assert a.network.same_as(b.network)
    assert a.epochs[-1].test_loss == b.epochs[-1].test_loss


def test_diverging_run_stops_with_the_epoch_and_step_and_finite_parameters():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 10, (500, 4)).astype(np.float32)
    data = Dataset("wild", x, (x.sum(1) * 100).astype(np.float32))
    network = Network(4, (DenseLayer(np.full((8, 4), 0.5), np.zeros(8), "identity"),
                          DenseLayer(np.full((1, 8), 0.5), np.zeros(1), "identity")))
    config = TrainingConfig(epochs=5, batch_size=4, optimizer=OptimizerConfig("sgd", learning_rate=10.0),
                            snapshot_every=1)
    result = drive(train(network, "mse", data, None, config))
    assert result.error is not None
    assert "epoch 1, step" in result.error and "learning rate" in result.error
    for layer in result.network.layers:
        assert np.all(np.isfinite(layer.weights)) and np.all(np.isfinite(layer.bias))


def test_epoch_results_hold_accuracy_per_class_and_confusion():
    data = _big_set(3000)
    result = drive(train(build_network([20, 8, 3], ["relu", "softmax"]), "cce", data, data,
                         TrainingConfig(epochs=1, batch_size=32)))
    epoch = result.epochs[0]
    assert epoch.confusion.sum() == 3000
    assert epoch.test_accuracy == pytest.approx(np.trace(epoch.confusion) / 3000)
    counts = epoch.confusion.sum(axis=1)
    np.testing.assert_allclose(epoch.per_class_accuracy, np.diag(epoch.confusion) / counts)


def test_network_and_data_must_fit():
    with pytest.raises(Exception, match="takes 5 inputs but big has 20"):
        drive(train(build_network([5, 3], ["softmax"]), "cce", _big_set(100), None, TrainingConfig()))
