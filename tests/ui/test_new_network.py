"""File → New Network…: a whole network from a line of sizes, the same as `nnstudio new` builds."""

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QLabel, QLineEdit, QSpinBox

from nnstudio.cli import main as cli_main
from nnstudio.io import load_project
from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog


def open_dialog(qtbot, window) -> NewNetworkDialog:
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    return shown_dialog(window)


def shown_dialog(window) -> NewNetworkDialog:
    shown = [dialog for dialog in window.findChildren(NewNetworkDialog) if dialog.isVisible()]
    assert len(shown) == 1
    return shown[0]


def child(dialog, cls, name):
    widget = dialog.findChild(cls, name)
    assert widget is not None, name
    return widget


def type_sizes(qtbot, dialog, text):
    sizes = child(dialog, QLineEdit, "sizes")
    sizes.selectAll()
    qtbot.keyClicks(sizes, text)


def create(qtbot, dialog):
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert button.isEnabled(), child(dialog, QLabel, "newError").text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_ctrl_n_builds_a_2_3_1_relu_network_without_an_output_bias(qtbot, make_window):
    window = make_window()
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "2-3-1")
    output = child(dialog, QComboBox, "activation2")
    output.setCurrentIndex(output.findData("relu"))
    child(dialog, QCheckBox, "bias2").click()
    zeros = child(dialog, QComboBox, "init")
    zeros.setCurrentIndex(zeros.findData("zeros"))
    assert "2 → 3 → 1: 12 parameters, loss mean squared error" in child(dialog, QLabel, "newSummary").text()
    create(qtbot, dialog)
    network = window.document.project.network
    assert network.sizes == [2, 3, 1]
    assert [layer.activation for layer in network.layers] == ["relu", "relu"]
    assert network.layers[1].bias is None and network.layers[0].bias.tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_array_equal(network.layers[0].weights, np.zeros((3, 2)))
    assert window.document.project.loss == "mse"
    assert not window.document.undo_stack.can_undo() and window.document.path is None


def test_the_loss_follows_the_output_activation_until_picked(qtbot, make_window):
    window = make_window()
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "4-5-3")
    output, loss = child(dialog, QComboBox, "activation2"), child(dialog, QComboBox, "loss")
    assert output.currentData() == "softmax" and loss.currentData() == "cce"  # several outputs: classes
    output.setCurrentIndex(output.findData("sigmoid"))
    assert loss.currentData() == "bce"
    output.setCurrentIndex(output.findData("identity"))
    assert loss.currentData() == "mse"
    loss.setCurrentIndex(loss.findData("bce"))
    output.setCurrentIndex(output.findData("softmax"))
    assert loss.currentData() == "bce"  # the person's choice stays free
    type_sizes(qtbot, dialog, "4-6-5-3")  # rows added keep the choices made
    assert child(dialog, QComboBox, "activation3").currentData() == "softmax"
    assert dialog.layers.rowCount() == 3


def test_constant_and_seeded_he_weights_and_an_image_input(qtbot, make_window):
    window = make_window()
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "16-2")
    init = child(dialog, QComboBox, "init")
    init.setCurrentIndex(init.findData("constant"))
    value = child(dialog, QLineEdit, "initValue")
    value.selectAll()
    qtbot.keyClicks(value, "1/sqrt(2)")
    assert child(dialog, QCheckBox, "image").isEnabled()
    child(dialog, QCheckBox, "image").setChecked(True)
    create(qtbot, dialog)
    project = window.document.project
    np.testing.assert_array_equal(project.network.layers[0].weights, np.full((2, 16), 1 / math.sqrt(2)))
    assert project.input_image == (4, 4)

    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "3-4-2")
    assert not child(dialog, QCheckBox, "image").isEnabled()
    child(dialog, QSpinBox, "seed").setValue(11)
    create(qtbot, dialog)
    layers = window.document.project.network.layers
    rng = np.random.default_rng(11)  # He: normal with std √(2 / inputs), layer after layer from one generator
    np.testing.assert_array_equal(layers[0].weights, rng.normal(0, math.sqrt(2 / 3), (4, 3)))
    np.testing.assert_array_equal(layers[1].weights, rng.normal(0, math.sqrt(2 / 4), (2, 4)))


