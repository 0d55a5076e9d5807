"""What every layer and network is checked for: read-only arrays, sizes in range, layers that chain, budgets.

Kept apart from network.py so that the spatial layers (core/spatial_layers.py) share these checks with the
dense one without an import circle, and so the rules for what may follow what read in one place:

    dense after anything   its n_in is the number of values the layer before gives (maps flattened (C, H, W))
    spatial first          the network says its input shape (C, H, W), and the layer's in_shape is it
    spatial after spatial  its in_shape is the out_shape of the layer before
    spatial after dense    refused: a dense layer's output is flat, with no maps to convolve or pool
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from nnstudio.core.errors import ShapeError, shorten
from nnstudio.core.limits import MAX_ACTIVATIONS, MAX_SIZE, check_network_size, check_spatial_network_size


def frozen(array: np.ndarray) -> np.ndarray:
    """A read-only array of these values. One that is read-only already and owns its memory (not a view of
    something writable) is shared, not copied: nobody can change it, and a 64 MiB layer edited in one bias, or
    read from a file, must not cost a second 64 MiB."""
    if isinstance(array, np.ndarray) and not array.flags.writeable and array.base is None:
        return array
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def check_size(what: str, size: int, limit: int = MAX_SIZE) -> None:
    """Refuse sizes outside 1…limit (MAX_SIZE unless said) with a message naming `what`."""
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or not 1 <= size <= limit:
        raise ShapeError(f"{what} must be a whole number from 1 to {limit}, got {size!r}")


def is_spatial(layer: object) -> bool:
    """A layer that reads and gives maps (convolution, pooling): it says the shape of the maps it reads."""
    return hasattr(layer, "in_shape")


def _shown(shape: Sequence[int]) -> str:
    return "×".join(map(str, shape))


def check_input_shape(input_size: int, input_shape: object) -> tuple[int, int, int] | None:
    """The network's input shape (C, H, W) as ints, or None; refused by name unless C·H·W is the input size.

    A flat input has at most MAX_SIZE values (one input neuron each); maps may have more, each side at most
    MAX_SIZE and all of them within MAX_ACTIVATIONS (a picture of 3×224×224 is 150,528 values)."""
    if input_shape is None:
        check_size("input size", input_size)
        return None
    check_size("input size", input_size, MAX_ACTIVATIONS)
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ShapeError(f"input shape must be (channels, height, width), got {shorten(repr(input_shape))}")
    for name, side in zip(("channels", "height", "width"), input_shape):
        check_size(f"input shape: {name}", side)
    shape = (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))
    if int(np.prod(shape)) != input_size:
        raise ShapeError(f"input shape {_shown(shape)} holds {int(np.prod(shape))} values but the input size is "
                         f"{input_size}")
    return shape


def check_chain(input_size: int, input_shape: tuple[int, int, int] | None, layers: Sequence[object]) -> None:
    """Refuse, naming the layer and the numbers, layers that do not each read what the one before gives (see the
    module docstring), then a network over its budget: a dense network by its sizes as always, one with spatial
    layers by its parameters and its values per sample (limits.check_spatial_network_size)."""
    previous_size, previous_shape, previous_dense = input_size, input_shape, False
    for index, layer in enumerate(layers):
        n_in = int(layer.n_in)  # type: ignore[attr-defined]
        if is_spatial(layer):
            what = f"layer {index + 1} ({'convolution' if hasattr(layer, 'kernel') else 'pooling'})"
            in_shape = tuple(layer.in_shape)  # type: ignore[attr-defined]
            if previous_dense:
                raise ShapeError(f"{what} reads maps but follows a dense layer, whose output is flat; "
                                 f"put convolution and pooling before the dense layers")
            if previous_shape is None:
                raise ShapeError(f"{what} reads maps {_shown(in_shape)} but the network has no input shape "
                                 f"(channels, height, width)")
            if in_shape != tuple(previous_shape):
                source = "the network's input" if index == 0 else "the layer before it"
                raise ShapeError(f"{what} reads maps {_shown(in_shape)} but {source} gives {_shown(previous_shape)}")
            previous_shape = layer.out_shape  # type: ignore[attr-defined]
        else:
            if n_in != previous_size:
                given = (f"{previous_size}" if previous_shape is None
                         else f"{_shown(previous_shape)} = {previous_size} values (its maps flattened)")
                raise ShapeError(f"layer {index + 1} takes {n_in} inputs but the layer before it gives {given}")
            previous_shape, previous_dense = None, True
        previous_size = int(layer.n_out)  # type: ignore[attr-defined]
    if not any(is_spatial(layer) for layer in layers):
        check_network_size([input_size] + [int(layer.n_out) for layer in layers],  # type: ignore[attr-defined]
                           [layer.bias is not None for layer in layers])  # type: ignore[attr-defined]
        return
    shapes = [_shown(input_shape or (input_size,))] + [
        _shown(layer.out_shape) if is_spatial(layer) else str(layer.n_out) for layer in layers]  # type: ignore
    check_spatial_network_size(len(layers), sum(int(layer.parameter_count) for layer in layers),  # type: ignore
                               input_size + sum(int(layer.n_out) for layer in layers),  # type: ignore
                               " → ".join(shapes))
