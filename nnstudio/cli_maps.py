"""How `nnstudio eval` and `nnstudio step` show a network with maps: convolution and pooling layers.

A trace keeps every z, a and δ flat per sample, maps in (C, H, W) order (core/trace.py). Here they become
maps again: nested lists shaped (C, H, W) in `--json`, and one block of rows per channel in the text.

Why bounded: LeNet's first convolution gives 6×28×28 = 4,704 values per quantity; printed as rows they are
hundreds of lines nobody reads on a terminal. So a map of more than PRINTED_MAP_VALUES values is shown in the
text as its shape and range (`step --all-weights` prints every value, `--json` always holds them all), as
cli_values.py bounds a large network's per-edge values.
"""

from __future__ import annotations

from typing import Any, TextIO

import numpy as np

from nnstudio.cli_values import clean
from nnstudio.core.architecture import architecture_text
from nnstudio.core.architecture_build import architecture_of, describe_shapes
from nnstudio.core.network import Conv2DLayer, DenseLayer, Layer, Network, Pool2DLayer
from nnstudio.core.spatial_layers import as_maps, show_shape

#: Values of one map quantity (a layer's z, a or δ) up to which the text prints it as rows: conv-4x4's are
#: printed, LeNet's first convolution (4,704) is summarised.
PRINTED_MAP_VALUES = 512


def layer_type(layer: Layer) -> str:
    """The layer's kind as the file format names it: "dense", "conv2d", "maxpool2d" or "avgpool2d"."""
    if isinstance(layer, Conv2DLayer):
        return "conv2d"
    if isinstance(layer, Pool2DLayer):
        return f"{layer.kind}pool2d"
    return "dense"


def network_words(network: Network) -> str:
    """How the command line names a network: its sizes "784-128-10", or with maps its notation and shapes,
    "1x4x4-c1k2-m2-1 (1×4×4 → 1×3×3 → 1×1×1 → 1)", as `nnstudio new` takes it."""
    if not network.is_spatial:
        return "-".join(map(str, network.sizes))
    arch = architecture_of(network)
    return f"{architecture_text(arch)} ({describe_shapes(arch)})"


def layer_words(layer: Layer) -> str:
    """One layer as `nnstudio import` lists it: "120 relu", "6×28×28 conv2d relu", "6×14×14 maxpool2d"."""
    bias = "" if layer.has_bias or isinstance(layer, Pool2DLayer) else " (no bias)"
    if isinstance(layer, DenseLayer):
        return f"{layer.n_out} {layer.activation}{bias}"
    activation = f" {layer.activation}" if isinstance(layer, Conv2DLayer) else ""
    return f"{show_shape(layer.out_shape)} {layer_type(layer)}{activation}{bias}"


def layer_heading(layer: Layer) -> str:
    """What `eval` prints after "layer N" for maps:
    "(convolution 2×2, 1 kernel, stride 1, padding 0, relu: 1×4×4 → 1×3×3)"."""
    shapes = f"{show_shape(layer.in_shape)} → {show_shape(layer.out_shape)}"  # type: ignore[union-attr]
    if isinstance(layer, Conv2DLayer):
        kernels = f"{layer.channels} kernel" + ("" if layer.channels == 1 else "s")
        return (f"(convolution {layer.k}×{layer.k}, {kernels}, stride {layer.stride}, padding {layer.pad}, "
                f"{layer.activation}: {shapes})")
    kind = "max" if layer.kind == "max" else "average"  # type: ignore[union-attr]
    return f"({kind} pooling {layer.size}×{layer.size}, stride {layer.stride}: {shapes})"  # type: ignore[union-attr]


def nested(values: np.ndarray | None, shape: tuple[int, ...] | None) -> Any:
    """Flat values as nested lists shaped `shape` (maps (C, H, W)), or flat when `shape` is None; −0.0 as 0.0."""
    if values is None:
        return None
    array = clean(values)
    return (array if shape is None else as_maps(array, shape)).tolist()


def spatial_fields(layer: Layer) -> dict[str, Any]:
    """The geometry `--json` gives a convolution or pooling layer, beside its type."""
    maps: Any = layer
    fields: dict[str, Any] = {"in_shape": list(maps.in_shape), "out_shape": list(maps.out_shape)}
    if isinstance(layer, Conv2DLayer):
        fields.update(kernel_shape=list(layer.kernel.shape), stride=layer.stride, padding=layer.pad)
    elif isinstance(layer, Pool2DLayer):
        fields.update(size=layer.size, stride=layer.stride)
    return fields


def _rows(out: TextIO, indent: str, grid: np.ndarray, digits: int) -> None:
    """One 2-D grid, a row per line, the rows after the first lined up under it."""
    for index, row in enumerate(grid):
        out.write((indent if index == 0 else " " * len(indent)) + "[" + ", ".join(f"{v:.{digits}g}" for v in row)
                  + "]\n")


def write_maps(out: TextIO, label: str, values: Any, shape: tuple[int, ...], digits: int, full: bool,
               hint: str) -> None:
    """`label` then maps (C, H, W), one block of rows per channel; over PRINTED_MAP_VALUES (and not `full`) their
    shape and range only, with `hint` saying how to see them all."""
    maps = clean(np.asarray(values)).reshape(shape)
    if maps.size > PRINTED_MAP_VALUES and not full:
        finite = maps[np.isfinite(maps)]
        span = f" from {finite.min():.{digits}g} to {finite.max():.{digits}g}" if finite.size else ""
        out.write(f"{label}{show_shape(shape)} values{span} (not printed, more than {PRINTED_MAP_VALUES:,}: "
                  f"{hint})\n")
        return
    out.write(label.rstrip() + "\n")
    for channel, grid in enumerate(maps, start=1):
        _rows(out, f"    channel {channel}: ", grid, digits)


def write_kernels(out: TextIO, label: str, kernel: np.ndarray | None, layer: Conv2DLayer, digits: int) -> None:
    """A kernel (K, C, k, k) or its gradient, one k×k grid per (output kernel, input channel); when it was left
    out (None), its shape."""
    if kernel is None:
        out.write(f"{label}{show_shape(layer.kernel.shape)} values (not printed)\n")
        return
    out.write(label.rstrip() + "\n")
    for index, per_channel in enumerate(clean(kernel), start=1):
        for channel, grid in enumerate(per_channel, start=1):
            _rows(out, f"    kernel {index}, channel {channel}: ", grid, digits)
