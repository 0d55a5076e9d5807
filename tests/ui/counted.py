"""A person's real mouse and key events through qtbot, counted as a person would count them, and the moves the
counted tests share: picking from a combo box, typing on the canvas's selected cell, Tab, and the Lessons dock.

No call here goes into the document: every change is a click or a key on a widget a person could reach.
"""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox

from nnstudio.ui.selection import ItemKey


class Counted:
    """Real mouse and key events through qtbot, counted as a person would count them.

    Keys go to the widget that has the keyboard focus in its window (checked, so no key reaches
    a widget a person could not have typed into), one at a time with the event loop turning in
    between, as it does between a person's keys.
    """

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
        QApplication.processEvents()

    def key(self, widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        assert has_keys(widget), f"{widget} does not have the keyboard focus"
        self.keys += 1
        self.qtbot.keyClick(widget, key, modifier)
        QApplication.processEvents()

    def type(self, widget, text: str) -> None:
        for character in text:
            self.key(focused(widget), character)


def focused(widget):
    """The widget of `widget`'s window that has the keyboard focus (an editor opened by the first key)."""
    return widget.window().focusWidget()


def has_keys(widget) -> bool:
    """Would a key typed now reach `widget`: its window is the active one and it has that window's focus?"""
    return widget.window().isActiveWindow() and widget is focused(widget) and widget.isVisible()


def pick(person: Counted, combo: QComboBox, name: str) -> None:
    """Open a combo box and click one of its items."""
    person.click(combo)
    view = combo.view()
    person.click(view.viewport(), view.visualRect(combo.model().index(combo.findData(name), 0)).center())
    assert combo.currentData() == name


def canvas_point(window, key: ItemKey) -> QPoint:
    scene = window.scene
    if key.kind == "layer":  # its title
        item = scene.items_by_key[key]
        return window.view.mapFromScene(item.mapToScene(item.header_rect().center()))
    return window.view.mapFromScene(scene.edge_label_point(key))


def type_cell(person: Counted, window, text: str, then: ItemKey | None) -> None:
    """Typing on the selected cell opens its editor; Enter commits and moves on to `then`."""
    person.type(window.view, text)
    person.key(window.view.editor, Qt.Key.Key_Return)
    assert window.view.editor is None and window.scene.selected_key() == then


def tab(person: Counted, window, then: ItemKey) -> None:
    person.key(window.view, Qt.Key.Key_Tab)
    assert window.scene.selected_key() == then


def edge(column, row, col):
    return ItemKey("edge", column, row, col)


def bias(column, row):
    return ItemKey("bias_edge", column, row)


# ---------------------------------------------------------------------- the Lessons dock


def open_lessons(person: Counted, window) -> None:
    """Help → Lessons by its keys (Ctrl+Shift+L), from the canvas."""
    person.key(window.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.lessons_dock.isVisible()


def start_lesson(person: Counted, window, name: str) -> None:
    """Click the lesson's row in the list, then Start (or Resume)."""
    listing = window.lessons_panel.list_view
    rows = [listing.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(listing.list.count())]
    item = listing.list.item(rows.index(name))
    listing.list.scrollToItem(item)
    person.click(listing.list.viewport(), listing.list.visualItemRect(item).center())
    person.click(listing.start_button)
    assert window.lessons.lesson is not None and window.lessons.lesson.name == name


def next_page(person: Counted, window) -> None:
    page = window.lessons_panel.page_view
    index = page.index
    person.click(page.next_button)
    assert page.index == index + 1


def check_task(person: Counted, window) -> str:
    """Click Check; the task's status ("pass" or "fail") as the box shows it."""
    box = window.lessons_panel.page_view.task_box
    person.click(box.check_button)
    return box.status.status


def result_text(window) -> str:
    """The written result of the task box, as plain text (what the learner reads under Check)."""
    from PySide6.QtGui import QTextDocument

    html = QTextDocument()
    html.setHtml(window.lessons_panel.page_view.task_box.result.text())
    return html.toPlainText()


def type_answer(person: Counted, window, name: str, text: str, enter: bool = True) -> None:
    """Click the answer field of `name` ("z1[1]", "δ2[1]"), type `text`, and Enter (which checks)."""
    field = window.lessons_panel.page_view.task_box.fields[name]
    person.click(field)
    field.selectAll()  # a click puts the cursor in; a person would select the old text with the mouse too
    person.type(field, text)
    if enter:
        person.key(field, Qt.Key.Key_Return)


# ---------------------------------------------------------------------- the Step through dock


def neuron_point(window, column: int, row: int) -> QPoint:
    """The centre of a neuron's circle on the canvas (column 0 holds the inputs)."""
    item = window.scene.items_by_key[ItemKey("neuron", column, row)]
    return window.view.mapFromScene(item.sceneBoundingRect().center())


def read_neuron(person: Counted, window, column: int, row: int) -> str:
    """Click a neuron on the canvas: the Step through dock's equations of it, numbers substituted, as the learner
    reads them there."""
    person.click(window.view.viewport(), neuron_point(window, column, row))
    assert window.scene.selected_key() == ItemKey("neuron", column, row)
    return window.step_panel.equations.toPlainText()


def step(person: Counted, window, times: int = 1) -> None:
    """Step ▶ by its key (F10), typed into whatever has the keyboard focus (the window's shortcut takes it)."""
    for _ in range(times):
        person.key(focused(window.view), Qt.Key.Key_F10)


def step_button(window, name: str):
    """The Step through dock's button of a step action: "step", "run_forward" (Forward ▶▶), "run_backward"
    (Backward ▶▶), "reset_steps", "step_back" or "stop_stepping"."""
    from PySide6.QtWidgets import QToolButton

    action = window.actions_by_name[name]
    return next(button for button in window.step_panel.findChildren(QToolButton) if button.defaultAction() is action)


# ---------------------------------------------------------------------- scrolling, menus and drawing


def scroll_to(person: Counted, widget) -> None:
    """Bring `widget` into view in the scroll area that holds it (a side dock squeezed by the Training or Results
    dock scrolls, ui/panels/dock_layout.py: DockScroll), as a person pages it: a click on the scroll bar's track
    beyond its handle, counted, until all of `widget` shows. Nothing is clicked when it already shows."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QAbstractScrollArea, QStyle, QStyleOptionSlider

    area = widget.parentWidget()
    while area is not None and not isinstance(area, QAbstractScrollArea):
        area = area.parentWidget()
    assert area is not None, f"{widget} is in no scroll area"
    bar, control = area.verticalScrollBar(), QStyle.ComplexControl.CC_ScrollBar
    for _ in range(20):
        where = QRect(widget.mapTo(area.viewport(), QPoint(0, 0)), widget.size())
        if area.viewport().rect().contains(where):
            return
        option = QStyleOptionSlider()
        bar.initStyleOption(option)
        handle = bar.style().subControlRect(control, option, QStyle.SubControl.SC_ScrollBarSlider, bar)
        groove = bar.style().subControlRect(control, option, QStyle.SubControl.SC_ScrollBarGroove, bar)
        down = where.bottom() > area.viewport().rect().bottom()
        room = groove.bottom() - handle.bottom() if down else handle.top() - groove.top()
        assert bar.isVisible() and room > 0, f"{widget} cannot be scrolled into view"
        y = handle.bottom() + (room + 1) // 2 if down else handle.top() - (room + 1) // 2
        person.click(bar, QPoint(bar.width() // 2, y))
    raise AssertionError(f"{widget} is still not in view")


def menu_item(person: Counted, window, menu: str, item: str) -> None:
    """A click on a menu of the menu bar (its text as the bar shows it, "&View"), then on one of its items."""
    bar = window.menuBar()
    opener = next(action for action in bar.actions() if action.text() == menu)
    person.click(bar, bar.actionGeometry(opener).center())
    popup = opener.menu()
    assert popup.isVisible()
    chosen = next(action for action in popup.actions() if action.text() == item)
    person.click(popup, popup.actionGeometry(chosen).center())


def drag(person: Counted, widget, points: list[QPoint]) -> None:
    """Press at the first point, move through the others with the button held, release at the last: one
    click counted (a stroke on the Draw pad, a scroll bar's handle pulled)."""
    person.clicks += 1
    qtbot = person.qtbot
    qtbot.mouseMove(widget, points[0])
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        qtbot.mouseMove(widget, point)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=points[-1])
    QApplication.processEvents()


def right_click(person: Counted, widget, pos: QPoint | None = None) -> None:
    """A right-button click, counted like any click (the Draw pad clears on it)."""
    person.clicks += 1
    person.qtbot.mouseClick(widget, Qt.MouseButton.RightButton, pos=pos if pos is not None else widget.rect().center())
    QApplication.processEvents()
