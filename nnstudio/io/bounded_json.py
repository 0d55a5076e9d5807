"""Reading JSON at a cost its size allows: refused, naming the figures, before a parse could pass the budget.

Why: `json.loads` builds a Python object for every value, and small values cost far more than their text.
`[],` is 3 bytes of text and 64 bytes parsed (an empty list and the slot that holds it); `0.5,` is 4 bytes
and 32 parsed (a float and its slot); `{"a":1},` is 8 and 220. The whole file was parsed before any field
was checked, so 20 MB of `[],` under an unknown key peaked at 581 MB, and 200 MB ended in MemoryError.

How, in five steps; nothing large is allocated before the figures are checked:

1. **Lists of numbers are found.** A file holding more lists than the budget allows is refused from a count
   of its brackets. A regular expression then finds the lists made only of what numbers are written with
   (digits, signs, points, exponents, commas, blanks and `null`) outside strings: rows of at least
   MIN_NUMBERS numbers, and tables of rows of equal length (weight matrices, run records), counted by
   their commas. Each is replaced in the text by a string placeholder carrying a random nonce, which no
   file can guess; their numbers are counted against the budget.
2. **The rest is counted and costed.** What remains — the skeleton: keys, text, small lists — is counted
   outside strings (lists, objects, values, members, strings and their bytes), and what `json.loads` would
   allocate for it is estimated from the costs measured on CPython (the `*_COST` constants, each an upper
   bound of what one item took under tracemalloc). With the arrays the lists of numbers will take, a file
   whose reading would pass the budget is refused, naming the figures, before anything is parsed.
3. **The lists of numbers are read** a piece of about PIECE bytes at a time: json.loads parses the piece
   (and so refuses what is not JSON, such as `01`, `.5` or `+1`, naming its line and column) and numpy
   makes it part of a read-only float64 array at once: 8 bytes a number where Python takes 32, and the
   Python objects live for one piece only. `null` becomes NaN, so NaN in a result means null (JSON has
   no NaN).
4. **The skeleton is parsed** by `json.loads`. The raw bytes are kept until then, to name a syntax error's
   line and column in the file as it is, and dropped after it when the caller handed them over.
5. **Placeholders become their arrays**, by a walk without recursion.
"""

from __future__ import annotations

import json
import re
import secrets
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnstudio.core.limits import describe_bytes

ErrorFactory = Callable[[str], Exception]

#: Numbers a flat list needs to be parsed by numpy (shorter ones cost little as Python objects).
MIN_NUMBERS = 16
#: Bytes of a list's text parsed at once: keeps what a parse builds small, whatever the list's length.
PIECE = 2**18

# What json.loads allocates, in bytes, measured with tracemalloc on 64-bit CPython 3.11 and rounded up:
# a list (its object, the slots of its first elements, the slot holding it); an object (a small dict);
# each value in a container (its slot, over-allocated, and a float or int); each member of an object
# (its entry in the dict's table); each string (its header; its characters are counted apart).
LIST_COST = 96
OBJECT_COST = 232
VALUE_COST = 42
MEMBER_COST = 64
STRING_COST = 80

_BOM = b"\xef\xbb\xbf"
_WS = rb"[ \t\n\r]*+"
# What a list of numbers is made of: digits, signs, points, exponents, commas, JSON's blanks and `null`.
# Whether they make valid JSON numbers is json.loads's to say when the list is read (step 3).
_NUMBER_TEXT = rb"[-+0-9.eEnul, \t\n\r]*+"
_ROW = rb"\[" + _NUMBER_TEXT + rb"\]"
_TABLE_REST = _WS + _ROW + rb"(?:" + _WS + rb"," + _WS + _ROW + rb")*+" + _WS + rb"\]"
# Possessive quantifiers: a list that fails late is given up at once, never re-tried in pieces. The one
# leading literal lets the search skip to the next '[' at memchr speed (35× faster on text).
_BLOCK = re.compile(rb"\[(?:(?P<table>" + _TABLE_REST + rb")|" + _NUMBER_TEXT + rb"\])")
_EMPTY_ROW = re.compile(rb"\[[ \t\n\r]*+\]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB]")  # half of a character beyond U+FFFF
_WIDE_ESCAPE = re.compile(rb"\\u(?:0[1-9a-fA-F]|[1-9a-fA-F])")  # a character beyond U+00FF
_NOT_STRUCTURE = bytes(range(256)).translate(None, b"[,")  # every byte but '[' and ','


