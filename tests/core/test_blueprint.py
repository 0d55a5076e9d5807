"""The one builder behind File → New Network… and `nnstudio new`."""

import math

import numpy as np
import pytest

from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project, loss_after, parse_sizes, square_image


@pytest.mark.parametrize("text, sizes", [("2-3-1", [2, 3, 1]), ("784-128-10", [784, 128, 10]),
                                         ("784, 128, 10", [784, 128, 10]), (" 4 5 ", [4, 5]), ("3–2", [3, 2])])
def test_sizes_are_read_from_the_ways_people_write_them(text, sizes):
    assert parse_sizes(text) == sizes


@pytest.mark.parametrize("text, message", [
    ("", "type the layer sizes"), ("7", "7 is only the input"), ("2-x", "'x' is not a whole number"),
    ("2-0", "at least one neuron"), ("2-5000", "more than the 4,096 allowed"), ("2-1.5", "'1.5' is not"),
    ("-".join(["2"] * 200), "199 layers are more than the 128 allowed"),
])
def test_bad_sizes_are_refused_with_what_is_wrong(text, message):
    with pytest.raises(BlueprintError, match=message):
        parse_sizes(text)


@pytest.mark.parametrize("output, loss", [("softmax", "cce"), ("sigmoid", "bce"), ("identity", "mse"),
                                          ("relu", "mse"), ("tanh", "mse")])
def test_the_loss_pairs_with_the_output_activation_unless_chosen(output, loss):
    assert loss_after(output) == loss
    assert build_project(Blueprint((2, 3), (output,))).loss == loss
    assert build_project(Blueprint((2, 3), (output,), loss="mse")).loss == "mse"


def test_every_layer_gets_its_activation_and_bias_choice_and_biases_start_at_zero():
    project = build_project(Blueprint((2, 3, 1), ("relu", "relu"), (True, False), init="zeros"))
    hidden, output = project.network.layers
    assert (hidden.activation, output.activation) == ("relu", "relu")
    np.testing.assert_array_equal(hidden.bias, [0.0, 0.0, 0.0])
    assert output.bias is None
    np.testing.assert_array_equal(hidden.weights, np.zeros((3, 2)))


def test_a_constant_start_and_seeded_he_weights_are_what_they_say():
    constant = build_project(Blueprint((2, 2), ("identity",), init="constant", init_params={"value": 1 / math.sqrt(2)}))
    np.testing.assert_array_equal(constant.network.layers[0].weights, np.full((2, 2), 1 / math.sqrt(2)))
    he = build_project(Blueprint((4, 3, 2), ("relu", "softmax"), init="he", seed=7)).network
    rng = np.random.default_rng(7)  # He: normal, std √(2 / inputs), layer by layer, drawn from one generator
    np.testing.assert_array_equal(he.layers[0].weights, rng.normal(0.0, math.sqrt(2 / 4), (3, 4)))
    np.testing.assert_array_equal(he.layers[1].weights, rng.normal(0.0, math.sqrt(2 / 3), (2, 3)))
    xavier = build_project(Blueprint((30, 20), ("tanh",), init="xavier", seed=1)).network.layers[0].weights
    assert np.abs(xavier).max() <= math.sqrt(6 / 50) and xavier.std() > 0.5 * math.sqrt(6 / 50) / math.sqrt(3)


def test_an_image_input_needs_a_square_and_the_parameter_count_is_counted():
    assert square_image(784) == (28, 28) and square_image(15) is None and square_image(4) is None
    assert build_project(Blueprint((784, 10), ("softmax",), image=(28, 28))).input_image == (28, 28)
    with pytest.raises(BlueprintError, match="does not hold 784"):
        build_project(Blueprint((784, 10), ("softmax",), image=(27, 29)))
    assert Blueprint((2, 3, 1), ("relu", "relu"), (True, False)).parameter_count() == 2 * 3 + 3 + 3


@pytest.mark.parametrize("blueprint, message", [
    (Blueprint((2, 3), ("bogus",)), "layer 1: unknown activation 'bogus'"),
    (Blueprint((2, 3), ("relu",), loss="nope"), "unknown loss 'nope'"),
    (Blueprint((2, 3), ("relu",), init="constant", init_params={"value": math.inf}), "initial weights: value"),
    (Blueprint((2, 3, 4), ("relu",)), "2 layers need 2 activations"),
    (Blueprint((4096, 4096, 4096), ("relu", "relu")), "33,562,624 weights and biases; a network may hold at most"),
])
def test_a_blueprint_that_cannot_be_built_says_why(blueprint, message):
    with pytest.raises(BlueprintError, match=message):
        build_project(blueprint)
