"""ONNX files as other tools write them: scikit-learn MLPs converted by skl2onnx with its defaults (made by
tests/data/make_sklearn_mlp_onnx.py, with scikit-learn's own outputs recorded beside each), the nodes that
change nothing, the input normalisation before the first layer, and the refusals that say what to do instead."""

import json
from pathlib import Path

import numpy as np
import pytest

from nnstudio.cli import main
from nnstudio.core.trace import forward
from nnstudio.data.dataset import Normalisation
from nnstudio.io.errors import NetworkFileError
from nnstudio.io.examples import load_file_or_example
from nnstudio.interop.formats import import_model, import_model_with_notes

onnx = pytest.importorskip("onnx", reason="the interop extra is not installed: pip install -e '.[interop]'")
from onnx import TensorProto, helper, numpy_helper

SKLEARN = Path(__file__).parent.parent / "data" / "sklearn_mlp"
MODELS = sorted(path.stem for path in SKLEARN.glob("*.onnx"))


def cli(capsys, *args):
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def outputs_of(project, inputs):
    """What nnstudio computes for raw inputs: the stored normalisation, then the network (as `eval` does)."""
    norm = Normalisation.from_project_field(project.normalisation)
    return forward(project.network, norm.apply_in(inputs, project.network.dtype)).output


def test_the_fixtures_cover_what_the_issue_asks():
    records = [json.loads((SKLEARN / f"{name}.expected.json").read_text()) for name in MODELS]
    kinds = {(r["model"].split("(")[0], len(r["classes"] or [])) for r in records}
    assert {("MLPClassifier", 2), ("MLPClassifier", 10), ("MLPRegressor", 0), ("Pipeline", 3)} <= kinds
    activations = {r["activations"][0] for r in records}
    assert activations == {"relu", "tanh", "sigmoid", "identity"}
    assert all(len(r["inputs"]) == 100 == len(r["outputs"]) for r in records)


@pytest.mark.parametrize("name", MODELS)
def test_a_scikit_learn_mlp_converted_by_skl2onnx_imports_and_gives_what_scikit_learn_gave(name):
    record = json.loads((SKLEARN / f"{name}.expected.json").read_text())
    imported = import_model_with_notes(SKLEARN / f"{name}.onnx")
    project = imported.project
    assert project.network.sizes == record["sizes"]
    assert [layer.activation for layer in project.network.layers] == record["activations"]
    inputs = np.array(record["inputs"], dtype=record["dtype"])
    expected = np.array(record["outputs"])
    classes = record["classes"]
    if classes and len(classes) == 2:  # read as one sigmoid output: p of class 1, the second column
        np.testing.assert_allclose(expected.sum(axis=1), 1, atol=1e-5)  # scikit-learn's [1 − p, p] indeed
        expected = expected[:, 1:]
        assert project.loss == "bce" and project.output_labels == (classes[1],)
    elif classes:
        assert project.loss == "cce" and project.output_labels == tuple(classes)
    else:
        assert project.loss == "mse"  # the Cast and the Reshape [-1, 1] change nothing: nothing to say of them
        assert [note for note in imported.notes if "as the input normalisation" not in note] == []
    assert expected.std() > 0.05  # the models learnt something: outputs that differ between inputs
    np.testing.assert_allclose(outputs_of(project, inputs), expected, rtol=1e-5, atol=1e-5)
    if classes:
        assert any("left out output 'output_label', the predicted class (ArgMax, ArrayFeatureExtractor, "
                   "Reshape, Cast" in note for note in imported.notes), imported.notes
        assert any("before its ZipMap" in note for note in imported.notes)
    assert any("[1 − p, p]" in note for note in imported.notes) == (classes is not None and len(classes) == 2)
    if name.startswith("pipeline"):
        assert project.normalisation["kind"] == "imported"
        assert any("as the input normalisation" in note for note in imported.notes)
    else:
        assert project.normalisation is None


