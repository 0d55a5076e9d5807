"""Choosing the training data is an edit of the document: undoable, marks the file modified, merges test-part steps."""

from nnstudio.core.project import DataChoice
from nnstudio.document import Document
from nnstudio.document.data_choice import choose_data
from nnstudio.io import load_example


class Heard(list):
    def hear(self, *args: object) -> None:
        self.append(args[0] if len(args) == 1 else args)


def document_of(example: str, tmp_path) -> Document:
    doc = Document(load_example(example))
    doc.save(tmp_path / "net.nnstudio")  # a saved file: "modified" means something
    return doc


def test_a_choice_is_one_undoable_edit_of_kind_data_and_undo_restores_the_previous_choice(tmp_path):
    doc = document_of("xor", tmp_path)
    kinds = Heard()
    doc.changed.connect(kinds.hear)
    doc.stepping.start()
    plan = doc.stepping.plan
    choose_data(doc, DataChoice("circles"))
    assert doc.project.training_data == DataChoice("circles") and doc.modified
    assert doc.undo_stack.undo_text() == "Choose the dataset circles"
    assert kinds == ["data"] and doc.stepping.plan is plan  # nothing drawn changed: a pass goes on
    choose_data(doc, DataChoice("spirals"))
    doc.undo()
    assert doc.project.training_data == DataChoice("circles")
    doc.undo()
    assert doc.project.training_data == DataChoice("xor") and not doc.modified
    doc.redo()
    assert doc.project.training_data == DataChoice("circles")


def test_choosing_what_is_saved_already_is_no_edit(tmp_path):
    doc = document_of("xor", tmp_path)
    choose_data(doc, DataChoice("xor"))
    assert not doc.undo_stack.can_undo() and not doc.modified


def test_steps_of_the_test_part_merge_into_one_edit_but_never_into_the_saved_state(tmp_path):
    doc = document_of("mnist-mlp", tmp_path)
    for fraction in (0.3, 0.35, 0.4):
        choose_data(doc, DataChoice("mnist", test_fraction=fraction))
    assert len(doc.undo_stack) == 1 and doc.undo_stack.undo_text() == "Set the test part to 0.4"
    doc.undo()
    assert doc.project.training_data == DataChoice("mnist") and not doc.modified
    doc.redo()
    doc.save()
    choose_data(doc, DataChoice("mnist", test_fraction=0.45))  # after a save: an edit of its own
    assert len(doc.undo_stack) == 2
    doc.undo()
    assert doc.project.training_data == DataChoice("mnist", test_fraction=0.4) and not doc.modified


def test_clicking_the_test_part_back_where_it_was_leaves_nothing_to_undo(tmp_path):
    doc = document_of("mnist-mlp", tmp_path)
    choose_data(doc, DataChoice("mnist", test_fraction=0.3))
    choose_data(doc, DataChoice("mnist", test_fraction=0.25))
    assert not doc.undo_stack.can_undo() and not doc.modified


def test_another_choice_after_test_part_steps_is_an_edit_of_its_own(tmp_path):
    doc = document_of("mnist-mlp", tmp_path)
    choose_data(doc, DataChoice("mnist", test_fraction=0.3))
    choose_data(doc, DataChoice("mnist", "/data", 0.3))
    assert doc.undo_stack.undo_text() == "Set the data folder" and len(doc.undo_stack) == 2
    choose_data(doc, DataChoice("fashion-mnist", "/data", 0.3))
    choose_data(doc, DataChoice("fashion-mnist", "/data", 0.35))
    assert len(doc.undo_stack) == 4
