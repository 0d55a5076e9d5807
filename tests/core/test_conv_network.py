"""Networks holding convolution and pooling layers: how they are built, chained, refused, run and updated.

The tiny network of issue 33's worked example (a 1×4×4 input, one 2×2 kernel, a 2×2 max pool, one dense
output) is worked out here by hand, term by term, not by calling the code; tests/core/test_conv_network_oracle.py
holds bigger random networks to PyTorch's autograd.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from nnstudio.core.errors import NNStudioError, ShapeError
from nnstudio.core.limits import MAX_ACTIVATIONS, MAX_LAYERS, MAX_PARAMETERS, check_spatial_network_size
from nnstudio.core.network import Conv2DLayer, DenseLayer, Network, Pool2DLayer
from nnstudio.core.optim import OptimizerConfig, OptimizerState, apply_update
from nnstudio.core.spatial_layers import as_maps, conv_out_shape, pool_out_shape
from nnstudio.core.trace import backward, forward, trace_loss

X = np.array([[1.0, 2.0, 0.0, 1.0],
              [0.0, 1.0, 3.0, 1.0],
              [2.0, 1.0, 0.0, 2.0],
              [1.0, 0.0, 1.0, 1.0]])
K = np.array([[1.0, 0.0],
              [-1.0, 2.0]])


def worked_example() -> Network:
    """1×4×4 → conv (one 2×2 kernel K, bias 0.5, ReLU) → 1×3×3 → 2×2 max pool → 1×1×1 → dense (w 0.5, b 0.25)."""
    conv = Conv2DLayer(K[None, None], np.array([0.5]), (1, 4, 4), activation="relu")
    pool = Pool2DLayer("max", (1, 3, 3), 2)
    out = DenseLayer(np.array([[0.5]]), np.array([0.25]))
    return Network(16, (conv, pool, out), (1, 4, 4))


def test_the_worked_example_by_hand():
    network = worked_example()
    assert network.sizes == [16, 9, 1, 1] and network.parameter_count == 4 + 1 + 1 + 1
    trace = forward(network, X.ravel())
    # z[i, j] = X[i, j]·1 + X[i, j+1]·0 + X[i+1, j]·(−1) + X[i+1, j+1]·2 + 0.5
    z = [[1 - 0 + 2 * 1 + 0.5, 2 - 1 + 2 * 3 + 0.5, 0 - 3 + 2 * 1 + 0.5],
         [0 - 2 + 2 * 1 + 0.5, 1 - 1 + 2 * 0 + 0.5, 3 - 0 + 2 * 2 + 0.5],
         [2 - 1 + 2 * 0 + 0.5, 1 - 0 + 2 * 1 + 0.5, 0 - 1 + 2 * 1 + 0.5]]
    assert z == [[3.5, 7.5, -0.5], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]
    assert trace.layers[0].z.tolist() == [v for row in z for v in row]  # flat, in (C, H, W) order
    assert as_maps(trace.layers[0].a, (1, 3, 3)).tolist() == [[[3.5, 7.5, 0.0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]]
    # the 2×2 pool takes one window (rows and columns 0–1: ⌊(3 − 2)/2⌋ + 1 = 1); its maximum 7.5 sits at (0, 1)
    assert trace.layers[1].a.tolist() == [7.5] and trace.layers[1].z is trace.layers[1].a
    assert trace.layers[1].argmax.tolist() == [[[0 * 3 + 1]]]
    assert trace.output.tolist() == [0.5 * 7.5 + 0.25] == [4.0]

    grads = backward(network, trace, [2.0], "mse")
    assert grads.loss == trace_loss(network, trace, [2.0], "mse") == 0.5 * (2.0 - 4.0) ** 2 == 2.0
    out, pool, conv = grads.layers[2], grads.layers[1], grads.layers[0]
    assert out.delta.tolist() == [4.0 - 2.0]  # ŷ − y
    assert out.grad_weights.tolist() == [[2.0 * 7.5]] and out.grad_bias.tolist() == [2.0]
    assert out.signal.tolist() == [0.5 * 2.0]  # wδ to the pooled value
    assert pool.delta.tolist() == [1.0] and pool.grad_weights is None and pool.grad_bias is None
    # the pool sends δ to the pixel its window chose, (0, 1); ReLU′(7.5) = 1 keeps it; every other pixel gets 0
    assert conv.delta.tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0]
    # ∂L/∂K[u, v] = Σ δ[i, j]·X[i + u, j + v] = X[u, 1 + v]; ∂L/∂b = Σ δ = 1
    assert conv.grad_weights.tolist() == [[[[X[0, 1], X[0, 2]], [X[1, 1], X[1, 2]]]]] == [[[[2, 0], [1, 3]]]]
    assert conv.grad_bias.tolist() == [1.0]
    # the signal to the input: δ[0, 1]·K placed at row 0, column 1
    assert as_maps(conv.signal, (1, 4, 4)).tolist() == [[[0, 1, 0, 0], [0, -1, 2, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]

    updated, _ = apply_update(network, grads, OptimizerConfig("sgd", learning_rate=0.1))
    new_conv, _, new_out = updated.layers
    np.testing.assert_allclose(new_conv.kernel, [[[[1 - 0.2, 0 - 0.0], [-1 - 0.1, 2 - 0.3]]]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_conv.bias, [0.5 - 0.1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_out.weights, [[0.5 - 1.5]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_out.bias, [0.25 - 0.2], rtol=0, atol=1e-15)
    assert updated.input_shape == (1, 4, 4) and isinstance(updated.layers[1], Pool2DLayer)
    assert network.layers[0].kernel.tolist() == [[K.tolist()]]  # the old network is untouched


def _mixed(dtype: type = np.float64) -> Network:
    rng = np.random.default_rng(5)
    conv = Conv2DLayer(rng.normal(size=(3, 2, 3, 3)).astype(dtype), rng.normal(size=3), (2, 7, 6), stride=2, pad=1,
                       activation="tanh")
    pool = Pool2DLayer("avg", conv.out_shape, 2, 1)
    dense = DenseLayer(rng.normal(size=(4, pool.n_out)).astype(dtype), np.zeros(4, dtype=dtype), "softmax")
    return Network(2 * 7 * 6, (conv, pool, dense), (2, 7, 6))


def test_shapes_sizes_and_parameters():
    network = _mixed()
    conv, pool, dense = network.layers
    assert conv.out_shape == (3, 4, 3) == conv_out_shape((2, 7, 6), 3, 3, 2, 1)  # ⌊(7 + 2 − 3)/2⌋ + 1 = 4
    assert pool.out_shape == (3, 3, 2) == pool_out_shape((3, 4, 3), 2, 1) and pool.stride == 1
    assert (conv.n_in, conv.n_out, pool.n_out, dense.n_in) == (84, 36, 18, 18)
    assert network.sizes == [84, 36, 18, 4] and network.output_size == 4 and network.is_spatial
    assert network.parameter_count == 3 * 2 * 9 + 3 + 4 * 18 + 4
    assert pool.parameters() == (None, None) and pool.parameter_count == 0 and not pool.has_bias
    assert Pool2DLayer("max", (1, 4, 4), 2).stride == 2  # stride defaults to the size
    assert not Network(3, (DenseLayer(np.ones((2, 3)), None),)).is_spatial


def test_one_sample_maps_and_batches_agree():
    network = _mixed()
    x = np.random.default_rng(1).integers(-2, 3, size=(3, 2, 7, 6)).astype(float)
    batch = forward(network, x.reshape(3, -1))
    as_maps_input = forward(network, x)  # maps (B, C, H, W) are read in (C, H, W) order
    one = forward(network, x[1].ravel())
    np.testing.assert_array_equal(batch.output, as_maps_input.output)
    np.testing.assert_allclose(one.output, batch.output[1], rtol=0, atol=1e-15)
    assert one.layers[0].z.shape == (36,) and batch.layers[0].z.shape == (3, 36)
    y = np.eye(4)[[0, 2, 3]]
    g_one = backward(network, one, y[1], "cce")
    g_all = backward(network, batch, y, "cce")
    assert g_one.layers[0].delta.shape == (36,) and g_all.layers[0].delta.shape == (3, 36)
    assert g_one.layers[0].grad_weights.shape == (3, 2, 3, 3) and g_one.layers[0].signal.shape == (84,)
    g_batch_of_one = backward(network, forward(network, x[1:2].reshape(1, -1)), y[1:2], "cce")
    for a, b in zip(g_one.layers, g_batch_of_one.layers):
        np.testing.assert_allclose(a.delta, b.delta[0], rtol=0, atol=1e-15)
        assert (a.grad_bias is None) == (b.grad_bias is None) == (a.grad_weights is None)  # the pool has neither
        if a.grad_bias is not None:
            np.testing.assert_allclose(a.grad_bias, b.grad_bias, rtol=0, atol=1e-15)
            np.testing.assert_allclose(a.grad_weights, b.grad_weights, rtol=0, atol=1e-15)
    for step in batch.layers:  # a trace is read-only, as for dense networks
        assert not step.z.flags.writeable and not step.a.flags.writeable


def test_finite_differences_agree_with_the_kernel_gradient():
    network = _mixed()
    x = np.random.default_rng(2).normal(size=(2, 84))
    y = np.eye(4)[[1, 3]]
    grads = backward(network, forward(network, x), y, "cce")
    kernel = network.layers[0].kernel
    for index in [(0, 0, 0, 0), (1, 1, 2, 1), (2, 0, 1, 2)]:
        moved = []
        for h in (1e-6, -1e-6):
            k = kernel.copy()
            k[index] += h
            net = network.with_layer(0, network.layers[0].replace(kernel=k))
            moved.append(trace_loss(net, forward(net, x), y, "cce"))
        assert abs((moved[0] - moved[1]) / 2e-6 - grads.layers[0].grad_weights[index]) < 1e-7


def test_float32_runs_in_float32_and_round_trips():
    network = _mixed().astype("float32")
    assert network.dtype == np.float32 and network.layers[0].kernel.dtype == np.float32
    trace = forward(network, np.ones(84))
    grads = backward(network, trace, np.eye(4)[0], "cce")
    assert trace.output.dtype == np.float32 and grads.layers[0].grad_weights.dtype == np.float32
    assert network.astype("float64").same_as(_mixed().astype("float32").astype("float64"))


def test_pickling_same_as_and_with_layers_keep_the_input_shape():
    network = _mixed()
    copy = pickle.loads(pickle.dumps(network))
    assert copy.same_as(network) and copy.input_shape == (2, 7, 6)
    assert not copy.layers[0].kernel.flags.writeable
    assert network.with_layers(network.layers).input_shape == (2, 7, 6)
    other = network.with_layer(1, Pool2DLayer("max", (3, 4, 3), 2, 1))
    assert not other.same_as(network) and other.layers[1].kind == "max"
    assert not network.same_as(Network(84, network.layers[:0]))
    assert not network.layers[0].same_as(network.layers[2]) and not network.layers[2].same_as(network.layers[0])


def test_dense_layers_offer_their_parameters_the_same_way():
    layer = DenseLayer(np.ones((2, 3)), np.zeros(2), weight_text={(0, 0): "1"})
    weights, bias = layer.parameters()
    assert weights is layer.weights and bias is layer.bias and layer.parameter_count == 8
    moved = layer.with_parameters(weights * 2, None)
    assert moved.weights.tolist() == [[2.0] * 3] * 2 and moved.bias is None and moved.weight_text == {}


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_every_optimizer_updates_kernels_and_passes_over_pooling(optimizer):
    network = _mixed()
    x = np.random.default_rng(3).normal(size=(2, 84))
    grads = backward(network, forward(network, x), np.eye(4)[[0, 1]], "cce")
    config = OptimizerConfig(optimizer, learning_rate=0.05, l2=0.1)
    updated, state = apply_update(network, grads, config)
    assert len(state.first) == 2 * len(network.layers) and state.first[2] is None and state.first[3] is None
    if optimizer == "sgd":  # L2 on the kernel (as on W), not on the bias
        expected = network.layers[0].kernel - 0.05 * (grads.layers[0].grad_weights + 0.1 * network.layers[0].kernel)
        np.testing.assert_allclose(updated.layers[0].kernel, expected, rtol=0, atol=1e-15)
        np.testing.assert_allclose(updated.layers[0].bias, network.layers[0].bias - 0.05 * grads.layers[0].grad_bias,
                                   rtol=0, atol=1e-15)
    again, _ = apply_update(updated, grads, config, state)
    assert again.layers[1].same_as(network.layers[1]) and again.input_shape == network.input_shape


def test_an_update_that_overflows_names_the_kernel():
    network = _mixed()
    grads = backward(network, forward(network, np.ones(84)), np.eye(4)[0], "cce")
    with pytest.raises(NNStudioError, match=r"would make K1 infinite or NaN"):
        apply_update(network, grads, OptimizerConfig("sgd", learning_rate=1e308))


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2DLayer(np.ones((2, 3, 3, 3)), None, (2, 5, 5)),
     r"the kernel reads 3 channel\(s\) \(kernel 2×3×3×3\) but the input maps 2×5×5 have 2"),
    (lambda: Conv2DLayer(np.ones((1, 1, 5, 5)), None, (1, 3, 4), pad=0),
     r"kernel size 5 is larger than the padded height: 3 \+ 2·0 = 3"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 3, 3), stride=0), r"stride must be a whole number ≥ 1, got 0"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 3, 3), stride=-2), r"stride must be a whole number ≥ 1"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 3, 3), pad=-1), r"padding must be a whole number ≥ 0"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 3, 3), pad=10_000), r"pad 10000 is larger than any map"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 3, 3), stride=1.5), r"stride must be a whole number, got 1.5"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 3)), None, (1, 3, 3)), r"kernel must be a square float array \(K, C, k, k\)"),
    (lambda: Conv2DLayer(np.ones((1, 2, 2)), None, (1, 3, 3)), r"kernel must be a square float array"),
    (lambda: Conv2DLayer(np.ones((2, 1, 2, 2)), np.ones(3), (1, 3, 3)), r"one value per output channel, shape \(2,\)"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 3, 3), activation="softmax"),
     r"softmax is only for a flat output \(a dense layer\)"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 0, 3)), r"input maps: height must be a whole number from 1"),
    (lambda: Conv2DLayer(np.ones((1, 1, 2, 2)), None, (1, 3)), r"input maps must be \(channels, height, width\)"),
    (lambda: Pool2DLayer("median", (1, 4, 4), 2), r"pooling kind must be one of max, avg, got 'median'"),
    (lambda: Pool2DLayer("max", (1, 4, 3), 4), r"pool size 4 is larger than the width: 3"),
    (lambda: Pool2DLayer("avg", (1, 4, 4), 2, 0), r"pool stride must be a whole number from 1 to 4096, got 0"),
    (lambda: Pool2DLayer("avg", (1, 4, 4), True), r"pool size must be a whole number"),
])
def test_layers_that_cannot_work_are_refused_with_their_numbers(make, message):
    with pytest.raises(ShapeError, match=message):
        make()


def test_layers_that_do_not_chain_are_refused_by_layer():
    conv = Conv2DLayer(np.ones((2, 1, 3, 3)), None, (1, 5, 5))  # gives 2×3×3
    with pytest.raises(ShapeError, match=r"layer 1 \(convolution\) reads maps 1×5×5 but the network has no input "
                                         r"shape"):
        Network(25, (conv,))
    with pytest.raises(ShapeError, match=r"layer 1 \(convolution\) reads maps 1×5×5 but the network's input gives "
                                         r"1×1×25"):
        Network(25, (conv,), (1, 1, 25))
    with pytest.raises(ShapeError, match=r"layer 2 \(pooling\) reads maps 2×4×4 but the layer before it gives 2×3×3"):
        Network(25, (conv, Pool2DLayer("max", (2, 4, 4), 2)), (1, 5, 5))
    with pytest.raises(ShapeError, match=r"layer 2 \(pooling\) reads maps but follows a dense layer"):
        Network(25, (DenseLayer(np.ones((4, 25)), None), Pool2DLayer("max", (1, 2, 2), 2)), (1, 5, 5))
    with pytest.raises(ShapeError, match=r"layer 2 takes 9 inputs but the layer before it gives 2×3×3 = 18 values "
                                         r"\(its maps flattened\)"):
        Network(25, (conv, DenseLayer(np.ones((1, 9)), None)), (1, 5, 5))
    with pytest.raises(ShapeError, match=r"input shape 1×5×4 holds 20 values but the input size is 25"):
        Network(25, (conv,), (1, 5, 4))
    with pytest.raises(ShapeError, match=r"input shape must be \(channels, height, width\)"):
        Network(25, (conv,), (25,))
    with pytest.raises(ShapeError, match=r"layer 1 takes 3 inputs but the layer before it gives 2"):
        Network(2, (DenseLayer(np.ones((1, 3)), None),))  # dense networks: the message they always had


def test_activations_per_sample_over_the_budget_are_refused_before_any_map_exists():
    # a 1×1 input padded by 2,000 on every side gives one 4,001×4,001 map: 16 million values, never allocated
    wide = Conv2DLayer(np.ones((1, 1, 1, 1)), None, (1, 1, 1), pad=2000)
    assert wide.n_out == 4001 * 4001
    with pytest.raises(ShapeError, match=r"1 → 1×4001×4001 gives 16,008,002 values per sample \(its input and every "
                                         r"layer's maps\); a network may give at most 2,097,152"):
        Network(1, (wide,), (1, 1, 1))
    many = Conv2DLayer(np.ones((512, 1, 1, 1)), None, (1, 64, 64))  # 512×64×64 = 2²¹, plus the input's 4,096
    with pytest.raises(ShapeError, match=r"gives 2,101,248 values per sample"):
        Network(4096, (many,), (1, 64, 64))
    assert MAX_ACTIVATIONS == 2**21
    Network(4096, (Conv2DLayer(np.ones((511, 1, 1, 1)), None, (1, 64, 64)),), (1, 64, 64))  # within it
    # LeNet's first layer gives 6×28×28 = 4,704 values, more than a dense layer's 4,096 neurons: allowed
    lenet = Conv2DLayer(np.zeros((6, 1, 5, 5)), np.zeros(6), (1, 28, 28), pad=2, activation="relu")
    assert Network(784, (lenet,), (1, 28, 28)).sizes == [784, 4704]


def test_layers_and_parameters_over_the_budget_are_refused():
    pools = tuple(Pool2DLayer("max", (1, 2, 2), 1) for _ in range(MAX_LAYERS + 1))
    with pytest.raises(ShapeError, match=rf"{MAX_LAYERS + 1} layers; a network may have at most {MAX_LAYERS}"):
        Network(4, pools, (1, 2, 2))
    with pytest.raises(ShapeError, match=r"1×28×28 → 4096×1×1 would hold 9,000,000 weights, kernel values and "
                                         r"biases; a network may hold at most 8,388,608"):
        check_spatial_network_size(1, 9_000_000, 5000, "1×28×28 → 4096×1×1")
    check_spatial_network_size(MAX_LAYERS, MAX_PARAMETERS, MAX_ACTIVATIONS, "at every limit")


def test_a_network_of_pooling_alone_holds_no_numbers_and_computes_in_float64():
    network = Network(16, (Pool2DLayer("avg", (1, 4, 4), 2),), (1, 4, 4))
    assert network.dtype == np.float64 and network.parameter_count == 0
    trace = forward(network, X[None])  # one sample as its maps (C, H, W)
    assert trace.output.tolist() == [(1 + 2 + 0 + 1) / 4, (0 + 1 + 3 + 1) / 4, (2 + 1 + 1 + 0) / 4,
                                     (0 + 2 + 1 + 1) / 4]
    grads = backward(network, trace, [0, 0, 0, 0], "mse")
    assert as_maps(grads.layers[0].signal, (1, 4, 4))[0, 0].tolist() == [1 / 4, 1 / 4, 1.25 / 4, 1.25 / 4]
    updated, state = apply_update(network, grads, OptimizerConfig("adam"), OptimizerState())
    assert updated.same_as(network) and state.first == (None, None)


def test_maps_of_the_wrong_size_are_refused_by_name():
    with pytest.raises(ShapeError, match=r"input: expected 84 values per sample"):
        forward(_mixed(), np.ones((2, 6, 7)))
    with pytest.raises(ShapeError, match=r"5 values per sample are not maps of 1×2×2"):
        as_maps(np.ones(5), (1, 2, 2))


def test_maps_may_hold_more_values_than_a_layer_has_neurons_and_a_dense_layer_reads_them_all():
    # a 3×224×224 picture is 150,528 values, averaged to 3×112×112 = 37,632 that one dense layer reads
    pool = Pool2DLayer("avg", (3, 224, 224), 2)
    dense = DenseLayer(np.full((2, 37_632), 1e-3), None)
    network = Network(150_528, (pool, dense), (3, 224, 224))
    assert network.sizes == [150_528, 37_632, 2]
    assert forward(network, np.ones(150_528)).output.tolist() == pytest.approx([37.632, 37.632])
    # where the inputs are neurons (no input shape, or only dense layers) MAX_SIZE still holds, as it always did
    with pytest.raises(ShapeError, match=r"input size must be a whole number from 1 to 4096, got 37632"):
        Network(37_632, (dense,))
    with pytest.raises(ShapeError, match=r"input size must be a whole number from 1 to 4096, got 37632"):
        Network(37_632, (dense,), (3, 112, 112))
    with pytest.raises(ShapeError, match=r"input size must be a whole number from 1 to 2097152, got 4194304"):
        Network(4_194_304, (), (1, 2048, 2048))


def test_zero_gradients_read_0_not_minus_0_and_overflow_shows_as_inf():
    # every z < 0 under ReLU: δ is 0 everywhere, and 0·(−x) would be −0.0 in ∂L/∂K without the core's care
    conv = Conv2DLayer(np.full((1, 1, 2, 2), -1.0), np.array([-10.0]), (1, 3, 3), activation="relu")
    network = Network(9, (conv, DenseLayer(np.ones((1, 4)), None)), (1, 3, 3))
    grads = backward(network, forward(network, -np.arange(9.0)), [1.0], "mse")
    for g in grads.layers:
        for values in (g.delta, g.grad_weights, g.signal):
            assert not np.any(np.signbit(values[values == 0]))
    huge = network.with_layer(0, conv.replace(kernel=np.full((1, 1, 2, 2), 1e308), bias=None))
    assert np.isinf(forward(huge, np.full(9, 10.0)).output).all()  # no numpy warning, an honest inf
