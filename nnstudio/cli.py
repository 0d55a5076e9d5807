"""The `nnstudio` command: opens the window, or computes headless.

    nnstudio                        open the window on the built-in example
    nnstudio FILE                   open FILE in the window
    nnstudio examples               list the built-in examples
    nnstudio eval FILE|EXAMPLE      forward pass: z and a of every layer, the output
    nnstudio step FILE|EXAMPLE      forward, loss, backward, update: every number
    nnstudio new 784-256-128-10 --out FILE    a new network file, seeded weights
    nnstudio train FILE|EXAMPLE --dataset NAME --out FILE    train and save, the run recorded in the file

This module never imports Qt: the window is imported only when it is asked for.
User errors end with exit status 2 and one line on stderr, never a traceback.
Numbers accept the expressions of the studio (`5/6`, `1/sqrt(2)`, `-√2/2`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import Any, NoReturn, Sequence

import numpy as np

from nnstudio import __version__
from nnstudio.atomic import check_can_write
from nnstudio.cli_values import PRINTED_WEIGHTS, omitted_note, write_json, write_matrix
from nnstudio.crash_log import describe, log_file, write_log
from nnstudio.core.errors import LossError, NNStudioError, shorten, terminal_text
from nnstudio.core.expr import evaluate_number
from nnstudio.core.optim import apply_update
from nnstudio.core.limits import MAX_EPOCHS
from nnstudio.core.network import DenseLayer
from nnstudio.core.project import NO_TARGET, Project
from nnstudio.core.step_memory import check_step_memory, samples_within_budget
from nnstudio.core.trace import backward, forward, trace_loss
from nnstudio.io.examples import list_examples, load_file_or_example
from nnstudio.io.network_file import save_project

COMMANDS = ("eval", "step", "examples", "train", "new", "export", "import")
VECTOR_OPTIONS = ("--input", "--target")
_SEPARATOR = "\x1f"
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, reported on one line with the details in the log
EXIT_INTERRUPTED = 130  # what a shell reports for a process stopped by Ctrl-C (128 + SIGINT); see launch.py
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process its reader left (128 + SIGPIPE)


class UsageError(Exception):
    """A mistake in how the command was called; reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse whose refusals ("invalid choice: …") take the route of every other one: a UsageError,
    written by `_error_line` (one line, escaped, cut) with exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


#: Characters of one report line on stdout ("saved …", "training … on …"): longer than an error line, as
#: import lists up to MAX_LAYERS layers, but never unbounded whatever a file or option holds.
REPORT_LINE = 4000


def _say(text: str, *, flush: bool = False) -> None:
    """One report line on stdout that may hold names from files or options: escaped and cut (terminal_text)."""
    print(terminal_text(text, REPORT_LINE), flush=flush)


def _error_line(text: str) -> None:
    """The one place a message reaches stderr: one line, its control characters shown as escapes, cut
    to TERMINAL_LINE characters, so a file name holding ESC or a 100,000-character value stays harmless."""
    print(terminal_text(text), file=sys.stderr)


def _join_vectors(argv: list[str]) -> list[str]:
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


