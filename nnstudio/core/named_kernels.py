"""A few kernels with names, to set by hand: what a kernel detects is written in its weights.

The seeds' idea — a neuron's weights are what it wants to see — at its most visible: a kernel slides over the
image and, at every position, gives the dot product of its weights with the window under it, so it answers most
strongly where the window looks like the kernel. These are the classic ones, for core/conv.py's convolution,
which is a cross-correlation (the kernel is not flipped), so a kernel is read as drawn:

    identity    0 … 1 … 0 (1 at the centre)          copies the pixel under its centre: the map is the input
    box blur    every cell 1/k²                       the window's mean: smooths, fine detail fades
    Sobel x     [[1, 0, −1], [2, 0, −2], [1, 0, −1]]   a vertical edge, brighter on the left: > 0; darker: < 0
    Sobel y     its transpose                          a horizontal edge, brighter above: > 0; darker: < 0
    Laplacian   [[0, 1, 0], [1, −4, 1], [0, 1, 0]]     a pixel unlike its four neighbours (a bright dot or thin
                                                       line gives < 0); 0 on flat areas and steady ramps

Sizes: identity needs a centre, so an odd k; box blur is defined for every k ≥ 1 (a 2×2 kernel, as in the
conv-4x4 example, averages four pixels); Sobel and the Laplacian are the 3×3 ones, and another k is refused by
name (ShapeError) rather than guessed: their larger versions are not one agreed kernel. `names_for(k)` lists
what a k×k kernel can take, so a menu offers only those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnstudio.core.errors import ShapeError, UnknownNameError, shorten

MAX_KERNEL = 4096  # no map is wider (spatial_layers.py), so no kernel is either


def _identity(k: int) -> tuple[np.ndarray, str | None]:
    cells = np.zeros((k, k))
    cells[k // 2, k // 2] = 1.0
    return cells, None


def _box(k: int) -> tuple[np.ndarray, str | None]:
    return np.full((k, k), 1.0 / (k * k)), f"1/{k * k}" if k > 1 else None  # 1/9 is no binary fraction: kept as text


def _fixed(rows: list[list[int]]) -> Callable[[int], tuple[np.ndarray, str | None]]:
    return lambda k: (np.array(rows, dtype=np.float64), None)


SOBEL_X = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
SOBEL_Y = [list(column) for column in zip(*SOBEL_X)]
LAPLACIAN = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]


@dataclass(frozen=True)
class NamedKernel:
    """A kernel by name: `label` as menus show it, `detects` one line on what a high value means, `sizes`
    which k it is defined for ("odd", "any" or one number). `cells(k)` gives the k×k values, and the text of
    every cell where they are not whole numbers (box blur's 1/k²), else None."""

    name: str
    label: str
    detects: str
    sizes: str | int
    cells: Callable[[int], tuple[np.ndarray, str | None]]

    def fits(self, k: int) -> bool:
        if self.sizes == "any":
            return True
        if self.sizes == "odd":
            return k % 2 == 1
        return k == self.sizes


NAMED_KERNELS: dict[str, NamedKernel] = {kernel.name: kernel for kernel in (
    NamedKernel("identity", "Identity", "copies the pixel under its centre: the map is the input", "odd", _identity),
    NamedKernel("box-blur", "Box blur", "the mean of the window: smooths, and fine detail fades", "any", _box),
    NamedKernel("sobel-x", "Sobel x", "a vertical edge: brighter on the left gives > 0, brighter on the right < 0",
                3, _fixed(SOBEL_X)),
    NamedKernel("sobel-y", "Sobel y", "a horizontal edge: brighter above gives > 0, brighter below < 0",
                3, _fixed(SOBEL_Y)),
    NamedKernel("laplacian", "Laplacian",
                "a pixel unlike its four neighbours (a bright dot or thin line gives < 0); 0 on flat areas",
                3, _fixed(LAPLACIAN)),
)}


def names_for(k: int) -> list[str]:
    """The named kernels defined for a k×k kernel, in menu order."""
    return [name for name, kernel in NAMED_KERNELS.items() if kernel.fits(k)]


def named_kernel(name: str) -> NamedKernel:
    """The record called `name`; an unknown name is refused, listing the known ones."""
    if name not in NAMED_KERNELS:
        raise UnknownNameError("kernel", shorten(str(name)), list(NAMED_KERNELS))
    return NAMED_KERNELS[name]


def _cells(name: str, k: object) -> tuple[np.ndarray, str | None]:
    kernel = named_kernel(name)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_KERNEL:
        raise ShapeError(f"kernel size must be a whole number from 1 to {MAX_KERNEL}, got {shorten(repr(k))}")
    if not kernel.fits(int(k)):
        wanted = "an odd size (it needs a centre)" if kernel.sizes == "odd" else f"{kernel.sizes}×{kernel.sizes}"
        raise ShapeError(f"{kernel.label} is defined for {wanted}, not {k}×{k}")
    return kernel.cells(int(k))


def kernel_values(name: str, k: int = 3, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """The k×k kernel `name` as a fresh array: the cells a layer's K[o, c] takes. Refused by name (ShapeError)
    for a size it is not defined for (module docstring); an unknown name raises UnknownNameError."""
    return _cells(name, k)[0].astype(dtype)


def kernel_text(name: str, k: int = 3) -> list[list[str]]:
    """The cells as text to type or keep as a layer's typed text: "1/9" rather than 0.1111…, "-1", "0"."""
    values, text = _cells(name, k)
    return [[text if text is not None else str(int(v)) for v in row] for row in values.tolist()]
