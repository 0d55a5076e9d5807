"""The first three lessons (detector, cosine-memory, unit-length) walked through the real window (issue 32).

Acceptance: each lesson is completed as a learner would do it, with counted key and mouse events only
(tests/ui/counted.py): Ctrl+Shift+L, a click on the lesson and Start, then on each page the task's work (weights
typed on the canvas's selected cells, a layer selected by its title taking all its biases at once, inputs in the
Input table, answers in the task box's fields) and Check (or Enter in an answer field), and every task passes.
For every task a wrong attempt, made the same way, fails with a message naming the quantity and its value.

Nothing here calls into the document or the lessons room to change anything; the network is only read for the
asserts. Every value a learner types, and every number a message names, is worked out by hand in this file
(with math, or tests/support/reference.py's numpy forward pass), never by nnstudio.

The routes (the counts are printed):
  detector       page 1: the two weights of its one neuron, 1/sqrt(2) each (a click on the first, Enter moves on);
                 page 2: z1[1] for x = (1, 0), worked out as cos 45° ≈ 0.7071; page 3 (a fresh 2-1 ReLU network):
                 both weights again and the bias −1/√2, the next cell in Enter order.
  cosine-memory  page 1: W1 = [[1, 0], [1/√2, 1/√2], [0, 1]] in Tab order, Tab over each bias; page 2: layer 1's
                 title and −1/√2 (every bias at once); page 3: W2 = [0, (2+√2)/2, 0] (b2 starts at 0), then the
                 input (5/6, 1/3) in the Input table to see ŷ ≈ 0.2012 on the canvas, as the task's title says.
  unit-length    page 1: the input (0, 2) in the Input table, ŷ read off (1.2071) and typed as a2[1]; page 2: the
                 input (0, 1), ŷ = 0 typed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.ui.selection import ItemKey
from tests.support.reference import forward, layers_of
from tests.ui.counted import (Counted, bias, canvas_point, check_task, edge, focused, next_page, open_lessons,
                              result_text, start_lesson, tab, type_answer, type_cell)

R2 = math.sqrt(2)
#: ŷ(5/6, 1/3) of the memory network, by hand: hidden 2 = ReLU((5/6 + 1/3)/√2 − 1/√2) = (7/6 − 1)/√2 (hidden
#: 1 and 3 do not reach the output), times W2's middle weight (2+√2)/2.
READ_M2 = (7 / 6 - 1) / R2 * (2 + R2) / 2
#: ŷ(0, 2) of the memory network: hidden 2 = ReLU(2/√2 − 1/√2) = 1/√2, times (2+√2)/2 = (1+√2)/2.
TOO_LONG = (2 + R2) / 2 * (R2 - 1 / R2)

Step = Callable[[Counted, object], None]


# ---------------------------------------------------------------------- moves a learner makes


def select(person: Counted, window, key: ItemKey) -> None:
    """A click on a cell of the canvas (an edge's label, a layer's title) selects it for typing."""
    person.click(window.view.viewport(), canvas_point(window, key))
    assert window.scene.selected_key() == key


def type_input(person: Counted, window, texts: tuple[str, str], values: tuple[float, float]) -> None:
    """A click on x1's value in the Input table, then each value and Enter (Enter moves down)."""
    table = window.io_panel.input_table
    person.click(table.viewport(), table.visualItemRect(table.item(0, 1)).center())
    for text in texts:
        person.type(table, text)
        person.key(focused(table), Qt.Key.Key_Return)
    assert window.document.project.input.tolist() == list(values)


def task_box(window):
    return window.lessons_panel.page_view.task_box


def output_for(window, x: tuple[float, ...]) -> float:
    """ŷ of the open network for `x`, by the reference forward pass (read from the network's arrays only)."""
    return float(forward(layers_of(window.document.project.network), np.array(x))[-1][1][0])


def begin(person: Counted, window, lesson: str) -> None:
    open_lessons(person, window)
    start_lesson(person, window, lesson)
    assert window.lessons_panel.page_view.index == 0


