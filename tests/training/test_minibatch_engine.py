"""Mini-batches in the column layout, and the skipping of all-zero inputs, against plain numpy.

The engine lays a batch out one sample per column, folds each bias into its weight
matrix as a row fed by ones, updates W with one BLAS call and, for sparse data, only
touches the first layer's rows whose input is nonzero somewhere in the batch. These
tests write the textbook mini-batch loop out by hand and hold the engine to it.
"""

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, OptimizerConfig
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, drive, train
from nnstudio.training.batches import ColumnBatches
from nnstudio.training import blas
from nnstudio.training.blas import RELEASE_GIL_FROM, gemm
from nnstudio.training import engine as engine_module
from nnstudio.training.engine import FastMLP


def _sparse_set(n=23, features=40, seed=0, skew=0.0):
    """Inputs with about three nonzero features each (like pixels of a small digit).

    skew > 0 makes some features nonzero far more often than others, as MNIST's middle
    pixels are: feature i is picked with weight exp(−skew·i), in a shuffled order of features.
    """
    rng = np.random.default_rng(seed)
    weights = np.exp(-skew * np.arange(features))[rng.permutation(features)]
    x = np.zeros((n, features))
    for row in x:
        row[rng.choice(features, 3, replace=False, p=weights / weights.sum())] = rng.random(3) + 0.1
    return Dataset("sparse", x, rng.integers(0, 3, n), ("a", "b", "c"))


def _network(features=40, first_bias=True):
    rng = np.random.default_rng(5)
    return Network(features, (
        DenseLayer(rng.normal(0, 0.4, (6, features)), rng.normal(0, 0.1, 6) if first_bias else None, "relu"),
        DenseLayer(rng.normal(0, 0.4, (5, 6)), None, "tanh"),          # a layer with no bias
        DenseLayer(rng.normal(0, 0.4, (3, 5)), rng.normal(0, 0.1, 3), "softmax"),
    ))


def _hand_written_minibatch_sgd(network, x, labels, lr, batch, epochs, seed):
    """The textbook's mini-batch SGD for this network, sample by sample in plain numpy."""
    W = [np.array(layer.weights) for layer in network.layers]
    b = [None if layer.bias is None else np.array(layer.bias) for layer in network.layers]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for lo in range(0, len(x), batch):
            picked = order[lo:lo + batch]
            gW = [np.zeros_like(w) for w in W]
            gb = [np.zeros(w.shape[0]) for w in W]
            for i in picked:
                a0 = x[i]
                z1 = W[0] @ a0 + (0 if b[0] is None else b[0])
                a1 = np.maximum(z1, 0)
                z2 = W[1] @ a1
                a2 = np.tanh(z2)
                z3 = W[2] @ a2 + b[2]
                a3 = np.exp(z3 - z3.max()) / np.exp(z3 - z3.max()).sum()
                d3 = (a3 - np.eye(3)[labels[i]]) / len(picked)   # mean cross-entropy over the batch
                d2 = (W[2].T @ d3) * (1 - a2**2)
                d1 = (W[1].T @ d2) * (z1 > 0)
                for layer, (d, a_prev) in enumerate(((d1, a0), (d2, a1), (d3, a2))):
                    gW[layer] += np.outer(d, a_prev)
                    gb[layer] += d
            for layer in range(3):  # every gradient first, then every update
                W[layer] = W[layer] - lr * gW[layer]
                if b[layer] is not None:
                    b[layer] = b[layer] - lr * gb[layer]
    return W, b


@pytest.mark.parametrize("skew", [0.0, 0.3])
@pytest.mark.parametrize("first_bias", [True, False])
@pytest.mark.parametrize("batch", [1, 4, 5, 23])
def test_minibatch_sgd_on_sparse_data_equals_the_hand_written_loop(batch, first_bias, skew, monkeypatch):
    """23 samples: batch 4 and 5 leave a short last batch; 23 is one batch of all. With skewed
    features a batch's nonzero rows are mostly the leading ones (the engine swaps the rest in,
    here even for these small layers); without, they are scattered (it copies them out and back)."""
    swaps = []
    if skew:
        monkeypatch.setattr(engine_module, "SWAP_FROM", 0)
        swap_rows = FastMLP._swap_rows
        monkeypatch.setattr(FastMLP, "_swap_rows", lambda self, *args: (swaps.append(1), swap_rows(self, *args)))
    data = _sparse_set(skew=skew)
    network = _network(first_bias=first_bias)
    config = TrainingConfig(epochs=3, batch_size=batch, optimizer=OptimizerConfig("sgd", learning_rate=0.7),
                            seed=3, dtype="float64")
    result = drive(train(network, "cce", data, None, config))
    W, b = _hand_written_minibatch_sgd(network, data.x, data.y, 0.7, batch, 3, seed=3)
    for layer, w, bias in zip(result.network.layers, W, b):
        np.testing.assert_allclose(layer.weights, w, atol=1e-12, rtol=0)
        if bias is None:
            assert layer.bias is None
        else:
            np.testing.assert_allclose(layer.bias, bias, atol=1e-12, rtol=0)
    assert not np.allclose(result.network.layers[0].weights, network.layers[0].weights)  # it did learn
    assert bool(swaps) == (skew > 0)  # the path under test ran