def _whole(minimum: int, maximum: int | None = None):  # type: ignore[no-untyped-def]
    """An argparse type: a whole number ≥ `minimum` (and ≤ `maximum`, when given), refused by argparse's own
    one-line error otherwise."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {minimum}, got {shorten(text)!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"expected a whole number from {minimum} to {maximum:,}, "
                                             f"got {shorten(str(value))}")
        return value
    convert.__name__ = "whole number"
    return convert


def _rate(text: str) -> float:
    """An argparse type: a finite number ≥ 0 (expressions allowed)."""
    try:
        value = evaluate_number(text)
    except NNStudioError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 0, got {value:g}")
    return value


def _schedule(text: str):  # type: ignore[no-untyped-def]
    """An argparse type: a learning-rate schedule (see training/schedule.py)."""
    from nnstudio.training.schedule import parse_schedule

    try:
        return parse_schedule(text)
    except NNStudioError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _fraction(text: str) -> float:
    """An argparse type: a fraction in (0, 1], also written as a percentage (98%)."""
    try:
        value = float(text[:-1]) / 100 if text.strip().endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.98 or 98%, got {shorten(text)!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1] such as 0.98 or 98%, got {shorten(text)!r}")
    return value


def _make_parser() -> _Parser:
    parser = _Parser(prog="nnstudio", description="See inside neural networks.")
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("examples", help="list the built-in examples")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("network", metavar="FILE|EXAMPLE", help="a .nnstudio file or a built-in example name")
        p.add_argument("--input", help="input values (expressions allowed), e.g. --input 5/6 1/3")
        p.add_argument("--target", help="target values (expressions allowed): the loss is scored against them")
        p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
        p.add_argument("--digits", type=int, default=10, help="significant digits in text output (default 10)")

    common(sub.add_parser("eval", help="forward pass: z and a of every layer and the output"))
    step = sub.add_parser("step", help="one forward pass, loss, backward pass and update")
    common(step)
    step.add_argument("--lr", help="learning rate (overrides the file's)")
    step.add_argument("--out", metavar="NEW_FILE", help="save the updated network to NEW_FILE")
    step.add_argument("--all-weights", action="store_true",
                      help=f"print ∂L/∂W and the updated W of every edge however many (by default only for networks "
                           f"of at most {PRINTED_WEIGHTS:,} weights; larger ones show each matrix's shape)")

    evaluate = sub.choices["eval"]
    evaluate.add_argument("--dataset", help="evaluate on this dataset's test split instead of one input")
    evaluate.add_argument("--data-dir", help="folder holding the dataset's files")
    evaluate.add_argument("--seed", type=_whole(0), default=0, help="seed of the train/test split (toy sets, CSV)")

    train = sub.add_parser("train", help="train on a dataset and save the trained network")
    train.add_argument("network", metavar="FILE|EXAMPLE")
    train.add_argument("--dataset", required=True,
                       help="mnist, fashion-mnist, xor, product, circles, spirals, clusters, quadratic, PATH.csv "
                            "(a last column of only 0 and 1 is two classes), or function:EXPRESSION")
    train.add_argument("--data-dir", help="folder holding the dataset's files")
    train.add_argument("--epochs", type=_whole(1, MAX_EPOCHS), default=5,
                       help=f"epochs to train, at most {MAX_EPOCHS:,} (default 5)")
    train.add_argument("--batch-size", type=_whole(1), default=32)
    train.add_argument("--lr", help="learning rate (expressions allowed; default: the file's)")
    train.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], help="default: the file's")
    train.add_argument("--l2", type=_rate, help="L2 regularisation on W (default: the file's)")
    train.add_argument("--seed", type=_whole(0), default=0)
    train.add_argument("--normalise", choices=["none", "minmax", "standard"], default="none",
                       help="input normalisation fitted on the training split and saved with the network")
    train.add_argument("--precision", choices=["float32", "float64"], default="float32",
                       help="the arithmetic of the run (default float32, the faster); float64 also reads the data "
                            "in float64: MNIST pixels as k/255 and CSV values as written, not rounded to float32")
    train.add_argument("--schedule", type=_schedule, default=None, metavar="SCHEDULE",
                       help="learning rate by epoch: constant (default), cosine, or step:EVERY:FACTOR (e.g. step:10:0.5)")
    train.add_argument("--early-stop", type=_whole(1), default=None, metavar="EPOCHS",
                       help="stop when the test loss has not improved for this many epochs")
    train.add_argument("--restore-best", action="store_true",
                       help="end on the parameters of the epoch with the best test loss")
    train.add_argument("--target-accuracy", type=_fraction, default=None, metavar="FRACTION",
                       help="stop once the test accuracy reaches this (0.98, or 98%%)")
    train.add_argument("--out", metavar="TRAINED_FILE", required=True,
                       help="the trained network, with this run added to its record of runs (the window's Runs)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    new = sub.add_parser("new", help="write a new network file with the given layer sizes")
    new.add_argument("sizes", metavar="SIZES", help="layer sizes from input to output, e.g. 784-256-128-10")
    new.add_argument("--hidden", default="relu", help="activation of the hidden layers (default relu)")
    new.add_argument("--output", default="softmax", help="activation of the output layer (default softmax)")
    new.add_argument("--loss", help="default: cce after softmax, bce after sigmoid, else mse")
    new.add_argument("--init", default="he", help="initial weights: zeros, constant, he, xavier, uniform, normal "
                                                  "(default he; biases start at zero)")
    new.add_argument("--init-value", type=float, default=None, help="the value of --init constant (default 0.1)")
    new.add_argument("--no-bias", type=int, nargs="*", metavar="LAYER", default=None,
                     help="layers (1 = first after the input) without a bias; alone: every layer")
    new.add_argument("--image", action="store_true", help="draw the input as a square image (e.g. 784 = 28 × 28)")
    new.add_argument("--seed", type=_whole(0), default=0)
    new.add_argument("--out", metavar="NEW_FILE", required=True)

    from nnstudio.interop.formats import EXPORT_NAMES

    export = sub.add_parser("export", help="write the network as a PyTorch or NumPy script, ONNX or safetensors")
    export.add_argument("network", metavar="FILE|EXAMPLE")
    export.add_argument("--to", required=True, choices=EXPORT_NAMES)
    export.add_argument("--out", metavar="PATH", required=True)
    export.add_argument("--dtype", choices=["float32", "float64"], default=None,
                        help="precision of ONNX and safetensors values (default: float32 for ONNX, the file's for "
                             "safetensors)")
    imported = sub.add_parser("import", help="make a .nnstudio file from an ONNX or safetensors model")
    imported.add_argument("model", metavar="MODEL", help="a .onnx or .safetensors file")
    imported.add_argument("--out", metavar="FILE.nnstudio", required=True)
    imported.add_argument("--activations", help="one per layer, comma-separated (safetensors without our "
                                                "metadata), e.g. relu,softmax")
    imported.add_argument("--loss", help="default: the file's, else cce after softmax, bce after sigmoid, else mse")
    return parser


def _export(args: argparse.Namespace) -> int:
    """`nnstudio export`: the network in another tool's format (see nnstudio/interop/formats.py)."""
    from nnstudio.interop.formats import export_project

    check_can_write(args.out)  # before anything is read or built
    project = load_file_or_example(args.network)
    if args.dtype and args.to not in ("onnx", "safetensors"):
        raise UsageError(f"--dtype is for onnx and safetensors; a {args.to} script keeps the file's precision")
    written = export_project(project, args.to, args.out, args.dtype)
    _say(f"wrote {', '.join(map(str, written))}: {'-'.join(map(str, project.network.sizes))} as {args.to}")
    return 0


