"""The .nnstudio format: exact round trips, and every malformed file refused by name."""

import json
import os

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network
from nnstudio.core.project import Project, Sample
from nnstudio.io import (
    NetworkFileError,
    UnsupportedVersionError,
    dumps,
    list_examples,
    load_example,
    load_npz,
    load_project,
    save_npz,
    save_project,
)


def _same_project(a: Project, b: Project) -> None:
    assert a.network.same_as(b.network)
    for field in ("input", "target"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert getattr(a, field).dtype == getattr(b, field).dtype
    assert (a.input_text, a.target_text) == (b.input_text, b.target_text)
    assert a.layout == b.layout
    assert (a.loss, a.optimizer, a.name, a.description) == (b.loss, b.optimizer, b.name, b.description)
    assert (a.input_labels, a.output_labels, a.input_image) == (b.input_labels, b.output_labels, b.input_image)
    assert len(a.samples) == len(b.samples)
    for s, t in zip(a.samples, b.samples):
        assert s.name == t.name and s.input_text == t.input_text and s.target_text == t.target_text
        np.testing.assert_array_equal(s.input, t.input)
        np.testing.assert_array_equal(s.target, t.target)


@pytest.mark.parametrize("name", list_examples())
def test_examples_round_trip_exactly(tmp_path, name):
    project = load_example(name)
    path = tmp_path / f"{name}.nnstudio"
    save_project(project, path)
    _same_project(project, load_project(path))


def test_awkward_floats_expressions_and_layout_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    weights = rng.normal(0, 1, (3, 2)) * np.array([[1e-300, 1e300], [1 / 3, -0.0], [5e-324, 2**-1074 * 3]])
    layer = DenseLayer(weights, np.array([0.1, 0.2, 0.30000000000000004]), "elu", {"alpha": 0.7},
                       weight_text={}, bias_text={})
    layer2 = DenseLayer(np.array([[1 / 2**0.5, 0.0, 1.0]]), None, "leaky_relu", {"slope": 0.05},
                        weight_text={(0, 0): "1/√2"})
    project = Project(
        Network(2, (layer, layer2)),
        input=np.array([5 / 6, 1 / 3]),
        input_text=("5/6", "1/3"),
        samples=(Sample("a", np.array([1.0, 2.0]), np.array([3.0]), ("1", None), (None,)),),
        layout=((10.5, -3.25), (200.0, 0.0), (400.125, 12.0)),
        input_labels=("left", "right"),
        name="ünïcode ✓",
    )
    save_project(project, tmp_path / "p.nnstudio")
    again = load_project(tmp_path / "p.nnstudio")
    _same_project(project, again)
    assert again.network.layers[1].weight_text == {(0, 0): "1/√2"}


def test_float32_precision_round_trips(tmp_path):
    project = load_example("backprop-4-2-3")
    project32 = project.replace(network=project.network.astype("float32"),
                                input=project.input.astype(np.float32), target=project.target.astype(np.float32))
    save_project(project32, tmp_path / "p.nnstudio")
    again = load_project(tmp_path / "p.nnstudio")
    assert again.network.dtype == np.float32
    _same_project(project32, again)


def _base() -> dict:
    return json.loads(dumps(load_example("cosine-memory")))


def _edit(change):
    data = _base()
    change(data)
    return json.dumps(data).encode()


def _set(path, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change



MALFORMED = {
    "empty file": (b"", "not valid JSON"),
    "truncated JSON": (lambda: json.dumps(_base()).encode()[:200], "not valid JSON"),
    "not JSON at all": (b"\x89PNG\r\n\x1a\n....", "not valid UTF-8"),
    "invalid UTF-8": (b'{"format": "nnstudio.network", "name": "\xff\xfe"}', "not valid UTF-8"),
    "top level is a list": (b"[1, 2, 3]", "expected an object, got a list"),
    "top level is a number": (b"42", "expected an object, got a number"),
    "wrong format name": (lambda: _edit(_set(["format"], "keras")), "format: expected 'nnstudio.network'"),
    "missing format": (lambda: _edit(_delete(["format"])), "format: missing"),
    "missing version": (lambda: _edit(_delete(["version"])), "version: missing"),
    "version as text": (lambda: _edit(_set(["version"], "1")), "version: expected a whole number"),
    "version zero": (lambda: _edit(_set(["version"], 0)), "version: expected a whole number ≥ 1"),
    "missing layers": (lambda: _edit(_delete(["layers"])), "layers: missing"),
    "layers not a list": (lambda: _edit(_set(["layers"], {"size": 3})), "layers: expected a list"),
    "missing input": (lambda: _edit(_delete(["input"])), "input: missing"),
    "negative input size": (lambda: _edit(_set(["input", "size"], -2)), "input.size: expected a whole number"),
    "enormous input size": (lambda: _edit(_set(["input", "size"], 10**9)), "input.size: expected a whole number"),
    "fractional size": (lambda: _edit(_set(["layers", 0, "size"], 2.5)), "layers[0].size: expected a whole number"),
    "size as true": (lambda: _edit(_set(["layers", 0, "size"], True)), "layers[0].size: expected a whole number"),
    "unknown activation": (lambda: _edit(_set(["layers", 0, "activation"], "relux")),
                           "layers[0].activation: unknown name 'relux'"),
    "activation not text": (lambda: _edit(_set(["layers", 0, "activation"], 3)), "layers[0].activation: expected text"),
    "unknown activation parameter": (lambda: _edit(_set(["layers", 0, "params"], {"slope": 1})),
                                     "layers[0].params.slope: unknown field"),
    "weights wrong rows": (lambda: _edit(_set(["layers", 1, "weights"], [[0, 1, 0], [1, 1, 1]])),
                           "layers[1].weights: expected 1×3, got 2×3"),
    "weights wrong columns": (lambda: _edit(_set(["layers", 1, "weights"], [[0, 1]])),
                              "layers[1].weights: expected 1×3, got 1×2"),
    "size disagrees with weights": (lambda: _edit(_set(["layers", 0, "size"], 4)),
                                    "layers[0].weights: expected 4×2, got 3×2"),
    "ragged weights": (lambda: _edit(_set(["layers", 0, "weights"], [[1, 0], [1], [0, 1]])),
                       "layers[0].weights: expected 3×2"),
    "weight is text nonsense": (lambda: _edit(_set(["layers", 0, "weights", 0, 0], "banana")),
                                "layers[0].weights[0][0]: invalid expression"),
    "weight is null": (lambda: _edit(_set(["layers", 0, "weights", 0, 0], None)),
                       "layers[0].weights[0][0]: expected a number, got null"),
    "weight is a list": (lambda: _edit(_set(["layers", 0, "weights", 0, 0], [1])),
                         "layers[0].weights[0][0]: expected a number, got a list"),
    "NaN token": (lambda: json.dumps(_base()).replace('"weights": [[1.0', '"weights": [[NaN').encode(),
                  "NaN is not allowed"),
    "Infinity token": (lambda: json.dumps(_base()).replace('"weights": [[1.0', '"weights": [[-Infinity').encode(),
                       "-Infinity is not allowed"),
    "overflowing number": (lambda: json.dumps(_base()).replace('"weights": [[1.0', '"weights": [[1e999').encode(),
                           "expected a finite number"),
    "integer too large for a float": (lambda: json.dumps(_base()).replace('"weights": [[1.0', '"weights": [[' + "9" * 400).encode(),
                                      "layers[0].weights[0][0]: expected a finite number"),
    "bias wrong length": (lambda: _edit(_set(["layers", 0, "bias"], [0, 0])),
                          "layers[0].bias: expected 3 entries, got 2"),
    "bias not a list": (lambda: _edit(_set(["layers", 0, "bias"], 0.5)), "layers[0].bias: expected a list"),
    "unknown layer field": (lambda: _edit(_set(["layers", 0, "activaton"], "relu")),
                            "layers[0].activaton: unknown field"),
    "unknown top-level field": (lambda: _edit(_set(["weights"], [])), "weights: unknown field"),
    "unknown loss": (lambda: _edit(_set(["loss"], "hinge")), "loss: unknown name 'hinge'"),
    "unknown optimizer": (lambda: _edit(_set(["optimizer", "name"], "rmsprop")),
                          "optimizer.name: unknown name 'rmsprop'"),
    "negative learning rate": (lambda: _edit(_set(["optimizer", "learning_rate"], -1)),
                               "optimizer.learning_rate: expected a number ≥ 0"),
    "input vector wrong length": (lambda: _edit(_set(["current", "input"], [1, 2, 3])),
                                  "current.input: expected 2 entries, got 3"),
    "target vector wrong length": (lambda: _edit(_set(["current", "target"], [])),
                                   "current.target: expected 1 entries, got 0"),
    "sample missing target": (lambda: _edit(_delete(["samples", 0, "target"])), "samples[0].target: missing"),
    "sample input expression fails": (lambda: _edit(_set(["samples", 0, "input", 0], "1/0")),
                                      "samples[0].input[0]: invalid expression: division by zero"),
    "layout wrong count": (lambda: _edit(_set(["layout"], {"columns": [[0, 0]]})),
                           "layout.columns: expected 3 entries, got 1"),
    "image does not hold input": (lambda: _edit(_set(["input", "image"], [3, 3])),
                                  "input.image: 3×3 does not hold input.size = 2"),
    "labels wrong count": (lambda: _edit(_set(["input", "labels"], ["a"])), "input.labels: expected 2 entries"),
    "unknown precision": (lambda: _edit(_set(["precision"], "float16")), "precision: unknown name 'float16'; expected one of"),
    "deeply nested JSON": (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    "unknown initialiser": (lambda: _edit(_set(["layers", 0, "weights"], {"init": "orthogonal"})),
                            "layers[0].weights.init: unknown name 'orthogonal'"),
    "negative seed": (lambda: _edit(_set(["layers", 0, "weights"], {"init": "he", "seed": -1})),
                      "layers[0].weights.seed: expected a whole number ≥ 0"),
}


def _bytes(spec):
    return spec() if callable(spec) else spec


def test_there_are_at_least_thirty_malformed_cases():
    assert len(MALFORMED) >= 30


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_raises_the_documented_error(tmp_path, case):
    spec, message = MALFORMED[case]
    path = tmp_path / "bad.nnstudio"
    path.write_bytes(_bytes(spec))
    with pytest.raises(NetworkFileError) as info:
        load_project(path)
    assert message in str(info.value), str(info.value)
    assert str(info.value).startswith("bad.nnstudio")


def test_newer_version_is_refused_by_name(tmp_path):
    path = tmp_path / "future.nnstudio"
    path.write_bytes(_edit(_set(["version"], 99)))
    with pytest.raises(UnsupportedVersionError, match="version 99 was written by a newer nnstudio"):
        load_project(path)


def test_folder_and_missing_file_are_refused(tmp_path):
    with pytest.raises(NetworkFileError, match="is a folder"):
        load_project(tmp_path)
    with pytest.raises(NetworkFileError, match="no such file"):
        load_project(tmp_path / "nothing.nnstudio")


def test_expressions_in_the_file_are_never_executed(tmp_path):
    path = tmp_path / "evil.nnstudio"
    path.write_bytes(_edit(_set(["layers", 0, "weights", 0, 0], "__import__('os').system('touch pwned')")))
    with pytest.raises(NetworkFileError, match="invalid expression"):
        load_project(path)
    assert not os.path.exists("pwned") and not (tmp_path / "pwned").exists()


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "keep.nnstudio"
    save_project(load_example("cosine-memory"), path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        save_project(load_example("xor"), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.nnstudio"]  # no temp file left


def test_npz_round_trip_and_errors(tmp_path):
    project = load_example("cosine-memory")
    save_npz(project.network, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as data:
        assert sorted(data.files) == ["W1", "W2", "b1"]  # layer 2 has no bias
        np.testing.assert_array_equal(data["W1"], project.network.layers[0].weights)
    zeroed = project.network.with_layer(0, project.network.layers[0].replace(weights=np.zeros((3, 2))))
    restored = load_npz(zeroed, tmp_path / "w.npz")
    np.testing.assert_array_equal(restored.layers[0].weights, project.network.layers[0].weights)

    np.savez(tmp_path / "bad.npz", W1=np.zeros((2, 2)), b1=np.zeros(3), W2=np.zeros((1, 3)))
    with pytest.raises(NetworkFileError, match=r"W1: expected shape \(3, 2\), got \(2, 2\)"):
        load_npz(project.network, tmp_path / "bad.npz")
    np.savez(tmp_path / "obj.npz", W1=np.array([object()], dtype=object))
    with pytest.raises(NetworkFileError):
        load_npz(project.network, tmp_path / "obj.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(NetworkFileError, match="not a readable .npz"):
        load_npz(project.network, tmp_path / "junk.npz")


def test_no_target_is_kept_as_null_and_a_typed_target_as_its_values(tmp_path):
    net = Network(2, (DenseLayer(np.array([[1.0, -1.0], [0.5, 0.25]]), np.zeros(2), "softmax"),))
    unknown = Project(net, loss="cce")
    path = tmp_path / "new.nnstudio"
    save_project(unknown, path)
    assert json.loads(path.read_text())["current"]["target"] is None
    assert not load_project(path).target_known
    zeros = unknown.replace(target=np.zeros(2), target_known=True)  # typed zeros are a target, and stay one
    save_project(zeros, path)
    assert json.loads(path.read_text())["current"]["target"] == [0.0, 0.0]
    assert load_project(path).target_known


def test_a_file_without_a_target_keeps_its_old_meaning_a_target_of_zeros(tmp_path):
    text = {"format": "nnstudio.network", "version": 1, "input": {"size": 2}, "loss": "mse",
            "layers": [{"size": 1, "activation": "identity", "weights": [[1, 2]], "bias": [0]}],
            "current": {"input": [1, 1]}}
    path = tmp_path / "old.nnstudio"
    path.write_text(json.dumps(text))
    project = load_project(path)
    assert project.target_known and project.target.tolist() == [0.0]
