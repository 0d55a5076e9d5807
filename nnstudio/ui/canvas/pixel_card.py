"""The hover card of a map pixel (issue 35): which layer, channel and place it is, its z, a and δ, and for a
convolution the kernel that made its map (issue 35: "kernels are shown for the selected or hovered map and in the
Inspector, not all at once"): per input channel a k×k grid of numbers, the first few channels of many, and the bias.

Why apart from hover_card.py: a neuron's card substitutes numbers into its layer's formula; a map pixel's z is a
sum over a whole window of every input channel (the Step dock's detail view gives that), so its card names the
pixel and gives its values in full, read from the same pass as the card of a neuron (hover_card._passes: the
step of a pass being walked through, else the document's forward pass with δ for the current target).
"""

from __future__ import annotations

from nnstudio.core.equations import num
from nnstudio.core.network import Network
from nnstudio.core.spatial_layers import Conv2DLayer, show_shape
from nnstudio.core.stepper import StepPlan
from nnstudio.core.trace import ForwardTrace, Gradients
from nnstudio.document import Document
from nnstudio.ui.canvas.map_layout import map_title
from nnstudio.ui.canvas.map_values import shown_maps
from nnstudio.ui.selection import ItemKey

DIGITS = 4
KERNEL_DIGITS = 3
KERNEL_CELLS = 50  # a card shows a kernel's input channels while they hold at most this many numbers (one at least)


def pixel_lines(document: Document, key: ItemKey, network: Network, trace: ForwardTrace | None,
                grads: Gradients | None, plan: StepPlan | None) -> list[str]:
    """The card of pixel `key` of the pass (`network`, `trace`, `grads`; `plan` while stepping): [] if the network
    has no such pixel."""
    shape = network.input_shape if key.column == 0 else getattr(network.layers[key.column - 1], "out_shape", None) \
        if 0 < key.column <= len(network.layers) else None
    if shape is None or not (0 <= key.channel < shape[0] and 0 <= key.row < shape[1] and 0 <= key.col < shape[2]):
        return []
    flat = (key.channel * shape[1] + key.row) * shape[2] + key.col
    # Counted from 1, as the status bar, the Step dock and the card's first line count (one convention per card).
    place = (f"channel {key.channel + 1}, row {key.row + 1}, column {key.col + 1}; value {flat + 1} of "
             f"{shape[0] * shape[1] * shape[2]} in (channel, row, column) order")
    if key.column == 0:
        shown = shown_maps(document)
        value = float(shown[0].values[key.channel, key.row, key.col]) if shown and shown[0] is not None else None
        return [key.describe(), "input " + show_shape(shape), place,
                "x = ?" if value is None else f"x = {num(value, DIGITS)}"]
    index = key.column - 1
    lines = [key.describe(), f"layer {key.column}: " + map_title(network.layers[index]).replace("\n", " · "), place]  # type: ignore[arg-type]
    if trace is None:
        return lines + ["(no output yet: every layer needs its values)"]
    step = trace.layers[index]
    if plan is None or plan.z_visible(index):
        lines.append(f"z = {num(float(step.z[flat]), DIGITS)}")
    if plan is None or plan.a_visible(index):
        lines.append(f"a = {num(float(step.a[flat]), DIGITS)}")
    if grads is not None and (plan is None or plan.delta_visible(index)):
        lines.append(f"δ = ∂L/∂z = {num(float(grads.layers[index].delta[flat]), DIGITS)}"
                     + ("" if plan is not None else "  (for the current input and target)"))
    if len(lines) == 3:
        lines.append("(not reached yet at this step)")
    layer = network.layers[index]
    return lines + (kernel_lines(layer, key.column, key.channel) if isinstance(layer, Conv2DLayer) else [])


def kernel_lines(layer: Conv2DLayer, column: int, channel: int) -> list[str]:
    """The kernel of output `channel` of convolution `layer` (layer `column`): one k×k grid of numbers per input
    channel, right-aligned in columns (the card's font is monospace), as many channels as KERNEL_CELLS allows and
    a line naming the rest, then the bias."""
    kernel = layer.kernel[channel]  # (C, k, k)
    inputs, size = kernel.shape[0], kernel.shape[1]
    shown = max(1, min(inputs, KERNEL_CELLS // (size * size)))
    texts = [[[num(float(v), KERNEL_DIGITS) for v in row] for row in kernel[i]] for i in range(shown)]
    width = max(len(t) for grid in texts for row in grid for t in row)
    channels = "1 input channel" if inputs == 1 else f"{inputs} input channels"
    # The Inspector's words ("Kernel 8 of 16"): one name for a kernel wherever it is read.
    lines = [f"kernel {channel + 1} of {layer.kernel.shape[0]} ({size}×{size} over {channels}):"]
    for i, grid in enumerate(texts):
        if inputs > 1:
            lines.append(f" input channel {i + 1}:")
        lines += ["  " + " ".join(t.rjust(width) for t in row) for row in grid]
    if shown < inputs:
        lines.append(f" … {inputs - shown} more channels, all in the Inspector")
    bias = 0.0 if layer.bias is None else float(layer.bias[channel])
    lines.append(f"bias b = {num(bias, DIGITS)}" + ("" if layer.bias is not None else " (this layer has none)"))
    return lines
