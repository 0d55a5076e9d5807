"""Learning-rate schedules and stop rules, against hand-computed sequences."""

import math
import re

import numpy as np
import pytest

from nnstudio.core import OptimizerConfig, build_network
from nnstudio.core.errors import NNStudioError
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, drive, train
from nnstudio.training import loop as loop_module
from nnstudio.training.schedule import Schedule, StopRules, StopWatch, parse_schedule


def test_step_and_cosine_rates_are_the_hand_computed_sequence():
    step = parse_schedule("step:2:0.5")
    assert [step.rate(e, 5, 0.8) for e in range(1, 6)] == [0.8, 0.8, 0.4, 0.4, 0.2]
    cosine = parse_schedule("cosine")
    assert [cosine.rate(e, 4, 1.0) for e in range(1, 5)] == pytest.approx(
        [1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2], abs=1e-15)
    assert parse_schedule("constant").rate(7, 9, 0.3) == 0.3
    assert parse_schedule("step") == Schedule("step", 10, 0.5)


@pytest.mark.parametrize("text, message", [("warm", "unknown schedule 'warm'"), ("step:0:0.5", "every whole number ≥ 1"),
                                           ("step:2:1.5", "factor must be in (0, 1]"), ("step:2", "step:EVERY:FACTOR"),
                                           ("cosine:3", "takes no numbers")])
def test_bad_schedules_say_what_is_wrong(text, message):
    with pytest.raises(NNStudioError, match=re.escape(message)):
        parse_schedule(text)


