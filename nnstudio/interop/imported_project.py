"""A project from arrays read out of another tool's model file (ONNX, safetensors).

Both importers end here, so the checks a `.nnstudio` file gets apply to them alike: the layer sizes
and parameter count are checked from the declared shapes before any array is made, each W is
(neurons × inputs) and feeds the next, and values must be finite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnstudio.core.blueprint import loss_after
from nnstudio.core.errors import LossError, NNStudioError
from nnstudio.core.limits import check_network_size
from nnstudio.core.losses import get_loss
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError
from nnstudio.interop.model_metadata import ModelMetadata


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
    return imported_project(Network(layers[0].n_in, tuple(layers)), metadata, source, normalisation)


def imported_project(network: Network, metadata: ModelMetadata | None, source: str,
                     normalisation: dict | None = None) -> Project:
    """The project around an imported network, dense or of maps (onnx_map_network.py builds those): the loss,
    labels and name from the metadata, or the loss that fits the last activation."""
    meta = metadata or ModelMetadata()
    loss = meta.loss or loss_after(network.layers[-1].activation)
    try:
        return Project(network, loss=loss, input_labels=meta.input_labels, output_labels=meta.output_labels,
                       input_image=meta.input_image, name=meta.name, normalisation=normalisation)
    except NNStudioError as error:
        raise NetworkFileError(str(error), "", source) from None


def with_loss(project: Project, name: str) -> Project:
    """The project with the loss a person chose for it (`import --loss`), refused when it cannot be computed on
    this network, by the rule `nnstudio new` keeps: a cross-entropy needs a probability output (softmax or
    sigmoid), and a sparse one picks one class among two or more outputs (one output names no class). Without
    this the import writes a file whose loss `eval` and `train` then refuse."""
    loss = get_loss(name)  # an alias (cross_entropy) is kept under the name a network file holds (cce)
    network = project.network
    try:
        loss.check_output(network.layers[-1].activation)
    except LossError as error:
        raise NNStudioError(f"--loss {loss.name}: {error}") from None
    if loss.sparse and network.output_size < 2:
        raise NNStudioError(f"--loss {loss.name}: the network has one output, and sparse categorical cross-entropy "
                            "picks one class among two or more outputs; for one sigmoid output use bce")
    return project.replace(loss=loss.name)


def _skeleton_json(project: Project) -> dict[str, Any]:
    """The `.nnstudio` JSON of `project` with each weight matrix written as `{"init": "zeros"}`: every field the
    file reader checks, at the cost of the vectors alone. The matrices are the one part left out, because
    building them as JSON costs seconds for a large network and they need no second look: build_imported made
    them from arrays of the network's precision (so every value fits it), refused any NaN or infinity, and
    their shapes chain by construction."""
    from nnstudio.io.network_file import project_to_json

    network = project.network
    if network.is_spatial:  # its maps may give more outputs than a stand-in dense layer may have: written whole,
        data = project_to_json(project.replace(layout=()))  # then each kernel and W asked of "zeros" as below
        for entry in data["layers"]:
            for key in ("kernel", "weights"):
                if key in entry:
                    entry[key] = {"init": "zeros"}
        return data
    dtype = network.dtype
    # A stand-in network of the same input and output size (so labels, image, normalisation and vectors are
    # written as they are), two thin layers instead of the real matrices; its layers are replaced below.
    thin = Network(network.input_size, (DenseLayer(np.zeros((1, network.input_size), dtype), None),
                                         DenseLayer(np.zeros((network.output_size, 1), dtype), None)))
    data = project_to_json(project.replace(network=thin, layout=()))
    data["layers"] = [{"size": layer.n_out, "activation": layer.activation,
                       **({"params": dict(layer.params)} if layer.params else {}),
                       "weights": {"init": "zeros"},
                       "bias": None if layer.bias is None else layer.bias.tolist()} for layer in network.layers]
    return data


def check_reopens(project: Project, source: str) -> None:
    """Refuse, with the file reader's own message, an imported project that would be written as a `.nnstudio`
    file nnstudio cannot open again (an image of −1 × −2 pixels, a label no file can hold, an alias for a name):
    an import never writes, and the window never takes, what cannot be read back. The project is written as
    the file's JSON (weights as in `_skeleton_json`) and read back by `network_file.loads`, so the rules are
    the reader's, not a copy of them."""
    from nnstudio.io.network_file import loads

    try:
        # ensure_ascii: a lone surrogate is written as \udXXX, which the reader refuses naming the field
        text = json.dumps(_skeleton_json(project), ensure_ascii=True)
        loads(text, source)
    except NetworkFileError as error:
        raise NetworkFileError(f"{error.reason} (in the network file the import would write, which could not be "
                               "opened again)", error.field, source) from None
    except (NNStudioError, ValueError) as error:  # a field the stand-in project refuses, or JSON cannot hold
        raise NetworkFileError(f"{error} (in the network file the import would write, which could not be opened "
                               "again)", "", source) from None
