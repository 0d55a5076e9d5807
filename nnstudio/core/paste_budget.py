"""What a paste may cost: checked on the text's length before it is split, parsed or evaluated.

Why: a paste is as untrusted as an opened file, and it is read on the window's own thread. A 4 MB layer
pasted froze the window for 12 s before it was refused for its size (every cell was split out and every
expression evaluated first), and the old limits (256 MiB of layer text, 512 MiB of table text) were set
by what the largest possible layer could hold, not by where the text was going.

So a paste's budget comes from its target, from two figures known before anything is read:

* its cells (the table from the current cell to its end; a layer's weights and biases after the column
  it is pasted at), each written as a plain number in at most CELL_CHARACTERS characters with the commas,
  tabs, brackets and spaces around it — the longest full-precision float, `-2.2250738585072014e-308`,
  has 24; and
* MAX_EXPRESSION_CHARACTERS of typed expressions (`1/sqrt(2)`), the same budget a file has, since each
  costs microseconds a character in the safe parser.

`check_paste_size` compares the raw length with cells × CELL_CHARACTERS + MAX_EXPRESSION_CHARACTERS (+ a
little for a layer's keys), and `check_expression_characters` the expressions' own characters once the
cells are split, before any is evaluated. Either refusal names the size and the limit; nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import MAX_EXPRESSION_CHARACTERS

#: Characters one plain-number cell may take with the separators and spacing around it.
CELL_CHARACTERS = 40
#: Characters a pasted layer's text needs besides its cells: its keys, activation, parameters and spacing.
LAYER_OVERHEAD_CHARACTERS = 4096
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class PasteTooLargeError(NNStudioError):
    """Pasted text longer than anything its target could hold, or holding too many expressions."""


def paste_limit(cells: int, overhead: int = 0) -> int:
    """The most characters a paste into `cells` cells may hold (see the module docstring)."""
    return max(0, cells) * CELL_CHARACTERS + MAX_EXPRESSION_CHARACTERS + overhead


def check_paste_size(characters: int, cells: int, target: str, overhead: int = 0) -> None:
    """Refuse a paste of `characters` characters into `target` (`cells` cells) that no valid paste reaches,
    before any of it is split or read: a message naming the size and the limit."""
    limit = paste_limit(cells, overhead)
    if characters > limit:
        raise PasteTooLargeError(
            f"the clipboard holds {characters:,} characters; a paste into {target} may hold at most {limit:,} "
            f"({cells:,} values of up to {CELL_CHARACTERS} characters, and {MAX_EXPRESSION_CHARACTERS:,} of "
            "expressions); nothing was changed")


def expression_characters(cells: Iterable[str]) -> int:
    """Characters of the cells that are expressions rather than plain numbers (what the parser would read)."""
    return sum(len(text) for text in cells if not _PLAIN_NUMBER.fullmatch(text.strip()))


def check_expression_characters(cells: Iterable[str], target: str) -> None:
    """Refuse cells whose expressions together pass MAX_EXPRESSION_CHARACTERS, before any is evaluated."""
    total = expression_characters(cells)
    if total > MAX_EXPRESSION_CHARACTERS:
        raise PasteTooLargeError(
            f"the paste into {target} holds {total:,} characters of expressions; a paste may hold at most "
            f"{MAX_EXPRESSION_CHARACTERS:,} (plain numbers do not count); nothing was changed")
