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


def map_pixels(values: np.ndarray, scale: float) -> np.ndarray:
    """RGB bytes (…, rows, cols, 3) of maps: v/scale in [−1, 1] from orange through white to blue. Takes
    a whole layer's maps at once (one numpy pass instead of one per neuron)."""
    t = np.clip(np.asarray(values, dtype=float) / (scale if scale > 0 else 1.0), -1.0, 1.0)[..., None]
    rgb = 255.0 + (np.where(t >= 0, _POSITIVE, _NEGATIVE) - 255.0) * (np.abs(t) * MAP_STRENGTH)
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


def circle_cut(pixels: np.ndarray, size: int) -> np.ndarray:
    """RGBA bytes (…, size, size, 4), premultiplied, of RGB maps (…, rows, cols, 3) scaled up to size × size
    (each point a block, as the canvas drew them) and cut to the inscribed circle, its rim antialiased.

    Done for a whole layer in one numpy pass: cutting each neuron's map with a QPainter clip path took
    ~0.6 ms a neuron of the window's thread at every live update (bench_ui_latency.py, maps)."""
    rows, cols = pixels.shape[-3:-1]
    if size % rows == 0 and size % cols == 0:
        scaled = pixels.repeat(size // rows, axis=-3).repeat(size // cols, axis=-2)
    else:
        scaled = pixels[..., (np.arange(size) * rows) // size, :, :][..., (np.arange(size) * cols) // size, :]
    cover, alpha = _circle_cover(size)
    out = np.empty(scaled.shape[:-1] + (4,), np.uint8)
    out[..., :3] = scaled * cover + np.float32(0.5)
    out[..., 3] = alpha
    return out


def rgba_image(pixels: np.ndarray) -> QImage:
    """An image from premultiplied RGBA bytes (rows × cols × 4), as `circle_cut` makes them."""
    pixels = np.ascontiguousarray(pixels)
    rows, cols = pixels.shape[:2]
    return QImage(pixels.data, cols, rows, 4 * cols, QImage.Format.Format_RGBA8888_Premultiplied).copy()


def map_image(values: np.ndarray, scale: float) -> QImage:
    """A neuron's map (rows × cols, row 0 at the top) as a colour image (see map_pixels)."""
    return rgb_image(map_pixels(values, scale))
