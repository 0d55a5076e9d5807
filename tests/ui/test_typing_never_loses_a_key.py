"""Typing never loses a key (issue 27): real keys and clicks through qtbot, no call into the document.

The Input table works like a spreadsheet's column, Tab on the canvas visits every bias, a click
away from the canvas's editor keeps what was typed, and Ctrl+E opens the selected item's layer.
"""

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog
from nnstudio.ui.selection import ItemKey

R2 = math.sqrt(2)


def click_value(qtbot, table, row, column=1):
    """A real click on a cell of the Input or Target table, where it is drawn."""
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualItemRect(table.item(row, column)).center())


def type_in(qtbot, widget, text):
    """Keys as a person types them: each one to whichever widget has the keyboard focus by then."""
    for character in text:
        qtbot.keyClicks(QApplication.focusWidget() or widget, character)
        QApplication.processEvents()  # the event loop turns between two keys, as between a person's


def press(qtbot, widget, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(QApplication.focusWidget() or widget, key, modifier)
    QApplication.processEvents()  # a table's editor commits on the next turn of the loop


# ------------------------------------------------------------------ the Input table


def test_enter_moves_down_the_input_table_so_both_values_are_typed_in_a_row(qtbot, make_window):
    window = make_window("cosine-memory")
    table = window.io_panel.input_table
    click_value(qtbot, table, 0)
    type_in(qtbot, table, "1/2")  # typing over the selected 5/6 replaces it
    press(qtbot, table, Qt.Key.Key_Return)
    assert (table.currentRow(), table.currentColumn()) == (1, 1)  # x2's value, ready for typing
    type_in(qtbot, table, "3/4")
    press(qtbot, table, Qt.Key.Key_Return)
    assert window.document.project.input.tolist() == [0.5, 0.75]
    assert window.document.project.input_text == ("1/2", "3/4")
    assert (table.currentRow(), table.currentColumn()) == (1, 1)  # the last row: Enter stays there


def cleared_input_table(qtbot, window):
    """The Input table with both values cleared to 0 by Delete, so that no lost key can leave the
    example's own 5/6 and 1/3 in place and pass for typed ones."""
    table = window.io_panel.input_table
    for row in (0, 1):
        click_value(qtbot, table, row)
        press(qtbot, table, Qt.Key.Key_Delete)
    assert window.document.project.input.tolist() == [0.0, 0.0]
    return table


def test_the_issues_keys_set_x1_to_five_sixths_and_x2_to_one_third(qtbot, make_window):
    window = make_window("cosine-memory")
    table = cleared_input_table(qtbot, window)
    click_value(qtbot, table, 0)
    type_in(qtbot, table, "5/6")
    press(qtbot, table, Qt.Key.Key_Return)
    type_in(qtbot, table, "1/3")
    press(qtbot, table, Qt.Key.Key_Return)
    x1, x2 = window.document.project.input
    assert x1 == 5 / 6 and x2 == 1 / 3


def test_tab_goes_to_the_next_value_never_to_a_name_and_shift_tab_comes_back(qtbot, make_window):
    window = make_window("cosine-memory")
    table = cleared_input_table(qtbot, window)
    click_value(qtbot, table, 0, column=0)  # a click on the name "x1" selects its value
    assert (table.currentRow(), table.currentColumn()) == (0, 1)
    type_in(qtbot, table, "5/6")
    press(qtbot, table, Qt.Key.Key_Tab)  # commits, and on to x2's value (not the name of row 2)
    assert (table.currentRow(), table.currentColumn()) == (1, 1)
    press(qtbot, table, Qt.Key.Key_Tab)  # the last value: Tab stays, nothing wraps round
    assert (table.currentRow(), table.currentColumn()) == (1, 1) and table.hasFocus()
    type_in(qtbot, table, "1/3")
    press(qtbot, table, Qt.Key.Key_Backtab)  # commits, back to x1
    assert (table.currentRow(), table.currentColumn()) == (0, 1)
    press(qtbot, table, Qt.Key.Key_Backtab)  # the first value: Shift+Tab stays
    assert (table.currentRow(), table.currentColumn()) == (0, 1) and table.hasFocus()
    press(qtbot, table, Qt.Key.Key_Tab)  # Tab on a value not being edited moves too
    assert (table.currentRow(), table.currentColumn()) == (1, 1)
    x1, x2 = window.document.project.input
    assert x1 == 5 / 6 and x2 == 1 / 3
    assert window.document.project.input_text == ("5/6", "1/3")


def test_a_refused_value_keeps_its_cell_and_says_why(qtbot, make_window):
    window = make_window("cosine-memory")
    table = window.io_panel.input_table
    click_value(qtbot, table, 0)
    type_in(qtbot, table, "1/(")
    press(qtbot, table, Qt.Key.Key_Return)
    assert (table.currentRow(), table.currentColumn()) == (0, 1)  # still on x1, to type it again
    assert window.io_panel.error.isVisible() and window.io_panel.error.text()
    assert table.item(0, 1).text() == "5/6"  # the valid value put back, before the next key
    assert window.document.project.input[0] == 5 / 6
    type_in(qtbot, table, "2")  # the next try is taken, and moves on
    press(qtbot, table, Qt.Key.Key_Return)
    assert window.document.project.input[0] == 2.0 and table.currentRow() == 1
    assert not window.io_panel.error.isVisible()


# ------------------------------------------------------------------ the canvas


def select(window, key):
    window.scene.select_key(key)
    window.view.setFocus()
    assert window.scene.selected_key() == key


def test_tab_on_the_canvas_lands_on_each_bias_in_turn_then_goes_on_into_w2(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("edge", 1, 0, 0))
    seen = []
    for _ in range(11):
        press(qtbot, window.view, Qt.Key.Key_Tab)
        seen.append(window.scene.selected_key())
    assert seen == [ItemKey("edge", 1, 0, 1), ItemKey("bias_edge", 1, 0),
                    ItemKey("edge", 1, 1, 0), ItemKey("edge", 1, 1, 1), ItemKey("bias_edge", 1, 1),
                    ItemKey("edge", 1, 2, 0), ItemKey("edge", 1, 2, 1), ItemKey("bias_edge", 1, 2),
                    ItemKey("edge", 2, 0, 0), ItemKey("edge", 2, 0, 1), ItemKey("edge", 2, 0, 2)]
    press(qtbot, window.view, Qt.Key.Key_Tab)  # w2's last weight is the network's last cell (no b2)
    assert window.scene.selected_key() == ItemKey("edge", 2, 0, 2)
    for _ in range(3):
        press(qtbot, window.view, Qt.Key.Key_Backtab)
    assert window.scene.selected_key() == ItemKey("bias_edge", 1, 2)  # back across the layers


def test_typing_on_a_bias_reached_by_tab_sets_that_bias_and_enter_goes_on(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("edge", 1, 1, 1))
    press(qtbot, window.view, Qt.Key.Key_Tab)
    assert window.scene.selected_key() == ItemKey("bias_edge", 1, 1)
    type_in(qtbot, window.view, "-0.5")
    press(qtbot, window.view, Qt.Key.Key_Return)
    bias = window.document.project.network.layers[0].bias
    assert bias.tolist() == [-1 / R2, -0.5, -1 / R2]
    assert window.scene.selected_key() == ItemKey("edge", 1, 2, 0)  # on to w31


def test_tab_over_a_layer_drawn_in_bulk_selects_nothing_invisible(qtbot, make_window):
    window = make_window("cosine-memory")
    window.document.resize_column(0, 20)  # W1 is 3 × 20: one bulk item, no weight of it is selectable
    qtbot.waitUntil(lambda: window.scene.bulk_edges and window.scene.bulk_edges[0].column == 1)
    select(window, ItemKey("bias_edge", 1, 0))
    press(qtbot, window.view, Qt.Key.Key_Backtab)  # before b1 come only W1's weights: none is a cell
    assert window.scene.selected_key() == ItemKey("bias_edge", 1, 0)
    press(qtbot, window.view, Qt.Key.Key_Tab)  # the biases, drawn one edge each, stay in the order
    assert window.scene.selected_key() == ItemKey("bias_edge", 1, 1)
    select(window, ItemKey("bias_edge", 1, 2))
    press(qtbot, window.view, Qt.Key.Key_Tab)
    assert window.scene.selected_key() == ItemKey("edge", 2, 0, 0)


def test_tab_through_the_biases_of_a_large_layer_turns_its_pages(qtbot, make_window):
    window = make_window("cosine-memory")
    window.document.resize_column(1, 20)  # 20 hidden neurons: a page of 8 is drawn, W1 and W2 in bulk
    qtbot.waitUntil(lambda: {bulk.column for bulk in window.scene.bulk_edges} == {1, 2})
    select(window, ItemKey("bias_edge", 1, 7))  # the last bias of the first page
    press(qtbot, window.view, Qt.Key.Key_Tab)
    assert window.scene.selected_key() == ItemKey("bias_edge", 1, 8)  # the next page, drawn and selected
    assert ItemKey("neuron", 1, 8) in window.scene.items_by_key
    press(qtbot, window.view, Qt.Key.Key_Backtab)
    assert window.scene.selected_key() == ItemKey("bias_edge", 1, 7)
    seen = []
    for _ in range(13):
        press(qtbot, window.view, Qt.Key.Key_Tab)
        seen.append(window.scene.selected_key())
    # b9 … b20 page by page; after b20 come only W2's weights, drawn in bulk: Tab stays at the end
    assert seen == [ItemKey("bias_edge", 1, row) for row in range(8, 20)] + [ItemKey("bias_edge", 1, 19)]


# ------------------------------------------------------------------ clicking away from the canvas's editor


def test_clicking_away_from_the_canvas_editor_keeps_what_was_typed(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("edge", 2, 0, 0))
    type_in(qtbot, window.view, "1/4")
    assert window.view.editor is not None
    click_value(qtbot, window.io_panel.input_table, 1)  # elsewhere: the Input table
    qtbot.waitUntil(lambda: window.view.editor is None)
    assert window.document.project.network.layers[1].weights[0, 0] == 0.25
    assert window.document.project.network.layers[1].weight_text[(0, 0)] == "1/4"
    table = window.io_panel.input_table
    assert table.hasFocus() and (table.currentRow(), table.currentColumn()) == (1, 1)  # the click's cell


def test_clicking_another_cell_on_the_canvas_keeps_the_text_and_selects_that_cell(qtbot, make_window):
    window = make_window("cosine-memory")
    select(window, ItemKey("edge", 1, 0, 0))
    type_in(qtbot, window.view, "3")
    other = ItemKey("edge", 2, 0, 1)
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.view.mapFromScene(window.scene.edge_label_point(other)))
    qtbot.waitUntil(lambda: window.view.editor is None)
    assert window.document.project.network.layers[0].weights[0, 0] == 3.0
    assert window.scene.selected_key() == other


