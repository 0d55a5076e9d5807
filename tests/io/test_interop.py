"""Export to ONNX, safetensors, NumPy and PyTorch scripts, and import ONNX and safetensors, checked against the
real runtimes: onnxruntime, the safetensors reference package, a subprocess running the NumPy script, torch."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.project import Project
from nnstudio.core.trace import forward
from nnstudio.io.examples import list_examples, load_file_or_example
from nnstudio.interop.formats import MissingExtraError, export_project, import_model
from nnstudio.interop.safetensors_file import load_safetensors

onnx = pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")
ort = pytest.importorskip("onnxruntime", reason="the interop extra is not installed: pip install -e '.[interop]'")

DATA = Path(__file__).parent.parent / "data"


def cli(capsys, *args):
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_onnx(path, x):
    """The model's output for flat inputs x, fed as the input is declared ((batch, C, H, W) for a network of maps).
    onnxruntime has no float64 Conv or AveragePool kernel, so such a model runs in onnx's reference evaluator."""
    model = onnx.load(str(path))
    x = x.reshape((len(x), *[d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]))
    if x.dtype == np.float64 and any(node.op_type in ("Conv", "AveragePool") for node in model.graph.node):
        from onnx.reference import ReferenceEvaluator

        return ReferenceEvaluator(model).run(None, {"input": x})[0]
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]


