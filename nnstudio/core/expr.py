"""A safe parser for the numbers people type: `1/sqrt(2)`, `-(2+√2)/2`, `5/6`, `1e-3`.

Why a parser of our own: user text must never reach `eval`, and a tiny recursive
descent parser gives exact error positions ("unexpected ')' at position 7") that
an `ast` whitelist cannot. It reads one expression into a tree of small nodes;
the tree can be evaluated once to a float, or over numpy arrays when variables
are given (datasets made from a typed function such as `sin(x1) + x2^2`).

Grammar (lowest to highest precedence)::

    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/') unary | implicit)*      2π, 3(1+x), 2√2
    unary    := ('-' | '+') unary | power
    power    := atom (('**' | '^') unary)?                 right-associative; -2^2 = -4
    atom     := NUMBER | NAME | NAME '(' sum ')' | '(' sum ')' | '√' atom

Limits keep hostile text cheap: at most MAX_LENGTH characters, MAX_DEPTH nested
levels, and exponents of magnitude at most MAX_EXPONENT, so `9**9**9` is refused
before anything large is computed. Arithmetic is done in floats: nothing can grow
without bound.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple, Union

import numpy as np

from nnstudio.core.errors import ExpressionError, shorten

MAX_LENGTH = 1000
MAX_DEPTH = 64
MAX_EXPONENT = 1024.0

Value = Union[float, np.ndarray]

CONSTANTS: dict[str, float] = {"pi": math.pi, "π": math.pi, "e": math.e, "tau": math.tau}


@dataclass(frozen=True)
class _Function:
    """A one-argument function: its float form, its numpy form, and its domain."""

    scalar: Callable[[float], float]
    array: Callable[[np.ndarray], np.ndarray]
    domain: Callable[[float], bool] = lambda x: True
    domain_text: str = ""


FUNCTIONS: dict[str, _Function] = {
    "sqrt": _Function(math.sqrt, np.sqrt, lambda x: x >= 0, "a number ≥ 0"),
    "exp": _Function(math.exp, np.exp, lambda x: x <= 709.0, "a number ≤ 709"),
    "log": _Function(math.log, np.log, lambda x: x > 0, "a number > 0"),
    "ln": _Function(math.log, np.log, lambda x: x > 0, "a number > 0"),
    "log2": _Function(math.log2, np.log2, lambda x: x > 0, "a number > 0"),
    "log10": _Function(math.log10, np.log10, lambda x: x > 0, "a number > 0"),
    "sin": _Function(math.sin, np.sin, math.isfinite, "a finite number"),
    "cos": _Function(math.cos, np.cos, math.isfinite, "a finite number"),
    "tan": _Function(math.tan, np.tan, math.isfinite, "a finite number"),
    "tanh": _Function(math.tanh, np.tanh),
    "abs": _Function(abs, np.abs),
}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_π][A-Za-z_0-9]*)
  | (?P<op>\*\*|[-+*/^()√−×÷·])
    """,
    re.VERBOSE,
)
# Typographic forms people paste from documents, read as their ASCII twins.
_OP_ALIASES = {"−": "-", "×": "*", "·": "*", "÷": "/", "^": "**"}


class _Token(NamedTuple):
    """A tuple, not a frozen dataclass: made once a character at worst, it was a third of a parse's time."""

    kind: str  # "number", "name", "op", "end"
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    append, aliases = tokens.append, _OP_ALIASES
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() != pos:  # finditer skipped a character no token begins with
            break
        kind = match.lastgroup or ""
        if kind != "space":
            value = match.group()
            append(_Token(kind, aliases.get(value, value) if kind == "op" else value, pos))
        pos = match.end()
    if pos != len(text):
        raise ExpressionError(f"unexpected character {text[pos]!r}", text, pos)
    append(_Token("end", "", len(text)))
    return tokens


# ----------------------------------------------------------------------------- nodes


class Node:
    """One node of a parsed expression; `pos` points at its text for error messages."""

    pos: int

    def evaluate(self, env: "_Env") -> Value:
        raise NotImplementedError


@dataclass(frozen=True)
class _Env:
    text: str
    variables: Mapping[str, Value]

    def fail(self, message: str, pos: int) -> ExpressionError:
        return ExpressionError(message, self.text, pos)


