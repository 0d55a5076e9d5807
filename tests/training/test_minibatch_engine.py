"""Mini-batches in the column layout, and rarely-nonzero inputs as a sparse matrix, against plain numpy.

The engine lays a batch out one sample per column, stores each W as neurons × inputs with
its bias apart, and updates W with one BLAS call. For sparse data the
first layer reads the often-nonzero inputs as a dense block and the rest as lists of
their nonzero values per sample. These tests write the textbook mini-batch loop out by
hand and hold the engine to it.
"""

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, OptimizerConfig
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, blas, drive, rare_inputs, train
from nnstudio.training import batches as batches_module
from nnstudio.training import engine as engine_module
from nnstudio.training.batches import ColumnBatches, rare_split
from nnstudio.training.blas import RELEASE_GIL_FROM, gemm
from nnstudio.training.engine import FastMLP
from nnstudio.training.rare_inputs import RareInputs, add_outer_products, add_products

LISTED_WORK_AT_LEAST = batches_module.LISTED_WORK_AT_LEAST


@pytest.fixture(autouse=True)
def _split_even_small_batches(monkeypatch):
    """These networks and batches are far too small for the split's GIL rule; lift it so the
    split's arithmetic is tested at every batch size (its own test below puts it back)."""
    monkeypatch.setattr(batches_module, "LISTED_WORK_AT_LEAST", 0)


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


def _count_rare_products(monkeypatch) -> list:
    """Spy on the engine's sparse products: the list grows by one per call."""
    calls = []
    original = engine_module.add_products
    monkeypatch.setattr(engine_module, "add_products", lambda *args: (calls.append(1), original(*args)))
    return calls


def _assert_same_parameters(first: Network, second: Network, atol: float) -> None:
    for mine, theirs in zip(first.layers, second.layers, strict=True):
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=0, atol=atol)
        if mine.bias is None:
            assert theirs.bias is None
        else:
            np.testing.assert_allclose(mine.bias, theirs.bias, rtol=0, atol=atol)


def _trained_with_and_without_split(network, data, config, monkeypatch) -> tuple[Network, Network]:
    """The same run twice: rare inputs split off (the sparse products ran), then one dense block."""
    rare_products = _count_rare_products(monkeypatch)
    split = drive(train(network, "cce", data, None, config)).network
    assert rare_products
    monkeypatch.setattr(batches_module, "SPLIT_WORTH", 2.0)  # more than any split can save
    whole = drive(train(network, "cce", data, None, config)).network
    return split, whole


@pytest.mark.parametrize("split", [True, False])
@pytest.mark.parametrize("first_bias", [True, False])
@pytest.mark.parametrize("batch", [1, 4, 5, 23])
def test_minibatch_sgd_on_sparse_data_equals_the_hand_written_loop(batch, first_bias, split, monkeypatch):
    """23 samples: batch 4 and 5 leave a short last batch; 23 is one batch of all. Split: the
    features used by at least one sample in ten form the dense block, the rest are listed;
    not split: one dense block of every feature."""
    data = _sparse_set(skew=0.3)
    split_at = rare_split(data.x)
    assert split_at is not None and 1 < split_at.dense < 40  # both parts hold features
    if not split:
        monkeypatch.setattr(batches_module, "SPLIT_WORTH", 2.0)  # more than any split can save
    rare_products = _count_rare_products(monkeypatch)
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
    assert bool(rare_products) == split  # the path under test ran


@pytest.mark.parametrize("optimizer", [OptimizerConfig("momentum", learning_rate=0.3, momentum=0.9),
                                       OptimizerConfig("adam", learning_rate=0.05),
                                       OptimizerConfig("sgd", learning_rate=0.5, l2=0.01)])