def test_the_standard_scaler_becomes_the_normalisation_it_is():
    """The Scaler's offset is the training mean and its scale 1/std: ours is (x − mean)/std. Checked against the
    Scaler's attributes themselves (y = (x − offset)·scale), not against the importer's arithmetic."""
    model = onnx.load(str(SKLEARN / "pipeline_standard_scaler_classifier3.onnx"))
    scaler = next(node for node in model.graph.node if node.op_type == "Scaler")
    attributes = {a.name: np.array(helper.get_attribute_value(a)) for a in scaler.attribute}
    norm = import_model(SKLEARN / "pipeline_standard_scaler_classifier3.onnx").normalisation
    np.testing.assert_array_equal(norm["offset"], attributes["offset"].astype(np.float32))
    np.testing.assert_allclose(norm["scale"] * attributes["scale"], 1, rtol=1e-15)
    x = np.random.default_rng(2).normal(size=(5, 8)) * 10
    np.testing.assert_allclose(Normalisation.from_project_field(norm).apply(x),
                               (x - attributes["offset"]) * attributes["scale"], rtol=1e-6)


def _without_output(name, keep):
    model = onnx.load(str(SKLEARN / f"{name}.onnx"))
    kept = [output for output in model.graph.output if output.name in keep]
    del model.graph.output[:]
    model.graph.output.extend(kept)
    return model


@pytest.mark.parametrize("name, probabilities", [("classifier10_relu", "out_activations_result"),
                                                 ("classifier2_tanh", "probabilities")])
def test_a_graph_whose_only_output_is_the_label_is_refused_naming_the_tensor_to_keep_and_how(
        name, probabilities, tmp_path):
    path = tmp_path / "label_only.onnx"
    path.write_bytes(_without_output(name, {"output_label"}).SerializeToString())
    with pytest.raises(NetworkFileError) as refused:
        import_model(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: graph: its only output 'output_label' is the predicted class (ArgMax, "
                              "ArrayFeatureExtractor, Reshape, Cast, Cast), not the numbers a network computes; ")
    assert (f"the probabilities it is chosen from are the tensor {probabilities!r}: keep that as the output, e.g. "
            f"onnx.utils.extract_model('label_only.onnx', 'probabilities.onnx', ['X'], [{probabilities!r}])"
            in message)
    # The way forward works: the call the message gives, run as given, makes a file that imports.
    from onnx.utils import extract_model

    extract_model(str(path), str(tmp_path / "probabilities.onnx"), ["X"], [probabilities])
    record = json.loads((SKLEARN / f"{name}.expected.json").read_text())
    expected = np.array(record["outputs"])
    project = import_model(tmp_path / "probabilities.onnx")
    np.testing.assert_allclose(outputs_of(project, np.array(record["inputs"], np.float32)),
                               expected[:, 1:] if expected.shape[1] == 2 else expected, atol=1e-5)


def test_without_a_zipmap_the_probabilities_import_and_the_label_is_left_out(tmp_path):
    """skl2onnx's options={'zipmap': False}: the probabilities are a plain output beside the label."""
    model = _without_output("classifier10_tanh", {"output_label"})
    model.graph.output.append(helper.make_tensor_value_info("out_activations_result", TensorProto.FLOAT, [None, 10]))
    imported = import_model_with_notes(_save(tmp_path, model))
    record = json.loads((SKLEARN / "classifier10_tanh.expected.json").read_text())
    np.testing.assert_allclose(outputs_of(imported.project, np.array(record["inputs"], np.float32)),
                               record["outputs"], atol=1e-5)
    assert imported.project.output_labels == tuple(record["classes"])  # the label branch's classes initializer
    assert imported.notes == (("left out output 'output_label', the predicted class (ArgMax, ArrayFeatureExtractor, "
                               "Reshape, Cast, Cast): it is the class of the largest probability"),)


def _graph(nodes, initializers, outputs=("y",), elem=TensorProto.FLOAT, features=3, opset=17, ml=False):
    arrays = [numpy_helper.from_array(np.asarray(v), n) for n, v in initializers.items()]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", elem, ["n", features])],
                              [helper.make_tensor_value_info(name, elem, [None, None]) for name in outputs], arrays)
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ai.onnx.ml", 1)] if ml else [])
    return helper.make_model(graph, opset_imports=opsets)


