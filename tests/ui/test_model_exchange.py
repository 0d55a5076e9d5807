"""File → Export Network… and File → Import Model…, triggered as a person does (the file dialog answered)."""

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nnstudio.core.trace import forward
from nnstudio.io.examples import load_example

pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")


def answer(monkeypatch, method, path, chosen=""):
    monkeypatch.setattr(QFileDialog, method, staticmethod(lambda *args, **kwargs: (str(path), chosen)))


def test_export_in_each_format_then_import_the_onnx_as_a_new_network(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window("backprop-4-2-3")
    original = window.document.project
    for label, name in (("ONNX model (*.onnx)", "model.onnx"), ("safetensors weights (*.safetensors)", "w"),
                        ("NumPy script (*.py)", "study.py"), ("PyTorch script (*.py)", "torch_net.py")):
        answer(monkeypatch, "getSaveFileName", tmp_path / name, label)
        window.actions_by_name["export_model"].trigger()
        assert "Exported" in window.statusBar().currentMessage()
    assert {p.name for p in tmp_path.iterdir()} >= {"model.onnx", "w.safetensors", "study.py", "torch_net.py"}
    assert "import json" in (tmp_path / "study.py").read_text()
    # what the files hold, not only the message: the weights exactly, and scripts Python can compile
    from nnstudio.interop.safetensors_file import load_safetensors

    written = load_safetensors(tmp_path / "w.safetensors").network
    for mine, theirs in zip(written.layers, original.network.layers, strict=True):
        np.testing.assert_array_equal(mine.weights, theirs.weights)
        np.testing.assert_array_equal(mine.bias, theirs.bias)
    for script in ("study.py", "torch_net.py"):
        compile((tmp_path / script).read_text(), script, "exec")
    assert "import torch" in (tmp_path / "torch_net.py").read_text()

    window.document.set_bias(1, 0, "5")  # an unsaved change: importing asks first
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    answer(monkeypatch, "getOpenFileName", tmp_path / "model.onnx")
    window.actions_by_name["import_model"].trigger()
    imported = window.document.project.network
    assert imported.sizes == original.network.sizes and imported.dtype == np.float32
    x = np.array([[0.1, -0.4, 0.9, 0.3]])
    np.testing.assert_allclose(forward(imported, x).output, forward(original.network, x).output, rtol=1e-6)
    # a new, unsaved network, named by the metadata the export carried (a model from elsewhere: its file name)
    assert window.document.path is None and window.document.project.name == original.name != ""
    assert "Imported model.onnx" in window.statusBar().currentMessage()


def test_a_refused_model_leaves_the_open_network_as_it_was(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window("cosine-memory")
    before = window.document.project
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07garbage that is not a protobuf")
    answer(monkeypatch, "getOpenFileName", bad)
    window.actions_by_name["import_model"].trigger()
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and "is not a readable ONNX model" in box.text()
    assert window.document.project is before
    (tmp_path / "model.pth").write_bytes(b"\x80\x04.")
    answer(monkeypatch, "getOpenFileName", tmp_path / "model.pth")
    window.actions_by_name["import_model"].trigger()
    assert any("never opened" in b.text() for b in window.findChildren(QMessageBox, "errorBox"))
    assert window.document.project is before
    assert load_example("cosine-memory").network.same_as(before.network)


def test_importing_a_scikit_learn_model_says_what_was_left_out(make_window, qtbot, monkeypatch):
    from pathlib import Path

    model = Path(__file__).parent.parent / "data" / "sklearn_mlp" / "classifier10_relu.onnx"
    window = make_window("cosine-memory")
    monkeypatch.setattr(QMessageBox, "exec", lambda box: QMessageBox.StandardButton.Discard)
    answer(monkeypatch, "getOpenFileName", model)
    window.actions_by_name["import_model"].trigger()
    assert window.document.project.network.sizes == [8, 12, 10]
    assert window.document.project.output_labels == tuple(str(c) for c in range(10))  # the ZipMap's classes
    message = window.statusBar().currentMessage()
    assert message.startswith("Imported classifier10_relu.onnx: 8 → 12 → 10; read output 'output_probability' "
                              "before its ZipMap")
    assert "left out output 'output_label', the predicted class" in message
