"""Dense networks out of ONNX files: `Gemm`, or `MatMul` + `Add`, with activations between them.

Read in four passes, each refusing with a message that names the node or tensor at fault and, where
there is one, the way forward:

1. The file: at most NETWORK_FILE_BYTES, a protobuf onnx can parse, no external data files, at most
   MAX_NODES nodes, and a valid graph (onnx_graph.py): every node reads what a graph input, an
   initializer or an earlier node gives (never its own output), is an operator of ONNX or ONNX-ML
   with the inputs, outputs and attributes its schema declares, and every element type is one ONNX
   defines. The nodes the network is read from compute numbers (no Cast to STRING).
2. The output: converters write more than the network. The one output that holds numbers is kept
   (a ZipMap's input stands for the ZipMap, which only pairs each probability with its class), a
   predicted-class branch beside it (ArgMax, ArrayFeatureExtractor, …) is left out and said so, and
   scikit-learn's two-class [1 − p, p] (Sub, Concat) is read as the one sigmoid output p it is
   made from. Only the nodes the kept output depends on are read on.
3. The layers: the nodes in order must be (an optional leading Flatten or Reshape, for image inputs;
   an optional input normalisation — an ONNX-ML Scaler, or Sub, Add, Div, Mul by constants — which
   becomes the project's normalisation) then dense products whose weights and biases are
   initializers. Nodes that change nothing are passed over wherever they are: Identity, Dropout
   (inference), a Cast to the type its input already has (before the first layer: any Cast between
   float types, since nnstudio feeds its input at the weights' precision anyway), and a Reshape or
   Flatten that keeps each layer's (batch × width). Every initializer's declared shape is checked
   against its bytes and the whole network against the parameter budget (`limits.py`) before one
   array is made.
4. The activations: the nodes between two products may be any mix of ONNX's elementwise operators
   (ACTIVATION_OPS), so each exporter's way of writing GELU or Swish is understood. The run of nodes is
   evaluated by onnx's own reference evaluator on fixed probe values and matched against nnstudio's
   activations (slope and α fitted, then checked at every probe). Anything else — a convolution, an
   approximate GELU, a LogSoftmax — is refused by name.

`read_onnx` also returns notes: one sentence for each thing the import left out or read in a form
of its own, for the CLI and the window to show. Needs the `onnx` package (pip install -e ".[interop]").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.limits import MAX_PARAMETERS, NETWORK_FILE_BYTES
from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError
from nnstudio.interop.imported_project import build_imported, check_declared_shapes
from nnstudio.interop.model_metadata import (
    KEY,
    MAX_LABEL_CHARS,
    ModelMetadata,
    parse_metadata,
)
from nnstudio.interop.onnx_graph import check_graph, check_read_nodes, type_name
from nnstudio.io.reading import read_capped

MAX_NODES = 10_000
MAX_CONSTANT_VALUES = 16  # a constant inside an activation is a scalar (√2, ½, 1, a slope)
MAX_SHAPE_VALUES = 8      # a Reshape's target shape
MAX_CLASSES = 10_000      # class labels read as output labels (a layer that wide is far over any use)
DENSE_OPS = ("Gemm", "MatMul")
SHAPE_OPS = ("Flatten", "Reshape")
ACTIVATION_OPS = frozenset({
    "Identity", "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Softplus", "Softmax", "Gelu", "Erf", "Exp", "Log",
    "Abs", "Neg", "Add", "Sub", "Mul", "Div", "Max", "Min", "Where", "Greater", "GreaterOrEqual", "Less",
    "LessOrEqual", "Equal", "Not", "Cast", "Constant", "Sign", "Pow", "Sqrt", "Reciprocal", "Clip", "HardSigmoid",
    "Selu", "Celu", "ThresholdedRelu", "PRelu",
})
# The order candidates are tried in: the simplest that fits wins (relu before leaky_relu with slope 0).
CANDIDATES = ("identity", "relu", "sigmoid", "tanh", "softplus", "swish", "gelu", "sign", "step", "softmax",
              "leaky_relu", "elu")
ML_DOMAIN = "ai.onnx.ml"
NORMALISE_OPS = ("Sub", "Add", "Div", "Mul")  # by a constant, before the first layer (and ONNX-ML Scaler)
# Operators of a predicted-class branch: an output computed through one is a label, not the network's values.
LABEL_OPS = frozenset({"ArgMax", "ArgMin", "ArrayFeatureExtractor", "TopK", "LabelEncoder", "CategoryMapper"})
IMPORTED_KIND = "imported"  # Project.normalisation's kind for one read from a graph
_FLOAT_TYPES = {1: np.dtype("<f4"), 11: np.dtype("<f8")}  # TensorProto.FLOAT, DOUBLE
_BOOL, _INT32, _INT64, _STRING, _FLOAT = 9, 6, 7, 8, 1  # TensorProto element types
_GIVES_BOOL = frozenset({"Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Equal", "Not"})
# Operators whose output has their first input's element type (enough to tell a no-op Cast).
_KEEPS_TYPE = (ACTIVATION_OPS - _GIVES_BOOL - {"Cast", "Constant", "Where"}) | {
    "Gemm", "MatMul", "Reshape", "Flatten", "Concat", "Dropout", "Transpose", "Squeeze", "Unsqueeze"}


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


@dataclass
class _Graph:
    """The graph's parts looked up by name, read once: every pass below asks them."""

    graph: object                      # onnx.GraphProto
    source: str
    initializers: dict = field(default_factory=dict)
    producers: dict = field(default_factory=dict)   # tensor name → index of the node writing it
    types: dict = field(default_factory=dict)       # tensor name → TensorProto element type, where known


