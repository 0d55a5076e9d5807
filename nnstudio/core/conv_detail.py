"""One map pixel's arithmetic with the numbers substituted: what the Step dock shows when a pixel is clicked.

CNN Explainer's detail view, for any network: a convolution's output pixel (o, i, j) is

    z[o, i, j] = Σ_c ( Σ_u Σ_v K[o, c, u, v] · window_c[u, v] ) + b[o],      a = g(z)

one partial sum per input channel c (the kernel's cells times the window they lie on, summed), then their total,
then the bias. window_c is the k×k block of input channel c at row i·s − p, column j·s − p (core/conv.py's
cross-correlation); where it hangs over the padding it holds zeros, as the padded input does. With the backward
pass, δ = ∂L/∂z at that pixel, and the pixel's share of the gradients: δ·window_c added to ∂L/∂K[o, c] (the
full gradient sums this over every pixel of map o), δ to ∂L/∂b[o], and δ·K[o, c] sent back onto the window
(the padding's share dropped).

A pooling pixel: the window of its own channel, and its max (the first maximum in scan order, row by row, as
core/conv.py picks it) or its mean; with δ, where δ went: all of it to the chosen cell (max), or δ/size² to
each cell (mean). Where windows overlap, a pixel's full gradient is the sum of these shares.

Everything is computed from the layer and its input maps (a trace's a_prev), in the input's precision, with
explicit per-channel sums, so z agrees with the trace's z to rounding. Results are plain frozen dataclasses of
read-only arrays and floats: formatting belongs to whoever shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import ShapeError, shorten
from nnstudio.core.network import Network
from nnstudio.core.receptive_field import (
    Pixel,
    Window,
    check_pixel,
    kernel_window,
    spatial_layer,
)
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, Shape, show_shape
from nnstudio.core.trace import ForwardTrace, Gradients


def _ro(array: np.ndarray) -> np.ndarray:
    """A read-only array with −0.0 made +0.0, as the trace's gradients are: a product K·0 with a negative K is
    −0.0 in IEEE arithmetic, and a view would print "−0" for a padding cell."""
    array = array + 0.0
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ChannelPart:
    """Input channel c's share of z: its window (zeros on padding), the kernel K[o, c], their cellwise
    products and the partial sum Σ products."""

    channel: int
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    partial: float


@dataclass(frozen=True, eq=False)
class ConvDetail:
    """z = total + bias, total = Σ_c parts[c].partial, a = g(z). `bias` is None for a layer without bias
    (z = total). With a backward pass: `delta` = ∂L/∂z here, `grad_kernel` = δ·window (C, k, k), this pixel's
    share of ∂L/∂K[o], and `signal` = δ·K[o] (C, k, k), its share sent back onto the window; else None."""

    pixel: Pixel
    window: Window
    parts: tuple[ChannelPart, ...]
    total: float
    bias: float | None
    z: float
    activation: str
    a: float
    delta: float | None = None
    grad_kernel: np.ndarray | None = None
    signal: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class PoolDetail:
    """One pooling pixel: the size×size `values` of its window on its own channel, `kind` "max" or "avg", the
    result `value` (= z = a), and for max the `chosen` cell (u, v) of the window (first maximum in scan order)
    and `chosen_pixel` (row, column) in the input map; None for avg. With a backward pass, `delta` and
    `delta_back` (size, size): where this pixel's δ went."""

    pixel: Pixel
    window: Window
    kind: str
    values: np.ndarray
    value: float
    chosen: tuple[int, int] | None
    chosen_pixel: tuple[int, int] | None
    delta: float | None = None
    delta_back: np.ndarray | None = None


def _maps(values: np.ndarray | list, shape: Shape, what: str) -> np.ndarray:
    """One sample's values as maps (C, H, W): flat in (C, H, W) order as a trace keeps them, or maps already.
    A batch is refused by name: pick the sample's row first (`pixel_detail` takes `sample`)."""
    array = np.asarray(values)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if array.shape == tuple(shape):
        return array
    if array.shape != (int(np.prod(shape)),):
        raise ShapeError(f"{what}: expected one sample, {int(np.prod(shape))} values or maps {show_shape(shape)}, "
                         f"got an array of shape {array.shape}")
    return array.reshape(shape)


def _cut(maps: np.ndarray, window: Window, channels: range | list[int]) -> np.ndarray:
    """The window's cells on the given channels (len, size, size), 0 where it hangs over the padding."""
    out = np.zeros((len(channels), window.size, window.size), dtype=maps.dtype)
    _, height, width = maps.shape
    r0, c0 = max(window.top, 0), max(window.left, 0)
    r1, c1 = min(window.top + window.size, height), min(window.left + window.size, width)
    if r0 < r1 and c0 < c1:
        out[:, r0 - window.top:r1 - window.top, c0 - window.left:c1 - window.left] = maps[channels, r0:r1, c0:c1]
    return out


