"""The `xor` and `mnist-units` lessons walked through the real window with counted key and mouse events (issue 32).

A learner's path, every change a click or a key (tests/ui/counted.py): Ctrl+Shift+L, the lesson's row, Start;
then on each page what its task asks, and Check. Nothing here calls into the document or the lessons room to
change anything; the document is only read, for asserts and for the numbers a learner reads off the window
(a drawing's 784 pixels). The values typed and the values asserted are worked out in the test, by hand (math
and numpy written here), never by nnstudio's own functions.

How the events are counted:
- a press–drag–release (a stroke on the Draw pad) is one click;
- a right-click is one click; a key with its modifiers (Ctrl+T) is one key;
- resting the pointer on a neuron to read its card is not counted (no button is pressed);
- when a dock squeezed by another hides the Check button, a click on its scroll bar brings it back (counted).

The xor training run is deterministic: the example's start weights are saved in its file, the batch (32, the
panel's default) holds all four points so no shuffle enters a step, and the seed stays at its 0. With the
panel's settings (plain SGD, α = 0.5, no momentum) all four points are right from epoch 68 (the lesson's hint:
"after about 70 epochs"): the learner types 200 epochs, as the 5 the panel starts with leave one point wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QSpinBox, QWidget

from nnstudio.lessons.shipped import load_lesson
from nnstudio.ui.selection import ItemKey
from tests.ui.counted import (Counted, bias, canvas_point, check_task, drag, edge, focused, menu_item, next_page,
                              open_lessons, result_text, right_click, scroll_to, start_lesson, type_answer, type_cell)
from tests.ui.helpers import run_queued_events

XOR_POINTS = ((0, 0), (0, 1), (1, 0), (1, 1))
XOR_TARGETS = (0, 1, 1, 0)
UNIT = 28  # the hidden unit mnist-units is about, counted from 1 as the canvas counts
FIRES = 2  # what a1[28] must pass on make-it-fire
OTHERS = (20, 22)  # the units silence-others silences: with 28, the digit 1's largest weights
TRAIN_TIMEOUT_MS = 60_000  # a bound on a run of milliseconds, for a loaded machine; not a wait


def number(value: float) -> str:
    """A value as the task box and the hover card write it: 4 decimals, no trailing zeros, a real minus."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("0", "-0") else text.replace("-", "−")


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def xor_by_hand(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, x: tuple[int, int]) -> float:
    """The 2-2-1 tanh/sigmoid network's output at x, written out."""
    h = [math.tanh(w1[j, 0] * x[0] + w1[j, 1] * x[1] + b1[j]) for j in range(2)]
    return sigmoid(w2[0, 0] * h[0] + w2[0, 1] * h[1] + b2[0])


def seen_click(person: Counted, widget) -> None:
    """Click a widget a person can see: all of it on screen, no dock or tab over it."""
    assert widget.isEnabled() and widget.visibleRegion().boundingRect() == widget.rect(), widget
    person.click(widget)


def check(person: Counted, window) -> str:
    scroll_to(person, window.lessons_panel.page_view.task_box.check_button)
    return check_task(person, window)


def go_on(person: Counted, window) -> None:
    scroll_to(person, window.lessons_panel.page_view.next_button)
    next_page(person, window)


def answer(person: Counted, window, name: str, text: str) -> None:
    scroll_to(person, window.lessons_panel.page_view.task_box.fields[name])
    type_answer(person, window, name, text)


# ---------------------------------------------------------------------- xor


def type_xor_by_hand(person: Counted, window, with_b2: bool = True) -> None:
    """W1 = [[10, 10], [10, 10]], b1 = (−5, −15), W2 = [10, −10], b2 = −10 on the canvas, in Tab order from the
    first weight (Enter keeps a value and moves on); without b2 the last cell keeps its 0."""
    person.click(window.view.viewport(), canvas_point(window, edge(1, 0, 0)))
    assert window.scene.selected_key() == edge(1, 0, 0)
    for text, then in (("10", edge(1, 0, 1)), ("10", bias(1, 0)), ("-5", edge(1, 1, 0)), ("10", edge(1, 1, 1)),
                       ("10", bias(1, 1)), ("-15", edge(2, 0, 0)), ("10", edge(2, 0, 1)), ("-10", bias(2, 0))):
        type_cell(person, window, text, then=then)
    if with_b2:
        type_cell(person, window, "-10", then=bias(2, 0))  # the last cell: Enter stays on it