def _import(args: argparse.Namespace) -> int:
    """`nnstudio import`: a .nnstudio file from an ONNX or safetensors model."""
    from nnstudio.core.losses import get_loss
    from nnstudio.interop.formats import import_model_with_notes

    activations = None
    if args.activations is not None:
        activations = [name.strip() for name in args.activations.split(",")]
        if not all(activations):
            raise UsageError("--activations: give one name per layer, comma-separated, e.g. relu,softmax")
    if args.loss:
        get_loss(args.loss)
    check_can_write(args.out)
    imported = import_model_with_notes(args.model, activations, args.loss)
    project = imported.project
    save_project(project, args.out)
    layers = ", ".join(f"{layer.n_out} {layer.activation}" + ("" if layer.has_bias else " (no bias)")
                       for layer in project.network.layers)
    _say(f"saved {args.out}: {project.network.input_size} inputs → {layers}; {project.loss} loss")
    for note in imported.notes:  # what the model file held that the network does not: said, not dropped silently
        _say(f"  {note}")
    return 0


def _new(args: argparse.Namespace) -> int:
    """A new network file from sizes, so a whole experiment can start from the command line.
    Built by `core.blueprint`, as File → New Network… builds it in the window."""
    from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project, parse_sizes, square_image

    try:
        sizes = parse_sizes(args.sizes)
    except BlueprintError as error:
        raise UsageError(f"SIZES: {error}")
    layers = len(sizes) - 1
    biases: tuple[bool, ...] = ()
    if args.no_bias is not None:
        if any(not 1 <= index <= layers for index in args.no_bias):
            raise UsageError(f"--no-bias takes layer numbers from 1 to {layers}")
        biases = tuple(bool(args.no_bias) and index not in args.no_bias for index in range(1, layers + 1))
    image = None
    if args.image:
        image = square_image(sizes[0])
        if image is None:
            raise UsageError(f"--image needs a square input size of at least 16 (such as 784 = 28 × 28), got {sizes[0]}")
    check_can_write(args.out)
    blueprint = Blueprint.simple(sizes, args.hidden, args.output, biases=biases, loss=args.loss, init=args.init,
                                 init_params={} if args.init_value is None else {"value": args.init_value},
                                 seed=args.seed, image=image)
    project = build_project(blueprint)
    save_project(project, args.out)
    _say(f"saved {args.out}: {'-'.join(map(str, sizes))}, {args.hidden} hidden, {args.output} output, "
         f"{project.loss} loss, {args.init} weights (seed {args.seed})")
    return 0


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
    _say(f"{project.name or 'network'}: {'-'.join(map(str, project.network.sizes))}")
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


