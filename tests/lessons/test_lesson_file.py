"""A lesson file is read page by page, its blocks and checks into values; every malformed one is refused by field."""

from __future__ import annotations

import json

import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.lessons.check_types import (AnswerCheck, BiasCheck, ClassCheck, OutputCheck, PhaseCheck, UnitCheck,
                                          answer_name)
from nnstudio.lessons.fields import CURRENT, LessonFileError
from nnstudio.lessons.lesson_file import MAX_FILE, MAX_PAGES, NetworkStart, parse_lesson, start_project
from nnstudio.lessons.shipped import read_lesson_file

GOOD = """---
name: cosine-memory
title: Three memories in a 2-3-1 network
---
# Thresholds
Each memory is a row of W1.

```network
{"example": "cosine-memory"}
```

```task
{"id": "b1", "title": "Set every bias of layer 1 to −1/√2",
 "checks": [{"check": "bias", "layer": 1, "value": -0.7071067812, "tolerance": 1e-6}],
 "hints": ["The threshold is cos 45° = 1/√2."],
 "explain": "Each hidden neuron answers only when m·x exceeds cos 45°."}
```
# Read memory 2
```python
# a comment, not a page
```
```network
{"sizes": "2-3-1", "hidden": "relu", "output": "identity", "init": "zeros"}
```
```task
{"id": "m2", "title": "Answer", "checks": [
  {"check": "output", "input": [0.8333333333, 0.3333333333], "value": [0.2011844635]},
  {"check": "answer", "quantity": "dL/dw", "layer": 2, "neuron": 1, "input": 2, "x": [1, 0], "target": [1],
   "tolerance": 0.001},
  {"check": "phase", "is": "backward"}]}
```
# Build your own
```network
{"empty": 3}
```
"""


def _lesson_text(task: dict | None = None, network: str = '{"example": "xor"}', front: str = "name: t\ntitle: T",
                 pages: int = 1) -> str:
    block = "" if task is None else "```task\n" + json.dumps(task) + "\n```\n"
    body = "".join(f"# Page {index}\ntext\n```network\n{network}\n```\n{block if index == 0 else ''}"
                   for index in range(pages))
    return f"---\n{front}\n---\n{body}"


def _refusal(text: str | bytes, expected_name: str | None = None) -> LessonFileError:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(LessonFileError) as caught:
        parse_lesson(data, "t.md", expected_name)
    assert isinstance(caught.value, NNStudioError)
    assert str(caught.value).startswith("t.md: ")
    return caught.value


def _task(*checks: dict) -> dict:
    return {"id": "t1", "title": "Do it", "checks": list(checks)}


def test_a_good_lesson_gives_its_pages_networks_and_tasks():
    lesson = parse_lesson(GOOD.encode("utf-8"), "cosine-memory.md", "cosine-memory")
    assert (lesson.name, lesson.title) == ("cosine-memory", "Three memories in a 2-3-1 network")
    assert [page.title for page in lesson.pages] == ["Thresholds", "Read memory 2", "Build your own"]
    assert lesson.pages[0].text == "Each memory is a row of W1."  # the blocks are taken out of the text
    assert "```python\n# a comment, not a page\n```" in lesson.pages[1].text  # other languages stay text
    assert lesson.pages[0].network == NetworkStart(example="cosine-memory")
    assert lesson.pages[1].network == NetworkStart(sizes=(2, 3, 1), hidden="relu", output="identity", init="zeros")
    assert lesson.pages[2].network == NetworkStart(empty=3) and lesson.pages[2].task is None
    first, second = lesson.tasks
    assert first.checks == (BiasCheck(layer=1, neuron=None, value=-0.7071067812, tolerance=1e-6),)
    assert first.hints == ("The threshold is cos 45° = 1/√2.",)
    assert first.explain.startswith("Each hidden neuron")
    output, answer, phase = second.checks
    assert output == OutputCheck(input=(0.8333333333, 0.3333333333), value=(0.2011844635,), tolerance=1e-6)
    assert answer == AnswerCheck("dL/dw", 2, 1, (1.0, 0.0), (1.0,), 2, 0.001)
    assert answer_name(answer) == "∂L/∂W2[1,2]"
    assert phase == PhaseCheck("backward")


