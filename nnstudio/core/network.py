"""The structure of a network: its layers in order, dense, convolutional or pooling (core/spatial_layers.py).

A `DenseLayer` holds W of shape (neurons × inputs), one row per neuron, an
optional bias b of shape (neurons,), the name of its activation and that
activation's parameters. It may also keep the text a person typed for any weight
or bias (`1/sqrt(2)`), so the studio can show what was typed, not 0.7071….

Layers and networks are immutable values: their arrays are read-only and every
change returns a new object. That is what makes undo exact (a command keeps the
old value and puts it back) and lets a worker thread train on a copy safely.

A network whose first layer reads maps says its input shape (C, H, W); the input's C·H·W values are read in
(C, H, W) order, as a dense layer after a spatial one reads that layer's maps (layer_checks.py: what may
follow what).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Iterable, Mapping

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import ShapeError
from nnstudio.core.layer_checks import check_chain, check_input_shape, check_size, frozen
from nnstudio.core.limits import MAX_ACTIVATIONS, MAX_SIZE  # noqa: F401  (io and ui read MAX_SIZE from here)
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer

FLOAT_TYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}


@dataclass(frozen=True, eq=False)
class DenseLayer:
    """z = W·a_prev + b, a = g(z). W is (n_out × n_in); b is (n_out,) or None."""

    symbol: ClassVar[str] = "W"  # how messages name this layer's main parameter: W2 is layer 2's weights

    weights: np.ndarray
    bias: np.ndarray | None
    activation: str = "identity"
    params: Mapping[str, float] = field(default_factory=dict)
    weight_text: Mapping[tuple[int, int], str] = field(default_factory=dict)
    bias_text: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights)
        if w.ndim != 2 or not np.issubdtype(w.dtype, np.floating):
            raise ShapeError(f"weights must be a 2-D float array (neurons × inputs), got shape {w.shape}")
        check_size("number of neurons", int(w.shape[0]))
        # Inputs: a dense layer after convolution reads every value of its maps (16×5×5 = 400 in LeNet, 50,176
        # for a 3×224×224 picture); the Network refuses more than MAX_SIZE where they are neurons (layer_checks).
        check_size("number of inputs", int(w.shape[1]), MAX_ACTIVATIONS)
        object.__setattr__(self, "weights", frozen(w))
        if self.bias is not None:
            b = np.asarray(self.bias, dtype=w.dtype)
            if b.shape != (w.shape[0],):
                raise ShapeError(f"bias must have shape ({w.shape[0]},), got {b.shape}")
            object.__setattr__(self, "bias", frozen(b))
        activation = get_activation(self.activation)
        object.__setattr__(self, "activation", activation.name)
        params = activation.params(self.params)
        activation.check_fits(params, w.dtype)  # ELU α = 1e308 in float32 would give −inf: refused here
        object.__setattr__(self, "params", params)
        for (i, j) in self.weight_text:
            if not (0 <= i < w.shape[0] and 0 <= j < w.shape[1]):
                raise ShapeError(f"typed text for weight ({i}, {j}) lies outside W of shape {w.shape}")
        for i in self.bias_text:
            if self.bias is None or not 0 <= i < w.shape[0]:
                raise ShapeError(f"typed text for bias {i} has no bias to belong to")
        object.__setattr__(self, "weight_text", dict(self.weight_text))
        object.__setattr__(self, "bias_text", dict(self.bias_text))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickled (to and from the training process) as its constructor's arguments, so an unpickled layer
        is checked and frozen like any other (pickle's default would bring back writable arrays)."""
        return (DenseLayer, (self.weights, self.bias, self.activation, dict(self.params), dict(self.weight_text),
                             dict(self.bias_text)))

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[1])

    @property
    def has_bias(self) -> bool:
        return self.bias is not None

    @property
    def dtype(self) -> np.dtype:
        return self.weights.dtype

    @property
    def parameter_count(self) -> int:
        return int(self.weights.size) + (0 if self.bias is None else int(self.bias.size))

    def parameters(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(W, b): what the optimiser updates, as every layer kind offers it (spatial_layers.py)."""
        return self.weights, self.bias

    def with_parameters(self, main: np.ndarray, bias: np.ndarray | None) -> "DenseLayer":
        """A copy holding new W and b. Typed text no longer describes a new value, so it is dropped."""
        return self.replace(weights=main, bias=bias, weight_text={}, bias_text={})

    def replace(self, **changes: object) -> "DenseLayer":
        """A copy with the given fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def astype(self, dtype: np.dtype | type) -> "DenseLayer":
        bias = None if self.bias is None else self.bias.astype(dtype)
        return self.replace(weights=self.weights.astype(dtype), bias=bias)

    def same_as(self, other: object) -> bool:
        """Bit-for-bit equality of values, typed text, activation and parameters."""
        return (
            isinstance(other, DenseLayer)
            and self.activation == other.activation
            and dict(self.params) == dict(other.params)
            and self.weights.dtype == other.weights.dtype
            and np.array_equal(self.weights, other.weights)
            and (self.bias is None) == (other.bias is None)
            and (self.bias is None or np.array_equal(self.bias, other.bias))  # type: ignore[arg-type]
            and dict(self.weight_text) == dict(other.weight_text)
            and dict(self.bias_text) == dict(other.bias_text)
        )


Layer = DenseLayer | Conv2DLayer | Pool2DLayer


@dataclass(frozen=True, eq=False)
class Network:
    """An input size (and, for maps, its shape (C, H, W)) and the layers that follow it, each fed by the one
    before."""

    input_size: int
    layers: tuple[Layer, ...]
    input_shape: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "input_shape", check_input_shape(self.input_size, self.input_shape))
        check_chain(self.input_size, self.input_shape, layers)
        dtypes = {layer.dtype for layer in layers if layer.parameter_count}
        if len(dtypes) > 1:
            raise ShapeError(f"all layers must share one precision, got {sorted(map(str, dtypes))}")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickled as its constructor's arguments: checked again when unpickled (see DenseLayer)."""
        return (Network, (self.input_size, self.layers, self.input_shape))

    @property
    def sizes(self) -> list[int]:
        """Values from the input layer to the output layer: neurons, or a spatial layer's maps counted C·H·W."""
        return [self.input_size] + [layer.n_out for layer in self.layers]

    @property
    def output_size(self) -> int:
        return self.layers[-1].n_out if self.layers else self.input_size

    @property
    def is_spatial(self) -> bool:
        """True when a layer reads maps (convolution or pooling): what a dense-only reader must refuse."""
        return any(not isinstance(layer, DenseLayer) for layer in self.layers)

    @property
    def dtype(self) -> np.dtype:
        """The precision of the first layer that holds numbers (pooling holds none); float64 if none does."""
        return next((layer.dtype for layer in self.layers if layer.parameter_count), np.dtype(np.float64))

    @property
    def parameter_count(self) -> int:
        return sum(layer.parameter_count for layer in self.layers)

    def with_layers(self, layers: Iterable[Layer], input_size: int | None = None) -> "Network":
        """The same input with other layers; the input shape is kept unless another input size is given."""
        if input_size is None or input_size == self.input_size:
            return Network(self.input_size, tuple(layers), self.input_shape)
        return Network(input_size, tuple(layers))

    def with_layer(self, index: int, layer: Layer) -> "Network":
        layers = list(self.layers)
        layers[index] = layer
        return self.with_layers(layers)

    def astype(self, dtype: np.dtype | type | str) -> "Network":
        """The same network in another precision (float64 for exact stepping, float32 for speed)."""
        target = FLOAT_TYPES[dtype] if isinstance(dtype, str) else np.dtype(dtype)
        return self.with_layers(layer.astype(target) for layer in self.layers)

    def same_as(self, other: "Network") -> bool:
        return (
            self.input_size == other.input_size
            and self.input_shape == other.input_shape
            and len(self.layers) == len(other.layers)
            and all(a.same_as(b) for a, b in zip(self.layers, other.layers))
        )
