"""The formulas of one neuron's step, with the numbers substituted, as plain text.

    z = 1·0.8333 + 0·0.3333 + (−0.7071) = 0.1262
    a = ReLU(0.1262) = 0.1262
    δ = (Σ_k w_kj δ_k) · g′(z_j) = (1.707·0.1262) · 1 = 0.2154
    ∂L/∂w_ji = δ_j · a_i
    w_ji ← w_ji − α·∂L/∂w_ji

Only formatting happens here; every number comes from the traces of `trace.py`.

These are one dense neuron's formulas (a row of W, one bias). A convolution's value sums a window of maps and a
pooling layer has no weights at all, so for those layers, and for a dense neuron's δ that comes back through
one, every function here refuses with an NNStudioError naming the layer, rather than writing a wrong formula.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import NNStudioError
from nnstudio.core.losses import get_loss
from nnstudio.core.network import Conv2DLayer, DenseLayer, Network
from nnstudio.core.trace import ForwardTrace, Gradients

MAX_TERMS = 8


def num(value: float, digits: int = 4) -> str:
    """A number for an equation: fixed digits, trailing zeros dropped, typographic minus."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if abs(value) >= 10 ** -digits or value == 0 else \
        f"{value:.{max(digits - 1, 1)}e}"
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", "−")


def _dense_only(network: Network, *layers: int) -> None:
    """Refuse, naming it, the first of `layers` (0-based) that is not dense: its formulas are not a neuron's."""
    for index in layers:
        layer = network.layers[index]
        if not isinstance(layer, DenseLayer):
            kind = "a convolution" if isinstance(layer, Conv2DLayer) else "a pooling layer"
            raise NNStudioError(f"layer {index + 1} is {kind}: its equations are not written out, only a dense "
                                f"layer's neuron by neuron")


def _signed(value: float, digits: int) -> str:
    return f"({num(value, digits)})" if value < 0 else num(value, digits)


def _sum(terms: list[str], total_terms: int) -> str:
    shown = terms[:MAX_TERMS]
    more = f" + … ({total_terms - MAX_TERMS} more)" if total_terms > MAX_TERMS else ""
    return " + ".join(shown) + more


def forward_equations(network: Network, trace: ForwardTrace, layer: int, j: int, digits: int = 4) -> list[str]:
    """z_j = Σ_i w_ji·a_i + b_j and a_j = g(z_j) for neuron j of `layer` (0-based)."""
    _dense_only(network, layer)
    spec = network.layers[layer]
    t = trace.layers[layer]
    a_prev = t.a_prev if t.a_prev.ndim == 1 else t.a_prev[0]
    z = float(t.z[j] if t.z.ndim == 1 else t.z[0, j])
    a = float(t.a[j] if t.a.ndim == 1 else t.a[0, j])
    terms = [f"{_signed(float(w), digits)}·{_signed(float(x), digits)}" for w, x in zip(spec.weights[j], a_prev)]
    if spec.bias is not None:
        terms.append(_signed(float(spec.bias[j]), digits))
    activation = get_activation(spec.activation)
    return [
        f"z = {_sum(terms, len(terms))} = {num(z, digits)}",
        f"a = {activation.label}({num(z, digits)}) = {num(a, digits)}"
        if spec.activation != "softmax" else f"a = softmax(z)_{j + 1} = {num(a, digits)}",
    ]


def _derivative(network: Network, trace: ForwardTrace, layer: int, j: int) -> float | None:
    spec = network.layers[layer]
    activation = get_activation(spec.activation)
    if not activation.elementwise:
        return None
    t = trace.layers[layer]
    return float(activation.derivative(t.z, t.a, activation.params(spec.params))[j])


def delta_equation(network: Network, trace: ForwardTrace, grads: Gradients, loss: str, y: np.ndarray,
                   layer: int, j: int, digits: int = 4) -> str:
    """δ_j = ∂L/∂z_j for neuron j of `layer`, written the way the textbook derives it."""
    _dense_only(network, *range(layer, min(layer + 2, len(network.layers))))
    delta = float(grads.layers[layer].delta[j])
    last = len(network.layers) - 1
    spec = network.layers[layer]
    g_prime = _derivative(network, trace, layer, j)
    if layer == last:
        rule = get_loss(loss)
        a = float(trace.layers[layer].a[j])
        if rule.is_fused_with(spec.activation):
            return _closed_form_equation(rule.name, spec.activation, a, rule.targets(y, trace.layers[layer].a),
                                         j, delta, digits)
        if rule.name == "mse" and g_prime is not None:
            return (f"δ = −(y − ŷ)·g′(z) = −({num(float(y[j]), digits)} − {_signed(a, digits)})·"
                    f"{num(g_prime, digits)} = {num(delta, digits)}")
        return f"δ = ∂L/∂ŷ · ∂ŷ/∂z = {num(delta, digits)}"
    following = network.layers[layer + 1]
    deltas = grads.layers[layer + 1].delta
    terms = [f"{_signed(float(w), digits)}·{_signed(float(d), digits)}" for w, d in zip(following.weights[:, j], deltas)]
    signal = float(grads.layers[layer + 1].signal[j])
    if g_prime is None:
        return f"δ = J_softmaxᵀ·(Σ_k w_kj δ_k) = {num(delta, digits)}"
    return (f"δ = (Σ_k w_kj δ_k) · g′(z_j) = ({_sum(terms, len(terms))}) · {num(g_prime, digits)} "
            f"= {num(signal, digits)} · {num(g_prime, digits)} = {num(delta, digits)}")


