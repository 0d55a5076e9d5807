"""The checks on kernels and maps (kernel, pixel, map, peak): read from a lesson file field by field, refused by
field, and evaluated on the conv-4x4 example against the numbers of docs/conv-worked-example.md, computed here
again by plain loops (not by the core)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.io import load_example
from nnstudio.lessons.fields import CURRENT, LessonFileError
from nnstudio.lessons.grading import check_failures
from nnstudio.lessons.lesson_file import parse_lesson
from nnstudio.lessons.map_checks import KernelCheck, MapCheck, PeakCheck, PixelCheck

X = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]], dtype=float)
K = np.array([[1, 0], [-1, 2]], dtype=float)


def relu_map() -> np.ndarray:
    """conv-4x4's map a = ReLU(K ⋆ x + 0.5), by loops: [[3.5, 7.5, 0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]."""
    z = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            z[i, j] = sum(K[u, v] * X[i + u, j + v] for u in range(2) for v in range(2)) + 0.5
    return np.maximum(z, 0)


@pytest.fixture(scope="module")
def conv():
    return load_example("conv-4x4")


def _parsed(*checks: dict):
    task = {"id": "t", "title": "T", "checks": list(checks)}
    text = f'---\nname: t\ntitle: T\n---\n# P\n```network\n{{"example": "conv-4x4"}}\n```\n```task\n{json.dumps(task)}\n```\n'
    return parse_lesson(text.encode("utf-8"), "t.md").tasks[0].checks


def test_the_four_checks_read_from_a_lesson_file():
    kernel, pixel, whole_map, peak = _parsed(
        {"check": "kernel", "layer": 1, "kernel": 1, "value": [[1, 0], [-1, 2]]},
        {"check": "pixel", "layer": 1, "map": 1, "row": 1, "column": 2, "input": "current", "above": 7},
        {"check": "map", "layer": 2, "map": 1, "input": [0] * 16, "value": [[0.5]], "tolerance": 0.01},
        {"check": "peak", "layer": 1, "map": 1, "row": 2, "column": 3, "input": "current"})
    assert kernel == KernelCheck(1, 1, 1, ((1, 0), (-1, 2)))  # channel 1 when left out
    assert pixel == PixelCheck(1, 1, 1, 2, CURRENT, above=7)
    assert whole_map == MapCheck(2, 1, (0.0,) * 16, ((0.5,),), 0.01)
    assert peak == PeakCheck(1, 1, 2, 3, CURRENT)


@pytest.mark.parametrize("check, field, reason", [
    ({"check": "kernel", "layer": 1, "kernel": 1, "value": [[1, 0, 2], [-1, 2, 0]]}, "checks[0].value",
     "is 2 rows of 3; a kernel is square"),
    ({"check": "kernel", "layer": 1, "kernel": 1, "value": [[1, 0], [-1]]}, "checks[0].value[1]",
     "holds 1 number; row 0 holds 2"),
    ({"check": "kernel", "layer": 1, "kernel": 1, "value": [[1, "x"], [0, 0]]}, "checks[0].value[0][1]",
     "expected a number"),
    ({"check": "kernel", "layer": 1, "kernel": 1, "value": [1, 0]}, "checks[0].value[0]", "expected a list"),
    ({"check": "kernel", "layer": 1, "kernel": 0, "value": [[1]]}, "checks[0].kernel", "from 1"),
    ({"check": "kernel", "layer": 1, "kernel": 1, "channel": 1.5, "value": [[1]]}, "checks[0].channel",
     "expected a whole number"),
    ({"check": "kernel", "layer": 1, "value": [[1]]}, "checks[0]", "'kernel' is missing"),
    ({"check": "pixel", "layer": 1, "map": 1, "row": 1, "column": 1, "input": "current"}, "checks[0]",
     "expected exactly one of: value, below, above; got none"),
    ({"check": "pixel", "layer": 1, "map": 1, "row": 0, "column": 1, "input": "current", "value": 1},
     "checks[0].row", "from 1"),
    ({"check": "pixel", "layer": 1, "map": 1, "row": 1, "col": 1, "input": "current", "value": 1},
     "checks[0]", "'column' is missing"),
    ({"check": "pixel", "layer": 1, "map": 1, "row": 1, "column": 1, "input": "now", "value": 1},
     "checks[0].input", 'or "current"'),
    ({"check": "map", "layer": 1, "map": 1, "input": "current", "value": []}, "checks[0].value",
     "expected a list of rows"),
    ({"check": "map", "layer": 1, "map": 1, "input": "current", "value": [[1]], "tolerance": -1},
     "checks[0].tolerance", "≥ 0"),
    ({"check": "peak", "layer": 1, "map": 1, "row": 1, "column": 1, "input": "current", "value": 3},
     "checks[0].value", "unknown field"),
])
def test_a_bad_field_is_refused_naming_it(check, field, reason):
    with pytest.raises(LessonFileError) as caught:
        _parsed(check)
    assert isinstance(caught.value, NNStudioError)
    assert caught.value.field == f"pages[0].task.{field}" and reason in caught.value.reason, caught.value


