"""The ONNX file read once, for the importer's passes (onnx_import.py) to ask: the model, its initializers
checked before any is decoded, the nodes' attributes, and the graph's tables.

Why a module of its own: every later pass — the output (onnx_output.py), the layers (onnx_layers.py),
the normalisation (onnx_normalisation.py) and the activations (onnx_activation.py) — looks a tensor up
by name, reads an attribute or refuses naming a node, and each must do so the same way: an initializer's
declared shape, type and bytes agree before one array is made, an attribute of the wrong kind is
refused (never read as something else), and a refusal names the node as the others do. The rules the
graph keeps before any of this is read are onnx_graph.py's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.limits import MAX_PARAMETERS, NETWORK_FILE_BYTES
from nnstudio.interop.onnx_graph import _refuse, check_graph, check_names, type_name
from nnstudio.io.errors import NetworkFileError
from nnstudio.io.reading import read_capped

MAX_NODES = 10_000
MAX_CONSTANT_VALUES = 16  # a constant inside an activation is a scalar (√2, ½, 1, a slope)
# ONNX's elementwise operators an activation may be built from (onnx_activation.py evaluates them); named
# here, below the passes, because the element types a node gives (_KEEPS_TYPE) follow from them.
ACTIVATION_OPS = frozenset({
    "Identity", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Softplus", "Softmax", "Gelu", "Erf", "Exp", "Log",
    "Abs", "Neg", "Add", "Sub", "Mul", "Div", "Max", "Min", "Where", "Greater", "GreaterOrEqual", "Less",
    "LessOrEqual", "Equal", "Not", "Cast", "Constant", "Sign", "Pow", "Sqrt", "Reciprocal", "Clip", "HardSigmoid",
    "Selu", "Celu", "ThresholdedRelu", "PRelu",
})
ML_DOMAIN = "ai.onnx.ml"
_FLOAT_TYPES = {1: np.dtype("<f4"), 11: np.dtype("<f8")}  # TensorProto.FLOAT, DOUBLE
_BOOL, _INT32, _INT64, _STRING, _FLOAT = 9, 6, 7, 8, 1  # TensorProto element types
_GIVES_BOOL = frozenset({"Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Equal", "Not"})
# Operators whose output has their first input's element type (enough to tell a no-op Cast).
_KEEPS_TYPE = (ACTIVATION_OPS - _GIVES_BOOL - {"Cast", "Constant", "Where"}) | {
    "Gemm", "MatMul", "Reshape", "Flatten", "Concat", "Dropout", "Transpose", "Squeeze", "Unsqueeze", "Conv",
    "MaxPool", "AveragePool"}


@dataclass
class _Graph:
    """The graph's parts looked up by name, read once: every pass asks them."""

    graph: object                      # onnx.GraphProto
    source: str
    initializers: dict = field(default_factory=dict)
    producers: dict = field(default_factory=dict)   # tensor name → index of the node writing it
    types: dict = field(default_factory=dict)       # tensor name → TensorProto element type, where known


def _read_model(path: str | os.PathLike[str]):  # type: ignore[no-untyped-def]
    import onnx
    from google.protobuf.message import DecodeError

    source = str(path)
    data = read_capped(path, NETWORK_FILE_BYTES, lambda message: NetworkFileError(message), "ONNX file")
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError, OSError) as error:
        raise _refuse(f"is not a readable ONNX model (truncated or not ONNX: {error})", "", source) from None
    if not model.HasField("graph") or not model.graph.node:
        raise _refuse("holds no graph of nodes: not an ONNX model", "", source)
    if len(model.graph.node) > MAX_NODES:
        raise _refuse(f"has {len(model.graph.node):,} nodes; a dense network read here has at most {MAX_NODES:,}",
                      "", source)
    check_names(model, source)
    check_graph(model, source)  # inputs defined before use, known operators, attributes as declared
    return model


def _tensor_shape(tensor) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(int(d) for d in tensor.dims)


def _check_initializer(tensor, source: str) -> np.dtype:  # type: ignore[no-untyped-def]
    """Its dtype, once its declared shape, type and bytes agree (nothing decoded yet)."""
    from onnx import TensorProto

    name = f"initializer {tensor.name!r}"
    if tensor.data_location == TensorProto.EXTERNAL:
        raise _refuse("its values are in an external file; save the model with its data inside", name, source)
    dtype = _FLOAT_TYPES.get(tensor.data_type)
    if dtype is None:
        raise _refuse(f"data type {type_name(tensor.data_type)}: weights must be FLOAT or DOUBLE", name, source)
    shape = _tensor_shape(tensor)
    if any(d < 0 for d in shape):
        raise _refuse(f"declares a negative size {shape}", name, source)
    count = int(np.prod(shape, dtype=object))
    if count > MAX_PARAMETERS:
        raise _refuse(f"declares {count:,} values; a network may hold at most {MAX_PARAMETERS:,}", name, source)
    if tensor.raw_data:
        held = len(tensor.raw_data) // dtype.itemsize
        if len(tensor.raw_data) != count * dtype.itemsize:
            raise _refuse(f"declares shape {shape} ({count:,} values) but holds {held:,}", name, source)
    else:
        held = len(tensor.float_data) if dtype == np.float32 else len(tensor.double_data)
        if held != count:
            raise _refuse(f"declares shape {shape} ({count:,} values) but holds {held:,}", name, source)
    return dtype


