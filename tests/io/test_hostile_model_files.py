"""Hostile ONNX and safetensors files through `nnstudio import` (issue 29): each is a refusal — exit 2, one line
naming the field at fault — and no output file is written; what does import always opens again.

Every file is a valid export (tests/model_mutations.py) with one change: those that ended in an internal error
(exit 70) and those that were wrongly accepted, then one file for each rule of the graph check (onnx_graph.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.io import NetworkFileError, load_example, load_project
from nnstudio.interop.imported_project import check_reopens
from tests.model_mutations import (
    b1_over_w1,
    cast_to_string,
    image_input_with_dims,
    matmul_with_scalar_weight,
    metadata_changed,
    metadata_text_replaced,
    node,
    onnx_bytes,
    replace_in_metadata,
    safetensors_with,
    set_attribute,
    shifted_by_four,
)

onnx = pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")
from onnx import numpy_helper

BIG = "1" + "0" * 400  # 10^400: JSON's integer that no float holds
GEMM = 'graph.node[0] (Gemm "layer1")'
RELU = 'graph.node[1] (Relu "g1")'


def import_refused(capsys, tmp_path, monkeypatch, data: bytes, suffix: str, *options: str) -> str:
    """Run `nnstudio import model<suffix> --out out.nnstudio` in-process in `tmp_path`: assert exit 2, one line
    on stderr, nothing written; the line, after "nnstudio: error: "."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"model{suffix}").write_bytes(data)
    status = main(["import", f"model{suffix}", "--out", "out.nnstudio", *options])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("nnstudio: error: "), captured.err
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"model{suffix}"]  # no output, no temporary file
    return lines[0].removeprefix("nnstudio: error: ")


def attribute(op_type: str, name: str, value):  # type: ignore[no-untyped-def]
    return lambda model: set_attribute(model, op_type, name, value)


# Each ended in an internal error (exit 70) before.
FORMERLY_INTERNAL_ERRORS = [
    pytest.param(lambda m: setattr(m.graph.initializer[0], "data_type", 999),
                 "graph.initializer[0] 'W1': element type number 999 is none ONNX defines", id="dtype-999"),
    pytest.param(attribute("Gemm", "alpha", "2"), f"{GEMM}.attribute alpha: expected a float, got a string",
                 id="gemm-alpha-string"),
    pytest.param(attribute("Gemm", "alpha", [1, 2]), f"{GEMM}.attribute alpha: expected a float, got a list of "
                 "integers", id="gemm-alpha-ints"),
    pytest.param(attribute("Gemm", "alpha", numpy_helper.from_array(np.array(2.0, np.float32))),
                 f"{GEMM}.attribute alpha: expected a float, got a tensor", id="gemm-alpha-tensor"),
    pytest.param(attribute("Gemm", "alpha", 2), f"{GEMM}.attribute alpha: expected a float, got an integer",
                 id="gemm-alpha-int"),
    pytest.param(attribute("Gemm", "beta", "1"), f"{GEMM}.attribute beta: expected a float, got a string",
                 id="gemm-beta-string"),
    pytest.param(attribute("Gemm", "transA", 0.0), f"{GEMM}.attribute transA: expected an integer, got a float",
                 id="gemm-transA-float"),
    pytest.param(attribute("Gemm", "transB", numpy_helper.from_array(np.array(1, np.int64))),
                 f"{GEMM}.attribute transB: expected an integer, got a tensor", id="gemm-transB-tensor"),
    pytest.param(lambda m: node(m, "Gemm").output.pop(), f"{GEMM}: has 0 outputs; Gemm takes 1",
                 id="gemm-without-output"),
    pytest.param(lambda m: node(m, "Relu").output.pop(), f"{RELU}: has 0 outputs; Relu takes 1",
                 id="relu-without-output"),
    pytest.param(matmul_with_scalar_weight, "initializer 'W2': expected a matrix, got shape ()", id="matmul-0d"),
    pytest.param(lambda m: replace_in_metadata(m, '"params": [{}, {}]', f'"params": [{{"slope": {BIG}}}, {{}}]'),
                 "nnstudio metadata: params[0].slope: 1000000000000000000000000000000000000000…: expected a finite "
                 "number", id="metadata-10^400"),
    pytest.param(lambda m: replace_in_metadata(m, '"params": [{}, {}]', '"params": [{"slope": NaN}, {}]'),
                 "nnstudio metadata: params[0].slope: nan: expected a finite number", id="metadata-nan"),
    pytest.param(lambda m: replace_in_metadata(m, '"x1"', '"\\ud800"'),
                 "nnstudio metadata: input_labels[0]: holds an unpaired surrogate \\ud800 at character 1, which is "
                 "not text", id="metadata-lone-surrogate-label"),
    pytest.param(lambda m: replace_in_metadata(m, '"name": "', '"name": "\\udfff'),
                 "nnstudio metadata: name: holds an unpaired surrogate \\udfff at character 1, which is not text",
                 id="metadata-lone-surrogate-name"),
]

