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

A training step repeats the same products on the same arrays, so the engine prepares each
one once (`Product`: routine, layout and arguments worked out when it is made)
and then only calls BLAS.

The ctypes road calls Intel's MKL when the optional `mkl` package is installed
(`pip install nnstudio[mkl]`; set NNSTUDIO_BLAS=openblas to leave it unused), else
the OpenBLAS that scipy exports for Cython (`scipy.linalg.cython_blas`). MKL is the
library PyTorch's CPU build uses; on an AMD EPYC the two ran this trainer within ±15 %
of each other, either one ahead (benchmarks/bench_train.py times both side by side).
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
# A product with a vector in it goes to ?gemv / ?ger from this many multiply-adds on (below it
# ?gemm is as fast, measured at 129 × 10, and the small products of batch 1 stay as they were).
VECTOR_ROUTINES_FROM = 1 << 16

# The Fortran routines, every argument by reference:
#   ?gemm: transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
#   ?gemv: trans, m, n, alpha, a, lda, x, incx, beta, y, incy
#   ?ger:  m, n, alpha, x, incx, y, incy, a, lda
_ARGUMENT_COUNTS = {"gemm": 13, "gemv": 11, "ger": 9}
_TYPES = {name: ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * count) for name, count in _ARGUMENT_COUNTS.items()}
_ROUTINE_NAMES = [(kind + name, name) for kind in "sd" for name in _ARGUMENT_COUNTS]  # ("sgemm", "gemm"), …


@dataclass(frozen=True)
class BlasLibrary:
    """The library that runs the large products, and its routines by BLAS name ("sgemm", "dger", …)."""

    name: str
    routines: dict[str, Callable[..., None]]


def _routines(name: str, addresses: dict[str, int]) -> BlasLibrary:
    """A library from its routines' addresses, by BLAS name."""
    shapes = dict(_ROUTINE_NAMES)
    return BlasLibrary(name, {routine: _TYPES[shapes[routine]](address) for routine, address in addresses.items()})


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
    addresses = {}
    for name, _ in _ROUTINE_NAMES:
        capsule = cython_blas.__pyx_capi__[name]  # type: ignore[attr-defined]
        addresses[name] = get_pointer(capsule, get_name(capsule))
    return _routines("OpenBLAS (scipy)", addresses)


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
        addresses = {name: ctypes.cast(getattr(library, name + "_"), ctypes.c_void_p).value
                     for name, _ in _ROUTINE_NAMES}
    except (OSError, AttributeError):
        return None
    return _routines(f"MKL {importlib.metadata.version('mkl')}", addresses)


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


def use(name: str) -> BlasLibrary:
    """Switch the library for large products: "openblas" or "mkl" (for benchmarks that compare
    them in one process). Raises LookupError when MKL is asked for and not installed."""
    global _LIBRARY
    chosen = _scipy_openblas() if name == "openblas" else _mkl() if name == "mkl" else None
    if chosen is None:
        raise LookupError(f"no BLAS library {name!r} here" + (" (pip install -e '.[mkl]')" if name == "mkl" else ""))
    with _LOADING:
        _LIBRARY = chosen
    return chosen


_TRANSPOSE = (ctypes.c_char(b"N"), ctypes.c_char(b"T"))
_TRANSPOSE_REFS = tuple(ctypes.byref(flag) for flag in _TRANSPOSE)
_ONE = ctypes.c_int(1)
_ONE_REF = ctypes.byref(_ONE)  # every vector's stride
_F2PY: dict[tuple[str, str], Any] = {}  # scipy's wrappers, by (routine, dtype char)
_BLAS_PREFIX = {"f": "s", "d": "d"}


def _f2py(name: str, like: np.ndarray) -> Any:
    routine = _F2PY.get((name, like.dtype.char))
    if routine is None:
        routine = _F2PY[name, like.dtype.char] = get_blas_funcs(name, (like,))
    return routine


def _library_routine(name: str, kind: str, *operands: np.ndarray) -> Callable[..., None]:
    if kind not in "fd" or any(operand.dtype.char != kind for operand in operands):
        raise ValueError("BLAS operands must all be float32 or all float64")
    return (_LIBRARY or library()).routines[_BLAS_PREFIX[kind] + name]


def _is_vector(array: np.ndarray) -> bool:
    """One row or one column, its numbers one after another (BLAS's stride-1 vector)."""
    return (array.shape[0] == 1 or array.shape[1] == 1) and (array.flags.c_contiguous or array.flags.f_contiguous)


