"""`nnstudio train` on a small synthetic IDX set, then `nnstudio eval --dataset --json` on the result."""

import json
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.core import build_network
from nnstudio.core.project import Project
from nnstudio.data import write_idx
from nnstudio.io import load_project, save_project


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, timeout=300,
                          env=env)


def synthetic_idx(folder, n_train=600, n_test=200):
    """4×4 'images' whose class is which quadrant is bright: easy to learn, real IDX files."""
    rng = np.random.default_rng(0)

    def make(n):
        labels = rng.integers(0, 4, n)
        images = rng.integers(0, 40, (n, 4, 4)).astype(np.uint8)
        for k, label in enumerate(labels):
            r, c = divmod(int(label), 2)
            images[k, 2 * r:2 * r + 2, 2 * c:2 * c + 2] = 230
        return images, labels.astype(np.uint8)

    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images, labels = make(n)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def test_train_then_eval_json(tmp_path):
    synthetic_idx(tmp_path)
    start = tmp_path / "start.nnstudio"
    save_project(Project(build_network([16, 8, 10], ["relu", "softmax"], "he", seed=0), loss="cce"), start)
    out = tmp_path / "trained.nnstudio"
    result = run("train", str(start), "--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "3",
                 "--batch-size", "16", "--lr", "0.1", "--normalise", "standard", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("epoch")]
    assert len(lines) == 3 and "test accuracy" in lines[-1] and "samples/s" in lines[-1]
    trained = load_project(out)
    assert trained.normalisation is not None and trained.normalisation["kind"] == "standard"

    evaluated = run("eval", str(out), "--dataset", "mnist", "--data-dir", str(tmp_path), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["n"] == 200 and report["accuracy"] > 0.95
    final_accuracy = float(lines[-1].split("test accuracy ")[1].split("%")[0]) / 100
    assert abs(report["accuracy"] - final_accuracy) < 0.006  # same test split, same normalisation


def test_train_errors_are_one_line(tmp_path):
    result = run("train", "cosine-memory", "--dataset", "clusters", "--out", str(tmp_path / "x.nnstudio"))
    assert result.returncode == 2
    assert "the network gives 1 outputs but clusters (train) needs 3" in result.stderr
    missing = run("train", "mnist-mlp", "--dataset", "mnist", "--data-dir", str(tmp_path), "--out",
                  str(tmp_path / "y.nnstudio"))
    assert missing.returncode == 2 and "missing train-images-idx3-ubyte.gz" in missing.stderr
    assert "Traceback" not in missing.stderr + result.stderr


def test_new_writes_a_network_that_train_accepts(tmp_path):
    """`nnstudio new` then `nnstudio train`: a whole experiment from the command line."""
    synthetic_idx(tmp_path)
    start = tmp_path / "new.nnstudio"
    made = run("new", "16-8-10", "--seed", "3", "--out", str(start))
    assert made.returncode == 0, made.stderr
    project = load_project(start)
    assert project.network.sizes == [16, 8, 10]
    assert [layer.activation for layer in project.network.layers] == ["relu", "softmax"]
    assert project.loss == "cce"
    weights = project.network.layers[0].weights
    assert 0.5 < weights.std() * np.sqrt(16 / 2) < 1.5  # He: std √(2/fan_in)
    assert np.all(project.network.layers[0].bias == 0)
    out = tmp_path / "trained.nnstudio"
    trained = run("train", str(start), "--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "2",
                  "--lr", "0.1", "--normalise", "standard", "--out", str(out), "--quiet")
    assert trained.returncode == 0, trained.stderr


@pytest.mark.parametrize("args, message", [
    (["7-x"], "SIZES: part 2 \"x\": unknown 'x'; a part is a convolution (c6k5)"),  # a letter: the notation
    (["4"], "SIZES: 4 is only the input; add at least one layer"),
    (["4-0"], "SIZES: every layer needs at least one neuron"),
    (["4-3", "--output", "bogus"], "unknown activation 'bogus'"),
    (["4-3", "--init", "nope"], "unknown initialiser 'nope'"),
    (["4-3", "--init", "constant", "--init-value", "inf"], "initial weights: value must be a finite number"),
    (["4-3-2", "--no-bias", "3"], "--no-bias takes layer numbers from 1 to 2"),
    (["15-2", "--image"], "--image needs a square input size"),
])
def test_new_refuses_bad_sizes_and_names_in_one_line(tmp_path, args, message):
    out = tmp_path / "x.nnstudio"
    result = run("new", *args, "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    """`nnstudio train … | head -1`: once the reader has gone, the next line cannot be written;
    the command stops without an error message, with the status a shell gives such a process."""
    process = subprocess.Popen([sys.executable, "-m", "nnstudio", "train", "xor", "--dataset", "xor",
                                "--epochs", "5000", "--batch-size", "4", "--quiet", "--out", str(tmp_path / "x.nnstudio")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    _, errors = process.communicate(timeout=300)
    assert first.startswith(b"training 2-2-1 on xor")
    assert process.returncode == 141
    assert errors == b""


def test_train_follows_a_schedule_and_stops_on_a_rule(tmp_path):
    out = tmp_path / "xor.nnstudio"
    result = run("train", "xor", "--dataset", "xor", "--epochs", "400", "--lr", "0.5", "--schedule", "step:100:0.5",
                 "--target-accuracy", "100%", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "(step decay ×0.5 every 100 epochs)" in lines[0]
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert epochs[0].endswith("α = 0.5") and len(epochs) < 400
    assert lines[-2].startswith("stopped: reached the target test accuracy 100.00% at epoch")
    assert "test accuracy 100.00%" in epochs[-1] and out.exists()


@pytest.mark.parametrize("args, message", [
    (["--schedule", "step:x"], "write a step schedule as step:EVERY:FACTOR"),
    (["--target-accuracy", "1.5"], "expected a fraction in (0, 1]"),
    (["--early-stop", "0"], "expected a whole number ≥ 1"),
    (["--restore-best"], "--restore-best goes with --early-stop EPOCHS"),
])
def test_bad_schedules_and_stop_rules_are_refused_in_one_line(tmp_path, args, message):
    result = run("train", "xor", "--dataset", "xor", *args, "--out", str(tmp_path / "x.nnstudio"))
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
