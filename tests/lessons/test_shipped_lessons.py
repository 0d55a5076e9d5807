"""Every shipped lesson parses, and its tasks pass on the worked solution and fail on a wrong attempt, with the
numbers worked out here independently (by hand with numpy, or given in issue 32), not by the grading code."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from nnstudio.core import build_network
from nnstudio.core.project import Project
from nnstudio.io.examples import load_example
from nnstudio.lessons.grading import AnswerCheck, answer_name, check_task
from nnstudio.lessons.shipped import list_lessons, load_lesson
from tests.support import reference

R = 1 / math.sqrt(2)
X, Y = np.array([1, 0.5, -1, 2]), np.array([1.0, 0, 0])


def with_weights(sizes, activations, weights, biases, loss="mse") -> Project:
    net = build_network(sizes, activations, "xavier", seed=0)
    layers = tuple(replace(layer, weights=np.array(w, float), bias=np.array(b, float))
                   for layer, w, b in zip(net.layers, weights, biases))
    return Project(replace(net, layers=layers), loss=loss)


def by_hand_backprop_4_2_3() -> dict[str, float]:
    """The backprop-4-2-3 example's pass by the textbook's rules (tests/support/reference.py, no core code), from its
    weights written out here (small round numbers), not read from the file."""
    layers = [(np.array([[0.1, 0.2, -0.1, 0.3], [0.3, -0.2, 0.2, 0.1]]), np.array([0.1, -0.1]), "relu"),
              (np.array([[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]]), np.array([0.1, -0.2, 0.0]), "sigmoid")]
    ((z1, a1), (z2, a2)), (d1, d2), _ = reference.backward(layers, X, Y, "mse")
    return {"z1[1]": z1[0], "a1[2]": a1[1], "z2[1]": z2[0], "a2[1]": a2[0], "δ2[1]": d2[0], "δ1[1]": d1[0],
            "δ1[2]": d1[1], "∂L/∂W1[2,4]": d1[1] * X[3]}


def answers_for(task, values: dict[str, float]) -> dict[str, float]:
    return {answer_name(c): values[answer_name(c)] for c in task.checks if isinstance(c, AnswerCheck)}


def test_every_shipped_lesson_parses_with_its_tasks():
    names = list_lessons()
    assert set(names) >= {"detector", "cosine-memory", "unit-length", "forward", "loss-and-delta", "backprop",
                          "update", "xor"}
    for name in names:
        lesson = load_lesson(name)
        assert lesson.name == name and any(page.task for page in lesson.pages)


@pytest.mark.parametrize("lesson", ["forward", "loss-and-delta", "backprop"])
def test_the_backprop_example_lessons_pass_the_values_worked_by_hand_and_fail_a_slip(lesson):
    project, values = load_example("backprop-4-2-3"), by_hand_backprop_4_2_3()
    for page in load_lesson(lesson).pages:
        if page.task is None:
            continue
        answers = answers_for(page.task, values)
        assert check_task(page.task, project, answers).status == "pass", page.task.id
        if answers:
            slipped = {name: value + 0.05 for name, value in answers.items()}
            result = check_task(page.task, project, slipped)
            assert result.status == "fail" and any(name in line for line in result.lines for name in answers)


def test_cosine_memory_and_unit_length_on_the_seeds_network():
    project = load_example("cosine-memory")
    for page in load_lesson("cosine-memory").pages:
        assert check_task(page.task, project).status == "pass", page.task.id
    too_long = (2 + math.sqrt(2)) / 2 * (math.sqrt(2) - R)  # ŷ(0, 2) = 1.2071067812
    tasks = [page.task for page in load_lesson("unit-length").pages]
    assert check_task(tasks[0], project, {"a2[1]": 1.2071067812}).status == "pass"
    assert too_long == pytest.approx(1.2071067812)
    assert check_task(tasks[1], project, {"a2[1]": 0.0}).status == "pass"
    assert check_task(tasks[1], project, {"a2[1]": 0.5}).status == "fail"


def test_detector_xor_and_update_pass_their_solutions_and_name_what_is_wrong():
    detector = with_weights([2, 1], ["relu"], [[[R, R]]], [[-R]])
    last = load_lesson("detector").pages[2].task
    assert check_task(last, detector).status == "pass"
    wrong = check_task(last, with_weights([2, 1], ["relu"], [[[R, R]]], [[0]]))
    assert wrong.status == "fail" and "b1[1] = 0, should be −0.7071" in wrong.lines
    xor = with_weights([2, 2, 1], ["tanh", "sigmoid"], [[[10, 10], [10, 10]], [[10, -10]]], [[-5, -15], [-10]], "bce")
    for page in load_lesson("xor").pages:
        assert check_task(page.task, xor).status == "pass", page.task.id
    # update: one SGD step with α = 0.5, every gradient from the pass worked out above
    d = by_hand_backprop_4_2_3()
    updated = with_weights([4, 2, 3], ["relu", "sigmoid"],
                           [[[0.1, 0.2, -0.1, 0.3], [0.3, -0.2, 0.2, 0.1 - 0.5 * d["∂L/∂W1[2,4]"]]],
                            [[0.5 - 0.5 * d["δ2[1]"] * 1.0, -0.4], [0.3, 0.8], [-0.6, 0.2]]],
                           [[0.1, -0.1], [0.1 - 0.5 * d["δ2[1]"], -0.2, 0.0]])
    task = load_lesson("update").pages[0].task
    assert check_task(task, updated).status == "pass"
    assert check_task(task, load_example("backprop-4-2-3")).status == "fail"  # not updated yet