@dataclass
class _Output:
    """The tensor read as the network's output, what was left out to get it, and the class names found."""

    tensor: str
    notes: list[str] = field(default_factory=list)
    classes: tuple[str, ...] = ()
    two_class: object = None  # the Concat of [1 − p, p], when that was read as p


def _refuse(message: str, where: str, source: str) -> NetworkFileError:
    return NetworkFileError(message, where, source)


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
    _check_names(model, source)
    check_graph(model, source)  # inputs defined before use, known operators, attributes as declared
    return model


def _check_names(model, source: str) -> None:  # type: ignore[no-untyped-def]
    """Every name the import reads is text. protobuf parses a string field that is not UTF-8 and hands it
    over as bytes (upb) or raises when it is read (the pure-Python protobuf), either of which would
    otherwise surface deep in the passes below, as a name that matches nothing or cannot be copied."""
    graph = model.graph
    try:
        names = [name for node in graph.node for name in (node.name, node.op_type, node.domain, *node.input,
                                                          *node.output, *(a.name for a in node.attribute))]
        names += [value.name for value in (*graph.input, *graph.output, *graph.initializer)]
        names += [opset.domain for opset in model.opset_import] + [prop.key for prop in model.metadata_props]
    except UnicodeDecodeError:
        names = [b""]
    if not all(isinstance(name, str) for name in names):
        raise _refuse("holds a name that is not UTF-8 text: not a valid ONNX model (corrupt?)", "", source)


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


