"""The fast engine for networks with maps (training/conv_engine.py) takes the core's steps (issue 34, point 1).

Each case builds a small random network of convolution, pooling and dense layers, takes a few mini-batch steps
with FastConv and the same steps with the core's own forward, backward and apply_update (the exact reference,
core/conv.py, core/trace.py, core/optim.py), and holds every kernel, weight and bias equal: to 1e-12 in float64,
to 1e-5 (relative to the parameter's scale) in float32, where both sides compute in float32. The cases cover every
elementwise activation, strides 1–3, paddings 0–2 and "same", several channels, max and average pooling with
and without overlapping windows (and with rows no window reaches), networks ending in maps and in dense layers,
every loss of the core, and SGD, momentum, Adam and L2. Integer inputs make max pooling meet ties, which both
must break alike (the first maximum in scan order). A whole run of `train` (several epochs of mini-batches, the
last batch smaller) is held to the same run with the core's engine (CoreEngine) in its place.

Why the tolerances hold: the two sides add the same products in another order (BLAS against numpy's tensordot,
the bias inside the product here), so they part in the last bits: by < 1e-14 in float64 and < 1e-6 in float32
when this was written.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.network import Conv2DLayer, DenseLayer, Network, Pool2DLayer
from nnstudio.core.optim import OptimizerConfig, OptimizerState, apply_update
from nnstudio.core.step_memory import StepMemoryError
from nnstudio.core.trace import backward, forward
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, drive, train
from nnstudio.training import loop
from nnstudio.training.conv_engine import FastConv
from nnstudio.training.conv_layers import training_bytes
from nnstudio.training.core_engine import CoreEngine
from nnstudio.training.loop import make_engine

ELEMENTWISE = sorted(name for name, rule in ACTIVATIONS.items() if rule.elementwise)
OPTIMISERS = {"sgd": OptimizerConfig("sgd", learning_rate=0.1),
              "momentum": OptimizerConfig("momentum", learning_rate=0.05, momentum=0.8),
              "adam": OptimizerConfig("adam", learning_rate=0.01, beta1=0.85, beta2=0.99, epsilon=1e-7),
              "l2": OptimizerConfig("sgd", learning_rate=0.1, l2=0.01),
              "adam-l2": OptimizerConfig("adam", learning_rate=0.01, l2=0.02)}
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def _params(name: str) -> dict[str, float]:
    """Parameters other than the defaults (leaky slope, ELU α), so the engine is seen to use the layer's own."""
    return {key: 0.3 + 0.1 * index for index, key in enumerate(ACTIVATIONS[name].defaults)}


def _conv(rng: np.random.Generator, shape: tuple[int, int, int], channels: int, k: int, stride: int = 1,
          pad: int = 0, activation: str = "relu", bias: bool = True) -> Conv2DLayer:
    scale = 1.0 / np.sqrt(shape[0] * k * k)
    return Conv2DLayer(rng.normal(0, scale, (channels, shape[0], k, k)),
                       rng.normal(0, 0.2, channels) if bias else None, shape, stride, pad, activation,
                       _params(activation))


def _dense(rng: np.random.Generator, n_in: int, n_out: int, activation: str, bias: bool = True) -> DenseLayer:
    return DenseLayer(rng.normal(0, 1.0 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0, 0.2, n_out) if bias else None,
                      activation, _params(activation))


def _chain(rng: np.random.Generator, shape: tuple[int, int, int], plan: list[tuple]) -> Network:
    """A network from a plan: ("c", channels, k, stride, pad, activation[, bias]), ("m" or "a", size, stride),
    ("d", neurons, activation[, bias]); each layer reads what the one before gives."""
    layers: list = []
    current = shape
    for item in plan:
        if item[0] == "c":
            layer = _conv(rng, current, *item[1:])
            current = layer.out_shape
        elif item[0] in "ma":
            layer = Pool2DLayer("max" if item[0] == "m" else "avg", current, item[1], item[2])
            current = layer.out_shape
        else:
            n_in = layers[-1].n_out if layers else int(np.prod(shape))
            layer = _dense(rng, n_in, *item[1:])
        layers.append(layer)
    return Network(int(np.prod(shape)), tuple(layers), shape)


