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
from nnstudio.lessons.check_types import PhaseCheck
from nnstudio.lessons.grading import AnswerCheck, answer_name, check_task, number_text
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
                          "update", "xor", "mnist-units", "kernel"}
    for name in names:
        lesson = load_lesson(name)
        assert lesson.name == name and any(page.task for page in lesson.pages)


def asked_phase(task) -> str | None:
    """The step-through phase a task asks for, if it asks for one (the window passes it; a file cannot)."""
    return next((check.is_ for check in task.checks if isinstance(check, PhaseCheck)), None)


@pytest.mark.parametrize("lesson", ["forward", "loss-and-delta", "backprop"])
def test_the_backprop_example_lessons_pass_the_values_worked_by_hand_and_fail_a_slip(lesson):
    project, values = load_example("backprop-4-2-3"), by_hand_backprop_4_2_3()
    for page in load_lesson(lesson).pages:
        if page.task is None:
            continue
        answers = answers_for(page.task, values)
        phase = asked_phase(page.task)
        assert check_task(page.task, project, answers, phase).status == "pass", page.task.id
        if answers:
            slipped = {name: value + 0.05 for name, value in answers.items()}
            result = check_task(page.task, project, slipped, phase)
            assert result.status == "fail" and any(name in line for line in result.lines for name in answers)


def test_the_loss_task_asks_for_the_step_through_at_the_loss_as_well_as_the_loss():
    """It passed on the opened network with nothing done; now the learner steps to the loss (six F10s)."""
    loss_task = load_lesson("loss-and-delta").tasks[0]
    project = load_example("backprop-4-2-3")
    assert asked_phase(loss_task) == "loss"
    assert check_task(loss_task, project, window_phase="loss").status == "pass"
    assert check_task(loss_task, project, window_phase="start").lines == (
        "the step-through is at its start phase, should be at loss",)
    assert check_task(loss_task, project).status == "not shown"  # nnstudio check cannot see the window


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
    assert check_task(task, updated, window_phase="update").status == "pass"
    assert check_task(task, updated, window_phase="start").lines == (  # typed by hand, not stepped
        "the step-through is at its start phase, should be at update",)
    assert check_task(task, load_example("backprop-4-2-3"), window_phase="update").status == "fail"  # not updated yet


def updated_by_hand(alpha: float) -> tuple[Project, float, float]:
    """backprop-4-2-3 after one SGD step with learning rate α, every parameter moved by −α·gradient (the gradients
    from tests/support/reference); with the loss after it and z1[2] after it."""
    layers = [(np.array([[0.1, 0.2, -0.1, 0.3], [0.3, -0.2, 0.2, 0.1]]), np.array([0.1, -0.1]), "relu"),
              (np.array([[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]]), np.array([0.1, -0.2, 0.0]), "sigmoid")]
    ((_, a1), _), (d1, d2), _ = reference.backward(layers, X, Y, "mse")
    moved = [(layers[0][0] - alpha * np.outer(d1, X), layers[0][1] - alpha * d1, "relu"),
             (layers[1][0] - alpha * np.outer(d2, a1), layers[1][1] - alpha * d2, "sigmoid")]
    passes = reference.forward(moved, X)
    project = with_weights([4, 2, 3], ["relu", "sigmoid"], [w for w, _, _ in moved], [b for _, b, _ in moved])
    return project, reference.loss("mse", passes[-1][1], Y), passes[0][0][1]


