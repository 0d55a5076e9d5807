"""A forward pass written for the tests in plain numpy, independent of nnstudio.core: what every number
on screen is compared with. Textbook conventions: W is (neurons × inputs), z = W·a + b."""

from __future__ import annotations

import numpy as np


def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "identity":
        return z
    if name == "softmax":
        shifted = np.exp(z - z.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)
    raise ValueError(f"the reference does not know {name!r}")


def forward(layers: list[tuple[np.ndarray, np.ndarray | None, str]], x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(z, a) of every layer for input x (one sample, or rows of samples); `layers` = [(W, b or None, activation)]."""
    a = np.asarray(x, dtype=float)
    out = []
    for weights, bias, activation in layers:
        z = a @ np.asarray(weights, float).T + (0.0 if bias is None else np.asarray(bias, float))
        a = activate(activation, z)
        out.append((z, a))
    return out


def layers_of(network) -> list[tuple[np.ndarray, np.ndarray | None, str]]:  # type: ignore[no-untyped-def]
    """The numbers of a network, read from its arrays (nothing of its arithmetic)."""
    return [(np.array(layer.weights, float), None if layer.bias is None else np.array(layer.bias, float),
             layer.activation) for layer in network.layers]


def predicted(outputs: np.ndarray) -> np.ndarray:
    """Classes: one output says 1 from 0.5 up; several, the largest."""
    return (outputs[:, 0] >= 0.5).astype(int) if outputs.shape[1] == 1 else np.argmax(outputs, axis=1)


def confusion(truth: np.ndarray, guesses: np.ndarray, k: int) -> np.ndarray:
    matrix = np.zeros((k, k), dtype=int)
    for t, g in zip(truth, guesses):
        matrix[int(t), int(g)] += 1
    return matrix


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """g′(z) of an elementwise activation (ReLU′(0) = 0)."""
    if name == "relu":
        return (z > 0).astype(float)
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a**2
    if name == "identity":
        return np.ones_like(z)
    raise ValueError(f"the reference has no derivative of {name!r}")


def loss(name: str, y_hat: np.ndarray, y: np.ndarray) -> float:
    """One sample's loss: MSE ½Σ(y − ŷ)², binary and categorical cross-entropy."""
    if name == "mse":
        return float(0.5 * np.sum((y - y_hat) ** 2))
    if name == "bce":
        return float(-np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))
    if name == "cce":
        return float(-np.sum(y * np.log(y_hat)))
    raise ValueError(f"the reference does not know the loss {name!r}")


def backward(layers: list[tuple[np.ndarray, np.ndarray | None, str]], x: np.ndarray, y: np.ndarray,
             loss_name: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray], float]:
    """One sample: ((z, a) per layer, δ = ∂L/∂z per layer, the loss), by the textbook's rules.

    Output: δ = ∂L/∂ŷ ∘ g′(z), with ∂L/∂ŷ = −(y − ŷ) for MSE; softmax with cross-entropy and sigmoid
    with binary cross-entropy give δ = ŷ − y. Hidden: δ = (W_nextᵀ δ_next) ∘ g′(z).
    """
    passes = forward(layers, x)
    z_out, y_hat = passes[-1]
    last = layers[-1][2]
    y = np.asarray(y, float)
    if (last, loss_name) in (("softmax", "cce"), ("sigmoid", "bce")):
        delta = y_hat - y
    elif loss_name == "mse" and last != "softmax":
        delta = -(y - y_hat) * derivative(last, z_out, y_hat)
    else:
        raise ValueError(f"the reference does not pair {last} with {loss_name}")
    deltas = [delta]
    for k in range(len(layers) - 2, -1, -1):
        weights_next = layers[k + 1][0]
        z, a = passes[k]
        delta = (weights_next.T @ delta) * derivative(layers[k][2], z, a)
        deltas.insert(0, delta)
    return passes, deltas, loss(loss_name, y_hat, y)
