"""Checks evaluated against real networks, every expected number worked out here by hand (or numpy by hand), not
with the core's own trace."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.project import Project
from nnstudio.io import load_example
from nnstudio.lessons.check_types import (AccuracyCheck, ActivationCheck, AnswerCheck, BiasCheck, ClassCheck,
                                          InputsCheck, LayersCheck, LossCheck, OutputCheck, PhaseCheck, RowCheck,
                                          SizeCheck, UnitCheck, WeightCheck, answer_name)
from nnstudio.lessons.fields import CURRENT
from nnstudio.lessons.grading import (FAIL, NOT_SHOWN, PASS, answer_value, check_answer, check_failures, check_task,
                                      number_text)
from nnstudio.lessons.lesson_file import Task
from tests.support import reference

R2 = math.sqrt(2)
# The seeds' 2-3-1 network: ŷ(x) = (2 + √2)/2 · relu(m2·x − 1/√2), m2 = (1/√2, 1/√2).
Y_5_6 = (2 + R2) / 2 * max(0.0, (5 / 6 + 1 / 3) / R2 - 1 / R2)
Y_0_2 = (2 + R2) / 2 * (2 / R2 - 1 / R2)


@pytest.fixture(scope="module")
def cosine() -> Project:
    return load_example("cosine-memory")


def _with_bias(project: Project, layer: int, bias: list[float]) -> Project:
    net = project.network
    return project.replace(network=net.with_layer(layer, net.layers[layer].replace(bias=np.array(bias), bias_text={})))


def test_the_hand_worked_values_are_the_seeds():
    assert Y_5_6 == pytest.approx(0.2011844635, abs=1e-10)
    assert Y_0_2 == pytest.approx(1.2071067812, abs=1e-10)


def test_the_output_of_memory_two_passes_and_a_unit_length_violation_fails(cosine):
    assert check_failures(OutputCheck((5 / 6, 1 / 3), value=(0.2011844635,), tolerance=1e-9), cosine) == []
    assert check_failures(OutputCheck((5 / 6, 1 / 3), value=(0.2,), tolerance=1e-3), cosine) == [
        "ŷ(0.8333, 0.3333) is 0.2012 but should be 0.2"]
    assert check_failures(OutputCheck((0, 2), below=0.5), cosine) == ["ŷ(0, 2) is 1.2071 but should stay under 0.5"]
    assert check_failures(OutputCheck((0, 2), above=1.2), cosine) == []
    assert check_failures(OutputCheck((0, 2), above=1.25), cosine) == ["ŷ(0, 2) is 1.2071 but should be above 1.25"]
    assert check_failures(OutputCheck((0, 2, 1), below=0.5), cosine) == [
        "ŷ: the network takes 2 inputs, the task gives 3"]


def test_a_wrong_bias_fails_naming_the_neuron_and_both_values(cosine):
    wanted = BiasCheck(1, None, -0.7071067812, 1e-6)
    assert check_failures(wanted, cosine) == []
    wrong = _with_bias(cosine, 0, [0.0, -1 / R2, -0.5])
    assert check_failures(wanted, wrong) == ["b1[1] = 0, should be −0.7071", "b1[3] = −0.5, should be −0.7071"]
    assert check_failures(BiasCheck(1, 2, -0.7071067812, 1e-6), wrong) == []
    # Values that agree to 4 decimals are shown with as many as it takes to tell them apart.
    near = _with_bias(cosine, 0, [-0.70710, -1 / R2, -1 / R2])
    assert check_failures(wanted, near) == ["b1[1] = −0.7071, should be −0.707107"]
    assert check_failures(BiasCheck(2, None, 0, 1e-6), cosine) == []  # no bias adds nothing: b2 = 0
    assert check_failures(BiasCheck(2, 1, 0.5, 1e-6), cosine) == ["b2[1] = 0, should be 0.5 (layer 2 has no bias)"]
    assert check_failures(BiasCheck(1, 4, 0, 1e-6), cosine) == ["layer 1 has 3 neurons; there is no neuron 4"]


def test_weights_rows_and_the_shape_of_the_network(cosine):
    assert check_failures(WeightCheck(1, 2, 1, 1 / R2, 1e-9), cosine) == []
    assert check_failures(WeightCheck(1, 2, 1, 0.5, 1e-9), cosine) == ["W1[2,1] = 0.7071, should be 0.5"]
    assert check_failures(WeightCheck(1, 2, 3, 0.5, 1e-9), cosine) == ["W1 has 2 inputs; there is no input 3"]
    assert check_failures(RowCheck(1, 3, (0, 1), 1e-9), cosine) == []
    assert check_failures(RowCheck(1, 1, (0, 1), 1e-9), cosine) == ["W1[1] = (1, 0), should be (0, 1)"]
    assert check_failures(RowCheck(3, 1, (0, 1), 1e-9), cosine) == ["the network has no layer 3 (it has 2)"]
    assert check_failures(SizeCheck(1, 3), cosine) == []
    assert check_failures(SizeCheck(1, 2), cosine) == ["layer 1 has 3 neurons, should have 2"]
    assert check_failures(ActivationCheck(1, "relu"), cosine) == []
    assert check_failures(ActivationCheck(2, "sigmoid"), cosine) == ["layer 2's activation is relu, should be sigmoid"]
    assert check_failures(InputsCheck(2), cosine) == [] and check_failures(LayersCheck(2), cosine) == []
    assert check_failures(InputsCheck(3), cosine) == ["the network has 2 inputs, should have 3"]
    assert check_failures(LayersCheck(1), cosine) == ["the network has 2 layers, should have 1"]


def test_the_loss_is_the_networks_own(cosine):
    # mse: L = ½(y − ŷ)², at (0, 2) with y = 1: ½ · 0.2071067812².
    expected = 0.5 * (1 - Y_0_2) ** 2
    assert check_failures(LossCheck((0, 2), (1,), value=expected, tolerance=1e-12), cosine) == []
    assert check_failures(LossCheck((0, 2), (1,), below=0.01), cosine) == [
        "the loss (mse) at x = (0, 2), y = (1) is 0.0214 but should stay under 0.01"]
    assert f"{expected:.4f}" == "0.0214"


def _backprop_by_hand(project: Project, x: list[float], y: list[float]) -> dict[str, np.ndarray]:
    """relu hidden, sigmoid output, L = ½Σ(y − ŷ)²: every quantity by the textbook's rules (tests/support/reference.py,
    which shares no code with the core)."""
    passes, deltas, _ = reference.backward(reference.layers_of(project.network), np.array(x, float), y, "mse")
    (z1, a1), (z2, a2) = passes
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "d2": deltas[1], "d1": deltas[0], "gw1": np.outer(deltas[0], x),
            "gw2": np.outer(deltas[1], a1)}


def test_typed_answers_are_checked_against_hand_worked_backprop():
    project = load_example("backprop-4-2-3")
    x, y = [1, 0.5, -1, 2], [1, 0, 0]
    hand = _backprop_by_hand(project, x, y)
    assert hand["z2"] == pytest.approx([0.56, 0.18, -0.58])  # the guide's numbers
    cases = [
        (AnswerCheck("z", 1, 2, tuple(x), tolerance=1e-9), hand["z1"][1], "z1[2]"),
        (AnswerCheck("a", 2, 1, tuple(x), tolerance=1e-9), hand["a2"][0], "a2[1]"),
        (AnswerCheck("delta", 2, 3, tuple(x), tuple(y), tolerance=1e-9), hand["d2"][2], "δ2[3]"),
        (AnswerCheck("delta", 1, 1, tuple(x), tuple(y), tolerance=1e-9), hand["d1"][0], "δ1[1]"),
        (AnswerCheck("dL/dw", 1, 2, tuple(x), tuple(y), input=4, tolerance=1e-9), hand["gw1"][1, 3], "∂L/∂W1[2,4]"),
        (AnswerCheck("dL/dw", 2, 1, tuple(x), tuple(y), input=2, tolerance=1e-9), hand["gw2"][0, 1], "∂L/∂W2[1,2]"),
        (AnswerCheck("dL/db", 2, 1, tuple(x), tuple(y), tolerance=1e-9), hand["d2"][0], "∂L/∂b2[1]"),
    ]
    for check, value, name in cases:
        assert answer_name(check) == name
        assert check_answer(check, project, float(value)) == (), name
        assert check_answer(check, project, float(value) + 0.01) == (
            f"you typed {name} = {number_text(float(value) + 0.01)}; that is too high",)
        assert check_answer(check, project, float(value) - 0.01)[0].endswith("that is too low")
    assert check_answer(cases[0][0], project, math.nan) == ("you typed z1[2] = NaN; that is not a number",)


def test_a_task_passes_fails_or_is_not_shown_and_answers_are_keyed_by_quantity(cosine):
    answer = AnswerCheck("z", 1, 2, (0.0, 2.0), tolerance=1e-6)  # z1[2] = 2/√2 − 1/√2 = 1/√2
    task = Task("t", "Read memory 2", (OutputCheck((0, 2), below=2.0), answer, PhaseCheck("loss")))
    shown = check_task(task, cosine)
    assert (shown.task_id, shown.status) == ("t", NOT_SHOWN)
    assert shown.lines == ("the value typed for z1[2] (only the window can check this)",
                           "the step-through at its loss phase (only the window can check this)")
    assert check_task(task, cosine, {"z1[2]": 1 / R2}, "loss").status == PASS
    wrong = check_task(task, cosine, {"z1[2]": 0.5}, "forward")
    assert (wrong.status, wrong.lines) == (FAIL, ("you typed z1[2] = 0.5; that is too low",
                                                  "the step-through is at its forward phase, should be at loss"))
    failing = Task("u", "x", (OutputCheck((0, 2), below=0.5), PhaseCheck("loss")))
    assert check_task(failing, cosine) == check_task(failing, cosine, window_phase="loss")
    assert check_task(failing, cosine).status == FAIL  # a failure counts even beside what cannot be shown


def _xor_project(hidden_weights: list[list[float]], hidden_bias: list[float], out_weights: list[list[float]],
                 out_bias: list[float]) -> Project:
    layers = (DenseLayer(np.array(hidden_weights, float), np.array(hidden_bias, float), "tanh"),
              DenseLayer(np.array(out_weights, float), np.array(out_bias, float), "sigmoid"))
    return Project(Network(2, layers), loss="bce")


def test_accuracy_is_recomputed_from_the_weights_on_xor():
    # h1 = tanh(10(x1 + x2 − ½)) is "at least one", h2 = tanh(10(x1 + x2 − 3/2)) is "both";
    # ŷ = σ(10(h1 − h2) − 10): near 1 only for exactly one. By hand: (0,0) → σ(−10), (0,1) → σ(≈10), (1,1) → σ(−10).
    solved = _xor_project([[10, 10], [10, 10]], [-5, -15], [[10, -10]], [-10])
    assert check_failures(AccuracyCheck("xor", 1.0), solved) == []
    assert check_failures(AccuracyCheck("xor", 1.0, max_hidden_neurons=1), solved) == [
        "the hidden layers hold 2 neurons; at most 1 are allowed"]
    zeroed = _xor_project([[0, 0], [0, 0]], [0, 0], [[0, 0]], [0])
    # Every output is σ(0) = ½, which says class 1: right for (0,1) and (1,0) only.
    assert check_failures(AccuracyCheck("xor", 1.0), zeroed) == [
        "the accuracy on xor's test part is 50.00%, should be at least 100.00%"]
    assert check_failures(AccuracyCheck("xor", 0.5), zeroed) == []
    assert check_failures(AccuracyCheck("xor", 0.5), Project(Network(2, ()))) == ["the network has no layers yet, so no accuracy on xor"]
    assert check_failures(AccuracyCheck("circles", 0.5), load_example("backprop-4-2-3")) == [
        "the network takes 4 inputs but circles (test) has 2 features"]


def test_numbers_are_shown_with_a_real_minus_and_four_decimals():
    assert [number_text(v) for v in (0.0, -1 / R2, 1.2071067812, 0.5, 2.0, 1e-5, -3e7, math.inf)] == [
        "0", "−0.7071", "1.2071", "0.5", "2", "1e-05", "−3e+07", "∞"]


# --- the current input, and the class and unit checks ---------------------------------------------------------------

def _tiny(x: list[float], labels: tuple[str, ...] = (), normalisation: dict | None = None) -> Project:
    """2-2-3 by hand: a1 = relu(W1·x + b1) with W1 = [[1, 0], [0, 2]], b1 = (0, −1); ŷ = W2·a1 (identity) with
    W2 = [[1, 0], [0, 1], [1, −1]], no bias. For x = (3, 1): a1 = (3, 1), ŷ = (3, 1, 2), class 0; for x = (1, 1):
    a1 = (1, 1), ŷ = (1, 1, 0), a tie of classes 0 and 1."""
    layers = (DenseLayer(np.array([[1.0, 0], [0, 2]]), np.array([0.0, -1]), "relu"),
              DenseLayer(np.array([[1.0, 0], [0, 1], [1, -1]]), None, "identity"))
    return Project(Network(2, layers), input=np.array(x, float), output_labels=labels, normalisation=normalisation)


def test_the_class_is_the_largest_output_counted_from_0_and_a_tie_goes_to_the_first():
    three_one = _tiny([3, 1])
    assert check_failures(ClassCheck(CURRENT, 0), three_one) == []
    assert check_failures(ClassCheck(CURRENT, 2), three_one) == [
        "the network answers 0 for the current input, should answer 2"]
    assert check_failures(ClassCheck((1.0, 1.0), 0), three_one) == []  # ŷ = (1, 1, 0): the first of equals
    assert check_failures(ClassCheck((1.0, 1.0), 1), three_one) == ["the network answers 0 for (1, 1), should answer 1"]
    # x = (0, 3): a1 = (0, 5), ŷ = (0, 5, −5): class 1
    assert check_failures(ClassCheck((0.0, 3.0), 1), three_one) == []
    assert check_failures(ClassCheck(CURRENT, 3), three_one) == [
        "the network tells 3 classes apart (0 to 2); there is no class 3"]
    assert check_failures(ClassCheck((1.0, 2.0, 3.0), 0), three_one) == [
        "the class: the network takes 2 inputs, the task gives 3"]
    assert check_failures(ClassCheck(CURRENT, 0), Project(Network(2, ()))) == [
        "the network has no layers yet, so no answer"]


def test_a_class_is_named_by_the_files_labels_when_they_are_names():
    named = _tiny([3, 1], ("cat", "dog", "bird"))
    assert check_failures(ClassCheck(CURRENT, 1), named) == [
        "the network answers cat (class 0) for the current input, should answer dog (class 1)"]
    digits = _tiny([3, 1], ("0", "1", "2"))
    assert check_failures(ClassCheck(CURRENT, 2), digits) == [
        "the network answers 0 for the current input, should answer 2"]


def test_one_sigmoid_output_says_class_1_from_one_half_up():
    # ŷ = σ(x1 − x2): σ(0) = ½ is class 1, σ(−0.1) < ½ class 0
    one = Project(Network(2, (DenseLayer(np.array([[1.0, -1]]), None, "sigmoid"),)), input=np.array([2.0, 2.0]))
    assert check_failures(ClassCheck(CURRENT, 1), one) == []
    assert check_failures(ClassCheck((0.0, 0.1), 1), one) == ["the network answers 0 for (0, 0.1), should answer 1"]
    assert check_failures(ClassCheck(CURRENT, 2), one) == [
        "the network tells 2 classes apart (0 to 1); there is no class 2"]


def test_a_unit_check_reads_any_neurons_activation():
    project = _tiny([3, 1])  # a1 = (3, 1), a2 = ŷ = (3, 1, 2)
    assert check_failures(UnitCheck(1, 1, CURRENT, above=2.5), project) == []
    assert check_failures(UnitCheck(1, 2, CURRENT, above=2), project) == [
        "a1[2](current input) is 1 but should be above 2"]
    assert check_failures(UnitCheck(1, 2, CURRENT, below=1), project) == [
        "a1[2](current input) is 1 but should stay under 1"]
    assert check_failures(UnitCheck(2, 3, CURRENT, value=2.0), project) == []
    # x = (0.2, 0.4): z1[2] = 0.8 − 1 < 0, so a1[2] = 0
    assert check_failures(UnitCheck(1, 2, (0.2, 0.4), value=0.1, tolerance=1e-3), project) == [
        "a1[2](0.2, 0.4) is 0 but should be 0.1"]
    assert check_failures(UnitCheck(1, 3, CURRENT, value=0), project) == ["layer 1 has 2 neurons; there is no neuron 3"]
    assert check_failures(UnitCheck(3, 1, CURRENT, value=0), project) == ["the network has no layer 3 (it has 2)"]
    # values that agree to 4 decimals are shown with as many as it takes to tell them apart
    assert check_failures(UnitCheck(1, 2, (0.0, 1.00002), below=1.00001), project) == [
        "a1[2](0, 1) is 1.00004 but should stay under 1.00001"]


def test_the_current_input_is_normalised_as_the_canvas_feeds_it_and_a_listed_one_is_not():
    # standard normalisation (x − offset)/scale with offset (1, 1), scale (2, 4): the raw input (7, 9) is fed as
    # (3, 2), so a1 = (3, 3), ŷ = (3, 3, 0); the raw (7, 9) listed is fed as it is: a1 = (7, 17).
    norm = {"kind": "standard", "offset": np.array([1.0, 1.0]), "scale": np.array([2.0, 4.0])}
    project = _tiny([7, 9], normalisation=norm)
    fed = (np.array([7.0, 9.0]) - 1) / np.array([2.0, 4.0])
    assert fed.tolist() == [3, 2]
    assert check_failures(UnitCheck(1, 2, CURRENT, value=2 * 2 - 1), project) == []
    assert check_failures(UnitCheck(1, 2, (7.0, 9.0), value=2 * 9 - 1), project) == []
    assert check_failures(OutputCheck(CURRENT, value=(3, 3, 0)), project) == []
    assert check_failures(OutputCheck(CURRENT, below=2.5), project) == [
        "ŷ1(current input) is 3 but should stay under 2.5", "ŷ2(current input) is 3 but should stay under 2.5"]
    assert answer_value(AnswerCheck("z", 1, 2, CURRENT), project) == 2 * 2 - 1
    assert answer_value(AnswerCheck("z", 1, 2, (7.0, 9.0)), project) == 2 * 9 - 1
    assert check_answer(AnswerCheck("z", 1, 2, CURRENT, tolerance=1e-9), project, 3.0) == ()
    assert check_answer(AnswerCheck("z", 1, 2, CURRENT, tolerance=1e-9), project, 17.0) == (
        "you typed z1[2] = 17; that is too high",)


def _stroke() -> np.ndarray:
    """What the Draw pad makes of one vertical stroke (core/digits.py: mnist_like fits it into 20×20 and centres
    it): rows 4 to 23, columns 13 and 14 of the 28×28 image at full ink."""
    image = np.zeros((28, 28))
    image[4:24, 13:15] = 1.0
    return image.reshape(784)


def test_the_trained_mnist_units_for_a_drawn_stroke_worked_with_plain_numpy():
    project = load_example("mnist-trained").replace(input=_stroke())
    w1, b1 = project.network.layers[0].weights, project.network.layers[0].bias
    w2, b2 = project.network.layers[1].weights, project.network.layers[1].bias
    z1 = w1 @ _stroke() + b1
    a1 = np.maximum(z1, 0)
    answer = int(np.argmax(w2 @ a1 + b2))  # softmax keeps the order of its inputs
    assert a1[27] > 3 and answer == 1  # unit 28, the vertical bar, fires; the stroke is a 1
    assert check_failures(UnitCheck(1, 28, CURRENT, above=2), project) == []
    assert check_failures(UnitCheck(1, 28, CURRENT, value=float(a1[27]), tolerance=1e-12), project) == []
    assert check_failures(UnitCheck(1, 28, CURRENT, above=5), project) == [
        f"a1[28](current input) is {number_text(float(a1[27]))} but should be above 5"]
    dark = int(np.argmin(z1))  # a unit the stroke leaves at 0
    assert z1[dark] < 0 and check_failures(UnitCheck(1, dark + 1, CURRENT, value=0), project) == []
    assert check_answer(AnswerCheck("z", 1, 28, CURRENT, tolerance=1e-12), project, float(z1[27])) == ()
    assert check_failures(ClassCheck(CURRENT, 1), project) == []
    assert check_failures(ClassCheck(CURRENT, 7), project) == [
        "the network answers 1 for the current input, should answer 7"]
    empty = int(np.argmax(w2 @ np.maximum(b1, 0) + b2))  # an empty drawing: the biases alone
    assert check_failures(ClassCheck(tuple(np.zeros(784)), 3), project) == [
        f"the network answers {empty} for (0, 0, 0, 0, 0, 0, 0, 0, … (784 values)), should answer 3"]
    bias = b1.copy()
    bias[27] = -100.0  # unit 28 silenced: it never fires
    net = project.network
    silenced = project.replace(network=net.with_layer(0, net.layers[0].replace(bias=bias, bias_text={})))
    a1 = np.maximum(w1 @ _stroke() + bias, 0)
    assert a1[27] == 0 and check_failures(UnitCheck(1, 28, CURRENT, value=0), silenced) == []
    assert check_failures(ClassCheck(CURRENT, int(np.argmax(w2 @ a1 + b2))), silenced) == []


def test_a_neuron_check_on_a_convolution_or_pool_names_the_layer_and_the_checks_that_read_it():
    conv = load_example("conv-4x4")  # 1×4×4 → conv → max pool → one dense output, ŷ = 4 (docs/conv-worked-example.md)
    assert check_failures(UnitCheck(1, 1, CURRENT, value=0), conv) == [
        "layer 1 is a convolutional layer; check its maps with pixel, map or peak, its kernels with kernel"]
    assert check_failures(SizeCheck(2, 1), conv) == [
        "layer 2 is a pooling layer; check its maps with pixel, map or peak"]
    assert check_failures(BiasCheck(1, 1, 0.5, 1e-6), conv) == []  # a convolution's bias: one per kernel
    assert check_failures(BiasCheck(1, 2, 0.5, 1e-6), conv) == ["layer 1 has 1 kernel; there is no kernel 2"]
    assert check_failures(BiasCheck(1, None, 0, 1e-6), conv) == ["b1[1] = 0.5, should be 0"]
    assert check_failures(ActivationCheck(1, "relu"), conv) == []
    assert check_failures(BiasCheck(3, 1, 0.25, 1e-6), conv) == []  # the dense output layer is checked as always
    assert check_failures(LayersCheck(3), conv) == []
