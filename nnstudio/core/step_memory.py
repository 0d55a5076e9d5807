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

A network with convolution or pooling (maps) is counted from its layers' shapes the same way, n_l being a
layer's C·H·W values, with two additions. A max pooling keeps its argmax (one int64 per pooled value, which
takes the place of its a: z and a are one array there). And each sample's pass allocates the work of its
largest convolution or pooling (conv.py): for a convolution C·k²·Ho·Wo for the windows laid out as a matrix
(im2col) in the forward pass, and again for the parts sent back in the backward pass, one at a time;
2·C·(H + 2p)·(W + 2p) for the padded input and its gradient; 3·K·Ho·Wo for the output's and δ's rearranged
copies; K·C·k² for the kernel as a matrix. A pooling lays out its windows too (C·size²·Ho·Wo, and max
pooling's index arrays). That work is counted for every sample, in an evaluation too: a batch of B samples
lays out B samples' windows at once.

An evaluation (no backward pass) holds the forward trace only (with maps, and the work of one pass). The
count is an upper bound of what numpy allocates for the arrays of a network large enough to matter
(tests/core/test_step_memory.py compares it with tracemalloc's peak), not of Python's own objects, which
only a tiny network notices.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import STEP_MEMORY_BYTES, count_parameters, describe_bytes
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape

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
    """Bytes of working memory `step_values` (or, with maps, `spatial_step_values`) counts for `network`, in
    its own precision."""
    if network.is_spatial:
        return spatial_step_values(network, samples, optimizer, backward) * np.dtype(network.dtype).itemsize
    biases = [layer.has_bias for layer in network.layers]
    return step_values(network.sizes, biases, samples, optimizer, backward) * np.dtype(network.dtype).itemsize


def conv_work_values(layer: Conv2DLayer) -> int:
    """Values one sample's pass through the convolution `layer` allocates beyond its trace and gradients: the
    im2col matrix C·k²·Ho·Wo, the padded input and its gradient 2·C·(H + 2p)·(W + 2p), the output's and δ's
    rearranged copies 3·K·Ho·Wo and the kernel as a matrix K·C·k² (see the module docstring)."""
    channels, height, width = layer.in_shape
    out_channels, out_height, out_width = layer.out_shape
    windows = out_height * out_width
    padded = channels * (height + 2 * layer.pad) * (width + 2 * layer.pad)
    return (channels * layer.k * layer.k * windows + 2 * padded + 3 * out_channels * windows
            + int(layer.kernel.size))


def pool_work_values(layer: Pool2DLayer, argmax_values: int) -> int:
    """Values one sample's pass through the pooling `layer` allocates beyond its trace and gradients: its
    windows laid out C·size²·Ho·Wo, and for max pooling the four int64 index arrays that find the argmax
    (`argmax_values` values each per pooled value), for average pooling the sum and the mean (2 per value)."""
    windows = layer.in_shape[0] * layer.size * layer.size * layer.out_shape[1] * layer.out_shape[2]
    return windows + layer.n_out * (4 * argmax_values if layer.kind == "max" else 2)


def spatial_step_values(network: Network, samples: int = 1, optimizer: str = "sgd", backward: bool = True) -> int:
    """Values of working memory for `samples` passes of a network with maps: the dense count of the module
    docstring over its layers' C·H·W values, plus max pooling's argmax and the work of its largest
    convolution or pooling."""
    sizes, layers = network.sizes, network.layers
    argmax_values = 8 // np.dtype(network.dtype).itemsize  # an int64 index in values of the network's precision
    trace = sizes[0] + sum(
        layer.n_out * (1 + argmax_values) if isinstance(layer, Pool2DLayer) and layer.kind == "max"
        else 2 * layer.n_out for layer in layers)
    work = max(conv_work_values(layer) if isinstance(layer, Conv2DLayer)
               else pool_work_values(layer, argmax_values) if isinstance(layer, Pool2DLayer) else 0
               for layer in layers)
    if not backward:
        return samples * (trace + work)
    parameters = network.parameter_count
    gradients = parameters + sum(sizes[1:]) + sum(sizes[:-1])
    largest = max(layer.parameter_count for layer in layers)
    moments = _MOMENT_COPIES.get(optimizer, max(_MOMENT_COPIES.values())) * parameters
    scratch = _SCRATCH_LAYERS.get(optimizer, max(_SCRATCH_LAYERS.values())) * largest
    return samples * (trace + work + gradients + parameters) + moments + scratch


def describe_network(network: Network) -> str:
    """How a refusal names the network: its sizes "784-128-10", or with maps its shapes
    "1×28×28 → 6×28×28 → 6×14×14 → … → 10"."""
    if not network.is_spatial:
        return "-".join(map(str, network.sizes))
    shapes = [show_shape(network.input_shape or (network.input_size,))]
    shapes += [str(layer.n_out) if isinstance(layer, DenseLayer) else show_shape(layer.out_shape)
               for layer in network.layers]
    return " → ".join(shapes)


def check_step_memory(network: Network, samples: int = 1, optimizer: str = "sgd", backward: bool = True,
                      what: str = "one step") -> int:
    """The working memory of the step (as `step_memory_bytes`), refused with StepMemoryError naming the figure
    and the limit when it passes STEP_MEMORY_BYTES; `what` says which step ("stepping through 12 samples")."""
    needed = step_memory_bytes(network, samples, optimizer, backward)
    if needed > STEP_MEMORY_BYTES:
        sizes = describe_network(network)
        hint = "; step through fewer samples" if samples > 1 else ""
        raise StepMemoryError(f"{what} of {sizes} would need about {describe_bytes(needed)} of working memory; "
                              f"a step may use at most {describe_bytes(STEP_MEMORY_BYTES)}{hint}")
    return needed


def samples_within_budget(network: Network) -> int:
    """How many samples one forward pass of `network` may take at once within STEP_MEMORY_BYTES (≥ 1 only
    when a single sample fits): what a batched evaluation reads its data in."""
    return STEP_MEMORY_BYTES // max(1, step_memory_bytes(network, 1, backward=False))
