"""Ctrl+C / Ctrl+V of a layer: its size, activation, weights and bias (typed text kept) move between networks."""

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from nnstudio.io import load_example
from nnstudio.io.layer_clipboard import layer_from_text, layer_to_text
from nnstudio.io.network_file import NetworkFileError
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import error_shown


def test_a_copied_layer_pastes_into_another_window_with_its_values_and_text(qtbot, make_window):
    source = make_window("cosine-memory")
    source.scene.select_key(ItemKey("layer", 1))
    source.view.setFocus()
    qtbot.keyClick(source.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert '"format": "nnstudio.layer"' in QGuiApplication.clipboard().text()

    target = make_window()  # an empty network of two inputs: W1 takes 2 inputs, so it fits
    target.view.setFocus()
    qtbot.keyClick(target.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = target.document.project.network.layers[0]
    original = load_example("cosine-memory").network.layers[0]
    np.testing.assert_array_equal(pasted.weights, [[1, 0], [1 / math.sqrt(2), 1 / math.sqrt(2)], [0, 1]])
    assert pasted.weight_text == original.weight_text and pasted.bias_text == original.bias_text
    np.testing.assert_array_equal(pasted.bias, original.bias)
    assert pasted.activation == "relu" and target.scene.selected_key() == ItemKey("layer", 1)
    target.document.undo()
    assert not target.document.project.network.layers  # one undoable edit


def test_a_layer_that_does_not_fit_or_is_not_a_layer_is_refused_by_name(qtbot, make_window):
    window = make_window("backprop-4-2-3")  # columns of 4, 2 and 3
    QGuiApplication.clipboard().setText(layer_to_text(load_example("cosine-memory").network.layers[0]))
    window.scene.select_key(ItemKey("neuron", 0, 0))  # after the input (4 values) it does not fit
    before = window.document.project
    window.actions_by_name["paste_layer"].trigger()
    assert "takes 2 inputs, but the input gives 4" in error_shown(window) and window.document.project is before
    window.scene.select_key(ItemKey("layer", 1))
    window.actions_by_name["paste_layer"].trigger()
    assert window.document.project.network.sizes == [4, 2, 3, 3]  # fits after layer 1; layer 3 now takes 3 inputs
    QGuiApplication.clipboard().setText("just words")
    window.actions_by_name["paste_layer"].trigger()
    assert "the clipboard: not valid JSON" in error_shown(window)


@pytest.mark.parametrize("text, message", [
    ('{"format": "nnstudio.network", "version": 1}', "format: expected 'nnstudio.layer'"),
    ('{"format": "nnstudio.layer", "version": 1, "inputs": 2, "size": 9000, "activation": "relu", "weights": []}',
     "size: expected a whole number from 1 to 4096, got 9000"),
    ('{"format": "nnstudio.layer", "version": 1, "inputs": 2, "size": 1, "activation": "relu", "weights": [[1, "x"]]}',
     "weights[0][1]"),
])
def test_clipboard_text_is_checked_like_a_file(text, message):
    with pytest.raises(NetworkFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        layer_from_text(text, np.dtype(np.float64))