@dataclass(frozen=True)
class JsonBudget:
    """What one read may take: `memory` bytes at its peak (described by `rule`, e.g. "4 × its size +
    64 MiB"), `numbers` numbers in lists of numbers, and `lists` lists of any kind (which also bounds the
    time the search for lists of numbers takes)."""

    memory: int
    rule: str
    numbers: int
    lists: int


@dataclass(frozen=True)
class _Skeleton:
    """The text left when the lists of numbers are cut out, and where they were (in arrays of integers, 32
    bytes a list, since a file may hold a million)."""

    text: bytes | bytearray
    begins: array  # where each list of numbers began in the file
    ends: array  # and where it ended
    rows: array  # its rows if a table, else 0
    widths: array  # numbers a row (a flat list: all of them)
    token: bytes  # every placeholder's text: token, the list's index, a quote
    start: int  # where the text began in the file (after a byte-order mark)
    copy_bytes: int  # bytes of the copy made to mask escapes (0 without one)

    @property
    def numbers(self) -> int:
        return sum(max(rows, 1) * width for rows, width in zip(self.rows, self.widths))

    def placeholder_length(self, index: int) -> int:
        return len(self.token) + len(str(index)) + 1


class _Constant(Exception):
    """NaN, Infinity or -Infinity met by json.loads (raised from its parse_constant hook)."""


def read_json(owned: list[bytes], budget: JsonBudget, error: ErrorFactory) -> Any:
    """The JSON value of the bytes in `owned` (taken out of it, so they are freed once no longer needed),
    with lists of numbers as read-only float64 arrays (null as NaN). Raises `error(message)` for text that
    is not UTF-8 or not JSON, NaN or Infinity, and for a file whose reading would pass `budget`."""
    data = owned.pop()
    skeleton = _cut_out_numbers(data, budget, error)
    _check_parse_cost(skeleton, len(data), budget, error)
    arrays = _read_numbers(data, skeleton, error)
    try:
        text = skeleton.text.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise error(f"not valid UTF-8 text (byte {_file_offset(skeleton, failure.start)})") from None
    skeleton = _Skeleton(b"", skeleton.begins, skeleton.ends, skeleton.rows, skeleton.widths, skeleton.token,
                         skeleton.start, 0)  # the skeleton's bytes go; where the lists were stays

    def refuse_constant(token: str) -> Any:
        raise _Constant(token)

    try:
        tree = json.loads(text, parse_constant=refuse_constant)
    except _Constant as token:
        raise error(f"{token} is not allowed; every number must be finite") from None
    except json.JSONDecodeError as failure:
        line, column = _file_position(data, skeleton, text, failure.pos)
        raise error(f"not valid JSON: {failure.msg} at line {line}, column {column}") from None
    except RecursionError:
        raise error("JSON nested too deeply") from None
    except ValueError as failure:  # Python's own limit on integer digits (int_max_str_digits)
        raise error(f"not valid JSON: a number has thousands of digits ({str(failure).split(':')[0]})") from None
    del text, data
    return _put_back(tree, json.loads(skeleton.token + b'"'), arrays)


# ----------------------------------------------------------------------------- step 1: where the lists are


