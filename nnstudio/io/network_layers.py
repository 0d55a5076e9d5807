"""A network file's input and layers: their shapes chained and budgeted from the few numbers that say them, then
the layers read (dense ones by layer_json.py, convolution and pooling by spatial_layer_json.py).

Why two passes: a file is untrusted, and a layer's values are the costly part (a 2048×2048 layer drawn by an
initialiser is 32 MiB from a 60-byte entry; a 3×224×224 input asks for 150,528 values per map). So every size,
every map shape and the network's parameters and activations per sample are checked first, refused by field
with the figures, before any weight or kernel is read or drawn.

Convolutional and pooling layers, and `input.shape`, came in version 2 of the format: a version-1 file cannot
hold them (no release that wrote version 1 knew them), so one that does is refused by field rather than guessed at.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import (MAX_ACTIVATIONS, MAX_DRAWN_WEIGHTS, MAX_LAYERS, MAX_PARAMETERS,
                                  check_spatial_network_size)
from nnstudio.core.network import Network
from nnstudio.core.spatial_layers import Shape, show_shape
from nnstudio.io.field_reader import _Reader
from nnstudio.io.layer_json import _LAYER_KEYS, _read_layer
from nnstudio.io.spatial_layer_json import SPATIAL_TYPES, Geometry, read_geometry, read_spatial_layer

#: The format version that brought convolution, pooling and input.shape.
SPATIAL_VERSION = 2


def _is_spatial(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("type", "dense") != "dense"


def read_input(r: _Reader, inp: dict[str, Any], version: int) -> tuple[int, Shape | None]:
    """The number of inputs and, for maps, their shape (C, H, W): `input.size` must be C·H·W. A flat input has at
    most MAX_SIZE values (one input neuron each); maps may have up to MAX_ACTIVATIONS, each side at most MAX_SIZE."""
    if inp.get("shape") is None:
        return r.size(inp["size"], "input.size"), None
    if version < SPATIAL_VERSION:
        raise r.fail("input.shape", f"maps came in version {SPATIAL_VERSION} of the format; this file says "
                                    f"version {version}")
    dims = r.list(inp["shape"], "input.shape", 3)
    shape = tuple(r.size(d, f"input.shape[{i}]") for i, d in enumerate(dims))
    values = int(np.prod(shape))
    if values > MAX_ACTIVATIONS:
        raise r.fail("input.shape", f"{show_shape(shape)} is {values:,} values; an input may have at most "
                                    f"{MAX_ACTIVATIONS:,}")
    size = inp["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size != values:
        raise r.fail("input.size", f"expected {values} (input.shape {show_shape(shape)}), got {r.show(size)}")
    if inp.get("image") is not None:
        raise r.fail("input.image", "an input with input.shape is shown from its shape; give one of the two")
    return size, shape  # type: ignore[return-value]


def check_layers(r: _Reader, raw_layers: list[Any], n_in: int, input_shape: Shape | None,
                 version: int) -> list[Geometry | None]:
    """Every layer's shape chained from the input (None for a dense layer), and the network refused over the layer,
    parameter, activation or drawn-weight budget, by field and with the figures, before any value is read."""
    if len(raw_layers) > MAX_LAYERS:
        raise r.fail("layers", f"holds {len(raw_layers)} layers; a network may have at most {MAX_LAYERS}")
    geometries: list[Geometry | None] = []
    shape, size, parameters, drawn, activations = input_shape, n_in, 0, 0, n_in
    shapes = [show_shape(input_shape) if input_shape else str(n_in)]
    for index, raw in enumerate(raw_layers):
        field = f"layers[{index}]"
        if _is_spatial(raw):
            if version < SPATIAL_VERSION:
                raise r.fail(f"{field}.type", f"convolution and pooling came in version {SPATIAL_VERSION} of the "
                                              f"format; this file says version {version}")
            geometry = read_geometry(r, raw, field, shape)
            shape, size = geometry.out_shape, int(np.prod(geometry.out_shape))
            parameters += geometry.parameters
            if isinstance(raw.get("kernel"), dict):
                drawn += geometry.parameters
            activations += size
            shapes.append(show_shape(shape))
            geometries.append(geometry)
            continue
        spec = r.obj(raw, field, _LAYER_KEYS, {"size", "activation", "weights"})
        r.choice(spec.get("type", "dense"), f"{field}.type", ["dense", *SPATIAL_TYPES])
        n_out = r.size(spec["size"], f"{field}.size")
        parameters += size * n_out + (n_out if spec.get("bias") is not None else 0)
        if isinstance(spec.get("weights"), dict):
            drawn += size * n_out
        shape, size = None, n_out
        activations += size
        shapes.append(str(n_out))
        geometries.append(None)
    if input_shape is None and all(g is None for g in geometries):
        if parameters > MAX_PARAMETERS:
            raise r.fail("layers", f"the network would hold {parameters:,} weights and biases; "
                                   f"a network may hold at most {MAX_PARAMETERS:,}")
    else:  # maps: what bounds memory is every layer's values per sample together (core/limits.py)
        try:
            check_spatial_network_size(len(raw_layers), parameters, activations, " → ".join(shapes))
        except NNStudioError as error:
            raise r.fail("layers", str(error)) from None
    if drawn > MAX_DRAWN_WEIGHTS:
        raise r.fail("layers", f"asks for {drawn:,} weights drawn by an initialiser; a file may ask for at most "
                               f"{MAX_DRAWN_WEIGHTS:,} (a file costs what its size allows: save a larger network "
                               f"with its weights written out)")
    return geometries


def read_network(r: _Reader, raw_layers: list[Any] | np.ndarray, geometries: list[Geometry | None], n_in: int,
                 input_shape: Shape | None, dtype: np.dtype) -> Network:
    """The layers in order, each taking what the one before gives (maps flattened in (C, H, W) order)."""
    layers: list[Any] = []
    previous = n_in
    for index, (raw, geometry) in enumerate(zip(raw_layers, geometries)):
        if geometry is None:
            layer = _read_layer(r, raw, index, previous, dtype)
        else:
            layer = read_spatial_layer(r, raw, f"layers[{index}]", geometry, dtype)
        layers.append(layer)
        previous = layer.n_out
    try:
        return Network(n_in, tuple(layers), input_shape)
    except NNStudioError as error:  # checked field by field above; a rule the core adds is still named
        raise r.fail("layers", str(error)) from None

