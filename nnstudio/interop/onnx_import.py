"""Networks out of ONNX files: `Gemm`, or `MatMul` + `Add`, with activations between them, after `Conv`,
`MaxPool` and `AveragePool` layers for a network of maps (onnx_maps.py says which of their attributes are read).

Read in four passes, each refusing with a message that names the node or tensor at fault and, where
there is one, the way forward:

1. The file (onnx_reading.py): at most NETWORK_FILE_BYTES, a protobuf onnx can parse, no external
   data files, at most MAX_NODES nodes, and a valid graph (onnx_graph.py): every node reads what a
   graph input, an initializer or an earlier node gives (never its own output), is an operator of
   ONNX or ONNX-ML with the inputs, outputs and attributes its schema declares, and every element
   type is one ONNX defines. The nodes the network is read from compute numbers (no Cast to STRING).
2. The output (onnx_output.py): converters write more than the network. The one output that holds
   numbers is kept (a ZipMap's input stands for the ZipMap, which only pairs each probability with
   its class), a predicted-class branch beside it (ArgMax, ArrayFeatureExtractor, …) is left out and
   said so, and scikit-learn's two-class [1 − p, p] (Sub, Concat) is read as the one sigmoid output
   p it is made from. Only the nodes the kept output depends on are read on.
3. The layers (onnx_layers.py; the normalisation's numbers: onnx_normalisation.py): the nodes in
   order must be (an optional leading Flatten or Reshape, for image inputs; an optional input
   normalisation — an ONNX-ML Scaler, or Sub, Add, Div, Mul by constants — which becomes the
   project's normalisation) then dense products whose weights and biases are initializers. Nodes
   that change nothing are passed over wherever they are: Identity, Dropout (inference), a Cast to
   the type its input already has (before the first layer: any Cast between float types, since
   nnstudio feeds its input at the weights' precision anyway), and a Reshape or Flatten that keeps
   each layer's (batch × width). Every initializer's declared shape is checked against its bytes and
   the whole network against the parameter budget (`limits.py`) before one array is made.
4. The activations (onnx_activation.py): the nodes between two products may be any mix of ONNX's
   elementwise operators (ACTIVATION_OPS), so each exporter's way of writing GELU or Swish is
   understood. The run of nodes is evaluated by onnx's own reference evaluator on fixed probe values
   and matched against nnstudio's activations (slope and α fitted, then checked at every probe).
   Anything else — a grouped convolution, an approximate GELU, a LogSoftmax — is refused by name.

A network of maps (its first layer a Conv or a pooling, its input declared [N, C, H, W] with C, H and W
numbers) takes the same passes; its layers' attributes are read by onnx_maps.py, a Flatten (axis 1) or a
Reshape to [batch, -1] turns its maps into what the first dense layer reads, and it is held to the core's
budget for such networks (parameters, and values per sample over all its maps) from the declared shapes
before any array is decoded (onnx_map_network.py, which also decodes and builds it).

`read_onnx` also returns notes: one sentence for each thing the import left out or read in a form
of its own, for the CLI and the window to show. Needs the `onnx` package (pip install -e ".[interop]").

This module is the door: `read_onnx` runs the passes in order, checks every initializer the layers
name before one array is made, then decodes them and builds the project.
"""

from __future__ import annotations

import os

from nnstudio.core.project import Project
from nnstudio.interop.imported_project import build_imported, check_declared_shapes, imported_project
from nnstudio.interop.model_metadata import KEY, ModelMetadata, parse_metadata
from nnstudio.interop.onnx_activation import _recognise
from nnstudio.interop.onnx_graph import check_read_nodes
from nnstudio.interop.onnx_layers import _Layer, _layers, dense_arrays
from nnstudio.interop.onnx_map_network import build_maps, check_map_sizes, decode_maps
from nnstudio.interop.onnx_normalisation import _normalisation
from nnstudio.interop.onnx_output import _choose_output, _Output
from nnstudio.interop.onnx_reading import (
    _BadAttribute,
    _check_initializer,
    _describe,
    _Graph,
    _needed_indices,
    _read_graph,
    _read_model,
    _refuse,
    _tensor_shape,
)


def read_onnx(path: str | os.PathLike[str]) -> tuple[Project, tuple[str, ...]]:
    """The dense network in the ONNX file at `path` (see the module's docstring for what is read), and one
    note for each thing the import left out or read in a form of its own."""
    try:
        return _read_onnx(path, str(path))
    except _BadAttribute as error:
        message, where = error.args
        raise _refuse(message, where, str(path)) from None