def _closed_form_equation(loss: str, activation: str, a: float, y: np.ndarray, j: int, delta: float,
                          digits: int) -> str:
    """The output δ_j of a loss written out for its activation (core/losses.py): ŷ − y where that is the
    derivative, ŷ·Σy − y for softmax + cross-entropy with targets not summing to 1, −y(1 − ŷ) after sigmoid."""
    y_j = float(y[j])
    if activation == "sigmoid" and loss != "bce":
        return f"δ = −y·(1 − ŷ) = −{_signed(y_j, digits)}·(1 − {num(a, digits)}) = {num(delta, digits)}"
    total = float(np.sum(y))
    if activation == "softmax" and total != 1.0:
        return (f"δ = ŷ·Σy − y = {num(a, digits)}·{_signed(total, digits)} − {_signed(y_j, digits)} "
                f"= {num(delta, digits)}")
    return f"δ = ŷ − y = {num(a, digits)} − {_signed(y_j, digits)} = {num(delta, digits)}"


def gradient_equations(network: Network, trace: ForwardTrace, grads: Gradients, layer: int, j: int,
                       digits: int = 4) -> list[str]:
    """∂L/∂w_ji = δ_j·a_i for each input i (the first few), and ∂L/∂b_j = δ_j."""
    _dense_only(network, layer)
    delta = float(grads.layers[layer].delta[j])
    a_prev = trace.layers[layer].a_prev
    lines = [f"∂L/∂w_{j + 1},{i + 1} = δ·a_{i + 1} = {num(delta, digits)}·{_signed(float(a), digits)} = "
             f"{num(float(grads.layers[layer].grad_weights[j, i]), digits)}"
             for i, a in enumerate(a_prev[:MAX_TERMS])]
    if len(a_prev) > MAX_TERMS:
        lines.append(f"… and {len(a_prev) - MAX_TERMS} more inputs")
    if network.layers[layer].bias is not None:
        lines.append(f"∂L/∂b_{j + 1} = δ = {num(delta, digits)}")
    return lines


def update_equations(before: Network, after: Network, grads: Gradients, layer: int, j: int,
                     learning_rate: float, optimizer: str, digits: int = 4) -> list[str]:
    """w_ji ← w_ji − α·∂L/∂w_ji for each weight into neuron j (SGD), or old → new for other optimisers."""
    _dense_only(before, layer)
    old, new = before.layers[layer], after.layers[layer]
    g = grads.layers[layer].grad_weights
    lines = []
    for i in range(min(old.n_in, MAX_TERMS)):
        w0, w1 = float(old.weights[j, i]), float(new.weights[j, i])
        if optimizer == "sgd":
            lines.append(f"w_{j + 1},{i + 1} ← {num(w0, digits)} − {num(learning_rate, digits)}·"
                         f"{_signed(float(g[j, i]), digits)} = {num(w1, digits)}")
        else:
            lines.append(f"w_{j + 1},{i + 1}: {num(w0, digits)} → {num(w1, digits)} ({optimizer})")
    if old.bias is not None and new.bias is not None:
        b0, b1 = float(old.bias[j]), float(new.bias[j])
        lines.append(f"b_{j + 1}: {num(b0, digits)} → {num(b1, digits)}")
    return lines


def neuron_equations(plan, trace: ForwardTrace | None, network: Network, layer: int, j: int,  # type: ignore[no-untyped-def]
                     loss: str, target: np.ndarray, digits: int = 4) -> list[str]:
    """Every formula of neuron j of `layer` that the current step has reached (all of them
    for the forward pass when not stepping)."""
    _dense_only(network, layer)
    if plan is None:
        return [] if trace is None else forward_equations(network, trace, layer, j, digits)
    passed = plan.current
    lines: list[str] = []
    forward_lines = forward_equations(passed.before, passed.trace, layer, j, digits)
    if plan.z_visible(layer):
        lines.append(forward_lines[0])
    if plan.a_visible(layer):
        lines.append(forward_lines[1])
    if plan.delta_visible(layer):
        lines.append(delta_equation(passed.before, passed.trace, passed.gradients, loss, passed.y, layer, j, digits))
    if plan.gradients_visible(layer):
        lines += gradient_equations(passed.before, passed.trace, passed.gradients, layer, j, digits)
    if plan.updated():
        lines += update_equations(passed.before, passed.after, passed.gradients, layer, j,
                                  plan.config.learning_rate, plan.config.name, digits)
    return lines