def test_kernel_pixel_map_and_peak_read_the_worked_example(conv):
    a = relu_map()
    assert a.tolist() == [[3.5, 7.5, 0], [0.5, 0.5, 7.5], [1.5, 3.5, 1.5]]
    assert check_failures(KernelCheck(1, 1, 1, tuple(map(tuple, K))), conv) == []
    assert check_failures(KernelCheck(1, 1, 1, ((1, 0), (1, 2))), conv) == [
        "K1[1,1]: 1 of 4 cells differ; row 2, column 1 is −1, should be 1"]
    assert check_failures(PixelCheck(1, 1, 1, 2, CURRENT, value=a[0, 1]), conv) == []
    assert check_failures(PixelCheck(1, 1, 1, 3, CURRENT, below=0), conv) == [  # ReLU's 0, not z's −0.5
        "a1[map 1, row 1, column 3](current input) is 0 but should stay under 0"]
    assert check_failures(MapCheck(1, 1, CURRENT, tuple(map(tuple, a))), conv) == []
    shifted = a.copy()
    shifted[2, 2] = 2
    assert check_failures(MapCheck(1, 1, CURRENT, tuple(map(tuple, shifted))), conv) == [
        "map 1 of layer 1 (current input): 1 of 9 pixels differ; row 3, column 3 is 1.5, should be 2"]
    assert check_failures(PixelCheck(2, 1, 1, 1, CURRENT, value=a[:2, :2].max()), conv) == []  # the max pool
    assert check_failures(PeakCheck(1, 1, 1, 2, CURRENT), conv) == []
    assert check_failures(PeakCheck(1, 1, 2, 3, CURRENT), conv) == []  # the other 7.5: a tie is shared
    assert check_failures(PeakCheck(1, 1, 1, 1, CURRENT), conv) == [
        "map 1 of layer 1 (current input) answers most at row 1, column 2 (7.5); row 1, column 1 holds 3.5"]


def test_a_listed_input_is_fed_as_it_is(conv):
    ones = np.ones(16)
    z = K.sum() + 0.5  # every window of ones: the kernel's sum plus the bias
    assert check_failures(PixelCheck(1, 1, 3, 3, tuple(ones), value=z), conv) == []
    assert check_failures(PixelCheck(1, 1, 3, 3, (1.0, 2.0), value=z), conv) == [
        "map 1 of layer 1: the network takes 16 inputs, the task gives 2"]


def test_a_subject_that_is_not_there_fails_naming_it(conv):
    assert check_failures(KernelCheck(2, 1, 1, ((1,),)), conv) == ["layer 2 is a pooling layer: it has no kernel"]
    assert check_failures(KernelCheck(1, 2, 1, ((1,),)), conv) == ["layer 1 has 1 kernel; there is no kernel 2"]
    assert check_failures(KernelCheck(1, 1, 2, ((1,),)), conv) == [
        "layer 1's input has 1 input channel; there is no input channel 2"]
    assert check_failures(KernelCheck(1, 1, 1, ((1, 0, 0),) * 3), conv) == ["K1[1,1] is 2×2, the task gives 3×3"]
    assert check_failures(PixelCheck(3, 1, 1, 1, CURRENT, value=0), conv) == [
        "layer 3 is a dense layer: it has no maps (its neurons are checked with unit)"]
    assert check_failures(PixelCheck(4, 1, 1, 1, CURRENT, value=0), conv) == ["the network has no layer 4 (it has 3)"]
    assert check_failures(MapCheck(1, 2, CURRENT, ((0,),)), conv) == ["layer 1 has 1 map; there is no map 2"]
    assert check_failures(PeakCheck(1, 1, 4, 1, CURRENT), conv) == [
        "map 1 of layer 1 (3×3) has 3 rows; there is no row 4"]
    assert check_failures(PixelCheck(1, 1, 1, 4, CURRENT, value=0), conv) == [
        "map 1 of layer 1 (3×3) has 3 columns; there is no column 4"]


def test_the_teachers_page_lists_every_check():
    from pathlib import Path

    from nnstudio.lessons.check_types import READERS

    page = (Path(__file__).resolve().parents[2] / "docs" / "lessons.md").read_text(encoding="utf-8")
    assert [kind for kind in READERS if f"| `{kind}` |" not in page] == []