def test_clicking_away_from_text_that_is_no_value_says_so_naming_it(qtbot, make_window):
    window = make_window("cosine-memory")
    before = window.document.project
    select(window, ItemKey("edge", 1, 0, 0))
    type_in(qtbot, window.view, "1/(")
    click_value(qtbot, window.io_panel.input_table, 0)
    qtbot.waitUntil(lambda: window.view.editor is None)
    assert window.document.project is before  # nothing changed…
    message = window.statusBar().currentMessage()
    assert message.startswith("Weight w1,1 of layer 1 not changed: “1/(” is not a value (")  # …and it says so


# ------------------------------------------------------------------ Ctrl+E


@pytest.mark.parametrize("key", [ItemKey("edge", 2, 0, 1), ItemKey("edge", 1, 2, 0), ItemKey("bias_edge", 1, 1),
                                 ItemKey("neuron", 1, 0)])
def test_ctrl_e_on_a_selected_edge_bias_or_neuron_opens_the_matrix_of_its_layer(qtbot, make_window, key):
    window = make_window("cosine-memory")
    point = window.view.mapFromScene(window.scene.edge_label_point(key))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.scene.selected_key() == key
    press(qtbot, window.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: key.column in window.matrix_editors)
    dialog = window.matrix_editors[key.column]
    assert dialog.isVisible() and dialog.column == key.column
    assert list(window.matrix_editors) == [key.column]  # that layer's, and no other


def test_ctrl_e_works_right_after_the_new_network_dialog(qtbot, make_window):
    """Why Ctrl+E did nothing on the rebuilt network: the window-modal New Network dialog closes and
    nothing makes the main window active again (Qt's offscreen platform, or X without a window
    manager), so window shortcuts such as Ctrl+E and Ctrl+S find no active window and the key
    falls through to the canvas. With the window active, Ctrl+E works (the test above)."""
    window = make_window()
    qtbot.mouseClick(window.empty_hint.button, Qt.MouseButton.LeftButton)
    dialog = next(d for d in window.findChildren(NewNetworkDialog) if d.isVisible())
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    QApplication.processEvents()
    assert window.scene.selected_key() == ItemKey("edge", 1, 0, 0) and window.focusWidget() is window.view
    qtbot.keyClick(window.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()
    assert 1 in window.matrix_editors and window.matrix_editors[1].column == 1
