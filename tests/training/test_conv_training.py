"""Convolutional networks train through the core's exact path (issue 33, point 2: "Training may use this path
for now, and must give the same numbers"): training/core_engine.py. The loop now picks the fast path for maps
(training/conv_engine.py, issue 34), so the runs through `train` here hold that one to the core's steps too.

The wiring is checked against the core's own forward / backward / apply_update written out here, step by step
(1e-12, float64); the numbers against PyTorch autograd (1e-10, float64, skipped without torch); and a toy task
a convolution must learn (a bright left half against a bright right half) is learnt.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.network import Network
from nnstudio.core.optim import OptimizerConfig, OptimizerState, apply_update
from nnstudio.core.step_memory import StepMemoryError
from nnstudio.core.trace import backward, forward
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, drive, train
from nnstudio.training.child_process import ChildRun
from nnstudio.training.conv_engine import FastConv
from nnstudio.training.core_engine import CoreEngine, batch_step_bytes
from nnstudio.training.engine import FastMLP
from nnstudio.training.loop import make_engine

OPTIMISERS = [OptimizerConfig("sgd", learning_rate=0.1), OptimizerConfig("momentum", learning_rate=0.05),
              OptimizerConfig("adam", learning_rate=0.01), OptimizerConfig("sgd", learning_rate=0.1, l2=0.01)]
# (architecture, hidden, output, loss): max pooling, and average pooling after a stride-2 padded convolution
NETWORKS = [("1x6x6-c2k3p1-m2-3", "relu", "softmax", "cce"), ("1x6x6-c2k3p1-m2-3", "tanh", "identity", "mse"),
            ("2x8x8-c3k3s2p1-a2-4-3", "tanh", "softmax", "cce"), ("2x8x8-c3k3s2p1-a2-4-3", "relu", "identity", "mse")]


def _network(text: str, hidden: str, output: str, seed: int = 1) -> Network:
    return build_from_architecture(parse_architecture(text), hidden=hidden, output=output, init="xavier",
                                   seed=seed, dtype="float64")


def _batch(network: Network, loss: str, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (samples × C·H·W) and dense targets: one-hot rows for cross-entropy, numbers for MSE."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, network.input_size))
    if loss == "cce":
        return x, np.eye(network.output_size)[rng.integers(0, network.output_size, samples)]
    return x, rng.normal(size=(samples, network.output_size))


def _core_steps(network: Network, loss: str, config: OptimizerConfig,
                batches: list[tuple[np.ndarray, np.ndarray]]) -> Network:
    """The core's own steps, written out: every gradient first, then the update, the state carried along."""
    state: OptimizerState | None = None
    for x, y in batches:
        gradients = backward(network, forward(network, x), y, loss)
        network, state = apply_update(network, gradients, config, state)
    return network


def _largest_difference(a: Network, b: Network) -> float:
    worst = 0.0
    for left, right in zip(a.layers, b.layers):
        for p, q in zip(left.parameters(), right.parameters()):
            assert (p is None) == (q is None)
            if p is not None:
                assert p.shape == q.shape
                worst = max(worst, float(np.max(np.abs(p - q))))
    return worst


@pytest.mark.parametrize("text, hidden, output, loss", NETWORKS)
@pytest.mark.parametrize("config", OPTIMISERS, ids=lambda c: f"{c.name}-l2{c.l2}")
def test_the_engines_steps_are_the_cores_steps(text, hidden, output, loss, config):
    network = _network(text, hidden, output)
    batches = [_batch(network, loss, 4, seed) for seed in range(5)]
    engine = CoreEngine(network, loss, config, "float64", batch=4)
    losses = [engine.train_step(x, y) for x, y in batches]
    assert engine.step_count == 5 and all(np.isfinite(losses))
    expected = _core_steps(network, loss, config, batches)
    trained = engine.to_network()
    assert trained.input_shape == network.input_shape and trained.dtype == np.float64
    assert _largest_difference(trained, expected) <= 1e-12
    assert _largest_difference(trained, network) > 1e-3  # it did train


