"""A Network built from the one-line notation (core/architecture.py): `1x28x28-c6k5p2-m2-c16k5-m2-120-84-10`.

Why its own module: architecture.py reads shapes and allocates nothing; this draws the numbers. It is the
notation's counterpart of `init.build_network`, and for a notation of dense layers only (`784-128-10`) it *is*
`build_network`, so `nnstudio new 784-128-10` gives the same weights, bit for bit, whichever way it was asked.

How a network is drawn, and why:
- one generator, `numpy.random.default_rng(seed)`, drawing layer by layer from the input (as build_network):
  the same notation, initialiser and seed give the same network;
- a convolution's kernel (K, C, k, k) is drawn by `init.initial_kernel`: fan-in C·k², fan-out K·k², as
  PyTorch-style He and Xavier count a convolution's fans; a dense layer's weights as build_network draws them;
- biases start at zero, one per output channel of a convolution, one per neuron of a dense layer;
- `hidden` is the activation of every convolution and every hidden dense layer, `output` the last layer's.
  Pooling has no activation and no bias. Softmax is only for a flat output, so a network that ends in maps
  (a convolution or pooling) is refused with softmax, and one that ends in pooling takes "identity" only;
- `no_bias` numbers layers from 1 and counts pooling layers, as `nnstudio new --no-bias` does; a pooling
  layer's number is refused by name (it has no bias to drop);
- the parameter and activation budgets are checked from the numbers before anything is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.architecture import Architecture, ConvSpec, DenseSpec, PoolSpec, architecture_text
from nnstudio.core.blueprint import BlueprintError
from nnstudio.core.errors import NNStudioError
from nnstudio.core.init import build_network, get_initialiser, initial_kernel, initial_weights
from nnstudio.core.limits import check_spatial_network_size
from nnstudio.core.network import FLOAT_TYPES, DenseLayer, Layer, Network
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape


def _layer_name(spec: object) -> str:
    return ("convolution" if isinstance(spec, ConvSpec) else "pooling" if isinstance(spec, PoolSpec)
            else "dense layer")


def bias_choices(arch: Architecture, no_bias: Set[int] = frozenset()) -> list[bool]:
    """One bias choice per layer (pooling's False: it has none) from the 1-based layer numbers in `no_bias`,
    pooling layers counted. Refused with BlueprintError: a number outside 1…layers, or a pooling layer's."""
    count = len(arch.layers)
    for number in sorted(no_bias, key=repr):
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or not 1 <= number <= count:
            raise BlueprintError(f"no bias takes layer numbers from 1 to {count} (pooling layers count), "
                                 f"got {number!r}")
        spec = arch.layers[int(number) - 1]
        if isinstance(spec, PoolSpec):
            raise BlueprintError(f"layer {number} is a pooling layer ({spec.text()}), which has no bias to drop")
    return [not isinstance(spec, PoolSpec) and index not in no_bias
            for index, spec in enumerate(arch.layers, start=1)]


def describe_shapes(arch: Architecture) -> str:
    """The shapes from input to output as messages show them: "1×28×28 → 6×28×28 → … → 10"."""
    head = show_shape(arch.input_shape) if arch.input_shape is not None else str(arch.input_size)
    return " → ".join([head] + [str(spec.size) if isinstance(spec, DenseSpec) else show_shape(spec.out_shape)
                                for spec in arch.layers])


def check_architecture_size(arch: Architecture, biases: Sequence[bool]) -> None:
    """The budget of the network `arch` says with these biases (limits.check_spatial_network_size: layers,
    parameters, values a sample), from the numbers alone, before any weight is drawn: what `nnstudio new`, the
    New Network dialog and the window's layer edits all check."""
    check_spatial_network_size(len(arch.layers), arch.parameter_count(biases), sum(arch.sizes), describe_shapes(arch))


def _activations(arch: Architecture, hidden: str, output: str) -> list[str]:
    """One activation per layer ("identity" for pooling), refused by layer where it cannot go."""
    last = arch.layers[-1]
    if not isinstance(last, DenseSpec):
        if get_activation(output).name == "softmax":
            raise BlueprintError(f"softmax is only for a flat output, and {architecture_text(arch)} ends in maps "
                                 f"({_layer_name(last)}, {show_shape(last.out_shape)}); end with a dense layer "
                                 f"or choose another output activation")
        if isinstance(last, PoolSpec) and get_activation(output).name != "identity":
            raise BlueprintError(f"the last layer is pooling ({last.text()}), which has no activation; "
                                 f"choose the output activation identity, or end with a dense layer")
    chosen = []
    for number, spec in enumerate(arch.layers, start=1):
        name = "identity" if isinstance(spec, PoolSpec) else output if number == len(arch.layers) else hidden
        activation = get_activation(name)
        if isinstance(spec, ConvSpec) and not activation.elementwise:
            raise BlueprintError(f"layer {number} (convolution {spec.text()}): {activation.name} is only for a "
                                 f"flat output; a convolution takes an elementwise activation")
        chosen.append(activation.name)
    return chosen


def build_from_architecture(
    arch: Architecture,
    hidden: str = "relu",
    output: str = "softmax",
    init: str = "he",
    seed: int = 0,
    no_bias: Set[int] = frozenset(),
    dtype: str = "float64",
    params: Mapping[str, float] | None = None,
) -> Network:
    """The network `arch` says, drawn from `seed` (see the module docstring). Raises BlueprintError naming what
    cannot be built: an activation, a bias choice, the budget, the precision (float64 or float32)."""
    if dtype not in FLOAT_TYPES:
        raise BlueprintError(f"precision must be one of {', '.join(FLOAT_TYPES)}, got {dtype!r}")
    try:
        activations = _activations(arch, hidden, output)
        get_initialiser(init)
    except NNStudioError as error:
        raise error if isinstance(error, BlueprintError) else BlueprintError(str(error)) from None
    biases = bias_choices(arch, no_bias)
    try:
        if not arch.spatial:  # plain sizes: exactly what Blueprint and build_network draw
            return build_network(list(arch.sizes), activations, init, seed, biases, params).astype(dtype)
        check_architecture_size(arch, biases)
        rng = np.random.default_rng(seed)
        layers: list[Layer] = []
        for n_in, spec, activation, bias in zip(arch.sizes, arch.layers, activations, biases):
            if isinstance(spec, ConvSpec):
                shape = (spec.channels, spec.in_shape[0], spec.kernel, spec.kernel)
                layers.append(Conv2DLayer(initial_kernel(shape, init, rng, params).astype(dtype),
                                          np.zeros(spec.channels, dtype) if bias else None, spec.in_shape,
                                          spec.stride, spec.pad, activation))
            elif isinstance(spec, PoolSpec):
                layers.append(Pool2DLayer(spec.kind, spec.in_shape, spec.size, spec.stride))
            else:
                layers.append(DenseLayer(initial_weights((spec.size, n_in), init, rng, params).astype(dtype),
                                         np.zeros(spec.size, dtype) if bias else None, activation))
        return Network(arch.input_size, tuple(layers), arch.input_shape)
    except NNStudioError as error:
        raise error if isinstance(error, BlueprintError) else BlueprintError(str(error)) from None


def architecture_of(network: Network) -> Architecture:
    """What the notation says of a built network: its input and each layer's kind and shapes, the weights left
    out. The inverse of `build_from_architecture` in shape, so `architecture_text(architecture_of(net))` is the
    line `nnstudio new` takes to build its like, and `describe_shapes` names its maps as messages do."""
    specs: list[ConvSpec | PoolSpec | DenseSpec] = []
    for layer in network.layers:
        if isinstance(layer, Conv2DLayer):
            specs.append(ConvSpec(layer.channels, layer.k, layer.stride, layer.pad, layer.in_shape, layer.out_shape))
        elif isinstance(layer, Pool2DLayer):
            specs.append(PoolSpec(layer.kind, layer.size, layer.stride, layer.in_shape, layer.out_shape))
        else:
            specs.append(DenseSpec(layer.n_out))
    return Architecture(network.input_shape, network.input_size, tuple(specs))
