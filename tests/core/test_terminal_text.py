"""`terminal_text`: what a terminal would act on is shown as an escape, and a line is cut to its limit (issue 29)."""

from __future__ import annotations

import pytest

from nnstudio.core.errors import TERMINAL_LINE, terminal_text


@pytest.mark.parametrize("text, shown", [
    ("a\x1b[31mb", "a\\x1b[31mb"),          # C0: ESC
    ("tab\there\nnext\r", "tab\\there\\nnext\\r"),
    ("del\x7f", "del\\x7f"),
    ("csi\x9b31m", "csi\\x9b31m"),           # C1: the one-byte CSI
    ("lone\udcff", "lone\\udcff"),           # a lone surrogate (an undecodable byte of a file name)
    ("rtl\u202eoverride", "rtl\\u202eoverride"),
    ("ŷ = ∂L/∂z, α ≥ 0 …", "ŷ = ∂L/∂z, α ≥ 0 …"),  # ordinary Unicode is left alone
])
def test_control_characters_are_shown_as_escapes(text, shown):
    assert terminal_text(text) == shown


def test_a_long_text_is_cut_to_the_limit_with_an_ellipsis_and_never_mid_escape():
    assert terminal_text("x" * 100_000) == "x" * (TERMINAL_LINE - 1) + "…"
    assert terminal_text("abcd", 3) == "ab…" and terminal_text("abc", 3) == "abc"
    cut = terminal_text("\x1b" * 1000, 30)
    assert len(cut) <= 30 and cut.endswith("\\x1b…") and "\x1b" not in cut
    assert terminal_text("ab\x1b", 5) == "ab…"  # "\x1b" does not fit whole: left out, not halved
