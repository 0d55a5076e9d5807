"""File → Import Model… given a hostile ONNX or safetensors file (issue 29): a message naming the field, and the
open document kept as it was — never a network the window could not save (a NaN slope, a lone surrogate)."""

import math

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nnstudio.io.examples import load_example
from tests.model_mutations import (
    cast_to_string,
    image_input_with_dims,
    metadata_changed,
    metadata_text_replaced,
    node,
    onnx_bytes,
    safetensors_with,
    set_attribute,
)

pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")

CASES = [
    pytest.param(".safetensors", lambda: safetensors_with(metadata_changed(
        lambda md: md.update(activations=["leaky_relu", "sigmoid"], params=[{"slope": math.nan}, {}]))),
        "nnstudio metadata: params[0].slope: nan: expected a finite number", id="nan-slope-from-metadata"),
    pytest.param(".safetensors", lambda: safetensors_with(metadata_text_replaced('"y1"', '"\\udc00"')),
                 "nnstudio metadata: output_labels[0]: holds an unpaired surrogate", id="lone-surrogate-label"),
    pytest.param(".onnx", lambda: onnx_bytes(lambda m: image_input_with_dims(m, (1, -1, -2))),
                 "graph.input[0] 'input': dimension 1 is -1", id="input-dims-1,-1,-2"),
    pytest.param(".onnx", lambda: onnx_bytes(lambda m: setattr(node(m, "Relu"), "domain", "com.example")),
                 'graph.node[1] (Relu "g1"): domain \'com.example\' is not one nnstudio reads', id="foreign-domain"),
    pytest.param(".onnx", lambda: onnx_bytes(lambda m: cast_to_string(m, "Relu")),
                 'graph.node[1] (Cast "g1").attribute to: element type STRING', id="cast-to-string"),
    pytest.param(".onnx", lambda: onnx_bytes(lambda m: set_attribute(m, "Gemm", "alpha", "2")),
                 'graph.node[0] (Gemm "layer1").attribute alpha: expected a float, got a string', id="alpha-string"),
]


@pytest.mark.parametrize("suffix, make, field", CASES)
def test_a_hostile_model_shows_the_field_and_keeps_the_open_network(make_window, qtbot, tmp_path, monkeypatch,
                                                                    suffix, make, field):
    window = make_window("cosine-memory")
    before = window.document.project
    path = tmp_path / f"model{suffix}"
    path.write_bytes(make())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kwargs: (str(path), "")))
    window.actions_by_name["import_model"].trigger()
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and f"{path}: {field}" in box.text()
    assert window.document.project is before
    assert load_example("cosine-memory").network.same_as(window.document.project.network)
    assert "Imported" not in window.statusBar().currentMessage()
