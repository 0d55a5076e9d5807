"""A convolutional or pooling layer as JSON, read field by field and written (version 2 of the `.nnstudio` file).

    {"type": "conv2d", "channels": 6, "kernel_size": 5, "stride": 1, "padding": 2,
     "activation": "relu", "kernel": [[[[…k values…], …k rows…], …C…], …K…], "bias": [… K values …]}
    {"type": "maxpool2d", "size": 2}            {"type": "avgpool2d", "size": 3, "stride": 2}

The kernel is written as PyTorch holds it, (K, C, k, k): one entry per output channel, holding one k×k grid per
input channel, rows top to bottom. A large kernel of small grids (3×3, 1×1) is written as K rows of C·k·k values
in (C, k, k) order instead, PyTorch's `weight.view(K, -1)`: millions of tiny nested lists would cost more to read
than a file's budget allows. A reader takes either form. `padding` is a whole number or "same" (stride 1, odd k); `stride` defaults to
1 for a convolution and to the size for pooling. A kernel may instead be asked of a seeded initialiser,
`{"init": "he", "seed": 1}`, drawn with fan-in C·k² as core/init.py's `initial_kernel` draws. Values are numbers
or typed expressions, whose text is kept as a dense layer's is.

Why the geometry is read apart from the values (`read_geometry`): network_budget.py chains every layer's shape
from these few numbers, and refuses a network over its parameter or activation budget, before any kernel is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.activations import ACTIVATIONS, ParameterError, get_activation
from nnstudio.core.conv import same_padding
from nnstudio.core.errors import NNStudioError
from nnstudio.core.init import initial_kernel
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, Shape, conv_out_shape, pool_out_shape
from nnstudio.io.bounded_json import MIN_NUMBERS
from nnstudio.io.errors import NetworkFileError
from nnstudio.io.field_reader import _Reader
from nnstudio.io.layer_json import read_initialiser

CONV = "conv2d"
POOLS = {"maxpool2d": "max", "avgpool2d": "avg"}
SPATIAL_TYPES = (CONV, *POOLS)
CONV_KEYS = {"type", "channels", "kernel_size", "stride", "padding", "activation", "params", "kernel", "bias"}
POOL_KEYS = {"type", "size", "stride"}
#: The largest kernel side, stride or padding a file may ask for: no map is larger (core/spatial_layers.py).
MAX_SIDE = 4096
#: A kernel of more values than this whose k×k grids hold fewer than MIN_NUMBERS is written as rows (see below).
ROWS_FROM = 4096


@dataclass(frozen=True)
class Geometry:
    """What a spatial layer's JSON says of its shape: enough to chain shapes and count parameters."""

    kind: str                  # "conv2d", "maxpool2d" or "avgpool2d"
    in_shape: Shape
    out_shape: Shape
    channels: int = 0          # a convolution's K (0 for pooling)
    k: int = 0                 # kernel or pool size
    stride: int = 1
    pad: int = 0
    bias: bool = False

    @property
    def parameters(self) -> int:
        return self.channels * self.in_shape[0] * self.k * self.k + (self.channels if self.bias else 0)


