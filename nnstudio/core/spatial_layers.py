"""The spatial layers a network may hold beside its dense ones: convolution and pooling.

A `Conv2DLayer` holds a kernel array (K, C, k, k), one bias per output channel (or none), the shape
(C, H, W) of the maps it reads, its stride and zero padding, and an elementwise activation:
z = kernel ⋆ a_prev + b (core/conv.py says how, in PyTorch's conventions), a = g(z). A `Pool2DLayer`
takes the maximum or the mean of each size×size window of every map; it has no parameters, no bias
and no activation (z = a). Both are immutable values with read-only arrays, like `DenseLayer`, and
both give their output shape from their numbers alone, so a network's shapes and budgets are known
before any map is computed.

Every layer, dense or spatial, offers `parameters()` (its weights-or-kernel and its bias, None where
it has none) and `with_parameters()`, so the optimiser updates any layer by one loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Mapping

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.conv import conv_out_size, pool_out_size
from nnstudio.core.errors import ShapeError, shorten
from nnstudio.core.layer_checks import check_size, frozen
from nnstudio.core.limits import MAX_WINDOW_VALUES

POOL_KINDS = ("max", "avg")
Shape = tuple[int, int, int]


def check_shape(what: str, shape: object) -> Shape:
    """`shape` as (C, H, W) of whole numbers 1…MAX_SIZE, refused by name (`what`) otherwise."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ShapeError(f"{what} must be (channels, height, width), got {shorten(repr(shape))}")
    for name, side in zip(("channels", "height", "width"), shape):
        check_size(f"{what}: {name}", side)
    return int(shape[0]), int(shape[1]), int(shape[2])


def show_shape(shape: tuple[int, ...]) -> str:
    """(6, 28, 28) as 6×28×28, the way the docs and messages write maps."""
    return "×".join(map(str, shape))


def check_windows(channels: int, k: int, out_height: int, out_width: int) -> None:
    """Refuse a convolution or pooling whose windows pass MAX_WINDOW_VALUES: its forward pass lays out C·k²·Ho·Wo
    values a sample (conv.py's im2col), which neither the maps' nor the parameters' budget bounds (1×1000×1000
    with 500×500 kernels is 62.8 G values). Every door builds its layers through conv_out_shape/pool_out_shape, so
    a file, an import, the notation and the window all stop here before a forward pass asks for the memory."""
    windows = int(channels) * int(k) ** 2 * int(out_height) * int(out_width)
    if windows > MAX_WINDOW_VALUES:
        raise ShapeError(f"its {out_height}×{out_width} windows of {channels}×{k}×{k} are {windows:,} values a "
                         f"sample; a layer may lay out at most {MAX_WINDOW_VALUES:,}")


def conv_out_shape(in_shape: Shape, channels: int, k: int, stride: int = 1, pad: int = 0) -> Shape:
    """(K, Ho, Wo) of a convolution with K = `channels` kernels of k×k over maps `in_shape`, from the numbers
    alone: a file reader checks a network's budget with it before any kernel is allocated."""
    in_channels, height, width = check_shape("input maps", in_shape)
    check_size("output channels", channels)
    out = (int(channels), conv_out_size(height, k, stride, pad, "height"), conv_out_size(width, k, stride, pad, "width"))
    check_windows(in_channels, k, out[1], out[2])
    return out


def pool_out_shape(in_shape: Shape, size: int, stride: int | None = None) -> Shape:
    """(C, Ho, Wo) of a size×size pooling (stride defaults to the size) over maps `in_shape`, rounding down."""
    channels, height, width = check_shape("input maps", in_shape)
    out = channels, pool_out_size(height, size, stride, "height"), pool_out_size(width, size, stride, "width")
    check_windows(channels, size, out[1], out[2])
    return out


