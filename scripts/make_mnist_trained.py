"""Make the built-in example `mnist-trained`: a 784-32-10 network trained by nnstudio itself on an MNIST sample.

    python scripts/make_mnist_trained.py [--data-dir ../shared/data/mnist-sample]
                                         [--out resources/examples/mnist-trained.nnstudio]

The `mnist-units` lesson teaches what hidden units learn; it needs a network whose units have learned something
(mnist-mlp's weights are random), small enough to browse in Results → Units (32 units) and to ship (the weights
rounded to 4 significant digits keep the file near 230 KB). The data is not shipped, only the weights.

The recipe: `nnstudio new 784-32-10 --image --seed 1` (He weights), then `nnstudio train` on the sample's 7,000
training digits (a subset of MNIST's 60,000): Adam, α = 0.001, batches of 32, 40 epochs, L2 = 0.005 (it smooths
the unit pictures into strokes: without it they keep the noise of their random start where digits have no ink),
seed 0, float64. It reaches 93.5% on the 1,000 test digits (without L2, 93–94% too, but noisy pictures). The test
accuracy written into the description is recomputed here on the sample's 1,000 test digits from the rounded
weights the file holds (tests/io/test_examples.py checks it again). The rest of the example is mnist-mlp's:
the 28×28 input image, the labels "0".."9", the training data `mnist` and its current input, a hand-drawn 7.

The run is float64 and seeded, so it repeats on one machine; another BLAS may round sums in another order and
end a few units of the last digit apart. The file's run record is dropped (it holds the training's seconds and
the data folder of the machine that made it): the description says how it was trained.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from nnstudio.cli import main as nnstudio
from nnstudio.core.network import Network
from nnstudio.core.project import Project
from nnstudio.core.trace import forward
from nnstudio.data.image_sets import FILE_NAMES, load_image_set
from nnstudio.io.examples import load_example
from nnstudio.io.network_file import load_project, save_project

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "mnist-sample"
OUT = ROOT / "resources" / "examples" / "mnist-trained.nnstudio"
START = ["new", "784-32-10", "--image", "--seed", "1"]
RECIPE = ["--dataset", "mnist", "--epochs", "40", "--batch-size", "32", "--optimizer", "adam", "--lr", "0.001",
          "--l2", "0.005", "--seed", "0", "--precision", "float64", "--quiet"]
DESCRIPTION = (
    "A multilayer perceptron for handwritten digits, trained: 784 inputs (a 28×28 image, values 0 to 1), "
    "32 ReLU hidden units, 10 softmax outputs and categorical cross-entropy. Trained by nnstudio "
    "(scripts/make_mnist_trained.py) on a sample of MNIST, 7,000 of its training digits: Adam, learning rate "
    "0.001, batches of 32, 40 epochs, L2 0.005, seed 0. It answers {accuracy} of the sample's 1,000 test digits "
    "right. Results → Units shows what each hidden unit learned to look for: pieces of strokes. The weights are "
    "rounded to 4 significant digits (those under 0.00001 to 0). The current input is a hand-drawn 7. MNIST: "
    "Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0; the data is not included, only the "
    "weights learned from it."
)


FLOOR = 1e-5  # smaller weights are written as 0


def significant(values: np.ndarray, digits: int = 4) -> np.ndarray:
    """Each value rounded to `digits` significant digits, as the shortest decimal that says it (so the file
    writes 0.01234, not 0.012339999999999999), and one under FLOOR as 0: a pixel that no training digit inks
    gets no gradient but L2's, which Adam's steps drive down to 1e-200 and less, numbers that would only fill
    the file (a fifth of W1). Rounding a typical weight (0.01 to 0.3) to 4 digits moves it by about as much."""
    flat = [0.0 if abs(v) < FLOOR else float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float).ravel()]
    return np.array(flat).reshape(np.shape(values))


def rounded(network: Network) -> Network:
    for index, layer in enumerate(network.layers):
        network = network.with_layer(index, layer.replace(weights=significant(layer.weights),
                                                          bias=significant(layer.bias), weight_text={},
                                                          bias_text={}))
    return network


def test_accuracy(network: Network, data_dir: Path) -> float:
    """The share of the sample's test digits the network answers right (its largest output)."""
    _, test = load_image_set("mnist", data_dir, allow_download=False, dtype="float64")
    answers = forward(network, test.x).output.argmax(axis=1)
    return float(np.mean(answers == test.y))


def make(data_dir: Path, out: Path) -> Project:
    missing = [name for name in FILE_NAMES.values() if not (data_dir / name).is_file()]
    if missing:  # else `nnstudio train` would look elsewhere, or download the full set, and train on another set
        raise SystemExit(f"{data_dir} does not hold the MNIST sample's files: {', '.join(missing)} missing")
    with tempfile.TemporaryDirectory() as folder:
        start, trained = Path(folder) / "start.nnstudio", Path(folder) / "trained.nnstudio"
        if nnstudio([*START, "--out", str(start)]) != 0:
            raise SystemExit("nnstudio new failed")
        if nnstudio(["train", str(start), *RECIPE, "--data-dir", str(data_dir), "--out", str(trained)]) != 0:
            raise SystemExit("nnstudio train failed")
        result = load_project(trained)
    network = rounded(result.network)
    accuracy = test_accuracy(network, data_dir)
    example = load_example("mnist-mlp").replace(
        network=network, optimizer=result.optimizer, name="MNIST, trained (784-32-10)",
        description=DESCRIPTION.format(accuracy=f"{accuracy:.1%}"))
    save_project(example, out)
    print(f"saved {out}: test accuracy {accuracy:.1%} on the sample's 1,000 test digits, "
          f"{out.stat().st_size / 1000:.0f} KB")
    return example


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=SHARED, help="folder holding the MNIST sample's IDX files")
    parser.add_argument("--out", type=Path, default=OUT)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    make(arguments.data_dir, arguments.out)
