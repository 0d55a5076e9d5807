"""Stepping: moves through a StepPlan and keeps the document in step with it.

Step and Back move within the pass and leave the undo history alone, with one
exception that is the point of the pass: reaching UPDATE applies the update as one
undoable command. Back from UPDATE withdraws exactly that command (the old values
return bit for bit and nothing is left to Redo). Any other change to the project
(a weight, the input, the target) rebuilds the plan from the new project and starts
again; Undo and Redo leave the pass altogether (see Document.undo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.core.stepper import Phase, StepPlan
from nnstudio.document.signals import Signal
from nnstudio.document.undo import UndoStack


class SteppingHost(Protocol):
    """What a pass needs of its document (Document is one): the project, applying a new one as an undoable
    command, and the undo stack. Named here rather than imported, so that this module and document.py, which
    holds a Stepping, do not import each other."""

    @property
    def project(self) -> Project: ...

    undo_stack: UndoStack

    def apply(self, new: Project, text: str, kind: str) -> None: ...


@dataclass(frozen=True)
class SteppingState:
    """Where a pass stood, to put back exactly (see Document._reset)."""

    plan: StepPlan | None
    index: int
    use_samples: bool
    coarse: bool
    updates: tuple[object, ...]


class Stepping:
    """The step-through state of one document. `plan` is None when not stepping."""

    def __init__(self, document: SteppingHost) -> None:
        self.document = document
        self.plan: StepPlan | None = None
        self.use_samples = False
        self.coarse = False
        self.changed = Signal()  # the step (or the plan) changed
        self._moving = False
        self._updates: list[object] = []  # the commands this plan's UPDATE steps pushed, for Back

    @property
    def active(self) -> bool:
        return self.plan is not None

    def state(self) -> SteppingState:
        plan = self.plan
        return SteppingState(plan, plan.index if plan is not None else 0, self.use_samples, self.coarse,
                             tuple(self._updates))

    def restore(self, state: SteppingState) -> None:
        self.plan, self.use_samples, self.coarse = state.plan, state.use_samples, state.coarse
        if self.plan is not None:
            self.plan.index = state.index
        self._updates = list(state.updates)
        self.changed.emit()

    def start(self, use_samples: bool = False, coarse: bool = False) -> None:
        """Build a plan for the current project (or its samples) and stand at its start. A plan the core
        refuses (no samples, or passes over the step memory budget) raises and leaves stepping as it was."""
        plan = StepPlan(self.document.project, use_samples, coarse)
        self.use_samples, self.coarse = use_samples, coarse
        self.plan = plan
        self._updates = []
        self.changed.emit()

    def stop(self) -> None:
        """Leave stepping; updates already applied stay (they are on the undo stack)."""
        self.plan = None
        self._updates = []
        self.changed.emit()

    def on_project_changed(self) -> None:
        """A change that did not come from stepping: start again from the new project."""
        if self._moving or self.plan is None:
            return
        try:
            self.plan = StepPlan(self.document.project, self.use_samples, self.coarse)
        except NNStudioError:
            self.plan = None
        self._updates = []
        self.changed.emit()

    def _plan(self) -> StepPlan:
        if self.plan is None:
            self.start(self.use_samples, self.coarse)
        assert self.plan is not None
        return self.plan

    def forward(self) -> bool:
        """One step on; False at the end of the plan."""
        plan = self._plan()
        if plan.at_end():
            return False
        plan.index += 1
        if plan.step.phase == Phase.UPDATE:
            current = self.document.project
            self._moving = True
            try:
                self.document.apply(current.replace(network=plan.current.after),
                                    f"Apply update ({plan.config.name}, α = {plan.config.learning_rate:g})", "values")
                self._updates.append(self.document.undo_stack.top())
            finally:
                self._moving = False
        self.changed.emit()
        return True

    def back(self) -> bool:
        """One step back; from UPDATE this undoes the update exactly. False at the start."""
        plan = self._plan()
        if plan.index == 0:
            return False
        if plan.step.phase == Phase.UPDATE:
            self._moving = True
            try:
                command = self._updates.pop() if self._updates else None
                if not self.document.undo_stack.withdraw(command):  # type: ignore[arg-type]
                    raise NNStudioError("the update is no longer the last change; Reset or Stop stepping")
            finally:
                self._moving = False
        plan.index -= 1
        self.changed.emit()
        return True

    def run_to(self, target: int) -> None:
        plan = self._plan()
        while plan.index < target and self.forward():
            pass
        while plan.index > target and self.back():
            pass

    def run_to_end_of_forward(self) -> None:
        plan = self._plan()
        self.run_to(max(plan.index, plan.end_of_forward()))

    def run_to_end_of_backward(self) -> None:
        plan = self._plan()
        self.run_to(max(plan.index, plan.end_of_backward()))

    def reset(self) -> None:
        """Back to the very start, undoing any update this plan applied."""
        self.run_to(0)