def _cut_out_numbers(data: bytes, budget: JsonBudget, error: ErrorFactory) -> _Skeleton:
    start = len(_BOM) if data.startswith(_BOM) else 0
    if data.count(b"[", start) > budget.lists:  # then count exactly, outside strings
        lists = _count_outside_strings(data)["lists"]
        if lists > budget.lists:
            raise error(f"holds {lists:,} lists; a network file holds at most {budget.lists:,}")
    # Escapes masked (same length), so every quote left delimits a string: a list inside text is skipped.
    plain = _mask_escapes(data)
    token = json.dumps(f"numbers {secrets.token_hex(16)} ").encode("ascii")[:-1]  # without its closing quote
    begins, ends, rows, widths = array("q"), array("q"), array("q"), array("q")
    text = bytearray()
    view = memoryview(data)
    pos = last = cut = start
    outside, met, numbers = True, 0, 0
    try:
        while (match := _BLOCK.search(plain, pos)) is not None:
            met += 1
            if met > budget.lists:  # lists of numbers, and text holding them
                raise error(f"holds more than {budget.lists:,} lists of numbers; a network file holds at most "
                            f"{budget.lists:,} lists")
            begin, end = match.span()
            if plain.count(b'"', last, begin) % 2:
                outside = not outside
            if not outside:  # the list is inside a string: go on after the string
                close = plain.find(b'"', end)
                if close < 0:
                    break
                pos = last = close + 1
                outside = True
                continue
            pos = last = end
            count = plain.count(b",", begin, end) + 1
            shape = _table_shape(plain, begin, end, count) if match.lastgroup == "table" else (0, count)
            if shape is None or count < MIN_NUMBERS:
                continue  # rows of unequal length, or short: left to json.loads (and costed with the rest)
            if numbers + count > budget.numbers:
                raise error(f"holds more than {budget.numbers:,} numbers in lists; a network file holds at most "
                            f"{budget.numbers:,} (weights, samples and run records together)")
            text += view[cut:begin]
            text += token + b'%d"' % len(begins)
            cut = end
            begins.append(begin)
            ends.append(end)
            rows.append(shape[0])
            widths.append(shape[1])
            numbers += count
        if begins:
            text += view[cut:]
    finally:
        view.release()
    skeleton_text: bytes | bytearray = text if begins else (data if start == 0 else data[start:])
    return _Skeleton(skeleton_text, begins, ends, rows, widths, token, start,
                     len(plain) if plain is not data else 0)


def _table_shape(plain: bytes, begin: int, end: int, count: int) -> tuple[int, int] | None:
    """(rows, row length) of a table whose rows are all equally long (and none empty), else None; checked
    from its commas, a piece at a time."""
    rows = plain.count(b"[", begin, end) - 1
    first = plain.find(b"[", begin + 1)
    width = plain.count(b",", first, plain.find(b"]", first)) + 1
    if rows * width != count or _EMPTY_ROW.search(plain, begin + 1, end) is not None:
        return None
    for pos, cut in _row_pieces(plain, begin, end):
        piece = plain[pos:cut]  # "[…], […], …, […]"
        count = piece.count(b"[")
        if piece.translate(None, _NOT_STRUCTURE) != (b"[" + b"," * width) * (count - 1) + b"[" + b"," * (width - 1):
            return None  # a row of another length
    return rows, width


def _row_pieces(plain: bytes, begin: int, end: int) -> Iterator[tuple[int, int]]:
    """(first byte, byte after the last) of pieces of whole rows of the table at begin:end ("[…], …, […]"),
    each about PIECE bytes."""
    last_row_end = plain.rfind(b"]", begin, end - 1)
    pos = plain.find(b"[", begin + 1)
    while 0 <= pos < last_row_end:
        cut = last_row_end if last_row_end - pos <= PIECE else plain.find(b"]", pos + PIECE, last_row_end + 1)
        yield pos, cut + 1
        pos = plain.find(b"[", cut + 1, end)


# ----------------------------------------------------------------------------- step 2: the cost of everything


def _mask_escapes(text: bytes | bytearray) -> bytes | bytearray:
    """`text` with every escaped backslash and escaped quote masked (same length), so each quote left
    delimits a string. bytes.replace, not a regular expression: re.sub keeps a piece per match, and a file
    of a hundred million escapes would cost gigabytes."""
    if text.find(b"\\") < 0:
        return text
    return text.replace(b"\\\\", b"__").replace(b'\\"', b"__")


