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
                          "update", "xor", "mnist-units"}
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


def drawn_stroke() -> np.ndarray:
    """A vertical stroke as the Draw pad gives it (fitted into 20×20 and centred): rows 4–23, columns 13–14."""
    image = np.zeros((28, 28))
    image[4:24, 13:15] = 1.0
    return image.reshape(784)


def with_output_layer(project: Project, weights: np.ndarray | None = None, bias: np.ndarray | None = None) -> Project:
    net = project.network
    layer = net.layers[1]
    changed = layer.replace(weights=layer.weights if weights is None else weights,
                            bias=layer.bias if bias is None else bias, weight_text={}, bias_text={})
    return project.replace(network=net.with_layer(1, changed))


def test_mnist_units_passes_a_drawn_stroke_read_by_output_1_and_names_what_is_wrong():
    lesson = load_lesson("mnist-units")
    assert lesson.pages[0].network is not None and lesson.pages[0].network.example == "mnist-mlp"
    type_z, fire, answer_one = lesson.tasks
    assert (type_z.id, fire.id, answer_one.id) == ("type-z", "make-it-fire", "answer-one")
    example = load_example("mnist-mlp")  # its input is a drawn 7
    w1, b1 = example.network.layers[0].weights, example.network.layers[0].bias
    x = drawn_stroke()
    z50 = float(w1[49] @ x + b1[49])  # unit 50, by hand
    assert 0.39 < z50 < 0.40 and float(w1[49] @ example.input + b1[49]) < 0  # the 7 leaves unit 50 at 0
    stroke = example.replace(input=x)
    w2 = example.network.layers[1].weights.copy()
    w2[1, 49] = 10.0  # W2[2,50]: output neuron 2 is the digit 1
    solved = with_output_layer(stroke, weights=w2)
    for task in lesson.tasks:
        assert check_task(task, solved, {"z1[50]": z50}).status == "pass", task.id
    # type-z: any drawing, the 7 too; a slip is named with the typed value
    z7 = float(w1[49] @ example.input + b1[49])
    assert check_task(type_z, example, {"z1[50]": z7}).status == "pass"
    assert check_task(type_z, stroke, {"z1[50]": z50 + 0.01}).lines == (
        f"you typed z1[50] = {z50 + 0.01:.4f}; that is too high",)
    assert check_task(type_z, stroke).status == "not shown"
    # make-it-fire: the 7 does not fire unit 50
    assert check_task(fire, example).lines == ("a1[50](current input) is 0 but should be above 0.2",)
    # answer-one: the stroke fires unit 50 but nothing reads it yet; a raised output bias is not the way
    assert check_task(answer_one, stroke).lines == ("the network answers 0 for the current input, should answer 1",)
    biased = with_output_layer(stroke, bias=np.array([0, 10.0, 0, 0, 0, 0, 0, 0, 0, 0]))
    assert check_task(answer_one, biased).lines == ("b2[2] = 10, should be 0",)
    wired_7 = with_output_layer(example, weights=w2)
    assert check_task(answer_one, wired_7).lines == (
        "the network answers 7 for the current input, should answer 1",
        "a1[50](current input) is 0 but should be above 0.2")