# ----------------------------------------------------------------------------- datasets


_bar_drawn = False


def _end_progress_line() -> None:
    """Finish a half-drawn progress bar so the next message starts on a line of its own."""
    global _bar_drawn
    if _bar_drawn:
        sys.stderr.write("\r" + " " * 80 + "\r")
        _bar_drawn = False


def _progress_bar(enabled: bool):  # type: ignore[no-untyped-def]
    """A callback drawing a one-line progress bar on stderr (downloads and epochs)."""
    def draw(label: str, done: float, total: float | None) -> None:
        global _bar_drawn
        if not enabled:
            return
        _bar_drawn = True
        if total:
            width = 30
            filled = int(width * min(done / total, 1.0))
            sys.stderr.write(f"\r{terminal_text(label, 40):40s} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{done / total:6.1%}")
        else:
            sys.stderr.write(f"\r{terminal_text(label, 40):40s} {done:,.0f}")
        sys.stderr.flush()
    return draw


def _load_data(args: argparse.Namespace, show: bool, dtype: str = "float32"):  # type: ignore[no-untyped-def]
    """The dataset's train/test split, its values in `dtype` (the precision of the run it is for)."""
    from nnstudio.data.named import load_named

    bar = _progress_bar(show)
    split_data = load_named(args.dataset, args.data_dir, seed=args.seed,
                            progress=lambda name, done, total: bar(f"downloading {name}", done, total), dtype=dtype)
    return split_data


def _train(args: argparse.Namespace) -> int:
    from nnstudio.core.limits import MAX_RUN_ROWS
    from nnstudio.core.runs import with_run
    from nnstudio.data.dataset import normalise_split
    from nnstudio.training import EpochResult, StepProgress, TrainingConfig, blas, drive, train
    from nnstudio.training.loop import Record
    from nnstudio.training.run_record import run_record, step_point
    from nnstudio.training.thinned import Thinned

    check_can_write(args.out)  # before minutes of training (and before the network is read), not after
    project = load_file_or_example(args.network)
    data = _load_data(args, not args.quiet, args.precision)
    config = project.optimizer
    changes: dict[str, Any] = {}
    if args.lr is not None:
        try:
            changes["learning_rate"] = evaluate_number(args.lr)
        except NNStudioError as error:
            raise UsageError(f"--lr: {error}") from None
    if args.optimizer:
        changes["name"] = args.optimizer
    if args.l2 is not None:
        changes["l2"] = args.l2
    config = dataclasses.replace(config, **changes)
    normalised, norm = normalise_split(data, args.normalise)
    del data  # the raw inputs: a second copy of the data once normalised
    train_set, test_set = normalised.train, normalised.test
    from nnstudio.training.schedule import Schedule, StopRules

    if (args.early_stop or args.target_accuracy or args.restore_best) and not len(test_set):
        raise UsageError("--early-stop, --restore-best and --target-accuracy judge the test part; "
                         f"{args.dataset} has none here")
    if args.restore_best and not args.early_stop:
        raise UsageError("--restore-best goes with --early-stop EPOCHS")
    settings = TrainingConfig(epochs=args.epochs, batch_size=args.batch_size, optimizer=config, seed=args.seed,
                              dtype=args.precision, schedule=args.schedule or Schedule(),
                              stop=StopRules(args.target_accuracy, args.early_stop, args.restore_best))
    bar = _progress_bar(not args.quiet)
    _say(f"training {'-'.join(map(str, project.network.sizes))} on {args.dataset}: {len(train_set)} training and "
         f"{len(test_set)} test samples, {args.epochs} epochs, batch {args.batch_size}, {config.name} "
         f"α = {config.learning_rate:g}"
         + (f" ({settings.schedule.describe()})" if settings.schedule.kind != "constant" else "")
         + f"; large products by {blas.library().name}", flush=True)
    run = train(project.network, project.loss, train_set, test_set, settings)
    # The train-loss curve of the run's record, as the window keeps it: thinned, so a long run stays bounded.
    steps: Thinned[tuple[int, float]] = Thinned(MAX_RUN_ROWS)

    def report(record: Record) -> None:
        if isinstance(record, StepProgress):
            steps.add(step_point(record))
            bar(f"epoch {record.epoch}/{args.epochs}", record.step, record.steps_per_epoch)
        elif isinstance(record, EpochResult):
            _end_progress_line()
            accuracy = "—" if record.test_accuracy is None else f"{record.test_accuracy:.2%}"
            rate = f"  α = {record.learning_rate:.4g}" if settings.schedule.kind != "constant" else ""
            print(f"epoch {record.epoch}: train loss {record.train_loss:.4f}  test loss {record.test_loss:.4f}  "
                  f"test accuracy {accuracy}  {record.samples_per_second:,.0f} samples/s{rate}", flush=True)

    result = drive(run, report)
    if result.stop_reason:
        print(f"stopped: {result.stop_reason}")
    if result.best_epoch is not None:
        print(f"kept the parameters of epoch {result.best_epoch} (the best test loss)")
    # The run's record, built as the window builds it, so Results → Runs lists it beside the window's runs.
    runs = with_run(project.runs, run_record(args.dataset, settings, result, steps.items()))
    trained = project.replace(network=result.network, optimizer=config, normalisation=norm.project_field(),
                              runs=runs)
    save_project(trained, args.out)
    if result.error:
        _error_line(f"nnstudio: {result.error}")
        _say(f"saved the last finite parameters to {args.out}; the run is recorded in it (Runs, run {len(runs)})")
        return 1
    _say(f"saved {args.out}; the run is recorded in it (Runs, run {len(runs)})")
    return 0


