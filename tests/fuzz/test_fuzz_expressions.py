"""Expressions as people type and paste them, and as an attacker would: each gives a finite number (or values
over arrays) or ExpressionError with a position inside the text and a one-line message; never another
exception, never past the time or memory budget, even at the 1,000-character limit."""

from __future__ import annotations

import math
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nnstudio.core.errors import ExpressionError
from nnstudio.core.expr import MAX_LENGTH, evaluate_number, parse_expression
from nnstudio.data.dataset import DatasetError
from nnstudio.data.tabular import from_function

from .conftest import MiB, bounded, count, examples

TOKENS = ["1", "2", "0", "0.5", "1e308", "1e-308", "9" * 40, ".", "e", "E", "π", "pi", "tau", "x1", "x2", "+", "-",
          "−", "*", "×", "·", "/", "÷", "^", "**", "(", ")", "√", "sqrt(", "exp(", "log(", "ln(", "sin(", "tanh(",
          "abs(", " ", "__import__", "'", ",", "[", "]", "\u0000", "\ud800", "🧠"]


VALID = st.recursive(
    st.one_of(st.integers(0, 99).map(str), st.floats(0, 1e6).map(repr), st.sampled_from(["π", "e", "tau", "pi"])),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", " × ", "·", "−"]), inner).map("".join),
        st.tuples(st.sampled_from(["sqrt", "exp", "log", "sin", "cos", "tanh", "abs", "ln"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda x: f"({x})"), inner.map(lambda x: f"-{x}"), inner.map(lambda x: f"√{x}"),
        st.tuples(st.integers(1, 9).map(str), inner).map(lambda t: f"{t[0]}({t[1]})"),  # implicit product
    ),
    max_leaves=12,
)


@st.composite
def expressions(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["valid", "valid", "tokens", "tokens", "repeat", "text"]))
    if kind == "valid":  # grammatical: mostly numbers, sometimes a domain error (log(0), 1/0) or an overflow
        return draw(VALID)
    if kind == "tokens":
        return "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=60)))
    if kind == "repeat":  # long chains right at the length limit: 2πππ…, 1+1+…, ((((…, ----1, √√√2
        unit = draw(st.sampled_from(["π", "+1", "*2", "(", "-", "√", "2", "^2", "(1)", "e", "√2", "/3"]))
        head = draw(st.sampled_from(["", "2", "1", "-"]))
        return head + unit * draw(st.integers(1, (MAX_LENGTH + 50) // len(unit)))
    return draw(st.text(max_size=80))


def _check_error(error: ExpressionError, text: str) -> None:
    assert 0 <= error.position <= len(text)
    assert len(str(error)) < 300 and "\n" not in str(error), str(error)


@examples(400)
@given(expressions())
def test_any_text_gives_a_finite_number_or_the_parsers_error(text):
    limit = sys.getrecursionlimit()
    with bounded("expressions", 8 * MiB):
        try:
            value = evaluate_number(text)
        except ExpressionError as error:
            _check_error(error, text)
            count("expressions", "refused by name")
            return
    assert sys.getrecursionlimit() == limit
    assert math.isfinite(value)
    count("expressions", "evaluated")


@examples(150)
@given(expressions())
def test_any_text_as_a_function_dataset_gives_finite_float32_data_or_a_dataset_error(text):
    with bounded("function datasets", 16 * MiB):
        try:
            data = from_function(text, n=64)
        except DatasetError as error:
            assert str(error).startswith("function") and len(str(error)) < 300, str(error)
            count("function datasets", "refused by name")
            return
    assert data.x.dtype == np.float32 and data.y.dtype == np.float32
    assert np.all(np.isfinite(data.y))
    count("function datasets", "sampled")


@examples(150)
@given(expressions())
def test_any_text_over_arrays_never_raises_anything_but_the_parsers_error(text):
    with bounded("expressions over arrays", 8 * MiB):
        try:
            expression = parse_expression(text, {"x1", "x2"})
            expression.evaluate({"x1": np.linspace(-1, 1, 16), "x2": np.linspace(1, -1, 16)})
        except ExpressionError as error:
            _check_error(error, text)
            count("expressions over arrays", "refused by name")
            return
    count("expressions over arrays", "evaluated")