def test_the_current_input_and_the_class_and_unit_checks_are_read_into_values():
    task = _task({"check": "class", "input": "current", "is": 0},
                 {"check": "class", "input": [0.5, 1], "is": 3.0},
                 {"check": "unit", "layer": 1, "neuron": 17, "input": "current", "above": 2},
                 {"check": "unit", "layer": 2, "neuron": 1, "input": [1, 0], "value": -0.5, "tolerance": 0.01},
                 {"check": "output", "input": "current", "value": [0.2, 0.8]},
                 {"check": "answer", "quantity": "a", "layer": 1, "neuron": 2, "x": "current"})
    checks = parse_lesson(_lesson_text(task).encode()).tasks[0].checks
    assert checks == (ClassCheck(CURRENT, 0), ClassCheck((0.5, 1.0), 3),
                      UnitCheck(1, 17, CURRENT, above=2.0), UnitCheck(2, 1, (1.0, 0.0), value=-0.5, tolerance=0.01),
                      OutputCheck(CURRENT, value=(0.2, 0.8)), AnswerCheck("a", 1, 2, CURRENT))
    assert CURRENT == "current" and answer_name(checks[-1]) == "a1[2]"


def test_the_network_blocks_open_the_networks_they_name():
    lesson = parse_lesson(GOOD.encode("utf-8"))
    example, built, empty = (start_project(page.network) for page in lesson.pages)
    assert example.network.sizes == [2, 3, 1]
    assert example.network.layers[0].bias.tolist() == pytest.approx([-0.7071067812] * 3)
    assert built.network.sizes == [2, 3, 1] and built.network.layers[1].activation == "identity"
    assert not built.network.layers[0].weights.any()  # "init": "zeros"
    assert empty.network.sizes == [3] and empty.network.layers == ()


def test_a_lesson_file_on_disk_must_be_named_after_its_front_matter(tmp_path):
    good = tmp_path / "cosine-memory.md"
    good.write_text(GOOD, encoding="utf-8")
    assert read_lesson_file(good).name == "cosine-memory"
    wrong = tmp_path / "memories.md"
    wrong.write_text(GOOD, encoding="utf-8")
    with pytest.raises(LessonFileError, match=r"memories\.md: front matter: name: is 'cosine-memory' but the file "
                                              r"is called memories\.md"):
        read_lesson_file(wrong)


@pytest.mark.parametrize("front, field, reason", [
    ("title: T", "front matter: name", "is missing"),
    ("name: T\ntitle: x", "front matter: name", "expected lower-case letters"),
    ("name: t\ntitle: x\nauthor: me", "front matter", "line 4: expected 'name: …' or 'title: …'"),
    ("name: t\nname: u\ntitle: x", "front matter: name", "is given twice"),
    ("name: t\ntitle:   ", "front matter: title", "expected text, got an empty string"),
])
def test_bad_front_matter_is_refused_by_field(front, field, reason):
    error = _refusal(_lesson_text(front=front))
    assert error.field == field and reason in error.reason


def test_a_file_without_front_matter_or_pages_is_refused():
    assert _refusal("# Page\ntext\n").field == "front matter"
    assert "line 4: expected 'name: …' or 'title: …'" in _refusal("---\nname: t\ntitle: T\n# Page\n").reason
    assert "no closing '---'" in _refusal("---\nname: t\ntitle: T\n\n").reason
    assert _refusal("---\nname: t\ntitle: T\n---\nhello\n# Page\n").reason == (
        "line 5: text before the first page heading '# '")
    assert "has no page" in _refusal("---\nname: t\ntitle: T\n---\n\n").reason
    assert "is never closed" in _refusal("---\nname: t\ntitle: T\n---\n# P\n```task\n{}\n").reason