@pytest.mark.parametrize("text, hidden, output, loss", NETWORKS[:3])
@pytest.mark.parametrize("config", OPTIMISERS[:3], ids=lambda c: c.name)
def test_a_run_of_the_loop_is_the_cores_steps(text, hidden, output, loss, config):
    """Through `train`: one batch of all 6 samples an epoch, so 4 epochs are 4 of the core's steps whatever
    the shuffle (it changes only the order of a sum)."""
    network = _network(text, hidden, output)
    x, y = _batch(network, loss, 6, seed=7)
    classes = tuple(str(c) for c in range(network.output_size))
    data = Dataset("six", x, y.argmax(axis=1), classes) if loss == "cce" else Dataset("six", x, y)
    run_config = TrainingConfig(epochs=4, batch_size=6, optimizer=config, dtype="float64", seed=3)
    result = drive(train(network, loss, data, data, run_config))
    assert result.error is None and len(result.epochs) == 4
    assert _largest_difference(result.network, _core_steps(network, loss, config, [(x, y)] * 4)) <= 1e-12
    # the recorded train loss of epoch 1 is the core's loss at the start, on the same batch
    assert result.epochs[0].train_loss == pytest.approx(backward(network, forward(network, x), y, loss).loss,
                                                        rel=1e-12)


def test_three_sgd_steps_of_batch_4_equal_pytorch_autograd():
    torch = pytest.importorskip("torch")
    network = _network("1x6x6-c2k3p1-m2-3", "relu", "softmax")
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, size=(4, 36)).astype(np.float64)  # integers: max pooling meets ties
    labels = np.array([0, 2, 1, 2])
    data = Dataset("four", x, labels, ("a", "b", "c"))
    rate = 0.2
    config = TrainingConfig(epochs=3, batch_size=4, optimizer=OptimizerConfig("sgd", learning_rate=rate),
                            dtype="float64", seed=0)
    trained = drive(train(network, "cce", data, None, config)).network

    conv, dense = network.layers[0], network.layers[2]
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(18, 3)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(conv.kernel.copy()))
        model[0].bias.copy_(torch.from_numpy(conv.bias.copy()))
        model[4].weight.copy_(torch.from_numpy(dense.weights.copy()))
        model[4].bias.copy_(torch.from_numpy(dense.bias.copy()))
    optimiser = torch.optim.SGD(model.parameters(), lr=rate)
    inputs, targets = torch.from_numpy(x.reshape(4, 1, 6, 6)), torch.from_numpy(labels)
    for _ in range(3):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), targets).backward()  # the batch mean, as the core's
        optimiser.step()
    theirs = [model[0].weight, model[0].bias, model[4].weight, model[4].bias]
    mine = [trained.layers[0].kernel, trained.layers[0].bias, trained.layers[2].weights, trained.layers[2].bias]
    for ours, torchs in zip(mine, theirs):
        assert np.max(np.abs(ours - torchs.detach().numpy())) <= 1e-10
    assert np.max(np.abs(trained.layers[0].kernel - conv.kernel)) > 1e-3  # the steps moved the kernel


def test_a_dense_network_keeps_the_fast_engine_and_a_network_with_maps_takes_the_fast_conv_engine():
    """FastConv (issue 34) is held to CoreEngine and the core's steps by tests/training/test_conv_engine.py."""
    config = TrainingConfig(optimizer=OptimizerConfig("adam"))
    dense = build_from_architecture(parse_architecture("36-4-3"), seed=1)
    assert type(make_engine(dense, "cce", config, 8)) is FastMLP
    maps = _network("1x6x6-c2k3p1-m2-3", "relu", "softmax")
    engine = make_engine(maps, "cce", config, 8)
    assert type(engine) is FastConv
    assert engine.dtype == np.float32 and all(p.dtype == np.float32 for p in engine.arrays)  # the run's precision
    assert engine.to_network().dtype == np.float64  # given back in the network's own


