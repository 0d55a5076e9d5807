"""Build the worked example from an empty window with the UI's own actions and editors."""

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox

from nnstudio.core import forward
from nnstudio.io import load_example, load_project
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import run_queued_events

R2 = math.sqrt(2)


def inspector_widget(window, cls, name):
    widget = window.inspector.findChild(cls, name)
    assert widget is not None, name
    return widget


def refresh(qtbot, window):
    """Let deferred panel refreshes run (they wait for the emitting edit to finish)."""
    run_queued_events()


def build(qtbot, window):
    a = window.actions_by_name
    a["add_layer"].trigger()
    refresh(qtbot, window)
    assert window.scene.selected_key() == ItemKey("layer", 1)
    inspector_widget(window, QSpinBox, "layerSize").setValue(3)
    refresh(qtbot, window)
    combo = inspector_widget(window, QComboBox, "layerActivation")
    combo.setCurrentIndex(combo.findData("relu"))
    a["add_layer"].trigger()
    refresh(qtbot, window)
    inspector_widget(window, QSpinBox, "layerSize").setValue(1)
    refresh(qtbot, window)
    inspector_widget(window, QCheckBox, "layerBias").setChecked(False)
    refresh(qtbot, window)

    window.edit_matrix(1)
    model = window.matrix_editors[1].model
    cells = {(0, 0): "1", (0, 1): "0", (1, 0): "1/sqrt(2)", (1, 1): "1/sqrt(2)", (2, 0): "0", (2, 1): "1",
             (0, 2): "-1/sqrt(2)", (1, 2): "-1/sqrt(2)", (2, 2): "-1/sqrt(2)"}
    for (i, j), text in cells.items():
        assert model.setData(model.index(i, j), text, Qt.ItemDataRole.EditRole)
    window.edit_matrix(2)
    model2 = window.matrix_editors[2].model
    for j, text in enumerate(["0", "(2+sqrt(2))/2", "0"]):
        assert model2.setData(model2.index(0, j), text, Qt.ItemDataRole.EditRole)
    table = window.io_panel.input_table
    table.item(0, 1).setText("5/6")
    table.item(1, 1).setText("1/3")
    refresh(qtbot, window)


def test_building_cosine_memory_through_the_ui_gives_the_core_output(make_window, qtbot):
    window = make_window()
    build(qtbot, window)
    net = window.document.project.network
    assert net.sizes == [2, 3, 1] and net.layers[1].bias is None
    expected = forward(load_example("cosine-memory").network, [5 / 6, 1 / 3]).output[0]
    independent = (2 + R2) / 2 * max(0.0, (5 / 6 + 1 / 3) / R2 - 1 / R2)
    assert expected == pytest.approx(independent, abs=1e-12)
    assert window.io_panel.output_label.text() == f"ŷ = {independent:.4f}" == "ŷ = 0.2012"
    assert window.scene.output_summary() == "ŷ = 0.2012"
    assert net.layers[0].weight_text[(1, 0)] == "1/sqrt(2)"
    # The matrix editor shows what was typed, prettily; the value is exact.
    model = window.matrix_editors[1].model
    assert model.data(model.index(1, 0)) == "1/√2"
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole) == "1/sqrt(2) = 0.7071067811865475"


def test_undo_everything_then_redo_everything(make_window, qtbot):
    window = make_window()
    empty = window.document.project
    build(qtbot, window)
    finished = window.document.project
    undo, redo = window.actions_by_name["undo"], window.actions_by_name["redo"]
    while undo.isEnabled():
        undo.trigger()
    refresh(qtbot, window)
    assert window.document.project.network.same_as(empty.network)
    np.testing.assert_array_equal(window.document.project.input, empty.input)
    assert window.io_panel.output_label.text() == "—"
    assert not window.isWindowModified()
    while redo.isEnabled():
        redo.trigger()
    refresh(qtbot, window)
    assert window.document.project.network.same_as(finished.network)
    assert window.document.project.input_text == ("5/6", "1/3")
    assert window.io_panel.output_label.text() == "ŷ = 0.2012"


