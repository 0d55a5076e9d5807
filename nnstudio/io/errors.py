"""The one error type that reading a network file raises, and its version twin."""

from __future__ import annotations

from nnstudio.core.errors import NNStudioError


class NetworkFileError(NNStudioError, ValueError):
    """A file could not be read as a network. The message names the file, the field and what was expected.

    Example: ``cosine.nnstudio: layers[1].weights: expected 1×3, got 1×2``.
    """

    def __init__(self, message: str, field: str = "", source: str = "") -> None:
        self.field = field
        self.source = source
        self.reason = message
        where = ": ".join(part for part in (source, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


class UnsupportedVersionError(NetworkFileError):
    """The file was written by a newer nnstudio (its format version is higher than ours)."""
