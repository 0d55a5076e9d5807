"""Choosing the training data is an edit of the document: saved with the network, undone by Undo (issue 31).

The Training panel calls `choose_data` whenever the person changes its Dataset, Data or Test part field.
Each choice is one undoable command of kind "data" (listeners redraw nothing for it), and the file is
marked modified. Steps of the Test part field follow one another quickly (each arrow click is one), so
consecutive changes of the test part merge into the command before, as long as nothing came between and
that command is not the saved state: one Undo takes the field back to where it was before the clicks.
"""

from __future__ import annotations

from nnstudio.core.project import DataChoice
from nnstudio.document.document import Document, ReplaceProject

TEST_PART = "Set the test part"


def _words(old: DataChoice | None, new: DataChoice | None) -> str:
    """The Undo menu's words for going from `old` to `new`."""
    if new is None:
        return "Forget the dataset"
    if old is not None and old.dataset == new.dataset:
        return f"{TEST_PART} to {new.test_fraction:g}" if old.folder == new.folder else "Set the data folder"
    return f"Choose the dataset {new.dataset}"


def choose_data(document: Document, choice: DataChoice | None) -> None:
    """Save `choice` in the document's project as one undoable edit (nothing when it is already saved)."""
    project = document.project
    if choice == project.training_data:
        return
    text = _words(project.training_data, choice)
    top = document.undo_stack.top()
    if text.startswith(TEST_PART) and isinstance(top, ReplaceProject) and top.kind == "data" \
            and top.text.startswith(TEST_PART) and top.new is project and not document.undo_stack.is_clean():
        if choice == top.old.training_data:  # clicked back to where it was: nothing left to undo
            document.undo_stack.withdraw(top)
            return
        top.new, top.text = project.replace(training_data=choice), text
        top.redo()
        document.undo_stack.changed.emit()  # the Undo action's words, the modified mark
        return
    document.apply(project.replace(training_data=choice), text, "data")
