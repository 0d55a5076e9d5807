"""Rebuild the cosine-memory example from an empty window with real clicks and keys, counted.

No call goes into the document: the New Network dialog, typing on the canvas cell by cell
(Enter and Tab move on, a selected layer takes every bias at once) and Save do it all.
Budget from the issue: at most 10 clicks and 70 keystrokes (a key with its modifiers is one).
"""

import math

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QFileDialog

from nnstudio.io import load_example, load_project
from nnstudio.ui.panels.new_network_dialog import NewNetworkDialog
from nnstudio.ui.selection import ItemKey


class Counted:
    """Real mouse and key events through qtbot, counted as a person would count them."""

    def __init__(self, qtbot):
        self.qtbot, self.clicks, self.keys = qtbot, 0, 0

    def click(self, widget, pos: QPoint | None = None) -> None:
        self.clicks += 1
        if pos is None:
            self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
        else:
            self.qtbot.mouseMove(widget, pos)  # a pointer moves before it clicks (popups follow it)
            self.qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=pos)
            self.qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=pos)

    def key(self, widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        self.keys += 1
        self.qtbot.keyClick(widget, key, modifier)

    def type(self, widget, text: str) -> None:
        self.keys += len(text)
        self.qtbot.keyClicks(widget, text)


def pick(person: Counted, combo: QComboBox, name: str) -> None:
    """Open a combo box and click one of its items."""
    person.click(combo)
    view = combo.view()
    person.click(view.viewport(), view.visualRect(combo.model().index(combo.findData(name), 0)).center())
    assert combo.currentData() == name


def click_item(person: Counted, window, key: ItemKey) -> None:
    """Click a canvas item where it is drawn once the window has settled (panels relayout after an
    edit, and the view refits to them), as a person clicks what they see."""
    person.qtbot.wait(20)
    person.click(window.view.viewport(), canvas_point(window, key))
    assert window.scene.selected_key() == key


def canvas_point(window, key: ItemKey) -> QPoint:
    scene = window.scene
    if key.kind == "layer":  # its title
        item = scene.items_by_key[key]
        return window.view.mapFromScene(item.mapToScene(item.header_rect().center()))
    return window.view.mapFromScene(scene.edge_label_point(key))


def type_cell(person: Counted, window, text: str) -> None:
    """Typing on the selected cell opens its editor; Enter commits and moves on."""
    person.type(window.view, text[0])
    person.type(window.view.editor, text[1:])
    person.key(window.view.editor, Qt.Key.Key_Return)


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
    assert window.scene.selected_key() == ItemKey("edge", 1, 0, 0)  # the first weight, ready for typing

    # W1 = [[1, 0], [1/√2, 1/√2], [0, 1]], cell by cell (Tab leaves a zero as it is)
    type_cell(person, window, "1")
    person.key(view, Qt.Key.Key_Tab)
    type_cell(person, window, "1/sqrt(2)")
    type_cell(person, window, "1/sqrt(2)")
    person.key(view, Qt.Key.Key_Tab)
    type_cell(person, window, "1")
    # b1 = −1/√2 for all three: select the layer, type once
    click_item(person, window, ItemKey("layer", 1))
    assert window.scene.selected_key() == ItemKey("layer", 1)
    type_cell(person, window, "-1/sqrt(2)")
    # W2 = [0, (2+√2)/2, 0]
    click_item(person, window, ItemKey("edge", 2, 0, 1))
    type_cell(person, window, "(2+sqrt(2))/2")
    # the input (5/6, 1/3)
    click_item(person, window, ItemKey("neuron", 0, 0))
    type_cell(person, window, "5/6")
    type_cell(person, window, "1/3")
    output = window.document.trace.output[0]
    assert output == np.float64(output) and abs(output - 0.2011844635) < 5e-11
    r2 = math.sqrt(2)  # by hand: h2 = ReLU((5/6 + 1/3)/√2 − 1/√2) = (7/6 − 1)/√2; ŷ = h2·(2+√2)/2
    assert math.isclose(output, (7 / 6 - 1) / r2 * (2 + r2) / 2, rel_tol=1e-12)
    # the far point (0, 2): back to x1 and type both
    person.key(view, Qt.Key.Key_Backtab)
    type_cell(person, window, "0")
    type_cell(person, window, "2")
    assert abs(window.document.trace.output[0] - 1.2071067812) < 5e-11

    # Save (the file dialog answers with a path)
    path = tmp_path / "rebuilt.nnstudio"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(path), ""))
    person.key(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert path.exists() and not window.document.modified

    print(f"cosine-memory rebuilt with {person.clicks} clicks and {person.keys} keystrokes")
    assert person.clicks <= 10 and person.keys <= 70, (person.clicks, person.keys)
    saved, example = load_project(path), load_example("cosine-memory")
    assert saved.loss == example.loss == "mse"
    for mine, theirs in zip(saved.network.layers, example.network.layers, strict=True):
        assert mine.activation == theirs.activation
        np.testing.assert_array_equal(mine.weights, theirs.weights)
        assert mine.weight_text == theirs.weight_text
        assert (mine.bias is None) == (theirs.bias is None)
        if mine.bias is not None:
            np.testing.assert_array_equal(mine.bias, theirs.bias)
            assert mine.bias_text == theirs.bias_text
