"""The window treats the input as raw and applies the network's stored normalisation, as `nnstudio eval`
and every export do (issue 28): the readout, the status bar, a step's equations and the CLI agree on a
network that carries one, and a test image picked in the gallery comes back as its raw pixels."""

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.cli import main
from nnstudio.core import build_network
from nnstudio.core.project import Project
from nnstudio.data.named import load_named
from nnstudio.io import save_project
from nnstudio.ui.selection import ItemKey
from tests.support import reference
from tests.support.digits import write_digits

OFFSET, SCALE = np.array([0.5, -1.0]), np.array([2.0, 0.25])


def normalised_project() -> Project:
    network = build_network([2, 3, 1], ["tanh", "identity"], "xavier", seed=7)
    return Project(network, loss="mse", input=np.array([1.5, -0.75]), target=np.array([0.2]),
                   normalisation={"kind": "standard", "offset": OFFSET, "scale": SCALE})


def test_a_normalised_network_reads_the_same_in_the_window_a_step_and_the_cli(qtbot, make_window, tmp_path, capsys):
    window = make_window()
    window.document.new_project(normalised_project())
    x_seen = (np.array([1.5, -0.75]) - OFFSET) / SCALE  # by hand: (1.5 − 0.5)/2, (−0.75 + 1)/0.25
    assert x_seen.tolist() == [0.5, 1.0]
    layers = reference.layers_of(window.document.project.network)
    (z1, a1), (z2, y_hat) = reference.forward(layers, x_seen)
    assert window.io_panel.output_label.text() == f"ŷ = {y_hat[0]:.4f}"
    assert window.output_status.text().startswith(f"ŷ = {y_hat[0]:.4f}")
    # the canvas's input circles show the input as given; the network's input is x′
    assert window.scene.items_by_key[ItemKey("neuron", 0, 0)].value_text == "1.5"
    # a step: the Step dock's z of neuron 1 of layer 1 is computed from x′
    window.step_dock.raise_()
    window.scene.select_key(ItemKey("neuron", 1, 0))
    window.actions_by_name["run_forward"].trigger()
    equations = window.step_panel.equations
    qtbot.waitUntil(lambda: any(line.startswith("z =") for line in equations.toPlainText().splitlines()))
    z_line = next(line for line in window.step_panel.equations.toPlainText().splitlines() if line.startswith("z ="))
    assert "0.5" in z_line.split(" = ")[1] and float(z_line.rsplit(" = ", 1)[1].replace("−", "-")) == \
        pytest.approx(z1[0], abs=5e-5)
    # the CLI on the saved file: the same output
    path = tmp_path / "normalised.nnstudio"
    save_project(window.document.project, path)
    assert main(["eval", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["normalised_input"] == x_seen.tolist()
    assert result["output"] == pytest.approx(window.document.trace.output.tolist(), abs=1e-15)


def test_a_gallery_image_comes_back_as_its_raw_pixels_and_reads_as_its_verdict(qtbot, make_window, tmp_path):
    folder = write_digits(tmp_path / "digits", train=200, test=60)
    window = make_window("mnist-mlp")
    window.show_training()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("mnist"))
    panel.source.setText(str(folder))
    panel.normalise.setCurrentIndex(panel.normalise.findData("standard"))
    panel.epochs.setValue(1)
    panel.batch.setValue(16)
    with qtbot.waitSignal(window.trainer.ended, timeout=120000):
        panel.start_button.click()
    assert window.document.project.normalisation["kind"] == "standard"
    results = window.results_panel
    window.results_dock.raise_()
    results.tabs.setCurrentIndex(1)  # the gallery
    qtbot.waitUntil(lambda: results.gallery.count() > 0)
    item = results.gallery.item(0)
    index = item.data(Qt.ItemDataRole.UserRole)
    rect = results.gallery.visualItemRect(item)
    qtbot.mouseClick(results.gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    raw = load_named("mnist", folder).test.x[index]  # the pixels as the files hold them, 0 … 1
    np.testing.assert_allclose(window.document.project.input, raw, atol=1e-6)
    np.testing.assert_allclose(window.document.trace.output, results.verdicts.outputs[index], atol=1e-5)
