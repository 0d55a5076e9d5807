"""The headless CLI, run as a person runs it: a subprocess, reading what it prints."""

import json
import math
import re
import subprocess
import sys

import pytest

from nnstudio.io import load_project


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_eval_cosine_memory_prints_the_output_to_four_decimals():
    result = run("eval", "cosine-memory")
    assert result.returncode == 0, result.stderr
    r2 = math.sqrt(2)
    expected = (2 + r2) / 2 * max(0.0, (5 / 6 + 1 / 3) / r2 - 1 / r2)
    assert f"{expected:.4f}" == "0.2012"
    assert "output       ŷ = [0.2011844" in result.stdout


def test_eval_json_with_expression_input():
    result = run("eval", "cosine-memory", "--input", "-1/2", "√2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    r2 = math.sqrt(2)
    hidden = [max(0, -0.5 - 1 / r2), max(0, (-0.5 + r2) / r2 - 1 / r2), max(0, r2 - 1 / r2)]
    assert data["input"] == pytest.approx([-0.5, r2])
    assert data["layers"][0]["a"] == pytest.approx(hidden, abs=1e-12)
    assert data["output"] == pytest.approx([(2 + r2) / 2 * hidden[1]], abs=1e-12)


def test_step_backprop_prints_hand_calculated_values(tmp_path):
    out = tmp_path / "after.nnstudio"
    result = run("step", "backprop-4-2-3", "--lr", "1/2", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # By hand: z2 = (0.56, 0.18, −0.58); δ_k = −(y_k − a_k)·a_k(1 − a_k) with y = (1, 0, 0).
    a2 = [1 / (1 + math.exp(-z)) for z in (0.56, 0.18, -0.58)]
    d2 = [-(y - a) * a * (1 - a) for y, a in zip((1, 0, 0), a2)]
    assert data["layers"][1]["a"] == pytest.approx(a2, abs=1e-12)
    assert data["layers"][1]["delta"] == pytest.approx(d2, abs=1e-12)
    # ∂L/∂W2[k][j] = δ_k·a1_j with a1 = (1.0, 0.1)
    for row, d in zip(data["layers"][1]["grad_weights"], d2):
        assert row == pytest.approx([d * 1.0, d * 0.1], abs=1e-12)
    # W1 row 1 after the update: δ1_1 = Σ_k W2[k][0]·δ_k (ReLU′ = 1), ∂L/∂W1[0][i] = δ1_1·x_i
    d1 = 0.5 * d2[0] + 0.3 * d2[1] - 0.6 * d2[2]
    expected_row = [w - 0.5 * d1 * x for w, x in zip((0.1, 0.2, -0.1, 0.3), (1, 0.5, -1, 2))]
    assert data["layers"][0]["new_weights"][0] == pytest.approx(expected_row, abs=1e-12)
    saved = load_project(out)
    assert saved.network.layers[0].weights[0].tolist() == pytest.approx(expected_row, abs=1e-12)


def test_step_text_output_names_every_quantity():
    result = run("step", "cosine-memory", "--target", "1/2")
    assert result.returncode == 0, result.stderr
    for word in ("z = W·a + b", "a = g(z)", "δ     =", "∂L/∂W =", "∂L/∂b =", "loss (mse)", "W1 =", "b1 ="):
        assert word in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("eval", "no-such-example"), "no built-in example called 'no-such-example'"),
        (("eval", "cosine-memory", "--input", "1"), "--input needs 2 values, got 1"),
        (("eval", "cosine-memory", "--input", "1", "2/"), "--input: expression ends too early"),
        (("eval", "/nonexistent/file.nnstudio"), "no such file"),
        (("step", "cosine-memory", "--lr", "abc"), "--lr: unknown name 'abc'"),
        (("eval",), "the following arguments are required"),
        (("eval", "cosine-memory", "--bogus"), "unrecognized arguments: --bogus"),
        (("frobnicate", "x"), "unknown command 'frobnicate'"),
        (("train", "mnist-mlp"), "the following arguments are required: --out"),  # --dataset: saved with it
    ],
)
def test_user_errors_exit_2_with_one_line(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_malformed_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.nnstudio"
    bad.write_text('{"format": "nnstudio.network", "version": 1, "input": {"size": 2}, "layers": [{"size": 1, '
                   '"activation": "relu", "weights": [[1, 2, 3]]}]}')
    result = run("eval", str(bad))
    assert result.returncode == 2
    assert "layers[0].weights: expected 1×2, got 1×3" in result.stderr


def test_examples_lists_names():
    result = run("examples")
    assert result.stdout.split() == sorted(result.stdout.split())
    assert "cosine-memory" in result.stdout.split()


def _negative_zero(text: str) -> bool:
    """A "-0", "-0.0" printed as a number of its own (not the start of -0.138)."""
    return re.search(r"-0(\.0*)?(?![.\d])", text) is not None


def _new_classifier(tmp_path):
    path = tmp_path / "sm.nnstudio"
    made = run("new", "2-3", "--output", "softmax", "--seed", "0", "--out", str(path))
    assert made.returncode == 0, made.stderr
    return str(path)


def test_a_new_network_has_no_target_so_step_refuses_and_eval_shows_a_dash(tmp_path):
    path = _new_classifier(tmp_path)
    step = run("step", path, "--input", "1", "2")
    assert step.returncode == 2 and step.stdout == ""
    assert step.stderr.strip() == (f"nnstudio: error: {path} has no target: type a target to compute the loss and δ "
                                   "(--target with 3 values)")
    text = run("eval", path, "--input", "1", "2")
    assert text.returncode == 0, text.stderr
    assert "loss (cce) L = —" in text.stdout and "target       y = —" in text.stdout
    data = json.loads(run("eval", path, "--json").stdout)
    assert data["target"] is None and data["loss"] is None


def test_an_all_zero_target_with_cross_entropy_gives_a_loss_of_0_and_takes_no_step(tmp_path):
    path = _new_classifier(tmp_path)
    text = run("step", path, "--input", "1", "2", "--target", "0", "0", "0")
    assert text.returncode == 0, text.stderr
    assert "loss (cce) L = 0\n" in text.stdout and not _negative_zero(text.stdout)
    assert "δ     = [0, 0, 0]" in text.stdout
    raw = run("step", path, "--input", "1", "2", "--target", "0", "0", "0", "--json").stdout
    assert not _negative_zero(raw) and _negative_zero("[-0.0, 1]") and not _negative_zero("-0.05")
    data = json.loads(raw)
    assert data["loss"] == 0.0 and data["layers"][0]["delta"] == [0.0, 0.0, 0.0]
    assert data["layers"][0]["new_weights"] == load_project(path).network.layers[0].weights.tolist()


def test_a_soft_or_heavy_target_steps_on_the_true_derivative(tmp_path):
    path = _new_classifier(tmp_path)
    for target in ([0.2, 0.5, 0.3], [0.0, 2.0, 1.0]):
        data = json.loads(run("step", path, "--input", "1", "2", "--target", *map(str, target), "--json").stdout)
        y_hat = data["output"]
        # −Σ y ln softmax(z) differentiated by hand: ∂L/∂z_i = ŷ_i·Σy − y_i
        assert data["layers"][0]["delta"] == pytest.approx([a * sum(target) - y for a, y in zip(y_hat, target)],
                                                           rel=1e-12, abs=1e-15)
        assert data["loss"] == pytest.approx(-sum(y * math.log(a) for a, y in zip(y_hat, target)), rel=1e-12)


def test_eval_prints_the_forward_pass_of_a_target_the_loss_refuses_and_step_refuses_it(tmp_path):
    path = tmp_path / "refused.nnstudio"
    saved = json.loads(open(_new_classifier(tmp_path), encoding="utf-8").read())
    saved["current"]["target"] = [0, -1, 0]
    path.write_text(json.dumps(saved), encoding="utf-8")
    why = "target −1 for categorical cross-entropy: a target may not be negative"
    text = run("eval", str(path))
    assert text.returncode == 0, text.stderr
    assert "output       ŷ = [" in text.stdout and f"loss (cce) L = —  ({why}" in text.stdout
    data = json.loads(run("eval", str(path), "--json").stdout)
    assert data["loss"] is None and data["loss_refused"].startswith(why) and len(data["output"]) == 3
    step = run("step", str(path))
    assert step.returncode == 2 and step.stderr.startswith(f"nnstudio: error: {why}")


def test_eval_scores_against_a_target_given_on_the_command_line(tmp_path):
    """A network with no target has no loss; --target gives it one, in eval as in step (by hand:
    cosine-memory's ŷ = 0.2011844635 against y = 1 is ½(1 − ŷ)²)."""
    assert run("new", "2-3-1", "--out", str(tmp_path / "new.nnstudio")).returncode == 0
    result = run("eval", str(tmp_path / "new.nnstudio"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["loss"] is None
    result = run("eval", "cosine-memory", "--target", "1", "--json")
    assert result.returncode == 0, result.stderr
    y_hat = (7 / 6 - 1) / 2**0.5 * (2 + 2**0.5) / 2
    assert json.loads(result.stdout)["loss"] == pytest.approx(0.5 * (1 - y_hat) ** 2, rel=1e-12)
