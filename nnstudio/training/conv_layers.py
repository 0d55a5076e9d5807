"""One layer of the fast conv engine for one batch size: its buffers and products, laid out once.

Each layer's output is one block (values × B) in the column layout (conv_ops.py says why maps are (C, H, W, B)).
A block that feeds a dense layer with a bias, or a convolution's columns, has one more row at the end, held at 1:
its bias is then one more column of its parameter matrix, and a single product gives z = [W | b]·[a; 1] and, on
the way back, [∂W | ∂b] = δ·[a; 1]ᵀ, the bias gradient included (no broadcast of b, no separate Σ_batch δ). So each
trainable layer keeps one matrix P: a convolution's (K, C·k·k [+1]), the kernel (K, C, k, k) flattened row by row
with the bias last; a dense layer's (n_out, n_in [+1]). The signal back, Pᵀ·δ, then has one row too many, which
nothing reads.

forward():   conv  im2col, z = P·cols                 dense  z = P·a_prev      pool  max or mean of windows
backward():  conv  ∂cols = Pᵀ·δ, col2im into the δ below; ∂P = δ·colsᵀ
             dense δ_below = Pᵀ·δ; ∂P = δ·a_prevᵀ                pool  δ to the chosen pixel, or evenly to the window
Every product is numpy's matmul into a buffer made once (conv_engine.py says why not blas.py's); ∂P goes to the
engine's gradient array, and the engine changes P only after the whole way back. The activation of each
layer is the engine's business (in_place_rules.py), except that max pooling right after a ReLU takes ReLU′ in
(`absorbs_relu`), both ways. Forward, ReLU is monotonic, so max(ReLU(z)) = ReLU(max(z)): the pooling takes the
maxima of z itself (the layer below is not rectified at all) and rectifies the four times fewer maxima. Back, at
the pixel a window chose, ReLU′ is [y > 0], so δ·[y > 0] at the pooled size, routed, equals the routed δ times
ReLU′ at the full size (elsewhere both are 0). Where a window's maximum of z is ≤ 0 its choice among the pixels
can differ from the choice among their ReLUs (all 0: the first), but its δ·[y > 0] is 0 either way.

The backward buffers (δ, ∂cols, masks) are made on the first backward call: a block only predicted through
never makes them. An unpadded convolution writes ∂cols into its own columns (read for the last time by ∂P just
before): every one of its columns' values is rewritten by the next im2col, and its row of ones is set again. A
padded one keeps ∂cols apart, since its columns' zeros (the padding's share) are written only once.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.network import Conv2DLayer, DenseLayer, Layer, Pool2DLayer
from nnstudio.training.conv_ops import (
    average,
    average_back,
    col2im,
    first_max,
    im2col,
    max_back,
    pool_views,
    window_pairs,
)

SHARES_Z = ("relu", "identity")  # activations whose g′ reads a as well as z: no z block of their own


def block(rows: int, extra: int, batch: int, dtype: np.dtype) -> np.ndarray:
    """A (rows + extra, B) block; an extra row holds ones."""
    full = np.empty((rows + extra, batch), dtype)
    full[rows:] = 1
    return full


class LayerStep:
    """What every layer step has: its output block `a_full` (n_out rows [+ a row of ones]), its z and a views,
    its δ block (made for training), and whether it holds a parameter matrix."""

    def __init__(self, layer: Layer, source: np.ndarray, extra: int, batch: int, dtype: np.dtype) -> None:
        """`source`: the block this layer reads (its input rows first); `extra`: 1 when the next layer needs a
        row of ones after this one's output."""
        self.layer, self.source, self.extra, self.batch, self.dtype = layer, source, extra, batch, dtype
        self.n_in, self.n_out = int(layer.n_in), int(layer.n_out)
        self.a_full = block(self.n_out, extra, batch, dtype)
        self.a = self.a_full[:self.n_out]
        name = layer.activation
        self.z = self.a if isinstance(layer, Pool2DLayer) or name in SHARES_Z else np.empty_like(self.a)
        self.delta_full: np.ndarray | None = None
        self.delta: np.ndarray | None = None
        self.mask: np.ndarray | None = None  # ReLU′ scratch for the engine
        self.absorbs_relu = False

    def prepare_backward(self, gradient: np.ndarray | None, below: np.ndarray | None = None) -> None:
        """Make the δ block (and the ReLU mask). `gradient`: where ∂P goes (None: no parameters); `below`: the δ
        block of the layer below, which the signal back is written to (None for the first layer: no signal)."""
        self.delta_full = np.zeros_like(self.a_full)
        self.delta = self.delta_full[:self.n_out]
        if self.layer.activation == "relu":
            self.mask = np.empty(self.a.shape, bool)

    def maps(self, values: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
        """The first C·H·W rows of a block as maps (C, H, W, B): a view."""
        return values[:int(np.prod(shape))].reshape(tuple(shape) + (self.batch,))


class DenseStep(LayerStep):
    """z = P·[a_prev; 1], as FastMLP's (the bias as P's last column when the layer has one)."""

    def __init__(self, layer: DenseLayer, source: np.ndarray, extra: int, batch: int, dtype: np.dtype,
                 params: np.ndarray) -> None:
        super().__init__(layer, source, extra, batch, dtype)
        self.params = params
        self.inputs = source[:params.shape[1]]  # with its row of ones when there is a bias
        self._signal: np.ndarray | None = None
        self._gradient: np.ndarray | None = None

    def prepare_backward(self, gradient: np.ndarray | None, below: np.ndarray | None = None) -> None:
        super().prepare_backward(gradient, below)
        self._signal = None if below is None else below[:self.params.shape[1]]
        self._gradient = gradient

    def forward(self) -> None:
        np.matmul(self.params, self.inputs, out=self.z)

    def backward(self) -> None:
        if self._signal is not None:
            np.matmul(self.params.T, self.delta, out=self._signal)
        np.matmul(self.delta, self.inputs.T, out=self._gradient)


class ConvStep(LayerStep):
    """z = P·cols: im2col by k² strided copies into columns laid out once, then one product."""

    def __init__(self, layer: Conv2DLayer, source: np.ndarray, extra: int, batch: int, dtype: np.dtype,
                 params: np.ndarray) -> None:
        super().__init__(layer, source, extra, batch, dtype)
        self.params = params
        channels, k = layer.in_shape[0], layer.k
        kernels, ho, wo = layer.out_shape
        width = ho * wo * batch
        self.cols = np.zeros((params.shape[1], width), dtype)  # the padding's share stays 0
        self.cols[channels * k * k:] = 1  # the bias's row of ones
        self._windows = self.cols[:channels * k * k].reshape(channels, k, k, ho, wo, batch)
        self.pairs = window_pairs(self.maps(source, layer.in_shape), self._windows, k, layer.stride, layer.pad)
        self.z2 = self.z.reshape(kernels, width)
        self._delta2: np.ndarray | None = None
        self._d_cols: np.ndarray | None = None
        self._back_pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self._below: np.ndarray | None = None
        self._gradient: np.ndarray | None = None

    def prepare_backward(self, gradient: np.ndarray | None, below: np.ndarray | None = None) -> None:
        super().prepare_backward(gradient, below)
        layer = self.layer
        self._gradient = gradient
        self._delta2 = self.delta.reshape(self.z2.shape)  # type: ignore[union-attr]
        if below is not None:  # ∂cols = Pᵀ·δ, then added back into the maps below (the bias row unread)
            self._d_cols = self.cols if self.layer.pad == 0 else np.empty_like(self.cols)
            parts = self._d_cols[:self._windows.shape[0] * layer.k * layer.k].reshape(self._windows.shape)
            self._below = self.maps(below, layer.in_shape)
            self._back_pairs = window_pairs(self._below, parts, layer.k, layer.stride, layer.pad)

    def forward(self) -> None:
        im2col(self.pairs)
        if self._d_cols is self.cols and self.layer.bias is not None:
            self.cols[-1] = 1  # the way back wrote ∂cols over the row of ones
        np.matmul(self.params, self.cols, out=self.z2)

    def backward(self) -> None:
        np.matmul(self._delta2, self.cols.T, out=self._gradient)  # ∂P first: it is the columns' last reader
        if self._d_cols is not None:
            np.matmul(self.params.T, self._delta2, out=self._d_cols)
            col2im(self._back_pairs, self._below)  # type: ignore[arg-type]


class PoolStep(LayerStep):
    """Max or mean of size×size windows by size² strided views; no parameters, z = a."""

    def __init__(self, layer: Pool2DLayer, source: np.ndarray, extra: int, batch: int, dtype: np.dtype) -> None:
        super().__init__(layer, source, extra, batch, dtype)
        _, ho, wo = layer.out_shape
        _, height, width = layer.in_shape
        self.size, self.stride = layer.size, int(layer.stride)  # type: ignore[arg-type]
        self.y = self.maps(self.a, layer.out_shape)
        self.views = pool_views(self.maps(source, layer.in_shape), self.size, self.stride, ho, wo)
        # Windows that overlap add their shares; pixels no window reaches (the floor's leftover rows and
        # columns) must read 0: either way the signal is zeroed each step.
        self.overlap = self.stride < self.size
        self.zero_first = self.overlap or (ho - 1) * self.stride + self.size < height or \
            (wo - 1) * self.stride + self.size < width
        if layer.kind == "max":
            index = np.uint8 if self.size * self.size <= 256 else np.int32
            self.chosen = np.zeros(self.y.shape, index)
            self._greater = np.empty(self.y.shape, bool)
            self._later = np.empty(self.y.shape, index)
        self._back_views: list[np.ndarray] = []
        self._below: np.ndarray | None = None

    def absorb_relu(self) -> None:
        """Take the ReLU′ of the layer below into this max pooling's way back (see the module's docstring)."""
        self.absorbs_relu = True

    def prepare_backward(self, gradient: np.ndarray | None, below: np.ndarray | None = None) -> None:
        super().prepare_backward(gradient, below)
        if below is None:
            return
        self._below = self.maps(below, self.layer.in_shape)
        _, ho, wo = self.layer.out_shape
        self._back_views = pool_views(self._below, self.size, self.stride, ho, wo)
        self._picked = np.empty(self.y.shape, bool)
        self._share = np.empty(self.y.shape, self.dtype)
        self._routed = np.empty_like(self._share) if self.overlap and self.absorbs_relu else None
        self._delta_maps = self.maps(self.delta, self.layer.out_shape)  # type: ignore[arg-type]

    def forward(self) -> None:
        if self.layer.kind == "max":
            first_max(self.views, self.y, self.chosen, self._greater, self._later)
            if self.absorbs_relu:  # the layer below left its z unrectified: max(ReLU(z)) = ReLU(max(z))
                np.maximum(self.y, 0, out=self.y)
        else:
            average(self.views, self.y, self.size)

    def backward(self) -> None:
        if self._below is None:  # the first layer: no signal to send
            return
        if self.zero_first:
            self._below[...] = 0
        delta = self._delta_maps
        if self.layer.kind == "avg":
            average_back(self._back_views, delta, self._share, self.overlap)
            return
        if self.absorbs_relu:  # δ·[y > 0]: ReLU′ of the layer below at the chosen pixels
            np.greater(self.y, 0, out=self._greater)
            np.multiply(delta, self._greater, out=self._share)
            delta = self._share
            scratch = self._routed
        else:
            scratch = self._share if self.overlap else None
        max_back(self._back_views, delta, self.chosen, self._picked, scratch)


def make_step(layer: Layer, source: np.ndarray, extra: int, batch: int, dtype: np.dtype,
              params: np.ndarray | None) -> DenseStep | ConvStep | PoolStep:
    """The step for one layer of a network with maps."""
    if isinstance(layer, Pool2DLayer):
        return PoolStep(layer, source, extra, batch, dtype)
    if isinstance(layer, Conv2DLayer):
        return ConvStep(layer, source, extra, batch, dtype, params)  # type: ignore[arg-type]
    return DenseStep(layer, source, extra, batch, dtype, params)  # type: ignore[arg-type]


def training_bytes(layers: tuple[Layer, ...], input_size: int, batch: int, dtype: np.dtype, moments: int) -> int:
    """The bytes the fast engine lays out to train `layers` on batches of `batch`, counted from the shapes before
    any is made: every layer's blocks (a, δ, z where it has its own, ReLU's mask), every convolution's columns
    (and ∂cols apart when padded), max pooling's choices and scratch, and the parameters' flat arrays (P, ∂P,
    scratch and `moments` more: 1 for momentum, 2 for Adam). Kept beside the core's count (core/step_memory.py),
    which lays out one convolution's windows at a time where this engine keeps every layer's."""
    item = np.dtype(dtype).itemsize
    values, small, parameters = input_size + 1, 0, 0
    for index, layer in enumerate(layers):
        n_out = int(layer.n_out)
        values += 2 * (n_out + 1) + (0 if isinstance(layer, Pool2DLayer) or layer.activation in SHARES_Z else n_out)
        small += n_out if layer.activation == "relu" else 0
        if isinstance(layer, Conv2DLayer):
            rows = layer.in_shape[0] * layer.k * layer.k + int(layer.bias is not None)
            values += rows * (n_out // layer.channels) * (2 if index and layer.pad else 1)
        elif isinstance(layer, Pool2DLayer):
            values += 2 * n_out  # scratch for the way back
            small += n_out * (2 + 2 * (1 if layer.size * layer.size <= 256 else 4))
        parameters += int(layer.parameter_count)
    return (values * item + small) * batch + parameters * item * (3 + moments)
