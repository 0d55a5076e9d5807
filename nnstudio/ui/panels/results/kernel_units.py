"""What Results → Units shows for a network whose first layer is a convolution: its kernels, one image each.

A dense first layer's unit is a weight row the size of the image (unit_grid.py draws it as that image). A
convolution's "unit" is a kernel: K kernels of C×k×k weights slide over the input, so the grid shows one small
k×k image per kernel and input channel (LeNet: 6 kernels of 1×5×5, six images). Their colours are the canvas's (blue
positive, orange negative, grey exactly 0) on ONE scale for the whole layer, its largest |w|, as the canvas colours
a layer's maps: two kernels side by side then compare, where a scale per kernel would make a weak kernel look as
strong as the strongest. A kernel's "activation for the input" is the largest value of its map for the current
input (the canvas's map of that channel); the test images that excite it most are those whose map peaks highest.

No Qt here: the grid draws what these functions give, and tests check them against numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.network import Network
from nnstudio.core.spatial_layers import Conv2DLayer

SEARCHED = 1000  # test images a clicked kernel's most exciting ones are sought among (the first ones)


@dataclass(frozen=True)
class KernelImage:
    """One k×k image of the grid: kernel `kernel`'s weights on input channel `channel` (grid key `key`)."""

    key: int  # kernel · channels + channel: the grid's item data, and the key of UnitGrid.images
    kernel: int
    channel: int
    channels: int  # the input channels each kernel reads
    values: np.ndarray  # (k, k), row 0 at the top as the canvas draws a map

    @property
    def label(self) -> str:
        """Under the icon: the kernel's number, and the input channel when there are several."""
        return f"K{self.kernel + 1}" if self.channels == 1 else f"K{self.kernel + 1}·{self.channel + 1}"


def first_conv(network: Network) -> Conv2DLayer | None:
    """The network's first layer when it is a convolution (its kernels are what the grid shows), else None."""
    layer = network.layers[0] if network.layers else None
    return layer if isinstance(layer, Conv2DLayer) else None


def kernel_images(layer: Conv2DLayer) -> list[KernelImage]:
    """Every kernel's weights, one image per input channel, in kernel then channel order."""
    kernel = np.asarray(layer.kernel, dtype=float)
    count, channels = kernel.shape[:2]
    return [KernelImage(k * channels + c, k, c, channels, kernel[k, c]) for k in range(count) for c in range(channels)]


def kernel_scale(layer: Conv2DLayer) -> float:
    """The layer's largest |w|: full colour on every kernel image (1 when all are 0, so 0 stays grey)."""
    return float(np.max(np.abs(layer.kernel))) or 1.0


def kernel_maps(layer: Conv2DLayer, x: np.ndarray, kernels: list[int] | None = None) -> np.ndarray:
    """The activations a = g(K ⋆ x + b) of `kernels` (all when None) for the inputs x (B, n) as (B, K', Ho, Wo), in
    the layer's precision: what the canvas draws as those channels' maps, for each input (core/conv.py's
    cross-correlation, PyTorch's).

    Summed one kernel cell at a time, in place (k·k·C shifted products of whole maps): conv2d_forward copies every
    window first, 25 values a pixel for LeNet, which for the 1,000 images a click searches took a sixth of a second."""
    dtype = layer.dtype
    chosen = list(range(layer.channels)) if kernels is None else kernels
    kernel = np.asarray(layer.kernel)[chosen]
    maps = np.asarray(x, dtype=dtype).reshape((-1,) + layer.in_shape)
    p, s, k = layer.pad, layer.stride, layer.k
    padded = np.pad(maps, ((0, 0), (0, 0), (p, p), (p, p))) if p else maps
    _, rows, cols = layer.out_shape
    z = np.zeros((len(maps), len(chosen), rows, cols), dtype)
    product = np.empty((len(maps), rows, cols), dtype)
    for o in range(len(chosen)):
        for c, i, j in np.ndindex(layer.in_shape[0], k, k):
            np.multiply(padded[:, c, i:i + s * (rows - 1) + 1:s, j:j + s * (cols - 1) + 1:s], kernel[o, c, i, j],
                        out=product)
            z[:, o] += product
    if layer.bias is not None:
        z += np.asarray(layer.bias)[chosen][None, :, None, None]
    a = get_activation(layer.activation)(z.reshape(len(maps), -1), layer.params)
    return np.asarray(a).reshape(z.shape)


def kernel_order(layer: Conv2DLayer, how: str, x: np.ndarray) -> list[int]:
    """The grid's keys in the order `how` asks: "index", "norm" (‖weights‖ of the image, largest first) or
    "activation" (the kernel's map's largest value for input `x`, largest first; a kernel's channels together)."""
    images = kernel_images(layer)
    if how == "norm":
        norms = [-float(np.linalg.norm(image.values)) for image in images]
        return [images[i].key for i in np.argsort(norms, kind="stable")]
    if how == "activation":
        peaks = kernel_maps(layer, x).reshape(layer.channels, -1).max(axis=1)
        return [images[i].key for i in np.argsort([-peaks[image.kernel] for image in images], kind="stable")]
    return [image.key for image in images]


def exciting_for_kernel(layer: Conv2DLayer, kernel: int, test_x: np.ndarray, count: int) -> list[int]:
    """Among the first SEARCHED test images, those whose map of kernel `kernel` peaks highest, highest first (at
    most `count`): searching all 10,000 of a test set would hold the window for half a second at each click."""
    searched = np.asarray(test_x)[:SEARCHED]
    peaks = kernel_maps(layer, searched, [kernel]).reshape(len(searched), -1).max(axis=1)
    return [int(i) for i in np.argsort(-peaks, kind="stable")[:count]]