def _side(r: _Reader, value: Any, field: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_SIDE:
        raise r.fail(field, f"expected a whole number from {minimum} to {MAX_SIDE}, got {r.show(value)}")
    return value


def read_geometry(r: _Reader, spec: dict[str, Any], field: str, in_shape: Shape | None) -> Geometry:
    """The layer's kind, stride, padding and shapes, refused by field: a stride of 0, a kernel larger than the
    padded maps, "same" with a stride, or maps where none come (`in_shape` None: after a dense layer or first
    in a network without an input shape)."""
    kind = r.choice(spec.get("type"), f"{field}.type", ["dense", *SPATIAL_TYPES])
    if in_shape is None:
        raise r.fail(f"{field}.type", f"a {kind} layer reads maps (channels × height × width), but "
                     + ("the input has no input.shape" if field == "layers[0]" else
                        "it follows a dense layer, whose output is flat; put convolution and pooling first"))
    try:
        if kind == CONV:
            spec = r.obj(spec, field, CONV_KEYS, {"type", "channels", "kernel_size", "activation", "kernel"})
            channels = r.size(spec["channels"], f"{field}.channels")
            k = _side(r, spec["kernel_size"], f"{field}.kernel_size", 1)
            stride = _side(r, spec.get("stride", 1), f"{field}.stride", 1)
            raw_pad = spec.get("padding", 0)
            if raw_pad == "same":
                try:
                    pad = same_padding(k, stride)
                except NNStudioError as error:
                    raise r.fail(f"{field}.padding", str(error)) from None
            else:
                pad = _side(r, raw_pad, f"{field}.padding", 0)
            out = conv_out_shape(in_shape, channels, k, stride, pad)
            return Geometry(kind, in_shape, out, channels, k, stride, pad, spec.get("bias") is not None)
        spec = r.obj(spec, field, POOL_KEYS, {"type", "size"})
        size = _side(r, spec["size"], f"{field}.size", 1)
        stride = _side(r, spec.get("stride", size), f"{field}.stride", 1)
        return Geometry(kind, in_shape, pool_out_shape(in_shape, size, stride), k=size, stride=stride)
    except NetworkFileError:
        raise
    except NNStudioError as error:  # the core's own refusal (a window larger than the padded maps), by field
        raise r.fail(field, str(error)) from None


def _read_grid(r: _Reader, raw: Any, field: str, out: np.ndarray, texts: dict[tuple[int, ...], str],
               where: tuple[int, ...] = ()) -> None:
    """Fill `out[where]` from nested lists of numbers or expressions (or the arrays bounded_json read them into)."""
    shape = out.shape[len(where):]
    if isinstance(raw, np.ndarray):
        if raw.shape != shape:
            raise r.fail(field, f"expected {'×'.join(map(str, shape))}, got {'×'.join(map(str, raw.shape))}")
        out[where] = r.finite(raw, field)
        return
    if not shape:
        out[where], text = r.value(raw, field)
        if text is not None:
            texts[where] = text
        return
    items = r.list(raw, field)
    if len(items) != shape[0]:
        raise r.fail(field, f"expected {shape[0]} entries ({'×'.join(map(str, shape))}), got {len(items)}")
    for i, item in enumerate(items):
        _read_grid(r, item, f"{field}[{i}]", out, texts, where + (i,))


def _read_kernel(r: _Reader, raw: Any, field: str, shape: tuple[int, int, int, int]) -> tuple[np.ndarray, dict]:
    """The kernel (K, C, k, k) written out, or drawn by a seeded initialiser; its typed text by (o, c, i, j)."""
    if isinstance(raw, dict):
        name, rng, values = read_initialiser(r, raw, field)
        try:
            return initial_kernel(shape, name, rng, values), {}
        except NNStudioError as error:
            raise r.fail(f"{field}.params", str(error)) from None
    kernel = np.empty(shape)
    texts: dict[tuple[int, ...], str] = {}
    if _is_rows(raw):  # K rows of C·k·k values: filled through a (K, C·k·k) view of the same array
        rows: dict[tuple[int, ...], str] = {}
        _read_grid(r, raw, field, kernel.reshape(shape[0], -1), rows)
        inner = shape[1:]
        return kernel, {(o, *map(int, np.unravel_index(i, inner))): text for (o, i), text in rows.items()}
    _read_grid(r, raw, field, kernel, texts)
    return kernel, texts


def _is_rows(raw: Any) -> bool:
    """Whether a kernel is written as rows of values (one per output channel) rather than as nested k×k grids."""
    if isinstance(raw, np.ndarray):
        return raw.ndim == 2
    first = raw[0] if isinstance(raw, list) and raw else None
    if isinstance(first, np.ndarray):
        return first.ndim == 1
    return isinstance(first, list) and bool(first) and not isinstance(first[0], (list, np.ndarray))


def read_spatial_layer(r: _Reader, spec: dict[str, Any], field: str, geometry: Geometry,
                       dtype: np.dtype) -> Conv2DLayer | Pool2DLayer:
    """The layer `spec` describes, its geometry already read and budgeted (`read_geometry`)."""
    if geometry.kind in POOLS:
        return Pool2DLayer(POOLS[geometry.kind], geometry.in_shape, geometry.k, geometry.stride)
    activation = r.choice(spec["activation"], f"{field}.activation", sorted(ACTIVATIONS),
                          lambda name: get_activation(name).name)
    if not ACTIVATIONS[activation].elementwise:
        raise r.fail(f"{field}.activation", f"{activation} is only for a flat output (a dense layer); a "
                                            f"convolution takes an elementwise activation")
    params_raw = r.obj(spec.get("params", {}), f"{field}.params", set(ACTIVATIONS[activation].defaults))
    params = {k: r.number(v, f"{field}.params.{k}") for k, v in params_raw.items()}
    try:
        ACTIVATIONS[activation].check_fits(params, dtype)
    except ParameterError as error:
        raise r.fail(f"{field}.params.{error.key}", error.reason) from None
    shape = (geometry.channels, geometry.in_shape[0], geometry.k, geometry.k)
    kernel, kernel_text = _read_kernel(r, spec["kernel"], f"{field}.kernel", shape)
    r.fits(kernel, dtype, f"{field}.kernel")
    bias, bias_text = None, {}
    if spec.get("bias") is not None:
        bias, texts = r.vector(spec["bias"], f"{field}.bias", geometry.channels, dtype)
        bias_text = {i: t for i, t in enumerate(texts) if t is not None}
        bias = bias.astype(dtype, copy=False)
    try:  # every field was checked above; the core checks again, and a fault is still named by field
        return Conv2DLayer(kernel.astype(dtype, copy=False), bias, geometry.in_shape, geometry.stride, geometry.pad,
                           activation, params, kernel_text, bias_text)
    except NNStudioError as error:
        raise r.fail(field, str(error)) from None


def _cell(value: float, text: str | None) -> float | str:
    return text if text is not None else float(value)


def spatial_layer_to_json(layer: Conv2DLayer | Pool2DLayer) -> dict[str, Any]:
    """One spatial layer as the file writes it (padding as the number it is; the text typed for values kept)."""
    if isinstance(layer, Pool2DLayer):
        entry: dict[str, Any] = {"type": "maxpool2d" if layer.kind == "max" else "avgpool2d", "size": layer.size}
        if layer.stride != layer.size:
            entry["stride"] = layer.stride
        return entry
    entry = {"type": CONV, "channels": layer.channels, "kernel_size": layer.k, "stride": layer.stride,
             "padding": layer.pad, "activation": layer.activation}
    if layer.params:
        entry["params"] = dict(layer.params)
    text = layer.kernel_text
    if layer.k * layer.k < MIN_NUMBERS and layer.kernel.size > ROWS_FROM:
        # Small grids in a large kernel: nested, each would be two or more lists of a few numbers, which JSON
        # readers (bounded_json.py too) hold as objects at ~20× their text; rows are read by numpy instead.
        kernel = layer.kernel.reshape(layer.channels, -1).tolist()
        for (o, c, i, j), typed in text.items():
            kernel[o][int(np.ravel_multi_index((c, i, j), layer.kernel.shape[1:]))] = typed
    else:
        kernel = layer.kernel.tolist()
        for (o, c, i, j), typed in text.items():
            kernel[o][c][i][j] = typed
    entry["kernel"] = kernel
    entry["bias"] = None if layer.bias is None else [
        _cell(value, layer.bias_text.get(i)) for i, value in enumerate(layer.bias.tolist())]
    return entry