def _class_names(values) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Class labels as output labels: numbers as written, text decoded (cut to the labels' limit)."""
    names = []
    for value in values:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        names.append(text[:MAX_LABEL_CHARS])
    return tuple(names)


def _classes_of(node, g: _Graph) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The class names a ZipMap pairs the probabilities with, or an ArrayFeatureExtractor picks the label from."""
    if node.op_type == "ZipMap":
        for name in ("classlabels_strings", "classlabels_int64s"):
            values = _attribute(node, name, None)
            if isinstance(values, list) and values and len(values) <= MAX_CLASSES:
                return _class_names(values)
        return ()
    tensor = g.initializers.get(node.input[0]) if node.input else None
    if tensor is None or int(np.prod(_tensor_shape(tensor), dtype=object)) > MAX_CLASSES:
        return ()
    if tensor.data_type == _STRING:
        return _class_names(tensor.string_data)
    values = _small_array(tensor, MAX_CLASSES) if tensor.data_type in (_INT32, _INT64) else None
    return () if values is None else _class_names(values.reshape(-1).tolist())


def _is_label(g: _Graph, output, branch: list) -> bool:  # type: ignore[no-untyped-def]
    """An output that names a class (an integer or text tensor, or one computed through an ArgMax)."""
    declared = output.type.tensor_type.elem_type if output.type.HasField("tensor_type") else 0
    kind = declared or g.types.get(output.name, 0)
    return any(node.op_type in LABEL_OPS for node in branch) or kind in (_INT32, _INT64, _STRING, _BOOL)


def _extract_hint(g: _Graph, tensor: str, file: str) -> str:
    """The onnx call that keeps `tensor` as the model's only output."""
    inputs = [i.name for i in g.graph.input if i.name not in g.initializers]  # type: ignore[attr-defined]
    return f"onnx.utils.extract_model({Path(g.source).name!r}, {file!r}, {inputs!r}, [{tensor!r}])"


def _choose_output(g: _Graph) -> _Output:
    """The one graph output a dense network gives; a predicted-class output beside it is left out (and said
    so), a ZipMap read through. Refused when none, or more than one, could be the network's."""
    kept: list[tuple[str, str, object]] = []  # (graph output, tensor read, ZipMap or None)
    left: list[tuple[str, list, bool]] = []   # (graph output, its nodes, whether it is a label)
    for output in g.graph.output:  # type: ignore[attr-defined]
        producer = _producer(g, output.name)
        if producer is not None and producer.op_type == "ZipMap" and producer.domain == ML_DOMAIN and producer.input:
            kept.append((output.name, producer.input[0], producer))
            continue
        branch = _needed(g, output.name)
        declared = output.type.tensor_type.elem_type if output.type.HasField("tensor_type") else 0
        label = _is_label(g, output, branch)
        if not label and (declared or g.types.get(output.name, 0)) in _FLOAT_TYPES:
            kept.append((output.name, output.name, None))
        else:
            left.append((output.name, branch, label))
    if len(kept) > 1:
        names = ", ".join(repr(name) for name, _, _ in kept)
        raise _refuse(f"has {len(kept)} outputs a dense network could give ({names}); keep the one to import, "
                      f"e.g. {_extract_hint(g, kept[0][1], 'one_output.onnx')}, and import that file", "graph",
                      g.source)
    if not kept:
        _refuse_without_values(g, left)
    name, tensor, zipmap = kept[0]
    chosen = _Output(tensor)
    if zipmap is not None:
        chosen.classes = _classes_of(zipmap, g)
        chosen.notes.append(f"read output {name!r} before its ZipMap (which only pairs each probability with "
                            f"its class), as the tensor {tensor!r}")
    for other, branch, label in left:
        own = _needed(g, other, besides=tensor)
        if label:
            chosen.notes.append(f"left out output {other!r}, the predicted class ({_ops(own)}): it is the "
                                "class of the largest probability")
            extractor = next((node for node in branch if node.op_type == "ArrayFeatureExtractor"), None)
            if not chosen.classes and extractor is not None:
                chosen.classes = _classes_of(extractor, g)
        else:
            chosen.notes.append(f"left out output {other!r} ({_ops(own)}), which holds no float numbers")
    return _two_class(g, chosen)


def _refuse_without_values(g: _Graph, left: list) -> None:
    """No output holds the network's numbers: say where the probabilities are, when a label is chosen from them."""
    for name, branch, label in left:
        chooser = next((node for node in branch if node.op_type in ("ArgMax", "ArgMin")), None)
        if label and chooser is not None and chooser.input:
            only = "its only output" if len(left) == 1 else "its output"
            own = _ops(_needed(g, name, besides=chooser.input[0]))
            raise _refuse(f"{only} {name!r} is the predicted class ({own}), not the numbers a network "
                          f"computes; the probabilities it is chosen from are the tensor {chooser.input[0]!r}: "
                          f"keep that as the output, e.g. {_extract_hint(g, chooser.input[0], 'probabilities.onnx')}"
                          ", and import that file (or convert the model again with its probabilities as an output: "
                          "skl2onnx writes both by default)", "graph", g.source)
    names = ", ".join(repr(name) for name, _, _ in left) or "none"
    raise _refuse(f"no output is a tensor of float numbers (outputs: {names}); a dense network's output is one",
                  "graph", g.source)


def _is_one(g: _Graph, name: str) -> bool:
    """Whether `name` is the constant 1 (an initializer or a Constant node of one value)."""
    tensor = g.initializers.get(name)
    if tensor is None:
        producer = _producer(g, name)
        if producer is None or producer.op_type != "Constant":
            return False
        tensor = _attribute(producer, "value", None)
        if tensor is None or not hasattr(tensor, "dims"):
            return False
    values = _small_array(tensor, 1)
    return values is not None and values.size == 1 and values.dtype.kind == "f" and float(values.reshape(-1)[0]) == 1.0


def _two_class(g: _Graph, chosen: _Output) -> _Output:
    """scikit-learn's two-class output [1 − p, p] (Sub, Concat) read as p: the network's one sigmoid output,
    the probability of the second class. Nothing is invented (a second column's weights, a softmax): the
    file's network is read as trained, and nnstudio's bce loss and 0/1 targets take p as it is."""
    concat = _producer(g, chosen.tensor)
    if concat is None or concat.op_type != "Concat" or len(concat.input) != 2 or \
            _attribute(concat, "axis", None) not in (1, -1):
        return chosen
    complement, p = concat.input
    sub = _producer(g, complement)
    if sub is None or sub.op_type != "Sub" or len(sub.input) != 2 or sub.input[1] != p or not _is_one(g, sub.input[0]):
        return chosen
    named = f" of class {chosen.classes[1]!r}" if len(chosen.classes) == 2 else ""
    chosen.notes.append(f"read the two-class form [1 − p, p] ({_ops([sub, concat])}) as one sigmoid output p, the "
                        f"probability{named}; 1 − p is left out")
    chosen.tensor, chosen.two_class = p, concat
    if len(chosen.classes) == 2:
        chosen.classes = chosen.classes[1:]
    return chosen


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


def _layers(g: _Graph, nodes: list, final: str) -> tuple[list[_Layer], tuple[int, int] | None, list]:
    """The dense products in order (read from `nodes`, ending in the tensor `final`), the nodes after each,
    the image shape a leading Flatten implies, and the normalisation nodes before the first layer."""
    source = g.source
    initializers = g.initializers
    inputs = [i for i in g.graph.input if i.name not in initializers]  # type: ignore[attr-defined]
    if len(inputs) != 1:
        raise _refuse(f"has {len(inputs)} inputs; a dense network has one", "graph", source)
    current = inputs[0].name
    image = None
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim]
    layers: list[_Layer] = []
    pending: list = []
    steps: list = []                # normalisation nodes, before the first layer
    alias: dict[str, str] = {}      # a passed-over node's output → the tensor it passes on
    used = {name for node in nodes for name in node.input} | {final}
    for node in nodes:
        node = _renamed(node, alias)
        reads = node.input[0] if node.input else ""
        if _passes_through(node, g, used, not layers):
            alias[node.output[0]] = reads
            continue
        if node.op_type in SHAPE_OPS and not layers and not pending and reads == current:
            if len(dims) in (3, 4) and all(d for d in dims[1:]):
                rows, columns = dims[-2], dims[-1]
                if len(dims) == 3 or dims[1] == 1:
                    image = (int(rows), int(columns))
            current = node.output[0]
            continue
        if node.op_type in SHAPE_OPS and layers and (reads == current or any(reads in p.output for p in pending)):
            width = _width(layers[-1], g)
            if width is None or not _keeps_shape(node, width, g):
                raise _refuse(f"reshapes the {width} values each sample has here {_target(node, g)}, which changes "
                              "what the network gives; only a Flatten or Reshape that keeps (batch × width) is read "
                              f"after a layer. To import the values before it, "
                              f"{_extract_hint(g, reads, 'before_reshape.onnx')}", _describe(node), source)
            alias[node.output[0]] = reads
            continue
        if not layers and _normalising(node, current, g):
            steps.append(node)
            current = node.output[0]
            continue
        if node.op_type in DENSE_OPS:
            layer = _dense(node, g, current, layers, pending)
            pending = []
            layers.append(layer)
            current = layer.output
            continue
        if node.op_type == "Add" and layers and not pending and reads and current in node.input and \
                layers[-1].bias is None:
            other = [name for name in node.input if name != current]
            if len(other) == 1 and _is_bias(other[0], layers[-1], g):  # MatMul + Add: the bias
                layers[-1].bias, layers[-1].beta, layers[-1].output = other[0], 1.0, node.output[0]
                current = node.output[0]
                continue
        if not layers:
            raise _refuse(BEFORE_FIRST, _describe(node), source)
        if node.op_type not in ACTIVATION_OPS:
            raise _refuse("is not part of a dense network; read are Gemm, MatMul + Add, a leading Flatten or "
                          "Reshape, an input normalisation, elementwise activations and nodes that change nothing "
                          "(see docs/interop.md)", _describe(node), source)
        pending.append(node)
    if not layers:
        raise _refuse("holds no dense layer (Gemm or MatMul)", "graph", source)
    final = alias.get(final, final)
    if final != current and not any(final in earlier.output for earlier in pending):
        raise _refuse(f"the graph's output {final!r} is not computed from the last layer", "graph", source)
    layers[-1].activation_nodes, layers[-1].activation_output = tuple(pending), final
    features = [d for d in dims[1:]]
    if features and all(features):
        declared = int(np.prod(features))
        takes = _width_in(layers[0], g)
        if takes is not None and declared != takes:
            raise _refuse(f"declares {declared} features per sample but the first layer takes {takes}",
                          f"input {inputs[0].name!r}", source)
    return layers, image, steps


