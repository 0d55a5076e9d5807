"""A small synthetic "MNIST" written as the four IDX files: 28×28 images of ten classes, each class a
bar at its own height with noise, so a 784-input network learns most of them in an epoch or two.

Why not the real sample: CI runs on a clean clone without ../shared/, and these tests need images
(the gallery and the Draw tab work on 28×28 inputs), not any particular images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnstudio.data.idx import write_idx

FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def digit_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (uint8, n × 28 × 28) and their labels 0–9: class k is a bright bar on rows 2k+4, 2k+5."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 90, (n, 28, 28)).astype(np.uint8)  # faint noise everywhere
    for index, label in enumerate(labels):
        row = 2 * int(label) + 4
        start = int(rng.integers(2, 8))
        images[index, row:row + 2, start:start + 18] = 255
    return images, labels


def write_digits(folder: Path, train: int = 600, test: int = 200, seed: int = 0) -> Path:
    """Write the four IDX files into `folder` (created); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for part, n, offset in (("train", train, 0), ("test", test, 1)):
        images, labels = digit_images(n, seed + offset)
        write_idx(folder / FILES[part][0], images)
        write_idx(folder / FILES[part][1], labels)
    return folder