def _save(tmp_path, model, name="m.onnx"):
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


RNG = np.random.default_rng(11)
W1, B1, W2, B2 = (RNG.normal(size=s).astype(np.float32) for s in ((3, 4), (4,), (4, 2), (2,)))  # MatMul: in × out


def _reference(x):
    """The two-layer network the hand-made graphs compute, in numpy: tanh then identity."""
    return np.tanh(x @ W1 + B1) @ W2 + B2


def test_two_float_outputs_are_refused_naming_both_and_the_call_that_keeps_one(tmp_path):
    nodes = [helper.make_node("Gemm", ["x", "W1", "B1"], ["z"]), helper.make_node("Tanh", ["z"], ["h"]),
             helper.make_node("Gemm", ["h", "W2", "B2"], ["y"])]
    path = _save(tmp_path, _graph(nodes, {"W1": W1, "B1": B1, "W2": W2, "B2": B2}, outputs=("y", "h")))
    with pytest.raises(NetworkFileError, match=r"graph: has 2 outputs a dense network could give \('y', 'h'\); keep "
                                               r"the one to import, e.g. onnx.utils.extract_model\('m.onnx', "
                                               r"'one_output.onnx', \['x'\], \['y'\]\)"):
        import_model(path)


def test_nodes_that_change_nothing_are_passed_over_wherever_they_are(tmp_path):
    inits = {"W1": W1, "B1": B1, "W2": W2, "B2": B2, "keep": np.array([0, -1], np.int64),
             "rows": np.array([-1, 2], np.int64), "off": np.array(False)}
    nodes = [helper.make_node("Cast", ["x"], ["x1"], to=TensorProto.FLOAT),
             helper.make_node("Identity", ["x1"], ["x2"]),
             helper.make_node("MatMul", ["x2", "W1"], ["m"]),
             helper.make_node("Dropout", ["m"], ["m1"]),                      # between MatMul and its bias
             helper.make_node("Add", ["m1", "B1"], ["z"]),
             helper.make_node("Cast", ["z"], ["z1"], to=TensorProto.FLOAT),
             helper.make_node("Tanh", ["z1"], ["t"]),
             helper.make_node("Reshape", ["t", "keep"], ["t1"]),              # [0, -1]: batch copied, the rest
             helper.make_node("Dropout", ["t1", "", "off"], ["h"]),           # training_mode = false
             helper.make_node("Gemm", ["h", "W2", "B2"], ["z2"]),
             helper.make_node("Flatten", ["z2"], ["f"], axis=1),
             helper.make_node("Reshape", ["f", "rows"], ["y"])]               # [-1, 2]: the width it has
    project = import_model(_save(tmp_path, _graph(nodes, inits, opset=17)))
    assert [layer.activation for layer in project.network.layers] == ["tanh", "identity"]
    x = RNG.normal(size=(6, 3)).astype(np.float32)
    np.testing.assert_allclose(forward(project.network, x).output, _reference(x), rtol=1e-5, atol=1e-6)
    assert project.normalisation is None


def test_a_reshape_that_changes_the_values_per_sample_is_refused_naming_the_tensor_before_it(tmp_path):
    """skl2onnx reshapes a 3-target regressor's output to [-1, 1] (onnx/sklearn-onnx#474): 3 rows per sample."""
    w2 = RNG.normal(size=(4, 3)).astype(np.float32)
    inits = {"W1": W1, "B1": B1, "W2": w2, "column": np.array([-1, 1])}
    nodes = [helper.make_node("Gemm", ["x", "W1", "B1"], ["z"]), helper.make_node("Tanh", ["z"], ["h"]),
             helper.make_node("MatMul", ["h", "W2"], ["z2"]),
             helper.make_node("Reshape", ["z2", "column"], ["y"], name="reshape_out")]
    path = _save(tmp_path, _graph(nodes, inits))
    with pytest.raises(NetworkFileError, match=r"node 'reshape_out' \(operator Reshape\): reshapes the 3 values each "
                                               r"sample has here to \[-1, 1\], which changes what the network gives.*"
                                               r"extract_model\('m.onnx', 'before_reshape.onnx', \['x'\], \['z2'\]\)"):
        import_model(path)
    # The way forward works: the tensor before the Reshape, kept by the call the message gives, imports.
    from onnx.utils import extract_model

    extract_model(str(path), str(tmp_path / "before_reshape.onnx"), ["x"], ["z2"])
    project = import_model(tmp_path / "before_reshape.onnx")
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(forward(project.network, x).output, np.tanh(x @ W1 + B1) @ w2, rtol=1e-5, atol=1e-6)
    nodes[-1] = helper.make_node("Dropout", ["z2", "", "on"], ["y"], name="dropout")  # training mode: random
    with pytest.raises(NetworkFileError, match="node 'dropout' .*not part of a dense network"):
        import_model(_save(tmp_path, _graph(nodes, {**inits, "on": np.array(True)})))


