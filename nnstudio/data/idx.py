"""The IDX format of MNIST and Fashion-MNIST: read and write, gzip or raw.

Layout: two zero bytes, a type byte (0x08 = uint8 …), the number of dimensions,
then one big-endian uint32 per dimension, then the data, big-endian. Everything
is validated (magic, dimensions, exact file length) and any fault raises
`IdxError` naming the file and what is wrong.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from nnstudio.atomic import atomic_write
from nnstudio.data.dataset import DatasetError
from nnstudio.core.limits import IDX_BYTES, describe_bytes
from nnstudio.io.reading import check_size, open_regular, read_at_most

TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODES = {np.dtype(v).newbyteorder("="): k for k, v in TYPES.items()}
MAX_BYTES = IDX_BYTES
_GZIP_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)


class IdxError(DatasetError):
    """An IDX file that cannot be read; the message names the file and the fault (a DatasetError, as for CSV)."""


def _shape(dims: tuple[int, ...]) -> str:
    """60000×28×28; a hostile header's 70 dimensions are cut short so the message stays one line."""
    if len(dims) <= 6:
        return "×".join(map(str, dims))
    return "×".join(map(str, dims[:4])) + f"×… ({len(dims)} dimensions)"


def _header(read: Callable[[int], bytes], source: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, dimensions, header length) from the first bytes; refuses a header over the budget."""
    head = read(4)
    if len(head) < 4:
        raise IdxError(f"{source}: too short to be an IDX file ({len(head)} bytes)")
    zero1, zero2, code, ndim = head[0], head[1], head[2], head[3]
    if zero1 != 0 or zero2 != 0 or code not in TYPES:
        raise IdxError(f"{source}: bad magic number {head.hex()} (expected 0000 then a type byte such as 08)")
    if ndim == 0:
        raise IdxError(f"{source}: has zero dimensions")
    raw_dims = read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise IdxError(f"{source}: header ends early (needs {4 + 4 * ndim} bytes, file has {4 + len(raw_dims)})")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    dtype = TYPES[code]
    payload = math.prod(dims) * dtype.itemsize  # Python integers: a product cannot wrap
    if 4 + 4 * ndim + payload > MAX_BYTES:
        raise IdxError(f"{source}: the header claims {_shape(dims)} values "
                       f"({describe_bytes(payload)}); an IDX file may hold at most {describe_bytes(MAX_BYTES)}")
    # Each dimension on its own too: 0 × 4294967295 holds nothing, so the product passes, but numpy
    # refuses to shape it ("array is too big"). Found by the fuzz tests under a newer hypothesis.
    if max(dims) * dtype.itemsize > MAX_BYTES:
        raise IdxError(f"{source}: the header claims {_shape(dims)} values; a dimension of {max(dims):,} is more "
                       f"than an IDX file of at most {describe_bytes(MAX_BYTES)} can hold")
    return dtype, dims, 4 + 4 * ndim


def _array(data: bytes, dtype: np.dtype, dims: tuple[int, ...], offset: int) -> np.ndarray:
    count = math.prod(dims)
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


def _mismatch(source: str, dims: tuple[int, ...], expected: int, held: str) -> IdxError:
    return IdxError(f"{source}: the header says {_shape(dims)} values ({expected} bytes in all) "
                    f"but the file holds {held} bytes")


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a numpy array.

    The header is read first and the declared size checked against the budget and against
    the file before the values are read; gzip data is inflated as a stream, never past the
    size the header declares (so a small member that inflates to gigabytes costs nothing).
    """
    p = Path(path)
    source = str(p)
    fd = open_regular(p, IdxError, "IDX file")
    with os.fdopen(fd, "rb") as handle:
        stored = os.fstat(handle.fileno()).st_size
        check_size(p, stored, MAX_BYTES, IdxError, "IDX file")
        compressed = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=handle, mode="rb") if compressed else handle  # type: ignore[assignment]
        try:
            dtype, dims, header = _header(stream.read, source)
            payload = math.prod(dims) * dtype.itemsize
            if not compressed and stored != header + payload:
                raise _mismatch(source, dims, header + payload, str(stored))
            body = read_at_most(stream, payload)
            if len(body) < payload:
                raise _mismatch(source, dims, header + payload, f"only {header + len(body)}")
            if stream.read(1):
                raise _mismatch(source, dims, header + payload, "more")
        except _GZIP_ERRORS as error:
            raise IdxError(f"{source}: broken gzip data ({error})") from None
    return _array(body, dtype, dims, 0)


def write_idx(path: str | os.PathLike[str], array: np.ndarray, compress: bool | None = None) -> None:
    """Write `array` as IDX; gzip when `compress` (default: when the name ends in .gz). Atomic."""
    a = np.asarray(array)
    code = CODES.get(a.dtype.newbyteorder("="))
    if code is None:
        raise IdxError(f"IDX cannot hold {a.dtype} values")
    payload = bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    payload += a.astype(TYPES[code], copy=False).tobytes()
    if compress if compress is not None else str(path).endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    atomic_write(path, payload)
