"""The document and its undo commands, without a display."""

import math

import numpy as np
import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.core.trace import forward
from nnstudio.document import Document, EditError, ViewsFailed
from nnstudio.io import NetworkFileError, load_example

R2 = math.sqrt(2)


def build_cosine_memory(doc: Document) -> None:
    """The worked example typed in by hand, one edit at a time."""
    doc.add_layer(3, "relu")
    doc.add_layer(1, "relu")
    doc.set_bias_enabled(2, False)
    for (i, j), text in {(0, 0): "1", (0, 1): "0", (1, 0): "1/sqrt(2)", (1, 1): "1/sqrt(2)",
                         (2, 0): "0", (2, 1): "1"}.items():
        doc.set_weight(1, i, j, text)
    for i in range(3):
        doc.set_bias(1, i, "-1/sqrt(2)")
    for j, text in enumerate(["0", "(2+sqrt(2))/2", "0"]):
        doc.set_weight(2, 0, j, text)
    doc.set_input(0, "5/6")
    doc.set_input(1, "1/3")


def test_building_the_worked_example_by_hand_gives_its_output():
    doc = Document()
    build_cosine_memory(doc)
    h2 = max(0.0, (5 / 6 + 1 / 3) / R2 - 1 / R2)
    assert doc.trace.output[0] == pytest.approx((2 + R2) / 2 * h2, abs=1e-12)
    layer = doc.project.network.layers[0]
    assert layer.weight_text[(1, 0)] == "1/sqrt(2)"
    assert (0, 0) not in layer.weight_text  # a plain number keeps no text
    assert doc.project.input_text == ("5/6", "1/3")
    assert doc.project.network.same_as(load_example("cosine-memory").network)  # values and typed text
    np.testing.assert_array_equal(layer.weights, load_example("cosine-memory").network.layers[0].weights)


def test_undo_everything_returns_to_empty_and_redo_to_finished():
    doc = Document()
    empty = doc.project
    build_cosine_memory(doc)
    finished = doc.project
    steps = len(doc.undo_stack)
    assert steps == 17
    while doc.undo_stack.can_undo():
        doc.undo_stack.undo()
    assert doc.project.network.same_as(empty.network) and doc.project.network.layers == ()
    np.testing.assert_array_equal(doc.project.input, empty.input)
    assert not doc.modified
    while doc.undo_stack.can_redo():
        doc.undo_stack.redo()
    assert doc.project.network.same_as(finished.network)
    assert doc.project.input_text == finished.input_text
    assert doc.trace.output[0] == pytest.approx(0.2011844636, abs=1e-9)


def test_resize_keeps_existing_weights_and_fits_everything_else():
    doc = Document(load_example("cosine-memory"))
    before = doc.project.network
    doc.resize_column(1, 5)
    after = doc.project.network
    assert after.sizes == [2, 5, 1]
    np.testing.assert_array_equal(after.layers[0].weights[:3], before.layers[0].weights)
    np.testing.assert_array_equal(after.layers[1].weights[:, :3], before.layers[1].weights)
    np.testing.assert_array_equal(after.layers[0].bias, list(before.layers[0].bias) + [0, 0])
    assert after.layers[0].weight_text[(1, 0)] == "1/sqrt(2)"
    doc.resize_column(0, 3)  # input grows: samples and input grow with it
    assert doc.project.input.shape == (3,)
    assert all(s.input.shape == (3,) for s in doc.project.samples)
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.project.network.same_as(before)


def test_insert_and_remove_between_layers():
    doc = Document(load_example("backprop-4-2-3"))
    doc.insert_layer(2, 5, "tanh")
    assert doc.project.network.sizes == [4, 2, 5, 3]
    assert doc.project.network.layers[1].activation == "tanh"
    doc.remove_layer(2)
    assert doc.project.network.sizes == [4, 2, 3]
    doc.remove_layer(2)  # the output layer: the target shrinks to the new output
    assert doc.project.network.sizes == [4, 2]
    assert doc.project.target.shape == (2,)
    with pytest.raises(EditError):
        doc.remove_layer(0)


def test_invalid_text_is_refused_and_changes_nothing():
    doc = Document(load_example("cosine-memory"))
    before = doc.project
    for call in (lambda: doc.set_weight(1, 0, 0, "1/"), lambda: doc.set_input(0, "sqrt(-1)"),
                 lambda: doc.paste_block(1, 0, 0, [["1", "2"], ["3", "oops"]]),
                 lambda: doc.paste_block(1, 2, 0, [["1"], ["2"]]), lambda: doc.set_bias(2, 0, "1")):
        with pytest.raises(NNStudioError):
            call()
        assert doc.project is before
    assert len(doc.undo_stack) == 0


