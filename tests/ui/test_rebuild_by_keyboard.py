"""Rebuild the cosine-memory example from an empty window with real clicks and keys, counted.

Acceptance (issue 27): by real key and mouse events, the inputs are typed in the Input table
(Enter moving down) and the weights and biases on the canvas in Tab order, within 10 clicks
and 70 keys (a key with its modifiers counts as one). No call goes into the document.

The route, every click and key counted (the counts are printed):
  New Network (clicks: the empty canvas's button, the output's activation and a ReLU, its bias
  box off, the first weights and Zeros, Create; keys: "2-3-1"), then on the canvas from the first
  weight, in Tab order w11 w12 b1 w21 w22 b2 w31 w32 b3 | w11 w12 w13 of layer 2: type each
  weight that is not zero and Enter, Tab over each zero and each bias. The three equal biases
  b1 = −1/√2 then go in at once: a click on layer 1's title and "-1/sqrt(2)" Enter (a selected
  layer takes every bias; typing "-1/sqrt(2)" on each bias in turn would not fit in 70 keys).
  Then a click on x1's value in the Input table, "5/6" Enter "1/3" Enter, and Ctrl+S.
That is 9 clicks (7 in the dialog, layer 1's title, x1) and 69 keys (5 in the dialog, 44 for the
weights in Tab order, 11 for the biases, 8 for the inputs, Ctrl+S).
"""

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QFileDialog

from nnstudio.io import load_example, load_project
from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog
from nnstudio.ui.selection import ItemKey
from tests.ui.counted import Counted, bias, canvas_point, edge, focused, pick, tab, type_cell


def test_cosine_memory_rebuilt_from_an_empty_window_within_10_clicks_and_70_keys(qtbot, make_window, tmp_path,
                                                                                 monkeypatch):
    window = make_window()
    person = Counted(qtbot)
    view = window.view

    # New Network: 2-3-1, ReLU output without a bias, zero first weights
    person.click(window.empty_hint.button)
    dialog = next(d for d in window.findChildren(NewNetworkDialog) if d.isVisible())
    person.type(dialog.sizes, "2-3-1")
    pick(person, dialog.findChild(QComboBox, "activation2"), "relu")
    person.click(dialog.findChild(QCheckBox, "bias2"))
    pick(person, dialog.findChild(QComboBox, "init"), "zeros")
    person.click(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))
    assert window.scene.selected_key() == edge(1, 0, 0)  # the first weight, ready for typing

    # W1 = [[1, 0], [1/√2, 1/√2], [0, 1]] and W2 = [0, (2+√2)/2, 0] in Tab order; Tab leaves a zero as
    # it is and steps over each bias (typed below, all three at once)
    type_cell(person, window, "1", then=edge(1, 0, 1))
    tab(person, window, then=bias(1, 0))
    tab(person, window, then=edge(1, 1, 0))
    type_cell(person, window, "1/sqrt(2)", then=edge(1, 1, 1))
    type_cell(person, window, "1/sqrt(2)", then=bias(1, 1))
    tab(person, window, then=edge(1, 2, 0))
    tab(person, window, then=edge(1, 2, 1))
    type_cell(person, window, "1", then=bias(1, 2))
    tab(person, window, then=edge(2, 0, 0))  # on from layer 1's last cell into W2
    tab(person, window, then=edge(2, 0, 1))
    type_cell(person, window, "(2+sqrt(2))/2", then=edge(2, 0, 2))

    # b1 = −1/√2 for all three: select the layer by its title, type once
    person.click(view.viewport(), canvas_point(window, ItemKey("layer", 1)))
    assert window.scene.selected_key() == ItemKey("layer", 1)
    type_cell(person, window, "-1/sqrt(2)", then=ItemKey("layer", 2))  # Enter: on to the next layer

    # the input (5/6, 1/3) in the Input table: Enter moves down
    table = window.io_panel.input_table
    person.click(table.viewport(), table.visualItemRect(table.item(0, 1)).center())
    for text in ("5/6", "1/3"):
        person.type(table, text)
        person.key(focused(table), Qt.Key.Key_Return)
    assert window.document.project.input_text == ("5/6", "1/3")
    output = window.document.trace.output[0]
    assert output == np.float64(output) and abs(output - 0.2011844635) < 5e-11
    r2 = math.sqrt(2)  # by hand: h2 = ReLU((5/6 + 1/3)/√2 − 1/√2) = (7/6 − 1)/√2; ŷ = h2·(2+√2)/2
    assert math.isclose(output, (7 / 6 - 1) / r2 * (2 + r2) / 2, rel_tol=1e-12)

    # Save (the file dialog answers with a path)
    path = tmp_path / "rebuilt.nnstudio"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(path), ""))
    person.key(table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert path.exists() and not window.document.modified

    print(f"cosine-memory rebuilt with {person.clicks} clicks and {person.keys} keys")
    assert person.clicks <= 10 and person.keys <= 70, (person.clicks, person.keys)
    saved, example = load_project(path), load_example("cosine-memory")
    assert saved.loss == example.loss == "mse"
    np.testing.assert_array_equal(saved.input, example.input)
    assert saved.input_text == example.input_text
    for mine, theirs in zip(saved.network.layers, example.network.layers, strict=True):
        assert mine.activation == theirs.activation
        np.testing.assert_array_equal(mine.weights, theirs.weights)
        assert mine.weight_text == theirs.weight_text
        assert (mine.bias is None) == (theirs.bias is None)
        if mine.bias is not None:
            np.testing.assert_array_equal(mine.bias, theirs.bias)
            assert mine.bias_text == theirs.bias_text