def network_with(activation, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    return Network(3, (DenseLayer(rng.normal(size=(4, 3)) * 2, rng.normal(size=4) if bias else None, activation,
                                  {"slope": 0.2} if activation == "leaky_relu" else
                                  {"alpha": 0.7} if activation == "elu" else {}),
                       DenseLayer(rng.normal(size=(2, 4)), rng.normal(size=2) if bias else None, "identity")))


def same_values(a: Network, b: Network, dtype) -> bool:
    """Same layers, shapes and activations, each weight, kernel and bias equal once rounded to `dtype`."""
    return a.sizes == b.sizes and a.input_shape == b.input_shape and all(
        type(x) is type(y) and x.activation == y.activation and dict(x.params) == dict(y.params)
        and all((p is None) == (q is None) and (p is None or (q.dtype == dtype and np.array_equal(p.astype(dtype), q)))
                for p, q in zip(x.parameters(), y.parameters())) for x, y in zip(a.layers, b.layers))


@pytest.mark.parametrize("example", list_examples())
def test_every_example_runs_in_onnxruntime_as_nnstudio_eval_prints_and_imports_back_equal(example, tmp_path, capsys):
    project = load_file_or_example(example)
    for dtype, tolerance in (("float32", 1e-6), ("float64", 1e-12)):
        path = tmp_path / f"{example}-{dtype}.onnx"
        assert cli(capsys, "export", example, "--to", "onnx", "--dtype", dtype, "--out", str(path))[0] == 0
        status, out, _ = cli(capsys, "eval", example, "--json")
        printed = np.array(json.loads(out)["output"])
        got = run_onnx(path, project.input[None, :].astype(dtype))[0]
        np.testing.assert_allclose(got, printed, rtol=tolerance, atol=tolerance)
        batch = np.random.default_rng(1).uniform(-1, 1, (7, project.network.input_size))
        np.testing.assert_allclose(run_onnx(path, batch.astype(dtype)), forward(project.network, batch).output,
                                   rtol=tolerance, atol=tolerance)
        back = tmp_path / f"{example}-{dtype}.nnstudio"
        assert cli(capsys, "import", str(path), "--out", str(back))[0] == 0
        imported = load_file_or_example(str(back))
        assert same_values(project.network, imported.network, np.dtype(dtype))
        assert imported.loss == project.loss and imported.input_labels == project.input_labels
        assert imported.input_image == project.input_image


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_each_activation_and_layers_without_bias_in_onnx(activation, bias, tmp_path):
    network = network_with(activation, bias)
    project = Project(network)
    x = np.array([[0.0, 0.0, 0.0], [0.3, -1.2, 2.0], [-2.5, 0.7, 0.1], [1.0, 1.0, -1.0]])
    expected = forward(network, x).output
    for dtype, tolerance in (("float32", 1e-6), ("float64", 1e-12)):
        path = tmp_path / f"{dtype}.onnx"
        export_project(project, "onnx", path, dtype)
        if not (activation == "gelu" and dtype == "float64"):  # onnxruntime has no float64 Erf (docs/interop.md)
            np.testing.assert_allclose(run_onnx(path, x.astype(dtype)), expected, rtol=tolerance, atol=tolerance)
        assert same_values(network, import_model(path).network, np.dtype(dtype))


def test_an_mlp_exported_by_torch_imports_and_gives_the_outputs_torch_recorded():
    record = json.loads((DATA / "torch_mlp.expected.json").read_text())
    project = import_model(DATA / "torch_mlp.onnx")
    assert project.network.sizes == record["sizes"]
    assert [layer.activation for layer in project.network.layers] == record["activations"]
    assert [layer.has_bias for layer in project.network.layers] == record["biases"]
    assert project.input_image == (4, 4) and project.loss == "cce"  # from the leading Flatten; after softmax
    outputs = forward(project.network, np.array(record["inputs"], dtype=np.float32)).output
    np.testing.assert_allclose(outputs, record["outputs"], rtol=1e-6, atol=1e-6)


def _step_json(capsys, example):
    status, out, _ = cli(capsys, "step", example, "--json")
    assert status == 0
    return json.loads(out)


@pytest.mark.parametrize("example", ["backprop-4-2-3", "cosine-memory"])
def test_the_numpy_script_prints_what_nnstudio_step_prints(example, tmp_path, capsys):
    script = tmp_path / "study.py"
    assert cli(capsys, "export", example, "--to", "numpy", "--out", str(script))[0] == 0
    run = subprocess.run([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    got, expected = json.loads(run.stdout), _step_json(capsys, example)
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-12)
    for mine, theirs in zip(got["layers"], expected["layers"]):
        for key in ("z", "a", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias"):
            if theirs[key] is None:
                assert mine[key] is None
            else:
                np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-12, atol=1e-15)
    text = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60).stdout
    assert "δ =" in text and "W1 =" in text  # the readable form too


def test_the_pytorch_script_builds_the_network_and_takes_the_same_sgd_step(tmp_path, capsys):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch); the script needs it")
    for example in ("backprop-4-2-3", "cosine-memory", "xor", "mnist-mlp"):
        script = tmp_path / f"{example}.py"
        assert cli(capsys, "export", example, "--to", "pytorch", "--out", str(script))[0] == 0
        run = subprocess.run([sys.executable, str(script), "--step", "--json"], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        got, expected = json.loads(run.stdout), _step_json(capsys, example)
        np.testing.assert_allclose(got["output"], expected["output"], rtol=1e-12, atol=1e-15)
        assert got["loss"] == pytest.approx(expected["loss"], rel=1e-12)
        for mine, theirs in zip(got["layers"], expected["layers"]):
            np.testing.assert_allclose(mine["new_weights"], theirs["new_weights"], rtol=1e-12, atol=1e-15)
            assert (mine["new_bias"] is None) == (theirs["new_bias"] is None)
    # a large network's values beside its script: exactly the network's, which the script read for its step
    beside = load_safetensors(tmp_path / "mnist-mlp.safetensors").network
    reference = load_file_or_example("mnist-mlp").network
    assert len(beside.layers) == len(reference.layers)
    for mine, theirs in zip(beside.layers, reference.layers):
        np.testing.assert_array_equal(mine.weights, theirs.weights)
        np.testing.assert_array_equal(mine.bias, theirs.bias)


def test_safetensors_round_trip_through_the_reference_package(tmp_path, capsys):
    from safetensors.numpy import load_file, save_file

    project = load_file_or_example("backprop-4-2-3")
    path = tmp_path / "w.safetensors"
    assert cli(capsys, "export", "backprop-4-2-3", "--to", "safetensors", "--out", str(path))[0] == 0
    arrays = load_file(str(path))
    for index, layer in enumerate(project.network.layers, start=1):
        np.testing.assert_array_equal(arrays[f"W{index}"], layer.weights)
    assert same_values(project.network, import_model(path).network, project.network.dtype)
    # A PyTorch MLP's state_dict, saved by the reference package: the activations come from the user.
    rng = np.random.default_rng(3)
    state = {"0.weight": rng.normal(size=(5, 4)), "0.bias": rng.normal(size=5), "2.weight": rng.normal(size=(3, 5))}
    save_file(state, str(tmp_path / "state.safetensors"))
    status, _, err = cli(capsys, "import", str(tmp_path / "state.safetensors"), "--out", str(tmp_path / "s.nnstudio"))
    assert status == 2 and "--activations relu,softmax" in err
    assert cli(capsys, "import", str(tmp_path / "state.safetensors"), "--activations", "tanh,softmax",
               "--out", str(tmp_path / "s.nnstudio"))[0] == 0
    imported = load_file_or_example(str(tmp_path / "s.nnstudio"))
    np.testing.assert_array_equal(imported.network.layers[1].weights, state["2.weight"])
    assert imported.network.layers[1].bias is None and imported.loss == "cce"


def _write(path, model):
    path.write_bytes(model.SerializeToString())
    return path


def _conv_model():
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "k")  # dilated: a convolution nnstudio does not read
    graph = helper.make_graph([helper.make_node("Conv", ["x", "k"], ["y"], name="conv1", dilations=[2, 2])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 5, 5])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    return helper.make_model(graph)


