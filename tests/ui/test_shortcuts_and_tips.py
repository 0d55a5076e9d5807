"""Every action says what it does and its keys; Help → Keyboard Shortcuts is made from the actions."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QToolBar

from nnstudio.ui.panels.help.shortcuts_dialog import ShortcutsDialog
from nnstudio.ui.window.main_window import all_specs


def test_every_toolbar_button_and_menu_action_has_a_tooltip_with_its_keys(make_window):
    window = make_window("cosine-memory")
    toolbar = window.findChild(QToolBar, "mainToolbar")
    shown = [action for action in toolbar.actions() if not action.isSeparator()]
    assert len(shown) > 15
    for action in shown:
        tip = action.toolTip()
        assert tip and tip != action.iconText(), action.objectName()
        if not action.shortcut().isEmpty():
            assert f"({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})" in tip, tip
    assert window.actions_by_name["step"].toolTip() == "Step (F10) — Take the next step of the forward or backward pass"
    assert window.actions_by_name["new"].toolTip().startswith("New Network (Ctrl+N) — Build a network")


def test_the_shortcut_list_is_every_action_with_keys_and_nothing_else(qtbot, make_window):
    window = make_window("cosine-memory")
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    dialogs = [d for d in window.findChildren(ShortcutsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    table = dialogs[0].table
    listed = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    expected = {}
    for spec in all_specs():
        key = window.actions_by_name[spec.name].shortcut()
        if not key.isEmpty():
            expected[spec.text.replace("&", "").rstrip("…")] = key.toString(QKeySequence.SequenceFormat.NativeText)
    assert listed == expected
    assert listed["Step"] == "F10" and listed["Step Back"] == "Shift+F10" and listed["Keyboard Shortcuts"] == "Ctrl+/"
    assert "About nnstudio" not in listed  # no keys, not listed
    # grouped as the menus are: File, Edit, View, Network, Step, Help (Delete Layer where it first shows, in Edit)
    assert list(listed) == [name for name in [
        "New Network", "Open", "Save", "Save As", "Close", "Quit",
        "Undo", "Redo", "Copy Layer", "Paste Layer", "Delete Layer", "Copy W as Text",
        "Zoom In", "Zoom Out", "Fit to Window", "Show Weights on Edges", "Show Neuron Maps", "Neuron Map Large",
        "Add Layer", "Insert Layer Before", "One Neuron More", "One Neuron Fewer", "Edit W and b", "Train",
        "Step", "Step Back", "Run Forward Pass", "Run Backward Pass", "Reset Steps",
        "Lessons", "User Guide", "Keyboard Shortcuts"] if name in expected]  # Quit has no key on every platform


def test_every_shortcut_description_reads_without_scrolling_sideways_within_the_screen(qtbot, make_window):
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QStyle

    window = make_window("cosine-memory")  # 1280×800
    dialog = window.show_shortcuts()
    qtbot.waitExposed(dialog)
    table = dialog.table
    screen = window.screen().availableGeometry()
    assert dialog.frameGeometry().width() <= screen.width() and dialog.frameGeometry().height() <= screen.height()
    assert table.horizontalScrollBar().maximum() == 0  # nothing lies beyond the right edge
    for column in range(3):
        assert table.columnViewportPosition(column) + table.columnWidth(column) <= table.viewport().width(), column
    # each description, wrapped at its column's width, fits the height of its row: none is cut off
    margin = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1)
    metrics = table.fontMetrics()
    described = 0
    for row in range(table.rowCount()):
        text = table.item(row, 2).text()
        if not text:
            continue
        described += 1
        needed = metrics.boundingRect(QRect(0, 0, table.columnWidth(2) - margin, 10_000),
                                      int(Qt.TextFlag.TextWordWrap), text)
        assert needed.width() <= table.columnWidth(2) - margin and needed.height() <= table.rowHeight(row), text
    assert described > 20