def test_a_scheduled_run_trains_each_epoch_at_its_rate_like_the_textbook_loop():
    """Full-batch SGD (the order of samples cannot matter) with step decay, against plain numpy."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (6, 3))
    labels = rng.integers(0, 2, 6)
    data = Dataset("tiny", x, labels, ("a", "b"))
    network = build_network([3, 4, 2], ["tanh", "softmax"], "xavier", seed=1)
    config = TrainingConfig(epochs=4, batch_size=6, optimizer=OptimizerConfig("sgd", learning_rate=0.4),
                            dtype="float64", schedule=Schedule("step", 2, 0.25))
    result = drive(train(network, "cce", data, None, config))
    assert [e.learning_rate for e in result.epochs] == [0.4, 0.4, 0.1, 0.1]

    W1, b1 = np.array(network.layers[0].weights), np.array(network.layers[0].bias)
    W2, b2 = np.array(network.layers[1].weights), np.array(network.layers[1].bias)
    Y = np.eye(2)[labels]
    for lr in (0.4, 0.4, 0.1, 0.1):
        A1 = np.tanh(x @ W1.T + b1)
        Z2 = A1 @ W2.T + b2
        A2 = np.exp(Z2 - Z2.max(1, keepdims=True))
        A2 /= A2.sum(1, keepdims=True)
        D2 = (A2 - Y) / 6                      # mean over the batch, softmax + cross-entropy
        D1 = (D2 @ W2) * (1 - A1**2)           # with the old W2
        W2, b2 = W2 - lr * D2.T @ A1, b2 - lr * D2.sum(0)
        W1, b1 = W1 - lr * D1.T @ x, b1 - lr * D1.sum(0)
    trained = result.network.layers
    np.testing.assert_allclose(trained[0].weights, W1, atol=1e-12, rtol=0)
    np.testing.assert_allclose(trained[0].bias, b1, atol=1e-12, rtol=0)
    np.testing.assert_allclose(trained[1].weights, W2, atol=1e-12, rtol=0)
    np.testing.assert_allclose(trained[1].bias, b2, atol=1e-12, rtol=0)


def test_early_stopping_counts_epochs_without_a_better_test_loss():
    watch = StopWatch(StopRules(patience=2))
    reasons = [watch.after_epoch(e, loss, None) for e, loss in enumerate([1.0, 0.8, 0.85, 0.9, 0.7], start=1)]
    assert reasons[:3] == [None, None, None]
    assert reasons[3] == "the test loss has not improved for 2 epochs (best 0.8 at epoch 2)"
    target = StopWatch(StopRules(target_accuracy=0.9))
    assert [target.after_epoch(e, 1.0, a) for e, a in enumerate([0.5, 0.8], start=1)] == [None, None]
    assert target.after_epoch(3, 1.0, 0.95) == "reached the target test accuracy 90.00% at epoch 3 (95.00%)"


def _toy():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, (40, 2))
    labels = (x[:, 0] * x[:, 1] > 0).astype(int)
    return Dataset("train", x[:30], labels[:30], ("a", "b")), Dataset("test", x[30:], labels[30:], ("a", "b"))


def test_a_run_stops_on_the_rule_and_ends_on_the_best_epochs_parameters(monkeypatch):
    train_set, test_set = _toy()
    network = build_network([2, 6, 2], ["tanh", "softmax"], "xavier", seed=2)
    scripted = iter([(1.0, 0.5), (0.6, 0.6), (0.7, 0.6), (0.65, 0.6), (0.5, 0.7), (0.4, 0.8)])
    real = loop_module.evaluate_outputs

    def scripted_results(outputs, test, loss, activation):
        _, _, per_class, confusion = real(outputs, test, loss, activation)
        test_loss, accuracy = next(scripted)
        return test_loss, accuracy, per_class, confusion

    monkeypatch.setattr(loop_module, "evaluate_outputs", scripted_results)
    base = dict(batch_size=5, seed=3, dtype="float64", optimizer=OptimizerConfig("sgd", learning_rate=0.2))
    config = TrainingConfig(epochs=6, stop=StopRules(patience=2, restore_best=True), **base)
    result = drive(train(network, "cce", train_set, test_set, config))
    assert len(result.epochs) == 4 and result.best_epoch == 2
    assert result.stop_reason == "the test loss has not improved for 2 epochs (best 0.6 at epoch 2)"
    monkeypatch.setattr(loop_module, "evaluate_outputs", real)
    two_epochs = drive(train(network, "cce", train_set, test_set, TrainingConfig(epochs=2, **base))).network
    for mine, theirs in zip(result.network.layers, two_epochs.layers):
        np.testing.assert_array_equal(mine.weights, theirs.weights)  # the best epoch's parameters, bit for bit
        np.testing.assert_array_equal(mine.bias, theirs.bias)


def test_stop_rules_need_a_test_part():
    train_set, _ = _toy()
    network = build_network([2, 3, 2], ["tanh", "softmax"], "xavier", seed=2)
    with pytest.raises(NNStudioError, match="judge the test part"):
        drive(train(network, "cce", train_set, None, TrainingConfig(epochs=2, stop=StopRules(target_accuracy=0.9))))


def test_step_records_report_the_loss_since_the_last_record_not_since_the_epoch_began():
    """Every step reported (batches of 256: the loop reads the clock each step): the records of an epoch,
    weighted by their batches, average to the epoch's train loss — and they are not running means
    (a running mean restarts at each epoch and made the curve jump there)."""
    from nnstudio.training import StepProgress

    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, (1024, 3))
    labels = (x[:, 0] > 0).astype(int)
    data = Dataset("big", x, labels, ("a", "b"))
    network = build_network([3, 4, 2], ["tanh", "softmax"], "xavier", seed=1)
    config = TrainingConfig(epochs=2, batch_size=256, dtype="float64", report_seconds=0.0,
                            optimizer=OptimizerConfig("sgd", learning_rate=0.5))
    records: list = []
    result = drive(train(network, "cce", data, None, config), records.append)
    for epoch in (1, 2):
        steps = [r.loss for r in records if isinstance(r, StepProgress) and r.epoch == epoch]
        assert len(steps) == 4
        assert np.mean(steps) == pytest.approx(result.epochs[epoch - 1].train_loss, rel=1e-12)
        assert steps[-1] != pytest.approx(result.epochs[epoch - 1].train_loss, rel=1e-9)  # not a running mean


def test_each_epoch_says_how_many_samples_the_run_has_seen():
    train_set, test_set = _toy()
    network = build_network([2, 3, 2], ["tanh", "softmax"], "xavier", seed=2)
    result = drive(train(network, "cce", train_set, test_set, TrainingConfig(epochs=3, batch_size=7)))
    assert [e.samples_seen for e in result.epochs] == [30, 60, 90]  # 30 training samples an epoch