def _targets(rng: np.random.Generator, loss: str, samples: int, outputs: int) -> np.ndarray:
    """One-hot rows for the cross-entropies (soft rows for cce-soft), values in [0, 1] for bce, numbers for mse."""
    if loss in ("cce", "sparse_cce"):
        return np.eye(outputs)[rng.integers(0, outputs, samples)]
    if loss == "cce-soft":
        return rng.dirichlet(np.ones(outputs), samples) * rng.uniform(0.5, 1.5, (samples, 1))
    if loss == "bce":
        return rng.uniform(0, 1, (samples, outputs))
    return rng.normal(size=(samples, outputs))


def _core_steps(network: Network, loss: str, config: OptimizerConfig,
                batches: list[tuple[np.ndarray, np.ndarray]]) -> tuple[Network, list[float]]:
    """The core's own steps, written out: every gradient first, then the update, the state carried along."""
    state: OptimizerState | None = None
    losses = []
    for x, y in batches:
        gradients = backward(network, forward(network, x), y, loss)
        losses.append(gradients.loss)
        network, state = apply_update(network, gradients, config, state)
    return network, losses


def _assert_same_parameters(mine: Network, theirs: Network, tolerance: float) -> None:
    for number, (left, right) in enumerate(zip(mine.layers, theirs.layers, strict=True), start=1):
        for p, q in zip(left.parameters(), right.parameters()):
            assert (p is None) == (q is None)
            if p is not None:
                scale = max(1.0, float(np.max(np.abs(q))))
                np.testing.assert_allclose(p, q, rtol=tolerance, atol=tolerance * scale, err_msg=f"layer {number}")


def _compare(network: Network, loss: str, config: OptimizerConfig, dtype: str, inputs: list[np.ndarray],
             seed: int) -> FastConv:
    """Steps of FastConv on `inputs` (one batch each) against the core's, in `dtype`; returns the engine."""
    rng = np.random.default_rng(seed)
    rule = "cce" if loss == "cce-soft" else loss
    batches = [(x, _targets(rng, loss, len(x), network.output_size)) for x in inputs]
    reference = network.astype(dtype)
    engine = FastConv(network, rule, config, dtype, batch=max(len(x) for x in inputs))
    mine = [engine.train_step(x.astype(dtype), y.astype(dtype)) for x, y in batches]
    expected, theirs = _core_steps(reference, rule, config, [(x.astype(dtype), y.astype(dtype)) for x, y in batches])
    np.testing.assert_allclose(mine, theirs, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
    trained = engine.to_network(np.dtype(dtype))
    _assert_same_parameters(trained, expected, TOLERANCE[dtype])
    assert engine.step_count == len(inputs) and trained.input_shape == network.input_shape
    return engine


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ELEMENTWISE)
def test_steps_equal_the_cores_for_every_activation(activation, dtype):
    """The activation on both convolutions (its g′ carries δ back through maps, and into the columns), strides
    and paddings varied with it, max pooling between, a dense layer out."""
    number = ELEMENTWISE.index(activation)
    rng = np.random.default_rng(100 + number)
    stride, pad = 1 + number % 3, number % 3
    network = _chain(rng, (2, 9, 9), [("c", 3, 3, stride, pad, activation), ("c", 2, 2, 1, 1, activation),
                                      ("m", 2, None), ("d", 3, "identity")])
    inputs = [rng.normal(0, 1.5, (5, network.input_size)) for _ in range(3)]
    engine = _compare(network, "mse", OPTIMISERS[("sgd", "adam", "momentum", "l2")[number % 4]], dtype, inputs,
                      seed=number)
    assert engine.dtype == np.dtype(dtype)


