"""nnstudio/core/conv.py: convolution and pooling, forward and back.

The tiny cases are worked out here by plain arithmetic, written out term by term, not by calling the code;
finite differences check the gradients of bigger random cases; every refusal names what is wrong with its
numbers. tests/core/test_conv_oracle.py holds the same functions to PyTorch's autograd.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.conv import (
    avg_pool_backward,
    avg_pool_forward,
    conv2d_backward,
    conv2d_forward,
    conv_out_size,
    max_pool_backward,
    max_pool_forward,
    pool_out_size,
    same_padding,
)
from nnstudio.core.errors import NNStudioError, ShapeError

# The worked example: one 4×4 map, one 2×2 kernel, bias 0.5.
X = np.array([[1.0, 2.0, 0.0, 1.0],
              [0.0, 1.0, 3.0, 1.0],
              [2.0, 1.0, 0.0, 2.0],
              [1.0, 0.0, 1.0, 1.0]])
K = np.array([[1.0, 0.0],
              [-1.0, 2.0]])
BIAS = 0.5


def _batch(map_: np.ndarray | list) -> np.ndarray:
    """One map as a batch of one sample with one channel, (1, 1, H, W)."""
    return np.asarray(map_, dtype=np.float64)[None, None]


def _z_by_hand() -> np.ndarray:
    # z[i, j] = 1·x[i, j] + 0·x[i, j+1] − 1·x[i+1, j] + 2·x[i+1, j+1] + 0.5 (cross-correlation: no flip)
    return np.array([
        [1 * 1 + 0 * 2 - 1 * 0 + 2 * 1 + 0.5, 1 * 2 + 0 * 0 - 1 * 1 + 2 * 3 + 0.5, 1 * 0 + 0 * 1 - 1 * 3 + 2 * 1 + 0.5],
        [1 * 0 + 0 * 1 - 1 * 2 + 2 * 1 + 0.5, 1 * 1 + 0 * 3 - 1 * 1 + 2 * 0 + 0.5, 1 * 3 + 0 * 1 - 1 * 0 + 2 * 2 + 0.5],
        [1 * 2 + 0 * 1 - 1 * 1 + 2 * 0 + 0.5, 1 * 1 + 0 * 0 - 1 * 0 + 2 * 1 + 0.5, 1 * 0 + 0 * 2 - 1 * 1 + 2 * 1 + 0.5],
    ])


def test_the_worked_convolution_is_a_cross_correlation_of_the_map_with_the_kernel():
    z = conv2d_forward(_batch(X), K[None, None], [BIAS], stride=1, pad=0)
    assert z.shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(z[0, 0], _z_by_hand())
    np.testing.assert_array_equal(z[0, 0], [[3.5, 7.5, -0.5], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]])


def test_a_2x2_max_pool_of_the_3x3_map_rounds_down_to_one_window():
    z = _z_by_hand()
    y, argmax = max_pool_forward(_batch(z), 2)  # stride 2: ⌊(3 − 2)/2⌋ + 1 = 1; the last row and column are left out
    assert y.shape == (1, 1, 1, 1)
    assert y[0, 0, 0, 0] == max(3.5, 7.5, 0.5, 0.5) == 7.5
    assert argmax[0, 0, 0, 0] == 0 * 3 + 1  # row 0, column 1 of the 3×3 map
    grad = max_pool_backward(np.full((1, 1, 1, 1), 2.0), argmax, (1, 1, 3, 3))
    np.testing.assert_array_equal(grad[0, 0], [[0, 2, 0], [0, 0, 0], [0, 0, 0]])


def test_a_tie_in_max_pooling_sends_delta_to_the_first_maximum_in_scan_order():
    z = _z_by_hand()
    y, argmax = max_pool_forward(_batch(z), 2, stride=1)
    # windows (row-major within each): [3.5, 7.5, 0.5, 0.5], [7.5, −0.5, 0.5, 7.5] (a tie: z[0,1] = z[1,2] = 7.5,
    # and z[0,1] comes first), [0.5, 0.5, 1.5, 3.5], [0.5, 7.5, 3.5, 1.5]
    np.testing.assert_array_equal(y[0, 0], [[7.5, 7.5], [3.5, 7.5]])
    np.testing.assert_array_equal(argmax[0, 0], [[0 * 3 + 1, 0 * 3 + 1], [2 * 3 + 1, 1 * 3 + 2]])
    grad = max_pool_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), argmax, (1, 1, 3, 3))
    # z[0,1] was chosen by the first two windows: 1 + 2; the tied z[1,2] gets only the fourth window's 4
    np.testing.assert_array_equal(grad[0, 0], [[0, 1 + 2, 0], [0, 0, 4], [0, 3, 0]])


def test_the_worked_backward_pass_through_the_convolution():
    delta = np.array([[0.0, 3.0, 0.0], [0.0, 0.0, 4.0], [0.0, 3.0, 0.0]])  # what the tie test sent back
    grad_x, grad_kernel, grad_bias = conv2d_backward(_batch(X), K[None, None], delta[None, None], stride=1, pad=0)
    assert grad_bias.tolist() == [3 + 4 + 3]
    # ∂L/∂K[u, v] = Σ δ[i, j]·x[i+u, j+v] over δ[0,1] = 3, δ[1,2] = 4, δ[2,1] = 3
    np.testing.assert_array_equal(grad_kernel[0, 0], [
        [3 * 2 + 4 * 3 + 3 * 1, 3 * 0 + 4 * 1 + 3 * 0],
        [3 * 1 + 4 * 0 + 3 * 0, 3 * 3 + 4 * 2 + 3 * 1],
    ])
    # ∂L/∂x[i+u, j+v] += δ[i, j]·K[u, v]: 3 spreads from (0,1), 4 from (1,2), 3 from (2,1)
    np.testing.assert_array_equal(grad_x[0, 0], [
        [0, 3 * 1, 3 * 0, 0],
        [0, 3 * -1, 3 * 2 + 4 * 1, 4 * 0],
        [0, 3 * 1, 4 * -1 + 3 * 0, 4 * 2],
        [0, 3 * -1, 3 * 2, 0],
    ])


def test_padding_1_and_stride_2_read_zeros_around_the_map():
    z = conv2d_forward(_batch(X), K[None, None], [BIAS], stride=2, pad=1)
    assert z.shape == (1, 1, 3, 3)  # ⌊(4 + 2·1 − 2)/2⌋ + 1 = 3
    # window (i, j) starts at row 2i − 1, column 2j − 1 of the map; outside the map reads 0
    np.testing.assert_array_equal(z[0, 0], [
        [1 * 0 + 0 * 0 - 1 * 0 + 2 * 1 + 0.5, 1 * 0 + 0 * 0 - 1 * 2 + 2 * 0 + 0.5, 1 * 0 + 0 * 0 - 1 * 1 + 2 * 0 + 0.5],
        [1 * 0 + 0 * 0 - 1 * 0 + 2 * 2 + 0.5, 1 * 1 + 0 * 3 - 1 * 1 + 2 * 0 + 0.5, 1 * 1 + 0 * 0 - 1 * 2 + 2 * 0 + 0.5],
        [1 * 0 + 0 * 1 - 1 * 0 + 2 * 0 + 0.5, 1 * 0 + 0 * 1 - 1 * 0 + 2 * 0 + 0.5, 1 * 1 + 0 * 0 - 1 * 0 + 2 * 0 + 0.5],
    ])
    delta = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    grad_x, grad_kernel, grad_bias = conv2d_backward(_batch(X), K[None, None], delta[None, None], stride=2, pad=1)
    assert grad_bias.tolist() == [1 + 2 + 1 + 3]
    # the 2×2 windows tile the padded 6×6 map: map pixel (r, c) is read once, by window ((r+1)//2, (c+1)//2) at
    # kernel place ((r+1)%2, (c+1)%2); δ[0,0] = 1 reads x[0,0] at K[1,1]; δ[0,1] = 2 reads x[0,1], x[0,2] at
    # K[1,0], K[1,1]; δ[1,1] = 1 reads x[1..2, 1..2]; δ[2,2] = 3 reads x[3,3] at K[0,0]
    np.testing.assert_array_equal(grad_x[0, 0], [
        [1 * 2, 2 * -1, 2 * 2, 0],
        [0, 1 * 1, 1 * 0, 0],
        [0, 1 * -1, 1 * 2, 0],
        [0, 0, 0, 3 * 1],
    ])
    np.testing.assert_array_equal(grad_kernel[0, 0], [
        [1 * 1 + 3 * 1, 1 * 3],  # K[0,0] read x[1,1] (δ 1) and x[3,3] (δ 3); K[0,1] read x[1,2]
        [2 * 2 + 1 * 1, 1 * 1 + 2 * 0 + 1 * 0],  # K[1,0]: x[0,1], x[2,1]; K[1,1]: x[0,0], x[0,2], x[2,2]
    ])


def test_average_pooling_by_hand():
    y = avg_pool_forward(_batch(X), 2)
    np.testing.assert_array_equal(y[0, 0], [[(1 + 2 + 0 + 1) / 4, (0 + 1 + 3 + 1) / 4],
                                            [(2 + 1 + 1 + 0) / 4, (0 + 2 + 1 + 1) / 4]])
    z = _z_by_hand()
    y = avg_pool_forward(_batch(z), 2)  # one window; the last row and column are left out
    assert y.shape == (1, 1, 1, 1) and y[0, 0, 0, 0] == (3.5 + 7.5 + 0.5 + 0.5) / 4
    grad = avg_pool_backward(np.full((1, 1, 1, 1), 2.0), (1, 1, 3, 3), 2)
    np.testing.assert_array_equal(grad[0, 0], [[2 / 4, 2 / 4, 0], [2 / 4, 2 / 4, 0], [0, 0, 0]])
    grad = avg_pool_backward(np.array([[[[4.0, 8.0]]]]), (1, 1, 2, 3), 2, stride=1)  # overlapping windows
    np.testing.assert_array_equal(grad[0, 0], [[4 / 4, 4 / 4 + 8 / 4, 8 / 4], [4 / 4, 4 / 4 + 8 / 4, 8 / 4]])


def test_same_padding_keeps_the_size_and_sizes_round_down():
    assert [same_padding(k) for k in (1, 3, 5, 7)] == [0, 1, 2, 3]
    assert conv_out_size(28, 5, 1, same_padding(5)) == 28
    assert conv_out_size(7, 3, stride=2, pad=1) == (7 + 2 - 3) // 2 + 1 == 4
    assert conv_out_size(6, 3, stride=2, pad=0) == 2  # ⌊3/2⌋ + 1: the last column is never read
    assert pool_out_size(7, 2) == 3 and pool_out_size(7, 3, 2) == 3 and pool_out_size(5, 5) == 1


def _random_case(seed: int, dtype: type = np.float64) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 3, 6, 5)).astype(dtype)
    kernel = rng.normal(size=(4, 3, 3, 3)).astype(dtype)
    return x, kernel, rng.normal(size=4).astype(dtype), rng.normal(size=(2, 4, 3, 3)).astype(dtype)


def _central_differences(f, array: np.ndarray, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + h
        up = f()
        array[index] = saved - h
        down = f()
        array[index] = saved
        grad[index] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("stride, pad", [(1, 0), (2, 1), (2, 2), (3, 1)])
def test_convolution_gradients_equal_finite_differences(stride, pad):
    x, kernel, bias, _ = _random_case(stride * 10 + pad)
    z0 = conv2d_forward(x, kernel, bias, stride, pad)
    weights = np.random.default_rng(pad).normal(size=z0.shape)

    def loss() -> float:  # L = Σ R∘z + ½Σz², so δ = R + z
        z = conv2d_forward(x, kernel, bias, stride, pad)
        return float((weights * z).sum() + 0.5 * (z * z).sum())

    grad_x, grad_kernel, grad_bias = conv2d_backward(x, kernel, weights + z0, stride, pad)
    for mine, array in ((grad_x, x), (grad_kernel, kernel), (grad_bias, bias)):
        np.testing.assert_allclose(mine, _central_differences(loss, array), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("size, stride", [(2, None), (3, 2), (2, 1)])
def test_pooling_gradients_equal_finite_differences_away_from_ties(size, stride):
    x = np.random.default_rng(size).normal(size=(2, 2, 7, 6))  # no two values equal: no ties
    y0, argmax = max_pool_forward(x, size, stride)
    weights = np.random.default_rng(7).normal(size=y0.shape)
    grad = _central_differences(lambda: float((weights * max_pool_forward(x, size, stride)[0]).sum()), x)
    np.testing.assert_allclose(max_pool_backward(weights, argmax, x.shape), grad, rtol=1e-6, atol=1e-8)
    grad = _central_differences(lambda: float((weights * avg_pool_forward(x, size, stride)).sum()), x)
    np.testing.assert_allclose(avg_pool_backward(weights, x.shape, size, stride), grad, rtol=1e-6, atol=1e-8)


def test_every_result_keeps_the_inputs_precision_and_changes_no_argument():
    for dtype in (np.float32, np.float64):
        x, kernel, bias, delta = _random_case(3, dtype)
        before = [array.copy() for array in (x, kernel, bias, delta)]
        results = [conv2d_forward(x, kernel, bias, 2, 1), *conv2d_backward(x, kernel, delta, 2, 1)]
        y, argmax = max_pool_forward(x, 2)
        results += [y, max_pool_backward(np.ones_like(y), argmax, x.shape), avg_pool_forward(x, 2),
                    avg_pool_backward(np.ones_like(y), x.shape, 2)]
        assert [result.dtype for result in results] == [dtype] * len(results)
        assert all(np.array_equal(a, b) for a, b in zip(before, (x, kernel, bias, delta)))
    np.testing.assert_allclose(conv2d_forward(*_random_case(3, np.float32)[:3], 2, 1),
                               conv2d_forward(*_random_case(3)[:3], 2, 1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call, words", [
    (lambda: conv_out_size(3, 6, 1, 1), ["kernel size 6", "padded input", "3 + 2·1 = 5"]),
    (lambda: conv2d_forward(np.zeros((1, 1, 3, 4)), np.zeros((1, 1, 5, 5)), None, 1, 0),
     ["kernel size 5", "padded height", "3 + 2·0 = 3"]),
    (lambda: conv2d_forward(np.zeros((1, 1, 6, 3)), np.zeros((1, 1, 4, 4)), None, 1, 0),
     ["kernel size 4", "padded width", "3 + 2·0 = 3"]),
    (lambda: conv_out_size(5, 3, 0, 0), ["stride", "≥ 1", "got 0"]),
    (lambda: conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), None, -2, 0), ["stride", "got -2"]),
    (lambda: conv_out_size(5, 3, 1, -1), ["padding", "≥ 0", "got -1"]),
    (lambda: conv_out_size(5, 3, 1.5, 0), ["stride", "whole number", "1.5"]),
    (lambda: same_padding(4), ["'same'", "odd kernel size", "got 4"]),
    (lambda: same_padding(3, stride=2), ["'same'", "stride 1", "stride 2"]),
    (lambda: conv2d_forward(np.zeros((2, 3, 5, 5)), np.zeros((4, 2, 3, 3)), None),
     ["2 input channel(s)", "the input has 3", "(4, 2, 3, 3)", "(2, 3, 5, 5)"]),
    (lambda: conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 2)), None), ["square", "(1, 1, 3, 2)"]),
    (lambda: conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros(3)),
     ["bias", "shape (2,)", "got shape (3,)"]),
    (lambda: conv2d_forward(np.zeros((1, 5, 5)), np.zeros((1, 1, 3, 3)), None), ["(B, C, H, W)", "(1, 5, 5)"]),
    (lambda: conv2d_backward(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros((1, 2, 4, 3))),
     ["δ of the convolution", "(1, 2, 3, 3)", "(1, 2, 4, 3)"]),
    (lambda: pool_out_size(3, 4), ["pool size 4", "larger than the input: 3"]),
    (lambda: max_pool_forward(np.zeros((1, 1, 2, 5)), 3), ["pool size 3", "height: 2"]),
    (lambda: avg_pool_forward(np.zeros((1, 1, 4, 4)), 2, 0), ["pool stride", "got 0"]),
    (lambda: max_pool_backward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), int), (1, 2, 4, 4)),
     ["max pooling", "(1, 2)", "(1, 1, 2, 2)"]),
    (lambda: max_pool_backward(np.zeros((1, 1, 1, 1)), np.full((1, 1, 1, 1), 16), (1, 1, 4, 4)),
     ["argmax", "outside the 4×4 map"]),
    (lambda: avg_pool_backward(np.zeros((1, 1, 3, 3)), (1, 1, 4, 4), 2), ["average pooling", "(1, 1, 2, 2)"]),
])
def test_what_does_not_chain_is_refused_by_name_with_its_numbers(call, words):
    with pytest.raises(ShapeError) as refused:
        call()
    assert isinstance(refused.value, NNStudioError)
    for word in words:
        assert word in str(refused.value), (word, str(refused.value))
