"""The PyTorch and NumPy scripts of a convolutional network compute what nnstudio's core computes: the output, the
loss, and (for one optimiser step on the project's input and target) every δ, gradient and updated parameter,
to 1e-12 in float64. Each script is run as a person runs it, in a subprocess, with `--json`."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.optim import OptimizerConfig, apply_update
from nnstudio.core.project import Project
from nnstudio.core.trace import backward, forward
from nnstudio.data.dataset import Normalisation
from nnstudio.interop.numpy_script import save_numpy_script
from nnstudio.interop.pytorch_script import save_pytorch_script

TOLERANCE = dict(rtol=1e-12, atol=1e-14)

# (architecture, hidden, output activation, loss, optimiser): stride 2 with padding, several channels, max
# pooling with an overlapping stride and average pooling that rounds down, dense layers after; one network
# ends in a pooling (its output is the maps, flattened), one has no biases on its convolutions.
CASES = {
    "conv-max-avg-dense": ("2x9x9-c3k3s2p1-m2s1-c4k2p1-a2-5-3", "tanh", "softmax", "cce",
                           OptimizerConfig("sgd", 0.1, l2=0.01)),
    "ends-in-pooling": ("3x7x7-c2k3s2p2-m2s1", "relu", "identity", "mse", OptimizerConfig("momentum", 0.05)),
    "adam-no-bias": ("1x8x8-c3k3p1-a2-c2k2s2-4-2", "elu", "sigmoid", "bce", OptimizerConfig("adam", 0.01)),
}


def conv_project(case: str) -> Project:
    text, hidden, output, loss, optimizer = CASES[case]
    no_bias = {1, 3} if case == "adam-no-bias" else set()
    network = build_from_architecture(parse_architecture(text), hidden=hidden, output=output, init="he", seed=3,
                                      no_bias=no_bias)
    rng = np.random.default_rng(7)
    x = rng.integers(-2, 3, network.input_size).astype(float)  # whole numbers: pooling windows meet ties
    target = np.eye(network.output_size)[1] if loss != "mse" else rng.normal(size=network.output_size)
    return Project(network, loss=loss, optimizer=optimizer, input=x, target=target)


def core_step(project: Project) -> dict:
    """What the core computes for the project's input and target: the trace, the gradients, the new network."""
    network = project.network
    trace = forward(network, project.input)
    gradients = backward(network, trace, project.target, project.loss)
    updated, _ = apply_update(network, gradients, project.optimizer)
    return {"trace": trace, "gradients": gradients, "updated": updated}


def run(script, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(script), *args, "--json"], capture_output=True, text=True,
                          timeout=120, cwd=script.parent)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def close(got, expected) -> None:
    if expected is None:
        assert got is None
    else:
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), **TOLERANCE)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_numpy_script_takes_the_cores_step_on_a_convolutional_network(case, tmp_path):
    project = conv_project(case)
    assert project.network.is_spatial
    script = tmp_path / "study.py"
    assert save_numpy_script(project, script) == [script]
    got, expected = run(script), core_step(project)
    assert got["loss"] == pytest.approx(expected["gradients"].loss, rel=1e-12)
    close(got["output"], expected["trace"].output)
    assert len(got["layers"]) == len(project.network.layers)
    for mine, step, grads, new in zip(got["layers"], expected["trace"].layers, expected["gradients"].layers,
                                      expected["updated"].layers):
        close(mine["z"], step.z)
        close(mine["a"], step.a)
        close(mine["delta"], grads.delta)
        close(mine["grad_weights"], grads.grad_weights)
        close(mine["grad_bias"], grads.grad_bias)
        main, bias = new.parameters()
        close(mine["new_weights"], main)
        close(mine["new_bias"], bias)
    readable = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert readable.returncode == 0, readable.stderr
    assert "δ =" in readable.stdout and "W1 =" in readable.stdout
    assert "def correlate(x, kernel, bias, stride, pad):" in script.read_text(encoding="utf-8")