def _halves(samples: int, seed: int) -> Dataset:
    """6×6 images: class 0 has its left half bright, class 1 its right half; dim noise everywhere."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, samples)
    images = rng.uniform(0.0, 0.3, size=(samples, 1, 6, 6))
    for image, label in zip(images, labels):
        image[0, :, :3] += 1.0 if label == 0 else 0.0
        image[0, :, 3:] += 1.0 if label == 1 else 0.0
    return Dataset("halves", images.reshape(samples, 36), labels, ("left", "right"), image=(6, 6))


def test_a_conv_run_learns_left_half_against_right_half():
    network = build_from_architecture(parse_architecture("1x6x6-c2k3p1-m2-2"), hidden="relu", output="softmax",
                                      init="he", seed=1)
    config = TrainingConfig(epochs=6, batch_size=4, optimizer=OptimizerConfig("sgd", learning_rate=0.1), seed=3)
    result = drive(train(network, "cce", _halves(40, 0), _halves(20, 1), config))
    losses = [epoch.train_loss for epoch in result.epochs]
    assert result.error is None and len(losses) == 6
    assert losses[-1] < losses[0] / 5 and all(b < a for a, b in zip(losses, losses[1:]))
    assert result.epochs[-1].test_accuracy == 1.0
    assert result.network.input_shape == (1, 6, 6)


def test_a_conv_run_over_the_step_budget_is_refused_by_name_before_its_data_is_laid_out():
    # 64 maps of 64×64 from one 5×5 kernel each: ~7 MB a sample in float32, so a batch of 256 passes 1 GiB
    network = build_from_architecture(parse_architecture("1x64x64-c64k5p2-2"), hidden="relu", output="softmax",
                                      seed=1)
    data = Dataset("noise", np.zeros((300, 64 * 64)), np.zeros(300, int), ("a", "b"))
    assert batch_step_bytes(network.astype("float32"), 256, "sgd") > 2**30
    run = train(network, "cce", data, None, TrainingConfig(epochs=1, batch_size=256))
    tracemalloc.start()
    try:
        with pytest.raises(StepMemoryError, match=r"a training step of batch 256 through 1×64×64 → 64×64×64 → 2 "
                                                  r"would need about .* choose a smaller batch size"):
            next(run)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # the network's float32 copy (2 MB), not the data (4 MB float32) or any batch
    CoreEngine(network, "cce", OptimizerConfig(), batch=8)  # a smaller batch fits


def test_the_batch_estimate_bounds_what_a_step_allocates():
    network = _network("3x16x16-c8k3p1-m2-c8k3-a2-10", "relu", "softmax")
    engine = CoreEngine(network, "cce", OptimizerConfig("adam"), "float64", batch=32)
    x, y = _batch(network, "cce", 32, seed=2)
    engine.train_step(x, y)  # the optimiser's moments made once, as they are counted
    tracemalloc.start()
    try:
        engine.train_step(x, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= batch_step_bytes(engine.network, 32, "adam")


def test_an_update_the_core_refuses_ends_the_run_with_its_message_on_the_last_finite_parameters():
    network = _network("1x6x6-c2k3p1-m2-3", "relu", "identity")
    x, y = _batch(network, "mse", 8, seed=4)
    y = y * 1e6  # gradients of about 1e6 at a learning rate of 1e306: the first update passes float64's 1.8e308
    config = TrainingConfig(epochs=2, batch_size=4, optimizer=OptimizerConfig("sgd", learning_rate=1e306),
                            dtype="float64")
    result = drive(train(network, "mse", Dataset("eight", x, y), None, config))
    assert result.error.startswith("training stopped at epoch 1, step 1: the update would make")
    assert "nothing was changed" in result.error and result.network.same_as(network)


def test_a_conv_run_in_the_child_process_equals_the_same_run_here():
    network = _network("1x6x6-c2k3p1-m2-2", "relu", "softmax")
    data, test = _halves(16, 0), _halves(8, 1)
    config = TrainingConfig(epochs=2, batch_size=4, optimizer=OptimizerConfig("momentum", learning_rate=0.05),
                            seed=2, dtype="float64")
    here = drive(train(network, "cce", data, test, config))
    child = ChildRun(network, "cce", data, test, config)
    try:
        while True:
            kind, payload = child.receive()
            if kind != "records":
                break
    finally:
        child.close(5)
    assert kind == "done", payload
    there, path = payload
    assert there.network.same_as(here.network) and there.network.input_shape == (1, 6, 6)
    assert [e.test_loss for e in there.epochs] == [e.test_loss for e in here.epochs]
    assert path[0].network.same_as(network)
