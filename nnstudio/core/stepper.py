"""The step-through sequence: forward layer by layer, the loss, backward layer by layer, the update.

A `StepPlan` is built once from the core's traces, for one input/target pair or
for a list of samples (one epoch of per-sample SGD, the textbook way: forward,
backward, update, next sample). Every number is computed up front, so moving
through the plan only moves an index: stepping back restores exactly what was
shown before, including the parameters before an update.

For each sample the steps are:
    forward   for each layer l:  Z (z = W·a + b)  then  A (a = g(z))    (coarse: one FORWARD step)
    LOSS
    backward  for each layer l from the output back:  DELTA (δ)  then  GRADIENTS (∂L/∂W, ∂L/∂b)
    UPDATE    every parameter changes at once, with the optimiser of the project

Without a target (a new network, an unlabelled drawing), or with one the loss refuses
(binary cross-entropy of −1: core/losses.py), the plan stops after the forward pass:
that sample has no LOSS, backward or UPDATE steps, and `stopped` says what to do
("type a target to compute the loss and δ", or the refusal). No update is ever taken
against a target that is not there.

Convolution and pooling layers (core/spatial_layers.py) take the same steps: their z, a and δ are the trace's
maps, flat per sample, their GRADIENTS step shows ∂L/∂kernel and one ∂L/∂b per channel (a pooling layer has
none: its GRADIENTS step says so, and where δ went), and the UPDATE changes kernels by the weights' rule. `describe_step` names a step in the words of its
layer ("z = K ⋆ a + b" for a convolution, "z = max of each window" for max pooling).

Because every pass is kept, a plan's memory grows with the samples: one whose passes would not fit in
STEP_MEMORY_BYTES is refused before anything is computed, with the figure (core/step_memory.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from nnstudio.core.errors import LossError, NNStudioError
from nnstudio.core.network import Network
from nnstudio.core.optim import OptimizerConfig, OptimizerState, apply_update
from nnstudio.core.project import NO_TARGET, Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer
from nnstudio.core.step_memory import check_step_memory
from nnstudio.core.trace import ForwardTrace, Gradients, backward, forward


class Phase(Enum):
    START = "start"
    Z = "z = W·a + b"
    A = "a = g(z)"
    FORWARD = "z and a"
    LOSS = "loss"
    DELTA = "δ"
    GRADIENTS = "gradients"
    UPDATE = "update"


FORWARD_PHASES = (Phase.Z, Phase.A, Phase.FORWARD)
BACKWARD_PHASES = (Phase.DELTA, Phase.GRADIENTS)


def phase_label(layer: object, phase: Phase) -> str:
    """How `phase` reads for `layer`: a dense layer's words (the phase's value), a convolution's z = K ⋆ a + b, a
    pooling layer's window and its a = z (it has no activation)."""
    if isinstance(layer, Conv2DLayer) and phase == Phase.Z:
        return "z = K ⋆ a + b"
    if isinstance(layer, Pool2DLayer):
        window = "max" if layer.kind == "max" else "mean"
        # Its GRADIENTS step has no ∂L/∂W to show: it says where δ went instead (trace.py's pooling backward).
        passes = "δ passes to the first maximum of each window" if layer.kind == "max" else \
            f"δ/{layer.size * layer.size} passes to every cell of each window"
        labels = {Phase.Z: f"z = {window} of each window", Phase.A: "a = z (no activation)",
                  Phase.FORWARD: f"a = {window} of each window",
                  Phase.GRADIENTS: f"{window} pooling has no parameters: {passes}"}
        return labels.get(phase, phase.value)
    return phase.value


@dataclass(frozen=True)
class Step:
    """One step of the plan: which sample, which phase, which layer (0-based; −1 if none)."""

    sample: int
    phase: Phase
    layer: int = -1

    def describe(self, samples: int = 1, network: Network | None = None) -> str:
        """"sample 2: layer 1: a = g(z)"; with `network`, in the words of the step's layer (`phase_label`)."""
        prefix = f"sample {self.sample + 1}: " if samples > 1 else ""
        if self.phase == Phase.START:
            return prefix + "ready"
        if self.layer >= 0:
            label = self.phase.value if network is None else phase_label(network.layers[self.layer], self.phase)
            return f"{prefix}layer {self.layer + 1}: {label}"
        return prefix + self.phase.value


@dataclass(frozen=True, eq=False)
class SamplePass:
    """Everything computed for one sample: the network before, trace, gradients, network after.

    `gradients` is None (and `after` is `before`) for a sample the plan stops at before its loss."""

    name: str
    x: np.ndarray  # the input as given (raw); the network's own input, normalised, is trace.input
    y: np.ndarray
    before: Network
    trace: ForwardTrace
    gradients: Gradients | None
    after: Network


def _gradients_or_why_not(network: Network, trace: ForwardTrace, y: np.ndarray, loss: str,
                          known: bool) -> Gradients | str:
    """The sample's gradients, or in words why the pass stops before its loss: no target (what to do),
    or the loss's refusal by name. Other errors (a shape, an overflow) are not a stop: they propagate."""
    if not known:
        return NO_TARGET
    try:
        return backward(network, trace, y, loss)
    except LossError as error:
        return str(error)


