"""Typed access to parsed JSON where every failure names the field: the checks a `.nnstudio` file
(network_file.py) and a pasted layer (layer_clipboard.py) are read through.

Both are untrusted text, so both are read the same way: a value of the wrong kind, a number out of range
or not finite, a name nnstudio does not know, a value the precision cannot hold, each raises a
`NetworkFileError` whose message names the field (``layers[1].weights[0][2]: expected a number, got
text``). An expression a person typed (`"1/sqrt(2)"`) is evaluated with the safe parser and its text
kept, each distinct text once.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.expr import evaluate_number
from nnstudio.core.network import MAX_SIZE
from nnstudio.io.errors import NetworkFileError


class _Reader:
    """Typed access to parsed JSON; every failure names the field it was reading."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.evaluated: dict[str, float] = {}  # each distinct expression is evaluated once

    def fail(self, field: str, message: str) -> NetworkFileError:
        return NetworkFileError(message, field, self.source)

    @staticmethod
    def show(value: Any) -> str:
        """A value as a message quotes it: repr, cut to 40 characters (a 4,000-digit number stays one line)."""
        return shorten(repr(value), 40)

    def kind(self, value: Any) -> str:
        if value is None or isinstance(value, float) and math.isnan(value):  # NaN in a read file is null
            return "null"
        if isinstance(value, np.ndarray):  # a list of numbers, as bounded_json reads it
            return "a list"
        if isinstance(value, bool):
            return "true/false"
        return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}.get(
            type(value), type(value).__name__
        )

    def obj(self, value: Any, field: str, keys: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, f"expected an object, got {self.kind(value)}")
        unknown = sorted(set(value) - keys)
        if unknown:
            raise self.fail(f"{field}.{unknown[0]}" if field else unknown[0],
                            f"unknown field (expected one of: {', '.join(sorted(keys))})")
        for key in sorted(required):
            if key not in value:
                raise self.fail(f"{field}.{key}" if field else key, "missing")
        return value

    def list(self, value: Any, field: str, length: int | None = None) -> list[Any] | np.ndarray:
        """A list, or the array a list of numbers was read as (its items are then floats or rows)."""
        if not isinstance(value, (list, np.ndarray)) or isinstance(value, np.ndarray) and value.ndim == 0:
            raise self.fail(field, f"expected a list, got {self.kind(value)}")
        if length is not None and len(value) != length:
            raise self.fail(field, f"expected {length} entries, got {len(value)}")
        return value

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            raise self.fail(field, f"expected text, got {self.kind(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:  # JSON lets "\ud800" through; no file or terminal can hold it
            raise self.fail(field, f"holds an unpaired surrogate \\u{ord(value[error.start]):04x} at character "
                                   f"{error.start + 1}, which is not text") from None
        return value

    def size(self, value: Any, field: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(field, f"expected a whole number from 1 to {MAX_SIZE}, got {self.kind(value)}")
        if not 1 <= value <= MAX_SIZE:
            raise self.fail(field, f"expected a whole number from 1 to {MAX_SIZE}, got {self.show(value)}")
        return value

    def number(self, value: Any, field: str, minimum: float | None = None) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or isinstance(value, float) and \
                math.isnan(value):
            raise self.fail(field, f"expected a number, got {self.kind(value)}")
        try:
            result = float(value)
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            raise self.fail(field, "expected a finite number")
        if minimum is not None and result < minimum:
            raise self.fail(field, f"expected a number ≥ {minimum:g}, got {result:g}")
        return result

    def value(self, value: Any, field: str) -> tuple[float, str | None]:
        """A number, or an expression string evaluated with the safe parser (text kept)."""
        if isinstance(value, str):
            known = self.evaluated.get(value)
            if known is not None:
                return known, value
            try:
                known = self.evaluated[value] = evaluate_number(value)
            except NNStudioError as error:
                raise self.fail(field, f"invalid expression: {error}") from None
            return known, value
        return self.number(value, field), None

    def vector(self, value: Any, field: str, length: int,
               dtype: np.dtype = np.dtype(np.float64)) -> tuple[np.ndarray, tuple[str | None, ...]]:
        items = self.list(value, field, length)
        if isinstance(items, np.ndarray):  # plain numbers, read by numpy
            if items.ndim != 1:
                raise self.fail(f"{field}[0]", "expected a number, got a list")
            values = self.finite(items, field)
            self.fits(values, dtype, field)
            return values, (None,) * length
        pairs = [self.value(item, f"{field}[{i}]") for i, item in enumerate(items)]
        values = np.array([p[0] for p in pairs], dtype=float)
        self.fits(values, dtype, field)
        return values, tuple(p[1] for p in pairs)

    def finite(self, values: np.ndarray, field: str) -> np.ndarray:
        """An array read from the file's numbers, refused at its first null (NaN) or overflow (inf), by index."""
        finite = np.isfinite(values)
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            self.number(float(values[where]), f"{field}{''.join(f'[{i}]' for i in where)}")
        return values

    def fits(self, values: np.ndarray, dtype: np.dtype, field: str) -> None:
        """Refuse a value the file's precision cannot hold (1e300 in float32 would become inf)."""
        if np.dtype(dtype) == np.float64:
            return
        limit = float(np.finfo(dtype).max)
        if values.size == 0 or values.max() <= limit and values.min() >= -limit:  # no temporary array as large
            return
        too_large = np.abs(values) > limit
        if np.any(too_large):
            where = np.argwhere(too_large)[0]
            index = "".join(f"[{i}]" for i in where)
            raise self.fail(f"{field}{index}", f"{values[tuple(where)]:g} does not fit in {np.dtype(dtype)} "
                                               f"(limit ±{limit:.4g}); use precision float64")

    def choice(self, value: Any, field: str, known: list[str], resolve: Callable[[str], str] | None = None) -> str:
        """A name from `known` (or one `resolve` accepts, e.g. an alias)."""
        name = self.string(value, field)
        if name in known:
            return name
        if resolve is not None:
            try:
                return resolve(name)
            except NNStudioError:
                pass
        raise self.fail(field, f"unknown name {self.show(name)}; expected one of: {', '.join(known)}")


def text_cells(value: Any) -> Iterator[str]:
    """The strings (typed expressions) in a vector or a list of rows as parsed, whatever else it holds."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item
            elif isinstance(item, list):
                yield from (cell for cell in item if isinstance(cell, str))
