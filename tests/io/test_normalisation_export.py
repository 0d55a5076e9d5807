"""Issue 28: the input normalisation is part of the model. A 784-input network trained with `--normalise
standard` by the real `nnstudio train` (on the synthetic IDX digits of tests/support/digits.py), exported to
every format, gives `nnstudio eval`'s outputs on raw pixels in onnxruntime, the PyTorch script and the NumPy
script; `eval --input` on raw pixels agrees with `eval --dataset`; safetensors and ONNX import back with the
same offset and scale; bad normalisations are refused in one line. Each file runs twice: as trained (float64)
and in float32, where nnstudio and every export compute the normalisation in float32."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.trace import forward
from nnstudio.data import write_idx
from nnstudio.io import load_project, save_project
from nnstudio.io.errors import NetworkFileError
from nnstudio.interop.formats import import_model
from tests.support.digits import FILES, digit_images, write_digits

onnx = pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")
ort = pytest.importorskip("onnxruntime", reason="the interop extra is not installed: pip install -e '.[interop]'")

TOLERANCE = 1e-6  # float32, as the issue asks
SAMPLES = 4  # raw test images checked one by one through `nnstudio eval --input`


def cli(capsys, *args):
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def raw_pixels(images: np.ndarray) -> np.ndarray:
    """Images as the MNIST reader hands them to a network, computed here by hand: k/255 in float32, flattened."""
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)


@pytest.fixture(scope="module")
def training(tmp_path_factory):
    """(the trained file, its test split's raw pixels, their labels): `nnstudio new` then `nnstudio train
    --normalise standard`, both as a person runs them."""
    folder = tmp_path_factory.mktemp("normalised")
    digits = write_digits(folder / "digits", train=600, test=200, seed=0)
    start, out = folder / "start.nnstudio", folder / "trained.nnstudio"
    for args in (["new", "784-16-10", "--out", start],
                 ["train", start, "--dataset", "mnist", "--data-dir", digits, "--epochs", "2", "--batch-size", "32",
                  "--lr", "0.05", "--normalise", "standard", "--quiet", "--out", out]):
        run = subprocess.run([sys.executable, "-m", "nnstudio", *map(str, args)], capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0, run.stderr
    images, labels = digit_images(200, 1)  # write_digits' test part: seed + 1
    return out, raw_pixels(images), labels


@pytest.fixture(scope="module", params=["float64", "float32"])
def trained(training, request, tmp_path_factory):
    """The trained network as `nnstudio train` saves it (float64: `nnstudio new` makes float64 files) and the
    same file in float32 (its `precision` changed), where nnstudio and every export compute in float32."""
    path, x, labels = training
    if request.param == "float32":
        data = json.loads(path.read_text())
        data["precision"] = "float32"
        path = tmp_path_factory.mktemp("float32") / "trained32.nnstudio"
        path.write_text(json.dumps(data))
    assert str(load_project(path).network.dtype) == request.param
    return path, x, labels


def eval_json(capsys, path, x):
    """`nnstudio eval PATH --input x --json` (x raw, each value written so it reads back exactly)."""
    status, out, err = cli(capsys, "eval", path, "--input", *(repr(float(v)) for v in x), "--json")
    assert status == 0, err
    return json.loads(out)


def eval_outputs(capsys, path, xs):
    return np.array([eval_json(capsys, path, x)["output"] for x in xs])


def test_the_normalisation_is_what_was_fitted_and_eval_input_applies_it(trained, capsys):
    path, x, _ = trained
    project = load_project(path)
    norm = project.normalisation
    assert norm["kind"] == "standard"
    train_x = raw_pixels(digit_images(600, 0)[0]).astype(np.float64)
    np.testing.assert_allclose(norm["offset"], train_x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(norm["scale"], train_x.std(axis=0), rtol=1e-12)
    result = eval_json(capsys, path, x[0])
    dtype = project.network.dtype  # in the network's precision throughout, offset and scale rounded to it
    by_hand = (x[0].astype(dtype) - norm["offset"].astype(dtype)) / norm["scale"].astype(dtype)
    assert result["input"] == x[0].tolist()
    np.testing.assert_array_equal(result["normalised_input"], by_hand)
    unnormalised = forward(project.network, x[:1]).output[0]
    assert np.abs(np.array(result["output"]) - unnormalised).max() > 0.01  # so the checks below can fail
    status, text, _ = cli(capsys, "eval", path, "--input", *(repr(float(v)) for v in x[0]))
    assert status == 0 and "normalised   x′ = (x − offset)/scale = [" in text and "(standard)" in text


def test_eval_input_on_one_raw_image_agrees_with_eval_dataset_on_it(trained, tmp_path, capsys):
    path, _, _ = trained
    images, labels = digit_images(1, 7)
    write_idx(tmp_path / FILES["test"][0], images)
    write_idx(tmp_path / FILES["test"][1], labels)
    train_images, train_labels = digit_images(20, 8)  # the reader wants a training part; eval uses the test part
    write_idx(tmp_path / FILES["train"][0], train_images)
    write_idx(tmp_path / FILES["train"][1], train_labels)
    status, out, err = cli(capsys, "eval", path, "--dataset", "mnist", "--data-dir", tmp_path, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["n"] == 1
    output = np.array(eval_json(capsys, path, raw_pixels(images)[0])["output"])
    label = int(labels[0])
    assert report["loss"] == pytest.approx(-math.log(output[label]), rel=1e-5, abs=1e-6)  # cross-entropy, by hand
    assert report["accuracy"] == float(np.argmax(output) == label)


def onnx_export_of(trained, tmp_path, capsys, dtype: str) -> tuple[dict, Path]:
    """The trained network's normalisation, and its ONNX export in `dtype`."""
    path = trained[0]
    model_path = tmp_path / "digits.onnx"
    assert cli(capsys, "export", path, "--to", "onnx", "--dtype", dtype, "--out", model_path)[0] == 0
    return load_project(path).normalisation, model_path


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_onnx_graph_normalises_first_with_sub_then_div_in_the_models_dtype(trained, tmp_path, capsys, dtype):
    norm, model_path = onnx_export_of(trained, tmp_path, capsys, dtype)
    model = onnx.load(str(model_path))
    first, second, third = model.graph.node[:3]
    assert (first.op_type, list(first.input), list(first.output)) == ("Sub", ["input", "normalise_offset"],
                                                                      ["normalise_centred"])
    assert (second.op_type, list(second.input)) == ("Div", ["normalise_centred", "normalise_scale"])
    assert third.op_type == "Gemm" and third.input[0] == second.output[0]
    values = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    for name, expected in (("normalise_offset", norm["offset"]), ("normalise_scale", norm["scale"])):
        assert values[name].dtype == np.dtype(dtype) and values[name].shape == (784,)
        np.testing.assert_array_equal(values[name], expected.astype(dtype))
    metadata = json.loads({p.key: p.value for p in model.metadata_props}["nnstudio"])
    assert "normalisation" not in metadata  # the graph is its one record


def test_onnxruntime_on_raw_pixels_gives_nnstudio_evals_outputs(trained, tmp_path, capsys):
    path, x, _ = trained
    model_path = tmp_path / "digits.onnx"
    assert cli(capsys, "export", path, "--to", "onnx", "--out", model_path)[0] == 0
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x[:SAMPLES]})[0]
    np.testing.assert_allclose(got, eval_outputs(capsys, path, x[:SAMPLES]), rtol=0, atol=TOLERANCE)
    project = load_project(path)
    assert np.abs(got - forward(project.network, x[:SAMPLES]).output).max() > 0.01  # it did normalise


def test_the_numpy_script_on_raw_pixels_gives_nnstudio_evals_outputs(trained, tmp_path, capsys):
    path, x, labels = trained
    project = load_project(path)
    for index in range(SAMPLES):
        with_input = tmp_path / f"sample{index}.nnstudio"
        target = np.eye(10)[labels[index]]  # the script takes a step, so it needs a target
        save_project(project.replace(input=x[index], target=target, target_known=True), with_input)
        script = tmp_path / f"sample{index}.py"
        status, out, err = cli(capsys, "export", with_input, "--to", "numpy", "--out", script)
        assert status == 0, err
        assert (tmp_path / f"sample{index}.npz").exists()  # 12,730 parameters: the weights beside the script
        run = subprocess.run([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120,
                             cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        got, expected = json.loads(run.stdout), eval_json(capsys, path, x[index])
        assert got["input"] == expected["input"]
        assert got["normalised_input"] == expected["normalised_input"]  # the same float32 Sub and Div, to the bit
        np.testing.assert_allclose(got["output"], expected["output"], rtol=0, atol=TOLERANCE)
        # The script takes a step, as `nnstudio step` does: ∂L/∂W1 = δ1·x′ᵀ holds the normalised input.
        status, out, err = cli(capsys, "step", with_input, "--json")
        assert status == 0, err
        stepped = json.loads(out)
        assert stepped["normalised_input"] == got["normalised_input"]
        np.testing.assert_allclose(got["layers"][0]["grad_weights"], stepped["layers"][0]["grad_weights"],
                                   rtol=1e-5, atol=TOLERANCE)


def test_the_pytorch_script_on_raw_pixels_gives_nnstudio_evals_outputs(trained, tmp_path, capsys):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch); the script needs it")
    path, x, _ = trained
    project = load_project(path)
    with_input = tmp_path / "sample.nnstudio"
    save_project(project.replace(input=x[0]), with_input)
    script = tmp_path / "digits.py"
    assert cli(capsys, "export", with_input, "--to", "pytorch", "--out", script)[0] == 0
    expected = eval_outputs(capsys, path, x[:SAMPLES])
    run = subprocess.run([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    np.testing.assert_allclose(json.loads(run.stdout)["output"], expected[0], rtol=0, atol=TOLERANCE)
    # The model itself takes raw inputs: build() on a batch of raw pixels, as a person would use it.
    np.save(tmp_path / "raw.npy", x[:SAMPLES])
    code = ("import importlib.util, json, sys\nimport numpy as np, torch\n"
            "spec = importlib.util.spec_from_file_location('digits', sys.argv[1])\n"
            "module = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(module)\n"
            "model = module.build()\nprint(json.dumps({'buffers': sorted(dict(model.named_buffers())),\n"
            "    'output': model(torch.from_numpy(np.load(sys.argv[2]))).tolist()}))\n")
    run = subprocess.run([sys.executable, "-c", code, str(script), str(tmp_path / "raw.npy")], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["buffers"] == ["0.offset", "0.scale"]
    np.testing.assert_allclose(result["output"], expected, rtol=0, atol=TOLERANCE)


def test_safetensors_carries_the_normalisation_and_imports_it_back_exactly(trained, tmp_path, capsys):
    from safetensors import safe_open

    path, x, _ = trained
    project = load_project(path)
    weights = tmp_path / "digits.safetensors"
    assert cli(capsys, "export", path, "--to", "safetensors", "--out", weights)[0] == 0
    with safe_open(str(weights), "np") as handle:  # the reference reader sees it in the metadata
        written = json.loads(handle.metadata()["nnstudio"])["normalisation"]
        assert sorted(handle.keys()) == ["W1", "W2", "b1", "b2"]  # and nothing else among the tensors
    assert written["kind"] == "standard"
    np.testing.assert_array_equal(written["offset"], project.normalisation["offset"])
    back = tmp_path / "back.nnstudio"
    assert cli(capsys, "import", weights, "--out", back)[0] == 0
    for imported in (load_project(back), import_model(weights)):  # the CLI's path and File → Import Model's
        assert imported.normalisation["kind"] == "standard"
        np.testing.assert_array_equal(imported.normalisation["offset"], project.normalisation["offset"])
        np.testing.assert_array_equal(imported.normalisation["scale"], project.normalisation["scale"])
    assert eval_json(capsys, back, x[0])["output"] == eval_json(capsys, path, x[0])["output"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_onnx_imports_back_with_the_normalisation(trained, tmp_path, capsys, dtype):
    path, x, _ = trained
    norm, model_path = onnx_export_of(trained, tmp_path, capsys, dtype)
    imported = import_model(model_path)
    assert imported.normalisation is not None
    np.testing.assert_array_equal(imported.normalisation["offset"], norm["offset"].astype(dtype))
    np.testing.assert_array_equal(imported.normalisation["scale"], norm["scale"].astype(dtype))
    back = tmp_path / "back.nnstudio"
    assert cli(capsys, "import", model_path, "--out", back)[0] == 0
    np.testing.assert_allclose(eval_json(capsys, back, x[0])["output"], eval_json(capsys, path, x[0])["output"],
                               rtol=0, atol=TOLERANCE)


# ------------------------------------------------------------------ refusals: one line, naming what is wrong


def _file_with(tmp_path, offset, scale, precision="float32") -> Path:
    """A 3-input network file whose normalisation is written as given (by editing the saved JSON)."""
    from nnstudio.core import build_network
    from nnstudio.core.project import Project

    path = tmp_path / "n.nnstudio"
    save_project(Project(build_network([3, 2], ["identity"], "he", seed=0)), path)
    data = json.loads(path.read_text())
    data["precision"] = precision  # the weights' digits read back rounded to it
    data["normalisation"] = {"kind": "standard", "offset": offset, "scale": scale}
    path.write_text(json.dumps(data))
    return path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("offset, scale, says", [
    ([0.0, 0.0], [1.0, 1.0], "normalisation.offset"),  # one value short: every input after it would shift
    ([0.0, 0.0, 0.0], [1.0, 0.0, 1.0], "normalisation.scale"),  # a division by zero
])
def test_a_normalisation_file_of_the_wrong_length_or_a_zero_scale_is_refused(tmp_path, capsys, offset, scale, says):
    path = _file_with(tmp_path, offset, scale)
    for args in (["eval", path, "--input", "1", "2", "3"], ["export", path, "--to", "onnx", "--out",
                                                            tmp_path / "n.onnx"]):
        status, _, err = cli(capsys, *args)
        assert status == 2 and says in _one_line(err)
    assert not (tmp_path / "n.onnx").exists()


def test_a_scale_float32_cannot_hold_is_refused_by_eval_and_export_and_float64_takes_it(tmp_path, capsys):
    path = _file_with(tmp_path, [0.0, 0.0, 0.0], [1.0, 1e-50, 1.0])  # above 0, but 0 in float32
    assert load_project(path).network.dtype == np.float32
    for args in (["eval", path, "--input", "1", "2", "3"],
                 ["export", path, "--to", "onnx", "--out", tmp_path / "n.onnx"],
                 ["export", path, "--to", "numpy", "--out", tmp_path / "n.py"],
                 ["export", path, "--to", "pytorch", "--out", tmp_path / "n.py"]):
        status, _, err = cli(capsys, *args)
        assert status == 2 and "normalisation.scale[1] = 1e-50 becomes 0 in float32" in _one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.nnstudio"]
    assert cli(capsys, "export", path, "--to", "onnx", "--dtype", "float64", "--out", tmp_path / "n.onnx")[0] == 0
    session = ort.InferenceSession(str(tmp_path / "n.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": np.array([[1.0, 2e-50, 3.0]])})[0]
    network = load_project(path).network
    expected = network.layers[0].weights.astype(np.float64) @ np.array([1.0, 2.0, 3.0]) + network.layers[0].bias
    np.testing.assert_allclose(got[0], expected, rtol=1e-12)


@pytest.mark.parametrize("normalisation, says", [
    ({"kind": "standard", "offset": [0.0, 0.0], "scale": [1.0, 1.0, 1.0]}, "normalisation.offset: expected 3"),
    ({"kind": "standard", "offset": [0.0, 0.0, 0.0], "scale": [1.0, 0, 1.0]}, "normalisation.scale[1]: 0:"),
    ({"kind": "standard", "offset": [0.0, "x", 0.0], "scale": [1.0, 1.0, 1.0]}, "normalisation.offset[1]"),
    ({"kind": "zscore", "offset": [0.0] * 3, "scale": [1.0] * 3}, "kind 'zscore'"),
    ({"offset": [0.0] * 3, "scale": [1.0] * 3}, "expected an object with kind, offset and scale"),
])
def test_safetensors_metadata_with_a_bad_normalisation_is_refused_naming_the_field(tmp_path, capsys, normalisation,
                                                                                  says):
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    path = tmp_path / "bad.safetensors"
    metadata = {"activations": ["relu", "softmax"], "normalisation": normalisation}
    save_file({"W1": rng.normal(size=(4, 3)), "b1": np.zeros(4), "W2": rng.normal(size=(2, 4))}, str(path),
              metadata={"nnstudio": json.dumps(metadata)})
    status, _, err = cli(capsys, "import", path, "--out", tmp_path / "bad.nnstudio")
    line = _one_line(err)
    assert status == 2 and "nnstudio metadata: normalisation" in line and says in line, line
    assert not (tmp_path / "bad.nnstudio").exists()


def _state_dict_file(tmp_path, tensors: dict) -> Path:
    from safetensors.numpy import save_file

    path = tmp_path / "state_dict.safetensors"
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path))
    return path


def test_a_state_dict_with_a_normalise_module_imports_with_its_normalisation(tmp_path):
    """What the exported PyTorch model's state_dict holds (0.offset, 0.scale, then its Linear layers), saved
    with safetensors.numpy here (no torch needed): its buffers come back as the input normalisation, and
    the network computes what the PyTorch model computes, by hand."""
    rng = np.random.default_rng(3)
    offset, scale = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    w1, b1, w2, b2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(2, 4)), rng.normal(size=2)
    path = _state_dict_file(tmp_path, {"0.offset": offset, "0.scale": scale, "1.weight": w1, "1.bias": b1,
                                       "3.weight": w2, "3.bias": b2})
    project = import_model(path, activations=["tanh", "identity"])
    assert project.normalisation["kind"] == "imported"
    np.testing.assert_array_equal(project.normalisation["offset"], offset)
    np.testing.assert_array_equal(project.normalisation["scale"], scale)
    raw = rng.normal(size=3)
    expected = w2 @ np.tanh(w1 @ ((raw - offset) / scale) + b1) + b2
    from nnstudio.data.dataset import Normalisation

    got = forward(project.network, Normalisation.from_project_field(project.normalisation).apply(raw)).output
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tensors, says", [
    ({"0.offset": np.zeros(3), "1.weight": np.ones((2, 3))}, "needs both 0.offset and 0.scale"),
    ({"2.offset": np.zeros(2), "2.scale": np.ones(2), "0.weight": np.ones((2, 3)), "2.weight": np.ones((1, 2))},
     "must come before the first layer"),
    ({"0.offset": np.zeros(3), "0.scale": np.array([1.0, 0.0, 1.0]), "1.weight": np.ones((2, 3))},
     "scale[1] is 0; every scale must be above 0"),
    ({"0.offset": np.zeros(2), "0.scale": np.ones(2), "1.weight": np.ones((2, 3))}, "one value per input (3,)"),
])
def test_a_state_dicts_unusable_normalisation_is_refused_naming_it(tmp_path, tensors, says):
    path = _state_dict_file(tmp_path, tensors)
    with pytest.raises(NetworkFileError, match=re.escape(says)):
        import_model(path, activations=["relu"] * sum(k.endswith(".weight") for k in tensors))


def test_the_pytorch_models_own_state_dict_imports_back_with_the_normalisation(trained, tmp_path, capsys):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch); the script needs it")
    path, x, _ = trained
    project = load_project(path)
    script = tmp_path / "digits.py"
    assert cli(capsys, "export", path, "--to", "pytorch", "--out", script)[0] == 0
    code = ("import importlib.util, sys\nfrom safetensors.torch import save_file\n"
            "spec = importlib.util.spec_from_file_location('digits', sys.argv[1])\n"
            "module = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(module)\n"
            "save_file({k: v.contiguous() for k, v in module.build().state_dict().items()}, sys.argv[2])\n")
    weights = tmp_path / "trained_in_torch.safetensors"
    run = subprocess.run([sys.executable, "-c", code, str(script), str(weights)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    back = tmp_path / "back.nnstudio"
    assert cli(capsys, "import", weights, "--activations", "relu,softmax", "--out", back)[0] == 0
    imported = load_project(back)  # the buffers hold the values in the model's precision
    np.testing.assert_allclose(imported.normalisation["scale"], project.normalisation["scale"], rtol=1e-6)
    np.testing.assert_allclose(imported.normalisation["offset"], project.normalisation["offset"], rtol=1e-6)
    np.testing.assert_allclose(eval_json(capsys, back, x[0])["output"], eval_json(capsys, path, x[0])["output"],
                               rtol=0, atol=TOLERANCE)