def as_maps(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Flattened values (n,) or (B, n) seen as maps (C, H, W) or (B, C, H, W): a view, in (C, H, W) order.

    Why: a trace keeps every layer's z and a flat per sample, as a dense layer's are, so the loss and every
    reader of a trace work unchanged; whoever draws maps reshapes with this."""
    values = np.asarray(values)
    if values.shape[-1:] != (int(np.prod(shape)),):
        raise ShapeError(f"{values.shape[-1] if values.ndim else 0} values per sample are not maps of "
                         f"{show_shape(shape)}")
    return values.reshape(values.shape[:-1] + tuple(shape))


class _Maps:
    """What a layer of maps says of its size, from its in_shape and out_shape: the values it reads and gives per
    sample, flattened in (C, H, W) order (what a dense layer after it reads)."""

    in_shape: Shape

    @property
    def out_shape(self) -> Shape:
        raise NotImplementedError

    @property
    def n_in(self) -> int:
        return int(np.prod(self.in_shape))

    @property
    def n_out(self) -> int:
        return int(np.prod(self.out_shape))


@dataclass(frozen=True, eq=False)
class Conv2DLayer(_Maps):
    """z = kernel ⋆ a_prev + b over maps (C, H, W), a = g(z) elementwise; kernel (K, C, k, k), b (K,) or None."""

    kernel: np.ndarray
    bias: np.ndarray | None
    in_shape: Shape
    stride: int = 1
    pad: int = 0
    activation: str = "identity"
    params: Mapping[str, float] = field(default_factory=dict)
    kernel_text: Mapping[tuple[int, int, int, int], str] = field(default_factory=dict)
    bias_text: Mapping[int, str] = field(default_factory=dict)

    symbol: ClassVar[str] = "K"  # how messages name this layer's main parameter: K2 is layer 2's kernel

    def __post_init__(self) -> None:
        w = np.asarray(self.kernel)
        if w.ndim != 4 or w.shape[2] != w.shape[3] or not np.issubdtype(w.dtype, np.floating):
            raise ShapeError(f"kernel must be a square float array (K, C, k, k), got shape {w.shape}")
        in_shape = check_shape("input maps", self.in_shape)
        if w.shape[1] != in_shape[0]:
            raise ShapeError(f"the kernel reads {w.shape[1]} channel(s) (kernel {show_shape(w.shape)}) but the "
                             f"input maps {show_shape(in_shape)} have {in_shape[0]}")
        for name in ("stride", "pad"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ShapeError(f"{name} must be a whole number, got {shorten(repr(value))}")
            if value > 4096:  # larger than any map a network holds: only a hostile file asks for it
                raise ShapeError(f"{name} {value} is larger than any map (at most 4096)")
        object.__setattr__(self, "in_shape", in_shape)
        object.__setattr__(self, "stride", int(self.stride))
        object.__setattr__(self, "pad", int(self.pad))
        conv_out_shape(in_shape, int(w.shape[0]), int(w.shape[2]), self.stride, self.pad)  # refuses by name
        object.__setattr__(self, "kernel", frozen(w))
        if self.bias is not None:
            b = np.asarray(self.bias, dtype=w.dtype)
            if b.shape != (w.shape[0],):
                raise ShapeError(f"bias must have one value per output channel, shape ({w.shape[0]},), got {b.shape}")
            object.__setattr__(self, "bias", frozen(b))
        activation = get_activation(self.activation)
        if not activation.elementwise:
            raise ShapeError(f"{activation.name} is only for a flat output (a dense layer); a convolutional layer "
                             f"takes an elementwise activation")
        object.__setattr__(self, "activation", activation.name)
        params = activation.params(self.params)
        activation.check_fits(params, w.dtype)
        object.__setattr__(self, "params", params)
        # Typed text (a file's "1/sqrt(2)") kept as DenseLayer keeps it, so a round trip writes it back.
        for where in self.kernel_text:
            if len(where) != 4 or not all(0 <= i < n for i, n in zip(where, w.shape)):
                raise ShapeError(f"typed text for kernel value {where} lies outside the kernel {show_shape(w.shape)}")
        for i in self.bias_text:
            if self.bias is None or not 0 <= i < w.shape[0]:
                raise ShapeError(f"typed text for bias {i} has no bias to belong to")
        object.__setattr__(self, "kernel_text", dict(self.kernel_text))
        object.__setattr__(self, "bias_text", dict(self.bias_text))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickled as its constructor's arguments, so an unpickled layer is checked and frozen again."""
        return (Conv2DLayer, (self.kernel, self.bias, self.in_shape, self.stride, self.pad, self.activation,
                              dict(self.params), dict(self.kernel_text), dict(self.bias_text)))

    @property
    def channels(self) -> int:
        return int(self.kernel.shape[0])

    @property
    def k(self) -> int:
        return int(self.kernel.shape[2])

    @property
    def out_shape(self) -> Shape:
        return conv_out_shape(self.in_shape, self.channels, self.k, self.stride, self.pad)

    @property
    def has_bias(self) -> bool:
        return self.bias is not None

    @property
    def dtype(self) -> np.dtype:
        return self.kernel.dtype

    @property
    def parameter_count(self) -> int:
        return int(self.kernel.size) + (0 if self.bias is None else int(self.bias.size))

    def parameters(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(kernel, bias): what the optimiser updates, the kernel taking the weights' rule (and L2)."""
        return self.kernel, self.bias

    def with_parameters(self, main: np.ndarray | None, bias: np.ndarray | None) -> "Conv2DLayer":
        """A copy holding a new kernel and bias. Typed text no longer describes a new value, so it is dropped."""
        return self.replace(kernel=main, bias=bias, kernel_text={}, bias_text={})

    def replace(self, **changes: object) -> "Conv2DLayer":
        """A copy with the given fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def astype(self, dtype: np.dtype | type) -> "Conv2DLayer":
        bias = None if self.bias is None else self.bias.astype(dtype)
        return self.replace(kernel=self.kernel.astype(dtype), bias=bias)

    def same_geometry(self, other: object) -> bool:
        """The same layer in all but its numbers (kernel and bias values, whether it has a bias, precision, typed
        text): shapes (the kernel's too: its first axis is the channels), stride, padding, activation, parameters."""
        return (
            isinstance(other, Conv2DLayer)
            and (self.in_shape, self.stride, self.pad, self.activation) == (other.in_shape, other.stride,
                                                                              other.pad, other.activation)
            and dict(self.params) == dict(other.params)
            and self.kernel.shape == other.kernel.shape
        )

    def same_as(self, other: object) -> bool:
        """Bit-for-bit equality of values, typed text, shapes, stride, padding, activation and parameters."""
        return (
            self.same_geometry(other)
            and self.kernel.dtype == other.kernel.dtype  # type: ignore[union-attr]
            and np.array_equal(self.kernel, other.kernel)  # type: ignore[union-attr]
            and (self.bias is None) == (other.bias is None)  # type: ignore[union-attr]
            and (self.bias is None or np.array_equal(self.bias, other.bias))  # type: ignore[arg-type]
            and dict(self.kernel_text) == dict(other.kernel_text)
            and dict(self.bias_text) == dict(other.bias_text)
        )


@dataclass(frozen=True, eq=False)
class Pool2DLayer(_Maps):
    """The max ("max") or mean ("avg") of each size×size window of each map; stride None means the size.

    No parameters, no bias, no activation: z = a. Its precision is the network's (it holds no numbers)."""

    kind: str
    in_shape: Shape
    size: int
    stride: int | None = None

    symbol: ClassVar[str] = ""
    activation: ClassVar[str] = "identity"
    params: ClassVar[Mapping[str, float]] = {}
    bias: ClassVar[None] = None

    def __post_init__(self) -> None:
        if self.kind not in POOL_KINDS:
            raise ShapeError(f"pooling kind must be one of {', '.join(POOL_KINDS)}, got {shorten(repr(self.kind))}")
        object.__setattr__(self, "in_shape", check_shape("input maps", self.in_shape))
        stride = self.size if self.stride is None else self.stride
        for name, value in (("pool size", self.size), ("pool stride", stride)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= 4096:
                raise ShapeError(f"{name} must be a whole number from 1 to 4096, got {shorten(repr(value))}")
        object.__setattr__(self, "size", int(self.size))
        object.__setattr__(self, "stride", int(stride))
        pool_out_shape(self.in_shape, self.size, self.stride)  # refuses a window larger than the maps

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Pool2DLayer, (self.kind, self.in_shape, self.size, self.stride))

    @property
    def out_shape(self) -> Shape:
        return pool_out_shape(self.in_shape, self.size, self.stride)

    @property
    def has_bias(self) -> bool:
        return False

    @property
    def parameter_count(self) -> int:
        return 0

    def parameters(self) -> tuple[None, None]:
        """No weights and no bias: the optimiser passes over this layer (two Nones keep one slot pair per layer)."""
        return None, None

    def with_parameters(self, main: None, bias: None) -> "Pool2DLayer":
        if main is not None or bias is not None:
            raise ShapeError("a pooling layer has no weights or bias to set")
        return self

    def replace(self, **changes: object) -> "Pool2DLayer":
        return replace(self, **changes)  # type: ignore[arg-type]

    def astype(self, dtype: np.dtype | type) -> "Pool2DLayer":
        return self

    def same_as(self, other: object) -> bool:
        return isinstance(other, Pool2DLayer) and (self.kind, self.in_shape, self.size, self.stride) == (
            other.kind, other.in_shape, other.size, other.stride)


SpatialLayer = Conv2DLayer | Pool2DLayer
