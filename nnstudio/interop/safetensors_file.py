"""Weights as safetensors (`W1`, `b1`, … as in the `.npz`), the format PyTorch and Hugging Face share.

The format is small enough to read and write by hand (8 bytes of header length, a JSON header
naming each tensor's dtype, shape and byte range, then the bytes), and by hand is how we read it:
every figure the header claims is checked against the file's real size and the network budget
before one array is made, so a header claiming terabytes costs nothing, and the tensors' byte ranges
must tile the data exactly (no overlap, no gap, nothing after the last), as the reference requires. The `safetensors` package
(the reference implementation) reads what we write and writes what we read in the tests.

The sizes follow from the arrays; the activations, loss, labels and input normalisation (offset and
scale as exact float64 numbers) travel in the header's `__metadata__` under `nnstudio` (see
model_metadata.py). A file without them (a `state_dict` saved by PyTorch) imports when the activations
are given (`nnstudio import … --activations relu,softmax`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import struct
from collections.abc import Sequence

import numpy as np

from nnstudio.atomic import atomic_write
from nnstudio.core.errors import shorten
from nnstudio.core.limits import NETWORK_FILE_BYTES, describe_bytes
from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError
from nnstudio.interop.imported_project import build_imported, check_declared_shapes, imported_project
from nnstudio.interop.model_metadata import KEY, ModelMetadata, metadata_object, parse_metadata
from nnstudio.interop.spatial_metadata import build_network, check_tensors, describe_maps, read_maps
from nnstudio.io.reading import check_size, open_regular, read_at_most

MAX_HEADER_BYTES = 1 << 24  # names, shapes and offsets of a few hundred tensors and our metadata: far less
DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
_NAME = re.compile(r"^([Wb])([1-9][0-9]{0,3})$")
OFFSET, SCALE = "normalisation offset", "normalisation scale"  # a state_dict's Normalise buffers, by our names


def safetensors_bytes(project: Project, dtype: str | None = None) -> bytes:
    """The file: W1, b1, … in `dtype` (default the network's), with our metadata."""
    network = project.network
    kind = np.dtype(dtype or network.dtype).newbyteorder("<")
    code = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64"}[kind]
    metadata = dataclasses.replace(ModelMetadata.of(project), maps=describe_maps(network))
    header: dict[str, object] = {"__metadata__": {KEY: metadata.to_text(), "format": "pt"}}
    blobs: list[bytes] = []
    offset = 0
    for index, layer in enumerate(network.layers, start=1):  # a kernel is W{index} (K, C, k, k); pooling has none
        for name, values in zip((f"W{index}", f"b{index}"), layer.parameters()):
            if values is None:
                continue
            blob = np.ascontiguousarray(values, dtype=kind).tobytes()
            header[name] = {"dtype": code, "shape": list(values.shape), "data_offsets": [offset, offset + len(blob)]}
            blobs.append(blob)
            offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the reference writer does
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def save_safetensors(project: Project, path: str | os.PathLike[str], dtype: str | None = None) -> None:
    atomic_write(path, safetensors_bytes(project, dtype))


def _header(handle, size: int, source: str) -> tuple[dict, int]:  # type: ignore[no-untyped-def]
    """The parsed JSON header and where the data starts, every claim checked against `size`."""
    head = read_at_most(handle, 8)
    if len(head) < 8:
        raise NetworkFileError(f"is {size} bytes, too short for a safetensors header", "", source)
    (length,) = struct.unpack("<Q", head)
    if length > min(MAX_HEADER_BYTES, size - 8):
        raise NetworkFileError(f"its header claims {describe_bytes(length)}, but the file holds "
                               f"{describe_bytes(size - 8)} after it (and a header may be at most "
                               f"{describe_bytes(MAX_HEADER_BYTES)})", "header", source)
    try:
        header = json.loads(read_at_most(handle, length).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise NetworkFileError(f"is not JSON ({error})", "header", source) from None
    if not isinstance(header, dict):
        raise NetworkFileError("expected a JSON object", "header", source)
    return header, 8 + length


def _entry(header: dict, name: str, data_bytes: int, source: str) -> tuple[np.dtype, tuple[int, ...], int, int]:
    entry = header[name]
    if not isinstance(entry, dict):
        raise NetworkFileError("expected an object with dtype, shape and data_offsets", name, source)
    code = entry.get("dtype")
    dtype = DTYPES.get(code) if isinstance(code, str) else None  # a list or object is no dtype (nor hashable)
    if dtype is None:
        raise NetworkFileError(f"dtype {_shown(code)}: only F32 and F64 are read", name, source)
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if not (isinstance(shape, list) and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31
                                            for v in shape)):
        raise NetworkFileError(f"shape {shape!r}: expected positive whole numbers", name, source)
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                                     for v in offsets)):
        raise NetworkFileError(f"data_offsets {offsets!r}: expected [begin, end]", name, source)
    begin, end = offsets
    needed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if not 0 <= begin <= end <= data_bytes:
        raise NetworkFileError(f"its bytes {begin}…{end} lie outside the file's {data_bytes} bytes of data",
                               name, source)
    if end - begin != needed:
        raise NetworkFileError(f"shape {tuple(shape)} needs {needed} bytes, its range holds {end - begin}", name,
                               source)
    return dtype, tuple(shape), begin, end


