"""A map pixel's arithmetic as the Step dock writes it: CNN Explainer's detail view, for any network (issue 35).

The numbers come from `nnstudio/core/conv_detail.py` (pixel_detail); only the words and the layout are here.
A convolution's pixel reads, top to bottom:

    Convolution: z = K ⋆ a + b, by input channel
      channel 1: Σ K·a = 0.4172
      …
    Σ channels = 1.2345
    z = 1.2345 + (−0.1) = 1.1345
    a = ReLU(1.1345) = 1.1345
    δ = ∂L/∂z = 0.0123

then, channel by channel, the kernel K, the window a it lies on and their products K·a as small grids. The
summary comes first so that a layer with many input channels (LeNet's third layer reads 6 channels × 25 cells)
still shows z without scrolling; the grids below it scroll, one k×k block a channel, never cut off, and a grid's
row never wraps (the dock scrolls sideways instead: is_grid_row). Every number, in a line or a grid cell, is
written one way (`number`): fixed decimals, or significant digits for a value below their last place, so a grid
never reads 0 where the sentence above it says δ = −2.517e−5. Lines
start with "z ", "a " and "δ " only for those values, so a reader (the one-truth test) finds them as a dense
neuron's. While stepping, only what the pass has reached is written, as for a dense neuron.

Qt-free: the Step dock puts these lines into its text view.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.conv_detail import ConvDetail, PoolDetail, pixel_detail
from nnstudio.core.equations import num
from nnstudio.core.errors import NNStudioError
from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.network import Network
from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.core.trace import ForwardTrace
from nnstudio.ui.selection import ItemKey

NOT_REACHED = "(not reached yet at this step)"


GRID_INDENT = "    "  # a grid's rows, and only they, start with it: the Step dock never wraps them (is_grid_row)


def number(value: float, digits: int) -> str:
    """A number of the detail: `num`'s fixed decimals, or for a value too small for them its significant digits in
    e-notation with a short exponent ("−2.517e−5", not "−2.517e−05": a narrower grid cell)."""
    text = num(value, digits)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    sign = "−" if exponent.startswith("−") else ""
    return f"{mantissa}e{sign}{int(exponent.lstrip('+−'))}"


def _signed(value: float, digits: int) -> str:
    return f"({number(value, digits)})" if value < 0 else number(value, digits)


def _cells(values: np.ndarray, digits: int) -> list[list[str]]:
    """A small 2-D array's cells, each as the lines above write that number (`number`), so that a grid never says
    0 where the sentence above it says δ = −2.517e−5. Cells at fixed decimals share them, so the points line up:
    the fewest (up to `digits`) that write every such cell as it rounds at `digits` ("1 0" for a whole-number
    kernel, "0.1219 −0.0470" otherwise); a nonzero cell too small for them reads in e-notation, and only 0 reads 0."""
    array = np.asarray(values, dtype=float) + 0.0
    small = (array != 0) & (np.abs(array) < 10.0**-digits)
    rounded = np.round(np.where(small, 0.0, array), digits)
    places = next((p for p in range(digits + 1) if np.array_equal(np.round(rounded, p), rounded)), digits)
    fixed = np.round(rounded, places) + 0.0
    return [[number(float(value), digits) if tiny else f"{float(shown):.{places}f}".replace("-", "−")
             for value, tiny, shown in zip(*row)] for row in zip(array, small, fixed)]


def grids(named: list[tuple[str, np.ndarray]], digits: int) -> list[str]:
    """Small 2-D arrays (a kernel, a window, products) under their names, one line a row, right-aligned in one
    column width for all of them so that a kernel cell stands above the window cell it multiplies. Each row
    starts with GRID_INDENT: the Step dock lays it out on one line, however narrow the dock (is_grid_row)."""
    cells = [(name, _cells(values, digits)) for name, values in named]
    width = max((len(cell) for _, grid in cells for row in grid for cell in row), default=1)
    lines: list[str] = []
    for name, grid in cells:
        lines.append(f"  {name}")
        lines += [GRID_INDENT + " ".join(cell.rjust(width) for cell in row) for row in grid]
    return lines


def is_grid_row(line: str) -> bool:
    """Is `line` (of `pixel_lines`) a row of a grid, which must not wrap: a 5×5 kernel reads as 5 rows."""
    return line.startswith(GRID_INDENT)


def _where(key: ItemKey) -> str:
    """ "pixel (row 5, column 6) of channel 3" — 1-based, as the status bar and the tiles count."""
    return f"pixel (row {key.row + 1}, column {key.col + 1}) of channel {key.channel + 1}"


def input_lines(network: Network, raw: np.ndarray, trace: ForwardTrace | None, key: ItemKey,
                digits: int) -> list[str]:
    """An input pixel: its value as given, and the value the network reads when the input is normalised."""
    shape = network.input_shape
    if shape is None or not (0 <= key.channel < shape[0] and 0 <= key.row < shape[1] and 0 <= key.col < shape[2]):
        return ["Select a pixel of a map to see its value."]
    index = (key.channel * shape[1] + key.row) * shape[2] + key.col
    given = np.asarray(raw if raw is not None else [], dtype=float).reshape(-1)
    if given.size <= index:
        return [f"Input, {_where(key)}", "x = ? (no input of this size)"]
    lines = [f"Input, {_where(key)}", f"x = {number(float(given[index]), digits)}"]
    if trace is not None and np.asarray(trace.input).size > index:
        seen = float(np.asarray(trace.input).reshape(-1)[index])
        if number(seen, digits) != number(float(given[index]), digits):
            lines.append(f"the network reads the normalised x′ = {number(seen, digits)}")
    return lines


def conv_lines(detail: ConvDetail, layer: Conv2DLayer, shown: set[str], digits: int) -> list[str]:
    """A convolution's pixel: partial sums per input channel, total, bias, z; a = g(z); δ and its shares."""
    lines = ["Convolution: z = K ⋆ a + b, by input channel"]
    if "z" in shown:
        for part in detail.parts:
            lines.append(f"  channel {part.channel + 1}: Σ K·a = {number(part.partial, digits)}")
        lines.append(f"Σ channels = {number(detail.total, digits)}")
        bias = "" if detail.bias is None else f" + {_signed(detail.bias, digits)}"
        lines.append(f"z = {number(detail.total, digits)}{bias} = {number(detail.z, digits)}")
    if "a" in shown:
        label = get_activation(layer.activation).label
        lines.append(f"a = {label}({number(detail.z, digits)}) = {number(detail.a, digits)}")
    if "δ" in shown and detail.delta is not None:
        lines.append(f"δ = ∂L/∂z = {number(detail.delta, digits)}")
        lines.append(f"this pixel's share: ∂L/∂b += δ = {number(detail.delta, digits)}; ∂L/∂K += δ·a (below)")
    if "z" not in shown:
        return lines + [NOT_REACHED]
    k = layer.k
    lines.append("")
    lines.append(f"Per channel: the {k}×{k} kernel K, the window a under it, the products K·a")
    if not detail.window.inside.all():
        lines.append("(the window hangs over the padding: those cells read 0)")
    for index, part in enumerate(detail.parts):
        named = [("K", part.kernel), ("a (window)", part.window), ("K·a", part.products)]
        lines += ["", f"channel {part.channel + 1}   Σ K·a = {number(part.partial, digits)}"] + grids(named, digits)
        if "δ" in shown and detail.grad_kernel is not None:  # its own column width: δ is often tiny (e-notation)
            lines += grids([("δ·a, this pixel's share of ∂L/∂K", detail.grad_kernel[index])], digits)
    return lines


