"""Structure edits of a network with maps, as pure functions Project -> Project: a convolution, a pooling or a
dense layer added, inserted or removed, and a convolution's or pooling's geometry changed.

Why its own module: edits.py resizes dense layers by neuron counts, keeping the weights that still fit. A layer
of maps has no neuron count to set; its shape follows from the maps it reads and its kernel, stride and padding,
and one change re-shapes every layer after it. So every edit here says the new network in the one-line notation
(core/architecture.py), lets `parse_architecture` chain and check every shape (a refusal names the layer and the
field: `layer 2 "c8k9": kernel size 9 is larger than the padded height: 6 + 2·0 = 6`), and rebuilds the layers
from that, keeping what still fits:

- a convolution whose kernel shape (K, C, k, k) and stride and padding are unchanged keeps its kernel, bias and
  typed text (only the size of the maps it reads may change); one whose geometry was edited, or whose input
  channels changed, gets a kernel drawn afresh by the document's initialiser, its bias kept where it fits;
- a dense layer whose number of inputs changed (the flat size of the maps before it) is re-drawn as resizing
  draws new weights, bias and activation kept; one whose inputs did not change stays as it was;
- pooling has no numbers: it is made again on the maps it now reads.

The window applies each with `document.structure_edit(edit, text, *args)`: one undo step, refused while training.
Columns are numbered as on the canvas: column 0 is the input, column k is layer k.
"""

from __future__ import annotations

import re

import numpy as np

from nnstudio.core.architecture import (
    MAX_LENGTH,
    Architecture,
    ConvSpec,
    PoolSpec,
    architecture_text,
    parse_architecture,
)
from nnstudio.core.architecture_build import architecture_of, check_architecture_size, describe_shapes
from nnstudio.core.errors import NNStudioError
from nnstudio.core.init import initial_kernel, initial_weights
from nnstudio.core.network import DenseLayer, Layer, Network
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape
from nnstudio.document.edits import EditError, conform, fit

_PART = re.compile(r'^part (\d+) ')
_ONE_PART = re.compile(r"[-–—,\s]")
_NEGATIVE = re.compile(r"([a-z])[-–—]\d", re.IGNORECASE)  # p-1: a minus sign where a number goes
_WHAT = {"c": "channels", "k": "kernel size", "s": "stride", "p": "padding", "m": "pool size", "a": "pool size"}


def has_maps(network: Network) -> bool:
    """True when the input or any layer is maps: the edits here, not edits.py's, shape such a network."""
    return network.input_shape is not None or any(not isinstance(layer, DenseLayer) for layer in network.layers)


def gives_maps(network: Network, column: int) -> bool:
    """True when column `column` gives maps (the input with a shape, or a convolution or pooling layer)."""
    if column == 0:
        return network.input_shape is not None
    return not isinstance(network.layers[column - 1], DenseLayer)


def insertable(network: Network, column: int) -> tuple[bool, bool]:
    """(maps, dense): whether a convolution or pooling, and whether a dense layer, can stand as column `column`.
    Maps go where the column before gives maps (before the first dense layer); a dense layer where no layer of
    maps follows it (a convolution reads maps, not a dense layer's numbers)."""
    follows = network.layers[column - 1] if column <= len(network.layers) else None
    return gives_maps(network, column - 1), follows is None or isinstance(follows, DenseLayer)


def _error(error: NNStudioError) -> EditError:
    """The notation's refusal with its part named as the canvas names it: part 3 is layer 2 (the input is part 1)."""
    message = _PART.sub(lambda m: "the input " if m.group(1) == "1" else f"layer {int(m.group(1)) - 1} ", str(error))
    return EditError(message)


def _words(network: Network) -> list[str]:
    """The network's notation split into parts, the input first."""
    return architecture_text(architecture_of(network)).split("-")