def finish(person: Counted, window, lesson: str, tasks: int) -> None:
    """Finish on the last page goes back to the list, which counts every task done."""
    person.click(window.lessons_panel.page_view.next_button)
    listing = window.lessons_panel.list_view
    assert window.lessons_panel.stack.currentWidget() is listing and listing.current_name() == lesson
    assert f"{tasks} of {tasks} tasks done" in listing.list.currentItem().text()


def passes_on_check(person: Counted, window) -> None:
    assert check_task(person, window) == "pass", result_text(window)
    assert_passed(window)


def assert_passed(window) -> None:
    box = task_box(window)
    assert box.status.status == "pass", result_text(window)
    assert box.tick.text() == "✓ Passed" and result_text(window).startswith("✓ Right.")


def report(person: Counted, lesson: str, clicks: int, keys: int) -> None:
    print(f"{lesson} completed with {person.clicks} clicks and {person.keys} keys")
    assert person.clicks <= clicks and person.keys <= keys, (person.clicks, person.keys)


# ---------------------------------------------------------------------- each page's work, as the solution does it


def detector_direction(person: Counted, window, text: str = "1/sqrt(2)") -> None:
    """Both weights of the one neuron; Enter goes on from w1 to w2, then to the bias."""
    select(person, window, edge(1, 0, 0))
    type_cell(person, window, text, then=edge(1, 0, 1))
    type_cell(person, window, text, then=bias(1, 0))


def detector_similarity(person: Counted, window, text: str = "0.7071") -> None:
    """z for x = (1, 0): w1·1 + w2·0 + b = 1/√2 ≈ 0.7071 (Enter checks)."""
    type_answer(person, window, "z1[1]", text)


def detector_threshold(person: Counted, window, text: str = "-1/sqrt(2)") -> None:
    """Page 3's fresh network: the weights again, then the bias (the last cell: the selection stays on it)."""
    detector_direction(person, window)
    type_cell(person, window, text, then=bias(1, 0))


def memory_rows(person: Counted, window, m2: str = "1/sqrt(2)") -> None:
    """W1's rows in Tab order w11 w12 b1 w21 w22 b2 w31 w32 b3 (the random start is overwritten, zeros too)."""
    select(person, window, edge(1, 0, 0))
    type_cell(person, window, "1", then=edge(1, 0, 1))
    type_cell(person, window, "0", then=bias(1, 0))
    tab(person, window, then=edge(1, 1, 0))
    type_cell(person, window, m2, then=edge(1, 1, 1))
    type_cell(person, window, m2, then=bias(1, 1))
    tab(person, window, then=edge(1, 2, 0))
    type_cell(person, window, "0", then=edge(1, 2, 1))
    type_cell(person, window, "1", then=bias(1, 2))


def memory_thresholds(person: Counted, window, text: str = "-1/sqrt(2)") -> None:
    """Layer 1 selected by its title: one value sets all three biases, and Enter goes on to layer 2."""
    select(person, window, ItemKey("layer", 1))
    type_cell(person, window, text, then=ItemKey("layer", 2))


def memory_readout(person: Counted, window, middle: str = "(2+sqrt(2))/2") -> None:
    """W2 = [0, middle, 0]; b2 starts at 0 and is left as it is."""
    select(person, window, edge(2, 0, 0))
    type_cell(person, window, "0", then=edge(2, 0, 1))
    type_cell(person, window, middle, then=edge(2, 0, 2))
    type_cell(person, window, "0", then=bias(2, 0))


def unit_too_long(person: Counted, window, text: str = "1.2071") -> None:
    """ŷ for (0, 2), read off the canvas after typing the input, typed as a2[1] (the output neuron's a)."""
    type_input(person, window, ("0", "2"), (0, 2))
    assert math.isclose(window.document.trace.output[0], TOO_LONG, rel_tol=1e-12)
    type_answer(person, window, "a2[1]", text)


