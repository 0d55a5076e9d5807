"""Built-in examples: each loads by name, from the source tree and from a built wheel."""

import gzip
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core import forward
from nnstudio.io import NetworkFileError, list_examples, load_example
from tests.conftest import user_cache_environment

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"cosine-memory": [2, 3, 1], "backprop-4-2-3": [4, 2, 3], "xor": [2, 2, 1], "mnist-mlp": [784, 128, 10],
            "mnist-trained": [784, 32, 10]}
MNIST_SAMPLE = ROOT.parent / "shared" / "data" / "mnist-sample"  # as tests/data/conftest.py finds it


def test_every_expected_example_is_listed_with_its_shape():
    assert set(EXPECTED) <= set(list_examples())
    for name, sizes in EXPECTED.items():
        assert load_example(name).network.sizes == sizes


def test_mnist_mlp_is_he_initialised_softmax_cross_entropy():
    project = load_example("mnist-mlp")
    net = project.network
    assert [layer.activation for layer in net.layers] == ["relu", "softmax"]
    assert project.loss == "cce" and project.input_image == (28, 28)
    assert net.layers[0].weights.std() == pytest.approx((2 / 784) ** 0.5, rel=0.05)
    assert forward(net, project.input).output.sum() == pytest.approx(1.0)


def test_mnist_trained_is_mnist_mlp_with_32_trained_units_in_a_small_file():
    trained, untrained = load_example("mnist-trained"), load_example("mnist-mlp")
    net = trained.network
    assert [layer.activation for layer in net.layers] == ["relu", "softmax"] and trained.loss == "cce"
    assert trained.input_image == (28, 28) and trained.output_labels == tuple("0123456789")
    assert trained.training_data is not None and trained.training_data.dataset == "mnist"
    assert trained.training_data.folder == ""  # no path of the machine that trained it
    assert np.array_equal(trained.input, untrained.input)  # the hand-drawn 7 ...
    assert int(np.argmax(forward(net, trained.input).output)) == 7  # ... read as a 7
    assert trained.runs == () and trained.optimizer.name == "adam" and trained.optimizer.l2 == 0.005
    for layer in net.layers:  # 4 significant digits, and what L2 decayed to nothing written as 0
        values = np.concatenate([layer.weights.ravel(), layer.bias])
        assert all(float(f"{v:.4g}") == v for v in values) and not np.any((values != 0) & (np.abs(values) < 1e-5))
    file = ROOT / "resources" / "examples" / "mnist-trained.nnstudio"
    assert file.stat().st_size < 400_000
    for words in ("7,000", "1,000 test digits", "Adam", "40 epochs", "LeCun", "Cortes", "Burges", "CC BY-SA 3.0",
                  "scripts/make_mnist_trained.py"):
        assert words in trained.description, words


def _idx(path: Path, header: int) -> np.ndarray:
    """An IDX file's values after its header, read with plain numpy (not nnstudio's reader)."""
    return np.frombuffer(gzip.decompress(path.read_bytes()), dtype=np.uint8, offset=header)


def test_mnist_trained_answers_the_share_of_the_sample_test_digits_its_description_says():
    if not (MNIST_SAMPLE / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("the shared MNIST sample is not beside this checkout")
    images = _idx(MNIST_SAMPLE / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
    labels = _idx(MNIST_SAMPLE / "t10k-labels-idx1-ubyte.gz", 8)
    assert len(labels) == len(images) == 1000
    project = load_example("mnist-trained")
    (w1, b1), (w2, b2) = [(layer.weights, layer.bias) for layer in project.network.layers]
    answers = np.argmax(np.maximum(images @ w1.T + b1, 0) @ w2.T + b2, axis=1)  # softmax keeps the order
    stated = re.search(r"answers (\d+\.\d)% of the sample's 1,000 test digits", project.description)
    assert stated is not None, project.description
    assert f"{np.mean(answers == labels):.1%}" == stated.group(1) + "%"
    assert float(stated.group(1)) > 90


def test_xor_example_has_its_four_samples():
    samples = load_example("xor").samples
    assert [(tuple(s.input), s.target[0]) for s in samples] == [((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0)]


def test_unknown_example_lists_the_known_ones():
    with pytest.raises(NetworkFileError, match="examples: backprop-4-2-3, conv-4x4, cosine-memory"):
        load_example("nope")


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory) -> tuple[Path, list[str]]:
    """The wheel built from this checkout, unpacked into a folder of its own: (that folder, the wheel's names)."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("nnstudio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return site, names


def test_example_loads_from_a_freshly_built_wheel(unpacked_wheel, tmp_path):
    """Build the wheel, unpack it somewhere else, and load an example from there alone."""
    site, names = unpacked_wheel
    assert "nnstudio/resources/examples/cosine-memory.nnstudio" in names
    code = (
        "import nnstudio, nnstudio.io as io; from nnstudio.core import forward;"
        "p = io.load_example('cosine-memory');"
        "print(nnstudio.__file__); print(round(float(forward(p.network, p.input).output[0]), 4))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", **user_cache_environment()},
                         timeout=120)
    assert run.returncode == 0, run.stderr
    location, value = run.stdout.split()
    assert location.startswith(str(site))
    assert value == "0.2012"


def test_every_module_of_the_checkout_is_in_the_wheel_and_imports_from_it(unpacked_wheel, tmp_path):
    """A package missing from pyproject.toml's list would leave its modules out of the wheel: every module of
    nnstudio/ must be in it, and import from the unpacked wheel (not from this checkout)."""
    site, names = unpacked_wheel
    here = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "nnstudio").rglob("*.py"))
    assert [name for name in here if name not in names] == []
    modules = [name[:-3].replace("/", ".").removesuffix(".__init__") for name in here]
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    module = importlib.import_module(name)\n"
            "    assert module.__file__.startswith(" + repr(str(site)) + "), (name, module.__file__)\n"
            "print(len(sys.argv) - 1)")
    run = subprocess.run([sys.executable, "-c", code, *modules], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen",
                              **user_cache_environment()}, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(len(modules))] and len(modules) > 100
