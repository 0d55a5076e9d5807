"""No target is a state of its own, and what a loss refuses is refused by name (docs/losses.md).

A new network has no target, and its step plan stops after the forward pass with a message saying what
to do; an explicit target (even all zeros) counts. A typed value a loss can never take is refused with
a message naming the loss; a whole target the loss refuses stops the plan before the loss, by name.
"""

import math

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, backward, forward
from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project
from nnstudio.core.equations import delta_equation
from nnstudio.core.errors import LossError
from nnstudio.core.losses import get_loss
from nnstudio.core.project import NO_TARGET, Project, Sample
from nnstudio.core.stepper import Phase, StepPlan
from nnstudio.io import load_example


def _softmax_net() -> Network:
    return Network(2, (DenseLayer(np.array([[0.5, -0.25], [0.75, 0.5], [-1.0, 0.25]]), np.array([0.1, 0.0, -0.1]),
                                  "softmax"),))


def test_a_new_network_has_no_target_and_a_given_target_counts():
    assert not build_project(Blueprint((2, 3), ("softmax",))).target_known
    assert not Project(_softmax_net(), loss="cce").target_known
    assert Project(_softmax_net(), loss="cce", target=np.zeros(3)).target_known  # all zeros, given: a target
    unknown = Project(_softmax_net(), loss="cce")
    assert not unknown.replace(input=np.array([1.0, 2.0])).target_known  # other edits keep the state
    assert unknown.replace(target=np.array([0.0, 1.0, 0.0]), target_known=True).target_known


def test_without_a_target_the_plan_stops_after_the_forward_pass_and_says_what_to_do():
    project = Project(_softmax_net(), loss="cce", input=np.array([1.0, 2.0]))
    plan = StepPlan(project)
    assert [(s.phase, s.layer) for s in plan.steps] == [(Phase.START, -1), (Phase.Z, 0), (Phase.A, 0)]
    assert plan.stopped == NO_TARGET == "type a target to compute the loss and δ"
    assert plan.passes[0].gradients is None and plan.passes[0].after is project.network  # nothing would change
    plan.index = len(plan.steps) - 1
    assert plan.a_visible(0) and not plan.loss_visible() and plan.losses() == [None] and plan.stops_here()
    assert plan.end_of_backward() == plan.index  # Backward ▶▶ has nowhere further to go
    coarse = StepPlan(project, coarse=True)
    assert [s.phase for s in coarse.steps] == [Phase.START, Phase.FORWARD]


def test_a_target_the_loss_refuses_stops_the_plan_before_the_loss_by_name():
    project = Project(_softmax_net(), loss="cce", input=np.array([1.0, 2.0]), target=np.array([0.5, -1.0, 0.5]))
    plan = StepPlan(project)
    assert plan.steps[-1].phase == Phase.A and plan.passes[0].gradients is None
    assert plan.stopped.startswith("target −1 for categorical cross-entropy: a target may not be negative")


def test_stepping_samples_stops_at_the_first_sample_whose_target_is_refused():
    project = load_example("cosine-memory")
    net = project.network.with_layer(1, project.network.layers[1].replace(activation="sigmoid"))
    samples = list(project.samples)
    samples[1] = Sample(samples[1].name, samples[1].input, np.array([2.0]))
    plan = StepPlan(project.replace(network=net, loss="bce", samples=tuple(samples)), use_samples=True)
    assert len(plan.passes) == 2 and plan.passes[0].gradients is not None and plan.passes[1].gradients is None
    assert plan.stopped == f"{samples[1].name}: target 2 for binary cross-entropy: each target must lie in [0, 1]"
    assert [s.phase for s in plan.steps if s.sample == 1][-1] == Phase.A
    assert plan.passes[1].before is plan.passes[0].after  # the first sample's update still happens


@pytest.mark.parametrize("loss, value, message", [
    ("bce", -1.0, "target −1 for binary cross-entropy: each target must lie in [0, 1]"),
    ("bce", 1.5, "target 1.5 for binary cross-entropy: each target must lie in [0, 1]"),
    ("cce", -0.5, "target −0.5 for categorical cross-entropy: a target may not be negative"),
    ("sparse_cce", 0.5, "target 0.5 for sparse categorical cross-entropy: each target is 0 or 1"),
])
def test_a_typed_value_the_loss_can_never_take_is_refused_by_name(loss, value, message):
    with pytest.raises(LossError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        get_loss(loss).check_value(value)


@pytest.mark.parametrize("loss, value", [("mse", -7.0), ("mse", 1e300), ("bce", 0.0), ("bce", 1.0), ("cce", 3.0),
                                         ("sparse_cce", 1.0)])
def test_values_the_loss_takes_are_not_refused(loss, value):
    get_loss(loss).check_value(value)


def test_sparse_cross_entropy_takes_a_one_hot_row_as_its_class_and_refuses_other_rows_by_name():
    net = _softmax_net()
    trace = forward(net, [1.0, 2.0])
    as_row = backward(net, trace, [0.0, 0.0, 1.0], "sparse_cce")
    as_index = backward(net, trace, np.array(2), "sparse_cce")
    assert as_row.loss == as_index.loss
    np.testing.assert_array_equal(as_row.layers[0].grad_weights, as_index.layers[0].grad_weights)
    a = trace.output
    assert as_row.loss == pytest.approx(-math.log(a[2]), rel=1e-14)
    with pytest.raises(LossError, match=r"target \[1, 1, 0\] for sparse categorical cross-entropy: the target must "
                                        "name one class"):
        backward(net, trace, [1.0, 1.0, 0.0], "sparse_cce")


def test_a_new_network_with_a_loss_its_output_cannot_take_is_refused_by_name():
    with pytest.raises(BlueprintError, match="categorical cross-entropy after a relu output layer"):
        build_project(Blueprint((2, 3), ("relu",), loss="cce"))
    with pytest.raises(BlueprintError, match="binary cross-entropy after a tanh output layer"):
        build_project(Blueprint((2, 3), ("tanh",), loss="bce"))


def test_the_step_dock_writes_the_output_delta_it_computes():
    # softmax + CE with a target summing to 3: δ = ŷ·Σy − y, not ŷ − y
    net = _softmax_net()
    trace = forward(net, [1.0, 2.0])
    y = np.array([0.0, 2.0, 1.0])
    grads = backward(net, trace, y, "cce")
    a = trace.output
    assert grads.layers[0].delta[1] == pytest.approx(a[1] * 3 - 2, rel=1e-14)
    assert delta_equation(net, trace, grads, "cce", y, 0, 1).startswith("δ = ŷ·Σy − y = ")
    sigmoid = Network(2, (net.layers[0].replace(activation="sigmoid"),))
    trace = forward(sigmoid, [1.0, 2.0])
    grads = backward(sigmoid, trace, y, "cce")
    assert grads.layers[0].delta[1] == pytest.approx(-2 * (1 - trace.output[1]), rel=1e-14)
    assert delta_equation(sigmoid, trace, grads, "cce", y, 0, 1).startswith("δ = −y·(1 − ŷ) = ")
