"""Everything a `.nnstudio` file holds besides bare numbers: the network, its loss
and optimiser, the current input and target, named samples, labels and layout.

A `Project` is an immutable value like `Network`. The document (UI) keeps one
and replaces it on every edit; the CLI loads one, computes, and may save one.
Typed text is kept beside values (`input_text[i]`), so `5/6` stays `5/6`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from nnstudio.core.errors import NNStudioError, ShapeError
from nnstudio.core.losses import get_loss
from nnstudio.core.network import Network
from nnstudio.core.normalisation import network_input
from nnstudio.core.optim import OptimizerConfig
from nnstudio.core.runs import RunRecord

Texts = tuple["str | None", ...]

# How a saved normalisation was made: fitted by training (--normalise minmax or standard), or read from
# another tool's model file ("imported": any offsets and scales above 0, such as a StandardScaler's).
NORMALISATION_KINDS = ("minmax", "standard", "imported")

# What the step plan, the window and `nnstudio step` say when there is no target to score against.
NO_TARGET = "type a target to compute the loss and δ"


#: How a typed function is named as a dataset: "function:sin(x1)+x2^2" (data/named.py samples it).
FUNCTION_PREFIX = "function:"
#: The test part a data choice may hold, as the Training panel's field allows it.
TEST_FRACTIONS = (0.05, 0.9)
#: The most characters of a dataset's name (a typed function, a CSV file's path) or folder in a data choice.
MAX_DATA_TEXT = 1000
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class DataChoiceError(NNStudioError, ValueError):
    """A data choice's field at fault: `field` names it (dataset, folder, test_fraction), `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"training data: {field}: {reason}")


def _data_text(value: str, field: str, empty: bool) -> None:
    if not empty and not value.strip():
        raise DataChoiceError(field, "expected a name, got empty text")
    if len(value) > MAX_DATA_TEXT:
        raise DataChoiceError(field, f"holds {len(value):,} characters; at most {MAX_DATA_TEXT:,} are allowed")
    control = _CONTROL.search(value)
    if control:
        raise DataChoiceError(field, f"holds the control character \\x{ord(control.group()):02x} at character "
                                     f"{control.start() + 1}")


@dataclass(frozen=True)
class DataChoice:
    """The data the network is trained on, saved with it so that it opens with its set chosen (issue 31).

    `dataset` is the name as the Training panel and `nnstudio train --dataset` take it: "xor", "mnist",
    "function:sin(x1)+x2^2" or a CSV file's path (core knows no list of sets: data/catalogue.py does).
    `folder` is where an image set's files lie ("" when found or downloaded); `test_fraction` the part held
    out for testing (XOR ignores it: it trains and tests on all 4 points). Checked here, so a choice that
    exists is one a file can hold.
    """

    dataset: str
    folder: str = ""
    test_fraction: float = 0.25

    def __post_init__(self) -> None:
        _data_text(self.dataset, "dataset", empty=False)
        if self.dataset.startswith(FUNCTION_PREFIX) and not self.dataset[len(FUNCTION_PREFIX):].strip():
            raise DataChoiceError("dataset", f"{FUNCTION_PREFIX} needs a function of x1, x2 after it")
        _data_text(self.folder, "folder", empty=True)
        low, high = TEST_FRACTIONS
        fraction = float(self.test_fraction)
        if not (math.isfinite(fraction) and low <= fraction <= high):
            raise DataChoiceError("test_fraction", f"expected a number from {low:g} to {high:g}, got {fraction:g}")
        object.__setattr__(self, "test_fraction", fraction)


