"""The layers in an ONNX graph's nodes: pass 3 of the importer (onnx_import.py).

The nodes the kept output depends on are walked in order. Each is tried against a few steps — a node
that changes nothing (Identity, Dropout, a no-op Cast), a leading Flatten or Reshape (for image inputs),
the Flatten that turns maps into a dense layer's inputs, a Flatten or Reshape after a layer that keeps
(batch × width), a step of the input normalisation before the first layer, a Conv, MaxPool or AveragePool
reading maps (onnx_maps.py reads its attributes), a Gemm or MatMul (the next dense layer), the Add after a
MatMul (its bias) — and a node no step takes belongs to the activation after the last layer, or is refused
by name. What comes out is
names, not numbers: the initializers each layer reads, the activation's nodes, the normalisation's
nodes; onnx_import.py checks and decodes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.layer_checks import check_input_shape
from nnstudio.interop.onnx_maps import MAP_OPS, read_map_node
from nnstudio.interop.onnx_output import _extract_hint
from nnstudio.interop.onnx_reading import (
    _FLOAT_TYPES,
    ACTIVATION_OPS,
    ML_DOMAIN,
    _array,
    _attribute,
    _describe,
    _Graph,
    _refuse,
    _small_array,
    _tensor_shape,
)

MAX_SHAPE_VALUES = 8      # a Reshape's target shape
DENSE_OPS = ("Gemm", "MatMul")
SHAPE_OPS = ("Flatten", "Reshape")
NORMALISE_OPS = ("Sub", "Add", "Div", "Mul")  # by a constant, before the first layer (and ONNX-ML Scaler)


@dataclass
class _Layer:
    weights: str            # initializer names
    bias: str | None
    transposed: bool        # the initializer holds Wᵀ (MatMul, or Gemm with transB = 0)
    alpha: float = 1.0      # Gemm's factors: Y = α·X·W + β·b
    beta: float = 1.0
    output: str = ""
    activation_nodes: tuple = ()
    activation_output: str = ""  # the tensor the next layer (or the graph's output) reads
    kind: str = "dense"     # or "conv", "max", "avg": a layer of maps (onnx_maps.py reads those)
    in_shape: tuple = ()    # a layer of maps: the (C, H, W) it reads and gives, from declared shapes alone
    out_shape: tuple = ()
    stride: int = 1
    pad: int = 0
    size: int = 0           # a pooling layer's window


def _renamed(node, alias: dict):  # type: ignore[no-untyped-def]
    """The node reading through the passed-over nodes (a copy, when any input changes)."""
    if not any(name in alias for name in node.input):
        return node
    from onnx import NodeProto

    copy = NodeProto()
    copy.CopyFrom(node)
    del copy.input[:]
    copy.input.extend(alias.get(name, name) for name in node.input)
    return copy


def _passes_through(node, g: _Graph, used: set[str], before_first: bool) -> bool:  # type: ignore[no-untyped-def]
    """Identity, Dropout at inference, or a Cast to the type its input already has: nodes that change nothing.
    Before the first layer any Cast between float types is one too: nnstudio feeds its input at the
    weights' precision whatever it was given."""
    if len(node.output) < 1 or not node.input or not node.input[0]:
        return False
    op = node.op_type
    if op == "Identity":
        return True
    if op == "Dropout":
        if any(name in used for name in node.output[1:] if name):  # its mask is read
            return False
        if len(node.input) < 3 or not node.input[2]:
            return True
        flag = g.initializers.get(node.input[2])
        values = None if flag is None else _small_array(flag, 1)
        return values is not None and values.size == 1 and not bool(values.reshape(-1)[0])
    if op == "Cast":
        to, given = _attribute(node, "to", 0), g.types.get(node.input[0], 0)
        return bool(given) and (to == given or (before_first and to in _FLOAT_TYPES and given in _FLOAT_TYPES))
    return False