def _tensor(name, dims, raw):
    """An initializer whose declared dims and bytes may disagree (onnx.helper refuses to make one)."""
    from onnx import TensorProto

    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, raw_data=raw)
    tensor.dims.extend(dims)
    return tensor


def _gemm_model(weights_tensor, features=3):
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Gemm", ["input", "W1"], ["output"], name="layer1", transB=1)], "g",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", features])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)], [weights_tensor])
    return helper.make_model(graph)


def test_hostile_model_files_are_refused_in_one_line_with_status_2(tmp_path, capsys, peak_memory):
    out = str(tmp_path / "x.nnstudio")
    cases = {}
    cases["conv"] = (_write(tmp_path / "conv.onnx", _conv_model()), "node 'conv1' (operator Conv)")
    lying = _tensor("W1", [4, 3], np.zeros(6, np.float32).tobytes())
    cases["lying"] = (_write(tmp_path / "lying.onnx", _gemm_model(lying)), "declares shape (4, 3) (12 values) but holds 6")
    huge = _tensor("W1", [100_000, 100_000], b"\0" * 16)
    cases["huge"] = (_write(tmp_path / "huge.onnx", _gemm_model(huge, 100_000)), "declares 10,000,000,000 values")
    wrong_input = _tensor("W1", [4, 3], np.zeros(12, np.float32).tobytes())
    cases["features"] = (_write(tmp_path / "features.onnx", _gemm_model(wrong_input, 7)),
                         "declares 7 features per sample but the first layer takes 3")
    good = tmp_path / "good.onnx"
    export_project(load_file_or_example("xor"), "onnx", good)
    (tmp_path / "truncated.onnx").write_bytes(good.read_bytes()[:-40])
    cases["truncated"] = (tmp_path / "truncated.onnx", "is not a readable ONNX model")
    terabytes = tmp_path / "tb.safetensors"
    terabytes.write_bytes((2**41).to_bytes(8, "little") + b'{"W1": {}}')
    cases["safetensors"] = (terabytes, "its header claims 2048 GiB")
    claims = tmp_path / "claims.safetensors"
    header = json.dumps({"W1": {"dtype": "F64", "shape": [4096, 4096], "data_offsets": [0, 8 * 4096 * 4096]}}).encode()
    claims.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 64)
    cases["offsets"] = (claims, "lie outside the file's 64 bytes of data")
    (tmp_path / "model.pt").write_bytes(b"\x80\x04K\x01.")
    cases["pickle"] = (tmp_path / "model.pt", "is never opened")
    for name, (path, message) in cases.items():
        (status, _, err), peak = peak_memory(lambda: cli(capsys, "import", str(path), "--out", out))
        assert status == 2, name
        assert message in err and err.count("\n") == 1, (name, err)
        assert peak < 16 * 2**20, (name, peak)  # refused from the claims, nothing that size allocated
        assert not Path(out).exists()


