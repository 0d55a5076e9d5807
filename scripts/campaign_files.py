"""Hostile files for the fault campaign: ONNX and safetensors models, run records, and amplified files.

Each class has named cases (the inputs issue 29 lists, one file each, named after what was changed so a
failure says what it is) and, scaled by `--cases`, seeded draws from the strategies in tests/fuzz. Every
model import that exits 0 must have written a file `nnstudio eval` opens again (`opens_again`).
"""

from __future__ import annotations

import copy
import json
import math
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from campaign_case import Case, collect, nnstudio, opens_again
from hypothesis import strategies as st

from nnstudio.io import load_example, load_project
from nnstudio.interop.onnx_export import onnx_model
from nnstudio.interop.safetensors_file import safetensors_bytes
from tests.fuzz.test_fuzz_network_files import HOSTILE, NUMBERS, _parent, _paths

BIG = "1" + "0" * 400  # 10^400: a JSON integer Python reads exactly, but no float holds
MiB = 2**20
# The named cases issue 29 (or the reference reader) does not require refused: any clean outcome is fine,
# judged by exit code, output and cost alone. Every other named case must be refused ("FAIL accepted").
ONNX_UNJUDGED = {"opset-999", "input-dims-0", "input-dims-huge"}
SAFETENSORS_UNJUDGED = {"header-duplicate-keys", "metadata-escape"}
SAFETENSORS_VALID = {"no-metadata"}
RUNS_UNJUDGED = {"accuracy-2", "accuracy-negative", "loss-negative", "epoch-negative", "sizes-huge", "dataset-10mb",
                 "outcome-10mb", "setting-1mb", "dataset-escape", "dataset-surrogate"}


def _json(data: Any, raw: dict[str, str] | None = None) -> str:
    """`data` as JSON text, with each placeholder string in `raw` replaced by raw JSON text (10^400, NaN, …)."""
    text = json.dumps(data)
    for placeholder, value in (raw or {}).items():
        text = text.replace(json.dumps(placeholder), value)
    return text


def _folder(folder: Path, name: str) -> Path:
    place = folder / name
    place.mkdir(exist_ok=True)
    return place


def _import_case(kind: str, place: Path, name: str, data: bytes, suffix: str, note: str,
                 extra: tuple[str, ...] = (), expect: str = "") -> Case:
    """`nnstudio import FILE --out OUT`, whose output (on exit 0) must open again."""
    path = place / f"{name}{suffix}"
    path.write_bytes(data)
    out = place / f"{name}.nnstudio"
    return Case(kind, ["import", str(path), "--out", str(out), *extra], place, size=len(data),
                check=opens_again(out), note=note, expect=expect)


# ------------------------------------------------------------------ ONNX


def _bases(folder: Path) -> tuple[bytes, bytes]:
    """The ONNX exports mutated: backprop-4-2-3 (Gemm, Relu, Sigmoid), and a 4-3-2 network with ELU and leaky
    ReLU layers, whose metadata holds activation parameters."""
    nnstudio("new", "4-3-2", "--hidden", "elu", "--output", "leaky_relu", "--loss", "mse", "--seed", "1",
             "--out", "elu.nnstudio", cwd=folder)
    elu = load_project(folder / "elu.nnstudio")
    return onnx_model(load_example("backprop-4-2-3")).SerializeToString(), onnx_model(elu).SerializeToString()


