"""Images the UI draws from numbers (inputs such as 28×28 digits)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def ink_image(values: np.ndarray, shape: tuple[int, int]) -> QImage:
    """Values 0…1 as a greyscale image, ink dark on white (as digits are drawn)."""
    grid = np.clip(np.asarray(values, dtype=float).reshape(shape), 0.0, 1.0)
    grey = np.ascontiguousarray((255 - grid * 255).astype(np.uint8))
    return QImage(grey.data, shape[1], shape[0], shape[1], QImage.Format.Format_Grayscale8).copy()
