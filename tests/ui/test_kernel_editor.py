"""The Inspector's kernel editor (panels/network/kernel_editor.py): kernels typed cell by cell with real keys,
pasted, refused by place, undone, set by name; kernel modes while stepping (∂L/∂w, old → new); the summary's
shapes."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.project import Project
from nnstudio.ui import format as fmt
from nnstudio.ui.selection import ItemKey
from tests.support.conv_reference import SOBEL_X, correlate
from tests.ui.helpers import run_queued_events


def stroke_project() -> Project:
    """1×5×5 → one 3×3 convolution with identity activation ending the network; a vertical stroke in column 1."""
    network = build_from_architecture(parse_architecture("1x5x5-c1k3"), output="identity", seed=0)
    x = np.zeros((5, 5))
    x[:, 1] = 1.0
    return Project(network, input=x.ravel())


def kernel_editor(window, key: ItemKey):  # type: ignore[no-untyped-def]
    """Select `key` on the canvas as a click would (a map pixel, or a layer of maps by its column), and the
    Inspector's kernel editor it shows."""
    window.scene.select_key(key)
    run_queued_events()
    editor = window.inspector._kernels
    assert editor is not None and window.inspector.key == key
    return editor


def type_keys(qtbot, text: str, then: Qt.Key) -> None:
    """Each character to whatever has the keyboard focus (the grid, then the cell editor it opens), then a key;
    the item delegate commits on Enter in a queued call, as the event loop would run it."""
    for ch in text:
        qtbot.keyClick(QApplication.focusWidget(), ch)
    qtbot.keyClick(QApplication.focusWidget(), then)
    run_queued_events()


def test_sobel_typed_cell_by_cell_makes_the_map_a_hand_cross_correlation(make_window, qtbot):
    window = make_window()
    window.document.new_project(stroke_project())
    run_queued_events()
    editor = kernel_editor(window, ItemKey("layer", 1))
    window.activateWindow()
    editor.bias_edit.setFocus()
    editor.bias_edit.selectAll()
    type_keys(qtbot, "0", Qt.Key.Key_Return)
    grid = editor.grids[0]
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(0, 0))
    for r, row in enumerate(SOBEL_X):  # Tab moves right and on to the next row
        for c, value in enumerate(row):
            last = (r, c) == (2, 2)
            type_keys(qtbot, str(value), Qt.Key.Key_Return if last else Qt.Key.Key_Tab)
    layer = window.document.project.network.layers[0]
    assert layer.kernel[0, 0].tolist() == SOBEL_X and layer.bias.tolist() == [0.0]
    expected = correlate(stroke_project().input.reshape(5, 5), np.array(SOBEL_X, float), 0.0)
    assert window.document.trace.layers[0].a.reshape(3, 3).tolist() == expected.tolist() == [[0, 4, 0]] * 3
    assert [grid.model().index(2, c).data() for c in range(3)] == ["1", "0", "−1"]
    assert len(window.document.undo_stack) == 9  # one step a cell; the bias was 0 already: no empty step
    window.document.undo()
    assert window.document.project.network.layers[0].kernel[0, 0, 2, 2] != -1  # the last cell back as it was
    assert grid.model().index(2, 2).data() != "−1"


def test_enter_moves_down_and_shift_tab_back_an_expression_is_shown_again(make_window, qtbot):
    window = make_window()
    window.document.new_project(stroke_project())
    run_queued_events()
    grid = kernel_editor(window, ItemKey("layer", 1)).grids[0]
    window.activateWindow()
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(0, 1))
    type_keys(qtbot, "1/9", Qt.Key.Key_Return)
    assert (grid.currentIndex().row(), grid.currentIndex().column()) == (1, 1)
    qtbot.keyClick(grid, Qt.Key.Key_Backtab)
    assert (grid.currentIndex().row(), grid.currentIndex().column()) == (1, 0)
    layer = window.document.project.network.layers[0]
    assert layer.kernel[0, 0, 0, 1] == 1 / 9 and layer.kernel_text == {(0, 0, 0, 1): "1/9"}
    cell = grid.model().index(0, 1)
    assert cell.data() == "1/9" and cell.data(Qt.ItemDataRole.EditRole) == "1/9"
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == "row 1, column 2: w = 1/9 = 0.1111111111111111"
    window.scene.set_digits(1)  # the canvas's digits: the cells follow
    assert grid.model().index(0, 0).data() == fmt.short(float(layer.kernel[0, 0, 0, 0]), 1)


