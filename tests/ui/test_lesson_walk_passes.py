"""The four lessons on the `backprop-4-2-3` example walked through the real window (issue 32): `forward`,
`loss-and-delta`, `backprop` and `update`, each completed with counted key and mouse events only, and a wrong
attempt at each of their tasks.

The learner's route: Ctrl+Shift+L, the lesson, Start; then Step ▶ (F10) or Backward ▶▶ until the values are
shown, a click on a neuron to read its equations in the Step through dock (the canvas rounds to 3 digits, the
dock writes 4, and δ is checked to 1e-4), the value typed into the task's field, Enter. `update` is done by
stepping a whole pass until the update is applied, and is checked standing there; its second page sets the
learning rate α = 1 in the Training dock (Network → Train…, its Learning rate field, Enter: the project's own,
an undoable edit) and steps a pass again.

Every value typed or expected is worked out here, by hand from the example's weights written below with
tests/support/reference.py's independent forward and backward, never by nnstudio's own functions.
"""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.ui.selection import ItemKey
from tests.support.reference import backward, forward, loss
from tests.ui.counted import (Counted, canvas_point, check_task, focused, next_page, open_lessons, read_neuron,
                              result_text, scroll_to, start_lesson, step, step_button, type_answer, type_cell)

# backprop-4-2-3, as its file gives it: 4 inputs, 2 ReLU hidden neurons, 3 sigmoid outputs, MSE, SGD with α = 0.5
W1 = np.array([[0.1, 0.2, -0.1, 0.3], [0.3, -0.2, 0.2, 0.1]])
B1 = np.array([0.1, -0.1])
W2 = np.array([[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]])
B2 = np.array([0.1, -0.2, 0.0])
X = np.array([1.0, 0.5, -1.0, 2.0])
Y = np.array([1.0, 0.0, 0.0])
ALPHA = 0.5


def by_hand(w1, b1, w2, b2, alpha=ALPHA):
    """((z1, a1), (z2, ŷ)), (δ1, δ2), L, and the network after one SGD step with learning rate `alpha`:
    (W1, b1, W2, b2)."""
    passes, deltas, value = backward([(w1, b1, "relu"), (w2, b2, "sigmoid")], X, Y, "mse")
    (_, a1), _ = passes
    after = (w1 - alpha * np.outer(deltas[0], X), b1 - alpha * deltas[0],
             w2 - alpha * np.outer(deltas[1], a1), b2 - alpha * deltas[1])
    return passes, deltas, value, after


((Z1, A1), (Z2, A2)), (D1, D2), LOSS, AFTER = by_hand(W1, B1, W2, B2)
AFTER_RATE_1 = by_hand(W1, B1, W2, B2, alpha=1.0)[3]  # the update lesson's second page: α = 1
GRAD_W1_24 = D1[1] * X[3]  # ∂L/∂W1[2,4] = δ1[2] · x4


def shown(value: float) -> str:
    """A value as the Step through dock writes it (4 decimals, no trailing zeros, a real minus sign)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text.replace("-", "−")


def typed(value: float) -> str:
    """What a learner types after reading `value` in the dock: its 4 decimals, with the keyboard's minus."""
    return shown(value).replace("−", "-")


def read(equations: str, start: str) -> str:
    """The result (after the last " = ") of the dock's equation line that starts with `start`."""
    line = next(line for line in equations.splitlines() if line.startswith(start))
    return line.rsplit(" = ", 1)[1]


def begin(person: Counted, window, lesson: str) -> None:
    open_lessons(person, window)
    start_lesson(person, window, lesson)
    network = window.document.project.network  # the page opened the example: the weights the values come from
    for layer, (w, b) in zip(network.layers, ((W1, B1), (W2, B2)), strict=True):
        np.testing.assert_array_equal(layer.weights, w)
        np.testing.assert_array_equal(layer.bias, b)
    np.testing.assert_array_equal(window.document.project.input, X)


def finish(person: Counted, window, lesson: str, tasks: int) -> None:
    """Finish on the last page: back to the list, which counts every task of the lesson as done."""
    page = window.lessons_panel.page_view
    assert page.next_button.text() == "Finish"
    scroll_to(person, page.next_button)  # a click on the scroll bar if a dock squeezed it out of view
    person.click(page.next_button)
    listing = window.lessons_panel.list_view
    assert window.lessons_panel.stack.currentWidget() is listing and listing.current_name() == lesson
    assert f"✓ {window.lessons.lesson.title}" in listing.list.currentItem().text()
    assert f"{tasks} of {tasks} tasks done" in listing.list.currentItem().text()


