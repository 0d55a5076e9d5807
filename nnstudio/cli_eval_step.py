"""`nnstudio eval` and `nnstudio step` on one input: every number of the forward pass, and of one step.

    nnstudio eval FILE|EXAMPLE [--input …] [--target …]     z and a of every layer, the output, the loss
    nnstudio step FILE|EXAMPLE [--lr …] [--out NEW_FILE]    and δ, ∂L/∂W, ∂L/∂b and the updated parameters

Computed by the core (`core.trace`, `core.optim`), as the window's Step through computes them, and printed as
text or one JSON object. (`eval --dataset` runs over a dataset's test split: see cli_train.py.)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

import numpy as np

from nnstudio.atomic import check_can_write
from nnstudio.cli_messages import UsageError, say
from nnstudio.cli_values import omitted_note, write_json, write_matrix
from nnstudio.core.errors import LossError, NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.network import DenseLayer
from nnstudio.core.optim import apply_update
from nnstudio.core.project import NO_TARGET, Project
from nnstudio.core.step_memory import check_step_memory
from nnstudio.core.trace import backward, forward, trace_loss
from nnstudio.io.examples import load_file_or_example
from nnstudio.io.network_file import save_project

VECTOR_OPTIONS = ("--input", "--target")
_SEPARATOR = "\x1f"


def join_vectors(argv: list[str]) -> list[str]:
    """Turn `--input -1/2 3` into one argument, so values may start with a minus sign.

    argparse would take `-1/2` for an option; here every word after --input or
    --target up to the next `--option` belongs to that vector.
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in VECTOR_OPTIONS:
            values = []
            i += 1
            while i < len(argv) and not argv[i].startswith("--"):
                values.append(argv[i])
                i += 1
            out.append(f"{word}={_SEPARATOR.join(values)}")
            continue
        out.append(word)
        i += 1
    return out


def _vector(text: str | None, size: int, what: str) -> tuple[np.ndarray, tuple[str, ...]] | None:
    if text is None:
        return None
    words = [w.strip() for part in text.split(_SEPARATOR) for w in part.split(",") if w.strip()]
    if len(words) != size:
        raise UsageError(f"--{what} needs {size} values, got {len(words)}")
    values = []
    for word in words:
        try:
            values.append(evaluate_number(word))
        except NNStudioError as error:
            raise UsageError(f"--{what}: {error}") from None
    return np.array(values), tuple(words)


def _with_overrides(project: Project, args: argparse.Namespace) -> Project:
    net = project.network
    changes: dict[str, Any] = {}
    given = _vector(args.input, net.input_size, "input")
    if given is not None:
        changes["input"], changes["input_text"] = given
    given = _vector(getattr(args, "target", None), net.output_size, "target")
    if given is not None:
        changes["target"], changes["target_text"] = given
        changes["target_known"] = True  # a typed target counts, as in the window
    return project.replace(**changes) if changes else project


# ----------------------------------------------------------------------------- output


def _fmt(value: np.ndarray | float, digits: int) -> str:
    array = np.atleast_1d(np.asarray(value, dtype=float)) + 0.0  # + 0.0: −0.0 prints as 0, never "-0"
    if array.ndim == 2:
        return "[" + ",\n       ".join(_fmt(row, digits) for row in array) + "]"
    return "[" + ", ".join(f"{v:.{digits}g}" for v in array) + "]"


def _list(value: np.ndarray | None) -> Any:
    """Plain lists for JSON, −0.0 made 0.0 (JSON would write "-0.0")."""
    return None if value is None else (np.asarray(value, dtype=float) + 0.0).tolist()


def _loss_text(loss: float | None, digits: int) -> str:
    """The loss as `eval` and `step` print it: "—" when there is no target, never "-0"."""
    return "—" if loss is None else f"{loss + 0.0:.{digits}g}"


def _neurons(n: int) -> str:
    return f"{n} neuron" + ("" if n == 1 else "s")


def _eval(project: Project, args: argparse.Namespace) -> dict[str, Any]:
    trace = forward(project.network, project.network_input())
    last = project.network.layers[-1] if project.network.layers else None
    result: dict[str, Any] = {"input": _list(project.input)}
    if project.normalisation is not None:
        result["normalised_input"] = _list(trace.input)
    result.update({
        "layers": [{"activation": layer.activation, "z": _list(t.z), "a": _list(t.a)}
                   for layer, t in zip(project.network.layers, trace.layers)],
        "output": _list(trace.output),
    })
    if last is not None:  # no target: both null, as the window shows "—"; a refused loss says why, by name
        known = project.target_known
        result["target"] = _list(project.target) if known else None
        result["loss"] = None
        if known:
            try:
                result["loss"] = trace_loss(project.network, trace, project.target, project.loss)
            except LossError as error:  # the forward pass still prints; `step` refuses (exit status 2)
                result["loss_refused"] = str(error)
    return result


