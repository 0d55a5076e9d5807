"""The window's rooms (nnstudio/ui/window/): every action is done by exactly one room, and what the window does
as a run sends its data happens on the window's own thread."""

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from nnstudio.ui.window.actions import ACTIONS

ROOMS = ("files", "exports", "edits", "viewing", "step_through", "training_hooks", "help")
EDGE_MODES = {"edge_weight", "edge_gradient", "edge_signal"}  # one of three: viewing.py connects them as a group


def test_every_action_is_done_by_exactly_one_room(make_window):
    window = make_window("cosine-memory")
    handled = [name for room in ROOMS for name in getattr(window, room).handlers()]
    assert len(handled) == len(set(handled)), "two rooms handle the same action"
    assert set(handled) | EDGE_MODES == {spec.name for spec in ACTIONS}


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
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.start_button.click()
    assert ended.args[0] is not None and ended.args[0].epochs_done == 20
    qtbot.waitUntil(lambda: not window.trainer.running, timeout=60000)
    assert on_window_thread == [True, True]  # as the data arrived, and again as the run ended
    assert window.results_panel.data is not None and window.results_panel.data.train.x.shape[1] == 2
