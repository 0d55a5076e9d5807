"""What each column of maps shows now, as plain arrays (Qt-free): the input, then every convolution's and pooling's
maps — of the forward pass, or of the step a pass being walked through has reached.

Why a module of its own: the tiles (map_columns.py), the numbers and marks over them (map_overlay.py) and the
hover card of a pixel must read the same values, as the dense columns' labels and cards read readouts.py's. While
stepping (issue 35, point 4) a layer's maps follow its step exactly as a dense layer's neurons do
(readouts.neuron_text): blank before its z, z once reached, a after its activation, and δ = ∂L/∂z once the
backward pass has reached it (the column says "δ" in its scale). A max pooling sends δ back to the first maximum
of each window (LayerTrace.argmax): `pool_marks` names those input pixels, so the canvas can mark them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.spatial_layers import Pool2DLayer, as_maps
from nnstudio.document import Document
from nnstudio.ui.canvas.map_layout import MapPixel

SMALL_POOL = 49  # a max pool whose maps have at most this many pixels each marks every window's choice at once


@dataclass(frozen=True, eq=False)
class ColumnValues:
    """The maps one column shows, shaped (C, H, W); `kind` says what they are: "x" (the input), "z", "a" or "δ"."""

    values: np.ndarray
    kind: str

    @cached_property
    def inked(self) -> bool:
        """Drawn as ink on white, as a dense network's image input is: the input ("x") with every value in 0…1 (a
        digit). One rule for the tiles (map_columns.py) and the light or dark numbers over them (map_overlay.py)."""
        values = self.values
        return self.kind == "x" and values.size > 0 and float(values.min()) >= 0.0 and float(values.max()) <= 1.0


def _spatial_count(document: Document) -> int:
    network = document.project.network
    return sum(1 for layer in network.layers if is_spatial(layer))


def shown_maps(document: Document) -> list[ColumnValues | None]:
    """Every map column's values (None: blank, not reached yet or no forward pass), input first."""
    network = document.project.network
    if network.input_shape is None:
        return []
    shapes = [network.input_shape] + [layer.out_shape for layer in network.layers[:_spatial_count(document)]]  # type: ignore[attr-defined]
    plan = document.stepping.plan
    stepping = plan is not None and plan.current.before.sizes == network.sizes
    x = plan.current.x if stepping else document.project.input  # type: ignore[union-attr]
    out: list[ColumnValues | None] = [ColumnValues(as_maps(np.asarray(x, dtype=float).reshape(-1), shapes[0]), "x")]
    trace = plan.current.trace if stepping else document.shown_trace  # type: ignore[union-attr]
    grads = plan.current.gradients if stepping else None  # type: ignore[union-attr]
    for index, shape in enumerate(shapes[1:]):
        if trace is None or index >= len(trace.layers):
            out.append(None)
            continue
        layer = trace.layers[index]
        if not stepping:
            flat, kind = layer.a, "a"
        elif grads is not None and plan.delta_visible(index):  # type: ignore[union-attr]
            flat, kind = grads.layers[index].delta, "δ"
        elif plan.a_visible(index):  # type: ignore[union-attr]
            flat, kind = layer.a, "a"
        elif plan.z_visible(index):  # type: ignore[union-attr]
            flat, kind = layer.z, "z"
        else:
            out.append(None)
            continue
        out.append(ColumnValues(as_maps(np.asarray(flat, dtype=float).reshape(-1), shape), kind))
    return out


def pool_marks(document: Document, selected: MapPixel | None) -> list[MapPixel]:
    """The input pixels each max pooling sent δ back to, once the backward pass has reached its δ: for the
    selected pixel when it is one of the pooling's, and for every pixel of a small pooling (≤ SMALL_POOL a map).
    Each is the window's first maximum, as LayerTrace.argmax keeps it (row·W + column in the input map)."""
    plan = document.stepping.plan
    network = document.project.network
    if plan is None or plan.current.gradients is None or plan.current.before.sizes != network.sizes:
        return []
    marks: list[MapPixel] = []
    for index in range(_spatial_count(document)):
        layer = network.layers[index]
        argmax = plan.current.trace.layers[index].argmax
        if not isinstance(layer, Pool2DLayer) or argmax is None or not plan.delta_visible(index):
            continue
        chosen = np.asarray(argmax).reshape(layer.out_shape)
        width = layer.in_shape[2]
        channels, rows, cols = layer.out_shape
        if rows * cols <= SMALL_POOL:
            outputs = [(c, r, q) for c in range(channels) for r in range(rows) for q in range(cols)]
        elif selected is not None and selected.column == index + 1:
            outputs = [(selected.channel, selected.row, selected.col)]
        else:
            outputs = []
        for c, r, q in outputs:
            place = int(chosen[c, r, q])
            marks.append(MapPixel(index, c, place // width, place % width))
    return marks