def _count_outside_strings(text: bytes | bytearray) -> dict[str, int]:
    """Brackets, braces, commas and colons outside strings, the quotes, and the bytes strings take.

    Counted with numpy a piece at a time (the parity of the quotes so far says what is inside a string),
    so the count costs a few pieces of memory whatever the text holds."""
    masked = _mask_escapes(text)
    counts = dict.fromkeys(("lists", "objects", "commas", "members", "quotes", "inside"), 0)
    carry = np.uint8(0)
    for at in range(0, len(masked), PIECE):
        piece = np.frombuffer(masked, np.uint8, count=min(PIECE, len(masked) - at), offset=at)
        quote = piece == ord('"')
        inside = np.bitwise_xor.accumulate(quote.view(np.uint8)) ^ carry  # 1 from an opening quote on
        carry = inside[-1]
        outside = inside == 0
        for key, char in (("lists", "["), ("objects", "{"), ("commas", ","), ("members", ":")):
            counts[key] += int(np.count_nonzero((piece == ord(char)) & outside))
        counts["quotes"] += int(np.count_nonzero(quote))
        counts["inside"] += int(np.count_nonzero(inside))
    return counts


def _width(text: bytes | bytearray) -> int:
    """Bytes a character of `text` decoded takes in a Python str: 1, 2 (past U+00FF) or 4 (past U+FFFF),
    read from the largest UTF-8 lead byte."""
    if text.isascii():
        return 1
    largest = max(int(np.frombuffer(text, np.uint8, count=min(PIECE, len(text) - at), offset=at).max())
                  for at in range(0, len(text), PIECE))
    return 4 if largest >= 0xF0 else 2 if largest >= 0xC4 else 1


