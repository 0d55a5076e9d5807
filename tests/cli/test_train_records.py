"""`nnstudio train` records its run in the saved file, reads float64 data for a float64 run, and scores a
one-sigmoid network on a CSV of 0/1 targets by its accuracy."""

import itertools
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from nnstudio.core import build_network
from nnstudio.core.project import Project
from nnstudio.core.trace import forward
from nnstudio.data import write_idx
from nnstudio.data.named import load_named
from nnstudio.io import load_project, save_project


def run(*args):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, timeout=300)


def epoch_lines(stdout):
    """(test loss, test accuracy or None) of each printed epoch line."""
    found = []
    for line in stdout.splitlines():
        match = re.match(r"epoch \d+: train loss \S+  test loss (\S+)  test accuracy (\S+)", line)
        if match:
            accuracy = None if match[2] == "—" else float(match[2].rstrip("%")) / 100
            found.append((float(match[1]), accuracy))
    return found


def labelled_csv(path, n=240, seed=1):
    """Two inputs, target 1 above the line x2 = x1 (else 0), written as 0 and 1."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).round(3)
    rows = "".join(f"{a},{b},{int(b > a)}\n" for a, b in x)
    path.write_text("x1,x2,above\n" + rows)
    return path


def sigmoid_network(path):
    save_project(Project(build_network([2, 4, 1], ["tanh", "sigmoid"], "xavier", seed=0), loss="bce"), path)
    return path


def test_train_records_its_run_in_the_saved_file_and_a_second_run_adds_another(tmp_path):
    data = labelled_csv(tmp_path / "above.csv")
    start, once, twice = sigmoid_network(tmp_path / "start.nnstudio"), tmp_path / "once.nnstudio", tmp_path / "2.nnstudio"
    first = run("train", str(start), "--dataset", str(data), "--epochs", "3", "--batch-size", "8", "--lr", "0.5",
                "--early-stop", "4", "--out", str(once), "--quiet")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == f"saved {once}; the run is recorded in it (Runs, run 1)"
    (record,) = load_project(once).runs
    assert record.dataset == str(data) and record.sizes == (2, 4, 1) and record.outcome == "finished"
    assert record.settings == {"epochs": 3, "batch_size": 8, "optimizer": "sgd", "learning_rate": 0.5, "l2": 0.0,
                               "seed": 0, "schedule": "constant", "stop": "after 4 epochs without progress"}
    printed = epoch_lines(first.stdout)
    assert [row.epoch for row in record.epochs] == [1, 2, 3]
    assert [row.test_loss for row in record.epochs] == pytest.approx([loss for loss, _ in printed], abs=5e-5)
    assert [row.accuracy for row in record.epochs] == pytest.approx([acc for _, acc in printed], abs=5e-5)
    assert [row.samples_seen for row in record.epochs] == [180, 360, 540]  # 240 rows, a quarter held out
    curve = record.train_curve  # the step losses the loop reported: at least its first, never past the end
    assert curve and curve[0][0] == 8 and all(a[0] < b[0] for a, b in itertools.pairwise(curve)) and curve[-1][0] <= 540

    second = run("train", str(once), "--dataset", str(data), "--epochs", "2", "--batch-size", "16", "--lr", "0.25",
                 "--out", str(twice), "--quiet")
    assert second.returncode == 0, second.stderr
    runs = load_project(twice).runs
    assert runs[0] == record and len(runs) == 2  # the history goes on with the network
    assert runs[1].settings["learning_rate"] == 0.25 and len(runs[1].epochs) == 2


def test_a_one_sigmoid_network_on_zero_one_targets_reports_accuracy_at_one_half(tmp_path):
    data = labelled_csv(tmp_path / "above.csv")
    out = tmp_path / "trained.nnstudio"
    result = run("train", str(sigmoid_network(tmp_path / "start.nnstudio")), "--dataset", str(data), "--epochs", "4",
                 "--batch-size", "8", "--lr", "0.5", "--precision", "float64", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    printed = epoch_lines(result.stdout)
    assert len(printed) == 4 and all(accuracy is not None for _, accuracy in printed)
    trained = load_project(out)
    test = load_named(str(data), dtype="float64").test  # the split train held out (seed 0)
    output = forward(trained.network, test.x).output[:, 0]
    independent = np.mean((output >= 0.5) == (test.y == 1))
    assert trained.runs[-1].final_accuracy == independent
    assert printed[-1][1] == pytest.approx(independent, abs=5e-5)
    assert independent > 0.8  # the line is learnt, so 0.5 is a threshold that means something

    evaluated = run("eval", str(out), "--dataset", str(data), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == pytest.approx(independent)  # eval agrees


def test_a_float64_run_trains_on_pixels_of_k_over_255_in_float64(tmp_path):
    """One SGD step of a zero-weight softmax layer on the whole batch: W = −α·(P − Y)ᵀX / n, with P = 1/10.
    The weights are the inputs themselves, so they show whether X was k/255 or float32's rounding of it."""
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (12, 2, 2)).astype(np.uint8)
    labels = rng.integers(0, 10, 12).astype(np.uint8)
    for prefix in ("train", "t10k"):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    start, out = tmp_path / "zeros.nnstudio", tmp_path / "stepped.nnstudio"
    save_project(Project(build_network([4, 10], ["softmax"], "zeros"), loss="cce"), start)
    result = run("train", str(start), "--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "1",
                 "--batch-size", "12", "--optimizer", "sgd", "--lr", "1", "--l2", "0", "--precision", "float64",
                 "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    weights = load_project(out).network.layers[0].weights  # (10 outputs, 4 inputs)

    def expected(x):
        residual = np.full((12, 10), 0.1) - np.eye(10)[labels]
        return -(residual.T @ x) / 12

    exact = np.array([[int(k) / 255 for k in image.ravel()] for image in images])
    np.testing.assert_allclose(weights, expected(exact), rtol=1e-12, atol=1e-15)
    rounded = expected(np.float32(exact).astype(np.float64))  # what float32-read pixels would have given
    assert not np.allclose(weights, rounded, rtol=1e-12, atol=1e-15)
