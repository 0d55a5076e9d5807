"""The commands that make one file: `nnstudio new`, `nnstudio export` and `nnstudio import`.

    nnstudio new 784-256-128-10 --out FILE               a new network file, seeded weights
    nnstudio export FILE|EXAMPLE --to FORMAT --out PATH  the network in another tool's format
    nnstudio import MODEL --out FILE.nnstudio            a network file from an ONNX or safetensors model

Each checks that it may write its `--out` before anything is read or built, and says in one line what it saved.
"""

from __future__ import annotations

import argparse

from nnstudio.atomic import check_can_write
from nnstudio.cli_maps import layer_words, network_words
from nnstudio.cli_messages import UsageError, say
from nnstudio.core.spatial_layers import show_shape
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
    say(f"wrote {', '.join(map(str, written))}: {network_words(project.network)} as {args.to}")
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
    net = project.network
    layers = ", ".join(layer_words(layer) for layer in net.layers)
    inputs = f"{net.input_size} inputs" if net.input_shape is None else f"{show_shape(net.input_shape)} input maps"
    say(f"saved {args.out}: {inputs} → {layers}; {project.loss} loss")
    for note in imported.notes:  # what the model file held that the network does not: said, not dropped silently
        say(f"  {note}")
    return 0


def run_new(args: argparse.Namespace) -> int:
    """A new network file from sizes, so a whole experiment can start from the command line.
    Built by `core.blueprint`, as File → New Network… builds it in the window; a notation with maps
    (`1x28x28-c6k5p2-m2-…`) by `core.architecture_build` (_run_new_maps)."""
    from nnstudio.core.architecture import is_spatial
    from nnstudio.core.blueprint import Blueprint, BlueprintError, build_project, parse_sizes, square_image

    if is_spatial(args.sizes):
        return _run_new_maps(args)
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


def _run_new_maps(args: argparse.Namespace) -> int:
    """`nnstudio new` for the notation with maps: parsed and built by core.architecture(_build), which check the
    activation budget (before anything is allocated), the parameter budget, softmax on maps and a pooling
    layer's bias, each refused by name. Plain sizes never come here: they stay Blueprint's, bit for bit."""
    from nnstudio.core.architecture import PoolSpec, parse_architecture
    from nnstudio.core.architecture_build import build_from_architecture
    from nnstudio.core.blueprint import BlueprintError, loss_after
    from nnstudio.core.errors import NNStudioError
    from nnstudio.core.init import check_params, get_initialiser
    from nnstudio.core.losses import get_loss
    from nnstudio.core.project import Project

    try:
        arch = parse_architecture(args.sizes)
    except BlueprintError as error:
        raise UsageError(f"SIZES: {error}") from None
    if args.image:
        raise UsageError(f"--image is for a plain input of numbers; {args.sizes.split('-')[0].strip()} already "
                         f"gives the input's maps (channels × height × width)")
    count = len(arch.layers)
    if args.no_bias is not None and any(not 1 <= index <= count for index in args.no_bias):
        raise UsageError(f"--no-bias takes layer numbers from 1 to {count} (pooling layers count)")
    chosen = set(args.no_bias or ())  # a pooling layer's number is refused by name (bias_choices)
    if args.no_bias == []:  # --no-bias alone: every layer that has a bias (pooling has none to drop)
        chosen = {number for number, spec in enumerate(arch.layers, start=1) if not isinstance(spec, PoolSpec)}
    params = {} if args.init_value is None else {"value": args.init_value}
    initialiser = get_initialiser(args.init)
    try:
        check_params(initialiser.name, {**initialiser.defaults, **params})
    except NNStudioError as error:
        raise UsageError(f"initial weights: {error}") from None
    check_can_write(args.out)
    network = build_from_architecture(arch, args.hidden, args.output, args.init, args.seed, chosen, params=params)
    output = network.layers[-1].activation
    loss = get_loss(args.loss or loss_after(output))
    loss.check_output(output)  # cross-entropy after ReLU: refused by name, as Blueprint.check refuses it
    project = Project(network, loss=loss.name)
    save_project(project, args.out)
    say(f"saved {args.out}: {network_words(network)}, {args.hidden} hidden, {args.output} output, "
        f"{project.loss} loss, {args.init} weights (seed {args.seed})")
    return 0
