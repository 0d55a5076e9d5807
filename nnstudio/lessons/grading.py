"""A task's checks evaluated against a Project: pass, or what is not yet right, naming the quantity and its value.

    check_task(task, project)                       what a saved file shows (`nnstudio check`)
    check_task(task, project, answers, phase)       and what only the window knows: the typed answer, the phase

Every number comes from the core (nnstudio/core/trace.py: forward, trace_loss, backward), as the canvas and
`nnstudio eval` show it, so a lesson can never disagree with the studio. Inputs a check lists (`input`, `x`) go
into the network as they are: a stored input normalisation is not applied to them (lessons set networks by
hand, and the formulas they teach start at the network's own input). The current input ("current": what the
Input panel or the Draw pad set, saved with the file) is fed as the canvas feeds it, normalisation applied
(Project.network_input), so the check sees the numbers the learner sees. The accuracy check also applies it:
it scores the saved model as `nnstudio eval --dataset` does, recomputed from the weights and never read from
the file's run records. The checks on a convolution's kernels and maps are map_grading.py's; what every check
shares (a number in a message, a missing subject, what the network is fed) is check_words.py's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.network import DenseLayer
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.core.trace import backward, forward, trace_loss
from nnstudio.lessons.check_types import (AccuracyCheck, ActivationCheck, AnswerCheck, BiasCheck, Check, ClassCheck,
                                          InputsCheck, LayersCheck, LossCheck, OutputCheck, PhaseCheck, RowCheck,
                                          SizeCheck, UnitCheck, WeightCheck, answer_name)
from nnstudio.lessons.check_words import (Wrong, against, compare, counted, fed, input_text, layer_at, number_text,
                                         sized, vector_text)
from nnstudio.lessons.fields import CURRENT
from nnstudio.lessons.lesson_file import Task
from nnstudio.lessons.map_grading import MAP_EVALUATORS
from nnstudio.training.metrics import predicted_classes

PASS, FAIL, NOT_SHOWN = "pass", "fail", "not shown"
WINDOW_ONLY = "(only the window can check this)"
#: Test samples one forward pass of the accuracy check takes at once (bounded memory for MNIST's 10,000).
CHUNK = 1024


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    status: str  # PASS, FAIL or NOT_SHOWN
    lines: tuple[str, ...]  # every failing check's message; for NOT_SHOWN, what only the window can show


def _layer(project: Project, number: int, kernels: bool = False) -> DenseLayer:
    """Layer `number` when it is dense (or, with `kernels`, a convolution: its bias and activation are checked
    as a dense layer's, kernel by kernel); a pooling layer, or a convolution where neurons are meant, fails
    naming the layer and the checks that read it."""
    found = layer_at(project, number)
    if is_spatial(found) and not (kernels and isinstance(found, Conv2DLayer)):
        kind = "convolutional" if isinstance(found, Conv2DLayer) else "pooling"
        raise Wrong(f"layer {number} is a {kind} layer; check its maps with pixel, map or peak"
                    + (", its kernels with kernel" if kind == "convolutional" else ""))
    return found


def _neuron(project: Project, layer: int, neuron: int, kernels: bool = False) -> DenseLayer:
    found = _layer(project, layer, kernels)
    count, what = (found.channels, "kernel") if isinstance(found, Conv2DLayer) else (found.n_out, "neuron")
    counted(what, neuron, count, f"layer {layer}")
    return found


def _output(check: OutputCheck, project: Project) -> list[str]:
    outputs = forward(project.network, fed(project, check.input, "ŷ")).output
    many = len(outputs) > 1
    if check.value is not None and len(check.value) != len(outputs):
        raise Wrong(f"the network gives {len(outputs)} outputs, the task expects {len(check.value)}")
    return [line for index, got in enumerate(float(v) for v in outputs)
            for line in against(f"ŷ{index + 1 if many else ''}({input_text(check.input)})", got, check,
                                 None if check.value is None else check.value[index])]


def _unit(check: UnitCheck, project: Project) -> list[str]:
    """A neuron's activation a for the check's input, named as the canvas names it: a1[17](current input)."""
    _neuron(project, check.layer, check.neuron)
    step = forward(project.network, fed(project, check.input, "a")).layers[check.layer - 1]
    got = float(step.a[check.neuron - 1])
    return against(f"a{check.layer}[{check.neuron}]({input_text(check.input)})", got, check, check.value)


def class_name(project: Project, index: int) -> str:
    """A class by the file's output label, as the Draw tab names it ("7"), with its number when the label is a
    name ("cat (class 3)"), else by its number. One output holds two classes (0 and 1) and its label names the
    output, not a class, so it is not used."""
    labels = project.output_labels if project.network.output_size > 1 else ()
    if index < len(labels) and labels[index] != str(index):
        return f"{labels[index]} (class {index})"
    return str(index)


def _class(check: ClassCheck, project: Project) -> list[str]:
    """The class the network answers: its largest output (the first of equals), or for one output class 1
    from 0.5 up, by the rule every view of the studio uses (training/metrics.py: predicted_classes)."""
    net = project.network
    if not net.layers:
        raise Wrong("the network has no layers yet, so no answer")
    classes = max(net.output_size, 2)
    if check.is_ >= classes:
        raise Wrong(f"the network tells {classes} classes apart (0 to {classes - 1}); there is no class {check.is_}")
    outputs = forward(net, fed(project, check.input, "the class")).output
    got = int(predicted_classes(np.asarray(outputs)[None, :])[0])
    if got == check.is_:
        return []
    where = "the current input" if check.input == CURRENT else f"({input_text(check.input)})"
    return [f"the network answers {class_name(project, got)} for {where}, should answer "
            f"{class_name(project, check.is_)}"]


def _weight(check: WeightCheck, project: Project) -> list[str]:
    layer = _neuron(project, check.layer, check.neuron)
    if check.input > layer.n_in:
        raise Wrong(f"W{check.layer} has {layer.n_in} inputs; there is no input {check.input}")
    return compare(f"W{check.layer}[{check.neuron},{check.input}]", float(layer.weights[check.neuron - 1,
                    check.input - 1]), check.value, check.tolerance)


def _row(check: RowCheck, project: Project) -> list[str]:
    row = _neuron(project, check.layer, check.neuron).weights[check.neuron - 1]
    name = f"W{check.layer}[{check.neuron}]"
    if len(row) != len(check.value):
        raise Wrong(f"{name} holds {len(row)} weights, the task gives {len(check.value)}")
    if all(abs(float(g) - w) <= check.tolerance for g, w in zip(row, check.value)):
        return []
    return [f"{name} = ({vector_text(row)}), should be ({vector_text(check.value)})"]


def _bias(check: BiasCheck, project: Project) -> list[str]:
    """A layer without a bias adds nothing: it counts as a bias of 0 (and a failure says it has none). A
    convolution's `neuron` counts its kernels: b1[2] is added to every pixel of map 2."""
    layer = (_layer(project, check.layer, kernels=True) if check.neuron is None
             else _neuron(project, check.layer, check.neuron, kernels=True))
    count = layer.channels if isinstance(layer, Conv2DLayer) else layer.n_out
    bias = np.zeros(count) if layer.bias is None else layer.bias
    note = f" (layer {check.layer} has no bias)" if layer.bias is None else ""
    neurons = range(1, count + 1) if check.neuron is None else [check.neuron]
    return [line + note for n in neurons
            for line in compare(f"b{check.layer}[{n}]", float(bias[n - 1]), check.value, check.tolerance)]


def _size(check: SizeCheck, project: Project) -> list[str]:
    got = _layer(project, check.layer).n_out
    return [] if got == check.neurons else [f"layer {check.layer} has {got} neurons, should have {check.neurons}"]


def _activation(check: ActivationCheck, project: Project) -> list[str]:
    got = _layer(project, check.layer, kernels=True).activation
    return [] if got == check.is_ else [f"layer {check.layer}'s activation is {got}, should be {check.is_}"]


def _inputs(check: InputsCheck, project: Project) -> list[str]:
    got = project.network.input_size
    return [] if got == check.count else [f"the network has {got} inputs, should have {check.count}"]


def _layers(check: LayersCheck, project: Project) -> list[str]:
    got = len(project.network.layers)
    return [] if got == check.count else [f"the network has {got} layers, should have {check.count}"]


def _loss(check: LossCheck, project: Project) -> list[str]:
    net = project.network
    if not net.layers:
        raise Wrong("the network has no layers yet, so no loss")
    trace = forward(net, sized(project, check.input, "the loss"))
    if len(check.target) != net.output_size:
        raise Wrong(f"the loss: the network gives {net.output_size} outputs, the task's target has "
                     f"{len(check.target)}")
    got = trace_loss(net, trace, np.asarray(check.target, dtype=net.dtype), project.loss)
    name = f"the loss ({project.loss}) at x = ({vector_text(check.input)}), y = ({vector_text(check.target)})"
    if check.below is not None:
        return [] if got < check.below else [f"{name} is {number_text(got)} but should stay under "
                                             f"{number_text(check.below)}"]
    assert check.value is not None
    return compare(name, got, check.value, check.tolerance)


def answer_value(check: AnswerCheck, project: Project) -> float:
    """The quantity's value for the check's x (and target), from the core's passes. Raises NNStudioError naming
    what is missing (no layer 3, no bias, a target the loss refuses)."""
    net = project.network
    layer = _neuron(project, check.layer, check.neuron)
    trace = forward(net, fed(project, check.x, "x"))
    row = check.neuron - 1
    if check.quantity in ("z", "a"):
        step = trace.layers[check.layer - 1]
        return float((step.z if check.quantity == "z" else step.a)[row])
    assert check.target is not None
    if len(check.target) != net.output_size:
        raise Wrong(f"the network gives {net.output_size} outputs, the task's target has {len(check.target)}")
    grads = backward(net, trace, np.asarray(check.target, dtype=net.dtype), project.loss).layers[check.layer - 1]
    if check.quantity == "delta":
        return float(grads.delta[row])
    if check.quantity == "dL/db":
        if grads.grad_bias is None:
            raise Wrong(f"layer {check.layer} has no bias")
        return float(grads.grad_bias[row])
    assert check.input is not None
    if check.input > layer.n_in:
        raise Wrong(f"W{check.layer} has {layer.n_in} inputs; there is no input {check.input}")
    return float(grads.grad_weights[row, check.input - 1])


def check_answer(check: AnswerCheck, project: Project, typed: float) -> tuple[str, ...]:
    """What is wrong with the value the learner typed (empty when it is within the tolerance). The right value
    is not given away: the message says which way the typed one is off."""
    try:
        value = answer_value(check, project)
    except (Wrong, NNStudioError) as error:
        return (str(error),)
    if math.isfinite(typed) and abs(typed - value) <= check.tolerance:
        return ()
    way = "too high" if typed > value else "too low" if typed < value else "not a number"
    return (f"you typed {answer_name(check)} = {number_text(typed)}; that is {way}",)


def _accuracy(check: AccuracyCheck, project: Project) -> list[str]:
    from nnstudio.data.dataset import Normalisation
    from nnstudio.data.named import load_named
    from nnstudio.training.loop import check_fits
    from nnstudio.training.metrics import evaluate_outputs

    net = project.network
    failures = []
    if not net.layers:
        raise Wrong(f"the network has no layers yet, so no accuracy on {check.dataset}")
    hidden = sum(net.sizes[1:-1])
    if check.max_hidden_neurons is not None and hidden > check.max_hidden_neurons:
        failures.append(f"the hidden layers hold {hidden} neurons; at most {check.max_hidden_neurons} are allowed")
    if check.max_epochs is not None and project.runs:
        run = project.runs[-1]
        epochs = run.epochs[-1].epoch if run.epochs else 0
        if epochs > check.max_epochs:
            failures.append(f"the last run trained {epochs} epochs; at most {check.max_epochs} are allowed")
    test = load_named(check.dataset, allow_download=False, dtype=str(net.dtype)).test
    check_fits(net, test)
    norm = Normalisation.from_project_field(project.normalisation)
    outputs = np.concatenate([forward(net, norm.apply_in(test.x[lo:lo + CHUNK], net.dtype)).output
                              for lo in range(0, len(test), CHUNK)])
    accuracy = evaluate_outputs(outputs, test, project.loss, net.layers[-1].activation)[1]
    if accuracy is None:
        raise Wrong(f"{check.dataset} has no classes, so no accuracy")
    if accuracy < check.min:
        failures.append(f"the accuracy on {check.dataset}'s test part is {accuracy:.2%}, should be at least "
                        f"{check.min:.2%}")
    return failures


EVALUATORS: dict[type, Callable[..., list[str]]] = {
    OutputCheck: _output, WeightCheck: _weight, RowCheck: _row, BiasCheck: _bias, SizeCheck: _size,
    ActivationCheck: _activation, InputsCheck: _inputs, LayersCheck: _layers, LossCheck: _loss,
    ClassCheck: _class, UnitCheck: _unit, AccuracyCheck: _accuracy, **MAP_EVALUATORS,
}


def check_failures(check: Check, project: Project) -> list[str]:
    """The messages of one check a file can show (empty: it passes). A subject that is not there, or numbers
    the core refuses (a target the loss cannot take), fail the check with the core's own message."""
    try:
        return EVALUATORS[type(check)](check, project)
    except (Wrong, NNStudioError) as error:
        return [str(error)]
    except OSError as error:  # a dataset's files that cannot be read
        return [f"{getattr(check, 'dataset', 'the data')}: {error.strerror or error}"]


def check_task(task: Task, project: Project, answers: Mapping[str, float] | None = None,
               window_phase: str | None = None) -> TaskResult:
    """Every check of `task` against `project`. `answers`: the values the learner typed, by the quantity's name
    (check_types.answer_name: "z1[1]", "δ2[1]"); `window_phase`: the step-through's phase. A check without
    its answer or phase is "not shown" (and not counted); a task passes only when all its checks do."""
    failures: list[str] = []
    unseen: list[str] = []
    for check in task.checks:
        if isinstance(check, PhaseCheck):
            if window_phase is None:
                unseen.append(f"the step-through at its {check.is_} phase {WINDOW_ONLY}")
            elif window_phase != check.is_:
                failures.append(f"the step-through is at its {window_phase} phase, should be at {check.is_}")
        elif isinstance(check, AnswerCheck):
            name = answer_name(check)
            if answers is None or name not in answers:
                unseen.append(f"the value typed for {name} {WINDOW_ONLY}")
            else:
                failures += check_answer(check, project, float(answers[name]))
        else:
            failures += check_failures(check, project)
    if failures:
        return TaskResult(task.id, FAIL, tuple(failures))
    return TaskResult(task.id, NOT_SHOWN, tuple(unseen)) if unseen else TaskResult(task.id, PASS, ())
