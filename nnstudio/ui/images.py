"""Images the UI draws from numbers (inputs such as 28×28 digits)."""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtGui import QImage


def ink_image(values: np.ndarray, shape: tuple[int, int]) -> QImage:
    """Values 0…1 as a greyscale image, ink dark on white (as digits are drawn)."""
    grid = np.clip(np.asarray(values, dtype=float).reshape(shape), 0.0, 1.0)
    grey = np.ascontiguousarray((255 - grid * 255).astype(np.uint8))
    return QImage(grey.data, shape[1], shape[0], shape[1], QImage.Format.Format_Grayscale8).copy()


# A light diverging palette for neuron maps: white at 0, blue for positive, orange for negative, never so
# dark that the value written on top stops being readable (the canvas's legibility rule).
_POSITIVE = np.array([37.0, 99.0, 235.0])
_NEGATIVE = np.array([234.0, 88.0, 12.0])
MAP_STRENGTH = 0.7  # the strongest colour is 70 % of the way from white
# Exactly 0 (a ReLU that is off): the canvas's grey for a zero (style.value_colour's NEUTRAL at alpha 90 over
# white), not white. A white region looked like a circle left half drawn, and white is also what a
# neuron without a map is filled with. No value of the scale above is this colour (its blue is below any
# blue's, its red below any orange's), so `circle_cut` finds the zero region by its colour alone.
ZERO_RGB = np.array([220, 223, 227], np.uint8)
ZERO_EDGE_RGB = np.array([156, 163, 175], np.uint8)  # style.NEUTRAL: where a = 0 meets a ≠ 0
ZERO_EDGE_PX = 2  # the edge's width at circle_cut's size (≈ 1.3 px on screen for a 60 px neuron)
_EDGE_WORD = np.append(ZERO_EDGE_RGB, np.uint8(255)).view(np.uint32)[0]  # the edge's RGBA bytes as one word


def map_pixels(values: np.ndarray, scale: float, strength: float = MAP_STRENGTH) -> np.ndarray:
    """RGB bytes (…, rows, cols, 3) of maps: v/scale in [−1, 1] from orange through white to blue, and
    exactly 0 in ZERO_RGB. Takes a whole layer's maps at once (one numpy pass instead of one per neuron).
    `strength` 1: the full colours (dots drawn over a map, which would vanish into it in the map's own)."""
    values = np.asarray(values, dtype=float)
    t = np.clip(values / (scale if scale > 0 else 1.0), -1.0, 1.0)[..., None]
    rgb = 255.0 + (np.where(t >= 0, _POSITIVE, _NEGATIVE) - 255.0) * (np.abs(t) * strength)
    pixels = (rgb + 0.5).astype(np.uint8)
    pixels[values == 0] = ZERO_RGB
    return pixels


# A classifier's classes: class 1 blue and class 0 orange, as the canvas's positive and negative (an output
# of 1 is the positive answer), then colours of their own for a third class and on.
CLASS_RGB = np.array([_NEGATIVE, _POSITIVE, [22, 163, 74], [147, 51, 234], [219, 39, 119], [13, 148, 136],
                      [202, 138, 4], [75, 85, 99], [220, 38, 38], [79, 70, 229]])


def class_rgb(labels: np.ndarray) -> np.ndarray:
    """RGB bytes (…, 3) of each class label's colour (CLASS_RGB, repeating after its tenth)."""
    return CLASS_RGB[np.asarray(labels, dtype=np.int64) % len(CLASS_RGB)].astype(np.uint8)


