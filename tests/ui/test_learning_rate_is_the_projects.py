"""The learning rate the Training panel shows is the project's: a change is an undoable edit, and the update the
step-through applies uses it (issue 32: the update lesson asks what the learning rate does; before, Step kept
the file's α whatever the panel said)."""

from PySide6.QtCore import Qt

from nnstudio.io import load_example
from tests.support import reference
from tests.ui.counted import Counted, focused


def test_a_learning_rate_typed_in_the_training_panel_is_the_one_step_applies_and_undo_takes_it_back(qtbot,
                                                                                                make_window):
    window = make_window("backprop-4-2-3")
    person = Counted(qtbot)
    window.actions_by_name["train"].trigger()
    field = window.training_panel.learning_rate
    assert field.text() == "0.5"
    person.click(field)
    field.selectAll()
    person.type(field, "1")
    person.key(focused(field), Qt.Key.Key_Return)
    assert window.document.project.optimizer.learning_rate == 1.0 and window.document.modified
    assert window.actions_by_name["undo"].text() == "&Undo Set the learning rate to 1"

    window.view.setFocus()
    window.activateWindow()
    for _ in range(11):  # F10 starts the pass, then ten steps to its update
        person.key(window.view, Qt.Key.Key_F10)
    example = load_example("backprop-4-2-3")
    passes, deltas, _ = reference.backward(reference.layers_of(example.network), example.input, example.target,
                                           "mse")
    a1 = passes[0][1]
    by_hand = example.network.layers[1].weights[0, 0] - 1.0 * deltas[1][0] * a1[0]  # W2[1,1] − α·δ2[1]·a1[1], α = 1
    assert abs(window.document.project.network.layers[1].weights[0, 0] - by_hand) < 1e-12

    window.document.stepping.stop()
    window.actions_by_name["undo"].trigger()  # the update
    window.actions_by_name["undo"].trigger()  # the learning rate
    assert window.document.project.optimizer.learning_rate == 0.5 and field.text() == "0.5"
