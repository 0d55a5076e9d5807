"""The commands that make one file: `nnstudio new`, `nnstudio export` and `nnstudio import`.

    nnstudio new 784-256-128-10 --out FILE               a new network file, seeded weights
    nnstudio export FILE|EXAMPLE --to FORMAT --out PATH  the network in another tool's format
    nnstudio import MODEL --out FILE.nnstudio            a network file from an ONNX or safetensors model

Each checks that it may write its `--out` before anything is read or built, and says in one line what it saved.
"""

from __future__ import annotations

import argparse

from nnstudio.atomic import check_can_write
from nnstudio.cli_messages import UsageError, say
from nnstudio.io.examples import load_file_or_example
from nnstudio.io.network_file import save_project


def run_export(args: argparse.Namespace) -> int:
    """`nnstudio export`: the network in another tool's format (see nnstudio/interop/formats.py)."""
    from nnstudio.interop.formats import export_project

    check_can_write(args.out)  # before anything is read or built
    project = load_file_or_example(args.network)
    if args.dtype and args.to not in ("onnx", "safetensors"):
        raise UsageError(f"--dtype is for onnx and safetensors; a {args.to} script keeps the file's precision")
    written = export_project(project, args.to, args.out, args.dtype)
    say(f"wrote {', '.join(map(str, written))}: {'-'.join(map(str, project.network.sizes))} as {args.to}")
    return 0


def run_import(args: argparse.Namespace) -> int:
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
    say(f"saved {args.out}: {project.network.input_size} inputs → {layers}; {project.loss} loss")
    for note in imported.notes:  # what the model file held that the network does not: said, not dropped silently
        say(f"  {note}")
    return 0


def run_new(args: argparse.Namespace) -> int:
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
    say(f"saved {args.out}: {'-'.join(map(str, sizes))}, {args.hidden} hidden, {args.output} output, "
         f"{project.loss} loss, {args.init} weights (seed {args.seed})")
    return 0
