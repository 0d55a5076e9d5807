"""Pictures the window saves (the canvas as PNG or SVG, the training plot as PNG), written as every
other output is: the target checked first, then the bytes written atomically (nnstudio/atomic.py).

Why not `QImage.save(path)` or `QSvgGenerator.setFileName(path)`: Qt opens the path itself and writes
into whatever is there, so a FIFO blocked the window forever, a device node was written to, and a
symbolic link was followed. Here Qt draws into memory and only `atomic_write` touches the disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage, QPixmap

from nnstudio.atomic import atomic_write, check_can_write
from nnstudio.core.errors import NNStudioError


class PictureError(NNStudioError):
    """Qt could not encode the picture (out of memory, a format plug-in missing)."""


def _bytes_of(write: Callable[[QBuffer], bool]) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = write(buffer)
    buffer.close()
    if not ok:
        raise PictureError("the picture could not be encoded")
    return bytes(data.data())


def save_picture(path: str | os.PathLike[str], image: QImage | QPixmap, file_format: str = "PNG") -> None:
    """Write `image` to `path` as `file_format`; OutputPathError (before anything is encoded) for a target
    that is not a regular file or a new name, OSError for a disk that refuses."""
    check_can_write(path)
    atomic_write(path, _bytes_of(lambda buffer: image.save(buffer, file_format)))


def save_drawing(path: str | os.PathLike[str], draw: Callable[[QBuffer], bool]) -> None:
    """Write what `draw(buffer)` draws into an in-memory buffer (an SVG generator's output device) to `path`,
    after the same check as `save_picture`; `draw` returns False when it could not draw."""
    check_can_write(path)
    atomic_write(path, _bytes_of(draw))
