"""Convolution's windows and pooling on maps laid out batch-last, (C, H, W, B): strided copies, no pixel loops.

The fast engine for networks with maps (conv_engine.py) keeps every block of values one sample per column, as
FastMLP does: a layer's output is (values × B), and for maps the values run in (C, H, W) order, so the block is
(C, H, W, B) in memory. Why batch-last rather than the core's (B, C, H, W): a dense layer after the maps reads
them as (C·H·W, B) with no copy at all (torch.flatten's order), a convolution's product gives its output in this
layout directly, and every copy below moves runs of B (or, at stride 1, Wo·B) neighbouring values at a time.

im2col: the columns of a k×k convolution are (C·k·k, Ho·Wo·B), row (c, u, v) holding every window's value at
offset (u, v) of channel c; they are written by k² strided copies, one per offset (u, v), each copying the part
of the shifted input that lies inside the maps:

    cols[c, u, v, i, j, b] = a[c, i·s + u − p, j·s + v − p, b]     where that pixel exists

The padding's share of the columns (rows and columns of windows that hang over the border) is zero and never
written: it is zeroed once when the buffer is made, so no padded copy of the input exists. col2im, the way back,
adds the same k² strided blocks into a zeroed signal, in the core's order (u, then v; conv.py).

Pooling: the maximum of size×size windows is size² strided maxima; the first maximum in scan order is the one
chosen (as the core and PyTorch choose), kept as its offset number per pooled value (`first_max` takes the new
offset only where it is strictly greater), and the way back sends δ to that offset alone. Averages are strided
sums. Overlapping windows (stride < size) add their shares on the way back, as the core does.
"""

from __future__ import annotations

import numpy as np


def _inside(out: int, size: int, offset: int, stride: int, pad: int) -> tuple[int, int]:
    """The window positions [lo, hi) along one side whose pixel at `offset` lies inside the map (not padding):
    0 ≤ i·stride + offset − pad < size."""
    lo = max(0, -((offset - pad) // stride))  # ⌈(pad − offset)/stride⌉
    hi = min(out, (size - 1 + pad - offset) // stride + 1)
    return lo, max(lo, hi)


def window_pairs(maps: np.ndarray, cols: np.ndarray, k: int, stride: int,
                 pad: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(part of the columns, part of the maps) for every kernel offset (u, v), as views of the two buffers:
    im2col copies each maps part into its columns part, col2im adds each columns part back into the maps part.

    `maps` is (C, H, W, B); `cols` (C, k, k, Ho, Wo, B). Offsets whose windows all lie in the padding have no pair
    (their columns stay zero)."""
    _, h, w, _ = maps.shape
    ho, wo = cols.shape[3], cols.shape[4]
    pairs = []
    for u in range(k):
        i0, i1 = _inside(ho, h, u, stride, pad)
        for v in range(k):
            j0, j1 = _inside(wo, w, v, stride, pad)
            if i0 == i1 or j0 == j1:
                continue
            r0, c0 = i0 * stride + u - pad, j0 * stride + v - pad
            source = maps[:, r0:r0 + (i1 - i0 - 1) * stride + 1:stride, c0:c0 + (j1 - j0 - 1) * stride + 1:stride]
            pairs.append((cols[:, u, v, i0:i1, j0:j1], source))
    return pairs


def im2col(pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Write the windows' values into the columns (the padding's share stays the zero it was made with)."""
    for part, source in pairs:
        np.copyto(part, source)


def col2im(pairs: list[tuple[np.ndarray, np.ndarray]], signal: np.ndarray) -> None:
    """signal = Σ over offsets of each columns part, added at the pixels it was read from (padding dropped)."""
    signal[...] = 0  # a pixel no window read gets 0
    for part, target in pairs:
        np.add(target, part, out=target)


def pool_views(maps: np.ndarray, size: int, stride: int, out: int, across: int) -> list[np.ndarray]:
    """The size² strided views of (C, H, W, B) maps, in scan order (row-major offsets within the window): view
    (u, v) holds each window's pixel at offset (u, v), shaped (C, out, across, B)."""
    return [maps[:, u:u + (out - 1) * stride + 1:stride, v:v + (across - 1) * stride + 1:stride]
            for u in range(size) for v in range(size)]


def first_max(views: list[np.ndarray], y: np.ndarray, chosen: np.ndarray, greater: np.ndarray,
              later: np.ndarray) -> None:
    """y = the windows' maxima, `chosen` = the offset number of each window's first maximum in scan order: a
    later offset replaces it only where strictly greater (so ties keep the first). `greater` (bool) and `later`
    (chosen's dtype) are scratch.

    The offsets come in increasing order, so "replace where greater" is chosen = max(chosen, greater·number):
    arithmetic at full speed, where a masked copy (np.copyto(..., where=)) took 10× as long."""
    np.copyto(y, views[0])
    chosen[...] = 0
    for number, view in enumerate(views[1:], start=1):
        np.greater(view, y, out=greater)
        np.multiply(greater, chosen.dtype.type(number), out=later)
        np.maximum(chosen, later, out=chosen)
        np.maximum(y, view, out=y)


def max_back(views: list[np.ndarray], delta: np.ndarray, chosen: np.ndarray, picked: np.ndarray,
             share: np.ndarray | None) -> None:
    """The signal back through max pooling: each δ to its window's chosen pixel, nothing elsewhere. `views` are
    the signal's pool views. Without overlap (`share` None) each pixel belongs to at most one window and is
    written, not added; with overlap each window's share is added through the scratch `share`, into a signal
    the caller zeroed (as it zeroes pixels no window reaches). `picked` is scratch."""
    for number, view in enumerate(views):
        np.equal(chosen, number, out=picked)
        if share is None:
            np.multiply(delta, picked, out=view)
        else:
            np.multiply(delta, picked, out=share)
            np.add(view, share, out=view)


def average(views: list[np.ndarray], y: np.ndarray, size: int) -> None:
    """y = each window's sum / size² (the core's order: the sum, then the division)."""
    np.copyto(y, views[0])
    for view in views[1:]:
        np.add(y, view, out=y)
    np.divide(y, size * size, out=y)


def average_back(views: list[np.ndarray], delta: np.ndarray, share: np.ndarray, overlap: bool) -> None:
    """The signal back through average pooling: every pixel of a window gets δ / size², summed where windows
    overlap (into a signal the caller zeroed); `share` is scratch shaped like δ. Without overlap each pixel is
    written once."""
    np.divide(delta, len(views), out=share)
    if overlap:
        for view in views:
            np.add(view, share, out=view)
    else:
        for view in views:
            np.copyto(view, share)