def _array(tensor, source: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    from onnx import numpy_helper

    _check_initializer(tensor, source)
    return numpy_helper.to_array(tensor)


class _BadAttribute(Exception):
    """An attribute of the wrong kind (a list where a number belongs): refused by read_onnx, naming the node."""


def _attribute(node, name: str, default):  # type: ignore[no-untyped-def]
    """The node's attribute `name`, or `default` when it has none. With a number for default the value must be
    a number too: a corrupt file's list or text there is refused, never read as something else."""
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            try:
                value = helper.get_attribute_value(attribute)
            except ValueError:  # an attribute type onnx does not know
                raise _BadAttribute(f"its attribute {name!r} is of no type ONNX defines", _describe(node)) from None
            number = isinstance(default, (int, float)) and not isinstance(default, bool)
            if number and (isinstance(value, bool) or not isinstance(value, (int, float) if isinstance(default, float)
                                                                   else int)):
                raise _BadAttribute(f"its attribute {name!r} is {type(value).__name__} {value!r:.40}; expected "
                                    f"{'a number' if isinstance(default, float) else 'an integer'}", _describe(node))
            return value
    return default


def _describe(node) -> str:  # type: ignore[no-untyped-def]
    return f"node {node.name!r} (operator {node.op_type})" if node.name else f"a node with operator {node.op_type}"


def _small_array(tensor, limit: int = MAX_CONSTANT_VALUES) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    """A small constant's values (a Reshape's shape, a 1, a flag), None when it holds more than `limit`
    values or is not stored in place; its declared size is checked before anything is decoded."""
    from onnx import TensorProto, numpy_helper

    if tensor.data_location == TensorProto.EXTERNAL or any(d < 0 for d in tensor.dims):
        return None
    if int(np.prod(_tensor_shape(tensor), dtype=object)) > limit:
        return None
    try:
        return np.asarray(numpy_helper.to_array(tensor))
    except (ValueError, TypeError, IndexError):  # bytes disagreeing with the declared shape or type
        return None


def _element_type(node, types: dict) -> int:  # type: ignore[no-untyped-def]
    """The element type of the node's first output, when it follows from its inputs' (0: not known)."""
    op = node.op_type
    if op == "Cast":
        to = _attribute(node, "to", 0)
        return to if isinstance(to, int) else 0
    if op in _GIVES_BOOL:
        return _BOOL
    if op in ("ArgMax", "ArgMin"):
        return _INT64
    if op == "Scaler":
        return _FLOAT  # ONNX-ML's Scaler gives float whatever it reads
    if op == "Where" and len(node.input) > 1:
        return types.get(node.input[1], 0)
    if op == "Constant":
        value = _attribute(node, "value", None)
        return int(value.data_type) if value is not None and hasattr(value, "data_type") else 0
    if op in _KEEPS_TYPE and node.input:
        return types.get(node.input[0], 0)
    return 0


def _read_graph(model, source: str) -> _Graph:  # type: ignore[no-untyped-def]
    """Initializers, each tensor's producer and its element type where it follows from the declarations."""
    graph = model.graph
    g = _Graph(graph, source, {t.name: t for t in graph.initializer})
    g.types = {t.name: int(t.data_type) for t in graph.initializer}
    for value in graph.input:
        if value.type.HasField("tensor_type") and value.name not in g.initializers:
            g.types[value.name] = int(value.type.tensor_type.elem_type)
    for index, node in enumerate(graph.node):
        for name in node.output:
            if name:
                g.producers[name] = index
        if node.output:
            kind = _element_type(node, g.types)
            if kind:
                g.types[node.output[0]] = kind
    return g


def _needed_indices(g: _Graph, tensor: str) -> set[int]:
    """The indices of the nodes `tensor` is computed from."""
    nodes = g.graph.node  # type: ignore[attr-defined]
    needed: set[int] = set()
    stack = [tensor]
    while stack:
        index = g.producers.get(stack.pop())
        if index is None or index in needed:
            continue
        needed.add(index)
        stack.extend(name for name in nodes[index].input if name)
    return needed


def _needed(g: _Graph, tensor: str, besides: str | None = None) -> list:
    """The nodes `tensor` is computed from, in the graph's order (the rest is not read); with `besides`, only
    those that tensor is not computed from (a label branch's own nodes, beside the probabilities)."""
    needed = _needed_indices(g, tensor)
    if besides is not None:
        needed -= _needed_indices(g, besides)
    return [g.graph.node[index] for index in sorted(needed)]  # type: ignore[attr-defined]


def _producer(g: _Graph, tensor: str):  # type: ignore[no-untyped-def]
    index = g.producers.get(tensor)
    return None if index is None else g.graph.node[index]  # type: ignore[attr-defined]


def _ops(nodes) -> str:  # type: ignore[no-untyped-def]
    return ", ".join(node.op_type for node in nodes) or "no nodes"
