"""Error types of the numeric core.

Every error names the thing that is wrong, so the UI and the CLI can show the
message as it is, without a traceback.
"""

from __future__ import annotations


def shorten(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters with an ellipsis, so a hostile 1,000-character input stays one line."""
    return text if len(text) <= limit else text[:limit - 3] + "…"


class NNStudioError(Exception):
    """Base of every error nnstudio raises on purpose (bad input, not a bug)."""


class ExpressionError(NNStudioError, ValueError):
    """A number typed by a person could not be read.

    `position` is the 0-based character offset of the fault in `text`, so an
    editor can put the cursor there.
    """

    def __init__(self, message: str, text: str, position: int) -> None:
        self.reason = message
        self.text = text
        self.position = position
        super().__init__(f"{message} at position {position + 1} of {shorten(text)!r}")


class ShapeError(NNStudioError, ValueError):
    """An array does not have the shape the network needs."""


class UnknownNameError(NNStudioError, KeyError):
    """A name (activation, loss, optimiser, initialiser) is not in its registry."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = known
        super().__init__(f"unknown {kind} {name!r}; expected one of: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would quote the whole message otherwise
        return str(self.args[0])


class LossError(NNStudioError, ValueError):
    """A loss that nnstudio refuses to compute, named: a target outside the loss's domain (binary
    cross-entropy of −1), an output activation the loss cannot take (cross-entropy after ReLU), or
    no target at all. See docs/losses.md for the whole table."""
