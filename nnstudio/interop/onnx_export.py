"""A network as a standard ONNX model (opset 17), runnable by onnxruntime and anything that reads ONNX.

Each layer is one `Gemm` (Y = X·Wᵀ + b, transB = 1, so W keeps its textbook shape, one row per neuron;
no C input for a layer without bias) followed by its activation. Activations with an ONNX operator
use it (Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softplus, Softmax over the last axis); the rest are
written out of opset-17 operators, exactly as nnstudio defines them:

    gelu   z·½·(1 + erf(z/√2))          Div, Erf, Add, Mul, Mul  (the form torch.onnx writes)
    swish  z·σ(z)                        Sigmoid, Mul
    sign   +1 where z ≥ 0, else −1       GreaterOrEqual, Where   (ONNX Sign gives 0 at 0)
    step   1 where z ≥ 0, else 0         GreaterOrEqual, Cast

In float64, LeakyRelu and Elu would round their slope and α to float32 (ONNX attributes are float32)
and onnxruntime has no float64 Elu or Softplus, so those three are written out too (Where/Greater/Mul,
Exp/Sub, Max/Abs/Neg/Exp/Add/Log). GELU needs Erf, which onnxruntime runs in float32 only: a float64
GELU model is valid ONNX that onnxruntime refuses to run.

A network of maps (Conv2DLayer, Pool2DLayer) declares its input `input` as (batch, C, H, W). A convolution is one
`Conv` (kernel (K, C, k, k) as the layer holds it, `pads` all the layer's padding, `strides`, group 1; no bias
input for a layer without bias) followed by its activation; a pooling layer one `MaxPool` or `AveragePool`
(kernel_shape, strides, no pads, ceil_mode 0: nnstudio rounds down). A `Flatten` (axis 1) comes before the
first dense layer after maps, which reads them in (C, H, W) order, and after the last layer of a network that
ends in maps, whose output is then (batch, K·Ho·Wo): what `nnstudio eval` prints. onnxruntime has no float64
Conv or AveragePool kernel: a float64 export of such a network is valid ONNX (onnx's reference evaluator runs
it) that onnxruntime refuses to run, as it does a float64 GELU.

The input of a dense network is `input` (batch × inputs, images flattened row by row, raw: as the dataset holds them), the
output `output`. A network trained on normalised inputs takes raw inputs all the same: its normalisation
x ↦ (x − offset)/scale is the first two nodes, `Sub(input, normalise_offset)` then
`Div(·, normalise_scale)` (initialisers of shape (inputs,) in the model's dtype, or (C, H, W) for an input of
maps: the same values, one per input value, reshaped as the input is declared, so they broadcast over the batch
with no Reshape node and compute what nnstudio does, value by value), so onnxruntime on raw
pixels gives `nnstudio eval`'s answer; the graph is its only record (it is not repeated in the metadata).
The project's labels, loss and activations also travel as metadata (`nnstudio`), so an import gives back
the same project. Needs the `onnx` package (pip install -e ".[interop]").
"""

from __future__ import annotations

import math
import os

import numpy as np

from nnstudio.atomic import atomic_write
from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer
from nnstudio.data.dataset import Normalisation
from nnstudio.interop.model_metadata import KEY, ModelMetadata

OPSET = 17
PRODUCER = "nnstudio"