def passed(person: Counted, window) -> str:
    """Check: the task passes; what the box then says."""
    assert check_task(person, window) == "pass", result_text(window)
    box = window.lessons_panel.page_view.task_box
    assert box.tick.text() == "✓ Passed"
    return result_text(window)


def failed(person: Counted, window) -> str:
    assert check_task(person, window) == "fail"
    assert window.lessons_panel.page_view.task_box.tick.text() == "○ Not yet"
    return result_text(window)


def set_learning_rate(person: Counted, window, text: str) -> None:
    """Network → Train… by its keys (Ctrl+T), a click in the Training dock's Learning rate field, Ctrl+A, the
    value, Enter (the project's own α: one undoable edit); then a click on output neuron 1 on the canvas, the
    keyboard back on the canvas for F10."""
    person.key(focused(window.view), Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.training_dock.isVisible()
    field = window.training_panel.learning_rate
    assert field.isEnabled() and field.visibleRegion().boundingRect() == field.rect()  # all of it shows
    person.click(field)
    person.key(focused(field), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    person.type(field, text)
    person.key(focused(field), Qt.Key.Key_Return)
    person.click(window.view.viewport(), canvas_point(window, ItemKey("neuron", 2, 0)))
    assert window.scene.selected_key() == ItemKey("neuron", 2, 0) and focused(window.view) is window.view


def check(person: Counted, window) -> str:
    """Check, brought into view first when the Training dock squeezes the Lessons dock (a click on its scroll
    bar, counted; none when it shows)."""
    scroll_to(person, window.lessons_panel.page_view.task_box.check_button)
    return check_task(person, window)


def counted(person: Counted, lesson: str, clicks: int, keys: int) -> None:
    print(f"{lesson} completed with {person.clicks} clicks and {person.keys} keys")
    assert person.clicks <= clicks and person.keys <= keys, (person.clicks, person.keys)


# ---------------------------------------------------------------------- the walkthroughs


def test_forward_is_completed_by_stepping_and_typing_what_the_step_dock_shows(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "forward")
    assert (Z1[0], Z1[1]) == pytest.approx((0.1 * 1 + 0.2 * 0.5 - 0.1 * -1 + 0.3 * 2 + 0.1, 0.1))  # the hint's sum

    # page 1: z and a of the hidden layer. Step, z1, a1 (F10 three times), then read each hidden neuron
    step(person, window, 3)
    assert window.step_panel.step_label.text().startswith("Step 2 of 10 — layer 1: a = g(z)")
    first = read_neuron(person, window, 1, 0)
    assert read(first, "z =") == shown(Z1[0]) == "1"
    second = read_neuron(person, window, 1, 1)
    assert read(second, "a =") == shown(A1[1]) == "0.1"  # ReLU keeps a positive z
    type_answer(person, window, "z1[1]", typed(Z1[0]))
    type_answer(person, window, "a1[2]", typed(A1[1]))
    assert "✓ Right." in passed(person, window)

    # page 2: the first output. Two steps more (z2, a2), then read output neuron 1
    next_page(person, window)
    assert window.document.stepping.active  # the same network: the pass goes on where it stood
    step(person, window, 2)
    output = read_neuron(person, window, 2, 0)
    assert read(output, "z =") == shown(Z2[0]) == "0.56"
    assert read(output, "a =") == shown(A2[0]) == shown(1 / (1 + np.exp(-0.56))) == "0.6365"
    type_answer(person, window, "z2[1]", typed(Z2[0]))
    type_answer(person, window, "a2[1]", typed(A2[0]))
    assert "ŷ1 = σ(0.56) ≈ 0.6365" in passed(person, window)

    finish(person, window, "forward", 2)
    counted(person, "forward", clicks=20, keys=40)


def test_loss_and_delta_is_completed_by_stepping_to_the_loss_and_to_delta(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "loss-and-delta")
    assert LOSS == pytest.approx(0.5 * ((1 - A2[0]) ** 2 + A2[1] ** 2 + A2[2] ** 2))

    # page 1: the loss. Step until it is shown (start, z1, a1, z2, a2, loss): the Step dock writes it
    step(person, window, 6)
    label = window.step_panel.step_label.text()
    assert label.startswith("Step 5 of 10 — loss") and f"L = {LOSS:.6g}" in label and f"{LOSS:.6g}" == "0.278946"
    assert "most of it from the second output" in passed(person, window)

    # page 2: δ of the first output, one step on (δ2), read on output neuron 1
    next_page(person, window)
    step(person, window)
    delta = read(read_neuron(person, window, 2, 0), "δ")
    assert delta == shown(-(1 - A2[0]) * A2[0] * (1 - A2[0])) == shown(D2[0]) == "−0.0841"
    type_answer(person, window, "δ2[1]", typed(D2[0]))
    assert "raising z2[1] would lower the loss" in passed(person, window)

    finish(person, window, "loss-and-delta", 2)
    counted(person, "loss-and-delta", clicks=15, keys=25)


def test_backprop_is_completed_by_running_the_backward_pass_and_reading_delta_and_the_gradient(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "backprop")
    assert D1[0] == pytest.approx(0.5 * D2[0] + 0.3 * D2[1] - 0.6 * D2[2])  # the page's sum: column 1 of W2

    # page 1: δ of both hidden neurons. Step once (the Step dock comes up), then Backward ▶▶ in it
    step(person, window)
    person.click(step_button(window, "run_backward"))
    assert window.step_panel.step_label.text().startswith("Step 9 of 10 — layer 1: gradients")
    first = read(read_neuron(person, window, 1, 0), "δ")
    second_neuron = read_neuron(person, window, 1, 1)
    assert (first, read(second_neuron, "δ")) == (shown(D1[0]), shown(D1[1])) == ("−0.0511", "0.1583")
    type_answer(person, window, "δ1[1]", typed(D1[0]))
    type_answer(person, window, "δ1[2]", typed(D1[1]))
    assert "error reaches every weight of W1" in passed(person, window)

    # page 2: ∂L/∂W1[2,4], on the same neuron's lines in the dock (read again: the page moved on)
    next_page(person, window)
    gradient = read(read_neuron(person, window, 1, 1), "∂L/∂w_2,4")
    assert gradient == shown(GRAD_W1_24) == "0.3165"
    type_answer(person, window, "∂L/∂W1[2,4]", typed(GRAD_W1_24))
    assert "the largest gradient of W1" in passed(person, window)

    finish(person, window, "backprop", 2)
    counted(person, "backprop", clicks=20, keys=40)


def test_update_is_completed_by_stepping_a_whole_pass_until_the_update_is_applied(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "update")
    new_w1, new_b1, new_w2, new_b2 = AFTER
    assert new_w2[0, 0] == pytest.approx(0.5 - ALPHA * D2[0] * A1[0])  # the hint: 0.5 − 0.5 · (−0.0841)

    # F10 through the whole pass: start, z and a of each layer, the loss, δ and the gradients of each layer
    box = window.lessons_panel.page_view.task_box
    step(person, window, 10)
    assert window.step_panel.step_label.text().startswith("Step 9 of 10 — layer 1: gradients")
    np.testing.assert_array_equal(window.document.project.network.layers[1].weights, W2)  # nothing moved yet
    assert box.tick.text() == "○ Not yet"
    step(person, window)  # the update: every parameter at once
    assert window.step_panel.step_label.text().startswith("Step 10 of 10 — update")
    assert box.tick.text() == "✓ Passed"  # live, before Check
    lines = read_neuron(person, window, 2, 0)
    assert f"w_1,1 ← 0.5 − 0.5·({shown(D2[0] * A1[0])}) = {shown(new_w2[0, 0])}" in lines
    assert f"b_1: 0.1 → {shown(new_b2[0])}" in lines and shown(new_w2[0, 0]) == "0.5421"
    assert "the loss for this sample is now lower" in passed(person, window)

    network = window.document.project.network
    for layer, (w, b) in zip(network.layers, ((new_w1, new_b1), (new_w2, new_b2)), strict=True):
        np.testing.assert_allclose(layer.weights, w, rtol=0, atol=1e-14)
        np.testing.assert_allclose(layer.bias, b, rtol=0, atol=1e-14)
    after = forward([(new_w1, new_b1, "relu"), (new_w2, new_b2, "sigmoid")], X)
    assert loss("mse", after[-1][1], Y) < LOSS  # the explanation's claim, by hand

    # page 2: the example again (not stacked on the first update), α = 1 typed in the Training dock, a pass again
    next_page(person, window)
    np.testing.assert_array_equal(window.document.project.network.layers[1].weights, W2)
    assert window.document.project.optimizer.learning_rate == ALPHA and not window.document.stepping.active
    set_learning_rate(person, window, "1")
    assert window.document.project.optimizer.learning_rate == 1.0
    assert window.actions_by_name["undo"].text() == "&Undo Set the learning rate to 1"
    step(person, window, 11)  # F10 starts the pass, then ten steps to its update
    assert window.step_panel.step_label.text().startswith("Step 10 of 10 — update")
    w1_twice, b1_twice, w2_twice, b2_twice = AFTER_RATE_1
    assert w2_twice[0, 0] == pytest.approx(0.5 - 1.0 * D2[0] * A1[0])  # twice the step of page 1: −1·(−0.0841)
    assert w2_twice[0, 0] - W2[0, 0] == pytest.approx(2 * (new_w2[0, 0] - W2[0, 0]))
    lines = window.step_panel.equations.toPlainText()
    assert f"w_1,1 ← 0.5 − 1·({shown(D2[0] * A1[0])}) = {shown(w2_twice[0, 0])}" in lines
    assert shown(w2_twice[0, 0]) == "0.5841" and shown(b2_twice[0]) == "0.1841" and shown(w1_twice[1, 3]) == "−0.2165"
    assert "Each parameter moved twice as far" in passed_after(person, window)
    network = window.document.project.network
    for layer, (w, b) in zip(network.layers, ((w1_twice, b1_twice), (w2_twice, b2_twice)), strict=True):
        np.testing.assert_allclose(layer.weights, w, rtol=0, atol=1e-14)
        np.testing.assert_allclose(layer.bias, b, rtol=0, atol=1e-14)

    finish(person, window, "update", 2)
    counted(person, "update", clicks=20, keys=40)


def passed_after(person: Counted, window) -> str:
    """Check (scrolled into view if need be): the task passes; what the box then says."""
    assert check(person, window) == "pass", result_text(window)
    assert window.lessons_panel.page_view.task_box.tick.text() == "✓ Passed"
    return result_text(window)


# ---------------------------------------------------------------------- wrong attempts


ANSWERS_WRONG = [
    pytest.param("forward", 0, {"z1[1]": "0.9", "a1[2]": typed(A1[1])},
                 "you typed z1[1] = 0.9; that is too low", id="forward-hidden-bias-left-out"),
    pytest.param("forward", 1, {"z2[1]": typed(Z2[0]), "a2[1]": typed(Z2[0])},
                 "you typed a2[1] = 0.56; that is too low", id="forward-output-sigmoid-left-out"),
    pytest.param("loss-and-delta", 1, {"δ2[1]": typed(-D2[0])},
                 "you typed δ2[1] = 0.0841; that is too high", id="delta-out-sign-flipped"),
    pytest.param("backprop", 0, {"δ1[1]": typed(D1[0]), "δ1[2]": typed(D1[1] * A1[1])},
                 "you typed δ1[2] = 0.0158; that is too low", id="delta-hidden-times-a-as-for-a-gradient"),
    pytest.param("backprop", 1, {"∂L/∂W1[2,4]": typed(D1[1])},
                 "you typed ∂L/∂W1[2,4] = 0.1583; that is too low", id="gradient-x4-left-out"),
]


@pytest.mark.parametrize("lesson, page, answers, message", ANSWERS_WRONG)
def test_a_wrong_typed_answer_fails_naming_the_quantity_and_the_value_typed(qtbot, make_window, lesson, page,
                                                                            answers, message):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, lesson)
    for _ in range(page):
        next_page(person, window)
    for name, text in answers.items():
        type_answer(person, window, name, text)
    shown_result = failed(person, window)
    assert message in shown_result
    assert shown_result.count("you typed") == 1  # the right value beside it is not named


def test_the_loss_task_fails_when_the_loss_is_typed_onto_the_output_layer_naming_the_loss_and_its_value(
        qtbot, make_window):
    """The loss task has no field: a learner who selects the output layer and types the loss there sets every
    bias of it, and the loss named is then the network's new one."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "loss-and-delta")
    person.click(window.view.viewport(), canvas_point(window, ItemKey("layer", 2)))
    assert window.scene.selected_key() == ItemKey("layer", 2)
    type_cell(person, window, typed(LOSS), then=ItemKey("layer", 2))  # the last layer: Enter stays on it
    np.testing.assert_array_equal(window.document.project.network.layers[1].bias, [0.2789] * 3)
    passes = forward([(W1, B1, "relu"), (W2, np.full(3, 0.2789), "sigmoid")], X)
    now = loss("mse", passes[-1][1], Y)
    assert shown(now) == "0.3598"
    shown_result = failed(person, window)
    assert (f"the loss (mse) at x = (1, 0.5, −1, 2), y = (1, 0, 0) = {shown(now)}, should be {shown(LOSS)}"
            in shown_result)
    assert list(window.lessons_panel.page_view.task_box.status.lines) == [  # and no step was taken
        "the step-through is at its start phase, should be at loss",
        f"the loss (mse) at x = (1, 0.5, −1, 2), y = (1, 0, 0) = {shown(now)}, should be {shown(LOSS)}"]


@pytest.mark.parametrize("presses, phase", [(0, "start"), (5, "forward"), (7, "backward")],
                         ids=["nothing-done", "one-step-short-at-y-hat", "one-step-past-at-delta"])
def test_the_loss_task_fails_off_the_loss_step_naming_the_phase_it_is_at(qtbot, make_window, presses, phase):
    """The loss is the network's own, right from the start: what the task asks is to step to it. Nothing done,
    five F10s (the pass stands at ŷ) or seven (δ2 already): the phase is named, and the loss is not."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "loss-and-delta")
    step(person, window, presses)
    shown_result = failed(person, window)
    assert f"the step-through is at its {phase} phase, should be at loss" in shown_result
    assert list(window.lessons_panel.page_view.task_box.status.lines) == [
        f"the step-through is at its {phase} phase, should be at loss"]
    if presses < 6:  # the hint's count: six F10s from the start reach the loss
        step(person, window, 6 - presses)
        assert window.lessons_panel.page_view.task_box.status.status == "pass"


def test_update_one_step_short_fails_naming_the_phase_and_the_weights_not_yet_moved(qtbot, make_window):
    """Backward ▶▶ ends the backward pass one step before the update: nothing has moved yet."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "update")
    step(person, window)
    person.click(step_button(window, "run_backward"))
    assert window.step_panel.step_label.text().startswith("Step 9 of 10 — layer 1: gradients")
    shown_result = failed(person, window)
    assert "the step-through is at its backward phase, should be at update" in shown_result
    new_w1, _, new_w2, new_b2 = AFTER
    assert f"W2[1,1] = 0.5, should be {shown(new_w2[0, 0])}" in shown_result
    assert f"b2[1] = 0.1, should be {shown(new_b2[0])}" in shown_result
    assert f"W1[2,4] = 0.1, should be {shown(new_w1[1, 3])}" in shown_result

    step(person, window)  # the missing step: the update
    assert window.lessons_panel.page_view.task_box.status.status == "pass" and "✓ Right." in result_text(window)


def test_update_applied_twice_fails_naming_the_weights_that_moved_too_far(qtbot, make_window):
    """After the pass, Stop stepping and a second pass: a second update, from the weights the first one left
    (hidden neuron 2 is off after the first: z1[2] < 0, so W1[2,4] does not move again)."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "update")
    step(person, window, 11)
    assert check_task(person, window) == "pass"
    person.click(step_button(window, "stop_stepping"))
    step(person, window, 11)
    assert window.step_panel.step_label.text().startswith("Step 10 of 10 — update")
    once = AFTER
    (z1, _), _ = by_hand(*once)[0]
    assert z1[1] < 0
    twice = by_hand(*once)[3]
    shown_result = failed(person, window)
    assert shown(twice[2][0, 0]) == "0.582" and shown(twice[3][0]) == "0.1758"
    assert f"W2[1,1] = {shown(twice[2][0, 0])}, should be {shown(once[2][0, 0])}" in shown_result
    assert f"b2[1] = {shown(twice[3][0])}, should be {shown(once[3][0])}" in shown_result
    assert "W1[2,4]" not in shown_result and "phase" not in shown_result


def test_double_rate_with_the_learning_rate_left_at_half_fails_naming_the_weights_at_half_the_step(qtbot,
                                                                                                    make_window):
    """Page 2 of update, stepped to its update without α = 1 typed: every parameter moved by −0.5·gradient, half
    the distance asked; each checked one is named with the value it reached."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "update")
    next_page(person, window)
    assert window.lessons_panel.page_view.task_box.task.id == "double-rate"
    step(person, window, 11)
    assert window.step_panel.step_label.text().startswith("Step 10 of 10 — update")
    assert window.document.project.optimizer.learning_rate == 0.5
    half_w1, _, half_w2, half_b2 = AFTER
    rate_1_w1, _, rate_1_w2, rate_1_b2 = AFTER_RATE_1
    assert list(window.lessons_panel.page_view.task_box.status.lines) == [
        f"W2[1,1] = {shown(half_w2[0, 0])}, should be {shown(rate_1_w2[0, 0])}",
        f"b2[1] = {shown(half_b2[0])}, should be {shown(rate_1_b2[0])}",
        f"W1[2,4] = {shown(half_w1[1, 3])}, should be {shown(rate_1_w1[1, 3])}"]
    assert "W2[1,1] = 0.5421, should be 0.5841" in failed(person, window)


def test_double_rate_set_but_not_stepped_fails_on_the_phase_and_names_the_weights_not_moved(qtbot, make_window):
    """α = 1 typed, and Check before any step: the phase is named, and each weight at its start value."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "update")
    next_page(person, window)
    set_learning_rate(person, window, "1")
    assert window.document.project.optimizer.learning_rate == 1.0
    rate_1_w1, _, rate_1_w2, rate_1_b2 = AFTER_RATE_1
    assert check(person, window) == "fail"
    shown_result = result_text(window)
    assert "the step-through is at its start phase, should be at update" in shown_result
    assert f"W2[1,1] = 0.5, should be {shown(rate_1_w2[0, 0])}" in shown_result
    assert f"W1[2,4] = 0.1, should be {shown(rate_1_w1[1, 3])}" in shown_result


def test_update_typed_by_hand_without_stepping_fails_on_the_phase(qtbot, make_window):
    """The three checked values typed on the canvas, exact, without a pass: the weights are right, but the
    task is to let the step-through apply the update, and the phase says it did not."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "update")
    new_w1, _, new_w2, new_b2 = AFTER
    for key, value, then in ((ItemKey("edge", 2, 0, 0), new_w2[0, 0], ItemKey("edge", 2, 0, 1)),
                             (ItemKey("bias_edge", 2, 0), new_b2[0], ItemKey("edge", 2, 1, 0)),
                             (ItemKey("edge", 1, 1, 3), new_w1[1, 3], ItemKey("bias_edge", 1, 1))):
        person.click(window.view.viewport(), canvas_point(window, key))
        assert window.scene.selected_key() == key
        type_cell(person, window, f"{value:.12f}", then=then)
    shown_result = failed(person, window)
    assert "the step-through is at its start phase, should be at update" in shown_result
    assert "W2[1,1]" not in shown_result and "b2[1]" not in shown_result and "W1[2,4]" not in shown_result


def test_delta_read_off_the_canvas_at_its_3_digits_is_too_rough_and_4_digits_pass(qtbot, make_window):
    """The canvas rounds to 3 digits; δ is checked to 1e-4. A learner who types the canvas's δ2[1] is told it is
    too high (−0.084 against −0.08412); one more digit (the Step dock's Digits, Up) and it passes."""
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "loss-and-delta")
    next_page(person, window)
    step(person, window, 7)  # start, z1, a1, z2, a2, the loss, δ2
    label = window.scene.items_by_key[ItemKey("neuron", 2, 0)].value_text
    on_canvas = label.split("δ ")[1].split()[0]
    assert on_canvas == f"{D2[0]:.3f}".replace("-", "−") == "−0.084"
    type_answer(person, window, "δ2[1]", on_canvas.replace("−", "-"))
    assert "you typed δ2[1] = −0.084; that is too high" in failed(person, window)

    digits = window.step_panel.digits
    person.click(digits)
    person.key(digits, Qt.Key.Key_Up)
    assert digits.value() == 4
    label = window.scene.items_by_key[ItemKey("neuron", 2, 0)].value_text
    on_canvas = label.split("δ ")[1].split()[0]
    assert on_canvas == shown(D2[0])
    type_answer(person, window, "δ2[1]", on_canvas.replace("−", "-"))
    assert "✓ Right." in passed(person, window)