def gemm(out: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float = 1.0, beta: float = 0.0,
         release_gil_from: int = RELEASE_GIL_FROM) -> None:
    """out ← alpha·a·b + beta·out, in place, once; out, a and b contiguous either way, all of one
    dtype (float32 or float64). Products of at least `release_gil_from` multiply-adds run without
    the GIL. A product made again and again is a `Product`, prepared once."""
    Product(out, a, b, alpha, beta, release_gil_from)()


def _route(out: np.ndarray, a: np.ndarray, b: np.ndarray, beta: float) -> str:
    """Which routine computes out ← α·a·b + β·out (out C-ordered): "gemv", "ger" or "gemm".

    A product with a vector in it — batch 1: z = W·a and W_nextᵀ·δ are matrix × vector,
    W −= a·δᵀ is a rank-one update — goes to ?gemv or ?ger: OpenBLAS's ?gemm is 2–10× slower on a
    vector than those (measured at 784–1024 neurons: 654 against 63 µs for z = W·a;
    benchmarks/bench_train.py's scaling table).
    """
    if out.size * a.shape[1] < VECTOR_ROUTINES_FROM:
        return "gemm"
    if out.shape[1] == 1 and _is_vector(b) and (a.flags.c_contiguous or a.flags.f_contiguous):
        return "gemv"
    if a.shape[1] == 1 and beta == 1.0 and _is_vector(a) and _is_vector(b):
        return "ger"
    return "gemm"


class Product:
    """One product a training step repeats, out ← α·a·b + β·out, with its call into BLAS prepared once.

    A step makes the same products on the same arrays every time. Working out each one's routine,
    layout and arguments on every call cost 5–10 µs a call on the ctypes road (measured: 784 → 128
    at batch 32, 104 µs against 94 µs called with prepared arguments, OpenBLAS; 85 against 78,
    MKL) — 5–10 % of a batch-32 step — and 1–2 µs on scipy's, a tenth of a batch-1 step on MNIST.
    A Product does that work when it is made; calling it only calls BLAS. Products of at least
    `release_gil_from` multiply-adds take the ctypes road into the library in use, which runs
    without the GIL; smaller ones scipy's wrappers (a few µs, no slower than a prepared ctypes
    call, measured), which hold it.

    `product()` computes with the arrays' present values. `product(a=x)` or `product(b=x)` uses
    another array in that operand's place for that call (a batch's inputs, which move each step); it must have
    the shape, strides and dtype of the one the Product was made with (checked: a wrong one would
    make BLAS read outside it). The Product keeps its arrays alive; the library is the one in use
    when it is made.
    """

    def __init__(self, out: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float = 1.0, beta: float = 0.0,
                 release_gil_from: int = RELEASE_GIL_FROM) -> None:
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or out.shape != (a.shape[0], b.shape[1]):
            raise ValueError(f"cannot multiply {a.shape} by {b.shape} into {out.shape}")
        self._operands = (out, a, b)  # kept alive: the ctypes road holds only their addresses
        self._shapes = {"a": (a.shape, a.strides), "b": (b.shape, b.strides)}
        self._dtype = out.dtype
        swapped = not out.flags.c_contiguous
        if swapped:
            if not out.flags.f_contiguous:
                raise ValueError("the result of a BLAS product must be a contiguous array")
            out, a, b = out.T, b.T, a.T  # out = a·b ⟺ outᵀ = bᵀ·aᵀ, and outᵀ is C-ordered
        route = _route(out, a, b, beta)
        if out.size * a.shape[1] < release_gil_from:
            routine, args, slots = _scipy_call(route, out, a, b, alpha, beta)
        else:
            routine, args, slots = _ctypes_call(route, out, a, b, alpha, beta)
        self._routine = routine
        self._args = args  # holds the ctypes values (or arrays) the call reads
        if swapped:  # the call's a is the caller's bᵀ and its b the caller's aᵀ
            slots = {"a": (slots["b"][0], lambda array, view=slots["b"][1]: view(array.T)),
                     "b": (slots["a"][0], lambda array, view=slots["a"][1]: view(array.T))}
        self._slots = slots  # the caller's operand → (its place among the arguments, what goes there for an array)

    def __call__(self, a: np.ndarray | None = None, b: np.ndarray | None = None) -> None:
        if a is None and b is None:
            self._routine(*self._args)
            return
        args = self._args.copy()  # a stand-in is for this call only: the Product keeps no pointer into it
        for name, array in (("a", a), ("b", b)):
            if array is not None:
                self._check(name, array)
                place, argument = self._slots[name]
                args[place] = argument(array)
        self._routine(*args)

    def _check(self, name: str, array: np.ndarray) -> None:
        if (array.shape, array.strides) != self._shapes[name] or array.dtype != self._dtype:
            shape, strides = self._shapes[name]
            raise ValueError(f"operand {name} must be {shape} with strides {strides} and dtype {self._dtype}, "
                             f"not {array.shape}, {array.strides}, {array.dtype}")