def _is_array(value: Value) -> bool:
    return isinstance(value, np.ndarray)


@dataclass(frozen=True)
class _Number(Node):
    value: float
    pos: int

    def evaluate(self, env: _Env) -> Value:
        return self.value


@dataclass(frozen=True)
class _Name(Node):
    name: str
    pos: int

    def evaluate(self, env: _Env) -> Value:
        if self.name in env.variables:
            return env.variables[self.name]
        return CONSTANTS[self.name]


@dataclass(frozen=True)
class _Negate(Node):
    operand: Node
    pos: int

    def evaluate(self, env: _Env) -> Value:
        return -self.operand.evaluate(env)


@dataclass(frozen=True)
class _Call(Node):
    name: str
    argument: Node
    pos: int

    def evaluate(self, env: _Env) -> Value:
        function = FUNCTIONS[self.name]
        x = self.argument.evaluate(env)
        if _is_array(x):
            with np.errstate(all="ignore"):
                return function.array(x)
        if not function.domain(x):
            raise env.fail(f"{self.name}() needs {function.domain_text}, got {x:g}", self.pos)
        return float(function.scalar(x))


def _scalar(env: _Env, op: str, a: float, b: float, pos: int) -> float:
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0.0:
                raise env.fail("division by zero", pos)
            return a / b
        # power
        if abs(b) > MAX_EXPONENT:
            raise env.fail(f"exponent {b:g} is too large (limit ±{MAX_EXPONENT:g})", pos)
        if a == 0.0 and b < 0:
            raise env.fail("zero to a negative power", pos)
        if a < 0 and not float(b).is_integer():
            raise env.fail("a negative number to a fractional power", pos)
        return float(a**b)
    except OverflowError:
        raise env.fail("result is too large", pos) from None


def _array(op: str, a: Value, b: Value) -> np.ndarray:
    with np.errstate(all="ignore"):
        if op == "+":
            return np.add(a, b)
        if op == "-":
            return np.subtract(a, b)
        if op == "*":
            return np.multiply(a, b)
        if op == "/":
            return np.divide(a, b)
        return np.power(np.asarray(a, dtype=float), b)


def _combine(env: _Env, op: str, a: Value, b: Value, pos: int) -> Value:
    if _is_array(a) or _is_array(b):
        return _array(op, a, b)
    return _scalar(env, op, float(a), float(b), pos)


@dataclass(frozen=True)
class _Binary(Node):
    """a ** b: the one binary operator that nests (right-associative, depth-counted by the parser)."""

    op: str
    left: Node
    right: Node
    pos: int  # position of the operator

    def evaluate(self, env: _Env) -> Value:
        return _combine(env, self.op, self.left.evaluate(env), self.right.evaluate(env), self.pos)


@dataclass(frozen=True)
class _Chain(Node):
    """a + b − c …, or a · b / c … (explicit or implicit): a flat list, evaluated left to right in a loop.

    Why flat: `1+1+1+…` or `2πππ…` as nested binary nodes would be as deep as it is long, and
    a 1,000-character text would exhaust Python's recursion limit. As a chain its depth is 1.
    """

    first: Node
    rest: tuple[tuple[str, Node, int], ...]  # (operator, operand, position of the operator)
    pos: int

    def evaluate(self, env: _Env) -> Value:
        value = self.first.evaluate(env)
        for op, operand, pos in self.rest:
            value = _combine(env, op, value, operand.evaluate(env), pos)
        return value