def test_a_large_convolutional_networks_numpy_script_reads_its_values_from_the_npz_beside_it(tmp_path):
    network = build_from_architecture(parse_architecture("1x12x12-c8k3-m2-c64k3-a2-10"), hidden="relu",
                                      output="identity", seed=1)
    assert network.parameter_count > 5_000  # over INLINE_PARAMETERS: the values go beside the script
    x = np.random.default_rng(2).normal(size=network.input_size)
    project = Project(network, loss="mse", input=x, target=np.linspace(-1.0, 1.0, 10))
    script = tmp_path / "big.py"
    written = save_numpy_script(project, script)
    assert written == [script, tmp_path / "big.npz"]
    with np.load(written[1], allow_pickle=False) as values:
        assert sorted(values.files) == ["W1", "W3", "W5", "b1", "b3", "b5"]  # layer numbers: pooling has none
        np.testing.assert_array_equal(values["W3"], network.layers[2].kernel)
    got, expected = run(script), core_step(project)
    assert got["loss"] == pytest.approx(expected["gradients"].loss, rel=1e-12)
    for mine, new in zip(got["layers"], expected["updated"].layers):
        close(mine["new_weights"], new.parameters()[0])


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_pytorch_script_takes_the_cores_step_on_a_convolutional_network(case, tmp_path):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch); the script needs it")
    project = conv_project(case)
    script = tmp_path / "net.py"
    save_pytorch_script(project, script)
    text = script.read_text(encoding="utf-8")
    assert "nn.Conv2d(" in text and "nn.Flatten()" in text and "nn.Unflatten(1, " in text
    got, expected = run(script, "--step"), core_step(project)
    close(got["output"], expected["trace"].output)
    assert got["loss"] == pytest.approx(expected["gradients"].loss, rel=1e-12)
    assert len(got["layers"]) == len(project.network.layers)
    for mine, new in zip(got["layers"], expected["updated"].layers):
        main, bias = new.parameters()
        close(mine["new_weights"], main)
        close(mine["new_bias"], bias)


def test_a_large_convolutional_networks_pytorch_script_reads_its_kernels_from_the_safetensors_beside_it(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch); the script needs it")
    network = build_from_architecture(parse_architecture("2x10x10-c16k3p1-m2-c32k3s2-6"), hidden="swish",
                                      output="softmax", seed=4)
    assert network.parameter_count > 5_000
    x = np.random.default_rng(5).normal(size=network.input_size)
    project = Project(network, loss="cce", optimizer=OptimizerConfig("sgd", 0.2), input=x,
                      target=np.eye(6)[2])
    script = tmp_path / "big.py"
    assert save_pytorch_script(project, script) == [script, tmp_path / "big.safetensors"]
    got, expected = run(script, "--step"), core_step(project)
    close(got["output"], expected["trace"].output)
    for mine, new in zip(got["layers"], expected["updated"].layers):
        close(mine["new_weights"], new.parameters()[0])
        close(mine["new_bias"], new.parameters()[1])


def test_both_scripts_of_a_normalised_convolutional_network_take_raw_inputs(tmp_path):
    """A stored input normalisation comes first (PyTorch's `Normalise` module before `nn.Unflatten`; NumPy's
    x = (x_raw − offset)/scale), so both scripts give the core's numbers for the normalised input."""
    project = conv_project("conv-max-avg-dense")
    n = project.network.input_size
    field = {"kind": "standard", "offset": np.linspace(-1.0, 1.0, n), "scale": np.linspace(0.5, 2.0, n)}
    project = project.replace(normalisation=field)
    normalised = Normalisation.from_project_field(field).apply_in(project.input, project.network.dtype)
    expected = core_step(project.replace(input=normalised, normalisation=None))
    save_numpy_script(project, tmp_path / "study.py")
    got = run(tmp_path / "study.py")
    close(got["normalised_input"], normalised)
    close(got["output"], expected["trace"].output)
    close(got["layers"][0]["new_weights"], expected["updated"].layers[0].kernel)
    if importlib.util.find_spec("torch") is not None:
        save_pytorch_script(project, tmp_path / "net.py")
        got = run(tmp_path / "net.py", "--step")
        close(got["output"], expected["trace"].output)
        close(got["layers"][0]["new_weights"], expected["updated"].layers[0].kernel)
        assert got["layers"][1] == {"new_weights": None, "new_bias": None}  # the max pooling


def test_the_pytorch_scripts_model_and_train_take_flat_inputs_in_chw_order(tmp_path):
    """`train(model, inputs, targets)` and the model take rows of C·H·W values, as `nnstudio eval --input` does."""
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch); the script needs it")
    project = conv_project("conv-max-avg-dense")
    script = tmp_path / "net.py"
    save_pytorch_script(project, script)
    spec = importlib.util.spec_from_file_location("exported_net", script)  # imported as a user would
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build()
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(6, project.network.input_size))
    with torch.no_grad():
        outputs = model(torch.tensor(inputs)).numpy()
    np.testing.assert_allclose(outputs, forward(project.network, inputs).output, **TOLERANCE)
    losses = module.train(model, torch.tensor(inputs), torch.tensor(np.eye(3)[[0, 1, 2, 0, 1, 2]]),
                                epochs=2, batch_size=3)
    assert len(losses) == 2 and all(np.isfinite(losses))
