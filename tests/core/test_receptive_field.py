"""The receptive field of a map pixel: worked by hand on LeNet and conv-4x4, then found by brute force.

Layers are numbered from 1 (layer 0 is the input); map m is what layer m gives. One step back through a layer
with window k, stride s and padding p takes output rows i0…i1 to input rows i0·s − p … i1·s − p + k − 1.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.errors import ShapeError
from nnstudio.core.network import Conv2DLayer, Network, Pool2DLayer
from nnstudio.core.receptive_field import receptive_field
from nnstudio.core.trace import forward
from nnstudio.io.examples import load_example


def lenet() -> Network:
    return build_from_architecture(parse_architecture("1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"), seed=0)


def test_lenet_third_layer_pixel_by_hand():
    # LeNet: 1×28×28 → c6k5p2 → 6×28×28 → m2 → 6×14×14 → c16k5 → 16×10×10 → m2 → 16×5×5 → 120 → 84 → 10
    field = receptive_field(lenet(), 3, (0, 0, 0))
    pooled, conv1, image = field.maps[2], field.maps[1], field.maps[0]
    assert [m.layer for m in field.maps] == [0, 1, 2]
    # layer 3 (c16k5, no padding, stride 1): output row 0 reads rows 0·1 − 0 … 0 + 5 − 1 = 0…4 of every pooled map
    assert pooled.shape == (6, 14, 14) and pooled.channels == (0, 1, 2, 3, 4, 5)
    assert pooled.box == pooled.reach == (0, 0, 4, 4) and pooled.rows == pooled.cols == (0, 1, 2, 3, 4)
    # layer 2 (2×2 max pool, stride 2): pooled rows 0…4 read rows 0·2 … 4·2 + 2 − 1 = 0…9 of conv1's maps
    assert conv1.shape == (6, 28, 28) and conv1.box == conv1.reach == (0, 0, 9, 9)
    # layer 1 (c6k5p2): rows 0…9 read rows 0·1 − 2 … 9 − 2 + 4 = −2…11 of the input: −2 and −1 are padding,
    # so the field is rows 0…11 (clipped) and the windows reach −2…11 (unclipped)
    assert image.shape == (1, 28, 28) and image.channels == (0,)
    assert image.reach == (-2, -2, 11, 11) and image.box == (0, 0, 11, 11)
    assert image.clipped and not conv1.clipped and image.contiguous
    # the kernel window on the map before (the pooled maps): 5×5 at (0, 0), every cell on a real pixel
    assert (field.window.top, field.window.left, field.window.size) == (0, 0, 5) and field.window.inside.all()


def test_lenet_fourth_layer_pixel_reads_one_channel_then_all():
    field = receptive_field(lenet(), 4, (3, 4, 4))
    # layer 4 (m2 over 16×10×10): pixel (3, 4, 4) reads rows 8…9 of channel 3 only: a pooling keeps its channel
    assert field.maps[3].channels == (3,) and field.maps[3].box == (8, 8, 9, 9)
    # layer 3 (c16k5): rows 8…9 read rows 8…9 + 4 = 8…13 of all six pooled maps
    assert field.maps[2].channels == tuple(range(6)) and field.maps[2].box == (8, 8, 13, 13)
    # layer 2 (m2): rows 8…13 read 16…13·2 + 1 = 16…27
    assert field.maps[1].box == (16, 16, 27, 27)
    # layer 1 (c6k5p2): rows 16…27 read 16 − 2 … 27 − 2 + 4 = 14…29; 28 and 29 are padding
    assert field.maps[0].reach == (14, 14, 29, 29) and field.maps[0].box == (14, 14, 27, 27)


def test_the_window_over_the_padding_at_a_corner():
    # layer 1 pixel (5, 0, 27): the 5×5 window starts at row 0 − 2 = −2, column 27 − 2 = 25 and covers rows −2…2,
    # columns 25…29: rows −2, −1 and columns 28, 29 are padding
    field = receptive_field(lenet(), 1, (5, 0, 27))
    window = field.window
    assert (window.top, window.left, window.size) == (-2, 25, 5)
    expected = np.zeros((5, 5), bool)
    expected[2:, :3] = True
    assert window.inside.tolist() == expected.tolist()
    assert field.maps[0].reach == (-2, 25, 2, 29) and field.maps[0].box == (0, 25, 2, 27)


def test_conv_4x4_by_hand():
    network = load_example("conv-4x4").network
    # layer 2 (2×2 max pool, stride 2) pixel (0, 0, 0): rows and columns 0…1 of the 3×3 conv map; the 2×2
    # kernel (no padding) takes them to rows and columns 0…2 of the 4×4 input
    field = receptive_field(network, 2, (0, 0, 0))
    assert field.maps[1].box == (0, 0, 1, 1) and field.maps[0].box == field.maps[0].reach == (0, 0, 2, 2)
    # layer 1 pixel (0, 1, 2): the kernel at row 1, column 2 reads rows 1…2, columns 2…3
    field = receptive_field(network, 1, (0, 1, 2))
    assert field.maps[0].box == (1, 2, 2, 3) and (field.window.top, field.window.left) == (1, 2)


def test_refusals_by_name():
    network = load_example("conv-4x4").network
    with pytest.raises(ShapeError, match="layer 3 is dense"):
        receptive_field(network, 3, (0, 0, 0))
    with pytest.raises(ShapeError, match="layer 0 is the network's input"):
        receptive_field(network, 0, (0, 0, 0))
    with pytest.raises(ShapeError, match="from 1 to 3"):
        receptive_field(network, 4, (0, 0, 0))
    with pytest.raises(ShapeError, match="row 3 lies outside the maps 1×3×3"):
        receptive_field(network, 1, (0, 3, 0))
    with pytest.raises(ShapeError, match="channel, row, column"):
        receptive_field(network, 1, (0, 1))


def test_a_window_wholly_in_the_padding_depends_on_nothing():
    # a 1×1 kernel with padding 1: output (0, 0) reads padded row −1, column −1 only
    conv = Conv2DLayer(np.ones((1, 1, 1, 1)), None, (1, 3, 3), pad=1)
    pool = Pool2DLayer("avg", (1, 5, 5), 2)
    network = Network(9, (conv, pool), (1, 3, 3))
    corner = receptive_field(network, 1, (0, 0, 0)).maps[0]
    assert corner.box is None and corner.reach is None and corner.rows == ()
    assert receptive_field(network, 1, (0, 0, 0)).window.inside.tolist() == [[False]]
    # the pool's window (0…1, 0…1) of the padded map holds three padding pixels and map pixel (1, 1) → input (0, 0)
    field = receptive_field(network, 2, (0, 0, 0))
    assert field.maps[1].box == (0, 0, 1, 1) and field.maps[0].box == (0, 0, 0, 0)
    assert field.maps[0].reach == (-1, -1, 0, 0)


# ------------------------------------------------------------------ brute force: perturb every pixel, see what moves


def _random_conv(rng: np.random.Generator, in_shape: tuple[int, int, int], channels: int, k: int, stride: int,
                 pad: int, activation: str = "identity") -> Conv2DLayer:
    return Conv2DLayer(rng.normal(size=(channels, in_shape[0], k, k)), rng.normal(size=channels), in_shape,
                       stride, pad, activation)


def linear_net(seed: int = 3) -> Network:
    """Identity activations and average pooling: every path from an input pixel to an output pixel has a weight
    drawn at random, so a pixel the field holds really moves the output (no zero-gradient accidents)."""
    rng = np.random.default_rng(seed)
    c1 = _random_conv(rng, (2, 11, 11), 3, 3, 2, 1)  # → 3×6×6
    p1 = Pool2DLayer("avg", (3, 6, 6), 2, 1)  # stride ≠ size, overlapping → 3×5×5
    c2 = _random_conv(rng, (3, 5, 5), 2, 2, 1, 1)  # → 2×6×6
    p2 = Pool2DLayer("avg", (2, 6, 6), 3, 2)  # → 2×2×2
    return Network(242, (c1, p1, c2, p2), (2, 11, 11))


def gappy_net(seed: int = 4) -> Network:
    """Strides larger than the windows skip rows: a 1×1 pool with stride 2, then a 2×2 kernel with stride 3."""
    rng = np.random.default_rng(seed)
    p1 = Pool2DLayer("avg", (1, 13, 13), 1, 2)  # → 1×7×7, reads even rows only
    c1 = _random_conv(rng, (1, 7, 7), 2, 2, 3, 1)  # → 2×3×3
    c2 = _random_conv(rng, (2, 3, 3), 1, 2, 1, 0)  # → 1×2×2
    return Network(169, (p1, c1, c2), (1, 13, 13))


def nonlinear_net(seed: int = 5) -> Network:
    rng = np.random.default_rng(seed)
    c1 = _random_conv(rng, (1, 10, 10), 2, 3, 1, 2, "relu")  # → 2×12×12
    p1 = Pool2DLayer("max", (2, 12, 12), 3, 2)  # → 2×5×5
    c2 = _random_conv(rng, (2, 5, 5), 2, 3, 2, 1, "tanh")  # → 2×3×3
    return Network(100, (c1, p1, c2), (1, 10, 10))


def moved(network: Network, first: int, last: int, rng: np.random.Generator) -> np.ndarray:
    """For map `first` and layer `last`: moved[p, q] is True when changing pixel p (flat, (C, H, W) order) of map
    `first` changes output value q of layer `last`. The layers first+1 … last run alone from a random map."""
    layers = network.layers[first:last]
    shape = layers[0].in_shape
    sub = Network(int(np.prod(shape)), tuple(layers), shape)
    base = rng.normal(size=sub.input_size)
    batch = base + np.eye(sub.input_size)  # row p: pixel p nudged by 1
    out = forward(sub, np.vstack([base, batch])).output
    return np.abs(out[1:] - out[0]) > 1e-9


@pytest.mark.parametrize("build, exact", [(linear_net, True), (gappy_net, True), (nonlinear_net, False)])
def test_the_field_is_what_a_nudge_moves(build, exact):
    network = build()
    rng = np.random.default_rng(0)
    gaps_seen = False
    for last in range(1, len(network.layers) + 1):
        out_shape = network.layers[last - 1].out_shape
        fields = [receptive_field(network, last, tuple(int(v) for v in np.unravel_index(q, out_shape)))
                  for q in range(int(np.prod(out_shape)))]
        for first in range(last):
            changes = moved(network, first, last, rng)
            shape = network.layers[first].in_shape
            for q, field in enumerate(fields):
                inside = np.zeros(shape, bool)
                mine = field.maps[first]
                inside[np.ix_(mine.channels, mine.rows, mine.cols)] = True
                if mine.box is not None:  # the box bounds the field, and the field lies in the map
                    top, left, bottom, right = mine.box
                    assert 0 <= top <= bottom < shape[1] and 0 <= left <= right < shape[2]
                    assert inside[:, top:bottom + 1, left:right + 1].sum() == inside.sum()
                gaps_seen |= not mine.contiguous
                changed = changes[:, q].reshape(shape)
                assert not (changed & ~inside).any(), (last, q, first)  # nothing outside the field moves it
                if exact:
                    assert (changed == inside).all(), (last, q, first)  # and everything inside does
    assert gaps_seen == (build is gappy_net)
