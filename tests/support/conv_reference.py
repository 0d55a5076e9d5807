"""A forward and backward pass through maps, written for the tests in plain numpy loops, independent of
nnstudio.core (no conv.py, no trace.py): what the Step dock's pixel detail and the canvas's maps are compared with.

Conventions (PyTorch's, docs/conv-worked-example.md): cross-correlation, kernels (K, C, k, k), maps flattened in
(C, H, W) order, a max pool's δ to the first maximum in scan order, zero padding. One sample at a time.
"""

from __future__ import annotations

import numpy as np

from tests.support.reference import activate, derivative

SOBEL_X = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]  # the vertical-edge detector the acceptance test types


def correlate(image: np.ndarray, kernel, bias: float = 0.0) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A valid cross-correlation (the kernel not flipped, stride 1, no padding), one window at a time, plus `bias`:
    out[i, j] = Σ k[u, v]·x[i+u, j+v] + b."""
    k = np.asarray(kernel, dtype=float)
    rows, cols = image.shape[0] - k.shape[0] + 1, image.shape[1] - k.shape[1] + 1
    return np.array([[float((image[r:r + k.shape[0], c:c + k.shape[1]] * k).sum()) + bias for c in range(cols)]
                     for r in range(rows)])


def describe(network) -> list[dict]:  # type: ignore[no-untyped-def]
    """Each layer's numbers read off its arrays (nothing of its arithmetic): a dict with "kind" conv, pool or
    dense."""
    out = []
    for layer in network.layers:
        name = type(layer).__name__
        if name == "Conv2DLayer":
            out.append({"kind": "conv", "K": np.array(layer.kernel, float), "in_shape": tuple(layer.in_shape),
                        "b": None if layer.bias is None else np.array(layer.bias, float), "stride": layer.stride,
                        "pad": layer.pad, "activation": layer.activation})
        elif name == "Pool2DLayer":
            out.append({"kind": "pool", "type": layer.kind, "size": layer.size, "in_shape": tuple(layer.in_shape),
                        "stride": layer.stride or layer.size, "activation": "identity"})
        else:
            out.append({"kind": "dense", "W": np.array(layer.weights, float),
                        "b": None if layer.bias is None else np.array(layer.bias, float),
                        "activation": layer.activation})
    return out


def _conv(spec: dict, a: np.ndarray) -> np.ndarray:
    maps = np.pad(a.reshape(spec["in_shape"]), ((0, 0), (spec["pad"],) * 2, (spec["pad"],) * 2))
    kernels, k, s = spec["K"], spec["K"].shape[2], spec["stride"]
    height, width = (maps.shape[1] - k) // s + 1, (maps.shape[2] - k) // s + 1
    z = np.zeros((kernels.shape[0], height, width))
    for o in range(kernels.shape[0]):
        for i in range(height):
            for j in range(width):
                z[o, i, j] = np.sum(kernels[o] * maps[:, i * s:i * s + k, j * s:j * s + k])
        z[o] += 0.0 if spec["b"] is None else spec["b"][o]
    return z.reshape(-1)


def _pool(spec: dict, a: np.ndarray) -> tuple[np.ndarray, list]:
    """The pooled maps, and for max the input pixel each output pixel took (first maximum, row by row)."""
    maps = a.reshape(spec["in_shape"])
    size, s = spec["size"], spec["stride"]
    channels, height, width = maps.shape[0], (maps.shape[1] - size) // s + 1, (maps.shape[2] - size) // s + 1
    z, chosen = np.zeros((channels, height, width)), []
    for c in range(channels):
        for i in range(height):
            for j in range(width):
                window = maps[c, i * s:i * s + size, j * s:j * s + size]
                if spec["type"] == "max":
                    u, v = divmod(int(np.argmax(window)), size)
                    z[c, i, j] = window[u, v]
                    chosen.append(((c, i, j), (c, i * s + u, j * s + v)))
                else:
                    z[c, i, j] = window.mean()
    return z.reshape(-1), chosen


def forward(specs: list[dict], x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(z, a) of every layer, flat in (C, H, W) order."""
    a = np.asarray(x, float).reshape(-1)
    out = []
    for spec in specs:
        if spec["kind"] == "conv":
            z = _conv(spec, a)
        elif spec["kind"] == "pool":
            z = _pool(spec, a)[0]
        else:
            z = spec["W"] @ a + (0.0 if spec["b"] is None else spec["b"])
        a = activate(spec["activation"], z)
        out.append((z, a))
    return out