def test_other_optimisers_get_the_same_first_layer_gradient_from_the_listed_inputs(optimizer, monkeypatch):
    """Momentum, Adam and L2 move every weight each step, so the listed part must give the whole
    gradient (zero where an input was zero), not skip rows: the same run without the split agrees."""
    data = _sparse_set(skew=0.3)
    network = _network()
    config = TrainingConfig(epochs=2, batch_size=5, optimizer=optimizer, seed=1, dtype="float64")
    split, whole = _trained_with_and_without_split(network, data, config, monkeypatch)
    _assert_same_parameters(split, whole, atol=1e-12)
    assert not np.allclose(split.layers[0].weights[:, 5], network.layers[0].weights[:, 5])


@pytest.mark.parametrize("layers", [("sigmoid", "softmax"), ("tanh", "softmax"), ("identity", "softmax"), ("softmax",)])
def test_the_split_first_layer_works_with_each_activation_and_as_the_output_layer(layers, monkeypatch):
    """The split first layer keeps its blocks sample by sample; every activation (and softmax,
    the loss and δ when it is the only layer) reads them right: same run as without the split."""
    data = _sparse_set(skew=0.3)
    rng = np.random.default_rng(2)
    sizes = [40, 7, 3][:len(layers) + 1] if len(layers) > 1 else [40, 3]
    network = Network(40, tuple(DenseLayer(rng.normal(0, 0.4, (n_out, n_in)), rng.normal(0, 0.1, n_out), name)
                                for n_in, n_out, name in zip(sizes[:-1], sizes[1:], layers)))
    config = TrainingConfig(epochs=2, batch_size=5, optimizer=OptimizerConfig("sgd", learning_rate=0.5), seed=1,
                            dtype="float64")
    split, whole = _trained_with_and_without_split(network, data, config, monkeypatch)
    _assert_same_parameters(split, whole, atol=1e-12)
    assert not np.allclose(split.layers[0].weights, network.layers[0].weights)


def _listed(x_rare: np.ndarray, bias: bool) -> RareInputs:
    """RareInputs for a rare block of inputs given as rows × samples, by hand."""
    starts, features, values = [0], [], []
    for column in x_rare.T:
        rows = [row for row in range(len(column)) if column[row]]
        features += rows + ([len(column)] if bias else [])
        values += [column[row] for row in rows] + ([1.0] if bias else [])
        starts.append(len(features))
    values = np.array(values)
    return RareInputs(np.array(starts, np.int32), np.array(features, np.int32), values, -values,
                      len(x_rare) + bias)


@pytest.mark.parametrize("optimizer", [OptimizerConfig("sgd", learning_rate=0.5), OptimizerConfig("sgd", 0.3, l2=0.1),
                                       OptimizerConfig("momentum", 0.2), OptimizerConfig("adam", 0.05)])
def test_inputs_without_a_ones_row_get_the_first_bias_added_apart_with_the_same_steps(optimizer):
    """What ColumnBatches hands the engine (inputs only, each sample's row contiguous: a transposed
    block) trains exactly like the block with its row of ones, which the hand-written loops check."""
    network = _network(features=8, first_bias=True)
    rng = np.random.default_rng(4)
    rows = rng.random((5, 8))
    y = np.eye(3)[[0, 2, 1, 1, 0]].T.copy()
    with_ones = np.vstack([rows.T, np.ones((1, 5))])
    apart = FastMLP(network, "cce", optimizer, "float64")
    whole = FastMLP(network, "cce", optimizer, "float64")
    for _ in range(3):
        assert apart.train_columns(rows.T, y) == pytest.approx(whole.train_columns(with_ones.copy(), y), abs=1e-14)
    _assert_same_parameters(apart.to_network(), whole.to_network(), atol=1e-14)
    assert not np.allclose(apart.to_network().layers[0].bias, network.layers[0].bias)  # the bias did learn