OFFSET = np.array([0.5, -2.0, 10.0], np.float32)
SCALE = np.array([2.0, 0.25, 8.0], np.float32)


def _normalised_graph(tmp_path, head, inits, elem=TensorProto.FLOAT, ml=False):
    """A graph whose first layer reads `n`, computed from `x` by the nodes `head`."""
    nodes = [*head, helper.make_node("Gemm", ["n", "W1", "B1"], ["z"]), helper.make_node("Tanh", ["z"], ["h"]),
             helper.make_node("Gemm", ["h", "W2", "B2"], ["y"])]
    kind = np.float64 if elem == TensorProto.DOUBLE else np.float32
    weights = {k: v.astype(kind) for k, v in {"W1": W1, "B1": B1, "W2": W2, "B2": B2}.items()}
    return _save(tmp_path, _graph(nodes, {**weights, **inits}, elem=elem, opset=17, ml=ml))


@pytest.mark.parametrize("form", ["export contract: Sub, Div", "Sub, Mul", "Scaler", "Sub alone", "Div alone",
                                  "one value for every input"])
def test_a_normalisation_before_the_first_layer_imports_as_the_projects(form, tmp_path):
    node = helper.make_node
    offset, scale = OFFSET.astype(np.float64), SCALE.astype(np.float64)
    if form.startswith("export contract"):  # what nnstudio's ONNX export writes (onnx_export._normalisation)
        head = [node("Sub", ["x", "normalise_offset"], ["c"]), node("Div", ["c", "normalise_scale"], ["n"])]
        inits = {"normalise_offset": OFFSET, "normalise_scale": SCALE}
    elif form == "Sub, Mul":
        head = [node("Sub", ["x", "o"], ["c"]), node("Mul", ["inverse", "c"], ["n"])]
        inits = {"o": OFFSET, "inverse": (1 / SCALE).astype(np.float32)}
        scale = 1 / (1 / SCALE).astype(np.float32).astype(np.float64)
    elif form == "Scaler":
        head = [node("Scaler", ["x"], ["n"], domain="ai.onnx.ml", offset=OFFSET.tolist(),
                     scale=(1 / SCALE).tolist())]
        inits = {}
        scale = 1 / (1 / SCALE).astype(np.float32).astype(np.float64)
    elif form == "Sub alone":
        head, inits, scale = [node("Sub", ["x", "o"], ["n"])], {"o": OFFSET}, np.ones(3)
    elif form == "Div alone":
        head, inits, offset = [node("Div", ["x", "s"], ["n"])], {"s": SCALE}, np.zeros(3)
    else:
        head = [node("Sub", ["x", "o"], ["c"]), node("Div", ["c", "s"], ["n"])]
        inits = {"o": np.array([1.5], np.float32), "s": np.array([[4.0]], np.float32)}
        offset, scale = np.full(3, 1.5), np.full(3, 4.0)
    project = import_model(_normalised_graph(tmp_path, head, inits, ml=form == "Scaler"))
    norm = project.normalisation
    assert norm["kind"] == "imported"
    np.testing.assert_allclose(norm["offset"], offset, rtol=1e-7)
    np.testing.assert_allclose(norm["scale"], scale, rtol=1e-7)
    x = RNG.normal(size=(5, 3)) * 4
    np.testing.assert_allclose(outputs_of(project, x), _reference((x - offset) / scale), rtol=1e-5, atol=1e-5)


