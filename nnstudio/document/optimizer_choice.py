"""The optimiser and its learning rate and L2 are the project's own: saved with it, used by the update the
step-through applies, and the Training panel's starting values. Changing them is one undoable edit.

Why an edit and not a field of the panel alone: the step-through's update reads the project's optimiser, so a
learning rate typed in the Training panel and kept there would make the update a learner steps to disagree with
the α on the screen (issue 32: the `update` lesson asks what the learning rate does).
"""

from __future__ import annotations

from nnstudio.core.optim import OptimizerConfig
from nnstudio.document.document import Document


def _words(old: OptimizerConfig, new: OptimizerConfig) -> str:
    """The Undo menu's words for going from `old` to `new`."""
    if old.name != new.name:
        return f"Choose the optimiser {new.name}"
    if old.learning_rate != new.learning_rate:
        return f"Set the learning rate to {new.learning_rate:g}"
    return f"Set L2 to {new.l2:g}" if old.l2 != new.l2 else "Set the optimiser"


def choose_optimizer(document: Document, config: OptimizerConfig) -> None:
    """Save `config` as the project's optimiser, one undoable edit (nothing when it is already the project's).
    Of kind "values": a pass being stepped starts again, as its update changed."""
    project = document.project
    if config == project.optimizer:
        return
    document.apply(project.replace(optimizer=config), _words(project.optimizer, config), "values")
