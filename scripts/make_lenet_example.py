"""Make the built-in example `lenet`: LeNet-5 trained by nnstudio itself on an MNIST sample.

    python scripts/make_lenet_example.py [--data-dir ../shared/data/mnist-sample]
                                         [--out resources/examples/lenet.nnstudio]

Issue 35 shows what happens inside a convolutional network: feature maps, kernels, receptive fields, δ flowing
back through every map. Random kernels show only noise, so the example is LeNet with kernels that have learned
strokes and edges, small enough to ship (61,706 parameters, rounded to 4 significant digits: about 600 KB).
The data is not shipped, only the weights.

The recipe: `nnstudio new 1x28x28-c6k5p2-m2-c16k5-m2-120-84-10 --seed 1` (He weights, ReLU, softmax output,
categorical cross-entropy), then `nnstudio train` on the sample's 7,000 training digits (a subset of MNIST's
60,000): Adam, α = 0.001 with cosine decay, batches of 32, 12 epochs, seed 0, float64. It reaches 98.5% on the
sample's 1,000 test digits (a constant α overfits the small sample: its test accuracy swings between 96.5% and
98.7% after epoch 10; the decay settles it). The test accuracy written into the description is recomputed here
from the rounded weights the file holds (tests/io/test_lenet_example.py checks it again with plain numpy). The
labels "0".."9", the training data `mnist` and the current input, a hand-drawn 7, are mnist-mlp's: its 28×28
image is row by row, the order of a 1×28×28 input's (C, H, W).

The run is float64 and seeded, so it repeats on one machine; another BLAS may round sums in another order and
end a few units of the last digit apart. The file's run record is dropped (it holds the training's seconds and
the data folder of the machine that made it): the description says how it was trained.
"""

from __future__ import annotations

from pathlib import Path

from nnstudio.core.project import DataChoice, Project
from nnstudio.io.examples import load_example
from sample_training import ROOT, command_line, rounded, save_example, test_accuracy, train_on_sample

OUT = ROOT / "resources" / "examples" / "lenet.nnstudio"
ARCHITECTURE = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"
START = ["new", ARCHITECTURE, "--seed", "1"]
RECIPE = ["--dataset", "mnist", "--epochs", "12", "--batch-size", "32", "--optimizer", "adam", "--lr", "0.001",
          "--schedule", "cosine", "--seed", "0", "--precision", "float64", "--quiet"]
DESCRIPTION = (
    "LeNet-5 for handwritten digits, trained: a convolutional network after LeCun et al. (1998), with ReLU and "
    "max pooling. A 1×28×28 input (a 28×28 image, values 0 to 1); six 5×5 kernels with padding 2 and ReLU "
    "(6×28×28 maps); 2×2 max pooling (6×14×14); sixteen 5×5×6 kernels and ReLU (16×10×10); 2×2 max pooling "
    "(16×5×5 = 400 values); dense layers of 120 and 84 ReLU units; 10 softmax outputs and categorical "
    "cross-entropy: 61,706 parameters. Trained by nnstudio (scripts/make_lenet_example.py) from "
    f"`nnstudio new {ARCHITECTURE} --seed 1` (He weights) on a sample of MNIST, 7,000 of its training digits: "
    "Adam, learning rate 0.001 with cosine decay, batches of 32, 12 epochs, seed 0. It answers {accuracy} of the "
    "sample's 1,000 test digits right. The weights are rounded to 4 significant digits. The current input is a "
    "hand-drawn 7. MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0; the data is not "
    "included, only the weights learned from it."
)


def make(data_dir: Path, out: Path) -> Project:
    result = train_on_sample(START, RECIPE, data_dir)
    network = rounded(result.network)
    accuracy = test_accuracy(network, data_dir)
    drawn = load_example("mnist-mlp")  # its hand-drawn 7, row by row: a 1×28×28 input's (C, H, W) order
    example = result.replace(
        network=network, name=f"LeNet-5, trained ({ARCHITECTURE})",
        description=DESCRIPTION.format(accuracy=f"{accuracy:.1%}"), input=drawn.input, target=drawn.target,
        target_known=drawn.target_known, output_labels=drawn.output_labels, training_data=DataChoice("mnist"),
        runs=())
    save_example(example, out, accuracy)
    return example


if __name__ == "__main__":
    arguments = command_line(__doc__, OUT)
    make(arguments.data_dir, arguments.out)
