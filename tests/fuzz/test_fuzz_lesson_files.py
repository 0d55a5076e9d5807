"""Lesson files mutated from a valid one: each is read and its tasks graded, or refused with LessonFileError naming
the file and the field — never another exception, never past the memory budget. Mutations are structural (a
JSON value in a task or network block replaced by a hostile one, a key deleted or added, a check repeated) and
textual (lines deleted, repeated or cut, bytes flipped or inserted, fences and headings broken)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nnstudio.core.project import Project
from nnstudio.lessons.fields import LessonFileError
from nnstudio.lessons.grading import FAIL, NOT_SHOWN, PASS, check_task
from nnstudio.lessons.lesson_file import parse_lesson, start_project

from .conftest import MiB, bounded, count, examples
from .json_tree import mutate, parent, paths

SOURCE = "fuzz.md"
X = [1, 0.5, -1, 2]
CHECKS = [
    {"check": "output", "input": [0.8333, 0.3333], "value": [0.2011844635], "tolerance": 1e-6},
    {"check": "output", "input": [0, 2], "below": 0.5},
    {"check": "weight", "layer": 1, "neuron": 2, "input": 1, "value": 0.7071067812},
    {"check": "row", "layer": 1, "neuron": 3, "value": [0, 1]},
    {"check": "bias", "layer": 1, "value": -0.7071067812, "tolerance": 1e-6},
    {"check": "size", "layer": 1, "neurons": 3},
    {"check": "activation", "layer": 2, "is": "relu"},
    {"check": "inputs", "count": 2},
    {"check": "layers", "count": 2},
    {"check": "loss", "input": [0, 2], "target": [1], "below": 0.1},
    {"check": "phase", "is": "backward"},
    {"check": "answer", "quantity": "dL/dw", "layer": 1, "neuron": 2, "input": 1, "x": [1, 0], "target": [1]},
    {"check": "accuracy", "dataset": "xor", "min": 0.75, "max_hidden_neurons": 4, "max_epochs": 100},
    {"check": "output", "input": "current", "below": 0.5},
    {"check": "class", "input": "current", "is": 1},
    {"check": "class", "input": [0, 2], "is": 0},
    {"check": "unit", "layer": 1, "neuron": 2, "input": "current", "above": 0.1},
    {"check": "unit", "layer": 2, "neuron": 1, "input": [0, 2], "value": 1.2071, "tolerance": 1e-3},
]
BLOCKS = [
    ("network", {"example": "cosine-memory"}),
    ("task", {"id": "all", "title": "Every kind of check", "checks": CHECKS, "hints": ["one", "two"],
              "explain": "why"}),
    ("network", {"sizes": "2-3-1", "hidden": "relu", "output": "identity", "init": "zeros"}),
    ("task", {"id": "answers", "title": "Typed values", "checks": [
        {"check": "answer", "quantity": "delta", "layer": 2, "neuron": 1, "x": X[:2], "target": [1],
         "tolerance": 1e-3},
        {"check": "answer", "quantity": "z", "layer": 1, "neuron": 1, "x": X[:2]},
        {"check": "answer", "quantity": "a", "layer": 1, "neuron": 2, "x": "current"}]}),
    ("network", {"empty": 2}),
]
HOSTILE = st.one_of(
    st.sampled_from([
        None, True, False, 0, -1, 1, 2, 3, 4097, 10**400, 2**63, 1e308, -1e308, 1e-320, 0.5, "", "relu", "eval",
        "mnist", "xor", "circles", "function:x1", "dL/dw", "delta", "z", "current", "currant", "\ud800", "x\u0000y", "\x1b[31m", "π" * 999,
        "__import__('os')", "nan", [], {}, [[]], [None], [1e308, -1e308], list(range(40)), {"check": "layers"},
        {"example": "mnist-mlp"}, {"sizes": "4096-4096-4096"}, {"empty": 4096},
    ]),
    st.integers(-5, 50),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=12),
    st.lists(st.integers(-3, 3), max_size=5),
)


def _text(blocks: list[tuple[str, Any]]) -> str:
    pages = [f"# Page {index}\nSome text with a formula z = W·x + b.\n" + "".join(
        f"```{kind}\n{json.dumps(data, ensure_ascii=False)}\n```\n" for kind, data in blocks[index * 2:index * 2 + 2])
        for index in range((len(blocks) + 1) // 2)]
    return "---\nname: fuzz\ntitle: A lesson to break\n---\n" + "".join(pages)


NUMBERS = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.integers(-3, 5),
                    st.sampled_from([1e308, -1e308, 1e-320, 0, 0.5, 1.0, 4096]))


def _number_paths(data: Any) -> list[tuple]:
    return [p for p in paths(data) if p and isinstance(parent(data, p)[p[-1]], (int, float))
            and not isinstance(parent(data, p)[p[-1]], bool)]


@st.composite
def mutated_lessons(draw: st.DrawFn) -> bytes:
    blocks = copy.deepcopy(BLOCKS)
    if draw(st.integers(0, 2)) == 0:  # numbers only: the file stays well formed, its values become extreme
        for _ in range(draw(st.integers(1, 6))):
            data = blocks[draw(st.integers(0, len(blocks) - 1))][1]
            places = _number_paths(data)
            if places:
                path = draw(st.sampled_from(places))
                parent(data, path)[path[-1]] = draw(NUMBERS)
        return _text(blocks).encode("utf-8")
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 4]))):
        index = draw(st.integers(0, len(blocks) - 1))
        data = blocks[index][1]
        spots = [p for p in paths(data) if p]
        if not spots:  # every key deleted already
            continue
        mutate(draw, data, draw(st.sampled_from(spots)), HOSTILE,
               ["extra", "tolerance", "neuron", "input", "target", "below", "value"], 25,
               ["replace", "replace", "replace", "delete", "add", "grow"])
    text = _text(blocks)
    lines = text.split("\n")
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 3]))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "repeat", "cut", "fence", "heading", "many pages"]))
        if action == "delete":
            del lines[at]
        elif action == "repeat":
            lines.insert(at, lines[at])
        elif action == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif action == "fence":
            lines.insert(at, draw(st.sampled_from(["```", "```task", "```network", "````", "```python"])))
        elif action == "heading":
            lines.insert(at, draw(st.sampled_from(["# ", "#", "# x", "---", "name: x"])))
        else:
            lines[at:at] = ["# More"] * draw(st.integers(1, 45))
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    textual = draw(st.sampled_from(["none", "none", "none", "flip", "insert", "huge", "crlf"]))
    if textual == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1:]
    elif textual == "insert":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    elif textual == "huge":
        raw += b"x" * draw(st.integers(256 * 1024 - len(raw) - 4, 256 * 1024 + 4))
    elif textual == "crlf":
        raw = raw.replace(b"\n", b"\r\n")
    return raw


FIELD = re.compile(r"^(file|front matter|pages)(\[\d+\])?")


@examples(200)
@given(mutated_lessons())
def test_a_mutated_lesson_is_read_and_graded_or_refused_by_field(raw):
    with bounded("lesson files", 96 * MiB):
        try:
            lesson = parse_lesson(raw, SOURCE, "fuzz")
        except LessonFileError as error:
            assert str(error).startswith(f"{SOURCE}: ") and error.reason, str(error)
            assert FIELD.match(error.field), str(error)
            assert len(str(error)) < 400, str(error)
            count("lesson files", "refused by field")
            return
        project: Project | None = None  # a page without a network block keeps the one before
        for page in lesson.pages:
            if page.network is not None:
                project = start_project(page.network)
            if page.task is not None and project is not None:
                result = check_task(page.task, project, {"δ2[1]": 0.25, "z1[1]": 0.0, "a1[2]": 0.5}, "backward")
                assert result.status in (PASS, FAIL, NOT_SHOWN) and result.task_id == page.task.id
                assert all(isinstance(line, str) and line for line in result.lines)
        count("lesson files", "read and graded")
