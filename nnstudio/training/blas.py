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

Two ways into BLAS: scipy's f2py wrapper holds the GIL while BLAS runs, which
starved the window's thread during training (event-loop p99 went from ~20 to
~32 ms); a ctypes call into a Fortran ?gemm releases it, but costs a few µs more
per call. Large products take the ctypes road, small ones (batch 1) the cheap one.

The ctypes road calls Intel's MKL when the optional `mkl` package is installed
(`pip install nnstudio[mkl]`; set NNSTUDIO_BLAS=openblas to leave it unused), else
the OpenBLAS that scipy exports for Cython (`scipy.linalg.cython_blas`). On Intel
CPUs MKL runs this trainer's products 10–25 % faster (benchmarks/bench_train.py
prints which library ran); it is the library PyTorch's CPU build uses.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from scipy.linalg.blas import get_blas_funcs

# Products of at least this many multiply-adds run without the GIL (≈ 10 µs of BLAS and up).
RELEASE_GIL_FROM = 1 << 20

# Fortran ?gemm: transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc — all by reference.
_GEMM_TYPE = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 13)


@dataclass(frozen=True)
class BlasLibrary:
    """The library that runs the large products, and its two gemm routines."""

    name: str
    routines: dict[str, Callable[..., None]]  # numpy dtype char ("f", "d") → ?gemm


