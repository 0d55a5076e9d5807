"""Small seeded datasets for seeing a network learn: the same seed gives the same data."""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnstudio.data.dataset import Dataset, DatasetError


def xor(n: int = 4, seed: int = 0, noise: float = 0.0) -> Dataset:
    """The four XOR corners (n = 4), or n noisy points around them."""
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([0, 1, 1, 0])
    if n == 4 and noise == 0:
        return Dataset("xor", corners, labels, ("0", "1"), feature_names=("x1", "x2"))
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, 4, n)
    x = corners[pick] + rng.normal(0, noise, (n, 2)).astype(np.float32)
    return Dataset("xor", x.astype(np.float32), labels[pick], ("0", "1"), feature_names=("x1", "x2"))


def product(n: int = 400, seed: int = 0) -> Dataset:
    """Class = sign of x1·x2 on [−1, 1]² (the four quadrants)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return Dataset("product", x, (x[:, 0] * x[:, 1] > 0).astype(np.int64), ("x1·x2 < 0", "x1·x2 > 0"),
                   feature_names=("x1", "x2"))


def circles(n: int = 400, seed: int = 0, noise: float = 0.05) -> Dataset:
    """An inner disc and an outer ring."""
    rng = np.random.default_rng(seed)
    inner = rng.integers(0, 2, n)
    radius = np.where(inner == 1, rng.uniform(0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1) + rng.normal(0, noise, (n, 2))
    return Dataset("circles", x.astype(np.float32), inner.astype(np.int64), ("ring", "disc"),
                   feature_names=("x1", "x2"))


def spirals(n: int = 400, seed: int = 0, noise: float = 0.05) -> Dataset:
    """Two interleaved spirals: the classic hard case for a small network."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    t = rng.uniform(0.25, 1.0, n) * 3 * np.pi
    r = t / (3 * np.pi)
    angle = t + label * np.pi
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) + rng.normal(0, noise, (n, 2))
    return Dataset("spirals", x.astype(np.float32), label.astype(np.int64), ("spiral A", "spiral B"),
                   feature_names=("x1", "x2"))


def clusters(n: int = 400, seed: int = 0, k: int = 3, spread: float = 0.3) -> Dataset:
    """k Gaussian clusters around points on a circle."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, k, n)
    centres = np.stack([np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)], axis=1)
    x = centres[label] + rng.normal(0, spread, (n, 2))
    return Dataset("clusters", x.astype(np.float32), label.astype(np.int64), tuple(f"cluster {i + 1}" for i in range(k)),
                   feature_names=("x1", "x2"))


def quadratic(n: int = 60, seed: int = 0, noise: float = 0.1) -> Dataset:
    """Regression: y = x² + noise on [−1, 1]; few points, to show under- and over-fitting."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 1))
    y = x[:, 0] ** 2 + rng.normal(0, noise, n)
    return Dataset("quadratic", x.astype(np.float32), y.astype(np.float32), None, feature_names=("x",))


TOY_SETS: dict[str, Callable[..., Dataset]] = {
    "xor": xor, "product": product, "circles": circles, "spirals": spirals, "clusters": clusters,
    "quadratic": quadratic,
}


def toy(name: str, seed: int = 0) -> Dataset:
    try:
        return TOY_SETS[name](seed=seed)
    except KeyError:
        raise DatasetError(f"unknown toy dataset {name!r}; expected one of {', '.join(TOY_SETS)}") from None
