"""What each built-in dataset asks of a network, known without loading it: the Training panel offers only the
sets that fit the network it would train, and says why one does not ("needs 2 inputs; the network has 4").

A set is described by its features (the inputs it gives), its classes (0 for a regression set, which has
`targets` values to predict instead) and its points. `fits` is the rule a network must meet:

- its inputs are the set's features;
- a two-class set: one output with sigmoid or identity (the probability of the second class, or a score
  against 0/1), or one per class (2) with softmax;
- a set of k > 2 classes: k outputs with softmax;
- a regression set: one output per target, whatever the activation.

A CSV file is unknown until it is read, so it is always offered (the run checks it: training/loop.py's
`check_fits`); a typed function ("function:EXPRESSION") is a regression on (x1, x2).
No Qt here: the command line and the tests use the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnstudio.core.network import Network
from nnstudio.core.project import FUNCTION_PREFIX, DataChoice, Project

#: What `nnstudio train --dataset xor` and the Training panel say of XOR's test part (data/named.py).
XOR_NOTE = "XOR trains and tests on all 4 points"
TWO_CLASS_ACTIVATIONS = ("sigmoid", "identity")


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset as the panel lists it: its name, the words it is listed with, and what it gives a network."""

    name: str
    label: str
    features: int
    classes: int = 0  # 0: a regression set
    targets: int = 1  # the values a regression set predicts
    points: int | None = None  # train and test together, as loaded by default; None: as many as typed or read
    note: str = ""  # said wherever the set is chosen

    @property
    def outputs(self) -> int:
        """The outputs of a network that predicts it one per class (or per target)."""
        return self.classes or self.targets


CATALOGUE: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("mnist", "MNIST digits", 784, 10, points=70_000),
    DatasetInfo("fashion-mnist", "Fashion-MNIST", 784, 10, points=70_000),
    DatasetInfo("xor", "XOR (4 points, train = test)", 2, 2, points=4, note=XOR_NOTE),
    DatasetInfo("product", "x1·x2 quadrants", 2, 2, points=400),
    DatasetInfo("circles", "Circles", 2, 2, points=400),
    DatasetInfo("spirals", "Two spirals", 2, 2, points=400),
    DatasetInfo("clusters", "Gaussian clusters", 2, 3, points=400),
    DatasetInfo("quadratic", "Noisy quadratic (regression)", 1, points=60),
)}
FUNCTION = DatasetInfo("function", "Typed function…", 2)


def describe(name: str) -> DatasetInfo | None:
    """What the set `name` gives (as `nnstudio train --dataset` takes the name); None for a CSV file."""
    if name.startswith(FUNCTION_PREFIX):
        return FUNCTION
    return CATALOGUE.get(name)


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def _outputs(network: Network) -> str:
    """The network's outputs in words: "1 tanh output", "3 sigmoid outputs"."""
    return f"{network.output_size} {network.layers[-1].activation} output{'' if network.output_size == 1 else 's'}"


def fits(network: Network, name: str) -> str | None:
    """None when `network` can train on the set `name`; else why not, in words for a tooltip."""
    info = describe(name)
    if info is None:
        return None  # a CSV file: checked when the run reads it
    if not network.layers:
        return "the network has no layers yet"
    if network.input_size != info.features:
        return f"needs {_count(info.features, 'input')}; the network has {network.input_size}"
    outputs, activation = network.output_size, network.layers[-1].activation
    if not info.classes:
        if outputs == info.targets:
            return None
        return f"needs {_count(info.targets, 'output')} (regression); the network has {outputs}"
    if info.classes == 2:
        if outputs == 1 and activation in TWO_CLASS_ACTIVATIONS or outputs == 2 and activation == "softmax":
            return None
        return f"needs 1 output with sigmoid or identity, or 2 with softmax; the network has {_outputs(network)}"
    if outputs == info.classes and activation == "softmax":
        return None
    return f"needs {info.classes} outputs with softmax; the network has {_outputs(network)}"


def preferred(project: Project) -> DataChoice | None:
    """The choice to show for `project`: the one saved with it if it fits, else the usual set for its inputs
    (MNIST for 784, XOR for a 2-input network with samples, else Circles) if that fits; None when neither."""
    network = project.network
    saved = project.training_data
    if saved is not None and fits(network, saved.dataset) is None:
        return saved
    usual = {784: "mnist", 2: "xor" if project.samples else "circles"}.get(network.input_size)
    if usual is not None and fits(network, usual) is None:
        return DataChoice(usual)
    return None


def keep_choice(project: Project, choice: DataChoice | None) -> Project:
    """`project` with `choice` saved in it if the choice fits its network (New Network keeps the set chosen
    for the last network when it can train the new one); else `project` as it is."""
    if choice is None or fits(project.network, choice.dataset) is not None:
        return project
    return project.replace(training_data=choice)
