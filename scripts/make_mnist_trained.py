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

from pathlib import Path

from nnstudio.core.project import Project
from nnstudio.io.examples import load_example
from sample_training import ROOT, command_line, rounded, save_example, test_accuracy, train_on_sample

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


#: Smaller weights are written as 0: a pixel that no training digit inks gets no gradient but L2's, which Adam's
#: steps drive down to 1e-200 and less, numbers that would only fill the file (a fifth of W1).
FLOOR = 1e-5


def make(data_dir: Path, out: Path) -> Project:
    result = train_on_sample(START, RECIPE, data_dir)
    network = rounded(result.network, FLOOR)
    accuracy = test_accuracy(network, data_dir)
    example = load_example("mnist-mlp").replace(
        network=network, optimizer=result.optimizer, name="MNIST, trained (784-32-10)",
        description=DESCRIPTION.format(accuracy=f"{accuracy:.1%}"))
    save_example(example, out, accuracy)
    return example


if __name__ == "__main__":
    arguments = command_line(__doc__, OUT)
    make(arguments.data_dir, arguments.out)