def unit_normalised(person: Counted, window, text: str = "0") -> None:
    """The normalised input (0, 1): m2·x = 1/√2 exactly the threshold, so ŷ = 0."""
    type_input(person, window, ("0", "1"), (0, 1))
    assert window.document.trace.output[0] == 0
    type_answer(person, window, "a2[1]", text)


SOLUTIONS: dict[str, list[Step]] = {
    "detector": [detector_direction, detector_similarity, detector_threshold],
    "cosine-memory": [memory_rows, memory_thresholds, memory_readout],
    "unit-length": [unit_too_long, unit_normalised],
}


# ---------------------------------------------------------------------- the walkthroughs


def test_detector_completed_by_keys_and_clicks(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "detector")

    def layer():  # read afresh: every edit replaces the network
        return window.document.project.network.layers[0]

    detector_direction(person, window)  # page 1: w = (1/√2, 1/√2)
    passes_on_check(person, window)
    assert layer().weights.tolist() == [[1 / R2, 1 / R2]] and layer().bias.tolist() == [0]

    next_page(person, window)  # page 2 works on page 1's network: z(1, 0) = 1/√2·1 + 1/√2·0 + 0 = cos 45°
    assert math.isclose(float(forward(layers_of(window.document.project.network), np.array([1, 0]))[0][0][0]),
                        math.cos(math.pi / 4), rel_tol=1e-12)
    detector_similarity(person, window)  # "0.7071" and Enter, which checks
    assert_passed(window)

    next_page(person, window)  # page 3: its own 2-1 ReLU network
    assert layer().activation == "relu" and layer().bias.tolist() == [0]
    detector_threshold(person, window)
    passes_on_check(person, window)
    assert layer().weights.tolist() == [[1 / R2, 1 / R2]] and layer().bias.tolist() == [-1 / R2]
    assert math.isclose(output_for(window, (0.6, 0.8)), 0.4 / R2, rel_tol=1e-12)  # 8° off (1, 1): above 0
    assert output_for(window, (1, 0)) == 0  # 45° off: exactly the threshold
    assert output_for(window, (-0.6, 0.8)) == 0

    finish(person, window, "detector", 3)
    report(person, "detector", clicks=14, keys=80)


def test_cosine_memory_completed_by_keys_and_clicks(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "cosine-memory")

    def net():  # read afresh: every edit replaces the network
        return window.document.project.network

    memory_rows(person, window)  # page 1: the memories m1, m2, m3 as W1's rows
    passes_on_check(person, window)
    assert net().layers[0].weights.tolist() == [[1, 0], [1 / R2, 1 / R2], [0, 1]]

    next_page(person, window)  # page 2: the threshold cos 45°
    memory_thresholds(person, window)
    passes_on_check(person, window)
    assert net().layers[0].bias.tolist() == [-1 / R2] * 3

    next_page(person, window)  # page 3: read memory 2
    memory_readout(person, window)
    type_input(person, window, ("5/6", "1/3"), (5 / 6, 1 / 3))  # to see ŷ(5/6, 1/3) on the canvas, as the task says
    assert math.isclose(window.document.trace.output[0], READ_M2, rel_tol=1e-12)
    assert abs(READ_M2 - 0.2011844635) < 1e-10
    passes_on_check(person, window)
    assert net().layers[1].weights.tolist() == [[0, (2 + R2) / 2, 0]] and net().layers[1].bias.tolist() == [0]
    assert math.isclose(output_for(window, (1 / R2, 1 / R2)), 0.5, rel_tol=1e-12)  # m2 itself answers ½

    finish(person, window, "cosine-memory", 3)
    report(person, "cosine-memory", clicks=16, keys=100)


def test_unit_length_completed_by_keys_and_clicks(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, "unit-length")
    assert window.document.project.network.sizes == [2, 3, 1]  # the cosine-memory example

    unit_too_long(person, window)  # page 1: ŷ(0, 2) = (1+√2)/2 ≈ 1.2071, read off the canvas and typed
    assert abs(TOO_LONG - 1.2071067812) < 1e-10
    assert_passed(window)

    next_page(person, window)  # page 2: the normalised input (0, 1) answers 0
    unit_normalised(person, window)
    assert_passed(window)
    assert math.isclose(output_for(window, (0, 2)), TOO_LONG, rel_tol=1e-12)  # the network itself is unchanged

    finish(person, window, "unit-length", 2)
    report(person, "unit-length", clicks=12, keys=40)


