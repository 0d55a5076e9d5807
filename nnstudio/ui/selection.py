"""What can be selected on the canvas, named by position rather than by widget.

A key survives a rebuild of the scene (after undo, a resize…), so the selection
and the inspector can be restored to the same neuron or edge.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemKey:
    """kind is "layer", "neuron", "edge", "bias_unit", "bias_edge" or "pixel".

    column: 0 is the input, k ≥ 1 is layer k. For a neuron, `row` is its index in
    the column. For an edge into layer k, `row` is the neuron in layer k and `col`
    the input it comes from (so the edge carries W_k[row][col]); a bias edge
    carries b_k[row]. A pixel is one value of a map (issue 35): `channel` of the
    column's (C, H, W) maps at (`row`, `col`), the flat index channel·H·W + row·W + col
    of the column's values.
    """

    kind: str
    column: int
    row: int = -1
    col: int = -1
    channel: int = -1

    def describe(self) -> str:
        if self.kind == "layer":
            return "input layer" if self.column == 0 else f"layer {self.column}"
        if self.kind == "neuron":
            return f"input x{self.row + 1}" if self.column == 0 else f"neuron {self.row + 1} of layer {self.column}"
        if self.kind == "edge":
            return f"weight w{self.row + 1},{self.col + 1} of layer {self.column}"
        if self.kind == "pixel":
            where = "input" if self.column == 0 else f"layer {self.column}"
            return f"pixel ({self.row + 1}, {self.col + 1}) of channel {self.channel + 1} of {where}"
        if self.kind == "bias_edge":
            return f"bias b{self.row + 1} of layer {self.column}"
        return f"bias unit of layer {self.column}"