@pytest.mark.parametrize("first_bias", [True, False])
def test_a_dense_block_and_listed_values_train_like_the_whole_block(first_bias):
    """Inputs 0–2 as the dense block, 3–7 listed (and the ones for the bias): the same step as
    the whole 9-row block; with an input missing from the lists, the step of that input at zero."""
    network = _network(features=8, first_bias=first_bias)
    x = np.zeros((9, 3))
    x[:3] = [[1.0, 0.5, 0.0], [0.0, 2.0, 1.0], [0.3, 0.0, 0.0]]
    x[[4, 6], 0], x[7, 2] = (0.7, 0.2), 1.5
    x[-1] = 1.0
    y = np.eye(3)
    whole = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    split = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    loss = split.train_columns(x[:3].copy(), y, _listed(x[3:8], first_bias))
    assert loss == pytest.approx(whole.train_columns(x.copy(), y), abs=1e-14)
    _assert_same_parameters(split.to_network(), whole.to_network(), atol=1e-14)
    unlisted = x[3:8].copy()
    unlisted[4 - 3, 0] = 0.0  # input 4 of sample 0 left off the list
    told = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    told.train_columns(x[:3].copy(), y, _listed(unlisted, first_bias))
    zeroed = x.copy()
    zeroed[4, 0] = 0.0
    honest = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    honest.train_columns(zeroed, y)
    _assert_same_parameters(told.to_network(), honest.to_network(), atol=1e-14)
    with pytest.raises(ValueError, match="do not make the first layer"):
        told.train_columns(x[:4].copy(), y, _listed(x[3:8], first_bias))
    with pytest.raises(ValueError, match="for 2 samples in a batch of 3"):
        told.train_columns(x[:3].copy(), y, _listed(x[3:8, :2], first_bias))
    with pytest.raises(ValueError, match="fewer than the first layer"):
        told.train_columns(x[:5].copy(), y)


@pytest.mark.parametrize("first_bias", [True, False])
def test_switching_a_first_layer_between_split_and_whole_keeps_parameters_and_adams_memory(first_bias):
    """Two Adam steps on the whole block, two on the split one, one on the whole again: the same
    five steps as the whole block throughout (the first layer's storage and Adam's m and v move
    between one and two blocks in between)."""
    network = _network(features=8, first_bias=first_bias)
    rng = np.random.default_rng(7)
    x = np.vstack([rng.random((3, 4)), np.where(rng.random((5, 4)) < 0.3, rng.random((5, 4)), 0.0), np.ones((1, 4))])
    y = np.eye(3)[[0, 2, 1, 1]].T.copy()
    adam = OptimizerConfig("adam", 0.05)
    switching = FastMLP(network, "cce", adam, "float64")
    whole = FastMLP(network, "cce", adam, "float64")
    for step in range(5):
        listed = _listed(x[3:8], first_bias) if step in (2, 3) else None
        mine = switching.train_columns(x[:3].copy() if listed else x.copy(), y, listed)
        assert mine == pytest.approx(whole.train_columns(x.copy(), y), abs=1e-14)
        _assert_same_parameters(switching.to_network(), whole.to_network(), atol=1e-14)
    assert not np.allclose(whole.to_network().layers[0].weights, network.layers[0].weights)


def test_a_batch_of_zeros_into_a_layer_without_bias_trains_like_the_full_product():
    """Nothing is listed and there is no bias row: the rare rows get no product at all."""
    network = _network(features=8, first_bias=False)
    x = np.zeros((9, 3))
    x[-1] = 1.0
    told = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    loss = told.train_columns(x[:2].copy(), np.eye(3), _listed(x[2:8], bias=False))
    honest = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=0.5), "float64")
    assert loss == pytest.approx(honest.train_columns(x.copy(), np.eye(3)), abs=1e-15)
    _assert_same_parameters(told.to_network(), honest.to_network(), atol=1e-15)


