"""W −= A·Bᵀ in one BLAS call, with no gradient array in between.

numpy's matmul always writes a fresh result, so a plain SGD step would be two
passes over every weight matrix: write ∂L/∂W, then read it back to subtract it.
BLAS gemm computes C ← α·op(A)·op(B) + β·C; with β = 1 and α = −1 (the learning
rate already folded into δ) it updates W in place. scipy.linalg.blas is the
standard way to call it from Python; f2py passes Fortran-ordered views through
without copying, which is why every argument below is a transposed view of a
C-ordered array.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import get_blas_funcs


def subtract_product(weights: np.ndarray, inputs: np.ndarray, delta: np.ndarray) -> None:
    """weights (k × n) −= inputs (k × B) · deltaᵀ (B × n), in place. All three C-contiguous.

    Raises if BLAS could not work in place (which would mean a silent copy and a lost update).
    """
    gemm = get_blas_funcs("gemm", (weights,))
    target = weights.T  # Fortran-ordered (n × k): the layout gemm overwrites in place
    result = gemm(-1.0, delta.T, inputs.T, 1.0, target, trans_a=1, overwrite_c=1)
    if not np.shares_memory(result, weights):  # pragma: no cover - guards the layout assumptions above
        raise RuntimeError("BLAS gemm did not update the weights in place")
