"""Step menu: Step, Step Back, Run Forward and Backward Pass, Reset Steps and Stop Stepping.

The plan and its moves are the document's (`nnstudio/document/stepping.py`); the first Step starts a
plan with the Step through panel's modes.
"""

from __future__ import annotations

from typing import Callable, Protocol

from PySide6.QtWidgets import QDockWidget, QMessageBox

from nnstudio.core.errors import NNStudioError
from nnstudio.document import Document
from nnstudio.ui.panels.network.step_panel import StepPanel
from nnstudio.ui.window.actions import ActionSpec


class StepWindow(Protocol):
    """What the Step menu needs of the window (MainWindow is one). Named here rather than imported, so that
    this module and main_window.py do not import each other."""

    document: Document
    step_panel: StepPanel
    step_dock: QDockWidget

    def report(self, message: str) -> None: ...
    def show_error(self, title: str, message: str) -> QMessageBox: ...


ACTIONS: list[ActionSpec] = [
    ActionSpec("step", "&Step", "F10", "Take the next step of the forward or backward pass"),
    ActionSpec("step_back", "Step &Back", "Shift+F10", "Go back one step, restoring exactly what was shown"),
    ActionSpec("run_forward", "Run &Forward Pass", "F9", "Run to the end of the forward pass"),
    ActionSpec("run_backward", "Run Back&ward Pass", "Shift+F9", "Run to the end of the backward pass"),
    ActionSpec("reset_steps", "&Reset Steps", "Ctrl+Shift+R", "Back to the start, undoing this pass's update"),
    ActionSpec("stop_stepping", "Stop Steppin&g", None, "Leave step-through; applied updates stay"),
]


class StepThrough:
    """The Step menu's handlers."""

    specs = ACTIONS  # the actions above, for build_actions

    def __init__(self, window: StepWindow) -> None:
        self.window = window

    def handlers(self) -> dict[str, Callable[..., object]]:
        stepping = self.window.document.stepping
        return {"step": self.step, "step_back": stepping.back, "run_forward": stepping.run_to_end_of_forward,
                "run_backward": stepping.run_to_end_of_backward, "reset_steps": stepping.reset,
                "stop_stepping": stepping.stop}

    def step(self) -> None:
        """One step on, starting a plan (with the panel's modes) when not stepping yet."""
        window = self.window
        try:
            if not window.document.stepping.active:
                window.step_panel.start()
                window.step_dock.raise_()
                return
            if not window.document.stepping.forward():
                window.report("End of the plan: Reset to step again, or Step Back")
        except NNStudioError as error:
            window.show_error("Cannot step", str(error))
