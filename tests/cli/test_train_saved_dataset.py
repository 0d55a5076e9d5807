"""`nnstudio train` and the dataset saved with the network: used without --dataset, recorded in --out, its
test part kept by `eval --dataset`; and XOR's four points said once."""

import json

from nnstudio.core import build_network
from nnstudio.core.project import DataChoice, Project
from nnstudio.data.catalogue import XOR_NOTE
from nnstudio.data.named import load_named
from nnstudio.io import load_project, save_project
from tests.cli.test_train_cli import run


def test_without_dataset_train_uses_the_set_saved_with_the_network_and_says_xor_tests_on_its_four_points(tmp_path):
    out = tmp_path / "trained.nnstudio"
    result = run("train", "xor", "--epochs", "2", "--quiet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("training 2-2-1 on xor: 4 training and 4 test samples")
    assert lines[1] == XOR_NOTE and result.stdout.count(XOR_NOTE) == 1
    trained = load_project(out)
    assert trained.training_data == DataChoice("xor")
    assert trained.runs[-1].dataset == "xor"


def test_a_network_that_saves_no_set_needs_dataset(tmp_path):
    out = tmp_path / "x.nnstudio"
    result = run("train", "backprop-4-2-3", "--out", str(out))
    assert result.returncode == 2 and not out.exists()
    assert result.stderr == ("nnstudio: error: backprop-4-2-3 saves no training data; give a dataset, "
                             "e.g. --dataset mnist\n")
    empty = run("train", "xor", "--dataset", "", "--out", str(out))
    assert empty.returncode == 2 and empty.stderr == "nnstudio: error: --dataset: expected a name, got empty text\n"


def test_the_saved_test_part_is_held_out_by_train_and_by_eval_and_the_set_trained_on_is_saved(tmp_path):
    start = tmp_path / "start.nnstudio"
    network = build_network([2, 4, 1], ["tanh", "sigmoid"], "xavier", seed=0)
    save_project(Project(network, loss="bce", training_data=DataChoice("xor", test_fraction=0.4)), start)
    out = tmp_path / "trained.nnstudio"
    result = run("train", str(start), "--dataset", "circles", "--epochs", "1", "--quiet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    split = load_named("circles", test_fraction=0.4)
    assert (len(split.train), len(split.test)) == (240, 160)
    assert "circles: 240 training and 160 test samples" in result.stdout and XOR_NOTE not in result.stdout
    assert load_project(out).training_data == DataChoice("circles", "", 0.4)
    evaluated = run("eval", str(out), "--dataset", "circles", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["n"] == 160  # the part train held out