def _keeps_shape(node, width: int, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """Whether a Flatten or Reshape leaves a (batch × width) tensor as it is: Flatten at axis 1, or a Reshape
    to [-1 or 0, width or -1 or 0] (0 copies the dimension unless allowzero is set)."""
    if node.op_type == "Flatten":
        return _attribute(node, "axis", 1) in (1, -1)
    tensor = g.initializers.get(node.input[1]) if len(node.input) > 1 else None
    values = None if tensor is None else _small_array(tensor, MAX_SHAPE_VALUES)
    if values is None or values.shape != (2,) or values.dtype.kind != "i":
        return False
    copies = not _attribute(node, "allowzero", 0)
    batch, columns = (int(v) for v in values)
    batch_kept = batch == -1 or (batch == 0 and copies)
    columns_kept = columns == width or columns == -1 or (columns == 0 and copies)
    return batch_kept and columns_kept and not (batch == -1 and columns == -1)


def _target(node, g: _Graph) -> str:  # type: ignore[no-untyped-def]
    """What a Flatten or Reshape makes of its input, in words, for a refusal."""
    if node.op_type == "Flatten":
        return f"(Flatten at axis {_attribute(node, 'axis', 1)})"
    tensor = g.initializers.get(node.input[1]) if len(node.input) > 1 else None
    values = None if tensor is None else _small_array(tensor, MAX_SHAPE_VALUES)
    return "to a shape that is not a small constant" if values is None else f"to {values.reshape(-1).tolist()}"


def _width(layer: _Layer, g: _Graph) -> int | None:
    """How many outputs the layer gives, from its weights' declared shape."""
    if layer.kind != "dense":
        return int(np.prod(layer.out_shape))
    shape = _tensor_shape(g.initializers[layer.weights])
    if len(shape) != 2:
        return None
    return shape[1] if layer.transposed else shape[0]


def _normalising(node, current: str, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """A Scaler, or Sub/Div of a constant from the input (Add/Mul either way round), before the first layer."""
    if node.op_type == "Scaler":
        return node.domain == ML_DOMAIN and bool(node.input) and node.input[0] == current
    if node.op_type not in NORMALISE_OPS or len(node.input) != 2:
        return False
    if node.op_type in ("Sub", "Div"):
        return node.input[0] == current and node.input[1] in g.initializers
    return current in node.input and any(name in g.initializers for name in node.input if name != current)


BEFORE_FIRST = ("comes before the first dense layer, where only these are read: a Flatten or Reshape, Identity, "
                "Dropout, a Cast between float types, and an input normalisation (an ONNX-ML Scaler, or Sub, Add, "
                "Div, Mul by a constant initializer); see docs/interop.md")


@dataclass
class _Walk:
    """Where the walk through the nodes stands: the tensor the chain has reached, and what it found so far."""

    current: str                    # the tensor the next node of the chain reads
    dims: list                      # the graph input's declared dimensions (None where not a number)
    used: set[str]                  # every tensor a node (or the graph's output) reads
    image: tuple[int, int] | None = None
    maps: tuple | None = None       # the (C, H, W) each sample of `current` holds, while it holds maps
    layers: list[_Layer] = field(default_factory=list)
    pending: list = field(default_factory=list)                 # the nodes since the last layer: its activation
    steps: list = field(default_factory=list)                   # normalisation nodes, before the first layer
    alias: dict[str, str] = field(default_factory=dict)         # a passed-over node's output → the tensor it passes on


def _layers(g: _Graph, nodes: list, final: str) -> tuple[list[_Layer], tuple[int, int] | None, list]:
    """The layers in order (read from `nodes`, ending in the tensor `final`), the nodes after each, the image
    shape a leading Flatten implies, and the normalisation nodes before the first layer. A layer of maps
    says its (C, H, W) in and out; the input's own is the first one's in_shape."""
    graph_input = _single_input(g)
    dims = [d.dim_value if d.HasField("dim_value") else None for d in graph_input.type.tensor_type.shape.dim]
    walk = _Walk(graph_input.name, dims, {name for node in nodes for name in node.input} | {final})
    if len(dims) == 4 and all(dims[1:]):
        walk.maps = tuple(int(d) for d in dims[1:])
    for node in nodes:
        node = _renamed(node, walk.alias)
        if not any(step(node, walk, g) for step in _STEPS):
            _activation_node(node, walk, g)
    _end_at_output(walk, final, g)
    _check_input_width(walk, graph_input, g)
    return walk.layers, walk.image, walk.steps


def _single_input(g: _Graph):  # type: ignore[no-untyped-def]
    """The graph's one input that is not an initializer: what the network reads."""
    inputs = [i for i in g.graph.input if i.name not in g.initializers]  # type: ignore[attr-defined]
    if len(inputs) != 1:
        raise _refuse(f"has {len(inputs)} inputs; a dense network has one", "graph", g.source)
    return inputs[0]


def _reads(node) -> str:  # type: ignore[no-untyped-def]
    return node.input[0] if node.input else ""


def _passed_over(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """A node that changes nothing: what reads its output reads its input instead."""
    if not _passes_through(node, g, walk.used, not walk.layers):
        return False
    walk.alias[node.output[0]] = _reads(node)
    return True


def _leading_reshape(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """A Flatten or Reshape of the graph's input before anything else; an image input's rows × columns kept."""
    if node.op_type not in SHAPE_OPS or walk.layers or walk.pending or _reads(node) != walk.current:
        return False
    walk.maps = None  # the input's values are read flat: no convolution may follow
    dims = walk.dims
    if len(dims) in (3, 4) and all(d for d in dims[1:]):
        rows, columns = dims[-2], dims[-1]
        if len(dims) == 3 or dims[1] == 1:
            walk.image = (int(rows), int(columns))
    walk.current = node.output[0]
    return True


def _reshape_after_layer(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """A Flatten or Reshape after a layer: passed over when it keeps (batch × width), refused when it does not."""
    reads = _reads(node)
    if node.op_type not in SHAPE_OPS or not walk.layers or \
            not (reads == walk.current or any(reads in p.output for p in walk.pending)):
        return False
    width = _width(walk.layers[-1], g)
    if width is None or not _keeps_shape(node, width, g):
        raise _refuse(f"reshapes the {width} values each sample has here {_target(node, g)}, which changes "
                      "what the network gives; only a Flatten or Reshape that keeps (batch × width) is read "
                      f"after a layer. To import the values before it, "
                      f"{_extract_hint(g, reads, 'before_reshape.onnx')}", _describe(node), g.source)
    walk.alias[node.output[0]] = reads
    return True


def _normalisation_step(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """A Scaler, or Sub, Add, Div, Mul by a constant, before the first layer: a step of the input normalisation."""
    if walk.layers or not _normalising(node, walk.current, g):
        return False
    walk.steps.append(node)
    walk.current = node.output[0]
    return True


def _dense_layer(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """A Gemm or MatMul: the next layer; the nodes since the last one become that one's activation."""
    if node.op_type not in DENSE_OPS:
        return False
    if walk.maps is not None and walk.layers:
        raise _refuse(f"reads maps {'×'.join(map(str, walk.maps))} that are not flattened; put a Flatten (axis 1) "
                      "before the first dense layer", _describe(node), g.source)
    layer = _dense(node, g, walk.current, walk.layers, walk.pending)
    walk.pending = []
    walk.layers.append(layer)
    walk.current = layer.output
    return True


def _matmul_bias(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """The Add right after a MatMul, of an initializer of a bias's shape: that layer's bias."""
    layers, current = walk.layers, walk.current
    if not (node.op_type == "Add" and layers and not walk.pending and _reads(node) and current in node.input
            and layers[-1].bias is None and layers[-1].kind == "dense"):
        return False
    other = [name for name in node.input if name != current]
    if len(other) != 1 or not _is_bias(other[0], layers[-1], g):
        return False
    layers[-1].bias, layers[-1].beta, layers[-1].output = other[0], 1.0, node.output[0]
    walk.current = node.output[0]
    return True


def _map_layer(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """A Conv, MaxPool or AveragePool reading maps: the next layer (onnx_maps.py reads its attributes). The first
    one checks the input's declared (C, H, W) against the core's budget before anything else is read."""
    if node.op_type not in MAP_OPS:
        return False
    reads = _reads(node)
    if any(layer.kind == "dense" for layer in walk.layers):
        raise _refuse("reads maps after a dense layer, whose output is flat; convolution and pooling come before "
                      "the dense layers", _describe(node), g.source)
    if walk.maps is None:
        raise _refuse(f"reads no maps: the graph's input must be declared [N, C, H, W] with C, H and W numbers "
                      f"(it is {['N' if d is None else d for d in walk.dims]}), and read before any Flatten",
                      _describe(node), g.source)
    if reads != walk.current and not any(reads in p.output for p in walk.pending):
        raise _refuse("does not take the previous layer's output: only a chain of layers is read", _describe(node),
                      g.source)
    if not walk.layers:
        try:
            check_input_shape(int(np.prod(walk.maps, dtype=object)), walk.maps)
        except NNStudioError as error:
            raise _refuse(f"declares maps {'×'.join(map(str, walk.maps))} per sample: {error}",
                          f"input {_single_input(g).name!r}", g.source) from None
    else:
        walk.layers[-1].activation_nodes, walk.layers[-1].activation_output = tuple(walk.pending), reads
    spec = read_map_node(node, walk.maps, g, walk.used)
    walk.layers.append(_Layer(spec.weights, spec.bias, False, output=node.output[0], kind=spec.kind,
                              in_shape=walk.maps, out_shape=spec.out_shape, stride=spec.stride, pad=spec.pad,
                              size=spec.size))
    walk.pending, walk.current, walk.maps = [], node.output[0], spec.out_shape
    return True


def _flatten_maps(node, walk: _Walk, g: _Graph) -> bool:  # type: ignore[no-untyped-def]
    """The Flatten (axis 1) or Reshape to [batch, -1] that turns a layer's maps into the (C, H, W)-ordered values a
    dense layer reads (or the network's flat output); any other Flatten or Reshape of maps is refused."""
    reads = _reads(node)
    if node.op_type not in SHAPE_OPS or not walk.layers or walk.maps is None or \
            not (reads == walk.current or any(reads in p.output for p in walk.pending)):
        return False
    width = int(np.prod(walk.maps))
    if node.op_type == "Flatten":
        flat = _attribute(node, "axis", 1) == 1
    else:
        tensor = g.initializers.get(node.input[1]) if len(node.input) > 1 else None
        values = None if tensor is None else _small_array(tensor, MAX_SHAPE_VALUES)
        shape = [] if values is None or values.dtype.kind != "i" else [int(v) for v in values.reshape(-1)]
        copies = not _attribute(node, "allowzero", 0)
        flat = len(shape) == 2 and (shape[0] == -1 or (shape[0] == 0 and copies)) and shape[1] in (-1, width) \
            and shape != [-1, -1]
    if not flat:
        raise _refuse(f"reshapes maps {'×'.join(map(str, walk.maps))} {_target(node, g)}; read after maps are a "
                      f"Flatten at axis 1 and a Reshape to [batch, -1] (or [batch, {width}]), which give their "
                      "values in (C, H, W) order", _describe(node), g.source)
    walk.alias[node.output[0]] = reads
    walk.maps = None
    return True


# What a node may be, tried in this order (the first step that takes it wins); a node none takes is part of
# the activation after the last layer.
_STEPS = (_passed_over, _leading_reshape, _flatten_maps, _reshape_after_layer, _normalisation_step, _map_layer,
          _dense_layer, _matmul_bias)


def _activation_node(node, walk: _Walk, g: _Graph) -> None:  # type: ignore[no-untyped-def]
    """A node no step took: one of the activation's elementwise operators after a layer, or refused by name."""
    if not walk.layers:
        raise _refuse(BEFORE_FIRST, _describe(node), g.source)
    if node.op_type not in ACTIVATION_OPS:
        raise _refuse("is not part of a dense network, nor of a convolutional one; read are Gemm, MatMul + Add, Conv, MaxPool, "
                      "AveragePool, a Flatten or Reshape, an input normalisation, elementwise activations and nodes "
                      "that change nothing (see docs/interop.md)", _describe(node), g.source)
    walk.pending.append(node)


def _end_at_output(walk: _Walk, final: str, g: _Graph) -> None:
    """The last layer's activation: the nodes from it to the graph's output, which must be computed from it."""
    if not walk.layers:
        raise _refuse("holds no dense layer (Gemm or MatMul)", "graph", g.source)
    final = walk.alias.get(final, final)
    if final != walk.current and not any(final in earlier.output for earlier in walk.pending):
        raise _refuse(f"the graph's output {final!r} is not computed from the last layer", "graph", g.source)
    walk.layers[-1].activation_nodes, walk.layers[-1].activation_output = tuple(walk.pending), final


def _check_input_width(walk: _Walk, graph_input, g: _Graph) -> None:  # type: ignore[no-untyped-def]
    """The features the input declares per sample, when it declares them all, are what the first layer takes."""
    features = [d for d in walk.dims[1:]]
    if features and all(features):
        declared = int(np.prod(features))
        takes = _width_in(walk.layers[0], g)
        if takes is not None and declared != takes:
            raise _refuse(f"declares {declared} features per sample but the first layer takes {takes}",
                          f"input {graph_input.name!r}", g.source)


def _is_bias(name: str, layer: _Layer, g: _Graph) -> bool:
    """Whether the initializer `name` has a bias's shape for the layer: (width,) or (1 × width)."""
    tensor = g.initializers.get(name)
    width = _width(layer, g)
    return tensor is not None and width is not None and _tensor_shape(tensor) in ((width,), (1, width))


def _width_in(layer: _Layer, g: _Graph) -> int | None:
    """How many inputs the layer takes, from its weights' declared shape."""
    if layer.kind != "dense":
        return int(np.prod(layer.in_shape))
    shape = _tensor_shape(g.initializers[layer.weights])
    if len(shape) != 2:
        return None
    return shape[0] if layer.transposed else shape[1]


def _dense(node, g: _Graph, current: str, layers: list[_Layer], pending: list) -> _Layer:  # type: ignore[no-untyped-def]
    """The layer a Gemm or MatMul node computes; the nodes since the last one become that one's activation."""
    source, initializers = g.source, g.initializers
    reads = node.input[0] if node.input else ""
    if reads != current and not any(reads in earlier.output for earlier in pending):
        raise _refuse("does not take the previous layer's output: only a chain of dense layers is read",
                      _describe(node), source)
    if len(node.input) < 2 or node.input[1] not in initializers:
        raise _refuse("its weights are not an initializer (a constant matrix)", _describe(node), source)
    if layers:
        layers[-1].activation_nodes, layers[-1].activation_output = tuple(pending), reads
    if node.op_type == "MatMul":
        return _Layer(node.input[1], None, True, output=node.output[0])
    if _attribute(node, "transA", 0):
        raise _refuse("transA = 1: the input must come as batch × features", _describe(node), source)
    bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
    if bias is not None and bias not in initializers:
        raise _refuse("its bias is not an initializer", _describe(node), source)
    return _Layer(node.input[1], bias, not _attribute(node, "transB", 0), float(_attribute(node, "alpha", 1.0)),
                  float(_attribute(node, "beta", 1.0)), node.output[0])


def dense_arrays(layer: _Layer, g: _Graph) -> tuple[np.ndarray, np.ndarray | None]:
    """A dense layer's W (neurons × inputs) and bias as arrays, Gemm's α and β folded in."""
    w = _array(g.initializers[layer.weights], g.source)
    w = w.T if layer.transposed else w
    b = _array(g.initializers[layer.bias], g.source).reshape(-1) if layer.bias is not None else None
    return (w * layer.alpha if layer.alpha != 1.0 else w), (b * layer.beta if b is not None and layer.beta != 1.0
                                                            else b)
