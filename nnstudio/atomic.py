"""Atomic saves: write a temporary file beside the target, then rename over it.

A crash or a full disk mid-save leaves the old file as it was, never half a file. A save
killed outright (SIGKILL, power loss) cannot remove its own temporary file, so each
temporary file carries the writer's process id (`.NAME.PID.RANDOM.tmp`) and the next save
of the same file removes those whose writer is gone.

Only a regular file or a new name is ever a target. A rename over a device node, a FIFO, a socket
or a symbolic link would replace that node itself (as root, `export … --out /dev/null` replaced
/dev/null with a file), so such a target is refused up front (`check_can_write`) and again right
before the rename (`atomic_write`), never replaced.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
import time
from pathlib import Path

from nnstudio.core.errors import NNStudioError

#: A temporary file without a process id (older nnstudio) is stale after this many seconds.
STALE_SECONDS = 3600.0


class OutputPathError(NNStudioError, ValueError):
    """A path a result cannot be saved to; said before any work is done, not after."""


def _not_regular(target: Path, info: os.stat_result) -> str | None:
    """What `target` is when it may not be written over (`info` from lstat), or None for a regular file."""
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "is a symbolic link" + ("" if os.path.exists(target) else " to nothing (dangling)")
    if stat.S_ISDIR(mode):
        return f"is a folder; give a file name, e.g. {target / 'trained.nnstudio'}"
    return ("is a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
            "is a character device" if stat.S_ISCHR(mode) else
            "is a block device" if stat.S_ISBLK(mode) else
            "is a socket" if stat.S_ISSOCK(mode) else "is not a regular file")


def check_target(path: str | os.PathLike[str]) -> None:
    """Refuse `path` unless it is a regular file (not a link to one) or does not exist yet.

    lstat, not stat: a symbolic link is judged as the link, which the rename would replace.
    """
    target = Path(path)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputPathError(f"{target}: cannot be looked at ({error.strerror or error})") from None
    what = _not_regular(target, info)
    if what is not None:
        if not stat.S_ISDIR(info.st_mode):
            what += "; give the name of a regular file or a new one"
        raise OutputPathError(f"{target}: {what}")


def check_can_write(path: str | os.PathLike[str]) -> None:
    """Refuse, up front, a target that is not a regular file or a new name (a folder, device, FIFO,
    socket or symbolic link), or that lies in a folder that is missing or read-only.

    Why before the work: `train --out FOLDER` used to train for minutes and then fail to save.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    check_target(target)
    if not folder.is_dir():
        raise OutputPathError(f"{target}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{target}: cannot write in the folder {folder} (permission denied)")


def open_regular_for_writing(path: str | os.PathLike[str], append: bool = False) -> int:
    """A write-only descriptor of the regular file `path` (created if missing), for the few files that are
    written in place (a download's partial file, the log): never a FIFO (which would block the open
    forever), a device or a file reached through a symbolic link. Truncated unless `append`."""
    target = Path(path)
    check_target(target)
    flags = (os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0) | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        fd = os.open(target, flags, 0o666)
    except OSError as error:  # a link or FIFO planted since the check: O_NOFOLLOW / O_NONBLOCK refuse it
        raise OutputPathError(f"{target}: cannot be written ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        what = _not_regular(target, info)
        if what is not None:
            raise OutputPathError(f"{target}: {what}; give the name of a regular file or a new one")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        if not append:
            os.ftruncate(fd, 0)  # only now: truncating at open would have emptied whatever it was
    except BaseException:
        os.close(fd)
        raise
    return fd


def _writer_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own save in another thread may be running
    if sys.platform == "win32":
        return False  # no safe liveness probe; the age rule below applies instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, owned by someone else
    return False


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove `.NAME.*.tmp` files beside `target` left by saves that were killed; return what was removed."""
    folder = target.parent if str(target.parent) else Path(".")
    prefix = f".{target.name}."
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")) or not entry.is_file(follow_symlinks=False):
            continue
        middle = name[len(prefix):-len(".tmp")]
        pid_text, _, rest = middle.partition(".")
        try:
            stale = (_writer_gone(int(pid_text)) if pid_text.isdigit() and rest
                     else time.time() - entry.stat().st_mtime > STALE_SECONDS)
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove: never fail a save over a leftover
    return removed


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a mix.

    Refuses (OutputPathError) a target that is not a regular file or a new name, whoever calls it.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    check_target(target)
    remove_stale_temporaries(target)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp_name, mode)
        check_target(target)  # again, just before the rename: a FIFO or link planted meanwhile is refused
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