def test_the_list_of_nonzero_inputs_is_what_the_first_layer_reads():
    """Told that only input 0 is nonzero, the engine ignores the others: proof the short path runs."""
    network = _network(features=8)
    x = np.ones((9, 3))
    x[-1] = 1.0  # ones row (bias input)
    y = np.eye(3)[:, [0, 1, 2]]
    honest = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    honest.train_columns(x.copy(), y)
    told = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    told.train_columns(x.copy(), y, nonzero=np.array([0]))
    first_honest, first_told = honest.to_network().layers[0], told.to_network().layers[0]
    np.testing.assert_array_equal(first_told.weights[:, 1:], network.layers[0].weights[:, 1:])  # untouched
    assert not np.allclose(first_honest.weights[:, 1:], network.layers[0].weights[:, 1:])


def test_a_batch_of_zeros_into_a_layer_without_bias_trains_like_the_full_product():
    """Nothing is nonzero and there is no bias row: the first layer has no row to work on."""
    network = _network(features=8, first_bias=False)
    x = np.zeros((9, 3))
    x[-1] = 1.0
    told = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    loss = told.train_columns(x.copy(), np.eye(3), nonzero=np.array([8]))
    honest = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    assert loss == pytest.approx(honest.train_columns(x.copy(), np.eye(3)), abs=1e-15)
    for mine, theirs in zip(told.to_network().layers, honest.to_network().layers):
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=0, atol=1e-15)


def test_column_batches_hold_the_shuffled_samples_and_their_nonzero_features():
    data = _sparse_set(n=11, skew=0.3)
    x, y = data.x, data.targets(np.float64, 3)
    batches = ColumnBatches(x, y, 4, np.dtype(np.float64), find_nonzero=True)
    features = batches.feature_order
    assert sorted(features) == list(range(x.shape[1]))
    counts = (x != 0).sum(axis=0)[features]
    assert np.all(np.diff(counts) <= 0) and counts[0] > counts[-1]  # most often nonzero first
    order = np.random.default_rng(1).permutation(11)
    batches.shuffle(order)
    assert batches.steps == 3
    for step in range(3):
        picked = order[step * 4:step * 4 + 4]
        block_x, block_y, nonzero = batches.get(step)
        np.testing.assert_array_equal(block_x[:-1], x[picked][:, features].T)
        np.testing.assert_array_equal(block_x[-1], np.ones(len(picked)))
        np.testing.assert_array_equal(block_y, y[picked].T)
        expected = [row for row, feature in enumerate(features) if np.any(x[picked, feature])] + [x.shape[1]]
        np.testing.assert_array_equal(nonzero, expected)  # rows of the block, the ones row last


def test_an_engine_with_reordered_inputs_gives_the_same_network_and_steps():
    network = _network(features=8)
    order = np.array([5, 2, 7, 0, 1, 6, 3, 4])
    plain = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    reordered = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    reordered.order_inputs(order)
    for layer, original in zip(reordered.to_network().layers, network.layers):
        np.testing.assert_array_equal(layer.weights, original.weights)
    x = np.random.default_rng(2).random((4, 8))
    np.testing.assert_allclose(reordered.predict(x), plain.predict(x), rtol=0, atol=1e-14)
    y = np.eye(3)[[0, 2, 1, 2]]
    assert reordered.train_step(x, y) == pytest.approx(plain.train_step(x, y), abs=1e-14)
    for mine, theirs in zip(reordered.to_network().layers, plain.to_network().layers):
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="each of the 8 inputs once"):
        reordered.order_inputs(np.array([0, 0, 1, 2, 3, 4, 5, 6]))


def test_rows_beyond_the_leading_ones_are_swapped_in_and_everything_is_put_back(monkeypatch):
    """Told that only rows 0–29 and 35 (and the ones row) are nonzero, the engine works on 32
    leading rows after swapping two rows in: the rest of W is neither read nor changed, the
    result equals training on the inputs with those rows zeroed, and x comes back as given."""
    monkeypatch.setattr(engine_module, "SWAP_FROM", 0)  # swap even rows this short
    network = _network(features=40)
    x = np.ones((41, 3))
    listed = np.r_[np.arange(30), 35, 40]
    y = np.eye(3)[:, [0, 1, 2]]
    told = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    given = x.copy()
    told.train_columns(given, y, nonzero=listed)
    np.testing.assert_array_equal(given, x)
    zeroed = x.copy()
    zeroed[np.setdiff1d(np.arange(40), listed)] = 0
    honest = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    honest.train_columns(zeroed, y)
    for mine, theirs in zip(told.to_network().layers, honest.to_network().layers):
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=0, atol=1e-14)
        np.testing.assert_allclose(mine.bias, theirs.bias, rtol=0, atol=1e-14) if mine.bias is not None else None
    unlisted = np.setdiff1d(np.arange(40), listed)
    np.testing.assert_array_equal(told.to_network().layers[0].weights[:, unlisted], network.layers[0].weights[:, unlisted])
    read_only = x.copy()
    read_only.flags.writeable = False  # cannot be swapped in: the rows are copied out instead
    copied = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    copied.train_columns(read_only, y, nonzero=listed)
    for mine, theirs in zip(copied.to_network().layers, told.to_network().layers):
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=0, atol=1e-14)


