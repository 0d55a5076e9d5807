"""A clicked map pixel's arithmetic: the detail view's numbers against loops written here and the trace.

LeNet on a seeded random image: every partial sum is recomputed with explicit loops over the kernel cells, z must
equal the trace's z at the pixel, and the pixel shares of ∂L/∂K and of the pooling's δ must add up to the
backward pass's. conv-4x4's numbers are docs/conv-worked-example.md's, written by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.conv_detail import (
    ConvDetail,
    PoolDetail,
    conv_detail,
    pixel_detail,
    pool_detail,
)
from nnstudio.core.errors import ShapeError
from nnstudio.core.network import Conv2DLayer, Network, Pool2DLayer
from nnstudio.core.spatial_layers import as_maps
from nnstudio.core.trace import backward, forward
from nnstudio.io.examples import load_example

X = [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]]  # conv-worked-example.md's input


@pytest.fixture(scope="module")
def lenet_run():
    network = build_from_architecture(parse_architecture("1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"), seed=0)
    image = np.random.default_rng(7).random(784)
    trace = forward(network, image)
    target = np.eye(10)[3]
    return network, trace, backward(network, trace, target, "cce")


def loop_partial(layer: Conv2DLayer, maps: np.ndarray, o: int, c: int, i: int, j: int) -> float:
    """Σ_u Σ_v K[o, c, u, v]·x[c, i·s − p + u, j·s − p + v], a padding cell counting 0: the textbook sum."""
    total = 0.0
    for u in range(layer.k):
        for v in range(layer.k):
            row, col = i * layer.stride - layer.pad + u, j * layer.stride - layer.pad + v
            if 0 <= row < maps.shape[1] and 0 <= col < maps.shape[2]:
                total += layer.kernel[o, c, u, v] * maps[c, row, col]
    return total


@pytest.mark.parametrize("number, pixel", [(1, (0, 0, 0)), (1, (5, 0, 27)), (1, (2, 13, 5)), (3, (0, 0, 0)),
                                           (3, (15, 9, 4)), (3, (7, 3, 8))])
def test_lenet_convolution_pixels_against_loops_and_the_trace(lenet_run, number, pixel):
    network, trace, grads = lenet_run
    layer = network.layers[number - 1]
    step = trace.layers[number - 1]
    maps = as_maps(step.a_prev, layer.in_shape)
    detail = pixel_detail(network, trace, number, pixel, grads)
    assert isinstance(detail, ConvDetail)
    o, i, j = pixel
    assert [part.channel for part in detail.parts] == list(range(layer.in_shape[0]))
    for part in detail.parts:
        assert part.partial == pytest.approx(loop_partial(layer, maps, o, part.channel, i, j), abs=1e-12)
        assert part.kernel.tolist() == layer.kernel[o, part.channel].tolist()
        np.testing.assert_array_equal(part.products, part.kernel * part.window)
    assert detail.total == pytest.approx(sum(part.partial for part in detail.parts), abs=1e-12)
    assert detail.bias == layer.bias[o] and detail.z == pytest.approx(detail.total + detail.bias, abs=1e-15)
    flat = np.ravel_multi_index(pixel, layer.out_shape)
    assert abs(detail.z - step.z[flat]) <= 1e-12  # the trace's z at that pixel
    assert abs(detail.a - step.a[flat]) <= 1e-12 and detail.activation == "relu"
    assert detail.delta == grads.layers[number - 1].delta[flat]
    np.testing.assert_array_equal(detail.grad_kernel, detail.delta * np.stack([p.window for p in detail.parts]))
    assert not np.signbit(detail.signal[detail.signal == 0]).any()  # no "−0" on a padding cell


def test_lenet_padding_cells_are_zeros_in_the_window(lenet_run):
    network, trace, _ = lenet_run
    # layer 1 pixel (5, 0, 27) reads rows −2…2, columns 25…29 of the 28×28 image: rows −2, −1 and columns 28, 29
    # are padding
    detail = pixel_detail(network, trace, 1, (5, 0, 27))
    image = trace.input.reshape(28, 28)
    window = detail.parts[0].window
    assert (window[:2] == 0).all() and (window[:, 3:] == 0).all()
    assert window[2:, :3].tolist() == image[0:3, 25:28].tolist()
    assert detail.window.inside[2:, :3].all() and not detail.window.inside[:2].any()


def test_lenet_pixel_shares_add_up_to_the_backward_pass(lenet_run):
    network, trace, grads = lenet_run
    # ∂L/∂K[o] of layer 3 is the sum over every pixel of map o of δ·window; ∂L/∂b[o] the sum of δ
    o = 11
    details = [pixel_detail(network, trace, 3, (o, i, j), grads) for i in range(10) for j in range(10)]
    np.testing.assert_allclose(sum(d.grad_kernel for d in details), grads.layers[2].grad_weights[o],
                               rtol=0, atol=1e-12)
    assert sum(d.delta for d in details) == pytest.approx(grads.layers[2].grad_bias[o], abs=1e-12)
    # the signal to the pooled maps is each pixel's δ·K[o] laid on its window, summed over pixels and channels
    signal = np.zeros((6, 14, 14))
    for o in range(16):
        for i in range(10):
            for j in range(10):
                signal[:, i:i + 5, j:j + 5] += pixel_detail(network, trace, 3, (o, i, j), grads).signal
    np.testing.assert_allclose(signal.ravel(), grads.layers[2].signal, rtol=0, atol=1e-12)


@pytest.mark.parametrize("number", [2, 4])
def test_lenet_max_pool_pixels_pick_the_first_maximum(lenet_run, number):
    network, trace, grads = lenet_run
    layer = network.layers[number - 1]
    step = trace.layers[number - 1]
    maps = as_maps(step.a_prev, layer.in_shape)
    back = np.zeros(layer.in_shape)
    for flat in range(layer.n_out):
        c, i, j = np.unravel_index(flat, layer.out_shape)
        detail = pixel_detail(network, trace, number, (int(c), int(i), int(j)), grads)
        assert isinstance(detail, PoolDetail) and detail.kind == "max"
        assert detail.values.tolist() == maps[c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].tolist()
        assert detail.value == step.a[flat] == detail.values.max()
        row, col = detail.chosen_pixel
        assert row * layer.in_shape[2] + col == step.argmax[c, i, j]  # the trace's choice
        assert detail.delta_back.sum() == detail.delta == grads.layers[number - 1].delta[flat]
        back[c, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += detail.delta_back
    assert back.ravel().tolist() == grads.layers[number - 1].signal.tolist()  # where δ went, every pixel


def test_conv_4x4_by_hand():
    network = load_example("conv-4x4").network
    trace = forward(network, np.array(X, float).ravel())
    grads = backward(network, trace, [2.0], "mse")
    conv = pixel_detail(network, trace, 1, (0, 0, 1), grads)
    # z[0, 1] = 1·2 + 0·0 + (−1)·1 + 2·3 + 0.5 = 7.5: the window at row 0, column 1 is [[2, 0], [1, 3]]
    (part,) = conv.parts
    assert part.window.tolist() == [[2, 0], [1, 3]] and part.kernel.tolist() == [[1, 0], [-1, 2]]
    assert part.products.tolist() == [[2, 0], [-1, 6]] and part.partial == 7.0
    assert (conv.total, conv.bias, conv.z, conv.a) == (7.0, 0.5, 7.5, 7.5)
    # δ[0, 1] = 1 (the pool sent its whole δ there); its share of ∂L/∂k is 1·window, all of ∂L/∂k = [[2, 0], [1, 3]]
    assert conv.delta == 1.0 and conv.grad_kernel.tolist() == [[[2, 0], [1, 3]]]
    assert conv.signal.tolist() == [[[1, 0], [-1, 2]]]  # δ·k laid on the window: the signal to the input
    # z[0, 2] = 1·0 + 0·1 + (−1)·3 + 2·1 + 0.5 = −0.5, and ReLU gives 0; δ there is 0
    off = pixel_detail(network, trace, 1, (0, 0, 2), grads)
    assert (off.z, off.a, off.delta) == (-0.5, 0.0, 0.0) and off.grad_kernel.tolist() == [[[0, 0], [0, 0]]]
    pool = pixel_detail(network, trace, 2, (0, 0, 0), grads)
    # the pool's one window is rows 0–1, columns 0–1 of a: 3.5, 7.5, 0.5, 0.5; the max 7.5 at (0, 1) takes δ = 1
    assert pool.values.tolist() == [[3.5, 7.5], [0.5, 0.5]] and pool.value == 7.5
    assert pool.chosen == pool.chosen_pixel == (0, 1)
    assert pool.delta == 1.0 and pool.delta_back.tolist() == [[0, 1], [0, 0]]
    before = pixel_detail(network, trace, 2, (0, 0, 0))  # before the backward pass: no δ
    assert before.delta is None and before.delta_back is None


def test_ties_go_to_the_first_and_average_pooling_spreads_delta():
    layer = Pool2DLayer("max", (1, 2, 4), 2)
    tied = pool_detail(layer, [[[5.0, 1.0, 2.0, 9.0], [5.0, 5.0, 9.0, 9.0]]], (0, 0, 1), delta=[0.0, 4.0])
    assert tied.chosen == (0, 1) and tied.chosen_pixel == (0, 3)  # 9 first at row 0, column 3 in scan order
    assert tied.delta_back.tolist() == [[0, 4], [0, 0]]
    mean = pool_detail(Pool2DLayer("avg", (1, 2, 4), 2), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], (0, 0, 1),
                       delta=[0.0, 2.0])
    # window rows 0–1, columns 2–3: 3, 4, 7, 8 → mean 22/4 = 5.5; each cell gets δ/4 = 0.5
    assert mean.values.tolist() == [[3, 4], [7, 8]] and mean.value == 5.5 and mean.chosen is None
    assert mean.delta_back.tolist() == [[0.5, 0.5], [0.5, 0.5]]


def test_no_bias_and_several_channels():
    kernel = np.arange(8, dtype=float).reshape(1, 2, 2, 2) - 3  # K[0, 0] = [[−3, −2], [−1, 0]], K[0, 1] = [[1, 2], [3, 4]]
    layer = Conv2DLayer(kernel, None, (2, 2, 2), activation="tanh")
    x = [[[1.0, 2.0], [3.0, 4.0]], [[0.5, 0.0], [0.0, -1.0]]]
    detail = conv_detail(layer, x, (0, 0, 0))
    # channel 0: −3·1 − 2·2 − 1·3 + 0·4 = −10; channel 1: 1·0.5 + 0 + 0 + 4·(−1) = −3.5; no bias: z = −13.5
    assert [p.partial for p in detail.parts] == [-10.0, -3.5]
    assert (detail.total, detail.bias, detail.z) == (-13.5, None, -13.5) and detail.a == np.tanh(-13.5)
    assert detail.delta is None and detail.grad_kernel is None and detail.signal is None
    # overflow is shown, not warned about: channel 0 sums −inf products; channel 1 holds +inf and −inf, so NaN
    huge = conv_detail(layer.replace(kernel=kernel * 1e200), np.array(x) * 1e200, (0, 0, 0))
    assert huge.parts[0].partial == -np.inf and np.isnan(huge.parts[1].partial) and np.isnan(huge.z)


def test_refusals_by_name():
    network = load_example("conv-4x4").network
    trace = forward(network, np.array(X, float).ravel())
    with pytest.raises(ShapeError, match="layer 3 is dense"):
        pixel_detail(network, trace, 3, (0, 0, 0))
    with pytest.raises(ShapeError, match="column 3 lies outside the maps 1×3×3"):
        pixel_detail(network, trace, 1, (0, 0, 3))
    with pytest.raises(ShapeError, match="expected one sample, 16 values or maps 1×4×4"):
        conv_detail(network.layers[0], np.zeros((2, 16)), (0, 0, 0))
    batch = forward(network, np.stack([np.array(X, float).ravel(), np.zeros(16)]))
    assert pixel_detail(network, batch, 1, (0, 0, 1), sample=0).z == 7.5
    assert pixel_detail(network, batch, 1, (0, 0, 1), sample=1).z == 0.5  # a zero image: the bias alone
    with pytest.raises(ShapeError, match="sample must be a whole number from 0 to 1"):
        pixel_detail(network, batch, 1, (0, 0, 1), sample=2)
    with pytest.raises(ShapeError, match="the trace holds 3 layers but the network 2"):
        pixel_detail(Network(16, network.layers[:2], (1, 4, 4)), trace, 1, (0, 0, 1))
