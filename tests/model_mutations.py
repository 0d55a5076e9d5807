"""Hostile ONNX and safetensors files made from valid exports (issue 29), one small change each, shared by the
command-line tests (tests/io/test_hostile_model_files.py) and the window's (tests/ui/test_hostile_model_import.py).

Each case is (the file's bytes, its suffix, the one line a refusal names it by after the file name). The ONNX
cases need the `onnx` package: build them after `pytest.importorskip("onnx")`.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

import numpy as np

from nnstudio.io import load_example
from nnstudio.interop.onnx_export import onnx_model
from nnstudio.interop.safetensors_file import safetensors_bytes

EXAMPLE = "backprop-4-2-3"  # 4 inputs → 2 relu → 3 sigmoid: Gemm "layer1", Relu "g1", Gemm "layer2", Sigmoid "g2"


def onnx_bytes(change: Callable, example: str = EXAMPLE) -> bytes:
    """A valid export of `example`, changed in place by `change(model)`."""
    model = onnx_model(load_example(example))
    change(model)
    return model.SerializeToString()


def node(model, op_type: str, index: int = 0):  # type: ignore[no-untyped-def]
    """The model's `index`-th node of that operator."""
    return [n for n in model.graph.node if n.op_type == op_type][index]


def set_attribute(model, op_type: str, name: str, value) -> None:  # type: ignore[no-untyped-def]
    """Replace (or add) the attribute `name` of the first `op_type` node by one holding `value`."""
    from onnx import helper

    target = node(model, op_type)
    for attribute in list(target.attribute):
        if attribute.name == name:
            target.attribute.remove(attribute)
    target.attribute.append(helper.make_attribute(name, value))


def replace_in_metadata(model, old: str, new: str) -> None:  # type: ignore[no-untyped-def]
    """Edit the text of the `nnstudio` metadata (to write what json.dumps would not: 10^400, "\\ud800")."""
    props = model.metadata_props[0]
    assert old in props.value, props.value
    props.value = props.value.replace(old, new, 1)


def set_input_dims(model, dims: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    shape = model.graph.input[0].type.tensor_type.shape
    shape.ClearField("dim")
    for value in dims:
        shape.dim.add().dim_value = value


def image_input_with_dims(model, dims: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    """A leading Flatten reading an input of the declared `dims` (how a converter writes an image network)."""
    from onnx import helper

    set_input_dims(model, dims)
    node(model, "Gemm").input[0] = "flat"
    model.graph.node.insert(0, helper.make_node("Flatten", ["input"], ["flat"], name="flatten"))


def matmul_with_scalar_weight(model) -> None:  # type: ignore[no-untyped-def]
    """The second layer as MatMul(a1, W2) with W2 a 0-d tensor (a scalar), its bias dropped."""
    from onnx import numpy_helper

    gemm = node(model, "Gemm", 1)
    gemm.op_type = "MatMul"
    del gemm.attribute[:]
    del gemm.input[2:]
    weights = next(t for t in model.graph.initializer if t.name == "W2")
    weights.CopyFrom(numpy_helper.from_array(np.array(2.0, dtype=np.float32), "W2"))


def cast_to_string(model, op_type: str) -> None:  # type: ignore[no-untyped-def]
    """The activation node `op_type` replaced by a Cast to STRING (and the metadata that would contradict it)."""
    from onnx import TensorProto, helper

    target = node(model, op_type)
    target.op_type = "Cast"
    target.attribute.append(helper.make_attribute("to", TensorProto.STRING))
    del model.metadata_props[:]


def safetensors_with(change: Callable, example: str = EXAMPLE) -> bytes:
    """A valid safetensors export of `example`, its header (a dict) and data changed by `change(header, data)`,
    which may return new data."""
    valid = safetensors_bytes(load_example(example))
    (length,) = struct.unpack("<Q", valid[:8])
    header, data = json.loads(valid[8:8 + length]), valid[8 + length:]
    data = change(header, data) or data
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def metadata_text_replaced(old: str, new: str) -> Callable:
    """A safetensors change editing the text of its `nnstudio` metadata."""
    def change(header: dict, data: bytes) -> None:
        text = header["__metadata__"]["nnstudio"]
        assert old in text, text
        header["__metadata__"]["nnstudio"] = text.replace(old, new, 1)
    return change


def metadata_changed(edit: Callable[[dict], None]) -> Callable:
    """A safetensors change editing its `nnstudio` metadata as JSON (json.dumps writes NaN and Infinity)."""
    def change(header: dict, data: bytes) -> None:
        metadata = json.loads(header["__metadata__"]["nnstudio"])
        edit(metadata)
        header["__metadata__"]["nnstudio"] = json.dumps(metadata)
    return change


def shifted_by_four(header: dict, data: bytes) -> bytes:
    """Every tensor's bytes moved 4 bytes on: a gap of 4 unused bytes before the first."""
    for name, entry in header.items():
        if name != "__metadata__":
            entry["data_offsets"] = [offset + 4 for offset in entry["data_offsets"]]
    return b"\0" * 4 + data


def b1_over_w1(header: dict, data: bytes) -> None:
    """b1's byte range moved onto the start of W1's: two tensors sharing bytes (its own left unread)."""
    begin = header["W1"]["data_offsets"][0]
    size = header["b1"]["data_offsets"][1] - header["b1"]["data_offsets"][0]
    header["b1"]["data_offsets"] = [begin, begin + size]
