"""A step's working memory is counted from the layer sizes before anything is computed (core/step_memory.py),
and a step over STEP_MEMORY_BYTES is refused with the figure: the count against a hand count and against
what numpy really allocates, and the refusal of a plan whose kept passes would not fit; for networks with maps
too (the maps, the argmax and the largest convolution's im2col work)."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

from nnstudio.core import stepper
from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.errors import NNStudioError, ShapeError
from nnstudio.core.limits import STEP_MEMORY_BYTES
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig, apply_update
from nnstudio.core.project import Project, Sample
from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.core.step_memory import (
    StepMemoryError,
    check_step_memory,
    samples_within_budget,
    step_memory_bytes,
)
from nnstudio.core.stepper import StepPlan
from nnstudio.core.trace import backward, forward


def _network(sizes: list[int], dtype=np.float64, bias: bool = True, seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    layers = tuple(DenseLayer(rng.normal(size=(b, a)).astype(dtype), np.zeros(b, dtype) if bias else None, "sigmoid")
                   for a, b in itertools.pairwise(sizes))
    return Network(sizes[0], layers)


def test_the_count_for_a_2_3_1_network_is_the_hand_count():
    # By hand, 2-3-1 with biases: P = 2·3 + 3 + 3·1 + 1 = 13 parameters; the largest layer holds 9.
    # One sample: trace 2 + 2·(3 + 1) = 10; gradients P + δ (3 + 1) + Wᵀδ (2 + 3) = 22; updated P = 13: 45 values.
    network = _network([2, 3, 1])
    assert step_memory_bytes(network, 1, "sgd") == (45 + 3 * 9) * 8 == 576          # + 3 layers of scratch
    assert step_memory_bytes(network, 1, "momentum") == (45 + 2 * 13 + 3 * 9) * 8 == 784  # + v, old and new
    assert step_memory_bytes(network, 1, "adam") == (45 + 4 * 13 + 5 * 9) * 8 == 1136  # + m and v, old and new
    assert step_memory_bytes(network, 3, "sgd") == (3 * 45 + 3 * 9) * 8 == 1296       # every pass is kept
    assert step_memory_bytes(network, 1, backward=False) == 10 * 8 == 80               # evaluation: the trace
    assert step_memory_bytes(network.astype(np.float32), 1, "sgd") == 576 // 2         # 4 bytes a value


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_count_bounds_what_numpy_allocates_for_a_step(optimizer, dtype):
    network = _network([64, 512, 300, 10], dtype)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=64), rng.uniform(size=10)
    tracemalloc.start()
    try:
        trace = forward(network, x)
        grads = backward(network, trace, y, "mse")
        apply_update(network, grads, OptimizerConfig(name=optimizer))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = step_memory_bytes(network, 1, optimizer)
    assert peak <= estimate < 2 * peak  # an upper bound, and not a wild one


def _wide_project(samples: int) -> Project:
    """2048-2048-2048 without biases: the largest network the parameter budget allows (8,388,608 weights),
    as a 289-byte file declares it; zeros, so building it costs nothing."""
    layers = tuple(DenseLayer(np.zeros((2048, 2048)), None, "relu") for _ in range(2))
    network = Network(2048, layers)
    named = tuple(Sample(f"s{k}", np.zeros(2048), np.zeros(2048)) for k in range(samples))
    return Project(network=network, samples=named)


def test_stepping_through_samples_that_would_not_fit_is_refused_before_anything_is_computed(monkeypatch):
    calls = []
    monkeypatch.setattr(stepper, "forward", lambda *args: calls.append(args))
    # Per sample (by hand): trace 2048 + 2·4096 = 10,240; gradients 8,388,608 + 4,096 + 4,096; updated 8,388,608:
    # 16,795,648 values. Eight samples and 3 × 4,194,304 of scratch: 146,948,096 values, 1,175,584,768 bytes.
    with pytest.raises(StepMemoryError) as refused:
        StepPlan(_wide_project(8), use_samples=True)
    assert str(refused.value) == ("stepping through 8 samples of 2048-2048-2048 would need about 1.1 GiB of working "
                                  "memory; a step may use at most 1 GiB; step through fewer samples")
    assert calls == []  # refused before the first forward pass
    assert step_memory_bytes(_wide_project(8).network, 8) == 1_175_584_768 > STEP_MEMORY_BYTES


def test_one_step_of_the_largest_network_fits_and_says_what_it_needs():
    network = _wide_project(0).network
    # 16,795,648 values for the pass and 12,582,912 of scratch: 235,028,480 bytes, about 224 MiB.
    assert check_step_memory(network, 1, "sgd") == 235_028_480
    assert isinstance(StepMemoryError("x"), NNStudioError)  # the CLI's exit 2, the window's message box


def _conv_network(text: str, output: str = "sigmoid", dtype: str = "float64") -> Network:
    return build_from_architecture(parse_architecture(text), output=output, dtype=dtype, seed=1)


def test_the_count_for_a_small_convolutional_network_is_the_hand_count():
    # 1x4x4-c2k3p1-m2-3 by hand: 16 inputs; conv 2×4×4 = 32 values, 2·1·9 + 2 = 20 parameters; max pooling
    # 2×2×2 = 8; dense 3 with 8·3 + 3 = 27 parameters: P = 47, the largest layer 27.
    # Trace 16 + 2·32 + 8·(1 + 1: the pooled value and its int64 argmax) + 2·3 = 102.
    # The convolution's work: im2col 1·9·(4·4) = 144, padded input and its gradient 2·(1·6·6) = 72, the output's
    # and δ's copies 3·32 = 96, the kernel as a matrix 18: 330 (the pooling's, 2·4·(2·2) + 4·8 = 64, is less).
    # Gradients P + δ (32 + 8 + 3) + signal (16 + 32 + 8) = 146; updated parameters 47.
    network = _conv_network("1x4x4-c2k3p1-m2-3")
    per_sample = 102 + 330 + 146 + 47
    assert step_memory_bytes(network, 1, "sgd") == (per_sample + 3 * 27) * 8 == 5648
    assert step_memory_bytes(network, 1, "adam") == (per_sample + 4 * 47 + 5 * 27) * 8 == 7584
    assert step_memory_bytes(network, 2, "sgd") == (2 * per_sample + 3 * 27) * 8
    assert step_memory_bytes(network, 1, backward=False) == (102 + 330) * 8 == 3456  # evaluation: trace and work
    # float32: the argmax takes two 4-byte values a pooled value: trace 16 + 64 + 8·3 + 6 = 110
    assert step_memory_bytes(_conv_network("1x4x4-c2k3p1-m2-3", dtype="float32"), 1, "sgd") == \
        (110 + 330 + 146 + 47 + 3 * 27) * 4 == 2856


@pytest.mark.parametrize("text, output", [("1x28x28-c6k5p2-m2-c16k5-m2-120-84-10", "softmax"),
                                          ("3x32x32-c16k3p1-a2-c32k3s2-10", "sigmoid"),
                                          ("2x40x40-c8k7p3", "relu"), ("1x30x30-c4k3-m3s1", "identity")])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_the_count_bounds_what_numpy_allocates_for_a_convolutional_step_and_evaluation(text, output, optimizer):
    network = _conv_network(text, output)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=network.input_size), rng.uniform(size=network.output_size)
    tracemalloc.start()
    try:
        trace = forward(network, x)
        apply_update(network, backward(network, trace, y, "mse"), OptimizerConfig(name=optimizer))
        _, step_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tracemalloc.start()
    try:
        forward(network, rng.normal(size=(16, network.input_size)))  # a batched evaluation lays out 16 samples
        _, evaluation_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert step_peak <= step_memory_bytes(network, 1, optimizer) < 2 * step_peak
    assert evaluation_peak <= step_memory_bytes(network, 16, backward=False) < 3 * evaluation_peak


def test_a_convolution_too_large_to_step_is_refused_before_anything_is_computed_naming_its_shapes(monkeypatch):
    # 8×132×132 maps through 8 kernels of 31×31 with "same" padding 15: within the parameter and activation budgets
    # (61,512 parameters; 3 × 139,392 values a sample) and, just, the window budget (8·31²·132² = 133,955,712 of
    # 134,217,728 values), but not a step's. By hand: trace 3·139,392 = 418,176; work 133,955,712 + 2·(8·162²)
    # + 3·139,392 + 61,504 = 134,855,296; gradients 61,512 + 2·139,392 = 340,296; updated 61,512; scratch
    # 3·61,512 = 184,536: 135,859,816 values, 1,086,878,528 bytes.
    layer = Conv2DLayer(np.zeros((8, 8, 31, 31)), np.zeros(8), (8, 132, 132), 1, 15, "relu")
    network = Network(8 * 132 * 132, (layer,), (8, 132, 132))
    assert step_memory_bytes(network, 1, "sgd") == 135_859_816 * 8 == 1_086_878_528
    with pytest.raises(StepMemoryError, match=r"^one step of 8×132×132 → 8×132×132 would need about 1\.0 GiB of "
                                              r"working memory; a step may use at most 1 GiB$"):
        check_step_memory(network, 1, "sgd")
    calls = []
    monkeypatch.setattr(stepper, "forward", lambda *args: calls.append(args))
    project = Project(network=network, samples=(Sample("s", np.zeros(network.input_size), np.zeros(139_392)),))
    with pytest.raises(StepMemoryError, match="8×132×132 → 8×132×132"):
        StepPlan(project, use_samples=True)
    assert calls == []
    assert samples_within_budget(network) == 0  # not even one sample's evaluation fits


def test_a_convolution_whose_windows_alone_pass_a_steps_budget_cannot_be_built():
    """8×256×256 through 8 kernels of 31×31, "same": its windows are 8·31²·256² = 503,840,768 values a sample, more
    than a whole step may use, so no pass of it could run: the layer itself is refused, naming the figures."""
    with pytest.raises(ShapeError, match=r"^its 256×256 windows of 8×31×31 are 503,840,768 values a sample; a layer "
                                         r"may lay out at most 134,217,728$"):
        Conv2DLayer(np.zeros((8, 8, 31, 31)), np.zeros(8), (8, 256, 256), 1, 15, "relu")
