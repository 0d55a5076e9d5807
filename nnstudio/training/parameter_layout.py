"""Where the fast engine keeps each layer's W and b: a list of contiguous arrays, and which array is which.

Each layer's W is one C-ordered array of neurons × inputs and its b a vector of its own, except a split
first layer (`FastMLP.split_inputs`, for sparse data): W's columns for the dense inputs stay one
neurons × dense block, and the rare inputs' weights with the bias after them become one block of
rows, one per input, the layout the sparse products of `rare_inputs.py` read and write.

The engine's optimiser memory (momentum's velocity, Adam's moments) is laid out the same way, so
one `ParameterLayout` says where everything of a layer lives, and the conversion both ways is here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: (W, b) of each layer, b None for a layer without bias.
Layers = list[tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class ParameterLayout:
    """Where each parameter lives in the engine's arrays (which changes when the first layer is split)."""

    split: int | None              # dense inputs of a split first layer, else None
    weights: list[int]             # index of each layer's W (a split first layer: its dense columns)
    biases: list[int | None]       # index of each layer's b (None: no bias, or listed with the rare block)
    rare: int | None               # index of a split first layer's rare block (rare inputs [+ bias] × neurons)
    first_bias: bool               # whether the first layer has a bias (a split one: the rare block's last row)

    def layers_of(self, arrays: list[np.ndarray]) -> Layers:
        """(W, b) per layer from arrays in this layout (the first layer's inputs in the engine's order);
        views where the storage allows, a new array for a split first layer."""
        layers = []
        for index, (w, b) in enumerate(zip(self.weights, self.biases)):
            if index == 0 and self.rare is not None:
                block = arrays[self.rare]
                listed = len(block) - int(self.first_bias)
                layers.append((np.hstack([arrays[w], block[:listed].T]), block[-1] if self.first_bias else None))
            else:
                layers.append((arrays[w], None if b is None else arrays[b]))
        return layers

    def weight_parts(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """The views of `arrays` that hold weights, not biases (L2 applies to these only)."""
        parts = [arrays[index] for index in self.weights]
        if self.rare is not None:
            block = arrays[self.rare]
            parts.append(block[:len(block) - int(self.first_bias)])
        return parts


def lay_out(layers: Layers, split: int | None, dtype: np.dtype) -> tuple[list[np.ndarray], ParameterLayout]:
    """(W, b) per layer as contiguous arrays of `dtype` and their layout, the first layer in two blocks when
    `split` gives a number of dense inputs. An array already contiguous in `dtype` is kept, not copied: the
    caller hands over arrays it owns (the engine copies the network's read-only ones first)."""
    arrays: list[np.ndarray] = []
    weights, biases, rare = [], [], None

    def add(array: np.ndarray) -> int:
        arrays.append(np.ascontiguousarray(array, dtype))
        return len(arrays) - 1

    for index, (w, b) in enumerate(layers):
        if index == 0 and split is not None:
            weights.append(add(w[:, :split]))
            rare = add(w[:, split:].T if b is None else np.vstack([w[:, split:].T, b[None]]))
            biases.append(None)
        else:
            weights.append(add(w))
            biases.append(None if b is None else add(b))
    return arrays, ParameterLayout(split, weights, biases, rare, layers[0][1] is not None)
