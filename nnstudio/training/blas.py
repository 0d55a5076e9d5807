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

BLAS wants Fortran-ordered arrays; a C-ordered matrix is a Fortran-ordered view of
its transpose, so each argument is passed as whichever of the two is Fortran-ordered,
with the matching transpose flag, and nothing is copied.

Two ways into the same BLAS: scipy's f2py wrapper holds the GIL while BLAS runs,
which starved the window's thread during training (event-loop p99 went from ~20 to
~32 ms); a ctypes call to the routine scipy exports for Cython
(`scipy.linalg.cython_blas`) releases it, but costs ~10 µs more per call. Large
products take the ctypes road, small ones (batch 1) the cheap one.
"""

from __future__ import annotations

import ctypes
from typing import Any, Callable

import numpy as np
from scipy.linalg.blas import get_blas_funcs

# Products of at least this many multiply-adds run without the GIL (≈ 10 µs of BLAS and up).
RELEASE_GIL_FROM = 1 << 20


def _fortran(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """`matrix`ᵀ as (a Fortran-ordered array, transpose flag) for BLAS."""
    if matrix.flags.c_contiguous:
        return matrix.T, 0
    if matrix.flags.f_contiguous:
        return matrix, 1
    raise ValueError("BLAS operands must be contiguous (C or Fortran order)")


_ROUTINES: dict[str, Any] = {}
_UNLOCKED: dict[str, Callable[..., None]] = {}
_SCALARS = {"f": ctypes.c_float, "d": ctypes.c_double}


def _unlocked_gemm(kind: str) -> Callable[..., None]:
    """The Fortran ?gemm scipy exports for Cython, callable through ctypes (which drops the GIL)."""
    if kind not in _UNLOCKED:
        import scipy.linalg.cython_blas as cython_blas

        capsule = cython_blas.__pyx_capi__[f"{'s' if kind == 'f' else 'd'}gemm"]  # type: ignore[attr-defined]
        get_name = ctypes.pythonapi.PyCapsule_GetName
        get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
        get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        address = get_pointer(capsule, get_name(capsule))
        _UNLOCKED[kind] = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 13)(address)
    return _UNLOCKED[kind]


def gemm(out: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> None:
    """out ← alpha·a·b + beta·out, in place; `out` C-contiguous, a and b contiguous either way,
    all of one dtype (float32 or float64).

    Computed as outᵀ = bᵀ·aᵀ, which is the Fortran-ordered view of `out`. (That BLAS really
    writes into `out` for every layout is checked by the tests, not on each call: this runs
    tens of thousands of times a second at batch 1.)
    """
    if not out.flags.c_contiguous:
        raise ValueError("the result of a BLAS product must be a C-contiguous array")
    first, trans_first = _fortran(b)
    second, trans_second = _fortran(a)
    kind = out.dtype.char
    rows, cols = out.shape[1], out.shape[0]  # of outᵀ
    inner = a.shape[1]
    if rows * cols * inner >= RELEASE_GIL_FROM:
        if not (a.dtype.char == b.dtype.char == kind and kind in _SCALARS):
            raise ValueError("BLAS operands must all be float32 or all float64")
        scalar, byref = _SCALARS[kind], ctypes.byref
        _unlocked_gemm(kind)(
            byref(ctypes.c_char(b"T" if trans_first else b"N")), byref(ctypes.c_char(b"T" if trans_second else b"N")),
            byref(ctypes.c_int(rows)), byref(ctypes.c_int(cols)), byref(ctypes.c_int(inner)),
            byref(scalar(alpha)), first.ctypes.data, byref(ctypes.c_int(max(1, first.shape[0]))),
            second.ctypes.data, byref(ctypes.c_int(max(1, second.shape[0]))),
            byref(scalar(beta)), out.ctypes.data, byref(ctypes.c_int(max(1, rows))))
        return
    routine = _ROUTINES.get(kind)
    if routine is None:
        routine = _ROUTINES[kind] = get_blas_funcs("gemm", (out,))
    # positional (alpha, a, b, beta, c, trans_a, trans_b, overwrite_c): keywords cost more than BLAS at batch 1
    routine(alpha, first, second, beta, out.T, trans_first, trans_second, 1)