@pytest.fixture(params=["scipy", "numpy"])
def rare_kernels(request, monkeypatch):
    """scipy's sparse loops where this scipy has them, and the numpy fallback."""
    if request.param == "scipy":
        kernels = rare_inputs._scipy_kernels()
        if kernels is None:
            pytest.skip("this scipy has no csr_matvecs/csc_matvecs")
    else:
        kernels = rare_inputs._numpy_kernels()
    monkeypatch.setattr(rare_inputs, "_BY_SAMPLE", kernels[0])
    monkeypatch.setattr(rare_inputs, "_BY_FEATURE", kernels[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_listed_inputs_multiply_like_the_dense_matrix(dtype, rare_kernels):
    """A batch's slice of an epoch's lists (starts not at 0, a sample with nothing listed):
    both sparse products equal the dense ones with numpy's matmul."""
    rng = np.random.default_rng(0)
    x = (rng.random((6, 5)) < 0.3) * rng.random((6, 5))  # rare rows × samples
    x[:, 2] = 0
    lists = _listed(x, bias=False)
    offset = 4  # as if three earlier samples' entries came first
    rare = RareInputs(lists.starts + offset, np.r_[np.zeros(offset, np.int32), lists.features],
                      np.r_[np.full(offset, 9.0), lists.values].astype(dtype),
                      np.r_[np.full(offset, -9.0), lists.negated].astype(dtype), 6)
    weights = rng.random((6, 4)).astype(dtype)
    out_t = rng.random((5, 4)).astype(dtype)
    expected = out_t + x.T @ weights
    add_products(out_t, rare, weights)
    tolerance = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(out_t, expected, rtol=tolerance, atol=tolerance)
    delta_t = rng.random((5, 4)).astype(dtype)
    grad = rng.random((6, 4)).astype(dtype)
    expected = grad - x @ delta_t
    add_outer_products(grad, rare, delta_t, rare.negated)
    np.testing.assert_allclose(grad, expected, rtol=tolerance, atol=tolerance)
    with pytest.raises(ValueError, match="C-contiguous"):
        add_products(np.zeros((4, 5), dtype).T, rare, weights)


def test_the_scipy_kernels_are_used_when_they_pass_their_check(monkeypatch):
    """scipy is a dependency, so its loops must be the ones in use here; and a routine that gives a wrong
    sum on the small hand-computed product is refused (the numpy sums serve instead)."""
    from scipy.sparse import _sparsetools as sparsetools

    assert rare_inputs.USES_SCIPY is True
    assert rare_inputs._BY_SAMPLE is sparsetools.csr_matvecs
    assert rare_inputs._BY_FEATURE is sparsetools.csc_matvecs
    real = sparsetools.csr_matvecs

    def off_by_one(*args):
        real(*args)
        args[-1][0] += 1.0  # one wrong number in the result

    monkeypatch.setattr(sparsetools, "csr_matvecs", off_by_one)
    assert rare_inputs._scipy_kernels() is None
    monkeypatch.setattr(sparsetools, "csr_matvecs", real)
    assert rare_inputs._scipy_kernels() == (real, sparsetools.csc_matvecs)


def test_column_batches_hold_the_shuffled_samples_split_into_dense_rows_and_lists():
    data = _sparse_set(n=11, skew=0.3)
    x, y = data.x, data.targets(np.float64, 3)
    batches = ColumnBatches(x, y, 4, np.dtype(np.float64), bias=True)
    features, dense = batches.feature_order, batches.dense
    assert sorted(features) == list(range(x.shape[1]))
    used = (x != 0).sum(axis=0)[features]
    # the dense features, then the rare ones, each group in the inputs' own order
    assert np.all(np.diff(features[:dense]) > 0) and np.all(np.diff(features[dense:]) > 0)
    assert np.all(used[:dense] >= 0.1 * 11) and np.all(used[dense:] < 0.1 * 11)
    order = np.random.default_rng(1).permutation(11)
    batches.shuffle(order)
    assert batches.steps == 3
    for step in range(3):
        picked = order[step * 4:step * 4 + 4]
        block_x, block_y, rare = batches.get(step)
        np.testing.assert_array_equal(block_x, x[picked][:, features[:dense]].T)
        np.testing.assert_array_equal(block_y, y[picked].T)
        assert rare.samples == len(picked) and rare.rows == 40 - dense + 1
        for column, sample in enumerate(picked):
            entries = slice(rare.starts[column], rare.starts[column + 1])
            rows = [row for row in range(40 - dense) if x[sample, features[dense + row]]]
            np.testing.assert_array_equal(rare.features[entries], rows + [40 - dense])  # the bias's 1 last
            listed = [x[sample, features[dense + row]] for row in rows] + [1]
            np.testing.assert_array_equal(rare.values[entries], listed)
            np.testing.assert_array_equal(rare.negated[entries], -rare.values[entries])
    no_bias = ColumnBatches(x, y, 4, np.dtype(np.float64), bias=False)
    no_bias.shuffle(order)
    rare = no_bias.get(0)[2]
    assert rare.rows == 40 - dense and np.all(rare.features[rare.starts[0]:rare.starts[-1]] < 40 - dense)


def test_beside_a_window_batches_too_small_for_long_sparse_products_stay_dense(monkeypatch):
    """MNIST-like lists (~8 values per sample and the bias's 1) into 128 neurons: a batch of
    4 gives ~4,600 multiply-adds per sparse product, long enough; a batch of 2 half that."""
    monkeypatch.setattr(batches_module, "LISTED_WORK_AT_LEAST", LISTED_WORK_AT_LEAST)
    rng = np.random.default_rng(0)
    x = np.zeros((1000, 180))
    x[:, :20] = rng.random((1000, 20)) * (rng.random((1000, 20)) < 0.5)     # busy features
    x[:, 20:] = rng.random((1000, 160)) * (rng.random((1000, 160)) < 0.05)  # ~8 rare values each
    y = np.zeros((1000, 2))
    listed = float(np.count_nonzero(x[:, 20:])) / 1000 + 1
    assert 4 * listed * 128 >= LISTED_WORK_AT_LEAST > 2 * listed * 128
    assert ColumnBatches(x, y, 4, np.dtype(np.float32), width=128).feature_order is not None
    assert ColumnBatches(x, y, 2, np.dtype(np.float32), width=128).feature_order is None
    assert ColumnBatches(x, y, 2, np.dtype(np.float32)).feature_order is not None  # headless: always


def test_a_run_beside_a_window_releases_the_gil_in_mid_sized_products_and_learns_the_same(monkeypatch):
    """TrainingControl(responsive=True): the engine's products from 2^16 multiply-adds go the
    GIL-free road, and the result is the same numbers as the headless run."""
    from nnstudio.training import TrainingControl
    from nnstudio.training.loop import RESPONSIVE_RELEASE_GIL_FROM

    thresholds = []
    original = engine_module.Product

    def product(*args, **kwargs):
        thresholds.append(kwargs["release_gil_from"])
        return original(*args, **kwargs)

    monkeypatch.setattr(engine_module, "Product", product)
    data = _sparse_set(skew=0.3)
    network = _network()
    config = TrainingConfig(epochs=2, batch_size=4, optimizer=OptimizerConfig("sgd", learning_rate=0.5), seed=1,
                            dtype="float64")
    beside = drive(train(network, "cce", data, None, config, TrainingControl(responsive=True))).network
    assert set(thresholds) == {RESPONSIVE_RELEASE_GIL_FROM} and RESPONSIVE_RELEASE_GIL_FROM < RELEASE_GIL_FROM
    thresholds.clear()
    alone = drive(train(network, "cce", data, None, config)).network
    assert set(thresholds) == {RELEASE_GIL_FROM}
    _assert_same_parameters(beside, alone, atol=1e-12)


def test_only_data_with_enough_rarely_used_features_is_split():
    """70 % zeros, but each feature nonzero in 30 % of samples: nothing is rare, as on
    Fashion-MNIST's middle; dense data neither; MNIST-like data (a few busy features, many
    rare ones) is."""
    rng = np.random.default_rng(0)
    spread = (rng.random((400, 40)) < 0.3) * (rng.random((400, 40)) + 0.1)
    assert rare_split(spread) is None
    batches = ColumnBatches(spread, np.zeros((400, 2)), 32, np.dtype(np.float64))
    batches.shuffle(np.arange(400))
    block, _, rare = batches.get(0)
    assert batches.feature_order is None and rare is None
    np.testing.assert_array_equal(block, spread[:32].T)  # features in their own order (the bias is added apart)
    assert rare_split(rng.random((10, 6)) + 0.5) is None
    mnist_like = _sparse_set(n=200, skew=0.3).x
    split = rare_split(mnist_like)
    assert 1 < split.dense < 40
    assert split.listed_per_sample == pytest.approx(np.count_nonzero(mnist_like[:, split.order[split.dense:]]) / 200)


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
# f2py road, ctypes road (no GIL); matrix × vector (?gemv) and a rank-one update (?ger, with β = 1) on
# each road, and small ones (?gemm)
@pytest.mark.parametrize("m, k, n", [(7, 3, 4), (120, 100, 90), (7, 3, 1), (300, 300, 1), (1100, 1000, 1),
                                     (7, 1, 4), (300, 1, 300), (1100, 1, 1000)])
@pytest.mark.parametrize("out_order", ["C", "F"])
def test_gemm_writes_in_place_for_every_operand_layout(dtype, transpose_a, transpose_b, m, k, n, out_order,
                                                       blas_library):
    assert (m * k * n >= RELEASE_GIL_FROM) == (m > 1000 or m * k * n > 100**3)
    rng = np.random.default_rng(0)
    # the first rows (C) or columns (Fortran order) of a larger array, as the engine passes them
    if out_order == "C":
        storage = rng.random((m + 2, n)).astype(dtype)
        out, rest = storage[:m], (slice(m, None),)
    else:
        storage = np.asfortranarray(rng.random((m, n + 2)).astype(dtype))
        out, rest = storage[:, :n], (slice(None), slice(n, None))
    a = rng.random((k, m)).astype(dtype).T if transpose_a else rng.random((m, k)).astype(dtype)
    b = rng.random((n, k)).astype(dtype).T if transpose_b else rng.random((k, n)).astype(dtype)
    untouched = storage[rest].copy()
    before = out.copy()
    gemm(out, a, b, alpha=-1.0, beta=1.0)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(out, before - a @ b, rtol=tolerance, atol=tolerance * k)
    np.testing.assert_array_equal(storage[rest], untouched)
    out[...] = np.nan  # β = 0 must not read the old contents
    gemm(out, a, b)
    np.testing.assert_allclose(out, a @ b, rtol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_order, b_order, out_order", [("C", "C", "C"), ("F", "C", "F"), ("C", "F", "F"),
                                                         ("F", "F", "C")])
@pytest.mark.parametrize("m, k, n", [(7, 3, 4), (120, 100, 90), (300, 300, 1), (300, 1, 300)])
@pytest.mark.parametrize("release_gil_from", [0, RELEASE_GIL_FROM])  # ctypes road (prepared), gemm's road
def test_a_prepared_product_computes_with_present_values_and_stand_in_operands(dtype, a_order, b_order, out_order,
                                                                                m, k, n, release_gil_from,
                                                                                blas_library):
    """A Product is made once and called every step: with the arrays' values at the call, and with
    another array (a batch's inputs) in place of an operand when given one."""
    rng = np.random.default_rng(3)

    def matrix(rows, cols, order):
        return np.asarray(rng.random((rows, cols)), dtype, order=order)

    a, b, out = matrix(m, k, a_order), matrix(k, n, b_order), matrix(m, n, out_order)
    product = blas.Product(out, a, b, alpha=-0.5, beta=1.0, release_gil_from=release_gil_from)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    for _ in range(2):  # values changed in place between calls are the ones multiplied
        a[...], b[...] = rng.random((m, k)), rng.random((k, n))
        before = out.astype(np.float64)
        product()
        np.testing.assert_allclose(out, before - 0.5 * (a.astype(np.float64) @ b), rtol=tolerance, atol=tolerance * k)
    other_a, other_b = matrix(m, k, a_order), matrix(k, n, b_order)
    before = out.astype(np.float64)
    product(a=other_a)
    np.testing.assert_allclose(out, before - 0.5 * (other_a.astype(np.float64) @ b), rtol=tolerance,
                               atol=tolerance * k)
    before = out.astype(np.float64)
    product(b=other_b)  # the stand-in a was for that call only
    np.testing.assert_allclose(out, before - 0.5 * (a.astype(np.float64) @ other_b), rtol=tolerance,
                               atol=tolerance * k)


def test_a_prepared_product_refuses_a_stand_in_of_another_shape_or_layout(blas_library):
    """BLAS would read past a stand-in that is smaller or laid out otherwise than the prepared operand."""
    a, b, out = np.ones((200, 100), np.float32), np.ones((100, 64), np.float32), np.zeros((200, 64), np.float32)
    product = blas.Product(out, a, b, release_gil_from=0)
    with pytest.raises(ValueError, match="operand b must be"):
        product(b=np.ones((100, 32), np.float32))
    with pytest.raises(ValueError, match="operand a must be"):
        product(a=np.asfortranarray(a))
    with pytest.raises(ValueError, match="operand a must be"):
        product(a=a.astype(np.float64))
    np.testing.assert_array_equal(out, 0)  # nothing was computed
    with pytest.raises(ValueError, match="cannot multiply"):
        blas.Product(out, a, np.ones((99, 64), np.float32))


def test_a_small_product_asked_to_release_the_gil_takes_the_ctypes_road_and_is_right(monkeypatch, blas_library):
    calls = []
    routine = blas_library.routines["sgemm"]
    monkeypatch.setitem(blas_library.routines, "sgemm", lambda *args: (calls.append(1), routine(*args)))
    rng = np.random.default_rng(1)
    a, b = rng.random((5, 3)).astype(np.float32), rng.random((3, 4)).astype(np.float32)
    out = np.zeros((5, 4), np.float32)
    gemm(out, a, b, release_gil_from=0)
    np.testing.assert_allclose(out, a @ b, rtol=1e-6)
    assert calls == [1]
    gemm(out, a, b)  # by default so small a product keeps the GIL (scipy's f2py wrapper)
    assert calls == [1]


@pytest.mark.parametrize("routine_name, k, n", [("sgemv", 300, 1), ("sger", 1, 300)])
def test_a_product_with_a_vector_goes_to_gemv_or_ger(monkeypatch, blas_library, routine_name, k, n):
    """Batch 1: OpenBLAS's gemm is several times slower on a vector than gemv/ger (bench_train.py)."""
    calls = []
    for name in ("sgemm", "sgemv", "sger"):
        routine = blas_library.routines[name]
        monkeypatch.setitem(blas_library.routines, name,
                            lambda *args, name=name, routine=routine: (calls.append(name), routine(*args)))
    rng = np.random.default_rng(2)
    a, b = rng.random((300, k)).astype(np.float32), rng.random((k, n)).astype(np.float32)
    out = np.ones((300, n), np.float32)
    gemm(out, a, b, alpha=-2.0, beta=1.0, release_gil_from=0)
    np.testing.assert_allclose(out, 1 - 2 * (a @ b), rtol=1e-5, atol=1e-5)
    assert calls == [routine_name]


def test_gemm_refuses_a_result_it_could_not_write_in_place():
    out = np.zeros((4, 6))[:, ::2]
    with pytest.raises(ValueError, match="contiguous"):
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
