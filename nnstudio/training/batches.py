"""One epoch's mini-batches, laid out the way `FastMLP.train_columns` reads them.

Each batch is a block of features × B, one sample per column (the engine adds the
first layer's bias apart). The blocks are written a chunk of batches at a time, as
the steps reach them, into one reused buffer: the same single pass over the data a
shuffle costs anyway, without an epoch-sized copy made before the first step. Each
sample is copied as it is stored, one row of B × features, and the engine is handed
the block's transpose (a Fortran-ordered view, which BLAS reads as readily):
transposing while copying cost a quarter of a whole step at batch 128 (325 of 1,280 µs,
784-128-10 on dense inputs), a plain row gather a tenth of that.

Sparse data (most MNIST pixels are exactly zero) is split in two. Features nonzero
in at least one sample in ten (`RARE_BELOW`) stay in the dense block, in their own
order (`feature_order` lists them, then the rare ones); the rest are handed over as lists of their
nonzero values per sample (`RareInputs`), a 1 for the bias among them, which the
engine multiplies as a sparse matrix. On the MNIST sample that is 343 dense rows
and ~8 listed values per image instead of 785 rows. The lists are made once from
the data and permuted with each epoch's shuffle, so a step only slices them.
Data where the split saves little (`SPLIT_WORTH`) — XOR, most CSV tables — keeps
one dense block.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nnstudio.training.rare_inputs import RareInputs

# A feature is rare when fewer than this fraction of samples use it: the sparse products
# cost about nine times a dense multiply-add per value (measured, benchmarks/bench_train.py
# network sizes), so below ~1/9 listing its values beats multiplying its whole row.
RARE_BELOW = 0.1
# Split only when the rare features save at least this fraction of the first layer's
# dense work (a feature used by a fraction f saves 1 − f/RARE_BELOW of its row). Measured end to
# end (3 epochs, 1 thread, OpenBLAS): MNIST saves 47 % and trains 1.27–1.41× faster split at batch
# 32/128; Fashion-MNIST saves 7.5 % and trained 0.79–0.86× as fast split (784-128-10), so a saving
# under 10 % is not worth the sparse products' overhead.
SPLIT_WORTH = 0.10
# Beside a window (when `ColumnBatches` is told the first layer's width), split only when each
# sparse product is expected to do at least this many multiply-adds (listed values per batch ×
# first-layer neurons). scipy's loops release the GIL for 1–3 µs at batch 1, too short for the
# window's thread to take it, and tens of thousands of such releases a second leave it waiting
# (see RESPONSIVE_RELEASE_GIL_FROM in loop.py). MNIST into 128 neurons: batch 1 and 2 stay dense.
LISTED_WORK_AT_LEAST = 1 << 12
SPLIT_SAMPLE = 1024  # rows that judge whether to split (see rare_split)
CHUNK_SAMPLES = 4096  # samples laid out at a time: a few MB, reused for the whole run


class Split(NamedTuple):
    order: np.ndarray         # the features: the dense ones, then the rare ones, each in their own order
    dense: int                # how many of them (the first) are not rare
    listed_per_sample: float  # mean number of nonzero rare values in a sample
    rare: np.ndarray          # per feature, whether it is rare (listed)


def rare_split(x: np.ndarray) -> Split | None:
    """How to split x's features, if the rare ones are worth splitting off; else None.

    Judged on at most SPLIT_SAMPLE rows spread evenly over the data: counting every value of
    Fashion-MNIST's 60,000 images took 46 ms, a tenth of an epoch at batch 128, and 4,096 rows still
    4 ms, a tenth of an epoch on the 7,000-image MNIST sample; a share near RARE_BELOW is known to
    about ±1 % from 1,024 rows, which is all a speed decision needs. The judgement only decides
    speed: every feature is multiplied either way, in the block or from the lists.
    """
    n, features = x.shape
    if n == 0 or features == 0:
        return None
    # every k-th row: a view, where picking rows copied them (1.1 of the 2.1 ms this took on the MNIST
    # sample); counted as a sum of the comparison (count_nonzero along an axis was 3× slower)
    rows = x[::-(-n // SPLIT_SAMPLE)]
    used = np.add.reduce(rows != 0, axis=0, dtype=np.int64) / len(rows)
    rare = used < RARE_BELOW
    if float(np.sum(1 - used[rare] / RARE_BELOW)) < SPLIT_WORTH * features:
        return None
    if rare.all():  # keep one dense row: the block is never empty
        rare[np.argmax(used)] = False
    return Split(np.concatenate([np.flatnonzero(~rare), np.flatnonzero(rare)]),
                 features - int(np.count_nonzero(rare)), float(np.sum(used[rare])), rare)


class ColumnBatches:
    """Shuffle with `shuffle(order)`, then `get(step)` → (x, y, rare or None) in step order.

    A block returned by `get` is valid until the next `get` or `shuffle` (the buffer is reused); it
    is Fortran-ordered (each sample's column contiguous).

    Without a split, a block is features × B (the engine adds the bias apart). With one, row r < `dense` of a block holds feature `feature_order[r]`, and `get` also
    returns the batch's `RareInputs` (rare feature `feature_order[dense + i]` is row i of the engine's rare block of weights; when
    `bias` is set, row `features − dense` is the bias, fed by a listed 1 for every sample).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch: int, dtype: np.dtype, bias: bool = True,
                 width: int | None = None, list_rare: bool = True) -> None:
        """`bias`: whether the first layer has one (when split, fed by a listed 1 per sample); `width`: its neurons, given
        when training beside a window (the split then needs batches whose sparse products are long
        enough to let the window's thread take the GIL); `list_rare` False: never split (an engine that
        reads its inputs whole, such as a convolution's maps)."""
        n, features = x.shape
        split = rare_split(x) if list_rare else None
        if split is not None and width is not None and \
                min(batch, n) * (split.listed_per_sample + bias) * width < LISTED_WORK_AT_LEAST:
            split = None
        self.feature_order, self.dense = (split.order, split.dense) if split is not None else (None, features)
        if split is not None:
            # np.compress with a mask, not np.take or x[:, order]: keeping columns in their own order
            # is a run of short copies, 2.3× faster than a gather (3.2 against 7.1 ms for the MNIST
            # sample's dense 343 of 784; fancy indexing is slower still), and this set-up is part of
            # what a person waits for.
            self._make_rare_lists(x, split.rare, dtype, bias)
            x = np.compress(~split.rare, x, axis=1)
        self.x_all, self.y_all = x, y
        self.batch = batch
        self.steps = math.ceil(n / batch)
        self._full, rest = divmod(n, batch)
        # No row of ones: the engine adds the first layer's bias apart (or it is listed, when split),
        # so each sample is one contiguous row of the data, copied without a temporary.
        rows = features if self.feature_order is None else self.dense
        # The epoch is laid out a chunk of batches at a time, as the steps reach it, into one reused
        # buffer: no epoch-sized copy to allocate, fault in and fill before the first step (188 MB
        # for Fashion-MNIST), and each chunk is still in cache when its steps read it. Samples are
        # stored as rows (B × rows per batch); `get` hands out the transposes.
        self._per_chunk = max(1, min(self._full, CHUNK_SAMPLES // batch))
        self._chunk_x = np.empty((self._per_chunk * batch, rows), dtype)
        self._chunk_y = np.empty((self._per_chunk * batch, y.shape[1]), dtype)
        self._chunk_index = -1
        self._rest_x = np.empty((rest, rows), dtype) if rest else None
        self._rest_y = np.empty((rest, y.shape[1]), dtype) if rest else None
        self._order = np.arange(n)
        self._epoch: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def _make_rare_lists(self, x: np.ndarray, rare: np.ndarray, dtype: np.dtype, bias: bool) -> None:
        """Each sample's nonzero rare features (row numbers in the rare block) and values, then a 1
        for the bias row; stored one sample after another."""
        n, width = x.shape
        count = int(np.count_nonzero(rare))
        # Row-major, so grouped by sample as the lists are. Flat positions in the whole data, then
        # divided: no copy of the rare columns first (it cost more than the scan of the others), and
        # the two-dimensional np.nonzero took 8.9 ms on the MNIST sample, this 2.7 ms.
        used = x != 0
        used &= rare
        flat = np.flatnonzero(used)
        samples, columns = np.divmod(flat, max(width, 1))
        per_sample = np.bincount(samples, minlength=n) + int(bias)
        total = int(per_sample.sum())
        self._index = np.int32 if total < 2**31 and count < 2**31 else np.int64
        self.rare_rows = count + int(bias)
        self._starts = np.zeros(n + 1, np.int64)
        np.cumsum(per_sample, out=self._starts[1:])
        rare_row = np.cumsum(rare) - 1  # column → its row in the rare block
        self._features = np.empty(total, self._index)
        self._values = np.empty(total, dtype)
        where = np.arange(len(samples)) + (samples if bias else 0)  # each earlier sample's bias entry shifts by one
        self._features[where] = rare_row[columns]
        self._values[where] = x.reshape(-1)[flat]
        if bias:
            self._features[self._starts[1:] - 1] = count
            self._values[self._starts[1:] - 1] = 1

    def shuffle(self, order: np.ndarray) -> None:
        """Take this epoch's order (a permutation of the samples); batches are laid out as they are reached."""
        batch = self.batch
        self._order = order
        self._chunk_index = -1
        if self._rest_x is not None:
            picked = order[self._full * batch:]
            self._gather(picked, self._rest_x, self._rest_y)
        if self.feature_order is not None:  # the rare lists, one sample after another in this order
            lengths = np.diff(self._starts)[order]
            starts = np.zeros(len(order) + 1, self._index)
            np.cumsum(lengths, out=starts[1:])
            moved = np.repeat(self._starts[order] - starts[:-1], lengths) + np.arange(starts[-1])
            values = self._values[moved]
            self._epoch = (starts, self._features[moved], values, -values)

    def _gather(self, picked: np.ndarray, x_out: np.ndarray, y_out: np.ndarray) -> None:
        """Copy the picked samples' rows into x_out and y_out (contiguous), in one pass (mode="clip": an
        `out` is written directly, not through a temporary; every index is in range anyway)."""
        np.take(self.x_all, picked, axis=0, out=x_out, mode="clip")
        np.take(self.y_all, picked, axis=0, out=y_out, mode="clip")

    def _lay_out(self, chunk: int) -> None:
        """Write the rows of chunk `chunk` (consecutive batches of this epoch's order) into the buffer."""
        batch = self.batch
        start = chunk * self._per_chunk
        count = min(self._per_chunk, self._full - start)
        picked = self._order[start * batch:(start + count) * batch]
        self._gather(picked, self._chunk_x[:count * batch], self._chunk_y[:count * batch])
        self._chunk_index = chunk

    def get(self, step: int) -> tuple[np.ndarray, np.ndarray, RareInputs | None]:
        """Inputs, targets and, for split data, the batch's rare inputs."""
        if step < self._full:
            chunk, within = divmod(step, self._per_chunk)
            if chunk != self._chunk_index:
                self._lay_out(chunk)
            rows = slice(within * self.batch, (within + 1) * self.batch)
            x, y = self._chunk_x[rows].T, self._chunk_y[rows].T
        else:
            x, y = self._rest_x.T, self._rest_y.T
        rare = None
        if self._epoch is not None:
            starts, features, values, negated = self._epoch
            lo = step * self.batch
            rare = RareInputs(starts[lo:lo + x.shape[1] + 1], features, values, negated, self.rare_rows)
        return x, y, rare  # type: ignore[return-value]
