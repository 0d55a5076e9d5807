"""What every check's evaluation shares: how a value is written in a message, a subject that is not there, and
what the network is fed for a check's input.

Why a module of its own: the checks on dense layers (grading.py) and on maps and kernels (map_grading.py) must
say a number the same way (`−0.7071`, as many decimals as it takes to tell two values apart), name an input the
same way (`current input`, `0.8333, 0.3333`) and feed the network the same numbers the canvas shows, or a
lesson on a convolution would read differently from one on a dense layer.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from nnstudio.core.network import Layer
from nnstudio.core.project import Project
from nnstudio.lessons.fields import CURRENT, Given

#: A listed input longer than this is named by its first values and its length (784 pixels fit no message).
SHOWN_VALUES = 8


class Wrong(Exception):
    """A check's subject is not there (no layer 3, no bias, no map 7): the message is the check's failure."""


class Bounded(Protocol):
    """A check that compares one value with a `value`, a `below` or an `above` (output, unit, pixel)."""

    below: float | None
    above: float | None
    tolerance: float


def layer_at(project: Project, number: int) -> Layer:
    """Layer `number` (counted from 1) of the project's network; a failure says how many it has."""
    layers = project.network.layers
    if number > len(layers):
        raise Wrong(f"the network has no layer {number} (it has {len(layers)})")
    return layers[number - 1]


def counted(what: str, number: int, count: int, owner: str) -> None:
    """A failure when `owner` has no `what` `number` of its `count` ("layer 2 has 6 kernels; there is no kernel 7")."""
    if number > count:
        raise Wrong(f"{owner} has {count} {what}{'s' if count != 1 else ''}; there is no {what} {number}")


def number_text(value: float, decimals: int = 4) -> str:
    """A value as a message shows it: 4 decimals without trailing zeros, a real minus sign (−0.7071)."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    shown = (f"{value:.{decimals}f}".rstrip("0").rstrip(".") if 10**-decimals * 10 <= abs(value) < 1e6
             else f"{value:.{decimals}g}")
    return "−" + shown[1:] if shown.startswith("-") else shown


def both_texts(actual: float, expected: float) -> tuple[str, str]:
    """The two values with as many decimals as it takes to tell them apart (0.70710 is not 0.7071068)."""
    for decimals in (4, 6, 8, 10, 12):
        pair = number_text(actual, decimals), number_text(expected, decimals)
        if pair[0] != pair[1]:
            return pair
    return number_text(actual, 15), number_text(expected, 15)


def vector_text(values: tuple[float, ...] | np.ndarray) -> str:
    return ", ".join(number_text(float(v)) for v in values)


def input_text(given: Given) -> str:
    """A check's input as a message names it, inside ŷ(…) or a1[2](…): "current input", "0.8333, 0.3333", or
    for a long list its first values and its length ("0, 0, 0, 0, 0, 0, 0, 0, … (784 values)")."""
    if given == CURRENT:
        return "current input"
    assert not isinstance(given, str)
    if len(given) > SHOWN_VALUES:
        return f"{vector_text(given[:SHOWN_VALUES])}, … ({len(given)} values)"
    return vector_text(given)


def sized(project: Project, values: tuple[float, ...], what: str) -> np.ndarray:
    """Listed numbers as the network's input, refused (naming `what`) when they are not as many as it takes."""
    size = project.network.input_size
    if len(values) != size:
        raise Wrong(f"{what}: the network takes {size} input{'s' if size != 1 else ''}, the task gives {len(values)}")
    return np.asarray(values, dtype=project.network.dtype)


def fed(project: Project, given: Given, what: str) -> np.ndarray:
    """What the network is fed for a check's input: the current input as the canvas feeds it (normalised when
    the project has a normalisation), a listed one as it is (checked against the network's input size)."""
    if given == CURRENT:
        return np.asarray(project.network_input(project.input), dtype=project.network.dtype)
    assert not isinstance(given, str)
    return sized(project, given, what)


def against(name: str, got: float, check: Bounded, wanted: float | None) -> list[str]:
    """One value against the check's `value` (given here as `wanted`), `below` or `above`."""
    if wanted is not None and not abs(got - wanted) <= check.tolerance:
        shown, expected = both_texts(got, wanted)
        return [f"{name} is {shown} but should be {expected}"]
    if wanted is None and check.below is not None and not got < check.below:
        shown, limit = both_texts(got, check.below)
        return [f"{name} is {shown} but should stay under {limit}"]
    if wanted is None and check.above is not None and not got > check.above:
        shown, limit = both_texts(got, check.above)
        return [f"{name} is {shown} but should be above {limit}"]
    return []


def compare(name: str, got: float, wanted: float, tolerance: float) -> list[str]:
    """`name = got, should be wanted` when the two are further apart than `tolerance`, else nothing."""
    if abs(got - wanted) <= tolerance:
        return []
    shown, expected = both_texts(got, wanted)
    return [f"{name} = {shown}, should be {expected}"]