def test_invalid_expression_in_the_matrix_editor_is_refused(make_window, qtbot):
    window = make_window("cosine-memory")
    window.edit_matrix(1)
    editor = window.matrix_editors[1]
    before = window.document.project
    assert not editor.model.setData(editor.model.index(0, 0), "1/(2", Qt.ItemDataRole.EditRole)
    assert "expected ')'" in editor.error.text() and editor.error.isVisible()
    assert window.document.project is before


def test_paste_a_spreadsheet_block_is_one_undoable_command(make_window, qtbot):
    window = make_window("backprop-4-2-3")
    window.edit_matrix(1)
    editor = window.matrix_editors[1]
    editor.table.setCurrentIndex(editor.model.index(0, 1))
    assert editor.paste_text("1\t2\t1/2\r\n3\t4\t-1/4\r\n")
    layer = window.document.project.network.layers[0]
    np.testing.assert_array_equal(layer.weights[:, 1:4], [[1, 2, 0.5], [3, 4, -0.25]])
    assert len(window.document.undo_stack) == 1
    assert editor.table.currentIndex().column() == 1  # the cursor stays where the paste went
    assert not editor.paste_text("1\t2\t3\t4\t5")  # 5 cells from column 2 of 4 + bias: too wide
    assert len(window.document.undo_stack) == 1
    assert "does not fit" in editor.error.text()


def test_save_close_reopen_and_unsaved_prompt(make_window, qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.helpers import answer_next_message_box

    window = make_window()
    build(qtbot, window)
    window.document.move_columns([(0.0, 0.0), (300.0, 15.0), (600.0, -5.0)])
    path = tmp_path / "memory.nnstudio"
    assert window.save_to(path)
    assert window.windowTitle() == "memory.nnstudio[*] — nnstudio" and not window.isWindowModified()
    saved = window.document.project
    window.close_document()  # clean: no prompt
    assert window.document.project.network.layers == ()
    assert window.open_path(path)
    again = window.document.project
    assert again.network.same_as(saved.network)
    assert again.layout == ((0.0, 0.0), (300.0, 15.0), (600.0, -5.0))
    assert again.input_text == ("5/6", "1/3")
    assert load_project(path).network.same_as(saved.network)

    window.document.set_input(0, "1")
    assert window.isWindowModified()
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Cancel, seen)
    window.close()
    assert seen and "unsaved changes" in seen[0]
    assert window.isVisible()  # Cancel keeps the window and the work
    answer_next_message_box(QMessageBox.StandardButton.Discard, seen)
    window.close()
    assert len(seen) == 2 and not window.isVisible()


def test_save_from_the_prompt_writes_the_file(make_window, qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.helpers import answer_next_message_box

    window = make_window("xor")
    path = tmp_path / "xor.nnstudio"
    window.save_to(path)
    window.document.set_input(0, "0.25")
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Save, seen)
    window.new_document()
    assert seen and window.document.project.network.layers == ()
    assert load_project(path).input[0] == 0.25


def test_a_pasted_python_or_numpy_list_fills_the_matrix_as_typed(make_window, qtbot):
    window = make_window("cosine-memory")
    window.edit_matrix(1)
    editor = window.matrix_editors[1]
    editor.table.setCurrentIndex(editor.model.index(0, 0))
    assert editor.paste_text("[[1, 0], [0.7071, 0.7071], [0, 1/sqrt(3)]]")
    layer = window.document.project.network.layers[0]
    np.testing.assert_array_equal(layer.weights, [[1, 0], [0.7071, 0.7071], [0, 1 / math.sqrt(3)]])
    assert layer.weight_text == {(2, 1): "1/sqrt(3)"}  # plain numbers stay numbers, expressions their text
    assert editor.model.data(editor.model.index(0, 0), Qt.ItemDataRole.EditRole) == "1"  # as typed, not "1.0"
    assert editor.paste_text("array([[0.5, 0.25, -1.]], dtype=float32)")  # numpy's repr: one row with the bias
    layer = window.document.project.network.layers[0]
    assert layer.weights[0].tolist() == [0.5, 0.25] and layer.bias[0] == -1.0
    assert len(window.document.undo_stack) == 2
    before = window.document.project
    assert not editor.paste_text("[[1, 2], [3")
    assert "the pasted list cannot be read: the brackets do not balance" in editor.error.text()
    assert not editor.paste_text("[[1, 2, 3, 4]]")  # wider than W1 and its bias
    assert "does not fit" in editor.error.text() and window.document.project is before