def onnx_model(project: Project, dtype: str | None = None):  # type: ignore[no-untyped-def]
    """The `onnx.ModelProto` of the project's network, in `dtype` (float32 or float64; default float32,
    what ONNX runtimes run everywhere)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    kind = np.dtype(dtype or "float32")
    if kind not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"ONNX export writes float32 or float64, not {kind}")
    elem = TensorProto.FLOAT if kind == np.float32 else TensorProto.DOUBLE
    network = project.network
    nodes, initializers = [], []

    def constant(name: str, value: float) -> str:
        initializers.append(numpy_helper.from_array(np.array(value, dtype=kind), name))
        return name

    current = _normalisation(project, kind, nodes, initializers)
    maps = network.input_shape is not None  # whether `current` holds maps (batch × C × H × W)
    for index, layer in enumerate(network.layers, start=1):
        if maps and not is_spatial(layer):  # a dense layer reads the maps flattened in (C, H, W) order
            nodes.append(helper.make_node("Flatten", [current], [f"flat{index}"], name=f"flatten{index}", axis=1))
            current, maps = f"flat{index}", False
        last = index == len(network.layers) and not is_spatial(layer)
        a = "output" if last else f"a{index}"
        if isinstance(layer, Pool2DLayer):
            nodes.append(_pool_node(layer, current, a, index))
            current = a
            continue
        main = layer.kernel if isinstance(layer, Conv2DLayer) else layer.weights
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(main, dtype=kind), f"W{index}"))
        inputs = [current, f"W{index}"]
        if layer.bias is not None:
            initializers.append(numpy_helper.from_array(np.ascontiguousarray(layer.bias, dtype=kind), f"b{index}"))
            inputs.append(f"b{index}")
        z = f"z{index}"
        if isinstance(layer, Conv2DLayer):
            nodes.append(helper.make_node("Conv", inputs, [z], name=f"layer{index}", kernel_shape=[layer.k, layer.k],
                                          pads=[layer.pad] * 4, strides=[layer.stride] * 2))
        else:
            nodes.append(helper.make_node("Gemm", inputs, [z], name=f"layer{index}", transB=1))
        nodes += _activation(layer.activation, dict(layer.params), z, a, f"g{index}", constant, elem)
        current = a
    if maps:  # a network ending in maps gives them flattened, (C, H, W) order: what `nnstudio eval` prints
        nodes.append(helper.make_node("Flatten", [current], ["output"], name="flatten_output", axis=1))

    shape = ["batch", *network.input_shape] if network.input_shape is not None else ["batch", network.input_size]
    graph = helper.make_graph(
        nodes, project.name or "nnstudio network",
        [helper.make_tensor_value_info("input", elem, shape)],
        [helper.make_tensor_value_info("output", elem, ["batch", network.output_size])],
        initializers, doc_string=project.description or None)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=PRODUCER)
    model.ir_version = 8  # opset 17's IR version: readable by every onnxruntime since 1.13
    helper.set_model_props(model, {KEY: ModelMetadata.of(project, normalisation=False).to_text()})
    onnx.checker.check_model(model)
    return model


def _pool_node(layer: Pool2DLayer, reads: str, gives: str, index: int):  # type: ignore[no-untyped-def]
    """MaxPool or AveragePool of size×size windows: no padding and floor rounding (ceil_mode 0), as nnstudio
    pools; count_include_pad is left at its default, which no padding makes irrelevant."""
    from onnx import helper

    op = "MaxPool" if layer.kind == "max" else "AveragePool"
    return helper.make_node(op, [reads], [gives], name=f"layer{index}", kernel_shape=[layer.size] * 2,
                            strides=[layer.stride] * 2, pads=[0] * 4, ceil_mode=0)


def _normalisation(project: Project, kind: np.dtype, nodes: list, initializers: list) -> str:
    """Append the nodes normalising the graph's input, Sub(input, normalise_offset) then Div(·, normalise_scale),
    in `kind` (so they compute what Normalisation.apply_in computes, to the bit); the tensor the first layer
    reads: `normalised`, or `input` itself for a network without normalisation. Sub and Div, not Mul by 1/scale:
    a reciprocal would round once more than `nnstudio eval` does."""
    from onnx import helper, numpy_helper

    if project.normalisation is None:
        return "input"
    offset, scale = Normalisation.from_project_field(project.normalisation).rounded(kind)
    shape = project.network.input_shape
    if shape is not None:  # the input is declared (batch, C, H, W): one value per input, in the input's own shape
        offset, scale = offset.reshape(shape), scale.reshape(shape)
    initializers.append(numpy_helper.from_array(offset, "normalise_offset"))
    initializers.append(numpy_helper.from_array(scale, "normalise_scale"))
    node, note = helper.make_node, f"input normalisation ({project.normalisation['kind']}): x ↦ (x − offset)/scale"
    nodes.append(node("Sub", ["input", "normalise_offset"], ["normalise_centred"], name="normalise_sub",
                      doc_string=note))
    nodes.append(node("Div", ["normalise_centred", "normalise_scale"], ["normalised"], name="normalise_div",
                      doc_string=note))
    return "normalised"


def _activation(name: str, params: dict[str, float], z: str, a: str, prefix: str, constant, elem: int) -> list:  # type: ignore[no-untyped-def]
    """The nodes computing a = g(z)."""
    from onnx import helper

    node = helper.make_node
    from onnx import TensorProto

    simple = {"identity": "Identity", "relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}
    if name in simple:
        return [node(simple[name], [z], [a], name=prefix)]
    if name == "softmax":
        return [node("Softmax", [z], [a], name=prefix, axis=-1)]
    wide = elem == TensorProto.DOUBLE
    if name == "leaky_relu" and not wide:
        return [node("LeakyRelu", [z], [a], name=prefix, alpha=float(params["slope"]))]
    if name == "elu" and not wide:
        return [node("Elu", [z], [a], name=prefix, alpha=float(params["alpha"]))]
    if name == "softplus" and not wide:
        return [node("Softplus", [z], [a], name=prefix)]
    if name in ("leaky_relu", "elu"):  # a = z where z > 0, else slope·z or α(eᶻ − 1), in float64
        zero = constant(f"{prefix}_zero", 0.0)
        if name == "leaky_relu":
            below = [node("Mul", [z, constant(f"{prefix}_slope", params["slope"])], [f"{prefix}_n"], name=f"{prefix}_mul")]
        else:
            below = [node("Min", [z, zero], [f"{prefix}_c"], name=f"{prefix}_min"),
                     node("Exp", [f"{prefix}_c"], [f"{prefix}_e"], name=f"{prefix}_exp"),
                     node("Sub", [f"{prefix}_e", constant(f"{prefix}_one", 1.0)], [f"{prefix}_d"], name=f"{prefix}_sub"),
                     node("Mul", [f"{prefix}_d", constant(f"{prefix}_alpha", params["alpha"])], [f"{prefix}_n"],
                          name=f"{prefix}_mul")]
        return below + [node("Greater", [z, zero], [f"{prefix}_gt"], name=f"{prefix}_gt"),
                        node("Where", [f"{prefix}_gt", z, f"{prefix}_n"], [a], name=prefix)]
    if name == "softplus":  # ln(1 + eᶻ) = max(z, 0) + ln(1 + e^−|z|), in float64
        return [node("Max", [z, constant(f"{prefix}_zero", 0.0)], [f"{prefix}_m"], name=f"{prefix}_max"),
                node("Abs", [z], [f"{prefix}_abs"], name=f"{prefix}_abs"),
                node("Neg", [f"{prefix}_abs"], [f"{prefix}_neg"], name=f"{prefix}_neg"),
                node("Exp", [f"{prefix}_neg"], [f"{prefix}_e"], name=f"{prefix}_exp"),
                node("Add", [f"{prefix}_e", constant(f"{prefix}_one", 1.0)], [f"{prefix}_p"], name=f"{prefix}_add"),
                node("Log", [f"{prefix}_p"], [f"{prefix}_l"], name=f"{prefix}_log"),
                node("Add", [f"{prefix}_m", f"{prefix}_l"], [a], name=prefix)]
    if name == "swish":
        return [node("Sigmoid", [z], [f"{prefix}_s"], name=f"{prefix}_sigmoid"),
                node("Mul", [z, f"{prefix}_s"], [a], name=prefix)]
    if name == "gelu":
        return [node("Div", [z, constant(f"{prefix}_sqrt2", math.sqrt(2.0))], [f"{prefix}_u"], name=f"{prefix}_div"),
                node("Erf", [f"{prefix}_u"], [f"{prefix}_e"], name=f"{prefix}_erf"),
                node("Add", [f"{prefix}_e", constant(f"{prefix}_one", 1.0)], [f"{prefix}_p"], name=f"{prefix}_add"),
                node("Mul", [z, f"{prefix}_p"], [f"{prefix}_m"], name=f"{prefix}_mul"),
                node("Mul", [f"{prefix}_m", constant(f"{prefix}_half", 0.5)], [a], name=prefix)]
    if name in ("sign", "step"):
        test = node("GreaterOrEqual", [z, constant(f"{prefix}_zero", 0.0)], [f"{prefix}_ge"], name=f"{prefix}_ge")
        if name == "step":
            return [test, node("Cast", [f"{prefix}_ge"], [a], name=prefix, to=elem)]
        return [test, node("Where", [f"{prefix}_ge", constant(f"{prefix}_plus", 1.0),
                                     constant(f"{prefix}_minus", -1.0)], [a], name=prefix)]
    raise ValueError(f"no ONNX form for activation {name!r}")


def save_onnx(project: Project, path: str | os.PathLike[str], dtype: str | None = None) -> None:
    atomic_write(path, onnx_model(project, dtype).SerializeToString())
