"""Number formatting for labels: short on the canvas, full precision in tooltips."""

from __future__ import annotations

import math


def short(value: float, digits: int = 3) -> str:
    """A compact label: 0.126, −0.707, 1.2e−05; minus signs typographic, no '-0'."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = abs(value)
    if magnitude >= 10 ** (digits + 1) or magnitude < 10 ** (-digits):
        # Far from 1: one significant digit is enough for a label (5e−4); the tooltip has them all.
        text = f"{value:.0e}"
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    else:
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    if text in ("-0", "0"):
        return "0"
    return text.replace("-", "−")


def full(value: float) -> str:
    """Every digit: the shortest text that reads back as exactly this float ("1", not "1.0")."""
    text = repr(float(value) + 0.0)  # + 0.0: −0.0 reads "0", never "-0"
    return text[:-2] if text.endswith(".0") else text


def pretty_expression(text: str) -> str:
    """What a person typed, shown with mathematical signs: sqrt(2) -> √2, - -> −."""
    out = text.replace("sqrt(2)", "√2").replace("sqrt(3)", "√3").replace("pi", "π")
    return out.replace("-", "−").replace("*", "·")
