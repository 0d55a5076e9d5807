"""Neuron maps: each neuron's activation over the plane of a two-input network's inputs.

TensorFlow Playground draws every hidden neuron as a heat map of its output over (x1, x2); so do
we, on the canvas and large. A map is the neuron's a (after its activation) on a grid of the
plane: `maps[layer][j, row, col]` is neuron j of that layer at x1 = `xs[col]`, x2 = `ys[row]`,
with row 0 at the top (the largest x2), as a picture is drawn. The output layer's map is the
decision boundary. One batched forward pass (`core.trace.forward`) computes them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import Network
from nnstudio.core.trace import forward

DEFAULT_BOUNDS = ((-1.5, 1.5), (-1.5, 1.5))  # x1 range, x2 range when no data says otherwise
MARGIN = 0.2  # around the data's extent


@dataclass(frozen=True, eq=False)
class NeuronMaps:
    """Every layer's maps on one grid; `xs` and `ys` are the grid's x1 and x2 values (ys from the top)."""

    xs: np.ndarray
    ys: np.ndarray
    layers: tuple[np.ndarray, ...]  # one (neurons, rows, cols) array per layer

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (float(self.xs[0]), float(self.xs[-1])), (float(self.ys[-1]), float(self.ys[0]))


def plane_bounds(points: np.ndarray | None) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (x1, x2) ranges to map: the points' extent plus a margin, else DEFAULT_BOUNDS."""
    if points is None or len(points) == 0 or points.shape[1] != 2 or not np.all(np.isfinite(points)):
        return DEFAULT_BOUNDS
    lo, hi = points.min(axis=0) - MARGIN, points.max(axis=0) + MARGIN
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def neuron_maps(network: Network, bounds=DEFAULT_BOUNDS, size: int = 32) -> NeuronMaps:  # type: ignore[no-untyped-def]
    """Each neuron's activation over a size × size grid of the input plane (a two-input network)."""
    if network.input_size != 2:
        raise NNStudioError(f"neuron maps are drawn over the plane of two inputs; this network takes "
                            f"{network.input_size}")
    if not 2 <= size <= 512:
        raise NNStudioError(f"a map is 2 to 512 points a side, got {size}")
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    xs = np.linspace(x_lo, x_hi, size)
    ys = np.linspace(y_hi, y_lo, size)  # from the top
    grid_x, grid_y = np.meshgrid(xs, ys)  # [row, col]
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(network.dtype)
    trace = forward(network, points)
    layers = tuple(np.ascontiguousarray(t.a.T.reshape(t.a.shape[1], size, size)) for t in trace.layers)
    return NeuronMaps(xs, ys, layers)
