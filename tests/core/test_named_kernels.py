"""Named kernels: their exact cells, the sizes they are defined for, and what they detect on a drawn edge.

Convolution is core/conv.py's cross-correlation: at each position the map is Σ K[u, v]·x[i + u, j + v], so a
kernel is read as drawn (not flipped).
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.conv import conv2d_forward
from nnstudio.core.errors import ShapeError, UnknownNameError
from nnstudio.core.named_kernels import (
    NAMED_KERNELS,
    kernel_text,
    kernel_values,
    named_kernel,
    names_for,
)


def correlate(image: np.ndarray, name: str, k: int = 3, pad: int = 0) -> np.ndarray:
    """One image (H, W) through the kernel `name`, no bias: the map (Ho, Wo)."""
    return conv2d_forward(image[None, None], kernel_values(name, k)[None, None], None, 1, pad)[0, 0]


def test_exact_values():
    assert kernel_values("identity", 3).tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert kernel_values("identity", 1).tolist() == [[1]]
    assert kernel_values("identity", 5)[2, 2] == 1 and kernel_values("identity", 5).sum() == 1
    assert kernel_values("box-blur", 3).tolist() == [[1 / 9] * 3] * 3
    assert kernel_values("box-blur", 2).tolist() == [[0.25, 0.25], [0.25, 0.25]]
    assert kernel_values("sobel-x").tolist() == [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
    assert kernel_values("sobel-y").tolist() == [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]  # Sobel x transposed
    assert kernel_values("laplacian").tolist() == [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
    assert kernel_values("sobel-x", dtype=np.float32).dtype == np.float32
    fresh = kernel_values("laplacian")
    fresh[0, 0] = 7  # a fresh array each time: changing one changes no other
    assert kernel_values("laplacian")[0, 0] == 0


def test_text_keeps_what_is_typed():
    assert kernel_text("box-blur", 3) == [["1/9"] * 3] * 3
    assert kernel_text("box-blur", 1) == [["1"]]
    assert kernel_text("sobel-x") == [["1", "0", "-1"], ["2", "0", "-2"], ["1", "0", "-1"]]


def test_sizes_and_refusals():
    assert names_for(3) == ["identity", "box-blur", "sobel-x", "sobel-y", "laplacian"]
    assert names_for(5) == ["identity", "box-blur"]
    assert names_for(2) == ["box-blur"]  # conv-4x4's 2×2 kernel: no centre for an identity
    with pytest.raises(ShapeError, match="Sobel x is defined for 3×3, not 5×5"):
        kernel_values("sobel-x", 5)
    with pytest.raises(ShapeError, match="Identity is defined for an odd size"):
        kernel_values("identity", 4)
    with pytest.raises(ShapeError, match="kernel size must be a whole number from 1 to 4096"):
        kernel_values("box-blur", 0)
    with pytest.raises(ShapeError, match="kernel size"):
        kernel_values("box-blur", True)  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="unknown kernel 'gaussian'; expected one of: identity"):
        kernel_values("gaussian")
    for name, kernel in NAMED_KERNELS.items():
        assert named_kernel(name) is kernel and kernel.detects and kernel.label


def test_sobel_x_finds_a_vertical_edge():
    # left half 0 (columns 0–3), right half 1 (columns 4–7): at output column j the window covers columns j…j+2,
    # and per row Sobel x gives x[j] − x[j + 2] with weights 1, 2, 1 down the rows, so 4·(x[j] − x[j + 2]):
    #   j = 2: 4·(0 − 1) = −4,  j = 3: 4·(0 − 1) = −4,  j = 0, 1 (all 0) and j = 4, 5 (all 1): 0
    image = np.zeros((8, 8))
    image[:, 4:] = 1.0
    out = correlate(image, "sobel-x")
    assert out.shape == (6, 6)
    expected = np.zeros((6, 6))
    expected[:, 2:4] = -4.0  # brighter on the right: negative, along the edge only
    assert out.tolist() == expected.tolist()
    assert correlate(image[:, ::-1], "sobel-x").tolist() == (-expected[:, ::-1]).tolist()  # brighter left: +4
    # Sobel y sees nothing here (no change down a column), and finds the same edge turned horizontal
    assert not correlate(image, "sobel-y").any()
    assert correlate(image.T, "sobel-y").tolist() == expected.T.tolist()


def test_laplacian_blur_and_identity():
    ramp = np.add.outer(np.arange(6.0), 2 * np.arange(6.0))  # a steady ramp: flat second differences
    assert not correlate(ramp, "laplacian").any()
    dot = np.zeros((5, 5))
    dot[2, 2] = 1.0
    # a bright dot gives −4 under it and +1 on its four neighbours: the kernel itself, drawn around the dot
    assert correlate(dot, "laplacian", pad=1).tolist() == [[0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, -4, 1, 0],
                                                           [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]
    image = np.random.default_rng(1).random((6, 6))
    assert correlate(image, "identity", 3, pad=1).tolist() == image.tolist()  # the map is the input
    assert correlate(image, "identity", 5, pad=2).tolist() == image.tolist()
    np.testing.assert_allclose(correlate(np.full((5, 5), 2.0), "box-blur"), np.full((3, 3), 2.0), rtol=1e-15)
