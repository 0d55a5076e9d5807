"""What the window shows right now: one answer every panel reads, so no two panels can disagree.

The document offers three sources of numbers: its own project and forward pass, the
step-through plan (which reveals a pass one phase at a time), and the live copy a
training run is changing. Deciding between them once, here, is what keeps the readout,
the status bar, the canvas and the Step dock saying the same thing: each panel renders
a `Shown` and decides nothing itself. Qt-free, so tests can compute it independently
of any widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape
from nnstudio.core.stepper import Phase
from nnstudio.core.trace import ForwardTrace
from nnstudio.document.stepping import Stepping


class ShownSource(Protocol):
    """What `shown` reads of a document (Document is one): the project and its trace and loss, a live or
    rewound preview, and the step-through. Named here rather than imported, so that this module and
    document.py, which uses it, do not import each other."""

    @property
    def project(self) -> Project: ...
    @property
    def trace(self) -> ForwardTrace | None: ...
    @property
    def loss(self) -> float | None: ...
    @property
    def loss_note(self) -> str: ...
    @property
    def preview_trace(self) -> ForwardTrace | None: ...

    preview: Network | None
    preview_rewound: str
    preview_loss: float | None
    stepping: Stepping

MAX_OUTPUTS_LISTED = 10  # the readout lists every output up to MNIST's ten


@dataclass(frozen=True)
class Shown:
    """The output and loss on screen now, where they come from, and the phase in words.

    `output` is None while the pass has not reached the output layer (the window says ŷ = ?);
    `loss` is None until the pass reaches the loss (or when there is no output at all).
    `loss_note` says why there is no loss to reach (no target: "type a target to compute the loss
    and δ", or the loss's refusal of the target); the loss then reads "—", never a number.
    """

    source: str  # "document", "step", "training" or "rewind" (a moment of a finished run)
    network: Network
    trace: ForwardTrace | None
    output: np.ndarray | None
    loss: float | None
    labels: tuple[str, ...]
    phase: str  # "" when not stepping, else e.g. "Backward · layer 2 · δ"
    has_layers: bool
    classifier: bool = False  # softmax, or more than four outputs: the readout names the winner
    loss_note: str = ""

    def __post_init__(self) -> None:
        if self.loss is not None:  # −0.0 (a zero target times a log) would read "−0" on screen
            object.__setattr__(self, "loss", float(self.loss) + 0.0)

    def output_lines(self) -> list[str]:
        """The readout, one output a line: "y1 = 0.6365"; "? " before the pass reaches it."""
        if not self.has_layers:
            return []
        maps = self.output_maps()
        if maps is not None:  # an image out (an edge detector's 26×26): one line, the canvas draws its values
            if self.output is None:
                return [f"ŷ: {maps} maps = ?"]
            low, high = float(np.min(self.output)), float(np.max(self.output))
            return [f"ŷ: {maps} maps, {low:.4f} to {high:.4f}"]
        if self.output is None:
            return [f"{label} = ?" for label in self.labels[:MAX_OUTPUTS_LISTED]]
        lines = [f"{label} = {float(v):.4f}" for label, v in zip(self.labels, self.output)]
        if len(lines) > MAX_OUTPUTS_LISTED:
            lines = lines[:MAX_OUTPUTS_LISTED] + [f"… {len(lines) - MAX_OUTPUTS_LISTED} more"]
        return lines

    def output_maps(self) -> str | None:
        """"1×26×26" when the network ends in more than four values of maps (listing them one a line would say
        nothing a person can read; the canvas shows them as an image); None otherwise."""
        last = self.network.layers[-1] if self.network.layers else None
        shape = getattr(last, "out_shape", None)
        if shape is None or self.network.output_size <= 4:
            return None
        return show_shape(shape)

    def predicted(self) -> str:
        """For classifiers: "→ 7 (p = 0.998)"; "" otherwise or before the output is reached."""
        if self.output is None or not self.classifier:
            return ""
        best = int(np.argmax(self.output))
        return f"→ {self.labels[best]} (p = {float(self.output[best]):.3f})"

    def summary(self) -> str:
        """One line for the status bar: every output (or the prediction) and the loss."""
        if not self.has_layers:
            return ""
        if self.output is None:
            head = "ŷ = ?"
        elif self.classifier:
            head = self.predicted()
        else:
            head = "  ".join(self.output_lines())
        if self.loss is not None:
            loss = f"loss {self.loss:.4g}"
        else:
            loss = "loss —" if self.loss_note else "loss ?"
        return f"{head}   {loss}"


PHASE_WORDS = {
    Phase.START: "Ready",
    Phase.Z: "Forward",
    Phase.A: "Forward",
    Phase.FORWARD: "Forward",
    Phase.LOSS: "Loss",
    Phase.DELTA: "Backward",
    Phase.GRADIENTS: "Backward",
    Phase.UPDATE: "Update",
}
PHASE_DETAIL = {Phase.Z: "z", Phase.A: "a", Phase.FORWARD: "z and a", Phase.DELTA: "δ",
                Phase.GRADIENTS: "∂L/∂W, ∂L/∂b"}


def _detail(layer: object, phase: Phase) -> str:
    """What a step computes at `layer`, in the banner's few words: a convolution's gradients are ∂L/∂K's, and a
    pooling layer has none (its backward step only passes δ on; the Step dock says where)."""
    if phase == Phase.GRADIENTS and isinstance(layer, Pool2DLayer):
        return f"{layer.kind} pooling: no parameters, δ passes on"
    if phase == Phase.GRADIENTS and isinstance(layer, Conv2DLayer):
        return "∂L/∂K, ∂L/∂b"
    return PHASE_DETAIL[phase]


def phase_text(document: ShownSource) -> str:
    """ "Backward · layer 2 · δ" for the current step; "" when not stepping."""
    plan = document.stepping.plan
    if plan is None:
        return ""
    step = plan.step
    parts = [PHASE_WORDS[step.phase]]
    if len(plan.passes) > 1:
        parts.insert(0, f"sample {step.sample + 1} of {len(plan.passes)}")
    if step.layer >= 0:
        parts += [f"layer {step.layer + 1}", _detail(plan.current.before.layers[step.layer], step.phase)]
    elif step.phase == Phase.START:
        parts.append("Step ▶ starts the forward pass")
    elif step.phase == Phase.LOSS:
        parts.append(f"L = {plan.current.gradients.loss:.6g}")
    elif step.phase == Phase.UPDATE:
        parts.append(f"old → new, α = {plan.config.learning_rate:g}")
    if plan.at_end() and plan.stopped:
        parts.append(plan.stopped)  # the pass ends before its loss: say what would let it go on
    return " · ".join(parts)


def shown(document: ShownSource) -> Shown:
    """The one answer: what the window shows for `document` at this moment."""
    project = document.project
    net = project.network
    labels = tuple(project.output_label(i) for i in range(net.output_size))
    has_layers = bool(net.layers)
    # A network ending in maps (an edge detector's 26×26) answers with an image, not a class.
    classifier = (has_layers and net.output_size > 1 and isinstance(net.layers[-1], DenseLayer)
                  and (net.layers[-1].activation == "softmax" or net.output_size > 4))
    plan = document.stepping.plan
    if plan is not None and has_layers and plan.current.before.sizes == net.sizes:
        passed = plan.current
        last = len(net.layers) - 1
        output = passed.trace.output if plan.a_visible(last) else None
        loss = float(passed.gradients.loss) if plan.loss_visible() and passed.gradients is not None else None
        note = (plan.stopped or "") if plan.stops_here() else ""
        return Shown("step", passed.before, passed.trace, output, loss, labels, phase_text(document), has_layers,
                     classifier, note)
    trace = document.preview_trace
    if document.preview is not None and trace is not None:
        return Shown("rewind" if document.preview_rewound else "training", document.preview, trace, trace.output, document.preview_loss, labels, "",
                     has_layers, classifier, document.loss_note)
    trace = document.trace
    output = trace.output if trace is not None and has_layers else None
    return Shown("document", net, trace, output, document.loss, labels, "", has_layers, classifier,
                 document.loss_note)
