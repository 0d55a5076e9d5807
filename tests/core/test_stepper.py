"""The step-through plan and its driver, against hand calculations."""

import math

import numpy as np
import pytest

from nnstudio.core.equations import delta_equation, forward_equations
from nnstudio.core.gradcheck import check_gradients
from nnstudio.core.memory import memory_rows, most_similar
from nnstudio.core.stepper import Phase, StepPlan
from nnstudio.document import Document
from nnstudio.io import load_example

R2 = math.sqrt(2)


def test_plan_order_fine_and_coarse():
    project = load_example("backprop-4-2-3")
    fine = [(s.phase, s.layer) for s in StepPlan(project).steps]
    assert fine == [(Phase.START, -1), (Phase.Z, 0), (Phase.A, 0), (Phase.Z, 1), (Phase.A, 1), (Phase.LOSS, -1),
                    (Phase.DELTA, 1), (Phase.GRADIENTS, 1), (Phase.DELTA, 0), (Phase.GRADIENTS, 0), (Phase.UPDATE, -1)]
    coarse = [s.phase for s in StepPlan(project, coarse=True).steps]
    assert coarse[:3] == [Phase.START, Phase.FORWARD, Phase.FORWARD]


def test_visibility_follows_the_step():
    plan = StepPlan(load_example("backprop-4-2-3"))
    plan.index = 1  # z of layer 1 only
    assert plan.z_visible(0) and not plan.a_visible(0) and not plan.z_visible(1)
    plan.index = 7  # gradients of the output layer
    assert plan.a_visible(1) and plan.loss_visible() and plan.delta_visible(1) and plan.gradients_visible(1)
    assert not plan.delta_visible(0)


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def test_stepping_to_the_update_changes_the_document_and_back_restores_it():
    doc = Document(load_example("backprop-4-2-3"))
    start = doc.project
    doc.stepping.start()
    while doc.stepping.forward():
        pass
    assert doc.stepping.plan.step.phase == Phase.UPDATE
    # Hand: output δ and the update of b2 (ReLU hidden a1 = (1.0, 0.1); lr 0.5).
    a2 = [_sigmoid(z) for z in (0.56, 0.18, -0.58)]
    d2 = [-(y - a) * a * (1 - a) for y, a in zip((1, 0, 0), a2)]
    np.testing.assert_allclose(doc.project.network.layers[1].bias, [b - 0.5 * d for b, d in zip((0.1, -0.2, 0), d2)],
                               atol=1e-12)
    assert doc.undo_stack.undo_text().startswith("Apply update")
    while doc.stepping.back():
        pass
    assert doc.project is start  # bit for bit: the very same object
    assert doc.stepping.plan.index == 0


def test_run_to_end_of_forward_and_backward():
    doc = Document(load_example("backprop-4-2-3"))
    doc.stepping.start()
    doc.stepping.run_to_end_of_forward()
    assert doc.stepping.plan.step == doc.stepping.plan.steps[4]
    doc.stepping.run_to_end_of_backward()
    assert doc.stepping.plan.step.phase == Phase.GRADIENTS and doc.stepping.plan.step.layer == 0
    doc.stepping.reset()
    assert doc.stepping.plan.index == 0


def test_sample_mode_is_per_sample_sgd_written_by_hand():
    project = load_example("cosine-memory")
    doc = Document(project)
    doc.stepping.start(use_samples=True)
    while doc.stepping.forward():
        pass
    # Hand-written per-sample SGD over the three samples, lr from the file (0.1).
    lr = project.optimizer.learning_rate
    W1 = [[1.0, 0.0], [1 / R2, 1 / R2], [0.0, 1.0]]
    b1 = [-1 / R2] * 3
    W2 = [0.0, (2 + R2) / 2, 0.0]
    losses = []
    for x, y in (((1, 0), 0.0), ((1 / R2, 1 / R2), 0.5), ((0, 2), 0.0)):
        z1 = [W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j] for j in range(3)]
        a1 = [max(0.0, v) for v in z1]
        z2 = sum(W2[j] * a1[j] for j in range(3))
        out = max(0.0, z2)
        losses.append(0.5 * (y - out) ** 2)
        d2 = -(y - out) * (1.0 if z2 > 0 else 0.0)
        d1 = [W2[j] * d2 * (1.0 if z1[j] > 0 else 0.0) for j in range(3)]
        W2 = [W2[j] - lr * d2 * a1[j] for j in range(3)]
        W1 = [[W1[j][i] - lr * d1[j] * x[i] for i in range(2)] for j in range(3)]
        b1 = [b1[j] - lr * d1[j] for j in range(3)]
    net = doc.project.network
    np.testing.assert_allclose(net.layers[0].weights, W1, atol=1e-12)
    np.testing.assert_allclose(net.layers[0].bias, b1, atol=1e-12)
    np.testing.assert_allclose(net.layers[1].weights[0], W2, atol=1e-12)
    assert doc.stepping.plan.losses() == pytest.approx(losses, abs=1e-12)
    assert len(doc.undo_stack) == 3  # one update per sample


