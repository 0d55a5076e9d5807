"""The command line on convolutional networks (issue 33): `new` from the notation, `eval` and `step` on maps,
`train` through the core, and `export`/`import` of a conv file, run as a person runs them (a subprocess)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from nnstudio import cli, cli_maps, cli_values
from nnstudio.core import build_network
from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.network import Conv2DLayer, DenseLayer, Pool2DLayer
from nnstudio.io import load_project
from tests.cli.test_train_cli import run, synthetic_idx

LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


def _one_line_refusal(result, message):
    assert result.returncode == 2, result.stdout
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- step and eval on conv-4x4


def test_step_json_on_conv_4x4_gives_the_numbers_worked_by_hand(tmp_path):
    # docs/conv-worked-example.md, number by number: 1×4×4 → conv 2×2 (ReLU) → max pool 2 → dense 1, MSE,
    # target y = 2.
    out = tmp_path / "after.nnstudio"
    result = run("step", "conv-4x4", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["input_shape"] == [1, 4, 4]
    assert data["input"] == [[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]]]
    conv, pool, dense = data["layers"]
    assert conv["type"] == "conv2d" and conv["activation"] == "relu"
    assert (conv["in_shape"], conv["out_shape"], conv["kernel_shape"]) == ([1, 4, 4], [1, 3, 3], [1, 1, 2, 2])
    assert (conv["stride"], conv["padding"]) == (1, 0)
    assert conv["z"] == [[[3.5, 7.5, -0.5], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]]
    assert conv["a"] == [[[3.5, 7.5, 0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]]
    # Max pool 2×2, stride 2: one window over rows 0–1, columns 0–1; its maximum 7.5 at (0, 1), flat index 1.
    assert pool["type"] == "maxpool2d" and (pool["in_shape"], pool["out_shape"]) == ([1, 3, 3], [1, 1, 1])
    assert (pool["size"], pool["stride"]) == (2, 2)
    assert pool["z"] == pool["a"] == [[[7.5]]] and pool["argmax"] == [[[1]]]
    assert dense["type"] == "dense" and dense["z"] == [4.0] and data["output"] == [4.0]  # ŷ = 0.5·7.5 + 0.25
    assert data["target"] == [2.0] and data["loss"] == 2.0  # ½(2 − 4)²
    # Backward: δ_out = ŷ − y = 2, ∂L/∂w = 2·7.5, the pool sends w·δ = 1 to (0, 1), ReLU′ = 1 there.
    assert dense["delta"] == [2.0] and dense["grad_weights"] == [[15.0]] and dense["grad_bias"] == [2.0]
    assert pool["delta"] == [[[1.0]]]
    assert pool["grad_weights"] is pool["grad_bias"] is pool["new_weights"] is pool["new_bias"] is None
    assert conv["delta"] == [[[0, 1, 0], [0, 0, 0], [0, 0, 0]]]
    assert conv["grad_weights"] == [[[[2, 0], [1, 3]]]]  # ∂L/∂k[u, v] = x[u, 1 + v]
    assert conv["grad_bias"] == [1.0]
    # One SGD step, η = 0.1.
    assert np.allclose(conv["new_weights"], [[[[0.8, 0], [-1.1, 1.7]]]], rtol=0, atol=1e-15)
    assert conv["new_bias"] == pytest.approx([0.4], abs=1e-15)
    assert dense["new_weights"] == [[-1.0]] and dense["new_bias"] == pytest.approx([0.05], abs=1e-15)
    saved = load_project(out).network
    assert np.allclose(saved.layers[0].kernel, [[[[0.8, 0], [-1.1, 1.7]]]], rtol=0, atol=1e-15)


def test_step_text_shows_maps_per_channel_and_the_kernel_gradient_as_grids():
    result = run("step", "conv-4x4")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("Convolution by hand (1×4×4): 1x4x4-c1k2-m2-1 (1×4×4 → 1×3×3 → 1×1×1 → 1)\n")
    assert ("layer 1 (convolution 2×2, 1 kernel, stride 1, padding 0, relu: 1×4×4 → 1×3×3)\n"
            "  z = K⋆a + b =\n"
            "    channel 1: [3.5, 7.5, -0.5]\n"
            "               [0.5, 0.5, 7.5]\n"
            "               [1.5, 3.5, 1.5]\n") in text
    assert "layer 2 (max pooling 2×2, stride 2: 1×3×3 → 1×1×1)\n" in text
    assert "loss (mse) L = 2\n" in text
    assert ("  δ     =\n    channel 1: [0, 1, 0]\n               [0, 0, 0]\n               [0, 0, 0]\n"
            "  ∂L/∂K =\n    kernel 1, channel 1: [2, 0]\n                         [1, 3]\n"
            "  ∂L/∂b = [1]\n") in text
    assert "  (no parameters: the signal goes back to the pixel each window chose)\n" in text
    assert ("  K1 =\n    kernel 1, channel 1: [0.8, 0]\n                         [-1.1, 1.7]\n  b1 = [0.4]\n"
            "  W3 = [[-1]]\n  b3 = [0.05]\n") in text


def test_eval_input_is_read_in_chw_order():
    # The 2nd value is x[0, 1] (row 0, column 1): z[0, 0] = k[0, 1]·1 + 0.5 = 0.5, z[0, 1] = k[0, 0]·1 + 0.5 = 1.5,
    # and no other window covers (0, 1), so the rest is the bias 0.5; the pool's window takes 1.5 at flat index 1.
    values = ["0", "1"] + ["0"] * 14
    result = run("eval", "conv-4x4", "--input", *values, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["layers"][0]["z"] == [[[0.5, 1.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]]
    assert data["layers"][1]["argmax"] == [[[1]]]
    assert data["output"] == [0.5 * 1.5 + 0.25]


def test_an_input_of_the_wrong_count_names_the_maps_shape():
    _one_line_refusal(run("eval", "conv-4x4", "--input", "1", "2", "3"),
                      "nnstudio: error: --input needs 16 values (maps 1×4×4, in (C, H, W) order), got 3")


def test_large_maps_are_summarised_in_text_and_printed_when_asked(capsys, monkeypatch):
    monkeypatch.setattr(cli_maps, "PRINTED_MAP_VALUES", 4)  # conv-4x4's 3×3 maps are now "large"
    assert cli.main(["eval", "conv-4x4"]) == 0
    text = capsys.readouterr().out
    assert ("  z = K⋆a + b = 1×3×3 values from -0.5 to 7.5 (not printed, more than 4: --json gives every value; "
            "step --all-weights prints them)\n") in text
    assert "  z = a = max of each window =\n    channel 1: [7.5]\n" in text  # 1 value: still printed
    assert cli.main(["step", "conv-4x4", "--all-weights"]) == 0
    assert "  a = g(z)    =\n    channel 1: [3.5, 7.5, 0]\n" in capsys.readouterr().out


def test_a_large_conv_nets_kernels_are_left_out_unless_asked_for(capsys, monkeypatch):
    monkeypatch.setattr(cli_values, "PRINTED_WEIGHTS", 4)  # conv-4x4 holds 2·2 kernel values + 1 dense weight
    assert cli.main(["step", "conv-4x4"]) == 0
    text = capsys.readouterr().out
    assert "  ∂L/∂K = 1×1×2×2 values (not printed)\n" in text and "  K1 = 1×1×2×2 values (not printed)\n" in text
    assert text.rstrip().endswith("(∂L/∂W, ∂L/∂K and the updated W and K of 5 weights are not printed (more than "
                                  "4): --all-weights prints them, --out FILE saves the updated network)")
    assert cli.main(["step", "conv-4x4", "--json"]) == 0
    conv = json.loads(capsys.readouterr().out)["layers"][0]
    assert conv["grad_weights"] is conv["new_weights"] is None and conv["grad_bias"] == [1.0]


# ----------------------------------------------------------------------------- new


def test_new_builds_lenet_from_the_notation(tmp_path):
    out = tmp_path / "lenet.nnstudio"
    result = run("new", LENET, "--seed", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"saved {out}: {LENET} (1×28×28 → 6×28×28 → 6×14×14 → 16×10×10 → 16×5×5 "
                             f"→ 120 → 84 → 10), relu hidden, softmax output, cce loss, he weights (seed 7)\n")
    project = load_project(out)
    net = project.network
    assert net.input_shape == (1, 28, 28) and project.loss == "cce"
    kinds = [type(layer) for layer in net.layers]
    assert kinds == [Conv2DLayer, Pool2DLayer, Conv2DLayer, Pool2DLayer, DenseLayer, DenseLayer, DenseLayer]
    assert net.layers[0].kernel.shape == (6, 1, 5, 5) and net.layers[0].pad == 2
    assert net.layers[2].kernel.shape == (16, 6, 5, 5) and net.layers[4].weights.shape == (120, 400)
    assert [layer.activation for layer in net.layers] == ["relu", "identity"] * 2 + ["relu", "relu", "softmax"]
    assert net.parameter_count == 156 + 2416 + 48120 + 10164 + 850  # LeNet-5's 61,706
    expected = build_from_architecture(parse_architecture(LENET), seed=7)
    assert net.same_as(expected)


def test_new_with_plain_sizes_is_bit_for_bit_what_it_always_was(tmp_path):
    out = tmp_path / "plain.nnstudio"
    assert run("new", "2-3-1", "--seed", "5", "--output", "sigmoid", "--out", str(out)).returncode == 0
    net = load_project(out).network
    assert net.same_as(build_network([2, 3, 1], ["relu", "sigmoid"], "he", seed=5))
    assert net.same_as(build_from_architecture(parse_architecture("2-3-1"), output="sigmoid", seed=5))


def test_new_options_reach_every_layer_of_a_conv_net(tmp_path):
    out = tmp_path / "small.nnstudio"
    result = run("new", "1x6x6-c2k3-a2-3", "--hidden", "tanh", "--output", "sigmoid", "--no-bias", "1",
                 "--init", "constant", "--init-value", "0.25", "--out", str(out))
    assert result.returncode == 0, result.stderr
    project = load_project(out)
    conv, pool, dense = project.network.layers
    assert conv.activation == "tanh" and conv.bias is None and np.all(conv.kernel == 0.25)
    assert pool.kind == "avg" and pool.out_shape == (2, 2, 2)
    assert dense.activation == "sigmoid" and np.all(dense.bias == 0) and dense.weights.shape == (3, 8)
    assert project.loss == "bce"
    every = tmp_path / "every.nnstudio"
    assert run("new", "1x6x6-c2k3-a2-3", "--no-bias", "--out", str(every)).returncode == 0  # pooling skipped
    assert all(not layer.has_bias for layer in load_project(every).network.layers)


@pytest.mark.parametrize("args, message", [
    (["1x28x28-c6k9q-10"], 'SIZES: part 2 "c6k9q": unknown \'q\''),
    (["1x28x28-c6-10"], 'SIZES: part 2 "c6": a convolution needs its kernel size right after the channels'),
    (["1x4x4-c2k9-10"], 'SIZES: part 2 "c2k9": kernel size 9 is larger than the padded height'),
    (["1x4x4-c2k3"], "softmax is only for a flat output, and 1x4x4-c2k3 ends in maps"),
    (["1x4x4-c2k3-m2-3", "--no-bias", "2"], "layer 2 is a pooling layer (m2), which has no bias to drop"),
    (["1x4x4-c2k3-m2-3", "--no-bias", "4"], "--no-bias takes layer numbers from 1 to 3 (pooling layers count)"),
    (["1x4x4-c2k3-3", "--hidden", "softmax"], "layer 1 (convolution c2k3): softmax is only for a flat output"),
    (["1x4x4-c2k3-3", "--output", "relu", "--loss", "cce"], "categorical cross-entropy after a relu output"),
    (["1x4x4-c2k3-3", "--image"], "--image is for a plain input of numbers; 1x4x4 already gives the input's maps"),
    # The activation budget, from the shapes alone: refused before a single map or kernel is allocated.
    (["1x2048x2048-c64k3-10"], 'SIZES: part 2 "c64k3": its 267,911,424 values bring one sample\'s maps (input '
                               "included) to 272,105,728; a network may give at most 2,097,152"),
])
def test_new_refuses_a_bad_notation_in_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "x.nnstudio"
    _one_line_refusal(run("new", *args, "--out", str(out)), message)
    assert not out.exists()


# ----------------------------------------------------------------------------- LeNet: bounded output


def test_lenet_eval_and_step_stay_readable_and_json_keeps_every_map(tmp_path):
    start = tmp_path / "lenet.nnstudio"
    assert run("new", LENET, "--out", str(start)).returncode == 0
    text = run("eval", str(start))
    assert text.returncode == 0, text.stderr
    assert len(text.stdout.splitlines()) < 200  # 4,704 values of layer 1 are one line each for z and a
    assert "  z = K⋆a + b = 6×28×28 values from 0 to 0 (not printed, more than 512" in text.stdout
    target = ["1"] + ["0"] * 9
    step = run("step", str(start), "--target", *target, "--json")
    assert step.returncode == 0, step.stderr
    layers = json.loads(step.stdout)["layers"]
    assert np.shape(layers[0]["z"]) == np.shape(layers[0]["delta"]) == (6, 28, 28)
    assert np.shape(layers[1]["argmax"]) == (6, 14, 14) and np.shape(layers[3]["a"]) == (16, 5, 5)
    assert np.shape(layers[2]["grad_weights"]) == (16, 6, 5, 5) and np.shape(layers[2]["grad_bias"]) == (16,)
    assert layers[1]["grad_weights"] is None and np.shape(layers[4]["grad_weights"]) == (120, 400)


# ----------------------------------------------------------------------------- train


def test_train_a_conv_net_on_image_files_and_record_the_run(tmp_path):
    synthetic_idx(tmp_path)  # 4×4 images, the bright quadrant is the class
    start, out = tmp_path / "start.nnstudio", tmp_path / "trained.nnstudio"
    assert run("new", "1x4x4-c4k3p1-m2-10", "--seed", "1", "--out", str(start)).returncode == 0
    result = run("train", str(start), "--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "3",
                 "--batch-size", "16", "--lr", "0.1", "--normalise", "standard", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("training 1x4x4-c4k3p1-m2-10 (1×4×4 → 4×4×4 → 4×2×2 → 10) on mnist: "
                                    "600 training and 200 test samples, 3 epochs, batch 16, sgd α = 0.1")
    assert f"saved {out}; the run is recorded in it (Runs, run 1)" in result.stdout
    trained = load_project(out)
    assert trained.network.input_shape == (1, 4, 4) and len(trained.runs) == 1
    run_record = trained.runs[0]
    assert run_record.dataset == "mnist" and len(run_record.epochs) == 3
    assert not np.array_equal(trained.network.layers[0].kernel, load_project(start).network.layers[0].kernel)
    evaluated = run("eval", str(out), "--dataset", "mnist", "--data-dir", str(tmp_path), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] > 0.9


def test_train_refuses_images_that_are_not_the_networks_maps(tmp_path):
    synthetic_idx(tmp_path, n_train=20, n_test=10)  # 16 values per image
    start, out = tmp_path / "start.nnstudio", tmp_path / "trained.nnstudio"
    assert run("new", "1x5x5-c2k3-10", "--out", str(start)).returncode == 0
    result = run("train", str(start), "--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(out),
                 "--quiet")
    _one_line_refusal(result, "the network takes maps 1×5×5 = 25 values per sample but mnist (train) has 16 "
                              "features")
    assert not out.exists()


# ----------------------------------------------------------------------------- export and import


@pytest.mark.parametrize("kind, module", [("onnx", "onnx"), ("safetensors", "safetensors")])
def test_a_conv_file_exported_and_imported_again_gives_the_same_numbers(tmp_path, kind, module):
    pytest.importorskip(module)
    model = tmp_path / f"net.{kind}"
    exported = run("export", "conv-4x4", "--to", kind, "--out", str(model), "--dtype", "float64")
    assert exported.returncode == 0, exported.stderr
    assert f"1x4x4-c1k2-m2-1 (1×4×4 → 1×3×3 → 1×1×1 → 1) as {kind}" in exported.stdout
    back = tmp_path / "back.nnstudio"
    imported = run("import", str(model), "--out", str(back))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"saved {back}: 1×4×4 input maps → 1×3×3 conv2d relu, 1×1×1 maxpool2d, "
                                      "1 identity; mse loss")
    values = ["1", "2", "0", "1", "0", "1", "3", "1", "2", "1", "0", "2", "1", "0", "1", "1"]
    again = json.loads(run("eval", str(back), "--input", *values, "--json").stdout)
    assert again["layers"][0]["z"] == [[[3.5, 7.5, -0.5], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]]
    assert again["output"] == [4.0]


def test_a_conv_files_numpy_script_steps_to_the_numbers_step_json_gives(tmp_path):
    """The exported script prints what `nnstudio step --json` prints (its maps flat, in (C, H, W) order)."""
    script = tmp_path / "net.py"
    result = run("export", "conv-4x4", "--to", "numpy", "--out", str(script))
    assert result.returncode == 0, result.stderr
    ran = subprocess.run([sys.executable, str(script), "--json"], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    theirs, ours = json.loads(ran.stdout), json.loads(run("step", "conv-4x4", "--json").stdout)
    assert theirs["output"] == ours["output"] == [4.0] and theirs["loss"] == ours["loss"] == 2.0
    for mine, script_layer in zip(ours["layers"], theirs["layers"]):
        for key in ("z", "a", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias"):
            if mine[key] is None:
                assert script_layer[key] is None, key
            else:
                np.testing.assert_array_equal(np.ravel(script_layer[key]), np.ravel(mine[key]), err_msg=key)


def test_a_conv_file_exports_as_a_pytorch_script(tmp_path):
    script = tmp_path / "net.py"
    result = run("export", "conv-4x4", "--to", "pytorch", "--out", str(script))
    assert result.returncode == 0, result.stderr
    assert "nn.Conv2d" in script.read_text(encoding="utf-8")


def test_an_onnx_export_runs_in_onnxruntime_with_the_outputs_nnstudio_eval_prints(tmp_path):
    """The acceptance's own words: a conv network made by `new`, exported by `export`, run in onnxruntime, gives
    what `nnstudio eval` prints (float32, 1e-6): stride 2 with padding, average and max pooling, channels."""
    ort = pytest.importorskip("onnxruntime")
    net, model = tmp_path / "net.nnstudio", tmp_path / "net.onnx"
    made = run("new", "3x12x12-c4k3s2p1-a2-c5k2s1-m2-6-3", "--hidden", "tanh", "--output", "softmax",
               "--seed", "4", "--out", str(net))
    assert made.returncode == 0, made.stderr
    exported = run("export", str(net), "--to", "onnx", "--out", str(model))
    assert exported.returncode == 0, exported.stderr
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(11)
    for _ in range(3):
        x = rng.integers(-3, 4, size=3 * 12 * 12).astype(np.float32)
        printed = json.loads(run("eval", str(net), "--input", *map(str, x.tolist()), "--json").stdout)["output"]
        given = session.run(None, {session.get_inputs()[0].name: x.reshape(1, 3, 12, 12)})[0]
        np.testing.assert_allclose(given.ravel(), printed, atol=1e-6)
        assert len(printed) == 3 and abs(sum(printed) - 1) < 1e-9  # softmax over the three classes


def test_a_trained_file_whose_maps_pass_4096_values_opens_again_with_its_run(tmp_path):
    """A run's record keeps each layer's values per sample: 300 maps of 4×4 are 4,800, more than a dense layer's
    4,096 neurons (LeNet's first convolution gives 4,704), and the trained file must still open."""
    synthetic_idx(tmp_path, n_train=64, n_test=16)
    start, out = tmp_path / "start.nnstudio", tmp_path / "trained.nnstudio"
    assert run("new", "1x4x4-c300k3p1-m4-10", "--out", str(start)).returncode == 0
    result = run("train", str(start), "--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "1",
                 "--batch-size", "16", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    trained = load_project(out)
    assert trained.runs[0].sizes == (16, 4800, 300, 10)
