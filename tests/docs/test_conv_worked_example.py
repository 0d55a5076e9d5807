"""docs/conv-worked-example.md stays true: every number it prints is checked twice (issue 33, item 5).

Once against arithmetic written out here in plain Python — loops over lists, no nnstudio and no numpy —
so a reader can follow the sums the document describes; and once against nnstudio's own forward and
backward pass on the same Conv2DLayer → Pool2DLayer → DenseLayer network, so the document, the hand
arithmetic and the code cannot drift apart silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core.network import Conv2DLayer, DenseLayer, Network, Pool2DLayer
from nnstudio.core.optim import OptimizerConfig, apply_update
from nnstudio.core.spatial_layers import as_maps
from nnstudio.core.trace import backward, forward

DOC = Path(__file__).resolve().parents[2] / "docs" / "conv-worked-example.md"
BLOCK = re.compile(r"<!-- conv-numbers:[^>]*-->(.*?)<!-- /conv-numbers -->", re.S)
ROW = re.compile(r"^\| `(\w+)` \| (.+?) \|$", re.M)


def doc_numbers(text: str) -> dict[str, object]:
    """The marked table as name → number or nested list; the doc's Unicode minus is read as '-'."""
    block = BLOCK.search(text)
    assert block, "the conv-numbers markers are missing from docs/conv-worked-example.md"
    return {name: json.loads(value.replace("−", "-")) for name, value in ROW.findall(block.group(1))}


N = doc_numbers(DOC.read_text(encoding="utf-8"))


def by_hand() -> dict[str, object]:
    """Every quantity of the document, from the inputs alone, as the document's sums say."""
    x, k, kb = N["x"], N["kernel"], N["kernel_bias"]
    w, b, y, lr = N["dense_weight"], N["dense_bias"], N["target"], N["learning_rate"]
    z = [[sum(k[u][v] * x[i + u][j + v] for u in range(2) for v in range(2)) + kb for j in range(3)] for i in range(3)]
    a = [[max(value, 0.0) for value in row] for row in z]
    # ⌊(3 − 2)/2⌋ + 1 = 1 window, rows and columns 0–1; the first maximum in scan order wins
    window = [(i, j) for i in range(2) for j in range(2)]
    choice = window[0]
    for i, j in window:
        if a[i][j] > a[choice[0]][choice[1]]:
            choice = (i, j)
    pooled = a[choice[0]][choice[1]]
    y_hat = w * pooled + b
    delta_out = y_hat - y
    signal = w * delta_out
    delta = [[signal if (i, j) == choice and z[i][j] > 0 else 0.0 for j in range(3)] for i in range(3)]
    grad_k = [[sum(delta[i][j] * x[i + u][j + v] for i in range(3) for j in range(3)) for v in range(2)]
              for u in range(2)]
    to_input = [[0.0] * 4 for _ in range(4)]
    for i in range(3):
        for j in range(3):
            for u in range(2):
                for v in range(2):
                    to_input[i + u][j + v] += delta[i][j] * k[u][v]
    grad_kb = sum(sum(row) for row in delta)
    return {
        "z": z, "a": a, "pooled": [pooled], "pool_choice": list(choice), "y_hat": y_hat,
        "loss": 0.5 * (y - y_hat) ** 2, "delta_out": delta_out, "grad_dense_weight": delta_out * pooled,
        "grad_dense_bias": delta_out, "signal_to_pool": signal, "delta_conv": delta, "grad_kernel": grad_k,
        "grad_kernel_bias": grad_kb, "signal_to_input": to_input,
        "new_kernel": [[k[u][v] - lr * grad_k[u][v] for v in range(2)] for u in range(2)],
        "new_kernel_bias": kb - lr * grad_kb, "new_dense_weight": w - lr * delta_out * pooled,
        "new_dense_bias": b - lr * delta_out,
    }


HAND = by_hand()


def test_the_table_holds_every_quantity_the_document_walks():
    assert set(HAND) | {"x", "kernel", "kernel_bias", "dense_weight", "dense_bias", "target",
                        "learning_rate"} == set(N)
    assert N["x"] == [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]]  # the input of tests/core


