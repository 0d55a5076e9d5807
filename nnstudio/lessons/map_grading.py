"""The checks on kernels and maps (map_checks.py) evaluated against a Project: pass, or what is not yet right.

Every map comes from the core's forward pass (nnstudio/core/trace.py), seen as maps by spatial_layers.as_maps, so
a lesson reads the numbers the canvas draws; the input is fed as for every other check (check_words.fed: the
current input as the canvas feeds it). A failure names the kernel or the map, the first cell that is not right
and how many are not ("K1[1,1]: 6 of 9 cells differ; row 1, column 1 is 0, should be 1"): a 28×28 map written
out in full would tell the learner nothing.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, as_maps, show_shape
from nnstudio.core.trace import forward
from nnstudio.lessons.check_words import (Wrong, against, both_texts, counted, fed, input_text, layer_at,
                                         number_text)
from nnstudio.lessons.map_checks import (Grid, KernelCheck, MapCheck, PeakCheck, PixelCheck, kernel_name,
                                         pixel_name)

Spatial = Conv2DLayer | Pool2DLayer


def _spatial(project: Project, number: int) -> Spatial:
    """Layer `number` when it has maps; a dense layer, or no such layer, fails naming it."""
    found = layer_at(project, number)
    if not is_spatial(found):
        raise Wrong(f"layer {number} is a dense layer: it has no maps (its neurons are checked with unit)")
    return found  # type: ignore[return-value]  # is_spatial: a convolution or pooling


def _cells_differing(name: str, got: np.ndarray, wanted: Grid, tolerance: float, cells: str) -> list[str]:
    """Nothing when every cell of `got` is within `tolerance` of `wanted`; else how many differ and the first."""
    target = np.asarray(wanted, dtype=np.float64)
    if got.shape != target.shape:
        raise Wrong(f"{name} is {show_shape(got.shape)}, the task gives {show_shape(target.shape)}")
    wrong = ~(np.abs(got.astype(np.float64) - target) <= tolerance)  # NaN counts as wrong
    if not wrong.any():
        return []
    row, column = (int(i) for i in np.argwhere(wrong)[0])
    shown, expected = both_texts(float(got[row, column]), float(target[row, column]))
    return [f"{name}: {int(wrong.sum())} of {wrong.size} {cells} differ; row {row + 1}, column {column + 1} is "
            f"{shown}, should be {expected}"]


def _kernel(check: KernelCheck, project: Project) -> list[str]:
    layer = _spatial(project, check.layer)
    if not isinstance(layer, Conv2DLayer):
        raise Wrong(f"layer {check.layer} is a pooling layer: it has no kernel")
    counted("kernel", check.kernel, layer.channels, f"layer {check.layer}")
    counted("input channel", check.channel, layer.in_shape[0], f"layer {check.layer}'s input")
    return _cells_differing(kernel_name(check), layer.kernel[check.kernel - 1, check.channel - 1], check.value,
                            check.tolerance, "cells")


def _map_of(check: PixelCheck | MapCheck | PeakCheck, project: Project) -> np.ndarray:
    """The check's map (H, W) of its layer's a, for its input."""
    layer = _spatial(project, check.layer)
    counted("map", check.map, layer.out_shape[0], f"layer {check.layer}")
    step = forward(project.network, fed(project, check.input, f"map {check.map} of layer {check.layer}"))
    return as_maps(step.layers[check.layer - 1].a, layer.out_shape)[check.map - 1]


def _at(check: PixelCheck | PeakCheck, values: np.ndarray) -> float:
    owner = f"map {check.map} of layer {check.layer} ({show_shape(values.shape)})"
    counted("row", check.row, values.shape[0], owner)
    counted("column", check.column, values.shape[1], owner)
    return float(values[check.row - 1, check.column - 1])


def _pixel(check: PixelCheck, project: Project) -> list[str]:
    got = _at(check, _map_of(check, project))
    name = f"{pixel_name(check.layer, check.map, check.row, check.column)}({input_text(check.input)})"
    return against(name, got, check, check.value)


def _map(check: MapCheck, project: Project) -> list[str]:
    name = f"map {check.map} of layer {check.layer} ({input_text(check.input)})"
    return _cells_differing(name, _map_of(check, project), check.value, check.tolerance, "pixels")


def _peak(check: PeakCheck, project: Project) -> list[str]:
    """The pixel passes when it holds the largest value of its map (within the tolerance); else the message says
    where the map answers most: its first largest pixel, row by row, as a max pool picks it."""
    values = _map_of(check, project)
    got = _at(check, values)
    if np.all(np.isnan(values)):
        raise Wrong(f"map {check.map} of layer {check.layer} holds no number (NaN everywhere)")
    largest = float(np.nanmax(values))
    if got >= largest - check.tolerance:
        return []
    row, column = (int(i) for i in np.unravel_index(int(np.nanargmax(values)), values.shape))
    return [f"map {check.map} of layer {check.layer} ({input_text(check.input)}) answers most at row {row + 1}, "
            f"column {column + 1} ({number_text(largest)}); row {check.row}, column {check.column} holds "
            f"{number_text(got)}"]


MAP_EVALUATORS: dict[type, Callable[..., list[str]]] = {KernelCheck: _kernel, PixelCheck: _pixel, MapCheck: _map,
                                                        PeakCheck: _peak}