@pytest.mark.parametrize("check, field, reason", [
    ({"check": "eval", "code": "1"}, "pages[0].task.checks[0].check",
     "unknown check 'eval'; expected one of: output, weight, row, bias, size, activation, inputs, layers, loss, "
     "phase, answer, class, unit, accuracy"),
    ({"check": "bias", "layer": 1, "value": 1, "tolerance": "x"}, "pages[0].task.checks[0].tolerance",
     'expected a number ≥ 0, got "x"'),
    ({"check": "bias", "layer": 1, "value": 1, "tolerance": -1}, "pages[0].task.checks[0].tolerance",
     "expected a number ≥ 0, got -1"),
    ({"check": "weight", "layer": 0, "neuron": 1, "input": 1, "value": 1}, "pages[0].task.checks[0].layer",
     "expected a whole number from 1 to 128, got 0"),
    ({"check": "weight", "layer": 1, "neuron": True, "input": 1, "value": 1}, "pages[0].task.checks[0].neuron",
     "expected a whole number from 1 to 4,096, got true"),
    ({"check": "row", "layer": 1, "neuron": 1, "value": [1, "2"]}, "pages[0].task.checks[0].value[1]",
     'expected a number, got "2"'),
    ({"check": "output", "input": [1, 2], "value": [1], "below": 2}, "pages[0].task.checks[0]",
     "expected exactly one of: value, below, above; got value, below"),
    ({"check": "output", "input": [], "below": 2}, "pages[0].task.checks[0].input",
     "expected a list of 1 to 4,096 numbers, got []"),
    ({"check": "size", "layer": 1, "neurons": 2, "extra": 1}, "pages[0].task.checks[0].extra",
     "unknown field; expected one of: check, layer, neurons"),
    ({"check": "activation", "layer": 1, "is": "relu6"}, "pages[0].task.checks[0].is", "expected one of:"),
    ({"check": "phase", "is": "done"}, "pages[0].task.checks[0].is",
     'expected one of: forward, loss, backward, update; got "done"'),
    ({"check": "answer", "quantity": "dL/dw", "layer": 1, "neuron": 1, "x": [1], "target": [1]},
     "pages[0].task.checks[0]", "'input' is missing"),
    ({"check": "answer", "quantity": "delta", "layer": 1, "neuron": 1, "x": [1]}, "pages[0].task.checks[0]",
     "'target' is missing"),
    ({"check": "accuracy", "dataset": "/etc/passwd.csv", "min": 0.9}, "pages[0].task.checks[0].dataset",
     "expected one of: mnist, fashion-mnist, xor"),
    ({"check": "accuracy", "dataset": "xor", "min": 1.5}, "pages[0].task.checks[0].min",
     "expected a fraction from 0 to 1"),
    ("bias", "pages[0].task.checks[0]", 'expected a JSON object, got "bias"'),
    ({"layer": 1}, "pages[0].task.checks[0]", "'check' is missing"),
    # "current" and the checks that use it: class and unit
    ({"check": "output", "input": "currant", "below": 1}, "pages[0].task.checks[0].input",
     'expected a list of 1 to 4,096 numbers or "current", got "currant"'),
    ({"check": "answer", "quantity": "z", "layer": 1, "neuron": 1, "x": 3}, "pages[0].task.checks[0].x",
     'expected a list of 1 to 4,096 numbers or "current", got 3'),
    ({"check": "loss", "input": "current", "target": [1], "below": 1}, "pages[0].task.checks[0].input",
     'expected a list of 1 to 4,096 numbers, got "current"'),  # the loss takes listed inputs only
    ({"check": "class", "input": "current", "is": -1}, "pages[0].task.checks[0].is",
     "expected a whole number from 0 to 4,095, got -1"),
    ({"check": "class", "input": "current", "is": 1.5}, "pages[0].task.checks[0].is",
     "expected a whole number from 0 to 4,095, got 1.5"),
    ({"check": "class", "input": "current", "is": "1"}, "pages[0].task.checks[0].is",
     'expected a whole number from 0 to 4,095, got "1"'),
    ({"check": "class", "input": "current"}, "pages[0].task.checks[0]", "'is' is missing"),
    ({"check": "class", "input": "current", "is": 1, "value": 1}, "pages[0].task.checks[0].value",
     "unknown field; expected one of: check, input, is"),
    ({"check": "class", "input": None, "is": 1}, "pages[0].task.checks[0].input",
     'expected a list of 1 to 4,096 numbers or "current", got null'),
    ({"check": "unit", "layer": 1, "neuron": 2, "input": "current"}, "pages[0].task.checks[0]",
     "expected exactly one of: value, below, above; got none"),
    ({"check": "unit", "layer": 1, "neuron": 2, "input": "current", "above": 1, "below": 2},
     "pages[0].task.checks[0]", "expected exactly one of: value, below, above; got below, above"),
    ({"check": "unit", "layer": 1, "neuron": 2, "input": "current", "value": [1]}, "pages[0].task.checks[0].value",
     "expected a number, got [1]"),
    ({"check": "unit", "layer": 1, "neuron": 0, "input": "current", "above": 1}, "pages[0].task.checks[0].neuron",
     "expected a whole number from 1 to 4,096, got 0"),
    ({"check": "unit", "layer": 1, "input": "current", "above": 1}, "pages[0].task.checks[0]", "'neuron' is missing"),
    ({"check": "unit", "layer": 1, "neuron": 1, "input": "current", "above": 1, "quantity": "z"},
     "pages[0].task.checks[0].quantity", "unknown field; expected one of: check, layer, neuron, input, value, "
                                         "below, above, tolerance"),
    ({"check": "unit", "layer": 1, "neuron": 1, "input": "CURRENT", "above": 1}, "pages[0].task.checks[0].input",
     'expected a list of 1 to 4,096 numbers or "current", got "CURRENT"'),
])
def test_each_malformed_check_is_refused_naming_its_field(check, field, reason):
    error = _refusal(_lesson_text(_task(check)))
    assert error.field == field
    assert reason in error.reason
    assert str(error) == f"t.md: {field}: {error.reason}"


