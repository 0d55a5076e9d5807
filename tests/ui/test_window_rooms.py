"""The window's rooms (nnstudio/ui/window/): every action is declared and done by exactly one room, and what the
window does as a run sends its data happens on the window's own thread."""

import pytest
from PySide6.QtCore import QThread
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QWidget

from nnstudio.ui.window.actions import ActionSpec, build_actions
from nnstudio.ui.window.main_window import ROOMS, all_specs

ROOM_ATTRIBUTES = ("files", "exports", "edits", "viewing", "step_through", "training_hooks", "lessons", "help")


def test_every_action_is_done_by_exactly_one_room(make_window):
    window = make_window("cosine-memory")
    rooms = [getattr(window, name) for name in ROOM_ATTRIBUTES]
    assert tuple(type(room) for room in rooms) == ROOMS
    handled = [name for room in rooms for name in room.handlers()]
    assert len(handled) == len(set(handled)), "two rooms handle the same action"
    names = [spec.name for spec in all_specs()]
    assert len(names) == len(set(names)) == 45  # View → Map Colours: per layer, per map, whole network (issue 35)
    assert set(handled) == set(names)
    for room in rooms:  # each room does exactly the actions it declares
        assert set(room.handlers()) == {spec.name for spec in room.specs}, type(room).__name__
    assert list(window.actions_by_name) == names
    assert [spec.name for spec in window.action_specs] == names


class FakeRoom:
    """A room as build_actions sees one: its specs, and handlers by name."""

    def __init__(self, specs: list[ActionSpec], handled: list[str]) -> None:
        self.specs = specs
        self.handled = handled
        self.done: list[str] = []

    def handlers(self):  # type: ignore[no-untyped-def]
        return {name: (lambda n=name: self.done.append(n)) for name in self.handled}


def test_build_actions_connects_each_spec_to_its_rooms_handler(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    first = FakeRoom([ActionSpec("tidy", "&Tidy", "Ctrl+Shift+T", "Put things away")], ["tidy"])
    second = FakeRoom([ActionSpec("sweep", "S&weep")], ["sweep"])
    actions = build_actions(parent, [first, second])
    assert list(actions) == ["tidy", "sweep"]
    assert actions["tidy"].objectName() == "action_tidy" and actions["tidy"].statusTip() == "Put things away"
    assert actions["tidy"].toolTip() == "Tidy (Ctrl+Shift+T) — Put things away"
    actions["sweep"].trigger()
    assert (first.done, second.done) == ([], ["sweep"])


@pytest.mark.parametrize("rooms, refused", [
    ([FakeRoom([ActionSpec("tidy", "&Tidy"), ActionSpec("sweep", "S&weep")], ["tidy"])],
     "no handler for: sweep"),
    ([FakeRoom([ActionSpec("tidy", "&Tidy")], ["tidy", "sweep"])], "declares no spec of: sweep"),
    ([FakeRoom([ActionSpec("tidy", "&Tidy")], ["tidy"]), FakeRoom([ActionSpec("tidy", "T&idy")], ["tidy"])],
     "declared twice: tidy"),
    ([FakeRoom([ActionSpec("tidy", "&Tidy")], []), FakeRoom([ActionSpec("sweep", "S&weep")], ["sweep", "tidy"])],
     "FakeRoom declares actions it has no handler for: tidy"),  # another room's action is not this one's to do
], ids=["spec without handler", "handler without spec", "name declared twice", "handled by another room"])
def test_build_actions_refuses_rooms_that_do_not_serve_exactly_what_they_declare(qtbot, rooms, refused):
    parent = QWidget()
    qtbot.addWidget(parent)
    with pytest.raises(ValueError, match=refused):
        build_actions(parent, rooms)
    assert parent.findChildren(QAction) == []  # refused before any action was made


def test_a_runs_data_is_answered_on_the_window_thread(qtbot, make_window, monkeypatch):
    """The worker sends the run's data from its own thread; the window takes it (the results panel, the maps)
    on its own. (A handler on a plain Python object ran in the worker's thread and drew from there.)"""
    window = make_window("xor")
    on_window_thread: list[bool] = []
    real = window.results_panel.set_data

    def recording(*args):  # type: ignore[no-untyped-def]
        on_window_thread.append(QThread.currentThread() == QApplication.instance().thread())
        return real(*args)

    monkeypatch.setattr(window.results_panel, "set_data", recording)
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("xor"))
    panel.epochs.setValue(20)
    panel.pace_row.fastest.click()  # not about the pace: as fast as possible
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.start_button.click()
    assert ended.args[0] is not None and ended.args[0].epochs_done == 20
    qtbot.waitUntil(lambda: not window.trainer.running, timeout=60000)
    assert on_window_thread == [True, True]  # as the data arrived, and again as the run ended
    assert window.results_panel.data is not None and window.results_panel.data.train.x.shape[1] == 2