def _fortran(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """`matrix`ᵀ as (a Fortran-ordered array, transpose flag) for BLAS."""
    if matrix.flags.c_contiguous:
        return matrix.T, 0
    if matrix.flags.f_contiguous:
        return matrix, 1
    raise ValueError("BLAS operands must be contiguous (C or Fortran order)")


def _scipy_openblas() -> BlasLibrary:
    """The Fortran ?gemm scipy exports for Cython, as ctypes functions."""
    import scipy.linalg.cython_blas as cython_blas

    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    routines = {}
    for kind, name in (("f", "sgemm"), ("d", "dgemm")):
        capsule = cython_blas.__pyx_capi__[name]  # type: ignore[attr-defined]
        routines[kind] = _GEMM_TYPE(get_pointer(capsule, get_name(capsule)))
    return BlasLibrary("OpenBLAS (scipy)", routines)


def _mkl_path() -> Path | None:
    """Where pip put MKL's single dynamic library, if the `mkl` package is installed."""
    try:
        files = importlib.metadata.files("mkl") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name.startswith(("libmkl_rt.", "mkl_rt.")):
            return Path(str(file.locate()))
    return None


def _mkl() -> BlasLibrary | None:
    """MKL's ?gemm, with 32-bit integers (its default LP64 interface, which the calls assume)."""
    path = _mkl_path()
    if path is None or not path.exists():
        return None
    try:
        library = ctypes.CDLL(str(path))
        library.MKL_Set_Interface_Layer.restype = ctypes.c_int  # the C interface (the lower-case names are Fortran's)
        if library.MKL_Set_Interface_Layer(ctypes.c_int(0)) != 0:  # 0 = LP64; refused if MKL runs ILP64
            return None
        routines = {kind: _GEMM_TYPE(ctypes.cast(getattr(library, name), ctypes.c_void_p).value)
                    for kind, name in (("f", "sgemm_"), ("d", "dgemm_"))}
    except (OSError, AttributeError):
        return None
    return BlasLibrary(f"MKL {importlib.metadata.version('mkl')}", routines)


_BYTE = ctypes.c_char


def _address(matrix: np.ndarray) -> int:
    """Where a contiguous matrix's data starts. ctypes' `from_buffer` finds it in a third of the
    time `.ctypes.data` takes (it only takes writable C-ordered data, hence the fallback)."""
    try:
        return ctypes.addressof(_BYTE.from_buffer(matrix if matrix.flags.c_contiguous else matrix.T))
    except (TypeError, ValueError, BufferError):
        return matrix.ctypes.data


_LIBRARY: BlasLibrary | None = None
_LOADING = threading.Lock()


def library() -> BlasLibrary:
    """The library for large products, loaded once. Call it before limiting BLAS threads
    (threadpoolctl limits only the libraries already loaded)."""
    global _LIBRARY
    if _LIBRARY is None:
        with _LOADING:
            if _LIBRARY is None:
                wanted = os.environ.get("NNSTUDIO_BLAS", "").strip().lower()
                _LIBRARY = (None if wanted == "openblas" else _mkl()) or _scipy_openblas()
    return _LIBRARY


class _Arguments(threading.local):
    """The ctypes scalars of one call, made once per thread and refilled on every call
    (making thirteen new ones each time cost more than a mid-sized product)."""

    def __init__(self) -> None:
        self.ints = [ctypes.c_int() for _ in range(6)]  # m, n, k, lda, ldb, ldc
        self.int_refs = [ctypes.byref(value) for value in self.ints]
        self.scalars = {"f": (ctypes.c_float(), ctypes.c_float()), "d": (ctypes.c_double(), ctypes.c_double())}
        self.scalar_refs = {kind: tuple(ctypes.byref(value) for value in pair) for kind, pair in self.scalars.items()}


_ARGUMENTS = _Arguments()
_TRANSPOSE = (ctypes.c_char(b"N"), ctypes.c_char(b"T"))
_TRANSPOSE_REFS = tuple(ctypes.byref(flag) for flag in _TRANSPOSE)
_ROUTINES: dict[str, Any] = {}


def gemm(out: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float = 1.0, beta: float = 0.0,
         release_gil_from: int = RELEASE_GIL_FROM) -> None:
    """out ← alpha·a·b + beta·out, in place; out, a and b contiguous either way, all of one dtype
    (float32 or float64). Products of at least `release_gil_from` multiply-adds run without the GIL.

    Computed as outᵀ = bᵀ·aᵀ, which is the Fortran-ordered view of `out`. (That BLAS really
    writes into `out` for every layout is checked by the tests, not on each call: this runs
    tens of thousands of times a second at batch 1.)
    """
    if not out.flags.c_contiguous:
        if not out.flags.f_contiguous:
            raise ValueError("the result of a BLAS product must be a contiguous array")
        out, a, b = out.T, b.T, a.T  # out = a·b ⟺ outᵀ = bᵀ·aᵀ, and outᵀ is C-ordered
    first, trans_first = _fortran(b)
    second, trans_second = _fortran(a)
    kind = out.dtype.char
    rows, cols = out.shape[1], out.shape[0]  # of outᵀ
    inner = a.shape[1]
    if rows * cols * inner >= release_gil_from:
        if not (a.dtype.char == b.dtype.char == kind and kind in "fd"):
            raise ValueError("BLAS operands must all be float32 or all float64")
        routine = (_LIBRARY or library()).routines[kind]
        args = _ARGUMENTS
        m, n, k, lda, ldb, ldc = args.ints
        m.value, n.value, k.value = rows, cols, inner
        lda.value, ldb.value, ldc.value = max(1, first.shape[0]), max(1, second.shape[0]), max(1, rows)
        alpha_value, beta_value = args.scalars[kind]
        alpha_value.value, beta_value.value = alpha, beta
        refs, (alpha_ref, beta_ref) = args.int_refs, args.scalar_refs[kind]
        routine(_TRANSPOSE_REFS[trans_first], _TRANSPOSE_REFS[trans_second], refs[0], refs[1], refs[2], alpha_ref,
                _address(first), refs[3], _address(second), refs[4], beta_ref, _address(out), refs[5])
        return
    routine = _ROUTINES.get(kind)
    if routine is None:
        routine = _ROUTINES[kind] = get_blas_funcs("gemm", (out,))
    # positional (alpha, a, b, beta, c, trans_a, trans_b, overwrite_c): keywords cost more than BLAS at batch 1
    routine(alpha, first, second, beta, out.T, trans_first, trans_second, 1)
