"""A step's working memory is counted from the layer sizes before anything is computed (core/step_memory.py),
and a step over STEP_MEMORY_BYTES is refused with the figure: the count against a hand count and against
what numpy really allocates, and the refusal of a plan whose kept passes would not fit."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

from nnstudio.core import stepper
from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import STEP_MEMORY_BYTES
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig, apply_update
from nnstudio.core.project import Project, Sample
from nnstudio.core.step_memory import (
    StepMemoryError,
    check_step_memory,
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
