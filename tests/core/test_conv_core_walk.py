"""The rest of the Qt-free core walks convolutional networks: the step-through plan, the gradient check and
fresh weights work on maps; the equations and the memory reading, which are a dense neuron's, refuse by name.

The numbers are the 1×4×4 worked example's, worked by hand in tests/core/test_conv_network.py, and the frozen
PyTorch oracle's one-sample network (tests/core/conv_network_table_torch.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core import gradcheck
from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.equations import (
    delta_equation,
    forward_equations,
    gradient_equations,
    neuron_equations,
    update_equations,
)
from nnstudio.core.errors import NNStudioError
from nnstudio.core.gradcheck import check_gradients
from nnstudio.core.init import initial_kernel, initial_weights, reinitialise
from nnstudio.core.memory import memory_rows
from nnstudio.core.network import Conv2DLayer, DenseLayer, Network, Pool2DLayer
from nnstudio.core.optim import OptimizerConfig, apply_update
from nnstudio.core.project import Project, Sample
from nnstudio.core.stepper import Phase, StepPlan
from nnstudio.core.trace import Gradients, LayerGradients, backward, forward
from nnstudio.document import Document
from tests.core.make_conv_network_table_torch import ADAM_RATE, SGD_RATE
from tests.core.test_conv_network import X, worked_example
from tests.core.test_conv_network_oracle import build

ORACLE = json.loads(Path(__file__).with_name("conv_network_table_torch.json").read_text(encoding="utf-8"))["cases"]
ONE_SAMPLE = next(entry for name, entry in ORACLE.items() if name.startswith("one sample"))


def _worked_project(rate: float = 0.1) -> Project:
    return Project(worked_example(), "mse", OptimizerConfig("sgd", learning_rate=rate), input=X.ravel(),
                   target=np.array([2.0]))


def _small(seed: int = 3) -> Network:
    """1×4×4 → 2 kernels 3×3 with padding 1 (ReLU) → 2×4×4 → 2×2 max pool → 2×2×2 → 3 (identity)."""
    return build_from_architecture(parse_architecture("1x4x4-c2k3p1-m2-3"), "relu", "identity", "he", seed)


def _parameters(network: Network) -> list[np.ndarray | None]:
    return [array for layer in network.layers for array in layer.parameters()]


def test_the_plan_steps_the_worked_example_to_the_update_worked_by_hand():
    plan = StepPlan(_worked_project())
    assert [(s.phase, s.layer) for s in plan.steps] == [
        (Phase.START, -1), (Phase.Z, 0), (Phase.A, 0), (Phase.Z, 1), (Phase.A, 1), (Phase.Z, 2), (Phase.A, 2),
        (Phase.LOSS, -1), (Phase.DELTA, 2), (Phase.GRADIENTS, 2), (Phase.DELTA, 1), (Phase.GRADIENTS, 1),
        (Phase.DELTA, 0), (Phase.GRADIENTS, 0), (Phase.UPDATE, -1)]
    passed = plan.passes[0]
    assert passed.trace.output.tolist() == [4.0] and passed.gradients.loss == 2.0  # ½(2 − 4)²
    conv = passed.gradients.layers[0]
    assert conv.delta.tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0]  # δ reaches only the pixel the pool chose
    assert conv.grad_weights.tolist() == [[[[2, 0], [1, 3]]]] and conv.grad_bias.tolist() == [1.0]
    # K ← K − 0.1·∂L/∂K, b ← b − 0.1·1; the dense w ← 0.5 − 0.1·15, b ← 0.25 − 0.1·2; the pool holds nothing
    new_conv, new_pool, new_out = passed.after.layers
    np.testing.assert_allclose(new_conv.kernel, [[[[0.8, 0.0], [-1.1, 1.7]]]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_conv.bias, [0.4], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_out.weights, [[-1.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_out.bias, [0.05], rtol=0, atol=1e-15)
    assert new_pool is passed.before.layers[1]
    # the steps are named in the words of their layer
    plan.index = 1
    assert plan.describe_step() == "layer 1: z = K ⋆ a + b"
    plan.index = 3
    assert plan.describe_step() == "layer 2: z = max of each window"
    plan.index = 4
    assert plan.describe_step() == "layer 2: a = z (no activation)"
    plan.index = 5
    assert plan.describe_step() == plan.step.describe() == "layer 3: z = W·a + b"


@pytest.mark.parametrize("rule, rate", [("sgd", SGD_RATE), ("adam", ADAM_RATE)])
def test_the_plan_gives_pytorchs_gradients_and_update_for_the_oracles_one_sample_network(rule, rate):
    network = build(ONE_SAMPLE)
    x = np.asarray(ONE_SAMPLE["x"], dtype=np.float64)[0].ravel()  # (C, H, W) flattened in that order
    project = Project(network, ONE_SAMPLE["case"]["loss"], OptimizerConfig(rule, learning_rate=rate),
                      input=x, target=np.asarray(ONE_SAMPLE["y"][0]))
    plan = StepPlan(project)
    passed = plan.passes[0]
    assert abs(passed.gradients.loss - ONE_SAMPLE["loss"]) <= 1e-10
    for index, (layer, grads) in enumerate(zip(network.layers, passed.gradients.layers)):
        np.testing.assert_allclose(grads.delta, np.asarray(ONE_SAMPLE["delta"][index])[0], rtol=0, atol=1e-10)
        if isinstance(layer, Pool2DLayer):
            assert ONE_SAMPLE["grad"][index] == [] and grads.grad_weights is None and grads.grad_bias is None
            continue
        for mine, torch_value in zip((grads.grad_weights, grads.grad_bias), ONE_SAMPLE["grad"][index]):
            np.testing.assert_allclose(mine, torch_value, rtol=0, atol=1e-10)
    for layer, expected in zip(passed.after.layers, ONE_SAMPLE[rule]):
        for mine, torch_value in zip(layer.parameters(), expected):
            np.testing.assert_allclose(mine, torch_value, rtol=0, atol=1e-10)


def test_per_sample_stepping_of_a_conv_network_is_the_direct_chain_of_updates():
    network = _small()
    rng = np.random.default_rng(8)
    samples = tuple(Sample(f"s{k}", rng.integers(-2, 3, 16).astype(float), rng.normal(0, 1, 3)) for k in range(3))
    config = OptimizerConfig("momentum", learning_rate=0.05)
    plan = StepPlan(Project(network, "mse", config, samples=samples), use_samples=True)
    expected, state = network, None
    for sample, passed in zip(samples, plan.passes, strict=True):
        assert passed.before.same_as(expected)
        grads = backward(expected, forward(expected, sample.input), sample.target, "mse")
        expected, state = apply_update(expected, grads, config, state)
        for mine, direct in zip(_parameters(passed.after), _parameters(expected)):
            assert (mine is None and direct is None) or np.array_equal(mine, direct)
    assert [s.phase for s in plan.steps].count(Phase.UPDATE) == 3


def test_stepping_a_conv_document_to_the_update_and_back_restores_every_parameter_bit_for_bit():
    doc = Document(_worked_project())
    start = doc.project
    kernel_before = np.array(start.network.layers[0].kernel)
    doc.stepping.start()
    while doc.stepping.forward():
        pass
    assert doc.stepping.plan.step.phase == Phase.UPDATE
    np.testing.assert_allclose(doc.project.network.layers[0].kernel, [[[[0.8, 0.0], [-1.1, 1.7]]]], atol=1e-15)
    while doc.stepping.back():
        pass
    assert doc.project is start and doc.stepping.plan.index == 0
    assert np.array_equal(doc.project.network.layers[0].kernel, kernel_before)
    assert all(np.array_equal(a, b) for a, b in zip(_parameters(doc.project.network), _parameters(worked_example()))
               if a is not None)


def test_the_gradient_check_covers_kernels_and_conv_biases_and_skips_pooling():
    project = Project(_small(), "mse", input=np.random.default_rng(1).normal(0, 1, 16), target=np.array([1.0, -1, 0]))
    result = check_gradients(project)
    # 2 kernels of 1×3×3 and 2 biases, nothing of the pool, the dense layer's 3×8 weights (as for any dense layer)
    assert result.total == result.checked == 2 * 9 + 2 + 3 * 8
    assert result.max_relative_error < 1e-6, result


def test_the_gradient_check_finds_a_wrong_kernel_gradient_and_names_it(monkeypatch):
    project = _worked_project()

    def planted(network, trace, y, loss):  # type: ignore[no-untyped-def]
        right = backward(network, trace, y, loss)
        conv = right.layers[0]
        wrong = np.array(conv.grad_weights)
        wrong[0, 0, 1, 1] += 0.5  # ∂L/∂K[2, 2] should be 3
        layers = (LayerGradients(conv.delta, wrong, conv.grad_bias, conv.signal),) + right.layers[1:]
        return Gradients(right.loss, layers)

    monkeypatch.setattr(gradcheck, "backward", planted)
    result = check_gradients(project)
    assert result.max_relative_error > 0.1
    assert result.worst.startswith("K1,1,2,2 of layer 1 (backprop 3.5, difference 3")


def test_the_gradient_check_names_a_wrong_conv_bias(monkeypatch):
    def planted(network, trace, y, loss):  # type: ignore[no-untyped-def]
        right = backward(network, trace, y, loss)
        conv = right.layers[0]
        layers = (LayerGradients(conv.delta, conv.grad_weights, conv.grad_bias * 2, conv.signal),) + right.layers[1:]
        return Gradients(right.loss, layers)

    monkeypatch.setattr(gradcheck, "backward", planted)
    assert check_gradients(_worked_project()).worst.startswith("b1 of layer 1 (backprop 2, difference 1")


def test_reinitialise_keeps_the_shapes_draws_kernels_seeded_and_leaves_pooling_alone():
    network = _small(seed=3)
    fresh = reinitialise(network, 11)
    assert fresh.input_shape == network.input_shape == (1, 4, 4)
    conv, pool, dense = fresh.layers
    assert isinstance(conv, Conv2DLayer) and isinstance(pool, Pool2DLayer) and isinstance(dense, DenseLayer)
    assert pool is network.layers[1]
    assert conv.kernel.shape == (2, 1, 3, 3) and conv.bias.tolist() == [0.0, 0.0] and dense.weights.shape == (3, 8)
    assert not np.array_equal(conv.kernel, network.layers[0].kernel)
    again = reinitialise(network, 11)
    assert again.same_as(fresh)  # same seed, same network, bit for bit
    assert not reinitialise(network, 12).same_as(fresh)
    # He with fan-in C·k² for the ReLU convolution (as `nnstudio new` draws one), Xavier for the identity output,
    # from one generator in layer order; the pool draws nothing
    rng = np.random.default_rng(11)
    np.testing.assert_array_equal(conv.kernel, initial_kernel((2, 1, 3, 3), "he", rng))
    np.testing.assert_array_equal(dense.weights, initial_weights((3, 8), "xavier", rng))  # identity: Xavier
    assert reinitialise(network.astype("float32"), 11).dtype == np.float32


def test_the_equations_refuse_a_convolution_and_a_pooling_layer_by_name():
    project = _worked_project()
    plan = StepPlan(project)
    plan.index = len(plan.steps) - 1
    passed = plan.passes[0]
    net, trace, grads = passed.before, passed.trace, passed.gradients
    with pytest.raises(NNStudioError, match="layer 1 is a convolution: its equations are not written out"):
        forward_equations(net, trace, 0, 0)
    with pytest.raises(NNStudioError, match="layer 2 is a pooling layer"):
        gradient_equations(net, trace, grads, 1, 0)
    with pytest.raises(NNStudioError, match="layer 1 is a convolution"):
        update_equations(passed.before, passed.after, grads, 0, 0, 0.1, "sgd")
    with pytest.raises(NNStudioError, match="layer 2 is a pooling layer"):
        neuron_equations(plan, trace, net, 1, 0, "mse", project.target)
    with pytest.raises(NNStudioError, match="layer 1 is a convolution"):
        delta_equation(net, trace, grads, "mse", project.target, 0, 0)
    # the dense output layer still has its formulas, with the worked example's numbers
    assert forward_equations(net, trace, 2, 0) == ["z = 0.5·7.5 + 0.25 = 4", "a = Identity(4) = 4"]
    assert delta_equation(net, trace, grads, "mse", project.target, 2, 0).endswith("= 2")
    lines = neuron_equations(plan, trace, net, 2, 0, "mse", project.target)  # at the update: every formula
    assert lines[:2] == ["z = 0.5·7.5 + 0.25 = 4", "a = Identity(4) = 4"] and "b_1: 0.25 → 0.05" in lines


def test_the_memory_reading_refuses_a_spatial_layer_by_name():
    network = worked_example()
    trace = forward(network, X.ravel())
    with pytest.raises(NNStudioError, match="layer 1 is a convolution: the memory reading is of a dense"):
        memory_rows(network.layers[0], trace.layers[0].a_prev, trace.layers[0].a, "layer 1")
    with pytest.raises(NNStudioError, match="the layer is a pooling layer"):
        memory_rows(network.layers[1], trace.layers[1].a_prev, trace.layers[1].a)
    rows = memory_rows(network.layers[2], trace.layers[2].a_prev, trace.layers[2].a, "layer 3")
    assert [(r.dot, r.output) for r in rows] == [(0.5 * 7.5, 4.0)]
