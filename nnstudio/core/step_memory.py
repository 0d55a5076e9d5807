"""What one step costs in memory, counted from the layer sizes alone, and the refusal of a larger one.

Why: a 289-byte file may declare 2048-2048-2048 (8.4 million weights drawn by an initialiser), and
stepping through its named samples keeps every sample's gradients and updated parameters so that
Back restores them exactly (core/stepper.py). Each such pass holds two copies of the parameters, so
a dozen samples ask for gigabytes. The figure is known before anything is computed, so a step over
STEP_MEMORY_BYTES is refused at once with the figure in words, never found out by swapping.

The count, in values of the network's precision (B samples stepped, P weights and biases, n_0 the
inputs, n_l the neurons of layer l):

    forward trace, per sample      n_0 + 2·Σ n_l                  (the input, z and a of every layer)
    gradients, per sample          P + Σ n_l + Σ n_(l−1)          (∂L/∂W and ∂L/∂b, δ, and Wᵀδ sent back)
    updated parameters, per sample P
    optimiser moments              0 (sgd), 2·P (momentum), 4·P (adam): the old and the new, while updating
    scratch                        3 (sgd, momentum) or 5 (adam) × the largest layer's weights and biases:
                                   the update's intermediates (α·g, m̂, v̂, √v̂ + ε, …)

An evaluation (no backward pass) holds the forward trace only. The count is an upper bound of what
numpy allocates for the arrays of a network large enough to matter (tests/core/test_step_memory.py
compares it with tracemalloc's peak), not of Python's own objects, which only a tiny network notices.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import STEP_MEMORY_BYTES, count_parameters, describe_bytes
from nnstudio.core.network import Network

#: Copies of the parameters the optimiser's moments take while an update runs (old and new).
_MOMENT_COPIES = {"sgd": 0, "momentum": 2, "adam": 4}
#: Intermediates of the update, in units of the largest layer's parameters (measured: sgd and momentum hold
#: at most 2 at once, adam 4 in float32; one more for the backward pass's products).
_SCRATCH_LAYERS = {"sgd": 3, "momentum": 3, "adam": 5}


class StepMemoryError(NNStudioError):
    """A step (or an evaluation) whose working memory would pass STEP_MEMORY_BYTES."""


def step_values(sizes: list[int], biases: list[bool], samples: int = 1, optimizer: str = "sgd",
                backward: bool = True) -> int:
    """Values of working memory for `samples` forward passes (and, with `backward`, their gradients and
    updates by `optimizer`) of a dense network of these sizes (input first); see the module docstring."""
    inputs, neurons = sizes[0], sum(sizes[1:])
    trace = inputs + 2 * neurons
    if not backward:
        return samples * trace
    parameters = count_parameters(sizes, biases)
    gradients = parameters + neurons + sum(sizes[:-1])
    largest = max((a * b + (b if bias else 0) for a, b, bias in zip(sizes[:-1], sizes[1:], biases)), default=0)
    moments = _MOMENT_COPIES.get(optimizer, max(_MOMENT_COPIES.values())) * parameters
    scratch = _SCRATCH_LAYERS.get(optimizer, max(_SCRATCH_LAYERS.values())) * largest
    return samples * (trace + gradients + parameters) + moments + scratch


def step_memory_bytes(network: Network, samples: int = 1, optimizer: str = "sgd", backward: bool = True) -> int:
    """Bytes of working memory `step_values` counts for `network`, in its own precision."""
    biases = [layer.has_bias for layer in network.layers]
    return step_values(network.sizes, biases, samples, optimizer, backward) * np.dtype(network.dtype).itemsize


def check_step_memory(network: Network, samples: int = 1, optimizer: str = "sgd", backward: bool = True,
                      what: str = "one step") -> int:
    """The working memory of the step (as `step_memory_bytes`), refused with StepMemoryError naming the figure
    and the limit when it passes STEP_MEMORY_BYTES; `what` says which step ("stepping through 12 samples")."""
    needed = step_memory_bytes(network, samples, optimizer, backward)
    if needed > STEP_MEMORY_BYTES:
        sizes = "-".join(map(str, network.sizes))
        hint = "; step through fewer samples" if samples > 1 else ""
        raise StepMemoryError(f"{what} of {sizes} would need about {describe_bytes(needed)} of working memory; "
                              f"a step may use at most {describe_bytes(STEP_MEMORY_BYTES)}{hint}")
    return needed


def samples_within_budget(network: Network) -> int:
    """How many samples one forward pass of `network` may take at once within STEP_MEMORY_BYTES (≥ 1 only
    when a single sample fits): what a batched evaluation reads its data in."""
    return STEP_MEMORY_BYTES // max(1, step_memory_bytes(network, 1, backward=False))
