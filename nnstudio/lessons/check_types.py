"""The fixed vocabulary of a task's checks: one frozen dataclass per kind, read from JSON field by field.

Why a fixed set and not expressions: a lesson is a file anyone may hand a learner, and a grading script
runs it on a student's network; every condition is one of these, checked by nnstudio/lessons/grading.py,
and nothing a file holds is ever run as code. Layers, neurons and inputs are counted from 1, as the
canvas names them (b1 is layer 1's bias vector, "b1[2]" its second neuron; map_checks.py adds the checks on
kernels and maps); a class is counted from 0, as a
dataset's labels are (MNIST's class 3 is the digit 3). An input is a list of numbers or CURRENT, the network's
current input (what the Input panel or the Draw pad set, saved with the file): 784 listed pixels are not
something a teacher can write or a learner read. docs/lessons.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

from nnstudio.core.activations import ACTIVATIONS, ALIASES
from nnstudio.core.errors import shorten
from nnstudio.core.limits import MAX_EPOCHS, MAX_LAYERS, MAX_SIZE
from nnstudio.core.project import FUNCTION_PREFIX
from nnstudio.data.image_sets import IMAGE_SETS
from nnstudio.data.toy import TOY_SETS
from nnstudio.lessons.fields import (DEFAULT_TOLERANCE, Given, LessonFileError, choice, exact_keys, given, layer_number,
                                     number, numbers, one_of, optional, shown, text, whole)
from nnstudio.lessons.fields import tolerance as _tolerance
from nnstudio.lessons.map_checks import MAP_READERS, KernelCheck, MapCheck, PeakCheck, PixelCheck

PHASES = ("forward", "loss", "backward", "update")
QUANTITIES = ("z", "a", "delta", "dL/dw", "dL/db")
#: Datasets an accuracy check may name: the built-in sets and typed functions, never a file's path (a lesson
#: is handed around; it must not make a grader read a file of the grader's computer).
DATASETS = tuple(IMAGE_SETS) + tuple(TOY_SETS)


@dataclass(frozen=True)
class OutputCheck:
    input: Given
    value: tuple[float, ...] | None = None
    below: float | None = None
    above: float | None = None
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class WeightCheck:
    layer: int
    neuron: int
    input: int
    value: float
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class RowCheck:
    layer: int
    neuron: int
    value: tuple[float, ...]
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class BiasCheck:
    layer: int
    neuron: int | None  # None: every neuron of the layer
    value: float
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class SizeCheck:
    layer: int
    neurons: int


@dataclass(frozen=True)
class ActivationCheck:
    layer: int
    is_: str


@dataclass(frozen=True)
class InputsCheck:
    count: int


@dataclass(frozen=True)
class LayersCheck:
    count: int


@dataclass(frozen=True)
class LossCheck:
    input: tuple[float, ...]
    target: tuple[float, ...]
    below: float | None = None
    value: float | None = None
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class PhaseCheck:
    is_: str


@dataclass(frozen=True)
class AnswerCheck:
    quantity: str
    layer: int
    neuron: int
    x: Given
    target: tuple[float, ...] | None = None
    input: int | None = None  # which input of the neuron, for dL/dw
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class ClassCheck:
    """The class the network answers (its largest output) for an input, counted from 0."""

    input: Given
    is_: int


@dataclass(frozen=True)
class UnitCheck:
    """A neuron's activation a for an input: the output check for any layer, one neuron."""

    layer: int
    neuron: int
    input: Given
    value: float | None = None
    below: float | None = None
    above: float | None = None
    tolerance: float = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class AccuracyCheck:
    dataset: str
    min: float
    max_hidden_neurons: int | None = None
    max_epochs: int | None = None


def answer_name(check: AnswerCheck) -> str:
    """The quantity's name as the canvas and the Step dock write it: "z1[2]", "δ2[1]", "∂L/∂W2[1,2]", "∂L/∂b1[2]".
    The key of its typed value in grading.check_task's `answers`, and the label of the panel's answer field."""
    symbol = {"z": "z", "a": "a", "delta": "δ", "dL/dw": "∂L/∂W", "dL/db": "∂L/∂b"}[check.quantity]
    edge = f",{check.input}" if check.quantity == "dL/dw" else ""
    return f"{symbol}{check.layer}[{check.neuron}{edge}]"


Check = Union[OutputCheck, WeightCheck, RowCheck, BiasCheck, SizeCheck, ActivationCheck, InputsCheck, LayersCheck,
              LossCheck, PhaseCheck, AnswerCheck, ClassCheck, UnitCheck, AccuracyCheck, KernelCheck, PixelCheck,
              MapCheck, PeakCheck]


def _output(data: Mapping, field: str) -> OutputCheck:
    exact_keys(data, field, ("check", "input"), ("value", "below", "above", "tolerance"))
    kind = one_of(data, field, ("value", "below", "above"))
    reader = numbers if kind == "value" else number
    return OutputCheck(given(data["input"], f"{field}.input"), **{kind: reader(data[kind], f"{field}.{kind}")},
                       tolerance=_tolerance(data, field))


def _weight(data: Mapping, field: str) -> WeightCheck:
    exact_keys(data, field, ("check", "layer", "neuron", "input", "value"), ("tolerance",))
    return WeightCheck(layer_number(data, field), whole(data["neuron"], f"{field}.neuron"),
                       whole(data["input"], f"{field}.input"), number(data["value"], f"{field}.value"),
                       _tolerance(data, field))


def _row(data: Mapping, field: str) -> RowCheck:
    exact_keys(data, field, ("check", "layer", "neuron", "value"), ("tolerance",))
    return RowCheck(layer_number(data, field), whole(data["neuron"], f"{field}.neuron"),
                    numbers(data["value"], f"{field}.value"), _tolerance(data, field))


