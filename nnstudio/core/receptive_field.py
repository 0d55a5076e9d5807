"""Which earlier pixels a map pixel depends on: its receptive field, on every map before it.

Layers are numbered as everywhere in nnstudio: layer 0 is the network's input, layer l is `network.layers[l − 1]`,
and "map l" is what layer l gives (map 0: the input). A pixel is (channel, row, column) of a layer's output maps.

Going back through one spatial layer (core/conv.py's conventions), output row i reads input rows

    convolution (k, stride s, padding p):   i·s − p  …  i·s − p + k − 1     (rows < 0 or ≥ H are padding)
    pooling (size, stride s, no padding):   i·s      …  i·s + size − 1

and columns alike. A convolution reads every input channel; a pooling reads only its own. Walking back from one
pixel gives, on each earlier map, a set of rows, a set of columns and a set of channels: the pixel depends on
exactly their product. That is what `MapField` holds, with its bounding rectangle for drawing.

How the edges are reported: `box` is the rectangle clipped to the map (real pixels only); `reach` is the same
rectangle before clipping, in the map's own coordinates, so it hangs over the edge (negative rows, or rows ≥ H)
where the windows read padding. Padding is zeros made on the spot, not pixels of an earlier map, so the walk
further back starts from the clipped rows: a map's reach shows the padding of the layer reading it, no more. A
field may even be empty (a window lying wholly in a wide padding): then `box` and `reach` are None, and every
earlier map's field is empty too.

Gaps: with a stride larger than the window (a 1×1 pooling with stride 2, a 2×2 kernel with stride 3) the windows
skip rows, so `rows` is not contiguous and `box` also covers rows the pixel does not depend on; `contiguous`
says whether the box is exact. Rows that the floor of ⌊(H − k)/s⌋ + 1 leaves out are never read, so never in
a field.

A dense layer's neuron reads every value of the maps before it, so its field would be every pixel of every
map: it is refused by name (ShapeError), as is the input itself and a pixel outside the maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.errors import ShapeError, shorten
from nnstudio.core.network import Network
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, Shape, show_shape

Box = tuple[int, int, int, int]  # (top, left, bottom, right), inclusive
Pixel = tuple[int, int, int]  # (channel, row, column)


@dataclass(frozen=True)
class MapField:
    """The part of map `layer` (shape (C, H, W)) that one later pixel depends on: exactly the pixels
    (c, r, q) with c in `channels`, r in `rows`, q in `cols` (all sorted). `box` is their bounding rectangle
    (top, left, bottom, right) inclusive, clipped to the map; `reach` is what the windows cover before clipping
    (see the module docstring); both None when the field is empty."""

    layer: int
    shape: Shape
    channels: tuple[int, ...]
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    box: Box | None
    reach: Box | None

    @property
    def contiguous(self) -> bool:
        """Whether every pixel of the box (in the listed channels) belongs to the field: no stride gaps."""
        return all(len(side) == side[-1] - side[0] + 1 for side in (self.rows, self.cols) if side)

    @property
    def clipped(self) -> bool:
        """Whether the windows hang over the map's edge (into padding): reach reaches past box."""
        return self.reach != self.box

    def contains(self, channel: int, row: int, col: int) -> bool:
        return channel in self.channels and row in self.rows and col in self.cols


@dataclass(frozen=True, eq=False)
class Window:
    """The k×k window one output pixel reads on each channel of the map before it (for a pooling, `size`×`size`
    on its own channel): its top-left cell at (`top`, `left`) in that map's coordinates, negative or past the
    edge where it hangs over the padding. `inside[u, v]` says whether kernel cell (u, v) lands on a real pixel
    (True) or on padding (False): padding cells read 0, so they add nothing to z and get no δ back."""

    top: int
    left: int
    size: int
    inside: np.ndarray

    def rows(self) -> range:
        return range(self.top, self.top + self.size)

    def cols(self) -> range:
        return range(self.left, self.left + self.size)


@dataclass(frozen=True)
class ReceptiveField:
    """Everything pixel `pixel` of map `layer` depends on: `maps[m]` is its field on map m, for m = 0 (the
    input) … layer − 1, and `window` the kernel (or pooling) window on map layer − 1."""

    layer: int
    pixel: Pixel
    maps: tuple[MapField, ...]
    window: Window


def _geometry(layer: Conv2DLayer | Pool2DLayer) -> tuple[int, int, int]:
    """(window size, stride, padding) of a spatial layer: a pooling is a window without padding."""
    if isinstance(layer, Conv2DLayer):
        return layer.k, layer.stride, layer.pad
    return layer.size, int(layer.stride), 0  # type: ignore[arg-type]  # Pool2DLayer fills its stride in


