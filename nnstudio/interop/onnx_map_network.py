"""A network of maps out of an ONNX graph's layers (onnx_layers.py found them): its budget from the declared
shapes alone, then its arrays and activations, then the core's Conv2DLayer, Pool2DLayer and DenseLayer.

Why apart from the dense path (onnx_import.py `_decoded`): a network of maps is budgeted by the core's own
rule for one (`limits.check_spatial_network_size`: parameters, and values per sample summed over its maps),
not by layer sizes, and its activations are read differently — a convolution's must be elementwise and a
pooling layer has none. Every claim a file makes (kernel and weight shapes, the input's C, H and W) is
checked against that budget before one array is decoded, so a tiny file declaring a 4096×4096 input or a
kernel of a billion values is refused without allocating it.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import check_spatial_network_size
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape
from nnstudio.interop.onnx_activation import _recognise
from nnstudio.interop.onnx_layers import _Layer, _width, _width_in, dense_arrays
from nnstudio.interop.onnx_reading import _array, _check_initializer, _describe, _Graph, _refuse, _tensor_shape

PROBE_WIDTH = 16  # values an elementwise activation after a convolution is probed on (its shape does not matter)


def check_map_sizes(layers: list[_Layer], g: _Graph) -> list[int]:
    """The values per sample from the input to the last layer (maps counted C·H·W), every declared shape checked
    and the whole network held to the core's budget, before anything is decoded."""
    source = g.source
    sizes, parameters, shown = [int(np.prod(layers[0].in_shape))], 0, [show_shape(layers[0].in_shape)]
    for index, layer in enumerate(layers, start=1):
        for name in (layer.weights, layer.bias):
            if name:
                _check_initializer(g.initializers[name], source)
                parameters += int(np.prod(_tensor_shape(g.initializers[name]), dtype=object))
        if layer.kind == "dense":
            shape = _tensor_shape(g.initializers[layer.weights])
            n_in, n_out = _width_in(layer, g), _width(layer, g)
            if n_in is None or n_out is None:
                raise _refuse(f"expected a matrix, got shape {shape}", f"initializer {layer.weights!r}", source)
            if n_in != sizes[-1]:
                raise _refuse(f"takes {n_in} inputs but the layer before it gives {sizes[-1]} (its maps "
                              f"{shown[-1]} flattened)" if index > 1 and layers[index - 2].kind != "dense" else
                              f"takes {n_in} inputs but the layer before it gives {sizes[-1]}", f"layer {index}",
                              source)
            bias = _tensor_shape(g.initializers[layer.bias]) if layer.bias is not None else None
            if bias is not None and bias not in ((n_out,), (1, n_out)):
                raise _refuse(f"expected shape ({n_out},), got {bias}", f"initializer {layer.bias!r}", source)
            sizes.append(n_out)
            shown.append(str(n_out))
        else:
            sizes.append(int(np.prod(layer.out_shape)))
            shown.append(show_shape(layer.out_shape))
    try:
        check_spatial_network_size(len(layers), parameters, sum(sizes), " → ".join(shown))
    except NNStudioError as error:
        raise _refuse(str(error), "graph", source) from None
    return sizes


def decode_maps(layers: list[_Layer], sizes: list[int], g: _Graph, opset) -> tuple[list, list[str], list[dict]]:  # type: ignore[no-untyped-def]
    """Each layer's (main array, bias) — a kernel, W (neurons × inputs) with Gemm's α and β folded in, or
    (None, None) for pooling — and the activation after it."""
    source = g.source
    named = [layer.weights for layer in layers if layer.weights]  # none in a network of pooling alone
    dtype = _check_initializer(g.initializers[named[0]], source) if named else np.dtype(np.float32)
    arrays, activations, params = [], [], []
    for index, layer in enumerate(layers, start=1):
        if layer.kind == "dense":
            arrays.append(dense_arrays(layer, g))
        elif layer.kind == "conv":
            bias = None if layer.bias is None else _array(g.initializers[layer.bias], source).reshape(-1)
            arrays.append((_array(g.initializers[layer.weights], source), bias))
        else:
            arrays.append((None, None))
        width = sizes[index] if layer.kind == "dense" else PROBE_WIDTH
        name, p = _recognise(layer.activation_nodes, layer.output, layer.activation_output, width, g.initializers,
                             opset, dtype, source, f"layer {index}")
        if layer.kind in ("max", "avg") and name != "identity":
            raise _refuse(f"computes {name} after a pooling layer, which nnstudio's has none of; put the activation "
                          "before the pooling (for relu and max pooling that gives the same values)",
                          _describe(layer.activation_nodes[0]), source)
        activations.append(name)
        params.append(p)
    return arrays, activations, params


def build_maps(layers: list[_Layer], arrays: list, activations: list[str], params: list[dict],
               source: str) -> Network:
    """The core's network of these layers, in the precision of the widest array (as the dense path)."""
    from nnstudio.io.errors import NetworkFileError

    dtype = np.float64 if any(main is not None and main.dtype == np.float64 for main, _ in arrays) else np.float32
    built: list = []
    for index, (layer, (main, bias), activation, p) in enumerate(zip(layers, arrays, activations, params), start=1):
        if any(values is not None and not np.all(np.isfinite(values)) for values in (main, bias)):
            raise NetworkFileError("holds a value that is not finite (NaN or infinite)", f"layer {index}", source)
        main = None if main is None else np.array(main, dtype=dtype)
        bias = None if bias is None else np.array(bias, dtype=dtype)
        try:
            if layer.kind == "conv":
                built.append(Conv2DLayer(main, bias, layer.in_shape, layer.stride, layer.pad, activation, p))
            elif layer.kind == "dense":
                built.append(DenseLayer(main, bias, activation, p))
            else:
                built.append(Pool2DLayer(layer.kind, layer.in_shape, layer.size, layer.stride))
        except NNStudioError as error:
            raise NetworkFileError(str(error), f"layer {index}", source) from None
    try:
        return Network(int(np.prod(layers[0].in_shape)), tuple(built), layers[0].in_shape)
    except NNStudioError as error:
        raise NetworkFileError(str(error), "", source) from None