def _bias(data: Mapping, field: str) -> BiasCheck:
    exact_keys(data, field, ("check", "layer", "value"), ("neuron", "tolerance"))
    return BiasCheck(layer_number(data, field), optional(data, "neuron", whole, field),
                     number(data["value"], f"{field}.value"), _tolerance(data, field))


def _size(data: Mapping, field: str) -> SizeCheck:
    exact_keys(data, field, ("check", "layer", "neurons"))
    return SizeCheck(layer_number(data, field), whole(data["neurons"], f"{field}.neurons"))


def _activation(data: Mapping, field: str) -> ActivationCheck:
    exact_keys(data, field, ("check", "layer", "is"))
    name = data["is"]
    name = ALIASES.get(name, name) if isinstance(name, str) else name
    return ActivationCheck(layer_number(data, field), choice(name, f"{field}.is", tuple(sorted(ACTIVATIONS))))


def _count(kind: type, maximum: int) -> Callable[[Mapping, str], Any]:
    def read(data: Mapping, field: str) -> Any:
        exact_keys(data, field, ("check", "count"))
        return kind(whole(data["count"], f"{field}.count", 0 if kind is LayersCheck else 1, maximum))
    return read


def _loss(data: Mapping, field: str) -> LossCheck:
    exact_keys(data, field, ("check", "input", "target"), ("below", "value", "tolerance"))
    kind = one_of(data, field, ("below", "value"))
    return LossCheck(numbers(data["input"], f"{field}.input"), numbers(data["target"], f"{field}.target"),
                     **{kind: number(data[kind], f"{field}.{kind}")}, tolerance=_tolerance(data, field))


def _phase(data: Mapping, field: str) -> PhaseCheck:
    exact_keys(data, field, ("check", "is"))
    return PhaseCheck(choice(data["is"], f"{field}.is", PHASES))


def _answer(data: Mapping, field: str) -> AnswerCheck:
    exact_keys(data, field, ("check", "quantity", "layer", "neuron", "x"), ("input", "target", "tolerance"))
    quantity = choice(data["quantity"], f"{field}.quantity", QUANTITIES)
    if quantity == "dL/dw" and "input" not in data:
        raise LessonFileError(field, "'input' is missing: dL/dw names an edge, the neuron and its input")
    if quantity != "dL/dw" and "input" in data:
        raise LessonFileError(f"{field}.input", f"only dL/dw names an input; {quantity} belongs to the neuron")
    if quantity not in ("z", "a") and "target" not in data:
        raise LessonFileError(field, f"'target' is missing: {quantity} needs a target to score against")
    return AnswerCheck(quantity, layer_number(data, field), whole(data["neuron"], f"{field}.neuron"),
                       given(data["x"], f"{field}.x"), optional(data, "target", numbers, field),
                       optional(data, "input", whole, field), _tolerance(data, field))


def _class(data: Mapping, field: str) -> ClassCheck:
    exact_keys(data, field, ("check", "input", "is"))
    return ClassCheck(given(data["input"], f"{field}.input"), whole(data["is"], f"{field}.is", 0, MAX_SIZE - 1))


def _unit(data: Mapping, field: str) -> UnitCheck:
    exact_keys(data, field, ("check", "layer", "neuron", "input"), ("value", "below", "above", "tolerance"))
    kind = one_of(data, field, ("value", "below", "above"))
    return UnitCheck(layer_number(data, field), whole(data["neuron"], f"{field}.neuron"),
                     given(data["input"], f"{field}.input"), **{kind: number(data[kind], f"{field}.{kind}")},
                     tolerance=_tolerance(data, field))


def _accuracy(data: Mapping, field: str) -> AccuracyCheck:
    exact_keys(data, field, ("check", "dataset", "min"), ("max_hidden_neurons", "max_epochs"))
    dataset = text(data["dataset"], f"{field}.dataset")
    if dataset not in DATASETS and not (dataset.startswith(FUNCTION_PREFIX) and dataset[len(FUNCTION_PREFIX):].strip()):
        raise LessonFileError(f"{field}.dataset", f"expected one of: {', '.join(DATASETS)}, or "
                                                  f"{FUNCTION_PREFIX}EXPRESSION; got {shown(dataset)}")
    minimum = number(data["min"], f"{field}.min", 0.0)
    if minimum > 1:
        raise LessonFileError(f"{field}.min", f"expected a fraction from 0 to 1, got {shown(data['min'])}")
    return AccuracyCheck(dataset, minimum, optional(data, "max_hidden_neurons", whole, field),
                         optional(data, "max_epochs", whole, field, 1, MAX_EPOCHS))


READERS: dict[str, Callable[[Mapping, str], Any]] = {
    "output": _output, "weight": _weight, "row": _row, "bias": _bias, "size": _size, "activation": _activation,
    "inputs": _count(InputsCheck, MAX_SIZE), "layers": _count(LayersCheck, MAX_LAYERS), "loss": _loss,
    "phase": _phase, "answer": _answer, "class": _class, "unit": _unit, "accuracy": _accuracy, **MAP_READERS,
}


def parse_check(data: Any, field: str) -> Check:
    """One check from its JSON object, or LessonFileError naming `field` and the part at fault."""
    if not isinstance(data, dict):
        raise LessonFileError(field, f"expected a JSON object, got {shown(data)}")
    if "check" not in data:
        raise LessonFileError(field, "'check' is missing")
    kind = data["check"]
    if not isinstance(kind, str) or kind not in READERS:
        shown_kind = repr(shorten(kind, 30)) if isinstance(kind, str) else shown(kind)
        raise LessonFileError(f"{field}.check", f"unknown check {shown_kind}; expected one of: {', '.join(READERS)}")
    return READERS[kind](data, field)
