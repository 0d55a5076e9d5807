"""The built-in example `lenet`: LeNet-5 trained by nnstudio (scripts/make_lenet_example.py), shipped as a file.

Its accuracy is checked again here with a forward pass written in plain numpy, not nnstudio's, so a slip in the
core's convolution or pooling cannot hide behind the same slip in the check."""

import json
import re

import numpy as np
import pytest

from nnstudio import cli
from nnstudio.core import forward
from nnstudio.core.network import Conv2DLayer, DenseLayer, Pool2DLayer
from nnstudio.io import list_examples, load_example
from tests.io.test_examples import MNIST_SAMPLE, ROOT, _idx

FILE = ROOT / "resources" / "examples" / "lenet.nnstudio"


@pytest.fixture(scope="module")
def lenet():
    return load_example("lenet")


def test_lenet_is_listed_and_loads_as_a_trained_digit_reader(lenet):
    assert "lenet" in list_examples()
    assert lenet.loss == "cce" and lenet.output_labels == tuple("0123456789")
    assert lenet.training_data is not None and lenet.training_data.dataset == "mnist"
    assert lenet.training_data.folder == ""  # no path of the machine that trained it
    assert lenet.runs == () and lenet.optimizer.name == "adam" and lenet.optimizer.learning_rate == 0.001
    assert lenet.network.dtype == np.float64
    for words in ("7,000", "1,000 test digits", "Adam", "12 epochs", "cosine", "--seed 1", "LeCun", "Cortes",
                  "Burges", "CC BY-SA 3.0", "scripts/make_lenet_example.py", "61,706 parameters"):
        assert words in lenet.description, words


def test_lenet_has_lenets_shapes_and_61706_parameters(lenet):
    net = lenet.network
    assert net.input_shape == (1, 28, 28) and net.input_size == 784
    conv1, pool1, conv2, pool2, dense1, dense2, out = net.layers
    assert [type(layer) for layer in net.layers] == [Conv2DLayer, Pool2DLayer, Conv2DLayer, Pool2DLayer,
                                                     DenseLayer, DenseLayer, DenseLayer]
    assert conv1.kernel.shape == (6, 1, 5, 5) and (conv1.stride, conv1.pad) == (1, 2) and conv1.bias.shape == (6,)
    assert conv2.kernel.shape == (16, 6, 5, 5) and (conv2.stride, conv2.pad) == (1, 0) and conv2.bias.shape == (16,)
    assert (pool1.kind, pool1.size, pool2.kind, pool2.size) == ("max", 2, "max", 2)
    # 1×28×28 → (28 + 2·2 − 5 + 1 = 28) 6×28×28 → 6×14×14 → (14 − 5 + 1 = 10) 16×10×10 → 16×5×5 → 120 → 84 → 10
    assert [conv1.out_shape, pool1.out_shape, conv2.out_shape, pool2.out_shape] == [
        (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
    assert [dense1.weights.shape, dense2.weights.shape, out.weights.shape] == [(120, 400), (84, 120), (10, 84)]
    assert net.sizes == [784, 6 * 28 * 28, 6 * 14 * 14, 16 * 10 * 10, 16 * 5 * 5, 120, 84, 10]
    assert [layer.activation for layer in net.layers] == ["relu", "identity", "relu", "identity", "relu", "relu",
                                                          "softmax"]
    by_hand = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert net.parameter_count == by_hand == 61_706


def test_lenet_weights_have_4_significant_digits_in_a_file_under_1_mb(lenet):
    for layer in lenet.network.layers:
        for values in layer.parameters():
            if values is not None:
                assert all(float(f"{v:.4g}") == v for v in values.ravel())
    assert FILE.stat().st_size < 1_000_000


def test_lenets_current_input_is_mnist_mlps_hand_drawn_7_and_read_as_a_7(lenet):
    assert np.array_equal(lenet.input, load_example("mnist-mlp").input)
    assert int(np.argmax(forward(lenet.network, lenet.input).output)) == 7


def _correlate(maps: np.ndarray, kernel: np.ndarray, bias: np.ndarray, pad: int) -> np.ndarray:
    """(N, C, H, W) maps, (O, C, k, k) kernel → (N, O, H', W'): each output pixel the sum of the window times the
    kernel (cross-correlation, stride 1), plus the bias."""
    padded = np.pad(maps, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape[2:], axis=(2, 3))  # N, C, H', W', k, k
    return np.einsum("nchwij,ocij->nohw", windows, kernel) + bias[None, :, None, None]


def _max_pool_2(maps: np.ndarray) -> np.ndarray:
    n, c, h, w = maps.shape
    return maps[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def _answers(project, images: np.ndarray) -> np.ndarray:
    conv1, _, conv2, _, dense1, dense2, out = project.network.layers
    a = np.maximum(_correlate(images.reshape(-1, 1, 28, 28), conv1.kernel, conv1.bias, pad=2), 0)
    a = _max_pool_2(np.maximum(_correlate(_max_pool_2(a), conv2.kernel, conv2.bias, pad=0), 0))
    a = a.reshape(len(a), -1)  # (C, H, W) order, as the dense layer reads it
    a = np.maximum(np.maximum(a @ dense1.weights.T + dense1.bias, 0) @ dense2.weights.T + dense2.bias, 0)
    return np.argmax(a @ out.weights.T + out.bias, axis=1)  # softmax keeps the order


def test_lenet_answers_the_share_of_the_sample_test_digits_its_description_says(lenet):
    if not (MNIST_SAMPLE / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("the shared MNIST sample is not beside this checkout")
    images = _idx(MNIST_SAMPLE / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
    labels = _idx(MNIST_SAMPLE / "t10k-labels-idx1-ubyte.gz", 8)
    assert len(labels) == len(images) == 1000
    answers = np.concatenate([_answers(lenet, images[i: i + 250]) for i in range(0, 1000, 250)])
    assert np.array_equal(answers, forward(lenet.network, images).output.argmax(axis=1))  # numpy agrees with core
    stated = re.search(r"answers (\d+\.\d)% of the sample's 1,000 test digits", lenet.description)
    assert stated is not None, lenet.description
    assert f"{np.mean(answers == labels):.1%}" == stated.group(1) + "%"
    assert float(stated.group(1)) > 97


def test_nnstudio_eval_lenet_prints_10_probabilities_that_sum_to_1(capsys):
    assert cli.main(["eval", "lenet", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["input_shape"] == [1, 28, 28]
    output = np.array(printed["output"])
    assert output.shape == (10,) and np.all(output >= 0) and output.sum() == pytest.approx(1.0)
    assert int(np.argmax(output)) == 7
