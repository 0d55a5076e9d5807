"""What a kernel's cells show now, as text and numbers (no widgets): kernel_editor.py draws it.

The cells follow the canvas (`digits`, its edge mode): w normally — a typed expression shown as typed when short —
and, while a pass is stepped through, ∂L/∂w once the backward pass reaches the layer (the backward trace's kernel
gradient, core/trace.py) and old → new at the update, as readouts.py does for a dense layer's edges. A training
run's live copy or a rewound moment shows its own kernel. Only the document's own w may be typed over. Also how a
pasted block is read.

Only the grids the editor shows (`channels`) get labels and tooltips: a kernel may read thousands of channels, or be
hundreds of cells wide, and a text per cell of every channel on every document change froze the window for seconds
(a 512×512 kernel: 20 s). The others' entries are left empty lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.document import Document
from nnstudio.ui import format as fmt
from nnstudio.ui.panels.network.weights_model import parse_literal


@dataclass(frozen=True)
class KernelView:
    """What the grids show now: per input channel the k×k values (for colour), labels and tooltips, the bias's
    label, what the numbers are (`heading`), and whether they may be typed over."""

    values: np.ndarray  # (C, k, k)
    labels: list[list[list[str]]]  # per channel; [] for a channel not shown
    tips: list[list[list[str]]]
    bias: str
    heading: str
    editable: bool

    @cached_property
    def scale(self) -> float:
        """The largest |value| of the kernel, which the cells' colours are scaled to (1 when all are 0): worked out
        once, though every cell asks at every paint (a 512-channel kernel's grid scanned 4,608 values a cell)."""
        return float(np.max(np.abs(self.values), initial=0.0)) or 1.0


def kernel_view(document: Document, column: int, out: int, mode: str, digits: int,
                channels: Sequence[int] | None = None) -> KernelView:
    """Kernel `out` of the convolution at `column` as the canvas would show it now (module docstring), labelled on
    the input channels in `channels` only (None: every channel)."""
    shown, plan, index = document.shown(), document.stepping.plan, column - 1
    picked = set(range(document.project.network.layers[index].in_shape[0]) if channels is None else channels)
    if shown.source in ("training", "rewind"):
        layer = document.shown_network.layers[index]
        when = "as the run changes it" if shown.source == "training" else f"at {document.preview_rewound}"
        return _plain(layer, out, digits, f"w, {when} (read-only)", False, picked)
    layer = document.project.network.layers[index]
    if document.structure_locked:  # a run trains a copy and lands its own weights when it stops: a typed cell would go
        return _plain(layer, out, digits, "w, held by the training run (read-only until it stops)", False, picked)
    if plan is None or shown.source != "step":
        return _plain(layer, out, digits, "w: type a number or expression in a cell (Enter moves down, Tab right; "
                                          "Ctrl+V pastes a block)", True, picked)
    passed = plan.current
    before = passed.before.layers[index] if passed.before.sizes == document.project.network.sizes else None
    if not isinstance(before, Conv2DLayer) or before.kernel.shape != layer.kernel.shape:
        return _plain(layer, out, digits, "w", True, picked)  # a plan of another network, about to be rebuilt
    if plan.updated():
        after = passed.after.layers[index]
        old, new = before.kernel[out], after.kernel[out]
        labels = [[[f"{fmt.short(float(a), digits)}\n→ {fmt.short(float(b), digits)}" for a, b in zip(ra, rb)]
                   for ra, rb in zip(ca, cb)] if c in picked else [] for c, (ca, cb) in enumerate(zip(old, new))]
        tips = [[[f"old {fmt.full(float(a))} → new {fmt.full(float(b))}" for a, b in zip(ra, rb)]
                 for ra, rb in zip(ca, cb)] if c in picked else [] for c, (ca, cb) in enumerate(zip(old, new))]
        bias = "" if before.bias is None else (f"{fmt.short(float(before.bias[out]), digits)} → "
                                               f"{fmt.short(float(after.bias[out]), digits)}")
        return KernelView(np.asarray(new), labels, tips, bias, "old → new: the update", False)
    grads = None if passed.gradients is None else passed.gradients.layers[index]
    if mode == "gradient":
        if grads is None or not plan.gradients_visible(index):
            blank = [[["?"] * layer.k for _ in range(layer.k)] if c in picked else []
                     for c in range(layer.in_shape[0])]
            why = ("∂L/∂w appears once the backward pass reaches this layer" if grads is not None else
                   "∂L/∂w: this pass stops before its loss (no target), so nothing flows back")
            return KernelView(np.zeros(layer.kernel.shape[1:]), blank, blank, "?", why, False)
        g = np.asarray(grads.grad_weights[out])
        bias = "" if grads.grad_bias is None else fmt.short(float(grads.grad_bias[out]), digits)
        return KernelView(g, _labels(g, digits, picked), _tips(g, "∂L/∂w", picked), bias,
                          "∂L/∂w = δ ⋆ a on each kernel cell", False)
    heading = "w (w·δ is carried back on the δ maps)" if mode == "signal" else "w"
    return _plain(before, out, digits, heading, mode == "weight", picked)


def _plain(layer: Conv2DLayer, out: int, digits: int, heading: str, editable: bool, picked: set[int]) -> KernelView:
    values = np.asarray(layer.kernel[out])
    labels = _labels(values, digits, picked)
    tips = _tips(values, "w", picked)
    for (o, c, r, col), typed in layer.kernel_text.items():
        if o == out and c in picked:
            pretty = fmt.pretty_expression(typed)
            labels[c][r][col] = pretty if len(pretty) <= 6 else labels[c][r][col]
            tips[c][r][col] = f"w = {typed} = {fmt.full(float(values[c, r, col]))}"
    bias = "" if layer.bias is None else (fmt.pretty_expression(layer.bias_text[out]) if out in layer.bias_text
                                          else fmt.short(float(layer.bias[out]), digits))
    return KernelView(values, labels, tips, bias, heading, editable)


def _labels(values: np.ndarray, digits: int, picked: set[int]) -> list[list[list[str]]]:
    return [[[fmt.short(float(v), digits) for v in row] for row in grid] if c in picked else []
            for c, grid in enumerate(values)]


def _tips(values: np.ndarray, name: str, picked: set[int]) -> list[list[list[str]]]:
    return [[[f"{name} = {fmt.full(float(v))}" for v in row] for row in grid] if c in picked else []
            for c, grid in enumerate(values)]


def paste_cells(text: str) -> list[list[str]]:
    """Pasted text as rows of cells: a Python/NumPy list, else rows split at tabs (or, with none, at spaces)."""
    literal = parse_literal(text)
    if literal is not None:
        return literal
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    split = (lambda line: line.split("\t")) if "\t" in text else (lambda line: re.split(r"\s+", line.strip()))
    return [split(line) for line in lines]