def test_update_page_2_doubles_the_rate_and_its_text_gives_the_numbers_of_both_rates():
    one_step, double_rate = load_lesson("update").tasks
    assert double_rate.id == "double-rate" and asked_phase(double_rate) == "update"
    assert load_lesson("update").pages[1].network.example == "backprop-4-2-3"  # not stacked on the first update
    half, loss_half, z12_half = updated_by_hand(0.5)
    whole, loss_whole, _ = updated_by_hand(1.0)
    d = by_hand_backprop_4_2_3()
    w2_11, b2_1 = whole.network.layers[1].weights[0, 0], whole.network.layers[1].bias[0]
    w1_24 = whole.network.layers[0].weights[1, 3]
    assert (w2_11, b2_1, w1_24) == pytest.approx((0.5 - 1 * d["δ2[1]"], 0.1 - 1 * d["δ2[1]"],
                                                  0.1 - 1 * d["∂L/∂W1[2,4]"]), abs=1e-12)
    assert check_task(double_rate, whole, window_phase="update").status == "pass"
    assert check_task(one_step, half, window_phase="update").status == "pass"
    assert check_task(double_rate, half, window_phase="update").lines == (  # α left at 0.5
        f"W2[1,1] = {number_text(0.5 - 0.5 * d['δ2[1]'])}, should be {number_text(w2_11)}",
        f"b2[1] = {number_text(0.1 - 0.5 * d['δ2[1]'])}, should be {number_text(b2_1)}",
        f"W1[2,4] = {number_text(0.1 - 0.5 * d['∂L/∂W1[2,4]'])}, should be {number_text(w1_24)}")
    # the numbers the page gives: the loss 0.2789 → 0.184 (0.2231 at α = 0.5); z1[2] 0.1 → −0.47 at α = 0.5
    assert (round(loss_whole, 4), round(loss_half, 4), round(z12_half, 2)) == (0.184, 0.2231, -0.47)


def drawn_stroke(vertical: bool = True) -> np.ndarray:
    """A stroke as the Draw pad gives it (fitted into 20×20 and centred): a vertical one is rows 4–23 of columns
    13–14, a horizontal one columns 4–23 of rows 13–14."""
    image = np.zeros((28, 28))
    image[4:24, 13:15] = 1.0
    return (image if vertical else image.T).reshape(784)