def test_editing_a_weight_mid_step_resets_the_stepper():
    doc = Document(load_example("cosine-memory"))
    doc.stepping.start()
    doc.stepping.forward()
    doc.stepping.forward()
    doc.set_weight(1, 0, 0, "2")
    assert doc.stepping.plan.index == 0
    assert doc.stepping.plan.current.before.layers[0].weights[0, 0] == 2.0


def test_equations_of_hidden_neuron_1_of_the_worked_example():
    project = load_example("cosine-memory")
    plan = StepPlan(project)
    z, a = forward_equations(project.network, plan.current.trace, 0, 0)
    assert z == "z = 1·0.8333 + 0·0.3333 + (−0.7071) = 0.1262"
    assert a == "a = ReLU(0.1262) = 0.1262"
    # δ of the output (MSE, ReLU): −(y − ŷ)·g′(z) with y = 0, ŷ = 0.2012.
    out = delta_equation(project.network, plan.current.trace, plan.current.gradients, "mse", project.target, 1, 0)
    assert out == "δ = −(y − ŷ)·g′(z) = −(0 − 0.2012)·1 = 0.2012"
    hidden = delta_equation(project.network, plan.current.trace, plan.current.gradients, "mse", project.target, 0, 1)
    # δ_2 = w_12·δ_out·ReLU′(z_2) = 1.7071·0.2012·1 = 0.3434
    assert hidden.endswith(f"= {(2 + R2) / 2 * 0.2011844636:.4f}")


def test_memory_readings_are_the_cosines_of_the_rows():
    project = load_example("cosine-memory")
    plan = StepPlan(project)
    layer = project.network.layers[0]
    rows = memory_rows(layer, project.input, plan.current.trace.layers[0].a)
    x = (5 / 6, 1 / 3)
    norm_x = math.hypot(*x)
    expected = [x[0] / norm_x, (x[0] + x[1]) / R2 / norm_x, x[1] / norm_x]
    assert [r.cosine for r in rows] == pytest.approx(expected, abs=1e-12)
    assert rows[1].dot == pytest.approx((x[0] + x[1]) / R2, abs=1e-12)
    # (5/6, 1/3) lies 21.8° from m1 and 23.2° from m2: m1 is the most similar memory,
    # although the output comes from m2 (W2 reads only memory 2).
    assert math.degrees(math.acos(expected[0])) == pytest.approx(21.80, abs=0.01)
    assert math.degrees(math.acos(expected[1])) == pytest.approx(23.20, abs=0.01)
    assert most_similar(rows) == 0


def test_build_from_samples_reproduces_the_worked_example():
    doc = Document(load_example("cosine-memory"))
    reference = load_example("cosine-memory").network
    doc.set_weight(1, 0, 0, "5")  # spoil it first
    doc.build_from_samples("1/sqrt(2)")
    net = doc.project.network
    np.testing.assert_allclose(net.layers[0].weights, reference.layers[0].weights, atol=1e-15)
    np.testing.assert_array_equal(net.layers[0].bias, reference.layers[0].bias)
    assert net.layers[0].bias_text[0] == "-1/sqrt(2)"
    np.testing.assert_allclose(net.layers[1].weights, reference.layers[1].weights, atol=1e-12)
    assert net.layers[1].bias is None
    doc.undo_stack.undo()
    assert doc.project.network.layers[0].weights[0, 0] == 5.0


def test_gradient_check_agrees_on_the_examples():
    for name in ("cosine-memory", "backprop-4-2-3", "xor"):
        result = check_gradients(load_example(name))
        assert result.max_relative_error < 1e-6, (name, result)
        assert result.checked == result.total


def test_a_pooling_layers_gradients_step_says_where_delta_goes():
    """A pooling layer has no ∂L/∂W, ∂L/∂b: its GRADIENTS step says so and where δ went (max: to the first maximum
    of each window; mean: δ/size² to every cell), never "gradients" or a bare "no parameters"."""
    from nnstudio.core.architecture import parse_architecture
    from nnstudio.core.architecture_build import build_from_architecture
    from nnstudio.core.stepper import phase_label

    lenet = StepPlan(load_example("lenet"))
    said = {s.layer + 1: s.describe(1, lenet.project.network) for s in lenet.steps if s.phase == Phase.GRADIENTS}
    assert said[4] == "layer 4: max pooling has no parameters: δ passes to the first maximum of each window"
    assert said[2] == "layer 2: max pooling has no parameters: δ passes to the first maximum of each window"
    assert said[3] == "layer 3: gradients" and said[5] == "layer 5: gradients"  # layers with parameters keep theirs
    mean = build_from_architecture(parse_architecture("1x6x6-c2k3-a2-3"), seed=0).layers[1]
    assert phase_label(mean, Phase.GRADIENTS) == \
        "mean pooling has no parameters: δ/4 passes to every cell of each window"
    assert phase_label(mean, Phase.DELTA) == "δ"
