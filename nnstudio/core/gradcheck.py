"""Check backprop against central finite differences: (L(w + h) − L(w − h)) / 2h for each weight.

A dense layer's weights are checked (as always: its bias gradient is δ itself); a convolution's kernel values
and its biases are checked too, since one kernel value and one bias each sum over a whole map, which is
where a convolution's backward pass can go wrong. A pooling layer has no parameters: nothing to check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.errors import LossError
from nnstudio.core.network import Network
from nnstudio.core.project import NO_TARGET, Project
from nnstudio.core.spatial_layers import Conv2DLayer
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


#: One checked parameter: (layer index, "main" for W or a kernel, or "bias", the index into that array).
Place = tuple[int, str, tuple[int, ...]]


def _places(network: Network) -> list[Place]:
    """Every checked parameter in layer order: a dense layer's weights (row by row), a convolution's kernel values
    in (K, C, k, k) order then its biases; none of a pooling layer."""
    places: list[Place] = []
    for l, layer in enumerate(network.layers):
        if isinstance(layer, Conv2DLayer):
            places += [(l, "main", index) for index in np.ndindex(*layer.kernel.shape)]
            if layer.bias is not None:
                places += [(l, "bias", (k,)) for k in range(layer.channels)]
        elif layer.parameter_count:  # dense
            places += [(l, "main", (i, j)) for i in range(layer.n_out) for j in range(layer.n_in)]
    return places


def _name(network: Network, place: Place) -> str:
    """w2,3 / K1,1,2,3 / b2 "of layer l": how the check's worst place is shown, 1-based like every label."""
    l, which, index = place
    numbers = ",".join(str(i + 1) for i in index)
    if which == "bias":
        return f"b{numbers} of layer {l + 1}"
    return f"{'K' if isinstance(network.layers[l], Conv2DLayer) else 'w'}{numbers} of layer {l + 1}"


def _nudged(network: Network, place: Place, step: float) -> Network:
    """`network` with the one parameter at `place` moved by `step`."""
    l, which, index = place
    layer = network.layers[l]
    main, bias = layer.parameters()
    values = np.array(main if which == "main" else bias)
    values[index] += step
    return network.with_layer(l, layer.with_parameters(values, bias) if which == "main"
                              else layer.with_parameters(main, values))


def check_gradients(project: Project, h: float = 1e-6, seed: int = 0) -> GradientCheck:
    """Compare every ∂L/∂w (a random MAX_CHECKED of them for big networks) with a central difference.

    Without a target there is no loss to differentiate: refused with what to do (LossError)."""
    if not project.target_known:
        raise LossError(NO_TARGET)
    network = project.network.astype("float64")
    grads = backward(network, forward(network, project.network_input()), project.target, project.loss)
    places = _places(network)
    total = len(places)
    if total > MAX_CHECKED:
        rng = np.random.default_rng(seed)
        places = [places[k] for k in rng.choice(total, MAX_CHECKED, replace=False)]
    worst, where = 0.0, "-"
    for place in places:
        values = [_loss(project, _nudged(network, place, step)) for step in (h, -h)]
        numeric = (values[0] - values[1]) / (2 * h)
        layer_grads = grads.layers[place[0]]
        analytic = float((layer_grads.grad_weights if place[1] == "main" else layer_grads.grad_bias)[place[2]])
        scale = max(abs(numeric), abs(analytic), 1e-8)
        error = abs(numeric - analytic) / scale
        if error > worst:
            worst, where = error, f"{_name(network, place)} (backprop {analytic:.6g}, difference {numeric:.6g})"
    return GradientCheck(worst, where, len(places), total)