def _shown(value: object) -> str:
    """A header value quoted in a message, cut so a hostile megabyte list stays out of the one line."""
    return shorten(repr(value), 40)


def _check_ranges(entries: dict[str, tuple[np.dtype, tuple[int, ...], int, int]], names: dict[str, str],
                  data_bytes: int, source: str) -> None:
    """The tensors' byte ranges tile the data exactly, as the reference library requires: in order of their
    begin, each starts where the one before ends (no overlap: two tensors sharing bytes; no gap), the first
    at 0, and the last ends at the end of the file. Anything else is a corrupt or crafted file."""
    end, before = 0, ""
    for ours in sorted(entries, key=lambda n: (entries[n][2], entries[n][3])):
        begin, stop = entries[ours][2], entries[ours][3]
        if begin != end:
            what = (f"overlap {before}'s bytes (which end at {end})" if begin < end else
                    f"leave bytes {end}…{begin} unused after {before or 'the header'}")
            raise NetworkFileError(f"its bytes {begin}…{stop} {what}; tensors' byte ranges must follow one another "
                                   "without gaps or overlaps", names[ours], source)
        end, before = stop, names[ours]
    if end != data_bytes:
        raise NetworkFileError(f"the file holds {data_bytes - end} bytes after the last tensor ({before}, which ends "
                               f"at {end}); the tensors must cover the data exactly", "", source)


def _canonical_names(names: list[str], source: str) -> dict[str, str]:
    """Our name (W1, b1, …) → the file's: ours as they are, or a PyTorch MLP's `state_dict` names
    (`0.weight`, `0.bias`, `2.weight`, … or `fc1.weight`, …), layers in the order of their prefixes.

    The model nnstudio's PyTorch export writes for a network trained on normalised inputs starts
    with a `Normalise` module whose buffers are `0.offset` and `0.scale`: they map to OFFSET and
    SCALE, the input normalisation, when they come before every layer."""
    if all(_NAME.match(name) for name in names):
        return {name: name for name in names}
    prefixes: list[str] = []
    normalise: str | None = None
    for name in names:
        prefix, _, kind = name.rpartition(".")
        if kind in ("offset", "scale") and prefix:
            normalise = prefix
            continue
        if kind not in ("weight", "bias") or not prefix:
            raise NetworkFileError("is not a layer's weights or bias: expected W1, b1, W2, … or a plain MLP's "
                                   "state_dict (…weight, …bias of its Linear layers, and the offset and scale "
                                   "of a Normalise module before them)", name, source)
        if prefix not in prefixes:
            prefixes.append(prefix)
    prefixes.sort(key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p)])
    mapping = {}
    if normalise is not None:
        for kind, ours in (("offset", OFFSET), ("scale", SCALE)):
            if f"{normalise}.{kind}" not in names:
                raise NetworkFileError(f"an input normalisation needs both {normalise}.offset and {normalise}.scale",
                                       f"{normalise}.{kind}", source)
            mapping[ours] = f"{normalise}.{kind}"
        order = sorted(prefixes + [normalise], key=lambda p: [int(t) if t.isdigit() else t
                                                                for t in re.split(r"(\d+)", p)])
        if order[0] != normalise:
            raise NetworkFileError("an input normalisation (offset and scale) must come before the first layer",
                                   f"{normalise}.offset", source)
    for index, prefix in enumerate(prefixes, start=1):
        if f"{prefix}.weight" not in names:
            raise NetworkFileError("a bias without its weight", f"{prefix}.bias", source)
        mapping[f"W{index}"] = f"{prefix}.weight"
        if f"{prefix}.bias" in names:
            mapping[f"b{index}"] = f"{prefix}.bias"
    return mapping


