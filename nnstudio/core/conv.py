"""Convolution and pooling, written out so they can be read in one sitting: the exact reference path.

Conventions (PyTorch's, so its numbers are ours): a sample is C maps of H×W, shape (C, H, W); a batch is
(B, C, H, W); a kernel array is (K, C, k, k), one k×k kernel per input channel for each of K output channels;
one bias per output channel. Convolution is cross-correlation (the kernel is not flipped):

convolution:  z[b, o, i, j] = bias[o] + Σ_c Σ_u Σ_v kernel[o, c, u, v] · xp[b, c, i·s + u, j·s + v]
              xp is x with p zero rows and columns on every side; output size ⌊(H + 2p − k)/s⌋ + 1
backward:     δ = ∂L/∂z (B, K, Ho, Wo), already carrying the 1/B of the mean loss, so the sums over b are right:
              ∂L/∂bias[o]           = Σ_b Σ_i Σ_j δ[b, o, i, j]
              ∂L/∂kernel[o, c, u, v] = Σ_b Σ_i Σ_j δ[b, o, i, j] · xp[b, c, i·s + u, j·s + v]
              ∂L/∂xp[b, c, i·s + u, j·s + v] += Σ_o δ[b, o, i, j] · kernel[o, c, u, v]   (the signal back;
              the padding's share is dropped, and a pixel no window read gets 0)
max pooling:  y[b, c, i, j] = max of the size×size window at row i·s, column j·s (stride s defaults to size, no
              padding, ⌊(H − size)/s⌋ + 1 windows a side); the window's first maximum in row-major order is the
              one chosen (ties: the first, as PyTorch), and δ goes back to it alone, summed where windows overlap
average:      y = the window's sum / size², and each pixel of the window gets δ / size²

A dense layer after a spatial layer reads its maps flattened in (C, H, W) order: a.reshape(B, C·H·W), so map
value [c, h, w] is input c·H·W + h·W + w (torch.flatten(x, 1)); a C×H×W network input is read the same way.
"Same" padding ((k − 1)/2) is offered only where it is exact: stride 1 and an odd k.

Every window is a view of the (padded) input (sliding_window_view), so the sums are matrix products over the
windows, not loops over pixels; the way back adds each of the k² kernel offsets in turn. Nothing changes an
argument; every result is a fresh array in the input's precision (float32 or float64). The fast trainer's
version comes later; this one is what it must agree with.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnstudio.core.errors import ShapeError, shorten


def _whole(name: str, value: object, least: int) -> int:
    """`value` as an int, refused by name unless it is a whole number ≥ `least` (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ShapeError(f"{name} must be a whole number ≥ {least}, got {shorten(repr(value))}")
    return int(value)


def conv_out_size(size: int, k: int, stride: int = 1, pad: int = 0, name: str = "input") -> int:
    """⌊(size + 2·pad − k)/stride⌋ + 1: how many positions a k-wide kernel takes along a side of `size` pixels.

    Refused by name, with the numbers: a stride < 1, a negative padding, or a kernel larger than the padded
    input (there would be no position at all). `name` says which side ("height", "width") in the message."""
    size = _whole(f"{name} size", size, 1)
    k = _whole("kernel size", k, 1)
    stride = _whole("stride", stride, 1)
    pad = _whole("padding", pad, 0)
    padded = size + 2 * pad
    if k > padded:
        raise ShapeError(f"kernel size {k} is larger than the padded {name}: {size} + 2·{pad} = {padded}")
    return (padded - k) // stride + 1


def same_padding(k: int, stride: int = 1) -> int:
    """The padding (k − 1)/2 that keeps a map's size ("same"), for stride 1 and an odd k only.

    Why only there: with an even k the two sides would need different paddings, and with stride s > 1 the
    output is ⌈H/s⌉, not H; PyTorch refuses "same" with a stride for the same reason. Refused by name."""
    k = _whole("kernel size", k, 1)
    stride = _whole("stride", stride, 1)
    if stride != 1:
        raise ShapeError(f"'same' padding needs stride 1, got stride {stride}")
    if k % 2 == 0:
        raise ShapeError(f"'same' padding needs an odd kernel size, got {k}")
    return (k - 1) // 2


def pool_out_size(size: int, window: int, stride: int | None = None, name: str = "input") -> int:
    """⌊(size − window)/stride⌋ + 1 windows along a side (stride defaults to the window: no overlap).

    The leftover rows or columns that no whole window reaches are dropped (floor), as PyTorch does."""
    size = _whole(f"{name} size", size, 1)
    window = _whole("pool size", window, 1)
    stride = window if stride is None else _whole("pool stride", stride, 1)
    if window > size:
        raise ShapeError(f"pool size {window} is larger than the {name}: {size}")
    return (size - window) // stride + 1


def _floats(values: np.ndarray | list) -> np.ndarray:
    """values as an array in their own precision, float32 or float64 (float64 for anything else: ints, lists)."""
    array = np.asarray(values)
    return array if array.dtype in (np.float32, np.float64) else array.astype(np.float64)


def _maps(x: np.ndarray | list, name: str = "input") -> np.ndarray:
    """x as a float batch of maps (B, C, H, W), in its own precision (see `_floats`)."""
    array = _floats(x)
    if array.ndim != 4 or 0 in array.shape:
        raise ShapeError(f"{name}: expected a batch of maps (B, C, H, W), got an array of shape {array.shape}; "
                         f"one sample (C, H, W) is a batch of one")
    return array


def _shape4(x_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The shape of an input batch (B, C, H, W), as four ints, refused by name otherwise."""
    if len(x_shape) != 4:
        raise ShapeError(f"input shape: expected (B, C, H, W), got {shorten(repr(tuple(x_shape)))}")
    b, c, h, w = (_whole("input shape", side, 1) for side in x_shape)
    return b, c, h, w


def _check_delta(delta: np.ndarray, expected: tuple[int, ...], what: str) -> None:
    if delta.shape != expected:
        raise ShapeError(f"δ of the {what}: expected shape {expected} (B, channels, Ho, Wo), got {delta.shape}")


def _windows(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """Every k×k window a stride-s scan of the maps x (B, C, H, W) visits, as a read-only view
    (B, C, Ho, Wo, k, k): window [b, c, i, j] starts at row i·s, column j·s. Nothing is copied."""
    return sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]


def _add_windows_back(parts: np.ndarray, shape: tuple[int, int, int, int], stride: int) -> np.ndarray:
    """The way back through `_windows`: a fresh (B, C, H, W) array where part [b, c, i, j, u, v] is added at
    the pixel it was read from, row i·s + u, column j·s + v.

    A pixel read by several windows gets the sum of their parts; a pixel no window read (a row the floor
    left out) gets 0. The loop is over the k² offsets (u, v) of a window, each a whole strided slice."""
    _, _, ho, wo, k, _ = parts.shape
    out = np.zeros(shape, dtype=parts.dtype)
    for u in range(k):
        for v in range(k):
            out[:, :, u:u + stride * ho:stride, v:v + stride * wo:stride] += parts[:, :, :, :, u, v]
    return out


def _padded(x: np.ndarray, pad: int) -> np.ndarray:
    """x with `pad` zero rows above and below and `pad` zero columns left and right of every map."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x


def _conv_operands(x: np.ndarray | list, kernel: np.ndarray | list, stride: int,
                   pad: int) -> tuple[np.ndarray, np.ndarray, int, int, tuple[int, int]]:
    """x and the kernel as arrays of x's precision, the whole-number stride and padding, and (Ho, Wo), after
    refusing by name whatever does not chain: a kernel that is not (K, C, k, k) square, a C that is not x's,
    a kernel larger than the padded input, a stride < 1 or a negative padding."""
    x = _maps(x)
    weights = np.asarray(kernel, dtype=x.dtype)
    if weights.ndim != 4 or weights.shape[2] != weights.shape[3] or 0 in weights.shape:
        raise ShapeError(f"kernel: expected a square kernel array (K, C, k, k), got shape {weights.shape}")
    if weights.shape[1] != x.shape[1]:
        raise ShapeError(f"the kernel reads {weights.shape[1]} input channel(s) but the input has {x.shape[1]}: "
                         f"kernel (K, C, k, k) = {weights.shape}, input (B, C, H, W) = {x.shape}")
    k = weights.shape[2]
    out = (conv_out_size(x.shape[2], k, stride, pad, "height"), conv_out_size(x.shape[3], k, stride, pad, "width"))
    return x, weights, int(stride), int(pad), out


def conv2d_forward(x: np.ndarray | list, kernel: np.ndarray | list, bias: np.ndarray | list | None,
                   stride: int = 1, pad: int = 0) -> np.ndarray:
    """z = kernel ⋆ x + bias for a batch x (B, C, H, W) and a kernel (K, C, k, k): z is (B, K, Ho, Wo).

    Each window of the padded input meets every kernel in one matrix product (im2col): the windows' C·k·k
    values against the kernels' C·k·k weights. `bias` is (K,) or None (no bias)."""
    x, weights, stride, pad, _ = _conv_operands(x, kernel, stride, pad)
    b = None if bias is None else np.asarray(bias, dtype=x.dtype)
    if b is not None and b.shape != (weights.shape[0],):
        raise ShapeError(f"bias: expected one value per output channel, shape ({weights.shape[0]},), "
                         f"got shape {b.shape}")
    windows = _windows(_padded(x, pad), weights.shape[2], stride)  # (B, C, Ho, Wo, k, k)
    z = np.tensordot(windows, weights, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)  # (B, K, Ho, Wo)
    return np.ascontiguousarray(z if b is None else z + b[:, None, None])


def conv2d_backward(x: np.ndarray | list, kernel: np.ndarray | list, delta: np.ndarray | list, stride: int = 1,
                    pad: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂L/∂x, ∂L/∂kernel, ∂L/∂bias) from δ = ∂L/∂z (B, K, Ho, Wo) of `conv2d_forward(x, kernel, ·, stride, pad)`.

    The parameter gradients are sums over the batch (δ already carries 1/B), as the dense core's are;
    ∂L/∂x (B, C, H, W) is the signal the layer below turns into its δ. ∂L/∂bias is returned even for a
    layer without bias (the caller drops it): it is one sum."""
    x, weights, stride, pad, (ho, wo) = _conv_operands(x, kernel, stride, pad)
    d = np.asarray(delta, dtype=x.dtype)
    _check_delta(d, (x.shape[0], weights.shape[0], ho, wo), "convolution's output")
    padded = _padded(x, pad)
    windows = _windows(padded, weights.shape[2], stride)  # (B, C, Ho, Wo, k, k)
    grad_bias = d.sum(axis=(0, 2, 3))
    grad_kernel = np.tensordot(d, windows, axes=([0, 2, 3], [0, 2, 3]))  # (K, C, k, k)
    parts = np.tensordot(d, weights, axes=([1], [0])).transpose(0, 3, 1, 2, 4, 5)  # (B, C, Ho, Wo, k, k)
    grad_padded = _add_windows_back(parts, padded.shape, stride)
    h, w = x.shape[2:]
    grad_x = np.ascontiguousarray(grad_padded[:, :, pad:pad + h, pad:pad + w])
    return grad_x, np.ascontiguousarray(grad_kernel), grad_bias


def _pool_windows(x: np.ndarray | list, size: int, stride: int | None) -> tuple[np.ndarray, np.ndarray, int, int]:
    """x as maps, its size×size windows (B, C, Ho, Wo, size, size), and the whole-number size and stride."""
    x = _maps(x)
    pool_out_size(x.shape[2], size, stride, "height")  # refuses by name what the view below would not take
    pool_out_size(x.shape[3], size, stride, "width")
    size, stride = int(size), int(size if stride is None else stride)
    return x, _windows(x, size, stride), size, stride


def max_pool_forward(x: np.ndarray | list, size: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(y, argmax): the maximum of each size×size window of x (B, C, H, W), and where it was.

    argmax[b, c, i, j] is the chosen pixel's place in its own H×W map, row·W + column, the index PyTorch's
    `max_pool2d(..., return_indices=True)` gives: the first maximum in row-major order within the window
    (numpy's argmax takes the first of equal values). `max_pool_backward` sends δ there and nowhere else."""
    x, windows, size, stride = _pool_windows(x, size, stride)
    b, c, ho, wo = windows.shape[:4]
    flat = windows.reshape(b, c, ho, wo, size * size)  # each window in scan order
    pick = flat.argmax(axis=-1)
    y = np.take_along_axis(flat, pick[..., None], axis=-1)[..., 0]
    rows = np.arange(ho)[:, None] * stride + pick // size
    cols = np.arange(wo)[None, :] * stride + pick % size
    return y, rows * x.shape[3] + cols


def max_pool_backward(delta_y: np.ndarray | list, argmax: np.ndarray | list,
                      x_shape: tuple[int, ...]) -> np.ndarray:
    """∂L/∂x (x_shape) from δ of the pooled maps: each δ[b, c, i, j] is added at the pixel its window chose
    (argmax from `max_pool_forward`); every other pixel gets 0. Where overlapping windows chose the same
    pixel, it gets the sum."""
    b, c, h, w = _shape4(x_shape)
    d = _floats(delta_y)
    where = np.asarray(argmax)
    if d.ndim != 4 or d.shape[:2] != (b, c) or where.shape != d.shape:
        raise ShapeError(f"δ of the max pooling: expected shape (B, C, Ho, Wo) with (B, C) = {(b, c)} and one "
                         f"argmax per value, got δ {d.shape} and argmax {where.shape}")
    if where.size and (where.min() < 0 or where.max() >= h * w):
        raise ShapeError(f"argmax: a chosen pixel outside the {h}×{w} map")
    grad = np.zeros((b * c, h * w), dtype=d.dtype)
    np.add.at(grad, (np.arange(b * c)[:, None], where.reshape(b * c, -1)), d.reshape(b * c, -1))
    return grad.reshape(b, c, h, w)


def avg_pool_forward(x: np.ndarray | list, size: int, stride: int | None = None) -> np.ndarray:
    """The mean of each size×size window of x (B, C, H, W): its sum divided by size², as PyTorch's avg_pool2d."""
    _, windows, size, _ = _pool_windows(x, size, stride)
    return windows.sum(axis=(4, 5)) / (size * size)


def avg_pool_backward(delta_y: np.ndarray | list, x_shape: tuple[int, ...], size: int,
                      stride: int | None = None) -> np.ndarray:
    """∂L/∂x (x_shape) from δ of the averaged maps: every pixel of a window gets δ / size² (summed where
    windows overlap; 0 where no window reached)."""
    b, c, h, w = _shape4(x_shape)
    ho = pool_out_size(h, size, stride, "height")
    wo = pool_out_size(w, size, stride, "width")
    size, stride = int(size), int(size if stride is None else stride)
    d = _floats(delta_y)
    _check_delta(d, (b, c, ho, wo), "average pooling")
    parts = np.broadcast_to((d / (size * size))[..., None, None], (b, c, ho, wo, size, size))
    return _add_windows_back(parts, (b, c, h, w), stride)