def _signal_back(spec: dict, delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """∂L/∂a_prev from this layer's δ."""
    if spec["kind"] == "dense":
        return spec["W"].T @ delta
    if spec["kind"] == "pool":
        back = np.zeros(int(np.prod(spec["in_shape"])))
        maps = back.reshape(spec["in_shape"])
        size, s = spec["size"], spec["stride"]
        out_maps = delta.reshape(spec["in_shape"][0], -1)
        if spec["type"] == "max":
            for (c, i, j), target in _pool(spec, a_prev)[1]:
                width = (spec["in_shape"][2] - size) // s + 1
                maps[target] += out_maps[c, i * width + j]
        else:
            pooled = delta.reshape(spec["in_shape"][0], (spec["in_shape"][1] - size) // s + 1, -1)
            for c, i, j in np.ndindex(*pooled.shape):
                maps[c, i * s:i * s + size, j * s:j * s + size] += pooled[c, i, j] / size**2
        return back
    channels, height, width = spec["in_shape"]
    p, k, s = spec["pad"], spec["K"].shape[2], spec["stride"]
    padded = np.zeros((channels, height + 2 * p, width + 2 * p))
    deltas = delta.reshape(spec["K"].shape[0], (height + 2 * p - k) // s + 1, -1)
    for o, i, j in np.ndindex(*deltas.shape):
        padded[:, i * s:i * s + k, j * s:j * s + k] += deltas[o, i, j] * spec["K"][o]
    return padded[:, p:p + height, p:p + width].reshape(-1)


def backward(specs: list[dict], x: np.ndarray, y: np.ndarray, loss_name: str) -> tuple[list, list[np.ndarray]]:
    """((z, a) per layer, δ = ∂L/∂z per layer): softmax + cross-entropy or MSE after identity/sigmoid at the
    output; then δ = signal ∘ g′(z) back through every layer (a pool's g is the identity)."""
    passes = forward(specs, x)
    z_out, y_hat = passes[-1]
    y = np.asarray(y, float)
    if specs[-1]["activation"] == "softmax" and loss_name == "cce":
        delta = y_hat - y
    elif loss_name == "mse":
        delta = -(y - y_hat) * derivative(specs[-1]["activation"], z_out, y_hat)
    else:
        raise ValueError(f"the conv reference does not pair {specs[-1]['activation']} with {loss_name}")
    deltas = [delta]
    for k in range(len(specs) - 1, 0, -1):
        a_prev = passes[k - 1][1]
        signal = _signal_back(specs[k], delta, a_prev)
        z, a = passes[k - 1]
        delta = signal * derivative(specs[k - 1]["activation"], z, a)
        deltas.insert(0, delta)
    return passes, deltas


def kernel_gradient(spec: dict, delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """∂L/∂K (K, C, k, k) of a convolution: Σ over its output pixels of δ[o, i, j] times the window under them."""
    maps = np.pad(np.asarray(a_prev, float).reshape(spec["in_shape"]), ((0, 0), (spec["pad"],) * 2, (spec["pad"],) * 2))
    k, s = spec["K"].shape[2], spec["stride"]
    deltas = delta.reshape(spec["K"].shape[0], (maps.shape[1] - k) // s + 1, -1)
    grad = np.zeros_like(spec["K"])
    for o, i, j in np.ndindex(*deltas.shape):
        grad[o] += deltas[o, i, j] * maps[:, i * s:i * s + k, j * s:j * s + k]
    return grad
