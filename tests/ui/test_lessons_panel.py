"""The Lessons dock as a learner meets it (issue 32): Help → Lessons, a page opening its network, Check and the
live tick, hints, the unsaved-changes question, and coming back another day to the same page and work.

Every change to a network here is a real key or click (tests/ui/counted.py); the numbers a result names are
worked out in the test.
"""

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from nnstudio.lessons.working_copies import working_path
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.window.main_window import MainWindow
from tests.ui.counted import (Counted, canvas_point, check_task, next_page, open_lessons, result_text, start_lesson,
                              type_cell)
from tests.ui.helpers import answer_next_message_box, error_shown, run_queued_events

R2 = math.sqrt(2)


def select(person: Counted, window, key: ItemKey) -> None:
    person.click(window.view.viewport(), canvas_point(window, key))
    assert window.scene.selected_key() == key


def test_help_lessons_lists_the_ten_lessons_in_teaching_order(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    listing = window.lessons_panel.list_view.list
    names = [listing.item(i).data(Qt.ItemDataRole.UserRole) for i in range(listing.count())]
    assert names[:10] == ["detector", "cosine-memory", "unit-length", "forward", "loss-and-delta", "backprop",
                          "update", "xor", "mnist-units", "kernel"]
    assert listing.item(1).text().startswith("2. Three memories in a 2-3-1 network")
    assert "0 of 3 tasks done" in listing.item(1).text()
    assert "&Lessons" in [action.text() for action in window.menuBar().actions()[-1].menu().actions()]


def test_a_wrong_bias_is_named_with_its_value_and_the_tick_follows_each_edit(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "cosine-memory")
    assert window.document.project.network.sizes == [2, 3, 1] and window.document.path is None
    next_page(person, window)  # "A threshold of 45°": every bias of layer 1 to −1/√2
    box = window.lessons_panel.page_view.task_box
    assert box.tick.text() == "○ Not yet" and not box.result.isVisible()

    select(person, window, ItemKey("layer", 1))
    type_cell(person, window, "-0.7", then=ItemKey("layer", 2))  # close, but not −1/√2
    assert check_task(person, window) == "fail"
    shown = result_text(window)
    assert "b1[1] = −0.7, should be −0.7071" in shown and "b1[3] = −0.7, should be −0.7071" in shown

    select(person, window, ItemKey("layer", 1))
    type_cell(person, window, "-1/sqrt(2)", then=ItemKey("layer", 2))
    assert box.status.status == "pass" and box.tick.text() == "✓ Passed"  # live: no second Check
    assert "✓ Right." in result_text(window) and "cos 45°" in result_text(window)
    person.key(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Undo: the result follows
    assert box.status.status == "fail" and "b1[2] = −0.7, should be −0.7071" in result_text(window)


def test_hints_come_one_at_a_time(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "cosine-memory")
    box = window.lessons_panel.page_view.task_box
    assert box.hints.text() == "" and box.hint_button.text() == "Hint"
    person.click(box.hint_button)
    assert box.hints.text().startswith("Hint 1: Row 2 is m2 = (1/√2, 1/√2)") and "Hint 2" not in box.hints.text()
    assert box.hint_button.text() == "Another hint (1 left)"
    person.click(box.hint_button)
    assert "Hint 2: W and b…" in box.hints.text() and not box.hint_button.isEnabled()


def test_starting_a_lesson_asks_about_unsaved_changes_and_cancel_keeps_the_network(qtbot, make_window):
    window = make_window("xor")
    person = Counted(qtbot)
    select(person, window, ItemKey("layer", 1))
    type_cell(person, window, "0.25", then=ItemKey("layer", 2))
    before = window.document.project
    open_lessons(person, window)
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Cancel, seen)
    listing = window.lessons_panel.list_view
    person.click(listing.list.viewport(), listing.list.visualItemRect(listing.list.item(1)).center())
    person.click(listing.start_button)
    assert seen and "unsaved changes" in seen[0]
    assert window.document.project is before and window.document.modified  # nothing changed
    assert window.lessons_panel.stack.currentWidget() is listing

    answer_next_message_box(QMessageBox.StandardButton.Discard, seen)
    person.click(listing.start_button)
    assert window.document.project.network.sizes == [2, 3, 1] and not window.document.modified
    assert window.document.path is None


def test_resuming_restores_the_page_and_the_working_network(qtbot, make_window, settings):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "cosine-memory")
    next_page(person, window)
    select(person, window, ItemKey("layer", 1))
    type_cell(person, window, "-1/sqrt(2)", then=ItemKey("layer", 2))
    assert check_task(person, window) == "pass"
    answer_next_message_box(QMessageBox.StandardButton.Discard, [])
    window.close()  # Close keeps the work (in the data folder) whatever is answered about saving
    assert working_path("cosine-memory", 0).is_file()

    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    again.resize(1280, 800)
    again.show()
    qtbot.waitExposed(again)
    run_queued_events()
    person = Counted(qtbot)
    open_lessons(person, again)
    listing = again.lessons_panel.list_view
    assert listing.current_name() == "cosine-memory" and listing.start_button.text() == "Resume"
    assert "1 of 3 tasks done · page 2 of 3" in listing.list.currentItem().text()
    person.click(listing.start_button)
    page = again.lessons_panel.page_view
    assert page.index == 1 and page.heading.text() == "A threshold of 45°"
    bias = again.document.project.network.layers[0].bias
    assert all(abs(b + 1 / R2) < 1e-15 for b in bias) and again.document.path is None
    assert page.task_box.status.status == "pass"