@pytest.mark.parametrize("task, field, reason", [
    ({"title": "x", "checks": []}, "pages[0].task", "'id' is missing"),
    ({"id": "a b", "title": "x", "checks": []}, "pages[0].task.id", "expected letters, digits"),
    ({"id": "a", "title": "x", "checks": []}, "pages[0].task.checks", "expected a list of 1 to 20 checks, got 0"),
    ({"id": "a", "title": "x", "checks": [{"check": "layers", "count": 1}] * 21}, "pages[0].task.checks",
     "got 21 checks"),
    ({"id": "a", "title": "x" * 201, "checks": [{"check": "layers", "count": 1}]}, "pages[0].task.title",
     "holds 201 characters; at most 200"),
    ({"id": "a", "title": "x", "checks": [{"check": "layers", "count": 1}], "hints": "read"},
     "pages[0].task.hints", "expected a list of at most 10 texts"),
    ({"id": "a", "title": "x\x1b[31m", "checks": [{"check": "layers", "count": 1}]}, "pages[0].task.title",
     "control character \\x1b"),
    ({"id": "a", "title": "x", "checks": [{"check": "answer", "quantity": "z", "layer": 1, "neuron": 1, "x": [1, 0]}] * 2},
     "pages[0].task.checks[0]", "asks for z1[1] a second time"),
])
def test_a_malformed_task_is_refused_naming_its_field(task, field, reason):
    error = _refusal(_lesson_text(task))
    assert error.field == field and reason in error.reason


@pytest.mark.parametrize("network, field, reason", [
    ('{"example": "nope"}', "pages[0].network.example", "expected one of: backprop-4-2-3, conv-4x4, cosine-memory"),
    ('{"sizes": "2-x-1"}', "pages[0].network.sizes", "'x' is not a whole number"),
    ('{"sizes": "2-3-1", "hidden": "wobble"}', "pages[0].network.hidden", "unknown activation 'wobble'"),
    ('{"sizes": "2-3-1", "init": "ones"}', "pages[0].network.init", "unknown initialiser 'ones'"),
    ('{"sizes": "2-3-1", "output": "relu", "hidden": 3}', "pages[0].network.hidden", "expected text, got 3"),
    ('{"sizes": "2-0-1"}', "pages[0].network.sizes", "every layer needs at least one neuron"),
    ('{"empty": 0}', "pages[0].network.empty", "expected a whole number from 1"),
    ('{"example": "xor", "empty": 2}', "pages[0].network.empty", "unknown field"),
    ('{"example": "xor",}', "pages[0].network", "not valid JSON"),
    ('[1, 2', "pages[0].network", "not valid JSON"),
    ('{"empty": NaN}', "pages[0].network", "NaN is not allowed"),
    ("[" * 5000 + "]" * 5000, "pages[0].network", "JSON nested too deeply"),
])
def test_a_network_block_that_is_not_json_or_names_no_network_is_refused(network, field, reason):
    error = _refusal(_lesson_text(network=network))
    assert error.field == field and reason in error.reason


def test_a_second_block_of_a_kind_on_one_page_is_refused():
    text = _lesson_text() + '```network\n{"empty": 2}\n```\n'
    assert _refusal(text).field == "pages[0].network"


def test_budgets_are_checked_before_parsing():
    too_large = _lesson_text() + "x" * MAX_FILE
    error = _refusal(too_large)
    assert (error.field, error.reason) == ("file", f"is {len(too_large.encode()):,} bytes; a lesson may be at most "
                                                   f"{MAX_FILE:,}")
    assert parse_lesson(_lesson_text(pages=MAX_PAGES).encode()).pages[-1].title == f"Page {MAX_PAGES - 1}"
    error = _refusal(_lesson_text(pages=MAX_PAGES + 1))
    assert (error.field, error.reason) == ("pages", "more than 40 pages; a lesson may hold at most 40")
    assert _refusal(b"---\nname: t\ntitle: \xff\n---\n").reason == "not valid UTF-8 text (byte 19)"


def test_the_name_must_match_the_file():
    error = _refusal(_lesson_text(), expected_name="other")
    assert (error.field, error.reason) == ("front matter: name", "is 't' but the file is called other.md")