def test_a_normalisation_survives_saving_the_imported_network(tmp_path, capsys):
    path = _normalised_graph(tmp_path, [helper.make_node("Sub", ["x", "o"], ["c"]),
                                        helper.make_node("Div", ["c", "s"], ["n"])], {"o": OFFSET, "s": SCALE})
    status, out, _ = cli(capsys, "import", str(path), "--out", str(tmp_path / "m.nnstudio"))
    assert status == 0 and "as the input normalisation (x − offset)/scale" in out
    saved = load_file_or_example(str(tmp_path / "m.nnstudio")).normalisation
    assert saved["kind"] == "imported"
    np.testing.assert_array_equal(saved["offset"], OFFSET)
    np.testing.assert_array_equal(saved["scale"], SCALE)
    # Training fits only the kinds it always did: "imported" is a file's kind, not a --normalise choice.
    status, _, err = cli(capsys, "train", str(tmp_path / "m.nnstudio"), "--dataset", "circles", "--normalise",
                         "imported", "--out", str(tmp_path / "t.nnstudio"))
    assert status == 2 and "invalid choice: 'imported'" in err


@pytest.mark.parametrize("head, inits, message", [
    ([helper.make_node("Scaler", ["x"], ["n"], name="scaler", domain="ai.onnx.ml", offset=[0.0, 0.0, 0.0],
                       scale=[1.0, 0.0, 2.0])], {},
     ("node 'scaler' (operator Scaler): its scale[1] is 0, which sends input 2 to one value whatever it is; nnstudio's "
      "normalisation (x − offset)/scale has no such form. The same network: give that input a scale of 1 here and 0 "
      "weights in the first layer")),
    ([helper.make_node("Div", ["x", "s"], ["n"], name="div")], {"s": np.array([1.0, 2.0, 0.0], np.float32)},
     "node 'div' (operator Div): its divisor[2] is 0"),
    ([helper.make_node("Mul", ["x", "s"], ["n"], name="mul")], {"s": np.array([1.0, -2.0, 1.0], np.float32)},
     "node 'mul' (operator Mul): the input normalisation they compute has a negative scale for input 2 (-0.5)"),
    ([helper.make_node("Sub", ["x", "o"], ["n"], name="sub")], {"o": np.ones(4, np.float32)},
     ("node 'sub' (operator Sub): its constant 'o' has shape (4,); an input normalisation has one value, or one per "
      "input (3)")),
    ([helper.make_node("Sub", ["o", "x"], ["n"], name="flip")], {"o": OFFSET},
     "node 'flip' (operator Sub): comes before the first dense layer, where only these are read"),
])
def test_a_normalisation_nnstudio_cannot_hold_is_refused_naming_the_node_and_the_way_forward(
        head, inits, message, tmp_path):
    with pytest.raises(NetworkFileError) as refused:
        import_model(_normalised_graph(tmp_path, head, inits, ml=head[0].op_type == "Scaler"))
    assert message in str(refused.value)


def test_the_cli_prints_what_the_import_left_out(tmp_path, capsys):
    status, out, _ = cli(capsys, "import", str(SKLEARN / "classifier2_relu.onnx"), "--out", str(tmp_path / "c.nnstudio"))
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith(f"saved {tmp_path / 'c.nnstudio'}: 8 inputs → 12 relu, 1 sigmoid; bce")
    assert lines[1:] == [
        ("  read output 'output_probability' before its ZipMap (which only pairs each probability with its class), "
         "as the tensor 'probabilities'"),
        ("  left out output 'output_label', the predicted class (ArgMax, ArrayFeatureExtractor, Reshape, Cast, Cast): "
         "it is the class of the largest probability"),
        ("  read the two-class form [1 − p, p] (Sub, Concat) as one sigmoid output p, the probability of class '1'; "
         "1 − p is left out")]
