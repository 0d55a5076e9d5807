"""The inputs that are rarely nonzero, multiplied as a sparse matrix, sample by sample.

Most of MNIST's pixels are zero in most images: 441 of 784 are nonzero in fewer than
one image in ten. Multiplying their rows of the first layer's weights densely costs
as much as multiplying the busiest pixels' rows. `ColumnBatches` therefore hands the
engine a batch in two parts: the often-nonzero inputs as a dense block (one BLAS
product), and for the rest only their nonzero values, listed per sample
(`RareInputs`). The two functions below do the sparse part of the first layer's two
products; each costs about nine times a dense multiply-add per number it touches, so
an input belongs here while fewer than about one sample in ten uses it.

The kernels are scipy's own sparse-matrix routines (`csr_matvecs`, `csc_matvecs`,
the inner loops of `scipy.sparse`'s matrix-times-dense product), called directly so
they add into the engine's arrays in place instead of allocating a new result each
step. They are internal to scipy; they are looked up once, checked on a small product
against numpy, and if they are missing or disagree the same sums are done with numpy
(slower, same numbers). They release the GIL while they run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RareInputs:
    """The nonzero rare inputs of one batch: sample s's are `features[starts[s]:starts[s + 1]]`
    with `values` alike (feature r = row r of the first layer's rare block of weights).

    `starts` has one entry per sample plus one and may begin anywhere in `features` (a
    batch's slice of a whole epoch's lists). `negated` is −values, for the plain-SGD update.
    Every feature must be below `rows`: scipy's loops do not check (`ColumnBatches` makes
    the lists, from the data's own shape).
    """

    starts: np.ndarray
    features: np.ndarray
    values: np.ndarray
    negated: np.ndarray
    rows: int  # rows of the rare block of weights (features, plus the bias row if the layer has one)

    @property
    def samples(self) -> int:
        return len(self.starts) - 1


Kernel = Callable[..., None]


def _numpy_kernels() -> tuple[Kernel, Kernel]:
    """The two sums in numpy: correct everywhere, several times slower than scipy's loops."""

    def entries(starts, n_samples):
        """The batch's slice of the lists, and the sample each of its entries belongs to."""
        return slice(starts[0], starts[-1]), np.repeat(np.arange(n_samples), np.diff(starts))

    def by_sample(n_samples, n_rows, width, starts, features, values, weights, out):
        picked, sample = entries(starts, n_samples)
        np.add.at(out.reshape(n_samples, width), sample,
                  weights.reshape(n_rows, width)[features[picked]] * values[picked, None])

    def by_feature(n_rows, n_samples, width, starts, features, values, delta, out):
        picked, sample = entries(starts, n_samples)
        np.add.at(out.reshape(n_rows, width), features[picked],
                  delta.reshape(n_samples, width)[sample] * values[picked, None])

    return by_sample, by_feature


def _scipy_kernels() -> tuple[Kernel, Kernel] | None:
    """scipy's csr_matvecs (Y += A·X, A by rows) and csc_matvecs (A by columns), if present
    and right on a small example; else None."""
    try:
        from scipy.sparse import _sparsetools as sparsetools

        kernels = (sparsetools.csr_matvecs, sparsetools.csc_matvecs)
        starts = np.array([0, 2, 3], np.int32)
        features = np.array([1, 0, 1], np.int32)
        values = np.array([2.0, 3.0, 5.0])
        weights = np.array([[1.0, 2.0], [10.0, 20.0]])
        out = np.ones((2, 2))
        kernels[0](2, 2, 2, starts, features, values, weights.ravel(), out.ravel())
        grad = np.ones((2, 2))
        kernels[1](2, 2, 2, starts, features, values, out.ravel(), grad.ravel())
    except Exception:  # noqa: BLE001 — anything wrong with an internal routine means: use numpy
        return None
    # by hand: sample 0 = 2·row1 + 3·row0 = (23, 46); sample 1 = 5·row1 = (50, 100), each + 1;
    # grad row0 = 1 + 3·out0, row1 = 1 + 2·out0 + 5·out1
    expected_out = np.array([[24.0, 47.0], [51.0, 101.0]])
    expected_grad = np.array([[73.0, 142.0], [304.0, 600.0]])
    if not (np.array_equal(out, expected_out) and np.array_equal(grad, expected_grad)):
        return None
    return kernels


_KERNELS = _scipy_kernels()
_BY_SAMPLE, _BY_FEATURE = _KERNELS or _numpy_kernels()
USES_SCIPY = _KERNELS is not None


def _check_output(array: np.ndarray, dtype: np.dtype) -> None:
    # A non-contiguous result would be written through a temporary copy (slow), so refuse it.
    if not array.flags.c_contiguous or array.dtype != dtype:
        raise ValueError("the result of a rare-input product must be C-contiguous and of the values' dtype")


def add_products(out_t: np.ndarray, rare: RareInputs, weights: np.ndarray) -> None:
    """out_tᵀ += Wᵀ·x for the rare inputs: out_t[s] += Σ values · weights[features] over sample s's
    list. out_t: samples × neurons; weights: rare rows × neurons (both C-contiguous)."""
    _check_output(out_t, rare.values.dtype)
    if not weights.flags.c_contiguous:
        raise ValueError("the rare block of weights must be C-contiguous")
    _BY_SAMPLE(rare.samples, rare.rows, out_t.shape[1], rare.starts, rare.features, rare.values,
               weights.ravel(), out_t.ravel())


def add_outer_products(out: np.ndarray, rare: RareInputs, delta_t: np.ndarray, values: np.ndarray) -> None:
    """out += x·δᵀ for the rare inputs: out[feature] += value · delta_t[s] for each entry of
    sample s. out: rare rows × neurons; delta_t: samples × neurons (both C-contiguous).
    `values` is `rare.values` (a gradient) or `rare.negated` (W −= x·δᵀ for plain SGD)."""
    _check_output(out, values.dtype)
    if not delta_t.flags.c_contiguous:
        raise ValueError("δ must be given samples × neurons, C-contiguous")
    _BY_FEATURE(rare.rows, rare.samples, out.shape[1], rare.starts, rare.features, values,
                delta_t.ravel(), out.ravel())