def test_the_dialog_and_nnstudio_new_build_the_same_network(qtbot, make_window, tmp_path):
    out = tmp_path / "cli.nnstudio"
    assert cli_main(["new", "784-32-10", "--seed", "5", "--image", "--no-bias", "2", "--out", str(out)]) == 0
    from_cli = load_project(out)
    window = make_window()
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "784-32-10")
    assert child(dialog, QCheckBox, "image").isChecked()  # 784 = 28 × 28, offered and on
    child(dialog, QSpinBox, "seed").setValue(5)
    child(dialog, QCheckBox, "bias2").click()
    create(qtbot, dialog)
    mine = window.document.project
    assert mine.loss == from_cli.loss == "cce" and mine.input_image == from_cli.input_image == (28, 28)
    for a, b in zip(mine.network.layers, from_cli.network.layers):
        assert a.activation == b.activation
        np.testing.assert_array_equal(a.weights, b.weights)
        assert (a.bias is None) == (b.bias is None)


def test_bad_sizes_say_what_is_wrong_and_leave_the_open_network_alone(qtbot, make_window):
    window = make_window("cosine-memory")
    before = window.document.project
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "2-x")
    error = child(dialog, QLabel, "newError")
    # A letter makes the line the notation with maps, read as `nnstudio new` reads it: the part is named.
    assert error.isVisible() and 'part 2 "x": unknown \'x\'' in error.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    type_sizes(qtbot, dialog, "2-9999")
    assert "more than the 4,096 allowed" in error.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert window.document.project is before


def test_the_empty_canvas_says_what_to_do_and_its_button_opens_the_dialog(qtbot, make_window):
    window = make_window()
    hint = window.empty_hint
    assert hint.isVisible() and "New Network" in hint.text.text() and "File → Examples" in hint.text.text()
    view = window.view.rect()
    assert view.contains(hint.geometry())
    qtbot.mouseClick(hint.button, Qt.MouseButton.LeftButton)
    dialog = shown_dialog(window)
    create(qtbot, dialog)
    assert not hint.isVisible()
    window.actions_by_name["close"].trigger()
    assert hint.isVisible()


def test_a_layer_added_while_zoomed_in_comes_into_sight(qtbot, make_window):
    window = make_window("backprop-4-2-3")
    for _ in range(12):
        window.actions_by_name["zoom_in"].trigger()
    window.view.centerOn(window.scene.layers[0].scenePos())
    window.actions_by_name["add_layer"].trigger()

    def added_in_sight() -> bool:
        added = window.scene.layers[-1]
        visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
        return visible.intersects(added.mapRectToScene(added.boundingRect()))

    qtbot.waitUntil(added_in_sight)
    assert added_in_sight()


# ---------------------------------------------------------------------- the notation with maps


def test_the_edge_detector_one_3x3_convolution_identity_no_bias(qtbot, make_window):
    """`1x28x28-c1k3`: one 3×3 kernel ending the network, 28×28 in → 26×26 out; its loss is MSE against a map of
    676 targets, not typed yet (no data set fits maps out, so none is chosen)."""
    window = make_window()
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, "1x28x28-c1k3")
    assert dialog.layers.rowCount() == 1 and dialog.layers.item(0, 0).text() == "output: convolution c1k3 → 1×26×26"
    output = child(dialog, QComboBox, "activation1")
    assert output.currentData() == "identity"  # maps out: not softmax
    image = child(dialog, QCheckBox, "image")
    assert not image.isEnabled() and "1×28×28" in image.text()
    assert image.isChecked()  # it is drawn as its maps: said ticked, not greyed out unticked
    child(dialog, QCheckBox, "bias1").click()
    assert child(dialog, QLabel, "newSummary").text() == "1×28×28 → 1×26×26: 9 parameters, loss mean squared error"
    create(qtbot, dialog)
    project = window.document.project
    (layer,) = project.network.layers
    assert layer.kernel.shape == (1, 1, 3, 3) and layer.bias is None and layer.activation == "identity"
    assert layer.out_shape == (1, 26, 26) and project.network.input_shape == (1, 28, 28)
    assert project.loss == "mse" and project.target.shape == (676,) and not project.target_known
    assert project.training_data is None and project.input_image is None


