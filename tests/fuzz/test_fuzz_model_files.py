"""ONNX and safetensors model files mutated from valid exports: each imports as a network with finite values,
or is refused with NetworkFileError — never another exception, never an allocation the size a header claims."""

from __future__ import annotations

import json
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnstudio.io import NetworkFileError, load_example
from nnstudio.interop.formats import import_model
from nnstudio.interop.onnx_export import onnx_model
from nnstudio.interop.safetensors_file import safetensors_bytes

from .conftest import MiB, bounded, count, examples

onnx = pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")

PROJECT = load_example("backprop-4-2-3")
SAFETENSORS = safetensors_bytes(PROJECT)
ONNX = onnx_model(PROJECT).SerializeToString()


def _import(data: bytes, suffix: str, kind: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"model{suffix}"
        path.write_bytes(data)
        with bounded(kind, 32 * MiB):
            try:
                project = import_model(path, ["sigmoid", "sigmoid"] if suffix == ".safetensors" else None)
            except NetworkFileError:
                count(kind, "refused")
                return
        count(kind, "imported")
        for layer in project.network.layers:
            assert np.all(np.isfinite(layer.weights))


@st.composite
def safetensors_files(draw: st.DrawFn) -> bytes:
    length = struct.unpack("<Q", SAFETENSORS[:8])[0]
    header = json.loads(SAFETENSORS[8:8 + length])
    data = SAFETENSORS[8 + length:]
    name = draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
    change = draw(st.sampled_from(["dtype", "shape", "offsets", "name", "metadata", "length", "bytes", "none"]))
    if change == "dtype":
        header[name]["dtype"] = draw(st.sampled_from(["F16", "I64", "BOOL", "F32", 7, None]))
    elif change == "shape":
        header[name]["shape"] = draw(st.lists(st.integers(-5, 2**40), max_size=4))
    elif change == "offsets":
        header[name]["data_offsets"] = draw(st.lists(st.integers(-10, 2**50), min_size=0, max_size=3))
    elif change == "name":
        header[draw(st.sampled_from(["W9", "x.weight", "W0", "b1.", "__metadata__"]))] = header.pop(name)
    elif change == "metadata":
        header["__metadata__"] = {"nnstudio": draw(st.text(max_size=80))}
    text = json.dumps(header).encode()
    if change == "length":
        return struct.pack("<Q", draw(st.integers(0, 2**64 - 1))) + text + data
    if change == "bytes":
        blob = bytearray(struct.pack("<Q", len(text)) + text + data)
        for _ in range(draw(st.integers(1, 8))):
            blob[draw(st.integers(0, len(blob) - 1))] = draw(st.integers(0, 255))
        return bytes(blob[:draw(st.integers(0, len(blob)))])
    return struct.pack("<Q", len(text)) + text + data


@examples(150)
@given(safetensors_files())
def test_mutated_safetensors_files_import_or_are_refused_by_name(data: bytes) -> None:
    _import(data, ".safetensors", "safetensors")


@st.composite
def onnx_files(draw: st.DrawFn) -> bytes:
    model = onnx.load_model_from_string(ONNX)
    change = draw(st.sampled_from(["dims", "op", "type", "truncate", "flip", "input", "none"]))
    if change == "dims":
        tensor = model.graph.initializer[draw(st.integers(0, len(model.graph.initializer) - 1))]
        del tensor.dims[:]
        tensor.dims.extend(draw(st.lists(st.integers(0, 2**33), max_size=3)))
    elif change == "op":
        node = model.graph.node[draw(st.integers(0, len(model.graph.node) - 1))]
        node.op_type = draw(st.sampled_from(["Conv", "LSTM", "Softmax", "Relu", "Gemm", "Loop", "Exp", ""]))
    elif change == "type":
        model.graph.initializer[0].data_type = draw(st.integers(0, 20))
    elif change == "input":
        node = model.graph.node[draw(st.integers(0, len(model.graph.node) - 1))]
        node.input[0] = draw(st.sampled_from(["input", "W1", "nothing", "output"]))
    data = model.SerializeToString()
    if change == "truncate":
        return data[:draw(st.integers(0, len(data)))]
    if change == "flip":
        return flipped(draw, data)
    return data


def flipped(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with one to six of its bytes changed at random."""
    blob = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        blob[draw(st.integers(0, len(blob) - 1))] = draw(st.integers(0, 255))
    return bytes(blob)


@examples(150)
@given(onnx_files())
def test_mutated_onnx_files_import_or_are_refused_by_name(data: bytes) -> None:
    _import(data, ".onnx", "onnx")


SKLEARN = (Path(__file__).parent.parent / "data" / "sklearn_mlp" / "classifier2_relu.onnx").read_bytes()


@st.composite
def sklearn_onnx_files(draw: st.DrawFn) -> bytes:
    """A skl2onnx file (Cast, label branch, ZipMap, [1 − p, p]) with one part changed: outputs, ops, wiring."""
    model = onnx.load_model_from_string(SKLEARN)
    nodes = model.graph.node
    change = draw(st.sampled_from(["drop output", "op", "input", "attribute", "initializer", "flip", "none"]))
    if change == "drop output":
        del model.graph.output[draw(st.integers(0, len(model.graph.output) - 1))]
    elif change == "op":
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        node.op_type = draw(st.sampled_from(["ZipMap", "Concat", "Sub", "Cast", "Reshape", "Dropout", "ArgMax",
                                             "Scaler", "Identity", "Flatten", "Softmax", ""]))
    elif change == "input":
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        names = [t.name for t in model.graph.initializer] + [n.output[0] for n in nodes] + ["X", "nothing"]
        if node.input:
            node.input[draw(st.integers(0, len(node.input) - 1))] = draw(st.sampled_from(names))
    elif change == "attribute":
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        del node.attribute[:]
        node.attribute.extend([onnx.helper.make_attribute(draw(st.sampled_from(["to", "axis", "scale", "offset",
                                                                                 "classlabels_int64s"])),
                                                          draw(st.sampled_from([0, 1, -1, 7, [0.0, 1.0], "x"])))])
    elif change == "initializer":
        tensor = model.graph.initializer[draw(st.integers(0, len(model.graph.initializer) - 1))]
        tensor.data_type = draw(st.integers(0, 16))
        del tensor.dims[:]
        tensor.dims.extend(draw(st.lists(st.integers(0, 2**33), max_size=3)))
    data = model.SerializeToString()
    if change == "flip":
        return flipped(draw, data)
    return data


@examples(150)
@given(sklearn_onnx_files())
def test_mutated_skl2onnx_files_import_or_are_refused_by_name(data: bytes) -> None:
    _import(data, ".onnx", "onnx (skl2onnx)")