def _check_parse_cost(skeleton: _Skeleton, size: int, budget: JsonBudget, error: ErrorFactory) -> int:
    """Refuse a file whose reading would take more than `budget.memory`, before any of it is parsed; else
    the estimate, in bytes."""
    text = skeleton.text
    counts = _count_outside_strings(text)
    strings = counts["quotes"] // 2
    string_bytes = counts["inside"] + strings  # the opening quote on, and each closing quote
    lists, objects, members = counts["lists"], counts["objects"], counts["members"]
    values = counts["commas"] + lists + objects + 1
    width = _width(text)
    string_width = width if b"\\u" not in text else \
        max(width, 4 if _SURROGATE_ESCAPE.search(text) else 2 if _WIDE_ESCAPE.search(text) else 1)
    decoded = 80 + width * len(text)
    parsed = (len(text) + LIST_COST * lists + OBJECT_COST * objects + VALUE_COST * values + MEMBER_COST * members
              + STRING_COST * strings + string_width * string_bytes)
    numbers = skeleton.numbers
    used = 8 * numbers  # the arrays of the lists of numbers
    # Alive together, besides the bytes: the masked copy with the skeleton and where its lists were; then
    # the arrays throughout, with the skeleton and its masked copy, the skeleton and its decoded text, that
    # text and what json.loads builds from it, and that with a copy of the arrays (what the caller keeps).
    # (The last with a quarter more: the masks of finite values the fields are checked with.)
    peak = size + max(skeleton.copy_bytes + len(text) + 32 * len(skeleton.begins),
                      used + max(2 * len(text), len(text) + decoded, decoded + parsed, parsed + used + used // 4))
    if peak > budget.memory:
        raise error(f"reading it would take about {describe_bytes(peak)} ({numbers:,} numbers in lists of "
                    f"numbers; besides them {lists:,} lists, {objects:,} objects, {values:,} values and "
                    f"{strings:,} strings); a file of {describe_bytes(size)} may take at most "
                    f"{describe_bytes(budget.memory)} ({budget.rule})")
    return peak


# ----------------------------------------------------------------------------- step 3: the numbers


def _read_numbers(data: bytes, skeleton: _Skeleton, error: ErrorFactory) -> list[np.ndarray]:
    """The arrays of the lists of numbers the skeleton cut out, in order, read-only.

    Each piece of text is parsed by json.loads, which says whether its numbers are valid JSON (no `01`,
    `.5` or `+1`), and becomes an array at once: what json.loads builds lives for a piece only."""
    arrays = []
    for begin, end, rows, width in zip(skeleton.begins, skeleton.ends, skeleton.rows, skeleton.widths):
        out = np.empty((rows, width) if rows else width)
        done = 0
        pieces = _row_pieces(data, begin, end) if rows else _flat_pieces(data, begin, end)
        for pos, cut in pieces:
            try:
                values = json.loads(b"[" + data[pos:cut] + b"]")
            except json.JSONDecodeError as failure:
                line, column = _line_column(data, skeleton.start, pos + failure.pos - 1)
                raise error(f"not valid JSON: {failure.msg} at line {line}, column {column}") from None
            except ValueError as failure:  # Python's own limit on integer digits (int_max_str_digits)
                raise error(f"not valid JSON: a number has thousands of digits ({str(failure).split(':')[0]})") \
                    from None
            array = _floats(values)
            if len(array) > len(out) - done or array.shape[1:] != out.shape[1:]:  # not what the commas said
                raise error(f"not valid JSON: a list of numbers at line {_line_column(data, skeleton.start, pos)[0]} "
                            "is not what its commas say")
            out[done:done + len(array)] = array
            done += len(array)
        if done != len(out):
            raise error(f"not valid JSON: a list of numbers at line {_line_column(data, skeleton.start, begin)[0]} "
                        "is not what its commas say")
        out.setflags(write=False)
        arrays.append(out)
    return arrays


def _floats(values: list[Any]) -> np.ndarray:
    """`values` (numbers, None, or rows of them) as float64: None as NaN, an integer too large for a float
    (10^400, which JSON allows) as inf, so the field reading it refuses it as not finite."""
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        def one(value: Any) -> Any:
            if isinstance(value, list):
                return [one(item) for item in value]
            try:
                return np.nan if value is None else float(value)
            except OverflowError:
                return np.inf if value > 0 else -np.inf

        return np.array([one(value) for value in values], dtype=np.float64)


def _flat_pieces(data: bytes, begin: int, end: int) -> Iterator[tuple[int, int]]:
    """(first byte, byte after the last) of pieces of a flat list's numbers, each about PIECE bytes, cut at
    commas."""
    pos, stop = begin + 1, end - 1
    while pos < stop:
        cut = stop if stop - pos <= PIECE else data.find(b",", pos + PIECE, stop)
        cut = stop if cut < 0 else cut
        yield pos, cut
        pos = cut + 1


# ----------------------------------------------------------------------------- step 5 and positions


def _put_back(tree: Any, prefix: str, arrays: list[np.ndarray]) -> Any:
    """`tree` with every placeholder string (`prefix` and an index) replaced by its array."""
    if not arrays:
        return tree

    def array_for(value: str) -> np.ndarray | None:
        return arrays[int(value[len(prefix):])] if value.startswith(prefix) else None

    if isinstance(tree, str):
        found = array_for(tree)
        return tree if found is None else found
    stack = [tree] if isinstance(tree, (dict, list)) else []
    while stack:
        node = stack.pop()
        for key, value in (node.items() if isinstance(node, dict) else enumerate(node)):
            if type(value) is str:
                found = array_for(value)
                if found is not None:
                    node[key] = found
            elif type(value) in (dict, list):
                stack.append(value)
    return tree


def _file_offset(skeleton: _Skeleton, offset: int) -> int:
    """Where byte `offset` of the skeleton's text lies in the file."""
    shift = skeleton.start
    for index, (begin, end) in enumerate(zip(skeleton.begins, skeleton.ends)):
        length = skeleton.placeholder_length(index)
        if offset + shift < begin:
            break
        if offset + shift < begin + length:
            return begin
        shift += (end - begin) - length
    return offset + shift


def _file_position(data: bytes, skeleton: _Skeleton, text: str, position: int) -> tuple[int, int]:
    """(line, column) in the file of character `position` of the skeleton's text, as json.loads counts them."""
    return _line_column(data, skeleton.start, _file_offset(skeleton, len(text[:position].encode("utf-8",
                                                                                                "surrogatepass"))))


def _line_column(data: bytes, start: int, offset: int) -> tuple[int, int]:
    """(line, column) of byte `offset` of the file, counted as json.loads counts them in its text (from
    `start`, after a byte-order mark)."""
    line_start = max(data.rfind(b"\n", 0, offset) + 1, start)
    return data.count(b"\n", 0, offset) + 1, len(data[line_start:offset].decode("utf-8", "replace")) + 1