def train_xor(person: Counted, qtbot, window, epochs: str | None) -> None:
    """Network → Train… (Ctrl+T), Epochs typed over (a click in the field, Ctrl+A, the digits) unless None,
    "As fast as possible" (else a toy run is paced to last 10 s), Start, and the run's end."""
    person.key(focused(window.view), Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    panel = window.training_panel
    assert window.training_dock.isVisible() and panel.dataset.currentData() == "xor"  # chosen for the 2-2-1 net
    assert panel.seed.value() == 0 and panel.batch.value() >= 4 and panel.learning_rate.text() == "0.5"
    if epochs is not None:
        seen_click(person, panel.epochs)
        person.key(focused(panel.epochs), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        person.type(panel.epochs, epochs)
        assert panel.epochs.value() == int(epochs)
    seen_click(person, panel.pace_row.fastest)
    assert panel.pace_row.fastest.isChecked() and panel.pace_row.words.text() == "as fast as possible"
    seen_click(person, panel.start_button)
    qtbot.waitUntil(lambda: not window.trainer.running, timeout=TRAIN_TIMEOUT_MS)
    run_queued_events()  # the run's end, queued by its thread, lands the trained network in the document
    run = window.document.project.runs[-1]
    assert run.dataset == "xor" and run.settings["seed"] == 0 and run.epochs[-1].epoch == panel.epochs.value()


def xor_answers(window) -> list[float]:
    """The open network's outputs at the four points, by hand from its weights."""
    first, second = window.document.project.network.layers
    return [xor_by_hand(first.weights, first.bias, second.weights, second.bias, x) for x in XOR_POINTS]


def test_xor_walked_through_by_hand_and_by_training(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "xor")
    assert window.document.project.network.sizes == [2, 2, 1]

    # page 1: the two lines x1 + x2 = 0.5 and 1.5, steep, and the output their difference
    type_xor_by_hand(person, window)
    first, second = window.document.project.network.layers
    assert first.weights.tolist() == [[10, 10], [10, 10]] and first.bias.tolist() == [-5, -15]
    assert second.weights.tolist() == [[10, -10]] and second.bias.tolist() == [-10]
    assert check(person, window) == "pass"
    # by hand: tanh(±5) = ±0.99991 and tanh(±15) = ±1, so ŷ = σ(−10·tanh 5) at (0, 0) and (1, 1),
    # and σ(20·tanh 5 − 10) at (0, 1) and (1, 0)
    outputs = [xor_by_hand(first.weights, first.bias, second.weights, second.bias, x) for x in XOR_POINTS]
    low, high = sigmoid(-10 + 10 * (1 - math.tanh(5))), sigmoid(20 * math.tanh(5) - 10)
    assert outputs == pytest.approx([low, high, high, low], abs=1e-12) and low < 1e-4 and high > 1 - 1e-4
    assert "✓ Right." in result_text(window)

    # page 2: the xor example, trained through the Training dock until all four points are right
    go_on(person, window)
    assert window.document.project.runs == () and window.document.project.network.sizes == [2, 2, 1]
    train_xor(person, qtbot, window, epochs="200")
    answers = xor_answers(window)
    assert [int(y >= 0.5) for y in answers] == list(XOR_TARGETS)  # all four right: accuracy 100 %
    run = window.document.project.runs[-1]
    assert (run.settings["optimizer"], run.settings["learning_rate"], run.settings["batch_size"]) == ("sgd", 0.5, 32)
    first_right = next(row.epoch for row in run.epochs if row.accuracy == 1.0)
    assert first_right == 68 and all(row.accuracy == 1.0 for row in run.epochs if row.epoch >= 68)  # "about 70"
    assert check(person, window) == "pass"
    assert "✓ Right." in result_text(window)

    print(f"xor walked through with {person.clicks} clicks and {person.keys} keys")
    assert person.clicks <= 16 and person.keys <= 40, (person.clicks, person.keys)


def wrong_xor_without_b2(person: Counted, qtbot, window) -> list[str]:
    """Everything but b2, left at 0: (0, 0) and (1, 1) sit on the output's line, ŷ ≈ σ(0.0009) ≈ 0.5."""
    type_xor_by_hand(person, window, with_b2=False)
    assert check(person, window) == "fail"
    on_the_line = sigmoid(10 * (1 - math.tanh(5)))  # σ(10·tanh(−5) − 10·tanh(−15)), σ(10·tanh(15) − 10·tanh(5))
    return [f"ŷ(0, 0) is {number(on_the_line)} but should stay under 0.1",
            f"ŷ(1, 1) is {number(on_the_line)} but should stay under 0.1"]


def wrong_xor_five_epochs(person: Counted, qtbot, window) -> list[str]:
    """The Training dock as it opens (5 epochs): one point of the four is still wrong."""
    go_on(person, window)
    train_xor(person, qtbot, window, epochs=None)
    assert window.training_panel.epochs.value() == 5
    right = sum(int(y >= 0.5) == t for y, t in zip(xor_answers(window), XOR_TARGETS))
    assert right == 3
    assert check(person, window) == "fail"
    return [f"the accuracy on xor's test part is {right / 4:.2%}, should be at least 100.00%"]


# ---------------------------------------------------------------------- mnist-units


def open_draw(person: Counted, window) -> None:
    """View → Results: the Results dock, at its Draw tab (its first)."""
    menu_item(person, window, "&View", "Results")
    panel = window.results_panel
    assert window.results_dock.isVisible() and panel.tabs.currentWidget() is panel.draw_tab
    assert panel.pad.isEnabled() and not panel.pad.visibleRegion().isEmpty()


def stroke(person: Counted, window, across: bool) -> None:
    """One long stroke on the pad through its middle: top to bottom (a 1), or left to right."""
    pad = window.results_panel.pad
    side = min(pad.width(), pad.height())
    ends = [QPoint(side // 6, side // 2), QPoint(5 * side // 6, side // 2)] if across else \
        [QPoint(side // 2, side // 6), QPoint(side // 2, 5 * side // 6)]
    steps = 20
    drag(person, pad, [ends[0] + (ends[1] - ends[0]) * (i / steps) for i in range(steps + 1)])
    assert window.document.project.input.any()


def clear_and_stroke(person: Counted, window, across: bool) -> None:
    right_click(person, window.results_panel.pad)  # the pad's tooltip: "right-click clears"
    assert not window.document.project.input.any()
    stroke(person, window, across)


def hidden_z(window) -> np.ndarray:
    """z1 = W1·x + b1 for the network's current input x (what the pad drew), by hand."""
    project = window.document.project
    assert project.normalisation is None  # the canvas feeds x as it is
    layer = project.network.layers[0]
    return layer.weights @ project.input + layer.bias


def answered(window) -> int:
    """The class the network answers, by hand: the largest z2 = W2·ReLU(z1) + b2 (softmax keeps the order)."""
    layer = window.document.project.network.layers[1]
    return int(np.argmax(layer.weights @ np.maximum(hidden_z(window), 0) + layer.bias))


def go_to_unit(person: Counted, window, unit: int) -> None:
    """Layer 1 selected by its title, then the Inspector's "Go to neuron": the number, Enter. (Layer 1's pager
    shows 3 neurons a page once the Results dock is open: unit 28 is 9 clicks away there.)"""
    view = window.view
    person.click(view.viewport(), canvas_point(window, ItemKey("layer", 1)))
    assert window.scene.selected_key() == ItemKey("layer", 1)
    go = shown_child(window.inspector, QSpinBox, "goToNeuron")
    scroll_to(person, go)
    seen_click(person, go)
    person.key(focused(go), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    person.type(go, str(unit))
    person.key(focused(go), Qt.Key.Key_Return)
    assert window.scene.selected_key() == ItemKey("neuron", 1, unit - 1)


def shown_child(parent, kind, name: str):
    """The one `kind` named `name` under `parent` that shows (a panel rebuilt on each selection hides the old)."""
    found = [child for child in parent.findChildren(kind, name) if child.isVisible()]
    assert len(found) == 1, found
    return found[0]


def inspector_z(window) -> str:
    """What the Inspector shows in its "z = w·a + b" row for the selected neuron, as the learner reads it."""
    for form in window.inspector.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None and label.widget().isVisible() and \
                    isinstance(label.widget(), QLabel) and label.widget().text() == "z = w·a + b":
                return field.widget().text()
    raise AssertionError("the Inspector shows no z")


def card_z(qtbot, window, unit: int) -> str:
    """Rest the pointer on the unit (not counted): the value its hover card gives z."""
    view, key = window.view, ItemKey("neuron", 1, unit - 1)
    point = view.mapFromScene(window.scene.items_by_key[key].sceneBoundingRect().center())
    assert view.viewport().rect().contains(point)
    qtbot.mouseMove(view.viewport(), point)
    qtbot.waitUntil(lambda: view.card.isVisible() and view.card.key == key, timeout=5000)
    lines = view.card.label.text().splitlines()
    assert lines[0] == f"neuron {unit} of layer 1"
    return next(line for line in lines if line.startswith("z = ")).rsplit(" = ", 1)[1]


def type_bias(person: Counted, window, text: str) -> None:
    """The selected neuron's "Bias" field in the Inspector: a click, Ctrl+A, the text, Enter."""
    editor = shown_child(window.inspector, QWidget, "valueEditor").edit
    scroll_to(person, editor)
    seen_click(person, editor)
    person.key(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    person.type(editor, text)
    person.key(focused(editor), Qt.Key.Key_Return)


def silence(person: Counted, window, unit: int) -> None:
    go_to_unit(person, window, unit)
    type_bias(person, window, "-100")
    assert window.document.project.network.layers[0].bias[unit - 1] == -100


def test_mnist_units_walked_through_by_drawing_and_typing(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "mnist-units")
    start = window.document.project
    assert start.network.sizes == [784, 32, 10] and start.input.any()  # the drawn 7 it starts with
    assert answered(window) == 7

    # page 1: on Results → Draw, one stroke from top to bottom: the network answers 1
    open_draw(person, window)
    stroke(person, window, across=False)
    assert answered(window) == 1 and window.results_panel.prediction.text().startswith("→ 1 ")
    assert check(person, window) == "pass"

    # page 2: find unit 28 (Inspector → Go to neuron), read its z there (and on its hover card), type it
    go_on(person, window)
    go_to_unit(person, window, UNIT)
    z = hidden_z(window)[UNIT - 1]
    assert window.document.trace.layers[0].z[UNIT - 1] == pytest.approx(z, abs=1e-12)  # the canvas's z is it
    assert float(inspector_z(window).replace("−", "-")) == pytest.approx(z, abs=1e-6)
    assert card_z(qtbot, window, UNIT) == number(z)
    answer(person, window, f"z1[{UNIT}]", f"{z:.4f}")  # Enter checks
    box = window.lessons_panel.page_view.task_box
    assert box.status.status == "pass" and "✓ Right." in result_text(window)

    # page 3: the stroke is still the input, and it fires unit 28 above 2
    go_on(person, window)
    assert max(hidden_z(window)[UNIT - 1], 0) > FIRES
    assert check(person, window) == "pass"

    # page 4: units 20 and 22 silenced (Go to neuron, then b1 = −100 in the Inspector, each): unit 28 alone keeps
    # the answer 1
    go_on(person, window)
    for unit in OTHERS:
        silence(person, window, unit)
    assert hidden_z(window)[UNIT - 1] == pytest.approx(z, abs=1e-12)  # unit 28 fires as before
    assert all(hidden_z(window)[unit - 1] < 0 for unit in OTHERS) and answered(window) == 1
    assert check(person, window) == "pass"
    assert "unit 28 still fires" in result_text(window)

    print(f"mnist-units walked through with {person.clicks} clicks and {person.keys} keys")
    assert person.clicks <= 30 and person.keys <= 50, (person.clicks, person.keys)


def wrong_stroke_across_is_no_one(person: Counted, qtbot, window) -> list[str]:
    """A stroke left to right: the network answers another digit."""
    open_draw(person, window)
    stroke(person, window, across=True)
    digit = answered(window)
    assert digit != 1
    assert check(person, window) == "fail"
    return [f"the network answers {digit} for the current input, should answer 1"]


def wrong_z_of_another_drawing(person: Counted, qtbot, window) -> list[str]:
    """z1[28] typed for the 7 the network starts with (right then), then a 1 drawn: the typed value is stale."""
    go_on(person, window)
    seven = hidden_z(window)[UNIT - 1]
    answer(person, window, f"z1[{UNIT}]", f"{seven:.4f}")
    assert window.lessons_panel.page_view.task_box.status.status == "pass"
    open_draw(person, window)
    stroke(person, window, across=False)
    now, typed = hidden_z(window)[UNIT - 1], round(seven, 4)
    assert abs(now - typed) > 1e-3
    assert window.lessons_panel.page_view.task_box.status.status == "fail"  # the result follows the drawing
    return [f"you typed z1[{UNIT}] = {number(typed)}; that is {'too high' if typed > now else 'too low'}"]


def wrong_stroke_across_stays_off(person: Counted, qtbot, window) -> list[str]:
    """The 1 drawn on page 1; on page 3 the hint's first try: the pad cleared (right-click), a stroke left to right.
    It crosses unit 28's blue bar and lies on its orange: the unit does not fire."""
    open_draw(person, window)
    stroke(person, window, across=False)
    go_on(person, window)
    go_on(person, window)
    clear_and_stroke(person, window, across=True)
    fired = max(hidden_z(window)[UNIT - 1], 0.0)
    assert fired < FIRES
    assert check(person, window) == "fail"
    return [f"a1[{UNIT}](current input) is {number(fired)} but should be above {FIRES}"]


def to_silence_with_a_one(person: Counted, window) -> None:
    open_draw(person, window)
    stroke(person, window, across=False)
    for _ in range(3):
        go_on(person, window)


def wrong_only_unit_20_silenced(person: Counted, qtbot, window) -> list[str]:
    """b1[20] = −100 and no more: unit 22 still has its bias."""
    to_silence_with_a_one(person, window)
    bias_22 = window.document.project.network.layers[0].bias[21]
    silence(person, window, 20)
    assert answered(window) == 1 and hidden_z(window)[UNIT - 1] > FIRES
    assert check(person, window) == "fail"
    return [f"b1[22] = {number(bias_22)}, should be −100"]


def wrong_unit_28_silenced_too(person: Counted, qtbot, window) -> list[str]:
    """Units 20, 22 and 28 silenced: the three that look for an upright stroke; the 1 is lost."""
    to_silence_with_a_one(person, window)
    for unit in (*OTHERS, UNIT):
        silence(person, window, unit)
    digit = answered(window)
    assert digit != 1 and hidden_z(window)[UNIT - 1] < 0
    assert check(person, window) == "fail"
    return [f"a1[{UNIT}](current input) is 0 but should be above {FIRES}",
            f"the network answers {digit} for the current input, should answer 1"]


# ---------------------------------------------------------------------- a wrong attempt at every task

Attempt = Callable[[Counted, object, object], list[str]]
WRONG: dict[str, tuple[str, str, Attempt]] = {
    "xor without b2": ("xor", "by-hand", wrong_xor_without_b2),
    "xor trained 5 epochs": ("xor", "trained", wrong_xor_five_epochs),
    "a stroke across is no 1": ("mnist-units", "draw-one", wrong_stroke_across_is_no_one),
    "z1[28] of the 7": ("mnist-units", "type-z", wrong_z_of_another_drawing),
    "a stroke across stays off": ("mnist-units", "make-it-fire", wrong_stroke_across_stays_off),
    "only unit 20 silenced": ("mnist-units", "silence-others", wrong_only_unit_20_silenced),
    "units 20, 22 and 28 silenced": ("mnist-units", "silence-others", wrong_unit_28_silenced_too),
}


def test_every_task_of_the_two_lessons_has_a_wrong_attempt():
    for lesson in ("xor", "mnist-units"):
        tasks = {task.id for task in load_lesson(lesson).tasks}
        assert tasks == {task for name, task, _ in WRONG.values() if name == lesson}, lesson


@pytest.mark.parametrize("attempt", list(WRONG))
def test_a_wrong_attempt_is_named_with_its_value(qtbot, make_window, attempt):
    lesson, task, attempt_at = WRONG[attempt]
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, lesson)
    expected = attempt_at(person, qtbot, window)
    box = window.lessons_panel.page_view.task_box
    assert box.task is not None and box.task.id == task
    assert box.status.status == "fail" and box.tick.text() != "✓ Passed"
    shown = result_text(window)
    for line in expected:
        assert line in shown, (line, shown)
    assert list(box.status.lines) == expected  # nothing else is said wrong