_Slots = dict[str, tuple[int, Callable[[np.ndarray], Any]]]


def _flat(array: np.ndarray) -> np.ndarray:
    return array.reshape(-1)


def _transposed(array: np.ndarray) -> np.ndarray:
    return array.T


def _itself(array: np.ndarray) -> np.ndarray:
    return array


def _scipy_call(route: str, out: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float,
                beta: float) -> tuple[Callable[..., Any], list[Any], _Slots]:
    """out (C-ordered) ← α·a·b + β·out as one call of scipy's wrapper (on outᵀ, Fortran-ordered, in
    place); per operand its place and the view of it passed. Positional, as keywords cost more
    than BLAS at batch 1: gemv (alpha, a, x, beta, y, offx, incx, offy, incy, trans, overwrite_y),
    ger (alpha, x, y, incx, incy, a, overwrite_x, overwrite_y, overwrite_a), gemm (alpha, a, b,
    beta, c, trans_a, trans_b, overwrite_c)."""
    if route == "gemv":
        matrix, transpose = (a, 0) if a.flags.f_contiguous else (a.T, 1)
        return (_f2py("gemv", out), [alpha, matrix, _flat(b), beta, _flat(out), 0, 1, 0, 1, transpose, 1],
                {"a": (1, _itself if transpose == 0 else _transposed), "b": (2, _flat)})
    if route == "ger":
        return (_f2py("ger", out), [alpha, _flat(b), _flat(a), 1, 1, out.T, 0, 0, 1],
                {"a": (2, _flat), "b": (1, _flat)})
    first, trans_first = _fortran(b)
    second, trans_second = _fortran(a)
    return (_f2py("gemm", out), [alpha, first, second, beta, out.T, trans_first, trans_second, 1],
            {"a": (2, _transposed if trans_second == 0 else _itself),
             "b": (1, _transposed if trans_first == 0 else _itself)})


def _ctypes_call(route: str, out: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float,
                 beta: float) -> tuple[Callable[..., Any], list[Any], _Slots]:
    """out (C-ordered) ← α·a·b + β·out as one ctypes call into the library in use, every argument
    made now; per operand its place (it goes there as its address)."""
    kind = out.dtype.char
    routine = _library_routine(route, kind, out, a, b)
    scalar = ctypes.c_float if kind == "f" else ctypes.c_double
    ref = ctypes.byref

    def ints(*values: int) -> list[Any]:
        return [ref(ctypes.c_int(value)) for value in values]

    if route == "gemv":
        matrix, transpose = (a, 0) if a.flags.f_contiguous else (a.T, 1)
        rows, cols = matrix.shape
        m, n, lda = ints(rows, cols, max(1, rows))
        args = [_TRANSPOSE_REFS[transpose], m, n, ref(scalar(alpha)), _address(matrix), lda,
                _address(b), _ONE_REF, ref(scalar(beta)), _address(out), _ONE_REF]
        places = {"a": 4, "b": 6}
    elif route == "ger":
        matrix = out.T
        rows, cols = matrix.shape
        m, n, lda = ints(rows, cols, max(1, rows))
        args = [m, n, ref(scalar(alpha)), _address(b), _ONE_REF, _address(a), _ONE_REF, _address(matrix), lda]
        places = {"a": 5, "b": 3}
    else:
        first, trans_first = _fortran(b)
        second, trans_second = _fortran(a)
        rows = out.shape[1]
        m, n, k, lda, ldb, ldc = ints(rows, out.shape[0], a.shape[1], max(1, first.shape[0]),
                                      max(1, second.shape[0]), max(1, rows))
        args = [_TRANSPOSE_REFS[trans_first], _TRANSPOSE_REFS[trans_second], m, n, k, ref(scalar(alpha)),
                _address(first), lda, _address(second), ldb, ref(scalar(beta)), _address(out), ldc]
        places = {"a": 8, "b": 6}
    return routine, args, {name: (place, _address) for name, place in places.items()}
