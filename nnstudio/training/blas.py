"""Matrix products written straight into preallocated arrays, W −= A·Bᵀ without a gradient array.

numpy's matmul cannot accumulate, so a plain SGD step would be two passes over every
weight matrix: write ∂L/∂W, then read it back to subtract it. BLAS gemm computes
C ← α·op(A)·op(B) + β·C; with β = 1 and α = −1 (the learning rate already folded
into δ) it updates W in place. scipy.linalg.blas is the standard way to call it from
Python.

Every product of a training step goes through here, not some through numpy: numpy
and scipy each bring their own OpenBLAS, and with more than one thread the two
libraries' idle worker threads spin against each other (measured: 25× slower with
two threads when products alternated between them).

f2py hands Fortran-ordered arrays to BLAS without copying; a C-ordered matrix is a
Fortran-ordered view of its transpose, so each argument is passed as whichever of
the two is Fortran-ordered, with the matching transpose flag.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import get_blas_funcs


def _fortran(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """`matrix`ᵀ as (a Fortran-ordered array, transpose flag) for BLAS."""
    if matrix.flags.c_contiguous:
        return matrix.T, 0
    if matrix.flags.f_contiguous:
        return matrix, 1
    raise ValueError("BLAS operands must be contiguous (C or Fortran order)")


_ROUTINES: dict[str, object] = {}


def gemm(out: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> None:
    """out ← alpha·a·b + beta·out, in place; `out` C-contiguous, a and b contiguous either way.

    Computed as outᵀ = bᵀ·aᵀ, which is the Fortran-ordered view of `out`. (That BLAS really
    writes into `out` for every layout is checked by the tests, not on each call: this runs
    tens of thousands of times a second at batch 1.)
    """
    if not out.flags.c_contiguous:
        raise ValueError("the result of a BLAS product must be a C-contiguous array")
    routine = _ROUTINES.get(out.dtype.char)
    if routine is None:
        routine = _ROUTINES[out.dtype.char] = get_blas_funcs("gemm", (out,))
    first, trans_first = _fortran(b)
    second, trans_second = _fortran(a)
    # positional (alpha, a, b, beta, c, trans_a, trans_b, overwrite_c): keywords cost more than BLAS at batch 1
    routine(alpha, first, second, beta, out.T, trans_first, trans_second, 1)  # type: ignore[operator]
