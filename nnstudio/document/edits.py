"""Every edit a person can make, as a pure function Project -> Project.

The document turns each of these into one undoable command that swaps the old
and new Project, so undo restores values bit for bit. Keeping the rules here,
free of Qt, lets them be tested directly and used from scripts.

Columns are numbered as on the canvas: column 0 is the input, column k (k ≥ 1)
is layer k − 1. When a column changes size, existing weights are kept and new
ones are drawn by the chosen initialiser; the input, target, samples, labels and
layout are made to fit the new shape (padded with zeros or cut).
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import LossError, NNStudioError, ShapeError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.init import initial_weights
from nnstudio.core.losses import get_loss
from nnstudio.core.network import DenseLayer, Network, check_size
from nnstudio.core.paste_budget import check_expression_characters
from nnstudio.core.project import Project, Sample

COLUMN_SPACING = 260.0


class EditError(NNStudioError, ValueError):
    """An edit that cannot be made (e.g. removing the input column); the project is unchanged."""


# ----------------------------------------------------------------------------- helpers


def fit(values: np.ndarray, size: int) -> np.ndarray:
    """`values` cut or padded with zeros to `size`: what is kept of a bias, an input or a target when its layer
    changes size (conv_edits.py keeps a convolution's bias with it too)."""
    out = np.zeros(size, dtype=values.dtype)
    n = min(size, values.shape[0])
    out[:n] = values[:n]
    return out


def _fit_texts(texts: tuple[str | None, ...], size: int) -> tuple[str | None, ...]:
    return tuple(texts[:size]) + (None,) * max(0, size - len(texts))


def _fit_labels(labels: tuple[str, ...], size: int, prefix: str) -> tuple[str, ...]:
    if not labels:
        return ()
    return tuple(labels[:size]) + tuple(f"{prefix}{i + 1}" for i in range(len(labels), size))


def _resize_matrix(
    weights: np.ndarray, shape: tuple[int, int], init: str, rng: np.random.Generator
) -> np.ndarray:
    """Keep the overlapping block of `weights`, draw the rest with `init`."""
    fresh = initial_weights(shape, init, rng).astype(weights.dtype)
    rows, cols = min(shape[0], weights.shape[0]), min(shape[1], weights.shape[1])
    fresh[:rows, :cols] = weights[:rows, :cols]
    return fresh


def _resize_layer(layer: DenseLayer, n_out: int, n_in: int, init: str, rng: np.random.Generator) -> DenseLayer:
    if not isinstance(layer, DenseLayer):  # its size follows from its maps, kernel and stride, not a neuron count
        raise EditError(f"this change would resize {_kind(layer)} by a neuron count, but its size follows from its "
                        "maps: change its channels, kernel size, stride or padding in the Inspector, or use "
                        "+ Layer / Insert / Remove on the canvas")
    weights = _resize_matrix(layer.weights, (n_out, n_in), init, rng)
    bias = None if layer.bias is None else fit(layer.bias, n_out)
    return layer.replace(
        weights=weights,
        bias=bias,
        weight_text={k: v for k, v in layer.weight_text.items() if k[0] < n_out and k[1] < n_in},
        bias_text={k: v for k, v in layer.bias_text.items() if k < n_out},
    )


def conform(project: Project, network: Network, layout: Sequence[tuple[float, float]] | None = None) -> Project:
    """`project` with `network`, and everything sized by the network made to fit it."""
    n_in, n_out = network.input_size, network.output_size
    image = project.input_image
    if image is not None and image[0] * image[1] != n_in:
        image = None
    return Project(
        network=network,
        loss=project.loss,
        optimizer=project.optimizer,
        input=fit(project.input, n_in),
        target=fit(project.target, n_out),
        input_text=_fit_texts(project.input_text, n_in),
        target_text=_fit_texts(project.target_text, n_out),
        samples=tuple(
            Sample(s.name, fit(s.input, n_in), fit(s.target, n_out), _fit_texts(s.input_text, n_in),
                   _fit_texts(s.target_text, n_out))
            for s in project.samples
        ),
        input_labels=_fit_labels(project.input_labels, n_in, "x"),
        output_labels=_fit_labels(project.output_labels, n_out, "y"),
        input_image=image,
        layout=tuple(project.layout if layout is None else layout),
        name=project.name,
        description=project.description,
        normalisation=project.normalisation if n_in == project.network.input_size else None,
        target_known=project.target_known,
    )


def auto_layout(project: Project) -> tuple[tuple[float, float], ...]:
    """The saved column positions, or evenly spaced columns when none are saved."""
    if project.layout:
        return project.layout
    return tuple((i * COLUMN_SPACING, 0.0) for i in range(len(project.network.layers) + 1))


def _check_column(project: Project, column: int, allow_input: bool = True) -> None:
    last = len(project.network.layers)
    if not (0 if allow_input else 1) <= column <= last:
        raise EditError(f"there is no layer at column {column}")


# ----------------------------------------------------------------------------- structure


UNTITLED = "Untitled"


def empty_project(input_size: int = 2) -> Project:
    """A new document: an input column and no layers yet."""
    return Project(Network(input_size, ()), name=UNTITLED)


def insert_layer(
    project: Project, column: int, size: int, activation: str = "relu", init: str = "xavier",
    rng: np.random.Generator | None = None, bias: bool = True,
) -> Project:
    """A new layer of `size` neurons placed as column `column` (1 = right after the input).

    The layer that stood there (if any) now takes the new layer's outputs; its
    existing weights are kept where they still fit.
    """
    rng = rng if rng is not None else np.random.default_rng()
    check_size("number of neurons", size)
    get_activation(activation)
    net = project.network
    if not 1 <= column <= len(net.layers) + 1:
        raise EditError(f"a layer can be inserted at columns 1 to {len(net.layers) + 1}, not {column}")
    n_in = net.sizes[column - 1]
    dtype = net.dtype
    new = DenseLayer(initial_weights((size, n_in), init, rng).astype(dtype),
                     np.zeros(size, dtype=dtype) if bias else None, activation)
    return _insert(project, column, new, init, rng)


def insert_layer_copy(project: Project, column: int, layer: DenseLayer, init: str = "xavier",
                      rng: np.random.Generator | None = None) -> Project:
    """A copied layer (Ctrl+V), its weights, bias and typed text as they were, placed as column
    `column`. It must take as many inputs as the column before it gives."""
    rng = rng if rng is not None else np.random.default_rng()
    net = project.network
    if not 1 <= column <= len(net.layers) + 1:
        raise EditError(f"a layer can be inserted at columns 1 to {len(net.layers) + 1}, not {column}")
    gives = net.sizes[column - 1]
    if layer.n_in != gives:
        where = "the input" if column == 1 else f"layer {column - 1}"
        raise EditError(f"the copied layer takes {layer.n_in} input{'s' if layer.n_in != 1 else ''}, but {where} "
                        f"gives {gives}; paste it after a column of {layer.n_in} neurons")
    return _insert(project, column, layer.astype(net.dtype), init, rng)


def _insert(project: Project, column: int, new: DenseLayer, init: str, rng: np.random.Generator) -> Project:
    """`new` as column `column`; the layer after it takes its outputs (weights kept where they fit)."""
    net = project.network
    size = new.n_out
    layers = list(net.layers)
    layers.insert(column - 1, new)
    if column < len(layers):
        after = layers[column]
        layers[column] = _resize_layer(after, after.n_out, size, init, rng)
    layout = list(auto_layout(project))
    x, y = layout[column - 1]
    layout.insert(column, (x + COLUMN_SPACING, y))
    for i in range(column + 1, len(layout)):
        layout[i] = (layout[i][0] + COLUMN_SPACING, layout[i][1])
    return conform(project, net.with_layers(layers), layout if project.layout else None)


def remove_layer(project: Project, column: int, init: str = "xavier", rng: np.random.Generator | None = None) -> Project:
    """Remove the layer at `column` (≥ 1); the next layer takes the previous column's outputs."""
    rng = rng if rng is not None else np.random.default_rng()
    _check_column(project, column, allow_input=False)
    net = project.network
    layers = list(net.layers)
    del layers[column - 1]
    if column - 1 < len(layers):
        after = layers[column - 1]
        layers[column - 1] = _resize_layer(after, after.n_out, net.sizes[column - 1], init, rng)
    layout = list(auto_layout(project))
    del layout[column]
    for i in range(column, len(layout)):
        layout[i] = (layout[i][0] - COLUMN_SPACING, layout[i][1])
    return conform(project, net.with_layers(layers), layout if project.layout else None)


def resize_column(
    project: Project, column: int, size: int, init: str = "xavier", rng: np.random.Generator | None = None
) -> Project:
    """Column `column` gets `size` neurons; weights that still fit are kept, new ones drawn by `init`."""
    rng = rng if rng is not None else np.random.default_rng()
    _check_column(project, column)
    check_size("number of neurons", size)
    net = project.network
    sizes = net.sizes
    sizes[column] = size
    layers = [
        _resize_layer(layer, sizes[i + 1], sizes[i], init, rng) if column in (i, i + 1) else layer
        for i, layer in enumerate(net.layers)
    ]
    return conform(project, net.with_layers(layers, sizes[0]))


def set_activation(project: Project, column: int, activation: str) -> Project:
    _check_column(project, column, allow_input=False)
    name = get_activation(activation).name
    layer = _with_numbers(project, column)
    return project.replace(network=project.network.with_layer(column - 1, layer.replace(activation=name, params={})))


def set_bias_enabled(project: Project, column: int, enabled: bool) -> Project:
    """Give the layer a bias (zeros) or take it away."""
    _check_column(project, column, allow_input=False)
    layer = _with_numbers(project, column)
    if enabled == layer.has_bias:
        return project
    bias = np.zeros(len(layer.parameters()[0]), dtype=layer.dtype) if enabled else None  # one per neuron or map
    return project.replace(network=project.network.with_layer(column - 1, layer.replace(bias=bias, bias_text={})))


def _with_numbers(project: Project, column: int) -> DenseLayer:
    """The layer at `column`, refused if it is a pooling layer: it has no activation or bias to set."""
    layer = project.network.layers[column - 1]
    if not layer.parameter_count and not isinstance(layer, DenseLayer):
        raise EditError(f"layer {column} is a pooling layer: it has no activation or bias to set")
    return layer


def move_columns(project: Project, positions: Sequence[tuple[float, float]]) -> Project:
    if len(positions) != len(project.network.layers) + 1:
        raise EditError(f"expected {len(project.network.layers) + 1} column positions, got {len(positions)}")
    return project.replace(layout=tuple((float(x), float(y)) for x, y in positions))


# ----------------------------------------------------------------------------- values


_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_value(text: str) -> tuple[float, str | None]:
    """The value of typed text, and the text worth keeping: None for a plain number like 0.5,
    the expression itself for `1/sqrt(2)` so the studio can show it again."""
    value = evaluate_number(text)
    stripped = text.strip()
    return value, None if _PLAIN_NUMBER.fullmatch(stripped) else stripped


def set_weight(project: Project, column: int, row: int, col: int, text: str) -> Project:
    """W[row][col] of the layer at `column` set from typed text (an expression)."""
    return paste_block(project, column, row, col, [[text]])


def set_bias(project: Project, column: int, row: int, text: str) -> Project:
    layer = _layer(project, column)
    if layer.bias is None:
        raise EditError(f"layer {column} has no bias; turn its bias on first")
    return paste_block(project, column, row, layer.n_in, [[text]])


def _layer(project: Project, column: int) -> DenseLayer:
    _check_column(project, column, allow_input=False)
    layer = project.network.layers[column - 1]
    if not isinstance(layer, DenseLayer):
        raise EditError(f"layer {column} is {_kind(layer)}: it has no weight matrix"
                        + ("; type its kernels in the Inspector" if hasattr(layer, "kernel") else ""))
    return layer


def _kind(layer: object) -> str:
    """How a message names a layer of maps."""
    return "a convolution" if hasattr(layer, "kernel") else "a pooling layer"


def paste_block(project: Project, column: int, row: int, col: int, block: Sequence[Sequence[str]]) -> Project:
    """Set a block of W (and b, as the column after the last input) from typed text.

    This is what a spreadsheet paste does: `block` is rows of cells starting at
    (row, col). Column index n_in is the bias. Every cell is parsed before any
    value changes; the first bad cell is reported with its place.
    """
    layer = _layer(project, column)
    n_cols = layer.n_in + (1 if layer.has_bias else 0)
    if row < 0 or col < 0 or row + len(block) > layer.n_out or any(col + len(r) > n_cols for r in block):
        width = max((len(r) for r in block), default=0)
        raise EditError(
            f"a {len(block)}×{width} block at row {row + 1}, column {col + 1} does not fit "
            f"W{column} ({layer.n_out}×{layer.n_in}{' + bias' if layer.has_bias else ''})"
        )
    # The expressions' characters are counted before any is evaluated (each costs microseconds a character).
    check_expression_characters((cell for cells in block for cell in cells), f"W{column}")
    weights = np.array(layer.weights)
    bias = None if layer.bias is None else np.array(layer.bias)
    weight_text = dict(layer.weight_text)
    bias_text = dict(layer.bias_text)
    for i, cells in enumerate(block):
        for j, cell in enumerate(cells):
            r, c = row + i, col + j
            try:
                value, text = parse_value(cell)
            except NNStudioError as error:
                raise EditError(f"row {r + 1}, column {c + 1}: {error}") from None
            if c < layer.n_in:
                weights[r, c] = value
                keep_text(weight_text, (r, c), text)
            else:
                assert bias is not None
                bias[r] = value
                keep_text(bias_text, r, text)
    new = layer.replace(weights=weights, bias=bias, weight_text=weight_text, bias_text=bias_text)
    return project.replace(network=project.network.with_layer(column - 1, new))


def keep_text(texts: dict, key: object, text: str | None) -> None:
    """Keep an expression's text (shown again when re-edited); a plain number needs none."""
    if text is None:
        texts.pop(key, None)
    else:
        texts[key] = text


def set_vector_value(project: Project, which: str, index: int, text: str) -> Project:
    """Input or target value `index` from typed text; `which` is "input" or "target"."""
    values = np.array(getattr(project, which))
    if not 0 <= index < values.shape[0]:
        raise EditError(f"{which} has no value {index + 1}")
    try:
        value, kept = parse_value(text)
    except NNStudioError as error:
        raise EditError(f"{which} {index + 1}: {error}") from None
    if which == "target":
        try:  # a value the loss can never take is refused as it is typed, by name (docs/losses.md)
            get_loss(project.loss).check_value(value)
        except LossError as error:
            raise EditError(str(error)) from None
    values[index] = value
    texts = list(getattr(project, f"{which}_text"))
    texts[index] = kept
    known = {"target_known": True} if which == "target" else {}
    return project.replace(**{which: values, f"{which}_text": tuple(texts)}, **known)


def set_vector(project: Project, which: str, values: np.ndarray) -> Project:
    """Replace the whole input or target (e.g. a drawn digit, a picked image)."""
    expected = getattr(project, which).shape
    array = np.asarray(values, dtype=project.network.dtype)
    if array.shape != expected:
        raise ShapeError(f"{which}: expected shape {expected}, got {array.shape}")
    known = {"target_known": True} if which == "target" else {}
    return project.replace(**{which: array, f"{which}_text": ()}, **known)


def draw_input(project: Project, values: np.ndarray, label: int | None) -> Project:
    """A drawn image as the input, with its class as the target when the person says what it is (`label`);
    without one the old target no longer belongs to the input: it is marked unknown, and no loss is shown."""
    drawn = set_vector(project, "input", values)
    if label is None:
        return drawn.replace(target_known=False)
    if not 0 <= label < project.network.output_size:
        raise EditError(f"class {label} is not one of the network's {project.network.output_size} outputs")
    return set_vector(drawn, "target", np.eye(project.network.output_size)[label])


def use_sample(project: Project, index: int) -> Project:
    """Copy sample `index` into the current input and target."""
    if not 0 <= index < len(project.samples):
        raise EditError(f"there is no sample {index + 1}")
    s = project.samples[index]
    return project.replace(input=s.input, target=s.target, input_text=s.input_text, target_text=s.target_text,
                           target_known=True)


def build_from_samples(project: Project, tau_text: str = "1/sqrt(2)", output_activation: str = "relu") -> Project:
    """Replace the network by one that stores the project's samples as memories (see core.memory).

    The hidden biases keep the typed τ (`-1/sqrt(2)`), as if a person had typed them.
    """
    from nnstudio.core.memory import network_from_samples

    try:
        tau = evaluate_number(tau_text)
    except NNStudioError as error:
        raise EditError(f"τ: {error}") from None
    network = network_from_samples(project.samples, tau, output_activation).astype(project.network.dtype)
    hidden = network.layers[0]
    text = f"-{tau_text.strip()}" if re.fullmatch(r"[\w./√()]+", tau_text.strip()) else f"-({tau_text.strip()})"
    try:
        exact = evaluate_number(text) == float(hidden.bias[0])  # keep the text only if it reads back exactly
    except NNStudioError:
        exact = False
    if exact:
        hidden = hidden.replace(bias_text={i: text for i in range(hidden.n_out)})
        network = network.with_layer(0, hidden)
    return conform(project, network)
