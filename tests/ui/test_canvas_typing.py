"""Typing on the canvas like a spreadsheet: a selected weight, bias, input or layer takes typed text."""

import math

import numpy as np
from PySide6.QtCore import Qt

from nnstudio.ui.selection import ItemKey

R2 = math.sqrt(2)


def select(window, key):
    window.scene.select_key(key)
    window.view.setFocus()
    assert window.scene.selected_key() == key


def type_and(qtbot, window, text, key=Qt.Key.Key_Return, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClicks(window.view, text[0])
    editor = window.view.editor
    assert editor is not None and editor.text() == text[0]  # the first key replaces the value
    qtbot.keyClicks(editor, text[1:])
    qtbot.keyClick(editor, key, modifier)


def test_typing_on_a_selected_weight_sets_it_and_enter_moves_to_the_next_weight_into_the_same_neuron(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("edge", 1, 1, 0))
    type_and(qtbot, window, "0.25")
    layer = window.document.project.network.layers[0]
    assert layer.weights[1, 0] == 0.25 and window.view.editor is None
    assert window.scene.selected_key() == ItemKey("edge", 1, 1, 1)  # w22: the next cell of row 2 of W1
    type_and(qtbot, window, "2/8", Qt.Key.Key_Tab)
    layer = window.document.project.network.layers[0]
    assert layer.weights[1, 1] == 0.25 and layer.weight_text[(1, 1)] == "2/8"
    assert window.scene.selected_key() == ItemKey("bias_edge", 1, 1)  # Tab: on to b2, the last cell of neuron 2
    qtbot.keyClick(window.view, Qt.Key.Key_Backtab)  # Shift+Tab without typing: back one cell
    assert window.scene.selected_key() == ItemKey("edge", 1, 1, 1)
    window.document.undo()
    assert window.document.project.network.layers[0].weights[1, 1] == 1 / R2  # each cell one undo step


def test_escape_cancels_and_bad_text_stays_open_saying_why(qtbot, make_window):
    window = make_window("cosine-memory")
    before = window.document.project
    select(window, ItemKey("edge", 1, 0, 0))
    qtbot.keyClicks(window.view, "7")
    qtbot.keyClick(window.view.editor, Qt.Key.Key_Escape)
    assert window.document.project is before and window.view.editor is None
    assert window.scene.selected_key() == ItemKey("edge", 1, 0, 0)
    type_and(qtbot, window, "1/(")
    assert window.view.editor is not None and window.view.editor.toolTip()  # the parser's message
    assert window.document.project is before
    qtbot.keyClick(window.view.editor, Qt.Key.Key_Escape)


def test_the_last_cell_does_not_wrap_round_to_the_first(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("edge", 2, 0, 2))
    type_and(qtbot, window, "3")
    assert window.document.project.network.layers[1].weights[0, 2] == 3
    assert window.scene.selected_key() == ItemKey("edge", 2, 0, 2)
    assert window.view.editor is None


def test_a_neuron_takes_its_bias_an_input_its_value_and_a_layer_every_bias(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("neuron", 1, 0))
    type_and(qtbot, window, "-0.5")
    assert window.document.project.network.layers[0].bias[0] == -0.5
    assert window.scene.selected_key() == ItemKey("neuron", 1, 1)  # Enter: the next neuron down
    select(window, ItemKey("neuron", 0, 1))
    type_and(qtbot, window, "1/4")
    assert window.document.project.input[1] == 0.25 and window.document.project.input_text[1] == "1/4"
    select(window, ItemKey("layer", 1))
    type_and(qtbot, window, "-1/2")
    layer = window.document.project.network.layers[0]
    np.testing.assert_array_equal(layer.bias, [-0.5, -0.5, -0.5])
    assert all(layer.bias_text[row] == "-1/2" for row in range(3))
    window.document.undo()  # one typed value, one undo step for the whole layer
    assert window.document.project.network.layers[0].bias[0] == -0.5 and \
        window.document.project.network.layers[0].bias[1] == -1 / R2
    select(window, ItemKey("layer", 2))  # the output layer has no bias: it says so, nothing changes
    before = window.document.project
    qtbot.keyClicks(window.view, "1")
    assert window.view.editor is None and window.document.project is before


def test_arrows_move_between_neurons_and_enter_opens_the_value_as_typed(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("neuron", 1, 0))
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert window.scene.selected_key() == ItemKey("neuron", 1, 1)
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    assert window.scene.selected_key() == ItemKey("neuron", 2, 0)
    qtbot.keyClick(window.view, Qt.Key.Key_Left)
    assert window.scene.selected_key() == ItemKey("neuron", 1, 0)
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert window.view.editor.text() == "-1/sqrt(2)"  # what was typed, to change
    qtbot.keyClick(window.view.editor, Qt.Key.Key_Escape)
