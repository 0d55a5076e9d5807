"""Atomic saves: write a temporary file beside the target, then rename over it.

A crash or a full disk mid-save leaves the old file as it was, never half a file. A save
killed outright (SIGKILL, power loss) cannot remove its own temporary file, so each
temporary file carries the writer's process id (`.NAME.PID.RANDOM.tmp`) and the next save
of the same file removes those whose writer is gone.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from nnstudio.core.errors import NNStudioError

#: A temporary file without a process id (older nnstudio) is stale after this many seconds.
STALE_SECONDS = 3600.0


class OutputPathError(NNStudioError, ValueError):
    """A path a result cannot be saved to; said before any work is done, not after."""


def check_can_write(path: str | os.PathLike[str]) -> None:
    """Refuse, up front, a target that is a folder or lies in a folder that is missing or read-only.

    Why before the work: `train --out FOLDER` used to train for minutes and then fail to save.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise OutputPathError(f"{target}: is a folder; give a file name, e.g. {target / 'trained.nnstudio'}")
    if not folder.is_dir():
        raise OutputPathError(f"{target}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{target}: cannot write in the folder {folder} (permission denied)")


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
    """Write `data` to `path` so that readers see the old file or the new one, never a mix."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
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
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
