"""Reading a file a person named, safely: regular files only, never more than a budget.

`Path.read_bytes()` on `/dev/zero` reads forever, on a FIFO it blocks until a writer comes,
and on a 600 MB file it reads everything before any size check can refuse it. Here the file
is opened without blocking, refused unless it is a regular file, and read with a cap: the
reader stops one byte past the budget, so the refusal costs at most the budget itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Callable

from nnstudio.core.limits import describe_bytes

ErrorFactory = Callable[[str], Exception]


def _refuse(error: ErrorFactory, path: Path, message: str) -> Exception:
    return error(f"{path}: {message}")


def open_regular(path: str | os.PathLike[str], error: ErrorFactory, what: str = "file") -> int:
    """A read-only descriptor of `path`, or `error(message)` if it is not a readable regular file.

    O_NONBLOCK keeps a FIFO from blocking the open; fstat on the open descriptor then decides,
    so the check and the read concern the same file.
    """
    p = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise _refuse(error, p, "no such file") from None
    except IsADirectoryError:
        raise _refuse(error, p, f"is a folder, not a {what}") from None
    except PermissionError:
        raise _refuse(error, p, "permission denied") from None
    except OSError as failure:
        raise _refuse(error, p, f"cannot be read ({failure.strerror or failure})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(error, p, f"is a folder, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            kind = ("a pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                    "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                    "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
            raise _refuse(error, p, f"is {kind}, not a {what}; only regular files are read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_size(path: str | os.PathLike[str], size: int, limit: int, error: ErrorFactory, what: str) -> None:
    """Refuse a file of `size` bytes above `limit`, naming both."""
    if size > limit:
        raise _refuse(error, Path(path),
                      f"is {describe_bytes(size)}; a {what} may be at most {describe_bytes(limit)}")


CHUNK = 2**20


def read_at_most(stream: BinaryIO, count: int) -> bytes:
    """Up to `count` bytes from `stream`, in chunks.

    Why chunks: `read(n)` on a buffered or gzip stream allocates n bytes before it reads, so a
    header that claims a gigabyte would cost a gigabyte even when the file holds 100 bytes.
    """
    parts = bytearray()
    while len(parts) < count:
        chunk = stream.read(min(CHUNK, count - len(parts)))
        if not chunk:
            break
        parts += chunk
    return bytes(parts)


def read_capped(path: str | os.PathLike[str], limit: int, error: ErrorFactory, what: str = "file") -> bytes:
    """The bytes of the regular file `path`, refused (without reading on) once they pass `limit`."""
    fd = open_regular(path, error, what)
    with os.fdopen(fd, "rb") as handle:
        check_size(path, os.fstat(handle.fileno()).st_size, limit, error, what)
        try:
            data = read_at_most(handle, limit + 1)
        except OSError as failure:
            raise _refuse(error, Path(path), f"cannot be read ({failure.strerror or failure})") from None
    check_size(path, len(data), limit, error, what)  # it grew while we read
    return data
