"""Whole convolutional networks give PyTorch's numbers: forward, loss, δ of every layer, every gradient and the
parameters after one SGD step and one Adam step, to 1e-10 in float64.

The networks (make_conv_network_table_torch.py beside this file) mix convolution (stride 2 and 3, padding 1
and 2, several channels, no bias), max and average pooling (integer inputs and ReLU zeros or step outputs
before them, so windows meet ties; sizes that round down; overlapping windows) and dense layers, with every
elementwise activation on a convolution, softmax at a dense output, and each loss; some end in a convolution
or a pooling. torch computed them in float64 and they were frozen, inputs and outputs, into
conv_network_table_torch.json, so the check runs without torch; with torch installed the same cases are also
computed live and the frozen values checked against them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.core.network import Conv2DLayer, DenseLayer, Network, Pool2DLayer
from nnstudio.core.optim import OptimizerConfig, apply_update
from nnstudio.core.trace import backward, forward, trace_loss
from tests.core.make_conv_network_table_torch import (
    ADAM_RATE,
    CASES,
    SGD_RATE,
    case_inputs,
    layer_shapes,
    torch_values,
)

FROZEN: dict[str, dict[str, Any]] = json.loads(
    Path(__file__).with_name("conv_network_table_torch.json").read_text(encoding="utf-8"))["cases"]
TOLERANCE = 1e-10


def build(entry: dict[str, Any]) -> Network:
    """The case's network in nnstudio, from the very numbers torch was given."""
    case = entry["case"]
    shape = tuple(case["input"])
    layers: list[Any] = []
    for spec, params in zip(case["layers"], entry["params"]):
        if spec["kind"] == "conv":
            bias = None if params[1] is None else np.array(params[1])
            layer: Any = Conv2DLayer(np.array(params[0]), bias, shape, spec["stride"], spec["pad"],
                                     spec["activation"], spec["params"])
        elif spec["kind"] == "dense":
            bias = None if params[1] is None else np.array(params[1])
            layer = DenseLayer(np.array(params[0]), bias, spec["activation"], spec["params"])
        else:
            layer = Pool2DLayer(spec["kind"], shape, spec["size"], spec["stride"])
        layers.append(layer)
        shape = getattr(layer, "out_shape", shape)
    return Network(int(np.prod(case["input"])), tuple(layers), tuple(case["input"]))


def nnstudio_values(entry: dict[str, Any]) -> dict[str, Any]:
    """What nnstudio's core computes for the case, under the names torch's values have in the file."""
    network = build(entry)
    x = np.asarray(entry["x"], dtype=np.float64)  # (B, C, H, W): maps are taken as they are
    trace = forward(network, x)
    grads = backward(network, trace, entry["y"], entry["case"]["loss"])
    l2 = entry["case"]["l2"]
    updated = {name: apply_update(network, grads, OptimizerConfig(name, learning_rate=rate, l2=l2))[0]
               for name, rate in (("sgd", SGD_RATE), ("adam", ADAM_RATE))}
    return {
        "loss": trace_loss(network, trace, entry["y"], entry["case"]["loss"]), "backward_loss": grads.loss,
        "a": [step.a for step in trace.layers], "delta": [g.delta for g in grads.layers],
        "grad": [[] if isinstance(layer, Pool2DLayer) else [g.grad_weights, g.grad_bias]
                 for layer, g in zip(network.layers, grads.layers)],
        "max_indices": [step.argmax for layer, step in zip(network.layers, trace.layers)
                        if isinstance(layer, Pool2DLayer) and layer.kind == "max"],
        **{name: [list(layer.parameters()) if not isinstance(layer, Pool2DLayer) else []
                  for layer in net.layers] for name, net in updated.items()},
    }


def compare(mine: dict[str, Any], theirs: dict[str, Any], where: str) -> float:
    """Assert every number within TOLERANCE (and the max pools' choices equal); the largest difference seen."""
    worst = abs(mine["loss"] - theirs["loss"])
    assert worst <= TOLERANCE and abs(mine["backward_loss"] - theirs["loss"]) <= TOLERANCE, where
    pairs = [(f"a{i + 1}", m, t) for i, (m, t) in enumerate(zip(mine["a"], theirs["a"], strict=True))]
    pairs += [(f"δ{i + 1}", m, t) for i, (m, t) in enumerate(zip(mine["delta"], theirs["delta"], strict=True))]
    for key in ("grad", "sgd", "adam"):
        for i, (m, t) in enumerate(zip(mine[key], theirs[key], strict=True)):
            assert len(m) == len(t), (where, key, i)
            pairs += [(f"{key} {name}{i + 1}", mp, tp) for name, mp, tp in zip(("main ", "b"), m, t)]
    for name, m, t in pairs:
        assert (m is None) == (t is None), (where, name)
        if m is None:
            continue
        expected = np.asarray(t, dtype=np.float64)
        assert m.shape == expected.shape, (where, name, m.shape, expected.shape)
        np.testing.assert_allclose(m, expected, rtol=0, atol=TOLERANCE, err_msg=f"{where}: {name}")
        worst = max(worst, float(np.max(np.abs(m - expected), initial=0.0)))
    for m, t in zip(mine["max_indices"], theirs["max_indices"], strict=True):
        np.testing.assert_array_equal(m, t, err_msg=f"{where}: the max pools' choices")  # ties: the first
    return worst


