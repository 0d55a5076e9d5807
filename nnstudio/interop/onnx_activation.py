"""Which of nnstudio's activations the nodes after a layer compute: pass 4 of the importer (onnx_import.py).

Each exporter writes GELU or Swish its own way (Erf and Mul, Sigmoid and Mul, a Where on a comparison),
so the nodes are not matched by name: the run of nodes is evaluated by onnx's own reference evaluator
on fixed probe values and compared with each candidate, the simplest first, a slope or α fitted at the
most negative probe and then checked at every probe. Anything that matches none (an approximate GELU, a
LogSoftmax) is refused by name.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.interop.onnx_reading import MAX_CONSTANT_VALUES, _attribute, _describe, _refuse, _tensor_shape

# The order candidates are tried in: the simplest that fits wins (relu before leaky_relu with slope 0).
CANDIDATES = ("identity", "relu", "sigmoid", "tanh", "softplus", "swish", "gelu", "sign", "step", "softmax",
              "leaky_relu", "elu")


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