def onnx_named(base: bytes, elu: bytes) -> list[tuple[str, str, bytes]]:
    """(file name, what was changed, bytes) for each structural mutation issue 29 names, and a few more."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def edit(source: bytes, change: Callable) -> bytes:  # type: ignore[type-arg]
        model = onnx.load_model_from_string(source)
        change(model)
        return model.SerializeToString()

    def op(model, kind: str, index: int = 0):  # type: ignore[no-untyped-def]
        return [node for node in model.graph.node if node.op_type == kind][index]

    def attribute(node, name: str, value: Any) -> None:  # type: ignore[no-untyped-def]
        kept = [a for a in node.attribute if a.name != name]
        del node.attribute[:]
        node.attribute.extend([*kept, helper.make_attribute(name, value)])

    def metadata(change: Callable[[dict], dict[str, str] | None]) -> Callable:  # type: ignore[type-arg]
        def apply(model) -> None:  # type: ignore[no-untyped-def]
            entry = next(p for p in model.metadata_props if p.key == "nnstudio")
            data = json.loads(entry.value)
            entry.value = _json(data, change(data))
        return apply

    def initializer(name: str, array: Any) -> Callable:  # type: ignore[type-arg]
        def apply(model) -> None:  # type: ignore[no-untyped-def]
            tensors = model.graph.initializer
            index = next(i for i, t in enumerate(tensors) if t.name == name)
            tensors[index].CopyFrom(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return apply

    def matmul_0d(model) -> None:  # type: ignore[no-untyped-def]
        node = op(model, "Gemm")
        node.op_type = "MatMul"
        del node.input[2:]
        del node.attribute[:]
        initializer("W1", 0.5)(model)

    def input_dims(*dims: int | str) -> Callable:  # type: ignore[type-arg]
        def apply(model) -> None:  # type: ignore[no-untyped-def]
            shape = model.graph.input[0].type.tensor_type.shape
            del shape.dim[:]
            for dim in dims:
                shape.dim.add().dim_param = dim if isinstance(dim, str) else ""
                if not isinstance(dim, str):
                    shape.dim[-1].dim_value = dim
        return apply

    def external(location: str) -> Callable:  # type: ignore[type-arg]
        def apply(model) -> None:  # type: ignore[no-untyped-def]
            tensor = model.graph.initializer[0]
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")
            tensor.data_location = TensorProto.EXTERNAL
            tensor.external_data.add(key="location", value=location)
            tensor.external_data.add(key="length", value=str(2**40))
        return apply

    def relu_edit(change: Callable) -> Callable:  # type: ignore[type-arg]
        return lambda model: change(op(model, "Relu"))

    def cast(to: int) -> Callable:  # type: ignore[type-arg]
        def apply(node) -> None:  # type: ignore[no-untyped-def]
            node.op_type = "Cast"
            attribute(node, "to", to)
        return relu_edit(apply)

    def set_field(node, field: str, value: Any) -> None:  # type: ignore[no-untyped-def]
        setattr(node, field, value)

    def params(layer: int, name: str, raw: str) -> Callable:  # type: ignore[type-arg]
        def change(data: dict) -> dict[str, str]:
            data["params"][layer][name] = "@raw@"
            return {"@raw@": raw}
        return metadata(change)

    def field(name: str, value: Any, raw: dict[str, str] | None = None) -> Callable:  # type: ignore[type-arg]
        def change(data: dict) -> dict[str, str] | None:
            data[name] = copy.deepcopy(value)
            return raw
        return metadata(change)

    tensor = numpy_helper.from_array(np.array([2.0], np.float32), "alpha")
    changes: list[tuple[str, str, bytes, Callable]] = [  # type: ignore[type-arg]
        ("dtype-999", "W1 of unknown data type 999", base,
         lambda m: setattr(m.graph.initializer[0], "data_type", 999)),
        ("bias-dtype-999", "b1 of unknown data type 999", base,
         lambda m: setattr(m.graph.initializer[1], "data_type", 999)),
        ("dtype-string", "W1 of data type STRING", base,
         lambda m: setattr(m.graph.initializer[0], "data_type", TensorProto.STRING)),
        ("gemm-alpha-string", "Gemm alpha as a string", base, lambda m: attribute(op(m, "Gemm"), "alpha", "2")),
        ("gemm-alpha-ints", "Gemm alpha as ints", base, lambda m: attribute(op(m, "Gemm"), "alpha", [1, 2])),
        ("gemm-alpha-tensor", "Gemm alpha as a tensor", base, lambda m: attribute(op(m, "Gemm"), "alpha", tensor)),
        ("gemm-alpha-nan", "Gemm alpha NaN", base, lambda m: attribute(op(m, "Gemm"), "alpha", math.nan)),
        ("gemm-beta-string", "Gemm beta as a string", base, lambda m: attribute(op(m, "Gemm", 1), "beta", "x")),
        ("gemm-beta-ints", "Gemm beta as ints", base, lambda m: attribute(op(m, "Gemm", 1), "beta", [0])),
        ("gemm-beta-tensor", "Gemm beta as a tensor", base, lambda m: attribute(op(m, "Gemm", 1), "beta", tensor)),
        ("gemm-beta-inf", "Gemm beta inf", base, lambda m: attribute(op(m, "Gemm", 1), "beta", math.inf)),
        ("gemm-transb-string", "Gemm transB as a string", base, lambda m: attribute(op(m, "Gemm"), "transB", "1")),
        ("gemm-no-output", "a Gemm without outputs", base, lambda m: op(m, "Gemm").ClearField("output")),
        ("relu-no-output", "a Relu without outputs", base, lambda m: op(m, "Relu").ClearField("output")),
        ("last-no-output", "the last node without outputs", base, lambda m: m.graph.node[-1].ClearField("output")),
        ("matmul-0d-weight", "a MatMul whose weight is 0-d", base, matmul_0d),
        ("gemm-0d-weight", "a Gemm whose weight is 0-d", base, initializer("W1", 0.5)),
        ("gemm-0d-bias", "a Gemm whose bias is 0-d", base, initializer("b1", 0.5)),
        ("metadata-param-10e400", "metadata ELU alpha 10^400", elu, params(0, "alpha", BIG)),
        ("metadata-param-1e400", "metadata ELU alpha 1e400 (infinite)", elu, params(0, "alpha", "1e400")),
        ("metadata-image-10e400", "metadata input_image [10^400, 1]", base,
         field("input_image", ["@big@", 1], {"@big@": BIG})),
        ("metadata-surrogate-name", "metadata name a lone surrogate", base, field("name", "\ud800")),
        ("metadata-surrogate-label", "metadata input label a lone surrogate", base,
         field("input_labels", ["\udfff", "x2", "x3", "x4"])),
        ("metadata-surrogate-output", "metadata output label a lone surrogate", base,
         field("output_labels", ["y1", "\ud83d", "y3"])),
        ("metadata-elu-nan", "metadata ELU alpha NaN", elu, params(0, "alpha", "NaN")),
        ("metadata-elu-inf", "metadata ELU alpha Infinity", elu, params(0, "alpha", "Infinity")),
        ("metadata-leaky-minus-inf", "metadata leaky slope -Infinity", elu, params(1, "slope", "-Infinity")),
        ("metadata-leaky-nan", "metadata leaky slope NaN", elu, params(1, "slope", "NaN")),
        ("metadata-elu-1e308", "metadata ELU alpha 1e308", elu, params(0, "alpha", "1e308")),
        ("metadata-not-json", "metadata not JSON", base, lambda m: setattr(m.metadata_props[0], "value", "{")),
        ("metadata-huge", "metadata of 2 MB", base,
         lambda m: setattr(m.metadata_props[0], "value", json.dumps({"name": "x" * 2 * MiB}))),
        ("input-dims-1-m1-m2", "input dims (1, −1, −2)", base, input_dims(1, -1, -2)),
        ("input-dims-m1", "input dims (batch, −1)", base, input_dims("batch", -1)),
        ("input-dims-0", "input dims (batch, 0)", base, input_dims("batch", 0)),
        ("input-dims-huge", "input dims (batch, 2^40)", base, input_dims("batch", 2**40)),
        ("relu-own-output", "a Relu reading its own output", base,
         relu_edit(lambda node: node.input.__setitem__(0, node.output[0]))),
        ("relu-no-input", "a Relu with no input", base, relu_edit(lambda node: node.ClearField("input"))),
        ("relu-foreign-domain", "a Relu of a foreign domain", base,
         relu_edit(lambda node: set_field(node, "domain", "com.example.evil"))),
        ("relu-cast-string", "a Cast to STRING in place of the Relu", base, cast(TensorProto.STRING)),
        ("relu-cast-bool", "a Cast to BOOL in place of the Relu", base, cast(TensorProto.BOOL)),
        ("relu-cast-999", "a Cast to type 999 in place of the Relu", base, cast(999)),
        ("external-passwd", "W1's values in external file /etc/passwd", base, external("/etc/passwd")),
        ("external-dev-zero", "W1's values in external file /dev/zero", base, external("/dev/zero")),
        ("no-opset", "no opset import", base, lambda m: m.ClearField("opset_import")),
        ("opset-999", "opset version 999", base, lambda m: setattr(m.opset_import[0], "version", 999)),
        ("no-graph-output", "a graph without outputs", base, lambda m: m.graph.ClearField("output")),
        ("cycle", "two nodes reading each other", base,
         lambda m: (op(m, "Gemm").input.__setitem__(0, "a1"))),
    ]
    found = []
    for name, note, source, change in changes:
        found.append((name, note, edit(source, change)))
    return found


def onnx_cases(n: int, folder: Path) -> list[Case]:
    # here, not at the top: without the interop extra (onnx) this module skips, and the other classes still run
    from tests.fuzz.test_fuzz_model_files import flipped, onnx_files, sklearn_onnx_files

    place = _folder(folder, "onnx")
    base, elu = _bases(place)
    cases = [_import_case("ONNX files", place, name, data, ".onnx", note,
                          expect="" if name in ONNX_UNJUDGED else "refused")
             for name, note, data in onnx_named(base, elu)]

    @st.composite
    def elu_flips(draw: st.DrawFn) -> bytes:
        return flipped(draw, elu)

    drawn = (collect(onnx_files(), n // 2) + collect(sklearn_onnx_files(), n // 4)
             + collect(elu_flips(), n - n // 2 - n // 4))
    cases += [_import_case("ONNX files", place, f"drawn{i}", data, ".onnx", "seeded mutation")
              for i, data in enumerate(drawn)]
    return cases


# ------------------------------------------------------------------ safetensors


def _split(blob: bytes) -> tuple[dict, bytes]:
    length = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + length]), blob[8 + length:]


def _pack(header: dict | str, data: bytes, raw: dict[str, str] | None = None, length: int | None = None) -> bytes:
    text = (header if isinstance(header, str) else _json(header, raw)).encode("utf-8", "surrogatepass")
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def safetensors_named(base: bytes, elu: bytes) -> list[tuple[str, str, bytes, tuple[str, ...]]]:
    """(file name, what was changed, bytes, extra import options) for each named header mutation."""
    header, data = _split(base)
    elu_header, elu_data = _split(elu)
    # backprop-4-2-3 as F64: W1 [0, 64], b1 [64, 80], W2 [80, 128], b2 [128, 152]

    def entry(name: str, key: str, value: Any, raw: dict[str, str] | None = None, source: tuple = (header, data),
              pad: bytes = b"") -> bytes:
        changed = copy.deepcopy(source[0])
        changed[name][key] = value
        return _pack(changed, source[1] + pad, raw)

    def offsets(table: dict[str, list[int]], pad: bytes = b"") -> bytes:
        changed = copy.deepcopy(header)
        for name, span in table.items():
            changed[name]["data_offsets"] = span
        return _pack(changed, data + pad)

    def meta(change: Callable[[dict], dict[str, str] | None], source: tuple = (header, data)) -> bytes:
        changed = copy.deepcopy(source[0])
        inner = json.loads(changed["__metadata__"]["nnstudio"])
        raw = change(inner)
        changed["__metadata__"]["nnstudio"] = _json(inner, raw)
        return _pack(changed, source[1])

    def param(layer: int, name: str, raw: str) -> bytes:
        def change(inner: dict) -> dict[str, str]:
            inner["params"][layer][name] = "@raw@"
            return {"@raw@": raw}
        return meta(change, (elu_header, elu_data))

    def inner_field(name: str, value: Any) -> Callable[[dict], None]:
        return lambda inner: inner.__setitem__(name, value)

    def whole(change: Callable[[dict], None]) -> bytes:
        changed = copy.deepcopy(header)
        change(changed)
        return _pack(changed, data)

    text = json.dumps(header)
    plain = {k: v for k, v in header.items() if k != "__metadata__"}
    acts = ("--activations", "relu,sigmoid")
    return [
        ("dtype-list", "W1 dtype as a list", entry("W1", "dtype", ["F64"]), ()),
        ("dtype-dict", "W1 dtype as a dict", entry("W1", "dtype", {"F64": 1}), ()),
        ("dtype-null", "W1 dtype null", entry("W1", "dtype", None), ()),
        ("dtype-f128", "W1 dtype F128", entry("W1", "dtype", "F128"), ()),
        ("dtype-string", "W1 dtype STR", entry("W1", "dtype", "STR"), ()),
        ("offsets-overlap", "b1 [56, 72] overlapping W1", offsets({"b1": [56, 72]}), ()),
        ("offsets-same", "W2 reading W1's bytes [0, 48]", offsets({"W2": [0, 48]}), ()),
        ("offsets-gap", "8 unused bytes between W1 and b1",
         offsets({"b1": [72, 88], "W2": [88, 136], "b2": [136, 160]}, b"\0" * 8), ()),
        ("offsets-trailing", "8 unused bytes after the last tensor", _pack(header, data + b"\0" * 8), ()),
        ("offsets-out-of-range", "b2 [128, 2^60]", offsets({"b2": [128, 2**60]}), ()),
        ("offsets-past-2-64", "b2 [2^64, 2^64 + 24]", offsets({"b2": [2**64, 2**64 + 24]}), ()),
        ("offsets-negative", "b1 [-16, 0]", offsets({"b1": [-16, 0]}), ()),
        ("offsets-reversed", "b2 [152, 128]", offsets({"b2": [152, 128]}), ()),
        ("offsets-floats", "b2 [128.0, 152.0]", entry("b2", "data_offsets", [128.0, 152.0]), ()),
        ("offsets-strings", "b2 offsets as strings", entry("b2", "data_offsets", ["128", "152"]), ()),
        ("offsets-three", "b2 with three offsets", entry("b2", "data_offsets", [128, 140, 152]), ()),
        ("offsets-10e400", "b2 [128, 10^400]", entry("b2", "data_offsets", [128, "@big@"], {"@big@": BIG}), ()),
        ("shape-2-31", "W1 shape [2^31, 2^31]", entry("W1", "shape", [2**31, 2**31]), ()),
        ("shape-2-62", "W1 shape [2^62, 2^62] (product past int64)", entry("W1", "shape", [2**62, 2**62]), ()),
        ("shape-negative", "W1 shape [-2, -4]", entry("W1", "shape", [-2, -4]), ()),
        ("shape-zero", "W1 shape [0, 4]", entry("W1", "shape", [0, 4]), ()),
        ("shape-scalar", "b1 shape [] (0-d)", entry("b1", "shape", []), ()),
        ("shape-bool", "W1 shape [true, 4]", entry("W1", "shape", [True, 4]), ()),
        ("shape-float", "W1 shape [2, 4.0]", entry("W1", "shape", [2, 4.0]), ()),
        ("shape-10e400", "W1 shape [10^400, 4]", entry("W1", "shape", ["@big@", 4], {"@big@": BIG}), ()),
        ("shape-rank-5", "W1 shape [1, 1, 1, 2, 4]", entry("W1", "shape", [1, 1, 1, 2, 4]), ()),
        ("metadata-list", "__metadata__ a list", whole(lambda h: h.__setitem__("__metadata__", ["x"])), ()),
        ("metadata-dict", "nnstudio metadata an object, not text",
         whole(lambda h: h["__metadata__"].__setitem__("nnstudio", {"activations": ["relu", "sigmoid"]})), ()),
        ("metadata-not-json", "nnstudio metadata not JSON",
         whole(lambda h: h["__metadata__"].__setitem__("nnstudio", "{")), ()),
        ("metadata-huge", "nnstudio metadata of 2 MB",
         whole(lambda h: h["__metadata__"].__setitem__("nnstudio", json.dumps({"name": "x" * 2 * MiB}))), ()),
        ("metadata-param-10e400", "metadata ELU alpha 10^400", param(0, "alpha", BIG), ()),
        ("metadata-param-1e400", "metadata ELU alpha 1e400", param(0, "alpha", "1e400"), ()),
        ("metadata-elu-nan", "metadata ELU alpha NaN", param(0, "alpha", "NaN"), ()),
        ("metadata-leaky-inf", "metadata leaky slope Infinity", param(1, "slope", "Infinity"), ()),
        ("metadata-surrogate-name", "metadata name a lone surrogate", meta(inner_field("name", "\ud800")), ()),
        ("metadata-surrogate-header", "a lone surrogate in the header JSON itself",
         _pack(text.replace('"W1"', '"W1\\ud800"'), data), ()),
        ("metadata-normalisation-nan", "metadata normalisation offset NaN",
         meta(lambda inner: (inner.__setitem__("normalisation", {"kind": "standard", "offset": ["@n@"] * 4,
                                                                 "scale": [1.0] * 4}), {"@n@": "NaN"})[1]), ()),
        ("metadata-normalisation-zero-scale", "metadata normalisation scale 0",
         meta(inner_field("normalisation", {"kind": "standard", "offset": [0.0] * 4, "scale": [0.0] * 4})), ()),
        ("metadata-labels-huge", "a 10,000-character output label",
         meta(inner_field("output_labels", ["y" * 10_000, "y2", "y3"])), ()),
        ("metadata-escape", "a terminal escape sequence in the name",
         meta(inner_field("name", "\x1b]0;owned\x07\x1b[2J")), ()),
        ("header-length-huge", "header length 2^64 − 1", _pack(header, data, length=2**64 - 1), ()),
        ("header-length-200mb", "header length 200 MB in a short file", _pack(header, data, length=200 * MiB), ()),
        ("header-length-zero", "header length 0", _pack(header, data, length=0), ()),
        ("header-not-utf8", "header bytes not UTF-8", struct.pack("<Q", 4) + b"\xff\xfe{}" + data, ()),
        ("header-duplicate-keys", "W1 twice in the header",
         _pack(text.replace('"W1":', '"W1": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}, "W1":', 1),
               data), ()),
        ("header-deep", "header nested 100,000 deep",
         _pack(text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}", data), ()),
        ("header-array", "header a JSON array", _pack("[]", data), ()),
        ("no-metadata", "no metadata, activations given", _pack(plain, data), acts),
        ("no-metadata-no-activations", "no metadata, no --activations", _pack(plain, data), ()),
        ("too-many-activations", "three activations for two layers", _pack(plain, data),
         ("--activations", "relu,sigmoid,tanh")),
        ("unknown-activation", "an unknown activation", _pack(plain, data), ("--activations", "nosuch,relu")),
    ]


def safetensors_cases(n: int, folder: Path) -> list[Case]:
    from tests.fuzz.test_fuzz_model_files import safetensors_files

    place = _folder(folder, "safetensors")
    nnstudio("new", "4-3-2", "--hidden", "elu", "--output", "leaky_relu", "--loss", "mse", "--seed", "1",
             "--out", "elu.nnstudio", cwd=place)
    base = safetensors_bytes(load_example("backprop-4-2-3"))
    elu = safetensors_bytes(load_project(place / "elu.nnstudio"))
    cases = [_import_case("safetensors files", place, name, data, ".safetensors", note, extra,
                          "ok" if name in SAFETENSORS_VALID else "" if name in SAFETENSORS_UNJUDGED else "refused")
             for name, note, data, extra in safetensors_named(base, elu)]
    cases += [_import_case("safetensors files", place, f"drawn{i}", data, ".safetensors", "seeded mutation",
                           ("--activations", "relu,sigmoid") if i % 2 else ())
              for i, data in enumerate(collect(safetensors_files(), n))]
    return cases


# ------------------------------------------------------------------ run records


def _record_case(kind: str, place: Path, name: str, text: str, command: int, note: str, expect: str = "") -> Case:
    """`eval`, `step`, `step --out` or `train --out` (by `command`) of a network file holding `text`."""
    path = place / f"{name}.nnstudio"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = place / f"{name}-out.nnstudio"
    size = path.stat().st_size
    if command == 0:
        return Case(kind, ["eval", str(path)], place, size=size, note=note, expect=expect)
    if command == 1:
        return Case(kind, ["step", str(path)], place, size=size, note=note, expect=expect)
    if command == 2:
        return Case(kind, ["step", str(path), "--out", str(out)], place, size=size, check=opens_again(out), note=note,
                    expect=expect)
    return Case(kind, ["train", str(path), "--dataset", "xor", "--epochs", "1", "--quiet", "--out", str(out)], place,
                size=size, check=opens_again(out), note=note, expect=expect)


def _steady(trained: dict) -> dict:
    """A trained file with the one figure that differs between runs (the seconds it took) fixed, so the
    mutations made from it are the same bytes on every run."""
    for run in trained["runs"]:
        run["seconds"] = 0.25
    return trained


def run_record_named(base: dict) -> list[tuple[str, str, str]]:
    """(file name, what was changed, file text) for each named mutation of the `runs` list."""
    found: list[tuple[str, str, str]] = []

    def add(name: str, note: str, change: Callable[[dict], dict[str, str] | None]) -> None:
        data = copy.deepcopy(base)
        raw = change(data)
        found.append((name, note, _json(data, raw)))

    def at(path: tuple, value: Any, raw: dict[str, str] | None = None) -> Callable[[dict], dict[str, str] | None]:
        def change(data: dict) -> dict[str, str] | None:
            _parent(data, ("runs", 0) + path)[path[-1]] = value
            return raw
        return change

    run = base["runs"][0]
    add("epoch-1e20", "epochs[0] epoch 1e20", at(("epochs", 0, 0), 1e20))
    numeric = [("settings", key) for key, value in run["settings"].items()
               if isinstance(value, (int, float)) and not isinstance(value, bool)]
    numeric += [("seconds",), ("sizes", 0), ("train_curve", 0, 0), ("train_curve", 0, 1)]
    numeric += [("epochs", 0, column) for column in range(len(run["epochs"][0]))]
    for path in numeric:
        label = ".".join(map(str, path))
        add(f"big-{label}", f"runs[0].{label} = 10^400", at(path, "@big@", {"@big@": BIG}))
        add(f"inf-{label}", f"runs[0].{label} = 1e400 (infinite)", at(path, "@inf@", {"@inf@": "1e400"}))
    add("lr-string", "settings.learning_rate a string", at(("settings", "learning_rate"), "0.5"))
    add("lr-expression", "settings.learning_rate an expression", at(("settings", "learning_rate"), "exp(700)"))
    add("row-lr-string", "epochs[0] learning rate a string", at(("epochs", 0, 4), "0.5"))
    add("accuracy-2", "epochs[0] accuracy 2", at(("epochs", 0, 3), 2))
    add("accuracy-negative", "epochs[0] accuracy −1", at(("epochs", 0, 3), -1))
    add("loss-negative", "epochs[0] train loss −5", at(("epochs", 0, 1), -5))
    add("epoch-negative", "epochs[0] epoch −3", at(("epochs", 0, 0), -3))
    add("epoch-bool", "epochs[0] epoch true", at(("epochs", 0, 0), True))
    add("epochs-setting-huge", "settings.epochs 10^12", at(("settings", "epochs"), 10**12))
    add("row-short", "epochs[0] with 5 columns", at(("epochs", 0), [1, 0.5, 0.5, 0.5, 0.5]))
    add("row-long", "epochs[0] with 7 columns", at(("epochs", 0), [1, 0.5, 0.5, 0.5, 0.5, 4, 9]))
    add("sizes-huge", "sizes [2^40, 2]", at(("sizes",), [2**40, 2]))
    add("runs-65", "65 runs", lambda data: data.__setitem__("runs", [copy.deepcopy(run) for _ in range(65)]))
    add("rows-10001", "one run of 10,001 epoch rows", at(("epochs",), [
        [i + 1, 0.5, 0.5, 0.5, 0.5, 4 * (i + 1)] for i in range(10_001)]))
    add("curve-10001", "a train curve of 10,001 points", at(("train_curve",), [[i, 0.5] for i in range(10_001)]))
    add("unknown-run-key", "an unknown key in a run", at(("extra",), 1))
    add("unknown-setting", "an unknown setting", at(("settings", "momentum"), 0.9))
    add("setting-object", "a setting holding an object", at(("settings", "optimizer"), {"name": "sgd"}))
    add("runs-object", "runs an object", lambda data: data.__setitem__("runs", {"0": run}))
    add("runs-string", "runs a string", lambda data: data.__setitem__("runs", "x" * 1000))
    add("run-null", "a run that is null", lambda data: data.__setitem__("runs", [None]))
    add("dataset-10mb", "a dataset name of 10 MB", at(("dataset",), "d" * 10 * MiB))
    add("outcome-10mb", "an outcome of 10 MB", at(("outcome",), "o" * 10 * MiB))
    add("setting-1mb", "a schedule setting of 1 MB", at(("settings", "schedule"), "s" * MiB))
    add("dataset-escape", "a terminal escape in the dataset name", at(("dataset",), "\x1b]0;owned\x07\x1b[2J"))
    add("dataset-surrogate", "a lone surrogate in the dataset name", at(("dataset",), "\ud800"))
    return found


@st.composite
def mutated_runs(draw: st.DrawFn, base: dict) -> tuple[str, str]:
    """`base` with one to four values inside its `runs` replaced by hostile ones (from tests/fuzz), or cut, grown."""
    data = copy.deepcopy(base)
    notes = []
    for _ in range(draw(st.integers(1, 4))):
        places = [p for p in _paths(data["runs"]) if p]
        if not places:  # everything deleted by an earlier mutation: the empty list is the case
            break
        path = draw(st.sampled_from(places))
        parent = _parent(data["runs"], path)
        action = draw(st.sampled_from(["hostile", "number", "number", "delete", "grow"]))
        if action == "hostile":
            parent[path[-1]] = copy.deepcopy(draw(HOSTILE))
        elif action == "number":
            parent[path[-1]] = draw(NUMBERS)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.extend([copy.deepcopy(parent[path[-1]])] * draw(st.integers(1, 3)))
        notes.append(f"{action} runs{''.join(f'[{p!r}]' for p in path)}")
    return "; ".join(notes), json.dumps(data)


def run_record_cases(n: int, folder: Path) -> list[Case]:
    place = _folder(folder, "runs")
    nnstudio("train", "xor", "--dataset", "xor", "--epochs", "3", "--quiet", "--out", "base.nnstudio", cwd=place)
    base = _steady(json.loads((place / "base.nnstudio").read_text(encoding="utf-8")))
    cases = []
    for index, (name, note, text) in enumerate(run_record_named(base)):
        expect = "" if name in RUNS_UNJUDGED else "refused"
        cases.append(_record_case("run records", place, f"{name}-eval", text, 0, note, expect))
        cases.append(_record_case("run records", place, f"{name}-step", text, 2 if index % 2 else 1, note, expect))
    for i, (note, text) in enumerate(collect(mutated_runs(base), n)):
        cases.append(_record_case("run records", place, f"drawn{i}", text, i % 4, note))
    return cases


# ------------------------------------------------------------------ amplified files


def _network(sizes: list[int], bias: bool = True, **extra: Any) -> dict:
    return {"format": "nnstudio.network", "version": 1, "input": {"size": sizes[0]}, "loss": "mse",
            "layers": [{"size": size, "activation": "relu", "weights": {"init": "he", "seed": 1},
                        "bias": [0] * size if bias else None} for size in sizes[1:]],
            **extra}


def _with(key: str, filler: str, count: int) -> str:
    """The xor example with `key` holding `count` repetitions of `filler` (a JSON fragment and a comma)."""
    text = json.dumps(load_example_json("xor"))
    return text[:-1] + f', "{key}": [' + filler * count + "0]}"


def load_example_json(name: str) -> dict:
    from importlib import resources

    return json.loads((resources.files("nnstudio.resources") / "examples" / f"{name}.nnstudio").read_text("utf-8"))


def amplified_cases(folder: Path) -> list[Case]:
    """Files within the 256 MiB file budget whose reading may cost far more than their size."""
    place = _folder(folder, "amplified")
    nnstudio("train", "xor", "--dataset", "xor", "--epochs", "2", "--quiet", "--out", "base.nnstudio", cwd=place)
    base = _steady(json.loads((place / "base.nnstudio").read_text(encoding="utf-8")))
    run = base["runs"][0]

    def runs(count: int, rows: int) -> str:
        """The trained file with `count` runs of `rows` well-formed epoch rows each."""
        epochs = ",".join(f"[{i + 1}, 0.5, 0.5, 0.75, 0.5, {4 * (i + 1)}]" for i in range(rows))
        body = json.dumps(run).replace(json.dumps(run["epochs"]), "[" + epochs + "]")
        text = json.dumps({k: v for k, v in base.items() if k != "runs"})
        return text[:-1] + ', "runs": [' + ",".join([body] * count) + "]}"

    def expressions(count: int, distinct: bool = True) -> str:
        """A 64-(count/64) network whose every weight is a valid expression of about 999 characters, each a
        different one (a reader may evaluate a repeated text once), or all the same one."""
        width = max(1, count // 64)

        def text(k: int) -> str:  # k, then "+0" up to 999 characters: every one a token the parser must read
            return str(k) + "+0" * ((999 - len(str(k))) // 2)

        data = _network([64, width], bias=False)
        data["layers"][0]["weights"] = [[text(row * 64 + column if distinct else 1) for column in range(64)]
                                        for row in range(width)]
        return json.dumps(data)

    # (file name, what it is, text, command, expected outcome)
    files: list[tuple[str, str, str, str, str]] = [
        ("unknown-key-20mb", "20 MB of `[],` under an unknown key", _with("padding", "[],", 20 * MiB // 3), "eval", ""),
        ("unknown-key-60mb", "60 MB of `[],` under an unknown key", _with("padding", "[],", 60 * MiB // 3), "eval", ""),
        ("unknown-key-objects", "20 MB of `{},` under an unknown key", _with("padding", "{},", 20 * MiB // 3), "eval",
         ""),
        ("unknown-key-numbers", "20 MB of `0,` under an unknown key", _with("padding", "0,", 10 * MiB), "eval", ""),
        ("deep-lists", "lists nested 1,000,000 deep under an unknown key",
         _with("deep", "", 0)[:-3] + "[" * 10**6 + "]" * 10**6 + "]}", "eval", "refused"),
        ("deep-objects", "objects nested 100,000 deep under an unknown key",
         _with("deep", "", 0)[:-3] + '{"a":' * 10**5 + "0" + "}" * 10**5 + "]}", "eval", "refused"),
        ("2048-2048-2048", "2048-2048-2048 with initialised weights and biases (over 2^23 parameters)",
         json.dumps(_network([2048, 2048, 2048])), "step", "refused"),
        ("2048-2048-2048-nobias", "2048-2048-2048 with initialised weights, no biases (2^23 weights), eval",
         json.dumps(_network([2048, 2048, 2048], bias=False)), "eval", ""),
        ("2048-2048-2048-nobias-step", "2048-2048-2048 with initialised weights, no biases (2^23 weights), step",
         json.dumps(_network([2048, 2048, 2048], bias=False)), "step", ""),
        ("4096-2048-step", "4096-2048 with initialised weights (2^23 weights), step",
         json.dumps(_network([4096, 2048], bias=False)), "step", ""),
        ("runs-50x100000", "50 runs × 100,000 rows", runs(50, 100_000), "eval", "refused"),
        ("runs-64x10000", "64 runs × 10,000 rows (the largest history within the budgets)", runs(64, 10_000), "eval",
         "ok"),
        ("expressions-4mb", "4 MB of distinct valid 999-character expressions", expressions(4096), "eval", "refused"),
        ("expressions-12mb", "12.6 MB of distinct valid 999-character expressions", expressions(12_672), "eval",
         "refused"),
        ("expressions-budget", "192 distinct valid expressions, 191,808 characters (within the budget)",
         expressions(200), "eval", "ok"),
        ("expressions-repeated", "4 MB of one valid 999-character expression, repeated", expressions(4096, False),
         "eval", ""),
    ]
    cases = []
    for name, note, text, verb, expect in files:
        path = place / f"{name}.nnstudio"
        path.write_text(text, encoding="utf-8")
        cases.append(Case("amplified files", [verb, str(path)], place, size=path.stat().st_size, note=note,
                          expect=expect))
    return cases


def terminal_cases(folder: Path) -> list[Case]:
    """Names and values holding escape sequences, and an option value of 100,000 characters: what reaches the
    terminal must be escaped and cut (issue 29), so no raw ESC and no line over LONG_LINE characters."""
    place = _folder(folder, "terminal")
    escape = "\x1b]0;owned\x07\x1b[2J\x1b[31m"
    example = load_example_json("xor")
    labelled = copy.deepcopy(example)
    labelled["name"] = labelled["output"]["labels"][0] = labelled["input"]["labels"][0] = escape
    labelled["samples"][0]["name"] = escape
    files = {f"{escape}bad.nnstudio": "{", f"{escape}good.nnstudio": json.dumps(example),
             "labels.nnstudio": json.dumps(labelled), f"{escape}.onnx": "not a model",
             f"{escape}.csv": "1,2,x\n" + escape + ",1,0\n"}
    for name, text in files.items():
        (place / name).write_text(text, encoding="utf-8")
    long = "x" * 100_000
    out = str(place / "out.nnstudio")
    commands = [
        (["eval", f"{escape}bad.nnstudio"], "a broken file whose name holds escapes"),
        (["eval", f"{escape}good.nnstudio"], "a good file whose name holds escapes"),
        (["step", f"{escape}good.nnstudio", "--out", f"{escape}out.nnstudio"], "an output name holding escapes"),
        (["eval", "labels.nnstudio"], "a network whose name, labels and sample names hold escapes"),
        (["import", f"{escape}.onnx", "--out", out], "a model whose name holds escapes"),
        (["eval", "xor", "--dataset", f"{escape}.csv"], "a CSV whose name and a cell hold escapes"),
        (["eval", "xor", "--input", escape], "an --input holding escapes"),
        (["step", "xor", "--lr", escape], "an --lr holding escapes"),
        (["eval", "xor", "--dataset", escape], "a --dataset name holding escapes"),
        (["train", "xor", "--dataset", "xor", "--schedule", long, "--quiet", "--out", out], "--schedule of 100,000 x"),
        (["train", "xor", "--dataset", "xor", "--schedule", escape, "--quiet", "--out", out], "--schedule of escapes"),
        (["eval", "xor", "--input", long], "--input of 100,000 x"),
        (["eval", "xor", "--dataset", long], "--dataset of 100,000 x"),
        (["new", long, "--out", out], "sizes of 100,000 x"),
        (["new", "2-2-1", "--hidden", escape, "--out", out], "--hidden holding escapes"),
        (["import", f"{escape}.onnx", "--activations", long, "--out", out], "--activations of 100,000 x"),
    ]
    return [Case("terminal", args, place, note=note) for args, note in commands]
