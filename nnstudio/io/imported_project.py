"""A project from arrays read out of another tool's model file (ONNX, safetensors).

Both importers end here, so the checks a `.nnstudio` file gets apply to them alike: the layer sizes
and parameter count are checked from the declared shapes before any array is made, each W is
(neurons × inputs) and feeds the next, and values must be finite.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnstudio.core.blueprint import loss_after
from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import check_network_size
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError
from nnstudio.io.model_metadata import ModelMetadata


def check_declared_shapes(shapes: Sequence[tuple[int, ...]], biases: Sequence[tuple[int, ...] | None],
                          source: str) -> list[int]:
    """The layer sizes (input first) the weight shapes declare, refused over budget or not chaining."""
    sizes: list[int] = []
    for index, (shape, bias) in enumerate(zip(shapes, biases), start=1):
        if len(shape) != 2:
            raise NetworkFileError(f"expected a matrix (neurons × inputs), got shape {tuple(shape)}", f"W{index}",
                                   source)
        n_out, n_in = shape
        if not sizes:
            sizes.append(n_in)
        elif n_in != sizes[-1]:
            raise NetworkFileError(f"takes {n_in} inputs but the layer before it gives {sizes[-1]}", f"W{index}",
                                   source)
        if bias is not None and tuple(bias) != (n_out,):
            raise NetworkFileError(f"expected shape ({n_out},), got {tuple(bias)}", f"b{index}", source)
        sizes.append(n_out)
    if not shapes:
        raise NetworkFileError("holds no dense layer", "", source)
    try:
        check_network_size(sizes, [bias is not None for bias in biases])
    except NNStudioError as error:
        raise NetworkFileError(str(error), "", source) from None
    return sizes


def build_imported(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None], activations: Sequence[str],
                   params: Sequence[dict[str, float]], metadata: ModelMetadata | None, source: str,
                   normalisation: dict | None = None) -> Project:
    """The project the arrays and activations describe; metadata (when the file had ours) adds the rest.

    `normalisation` ({"kind", "offset", "scale"}, as Project.normalisation) is passed by the importer from
    where its format keeps it (the safetensors metadata; an ONNX graph's nodes before the first layer),
    never taken from `metadata` here, so a format whose graph computes it is not normalised twice."""
    dtype = np.float64 if any(w.dtype == np.float64 for w in weights) else np.float32
    layers = []
    for index, (w, b, activation, p) in enumerate(zip(weights, biases, activations, params), start=1):
        for name, values in ((f"W{index}", w), (f"b{index}", b)):
            if values is not None and not np.all(np.isfinite(values)):
                raise NetworkFileError("holds a value that is not finite (NaN or infinite)", name, source)
        try:
            layers.append(DenseLayer(np.array(w, dtype=dtype), None if b is None else np.array(b, dtype=dtype),
                                     activation, p))
        except NNStudioError as error:
            raise NetworkFileError(str(error), f"layer {index}", source) from None
    network = Network(layers[0].n_in, tuple(layers))
    meta = metadata or ModelMetadata()
    loss = meta.loss or loss_after(network.layers[-1].activation)
    try:
        return Project(network, loss=loss, input_labels=meta.input_labels, output_labels=meta.output_labels,
                       input_image=meta.input_image, name=meta.name, normalisation=normalisation)
    except NNStudioError as error:
        raise NetworkFileError(str(error), "", source) from None