def pool_lines(detail: PoolDetail, shown: set[str], digits: int) -> list[str]:
    """A pooling pixel: its window, the max (and which cell won: the first maximum) or the mean; δ and where it
    went."""
    size = detail.values.shape[0]
    word = "max" if detail.kind == "max" else "mean"
    lines = [f"Pooling: z = the {word} of the {size}×{size} window (no weights, no activation)"]
    if "z" not in shown:
        return lines + [NOT_REACHED]
    lines += grids([("a (window)", detail.values)], digits)
    if detail.chosen is not None and detail.chosen_pixel is not None:
        (u, v), (r, c) = detail.chosen, detail.chosen_pixel
        lines.append(f"the first maximum: window cell (row {u + 1}, column {v + 1}), "
                     f"pixel (row {r + 1}, column {c + 1}) of the map before")
        lines.append(f"z = max = {number(detail.value, digits)}")
    else:
        lines.append(f"z = Σ a / {size * size} = {number(detail.value, digits)}")
    if "a" in shown:
        lines.append(f"a = z = {number(detail.value, digits)}")
    if "δ" in shown and detail.delta is not None and detail.delta_back is not None:
        lines.append(f"δ = ∂L/∂z = {number(detail.delta, digits)}")
        went = "all of δ to the maximum's cell" if detail.chosen is not None else f"δ/{size * size} to every cell"
        lines += grids([(f"sent back: {went}", detail.delta_back)], digits)
    return lines


def pixel_lines(key: ItemKey, network: Network, trace: ForwardTrace | None, raw_input: np.ndarray,
                plan, digits: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The Step dock's lines for map pixel `key` of `network` as shown now: `trace` its forward pass (the
    plan's while stepping), `plan` the step plan or None, `digits` decimals. Never raises: a key of another
    network, or a layer the core refuses, reads as a sentence."""
    if key.column == 0:
        return input_lines(network, raw_input, trace, key, digits)
    if not 1 <= key.column <= len(network.layers) or not is_spatial(network.layers[key.column - 1]):
        return ["Select a pixel of a map to see its z with the numbers substituted."]
    if trace is None:
        return ["No forward pass to show (the input does not fit the network)."]
    layer = key.column - 1
    if plan is None:
        shown, gradients = {"z", "a"}, None
    else:
        shown = {name for name, seen in (("z", plan.z_visible(layer)), ("a", plan.a_visible(layer)),
                                         ("δ", plan.delta_visible(layer))) if seen}
        gradients = plan.current.gradients if "δ" in shown else None
    try:
        detail = pixel_detail(network, trace, key.column, (key.channel, key.row, key.col), gradients)
    except NNStudioError as refused:
        return [f"{str(refused)[:1].upper()}{str(refused)[1:]}."]
    head = f"Layer {key.column}, {_where(key)}"
    if isinstance(detail, ConvDetail):
        return [head] + conv_lines(detail, network.layers[layer], shown, digits)
    return [head] + pool_lines(detail, shown, digits)