class StepPlan:
    """The whole sequence, and where we are in it."""

    def __init__(self, project: Project, use_samples: bool = False, coarse: bool = False) -> None:
        network = project.network
        if not network.layers:
            raise NNStudioError("the network has no layers to step through")
        if use_samples and not project.samples:
            raise NNStudioError("the file has no named samples to step through")
        pairs = ([(s.name, s.input, s.target, True) for s in project.samples] if use_samples
                 else [("current input", project.input, project.target, project.target_known)])
        # Every pass below is kept (Back restores it exactly): refused at once if they would not fit.
        check_step_memory(network, len(pairs), project.optimizer.name,
                          what=f"stepping through {len(pairs)} samples" if len(pairs) > 1 else "one step")
        self.project = project
        self.use_samples = use_samples
        self.coarse = coarse
        self.config: OptimizerConfig = project.optimizer
        self.passes: list[SamplePass] = []
        # Why the plan ends after a forward pass, in words that say what to do; None if it runs to the update.
        self.stopped: str | None = None
        state: OptimizerState | None = None
        for name, x, y, known in pairs:
            trace = forward(network, project.network_input(x))  # x is raw (as given); the network sees x′
            grads = _gradients_or_why_not(network, trace, y, project.loss, known)
            if isinstance(grads, str):
                self.stopped = grads if not use_samples else f"{name}: {grads}"
                self.passes.append(SamplePass(name, np.asarray(x), np.asarray(y), network, trace, None, network))
                break
            after, state = apply_update(network, grads, self.config, state)
            self.passes.append(SamplePass(name, np.asarray(x), np.asarray(y), network, trace, grads, after))
            network = after
        self.steps: list[Step] = []
        for k, passed in enumerate(self.passes):
            self.steps.append(Step(k, Phase.START))
            for layer in range(len(project.network.layers)):
                if coarse:
                    self.steps.append(Step(k, Phase.FORWARD, layer))
                else:
                    self.steps += [Step(k, Phase.Z, layer), Step(k, Phase.A, layer)]
            if passed.gradients is None:
                break
            self.steps.append(Step(k, Phase.LOSS))
            for layer in range(len(project.network.layers) - 1, -1, -1):
                self.steps += [Step(k, Phase.DELTA, layer), Step(k, Phase.GRADIENTS, layer)]
            self.steps.append(Step(k, Phase.UPDATE))
        self.index = 0

    # ------------------------------------------------------------------ position

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    @property
    def current(self) -> SamplePass:
        return self.passes[self.step.sample]

    def describe_step(self) -> str:
        """The current step in the words of its layer (a convolution's z = K ⋆ a + b, a pooling window)."""
        return self.step.describe(len(self.passes), self.project.network)

    def at_end(self) -> bool:
        return self.index == len(self.steps) - 1

    def _last_index(self, predicate) -> int:  # type: ignore[no-untyped-def]
        """Index of the last step of the current sample for which `predicate(step)` holds
        (its last step if none does: a sample the plan stops at has no backward steps)."""
        sample = self.step.sample
        indexes = [i for i, s in enumerate(self.steps) if s.sample == sample and predicate(s)]
        return indexes[-1] if indexes else max(i for i, s in enumerate(self.steps) if s.sample == sample)

    def end_of_forward(self) -> int:
        return self._last_index(lambda s: s.phase in FORWARD_PHASES or s.phase == Phase.START)

    def end_of_backward(self) -> int:
        return self._last_index(lambda s: s.phase in BACKWARD_PHASES)

    # ------------------------------------------------------------------ what is visible at this step

    def _reached(self, phase: Phase, layer: int) -> bool:
        """Has the step (phase, layer) of the current sample been taken?"""
        sample = self.step.sample
        for i in range(self.index, -1, -1):
            s = self.steps[i]
            if s.sample != sample:
                return False
            if s.layer == layer and (s.phase == phase or (s.phase == Phase.FORWARD and phase in (Phase.Z, Phase.A))):
                return True
        return False

    def z_visible(self, layer: int) -> bool:
        return self._reached(Phase.Z, layer)

    def a_visible(self, layer: int) -> bool:
        return self._reached(Phase.A, layer)

    def loss_visible(self) -> bool:
        return self._phase_reached(Phase.LOSS)

    def delta_visible(self, layer: int) -> bool:
        return self._reached(Phase.DELTA, layer)

    def gradients_visible(self, layer: int) -> bool:
        return self._reached(Phase.GRADIENTS, layer)

    def updated(self) -> bool:
        return self.step.phase == Phase.UPDATE

    def _phase_reached(self, phase: Phase) -> bool:
        sample = self.step.sample
        return any(s.phase == phase and s.sample == sample for s in self.steps[: self.index + 1])

    def active_layer(self) -> int:
        return self.step.layer

    def losses(self) -> list[float | None]:
        """Each sample's loss once its LOSS step has been reached in this pass, else None."""
        out: list[float | None] = []
        for k, p in enumerate(self.passes):
            seen = any(s.sample == k and s.phase == Phase.LOSS for s in self.steps[: self.index + 1])
            out.append(p.gradients.loss if seen and p.gradients is not None else None)
        return out

    def stops_here(self) -> bool:
        """True for the sample the plan stops at before its loss (see `stopped`)."""
        return self.current.gradients is None