def _is_bias(name: str, layer: _Layer, g: _Graph) -> bool:
    """Whether the initializer `name` has a bias's shape for the layer: (width,) or (1 × width)."""
    tensor = g.initializers.get(name)
    width = _width(layer, g)
    return tensor is not None and width is not None and _tensor_shape(tensor) in ((width,), (1, width))


def _width_in(layer: _Layer, g: _Graph) -> int | None:
    """How many inputs the layer takes, from its weights' declared shape."""
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


def _operand(node, g: _Graph, inputs: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A normalisation node's constant, one value per input (one value stands for all)."""
    name = next(n for n in node.input if n in g.initializers)
    tensor = g.initializers[name]
    _check_initializer(tensor, g.source)
    shape = _tensor_shape(tensor)
    count = shape[-1] if shape else 1
    if count not in (1, inputs) or len(shape) > 2 or any(d != 1 for d in shape[:-1]):
        raise _refuse(f"its constant {name!r} has shape {_tensor_shape(tensor)}; an input normalisation has one "
                      f"value, or one per input ({inputs})", _describe(node), g.source)
    return np.broadcast_to(_array(tensor, g.source).astype(np.float64).reshape(-1), (inputs,))


def _scaler_values(node, name: str, default: float, inputs: int, source: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A Scaler's offset or scale attribute, one value per input."""
    values = _attribute(node, name, None)
    if values is None or (isinstance(values, (list, tuple)) and not values):
        return np.full(inputs, default)
    if not isinstance(values, (list, tuple)) or len(values) not in (1, inputs) or \
            not all(isinstance(v, (int, float)) for v in values):
        raise _refuse(f"its {name} holds {len(values) if isinstance(values, (list, tuple)) else 'no'} numbers; "
                      f"a Scaler has one, or one per input ({inputs})", _describe(node), source)
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (inputs,))


def _refuse_zero(node, what: str, values: np.ndarray, source: str) -> None:  # type: ignore[no-untyped-def]
    """A multiplier or divisor of 0 has no (x − offset)/scale form: say which input and what computes the same."""
    if np.any(values == 0):
        index = int(np.argmin(values != 0))
        raise _refuse(f"its {what}[{index}] is 0, which sends input {index + 1} to one value whatever it is; "
                      "nnstudio's normalisation (x − offset)/scale has no such form. The same network: give that "
                      "input a scale of 1 here and 0 weights in the first layer", _describe(node), source)


def _normalisation(steps: list, inputs: int, g: _Graph) -> tuple[dict | None, str | None]:
    """The normalisation the nodes before the first layer compute, as Project.normalisation (x − offset)/scale,
    and a note naming them. Each node composes onto the map so far, y = (x − o)/s:
    y − c = (x − o − c·s)/s, y/d = (x − o)/(s·d), and a Scaler's (y − offset)·scale is Sub then Mul."""
    if not steps:
        return None, None
    offset, scale = np.zeros(inputs), np.ones(inputs)
    for node in steps:
        if node.op_type == "Scaler":
            shift = _scaler_values(node, "offset", 0.0, inputs, g.source)
            factor = _scaler_values(node, "scale", 1.0, inputs, g.source)
            _refuse_zero(node, "scale", factor, g.source)
            offset, scale = offset + shift * scale, scale / factor
            continue
        values = _operand(node, g, inputs)
        if node.op_type == "Sub":
            offset = offset + values * scale
        elif node.op_type == "Add":
            offset = offset - values * scale
        else:
            _refuse_zero(node, "divisor" if node.op_type == "Div" else "factor", values, g.source)
            scale = scale * values if node.op_type == "Div" else scale / values
    where = ", ".join(_describe(node) for node in steps)
    if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale))):
        raise _refuse("the input normalisation they compute is not finite", where, g.source)
    if np.any(scale < 0):
        index = int(np.argmax(scale < 0))
        raise _refuse(f"the input normalisation they compute has a negative scale for input {index + 1} "
                      f"({scale[index]:.6g}); nnstudio's scales are above 0. The same network: a positive scale "
                      "here and that input's weights in the first layer negated", where, g.source)
    if np.all(offset == 0) and np.all(scale == 1):
        return None, None
    return ({"kind": IMPORTED_KIND, "offset": offset, "scale": scale},
            f"read {where} as the input normalisation (x − offset)/scale, kept with the network")


