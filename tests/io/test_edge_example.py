"""The built-in example `edge-7x7`: the `kernel` lesson's bar and its one blank 3×3 convolution, as described."""

import numpy as np

from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.core.trace import forward
from nnstudio.io import list_examples, load_example


def test_a_bar_one_blank_kernel_identity_no_bias_and_no_target():
    assert "edge-7x7" in list_examples()
    project = load_example("edge-7x7")
    net = project.network
    (conv,) = net.layers
    assert isinstance(conv, Conv2DLayer) and net.input_shape == (1, 7, 7)
    assert conv.kernel.shape == (1, 1, 3, 3) and not conv.kernel.any()
    assert conv.bias is None and conv.activation == "identity" and (conv.stride, conv.pad) == (1, 0)
    assert conv.out_shape == (1, 5, 5) and not forward(net, project.input).output.any()  # blank until typed
    image = project.input.reshape(7, 7)
    assert [tuple(int(i) + 1 for i in place) for place in np.argwhere(image == 1)] == [(r, 4) for r in range(2, 7)]
    assert image.sum() == 5 and not project.target_known  # a bar of five 1s on 0; no target yet
    for words in ("vertical bar", "3×3 convolution", "no bias", "Sobel x", "Sobel y", "lesson kernel"):
        assert words in project.description, words


def test_sobel_x_typed_in_gives_the_bars_two_edges():
    project = load_example("edge-7x7")
    conv = project.network.layers[0]
    sobel_x = np.array([[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]]], dtype=float)
    net = project.network.with_layer(0, conv.replace(kernel=sobel_x))
    edges = forward(net, project.input).output.reshape(5, 5)
    expected = np.zeros((5, 5))
    expected[:, 3], expected[:, 1] = [3, 4, 4, 4, 3], [-3, -4, -4, -4, -3]  # right of the bar +, left of it −
    assert np.array_equal(edges, expected)
