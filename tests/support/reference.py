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