def _vector(values: object, size: int, what: str, dtype: np.dtype) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    if array.shape != (size,):
        raise ShapeError(f"{what}: expected {size} values, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ShapeError(f"{what}: every value must be a finite number")
    array.setflags(write=False)
    return array


def _texts(texts: Texts | None, size: int, what: str) -> Texts:
    if texts is None or len(texts) == 0:
        return (None,) * size
    if len(texts) != size:
        raise ShapeError(f"{what}: expected {size} entries, got {len(texts)}")
    return tuple(texts)


@dataclass(frozen=True, eq=False)
class Sample:
    """A named input/target pair, such as one training point of the worked example."""

    name: str
    input: np.ndarray
    target: np.ndarray
    input_text: Texts = ()
    target_text: Texts = ()


@dataclass(frozen=True, eq=False)
class Project:
    """A network with what is needed to evaluate, step and train it, as saved in a file."""

    network: Network
    loss: str = "mse"
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    input: np.ndarray | None = None
    target: np.ndarray | None = None
    input_text: Texts = ()
    target_text: Texts = ()
    samples: tuple[Sample, ...] = ()
    input_labels: tuple[str, ...] = ()
    output_labels: tuple[str, ...] = ()
    input_image: tuple[int, int] | None = None
    layout: tuple[tuple[float, float], ...] = ()
    name: str = ""
    description: str = ""
    # Input normalisation fitted on training data, x ↦ (x − offset)/scale, applied to new
    # data before the network: {"kind": "standard", "offset": array, "scale": array}. The kind is one of
    # NORMALISATION_KINDS: "imported" when it was read from another tool's model (an ONNX Scaler).
    normalisation: dict | None = None
    # Training runs of this network, oldest first (core/runs.py): settings, curves, outcome.
    runs: tuple[RunRecord, ...] = ()
    # Whether there is a target to score against. No target is a state of its own, not a target of zeros:
    # the loss shows "—" and no step can be taken until one is typed (NO_TARGET). It is the state of a new
    # network (built without a target: None, the default, means "known if a target was given") and after
    # an unlabelled drawing replaced the input (the old target belongs to another input: a drawn "0" is not
    # scored against a target of 7). Typing a target makes it known. Saved as `current.target: null`.
    target_known: bool | None = None
    # The data it trains on (see DataChoice); None: not chosen yet (the panel shows the usual set for its inputs).
    training_data: DataChoice | None = None

    def __post_init__(self) -> None:
        net = self.network
        dtype = net.dtype
        get_loss(self.loss)
        set_ = object.__setattr__
        set_(self, "target_known", self.target is not None if self.target_known is None else bool(self.target_known))
        set_(self, "input", _vector(np.zeros(net.input_size) if self.input is None else self.input,
                                    net.input_size, "input", dtype))
        set_(self, "target", _vector(np.zeros(net.output_size) if self.target is None else self.target,
                                     net.output_size, "target", dtype))
        set_(self, "input_text", _texts(self.input_text, net.input_size, "input text"))
        set_(self, "target_text", _texts(self.target_text, net.output_size, "target text"))
        samples = []
        for index, s in enumerate(self.samples):
            where = f"samples[{index}]"
            samples.append(
                Sample(
                    s.name,
                    _vector(s.input, net.input_size, f"{where}.input", dtype),
                    _vector(s.target, net.output_size, f"{where}.target", dtype),
                    _texts(s.input_text, net.input_size, f"{where}.input_text"),
                    _texts(s.target_text, net.output_size, f"{where}.target_text"),
                )
            )
        set_(self, "samples", tuple(samples))
        for what, labels, size in (("input labels", self.input_labels, net.input_size),
                                   ("output labels", self.output_labels, net.output_size)):
            if labels and len(labels) != size:
                raise ShapeError(f"{what}: expected {size}, got {len(labels)}")
        set_(self, "input_labels", tuple(self.input_labels))
        set_(self, "output_labels", tuple(self.output_labels))
        if self.input_image is not None:
            h, w = self.input_image
            if h * w != net.input_size:
                raise ShapeError(f"input image {h}×{w} does not hold {net.input_size} inputs")
            set_(self, "input_image", (int(h), int(w)))
        layout = tuple((float(x), float(y)) for x, y in self.layout)
        if layout and len(layout) != len(net.layers) + 1:
            raise ShapeError(f"layout: expected {len(net.layers) + 1} column positions, got {len(layout)}")
        set_(self, "layout", layout)
        if self.normalisation is not None:
            kind = self.normalisation.get("kind")
            offset = np.asarray(self.normalisation.get("offset"), dtype=float)
            scale = np.asarray(self.normalisation.get("scale"), dtype=float)
            if kind not in NORMALISATION_KINDS or offset.shape != (net.input_size,) or scale.shape != offset.shape:
                raise ShapeError(f"normalisation: expected kind {', '.join(NORMALISATION_KINDS)} with "
                                 f"{net.input_size} offsets and scales")
            if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
                raise ShapeError("normalisation: offsets and scales must be finite, scales above 0")
            set_(self, "normalisation", {"kind": kind, "offset": offset, "scale": scale})

    def network_input(self, x: np.ndarray | None = None) -> np.ndarray:
        """What the network sees for raw `x` (default: the current input): the stored input normalisation
        applied (core/normalisation.py); without one, `x` as it is. The input a person gives is raw."""
        return network_input(self.input if x is None else x, self.normalisation, self.network.dtype)

    def replace(self, **changes: object) -> "Project":
        return replace(self, **changes)  # type: ignore[arg-type]

    def input_label(self, index: int) -> str:
        return self.input_labels[index] if self.input_labels else f"x{index + 1}"

    def output_label(self, index: int) -> str:
        """The file's label for that output, else ŷ (one output) or ŷ1, ŷ2, …"""
        if self.output_labels:
            return self.output_labels[index]
        return "ŷ" if self.network.output_size == 1 else f"ŷ{index + 1}"

    def target_label(self, index: int) -> str:
        """A target is y, not ŷ: the file's label for that output, else y (one output) or y1, y2, …"""
        if self.output_labels:
            return self.output_labels[index]
        return "y" if self.network.output_size == 1 else f"y{index + 1}"