def _read_back(out: tuple[int, ...], size: int, k: int, stride: int, pad: int) -> tuple[tuple[int, ...], int, int]:
    """The input positions (along one side of `size`) the output positions `out` read, sorted and clipped to the
    map, with the unclipped first and last position. Positions are few (a side is at most 4096), so a set is
    the plainest exact answer, gaps included."""
    read: set[int] = set()
    for i in out:
        start = i * stride - pad
        read.update(range(max(start, 0), min(start + k, size)))
    return tuple(sorted(read)), out[0] * stride - pad, out[-1] * stride - pad + k - 1


def check_pixel(shape: Shape, pixel: object, what: str) -> Pixel:
    """`pixel` as (channel, row, column) of whole numbers inside maps `shape`, refused by name otherwise."""
    if not isinstance(pixel, (tuple, list)) or len(pixel) != 3 or any(
            isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in pixel):
        raise ShapeError(f"{what}: a pixel is (channel, row, column) of whole numbers, got {shorten(repr(pixel))}")
    for name, value, side in zip(("channel", "row", "column"), pixel, shape):
        if not 0 <= value < side:
            raise ShapeError(f"{what}: {name} {value} lies outside the maps {show_shape(shape)} (0 … {side - 1})")
    return int(pixel[0]), int(pixel[1]), int(pixel[2])


def spatial_layer(network: Network, layer: object) -> Conv2DLayer | Pool2DLayer:
    """network's layer number `layer` (1-based: 0 is the input), refused by name unless it is a convolution or
    a pooling: the input is no layer's output, and a dense neuron depends on every value before it."""
    count = len(network.layers)
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer <= count:
        raise ShapeError(f"layer must be a whole number from 1 to {count}, got {shorten(repr(layer))}")
    if layer == 0:
        raise ShapeError("layer 0 is the network's input: it depends on nothing before it")
    found = network.layers[layer - 1]
    if not isinstance(found, (Conv2DLayer, Pool2DLayer)):
        raise ShapeError(f"layer {layer} is dense: each of its neurons reads every value before it, so its field "
                         f"is every pixel of every map; a receptive field is a convolution's or pooling's")
    return found


def kernel_window(layer: Conv2DLayer | Pool2DLayer, row: int, col: int) -> Window:
    """The window output pixel (·, row, col) of `layer` reads on the layer's input maps (see `Window`)."""
    k, stride, pad = _geometry(layer)
    _, height, width = layer.in_shape
    top, left = row * stride - pad, col * stride - pad
    rows = (np.arange(top, top + k) >= 0) & (np.arange(top, top + k) < height)
    cols = (np.arange(left, left + k) >= 0) & (np.arange(left, left + k) < width)
    inside = rows[:, None] & cols[None, :]
    inside.setflags(write=False)
    return Window(top, left, k, inside)


def receptive_field(network: Network, layer: int, pixel: Pixel) -> ReceptiveField:
    """The receptive field of pixel (channel, row, column) of map `layer` (a convolution's or pooling's output)
    on every earlier map, walking back one layer at a time (module docstring). Refused by name (ShapeError): a
    layer number out of range, the input, a dense layer, a pixel outside the layer's maps."""
    found = spatial_layer(network, layer)
    channel, row, col = check_pixel(found.out_shape, pixel, f"layer {layer}")
    channels, rows, cols = (channel,), (row,), (col,)
    fields: list[MapField] = []
    for number in range(layer, 0, -1):
        step = network.layers[number - 1]
        assert isinstance(step, (Conv2DLayer, Pool2DLayer))  # spatial layers come first (layer_checks.py)
        k, stride, pad = _geometry(step)
        shape = step.in_shape
        if isinstance(step, Conv2DLayer):
            channels = tuple(range(shape[0]))  # a convolution reads every channel; a pooling its own
        reach: Box | None = None
        if rows and cols:
            rows, top, bottom = _read_back(rows, shape[1], k, stride, pad)
            cols, left, right = _read_back(cols, shape[2], k, stride, pad)
            reach = (top, left, bottom, right)
        box = (rows[0], cols[0], rows[-1], cols[-1]) if rows and cols else None
        if box is None:
            rows, cols, reach = (), (), None
        fields.append(MapField(number - 1, shape, channels, rows, cols, box, reach))
    fields.reverse()
    return ReceptiveField(layer, (channel, row, col), tuple(fields), kernel_window(found, row, col))
