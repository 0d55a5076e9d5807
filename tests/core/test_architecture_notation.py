"""The one-line notation of a network (`nnstudio new 1x28x28-c6k5p2-m2-c16k5-m2-120-84-10`): shapes worked out
by hand, the canonical text, every dense sizes string read as parse_sizes reads it, and each refusal naming
its part, its place and the numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnstudio.core.architecture import (
    MAX_LENGTH,
    Architecture,
    ConvSpec,
    DenseSpec,
    PoolSpec,
    architecture_text,
    is_spatial,
    parse_architecture,
)
from nnstudio.core.blueprint import BlueprintError, parse_sizes
from nnstudio.core.limits import MAX_ACTIVATIONS

ROOT = Path(__file__).resolve().parents[2]
KINDS = "a part is a convolution (c6k5), a pooling (m2, a2) or a dense layer's size (120)"
LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


def test_lenet_chains_its_shapes_as_worked_out_by_hand():
    arch = parse_architecture(LENET)
    # 28 + 2·2 − 5 + 1 = 28; 28 / 2 = 14; 14 − 5 + 1 = 10; 10 / 2 = 5; 16·5·5 = 400 flattened
    assert arch == Architecture((1, 28, 28), 784, (
        ConvSpec(channels=6, kernel=5, stride=1, pad=2, in_shape=(1, 28, 28), out_shape=(6, 28, 28)),
        PoolSpec(kind="max", size=2, stride=2, in_shape=(6, 28, 28), out_shape=(6, 14, 14)),
        ConvSpec(channels=16, kernel=5, stride=1, pad=0, in_shape=(6, 14, 14), out_shape=(16, 10, 10)),
        PoolSpec(kind="max", size=2, stride=2, in_shape=(16, 10, 10), out_shape=(16, 5, 5)),
        DenseSpec(120), DenseSpec(84), DenseSpec(10)))
    assert arch.sizes == (784, 6 * 28 * 28, 6 * 14 * 14, 16 * 10 * 10, 400, 120, 84, 10)
    assert arch.spatial
    # kernels 6·1·5·5 + 6 and 16·6·5·5 + 16, then dense 400·120 + 120, 120·84 + 84, 84·10 + 10
    assert arch.parameter_count() == 156 + 2416 + 48120 + 10164 + 850 == 61706
    # no bias on the second convolution (layer 3; the pooling layer 2 counts in the numbering)
    assert arch.parameter_count([True, True, False, True, True, True, True]) == 61706 - 16


@pytest.mark.parametrize("text, layer", [
    ("3x32x32-c8k3s2", ConvSpec(8, 3, 2, 0, (3, 32, 32), (8, 15, 15))),          # ⌊(32 − 3)/2⌋ + 1 = 15
    ("1x7x7-c4k3psame", ConvSpec(4, 3, 1, 1, (1, 7, 7), (4, 7, 7))),              # "same": (3 − 1)/2 = 1
    ("1x9x9-c2k7psame", ConvSpec(2, 7, 1, 3, (1, 9, 9), (2, 9, 9))),
    ("1x7x7-c2k5s2p1", ConvSpec(2, 5, 2, 1, (1, 7, 7), (2, 3, 3))),              # ⌊(7 + 2 − 5)/2⌋ + 1 = 3
    ("1x7x7-c2k5p1s2", ConvSpec(2, 5, 2, 1, (1, 7, 7), (2, 3, 3))),              # p and s in either order
    ("1x4x6-c1k3", ConvSpec(1, 3, 1, 0, (1, 4, 6), (1, 2, 4))),                  # height and width apart
    ("2x6x6-a3s2", PoolSpec("avg", 3, 2, (2, 6, 6), (2, 2, 2))),                 # ⌊(6 − 3)/2⌋ + 1 = 2
    ("2x6x6-a3", PoolSpec("avg", 3, 3, (2, 6, 6), (2, 2, 2))),
    ("1x5x5-m2", PoolSpec("max", 2, 2, (1, 5, 5), (1, 2, 2))),                   # rounds down: ⌊(5 − 2)/2⌋ + 1
    ("1x5x5-m3s1", PoolSpec("max", 3, 1, (1, 5, 5), (1, 3, 3))),                 # overlapping windows
    ("1x28x28-C6K5PSAME", ConvSpec(6, 5, 1, 2, (1, 28, 28), (6, 28, 28))),        # capitals read too
])
def test_strides_paddings_and_pooling_chain_as_the_arithmetic_says(text, layer):
    assert parse_architecture(text).layers == (layer,)


def test_a_dense_layer_after_maps_reads_them_flattened_and_a_network_may_end_in_maps():
    arch = parse_architecture("1x5x5-m2-1")
    assert arch.sizes == (25, 4, 1)  # 5 → m2 → 2: 1·2·2 = 4 inputs to the last layer
    assert arch.parameter_count() == 4 + 1
    ending = parse_architecture("2x4x4-c3k3")
    assert ending.layers[-1].out_shape == (3, 2, 2) and ending.sizes == (32, 12)
    assert ending.parameter_count() == 3 * 2 * 3 * 3 + 3


@pytest.mark.parametrize("text, canonical", [
    (LENET, LENET), ("784-128-10", "784-128-10"), ("784, 128, 10", "784-128-10"), (" 4 5 ", "4-5"),
    ("1x28x28-c6k5psame-m2s2", "1x28x28-c6k5p2-m2"), ("1x8x8-c2k3s1p0-a2s1", "1x8x8-c2k3-a2s1"),
    ("3x32x32-c8k3p1s2-c8k3s2p1-10", "3x32x32-c8k3s2p1-c8k3s2p1-10"), ("1×4×4—c1k2–m2", "1x4x4-c1k2-m2"),
    ("0784-010", "784-10"),
])
def test_the_canonical_text_leaves_defaults_out_and_reads_back_the_same(text, canonical):
    arch = parse_architecture(text)
    assert architecture_text(arch) == canonical
    assert parse_architecture(canonical) == arch
    assert architecture_text(parse_architecture(canonical)) == canonical


def _sizes_strings_in_the_repo() -> set[str]:
    """The sizes strings the docs give `nnstudio new` and the ones the tests type, so each stays readable."""
    found = {"2-3-1", "784-128-10", "784, 128, 10", " 4 5 ", "3–2", "784-256-128-10", "784-32-10", "784-16-10",
             "2-3", "2-1", "16-8-10", "100-100-10", "4096-4096-4096", "2-" + "-".join(["3"] * 127)}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if path.exists():
            found.update(re.findall(r"nnstudio new ([0-9][0-9-]*[0-9])", path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("text", sorted(_sizes_strings_in_the_repo()))
def test_every_dense_sizes_string_gives_the_sizes_parse_sizes_gives(text):
    arch = parse_architecture(text)
    assert list(arch.sizes) == parse_sizes(text)
    assert arch.input_shape is None and not arch.spatial and not is_spatial(text)
    assert all(isinstance(layer, DenseSpec) for layer in arch.layers)


@pytest.mark.parametrize("text", ["", "7", "2-x", "2-0", "2-5000", "2-1.5", "-".join(["2"] * 200), "2-1234567"])
def test_what_parse_sizes_refuses_is_refused_here_too(text):
    with pytest.raises(BlueprintError):
        parse_sizes(text)
    with pytest.raises(BlueprintError):
        parse_architecture(text)


@pytest.mark.parametrize("text, message", [
    ("1x8x8-m2-c6k9", 'part 3 "c6k9": kernel size 9 is larger than the padded height: 4 + 2·0 = 4'),
    ("1x8x8-c0k3", 'part 2 "c0k3": channels must be a whole number from 1 to 4,096, got 0'),
    ("1x8x8-c2k0", 'part 2 "c2k0": kernel size must be a whole number from 1 to 4,096, got 0'),
    ("1x8x8-c2k3s0", 'part 2 "c2k3s0": stride must be a whole number from 1 to 4,096, got 0'),
    ("1x8x8-c2k3p5000", 'part 2 "c2k3p5000": padding must be a whole number from 0 to 4,096, got 5000'),
    ("1x8x8-c2k4psame", "part 2 \"c2k4psame\": 'same' padding needs an odd kernel size, got 4"),
    ("1x8x8-c2k3s2psame", "part 2 \"c2k3s2psame\": 'same' padding needs stride 1, got stride 2"),
    ("1x8x8-c2k3-120-m2", 'part 4 "m2": pooling needs maps; the part before it is a dense layer of 120'),
    ("784-c6k5", 'part 2 "c6k5": a convolution needs maps; the input is 784 plain numbers (write it as 1x28x28)'),
    ("1x8x8-c6", 'part 2 "c6": a convolution needs its kernel size right after the channels, as in c6k3'),
    ("1x8x8-c6p1k3", 'part 2 "c6p1k3": a convolution needs its kernel size right after the channels, as in c6k3'),
    ("1x8x8-c6k", "part 2 \"c6k\": 'k' needs a whole number after it, as in k3"),
    ("1x8x8-c6k3q2", f"part 2 \"c6k3q2\": unknown 'q'; {KINDS}"),
    ("1x8x8-c6k3s1s2", "part 2 \"c6k3s1s2\": 's' is given twice"),
    ("1x8x8-c6k3k3", ("part 2 \"c6k3k3\": 'k' does not belong here; after c6k3 come only s (stride) and p (padding), "
                     "each once")),
    ("1x8x8-m2p1", "part 2 \"m2p1\": 'p' does not belong here; after m2 come only s (stride), each once"),
    ("1x8x8-m9", 'part 2 "m9": pool size 9 is larger than the height: 8'),
    ("1x8x8-m2s0", 'part 2 "m2s0": pool stride must be a whole number from 1 to 4,096, got 0'),
    ("1x8x8-k5", "part 2 \"k5\": a part starts with c (convolution), m or a (pooling) or a number (dense), not 'k'"),
    ("1x8x8-1x2x2", 'part 2 "1x2x2": channels × height × width is the input\'s shape, and the input is part 1 only'),
    ("1x8x8-1.5", 'part 2 "1.5": not a whole number; a dense layer is a whole number of neurons, as in 120'),
    ("1x8x8-0", "part 2 \"0\": a dense layer's size must be a whole number from 1 to 4,096, got 0"),
    ("28x28-10", 'part 1 "28x28": an image input needs its channels too: 1x28x28'),
    ("0x28x28-10", 'part 1 "0x28x28": channels must be a whole number from 1 to 4,096, got 0'),
    ("1x28x5000-10", 'part 1 "1x28x5000": width must be a whole number from 1 to 4,096, got 5000'),
    ("abc-10", 'part 1 "abc": the input is a number of inputs (784) or channels × height × width (1x28x28)'),
    ("1x8x8--10", "part 2 is empty: the notation has two separators in a row"),
    ("-1x8x8-10", "part 1 is empty: the notation starts with a separator"),
    ("1x8x8-10-", "part 3 is empty: the notation ends with a separator"),
    ("1x8x8", "1x8x8 is only the input; add at least one layer, as in 1x8x8-10"),
    ("   ", "type the layers from input to output, for example 784-128-10 or " + LENET),
    ("1x8x8-" + "-".join(["m1"] * 129), "129 layers are more than the 128 allowed"),
    ("1x8x8-c2k3-" + "x" * MAX_LENGTH, f"the notation is {MAX_LENGTH + 11:,} characters; at most 1,000 are read"),
    ("1x8x8-c2\x1b[31mk3", f"part 2 \"c2\\x1b[31mk3\": unknown '\\x1b'; {KINDS}"),  # an escape shown, not obeyed
    ("1x8x8-c2k3z", f"part 2 \"c2k3z\": unknown 'z'; {KINDS}"),
])
def test_each_refusal_names_the_part_its_place_and_the_numbers(text, message):
    with pytest.raises(BlueprintError) as refused:
        parse_architecture(text)
    assert str(refused.value) == message


def test_a_large_picture_through_a_few_convolutions_fits_the_activation_budget_and_an_absurd_one_does_not():
    text = "3x224x224-c16k3psame-m2-c32k3psame-m2-c64k3psame-m2-10"
    # input 3·224² = 150,528; 16·224² = 802,816; 16·112² = 200,704; 32·112² = 401,408; 32·56² = 100,352;
    # 64·56² = 200,704; 64·28² = 50,176; 10
    total = 150_528 + 802_816 + 200_704 + 401_408 + 100_352 + 200_704 + 50_176 + 10
    assert sum(parse_architecture(text).sizes) == total <= MAX_ACTIVATIONS
    assert sum(parse_architecture(LENET).sizes) == 784 + 4704 + 1176 + 1600 + 400 + 120 + 84 + 10
    with pytest.raises(BlueprintError) as refused:
        parse_architecture("3x224x224-c16k3psame-c1000k3psame-10")
    assert str(refused.value) == (  # 1000·224² = 50,176,000, named at the part that passes the budget
        f'part 3 "c1000k3psame": its 50,176,000 values bring one sample\'s maps (input included) to '
        f"{150_528 + 802_816 + 50_176_000:,}; a network may give at most {MAX_ACTIVATIONS:,}")


@pytest.mark.parametrize("text, spatial", [(LENET, True), ("784-128-10", False), ("1×4×4-10", True),
                                           ("2-x", True), ("784, 128, 10", False), ("", False)])
def test_is_spatial_tells_the_notation_from_plain_sizes(text, spatial):
    assert is_spatial(text) is spatial


TOKENS = ["1", "2", "3", "5", "0", "28", "4096", "99999999", "x", "×", "X", "c", "k", "s", "p", "psame", "m", "a",
          "-", "--", ",", " ", "—", ".", "q", "K", "ſ", "\x1b", "\u0663", "²", "🧠", "1x8x8", "c2k3", "m2",
          "a2s1"]


GRAMMATICAL = st.tuples(  # well-formed parts whose shapes may or may not chain (a kernel too large, maps too small)
    st.sampled_from(["1x8x8", "3x5x7", "2x1x1", "1x28x28", "784", "4"]),
    st.lists(st.sampled_from(["c2k3", "c1k1s2", "c3k3psame", "c2k2psame", "c4k9p3", "c2k3s3p1", "m2", "a2s1", "m3",
                              "a5", "m1s2", "10", "1"]), min_size=1, max_size=8),
).map(lambda parts: "-".join([parts[0], *parts[1]]))


@settings(derandomize=True, database=None, max_examples=400, deadline=None)
@given(st.one_of(GRAMMATICAL, st.lists(st.sampled_from(TOKENS), max_size=40).map("".join), st.text(max_size=60)))
def test_any_text_gives_a_chained_architecture_or_a_one_line_refusal(text):
    try:
        arch = parse_architecture(text)
    except BlueprintError as error:
        assert 0 < len(str(error)) < 300 and "\n" not in str(error)
        return
    maps = arch.input_shape
    for layer in arch.layers:  # every spatial layer reads what the layer before it gives
        if not isinstance(layer, DenseSpec):
            assert layer.in_shape == maps
        maps = None if isinstance(layer, DenseSpec) else layer.out_shape
    assert parse_architecture(architecture_text(arch)) == arch
