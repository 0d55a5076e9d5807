"""The `nnstudio` command: opens the window, or computes headless.

    nnstudio                        open the window on the built-in example
    nnstudio FILE                   open FILE in the window
    nnstudio examples               list the built-in examples
    nnstudio eval FILE|EXAMPLE      forward pass: z and a of every layer, the output
    nnstudio step FILE|EXAMPLE      forward, loss, backward, update: every number
    nnstudio new 784-256-128-10 --out FILE    a new network file, seeded weights
    nnstudio new 1x28x28-c6k5p2-m2-c16k5-m2-120-84-10 --out FILE    one with convolution and pooling (LeNet)
    nnstudio train FILE|EXAMPLE [--dataset NAME] --out FILE  train and save, the run recorded in the file
    nnstudio lesson list            list the shipped lessons
    nnstudio check LESSON FILE      check a saved network against a lesson's tasks (exit 0 all pass, 1 not)

This module never imports Qt: the window is imported only when it is asked for.
User errors end with exit status 2 and one line on stderr, never a traceback.
Numbers accept the expressions of the studio (`5/6`, `1/sqrt(2)`, `-√2/2`).

Here: the parser, the dispatch and the one place every outcome becomes an exit status. The commands
themselves live beside it: cli_eval_step.py (eval, step), cli_train.py (train, eval --dataset),
cli_files.py (new, export, import), cli_lessons.py (lesson list, check); what they print goes through cli_messages.py,
cli_values.py and cli_maps.py (convolution and pooling layers).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Sequence

import numpy as np

from nnstudio import __version__
from nnstudio.cli_eval_step import join_vectors, run_eval_or_step
from nnstudio.cli_files import run_export, run_import, run_new
from nnstudio.cli_lessons import add_lesson_commands, run_check, run_lesson_list
from nnstudio.cli_messages import UsageError, end_progress_line, error_line
from nnstudio.cli_train import run_eval_dataset, run_train
from nnstudio.cli_values import PRINTED_WEIGHTS
from nnstudio.crash_log import describe, log_file, write_log
from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.expr import evaluate_number
from nnstudio.core.limits import MAX_EPOCHS
from nnstudio.io.examples import list_examples

COMMANDS = ("eval", "step", "examples", "train", "new", "export", "import", "lesson", "check")
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, reported on one line with the details in the log
EXIT_INTERRUPTED = 130  # what a shell reports for a process stopped by Ctrl-C (128 + SIGINT); see launch.py
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process its reader left (128 + SIGPIPE)


class _Parser(argparse.ArgumentParser):
    """argparse whose refusals ("invalid choice: …") take the route of every other one: a UsageError,
    written by `error_line` (one line, escaped, cut) with exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


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
        p.add_argument("--input", help="input values (expressions allowed), e.g. --input 5/6 1/3; for an input of "
                                       "maps C×H×W, its C·H·W values in (C, H, W) order")
        p.add_argument("--target", help="target values (expressions allowed): the loss is scored against them")
        p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
        p.add_argument("--digits", type=int, default=10, help="significant digits in text output (default 10)")

    common(sub.add_parser("eval", help="forward pass: z and a of every layer and the output"))
    step = sub.add_parser("step", help="one forward pass, loss, backward pass and update")
    common(step)
    step.add_argument("--lr", help="learning rate (overrides the file's)")
    step.add_argument("--out", metavar="NEW_FILE", help="save the updated network to NEW_FILE")
    step.add_argument("--all-weights", action="store_true",
                      help=f"print ∂L/∂W and the updated W (or kernel K) of every edge however many (by default "
                           f"only for networks of at most {PRINTED_WEIGHTS:,} weights; larger ones show each "
                           f"matrix's shape), and every value of large maps")

    evaluate = sub.choices["eval"]
    evaluate.add_argument("--dataset", help="evaluate on this dataset's test split instead of one input")
    evaluate.add_argument("--data-dir", help="folder holding the dataset's files")
    evaluate.add_argument("--seed", type=_whole(0), default=0, help="seed of the train/test split (toy sets, CSV)")

    train = sub.add_parser("train", help="train on a dataset and save the trained network")
    train.add_argument("network", metavar="FILE|EXAMPLE")
    train.add_argument("--dataset",
                       help="mnist, fashion-mnist, xor, product, circles, spirals, clusters, quadratic, PATH.csv "
                            "(a last column of only 0 and 1 is two classes), or function:EXPRESSION (default: the "
                            "dataset saved with the network)")
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
    new.add_argument("sizes", metavar="SIZES", help="layer sizes from input to output, e.g. 784-256-128-10, or with "
                                                    "maps: 1x28x28-c6k5p2-m2-c16k5-m2-120-84-10 (input C×H×W; "
                                                    "c6k5 six 5×5 kernels, then s stride, p padding; m2, a2 "
                                                    "max, average pooling)")
    new.add_argument("--hidden", default="relu", help="activation of the convolutions and hidden layers (default relu)")
    new.add_argument("--output", default="softmax", help="activation of the output layer (default softmax)")
    new.add_argument("--loss", help="default: cce after softmax, bce after sigmoid, else mse")
    new.add_argument("--init", default="he", help="initial weights: zeros, constant, he, xavier, uniform, normal "
                                                  "(default he; biases start at zero)")
    new.add_argument("--init-value", type=float, default=None, help="the value of --init constant (default 0.1)")
    new.add_argument("--no-bias", type=int, nargs="*", metavar="LAYER", default=None,
                     help="layers (1 = first after the input, pooling layers counted) without a bias; alone: every "
                          "layer")
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
    add_lesson_commands(sub)
    return parser


# ----------------------------------------------------------------------------- entry point


def _run_gui(path: str | None) -> int:
    try:
        from nnstudio.ui.app import run
    except ImportError as error:  # PySide6 missing or broken: say so plainly
        error_line(f"nnstudio: error: the window needs PySide6 and pyqtgraph ({error})")
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
        end_progress_line()
        error_line("nnstudio: interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug: one line for the person, the traceback for a report
        write_log(type(error), error, error.__traceback__)
        end_progress_line()
        error_line(f"nnstudio: internal error: {describe(error)} (details in {log_file()})")
        return EXIT_INTERNAL


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        return _run_gui(None)
    if args_list[0] not in COMMANDS and not args_list[0].startswith("-"):
        if len(args_list) > 1:
            error_line(f"nnstudio: error: unknown command {shorten(args_list[0])!r}; commands: {', '.join(COMMANDS)}")
            return EXIT_USAGE
        return _run_gui(args_list[0])
    try:
        args = _make_parser().parse_args(join_vectors(args_list))
        if args.command == "examples":
            for name in list_examples():
                print(name)
            return 0
        if args.command == "train":
            return run_train(args)
        if args.command == "new":
            return run_new(args)
        if args.command == "export":
            return run_export(args)
        if args.command == "import":
            return run_import(args)
        if args.command == "lesson":
            return run_lesson_list(args)
        if args.command == "check":
            return run_check(args)
        if args.command == "eval" and args.dataset is not None:
            if not args.dataset.strip():
                raise UsageError("--dataset is empty; give a dataset name, e.g. --dataset mnist")
            return run_eval_dataset(args)
        return run_eval_or_step(args)
    except (UsageError, NNStudioError) as error:
        error_line(f"nnstudio: error: {error}")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`nnstudio … | head`): stop quietly, as other command-line tools do.
        # stdout is pointed at devnull so Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as error:
        error_line(f"nnstudio: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "))
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