def test_mostly_zero_data_is_searched_only_where_batches_leave_features_at_zero():
    """70 % zeros, but each feature nonzero in 30 % of samples: one sample leaves ~28 of 40
    features at zero, a batch of 32 almost none (1 − 0.7³² ≈ 1), as Fashion-MNIST's pixels do."""
    rng = np.random.default_rng(0)
    x = (rng.random((400, 40)) < 0.3) * (rng.random((400, 40)) + 0.1)
    y = np.zeros((400, 2))
    single, wide = (ColumnBatches(x, y, batch, np.dtype(np.float64), find_nonzero=True) for batch in (1, 32))
    single.shuffle(np.arange(400))
    wide.shuffle(np.arange(400))
    np.testing.assert_array_equal(single.get(0)[2], [row for row in range(40) if x[0, single.feature_order[row]]] + [40])
    assert wide.feature_order is None and wide.get(0)[2] is None
    np.testing.assert_array_equal(wide.get(0)[0][:-1], x[:32].T)  # features in their own order


def test_dense_data_is_not_searched_for_zeros():
    rng = np.random.default_rng(0)
    x = rng.random((10, 6)) + 0.5
    batches = ColumnBatches(x, np.zeros((10, 2)), 4, np.dtype(np.float64), find_nonzero=True)
    batches.shuffle(np.arange(10))
    assert batches.get(0)[2] is None


@pytest.fixture(params=["OpenBLAS", "MKL"])
def blas_library(request, monkeypatch):
    """Each library the GIL-free road can call: scipy's OpenBLAS always, MKL where installed."""
    library = blas._scipy_openblas() if request.param == "OpenBLAS" else blas._mkl()
    if library is None:
        pytest.skip("MKL is not installed (pip install nnstudio[mkl])")
    monkeypatch.setattr(blas, "_LIBRARY", library)
    return library


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("m, k, n", [(7, 3, 4), (120, 100, 90)])  # f2py road; ctypes road (no GIL)
def test_gemm_writes_in_place_for_every_operand_layout(dtype, transpose_a, transpose_b, m, k, n, blas_library):
    assert (m * k * n >= RELEASE_GIL_FROM) == (m > 100)
    rng = np.random.default_rng(0)
    storage = rng.random((m + 2, n)).astype(dtype)
    out = storage[:m]  # the first rows of a larger array, as the engine passes them
    a = rng.random((k, m)).astype(dtype).T if transpose_a else rng.random((m, k)).astype(dtype)
    b = rng.random((n, k)).astype(dtype).T if transpose_b else rng.random((k, n)).astype(dtype)
    untouched = storage[m:].copy()
    before = out.copy()
    gemm(out, a, b, alpha=-1.0, beta=1.0)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(storage[:m], before - a @ b, rtol=tolerance, atol=tolerance * k)
    np.testing.assert_array_equal(storage[m:], untouched)
    out[...] = np.nan  # β = 0 must not read the old contents
    gemm(out, a, b)
    np.testing.assert_allclose(out, a @ b, rtol=tolerance)


def test_gemm_refuses_a_result_it_could_not_write_in_place():
    out = np.zeros((4, 6))[:, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        gemm(out, np.ones((4, 2)), np.ones((2, 3)))


def test_the_blas_library_is_scipys_openblas_when_asked_or_when_mkl_is_absent(monkeypatch):
    monkeypatch.setattr(blas, "_LIBRARY", None)
    monkeypatch.setenv("NNSTUDIO_BLAS", "openblas")
    assert blas.library().name == "OpenBLAS (scipy)"
    monkeypatch.setattr(blas, "_LIBRARY", None)
    monkeypatch.delenv("NNSTUDIO_BLAS")
    monkeypatch.setattr(blas, "_mkl_path", lambda: None)  # as on a machine without the mkl package
    assert blas.library().name == "OpenBLAS (scipy)"
    out = np.zeros((128, 100), np.float32)
    a, b = np.ones((128, 90), np.float32), np.ones((90, 100), np.float32)
    gemm(out, a, b)
    np.testing.assert_array_equal(out, np.full((128, 100), 90.0))