def test_paste_block_with_bias_column_is_one_command():
    doc = Document(load_example("backprop-4-2-3"))
    doc.paste_block(2, 1, 1, [["0.5", "-1/4"], ["2", "3"]])
    layer = doc.project.network.layers[1]
    assert layer.weights[1, 1] == 0.5 and layer.bias[1] == -0.25 and layer.bias_text[1] == "-1/4"
    assert layer.weights[2, 1] == 2.0 and layer.bias[2] == 3.0
    assert len(doc.undo_stack) == 1
    doc.undo_stack.undo()
    assert doc.project.network.same_as(load_example("backprop-4-2-3").network)


class Heard:
    """A listener whose bound method the signal holds weakly (the test keeps the object alive)."""

    def __init__(self) -> None:
        self.values: list = []

    def hear(self, value) -> None:
        self.values.append(value)


def test_modified_state_follows_saves_and_undo(tmp_path):
    doc = Document(load_example("xor"))
    seen = Heard()
    doc.modified_changed.connect(seen.hear)
    doc.set_input(0, "0")
    assert doc.modified and seen.values == [True]
    doc.save(tmp_path / "x.nnstudio")
    assert not doc.modified and doc.display_name == "x.nnstudio"
    doc.undo_stack.undo()
    assert doc.modified
    doc.undo_stack.redo()
    assert not doc.modified


def test_failed_open_leaves_the_document_intact(tmp_path):
    doc = Document(load_example("cosine-memory"))
    doc.set_input(0, "1")
    before = doc.project
    bad = tmp_path / "bad.nnstudio"
    bad.write_text("{ not json")
    with pytest.raises(NetworkFileError):
        doc.open(bad)
    assert doc.project is before and doc.modified


def test_open_save_reopen_is_identical(tmp_path):
    doc = Document()
    build_cosine_memory(doc)
    doc.move_columns([(0, 0), (250, 10), (500, -20)])
    doc.save(tmp_path / "mine.nnstudio")
    again = Document()
    again.open(tmp_path / "mine.nnstudio")
    assert again.project.network.same_as(doc.project.network)
    assert again.project.layout == ((0, 0), (250, 10), (500, -20))
    assert again.project.input_text == ("5/6", "1/3")


def test_signals_tell_views_what_changed():
    doc = Document(load_example("cosine-memory"))
    kinds = Heard()
    doc.changed.connect(kinds.hear)
    doc.set_weight(1, 0, 0, "2")
    doc.resize_column(1, 4)
    doc.set_input(0, "1")
    doc.use_sample(1)
    assert kinds.values == ["values", "structure", "input", "input"]
    np.testing.assert_array_equal(doc.project.input, [1 / R2, 1 / R2])


class Fussy:
    """A view that cannot show one particular network (its listener raises for it)."""

    def __init__(self, doc: Document, refuses: str) -> None:
        self.doc, self.refuses, self.seen = doc, refuses, []

    def on_changed(self, kind) -> None:
        self.seen.append(self.doc.project.name)
        if self.doc.project.name == self.refuses:
            raise RuntimeError("this view cannot draw it")


def test_opening_is_one_transaction_a_view_that_fails_brings_the_old_network_back(tmp_path):
    doc = Document(load_example("cosine-memory"))
    doc.save(tmp_path / "mine.nnstudio")
    doc.set_input(0, "1")
    doc.runs.append({"dataset": "xor"})
    before, undo_text = doc.project, doc.undo_stack.undo_text()
    xor_name = load_example("xor").name
    view = Fussy(doc, xor_name)
    doc.changed.connect(view.on_changed)
    with pytest.raises(ViewsFailed, match="cannot draw it.*the network that was open is back as it was"):
        doc.open_example("xor")
    # Everything as it was: the project (the very object), file, unsaved state, undo history and runs,
    # and the views were told of it again (the last thing the fussy view saw was the old network).
    assert doc.project is before and doc.path == tmp_path / "mine.nnstudio" and doc.modified
    assert doc.undo_stack.undo_text() == undo_text and doc.runs == [{"dataset": "xor"}]
    assert view.seen[-2:] == [xor_name, before.name]
    np.testing.assert_array_equal(doc.trace.output, forward(before.network, before.input).output)
    doc.undo()  # the history still works
    assert doc.project.input_text[0] == "5/6" and not doc.modified


def test_an_edit_that_fails_half_way_still_counts_as_unsaved(monkeypatch):
    doc = Document(load_example("cosine-memory"))
    assert not doc.modified

    def broken() -> None:
        raise RuntimeError("a bug after the project changed")

    monkeypatch.setattr(doc.stepping, "on_project_changed", broken)
    with pytest.raises(RuntimeError):
        doc.set_input(0, "1")
    # The command was never recorded (nothing to undo), yet the network differs from the opened one:
    assert len(doc.undo_stack) == 0 and doc.project.input[0] == 1.0
    assert doc.modified


def test_an_imported_model_is_unsaved_until_saved(tmp_path):
    doc = Document()
    doc.new_project(load_example("xor"), saved=False)
    assert doc.modified and len(doc.undo_stack) == 0
    doc.save(tmp_path / "imported.nnstudio")
    assert not doc.modified