# ----------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str, variables: frozenset[str]) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.token = self.tokens[0]  # the current token: an attribute, read many times a token
        self.depth = 0
        self.variables = variables

    def fail(self, message: str, pos: int | None = None) -> ExpressionError:
        return ExpressionError(message, self.text, self.token.pos if pos is None else pos)

    def advance(self) -> _Token:
        token = self.token
        self.index += 1
        self.token = self.tokens[min(self.index, len(self.tokens) - 1)]
        return token

    def expect(self, op: str) -> None:
        if self.token.kind == "op" and self.token.text == op:
            self.advance()
            return
        found = "end of text" if self.token.kind == "end" else repr(shorten(self.token.text, 24))
        raise self.fail(f"expected {op!r}, found {found}")

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise self.fail("empty expression")
        node = self.sum()
        if self.token.kind != "end":
            raise self.fail(f"unexpected {shorten(self.token.text, 24)!r}")
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"expression nested more than {MAX_DEPTH} levels deep")

    def sum(self) -> Node:
        first = self.product()
        rest: list[tuple[str, Node, int]] = []
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.advance()
            rest.append((op.text, self.product(), op.pos))
        return _Chain(first, tuple(rest), first.pos) if rest else first

    def _starts_implicit_factor(self) -> bool:
        token = self.token
        return token.kind == "name" or (token.kind == "op" and token.text in ("(", "√"))

    def product(self) -> Node:
        first = self.unary()
        rest: list[tuple[str, Node, int]] = []
        while True:
            token = self.token
            if token.kind == "op" and token.text in ("*", "/"):
                self.advance()
                rest.append((token.text, self.unary(), token.pos))
            elif self._starts_implicit_factor():
                rest.append(("*", self.power(), token.pos))
            else:
                return _Chain(first, tuple(rest), first.pos) if rest else first

    def unary(self) -> Node:
        token = self.token
        if token.kind == "op" and token.text in "+-":
            self.advance()
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return _Negate(operand, token.pos) if token.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        token = self.token
        if token.kind == "op" and token.text == "**":
            self.advance()
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            return _Binary("**", base, exponent, token.pos)
        return base

    def atom(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            value = float(token.text)
            if not math.isfinite(value):
                raise self.fail(f"number {shorten(token.text, 24)} is too large", token.pos)
            return _Number(value, token.pos)
        if token.kind == "name":
            return self.name()
        if token.kind == "op" and token.text == "(":
            self.advance()
            self.enter()
            node = self.sum()
            self.depth -= 1
            self.expect(")")
            return node
        if token.kind == "op" and token.text == "√":
            self.advance()
            self.enter()
            operand = self.atom()
            self.depth -= 1
            return _Call("sqrt", operand, token.pos)
        if token.kind == "end":
            raise self.fail("expression ends too early")
        raise self.fail(f"unexpected {shorten(token.text, 24)!r}")

    def name(self) -> Node:
        token = self.advance()
        name = token.text
        if name in FUNCTIONS:
            if not (self.token.kind == "op" and self.token.text == "("):
                raise self.fail(f"function {name} needs parentheses, as in {name}(2)")
            self.advance()
            self.enter()
            argument = self.sum()
            self.depth -= 1
            self.expect(")")
            return _Call(name, argument, token.pos)
        if name in self.variables or name in CONSTANTS:
            return _Name(name, token.pos)
        known = sorted(set(CONSTANTS) | set(FUNCTIONS) | set(self.variables))
        raise self.fail(f"unknown name {shorten(name, 24)!r} (known: {', '.join(known)})", token.pos)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: the text as typed, and its tree."""

    text: str
    root: Node
    variables: frozenset[str]

    def evaluate(self, variables: Mapping[str, Value] | None = None) -> Value:
        """Evaluate with the given variable values (floats or numpy arrays)."""
        values = dict(variables or {})
        missing = self.variables - set(values)
        if missing:
            raise ExpressionError(f"no value for {', '.join(sorted(missing))}", self.text, 0)
        return self.root.evaluate(_Env(self.text, values))


def parse_expression(text: str, variables: frozenset[str] | set[str] = frozenset()) -> Expression:
    """Parse `text`; names in `variables` are allowed besides the constants.

    Raises ExpressionError with the position of the first fault.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected text, got {type(text).__name__}", str(text), 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long (limit {MAX_LENGTH})", text[:40] + "…", MAX_LENGTH
        )
    names = frozenset(variables)
    return Expression(text, _Parser(text, names).parse(), names)


def evaluate_number(text: str) -> float:
    """The finite float that `text` denotes, e.g. `evaluate_number("1/√2")`.

    Raises ExpressionError naming the fault and its position.
    """
    value = float(parse_expression(text).evaluate())
    if not math.isfinite(value):
        raise ExpressionError("result is not a finite number", text, 0)
    return value

