"""The dataset choice in the .nnstudio file: written, read back equal, refused by field when wrong, optional."""

import json

import pytest

from nnstudio.core.project import DataChoice
from nnstudio.io import load_example, load_project, save_project
from nnstudio.io.network_file import NetworkFileError, dumps, loads


@pytest.mark.parametrize("choice", [
    DataChoice("xor"),
    DataChoice("mnist", "/data/MNIST files", 0.2),
    DataChoice("function:sin(x1)+x2^2", test_fraction=0.5),
    DataChoice("C:\\data\\iris é.csv", test_fraction=0.05),
])
def test_the_choice_round_trips_through_the_file(tmp_path, choice):
    path = tmp_path / "net.nnstudio"
    save_project(load_example("xor").replace(training_data=choice), path)
    assert load_project(path).training_data == choice
    written = json.loads(path.read_text("utf-8"))["training_data"]
    assert written["dataset"] == choice.dataset and written["test_fraction"] == choice.test_fraction
    assert ("folder" in written) == bool(choice.folder)  # no empty folder written


def test_the_examples_save_their_set_and_files_without_the_key_open_with_none():
    assert load_example("xor").training_data == DataChoice("xor")
    assert load_example("mnist-mlp").training_data == DataChoice("mnist")
    assert load_example("backprop-4-2-3").training_data is None
    data = json.loads(dumps(load_example("xor")))
    del data["training_data"]
    assert data["version"] == 1  # an optional key: a dense network is still written as version 1 (file-format.md)
    assert loads(json.dumps(data)).training_data is None
    data["training_data"] = None
    assert loads(json.dumps(data)).training_data is None
    data["training_data"] = {"dataset": "circles"}  # the folder and the test part may be left out
    assert loads(json.dumps(data)).training_data == DataChoice("circles", "", 0.25)


@pytest.mark.parametrize("value, message", [
    ("xor", "training_data: expected an object, got text"),
    ({}, "training_data.dataset: missing"),
    ({"dataset": "xor", "seed": 1}, "training_data.seed: unknown field"),
    ({"dataset": 7}, "training_data.dataset: expected text, got a number"),
    ({"dataset": ""}, "training_data.dataset: expected a name, got empty text"),
    ({"dataset": "x" * 5000}, "training_data.dataset: holds 5,000 characters; at most 1,000"),
    ({"dataset": "function:"}, "training_data.dataset: function: needs a function of x1, x2"),
    ({"dataset": "xor\u001b]0;pwned\u0007"}, "training_data.dataset: holds the control character"),
    ({"dataset": "\ud800"}, "training_data.dataset: holds an unpaired surrogate"),
    ({"dataset": "mnist", "folder": ["a"]}, "training_data.folder: expected text, got a list"),
    ({"dataset": "mnist", "folder": "/a\nb"}, "training_data.folder: holds the control character"),
    ({"dataset": "xor", "test_fraction": 0.95}, "training_data.test_fraction: expected a number from 0.05 to 0.9"),
    ({"dataset": "xor", "test_fraction": 0}, "training_data.test_fraction: expected a number from 0.05 to 0.9"),
    ({"dataset": "xor", "test_fraction": "1/4"}, "training_data.test_fraction: expected a number, got text"),
    ({"dataset": "xor", "test_fraction": True}, "training_data.test_fraction: expected a number, got true/false"),
    ({"dataset": "xor", "test_fraction": "TOO_BIG"}, "training_data.test_fraction: expected a finite number"),
])
def test_a_bad_choice_is_refused_naming_the_field(value, message):
    data = json.loads(dumps(load_example("xor")))
    data["training_data"] = value
    text = json.dumps(data).replace('"TOO_BIG"', "1e400")  # a number JSON allows and no float holds
    with pytest.raises(NetworkFileError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        loads(text, "net.nnstudio")
    assert str(refused.value).startswith("net.nnstudio: training_data")