def _rebuild(project: Project, words: list[str], olds: list[Layer | None], fresh: set[int], init: str,
             rng: np.random.Generator, activation: str = "relu", bias: bool = True) -> Project:
    """The network `words` says, each layer made from `olds[i]` (its old self, None for a new layer) by the rules
    in the module docstring; `fresh` holds the indices whose geometry was edited (their kernel is drawn again).
    A new layer takes `activation` and `bias`. Raises EditError naming the layer and the field."""
    net = project.network
    dtype = net.dtype
    if len(words) == 1:  # every layer removed: the input alone, as edits.remove_layer leaves it
        return conform(project, Network(net.input_size, (), net.input_shape), ())
    arch, biases = _checked(words, olds, bias)
    layers: list[Layer] = []
    for index, (n_in, spec, old, has_bias) in enumerate(zip(arch.sizes, arch.layers, olds, biases)):
        if isinstance(spec, PoolSpec):
            layers.append(Pool2DLayer(spec.kind, spec.in_shape, spec.size, spec.stride))
        elif isinstance(spec, ConvSpec):
            shape = (spec.channels, spec.in_shape[0], spec.kernel, spec.kernel)
            kept = isinstance(old, Conv2DLayer) and index not in fresh and old.kernel.shape == shape
            if kept:  # the same kernel over maps that may have another height and width
                same = old.in_shape == spec.in_shape  # type: ignore[union-attr]
                layers.append(old if same else old.replace(in_shape=spec.in_shape))  # type: ignore[union-attr]
                continue
            was = old if isinstance(old, Conv2DLayer) else None
            b = None if not has_bias else fit(was.bias, spec.channels) if was and was.has_bias else np.zeros(
                spec.channels, dtype)
            layers.append(Conv2DLayer(initial_kernel(shape, init, rng).astype(dtype), b, spec.in_shape, spec.stride,
                                      spec.pad, was.activation if was else activation, was.params if was else {}))
        elif isinstance(old, DenseLayer) and old.n_in == n_in:
            layers.append(old)
        else:
            weights = initial_weights((spec.size, n_in), init, rng).astype(dtype)
            if isinstance(old, DenseLayer):
                layers.append(old.replace(weights=weights, weight_text={}))
            else:
                layers.append(DenseLayer(weights, np.zeros(spec.size, dtype) if bias else None, activation))
    try:
        network = Network(net.input_size, tuple(layers), net.input_shape)
        return conform(project, network, ())  # the map canvas lays its columns out itself
    except NNStudioError as error:
        raise _error(error) from None


def _checked(words: list[str], olds: list[Layer | None], bias: bool = True) -> tuple[Architecture, list[bool]]:
    """The architecture `words` say and each layer's bias (its old layer's, `bias` for a new one), every budget
    checked from the numbers alone (the shapes, the maps' values and windows, the parameters); EditError naming
    the layer otherwise. What a preview and the edit both check, so a preview that says yes is not refused on OK."""
    try:
        arch = parse_architecture("-".join(words))
        biases = [not isinstance(spec, PoolSpec) and (old.has_bias if old is not None else bias)
                  for spec, old in zip(arch.layers, olds)]
        check_architecture_size(arch, biases)
    except NNStudioError as error:
        raise _error(error) from None
    return arch, biases


def _layer_text(text: str) -> str:
    """One layer's notation, stripped; refused when empty, longer than a notation is read (before any copy of
    it is made: a 10 MB paste cost 19 MB to refuse), negative, or saying more than one layer."""
    if isinstance(text, str) and len(text) > MAX_LENGTH:
        raise EditError(f"the layer is {len(text):,} characters; type one layer, as c8k3p1, m2 or 120 "
                        f"(at most {MAX_LENGTH:,} characters are read)")
    word = text.strip() if isinstance(text, str) else ""
    negative = _NEGATIVE.search(word)
    if negative:
        what = _WHAT.get(negative.group(1).lower(), negative.group(1))
        raise EditError(f"{word[:24]!r}: the {what} cannot be negative; it is a whole number, "
                        f"{0 if what == 'padding' else 1} or more")
    if not word:
        raise EditError("type one layer: a convolution (c8k3p1), a pooling (m2, a2) or a dense layer's size (120)")
    if _ONE_PART.search(word):
        raise EditError(f"{word[:24]!r} is more than one layer; type one, as c8k3p1, m2 or 120")
    return word


