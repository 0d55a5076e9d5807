"""Weights as NumPy `.npz` (W1, b1, W2, …) for people who take them elsewhere.

Reading never unpickles (`allow_pickle=False`); a layer without bias simply has
no `bN` entry. Loading puts the arrays into an existing network's structure and
checks every shape against it.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from nnstudio.core.network import Network
from nnstudio.atomic import atomic_write
from nnstudio.io.errors import NetworkFileError


def save_npz(network: Network, path: str | os.PathLike[str]) -> None:
    """Write W1, b1, … (1-based, as in the textbook) to `path`, atomically."""
    arrays: dict[str, np.ndarray] = {}
    for index, layer in enumerate(network.layers, start=1):
        arrays[f"W{index}"] = np.asarray(layer.weights)
        if layer.bias is not None:
            arrays[f"b{index}"] = np.asarray(layer.bias)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, buffer.getvalue())


def load_npz(network: Network, path: str | os.PathLike[str]) -> Network:
    """`network` with its weights and biases replaced by those in the `.npz` at `path`."""
    source = str(path)
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise NetworkFileError(f"not a readable .npz file ({error})", "", source) from None
    expected = {f"W{i}" for i in range(1, len(network.layers) + 1)}
    expected |= {f"b{i}" for i, layer in enumerate(network.layers, start=1) if layer.bias is not None}
    missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
    if missing or extra:
        raise NetworkFileError(
            f"expected arrays {', '.join(sorted(expected))}; missing {missing or 'none'}, unexpected {extra or 'none'}",
            "", source)
    layers = []
    for index, layer in enumerate(network.layers, start=1):
        weights = arrays[f"W{index}"]
        if weights.shape != layer.weights.shape or not np.issubdtype(weights.dtype, np.floating):
            raise NetworkFileError(f"expected a float array of shape {layer.weights.shape}, got {weights.dtype} "
                                   f"{weights.shape}", f"W{index}", source)
        bias = arrays.get(f"b{index}")
        if bias is not None and bias.shape != (layer.n_out,):
            raise NetworkFileError(f"expected shape ({layer.n_out},), got {bias.shape}", f"b{index}", source)
        for name, array in ((f"W{index}", weights), (f"b{index}", bias)):
            if array is not None and not np.all(np.isfinite(array)):
                raise NetworkFileError("holds NaN or infinite values", name, source)
        dtype = layer.weights.dtype
        layers.append(layer.replace(weights=weights.astype(dtype), bias=None if bias is None else bias.astype(dtype),
                                    weight_text={}, bias_text={}))
    return network.with_layers(layers)
