"""Hover cards: resting the pointer on a neuron or edge shows its numbers and the formula that made each.

A neuron shows z, a, its bias b and δ; an edge its weight w, ∂L/∂w = δ_j·a_i and w·δ (what it
carries back); an input its value. While stepping, the card shows exactly what the Step dock
shows for that step (`core.equations.neuron_equations`), so no panel disagrees; when not stepping,
δ and the gradients are those of the current input and target (a backward pass computed for the
card by `core.trace.backward`, changing nothing). The card is selectable text and stays open
while the pointer is on it, so numbers can be copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QEnterEvent, QFont
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from nnstudio.core.equations import (
    delta_equation,
    forward_equations,
    neuron_equations,
    num,
)
from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.project import Project
from nnstudio.core.stepper import StepPlan
from nnstudio.core.trace import ForwardTrace, Gradients, backward
from nnstudio.document import Document
from nnstudio.ui.canvas.pixel_card import pixel_lines
from nnstudio.ui.compat import override
from nnstudio.ui.selection import ItemKey

DIGITS = 4
SHOW_AFTER_MS = 450   # resting this long on an item opens its card
HIDE_AFTER_MS = 350   # leaving item and card for this long closes it (time to move onto the card)
CORNER_MARGIN = 8     # px between the card and the canvas's edges


def _passes(document: Document) -> tuple[Network, ForwardTrace, Gradients | None, bool] | None:
    """The network, forward trace and gradients the card reads — those the canvas shows (a step of the
    pass, a rewound moment, the run's live copy, the document) — and whether they come from a pass."""
    plan = document.stepping.plan
    if plan is not None:
        current = plan.current
        return current.before, current.trace, current.gradients, True
    shown = document.shown()
    if shown.trace is None:
        return None
    project = document.project
    try:  # no target: no δ to show (never gradients against a target that is not there)
        grads = backward(shown.network, shown.trace, project.target, project.loss) if project.target_known else None
    except (NNStudioError, FloatingPointError, ValueError):
        grads = None
    return shown.network, shown.trace, grads, False


@dataclass(frozen=True)
class _LayerReading:
    """What a card for an item of one layer reads: the pass the canvas shows and what of it is revealed."""

    project: Project
    network: Network
    trace: ForwardTrace
    grads: Gradients | None
    plan: StepPlan | None  # the pass stepped through (None: not stepping)
    layer_index: int
    delta_shown: bool
    gradients_shown: bool

    @property
    def stepping(self) -> bool:
        return self.plan is not None

    @property
    def layer(self) -> DenseLayer:
        return self.network.layers[self.layer_index]


def _reading(document: Document, layer_index: int) -> _LayerReading | None:
    """The pass the canvas shows, for a card on layer `layer_index` (None: no output yet)."""
    passes = _passes(document)
    if passes is None:
        return None
    network, trace, grads, stepping = passes
    plan = document.stepping.plan if stepping else None
    delta_shown = grads is not None and (plan is None or plan.delta_visible(layer_index))
    gradients_shown = grads is not None and (plan is None or plan.gradients_visible(layer_index))
    return _LayerReading(document.project, network, trace, grads, plan, layer_index, delta_shown, gradients_shown)


def card_lines(document: Document, key: ItemKey) -> list[str]:
    """The card's text for `key`: a title, then one formula per line with the numbers substituted."""
    project = document.project
    title = key.describe()
    if key.kind == "neuron" and key.column == 0:
        return [title] + _input_lines(project, key.row)
    if key.kind == "pixel":  # a map pixel (issue 35): pixel_card.py
        passes = _passes(document)
        network, trace, grads, stepping = passes if passes is not None else (project.network, None, None, False)
        return pixel_lines(document, key, network, trace, grads, document.stepping.plan if stepping else None)
    if key.column < 1 or key.column > len(project.network.layers) or key.kind not in ("neuron", "edge", "bias_edge"):
        return []
    reading = _reading(document, key.column - 1)
    if reading is None:
        return [title, "(no output yet: every layer needs its values)"]
    if key.kind == "neuron":
        lines = _neuron_lines(reading, key.row)
    elif key.kind == "bias_edge":
        lines = _bias_edge_lines(reading, key.row)
    else:
        lines = _edge_lines(reading, key.row, key.col)
    return [title] + lines + _target_note(reading)


def _input_lines(project: Project, row: int) -> list[str]:
    """An input: its value as typed, and as the network sees it when the project normalises inputs."""
    typed = project.input_text[row]
    value = num(float(project.input[row]), DIGITS)
    lines = [f"x = {typed} = {value}" if typed else f"x = {value}"]
    if project.normalisation is not None:  # the network sees the input normalised
        offset, scale = (float(project.normalisation[k][row]) for k in ("offset", "scale"))
        seen = float(project.network_input()[row])
        lines.append(f"x′ = (x − {num(offset, DIGITS)})/{num(scale, DIGITS)} = {num(seen, DIGITS)}  "
                     "(the input normalisation the network was trained with)")
    return lines


def _bias_line(layer: DenseLayer, j: int) -> str:
    typed = layer.bias_text.get(j)
    b = num(float(layer.bias[j]), DIGITS) if layer.bias is not None else "—"
    return f"b = {typed} = {b}" if typed else f"b = {b}"


def _neuron_lines(reading: _LayerReading, j: int) -> list[str]:
    """A neuron of a layer: z and a (the step's equations while stepping), δ once revealed, and its bias."""
    r, project = reading, reading.project
    if r.plan is not None:
        lines = neuron_equations(r.plan, r.trace, r.network, r.layer_index, j, project.loss, project.target,
                                 DIGITS) or ["(not reached yet at this step)"]
    else:
        lines = forward_equations(r.network, r.trace, r.layer_index, j, DIGITS)
        if r.delta_shown:
            lines.append(delta_equation(r.network, r.trace, r.grads, project.loss, project.target, r.layer_index, j,
                                        DIGITS))
    if r.layer.bias is not None:
        lines.append(_bias_line(r.layer, j))
    return lines


def _bias_edge_lines(reading: _LayerReading, j: int) -> list[str]:
    """A bias edge: b, and ∂L/∂b = δ once the gradients are revealed."""
    lines = [_bias_line(reading.layer, j)]
    if reading.gradients_shown:
        delta = float(reading.grads.layers[reading.layer_index].delta[j])
        lines.append(f"∂L/∂b = δ_{j + 1} = {num(delta, DIGITS)}")
    return lines


def _edge_lines(reading: _LayerReading, j: int, i: int) -> list[str]:
    """An edge from input `i` to neuron `j`: w, then ∂L/∂w = δ_j·a_i and w·δ (what it carries back to input
    `i`) once revealed."""
    r = reading
    w = float(r.layer.weights[j, i])
    typed = r.layer.weight_text.get((j, i))
    lines = [f"w = {typed} = {num(w, DIGITS)}" if typed else f"w = {num(w, DIGITS)}"]
    if r.grads is None or not (r.gradients_shown or r.delta_shown):
        return lines
    delta = float(r.grads.layers[r.layer_index].delta[j])
    a_prev = r.trace.layers[r.layer_index].a_prev
    a_i = float(a_prev[i] if a_prev.ndim == 1 else a_prev[0, i])
    if r.gradients_shown:
        lines.append(f"∂L/∂w = δ_{j + 1}·a_{i + 1} = {num(delta, DIGITS)}·{num(a_i, DIGITS)} = "
                     f"{num(float(r.grads.layers[r.layer_index].grad_weights[j, i]), DIGITS)}")
    if r.delta_shown:
        lines.append(f"w·δ = w·δ_{j + 1} = {num(w, DIGITS)}·{num(delta, DIGITS)} = "
                     f"{num(w * delta, DIGITS)}  (carried back to input {i + 1})")
    return lines


def _target_note(reading: _LayerReading) -> list[str]:
    """Outside a pass, δ and the gradients are the current input's and target's: the card says which target."""
    if reading.grads is None or reading.stepping or not (reading.delta_shown or reading.gradients_shown):
        return []
    target = np.asarray(reading.project.target)
    shown = ", ".join(num(float(v), DIGITS) for v in target[:4])
    return [f"(δ for the current input and target y = ({shown}{', …' if len(target) > 4 else ''}))"]


class HoverCard(QFrame):
    """A small panel of selectable text over the canvas; `hide_soon` closes it unless the pointer is on it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("hoverCard")
        self.setStyleSheet("#hoverCard { background: #fffff6; border: 1px solid #a3a3a3; border-radius: 4px; }"
                           " QLabel { color: #111827; }")
        self.label = QLabel()
        self.label.setObjectName("hoverCardText")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(9.5)
        self.label.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label)
        self.key: ItemKey | None = None
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(HIDE_AFTER_MS)
        self._hide_timer.timeout.connect(self._hide_unless_pointed_at)
        self.hide()

    def show_card(self, key: ItemKey, lines: list[str], at: QPoint, item: QRect | None = None) -> None:
        """Show `lines` for the item under `at` (parent coordinates) in a corner of the canvas.

        Beside the pointer the card covered the very labels and edges a person moves on to (the
        stacks of weights run down the canvas). It takes the corner that leaves the item (`item`,
        parent coordinates) free and lies farthest from the pointer.
        """
        self._hide_timer.stop()
        self.key = key
        self.set_lines(lines)
        self.move(self._corner(at, item or QRect(at, at)))
        self.show()
        self.raise_()

    def _corner(self, at: QPoint, item: QRect) -> QPoint:
        parent, m = self.parentWidget(), CORNER_MARGIN
        right, bottom = parent.width() - self.width() - m, parent.height() - self.height() - m
        top = parent.height() // 3 if bottom > parent.height() // 3 else m  # below the phase banner
        corners = [QPoint(max(m, right), max(m, bottom)), QPoint(m, max(m, bottom)),
                   QPoint(max(m, right), top), QPoint(m, top)]

        def cost(corner: QPoint) -> tuple[bool, int]:
            placed = QRect(corner, self.size())
            return placed.intersects(item), -(placed.center() - at).manhattanLength()

        return min(corners, key=cost)

    def set_lines(self, lines: list[str]) -> None:
        """New text for the card shown (its item's numbers changed), keeping its corner."""
        bottom_right = self.geometry().bottomRight()
        left = self.x()
        self.label.setText("\n".join(lines))
        self.adjustSize()
        if self.isVisible():  # grow upwards from the same corner
            parent = self.parentWidget()
            x = left if left <= CORNER_MARGIN else parent.width() - self.width() - CORNER_MARGIN
            self.move(max(CORNER_MARGIN, x), max(CORNER_MARGIN, bottom_right.y() - self.height() + 1))

    def heading_for(self, before: QPoint, after: QPoint) -> bool:
        """Is the pointer moving from `before` to `after` (parent coordinates) towards the card? Then it
        stays open while the pointer crosses the canvas to reach it."""
        centre = self.geometry().center()
        return (after - centre).manhattanLength() < (before - centre).manhattanLength()

    def hide_soon(self) -> None:
        if self.isVisible() and not self._hide_timer.isActive():
            self._hide_timer.start()

    def keep(self) -> None:
        self._hide_timer.stop()

    def _hide_unless_pointed_at(self) -> None:
        if not self.underMouse():
            self.hide()
            self.key = None

    @override
    def enterEvent(self, event: QEnterEvent) -> None:
        self.keep()
        super().enterEvent(event)

    @override
    def leaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.hide_soon()
        super().leaveEvent(event)
