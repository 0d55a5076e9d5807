"""Issue 33, point 4: convolutional networks to and from ONNX.

Export: every network of maps (stride 2, padding and "same" padding, several channels, max and average pooling,
ending in a convolution, a pooling or a dense softmax, with and without biases, with an input normalisation)
runs in onnxruntime on raw (batch, C, H, W) inputs and gives what nnstudio's own forward pass gives (what
`nnstudio eval` prints) to 1e-6 in float32; float64 exports, which onnxruntime cannot run (it has no float64
Conv or AveragePool), give it to 1e-12 in onnx's reference evaluator. Import: a CNN written by
`torch.onnx.export` gives torch's outputs, and export → import keeps a network bit for bit. Refusals name the
node and the attribute."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.network import Conv2DLayer, Pool2DLayer
from nnstudio.core.project import Project
from nnstudio.core.trace import forward
from nnstudio.interop.onnx_export import onnx_model, save_onnx
from nnstudio.interop.onnx_import import read_onnx
from nnstudio.io.errors import NetworkFileError

onnx = pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")
ort = pytest.importorskip("onnxruntime", reason="the interop extra is not installed: pip install -e '.[interop]'")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

TOLERANCE = 1e-6  # float32, as the issue asks
SAMPLES = 5

# (notation, hidden activation, output activation, layers without bias)
CASES = {
    "stride 2, padding 1, max pool, softmax": ("1x9x9-c3k3s2p1-m2-4", "relu", "softmax", ()),
    "same padding, avg pool, ends in pool": ("3x8x8-c4k3psame-a2-c2k3p1-m2", "tanh", "identity", ()),
    "ends in a convolution": ("2x7x7-c3k3p1-m2-c2k2", "leaky_relu", "sigmoid", ()),
    "no biases, several channels": ("3x10x10-c5k3-a2s1-c4k2s2-6-3", "elu", "softmax", (1, 3, 5)),
    "swish, padding 2, no conv bias": ("2x6x6-c3k5p2-m3-5", "swish", "softmax", (1,)),
    "conv straight into dense": ("1x5x5-c2k3-3", "sigmoid", "identity", ()),
}


def network(case: str, dtype: str = "float32"):
    notation, hidden, output, no_bias = CASES[case]
    return build_from_architecture(parse_architecture(notation), hidden=hidden, output=output, seed=3,
                                   no_bias=frozenset(no_bias), dtype=dtype)


def normalised(net) -> Project:
    """The project with a standard normalisation of one offset and scale per input value."""
    rng = np.random.default_rng(7)
    return Project(net, normalisation={"kind": "standard", "offset": rng.normal(size=net.input_size),
                                       "scale": rng.uniform(0.5, 2.0, size=net.input_size)})


def raw_inputs(net, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(1).normal(size=(SAMPLES, net.input_size)).astype(dtype)


def expected(project: Project, x: np.ndarray) -> np.ndarray:
    """What `nnstudio eval` prints for raw x: the normalisation applied, then the forward pass."""
    return forward(project.network, project.network_input(x)).output


def run_ort(model, x: np.ndarray, shape) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.reshape((len(x), *shape))})[0]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("with_normalisation", [False, True])
def test_export_runs_in_onnxruntime_as_nnstudio_computes(case, with_normalisation):
    net = network(case)
    project = normalised(net) if with_normalisation else Project(net)
    model = onnx_model(project)
    dims = [d.dim_value or d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", *net.input_shape]
    x = raw_inputs(net)
    given = run_ort(model, x, net.input_shape)
    assert given.shape == (SAMPLES, net.output_size)
    np.testing.assert_allclose(given, expected(project, x), rtol=0, atol=TOLERANCE)


def test_export_layers_are_the_onnx_operators_nnstudio_computes():
    model = onnx_model(Project(network("stride 2, padding 1, max pool, softmax")))
    ops = [(node.op_type, {a.name: helper.get_attribute_value(a) for a in node.attribute}) for node in model.graph.node]
    assert ops[0] == ("Conv", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [2, 2]})
    assert ops[1][0] == "Relu"
    assert ops[2] == ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [0, 0, 0, 0], "ceil_mode": 0})
    assert [op for op, _ in ops[3:]] == ["Flatten", "Gemm", "Softmax"]
    ending = onnx_model(Project(network("ends in a convolution")))
    assert ending.graph.node[-1].op_type == "Flatten" and ending.graph.node[-1].output[0] == "output"
    assert [d.dim_value for d in ending.graph.output[0].type.tensor_type.shape.dim][1:] == [2 * 2 * 2]


@pytest.mark.parametrize("case", ["same padding, avg pool, ends in pool", "no biases, several channels"])
def test_float64_export_gives_nnstudio_outputs_in_the_reference_evaluator(case):
    from onnx.reference import ReferenceEvaluator

    project = normalised(network(case, "float64"))
    model = onnx_model(project, "float64")
    x = raw_inputs(project.network, np.float64)
    given = ReferenceEvaluator(model).run(None, {"input": x.reshape((SAMPLES, *project.network.input_shape))})[0]
    assert given.dtype == np.float64
    np.testing.assert_allclose(given, expected(project, x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_export_then_import_keeps_the_network_bit_for_bit(tmp_path, case, dtype):
    project = normalised(network(case, dtype))
    path = tmp_path / "net.onnx"
    save_onnx(project, path, dtype)
    back, notes = read_onnx(path)
    assert back.network.same_as(project.network)
    assert back.loss == project.loss
    offset = np.asarray(project.normalisation["offset"], dtype=dtype).astype(np.float64)
    np.testing.assert_array_equal(back.normalisation["offset"], offset)
    assert any("normalisation" in note for note in notes)


# --- a CNN written by torch.onnx.export ---------------------------------------------------------------------------

def torch_cnn():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 3, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(3 * 2 * 2, 6), nn.Tanh(), nn.Linear(6, 3)).eval()
    return torch, model


def test_a_torch_cnn_imports_and_gives_torchs_outputs(tmp_path):
    torch, model = torch_cnn()
    x = torch.randn(SAMPLES, 2, 16, 16)
    path = tmp_path / "cnn.onnx"
    torch.onnx.export(model, x[:1], str(path), dynamo=False, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    with torch.no_grad():
        wanted = model(x).numpy()
    project, _ = read_onnx(path)
    net = project.network
    assert net.input_shape == (2, 16, 16)
    assert [type(layer).__name__ for layer in net.layers] == [
        "Conv2DLayer", "Pool2DLayer", "Conv2DLayer", "Pool2DLayer", "DenseLayer", "DenseLayer"]
    first = net.layers[0]
    assert isinstance(first, Conv2DLayer) and (first.stride, first.pad, first.activation) == (2, 1, "relu")
    assert isinstance(net.layers[3], Pool2DLayer) and net.layers[3].kind == "avg"
    given = forward(net, x.numpy().reshape(SAMPLES, -1)).output
    np.testing.assert_allclose(given, wanted, rtol=0, atol=1e-5)
    again = tmp_path / "again.onnx"
    save_onnx(project, again)
    assert read_onnx(again)[0].network.same_as(net)


# --- refusals -----------------------------------------------------------------------------------------------------

def one_node_model(path, op: str, shape=(1, 2, 6, 6), kernel=None, **attributes):
    """A model of one Conv or pooling node named "suspect" (then a Flatten), its attributes as given."""
    inputs, initializers = ["x"], []
    if kernel is not None:
        initializers.append(numpy_helper.from_array(np.ones(kernel, np.float32), "k"))
        inputs.append("k")
    nodes = [helper.make_node(op, inputs, ["maps"], name="suspect", **attributes),
             helper.make_node("Flatten", ["maps"], ["y"], name="flat", axis=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


REFUSALS = {
    "grouped conv": (dict(op="Conv", kernel=(4, 1, 3, 3), kernel_shape=[3, 3], group=2), "attribute group"),
    "dilations 2": (dict(op="Conv", kernel=(3, 2, 3, 3), dilations=[2, 2]), "attribute dilations"),
    "asymmetric pads": (dict(op="Conv", kernel=(3, 2, 3, 3), pads=[0, 1, 0, 1]), "attribute pads"),
    "non-square kernel": (dict(op="Conv", kernel=(3, 2, 3, 2), kernel_shape=[3, 2]), "attribute kernel_shape"),
    "same padding split unevenly": (dict(op="Conv", kernel=(3, 2, 2, 2), auto_pad="SAME_UPPER"), "attribute auto_pad"),
    "ceil_mode 1": (dict(op="MaxPool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1), "attribute ceil_mode"),
    "pool with pads": (dict(op="AveragePool", kernel_shape=[2, 2], pads=[1, 1, 1, 1]), "attribute pads"),
    "non-square pool": (dict(op="MaxPool", kernel_shape=[2, 3]), "attribute kernel_shape"),
    "storage order": (dict(op="MaxPool", kernel_shape=[2, 2], storage_order=1), "attribute storage_order"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_what_nnstudio_does_not_compute_is_refused_by_node_and_attribute(tmp_path, case):
    attributes, named = REFUSALS[case]
    path = one_node_model(tmp_path / "m.onnx", **attributes)
    with pytest.raises(NetworkFileError) as caught:
        read_onnx(path)
    message = str(caught.value)
    assert "node 'suspect'" in message and named in message, message


def test_same_padding_that_is_symmetric_is_read_as_that_padding(tmp_path):
    path = one_node_model(tmp_path / "m.onnx", "Conv", kernel=(3, 2, 3, 3), auto_pad="SAME_UPPER")
    layer = read_onnx(path)[0].network.layers[0]
    assert isinstance(layer, Conv2DLayer) and (layer.pad, layer.out_shape) == (1, (3, 6, 6))


def test_a_huge_declared_input_is_refused_before_anything_is_allocated(tmp_path):
    path = one_node_model(tmp_path / "m.onnx", "MaxPool", shape=(1, 4096, 4096, 4096), kernel_shape=[2, 2])
    with pytest.raises(NetworkFileError, match="input 'x'.*2,097,152|input 'x'.*from 1 to"):
        read_onnx(path)


def test_an_activation_after_pooling_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.MaxPool2d(2), torch.nn.ReLU()).eval()
    path = tmp_path / "pool_relu.onnx"
    torch.onnx.export(model, torch.randn(1, 1, 8, 8), str(path), dynamo=False)
    with pytest.raises(NetworkFileError, match="relu after a pooling layer"):
        read_onnx(path)
