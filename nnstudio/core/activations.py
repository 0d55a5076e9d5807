"""Activation functions g, each with its exact derivative beside it.

An `Activation` record holds g(z) and the vector–Jacobian product that carries an
upstream gradient ∂L/∂a back to ∂L/∂z. For the elementwise functions that is
∂L/∂a ∘ g′(z); softmax couples its outputs, so it goes through its full
Jacobian: ∂L/∂z = a ∘ (∂L/∂a − Σ_k a_k ∂L/∂a_k), never an elementwise shortcut.

Arrays are (n,) for one sample or (batch, n); every function works on the last
axis only where it must (softmax). Parameters (leaky slope, ELU α) come in a
plain dict so that files can store them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from nnstudio.core.errors import NNStudioError, UnknownNameError

Params = Mapping[str, float]
_ERF = np.vectorize(math.erf, otypes=[float])


def _erf(x: np.ndarray) -> np.ndarray:
    """erf without scipy: math.erf per element (exact to double precision)."""
    return _ERF(x).astype(x.dtype, copy=False)


class ParameterError(NNStudioError, ValueError):
    """An activation parameter that is not a finite number, or that the network's precision cannot hold.

    Why: ELU's α = 1e308 in a float32 network becomes inf, and every output below zero −inf (or NaN at
    z = 0); a NaN slope makes every output NaN, and a network holding one cannot be saved. `key` names the
    parameter, so a file reader can say `layers[0].params.alpha`; `reason` is the message without it."""

    def __init__(self, activation: str, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"{activation} parameter {key}: {reason}")


@dataclass(frozen=True)
class Activation:
    """g and its derivative. `derivative` is g′(z); `elementwise` is False for softmax."""

    name: str
    label: str
    function: Callable[[np.ndarray, Params], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray, Params], np.ndarray]
    defaults: Mapping[str, float] = field(default_factory=dict)
    elementwise: bool = True
    formula: str = ""

    def params(self, given: Params | None = None) -> dict[str, float]:
        """The defaults overlaid with `given`; unknown keys, and values that are not finite numbers, are
        refused by name."""
        merged = dict(self.defaults)
        for key, value in (given or {}).items():
            if key not in self.defaults:
                raise UnknownNameError(f"parameter of {self.name}", key, sorted(self.defaults) or ["(none)"])
            try:
                number = float(value)
            except (TypeError, ValueError, OverflowError):  # text, None, or an integer of 400 digits
                raise ParameterError(self.name, key, f"expected a finite number, got {str(value)[:40]!r}") from None
            if not math.isfinite(number):
                raise ParameterError(self.name, key, f"expected a finite number, got {number}")
            merged[key] = number
        return merged

    def check_fits(self, params: Params, dtype: np.dtype | type) -> None:
        """Refuse a parameter the network's precision cannot hold: cast, it would be ±inf, and the outputs
        it scales infinite or NaN. Within it every output stays finite for finite z: ELU's lies in
        [−α, 0] below zero (and g′ = a + α in [0, α]), a leaky slope scales z as a weight does."""
        limit = float(np.finfo(dtype).max)
        for key, value in params.items():
            if abs(value) > limit:
                raise ParameterError(self.name, key, f"{value:g} does not fit in {np.dtype(dtype)} (limit "
                                                     f"±{limit:.4g}); use precision float64 or a smaller value")

    def __call__(self, z: np.ndarray, params: Params | None = None) -> np.ndarray:
        return self.function(z, self.params(params))

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray, params: Params | None = None) -> np.ndarray:
        """∂L/∂z from ∂L/∂a: grad_a ∘ g′(z), or the softmax Jacobian product."""
        p = self.params(params)
        if not self.elementwise:
            return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))
        return grad_a * self.derivative(z, a, p)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Stable logistic, σ(z) = ½(1 + tanh(z/2)): no exp of a large number, no branch."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def _gelu(z: np.ndarray) -> np.ndarray:
    return z * 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))


def _gelu_prime(z: np.ndarray) -> np.ndarray:
    cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return cdf + z * pdf


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def _silu(z: np.ndarray) -> np.ndarray:
    return z * _sigmoid(z)


def _silu_prime(z: np.ndarray) -> np.ndarray:
    s = _sigmoid(z)
    return s + z * s * (1.0 - s)


def _elu(z: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


_LIST: list[Activation] = [
    Activation("identity", "Identity", lambda z, p: z.copy(), lambda z, a, p: np.ones_like(z), formula="g(z) = z"),
    Activation(
        "sign",
        "Sign (±1)",
        lambda z, p: np.where(z >= 0, 1.0, -1.0).astype(z.dtype),
        lambda z, a, p: np.zeros_like(z),
        formula="g(z) = +1 if z ≥ 0 else −1; g′ = 0",
    ),
    Activation(
        "step",
        "Binary step",
        lambda z, p: (z >= 0).astype(z.dtype),
        lambda z, a, p: np.zeros_like(z),
        formula="g(z) = 1 if z ≥ 0 else 0; g′ = 0",
    ),
    Activation(
        "sigmoid",
        "Sigmoid",
        lambda z, p: _sigmoid(z),
        lambda z, a, p: a * (1.0 - a),
        formula="g(z) = 1/(1+e^−z); g′ = g(1−g)",
    ),
    Activation("tanh", "Tanh", lambda z, p: np.tanh(z), lambda z, a, p: 1.0 - a * a, formula="g′ = 1 − tanh²z"),
    Activation(
        "relu",
        "ReLU",
        lambda z, p: np.maximum(z, 0.0),
        lambda z, a, p: (z > 0).astype(z.dtype),
        formula="g(z) = max(0, z); g′(0) = 0",
    ),
    Activation(
        "leaky_relu",
        "Leaky ReLU",
        lambda z, p: np.where(z > 0, z, p["slope"] * z),
        lambda z, a, p: np.where(z > 0, 1.0, p["slope"]).astype(z.dtype),
        defaults={"slope": 0.01},
        formula="g(z) = z if z > 0 else slope·z",
    ),
    Activation(
        "elu",
        "ELU",
        lambda z, p: _elu(z, p["alpha"]),
        lambda z, a, p: np.where(z > 0, 1.0, a + p["alpha"]).astype(z.dtype),
        defaults={"alpha": 1.0},
        formula="g(z) = z if z > 0 else α(eᶻ − 1)",
    ),
    Activation(
        "gelu",
        "GELU",
        lambda z, p: _gelu(z),
        lambda z, a, p: _gelu_prime(z),
        formula="g(z) = z·Φ(z); g′ = Φ(z) + z·φ(z)",
    ),
    Activation(
        "softplus",
        "Softplus",
        lambda z, p: _softplus(z),
        lambda z, a, p: _sigmoid(z),
        formula="g(z) = ln(1 + eᶻ); g′ = σ(z)",
    ),
    Activation("swish", "Swish / SiLU", lambda z, p: _silu(z), lambda z, a, p: _silu_prime(z), formula="g(z) = z·σ(z)"),
    Activation(
        "softmax",
        "Softmax",
        lambda z, p: _softmax(z),
        lambda z, a, p: np.zeros_like(z),  # unused: softmax goes through its Jacobian
        elementwise=False,
        formula="a_i = e^{z_i} / Σ_k e^{z_k}",
    ),
]

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in _LIST}
ALIASES: dict[str, str] = {"linear": "identity", "none": "identity", "silu": "swish", "binary_step": "step"}


def get_activation(name: str) -> Activation:
    """The registered activation called `name` (or one of its aliases)."""
    key = ALIASES.get(name, name)
    try:
        return ACTIVATIONS[key]
    except KeyError:
        raise UnknownNameError("activation", str(name), sorted(ACTIVATIONS)) from None