def _read_onnx(path: str | os.PathLike[str], source: str) -> tuple[Project, tuple[str, ...]]:
    model = _read_model(path)
    g = _read_graph(model, source)
    chosen = _choose_output(g)
    needed = _needed_indices(g, chosen.tensor)  # the nodes the network is read from, found once
    check_read_nodes(model, needed, source)
    layers, image, steps = _layers(g, [model.graph.node[index] for index in sorted(needed)], chosen.tensor)
    if layers[0].kind != "dense":
        return _read_maps(model, g, layers, steps, chosen)
    sizes = _declared_sizes(layers, g)
    _check_two_class(chosen, sizes[-1], source)
    normalisation, normalised = _normalisation(steps, sizes[0], g)
    weights, biases, activations, params = _decoded(layers, sizes, g, model.opset_import)
    metadata, params = _metadata(model, len(layers), sizes, image, chosen, activations, params, source)
    notes = chosen.notes + ([normalised] if normalised else [])
    project = build_imported(weights, biases, activations, params, metadata, source, normalisation=normalisation)
    return project, tuple(notes)


def _read_maps(model, g: _Graph, layers: list[_Layer], steps: list, chosen: _Output) -> tuple[Project, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """A network of maps (Conv, MaxPool, AveragePool, then dense layers): budgeted from its declared shapes, then
    decoded and built (onnx_map_network.py); its normalisation read per input value in the input's (C, H, W)."""
    sizes = check_map_sizes(layers, g)
    _check_two_class(chosen, sizes[-1], g.source)
    normalisation, normalised = _normalisation(steps, sizes[0], g, layers[0].in_shape)
    arrays, activations, params = decode_maps(layers, sizes, g, model.opset_import)
    metadata, params = _metadata(model, len(layers), sizes, None, chosen, activations, params, g.source)
    network = build_maps(layers, arrays, activations, params, g.source)
    project = imported_project(network, metadata, g.source, normalisation)
    return project, tuple(chosen.notes + ([normalised] if normalised else []))


def _declared_sizes(layers: list[_Layer], g: _Graph) -> list[int]:
    """The layer sizes (input first) the initializers declare; every claim checked before anything is decoded."""
    source, initializers = g.source, g.initializers
    for layer in layers:
        for name in (layer.weights, layer.bias):
            if name is not None:
                _check_initializer(initializers[name], source)
    w_shapes, b_shapes = [], []
    for index, layer in enumerate(layers, start=1):
        shape = _tensor_shape(initializers[layer.weights])
        if len(shape) != 2:
            raise _refuse(f"expected a matrix, got shape {shape}", f"initializer {layer.weights!r}", source)
        w_shapes.append(shape[::-1] if layer.transposed else shape)
        bias = _tensor_shape(initializers[layer.bias]) if layer.bias is not None else None
        if bias is not None and len(bias) == 2 and bias[0] == 1:
            bias = bias[1:]  # a (1 × n) row broadcast over the batch
        b_shapes.append(bias)
    return check_declared_shapes(w_shapes, b_shapes, source)


def _check_two_class(chosen: _Output, outputs: int, source: str) -> None:
    """The two-class form [1 − p, p] is read as one sigmoid output p: p must be one value."""
    if chosen.two_class is not None and outputs != 1:
        raise _refuse(f"joins [1 − p, p] for a p of {outputs} values; that two-class form is read as one "
                      "sigmoid output p, so p must be one value", _describe(chosen.two_class), source)


def _decoded(layers: list[_Layer], sizes: list[int], g: _Graph, opset) -> tuple[list, list, list[str], list[dict]]:  # type: ignore[no-untyped-def]
    """Each layer's weights and bias as arrays (Gemm's α and β folded in) and the activation after it."""
    source, initializers = g.source, g.initializers
    dtype = _check_initializer(initializers[layers[0].weights], source)
    weights, biases, activations, params = [], [], [], []
    for index, layer in enumerate(layers, start=1):
        w, b = dense_arrays(layer, g)
        weights.append(w)
        biases.append(b)
        name, p = _recognise(layer.activation_nodes, layer.output, layer.activation_output, sizes[index], initializers,
                             opset, dtype, source, f"layer {index}")
        activations.append(name)
        params.append(p)
    return weights, biases, activations, params


def _metadata(model, layers: int, sizes: list[int], image: tuple[int, int] | None, chosen: _Output,  # type: ignore[no-untyped-def]
              activations: list[str], params: list[dict], source: str) -> tuple[ModelMetadata | None, list[dict]]:
    """nnstudio's own metadata when the file carries it (its activations checked against the graph's, its
    parameters taken as written), else what the graph implies: the image shape and the class names."""
    metadata = None
    props = {p.key: p.value for p in model.metadata_props}
    if KEY in props:
        metadata = parse_metadata(props[KEY], layers, sizes[0], sizes[-1], source)
        if metadata.activations and list(metadata.activations) != activations:
            raise _refuse(f"its metadata names activations {list(metadata.activations)} but the graph computes "
                          f"{activations}", f"{KEY} metadata", source)
        params = [dict(p) for p in metadata.params] if metadata.params else params
    elif image is not None or len(chosen.classes) == sizes[-1]:
        metadata = ModelMetadata(input_image=image,
                                 output_labels=chosen.classes if len(chosen.classes) == sizes[-1] else ())
    return metadata, params


def load_onnx(path: str | os.PathLike[str]) -> Project:
    """The dense network in the ONNX file at `path` (what was left out: `read_onnx`)."""
    return read_onnx(path)[0]
