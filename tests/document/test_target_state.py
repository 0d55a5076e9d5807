"""The document's target: none for a new network (the loss reads "—", a pass stops before the loss), known once
typed, refused by name when the loss can never take a typed value, and never "-0" for a zero loss."""

import math

import numpy as np
import pytest

from nnstudio.core.blueprint import Blueprint, build_project
from nnstudio.core.project import NO_TARGET
from nnstudio.core.stepper import Phase
from nnstudio.document import Document, EditError
from nnstudio.io import load_example


def _new_classifier() -> Document:
    doc = Document()
    doc.new_project(build_project(Blueprint((2, 3), ("softmax",), seed=1)))
    doc.set_input(0, "1")
    doc.set_input(1, "2")
    return doc


def test_a_new_network_shows_its_output_and_no_loss_until_a_target_is_typed():
    doc = _new_classifier()
    assert not doc.project.target_known and doc.trace is not None
    assert doc.loss is None and doc.loss_note == NO_TARGET
    shown = doc.shown()
    assert shown.output is not None and shown.loss is None and shown.summary().endswith("loss —")
    doc.set_target(1, "1")  # one typed value makes the target known: [0, 1, 0]
    assert doc.project.target_known and doc.project.target.tolist() == [0.0, 1.0, 0.0]
    assert doc.loss == pytest.approx(-math.log(doc.trace.output[1]), rel=1e-14) and doc.loss_note == ""
    doc.undo()
    assert not doc.project.target_known and doc.loss is None  # Undo puts "no target" back


def test_an_empty_document_has_no_target_and_adding_layers_keeps_it_so():
    doc = Document()
    assert not doc.project.target_known
    doc.add_layer(3, "relu")
    doc.add_layer(1, "sigmoid")
    assert not doc.project.target_known and doc.loss is None and doc.loss_note == NO_TARGET


def test_stepping_without_a_target_stops_before_the_loss_and_says_what_to_do():
    doc = _new_classifier()
    before = doc.project.network
    doc.stepping.start()
    while doc.stepping.forward():
        pass
    plan = doc.stepping.plan
    assert plan.step.phase == Phase.A and doc.project.network is before  # no update was taken
    shown = doc.shown()
    assert shown.output is not None and shown.loss is None and shown.loss_note == NO_TARGET
    assert shown.phase.endswith(NO_TARGET) and shown.summary().endswith("loss —")
    doc.stepping.run_to_end_of_backward()  # nowhere further to go, and no error
    assert plan.at_end()


def test_a_typed_target_the_loss_can_never_take_is_refused_by_name_and_changes_nothing():
    doc = Document(load_example("xor"))  # sigmoid output, binary cross-entropy
    before = doc.project
    with pytest.raises(EditError, match=r"^target −1 for binary cross-entropy: each target must lie in \[0, 1\]$"):
        doc.set_target(0, "-1")
    assert doc.project is before
    doc.set_target(0, "0.25")  # soft targets are fine for binary cross-entropy
    assert doc.project.target.tolist() == [0.25]


def test_an_output_activation_the_loss_refuses_shows_why_in_place_of_the_loss():
    doc = Document(load_example("xor"))
    doc.set_activation(2, "relu")
    assert doc.trace is not None and doc.loss is None
    assert doc.loss_note.startswith("binary cross-entropy after a relu output layer")
    doc.stepping.start()
    assert doc.stepping.plan.stopped == doc.loss_note


def test_an_all_zero_target_with_cross_entropy_reads_0_not_minus_0():
    doc = _new_classifier()
    for index in range(3):
        doc.set_target(index, "0")
    assert doc.loss == 0.0 and math.copysign(1.0, doc.loss) == 1.0
    assert "loss 0" in doc.shown().summary() and "-0" not in doc.shown().summary()
    doc.stepping.start()
    while doc.stepping.forward():
        pass
    assert doc.stepping.plan.step.phase == Phase.UPDATE
    np.testing.assert_array_equal(doc.project.network.layers[0].weights,
                                  doc.stepping.plan.passes[0].before.layers[0].weights)  # L = 0: nothing moves