# Each was imported before (the dims one into a file that could not be opened again).
FORMERLY_ACCEPTED = [
    pytest.param(lambda m: image_input_with_dims(m, (1, -1, -2)),
                 "graph.input[0] 'input': dimension 1 is -1; a size is a whole number ≥ 0 (or a name)",
                 id="input-dims-1,-1,-2"),
    pytest.param(lambda m: node(m, "Relu").input.append("a1"), f"{RELU}: reads its own output 'a1'",
                 id="relu-reads-its-own-output"),
    pytest.param(lambda m: node(m, "Relu").input.pop(), f"{RELU}: has 0 inputs; Relu takes 1",
                 id="relu-without-input"),
    pytest.param(lambda m: setattr(node(m, "Relu"), "domain", "com.example"),
                 f"{RELU}: domain 'com.example' is not one nnstudio reads ('' or 'ai.onnx' for ONNX, 'ai.onnx.ml' "
                 "for ONNX-ML)", id="relu-of-a-foreign-domain"),
    pytest.param(lambda m: cast_to_string(m, "Relu"),
                 'graph.node[1] (Cast "g1").attribute to: element type STRING: the network\'s nodes compute numbers',
                 id="cast-to-string-as-hidden-activation"),
    pytest.param(lambda m: cast_to_string(m, "Sigmoid"),
                 'graph.node[3] (Cast "g2").attribute to: element type STRING: the network\'s nodes compute numbers',
                 id="cast-to-string-as-output-activation"),
    pytest.param(lambda m: setattr(m.graph.input[0].type.tensor_type, "elem_type", 999),
                 "graph.input[0] 'input': element type number 999 is none ONNX defines", id="input-dtype-999"),
]

# One file for each rule of the graph check that the cases above do not already show.
GRAPH_RULES = [
    pytest.param(lambda m: node(m, "Relu").input.__setitem__(0, "z2"),
                 f"{RELU}: reads 'z2' before it is computed (by graph.node[2]); a graph's nodes come in order, each "
                 "after what it reads", id="reads-a-later-output"),
    pytest.param(lambda m: node(m, "Relu").input.__setitem__(0, "nowhere"),
                 f"{RELU}: reads 'nowhere', which no node, graph input or initializer gives", id="reads-nothing"),
    pytest.param(lambda m: node(m, "Relu").output.__setitem__(0, "z1"),
                 f"{RELU}: writes 'z1', already written by graph.node[0]: each tensor has one writer",
                 id="two-writers"),
    pytest.param(lambda m: setattr(node(m, "Relu"), "op_type", "Relux"),
                 'graph.node[1] (Relux "g1"): operator \'Relux\' is not in opset 17 of domain \'ai.onnx\'',
                 id="unknown-operator"),
    pytest.param(lambda m: setattr(node(m, "Relu"), "domain", "ai.onnx.ml"),
                 f"{RELU}: its domain 'ai.onnx.ml' is not in the model's opset_import", id="domain-not-imported"),
    pytest.param(lambda m: setattr(node(m, "Relu"), "op_type", "Cast"),
                 'graph.node[1] (Cast "g1").attribute to: missing: Cast needs it', id="required-attribute-missing"),
    pytest.param(attribute("Relu", "alpha", 0.5), f"{RELU}.attribute alpha: Relu has no such attribute",
                 id="unknown-attribute"),
    pytest.param(lambda m: setattr(m.graph.output[0], "name", "nowhere"),
                 "graph.output[0] 'nowhere': no node, graph input or initializer gives it", id="output-given-by-none"),
    pytest.param(lambda m: setattr(m.opset_import[0], "version", 10**15),
                 "opset_import[0]: version 1000000000000000 of domain 'ai.onnx': no such opset (ONNX's run from 1)",
                 id="opset-version-out-of-range"),
]


@pytest.mark.parametrize("change, message", FORMERLY_INTERNAL_ERRORS + FORMERLY_ACCEPTED + GRAPH_RULES)
def test_a_hostile_onnx_file_is_refused_by_field_and_nothing_is_written(capsys, tmp_path, monkeypatch, change,
                                                                       message):
    assert import_refused(capsys, tmp_path, monkeypatch, onnx_bytes(change), ".onnx") == f"model.onnx: {message}"


RANGES = "tensors' byte ranges must follow one another without gaps or overlaps"