def _print_eval(project: Project, result: dict[str, Any], digits: int) -> None:
    say(f"{project.name or 'network'}: {'-'.join(map(str, project.network.sizes))}")
    print(f"input        x = {_fmt(result['input'], digits)}")
    if "normalised_input" in result:
        kind = project.normalisation["kind"]  # type: ignore[index]
        print(f"normalised   x′ = (x − offset)/scale = {_fmt(result['normalised_input'], digits)}  ({kind})")
    for index, (layer, values) in enumerate(zip(project.network.layers, result["layers"]), start=1):
        print(f"layer {index} ({_neurons(layer.n_out)}, {layer.activation})")
        print(f"  z = W·a + b = {_fmt(values['z'], digits)}")
        print(f"  a = g(z)    = {_fmt(values['a'], digits)}")
    print(f"output       ŷ = {_fmt(result['output'], digits)}")
    if "loss" in result:
        target = "— (none: give one with nnstudio step --target)" if result["target"] is None else \
            _fmt(result["target"], digits)
        print(f"target       y = {target}")
        refused = f"  ({result['loss_refused']})" if "loss_refused" in result else ""
        print(f"loss ({project.loss}) L = {_loss_text(result['loss'], digits)}{refused}")


def _step(project: Project, args: argparse.Namespace) -> tuple[dict[str, Any], Project]:
    if not project.network.layers:
        raise UsageError("the network has no layers to step through")
    if not project.target_known:  # never a step against a target that is not there (core/project.py)
        raise UsageError(f"{getattr(args, 'network', 'the network')} has no target: {NO_TARGET} (--target with "
                         f"{project.network.output_size} values)")
    config = project.optimizer
    if args.lr is not None:
        try:
            lr = evaluate_number(args.lr)
        except NNStudioError as error:
            raise UsageError(f"--lr: {error}") from None
        config = dataclasses.replace(config, learning_rate=lr)
    check_step_memory(project.network, 1, config.name)  # before anything is computed, with the figure
    trace = forward(project.network, project.network_input())
    grads = backward(project.network, trace, project.target, project.loss)
    updated, _ = apply_update(project.network, grads, config)
    result = _eval(project, args)
    result["learning_rate"] = config.learning_rate
    result["optimizer"] = config.name
    # Per-edge values stay arrays (written a row at a time), and are left out of a large network's output
    # unless asked for: they were 157 MB of text for 2048-2048-2048 (nnstudio/cli_values.py).
    omitted = None if args.all_weights else omitted_note(project.network.sizes)
    for values, g, new in zip(result["layers"], grads.layers, updated.layers):
        values.update({
            "delta": _list(g.delta),
            "grad_weights": None if omitted else g.grad_weights,
            "grad_bias": _list(g.grad_bias),
            "new_weights": None if omitted else new.weights,
            "new_bias": _list(new.bias),
        })
    if omitted:
        result["weights_omitted"] = omitted
    return result, project.replace(network=updated, optimizer=config)


def _print_weights(label: str, layer: DenseLayer, values: np.ndarray | None, digits: int) -> None:
    """One per-edge matrix of `step`'s text, a row at a time; its shape alone when it was left out."""
    if values is None:
        print(f"{label}{layer.n_out}×{layer.n_in} values (not printed)")
    else:
        write_matrix(sys.stdout, label, values, digits)


def _print_step(project: Project, result: dict[str, Any], digits: int) -> None:
    _print_eval(project, result, digits)
    print(f"backward pass (δ = ∂L/∂z), update with {result['optimizer']}, learning rate {result['learning_rate']:g}")
    for index in range(len(result["layers"]), 0, -1):
        values = result["layers"][index - 1]
        print(f"layer {index}")
        print(f"  δ     = {_fmt(values['delta'], digits)}")
        _print_weights("  ∂L/∂W = ", project.network.layers[index - 1], values["grad_weights"], digits)
        if values["grad_bias"] is not None:
            print(f"  ∂L/∂b = {_fmt(values['grad_bias'], digits)}")
    print("updated parameters")
    for index, values in enumerate(result["layers"], start=1):
        _print_weights(f"  W{index} = ", project.network.layers[index - 1], values["new_weights"], digits)
        if values["new_bias"] is not None:
            print(f"  b{index} = {_fmt(values['new_bias'], digits)}")
    if "weights_omitted" in result:
        print(f"({result['weights_omitted']})")


def run_eval_or_step(args: argparse.Namespace) -> int:
    """`nnstudio eval` (one input) or `nnstudio step`: compute, then print as text or JSON; `step --out` saves."""
    if args.digits < 1 or args.digits > 17:
        raise UsageError("--digits must be from 1 to 17")
    if getattr(args, "out", None):
        check_can_write(args.out)  # before the network is even read
    project = _with_overrides(load_file_or_example(args.network), args)
    if args.command == "eval":  # (a step counts its own, larger, working memory in _step)
        check_step_memory(project.network, backward=False, what="an evaluation")
        result = _eval(project, args)
        printer = _print_eval
    else:
        result, updated = _step(project, args)
        printer = _print_step
        if args.out:
            save_project(updated, args.out)
    if args.json:
        write_json(result, sys.stdout)  # per-edge arrays a row at a time, never one string of it all
        print()
    else:
        printer(project, result, args.digits)
    return 0