@pytest.mark.parametrize("name", sorted(HAND))
def test_each_number_in_the_document_equals_the_hand_arithmetic(name: str):
    np.testing.assert_allclose(np.asarray(N[name], dtype=float), np.asarray(HAND[name], dtype=float),
                               rtol=0, atol=1e-12, err_msg=name)


def test_the_written_out_sums_in_the_prose_are_the_tables():
    text = DOC.read_text(encoding="utf-8")
    assert "= 1·1 + 0·2 + (−1)·0 + 2·1 + 0.5 = 3.5" in text and HAND["z"][0][0] == 3.5
    assert "= 0·1 + 1·3 + 0 + … + 0 = 3" in text and HAND["grad_kernel"][1][1] == 3
    assert "⌊(3 − 2)/2⌋ + 1 = 1" in text


def test_nnstudio_computes_the_same_numbers():
    x, k = np.array(N["x"], dtype=float), np.array(N["kernel"], dtype=float)
    conv = Conv2DLayer(k[None, None], np.array([N["kernel_bias"]], dtype=float), (1, 4, 4), activation="relu")
    pool = Pool2DLayer("max", (1, 3, 3), 2)
    out = DenseLayer(np.array([[N["dense_weight"]]], dtype=float), np.array([N["dense_bias"]], dtype=float))
    network = Network(16, (conv, pool, out), (1, 4, 4))

    trace = forward(network, x.ravel())
    grads = backward(network, trace, [N["target"]], "mse")
    g_conv, g_pool, g_out = grads.layers
    i, j = N["pool_choice"]
    computed = {
        "z": as_maps(trace.layers[0].z, (1, 3, 3))[0], "a": as_maps(trace.layers[0].a, (1, 3, 3))[0],
        "pooled": trace.layers[1].a, "y_hat": trace.output[0], "loss": grads.loss,
        "delta_out": g_out.delta[0], "grad_dense_weight": g_out.grad_weights[0, 0],
        "grad_dense_bias": g_out.grad_bias[0], "signal_to_pool": g_pool.delta[0],
        "delta_conv": as_maps(g_conv.delta, (1, 3, 3))[0], "grad_kernel": g_conv.grad_weights[0, 0],
        "grad_kernel_bias": g_conv.grad_bias[0], "signal_to_input": as_maps(g_conv.signal, (1, 4, 4))[0],
    }
    assert trace.layers[1].argmax.ravel().tolist() == [i * 3 + j]  # flat index in the 3×3 map
    updated, _ = apply_update(network, grads, OptimizerConfig("sgd", learning_rate=N["learning_rate"]))
    new_conv, _, new_out = updated.layers
    computed |= {"new_kernel": new_conv.kernel[0, 0], "new_kernel_bias": new_conv.bias[0],
                 "new_dense_weight": new_out.weights[0, 0], "new_dense_bias": new_out.bias[0]}
    assert set(computed) | {"pool_choice"} == set(HAND)
    for name, value in computed.items():
        np.testing.assert_allclose(np.asarray(value, dtype=float), np.asarray(N[name], dtype=float),
                                   rtol=0, atol=1e-12, err_msg=name)


def test_the_built_in_example_is_the_documents_network():
    """`conv-4x4`, shipped in resources/examples, holds exactly the document's inputs and parameters."""
    from nnstudio.io import load_example

    project = load_example("conv-4x4")
    conv, pool, dense = project.network.layers
    assert project.network.input_shape == (1, 4, 4) and project.input.reshape(4, 4).tolist() == N["x"]
    assert conv.kernel.tolist() == [[N["kernel"]]] and conv.bias.tolist() == [N["kernel_bias"]]
    assert (conv.activation, conv.stride, conv.pad) == ("relu", 1, 0)
    assert (pool.kind, pool.size, pool.stride) == ("max", 2, 2)
    assert dense.weights.tolist() == [[N["dense_weight"]]] and dense.bias.tolist() == [N["dense_bias"]]
    assert dense.activation == "identity" and project.loss == "mse" and project.target.tolist() == [N["target"]]
    assert project.optimizer.name == "sgd" and project.optimizer.learning_rate == N["learning_rate"]
    assert forward(project.network, project.input).layers[-1].a.tolist() == [N["y_hat"]]
