"""Which value a map's colours are full at (issue 35, point 1), Qt-free: per layer (the default), per map, or one
scale for the whole network — and the words that name the choice under each column and in the legend.

Why three: per layer keeps the channels of a layer comparable (a weak channel looks weak) and turning a page keeps
the colours; per map shows the pattern inside a weak channel that the layer's scale washes out; the whole network
compares layers with each other (how the values grow or shrink through the net). Whatever the choice, the canvas
says it where the colours are read: the legend's first line and the scale under each column.
"""

from __future__ import annotations

import math

import numpy as np

from nnstudio.ui import format as fmt
from nnstudio.ui.canvas.map_values import ColumnValues

COLOUR_SCALES = ("layer", "map", "network")  # View → Map Colours, in the menu's order
_HEADS = {
    "layer": "Each layer's colours are full at its largest |a|",
    "map": "Each channel's colours are full at its own largest |a| (their range under each column)",
    "network": "Every layer's colours are full at the whole network's largest |a|",
}
_MARKS = {"layer": "", "map": "", "network": " net"}  # what the scale under a column adds to say the choice


def legend_head(mode: str) -> str:
    """The legend's first line: what the colours mean and at which value they are full."""
    head = _HEADS.get(mode, _HEADS["layer"])
    return f"Maps: blue positive, orange negative, grey exactly 0.\n{head} (|z|, |δ| where marked):"


def channel_scales(shown: list[ColumnValues | None], mode: str) -> list[np.ndarray | None]:
    """Per column, per channel, the |value| at full colour (None: the column shows nothing drawable). "network":
    one value for every layer's column showing the same kind (a, z or δ: each its own quantity); the input keeps
    its own (x is not a layer's value)."""
    own: list[np.ndarray | None] = []
    for column in shown:
        values = None if column is None else column.values
        if values is None or values.size == 0 or not np.all(np.isfinite(values)):
            own.append(None)
            continue
        own.append(np.max(np.abs(values.reshape(values.shape[0], -1)), axis=1))
    if mode == "map":
        return own
    out = [None if scales is None else np.full(scales.shape, float(scales.max())) for scales in own]
    if mode == "network":
        for kind in {column.kind for column in shown[1:] if column is not None}:
            same = [c for c in range(1, len(shown))
                    if own[c] is not None and shown[c].kind == kind]  # type: ignore[union-attr]
            top = max(float(own[c].max()) for c in same) if same else 0.0  # type: ignore[union-attr]
            for c in same:
                out[c] = np.full(own[c].shape, top)  # type: ignore[union-attr]
    return out


def scale_number(value: float) -> str:
    """A scale's value, in one format for every scale (format.short is for labels: it wrote 0.001 beside 1e−3 for
    the neighbouring columns' 0.00096): at most three significant digits from 0.01 up (11.5, 2.36, 0.4), two in
    powers of ten below it (9.6e−4, 1.0e−3), so that values of one size always read alike."""
    if value == 0 or not math.isfinite(value):
        return fmt.short(value)
    rounded = float(f"{value:.1e}")
    if abs(rounded) < 0.01 or abs(value) >= 1e5:
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}".replace("-", "−")
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text).replace("-", "−")


def scale_labels(kind: str, scales: np.ndarray, mode: str) -> tuple[str, str]:
    """(the scale under a column, a shorter one for a small zoom): the kind of value first ("δ ±1.0e−3"), then the
    value at full colour; per channel the range of the channels' own largest |values| ("a ±0.352…2.36 each"), so
    that the reader has a value there too; the whole network's scale is marked "net"."""
    if not scales.size:
        return f"{kind} ±?", f"{kind} ±?"
    if mode == "map":
        low, high = scale_number(float(scales.min())), scale_number(float(scales.max()))
        number = f"{kind} ±{high}" if low == high else f"{kind} ±{low}…{high}"
        return number + " each", number
    number = f"{kind} ±{scale_number(float(scales.max()))}"
    return number + _MARKS.get(mode, ""), number


def scale_tooltip(kind: str, scales: np.ndarray, mode: str) -> str:
    """The column's tooltip line on its colours, with every number in full."""
    what = {"δ": "δ = ∂L/∂z", "z": "z", "x": "x"}.get(kind, "a")
    if mode == "map":
        return (f"colours of each channel's {what}: full at that channel's own largest |value| ("
                + ", ".join(fmt.full(float(s)) for s in scales[:8]) + (", …" if len(scales) > 8 else "") + ")")
    top = fmt.full(float(scales.max()) if scales.size else 0.0)
    whose = "the whole network's largest |value| of this kind" if mode == "network" else "its largest |value|"
    return f"colours of this layer's {what}: full blue at +{top}, full orange at −{top} ({whose})"
