"""The structure of a network: dense layers in order, and nothing else.

A `DenseLayer` holds W of shape (neurons × inputs), one row per neuron, an
optional bias b of shape (neurons,), the name of its activation and that
activation's parameters. It may also keep the text a person typed for any weight
or bias (`1/sqrt(2)`), so the studio can show what was typed, not 0.7071….

Layers and networks are immutable values: their arrays are read-only and every
change returns a new object. That is what makes undo exact (a command keeps the
old value and puts it back) and lets a worker thread train on a copy safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import ShapeError
from nnstudio.core.limits import MAX_SIZE, check_network_size
FLOAT_TYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only array of these values. One that is read-only already and owns its memory (not a view of
    something writable) is shared, not copied: nobody can change it, and a 64 MiB layer edited in one bias, or
    read from a file, must not cost a second 64 MiB."""
    if isinstance(array, np.ndarray) and not array.flags.writeable and array.base is None:
        return array
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def check_size(what: str, size: int) -> None:
    """Refuse sizes outside 1…MAX_SIZE with a message naming `what`."""
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or not 1 <= size <= MAX_SIZE:
        raise ShapeError(f"{what} must be a whole number from 1 to {MAX_SIZE}, got {size!r}")


@dataclass(frozen=True, eq=False)
class DenseLayer:
    """z = W·a_prev + b, a = g(z). W is (n_out × n_in); b is (n_out,) or None."""

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
        check_size("number of inputs", int(w.shape[1]))
        object.__setattr__(self, "weights", _frozen(w))
        if self.bias is not None:
            b = np.asarray(self.bias, dtype=w.dtype)
            if b.shape != (w.shape[0],):
                raise ShapeError(f"bias must have shape ({w.shape[0]},), got {b.shape}")
            object.__setattr__(self, "bias", _frozen(b))
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

    def replace(self, **changes: object) -> "DenseLayer":
        """A copy with the given fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def astype(self, dtype: np.dtype | type) -> "DenseLayer":
        bias = None if self.bias is None else self.bias.astype(dtype)
        return self.replace(weights=self.weights.astype(dtype), bias=bias)

    def same_as(self, other: "DenseLayer") -> bool:
        """Bit-for-bit equality of values, typed text, activation and parameters."""
        return (
            self.activation == other.activation
            and dict(self.params) == dict(other.params)
            and self.weights.dtype == other.weights.dtype
            and np.array_equal(self.weights, other.weights)
            and (self.bias is None) == (other.bias is None)
            and (self.bias is None or np.array_equal(self.bias, other.bias))  # type: ignore[arg-type]
            and dict(self.weight_text) == dict(other.weight_text)
            and dict(self.bias_text) == dict(other.bias_text)
        )


@dataclass(frozen=True, eq=False)
class Network:
    """An input size and the dense layers that follow it, each fed by the one before."""

    input_size: int
    layers: tuple[DenseLayer, ...]

    def __post_init__(self) -> None:
        check_size("input size", self.input_size)
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        previous = self.input_size
        for index, layer in enumerate(layers):
            if layer.n_in != previous:
                raise ShapeError(
                    f"layer {index + 1} takes {layer.n_in} inputs but the layer before it gives {previous}"
                )
            previous = layer.n_out
        check_network_size(self.sizes, [layer.bias is not None for layer in layers])
        dtypes = {layer.weights.dtype for layer in layers}
        if len(dtypes) > 1:
            raise ShapeError(f"all layers must share one precision, got {sorted(map(str, dtypes))}")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickled as its constructor's arguments: checked again when unpickled (see DenseLayer)."""
        return (Network, (self.input_size, self.layers))

    @property
    def sizes(self) -> list[int]:
        """Neuron counts from the input layer to the output layer."""
        return [self.input_size] + [layer.n_out for layer in self.layers]

    @property
    def output_size(self) -> int:
        return self.layers[-1].n_out if self.layers else self.input_size

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].weights.dtype if self.layers else np.dtype(np.float64)

    @property
    def parameter_count(self) -> int:
        return sum(layer.weights.size + (0 if layer.bias is None else layer.bias.size) for layer in self.layers)

    def with_layers(self, layers: Iterable[DenseLayer], input_size: int | None = None) -> "Network":
        return Network(self.input_size if input_size is None else input_size, tuple(layers))

    def with_layer(self, index: int, layer: DenseLayer) -> "Network":
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
            and len(self.layers) == len(other.layers)
            and all(a.same_as(b) for a, b in zip(self.layers, other.layers))
        )
