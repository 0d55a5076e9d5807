"""`nnstudio eval` and `nnstudio step` on one input: every number of the forward pass, and of one step.

    nnstudio eval FILE|EXAMPLE [--input …] [--target …]     z and a of every layer, the output, the loss
    nnstudio step FILE|EXAMPLE [--lr …] [--out NEW_FILE]    and δ, ∂L/∂W, ∂L/∂b and the updated parameters

Computed by the core (`core.trace`, `core.optim`), as the window's Step through computes them, and printed as
text or one JSON object. (`eval --dataset` runs over a dataset's test split: see cli_train.py.) A convolution's
"grad_weights" and "new_weights" are its kernel's (K, C, k, k), a pooling layer's are null, and every map is
nested (C, H, W) in JSON and a channel at a time in the text (cli_maps.py; the keys are in docs/guide.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

import numpy as np

from nnstudio.atomic import check_can_write
from nnstudio.cli_maps import (layer_heading, layer_type, nested, network_words, spatial_fields, write_kernels,
                               write_maps)
from nnstudio.cli_messages import UsageError, say
from nnstudio.cli_values import omitted_note, write_json, write_matrix
from nnstudio.core.errors import LossError, NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.network import Conv2DLayer, DenseLayer, Layer
from nnstudio.core.optim import apply_update
from nnstudio.core.project import NO_TARGET, Project
from nnstudio.core.spatial_layers import show_shape
from nnstudio.core.step_memory import check_step_memory
from nnstudio.core.trace import LayerTrace, backward, forward, trace_loss
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


def _vector(text: str | None, size: int, what: str,
            shape: tuple[int, ...] | None = None) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """The values typed after --input or --target; an input of maps `shape` (C, H, W) takes them in that order."""
    if text is None:
        return None
    words = [w.strip() for part in text.split(_SEPARATOR) for w in part.split(",") if w.strip()]
    if len(words) != size:
        maps = f" (maps {show_shape(shape)}, in (C, H, W) order)" if shape else ""
        raise UsageError(f"--{what} needs {size} values{maps}, got {len(words)}")
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
    given = _vector(args.input, net.input_size, "input", net.input_shape)
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


def _layer_values(layer: Layer, t: LayerTrace) -> dict[str, Any]:
    """One layer's forward values for --json: z and a flat for a dense layer, maps (C, H, W) for the others,
    and a max pooling's choice per window (the chosen pixel's place row·W + column in its input map)."""
    if isinstance(layer, DenseLayer):
        return {"type": "dense", "activation": layer.activation, "z": _list(t.z), "a": _list(t.a)}
    values = {"type": layer_type(layer), **spatial_fields(layer), "activation": layer.activation,
              "z": nested(t.z, layer.out_shape), "a": nested(t.a, layer.out_shape)}
    if t.argmax is not None:
        values["argmax"] = np.asarray(t.argmax).astype(int).tolist()
    return values


def _eval(project: Project, args: argparse.Namespace) -> dict[str, Any]:
    trace = forward(project.network, project.network_input())
    last = project.network.layers[-1] if project.network.layers else None
    shape = project.network.input_shape  # maps: the input as nested lists (C, H, W), as every layer's maps
    result: dict[str, Any] = {"input": nested(project.input, shape)}
    if shape is not None:
        result["input_shape"] = list(shape)
    if project.normalisation is not None:
        result["normalised_input"] = nested(trace.input, shape)
    result.update({
        "layers": [_layer_values(layer, t) for layer, t in zip(project.network.layers, trace.layers)],
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


#: How to see the values of a map the text summarised (see cli_maps.PRINTED_MAP_VALUES).
_MAP_HINT = "--json gives every value; step --all-weights prints them"


def _print_maps_layer(layer: Layer, values: dict[str, Any], digits: int, full: bool) -> None:
    """`eval`'s lines for a convolution or pooling layer: z and a as maps, a max pooling's choice of pixel."""
    shape = layer.out_shape  # type: ignore[union-attr]
    if isinstance(layer, Conv2DLayer):
        write_maps(sys.stdout, "  z = K⋆a + b = ", values["z"], shape, digits, full, _MAP_HINT)
        write_maps(sys.stdout, "  a = g(z)    = ", values["a"], shape, digits, full, _MAP_HINT)
        return
    what = "max" if layer.kind == "max" else "mean"  # type: ignore[union-attr]
    write_maps(sys.stdout, f"  z = a = {what} of each window = ", values["a"], shape, digits, full, _MAP_HINT)
    if "argmax" in values:
        write_maps(sys.stdout, "  chosen pixel (row·W + column of its input map) = ", values["argmax"], shape,
                   digits, full, _MAP_HINT)


def _print_eval(project: Project, result: dict[str, Any], digits: int, full: bool = False) -> None:
    net = project.network
    say(f"{project.name or 'network'}: {network_words(net)}")
    shape = net.input_shape
    if shape is None:
        print(f"input        x = {_fmt(result['input'], digits)}")
    else:
        write_maps(sys.stdout, "input        x = ", result["input"], shape, digits, full, _MAP_HINT)
    if "normalised_input" in result:
        kind = project.normalisation["kind"]  # type: ignore[index]
        if shape is None:
            print(f"normalised   x′ = (x − offset)/scale = {_fmt(result['normalised_input'], digits)}  ({kind})")
        else:
            write_maps(sys.stdout, f"normalised   x′ = (x − offset)/scale ({kind}) = ", result["normalised_input"],
                       shape, digits, full, _MAP_HINT)
    for index, (layer, values) in enumerate(zip(net.layers, result["layers"]), start=1):
        if not isinstance(layer, DenseLayer):
            print(f"layer {index} {layer_heading(layer)}")
            _print_maps_layer(layer, values, digits, full)
            continue
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
    omitted = None if args.all_weights else omitted_note(project.network)
    # One set of keys for every layer, as the exported scripts print them: a convolution's "grad_weights" and
    # "new_weights" are its kernel's (K, C, k, k), a pooling layer's are null (it has no parameters).
    for layer, values, g, new in zip(project.network.layers, result["layers"], grads.layers, updated.layers):
        new_main = new.parameters()[0]
        values.update({
            "delta": nested(g.delta, None if isinstance(layer, DenseLayer) else layer.out_shape),
            "grad_weights": None if omitted else g.grad_weights,
            "grad_bias": _list(g.grad_bias),
            "new_weights": None if omitted or new_main is None else new_main,
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


def _print_layer_backward(layer: Layer, values: dict[str, Any], digits: int, full: bool) -> None:
    """δ and the gradients of one layer in `step`'s text: a dense layer's ∂L/∂W, a convolution's ∂L/∂K as one
    k×k grid per kernel and input channel, a pooling layer's δ only (it has no parameters)."""
    if isinstance(layer, DenseLayer):
        print(f"  δ     = {_fmt(values['delta'], digits)}")
        _print_weights("  ∂L/∂W = ", layer, values["grad_weights"], digits)
    else:
        write_maps(sys.stdout, "  δ     = ", values["delta"], layer.out_shape, digits, full, _MAP_HINT)
    if isinstance(layer, Conv2DLayer):
        write_kernels(sys.stdout, "  ∂L/∂K = ", values["grad_weights"], layer, digits)
    elif not isinstance(layer, DenseLayer):
        max_pool = layer.kind == "max"  # type: ignore[union-attr]
        where = "to the pixel each window chose" if max_pool else "evenly over each window"
        print(f"  (no parameters: the signal goes back {where})")
    if values.get("grad_bias") is not None:
        print(f"  ∂L/∂b = {_fmt(values['grad_bias'], digits)}")


def _print_step(project: Project, result: dict[str, Any], digits: int, full: bool = False) -> None:
    _print_eval(project, result, digits, full)
    print(f"backward pass (δ = ∂L/∂z), update with {result['optimizer']}, learning rate {result['learning_rate']:g}")
    for index in range(len(result["layers"]), 0, -1):
        print(f"layer {index}")
        _print_layer_backward(project.network.layers[index - 1], result["layers"][index - 1], digits, full)
    print("updated parameters")
    for index, values in enumerate(result["layers"], start=1):
        layer = project.network.layers[index - 1]
        if isinstance(layer, DenseLayer):
            _print_weights(f"  W{index} = ", layer, values["new_weights"], digits)
        elif isinstance(layer, Conv2DLayer):
            write_kernels(sys.stdout, f"  K{index} = ", values["new_weights"], layer, digits)
        if values.get("new_bias") is not None:
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
        printer(project, result, args.digits, bool(getattr(args, "all_weights", False)))
    return 0