def _delta_at(delta: np.ndarray | list | None, shape: Shape, pixel: Pixel) -> float | None:
    return None if delta is None else float(_maps(delta, shape, "δ")[pixel])


@np.errstate(over="ignore", invalid="ignore")  # a weight of 1e200 gives an honest inf, as trace.forward shows it
def conv_detail(layer: Conv2DLayer, a_prev: np.ndarray | list, pixel: Pixel,
                delta: np.ndarray | list | None = None) -> ConvDetail:
    """The detail of output pixel (o, i, j) of convolution `layer` reading maps `a_prev` (one sample, flat or
    (C, H, W)); `delta` is the layer's δ for that sample (flat or maps), or None before the backward pass.
    Refused by name (ShapeError): a pixel outside the output maps, inputs of the wrong size."""
    o, i, j = check_pixel(layer.out_shape, pixel, "convolution")
    maps = _maps(a_prev, layer.in_shape, "the layer's input maps")
    window = kernel_window(layer, i, j)
    cut = _cut(maps, window, range(layer.in_shape[0]))
    kernel = layer.kernel[o].astype(maps.dtype)
    parts = []
    for c in range(layer.in_shape[0]):
        products = kernel[c] * cut[c]
        parts.append(ChannelPart(c, _ro(cut[c]), _ro(kernel[c]), _ro(products), float(products.sum()) + 0.0))
    total = np.sum(np.array([part.partial for part in parts], dtype=maps.dtype))
    bias = None if layer.bias is None else maps.dtype.type(layer.bias[o])
    z = total if bias is None else total + bias
    a = get_activation(layer.activation)(np.array([z], dtype=maps.dtype), layer.params)[0]
    d = _delta_at(delta, layer.out_shape, (o, i, j))
    grad = signal = None
    if d is not None:
        grad = _ro(maps.dtype.type(d) * cut)
        signal = _ro(maps.dtype.type(d) * kernel * window.inside)
    return ConvDetail((o, i, j), window, tuple(parts), float(total), None if bias is None else float(bias),
                      float(z), layer.activation, float(a), d, grad, signal)


@np.errstate(over="ignore", invalid="ignore")
def pool_detail(layer: Pool2DLayer, a_prev: np.ndarray | list, pixel: Pixel,
                delta: np.ndarray | list | None = None) -> PoolDetail:
    """The detail of output pixel (c, i, j) of pooling `layer` reading maps `a_prev` (one sample); `delta` as
    for `conv_detail`. The max is the first maximum in scan order, the cell core/conv.py sends δ to."""
    c, i, j = check_pixel(layer.out_shape, pixel, "pooling")
    maps = _maps(a_prev, layer.in_shape, "the layer's input maps")
    window = kernel_window(layer, i, j)
    values = _ro(_cut(maps, window, [c])[0])
    size = layer.size
    chosen = chosen_pixel = None
    if layer.kind == "max":
        flat = int(values.reshape(-1).argmax())  # numpy's argmax takes the first of equal values, as the core
        chosen = (flat // size, flat % size)
        chosen_pixel = (window.top + chosen[0], window.left + chosen[1])
        value = values[chosen]
    else:
        value = values.sum() / (size * size)
    d = _delta_at(delta, layer.out_shape, (c, i, j))
    back = None
    if d is not None:
        if chosen is None:
            back = np.full((size, size), d / (size * size), dtype=maps.dtype)
        else:
            back = np.zeros((size, size), dtype=maps.dtype)
            back[chosen] = d
        back = _ro(back)
    return PoolDetail((c, i, j), window, layer.kind, values, float(value), chosen, chosen_pixel, d, back)


def pixel_detail(network: Network, trace: ForwardTrace, layer: int, pixel: Pixel,
                 gradients: Gradients | None = None, sample: int = 0) -> ConvDetail | PoolDetail:
    """The detail of pixel (channel, row, column) of map `layer` (1-based, as receptive_field numbers layers)
    from a forward trace of `network`, and its backward pass if given; `sample` picks the row of a batch trace.
    A dense layer, the input, a pixel or sample out of range are refused by name (ShapeError)."""
    found = spatial_layer(network, layer)
    if len(trace.layers) != len(network.layers):
        raise ShapeError(f"the trace holds {len(trace.layers)} layers but the network {len(network.layers)}: "
                         f"it is another network's")
    step = trace.layers[layer - 1]
    a_prev = step.a_prev
    delta = None if gradients is None else gradients.layers[layer - 1].delta
    if a_prev.ndim == 2:
        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or not 0 <= sample < len(a_prev):
            raise ShapeError(f"sample must be a whole number from 0 to {len(a_prev) - 1}, got {shorten(repr(sample))}")
        a_prev = a_prev[sample]
        delta = None if delta is None else delta[sample]
    if isinstance(found, Conv2DLayer):
        return conv_detail(found, a_prev, pixel, delta)
    return pool_detail(found, a_prev, pixel, delta)