def class_pixels(scores: np.ndarray) -> np.ndarray:
    """RGB bytes (rows, cols, 3) of a classifier's answer at each point: the colour of the class it picks,
    paler the less sure it is (white where two classes are even), at most MAP_STRENGTH of the way from
    white so the data's dots, drawn in the full colours, stand out on it.

    `scores` (classes, rows, cols) are the output layer's values, probabilities as a sigmoid or softmax
    gives them; a single output (a sigmoid's p) stands for two classes, 1 − p (class 0) and p (class 1)."""
    p = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    if p.shape[0] == 1:
        p = np.concatenate([1.0 - p, p])
    k = p.shape[0]
    winner = np.argmax(p, axis=0)
    top = np.take_along_axis(p, winner[None], axis=0)[0]
    sure = np.clip((top - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)  # 0 when all are even, 1 when certain
    rgb = 255.0 + (class_rgb(winner) - 255.0) * (sure * MAP_STRENGTH)[..., None]
    return (rgb + 0.5).astype(np.uint8)


def rgb_image(pixels: np.ndarray) -> QImage:
    """An image from RGB bytes (rows × cols × 3)."""
    pixels = np.ascontiguousarray(pixels)
    rows, cols = pixels.shape[:2]
    return QImage(pixels.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888).copy()


@functools.lru_cache(maxsize=4)
def _circle_cover(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's share inside the inscribed circle (rim antialiased), as float32 and as alpha bytes."""
    centre, radius = size / 2, (size - 2) / 2
    across = np.arange(size) + 0.5 - centre
    cover = np.clip(radius - np.hypot(across[:, None], across[None, :]) + 0.5, 0.0, 1.0).astype(np.float32)
    return cover[..., None], (cover * 255 + 0.5).astype(np.uint8)


def _blocks(grid: np.ndarray, size: int, channels: bool) -> np.ndarray:
    """`grid` (…, rows, cols[, channels]) scaled up to size × size, each point a block (as the canvas drew
    them). A new array."""
    axis = -3 if channels else -2
    rows, cols = grid.shape[axis], grid.shape[axis + 1]
    if size % rows == 0 and size % cols == 0:
        return grid.repeat(size // rows, axis=axis).repeat(size // cols, axis=axis + 1)
    across, down = (np.arange(size) * cols) // size, (np.arange(size) * rows) // size
    if channels:
        return grid[..., down, :, :][..., across, :]
    return grid[..., down, :][..., across]


def _zero_points(pixels: np.ndarray) -> np.ndarray:
    """Where RGB maps (…, rows, cols, 3) are ZERO_RGB, i.e. exactly 0 (per channel: np.all over the last
    axis took ten times as long)."""
    return (pixels[..., 0] == ZERO_RGB[0]) & (pixels[..., 1] == ZERO_RGB[1]) & (pixels[..., 2] == ZERO_RGB[2])


def _inner_edge(mask: np.ndarray, width: int) -> np.ndarray:
    """The pixels of `mask` (…, rows, cols) within `width` steps (across or down) of a pixel outside it."""
    outside = ~mask
    near = np.zeros_like(mask)
    for step in range(1, width + 1):
        near[..., step:, :] |= outside[..., :-step, :]
        near[..., :-step, :] |= outside[..., step:, :]
        near[..., :, step:] |= outside[..., :, :-step]
        near[..., :, :-step] |= outside[..., :, step:]
    return mask & near


def circle_cut(pixels: np.ndarray, size: int) -> np.ndarray:
    """RGBA bytes (…, size, size, 4), premultiplied, of RGB maps (…, rows, cols, 3) scaled up to size × size
    (each point a block, as the canvas drew them) and cut to the inscribed circle, its rim antialiased.
    Where a map is exactly 0 (ZERO_RGB) next to where it is not, a grey edge outlines the zero region:
    "off here, on there" reads as two parts of one map, not as a fill that stopped.

    Done for a whole layer in one numpy pass: cutting each neuron's map with a QPainter clip path took
    ~0.6 ms a neuron of the window's thread at every live update (bench_ui_latency.py, maps)."""
    scaled = _blocks(pixels, size, channels=True)
    cover, alpha = _circle_cover(size)
    out = np.empty(scaled.shape[:-1] + (4,), np.uint8)
    out[..., :3] = scaled * cover + np.float32(0.5)
    out[..., 3] = alpha
    zero = _zero_points(pixels)  # found at the map's own size: 9× fewer points than the cut's
    if zero.any():
        # Drawn where the circle is whole (its antialiased rim lies under the neuron's outline anyway),
        # as one 32-bit word a pixel: writing 3 bytes a pixel through a mask took ~2 ms a layer.
        edge = _inner_edge(_blocks(zero, size, channels=False), ZERO_EDGE_PX) & (alpha == 255)
        out.view(np.uint32)[..., 0][edge] = _EDGE_WORD
    return out


def rgba_image(pixels: np.ndarray) -> QImage:
    """An image from premultiplied RGBA bytes (rows × cols × 4), as `circle_cut` makes them."""
    pixels = np.ascontiguousarray(pixels)
    rows, cols = pixels.shape[:2]
    return QImage(pixels.data, cols, rows, 4 * cols, QImage.Format.Format_RGBA8888_Premultiplied).copy()


def map_image(values: np.ndarray, scale: float) -> QImage:
    """A neuron's map (rows × cols, row 0 at the top) as a colour image (see map_pixels)."""
    return rgb_image(map_pixels(values, scale))
