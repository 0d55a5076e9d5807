"""Check backprop against central finite differences: (L(w + h) − L(w − h)) / 2h for each weight."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.errors import LossError
from nnstudio.core.project import NO_TARGET, Project
from nnstudio.core.trace import backward, forward, trace_loss

MAX_CHECKED = 2000


@dataclass(frozen=True)
class GradientCheck:
    """The largest relative error found, where it was, and how many weights were checked."""

    max_relative_error: float
    worst: str
    checked: int
    total: int


def _loss(project: Project, network) -> float:  # type: ignore[no-untyped-def]
    return trace_loss(network, forward(network, project.network_input()), project.target, project.loss)


def check_gradients(project: Project, h: float = 1e-6, seed: int = 0) -> GradientCheck:
    """Compare every ∂L/∂w (a random MAX_CHECKED of them for big networks) with a central difference.

    Without a target there is no loss to differentiate: refused with what to do (LossError)."""
    if not project.target_known:
        raise LossError(NO_TARGET)
    network = project.network.astype("float64")
    grads = backward(network, forward(network, project.network_input()), project.target, project.loss)
    places = [(l, i, j) for l, layer in enumerate(network.layers) for i in range(layer.n_out) for j in range(layer.n_in)]
    total = len(places)
    if total > MAX_CHECKED:
        rng = np.random.default_rng(seed)
        places = [places[k] for k in rng.choice(total, MAX_CHECKED, replace=False)]
    worst, where = 0.0, "-"
    for l, i, j in places:
        layer = network.layers[l]
        values = []
        for step in (h, -h):
            w = np.array(layer.weights)
            w[i, j] += step
            values.append(_loss(project, network.with_layer(l, layer.replace(weights=w))))
        numeric = (values[0] - values[1]) / (2 * h)
        analytic = float(grads.layers[l].grad_weights[i, j])
        scale = max(abs(numeric), abs(analytic), 1e-8)
        error = abs(numeric - analytic) / scale
        if error > worst:
            worst, where = error, f"w{i + 1},{j + 1} of layer {l + 1} (backprop {analytic:.6g}, difference {numeric:.6g})"
    return GradientCheck(worst, where, len(places), total)
