"""Weight initialisers, all seeded: the same seed gives the same network.

Each takes the shape (neurons × inputs), a numpy Generator and its parameters,
and returns a float64 array. Xavier/Glorot keeps the variance of signals through
tanh/sigmoid layers; He does the same for ReLU (variance 2 / inputs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import NNStudioError, UnknownNameError
from nnstudio.core.limits import check_network_size
from nnstudio.core.network import Conv2DLayer, DenseLayer, Layer, Network, Pool2DLayer

Shape = tuple[int, int]


@dataclass(frozen=True)
class Initialiser:
    name: str
    label: str
    draw: Callable[[Shape, np.random.Generator, Mapping[str, float]], np.ndarray]
    defaults: Mapping[str, float] = field(default_factory=dict)


def _xavier(shape: Shape, rng: np.random.Generator, p: Mapping[str, float]) -> np.ndarray:
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def _he(shape: Shape, rng: np.random.Generator, p: Mapping[str, float]) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


_LIST = [
    Initialiser("zeros", "Zeros", lambda s, r, p: np.zeros(s)),
    Initialiser("constant", "Constant", lambda s, r, p: np.full(s, p["value"], dtype=float), {"value": 0.1}),
    Initialiser("uniform", "Uniform", lambda s, r, p: r.uniform(p["low"], p["high"], size=s), {"low": -0.5, "high": 0.5}),
    Initialiser("normal", "Normal", lambda s, r, p: r.normal(0.0, p["std"], size=s), {"std": 0.1}),
    Initialiser("xavier", "Xavier / Glorot (uniform)", _xavier),
    Initialiser("he", "He (normal)", _he),
]
INITIALISERS: dict[str, Initialiser] = {i.name: i for i in _LIST}
ALIASES = {"glorot": "xavier", "kaiming": "he"}


def get_initialiser(name: str) -> Initialiser:
    try:
        return INITIALISERS[ALIASES.get(name, name)]
    except KeyError:
        raise UnknownNameError("initialiser", str(name), sorted(INITIALISERS)) from None


def check_params(name: str, params: Mapping[str, float]) -> None:
    """Refuse parameters numpy would reject or turn into inf: std < 0, low > high, a span beyond float range."""
    values = {key: float(value) for key, value in params.items()}
    for key, value in values.items():
        if not math.isfinite(value):
            raise NNStudioError(f"{key} must be a finite number, got {value!r}")
    if name == "normal" and values["std"] < 0:
        raise NNStudioError(f"std must be ≥ 0, got {values['std']:g}")
    if name == "uniform":
        low, high = values["low"], values["high"]
        if low > high:
            raise NNStudioError(f"low ({low:g}) must not be above high ({high:g})")
        if not math.isfinite(high - low):
            raise NNStudioError(f"the range {low:g}…{high:g} is wider than a float can hold")


def initial_weights(
    shape: Shape, name: str = "xavier", rng: np.random.Generator | None = None, params: Mapping[str, float] | None = None
) -> np.ndarray:
    """A (neurons × inputs) array drawn by the initialiser `name`."""
    init = get_initialiser(name)
    merged = {**init.defaults, **(params or {})}
    check_params(init.name, merged)
    return np.asarray(init.draw(shape, rng if rng is not None else np.random.default_rng(0), merged), dtype=np.float64)


def initial_kernel(
    shape: tuple[int, int, int, int], name: str = "he", rng: np.random.Generator | None = None,
    params: Mapping[str, float] | None = None,
) -> np.ndarray:
    """A convolution's kernel array (K, C, k, k) drawn as PyTorch-style He and Xavier draw one: fan-in C·k²
    (what one output value sums), fan-out K·k². He: variance 2 / (C·k²); Xavier: uniform within
    ±√(6 / (C·k² + K·k²)); any other initialiser draws as for a (K × C·k²) weight matrix. Values come from
    `rng` in the array's (K, C, k, k) order, so the same generator state gives the same kernel."""
    channels_out, channels_in, k, _ = shape
    if get_initialiser(name).name != "xavier":
        return initial_weights((channels_out, channels_in * k * k), name, rng, params).reshape(shape)
    limit = math.sqrt(6.0 / (channels_in * k * k + channels_out * k * k))
    return (rng if rng is not None else np.random.default_rng(0)).uniform(-limit, limit, size=shape)


def build_network(
    sizes: list[int],
    activations: list[str],
    init: str = "xavier",
    seed: int = 0,
    bias: bool | Sequence[bool] = True,
    params: Mapping[str, float] | None = None,
) -> Network:
    """A network with the given layer sizes (input first), activations and seeded weights.

    Biases start at zero, as is usual; weights come from `init` (with `params`, such as
    the constant's value). `bias`: for every layer, or one flag per layer.
    """
    if len(activations) != len(sizes) - 1:
        raise ValueError(f"need one activation per layer after the input: {len(sizes) - 1}, got {len(activations)}")
    biases = [bias] * (len(sizes) - 1) if isinstance(bias, bool) else [bool(flag) for flag in bias]
    if len(biases) != len(sizes) - 1:
        raise ValueError(f"need one bias flag per layer: {len(sizes) - 1}, got {len(biases)}")
    check_network_size(list(sizes), biases)
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out, activation, has_bias in zip(sizes[:-1], sizes[1:], activations, biases):
        get_activation(activation)
        layers.append(DenseLayer(initial_weights((n_out, n_in), init, rng, params),
                                 np.zeros(n_out) if has_bias else None, activation))
    return Network(sizes[0], tuple(layers))


#: Activations that start best with He weights (variance 2 / inputs): ReLU and its kin, which pass about half
#: of their inputs. Every other activation (tanh, sigmoid, softmax, identity, softplus, sign, step) starts
#: with Xavier/Glorot, which keeps the variance of a signal through a layer that passes it all.
HE_ACTIVATIONS = frozenset({"relu", "leaky_relu", "elu", "gelu", "swish"})


def usual_init(activation: str) -> str:
    """The initialiser a layer of `activation` usually starts from: "he" for ReLU-like, else "xavier"."""
    return "he" if activation in HE_ACTIVATIONS else "xavier"


def reinitialise(network: Network, seed: int) -> Network:
    """`network` with fresh weights drawn from `seed` (one generator, layer by layer from the input), each
    layer by `usual_init` of its activation, biases zero where the layer has them; the shape, activations and
    precision are kept, typed text is dropped (it described the old values). Same network shape and seed,
    same weights bit for bit: a run's "fresh weights, seed N" can be made again from its record. A convolution's
    kernel is drawn by `initial_kernel` (fan-in C·k², as architecture_build draws one); a pooling layer holds no
    numbers, is kept as it is and draws nothing, so the layers after it draw what they would without it."""
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for layer in network.layers:
        if isinstance(layer, Pool2DLayer):
            layers.append(layer)
            continue
        if isinstance(layer, Conv2DLayer):
            kernel = initial_kernel(layer.kernel.shape, usual_init(layer.activation), rng).astype(network.dtype)
            layers.append(layer.with_parameters(kernel, None if layer.bias is None else np.zeros_like(layer.bias)))
            continue
        weights = initial_weights(layer.weights.shape, usual_init(layer.activation), rng).astype(network.dtype)
        bias = None if layer.bias is None else np.zeros_like(layer.bias)
        layers.append(layer.replace(weights=weights, bias=bias, weight_text={}, bias_text={}))
    return network.with_layers(layers)
