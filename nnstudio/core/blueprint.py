"""A new network described in a few words, built into a Project: one builder, two faces.

File → New Network… (the window's dialog) and `nnstudio new` (the CLI) both fill in a
`Blueprint` and call `build_project`, so a network made either way is the same
network, value for value. A blueprint says what a person decides when starting:

- the sizes, input first, typed as `2-3-1` or `784-128-10` (`parse_sizes`);
- each layer's activation and whether it has a bias;
- the loss, which follows the output activation as a sensible pair (softmax with
  categorical cross-entropy, sigmoid with binary cross-entropy, anything else with MSE;
  `loss_after`) unless chosen otherwise;
- the initial weights: zeros, a constant, or seeded random (He, Xavier, uniform, normal);
  biases start at zero;
- whether the input is an image (height × width), offered when its size is a square.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import NNStudioError
from nnstudio.core.init import build_network, check_params, get_initialiser
from nnstudio.core.limits import MAX_LAYERS, MAX_SIZE, check_network_size
from nnstudio.core.losses import get_loss
from nnstudio.core.project import Project

# The output activation's natural loss; every other output goes with MSE.
LOSS_AFTER = {"softmax": "cce", "sigmoid": "bce"}
_SIZE_SEPARATORS = re.compile(r"\s*[-–—,\s]\s*")


class BlueprintError(NNStudioError, ValueError):
    """A blueprint that cannot be built; the message names the part that is wrong."""


def loss_after(output_activation: str) -> str:
    """The loss that pairs with an output activation (its gradient simplifies to ŷ − y)."""
    return LOSS_AFTER.get(output_activation, "mse")


def parse_sizes(text: str) -> list[int]:
    """Layer sizes, input first, from `2-3-1`, `784, 128, 10` or `784 128 10`.

    Refused with a message: anything but whole numbers, fewer than two sizes (an input and
    one layer), a size below 1 or above the per-layer limit, more layers than the limit.
    """
    words = [word for word in _SIZE_SEPARATORS.split(text.strip()) if word]
    if not words:
        raise BlueprintError("type the layer sizes from input to output, for example 2-3-1 or 784-128-10")
    sizes = []
    for word in words:
        if not word.isdigit():
            shown = word if len(word) <= 12 else word[:12] + "…"
            raise BlueprintError(f"{shown!r} is not a whole number; sizes are joined by '-', as in 784-128-10")
        if len(word) > 6 or int(word) > MAX_SIZE:
            raise BlueprintError(f"a layer of {word[:12]} neurons is more than the {MAX_SIZE:,} allowed")
        if int(word) < 1:
            raise BlueprintError("every layer needs at least one neuron")
        sizes.append(int(word))
    if len(sizes) < 2:
        raise BlueprintError(f"{sizes[0]} is only the input; add at least one layer, as in {sizes[0]}-1")
    if len(sizes) - 1 > MAX_LAYERS:
        raise BlueprintError(f"{len(sizes) - 1} layers are more than the {MAX_LAYERS} allowed")
    return sizes


def square_image(size: int) -> tuple[int, int] | None:
    """(side, side) when `size` inputs make a square picture worth drawing (at least 4 × 4), else None."""
    side = math.isqrt(size)
    return (side, side) if side * side == size and side >= 4 else None


@dataclass(frozen=True)
class Blueprint:
    """What a new network is to be; `build_project` makes it."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]            # one per layer after the input; the last is the output's
    biases: tuple[bool, ...] = ()           # one per layer; empty: every layer has one
    loss: str | None = None                 # None: the output activation's pair (`loss_after`)
    init: str = "he"
    init_params: Mapping[str, float] = field(default_factory=dict)  # e.g. {"value": 0.5} for "constant"
    seed: int = 0
    image: tuple[int, int] | None = None    # draw the input as an image of height × width
    name: str = ""

    @staticmethod
    def simple(sizes: list[int] | str, hidden: str = "relu", output: str = "softmax", **options: object) -> Blueprint:
        """Every hidden layer alike: the usual case (and the CLI's)."""
        sizes = parse_sizes(sizes) if isinstance(sizes, str) else list(sizes)
        return Blueprint(tuple(sizes), tuple([hidden] * (len(sizes) - 2) + [output]), **options)  # type: ignore[arg-type]

    @property
    def chosen_loss(self) -> str:
        return self.loss or loss_after(self.activations[-1])

    def check(self) -> None:
        """Raise BlueprintError naming the first thing that cannot be built."""
        layers = len(self.sizes) - 1
        if layers < 1:
            raise BlueprintError("a network needs an input and at least one layer")
        if len(self.activations) != layers:
            raise BlueprintError(f"{layers} layers need {layers} activations, got {len(self.activations)}")
        if self.biases and len(self.biases) != layers:
            raise BlueprintError(f"{layers} layers need {layers} bias choices, got {len(self.biases)}")
        for index, name in enumerate(self.activations, start=1):
            try:
                get_activation(name)
            except NNStudioError as error:
                raise BlueprintError(f"layer {index}: {error}") from None
        try:
            get_loss(self.chosen_loss).check_output(self.activations[-1])  # cross-entropy after ReLU: refused
            initialiser = get_initialiser(self.init)
            check_network_size(list(self.sizes), list(self.biases or [True] * layers))
        except NNStudioError as error:
            raise BlueprintError(str(error)) from None
        try:
            check_params(initialiser.name, {**initialiser.defaults, **self.init_params})
        except NNStudioError as error:
            raise BlueprintError(f"initial weights: {error}") from None
        if self.image is not None and self.image[0] * self.image[1] != self.sizes[0]:
            raise BlueprintError(f"an image of {self.image[0]} × {self.image[1]} does not hold {self.sizes[0]} inputs")

    def parameter_count(self) -> int:
        biases = self.biases or (True,) * (len(self.sizes) - 1)
        return sum(n_in * n_out + n_out * bias for n_in, n_out, bias in zip(self.sizes, self.sizes[1:], biases))


def build_project(blueprint: Blueprint) -> Project:
    """The new network, with its loss, ready to hand-set, step and train. Raises BlueprintError.

    It has no target yet (Project.target_known): its loss reads "—" until one is typed."""
    blueprint.check()
    network = build_network(list(blueprint.sizes), list(blueprint.activations), blueprint.init, seed=blueprint.seed,
                            bias=list(blueprint.biases) or True, params=blueprint.init_params)
    return Project(network, loss=blueprint.chosen_loss, input_image=blueprint.image, name=blueprint.name)
