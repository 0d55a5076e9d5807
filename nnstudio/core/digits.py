"""Preparing a hand-drawn digit the way MNIST prepared its images.

MNIST digits were size-normalised to fit a 20×20 box (keeping their aspect
ratio) and centred in the 28×28 frame by their centre of mass. Doing the same to
a drawing makes the network see it as it saw its training data.
"""

from __future__ import annotations

import numpy as np


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-averaging resize with bilinear sampling (numpy only)."""
    h, w = image.shape
    ys = (np.arange(height) + 0.5) * h / height - 0.5
    xs = (np.arange(width) + 0.5) * w / width - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 1)
    y1, x1 = np.clip(y0 + 1, 0, h - 1), np.clip(x0 + 1, 0, w - 1)
    fy, fx = np.clip(ys - y0, 0, 1)[:, None], np.clip(xs - x0, 0, 1)[None, :]
    top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
    bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def mnist_like(drawing: np.ndarray, box: int = 20, size: int = 28) -> np.ndarray:
    """A drawing (any size, ink 0…1) as a size×size image: fitted in box×box, centred by mass."""
    ink = np.clip(np.asarray(drawing, dtype=float), 0, 1)
    rows, cols = np.nonzero(ink > 0.05)
    if rows.size == 0:
        return np.zeros((size, size))
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    fitted = _resize(crop, max(1, round(h * scale)), max(1, round(w * scale)))
    out = np.zeros((size, size))
    top, left = (size - fitted.shape[0]) // 2, (size - fitted.shape[1]) // 2
    out[top:top + fitted.shape[0], left:left + fitted.shape[1]] = fitted
    total = out.sum()
    if total > 0:
        cy = (out.sum(axis=1) * np.arange(size)).sum() / total
        cx = (out.sum(axis=0) * np.arange(size)).sum() / total
        dy, dx = int(round((size - 1) / 2 - cy)), int(round((size - 1) / 2 - cx))
        out = np.roll(np.roll(out, dy, axis=0), dx, axis=1)
    return np.clip(out, 0, 1)
