"""The `nnstudio` command: opens the window, or computes headless.

    nnstudio                        open the window on the built-in example
    nnstudio FILE                   open FILE in the window
    nnstudio examples               list the built-in examples
    nnstudio eval FILE|EXAMPLE      forward pass: z and a of every layer, the output
    nnstudio step FILE|EXAMPLE      forward, loss, backward, update: every number

This module never imports Qt: the window is imported only when it is asked for.
User errors end with exit status 2 and one line on stderr, never a traceback.
Numbers accept the expressions of the studio (`5/6`, `1/sqrt(2)`, `-√2/2`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any, NoReturn, Sequence

import numpy as np

from nnstudio import __version__
from nnstudio.core.errors import NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.losses import get_loss
from nnstudio.core.optim import apply_update
from nnstudio.core.project import Project
from nnstudio.core.trace import backward, forward
from nnstudio.io.examples import list_examples, load_file_or_example
from nnstudio.io.network_file import save_project

COMMANDS = ("eval", "step", "examples", "train")
VECTOR_OPTIONS = ("--input", "--target")
_SEPARATOR = "\x1f"
EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake in how the command was called; reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


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


def _make_parser() -> _Parser:
    parser = _Parser(prog="nnstudio", description="See inside neural networks.")
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("examples", help="list the built-in examples")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("network", metavar="FILE|EXAMPLE", help="a .nnstudio file or a built-in example name")
        p.add_argument("--input", help="input values (expressions allowed), e.g. --input 5/6 1/3")
        p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
        p.add_argument("--digits", type=int, default=10, help="significant digits in text output (default 10)")

    common(sub.add_parser("eval", help="forward pass: z and a of every layer and the output"))
    step = sub.add_parser("step", help="one forward pass, loss, backward pass and update")
    common(step)
    step.add_argument("--target", help="target values (expressions allowed)")
    step.add_argument("--lr", help="learning rate (overrides the file's)")
    step.add_argument("--out", metavar="NEW_FILE", help="save the updated network to NEW_FILE")

    train = sub.add_parser("train", help="(reserved) train on a dataset: comes with the training release")
    train.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _with_overrides(project: Project, args: argparse.Namespace) -> Project:
    net = project.network
    changes: dict[str, Any] = {}
    given = _vector(args.input, net.input_size, "input")
    if given is not None:
        changes["input"], changes["input_text"] = given
    given = _vector(getattr(args, "target", None), net.output_size, "target")
    if given is not None:
        changes["target"], changes["target_text"] = given
    return project.replace(**changes) if changes else project


# ----------------------------------------------------------------------------- output


def _fmt(value: np.ndarray | float, digits: int) -> str:
    array = np.atleast_1d(np.asarray(value, dtype=float))
    if array.ndim == 2:
        return "[" + ",\n       ".join(_fmt(row, digits) for row in array) + "]"
    return "[" + ", ".join(f"{v:.{digits}g}" for v in array) + "]"


def _list(value: np.ndarray | None) -> Any:
    return None if value is None else np.asarray(value, dtype=float).tolist()


def _neurons(n: int) -> str:
    return f"{n} neuron" + ("" if n == 1 else "s")


def _eval(project: Project, args: argparse.Namespace) -> dict[str, Any]:
    trace = forward(project.network, project.input)
    last = project.network.layers[-1] if project.network.layers else None
    result: dict[str, Any] = {
        "input": _list(trace.input),
        "layers": [{"activation": layer.activation, "z": _list(t.z), "a": _list(t.a)}
                   for layer, t in zip(project.network.layers, trace.layers)],
        "output": _list(trace.output),
    }
    if last is not None:
        loss = get_loss(project.loss)
        result["target"] = _list(project.target)
        result["loss"] = loss.evaluate(trace.output, project.target, trace.layers[-1].z, last.activation)
    return result


def _print_eval(project: Project, result: dict[str, Any], digits: int) -> None:
    print(f"{project.name or 'network'}: {'-'.join(map(str, project.network.sizes))}")
    print(f"input        x = {_fmt(result['input'], digits)}")
    for index, (layer, values) in enumerate(zip(project.network.layers, result["layers"]), start=1):
        print(f"layer {index} ({_neurons(layer.n_out)}, {layer.activation})")
        print(f"  z = W·a + b = {_fmt(values['z'], digits)}")
        print(f"  a = g(z)    = {_fmt(values['a'], digits)}")
    print(f"output       ŷ = {_fmt(result['output'], digits)}")
    if "loss" in result:
        print(f"target       y = {_fmt(result['target'], digits)}")
        print(f"loss ({project.loss}) L = {result['loss']:.{digits}g}")


def _step(project: Project, args: argparse.Namespace) -> tuple[dict[str, Any], Project]:
    if not project.network.layers:
        raise UsageError("the network has no layers to step through")
    config = project.optimizer
    if args.lr is not None:
        try:
            lr = evaluate_number(args.lr)
        except NNStudioError as error:
            raise UsageError(f"--lr: {error}") from None
        config = dataclasses.replace(config, learning_rate=lr)
    trace = forward(project.network, project.input)
    grads = backward(project.network, trace, project.target, project.loss)
    updated, _ = apply_update(project.network, grads, config)
    result = _eval(project, args)
    result["learning_rate"] = config.learning_rate
    result["optimizer"] = config.name
    for values, g, new in zip(result["layers"], grads.layers, updated.layers):
        values.update({
            "delta": _list(g.delta),
            "grad_weights": _list(g.grad_weights),
            "grad_bias": _list(g.grad_bias),
            "new_weights": _list(new.weights),
            "new_bias": _list(new.bias),
        })
    return result, project.replace(network=updated, optimizer=config)


def _print_step(project: Project, result: dict[str, Any], digits: int) -> None:
    _print_eval(project, result, digits)
    print(f"backward pass (δ = ∂L/∂z), update with {result['optimizer']}, learning rate {result['learning_rate']:g}")
    for index in range(len(result["layers"]), 0, -1):
        values = result["layers"][index - 1]
        print(f"layer {index}")
        print(f"  δ     = {_fmt(values['delta'], digits)}")
        print(f"  ∂L/∂W = {_fmt(values['grad_weights'], digits)}")
        if values["grad_bias"] is not None:
            print(f"  ∂L/∂b = {_fmt(values['grad_bias'], digits)}")
    print("updated parameters")
    for index, values in enumerate(result["layers"], start=1):
        print(f"  W{index} = {_fmt(values['new_weights'], digits)}")
        if values["new_bias"] is not None:
            print(f"  b{index} = {_fmt(values['new_bias'], digits)}")


# ----------------------------------------------------------------------------- entry point


def _run_gui(path: str | None) -> int:
    try:
        from nnstudio.ui.app import run
    except ImportError as error:  # PySide6 missing or broken: say so plainly
        print(f"nnstudio: error: the window needs PySide6 and pyqtgraph ({error})", file=sys.stderr)
        return EXIT_USAGE
    return run(path)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        return _run_gui(None)
    if args_list[0] not in COMMANDS and not args_list[0].startswith("-"):
        if len(args_list) > 1:
            print(f"nnstudio: error: unknown command {args_list[0]!r}; commands: {', '.join(COMMANDS)}",
                  file=sys.stderr)
            return EXIT_USAGE
        return _run_gui(args_list[0])
    try:
        args = _make_parser().parse_args(_join_vectors(args_list))
        if args.command == "examples":
            for name in list_examples():
                print(name)
            return 0
        if args.command == "train":
            raise UsageError("`nnstudio train` is not available in this version yet")
        if args.digits < 1 or args.digits > 17:
            raise UsageError("--digits must be from 1 to 17")
        project = _with_overrides(load_file_or_example(args.network), args)
        if args.command == "eval":
            result = _eval(project, args)
            printer = _print_eval
        else:
            result, updated = _step(project, args)
            printer = _print_step
            if args.out:
                save_project(updated, args.out)
        if args.json:
            print(json.dumps(result))
        else:
            printer(project, result, args.digits)
        return 0
    except (UsageError, NNStudioError) as error:
        print(f"nnstudio: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"nnstudio: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
