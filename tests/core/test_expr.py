"""The safe expression parser: what people type, and what attackers type."""

import math

import numpy as np
import pytest

from nnstudio.core.errors import ExpressionError
from nnstudio.core.expr import evaluate_number, parse_expression

SQRT2 = math.sqrt(2.0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1/sqrt(2)", 1 / SQRT2),
        ("1/√2", 1 / SQRT2),
        ("-1/sqrt(2)", -1 / SQRT2),
        ("(2+sqrt(2))/2", (2 + SQRT2) / 2),
        ("(2+√2)/2", (2 + SQRT2) / 2),
        ("5/6", 5 / 6),
        ("1e-3", 0.001),
        ("2.5E+2", 250.0),
        (".5", 0.5),
        ("2**3", 8.0),
        ("2^3", 8.0),
        ("2^3^2", 512.0),  # right-associative
        ("-2^2", -4.0),  # power binds tighter than unary minus
        ("2^-1", 0.5),
        ("3 − 1", 2.0),  # typographic minus
        ("2×3÷4", 1.5),
        ("2·π", 2 * math.pi),
        ("2π", 2 * math.pi),
        ("pi", math.pi),
        ("e", math.e),
        ("exp(1)", math.e),
        ("ln(e)", 1.0),
        ("log(e^2)", 2.0),
        ("sin(pi/2)", 1.0),
        ("cos(0)", 1.0),
        ("tan(0)", 0.0),
        ("abs(-3)", 3.0),
        ("√(9)", 3.0),
        ("√2^2", 2.0000000000000004),
        ("((1))", 1.0),
        ("  7  ", 7.0),
        ("+4", 4.0),
        ("--4", 4.0),
        ("3(1+1)", 6.0),
    ],
)
def test_valid_forms(text, expected):
    assert evaluate_number(text) == pytest.approx(expected, rel=1e-15, abs=1e-15)


def test_exact_values_match_the_worked_example():
    assert evaluate_number("1/sqrt(2)") == 1 / math.sqrt(2)
    assert evaluate_number("(2+sqrt(2))/2") == (2 + math.sqrt(2)) / 2


@pytest.mark.parametrize(
    "text, position, words",
    [
        ("1/", 2, "ends too early"),
        ("(1+2", 4, "expected ')'"),
        ("1+2)", 3, "unexpected ')'"),
        ("2 $ 3", 2, "unexpected character"),
        ("foo(2)", 0, "unknown name 'foo'"),
        ("1/0", 1, "division by zero"),
        ("sqrt(-1)", 0, "sqrt() needs"),
        ("log(0)", 0, "log() needs"),
        ("sqrt 2", 5, "needs parentheses"),
        ("", 0, "empty"),
        ("(-8)^(1/3)", 4, "fractional power"),
        ("0^-1", 1, "zero to a negative power"),
        ("1e400", 0, "too large"),
    ],
)
def test_errors_name_the_fault_and_its_position(text, position, words):
    with pytest.raises(ExpressionError) as info:
        evaluate_number(text)
    assert words in str(info.value)
    assert info.value.position == position


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('id')",
        "().__class__.__bases__[0]",
        "(1).real",
        "lambda: 1",
        "[x for x in (1, 2)]",
        "open('/etc/passwd')",
        "exec('1')",
        "eval('1')",
        "a.b",
        "1 if 1 else 2",
        "'text'",
        "{1: 2}",
        "x = 1",
        "1; 2",
    ],
)
def test_hostile_text_is_refused(text):
    with pytest.raises(ExpressionError):
        evaluate_number(text)


@pytest.mark.parametrize("text", ["9**9**9", "9^9^9", "10**10**10**10", "2**100000", "(10^300)^(10^300)"])
def test_huge_powers_are_refused_at_once(text, monkeypatch, peak_memory):
    """"At once" proved by counting, not timing: the parser does at most one arithmetic operation per
    operator, each on two machine floats (constant cost, never Python's unbounded integers), computes no
    power past the exponent budget (the refused one is the last operation attempted), and allocates
    nothing large on the way."""
    from nnstudio.core import expr

    done: list[tuple[str, float]] = []
    real = expr._scalar

    def counted(env, op, a, b, pos):
        assert type(a) is float and type(b) is float, f"{op} on {type(a).__name__}, {type(b).__name__}"
        done.append((op, b))
        return real(env, op, a, b, pos)

    monkeypatch.setattr(expr, "_scalar", counted)
    outcome, peak = peak_memory(lambda: evaluate_number(text))
    assert isinstance(outcome, ExpressionError) and "too large" in str(outcome), repr(outcome)
    assert 0 < len(done) <= text.count("*") + text.count("^")
    powers = [b for op, b in done if op == "**"]
    assert done[-1][0] == "**" and abs(powers[-1]) > expr.MAX_EXPONENT  # refused at the first power past the budget
    assert all(abs(b) <= expr.MAX_EXPONENT for b in powers[:-1])
    assert peak < 64 * 1024, peak  # nothing the size of 9**9**9's digits, or any large buffer


def test_very_long_text_is_refused_by_length():
    with pytest.raises(ExpressionError, match="10000 characters long"):
        evaluate_number("1+" * 4999 + "1" + "0")


def test_deep_nesting_is_refused_without_recursion_error():
    with pytest.raises(ExpressionError, match="nested"):
        evaluate_number("(" * 300 + "1" + ")" * 300)
    with pytest.raises(ExpressionError, match="nested"):
        evaluate_number("-" * 500 + "1")


def test_variables_evaluate_over_arrays():
    expression = parse_expression("sin(x1) + x2^2", {"x1", "x2"})
    x1 = np.array([0.0, math.pi / 2])
    x2 = np.array([2.0, 3.0])
    np.testing.assert_allclose(expression.evaluate({"x1": x1, "x2": x2}), [4.0, 10.0])
    assert parse_expression("x1*x2", {"x1", "x2"}).evaluate({"x1": 3.0, "x2": 4.0}) == 12.0


def test_unknown_variable_is_named():
    with pytest.raises(ExpressionError, match="unknown name 'x3'"):
        parse_expression("x1 + x3", {"x1", "x2"})


def test_text_as_typed_is_kept():
    assert parse_expression("1/√2").text == "1/√2"


def _depth() -> int:
    import inspect

    return len(inspect.stack(0))


@pytest.mark.parametrize("text, value", [
    ("1" + "+1" * 499, 500.0),  # 999 characters, 499 operators: one flat chain
    ("1" + "*1" * 499, 1.0),
    ("1" + "-1" * 499, -498.0),
    ("2" + "(1)" * 332, 2.0),  # implicit multiplication by parentheses
    ("1" + "√1" * 499, 1.0),  # implicit multiplication by roots
])
def test_long_chains_under_the_length_limit_evaluate_with_a_shallow_stack(text, value):
    """Issue 13: `2πππ…` under 1,000 characters ended in RecursionError. Chains are flat now:
    they evaluate even when Python allows only 120 frames beyond the test's own."""
    import sys

    assert len(text) <= 1000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + 120)
    try:
        assert evaluate_number(text) == value
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize("text", ["2" + "π" * 900, "π" * 999, "e" * 999, "2" + "√2" * 330])
def test_implicit_multiplication_chains_end_in_the_parsers_error_not_recursion(text):
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + 120)
    try:
        try:
            value = evaluate_number(text)
        except ExpressionError as error:
            assert len(str(error)) < 250, str(error)  # one readable line: the text is shortened in the message
        else:
            assert math.isfinite(value)
    finally:
        sys.setrecursionlimit(limit)