def test_the_frozen_file_holds_exactly_the_cases_and_their_inputs():
    # a case added to CASES without running make_conv_network_table_torch.py again would be checked against nothing
    assert list(FROZEN) == list(CASES)
    for index, (name, case) in enumerate(CASES.items()):
        assert FROZEN[name]["case"] == json.loads(json.dumps(case)), name
        assert {key: FROZEN[name][key] for key in ("x", "params", "y")} == case_inputs(index, case), name


def test_the_cases_cover_what_the_oracle_promises():
    layers = [layer for case in CASES.values() for layer in case["layers"]]
    convs = [layer for layer in layers if layer["kind"] == "conv"]
    assert {"identity", "sign", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus",
            "swish"} == {layer["activation"] for layer in convs}  # every elementwise activation
    assert {case["loss"] for case in CASES.values()} == {"mse", "bce", "cce", "sparse_cce"}
    assert {2, 3} <= {layer["stride"] for layer in convs} and {1, 2} <= {layer["pad"] for layer in convs}
    assert any(layer["kind"] == "dense" and layer["activation"] == "softmax" for layer in layers)
    assert {case["layers"][-1]["kind"] for case in CASES.values()} == {"conv", "max", "avg", "dense"}
    assert not any(layer["bias"] for layer in convs if layer["stride"] == 3)  # a convolution without bias
    ties = 0
    for entry in FROZEN.values():  # some max pool's window holds its maximum more than once
        network = build(entry)
        trace = forward(network, np.asarray(entry["x"], dtype=np.float64))
        maps = np.asarray(entry["x"], dtype=np.float64)
        for layer, step in zip(network.layers, trace.layers):
            if isinstance(layer, Pool2DLayer) and layer.kind == "max":
                windows = np.lib.stride_tricks.sliding_window_view(maps, (layer.size, layer.size), axis=(2, 3))
                flat = windows[:, :, ::layer.stride, ::layer.stride].reshape(*step.argmax.shape, -1)
                ties += int(((flat == flat.max(axis=-1, keepdims=True)).sum(axis=-1) > 1).sum())
            maps = step.a.reshape((maps.shape[0],) + getattr(layer, "out_shape", (step.a.shape[-1],)))
    assert ties > 20
    rounding_down = [layer for case in CASES.values() for layer, shape in
                     zip(case["layers"], [tuple(case["input"])] + layer_shapes(case))
                     if layer["kind"] in ("max", "avg")
                     and any((side - layer["size"]) % (layer["stride"] or layer["size"]) for side in shape[1:])]
    assert len(rounding_down) >= 3  # pools whose windows leave a row or a column out


@pytest.mark.parametrize("name", list(CASES))
def test_a_network_equals_what_torch_autograd_gave(name):
    compare(nnstudio_values(FROZEN[name]), FROZEN[name], name)


def test_the_largest_difference_from_torch():
    worst = max(compare(nnstudio_values(entry), entry, name) for name, entry in FROZEN.items())
    assert worst <= TOLERANCE
    print(f"\n{len(FROZEN)} networks, largest difference from torch {worst:.2e}")


@pytest.mark.parametrize("name", list(CASES))
def test_a_network_equals_torch_autograd_live(name):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0); the frozen values "
                                        "are checked without it")
    entry = FROZEN[name]
    live = torch_values(entry["case"], entry)
    compare(nnstudio_values(entry), live | {"x": entry["x"]}, name + " (live)")
    assert abs(entry["loss"] - live["loss"]) <= 1e-13, name  # the frozen values are still what torch gives
    for key in ("a", "delta", "grad", "sgd", "adam"):
        assert _close(entry[key], live[key]), (name, key)
    assert entry["max_indices"] == live["max_indices"], name


def _close(frozen: Any, live: Any) -> bool:
    """Nested lists (with None for a missing bias) equal to 1e-13."""
    if frozen is None or live is None:
        return frozen is None and live is None
    if isinstance(frozen, list) and frozen and isinstance(frozen[0], (list, type(None))):
        return len(frozen) == len(live) and all(_close(f, g) for f, g in zip(frozen, live))
    return bool(np.allclose(np.asarray(frozen, dtype=float), np.asarray(live, dtype=float), rtol=1e-13, atol=1e-13))
