"""The checks a lesson puts on a convolutional network: a kernel's values, a map pixel, a whole map, where a map
answers most. Read from JSON field by field, as check_types.py reads the checks on dense layers.

Why these four: a lesson on convolution teaches that a kernel is a detector that slides (the seeds' "a neuron's
weights are what it wants to see", at every position). The learner types a kernel (`kernel`), sees one map pixel
answer (`pixel`), the whole map light up where the input looks like the kernel (`map`), and its largest value
sit where the pattern is (`peak`). Kernels, maps, rows and columns are counted from 1, as the Inspector names
them ("map 1, row 2, column 3"); kernel K of a layer makes its map K, reading each input channel C through its
own k×k grid, K1[K,C] (as W1[neuron,input] names a weight). A map pixel's value is its a (after the layer's
activation; a pooling layer's a is its z). grading.py evaluates them through map_grading.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from nnstudio.core.limits import MAX_SIZE
from nnstudio.lessons.fields import (DEFAULT_TOLERANCE, Given, LessonFileError, exact_keys, given, layer_number, number,
                                     numbers, one_of, optional, shown, tolerance, whole)

Grid = tuple[tuple[float, ...], ...]
_BOUNDS = ("value", "below", "above")


@dataclass(frozen=True)
class KernelCheck:
    """Kernel `kernel` of convolution `layer` over input channel `channel`: its k×k cells, row by row."""

    layer: int
    kernel: int
    channel: int
    value: Grid
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class PixelCheck:
    """One pixel of one map of a layer with maps, for an input: the unit check of a map."""

    layer: int
    map: int
    row: int
    column: int
    input: Given
    value: float | None = None
    below: float | None = None
    above: float | None = None
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class MapCheck:
    """A whole map of a layer against the map the task gives (rows of pixels), for an input."""

    layer: int
    map: int
    input: Given
    value: Grid
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class PeakCheck:
    """The map answers most at (row, column): that pixel holds the map's largest value (a tie is shared: each
    pixel within `tolerance` of the largest passes)."""

    layer: int
    map: int
    row: int
    column: int
    input: Given
    tolerance: float = DEFAULT_TOLERANCE


MAP_CHECKS = (KernelCheck, PixelCheck, MapCheck, PeakCheck)


def kernel_name(check: KernelCheck) -> str:
    """K1[2,1]: layer 1's kernel 2 (it makes map 2) over input channel 1."""
    return f"K{check.layer}[{check.kernel},{check.channel}]"


def pixel_name(layer: int, map_: int, row: int, column: int) -> str:
    """a1[map 2, row 3, column 4]: as the Inspector names a map pixel, with the layer's a in front."""
    return f"a{layer}[map {map_}, row {row}, column {column}]"


def grid(value: Any, field: str, square: bool = False) -> Grid:
    """Rows of finite numbers, every row as long as the first (a kernel's rows as many as its columns), at most
    MAX_SIZE numbers in all. A refusal names the row at fault (`value[2]`)."""
    if isinstance(value, np.ndarray) and value.ndim == 2:
        value = list(value)
    if not isinstance(value, list) or not value:
        raise LessonFileError(field, f"expected a list of rows, each a list of numbers, got {shown(value)}")
    rows = tuple(numbers(row, f"{field}[{index}]") for index, row in enumerate(value))
    width = len(rows[0])
    for index, row in enumerate(rows):
        if len(row) != width:
            raise LessonFileError(f"{field}[{index}]", f"holds {len(row)} number{'s' if len(row) != 1 else ''}; "
                                                       f"row 0 holds {width}, and every row must be as long")
    if square and width != len(rows):
        raise LessonFileError(field, f"is {len(rows)} rows of {width}; a kernel is square (k rows of k)")
    if len(rows) * width > MAX_SIZE:
        raise LessonFileError(field, f"holds {len(rows) * width:,} numbers; at most {MAX_SIZE:,} are allowed")
    return rows


def _place(data: Mapping, field: str) -> tuple[int, int]:
    return whole(data["row"], f"{field}.row"), whole(data["column"], f"{field}.column")


def _kernel(data: Mapping, field: str) -> KernelCheck:
    exact_keys(data, field, ("check", "layer", "kernel", "value"), ("channel", "tolerance"))
    channel = optional(data, "channel", whole, field)
    return KernelCheck(layer_number(data, field), whole(data["kernel"], f"{field}.kernel"),
                       1 if channel is None else channel, grid(data["value"], f"{field}.value", square=True),
                       tolerance(data, field))


def _pixel(data: Mapping, field: str) -> PixelCheck:
    exact_keys(data, field, ("check", "layer", "map", "row", "column", "input"), (*_BOUNDS, "tolerance"))
    kind = one_of(data, field, _BOUNDS)
    return PixelCheck(layer_number(data, field), whole(data["map"], f"{field}.map"), *_place(data, field),
                      given(data["input"], f"{field}.input"), **{kind: number(data[kind], f"{field}.{kind}")},
                      tolerance=tolerance(data, field))


def _map(data: Mapping, field: str) -> MapCheck:
    exact_keys(data, field, ("check", "layer", "map", "input", "value"), ("tolerance",))
    return MapCheck(layer_number(data, field), whole(data["map"], f"{field}.map"),
                    given(data["input"], f"{field}.input"), grid(data["value"], f"{field}.value"),
                    tolerance(data, field))


def _peak(data: Mapping, field: str) -> PeakCheck:
    exact_keys(data, field, ("check", "layer", "map", "row", "column", "input"), ("tolerance",))
    return PeakCheck(layer_number(data, field), whole(data["map"], f"{field}.map"), *_place(data, field),
                     given(data["input"], f"{field}.input"), tolerance(data, field))


MAP_READERS: dict[str, Callable[[Mapping, str], Any]] = {"kernel": _kernel, "pixel": _pixel, "map": _map,
                                                         "peak": _peak}