def test_a_pasted_block_a_refused_cell_undo_and_a_named_kernel(make_window, qtbot):
    window = make_window("lenet")
    editor = kernel_editor(window, ItemKey("pixel", 1, 3, 4, channel=2))  # a pixel of map 3: kernel 3
    assert editor.out == 2 and editor.number.value() == 3
    document = window.document
    before = np.array(document.project.network.layers[0].kernel)
    grid = editor.grids[0]
    window.activateWindow()
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(1, 1))
    QGuiApplication.clipboard().setText("1\t2\t3\n4\t5\t6\n7\t8\t9\n")
    qtbot.keyClick(grid, "v", Qt.KeyboardModifier.ControlModifier)
    kernel = document.project.network.layers[0].kernel
    assert kernel[2, 0, 1:4, 1:4].tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert np.array_equal(np.delete(kernel, 2, axis=0), np.delete(before, 2, axis=0))  # other kernels untouched
    pasted = np.array(kernel)
    grid.setCurrentIndex(grid.model().index(2, 0))
    type_keys(qtbot, "2*", Qt.Key.Key_Return)
    assert editor.error.isVisible()
    assert editor.error.text().startswith("kernel 3 of channel 1, row 3, column 1: ")
    assert np.array_equal(document.project.network.layers[0].kernel, pasted)  # refused: nothing changed
    window.actions_by_name["undo"].trigger()  # Edit → Undo takes the paste back whole
    run_queued_events()
    assert np.array_equal(document.project.network.layers[0].kernel, before)
    assert grid.model().index(1, 1).data() == fmt.short(float(before[2, 0, 1, 1]))
    editor.number.setValue(5)  # another kernel of the layer: its cells
    assert grid.model().index(4, 4).data(Qt.ItemDataRole.ToolTipRole) == (
        f"row 5, column 5: w = {fmt.full(float(before[4, 0, 4, 4]))}")
    editor.number.setValue(3)
    sobel = editor.named.findData("sobel-x")
    assert sobel < 0  # LeNet's kernels are 5×5: Sobel x is a 3×3 kernel, so it is not offered
    blur = editor.named.findData("box-blur")
    editor.named.setCurrentIndex(blur)
    editor.named.activated.emit(blur)
    assert np.all(document.project.network.layers[0].kernel[2, 0] == 1 / 25)
    assert grid.model().index(0, 0).data() == "1/25" and editor.named.currentIndex() == 0


def test_named_sobel_x_gives_the_exact_grid(make_window):
    window = make_window()
    window.document.new_project(stroke_project())
    run_queued_events()
    editor = kernel_editor(window, ItemKey("layer", 1))
    sobel = editor.named.findData("sobel-x")
    editor.named.activated.emit(sobel)
    assert window.document.project.network.layers[0].kernel[0, 0].tolist() == SOBEL_X
    assert [[editor.models[0].index(r, c).data() for c in range(3)] for r in range(3)] == [
        ["1", "0", "−1"], ["2", "0", "−2"], ["1", "0", "−1"]]
    assert window.document.undo_stack.undo_text() == "Set kernel 1 to Sobel x"


