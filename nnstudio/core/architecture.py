"""A network said in one line: `1x28x28-c6k5p2-m2-c16k5-m2-120-84-10` is LeNet.

`nnstudio new` takes this notation where it took sizes; every sizes string (`784-128-10`) is also a notation,
of dense layers only, and gives the same sizes as `blueprint.parse_sizes`. Parts are joined as sizes are
(by '-', '–', '—', ',' or spaces), the input first:

    notation := input part+
    input    := C "x" H "x" W              C maps of H × W, read in (C, H, W) order ('×' or 'X' also do)
              | N                          N plain numbers (a dense input)
    part     := "c" K "k" k option*        convolution: K output channels, a k × k kernel;
                option := "s" S            stride S (default 1)
                        | "p" P | "psame"  zero padding P (default 0), or "same": (k − 1)/2, stride 1 and odd k only
                                           s and p come after k, in either order, each at most once
              | "m" size ["s" S]           max pooling over size × size windows, stride S (default: the size)
              | "a" size ["s" S]           average pooling, the same
              | N                          a dense layer of N neurons; after maps it reads them flattened, C·H·W

Letters may be upper or lower case; numbers are whole, in ASCII digits, from 1 (0 for a padding) to MAX_SIZE.
Shapes chain through `spatial_layers.conv_out_shape` and `pool_out_shape` (pooling rounds down: 5 → m2 → 2), and
the notation is refused with a BlueprintError that names the part, its place (the input is part 1) and the
numbers: an unknown letter, a missing k, an empty part, a kernel larger than the padded map, a spatial part
after a dense one, more than MAX_LAYERS layers (pooling layers count), more than MAX_SIZE in any number, the
maps of one sample over MAX_ACTIVATIONS values (input included), a convolution's or pooling's windows over
MAX_WINDOW_VALUES (what its forward pass lays out, C·k²·Ho·Wo, which the maps' sizes do not bound). Nothing is
allocated: this reads shapes only; the parameter budget (which depends on the bias choices) and building the
Network are the builder's.

`architecture_text` writes the canonical notation back: defaults left out (s1, p0, a pooling stride equal to
its size) and "psame" written as the padding it stands for, so `1x28x28-c6k5psame` comes back `1x28x28-c6k5p2`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from nnstudio.core.blueprint import BlueprintError
from nnstudio.core.conv import same_padding
from nnstudio.core.errors import ShapeError, terminal_text
from nnstudio.core.limits import MAX_ACTIVATIONS, MAX_LAYERS, MAX_SIZE
from nnstudio.core.spatial_layers import conv_out_shape, pool_out_shape

#: Characters of one notation read at all: a line a person types (as expr.MAX_LENGTH), room for 128
#: dense layers of up to four digits; a longer text is refused before it is split.
MAX_LENGTH = 1000

Shape = tuple[int, int, int]  # (channels, height, width)

_SEPARATORS = re.compile(r"\s*[-–—,\s]\s*")  # as blueprint.parse_sizes splits sizes
_NUMBER = re.compile(r"[0-9]+")
_IMAGE = re.compile(r"([0-9]+)[x×]([0-9]+)[x×]([0-9]+)", re.IGNORECASE | re.ASCII)
_TOKEN = re.compile(r"(psame)|([ckspma])([0-9]+)", re.IGNORECASE | re.ASCII)  # c6, k5, s2, p1, psame, m2, a3
_LETTERS = re.compile(r"[a-z×]", re.IGNORECASE | re.ASCII)
_POOL_KINDS = {"m": "max", "a": "avg"}
_EXAMPLE = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


@dataclass(frozen=True)
class ConvSpec:
    """A convolution: `channels` (K) output maps from a `kernel` × `kernel` kernel, `stride`, zero padding `pad`."""

    channels: int
    kernel: int
    stride: int
    pad: int
    in_shape: Shape
    out_shape: Shape

    @property
    def weight_count(self) -> int:
        """Kernel values, K·C·k·k (the biases, one per output channel, are the builder's choice)."""
        return self.channels * self.in_shape[0] * self.kernel * self.kernel

    def text(self) -> str:
        return (f"c{self.channels}k{self.kernel}" + (f"s{self.stride}" if self.stride != 1 else "")
                + (f"p{self.pad}" if self.pad else ""))


@dataclass(frozen=True)
class PoolSpec:
    """Max or average pooling ("max" | "avg") over `size` × `size` windows `stride` apart; no weights."""

    kind: str
    size: int
    stride: int
    in_shape: Shape
    out_shape: Shape

    def text(self) -> str:
        letter = "m" if self.kind == "max" else "a"
        return f"{letter}{self.size}" + (f"s{self.stride}" if self.stride != self.size else "")


@dataclass(frozen=True)
class DenseSpec:
    """A dense layer of `size` neurons; its inputs are the layer before's values, maps flattened in (C, H, W) order."""

    size: int

    def text(self) -> str:
        return str(self.size)


LayerSpec = ConvSpec | PoolSpec | DenseSpec


@dataclass(frozen=True)
class Architecture:
    """What a notation says: the input (maps of `input_shape`, or `input_size` plain numbers when that is None)
    and each layer's kind and shapes, chained and checked."""

    input_shape: Shape | None
    input_size: int
    layers: tuple[LayerSpec, ...]

    @property
    def spatial(self) -> bool:
        """True when the input is maps or any layer is a convolution or pooling: not a plain dense network."""
        return self.input_shape is not None or any(not isinstance(layer, DenseSpec) for layer in self.layers)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The values each layer gives, input first (C·H·W for maps): a dense network's sizes, as parse_sizes'."""
        return (self.input_size,) + tuple(_values(layer) for layer in self.layers)

    def parameter_count(self, biases: Sequence[bool] | None = None) -> int:
        """Weights, kernel values and biases; `biases` has one choice per layer (pooling's is ignored: it has
        none), None for a bias on every convolution and dense layer."""
        chosen = list(biases) if biases is not None else [True] * len(self.layers)
        total = 0
        for n_in, layer, bias in zip(self.sizes, self.layers, chosen):
            if isinstance(layer, ConvSpec):
                total += layer.weight_count + (layer.channels if bias else 0)
            elif isinstance(layer, DenseSpec):
                total += n_in * layer.size + (layer.size if bias else 0)
        return total


def _values(layer: LayerSpec) -> int:
    return layer.size if isinstance(layer, DenseSpec) else math.prod(layer.out_shape)


def _shape_text(shape: Shape) -> str:
    return "x".join(map(str, shape))


def architecture_text(arch: Architecture) -> str:
    """The canonical notation of `arch`: parse_architecture(architecture_text(a)) == a."""
    head = _shape_text(arch.input_shape) if arch.input_shape is not None else str(arch.input_size)
    return "-".join([head] + [layer.text() for layer in arch.layers])


def is_spatial(text: str) -> bool:
    """True when `text` uses more than numbers and separators (a letter, an image input's '×'): it is meant as
    the convolutional notation. Whether it is a good one, parse_architecture says; `Architecture.spatial`
    says whether a parsed one has maps."""
    return isinstance(text, str) and _LETTERS.search(text[:MAX_LENGTH + 1]) is not None


class _Part:
    """One part of the notation as messages quote it: `part 3 "c6k9": …`."""

    def __init__(self, index: int, word: str) -> None:
        self.index, self.word = index, word

    def error(self, message: str) -> BlueprintError:
        return BlueprintError(f'part {self.index} "{terminal_text(self.word, 24)}": {message}')

    def number(self, what: str, digits: str, least: int = 1) -> int:
        """`digits` as an int from `least` to MAX_SIZE, refused with `what` and the figure otherwise."""
        if len(digits) > 6 or not least <= int(digits) <= MAX_SIZE:
            raise self.error(f"{what} must be a whole number from {least} to {MAX_SIZE:,}, got {digits[:12]}")
        return int(digits)


def _words(text: str) -> list[str]:
    if not isinstance(text, str):
        raise BlueprintError(f"the notation must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise BlueprintError(f"the notation is {len(text):,} characters; at most {MAX_LENGTH:,} are read")
    words = _SEPARATORS.split(text.strip())
    if words == [""]:
        raise BlueprintError(f"type the layers from input to output, for example 784-128-10 or {_EXAMPLE}")
    for index, word in enumerate(words, start=1):
        if not word:
            where = ("starts with a separator" if index == 1 else "ends with a separator" if index == len(words)
                     else "has two separators in a row")
            raise BlueprintError(f"part {index} is empty: the notation {where}")
    if len(words) - 1 > MAX_LAYERS:
        raise BlueprintError(f"{len(words) - 1} layers are more than the {MAX_LAYERS} allowed")
    return words


def _read_input(part: _Part) -> tuple[Shape | None, int]:
    if _NUMBER.fullmatch(part.word):
        return None, part.number("the input size", part.word)
    image = _IMAGE.fullmatch(part.word)
    if image is None and re.fullmatch(r"[0-9]+[x×][0-9]+", part.word, re.IGNORECASE | re.ASCII):
        raise part.error(f"an image input needs its channels too: 1x{part.word.lower()}")
    if image is None:
        raise part.error("the input is a number of inputs (784) or channels × height × width (1x28x28)")
    shape = tuple(part.number(what, digits) for what, digits in zip(("channels", "height", "width"), image.groups()))
    return shape, math.prod(shape)  # type: ignore[return-value]


def _tokens(part: _Part) -> list[tuple[str, str]]:
    """The part's letter-number pairs, [("c", "6"), ("k", "5"), ("p", "same")], or a refusal at the first
    character that starts none."""
    tokens, at = [], 0
    while at < len(part.word):
        match = _TOKEN.match(part.word, at)
        if match is None:
            char = part.word[at]
            if at == 0 and char.isdigit():
                raise part.error("not a whole number; a dense layer is a whole number of neurons, as in 120")
            if char.lower() in "ckspma" and char.isascii():
                raise part.error(f"{char!r} needs a whole number after it, as in {char.lower()}3")
            raise part.error(f"unknown {char!r}; a part is a convolution (c6k5), a pooling (m2, a2) "
                             f"or a dense layer's size (120)")
        tokens.append(("p", "same") if match.group(1) else (match.group(2).lower(), match.group(3)))
        at = match.end()
    return tokens


def _options(part: _Part, tokens: list[tuple[str, str]], allowed: str, after: str) -> dict[str, str]:
    """The options after a part's head, each letter of `allowed` at most once."""
    chosen: dict[str, str] = {}
    for letter, value in tokens:
        if letter not in allowed:
            named = " and ".join({"s": "s (stride)", "p": "p (padding)"}[one] for one in allowed)
            raise part.error(f"{letter!r} does not belong here; after {after} come only {named}, each once")
        if letter in chosen:
            raise part.error(f"{letter!r} is given twice")
        chosen[letter] = value
    return chosen


def _maps_before(part: _Part, what: str, before: Shape | None, previous: LayerSpec | None, size: int) -> Shape:
    """The maps a spatial part reads, or a refusal naming what comes before it instead."""
    if before is not None:
        return before
    if previous is None:
        side = math.isqrt(size)
        hint = f"1x{side}x{side}" if side * side == size else "C×H×W, such as 1x28x28"
        raise part.error(f"{what} needs maps; the input is {size:,} plain numbers (write it as {hint})")
    raise part.error(f"{what} needs maps; the part before it is a dense layer of {size:,}")


def _read_conv(part: _Part, tokens: list[tuple[str, str]], shape: Shape) -> ConvSpec:
    channels = part.number("channels", tokens[0][1])
    if len(tokens) < 2 or tokens[1][0] != "k":
        raise part.error(f"a convolution needs its kernel size right after the channels, as in c{channels}k3")
    kernel = part.number("kernel size", tokens[1][1])
    options = _options(part, tokens[2:], "sp", f"c{channels}k{kernel}")
    stride = part.number("stride", options.get("s", "1"))
    try:
        if options.get("p") == "same":
            pad = same_padding(kernel, stride)
        else:
            pad = part.number("padding", options.get("p", "0"), least=0)
        out = conv_out_shape(shape, channels, kernel, stride, pad)  # its windows' budget checked too
    except ShapeError as error:
        raise part.error(str(error)) from None
    return ConvSpec(channels, kernel, stride, pad, shape, out)


def _read_pool(part: _Part, tokens: list[tuple[str, str]], shape: Shape) -> PoolSpec:
    letter, digits = tokens[0]
    size = part.number("pool size", digits)
    options = _options(part, tokens[1:], "s", f"{letter}{size}")
    stride = part.number("pool stride", options.get("s", str(size)))
    try:
        out = pool_out_shape(shape, size, stride)  # its windows' budget checked too
    except ShapeError as error:
        raise part.error(str(error)) from None
    return PoolSpec(_POOL_KINDS[letter], size, stride, shape, out)


def _read_layer(part: _Part, maps: Shape | None, previous: LayerSpec | None, size: int) -> LayerSpec:
    """One part after the input, read against what the part before gives: `maps` (or None) and `size` values."""
    if _NUMBER.fullmatch(part.word):
        return DenseSpec(part.number("a dense layer's size", part.word))
    if _IMAGE.fullmatch(part.word):
        raise part.error("channels × height × width is the input's shape, and the input is part 1 only")
    tokens = _tokens(part)
    head = tokens[0][0]
    if head == "c":
        return _read_conv(part, tokens, _maps_before(part, "a convolution", maps, previous, size))
    if head in _POOL_KINDS:
        return _read_pool(part, tokens, _maps_before(part, "pooling", maps, previous, size))
    raise part.error(f"a part starts with c (convolution), m or a (pooling) or a number (dense), not {head!r}")


def parse_architecture(text: str) -> Architecture:
    """The network `text` says, every shape chained and checked; raises BlueprintError naming the part.

    The values of one sample's maps (input included) are counted part by part against MAX_ACTIVATIONS, so the
    part that passes the budget is the one named. Parameters are not counted here: how many a network holds
    depends on its bias choices, so the builder checks them (`Architecture.parameter_count`), as
    Blueprint.check does for the sizes parse_sizes accepts."""
    words = _words(text)
    input_shape, input_size = _read_input(_Part(1, words[0]))
    if len(words) < 2:
        raise BlueprintError(f"{words[0]} is only the input; add at least one layer, as in {words[0]}-10")
    maps, size, layers = input_shape, input_size, []
    activations = input_size
    for index, word in enumerate(words[1:], start=2):
        part = _Part(index, word)
        layer = _read_layer(part, maps, layers[-1] if layers else None, size)
        maps = None if isinstance(layer, DenseSpec) else layer.out_shape
        size = _values(layer)
        activations += size
        if activations > MAX_ACTIVATIONS:
            raise part.error(f"its {size:,} values bring one sample's maps (input included) to {activations:,}; "
                             f"a network may give at most {MAX_ACTIVATIONS:,}")
        layers.append(layer)
    return Architecture(input_shape, input_size, tuple(layers))
