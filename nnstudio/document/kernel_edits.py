"""Hand-set kernels: a convolution's kernel cells and biases from typed text, as pure Project -> Project edits.

A person sets a kernel as they set a dense weight: a number or an expression per cell ("1/9", "-sqrt(2)"),
the typed text kept beside the value (Conv2DLayer.kernel_text / bias_text) so it is shown again when the cell
is re-edited and written back by a round trip. Cells are named as the Inspector shows them: kernel K (the
output channel, the map it makes) reads channel C (an input map) through a k×k grid of rows and columns, all
counted from 1 in messages. Every cell of a block is parsed before any value changes, so a bad cell leaves the
kernel as it was and the message names its place. The document turns each into one undoable command
(`document.apply(new, "Set kernel cell", "values")`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.named_kernels import kernel_text, named_kernel
from nnstudio.core.paste_budget import check_expression_characters
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, show_shape
from nnstudio.document.edits import EditError, keep_text, parse_value


def conv_layer(project: Project, column: int) -> Conv2DLayer:
    """The convolution at canvas column `column` (1 = the first layer), refused by message otherwise."""
    layers = project.network.layers
    if not 1 <= column <= len(layers):
        raise EditError(f"there is no layer at column {column}")
    layer = layers[column - 1]
    if not isinstance(layer, Conv2DLayer):
        raise EditError(f"layer {column} is not a convolution: it has no kernel to set")
    return layer


def _check_grid(layer: Conv2DLayer, column: int, out_channel: int, in_channel: int) -> None:
    if not 0 <= out_channel < layer.channels:
        raise EditError(f"layer {column} has kernels 1 to {layer.channels}, not {out_channel + 1}")
    if not 0 <= in_channel < layer.in_shape[0]:
        raise EditError(f"layer {column}'s kernels read channels 1 to {layer.in_shape[0]}, not {in_channel + 1}")


def set_kernel_block(project: Project, column: int, out_channel: int, in_channel: int, row: int, col: int,
                     block: Sequence[Sequence[str]]) -> Project:
    """Cells of kernel `out_channel` over channel `in_channel` from typed text: `block` is rows of cells whose
    top-left lands on (row, col), as a spreadsheet paste. A block that does not fit the k×k grid is refused."""
    layer = conv_layer(project, column)
    _check_grid(layer, column, out_channel, in_channel)
    k = layer.k
    width = max((len(cells) for cells in block), default=0)
    if not block or not width:
        raise EditError("there is no value to set")
    if row < 0 or col < 0 or row + len(block) > k or any(col + len(cells) > k for cells in block):
        raise EditError(f"a {len(block)}×{width} block at row {row + 1}, column {col + 1} does not fit kernel "
                        f"{out_channel + 1}'s {k}×{k} grid over channel {in_channel + 1}")
    place = f"kernel {out_channel + 1} of channel {in_channel + 1}"
    # The expressions' characters are counted before any is evaluated (each costs microseconds a character).
    check_expression_characters((cell for cells in block for cell in cells), f"K{column}")
    parsed: list[tuple[int, int, float, str | None]] = []
    for i, cells in enumerate(block):
        for j, cell in enumerate(cells):
            try:
                value, text = parse_value(cell)
            except NNStudioError as error:
                raise EditError(f"{place}, row {row + i + 1}, column {col + j + 1}: {error}") from None
            parsed.append((row + i, col + j, value, text))
    kernel = np.array(layer.kernel)
    texts = dict(layer.kernel_text)
    for r, c, value, text in parsed:
        kernel[out_channel, in_channel, r, c] = value
        keep_text(texts, (out_channel, in_channel, r, c), text)
    return _with_layer(project, column, layer.replace(kernel=kernel, kernel_text=texts))


def set_kernel_bias(project: Project, column: int, out_channel: int, text: str) -> Project:
    """The bias of kernel `out_channel` (added to every pixel of its map) from typed text."""
    layer = conv_layer(project, column)
    _check_grid(layer, column, out_channel, 0)
    if layer.bias is None:
        raise EditError(f"layer {column} has no bias; turn its bias on first")
    check_expression_characters([text], f"b{column}")
    try:
        value, kept = parse_value(text)
    except NNStudioError as error:
        raise EditError(f"bias of kernel {out_channel + 1}: {error}") from None
    bias = np.array(layer.bias)
    bias[out_channel] = value
    texts = dict(layer.bias_text)
    keep_text(texts, out_channel, kept)
    return _with_layer(project, column, layer.replace(bias=bias, bias_text=texts))


def apply_named_kernel(project: Project, column: int, out_channel: int, in_channel: int, name: str) -> Project:
    """Kernel `out_channel` over channel `in_channel` set to the named kernel (identity, box blur, Sobel x/y,
    Laplacian), its cells' text kept as if typed ("1/9"). A name not defined for the layer's k is refused."""
    layer = conv_layer(project, column)
    try:
        label = named_kernel(name).label
        cells = kernel_text(name, layer.k)
    except NNStudioError as error:
        raise EditError(f"layer {column} ({show_shape(layer.kernel.shape[2:])} kernels): {error}") from None
    try:
        return set_kernel_block(project, column, out_channel, in_channel, 0, 0, cells)
    except EditError as error:
        raise EditError(f"{label}: {error}") from None


def _with_layer(project: Project, column: int, layer: Conv2DLayer) -> Project:
    return project.replace(network=project.network.with_layer(column - 1, layer))
