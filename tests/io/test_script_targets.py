"""The exported NumPy and PyTorch scripts on targets other than one-hot, and without a target: they print
what `nnstudio step --json` prints (all-zero, soft and heavy targets, sigmoid + cross-entropy), and refuse
what it refuses, with its message and exit status 2."""

import importlib.util
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.project import Project
from nnstudio.io.network_file import save_project

CASES = {  # (output activation, loss, target)
    "all-zero": ("softmax", "cce", [0.0, 0.0, 0.0]),
    "soft": ("softmax", "cce", [0.2, 0.5, 0.3]),
    "heavy": ("softmax", "cce", [0.0, 2.0, 1.0]),
    "sigmoid": ("sigmoid", "cce", [1.0, 0.5, 0.0]),
    "sparse": ("softmax", "sparse_cce", [0.0, 0.0, 1.0]),
}


def _project(output: str, loss: str, target: list[float] | None) -> Project:
    rng = np.random.default_rng(3)
    network = Network(2, (DenseLayer(rng.normal(0, 0.8, (4, 2)), rng.normal(0, 0.2, 4), "tanh"),
                          DenseLayer(rng.normal(0, 0.8, (3, 4)), rng.normal(0, 0.2, 3), output)))
    return Project(network, loss=loss, input=np.array([0.5, -1.0]),
                   target=None if target is None else np.array(target))


def _cli(capsys, *args):
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _script(capsys, path, kind, *args):
    script = path.with_suffix(".py")
    assert _cli(capsys, "export", str(path), "--to", kind, "--out", str(script))[0] == 0
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=120,
                          cwd=path.parent)


def _negative_zero(text: str) -> bool:
    return re.search(r"-0(\.0*)?(?![.\d])", text) is not None


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_numpy_script_prints_what_nnstudio_step_prints(case, tmp_path, capsys):
    path = tmp_path / f"{case}.nnstudio"
    save_project(_project(*CASES[case]), path)
    status, out, err = _cli(capsys, "step", str(path), "--json")
    assert status == 0, err
    expected = json.loads(out)
    run = _script(capsys, path, "numpy", "--json")
    assert run.returncode == 0, run.stderr
    assert not _negative_zero(run.stdout) and not _negative_zero(out)
    got = json.loads(run.stdout)
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-12, abs=1e-15)
    for mine, theirs in zip(got["layers"], expected["layers"], strict=True):
        for key in ("z", "a", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias"):
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-12, atol=1e-15, err_msg=f"{case}: {key}")
    if case == "all-zero":  # L = 0: no gradient, no step
        assert expected["loss"] == 0.0 and not np.any(expected["layers"][1]["delta"])
        assert expected["layers"][1]["new_weights"] == _project(*CASES[case]).network.layers[1].weights.tolist()


@pytest.mark.parametrize("case", ["all-zero", "soft", "heavy", "sigmoid"])
def test_the_pytorch_script_takes_the_step_nnstudio_takes(case, tmp_path, capsys):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0); the script needs it")
    path = tmp_path / f"{case}.nnstudio"
    save_project(_project(*CASES[case]), path)
    expected = json.loads(_cli(capsys, "step", str(path), "--json")[1])
    run = _script(capsys, path, "pytorch", "--step", "--json")
    assert run.returncode == 0, run.stderr
    assert not _negative_zero(run.stdout)
    got = json.loads(run.stdout)
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-12, abs=1e-15)
    for mine, theirs in zip(got["layers"], expected["layers"], strict=True):
        np.testing.assert_allclose(mine["new_weights"], theirs["new_weights"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(mine["new_bias"], theirs["new_bias"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("target, message", [
    (None, "the network was exported without a target; type one in nnstudio and export again"),
    ([0.5, -1.0, 0.5], "target −1 for categorical cross-entropy: a target may not be negative"),
])
def test_a_step_nnstudio_refuses_is_refused_by_the_scripts_too(target, message, tmp_path, capsys):
    path = tmp_path / "refused.nnstudio"
    save_project(_project("softmax", "cce", target), path)
    status, _, err = _cli(capsys, "step", str(path))
    assert status == 2 and ("has no target" in err if target is None else message in err)
    run = _script(capsys, path, "numpy")
    assert run.returncode == 2 and run.stdout == "" and run.stderr.startswith(f"nnstudio: error: {message}")
    if importlib.util.find_spec("torch") is None:  # without torch: the PyTorch script at least holds the refusal
        script = path.with_suffix(".py")
        assert _cli(capsys, "export", str(path), "--to", "pytorch", "--out", str(script))[0] == 0
        assert message in script.read_text(encoding="utf-8")
        return
    run = _script(capsys, path, "pytorch", "--step")
    assert run.returncode == 2 and run.stderr.startswith(f"nnstudio: error: {message}")