def test_lenet_from_the_dialog_is_nnstudio_new_s_lenet(qtbot, make_window, tmp_path):
    notation = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"
    out = tmp_path / "cli.nnstudio"
    assert cli_main(["new", notation, "--seed", "7", "--no-bias", "3", "--out", str(out)]) == 0
    from_cli = load_project(out)
    window = make_window()
    dialog = open_dialog(qtbot, window)
    type_sizes(qtbot, dialog, notation)
    assert [dialog.layers.item(r, 0).text() for r in range(3)] == [
        "1: convolution c6k5p2 → 6×28×28", "2: max pooling m2 → 6×14×14", "3: convolution c16k5 → 16×10×10"]
    pool_activation, pool_bias = child(dialog, QComboBox, "activation2"), child(dialog, QCheckBox, "bias2")
    assert not pool_activation.isEnabled() and not pool_bias.isEnabled() and not pool_bias.isChecked()
    child(dialog, QSpinBox, "seed").setValue(7)
    child(dialog, QCheckBox, "bias3").click()
    assert "61,690 parameters, loss categorical cross-entropy" in child(dialog, QLabel, "newSummary").text()
    create(qtbot, dialog)
    mine = window.document.project
    assert mine.loss == from_cli.loss == "cce"
    for a, b in zip(mine.network.layers, from_cli.network.layers, strict=True):
        assert type(a) is type(b) and a.activation == b.activation and (a.bias is None) == (b.bias is None)
        for x, y in zip(a.parameters(), b.parameters()):
            assert (x is None and y is None) or np.array_equal(x, y)


def test_a_bad_notation_names_the_part_live_and_create_waits(qtbot, make_window):
    window = make_window()
    dialog = open_dialog(qtbot, window)
    error, ok = child(dialog, QLabel, "newError"), dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    type_sizes(qtbot, dialog, "1x28x28-c6k29")
    assert error.isVisible() and not ok.isEnabled()
    assert error.text() == 'part 2 "c6k29": kernel size 29 is larger than the padded height: 28 + 2·0 = 28'
    type_sizes(qtbot, dialog, "784-c6k5")
    assert "a convolution needs maps; the input is 784 plain numbers (write it as 1x28x28)" in error.text()
    type_sizes(qtbot, dialog, "1x8x8-c2k3")
    assert not error.isVisible() and ok.isEnabled()
    output = child(dialog, QComboBox, "activation1")
    output.setCurrentIndex(output.findData("softmax"))
    assert "softmax is only for a flat output" in error.text() and not ok.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert window.document.project.network.layers == ()


def test_the_image_box_after_maps_follows_the_plain_sizes_again(qtbot, make_window):
    """Ticked (and fixed) for an input of maps; plain sizes after it get their own default, not the maps' tick."""
    window = make_window()
    dialog = open_dialog(qtbot, window)
    image = child(dialog, QCheckBox, "image")
    type_sizes(qtbot, dialog, "1x4x4-c1k3")
    assert image.isChecked() and not image.isEnabled()
    type_sizes(qtbot, dialog, "16-2")  # 4 × 4 may be drawn as an image, but small inputs start as plain numbers
    assert image.isEnabled() and not image.isChecked() and "4 × 4" in image.text()
    type_sizes(qtbot, dialog, "1x28x28-c1k3")
    type_sizes(qtbot, dialog, "784-10")
    assert image.isEnabled() and image.isChecked()