def test_without_the_extra_the_commands_say_what_to_install(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else real(name, *a))
    status, _, err = cli(capsys, "export", "xor", "--to", "onnx", "--out", str(tmp_path / "x.onnx"))
    assert status == 2 and 'pip install -e ".[interop]"' in err
    with pytest.raises(MissingExtraError, match="interop"):
        import_model(DATA / "torch_mlp.onnx")


def test_matmul_add_graphs_and_hand_written_activations_import_and_an_approximate_gelu_is_refused(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(4)
    w1, b1, w2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2))  # MatMul: inputs × neurons

    def model(activation_nodes, extra=()):
        nodes = [helper.make_node("MatMul", ["x", "w1"], ["mm"]), helper.make_node("Add", ["b1", "mm"], ["z"]),
                 *activation_nodes, helper.make_node("MatMul", ["h", "w2"], ["z2"]),
                 helper.make_node("LeakyRelu", ["z2"], ["y"], alpha=0.25)]
        inits = [numpy_helper.from_array(v, n) for v, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), *extra)]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["n", 3])],
                                  [helper.make_tensor_value_info("y", TensorProto.DOUBLE, None)], inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    swish = [helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.array(1.0), "k")),
             helper.make_node("Mul", ["z", "k"], ["zk"]), helper.make_node("Sigmoid", ["zk"], ["s"]),
             helper.make_node("Mul", ["z", "s"], ["h"])]
    project = import_model(_write(tmp_path / "swish.onnx", model(swish)))
    assert [layer.activation for layer in project.network.layers] == ["swish", "leaky_relu"]
    assert project.network.layers[1].params["slope"] == pytest.approx(0.25, rel=1e-7)  # fitted, then checked
    np.testing.assert_array_equal(project.network.layers[0].weights, w1.T)
    np.testing.assert_array_equal(project.network.layers[0].bias, b1)
    assert project.network.layers[1].bias is None
    x = rng.normal(size=(5, 3))
    z = x @ w1 + b1
    h = z / (1 + np.exp(-z))
    expected = np.where(h @ w2 > 0, h @ w2, 0.25 * (h @ w2))
    np.testing.assert_allclose(forward(project.network, x).output, expected, rtol=1e-6)

    c = np.array(0.044715)
    tanh_gelu = [helper.make_node("Mul", ["z", "z"], ["z2_"]), helper.make_node("Mul", ["z2_", "z"], ["z3"]),
                 helper.make_node("Mul", ["z3", "c"], ["cz3"]), helper.make_node("Add", ["z", "cz3"], ["inner"]),
                 helper.make_node("Tanh", ["inner"], ["t"]), helper.make_node("Add", ["t", "one"], ["t1"]),
                 helper.make_node("Mul", ["z", "t1"], ["zt"]), helper.make_node("Mul", ["zt", "half"], ["h"])]
    path = _write(tmp_path / "approx.onnx", model(tanh_gelu, ((c, "c"), (np.array(1.0), "one"), (np.array(0.5), "half"))))
    with pytest.raises(Exception, match=r"layer 1: the activation after it \(Mul, Mul, Mul, Add, Tanh, Add, Mul, Mul\) "
                                        "matches none"):
        import_model(path)