def _column_ok(network: Network, column: int, word: str) -> None:
    """Refuse a layer where its kind cannot stand, naming what stands around it."""
    maps_ok, dense_ok = insertable(network, column)
    dense = word.isdigit()
    if not dense and not maps_ok:
        raise EditError(f"{word} needs maps, and column {column - 1} gives {network.sizes[column - 1]:,} plain "
                        f"numbers; convolutions and pooling go before the first dense layer")
    if dense and not dense_ok:
        follows = network.layers[column - 1]
        raise EditError(f"a dense layer cannot go before layer {column} ({show_shape(follows.in_shape)} maps in): "
                        f"a convolution or pooling reads maps; dense layers go after the last layer of maps")


def insert_layer(project: Project, column: int, text: str, init: str = "he", rng: np.random.Generator | None = None,
                 activation: str = "relu", bias: bool = True) -> Project:
    """The layer `text` says (`c8k3p1`, `m2`, `a2s1`, `120`) placed as column `column` (1 = right after the input);
    every shape after it chained again (see the module docstring)."""
    words, olds = _inserted(project.network, column, text)
    return _rebuild(project, words, olds, set(), init, rng or np.random.default_rng(), activation, bias)


def _inserted(network: Network, column: int, text: str) -> tuple[list[str], list[Layer | None]]:
    """The network's layers as notation words with `text` placed as column `column`, and the layers kept beside
    them (None for the new one): what insert_layer builds and preview_insert describes."""
    if not 1 <= column <= len(network.layers) + 1:
        raise EditError(f"a layer can be inserted at columns 1 to {len(network.layers) + 1}, not {column}")
    word = _layer_text(text)
    _column_ok(network, column, word)
    words = _words(network)
    olds: list[Layer | None] = list(network.layers)
    words.insert(column, word)
    olds.insert(column - 1, None)
    return words, olds


def preview_insert(network: Network, column: int, text: str, bias: bool = True) -> str:
    """The shapes the network would have with `text` inserted as column `column` ("1×28×28 → 8×28×28 → …"), for
    a dialog to show as the person types. Raises EditError as insert_layer would (the budgets too); nothing is
    drawn."""
    words, olds = _inserted(network, column, text)
    return describe_shapes(_checked(words, olds, bias)[0])


def remove_layer(project: Project, column: int, init: str = "he", rng: np.random.Generator | None = None) -> Project:
    """The layer at `column` (≥ 1) removed; the layers after it read what the column before gives."""
    net = project.network
    if not 1 <= column <= len(net.layers):
        raise EditError(f"there is no layer at column {column}")
    words = _words(net)
    olds: list[Layer | None] = list(net.layers)
    del words[column]
    del olds[column - 1]
    return _rebuild(project, words, olds, set(), init, rng or np.random.default_rng())


def set_geometry(project: Project, column: int, text: str, init: str = "he",
                 rng: np.random.Generator | None = None) -> Project:
    """The convolution or pooling at `column` given the geometry `text` says (`c8k3s1p1`, `m2s2`), its kernel
    drawn afresh; the layers after it chained again. The kind of layer stays (a convolution stays one)."""
    net = project.network
    if not 1 <= column <= len(net.layers) or isinstance(net.layers[column - 1], DenseLayer):
        raise EditError(f"layer {column} is not a convolution or pooling layer")
    word = _layer_text(text)
    layer = net.layers[column - 1]
    letter = "c" if isinstance(layer, Conv2DLayer) else "m" if layer.kind == "max" else "a"  # type: ignore[union-attr]
    if word[0].lower() != letter:
        raise EditError(f"layer {column} stays a {'convolution' if letter == 'c' else 'pooling'} layer; "
                        f"its geometry starts with {letter}")
    words = _words(net)
    words[column] = word
    return _rebuild(project, words, list(net.layers), {column - 1}, init, rng or np.random.default_rng())


def conv_text(channels: int, kernel: int, stride: int, pad: int) -> str:
    """A convolution's notation from its four numbers: conv_text(8, 3, 1, 1) == "c8k3s1p1"."""
    return f"c{channels}k{kernel}s{stride}p{pad}"


def pool_text(kind: str, size: int, stride: int) -> str:
    """A pooling's notation: pool_text("max", 2, 2) == "m2s2"."""
    return f"{'m' if kind == 'max' else 'a'}{size}s{stride}"