def _probe(width: int, dtype: np.dtype) -> np.ndarray:
    """Values every candidate is told apart on: 0, ± small and large, spread over a few rows."""
    base = np.array([0.0, 1e-3, -1e-3, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.5, -3.5, 6.0, -6.0, 0.25, -0.75, 1.5])
    values = np.resize(base, 3 * width).reshape(3, width)
    values[1] = np.roll(values[1], 1) * 0.9
    values[2] = np.roll(values[2], 2) * 1.3
    return values.astype(dtype)


def _evaluate(nodes, z_name: str, out_name: str, initializers, opset, z: np.ndarray, source: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Run the activation's nodes on z with onnx's reference evaluator (numpy; no file, no network)."""
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    produced = {name for node in nodes for name in node.output}
    constants = []
    for node in nodes:
        for name in node.input:
            if name and name != z_name and name not in produced:
                if name not in initializers:
                    raise _refuse(f"reads {name!r}, which is neither the layer's z nor a constant", _describe(node),
                                  source)
                tensor = initializers[name]
                if int(np.prod(_tensor_shape(tensor), dtype=object)) > MAX_CONSTANT_VALUES:
                    raise _refuse(f"reads {name!r}, a tensor of more than {MAX_CONSTANT_VALUES} values; "
                                  "an activation's constants are single numbers", _describe(node), source)
                constants.append(tensor)
        if node.op_type == "Constant":
            kinds = {attribute.name for attribute in node.attribute}
            value = _attribute(node, "value", None)
            scalar = kinds <= {"value_float", "value_int"} and kinds
            small = hasattr(value, "dims") and int(np.prod(_tensor_shape(value), dtype=object)) <= MAX_CONSTANT_VALUES
            if not (scalar or small):
                raise _refuse("an activation's constants are single numbers", _describe(node), source)
    elem = 11 if z.dtype == np.float64 else 1
    graph = helper.make_graph(list(nodes), "activation", [helper.make_tensor_value_info(z_name, elem, list(z.shape))],
                              [helper.make_tensor_value_info(out_name, elem, None)],
                              list({t.name: t for t in constants}.values()))
    model = helper.make_model(graph, opset_imports=list(opset))
    try:
        return np.asarray(ReferenceEvaluator(model).run(None, {z_name: z})[0], dtype=np.float64)
    except Exception as error:  # the reference evaluator raises many kinds on graphs it cannot run
        raise _refuse(f"the activation after it cannot be evaluated ({type(error).__name__}: {error})",
                      _describe(nodes[0]), source) from None


def _fit(name: str, z: np.ndarray, a: np.ndarray) -> dict[str, float]:
    """The parameter a candidate needs to give a at the most negative probe value (slope, α)."""
    low = float(np.min(z))
    at = float(a.flat[int(np.argmin(z))])
    if name == "leaky_relu":
        return {"slope": at / low}
    if name == "elu":
        return {"alpha": at / np.expm1(low)}
    return {}


def _recognise(nodes, z_name: str, out_name: str, width: int, initializers, opset, dtype: np.dtype,
               source: str, where: str) -> tuple[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    if not nodes:
        return "identity", {}
    simple = {"Identity": "identity", "Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}
    if len(nodes) == 1 and nodes[0].op_type in simple:
        return simple[nodes[0].op_type], {}
    z = _probe(width, dtype)
    a = _evaluate(nodes, z_name, out_name, initializers, opset, z, source)
    if a.shape != z.shape:
        raise _refuse(f"the activation after it changes the shape {z.shape} → {a.shape}", where, source)
    # onnx's reference Erf computes in float32 whatever its input: a float64 GELU is judged as float32
    tolerance = 1e-5 if dtype == np.float32 or any(node.op_type == "Erf" for node in nodes) else 1e-11
    z64 = z.astype(np.float64)
    for name in CANDIDATES:
        params = _fit(name, z64, a)
        if any(not np.isfinite(v) or v < 0 for v in params.values()):
            continue
        expected = get_activation(name)(z64, params)
        if np.allclose(a, expected, rtol=tolerance, atol=tolerance):
            if params:  # a fitted slope or α read back to the digits it was written with
                params = {k: float(np.float32(v)) if dtype == np.float32 else v for k, v in params.items()}
            return name, params
    ops = ", ".join(node.op_type for node in nodes)
    raise _refuse(f"the activation after it ({ops}) matches none of nnstudio's: {', '.join(CANDIDATES)} "
                  "(an approximate GELU or a LogSoftmax, for example, is not one of them)", where, source)


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
    initializers = g.initializers
    for layer in layers:  # every claim checked before anything is decoded
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
    sizes = check_declared_shapes(w_shapes, b_shapes, source)
    if chosen.two_class is not None and sizes[-1] != 1:
        raise _refuse(f"joins [1 − p, p] for a p of {sizes[-1]} values; that two-class form is read as one "
                      "sigmoid output p, so p must be one value", _describe(chosen.two_class), source)
    normalisation, normalised = _normalisation(steps, sizes[0], g)
    dtype = _check_initializer(initializers[layers[0].weights], source)
    weights, biases, activations, params = [], [], [], []
    for index, layer in enumerate(layers, start=1):
        w = _array(initializers[layer.weights], source)
        weights.append((w.T if layer.transposed else w) * layer.alpha if layer.alpha != 1.0 else
                       (w.T if layer.transposed else w))
        b = _array(initializers[layer.bias], source).reshape(-1) if layer.bias is not None else None
        biases.append(b * layer.beta if b is not None and layer.beta != 1.0 else b)
        name, p = _recognise(layer.activation_nodes, layer.output, layer.activation_output, sizes[index], initializers,
                             model.opset_import, dtype, source, f"layer {index}")
        activations.append(name)
        params.append(p)
    metadata = None
    props = {p.key: p.value for p in model.metadata_props}
    if KEY in props:
        metadata = parse_metadata(props[KEY], len(layers), sizes[0], sizes[-1], source)
        if metadata.activations and list(metadata.activations) != activations:
            raise _refuse(f"its metadata names activations {list(metadata.activations)} but the graph computes "
                          f"{activations}", f"{KEY} metadata", source)
        params = [dict(p) for p in metadata.params] if metadata.params else params
    elif image is not None or len(chosen.classes) == sizes[-1]:
        metadata = ModelMetadata(input_image=image,
                                 output_labels=chosen.classes if len(chosen.classes) == sizes[-1] else ())
    notes = chosen.notes + ([normalised] if normalised else [])
    project = build_imported(weights, biases, activations, params, metadata, source, normalisation=normalisation)
    return project, tuple(notes)


def load_onnx(path: str | os.PathLike[str]) -> Project:
    """The dense network in the ONNX file at `path` (what was left out: `read_onnx`)."""
    return read_onnx(path)[0]
