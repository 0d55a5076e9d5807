"""A Network built from the one-line notation (core/architecture_build.py): LeNet's shapes and parameters worked
out by hand, seeded kernels drawn with a convolution's fan-in, plain sizes built exactly as before, and every
refusal (a pooling layer's bias, softmax on maps, the budget) named before anything is drawn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.core import Conv2DLayer, DenseLayer, Pool2DLayer, architecture_build
from nnstudio.core.architecture import architecture_text, parse_architecture
from nnstudio.core.architecture_build import architecture_of, bias_choices, build_from_architecture, describe_shapes
from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project
from nnstudio.core.trace import forward

LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


def test_lenet_builds_with_the_shapes_and_parameters_worked_out_by_hand():
    network = build_from_architecture(parse_architecture(LENET), seed=7)
    kinds = [type(layer) for layer in network.layers]
    assert kinds == [Conv2DLayer, Pool2DLayer, Conv2DLayer, Pool2DLayer, DenseLayer, DenseLayer, DenseLayer]
    conv1, pool1, conv2, pool2, dense1, dense2, dense3 = network.layers
    assert network.input_shape == (1, 28, 28) and network.input_size == 784
    assert conv1.kernel.shape == (6, 1, 5, 5) and conv1.pad == 2 and conv1.out_shape == (6, 28, 28)
    assert (pool1.kind, pool1.size, pool1.stride, pool1.out_shape) == ("max", 2, 2, (6, 14, 14))
    assert conv2.kernel.shape == (16, 6, 5, 5) and conv2.pad == 0 and conv2.out_shape == (16, 10, 10)
    assert pool2.out_shape == (16, 5, 5)
    assert [layer.weights.shape for layer in (dense1, dense2, dense3)] == [(120, 400), (84, 120), (10, 84)]
    # c6k5p2: 6·1·25 + 6 = 156; c16k5: 16·6·25 + 16 = 2,416; 400·120 + 120 = 48,120; 120·84 + 84 = 10,164;
    # 84·10 + 10 = 850
    assert [layer.parameter_count for layer in network.layers] == [156, 0, 2416, 0, 48120, 10164, 850]
    assert network.parameter_count == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert [layer.activation for layer in network.layers] == ["relu", "identity", "relu", "identity", "relu",
                                                              "relu", "softmax"]
    for layer in (conv1, conv2, dense1, dense2, dense3):  # biases start at zero, one per channel or neuron
        assert layer.bias is not None and not layer.bias.any()
    output = forward(network, np.random.default_rng(0).uniform(size=784)).output
    assert output.shape == (10,) and math.isclose(output.sum(), 1.0)


def test_the_same_seed_draws_the_same_kernels_bit_for_bit_and_another_seed_others():
    arch = parse_architecture(LENET)
    first, again, other = (build_from_architecture(arch, seed=seed) for seed in (3, 3, 4))
    assert first.same_as(again)
    assert first.layers[0].kernel.tobytes() == again.layers[0].kernel.tobytes()
    assert not np.array_equal(first.layers[0].kernel, other.layers[0].kernel)


def test_he_kernels_have_variance_two_over_the_fan_in_c_k_squared():
    # 64 kernels over 32 channels of 5×5: fan-in 32·25 = 800, 51,200 values; He's variance 2/800 = 0.0025.
    # The sample variance of n normal values has a standard error of σ²·√(2/n) = 0.0025 · 0.00625: 3% is 5 of
    # them.
    kernel = build_from_architecture(parse_architecture("32x9x9-c64k5"), output="relu", seed=1).layers[0].kernel
    assert kernel.shape == (64, 32, 5, 5)
    assert kernel.var() == pytest.approx(2 / 800, rel=0.03)
    assert abs(kernel.mean()) < 3 * math.sqrt(2 / 800 / kernel.size)


def test_xavier_kernels_stay_within_the_limit_of_fan_in_plus_fan_out():
    # fan-in 32·9 = 288, fan-out 64·9 = 576: limit √(6/864) ≈ 0.0833; uniform variance limit²/3 = 6/864/3
    kernel = build_from_architecture(parse_architecture("32x9x9-c64k3"), "tanh", "tanh", "xavier", 2).layers[0].kernel
    limit = math.sqrt(6 / (288 + 576))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.99 * limit
    assert kernel.var() == pytest.approx(limit**2 / 3, rel=0.03)


@pytest.mark.parametrize("sizes, hidden, output, init", [
    ("2-3-1", "relu", "sigmoid", "he"), ("784-128-10", "relu", "softmax", "he"),
    ("4-8-8-3", "tanh", "identity", "xavier"), ("3-5-2", "sigmoid", "softmax", "normal"),
])
def test_plain_sizes_build_exactly_what_the_blueprint_builds(sizes, hidden, output, init):
    built = build_from_architecture(parse_architecture(sizes), hidden, output, init, seed=11)
    blueprint = build_project(Blueprint.simple(sizes, hidden, output, init=init, seed=11)).network
    assert built.same_as(blueprint) and built.input_shape is None


def test_no_bias_numbers_count_pooling_layers_and_a_pooling_number_is_refused_by_name():
    arch = parse_architecture(LENET)
    assert bias_choices(arch, {3, 7}) == [True, False, False, False, True, True, False]
    network = build_from_architecture(arch, no_bias={3, 7})
    assert network.layers[2].bias is None and network.layers[6].bias is None and network.layers[0].bias is not None
    assert network.parameter_count == 61706 - 16 - 10
    with pytest.raises(BlueprintError, match=r"^layer 2 is a pooling layer \(m2\), which has no bias to drop$"):
        build_from_architecture(arch, no_bias={2})
    with pytest.raises(BlueprintError, match=r"from 1 to 7 \(pooling layers count\), got 8"):
        build_from_architecture(arch, no_bias={8})
    with pytest.raises(BlueprintError, match="got 0"):
        build_from_architecture(arch, no_bias={0})


def test_softmax_is_refused_on_maps_and_pooling_takes_no_output_activation():
    with pytest.raises(BlueprintError, match=r"softmax is only for a flat output, and 1x8x8-c2k3 ends in maps "
                                             r"\(convolution, 2×6×6\)"):
        build_from_architecture(parse_architecture("1x8x8-c2k3"))
    with pytest.raises(BlueprintError, match=r"the last layer is pooling \(m2\), which has no activation"):
        build_from_architecture(parse_architecture("1x8x8-c2k3-m2"), output="sigmoid")
    with pytest.raises(BlueprintError, match=r"layer 1 \(convolution c2k3\): softmax is only for a flat output"):
        build_from_architecture(parse_architecture("1x8x8-c2k3-4"), hidden="softmax")
    ends_in_maps = build_from_architecture(parse_architecture("1x8x8-c2k3-m2"), output="identity")
    assert ends_in_maps.output_size == 2 * 3 * 3 and ends_in_maps.layers[0].activation == "relu"
    with pytest.raises(BlueprintError, match="unknown activation|activation"):
        build_from_architecture(parse_architecture("1x8x8-c2k3-4"), hidden="nope")


def test_the_parameter_budget_is_checked_before_anything_is_drawn(monkeypatch):
    drawn = []
    monkeypatch.setattr(architecture_build, "initial_kernel", lambda *args: drawn.append(args))
    arch = parse_architecture("512x8x8-c4096k3")  # 4096·512·9 + 4096 = 18,878,464 kernel values and biases
    assert describe_shapes(arch) == "512×8×8 → 4096×6×6"
    with pytest.raises(BlueprintError, match=r"^512×8×8 → 4096×6×6 would hold 18,878,464 weights, kernel values"):
        build_from_architecture(arch, output="relu")
    assert drawn == []


def test_float32_is_built_in_float32_and_an_unknown_precision_is_refused():
    network = build_from_architecture(parse_architecture("1x6x6-c2k3-a2-3"), dtype="float32")
    assert network.dtype == np.float32 and network.layers[0].kernel.dtype == np.float32
    assert build_from_architecture(parse_architecture("2-3-1"), dtype="float32").dtype == np.float32
    with pytest.raises(BlueprintError, match="precision must be one of float64, float32"):
        build_from_architecture(parse_architecture("2-3-1"), dtype="float16")


@pytest.mark.parametrize("text", ["1x28x28-c6k5p2-m2-c16k5-m2-120-84-10", "3x12x12-c4k3s2p1-a2-c5k2-m2s1-6-3",
                                  "2x6x6-c3k3p1-m2", "784-32-10"])
def test_a_built_network_says_the_notation_it_was_built_from(text):
    arch = parse_architecture(text)
    assert architecture_of(build_from_architecture(arch, output="identity")) == arch
    assert architecture_text(architecture_of(build_from_architecture(arch, output="identity"))) == text
