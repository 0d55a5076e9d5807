"""nnstudio/core/conv.py gives PyTorch's numbers: conv2d, max_pool2d and avg_pool2d, forward and autograd, to 1e-10.

The cases (make_conv_table_torch.py beside this file: several input and output channels, stride 1, 2 and 3,
padding 0, 1 and 2, sizes where pooling rounds down, overlapping pools, integer maps so that max pooling meets
ties) were computed by torch in float64 and frozen, inputs and outputs, into conv_table_torch.json, so the
check runs without torch; with torch installed the same cases are also computed live and the frozen values
checked against them. L = Σ R∘output for the file's random R, so δ = R and autograd's ∂L/∂· are the gradients.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.core.conv import (
    avg_pool_backward,
    avg_pool_forward,
    conv2d_backward,
    conv2d_forward,
    max_pool_backward,
    max_pool_forward,
)
from tests.core.make_conv_table_torch import CASES, case_inputs, torch_values

FROZEN: dict[str, dict[str, Any]] = json.loads(
    Path(__file__).with_name("conv_table_torch.json").read_text(encoding="utf-8"))["cases"]
TOLERANCE = 1e-10
KEYS = ("z", "grad_x", "grad_kernel", "grad_bias", "max_y", "max_grad_x", "avg_y", "avg_grad_x")


def nnstudio_values(case: dict[str, Any]) -> dict[str, np.ndarray]:
    """What nnstudio's core computes for the case's inputs, under the names torch's values have in the file."""
    stride, pad, size, pool_stride = case["spec"][6:]
    x = np.asarray(case["x"], dtype=np.float64)
    z = conv2d_forward(x, case["kernel"], case["bias"], stride, pad)
    grad_x, grad_kernel, grad_bias = conv2d_backward(x, case["kernel"], case["r_conv"], stride, pad)
    max_y, argmax = max_pool_forward(x, size, pool_stride)
    return {"z": z, "grad_x": grad_x, "grad_kernel": grad_kernel, "grad_bias": grad_bias,
            "max_y": max_y, "max_indices": argmax, "max_grad_x": max_pool_backward(case["r_pool"], argmax, x.shape),
            "avg_y": avg_pool_forward(x, size, pool_stride),
            "avg_grad_x": avg_pool_backward(case["r_pool"], x.shape, size, pool_stride)}


def _assert_equal(mine: dict[str, np.ndarray], theirs: dict[str, Any], where: str) -> None:
    for key in KEYS:
        expected = np.asarray(theirs[key])
        assert mine[key].shape == expected.shape, (where, key, mine[key].shape, expected.shape)
        np.testing.assert_allclose(mine[key], expected, rtol=0, atol=TOLERANCE, err_msg=f"{where}: {key}")
    # where the maximum was: the same pixel as torch's, ties included (the first in row-major order)
    np.testing.assert_array_equal(mine["max_indices"], theirs["max_indices"], err_msg=f"{where}: max_indices")


def test_the_frozen_file_holds_exactly_the_cases_and_their_inputs():
    # a case added to CASES without running make_conv_table_torch.py again would be checked against nothing
    assert list(FROZEN) == list(CASES)
    for index, (name, spec) in enumerate(CASES.items()):
        assert FROZEN[name]["spec"] == list(spec), name
        assert {key: FROZEN[name][key] for key in ("x", "kernel", "bias", "r_conv", "r_pool")} == \
            case_inputs(index, spec), name


def test_the_cases_cover_what_the_oracle_promises():
    specs = list(CASES.values())
    assert {spec[6] for spec in specs} >= {1, 2} and {spec[7] for spec in specs} >= {0, 1, 2}  # strides, paddings
    assert any(spec[1] > 1 and spec[4] > 1 for spec in specs)  # several input and output channels
    assert any((spec[2] - spec[8]) % (spec[9] or spec[8]) for spec in specs)  # a pool that rounds down
    ties = 0
    for case in FROZEN.values():  # integer maps: some window's maximum is there more than once
        size, pool_stride = case["spec"][8], case["spec"][9] or case["spec"][8]
        x = np.asarray(case["x"], dtype=np.float64)
        windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::pool_stride,
                                                                                       ::pool_stride]
        flat = windows.reshape(*windows.shape[:4], -1)
        ties += int(((flat == flat.max(axis=-1, keepdims=True)).sum(axis=-1) > 1).sum())
    assert ties > 50


@pytest.mark.parametrize("name", list(CASES))
def test_a_case_equals_what_torch_autograd_gave(name):
    _assert_equal(nnstudio_values(FROZEN[name]), FROZEN[name], name)


@pytest.mark.parametrize("name", list(CASES))
def test_a_case_equals_torch_autograd_live(name):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0); the frozen values "
                                        "are checked without it")
    case = FROZEN[name]
    live = torch_values(tuple(case["spec"]), case)
    _assert_equal(nnstudio_values(case), live, name + " (live)")
    for key in KEYS:  # the frozen values are still what torch gives
        np.testing.assert_allclose(case[key], live[key], rtol=1e-13, atol=1e-13, err_msg=f"{name}: {key}")
    assert case["max_indices"] == live["max_indices"], name
