"""The step-through's phase in a lesson's words: start, forward, loss, backward, update.

The core's stepper has finer phases (z, a, δ, gradients); a lesson asks where the learner stands in the pass
("step until the loss is shown"), so a `phase` check names one of check_types.PHASES, and this is the one
mapping from the stepper's place to those names. Not stepping at all reads as "start".
"""

from __future__ import annotations

from nnstudio.core.stepper import BACKWARD_PHASES, FORWARD_PHASES, Phase, Step

START = "start"
_NAMES = {Phase.LOSS: "loss", Phase.UPDATE: "update"}


def lesson_phase(step: Step | None) -> str:
    """The phase a `phase` check compares with, for the step the pass stands at (None: not stepping)."""
    if step is None or step.phase == Phase.START:
        return START
    if step.phase in FORWARD_PHASES:
        return "forward"
    if step.phase in BACKWARD_PHASES:
        return "backward"
    return _NAMES[step.phase]
