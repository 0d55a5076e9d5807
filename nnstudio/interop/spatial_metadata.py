"""A convolutional network's layers as a safetensors file's metadata says them, read back strictly.

A tensor's shape says a kernel (K, C, k, k) but not its stride or padding, nor where a pooling sits (it holds
no tensor at all), so the `nnstudio` metadata of a convolutional network adds:

    "input_shape": [C, H, W],
    "layers": [{"type": "conv2d", "in_shape": [C, H, W], "out_shape": [K, Ho, Wo], "kernel": [K, C, k, k],
                "stride": s, "padding": p},
               {"type": "max_pool2d" | "avg_pool2d", "in_shape": […], "out_shape": […], "size": n, "stride": s},
               {"type": "dense", "shape": [neurons, inputs]}, …]

Layer l's tensors are W{l} (weights, or the kernel) and b{l}, numbered by layer as `nnstudio step` numbers
them; a pooling layer has none. Reading checks every field by name, then walks the declared tensor shapes
through the layers (each must read what the one before gives) and checks the budget — parameters and values
per sample, by the core's own check — before one tensor is read; then builds the layers through the core's
constructors, so what they refuse is refused here too, naming the layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.limits import MAX_LAYERS, MAX_SIZE, check_spatial_network_size
from nnstudio.core.network import Conv2DLayer, DenseLayer, Layer, Network, Pool2DLayer
from nnstudio.core.spatial_layers import conv_out_shape, pool_out_shape, show_shape
from nnstudio.io.errors import NetworkFileError
from nnstudio.interop.model_metadata import KEY

POOL_TYPES = {"max_pool2d": "max", "avg_pool2d": "avg"}
LAYER_TYPES = ("dense", "conv2d", *POOL_TYPES)
_FIELDS = {"dense": {"type", "shape"},
           "conv2d": {"type", "in_shape", "out_shape", "kernel", "stride", "padding"},
           **{name: {"type", "in_shape", "out_shape", "size", "stride"} for name in POOL_TYPES}}


def describe_maps(network: Network) -> dict | None:
    """The metadata's "input_shape" and "layers" for a convolutional network; None for a dense one (whose
    tensors say all, so its metadata stays as it always was)."""
    if not network.is_spatial or network.input_shape is None:
        return None
    layers: list[dict] = []
    for layer in network.layers:
        if isinstance(layer, Conv2DLayer):
            layers.append({"type": "conv2d", "in_shape": list(layer.in_shape), "out_shape": list(layer.out_shape),
                           "kernel": list(layer.kernel.shape), "stride": layer.stride, "padding": layer.pad})
        elif isinstance(layer, Pool2DLayer):
            layers.append({"type": f"{layer.kind}_pool2d", "in_shape": list(layer.in_shape),
                           "out_shape": list(layer.out_shape), "size": layer.size, "stride": layer.stride})
        else:
            layers.append({"type": "dense", "shape": [layer.n_out, layer.n_in]})
    return {"input_shape": list(network.input_shape), "layers": layers}


@dataclass(frozen=True)
class LayerSpec:
    """One layer as the metadata says it; shapes it states (in_shape, out_shape, kernel or shape) are checked
    against the tensors' and the chain's, so a file cannot say one thing and hold another."""

    type: str
    stride: int = 1
    padding: int = 0
    size: int = 0
    stated: tuple[tuple[str, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class MapsPlan:
    """A convolutional network's input shape and layers, from the metadata, before any tensor is read."""

    input_shape: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape))


def _where(index: int | None = None, name: str = "") -> str:
    field = f"{KEY} metadata: layers" if index is not None else f"{KEY} metadata: input_shape"
    return field + (f"[{index}]" if index is not None else "") + (f".{name}" if name else "")


