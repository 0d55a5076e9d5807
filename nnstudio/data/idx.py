"""The IDX format of MNIST and Fashion-MNIST: read and write, gzip or raw.

Layout: two zero bytes, a type byte (0x08 = uint8 …), the number of dimensions,
then one big-endian uint32 per dimension, then the data, big-endian. Everything
is validated (magic, dimensions, exact file length) and any fault raises
`IdxError` naming the file and what is wrong.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from nnstudio.atomic import atomic_write
from nnstudio.core.errors import NNStudioError

TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODES = {np.dtype(v).newbyteorder("="): k for k, v in TYPES.items()}
MAX_BYTES = 2 * 1024**3


class IdxError(NNStudioError, ValueError):
    """An IDX file that cannot be read; the message names the file and the fault."""


def _raw_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IdxError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IdxError(f"{path}: is a folder, not an IDX file") from None
    except OSError as error:
        raise IdxError(f"{path}: cannot be read ({error.strerror or error})") from None
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise IdxError(f"{path}: broken gzip data ({error})") from None
    return data


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array held in IDX bytes (already decompressed)."""
    if len(data) < 4:
        raise IdxError(f"{source}: too short to be an IDX file ({len(data)} bytes)")
    zero1, zero2, code, ndim = data[0], data[1], data[2], data[3]
    if zero1 != 0 or zero2 != 0 or code not in TYPES:
        raise IdxError(f"{source}: bad magic number {data[:4].hex()} (expected 0000 then a type byte such as 08)")
    if ndim == 0:
        raise IdxError(f"{source}: has zero dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxError(f"{source}: header ends early (needs {header} bytes, file has {len(data)})")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = TYPES[code]
    count = int(np.prod(dims, dtype=np.int64))
    expected = header + count * dtype.itemsize
    if expected > MAX_BYTES:
        raise IdxError(f"{source}: claims {'×'.join(map(str, dims))} values, more than this program reads")
    if len(data) != expected:
        raise IdxError(f"{source}: the header says {'×'.join(map(str, dims))} values ({expected} bytes in all) "
                       f"but the file holds {len(data)} bytes")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a numpy array."""
    p = Path(path)
    return parse_idx(_raw_bytes(p), str(p))


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