# ---------------------------------------------------------------------- a wrong attempt at every task


def wrong(lesson: str, page: int, attempt: Step, *lines: str, task: str):
    return pytest.param(lesson, page, attempt, lines, id=f"{lesson}/{task}")


WRONG_ATTEMPTS = [
    # (1, 1) itself, not divided by its length √2
    wrong("detector", 0, lambda p, w: detector_direction(p, w, "1"),
          "W1[1,1] = 1, should be 0.7071", "W1[1,2] = 1, should be 0.7071", task="look-at-1-1"),
    # z(1, 0) = 1/√2 ≈ 0.7071; ½ is below it
    wrong("detector", 1, lambda p, w: detector_similarity(p, w, "0.5"),
          "you typed z1[1] = 0.5; that is too low", task="similarity"),
    # the right weights but no threshold: (1, 0) answers 1/√2 and (−0.6, 0.8) answers (0.8 − 0.6)/√2 ≈ 0.1414
    wrong("detector", 2, detector_direction,
          "ŷ(1, 0) is 0.7071 but should be 0", "ŷ(−0.6, 0.8) is 0.1414 but should be 0",
          "b1[1] = 0, should be −0.7071", task="within-45"),
    # m2 rounded to (0.7, 0.7): not of unit length
    wrong("cosine-memory", 0, lambda p, w: memory_rows(p, w, "0.7"),
          "W1[2] = (0.7, 0.7), should be (0.7071, 0.7071)", task="rows"),
    # the sign forgotten: +1/√2 lets every input through
    wrong("cosine-memory", 1, lambda p, w: memory_thresholds(p, w, "1/sqrt(2)"),
          "b1[1] = 0.7071, should be −0.7071", "b1[2] = 0.7071, should be −0.7071",
          "b1[3] = 0.7071, should be −0.7071", task="thresholds"),
    # W2's middle weight 1: m2 answers 1 − 1/√2 ≈ 0.2929, (5/6, 1/3) answers (7/6 − 1)/√2 ≈ 0.1179
    wrong("cosine-memory", 2, lambda p, w: memory_readout(p, w, "1"),
          "W2[1] = (0, 1, 0), should be (0, 1.7071, 0)", "ŷ(0.7071, 0.7071) is 0.2929 but should be 0.5",
          "ŷ(0.8333, 0.3333) is 0.1179 but should be 0.2012", task="read-m2"),
    # the answer the angle would give (0), not what the network gives (1.2071)
    wrong("unit-length", 0, lambda p, w: unit_too_long(p, w, "0"),
          "you typed a2[1] = 0; that is too low", task="too-long"),
    # what m2 itself answers (½), not (0, 1)
    wrong("unit-length", 1, lambda p, w: unit_normalised(p, w, "0.5"),
          "you typed a2[1] = 0.5; that is too high", task="normalised"),
]


@pytest.mark.parametrize("lesson, page, attempt, lines", WRONG_ATTEMPTS)
def test_a_wrong_attempt_fails_naming_the_quantity_and_its_value(qtbot, make_window, lesson, page, attempt, lines):
    window = make_window()
    person = Counted(qtbot)
    begin(person, window, lesson)
    for solve in SOLUTIONS[lesson][:page]:  # the pages before it, done right
        solve(person, window)
        next_page(person, window)
    attempt(person, window)
    assert check_task(person, window) == "fail"
    shown = result_text(window)
    assert shown.startswith("Not yet:")
    for line in lines:
        assert line in shown, shown
    assert len(shown.strip().splitlines()) == 1 + len(lines), shown  # nothing else is said to be wrong
    assert task_box(window).tick.text() == "○ Not yet"