def by_hand(project: Project, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z1, a1 and ŷ of a 784-h-10 ReLU/softmax network for the image x, with plain numpy."""
    (w1, b1), (w2, b2) = [(layer.weights, layer.bias) for layer in project.network.layers]
    z1 = w1 @ x + b1
    a1 = np.maximum(z1, 0)
    z2 = w2 @ a1 + b2
    return z1, a1, np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()


def with_hidden_bias(project: Project, value: float, *units: int) -> Project:
    """b1[u] = value for each unit u (counted from 1, as the lesson names them)."""
    net = project.network
    bias = net.layers[0].bias.copy()
    bias[[u - 1 for u in units]] = value
    return project.replace(network=net.with_layer(0, net.layers[0].replace(bias=bias, bias_text={})))


def test_mnist_units_on_the_trained_example_has_the_numbers_its_text_gives():
    """Unit 28 of mnist-trained is the vertical-bar unit, and the numbers the lesson's text quotes are the example's."""
    example = load_example("mnist-trained")  # its input is a drawn 7
    (w1, b1), (w2, _) = [(layer.weights, layer.bias) for layer in example.network.layers]
    z1, a1, y = by_hand(example, drawn_stroke())
    assert int(np.argmax(a1)) + 1 == 28 and int(np.argmax(y)) == 1 and y[1] == pytest.approx(0.971, abs=1e-3)
    assert z1[27] == pytest.approx(3.0757, abs=1e-4) and b1[27] == 0.2338
    assert np.mean(w1[27][drawn_stroke() > 0]) == pytest.approx(0.07, abs=0.005)  # 40 pixels of ink on ~0.07 each
    assert int(np.sum(w1[27][drawn_stroke() > 0] < 0)) == 6  # of them on orange
    assert by_hand(example, drawn_stroke(vertical=False))[0][27] == pytest.approx(-0.12, abs=0.01)
    assert by_hand(example, example.input)[0][27] == pytest.approx(-1.138, abs=1e-3)
    assert by_hand(example, np.zeros(784))[1][27] == 0.2338  # an empty pad: the bias alone
    assert list(w2[1, [19, 27, 21]]) == [0.5152, 0.4891, 0.426]
    assert [j + 1 for j in np.argsort(-w2[1])[:3]] == [20, 28, 22]  # the digit 1's largest weights
    assert list(np.round(a1[[19, 27, 21]], 2)) == [2.9, 3.08, 1.99]  # and the stroke fires all three
    # so with b = −100, z < 0 for any drawing (pixels at most 1): units 20 and 22, and 28
    assert [round(w1[u][w1[u] > 0].sum(), 1) for u in (19, 21, 27)] == [14.1, 10.6, 10.4]
    _, a1_others, y_others = by_hand(with_hidden_bias(example, -100, 20, 22), drawn_stroke())
    assert a1_others[19] == a1_others[21] == 0 and a1_others[27] == a1[27]  # 28 fires on as before
    assert int(np.argmax(y_others)) == 1 and y_others[1] == pytest.approx(0.74, abs=5e-3)
    _, a1_off, y_off = by_hand(with_hidden_bias(example, -100, 28), drawn_stroke())  # 28 alone: still a 1
    assert a1_off[27] == 0 and int(np.argmax(y_off)) == 1 and y_off[1] == pytest.approx(0.67, abs=5e-3)
    _, _, y_three = by_hand(with_hidden_bias(example, -100, 28, 20, 22), drawn_stroke())
    assert int(np.argmax(y_three)) == 3 and y_three[3] == pytest.approx(0.43, abs=5e-3)
    assert y_three[1] == pytest.approx(0.31, abs=5e-3)


def test_mnist_units_passes_one_finished_file_and_names_what_is_wrong():
    """Every task passes on the learner's finished network (the stroke drawn, units 20 and 22 silenced), so a
    saved file can pass the whole lesson."""
    lesson = load_lesson("mnist-units")
    assert lesson.pages[0].network is not None and lesson.pages[0].network.example == "mnist-trained"
    assert [page.network for page in lesson.pages[1:]] == [None, None, None]  # the learner's network carries on
    draw_one, type_z, fire, others = lesson.tasks
    assert (draw_one.id, type_z.id, fire.id, others.id) == ("draw-one", "type-z", "make-it-fire", "silence-others")
    example = load_example("mnist-trained")  # its input is a drawn 7
    x = drawn_stroke()
    stroke = example.replace(input=x)
    z28 = float(by_hand(stroke, x)[0][27])
    finished = with_hidden_bias(stroke, -100, 20, 22)
    assert float(by_hand(finished, x)[0][27]) == z28  # silencing 20 and 22 leaves unit 28's z as it was
    for task in lesson.tasks:
        assert check_task(task, finished, {"z1[28]": z28}).status == "pass", task.id
    for task in (draw_one, type_z, fire):  # and the pages before it, on the stroke alone
        assert check_task(task, stroke, {"z1[28]": z28}).status == "pass", task.id
    # draw-one: the 7 is answered as a 7, the horizontal stroke as a 4
    assert check_task(draw_one, example).lines == ("the network answers 7 for the current input, should answer 1",)
    lying = example.replace(input=drawn_stroke(vertical=False))
    assert check_task(draw_one, lying).lines == ("the network answers 4 for the current input, should answer 1",)
    # type-z: any drawing, the 7 too; a slip is named with the typed value
    z7 = float(by_hand(example, example.input)[0][27])
    assert check_task(type_z, example, {"z1[28]": z7}).status == "pass"
    assert check_task(type_z, stroke, {"z1[28]": z28 + 0.01}).lines == (
        f"you typed z1[28] = {z28 + 0.01:.4f}; that is too high",)
    assert check_task(type_z, stroke).status == "not shown"
    # make-it-fire: the 7, a horizontal stroke and an empty pad leave unit 28 under 2
    assert check_task(fire, example).lines == ("a1[28](current input) is 0 but should be above 2",)
    assert check_task(fire, lying).lines == ("a1[28](current input) is 0 but should be above 2",)
    empty = example.replace(input=np.zeros(784))
    assert check_task(fire, empty).lines == ("a1[28](current input) is 0.2338 but should be above 2",)
    # silence-others: nothing silenced yet; only unit 20; 28 silenced too (the 1 is lost); done on the 7
    b1 = example.network.layers[0].bias
    assert (b1[19], b1[21]) == (0.1568, 0.4306)
    assert check_task(others, stroke).lines == ("b1[20] = 0.1568, should be −100", "b1[22] = 0.4306, should be −100")
    assert check_task(others, with_hidden_bias(stroke, -100, 20)).lines == ("b1[22] = 0.4306, should be −100",)
    three = with_hidden_bias(stroke, -100, 20, 22, 28)
    assert int(np.argmax(by_hand(three, x)[2])) == 3
    assert check_task(others, three).lines == ("a1[28](current input) is 0 but should be above 2",
                                               "the network answers 3 for the current input, should answer 1")
    assert check_task(others, with_hidden_bias(example, -100, 20, 22)).lines == (
        "a1[28](current input) is 0 but should be above 2",
        "the network answers 7 for the current input, should answer 1")
