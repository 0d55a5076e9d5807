"""Download a file from mirrors in turn, verify its MD5, and only then give it its name.

The bytes go to `NAME.partial` beside the target; only a complete file with the
published checksum is renamed to NAME. A failed or cancelled download leaves no
file where a later run would trust it. A FIFO, device or symbolic link planted at
either name in the cache is refused, never written into or followed (nnstudio/atomic.py).
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Sequence

from nnstudio.atomic import (
    OutputPathError,
    check_can_write,
    check_target,
    open_regular_for_writing,
)
from nnstudio.core.errors import NNStudioError

Progress = Callable[[str, int, int | None], None]  # (file name, bytes so far, total or None)
CHUNK = 64 * 1024


class DownloadError(NNStudioError, OSError):
    """No mirror gave a complete, correct file; the message lists what each mirror did."""


class DownloadCancelled(NNStudioError):
    """The person cancelled the download."""


def _fetch(url: str, partial: Path, name: str, progress: Progress | None, timeout: float,
           cancelled: Callable[[], bool] | None) -> str:
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=timeout) as response, \
            os.fdopen(open_regular_for_writing(partial), "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        while True:
            if cancelled is not None and cancelled():
                raise DownloadCancelled(f"download of {name} cancelled")
            chunk = response.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(name, done, total)
        if total is not None and done != total:
            raise DownloadError(f"transfer ended after {done} of {total} bytes")
    return digest.hexdigest()


def download(urls: Sequence[str], target: str | os.PathLike[str], md5: str, progress: Progress | None = None,
             timeout: float = 30.0, cancelled: Callable[[], bool] | None = None) -> Path:
    """Fetch the first mirror that gives the right bytes into `target`; raise DownloadError if none does."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:  # before any byte is fetched: a planted FIFO, device or link is refused, not followed
        check_can_write(target)
        check_can_write(partial)
    except OutputPathError as error:
        raise DownloadError(str(error)) from None
    failures = []
    for url in urls:
        try:
            got = _fetch(url, partial, target.name, progress, timeout, cancelled)
            if got != md5:
                failures.append(f"{url}: wrong checksum (MD5 {got}, expected {md5})")
                continue
            check_target(target)  # again, just before the rename: planted meanwhile, it is refused, not replaced
            os.replace(partial, target)
            return target
        except DownloadCancelled:
            raise
        except OutputPathError as error:
            raise DownloadError(str(error)) from None
        except urllib.error.HTTPError as error:
            failures.append(f"{url}: server answered {error.code} {error.reason}")
        except (urllib.error.URLError, OSError, DownloadError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            failures.append(f"{url}: {reason}")
        finally:
            if partial.is_file() and not partial.is_symlink():
                partial.unlink()
    raise DownloadError(f"could not download {target.name}: " + "; ".join(failures))
