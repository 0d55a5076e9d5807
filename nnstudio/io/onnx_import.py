"""Dense networks out of ONNX files: `Gemm`, or `MatMul` + `Add`, with activations between them.

Read in three passes, each refusing with a message that names the node or tensor at fault:

1. The file: at most NETWORK_FILE_BYTES, a protobuf onnx can parse, no external data files, at most
   MAX_NODES nodes.
2. The layers: the nodes in order must be (an optional leading Flatten or Reshape, for image inputs)
   then dense products whose weights and biases are initializers. Every initializer's declared shape
   is checked against its bytes and the whole network against the parameter budget (`limits.py`)
   before one array is made.
3. The activations: the nodes between two products may be any mix of ONNX's elementwise operators
   (ACTIVATION_OPS), so each exporter's way of writing GELU or Swish is understood. The run of nodes is
   evaluated by onnx's own reference evaluator on fixed probe values and matched against nnstudio's
   activations (slope and α fitted, then checked at every probe). Anything else — a convolution, an
   approximate GELU, a LogSoftmax — is refused by name.

Needs the `onnx` package (pip install -e ".[interop]").
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.limits import MAX_PARAMETERS, NETWORK_FILE_BYTES
from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError
from nnstudio.io.imported_project import build_imported, check_declared_shapes
from nnstudio.io.model_metadata import KEY, parse_metadata
from nnstudio.io.reading import read_capped

MAX_NODES = 10_000
MAX_CONSTANT_VALUES = 16  # a constant inside an activation is a scalar (√2, ½, 1, a slope)
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
_FLOAT_TYPES = {1: np.dtype("<f4"), 11: np.dtype("<f8")}  # TensorProto.FLOAT, DOUBLE


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
        raise _refuse(f"data type {TensorProto.DataType.Name(tensor.data_type)}: weights must be FLOAT or DOUBLE",
                      name, source)
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


def _attribute(node, name: str, default):  # type: ignore[no-untyped-def]
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return default


def _describe(node) -> str:  # type: ignore[no-untyped-def]
    return f"node {node.name!r} (operator {node.op_type})" if node.name else f"a node with operator {node.op_type}"


def _layers(model, source: str) -> tuple[list[_Layer], tuple[int, int] | None]:  # type: ignore[no-untyped-def]
    """The dense products in order, the nodes after each, and the image shape a leading Flatten implies."""
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise _refuse(f"has {len(inputs)} inputs; a dense network has one", "graph", source)
    if len(graph.output) != 1:
        raise _refuse(f"has {len(graph.output)} outputs; a dense network has one", "graph", source)
    current = inputs[0].name
    image = None
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim]
    layers: list[_Layer] = []
    pending: list = []
    nodes = list(graph.node)
    index = 0
    while index < len(nodes):
        node = nodes[index]
        index += 1
        if node.op_type in SHAPE_OPS and not layers and not pending and node.input and node.input[0] == current:
            if len(dims) in (3, 4) and all(d for d in dims[1:]):
                rows, columns = dims[-2], dims[-1]
                if len(dims) == 3 or dims[1] == 1:
                    image = (int(rows), int(columns))
            current = node.output[0]
            continue
        if node.op_type in DENSE_OPS:
            reads = node.input[0] if node.input else ""
            if reads != current and not any(reads in earlier.output for earlier in pending):
                raise _refuse("does not take the previous layer's output: only a chain of dense layers is read",
                              _describe(node), source)
            if len(node.input) < 2 or node.input[1] not in initializers:
                raise _refuse("its weights are not an initializer (a constant matrix)", _describe(node), source)
            if layers:
                layers[-1].activation_nodes, layers[-1].activation_output = tuple(pending), reads
            elif pending:
                raise _refuse("comes before the first dense layer; only a Flatten or Reshape may", _describe(pending[0]),
                              source)
            pending = []
            if node.op_type == "Gemm":
                if _attribute(node, "transA", 0):
                    raise _refuse("transA = 1: the input must come as batch × features", _describe(node), source)
                bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
                if bias is not None and bias not in initializers:
                    raise _refuse("its bias is not an initializer", _describe(node), source)
                layer = _Layer(node.input[1], bias, not _attribute(node, "transB", 0),
                               float(_attribute(node, "alpha", 1.0)), float(_attribute(node, "beta", 1.0)),
                               node.output[0])
            else:
                layer = _Layer(node.input[1], None, True, output=node.output[0])
                following = nodes[index] if index < len(nodes) else None
                if following is not None and following.op_type == "Add" and node.output[0] in following.input:
                    other = [name for name in following.input if name != node.output[0]]
                    if len(other) == 1 and other[0] in initializers:
                        layer.bias, layer.output = other[0], following.output[0]
                        index += 1
            layers.append(layer)
            current = layer.output
            continue
        if node.op_type not in ACTIVATION_OPS:
            raise _refuse("is not part of a dense network; read are Gemm, MatMul + Add, a leading Flatten or "
                          "Reshape, and elementwise activations (see docs/interop.md)", _describe(node), source)
        if not layers:
            raise _refuse("comes before the first dense layer; only a Flatten or Reshape may", _describe(node), source)
        pending.append(node)
    if not layers:
        raise _refuse("holds no dense layer (Gemm or MatMul)", "graph", source)
    final = graph.output[0].name
    if final != current and not any(final in earlier.output for earlier in pending):
        raise _refuse(f"the graph's output {final!r} is not computed from the last layer", "graph", source)
    layers[-1].activation_nodes, layers[-1].activation_output = tuple(pending), final
    features = [d for d in dims[1:]]
    if features and all(features):
        declared = int(np.prod(features))
        first = _tensor_shape(initializers[layers[0].weights])
        takes = first[0] if layers[0].transposed else (first[1] if len(first) == 2 else None)
        if takes is not None and declared != takes:
            raise _refuse(f"declares {declared} features per sample but the first layer takes {takes}",
                          f"input {inputs[0].name!r}", source)
    return layers, image


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
            small = value is not None and int(np.prod(_tensor_shape(value), dtype=object)) <= MAX_CONSTANT_VALUES
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


def load_onnx(path: str | os.PathLike[str]) -> Project:
    """The dense network in the ONNX file at `path` (see the module's docstring for what is read)."""
    source = str(path)
    model = _read_model(path)
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    layers, image = _layers(model, source)
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
    elif image is not None:
        from nnstudio.io.model_metadata import ModelMetadata

        metadata = ModelMetadata(input_image=image)
    return build_imported(weights, biases, activations, params, metadata, source)
