"""The content-addressable-memory reading of a dense layer, and building one from samples.

Each neuron's weight row w is a stored "memory"; for an input x the neuron
computes w·x = ‖w‖‖x‖cos θ, so after a bias −τ and a ReLU it answers only when x
points close enough to its memory. `memory_rows` gives these readings;
`network_from_samples` builds the worked example's kind of network from samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import Conv2DLayer, DenseLayer, Network
from nnstudio.core.project import Sample


@dataclass(frozen=True)
class MemoryRow:
    """One neuron of the layer: its memory w, ‖w‖, ‖x‖, w·x, cos θ, and its output a."""

    neuron: int
    weights: np.ndarray
    weight_norm: float
    input_norm: float
    dot: float
    cosine: float | None  # None when either vector is zero
    output: float


def memory_rows(layer: DenseLayer, x: np.ndarray, output: np.ndarray, name: str = "the layer") -> list[MemoryRow]:
    """The readings for every neuron of `layer` given its input x and its output a.

    Only a dense layer has weight rows to read as memories; a convolution or pooling layer (`name` says which
    layer it is, e.g. "layer 2") is refused with an NNStudioError rather than failing on a missing W."""
    if not isinstance(layer, DenseLayer):
        kind = "a convolution" if isinstance(layer, Conv2DLayer) else "a pooling layer"
        raise NNStudioError(f"{name} is {kind}: the memory reading is of a dense layer's weight rows")
    x = np.asarray(x, dtype=float)
    x_norm = float(np.linalg.norm(x))
    rows = []
    for j, w in enumerate(np.asarray(layer.weights, dtype=float)):
        w_norm = float(np.linalg.norm(w))
        dot = float(w @ x)
        cosine = dot / (w_norm * x_norm) if w_norm > 0 and x_norm > 0 else None
        rows.append(MemoryRow(j, w, w_norm, x_norm, dot, cosine, float(output[j])))
    return rows


def most_similar(rows: Sequence[MemoryRow]) -> int | None:
    """Index of the memory with the largest cos θ (None if none is defined)."""
    candidates = [(r.cosine, r.neuron) for r in rows if r.cosine is not None]
    return max(candidates)[1] if candidates else None


def network_from_samples(samples: Sequence[Sample], tau: float = 1 / math.sqrt(2),
                         output_activation: str = "relu") -> Network:
    """A one-hidden-layer ReLU network that stores each sample as a memory.

    Hidden row k is sample k's input scaled to unit length, its bias −τ; so a stored
    input gives hidden output 1 − τ. The output weights are the targets scaled by
    λ = 1/(1 − τ), so a stored input gives back exactly its target (no output bias).
    """
    if not samples:
        raise NNStudioError("there are no samples to build memories from")
    if not 0 <= tau < 1:
        raise NNStudioError(f"τ must be in [0, 1), got {tau:g}")
    rows = []
    for s in samples:
        norm = float(np.linalg.norm(s.input))
        if norm == 0:
            raise NNStudioError(f"sample {s.name!r} has a zero input, which has no direction to remember")
        rows.append(np.asarray(s.input, dtype=float) / norm)
    hidden = DenseLayer(np.array(rows), np.full(len(rows), -tau), "relu")
    lam = 1.0 / (1.0 - tau)
    targets = np.array([np.asarray(s.target, dtype=float) for s in samples])  # K × n_out
    output = DenseLayer(lam * targets.T, None, output_activation)
    return Network(len(samples[0].input), (hidden, output))