def _eval_dataset(args: argparse.Namespace) -> int:
    from nnstudio.data.dataset import Normalisation
    from nnstudio.training.loop import check_fits
    from nnstudio.training.metrics import evaluate_outputs

    project = load_file_or_example(args.network)
    test = _load_data(args, False).test
    net = project.network
    check_fits(net, test)
    norm = Normalisation.from_project_field(project.normalisation)
    check_step_memory(net, backward=False, what="an evaluation")
    chunk = min(1024, samples_within_budget(net))  # the samples one forward pass takes within the step budget
    outputs = np.concatenate([forward(net, norm.apply_in(test.x[lo:lo + chunk], net.dtype)).output
                              for lo in range(0, len(test), chunk)])
    loss, accuracy, _, _ = evaluate_outputs(outputs, test, project.loss, net.layers[-1].activation)
    if args.json:
        print(json.dumps({"loss": loss, "accuracy": accuracy, "n": len(test)}))
    else:
        shown = "—" if accuracy is None else f"{accuracy:.2%}"
        _say(f"{args.dataset} test split: n = {len(test)}  loss ({project.loss}) = {loss:.6g}  accuracy = {shown}")
    return 0


# ----------------------------------------------------------------------------- entry point


def _run_gui(path: str | None) -> int:
    try:
        from nnstudio.ui.app import run
    except ImportError as error:  # PySide6 missing or broken: say so plainly
        _error_line(f"nnstudio: error: the window needs PySide6 and pyqtgraph ({error})")
        return EXIT_USAGE
    return run(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; every outcome is an exit status and at most one line on stderr, never a traceback."""
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show "ŷ" gets \u0177, not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        with np.errstate(all="ignore"):  # an overflow shows as inf/nan in the output, not as warnings
            return _main(argv)
    except KeyboardInterrupt:
        _end_progress_line()
        _error_line("nnstudio: interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug: one line for the person, the traceback for a report
        write_log(type(error), error, error.__traceback__)
        _end_progress_line()
        _error_line(f"nnstudio: internal error: {describe(error)} (details in {log_file()})")
        return EXIT_INTERNAL


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        return _run_gui(None)
    if args_list[0] not in COMMANDS and not args_list[0].startswith("-"):
        if len(args_list) > 1:
            _error_line(f"nnstudio: error: unknown command {shorten(args_list[0])!r}; commands: {', '.join(COMMANDS)}")
            return EXIT_USAGE
        return _run_gui(args_list[0])
    try:
        args = _make_parser().parse_args(_join_vectors(args_list))
        if args.command == "examples":
            for name in list_examples():
                print(name)
            return 0
        if args.command == "train":
            return _train(args)
        if args.command == "new":
            return _new(args)
        if args.command == "export":
            return _export(args)
        if args.command == "import":
            return _import(args)
        if args.command == "eval" and args.dataset is not None:
            if not args.dataset.strip():
                raise UsageError("--dataset is empty; give a dataset name, e.g. --dataset mnist")
            return _eval_dataset(args)
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
    except (UsageError, NNStudioError) as error:
        _error_line(f"nnstudio: error: {error}")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`nnstudio … | head`): stop quietly, as other command-line tools do.
        # stdout is pointed at devnull so Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as error:
        _error_line(f"nnstudio: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "))
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