def _whole(value: object, least: int, most: int, where: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise NetworkFileError(f"{_shown(value)}: expected a whole number from {least} to {most}", where, source)
    return value


def _shape(value: object, length: int, where: str, source: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) != length:
        raise NetworkFileError(f"{_shown(value)}: expected a list of {length} whole numbers", where, source)
    return tuple(_whole(v, 1, 2**31 - 1, f"{where}[{i}]", source) for i, v in enumerate(value))


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def read_maps(data: Mapping, source: str) -> MapsPlan | None:
    """The plan the metadata object states, each field refused by name; None when it states no "layers" (a dense
    network's metadata, read as it always was)."""
    if "layers" not in data and "input_shape" not in data:
        return None
    shape = _shape(data.get("input_shape"), 3, _where(), source)
    for side, what in zip(shape, ("channels", "height", "width")):
        if side > MAX_SIZE:
            raise NetworkFileError(f"{what} {side}: at most {MAX_SIZE}", _where(), source)
    layers = data.get("layers")
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS:
        raise NetworkFileError(f"expected a list of 1 to {MAX_LAYERS} layers", f"{KEY} metadata: layers", source)
    specs = []
    for index, entry in enumerate(layers):
        if not isinstance(entry, dict):
            raise NetworkFileError("expected an object with the layer's type", _where(index), source)
        kind = entry.get("type")
        if not isinstance(kind, str) or kind not in LAYER_TYPES:
            raise NetworkFileError(f"{_shown(kind)}: expected one of {', '.join(LAYER_TYPES)}",
                                   _where(index, "type"), source)
        unknown = sorted(set(map(str, entry)) - _FIELDS[kind])
        if unknown:
            raise NetworkFileError(f"a {kind} layer has no field {_shown(unknown[0])} (its fields: "
                                   f"{', '.join(sorted(_FIELDS[kind]))})", _where(index), source)
        stated = tuple((name, _shape(entry[name], {"kernel": 4, "shape": 2}.get(name, 3), _where(index, name),
                                     source)) for name in ("in_shape", "out_shape", "kernel", "shape") if name in entry)
        if kind == "dense":
            specs.append(LayerSpec(kind, stated=stated))
            continue
        stride = _whole(entry.get("stride"), 1, 4096, _where(index, "stride"), source)
        if kind == "conv2d":
            specs.append(LayerSpec(kind, stride, _whole(entry.get("padding"), 0, 4096, _where(index, "padding"),
                                                        source), stated=stated))
        else:
            specs.append(LayerSpec(kind, stride, size=_whole(entry.get("size"), 1, 4096, _where(index, "size"),
                                                               source), stated=stated))
    return MapsPlan((shape[0], shape[1], shape[2]), tuple(specs))


def _stated(spec: LayerSpec, index: int, name: str, actual: tuple[int, ...], source: str) -> None:
    """Refuse a shape the metadata states that is not the one the tensors and the chain give."""
    for key, value in spec.stated:
        if key == name and value != tuple(actual):
            raise NetworkFileError(f"says {show_shape(value)}, but the network's tensors and layers give "
                                   f"{show_shape(tuple(actual))}", _where(index, name), source)


def check_tensors(plan: MapsPlan, shapes: Mapping[str, tuple[int, ...]], source: str) -> list[int]:
    """The values each layer gives (input first), after walking the declared tensor shapes through the layers
    and checking the budget; nothing has been read but the header. Refused by the tensor's name or the
    metadata's field: a kernel that is not (K, C, k, k) or reads other channels than the maps before it give,
    a kernel larger than the padded maps, a dense layer whose inputs are not the values before it, tensors for
    a pooling or for a layer the metadata does not list, and a network over the budget."""
    count = len(plan.layers)
    for name in shapes:
        number = int(name[1:]) if name[:1] in "Wb" and name[1:].isdigit() else 0
        if not 1 <= number <= count:
            raise NetworkFileError(f"the metadata lists {count} layers; expected W1…W{count} and b1…b{count}", name,
                                   source)
    maps: tuple[int, int, int] | None = plan.input_shape
    sizes, parameters, described = [plan.input_size], 0, [show_shape(plan.input_shape)]
    for index, spec in enumerate(plan.layers):
        number = index + 1
        weights, bias = shapes.get(f"W{number}"), shapes.get(f"b{number}")
        if spec.type != "dense" and maps is None:
            raise NetworkFileError(f"a {spec.type} layer reads maps but follows a dense layer, whose output is flat",
                                   _where(index, "type"), source)
        if spec.type in POOL_TYPES:
            if weights is not None or bias is not None:
                raise NetworkFileError(f"layer {number} is a pooling, which has no weights or bias",
                                       f"W{number}" if weights is not None else f"b{number}", source)
            _stated(spec, index, "in_shape", maps, source)  # type: ignore[arg-type]
            out = _refused_by(lambda: pool_out_shape(maps, spec.size, spec.stride), _where(index), source)
            _stated(spec, index, "out_shape", out, source)
            maps = out
            described.append(show_shape(out))
            sizes.append(int(np.prod(out)))
            continue
        if weights is None:
            raise NetworkFileError(f"layer {number} ({spec.type}) has no weights W{number}", f"W{number}", source)
        if spec.type == "conv2d":
            if len(weights) != 4 or weights[2] != weights[3]:
                raise NetworkFileError(f"shape {tuple(weights)}: a convolution's kernel is (K, C, k, k), k×k square",
                                       f"W{number}", source)
            assert maps is not None
            if weights[1] != maps[0]:
                raise NetworkFileError(f"the kernel {show_shape(weights)} reads {weights[1]} channel(s) but the maps "
                                       f"before it, {show_shape(maps)}, have {maps[0]}", f"W{number}", source)
            _stated(spec, index, "in_shape", maps, source)
            _stated(spec, index, "kernel", weights, source)
            out = _refused_by(lambda: conv_out_shape(maps, weights[0], weights[2], spec.stride, spec.padding),
                              f"W{number}", source)
            _stated(spec, index, "out_shape", out, source)
            maps, n_out = out, int(np.prod(out))
            described.append(show_shape(out))
        else:
            if len(weights) != 2:
                raise NetworkFileError(f"shape {tuple(weights)}: a dense layer's weights are (neurons × inputs)",
                                       f"W{number}", source)
            if weights[1] != sizes[-1]:
                raise NetworkFileError(f"takes {weights[1]} inputs but the layer before it gives {sizes[-1]}",
                                       f"W{number}", source)
            _stated(spec, index, "shape", weights, source)
            maps, n_out = None, weights[0]
            described.append(str(n_out))
        if bias is not None and tuple(bias) != (weights[0],):
            raise NetworkFileError(f"expected shape ({weights[0]},), one value per "
                                   f"{'output channel' if spec.type == 'conv2d' else 'neuron'}, got {tuple(bias)}",
                                   f"b{number}", source)
        parameters += int(np.prod(weights, dtype=object)) + (weights[0] if bias is not None else 0)
        sizes.append(n_out)
    _refused_by(lambda: check_spatial_network_size(count, parameters, sum(sizes), " → ".join(described)), "",
                source)
    return sizes


def _refused_by(check, field: str, source: str):  # type: ignore[no-untyped-def]
    """`check()`'s result, or its refusal (the core's message) as a NetworkFileError naming `field`."""
    try:
        return check()
    except NNStudioError as error:
        raise NetworkFileError(str(error), field, source) from None


def build_network(plan: MapsPlan, arrays: Mapping[str, np.ndarray], activations: Sequence[str],
                  params: Sequence[Mapping[str, float]], source: str) -> Network:
    """The network the plan and the tensors (checked by check_tensors) describe, every layer through its core
    constructor; its precision float64 when any tensor is, else float32 (as a dense import's)."""
    dtype = np.float64 if any(a.dtype == np.float64 for a in arrays.values()) else np.float32
    layers: list[Layer] = []
    shape: tuple[int, int, int] = plan.input_shape
    for index, (spec, activation, p) in enumerate(zip(plan.layers, activations, params)):
        number = index + 1
        main, bias = arrays.get(f"W{number}"), arrays.get(f"b{number}")
        for name, values in ((f"W{number}", main), (f"b{number}", bias)):
            if values is not None and not np.all(np.isfinite(values)):
                raise NetworkFileError("holds a value that is not finite (NaN or infinite)", name, source)
        main = None if main is None else np.array(main, dtype=dtype)
        bias = None if bias is None else np.array(bias, dtype=dtype)
        if spec.type in POOL_TYPES and activation != "identity":
            raise NetworkFileError(f"activation {activation!r}: a pooling layer has none (give identity for it)",
                                   f"layer {number}", source)
        layer: Layer = _refused_by(lambda: (
            Pool2DLayer(POOL_TYPES[spec.type], shape, spec.size, spec.stride) if spec.type in POOL_TYPES else
            Conv2DLayer(main, bias, shape, spec.stride, spec.padding, activation, p) if spec.type == "conv2d" else
            DenseLayer(main, bias, activation, p)), f"layer {number}", source)
        layers.append(layer)
        if is_spatial(layer):
            shape = layer.out_shape  # type: ignore[union-attr]
    return _refused_by(lambda: Network(plan.input_size, tuple(layers), plan.input_shape), "", source)