@pytest.mark.parametrize("change, message", [
    pytest.param(lambda h, d: h["W1"].__setitem__("dtype", ["F32"]), "W1: dtype ['F32']: only F32 and F64 are read",
                 id="dtype-list"),
    pytest.param(lambda h, d: h["W1"].__setitem__("dtype", {"F32": 1}),
                 "W1: dtype {'F32': 1}: only F32 and F64 are read", id="dtype-object"),
    pytest.param(metadata_changed(lambda md: md.update(activations=["leaky_relu", "sigmoid"],
                                                       params=[{"slope": math.nan}, {}])),
                 "nnstudio metadata: params[0].slope: nan: expected a finite number", id="metadata-nan-slope"),
    pytest.param(metadata_changed(lambda md: md.update(activations=["relu", "elu"], params=[{}, {"alpha": math.inf}])),
                 "nnstudio metadata: params[1].alpha: inf: expected a finite number", id="metadata-infinite-alpha"),
    pytest.param(metadata_text_replaced('"input_image": null', '"normalisation": {"kind": "imported", "offset": '
                                        f'[{BIG}, 0, 0, 0], "scale": [1, 1, 1, 1]}}'),
                 "nnstudio metadata: normalisation.offset[0]: 1000000000000000000000000000000000000000…: expected a "
                 "finite number", id="metadata-10^400"),
    pytest.param(metadata_text_replaced('"y1"', '"\\udc00"'),
                 "nnstudio metadata: output_labels[0]: holds an unpaired surrogate \\udc00 at character 1, which is "
                 "not text", id="metadata-lone-surrogate"),
    pytest.param(b1_over_w1, f"W1: its bytes 0…64 overlap b1's bytes (which end at 16); {RANGES}",
                 id="overlapping-ranges"),
    pytest.param(shifted_by_four, f"W1: its bytes 4…68 leave bytes 0…4 unused after the header; {RANGES}",
                 id="a-gap-before-the-first"),
    pytest.param(lambda h, d: d + bytes(8), "the file holds 8 bytes after the last tensor (b2, which ends at 152); "
                 "the tensors must cover the data exactly", id="bytes-after-the-last"),
])
def test_a_hostile_safetensors_file_is_refused_by_field_and_nothing_is_written(capsys, tmp_path, monkeypatch, change,
                                                                               message):
    data = safetensors_with(change)
    assert import_refused(capsys, tmp_path, monkeypatch, data, ".safetensors") == f"model.safetensors: {message}"


@pytest.mark.parametrize("change", [b1_over_w1, shifted_by_four, lambda h, d: d + bytes(8)])
def test_the_byte_ranges_refused_are_those_the_reference_library_refuses(change):
    reference = pytest.importorskip("safetensors.numpy", reason="the interop extra is not installed")
    from safetensors import SafetensorError

    with pytest.raises(SafetensorError, match="offset|covered"):
        reference.load(safetensors_with(change))
    reference.load(safetensors_with(lambda h, d: None))  # and the valid export it was made from loads


@pytest.mark.parametrize("suffix", [".onnx", ".safetensors"])
@pytest.mark.parametrize("example, loss, message", [
    ("xor", "sparse_cce", ("--loss sparse_cce: the network has one output, and sparse categorical cross-entropy "
                           "picks one class among two or more outputs; for one sigmoid output use bce")),
    ("cosine-memory", "cce", ("--loss cce: categorical cross-entropy after a relu output layer: it takes ln ŷ of "
                              "probabilities, and that activation can give 0, negative values or values above 1; use "
                              "softmax (or sigmoid) as the output activation, or the mse loss")),
])
def test_a_loss_the_network_cannot_compute_is_refused_before_anything_is_written(capsys, tmp_path, monkeypatch,
                                                                                  suffix, example, loss, message):
    data = onnx_bytes(lambda m: None, example) if suffix == ".onnx" else safetensors_with(lambda h, d: None, example)
    assert import_refused(capsys, tmp_path, monkeypatch, data, suffix, "--loss", loss) == message


def test_a_loss_given_by_its_alias_is_written_by_its_name_and_the_file_opens_again(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.onnx").write_bytes(onnx_bytes(lambda m: None))
    assert main(["import", "model.onnx", "--out", "out.nnstudio", "--loss", "binary_crossentropy"]) == 0
    assert capsys.readouterr().err == ""
    assert load_project(tmp_path / "out.nnstudio").loss == "bce"


@pytest.mark.parametrize("project, message", [
    pytest.param(lambda: load_example("xor").replace(input_image=(-1, -2)),
                 "model.onnx: input.image[0]: expected a whole number from 1 to 4096, got -1 (in the network file "
                 "the import would write, which could not be opened again)", id="image-of-negative-size"),
    pytest.param(lambda: load_example("xor").replace(input_labels=("x", "y\udc00")),
                 "model.onnx: input.labels[1]: holds an unpaired surrogate \\udc00 at character 2, which is not text "
                 "(in the network file the import would write, which could not be opened again)",
                 id="label-with-a-lone-surrogate"),
])
def test_a_project_the_file_reader_would_refuse_is_refused_with_the_readers_field(project, message):
    """The last guard of every import (interop.import_model_with_notes): whatever slipped past the importers'
    own checks is refused as the file reader would refuse the file, never written."""
    with pytest.raises(NetworkFileError) as refused:
        check_reopens(project(), "model.onnx")
    assert str(refused.value) == message


def test_every_example_passes_the_reopen_check():
    from nnstudio.io.examples import list_examples

    for name in list_examples():
        check_reopens(load_example(name), f"{name}.onnx")
