"""Which built-in sets fit which network (data/catalogue.py), without loading a set and without Qt."""

import pytest

from nnstudio.core import build_network
from nnstudio.core.project import DataChoice, Project
from nnstudio.data.catalogue import CATALOGUE, XOR_NOTE, describe, fits, keep_choice, preferred
from nnstudio.data.image_sets import IMAGE_SETS
from nnstudio.data.named import load_named
from nnstudio.data.toy import TOY_SETS, toy


def net(sizes, output, hidden="tanh"):
    return build_network(sizes, [hidden] * (len(sizes) - 2) + [output], "xavier", seed=0)


def test_the_catalogue_names_every_built_in_set_and_their_points_are_the_loaded_ones():
    assert set(CATALOGUE) == set(IMAGE_SETS) | set(TOY_SETS)
    for name in TOY_SETS:
        data = toy(name)
        info = CATALOGUE[name]
        assert (len(data), data.n_features) == (info.points, info.features), name
        assert data.n_outputs == info.outputs, name
        assert (data.is_classification, len(data.classes or ())) == (bool(info.classes), info.classes), name
    assert CATALOGUE["xor"].points == 4 and CATALOGUE["mnist"].features == 784 and CATALOGUE["mnist"].classes == 10
    assert describe("function:sin(x1)+x2^2").features == 2 and describe("function:x1").classes == 0
    assert describe("my data.csv") is None


def test_xor_fits_two_inputs_with_one_sigmoid_or_identity_output_or_two_softmax_outputs():
    assert fits(net([2, 2, 1], "sigmoid"), "xor") is None
    assert fits(net([2, 2, 1], "identity"), "xor") is None
    assert fits(net([2, 2, 2], "softmax"), "xor") is None
    assert fits(net([2, 2, 1], "tanh"), "xor") == ("needs 1 output with sigmoid or identity, or 2 with softmax; "
                                                    "the network has 1 tanh output")
    assert fits(net([2, 2, 2], "sigmoid"), "xor") == ("needs 1 output with sigmoid or identity, or 2 with softmax; "
                                                       "the network has 2 sigmoid outputs")
    assert fits(net([4, 2, 1], "sigmoid"), "xor") == "needs 2 inputs; the network has 4"
    for two_class in ("product", "circles", "spirals"):
        assert fits(net([2, 5, 1], "sigmoid"), two_class) is None
        assert fits(net([2, 5, 3], "softmax"), two_class) is not None


def test_clusters_fit_only_three_softmax_outputs_and_mnist_ten():
    assert fits(net([2, 4, 3], "softmax"), "clusters") is None
    needs = "needs 3 outputs with softmax; the network has"
    assert fits(net([2, 4, 3], "sigmoid"), "clusters") == f"{needs} 3 sigmoid outputs"
    assert fits(net([2, 4, 1], "sigmoid"), "clusters") == f"{needs} 1 sigmoid output"
    assert fits(net([2, 4, 2], "softmax"), "clusters") is not None
    mnist = net([784, 16, 10], "softmax", hidden="relu")
    assert fits(mnist, "mnist") is None and fits(mnist, "fashion-mnist") is None
    assert fits(mnist, "xor") == "needs 2 inputs; the network has 784"
    assert fits(net([784, 16, 9], "softmax"), "mnist") == ("needs 10 outputs with softmax; "
                                                           "the network has 9 softmax outputs")


def test_regression_sets_need_one_output_per_target_whatever_its_activation():
    assert fits(net([1, 8, 1], "identity"), "quadratic") is None
    assert fits(net([1, 8, 1], "relu"), "quadratic") is None
    assert fits(net([1, 8, 2], "identity"), "quadratic") == "needs 1 output (regression); the network has 2"
    assert fits(net([2, 8, 1], "identity"), "quadratic") == "needs 1 input; the network has 2"
    assert fits(net([2, 8, 1], "tanh"), "function:sin(x1)+x2^2") is None
    assert fits(net([3, 8, 1], "tanh"), "function:x1") == "needs 2 inputs; the network has 3"


def test_a_csv_file_is_always_offered_and_an_empty_network_fits_no_set():
    assert fits(net([4, 2, 3], "sigmoid"), "data/iris.csv") is None
    assert fits(build_network([2], [], "xavier"), "xor") == "the network has no layers yet"


def test_the_choice_shown_is_the_saved_one_if_it_fits_else_the_usual_set_for_the_inputs():
    two_softmax = Project(net([2, 4, 2], "softmax"), loss="cce")
    assert preferred(two_softmax) == DataChoice("circles")
    spirals = DataChoice("spirals", test_fraction=0.4)
    assert preferred(two_softmax.replace(training_data=spirals)) == spirals
    # a saved set that no longer fits gives way to the usual one
    assert preferred(two_softmax.replace(training_data=DataChoice("clusters"))) == DataChoice("circles")
    assert preferred(Project(net([784, 8, 10], "softmax"))) == DataChoice("mnist")
    assert preferred(Project(net([4, 2, 3], "sigmoid"))) is None  # nothing built in fits: the form chooses


def test_new_network_keeps_a_choice_only_when_it_fits():
    new = Project(net([2, 4, 1], "sigmoid"), loss="bce")
    assert keep_choice(new, DataChoice("xor")).training_data == DataChoice("xor")
    assert keep_choice(new, DataChoice("clusters")) is new
    assert keep_choice(new, None) is new


def test_xor_trains_and_tests_on_all_four_points_whatever_the_test_part():
    split = load_named("xor", test_fraction=0.5)
    assert len(split.train) == len(split.test) == 4
    assert CATALOGUE["xor"].note == XOR_NOTE == "XOR trains and tests on all 4 points"


@pytest.mark.parametrize("fields, message", [
    (("",), "dataset: expected a name"),
    (("x" * 1001,), "dataset: holds 1,001 characters"),
    (("function:  ",), "dataset: function: needs a function"),
    (("xor\x1b[31m",), "dataset: holds the control character \\x1b at character 4"),
    (("mnist", "/data\n"), "folder: holds the control character \\x0a"),
    (("xor", "", 0.95), "test_fraction: expected a number from 0.05 to 0.9, got 0.95"),
    (("xor", "", float("nan")), "test_fraction: expected a number from 0.05 to 0.9"),
])
def test_a_data_choice_refuses_what_a_file_may_not_hold_by_field(fields, message):
    with pytest.raises(ValueError, match="training data: " + message.replace("\\", "\\\\").replace("(", "\\(")):
        DataChoice(*fields)
