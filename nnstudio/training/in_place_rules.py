"""The core's activations and optimisers as the fast engine computes them: in place, one sample per column.

Why a second writing of rules that `core/activations.py` and `core/optim.py` already hold: the core builds
new arrays on every call (right for stepping through one sample, and for undo), the engine writes the same
numbers into buffers it made once for the batch size. The common activations have an in-place path here;
every other one goes through the core's own definition, transposed (samples are rows there). The
optimisers are all written here, SGD with L2, momentum and Adam.

Two writings can drift apart, so `tests/training/test_engine_matches_core.py` trains every optimiser with
every activation of the core's registries (`OPTIMIZERS`, `ACTIVATIONS`) both ways and holds the weights
equal to 1e-12: a rule changed on one side only fails there, and a rule added to the core is covered at once.
"""

from __future__ import annotations

import math

import numpy as np

from nnstudio.core.activations import Params, get_activation
from nnstudio.core.optim import OptimizerConfig


def activate(name: str, params: Params, z: np.ndarray, a: np.ndarray) -> None:
    """a = g(z) for a block of columns (a may be z itself)."""
    if name == "relu":
        np.maximum(z, 0, out=a)
    elif name == "identity":
        if a is not z:
            a[...] = z
    elif name == "sigmoid":
        np.multiply(z, 0.5, out=a)
        np.tanh(a, out=a)
        a += 1
        a *= 0.5
    elif name == "tanh":
        np.tanh(z, out=a)
    elif name == "softmax":
        np.subtract(z, z.max(axis=0, keepdims=True), out=a)
        np.exp(a, out=a)
        a /= a.sum(axis=0, keepdims=True)
    else:  # the core's activations take one sample per row
        a[...] = get_activation(name)(z.T, params).T


def through_activation(name: str, params: Params, z: np.ndarray, a: np.ndarray, mask: np.ndarray,
                       grad_a: np.ndarray, out: np.ndarray) -> None:
    """out = ∂L/∂z from ∂L/∂a through g (out may be grad_a itself; `mask` is scratch for ReLU)."""
    if name == "relu":
        np.greater(z, 0, out=mask)  # ReLU′(0) = 0
        np.multiply(grad_a, mask, out=out)
    elif name == "identity":
        out[...] = grad_a
    elif name == "sigmoid":
        np.multiply(grad_a, a, out=out)
        out *= 1 - a
    elif name == "tanh":
        np.multiply(grad_a, 1 - a * a, out=out)
    else:
        out[...] = get_activation(name).backward(z.T, a.T, grad_a.T, params).T


def update_in_place(config: OptimizerConfig, t: int, params: list[np.ndarray], grads: list[np.ndarray],
                    first: list[np.ndarray], second: list[np.ndarray], scratch: list[np.ndarray]) -> None:
    """Step `t` (counting from 1) of the optimiser `config` names, on every parameter array in place.

    `grads` already hold any L2 term; `first` is momentum's velocity or Adam's m, `second` Adam's v, and
    `scratch` one spare array per parameter. Adam's m̂/(√v̂ + ε) is computed as
    (m/(1−β₁ᵗ)) / (√v/√(1−β₂ᵗ) + ε), the same quantity.
    """
    c = config
    for p, g, m, v, tmp in zip(params, grads, first, second, scratch):
        if c.name == "sgd":
            np.multiply(g, c.learning_rate, out=tmp)
            p -= tmp
        elif c.name == "momentum":
            m *= c.momentum
            np.multiply(g, c.learning_rate, out=tmp)
            m -= tmp
            p += m
        else:
            m *= c.beta1
            np.multiply(g, 1 - c.beta1, out=tmp)
            m += tmp
            v *= c.beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - c.beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= 1 / math.sqrt(1 - c.beta2**t)
            tmp += c.epsilon
            np.divide(m, tmp, out=tmp)
            tmp *= c.learning_rate / (1 - c.beta1**t)
            p -= tmp
