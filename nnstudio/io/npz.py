"""Weights as NumPy `.npz` (W1, b1, W2, …) for people who take them elsewhere.

Layers are numbered as `nnstudio step` numbers them: a convolution's kernel (K, C, k, k) is its `WN`, as in the
safetensors export and the NumPy script, and a pooling layer, which has no parameters, has no entry.
Reading never unpickles (headers are read by hand, object arrays refused); a layer without bias simply has
no `bN` entry. Loading puts the arrays into an existing network's structure and
checks every shape against it.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib

import numpy as np

from nnstudio.core.network import Network
from nnstudio.atomic import atomic_write
from nnstudio.io.errors import NetworkFileError
from nnstudio.core.limits import NPZ_FILE_BYTES, describe_bytes
from nnstudio.io.reading import check_size, open_regular


def save_npz(network: Network, path: str | os.PathLike[str]) -> None:
    """Write W1, b1, … (1-based, as in the textbook) to `path`, atomically."""
    arrays: dict[str, np.ndarray] = {}
    for index, layer in enumerate(network.layers, start=1):
        main, bias = layer.parameters()
        if main is not None:
            arrays[f"W{index}"] = np.asarray(main)
        if bias is not None:
            arrays[f"b{index}"] = np.asarray(bias)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, buffer.getvalue())


_NPY_HEADER_BYTES = 4096  # a .npy header is ~128 bytes; a larger one is refused unread
_ZIP_ERRORS = (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
               zipfile.LargeZipFile, zlib.error)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, shape: tuple[int, ...],
                 source: str) -> np.ndarray:
    """One array, its header checked (float dtype, exact shape) before its values are inflated.

    Why by hand: `np.load` inflates every member whole before anything can be checked, so a
    4 MB archive holding a 4 GiB W1 would be inflated; here at most the expected bytes are read.
    """
    expected = int(np.prod(shape)) * 8
    if info.file_size > expected + _NPY_HEADER_BYTES:
        raise NetworkFileError(f"declares {describe_bytes(info.file_size)} of data; a {'×'.join(map(str, shape))} "
                               f"array needs at most {describe_bytes(expected)}", name, source)
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        got_shape, fortran, dtype = reader(member, max_header_size=_NPY_HEADER_BYTES)
        if dtype.hasobject or dtype.kind != "f":
            raise NetworkFileError(f"expected float values, got {dtype}", name, source)
        if tuple(got_shape) != shape:
            raise NetworkFileError(f"expected shape {shape}, got {tuple(got_shape)}", name, source)
        size = int(np.prod(shape)) * dtype.itemsize
        data = member.read(size)
    if len(data) != size:
        raise NetworkFileError(f"holds {len(data)} bytes of data, its header needs {size}", name, source)
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def load_npz(network: Network, path: str | os.PathLike[str]) -> Network:
    """`network` with its weights and biases replaced by those in the `.npz` at `path`.

    Names, dtypes and shapes are checked from the archive's directory and each array's header
    first; nothing is unpickled and nothing beyond the network's own size is read.
    """
    source = str(path)
    expected: dict[str, tuple[int, ...]] = {}
    for index, layer in enumerate(network.layers, start=1):
        main, bias = layer.parameters()
        if main is not None:
            expected[f"W{index}"] = main.shape
        if bias is not None:
            expected[f"b{index}"] = bias.shape
    fd = open_regular(path, NetworkFileError, ".npz file")
    arrays: dict[str, np.ndarray] = {}
    with os.fdopen(fd, "rb") as handle:
        check_size(path, os.fstat(handle.fileno()).st_size, NPZ_FILE_BYTES, NetworkFileError, ".npz file")
        try:
            with zipfile.ZipFile(handle) as archive:
                members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
                missing, extra = sorted(set(expected) - set(members)), sorted(set(members) - set(expected))
                if missing or extra:
                    raise NetworkFileError(
                        f"expected arrays {', '.join(sorted(expected))}; missing {missing or 'none'}, "
                        f"unexpected {extra or 'none'}", "", source)
                for name, shape in expected.items():
                    arrays[name] = _read_member(archive, members[name], name, shape, source)
        except NetworkFileError:
            raise
        except _ZIP_ERRORS as error:
            raise NetworkFileError(f"not a readable .npz file ({error})", "", source) from None
    layers = []
    for index, layer in enumerate(network.layers, start=1):
        if f"W{index}" not in arrays:  # pooling: nothing to put back
            layers.append(layer)
            continue
        weights, bias = arrays[f"W{index}"], arrays.get(f"b{index}")
        dtype = layer.dtype
        converted = []
        for name, array in ((f"W{index}", weights), (f"b{index}", bias)):
            if array is None:
                converted.append(None)
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                value = array.astype(dtype)
            if not np.all(np.isfinite(value)):
                raise NetworkFileError(f"holds NaN or infinite values, or values beyond {dtype}", name, source)
            converted.append(value)
        layers.append(layer.with_parameters(converted[0], converted[1]))  # typed text no longer describes them
    return network.with_layers(layers)