def test_back_returns_to_a_page_without_losing_the_work_on_its_network(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "detector")  # pages 1 and 3 each open a 2-1 network
    select(person, window, ItemKey("layer", 1))
    type_cell(person, window, "0.125", then=ItemKey("layer", 1))  # the only layer: Enter stays on it
    mine = window.document.project
    next_page(person, window)
    assert window.document.project is mine  # page 2 works on page 1's network
    next_page(person, window)
    assert window.document.project.network.layers[0].activation == "relu"  # page 3's own network
    assert window.document.project.network.layers[0].bias[0] == 0
    page = window.lessons_panel.page_view
    person.click(page.back_button)
    person.click(page.back_button)
    assert page.index == 0
    assert window.document.project.network.layers[0].activation == "identity"
    assert window.document.project.network.layers[0].bias[0] == 0.125  # the work on page 1's network is back


def test_a_bad_lesson_file_is_refused_by_field_and_the_network_stays(qtbot, make_window, tmp_path):
    window = make_window("xor")
    before = window.document.project
    path = tmp_path / "broken.md"
    path.write_text('---\nname: broken\ntitle: Broken\n---\n# Page\n```task\n{"id": "t", "title": "T", "checks": '
                    '[{"check": "weight", "layer": 1, "neuron": 1, "input": 1, "value": "one"}]}\n```\n',
                    encoding="utf-8")
    window.lessons.show_lessons()
    assert not window.lessons.open_file(str(path))
    message = error_shown(window)
    assert "broken.md" in message and "pages[0].task.checks[0].value" in message
    assert window.document.project is before and window.lessons.lesson is None


def test_opening_a_page_network_leaves_one_inspector_showing(qtbot, make_window):
    """The Inspector rebuilds its body for the new network. The old body used to stay shown until deleteLater's
    turn, which a nested event loop (a script, a modal dialog) does not give it: both were drawn over each other."""
    window = make_window()
    window.lessons.show_lessons()
    window.lessons.start("cosine-memory")
    for _ in range(5):  # the Inspector's refresh timer fires and the new body is shown; deletions wait, as they
        QApplication.processEvents()  # do in a nested loop
    bodies = [child for child in window.inspector.children()
              if isinstance(child, QWidget) and child.isVisibleTo(window.inspector) and child.layout() is not None]
    assert len(bodies) == 1


def test_a_lesson_file_of_ones_own_opens_and_is_checked(qtbot, make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    path = tmp_path / "threshold.md"
    path.write_text('---\nname: threshold\ntitle: A threshold\n---\n# One bias\nSet b1 = 1/2.\n```network\n'
                    '{"sizes": "2-1", "output": "identity", "init": "zeros"}\n```\n```task\n{"id": "b", "title": '
                    '"Set b1 to 1/2", "checks": [{"check": "bias", "layer": 1, "value": 0.5}]}\n```\n', encoding="utf-8")
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kw: (str(path), ""))
    person.click(window.lessons_panel.list_view.file_button)
    assert window.lessons_panel.page_view.heading.text() == "One bias"
    assert window.document.project.network.sizes == [2, 1]
    assert check_task(person, window) == "fail" and "b1[1] = 0, should be 0.5" in result_text(window)
    select(person, window, ItemKey("layer", 1))
    type_cell(person, window, "1/2", then=ItemKey("layer", 1))
    assert window.lessons_panel.page_view.task_box.status.status == "pass"


def test_a_page_never_reads_a_file_its_text_points_at(qtbot, make_window, tmp_path):
    """A lesson is handed around: a picture in its Markdown naming a file of the learner's computer is not read
    (Qt's layout would read it and draw it), only named."""
    from PySide6.QtGui import QColor, QImage

    picture = tmp_path / "secret.png"
    image = QImage(40, 40, QImage.Format.Format_RGB32)
    image.fill(QColor(255, 0, 0))
    assert image.save(str(picture))
    lesson = tmp_path / "peek.md"
    lesson.write_text(f"---\nname: peek\ntitle: Peek\n---\n# Page\nLook: ![the secret]({picture.as_uri()}) "
                      f"![]({picture}) <img src='{picture}'>\n", encoding="utf-8")
    window = make_window()
    window.lessons.show_lessons()
    assert window.lessons.open_file(str(lesson))
    text = window.lessons_panel.page_view.text
    run_queued_events()
    shown = text.grab().toImage()
    red = sum(shown.pixelColor(x, y) == QColor(255, 0, 0) for x in range(0, shown.width(), 2)
              for y in range(0, shown.height(), 2))
    assert red == 0
    assert text.plain_text().startswith("Look: [picture: the secret]")
    assert "<img src=" in text.plain_text()  # raw HTML is shown as the text it is


def test_check_and_next_stay_in_sight_when_the_training_and_results_docks_open(qtbot, make_window):
    """At 1280×800 a bottom dock takes most of the left column's height; the page's words scroll, the task's
    Check and the page's moves do not (a walkthrough had to scroll the dock to reach them)."""
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "xor")
    next_page(person, window)
    page = window.lessons_panel.page_view
    for open_dock in (lambda: window.actions_by_name["train"].trigger(), lambda: window.results_dock.show()):
        open_dock()
        run_queued_events()
        for button in (page.task_box.check_button, page.next_button, page.back_button):
            region = button.visibleRegion()
            assert button.isVisible() and region.boundingRect().size() == button.size(), button.text()


def test_a_kept_network_that_no_longer_opens_gives_the_pages_own_and_says_why(qtbot, make_window, settings):
    kept = working_path("detector", 0)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(b'{"format": "nnstudio.network", "version": 1, "layers": [')  # cut off mid-write by a crash
    settings.setValue("lessons/detector/page", 1)
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "detector")
    assert window.lessons_panel.page_view.index == 1
    assert window.document.project.network.sizes == [2, 1]  # the page's own network
    assert "your saved network for this lesson could not be read" in window.statusBar().currentMessage()