# (name, input shape, plan, loss, optimiser): each a shape of network the engine must lay out right
STRUCTURES = [
    ("lenet-like", (1, 12, 12), [("c", 4, 5, 1, 2, "relu"), ("m", 2, None), ("c", 6, 3, 1, 0, "relu"), ("m", 2, None),
                                 ("d", 8, "relu"), ("d", 4, "softmax")], "cce", "adam"),
    ("stride 3, pad 2", (3, 11, 11), [("c", 4, 3, 3, 2, "tanh"), ("d", 3, "sigmoid")], "bce", "momentum"),
    ("'same' and no biases", (2, 7, 7), [("c", 3, 5, 1, 2, "elu", False), ("a", 2, None), ("d", 3, "softmax", False)],
     "cce-soft", "sgd"),
    ("overlapping max pool", (2, 9, 9), [("c", 3, 3, 1, 1, "relu"), ("m", 3, 1), ("d", 4, "sigmoid")], "cce", "l2"),
    ("overlapping avg pool", (1, 10, 10), [("c", 2, 3, 1, 0, "swish"), ("a", 3, 2), ("d", 3, "identity")], "mse",
     "adam"),
    ("pool with leftover rows", (2, 11, 11), [("c", 3, 2, 1, 0, "relu"), ("m", 3, None), ("d", 3, "softmax")],
     "sparse_cce", "momentum"),
    ("ends in maps", (2, 8, 8), [("c", 3, 3, 2, 1, "leaky_relu"), ("c", 2, 3, 1, 1, "relu")], "mse", "adam-l2"),
    ("ends in pooling", (1, 9, 9), [("c", 2, 2, 1, 0, "sigmoid"), ("m", 2, 1)], "mse", "sgd"),
    ("pooling first", (3, 8, 8), [("m", 2, None), ("c", 4, 3, 1, 1, "relu"), ("a", 2, 2), ("d", 5, "gelu"),
                                  ("d", 3, "softmax")], "cce", "sgd"),
    ("two pools", (2, 12, 12), [("c", 3, 3, 1, 1, "softplus"), ("m", 2, None), ("a", 2, 1), ("d", 2, "sigmoid")],
     "cce", "adam"),
    ("strided unpadded second convolution", (2, 11, 11), [("c", 3, 3, 1, 1, "tanh"), ("c", 4, 3, 2, 0, "relu", False),
                                                          ("m", 2, None), ("d", 3, "softmax")], "cce", "momentum"),
    ("a wide stride", (4, 13, 13), [("c", 5, 4, 3, 0, "relu"), ("m", 2, 2), ("d", 6, "tanh"), ("d", 2, "identity")],
     "mse", "l2"),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, shape, plan, loss, optimiser", STRUCTURES, ids=[case[0] for case in STRUCTURES])
def test_steps_equal_the_cores_for_every_shape_of_network(name, shape, plan, loss, optimiser, dtype):
    rng = np.random.default_rng(len(name))
    network = _chain(rng, shape, plan)
    sizes = (6, 6, 3)  # the last batch smaller, as an epoch's last batch often is
    inputs = [rng.normal(0, 1.0, (size, network.input_size)) for size in sizes]
    _compare(network, loss, OPTIMISERS[optimiser], dtype, inputs, seed=len(name))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("pool", [("m", 2, None), ("m", 3, 1), ("m", 2, 1)],
                         ids=["2x2", "3x3 stride 1", "2x2 stride 1"])
def test_max_pooling_ties_go_to_the_first_maximum_as_in_the_core(pool, dtype):
    """Small integers in the inputs and in the kernel make every z a whole number, exact on both sides, and many
    windows hold their maximum twice or more; the first in scan order must take δ on both sides. The kernel's
    gradient tells which pixel took it (tied pixels read different patches), so a step that chose another
    pixel parts the two. One step: after it the weights are no longer whole numbers."""
    rng = np.random.default_rng(7)
    network = _chain(rng, (2, 7, 7), [("c", 3, 2, 1, 0, "relu"), pool, ("d", 3, "softmax")])
    conv = network.layers[0]
    network = network.with_layer(0, conv.replace(kernel=rng.integers(-1, 2, conv.kernel.shape).astype(float),
                                                 bias=rng.integers(0, 2, 3).astype(float)))
    x = rng.integers(-2, 3, (8, network.input_size)).astype(float)
    maps = forward(network, x).layers[0].a.reshape(8, 3, 6, 6)
    size, stride = pool[1], pool[2] or pool[1]
    tied = sum(int(np.sum(window == window.max()) > 1 and window.max() > 0)
               for window in (maps[:, :, i:i + size, j:j + size].reshape(24, -1)
                              for i in range(0, 6 - size + 1, stride) for j in range(0, 6 - size + 1, stride))
               for window in window)
    assert tied >= 20  # ties of a positive maximum, which decide where δ goes
    _compare(network, "cce", OPTIMISERS["sgd"], dtype, [x], seed=3)


def _learn_set(network: Network, samples: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, network.input_size))
    labels = rng.integers(0, network.output_size, samples)
    return Dataset("noise", x, labels, tuple(str(c) for c in range(network.output_size)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimiser", ["sgd", "momentum", "adam-l2"])
def test_a_run_of_the_loop_equals_the_same_run_through_the_core(monkeypatch, optimiser, dtype):
    """Three epochs of mini-batches of 4 over 10 samples (the last batch of each epoch holds 2), shuffled: the
    loop with FastConv and the loop with CoreEngine (the core's steps) end on the same parameters, and record
    the same train and test losses."""
    rng = np.random.default_rng(11)
    network = _chain(rng, (1, 8, 8), [("c", 3, 3, 1, 1, "relu"), ("m", 2, None), ("c", 4, 3, 1, 0, "tanh"),
                                      ("d", 5, "relu"), ("d", 3, "softmax")])
    data, test = _learn_set(network, 10, 1), _learn_set(network, 6, 2)
    config = TrainingConfig(epochs=3, batch_size=4, optimizer=OPTIMISERS[optimiser], dtype=dtype, seed=5)
    fast = drive(train(network, "cce", data, test, config))
    monkeypatch.setattr(loop, "make_engine", lambda net, loss, run, batch, responsive=False:
                        CoreEngine(net, loss, run.optimizer, run.dtype, batch=batch))
    core = drive(train(network, "cce", data, test, config))
    assert fast.error is None and core.error is None and len(fast.epochs) == 3
    _assert_same_parameters(fast.network, core.network, TOLERANCE[dtype])
    for mine, theirs in zip(fast.epochs, core.epochs):
        assert mine.train_loss == pytest.approx(theirs.train_loss, rel=TOLERANCE[dtype])
        assert mine.test_loss == pytest.approx(theirs.test_loss, rel=TOLERANCE[dtype])
    assert fast.network.dtype == np.float64  # given back in the network's own precision


def test_predict_gives_the_cores_outputs_in_chunks():
    rng = np.random.default_rng(4)
    network = _chain(rng, (2, 8, 8), [("c", 3, 3, 1, 1, "relu"), ("m", 2, None), ("d", 4, "softmax")])
    engine = FastConv(network, "cce", OPTIMISERS["sgd"], "float64")
    x = rng.normal(size=(600, network.input_size))  # three chunks, the last one short
    np.testing.assert_allclose(engine.predict(x), forward(network, x).output, rtol=1e-12, atol=1e-14)
    assert engine.predict(x[:0]).shape == (0, 4)


def test_the_loop_picks_the_fast_engine_for_maps_and_its_buffers_are_counted_and_made_once():
    """The first step lays out every buffer (within `training_bytes`, the count the engine refuses a batch by);
    later steps, the last short one of an epoch included, allocate nothing the size of a batch's maps."""
    rng = np.random.default_rng(2)
    network = _chain(rng, (1, 12, 12), [("c", 4, 5, 1, 2, "relu"), ("m", 2, None), ("c", 6, 3, 1, 0, "relu"),
                                        ("d", 10, "softmax")])
    engine = make_engine(network, "cce", TrainingConfig(optimizer=OPTIMISERS["adam"]), 16)
    assert type(engine) is FastConv and engine.dtype == np.float32
    x = np.asfortranarray(rng.normal(size=(16, network.input_size)).astype(np.float32).T)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 16)].T
    peaks = []
    for columns in (x, x, x[:, :5]):
        tracemalloc.start()
        try:
            engine.train_columns(columns, np.ascontiguousarray(y[:, :columns.shape[1]]))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[0] <= training_bytes(network.layers, network.input_size, 16, np.dtype(np.float32), 2) + 64 * 1024
    assert max(peaks[1:]) < 64 * 1024  # a few small temporaries (the loss's), nothing the size of a batch's maps


def test_a_batch_whose_buffers_pass_the_budget_is_refused_by_name_before_any_is_made():
    """The engine keeps every convolution's columns at once, where the core lays out one at a time: a batch the
    core's count lets through can still be too large for these buffers, and is refused as the core refuses."""
    network = build_from_architecture(parse_architecture("3x32x32-c32k3p1-c32k3p1-m2-c64k3p1-m2-10"),
                                      hidden="relu", output="softmax", seed=1)
    CoreEngine(network, "cce", OPTIMISERS["adam"], batch=280)  # within the core's count
    tracemalloc.start()
    try:
        with pytest.raises(StepMemoryError, match=r"a training step of batch 280 through 3×32×32 → 32×32×32 → .* "
                                                  r"would need about .* \(its buffers, laid out once for speed\); "
                                                  r".*choose a smaller batch size"):
            FastConv(network, "cce", OPTIMISERS["adam"], batch=280)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # the network's copies, not a batch's buffers (over 1 GiB)
    FastConv(network, "cce", OPTIMISERS["adam"], batch=64)  # a smaller batch fits