def test_kernel_modes_while_stepping_conv_4x4(make_window):
    """∂L/∂K = [[2, 0], [1, 3]] and ∂L/∂b = 1 at the backward step; [[1, 0], [−1, 2]] → [[0.8, 0], [−1.1, 1.7]] at
    the update (docs/conv-worked-example.md)."""
    window = make_window("conv-4x4")
    editor = kernel_editor(window, ItemKey("pixel", 1, 0, 1, channel=0))
    cells = lambda: [[editor.models[0].index(r, c).data() for c in range(2)] for r in range(2)]
    assert cells() == [["1", "0"], ["−1", "2"]]
    window.actions_by_name["edge_gradient"].trigger()
    window.document.stepping.start()
    run_queued_events()
    assert cells() == [["?", "?"]] * 2 and "appears once the backward pass" in editor.heading.text()
    window.document.stepping.run_to_end_of_backward()
    run_queued_events()
    assert cells() == [["2", "0"], ["1", "3"]]
    assert editor.bias_label.text() == "1" and editor.heading.text().startswith("∂L/∂w")
    assert not editor.models[0].flags(editor.models[0].index(0, 0)) & Qt.ItemFlag.ItemIsEditable
    window.document.stepping.forward()  # the update
    run_queued_events()
    assert cells() == [["1\n→ 0.8", "0\n→ 0"], ["−1\n→ −1.1", "2\n→ 1.7"]]
    assert editor.bias_label.text() == "0.5 → 0.4"
    window.actions_by_name["edge_weight"].trigger()
    window.document.stepping.stop()
    run_queued_events()
    assert cells() == [["0.8", "0"], ["−1.1", "1.7"]]
    assert editor.models[0].flags(editor.models[0].index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_a_training_preview_is_shown_read_only(make_window):
    window = make_window("conv-4x4")
    editor = kernel_editor(window, ItemKey("pixel", 1, 2, 2, channel=0))
    network = window.document.project.network
    layer = network.layers[0]
    window.document.set_preview(network.with_layer(0, layer.replace(kernel=layer.kernel * 2)))
    run_queued_events()
    assert editor.models[0].index(1, 1).data() == "4" and "read-only" in editor.heading.text()
    assert not editor.named.isEnabled()
    assert not editor.commit(0, 0, 0, [["5"]], "Set kernel cell")
    assert window.document.project.network.layers[0].kernel[0, 0, 0, 0] == 1


def test_the_summary_shows_shapes_of_maps(make_window):
    window = make_window("lenet")
    window.inspector.show_key(None)
    run_queued_events()
    shape = window.inspector.findChild(QLabel, "networkShape").text()
    assert shape == ("1×28×28 → conv 6×28×28 → max pool 6×14×14 → conv 16×10×10 → max pool 16×5×5 → 120 → 84 → 10")


def test_the_bias_field_reads_like_the_cells_and_edits_its_full_value(make_window, qtbot):
    """After an update the bias showed "-0.5009999999570747" (raw float, ASCII hyphen) beside cells of 3 digits with
    "−": it shows the canvas's digits now, the full value in its tooltip, and the full (or typed) text to edit."""
    window = make_window("conv-4x4")
    editor = kernel_editor(window, ItemKey("pixel", 1, 0, 1, channel=0))
    network = window.document.project.network
    layer = network.layers[0]
    window.document.apply(window.document.project.replace(
        network=network.with_layer(0, layer.replace(bias=np.array([-0.5009999999570747])))), "Update", "values")
    run_queued_events()
    editor = window.inspector._kernels
    assert editor.bias_edit.isVisibleTo(editor)
    assert editor.bias_edit.text() == "−0.501"
    assert editor.bias_edit.toolTip().startswith(fmt.full(-0.5009999999570747))
    window.activateWindow()
    editor.bias_edit.setFocus()
    assert editor.bias_edit.text() == fmt.full(-0.5009999999570747)  # the full value to edit
    editor.bias_edit.selectAll()
    type_keys(qtbot, "1/4", Qt.Key.Key_Return)
    assert window.document.project.network.layers[0].bias.tolist() == [0.25]
    editor = window.inspector._kernels
    editor.bias_edit.clearFocus()
    run_queued_events()
    assert editor.bias_edit.text() == "1/4" or editor.bias_edit.text() == fmt.pretty_expression("1/4")
    editor.bias_edit.setFocus()
    assert editor.bias_edit.text() == "1/4"  # the typed expression, to edit
    editor.bias_edit.clearFocus()
    assert editor.bias_edit.text() == fmt.pretty_expression("1/4")
    assert len(window.document.undo_stack) == 2  # focus coming and going commits nothing
