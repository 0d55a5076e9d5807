"""One epoch's mini-batches, laid out the way `FastMLP.train_columns` reads them.

Each batch is a block of (features + 1) × B, one sample per column, with a row
of ones under it (the bias input), written once per epoch while shuffling: the
same single pass over the data a shuffle costs anyway. For sparse data (most
MNIST pixels are exactly zero) it also knows which features are nonzero in some
sample of each batch, from one bit per feature and sample packed at the start;
the engine then skips the rest of the first layer's products. Data counts as
sparse when a batch of this size is expected to leave enough features at zero
for the engine to skip them (MNIST: ~150 of 784 nonzero at batch 1, ~530 at
128); Fashion-MNIST at batch 128 (~half its pixels nonzero, but nearly every
pixel in some image of a batch) does not, and costs neither bits nor copy.

For sparse data the features are also laid out most-often-nonzero first
(`feature_order`): then a batch's nonzero features are nearly a prefix of the
block (MNIST, batch 128: 530 nonzero rows, all but ~20 of them among the first
530), and the engine works on that prefix in place after swapping in the few
stragglers, instead of copying every nonzero row of the weights out and back.
The reordered copy of the inputs costs memory once (one more copy of the
training inputs) and keeps the per-epoch shuffle a single pass.
"""

from __future__ import annotations

import math

import numpy as np

from nnstudio.training.engine import SPARSE_ENOUGH

_CHUNK = 64  # blocks shuffled at a time (bounds the temporary copy)


class ColumnBatches:
    """Shuffle into column blocks with `shuffle(order)`, then `get(step)` → (x, y, nonzero or None).

    Row r < features of a block holds feature `feature_order[r]` (None: feature r).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch: int, dtype: np.dtype, find_nonzero: bool) -> None:
        n, features = x.shape
        counts = np.count_nonzero(x, axis=0) if find_nonzero and n > 0 else None
        # Finding each batch's nonzero features pays only if the engine can then skip some: the
        # features expected to be nonzero in some sample of a batch, from each one's frequency,
        # must be fewer than the engine's SPARSE_ENOUGH.
        expected = None if counts is None else float(np.sum(1 - (1 - counts / n) ** min(batch, n)))
        sparse = expected is not None and expected < SPARSE_ENOUGH * features
        self.feature_order: np.ndarray | None = np.argsort(-counts, kind="stable") if sparse else None
        if self.feature_order is not None:
            x = np.ascontiguousarray(x[:, self.feature_order])
        self.x_all, self.y_all = x, y
        self.batch = batch
        self.steps = math.ceil(n / batch)
        full, rest = divmod(n, batch)
        self.x_blocks = np.ones((full, features + 1, batch), dtype)
        self.y_blocks = np.empty((full, y.shape[1], batch), dtype)
        self.x_rest = np.ones((features + 1, rest), dtype) if rest else None
        self.y_rest = np.empty((y.shape[1], rest), dtype) if rest else None
        # one bit per row of a block: the features, then the row of ones (always set)
        self.bits = np.packbits(np.column_stack([x != 0, np.ones(n, bool)]), axis=1) if sparse else None
        self.bits_epoch: np.ndarray | None = None

    def shuffle(self, order: np.ndarray) -> None:
        """Lay out this epoch's batches in `order` (a permutation of the samples)."""
        full, features, batch = len(self.x_blocks), self.x_all.shape[1], self.batch
        for start in range(0, full, _CHUNK):
            stop = min(start + _CHUNK, full)
            picked = order[start * batch:stop * batch]
            self.x_blocks[start:stop, :features] = self.x_all[picked].reshape(stop - start, batch, -1).transpose(0, 2, 1)
            self.y_blocks[start:stop] = self.y_all[picked].reshape(stop - start, batch, -1).transpose(0, 2, 1)
        if self.x_rest is not None:
            picked = order[full * batch:]
            self.x_rest[:features] = self.x_all[picked].T
            self.y_rest[...] = self.y_all[picked].T
        if self.bits is not None:
            self.bits_epoch = self.bits[order]

    def get(self, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Inputs, targets and, for sparse data, the sorted indices of the rows of the input block
        that are nonzero somewhere in this batch (the last, the row of ones, always is)."""
        if step < len(self.x_blocks):
            x, y = self.x_blocks[step], self.y_blocks[step]
        else:
            x, y = self.x_rest, self.y_rest
        nonzero = None
        if self.bits_epoch is not None:
            lo = step * self.batch
            seen = np.bitwise_or.reduce(self.bits_epoch[lo:lo + self.batch], axis=0)
            nonzero = np.flatnonzero(np.unpackbits(seen, count=self.x_all.shape[1] + 1))
        return x, y, nonzero  # type: ignore[return-value]
