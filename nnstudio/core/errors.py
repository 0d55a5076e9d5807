"""Error types of the numeric core.

Every error names the thing that is wrong, so the UI and the CLI can show the
message as it is, without a traceback.
"""

from __future__ import annotations

import re


def shorten(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters with an ellipsis, so a hostile 1,000-character input stays one line."""
    return text if len(text) <= limit else text[:limit - 3] + "…"


#: Characters of one line written to a terminal (an error, a "saved …" line): a longer one is cut.
TERMINAL_LINE = 300
#: What a terminal would act on rather than show: C0 and C1 controls, DEL, bidirectional overrides
#: (which reorder what is shown), line and paragraph separators, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal_text(text: object, limit: int = TERMINAL_LINE) -> str:
    """`text` safe for a terminal: every control character shown as an escape (ESC as `\\x1b`), and at
    most `limit` characters, cut with an ellipsis.

    Why: file names and option values reach the terminal inside messages; a name holding ESC [ 31 m
    would recolour (or retitle, or worse) the person's terminal, and a 100,000-character value would
    be a 100,000-character "line". Only the first `limit` characters are looked at, so the cost is
    bounded whatever the length.
    """
    text = str(text)
    shown = _UNSAFE.sub(_visible, text[:limit])
    if len(shown) <= limit and len(text) <= limit:
        return shown
    pieces, length = [], 0
    for match in re.finditer(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])|.", shown, re.DOTALL):
        piece = match.group()
        if length + len(piece) > limit - 1:
            break
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces) + "…"


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
