"""What the two network-file fuzz campaigns (dense and convolutional) share: the textual damage done to a file's
bytes, what a value that may be replaced looks like, and what a refusal must say."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from nnstudio.io import NetworkFileError

# Refusals about the file as a whole (it is not UTF-8 or JSON at all): there is no field to name.
FILE_LEVEL = ("not valid UTF-8", "not valid JSON", "NaN is not allowed", "Infinity is not allowed",
              "-Infinity is not allowed", "JSON nested too deeply")


def is_number(value: Any) -> bool:
    """A number or text where a number goes (an expression): what a values-only mutation replaces."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or isinstance(value, str)


def garble(draw: st.DrawFn, raw: bytes, kinds: list[str]) -> bytes:
    """`raw` with one of `kinds` of damage drawn: "none", "truncate", "flip" (a byte), "insert" (bytes),
    "digits" (a version of thousands of digits) or "nan" (a NaN token)."""
    textual = draw(st.sampled_from(kinds))
    if textual == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif textual == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    elif textual == "insert":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    elif textual == "digits":
        raw = raw.replace(b'"version": 1', b'"version": ' + b"7" * draw(st.integers(4000, 6000)), 1)
    elif textual == "nan":
        raw = raw.replace(b"0", b"NaN", 1)
    return raw


def assert_refused_by_name(error: NetworkFileError, source: str) -> None:
    """A refusal names the file and, past parsing, its field (layers[1].weights[0][2], samples[3].name, …), in
    one short line."""
    assert str(error).startswith(f"{source}: ") and error.reason, str(error)
    assert error.field or error.reason.startswith(FILE_LEVEL), str(error)
    assert len(str(error)) < 400, str(error)