def load_safetensors(path: str | os.PathLike[str], activations: Sequence[str] | None = None,
                     loss: str | None = None) -> Project:
    """The network in a safetensors file of W1, b1, …; `activations` (one per layer) when the file has no
    metadata of ours, or to override it; `loss` likewise."""
    source = str(path)
    fd = open_regular(path, lambda message: NetworkFileError(message), "safetensors file")
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        check_size(path, size, NETWORK_FILE_BYTES, lambda message: NetworkFileError(message), "safetensors file")
        header, start = _header(handle, size, source)
        metadata_block = header.pop("__metadata__", {}) or {}
        text = metadata_block.get(KEY) if isinstance(metadata_block, dict) else None
        text = text if isinstance(text, str) else None
        plan = read_maps(metadata_object(text, source), source) if text is not None else None  # convolutional
        canonical = _canonical_names(list(header), source)
        count = max((int(m.group(2)) for m in map(_NAME.match, canonical) if m), default=0)
        entries = {ours: _entry(header, theirs, size - start, source) for ours, theirs in canonical.items()}
        _check_ranges(entries, canonical, size - start, source)
        names = list(canonical)
        if plan is not None:  # every shape walked through the layers and the budget checked, nothing read yet
            count = len(plan.layers)
            sizes = check_tensors(plan, {n: entries[n][1] for n in names if _NAME.match(n)}, source)
        else:
            sizes = _dense_sizes(entries, count, source)
        metadata = None if text is None else parse_metadata(text, count, sizes[0], sizes[-1], source)
        chosen = list(activations) if activations else list(metadata.activations) if metadata else []
        if len(chosen) != count:
            raise NetworkFileError(
                f"holds {count} layers but " + (f"{len(chosen)} activations were given" if chosen else
                                                "no activations: give them, e.g. --activations "
                                                + ",".join(["relu"] * (count - 1) + ["softmax"])), "", source)
        params = list(metadata.params) if metadata and metadata.params and not activations else [{}] * count
        if metadata is not None and loss:
            metadata = dataclasses.replace(metadata, loss=loss)
        elif loss:
            metadata = ModelMetadata(loss=loss)
        arrays: dict[str, np.ndarray] = {}
        for name in sorted(names, key=lambda n: entries[n][2]):  # in file order of their bytes, each read once
            dtype, shape, begin, end = entries[name]
            handle.seek(start + begin)
            data = read_at_most(handle, end - begin)
            if len(data) != end - begin:
                raise NetworkFileError(f"the file ends {end - begin - len(data)} bytes early", name, source)
            arrays[name] = np.frombuffer(data, dtype=dtype).reshape(shape)
    normalisation = metadata.normalisation if metadata else None
    if OFFSET in arrays:
        normalisation = _normalisation_buffers(arrays[OFFSET], arrays[SCALE], sizes[0], canonical, source)
    if plan is not None:
        tensors = {name: values for name, values in arrays.items() if _NAME.match(name)}
        network = build_network(plan, tensors, chosen, params, source)
        return imported_project(network, metadata, source, normalisation)
    weights = [arrays[f"W{i}"] for i in range(1, count + 1)]
    biases = [arrays.get(f"b{i}") for i in range(1, count + 1)]
    return build_imported(weights, biases, chosen, params, metadata, source, normalisation=normalisation)


def _dense_sizes(entries: dict[str, tuple[np.dtype, tuple[int, ...], int, int]], count: int, source: str) -> list[int]:
    """A dense network's layer sizes from its declared W1, b1, … (chained and within budget), nothing read yet."""
    missing = [f"W{i}" for i in range(1, count + 1) if f"W{i}" not in entries]
    if missing or not count:
        raise NetworkFileError(f"has no {missing[0] if missing else 'W1'}: layers are W1, b1, W2, … in order",
                               "", source)
    w_shapes = [entries[f"W{i}"][1] for i in range(1, count + 1)]
    b_shapes = [entries[f"b{i}"][1] if f"b{i}" in entries else None for i in range(1, count + 1)]
    return check_declared_shapes(w_shapes, b_shapes, source)


def _normalisation_buffers(offset: np.ndarray, scale: np.ndarray, inputs: int, canonical: dict[str, str],
                           source: str) -> dict:
    """A Normalise module's buffers as the input normalisation, checked as a file's would be: one finite
    offset and one scale above 0 per input. They are what the model computes, so they win over metadata."""
    for ours, values in ((OFFSET, offset), (SCALE, scale)):
        if values.shape != (inputs,):
            raise NetworkFileError(f"has shape {values.shape}; an input normalisation has one value per input "
                                   f"({inputs},)", canonical[ours], source)
        if not np.all(np.isfinite(values)):
            raise NetworkFileError("holds a value that is not finite (NaN or infinite)", canonical[ours], source)
    if np.any(scale <= 0):
        index = int(np.argmax(scale <= 0))
        raise NetworkFileError(f"scale[{index}] is {scale[index]:g}; every scale must be above 0",
                               canonical[SCALE], source)
    return {"kind": "imported", "offset": np.array(offset, dtype=np.float64),
            "scale": np.array(scale, dtype=np.float64)}
