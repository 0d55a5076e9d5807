"""Status messages belong to their moment: once the network, the step or the run moves on, they go."""

from PySide6.QtCore import Qt

from tests.ui.helpers import run_queued_events


def test_undo_left_step_through_goes_once_redo_moves_on(qtbot, make_window):
    window = make_window("cosine-memory")
    window.document.set_weight(1, 0, 0, "2")
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F10)
    qtbot.keyClick(window.view, Qt.Key.Key_F10)
    assert window.document.stepping.active
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    bar = window.statusBar()
    assert bar.currentMessage().startswith("Undo left step-through")
    assert window.document.project.network.layers[0].weights[0, 0] == 1.0
    run_queued_events()  # the message is pinned to the moment after the Undo (a call queued by the report)
    assert bar.currentMessage().startswith("Undo left step-through")  # the Undo itself does not clear it
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.document.project.network.layers[0].weights[0, 0] == 2.0
    assert "Undo left" not in bar.currentMessage()


def test_training_messages_end_with_the_run(qtbot, make_window):
    from nnstudio.core import build_network
    from nnstudio.core.project import Project

    window = make_window()
    window.document.new_project(Project(build_network([2, 4, 1], ["tanh", "sigmoid"], "xavier", seed=0),
                                        loss="bce"))
    window.show_training()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("xor"))
    panel.epochs.setValue(3)
    panel.pace_row.fastest.click()  # not about the pace: as fast as possible
    with qtbot.waitSignal(window.trainer.ended, timeout=60000):
        panel.start_button.click()
        assert "structural edits wait until it stops" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.trainer.running)
    assert "wait until it stops" not in window.statusBar().currentMessage()
    assert window.statusBar().currentMessage() == "Training finished"
