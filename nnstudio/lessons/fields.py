"""The one error a lesson file raises, and the readers of its JSON fields, each naming the field it reads.

Why a module of its own: the file's pages (lesson_file.py) and its checks (check_types.py) read fields the
same way, and a teacher's mistake must come back as the place it is at, `pages[2].task.checks[0].tolerance`,
with what was expected and what was there, never as a KeyError or a traceback.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping, Union

import numpy as np

from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.limits import MAX_LAYERS, MAX_SIZE

#: The longest title (of a lesson, a page or a task) and the longest hint or explanation, in characters.
MAX_TITLE = 200
MAX_NOTE = 2000
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: What a value check allows when the file gives no tolerance.
DEFAULT_TOLERANCE = 1e-6
#: An input given as this string is the network's current input (Project.input), not a list of numbers.
CURRENT = "current"
#: What a check's input is: the numbers it lists, or CURRENT.
Given = Union[tuple[float, ...], str]


class LessonFileError(NNStudioError, ValueError):
    """A lesson file that cannot be used: `field` names the place (`pages[3].task.checks[1].check`, `front
    matter: name`, `file`), `reason` says what was expected and what was found; `source` the file, if known."""

    def __init__(self, field: str, reason: str, source: str = "") -> None:
        self.field = field
        self.reason = reason
        self.source = source
        where = ": ".join(part for part in (source, field) if part)
        super().__init__(f"{where}: {reason}" if where else reason)


def shown(value: Any) -> str:
    """A value as the error shows it: JSON-like, cut to one short line (a hostile value stays harmless)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return shorten(text, 40)


def exact_keys(data: Any, field: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping:
    """`data` as an object with every `required` key and no key outside `required` + `optional`."""
    if not isinstance(data, dict):
        raise LessonFileError(field, f"expected a JSON object, got {shown(data)}")
    for key in required:
        if key not in data:
            raise LessonFileError(field, f"{key!r} is missing")
    allowed = required + optional
    for key in data:
        if key not in allowed:
            raise LessonFileError(f"{field}.{shorten(str(key), 30)}",
                                  f"unknown field; expected one of: {', '.join(allowed)}")
    return data


def text(value: Any, field: str, limit: int = MAX_TITLE, empty: bool = False) -> str:
    """A string of at most `limit` characters without control characters (a newline is allowed)."""
    if not isinstance(value, str):
        raise LessonFileError(field, f"expected text, got {shown(value)}")
    if not empty and not value.strip():
        raise LessonFileError(field, "expected text, got an empty string")
    if len(value) > limit:
        raise LessonFileError(field, f"holds {len(value):,} characters; at most {limit:,} are allowed")
    control = _CONTROL.search(value)
    if control:
        raise LessonFileError(field, f"holds the control character \\x{ord(control.group()):02x}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise LessonFileError(field, "holds a lone surrogate (half of a character)") from None
    return value


def choice(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise LessonFileError(field, f"expected one of: {', '.join(allowed)}; got {shown(value)}")
    return value


def number(value: Any, field: str, minimum: float | None = None) -> float:
    """A finite JSON number (not true/false), ≥ `minimum` when given."""
    expected = "a number" if minimum is None else f"a number ≥ {minimum:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LessonFileError(field, f"expected {expected}, got {shown(value)}")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result) or (minimum is not None and result < minimum):
        raise LessonFileError(field, f"expected {expected}, got {shown(value)}")
    return result


def whole(value: Any, field: str, minimum: int = 1, maximum: int = MAX_SIZE) -> int:
    """A whole JSON number from `minimum` to `maximum` (2.0 is taken as 2; 2.5 and true are not)."""
    if not isinstance(value, bool) and isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise LessonFileError(field, f"expected a whole number from {minimum} to {maximum:,}, got {shown(value)}")
    return value


def numbers(value: Any, field: str, limit: int = MAX_SIZE) -> tuple[float, ...]:
    """A non-empty list of at most `limit` finite numbers (a long list arrives as a float64 array)."""
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or not 0 < value.size <= limit or not np.all(np.isfinite(value)):
            raise LessonFileError(field, f"expected a list of 1 to {limit:,} finite numbers")
        return tuple(float(v) for v in value)
    if not isinstance(value, list) or not 0 < len(value) <= limit:
        raise LessonFileError(field, f"expected a list of 1 to {limit:,} numbers, got {shown(value)}")
    return tuple(number(item, f"{field}[{index}]") for index, item in enumerate(value))


def optional(data: Mapping, key: str, read: Any, field: str, *args: Any) -> Any:
    """`read(data[key], field.key, *args)`, or None when the key is absent."""
    return None if key not in data else read(data[key], f"{field}.{key}", *args)


def tolerance(data: Mapping, field: str) -> float:
    """A check's `tolerance` (≥ 0), DEFAULT_TOLERANCE when the file leaves it out."""
    found = optional(data, "tolerance", number, field, 0.0)
    return DEFAULT_TOLERANCE if found is None else found


def one_of(data: Mapping, field: str, keys: tuple[str, ...]) -> str:
    """The one of `keys` the check gives (`value`, `below` or `above`): none or two are refused."""
    present = [key for key in keys if key in data]
    if len(present) != 1:
        raise LessonFileError(field, f"expected exactly one of: {', '.join(keys)}; got "
                                     f"{', '.join(present) if present else 'none'}")
    return present[0]


def layer_number(data: Mapping, field: str) -> int:
    """A check's `layer`, counted from 1 as the canvas names it."""
    return whole(data["layer"], f"{field}.layer", 1, MAX_LAYERS)


def given(value: Any, field: str) -> Given:
    """An input: CURRENT, or a list of numbers (read as `numbers` reads it, with its messages)."""
    if isinstance(value, (list, np.ndarray)):
        return numbers(value, field)
    if value == CURRENT:
        return CURRENT
    raise LessonFileError(field, f'expected a list of 1 to {MAX_SIZE:,} numbers or "{CURRENT}", got {shown(value)}')
