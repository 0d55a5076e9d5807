"""The `kernel` lesson (a kernel is a detector that slides) on its own examples: each task passes once the right
kernel is typed through the Qt-free kernel edits the Inspector uses, and fails on a wrong one with a message naming
the check. Every expected map is a cross-correlation written out here with loops, not the core's convolution."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.project import Project
from nnstudio.document.kernel_edits import (
    apply_named_kernel,
    set_kernel_bias,
    set_kernel_block,
)
from nnstudio.io.examples import load_example
from nnstudio.lessons.grading import check_task
from nnstudio.lessons.map_checks import KernelCheck, MapCheck
from nnstudio.lessons.shipped import list_lessons, load_lesson
from tests.support.conv_reference import SOBEL_X, correlate

BAR = np.zeros((7, 7))
BAR[1:6, 3] = 1  # column 4, rows 2 to 6, counted from 1
LINE = [["-1", "2", "-1"]] * 3


def typed(project: Project, rows) -> Project:
    """The kernel typed cell by cell as text, as the Inspector's grid takes it."""
    return set_kernel_block(project, 1, 0, 0, 0, 0, [[str(v) for v in row] for row in rows])


@pytest.fixture(scope="module")
def lesson():
    return load_lesson("kernel")


def test_kernel_is_the_tenth_lesson_and_starts_on_the_bar(lesson):
    assert list_lessons()[9] == "kernel" and len(list_lessons()) == 10
    assert [page.network.example if page.network else None for page in lesson.pages] == [
        "edge-7x7", None, None, None, "lenet"]
    project = load_example("edge-7x7")
    assert np.array_equal(project.input.reshape(7, 7), BAR)
    assert all(check_task(task, project).status == "fail" for task in lesson.tasks)  # nothing typed yet


def test_each_edge_task_passes_on_its_kernel_and_its_map_is_the_hand_computed_one(lesson):
    start = load_example("edge-7x7")
    identity, sobel_x, sobel_y, line = (page.task for page in lesson.pages[:4])
    solved = {identity.id: apply_named_kernel(start, 1, 0, 0, "identity"),
              sobel_x.id: apply_named_kernel(start, 1, 0, 0, "sobel-x"),
              sobel_y.id: typed(start, np.transpose(SOBEL_X)),
              line.id: set_kernel_block(start, 1, 0, 0, 0, 0, LINE)}
    for task in (identity, sobel_x, sobel_y, line):
        assert check_task(task, solved[task.id]).status == "pass", task.id
    # the maps the tasks give are the cross-correlations worked out here
    assert next(c for c in identity.checks if isinstance(c, MapCheck)).value == tuple(
        map(tuple, correlate(BAR, [[0, 0, 0], [0, 1, 0], [0, 0, 0]])))
    assert next(c for c in sobel_y.checks if isinstance(c, MapCheck)).value == tuple(
        map(tuple, correlate(BAR, np.transpose(SOBEL_X))))
    edges = correlate(BAR, SOBEL_X)
    assert edges[:, 3].tolist() == [3, 4, 4, 4, 3] and edges[:, 1].tolist() == [-3, -4, -4, -4, -3]
    bar = correlate(BAR, [[-1, 2, -1]] * 3)
    assert bar[2, 2] == bar.max() == 6 and bar[2, 1] == bar[2, 3] == -3


def test_a_wrong_kernel_fails_naming_the_check(lesson):
    start = load_example("edge-7x7")
    identity, sobel_x, sobel_y, line = (page.task for page in lesson.pages[:4])
    flipped = typed(start, -np.array(SOBEL_X))  # Sobel x the wrong way round: the edges swap signs
    result = check_task(sobel_x, flipped)
    assert result.status == "fail"
    assert result.lines == ("K1[1,1]: 6 of 9 cells differ; row 1, column 1 is −1, should be 1",
                            "a1[map 1, row 3, column 4](current input) is −4 but should be 4",
                            "a1[map 1, row 3, column 2](current input) is 4 but should be −4")
    result = check_task(sobel_y, apply_named_kernel(start, 1, 0, 0, "sobel-x"))
    assert "map 1 of layer 1 (current input): 12 of 25 pixels differ; row 1, column 2 is −3, should be −1" in (
        result.lines)
    assert check_task(identity, apply_named_kernel(start, 1, 0, 0, "box-blur")).status == "fail"
    result = check_task(line, apply_named_kernel(start, 1, 0, 0, "sobel-x"))  # answers most beside the bar
    assert result.lines[0] == ("map 1 of layer 1 (current input) answers most at row 2, column 4 (4); "
                               "row 3, column 3 holds 0")
    only_middle = typed(start, [[0, 1, 0]] * 3)  # on the bar, but not below 0 beside it
    assert check_task(line, only_middle).lines == (
        "a1[map 1, row 3, column 2](current input) is 0 but should stay under 0",
        "a1[map 1, row 3, column 4](current input) is 0 but should stay under 0")


def test_lenets_kernel_one_made_the_identity_copies_the_seven_and_still_reads_it(lesson):
    task = lesson.pages[4].task
    lenet = load_example("lenet")
    assert check_task(task, lenet).status == "fail"
    copied = set_kernel_bias(apply_named_kernel(lenet, 1, 0, 0, "identity"), 1, 0, "0")
    assert check_task(task, copied).status == "pass"
    assert lenet.input.reshape(28, 28)[8, 8] == 1  # row 9, column 9 on the 7's top bar: map 1 copies it
    kernel = next(c for c in task.checks if isinstance(c, KernelCheck))
    assert np.array_equal(kernel.value, np.pad([[1.0]], 2))
    no_bias_zero = apply_named_kernel(lenet, 1, 0, 0, "identity")
    assert check_task(task, no_bias_zero).lines[0].startswith("b1[1] = 0.012, should be 0")


def test_nnstudio_check_grades_a_saved_edge_detector(tmp_path, capsys):
    """The typed Sobel x kernel survives the file (its cells' text too) and `nnstudio check kernel` grades it."""
    import json

    from nnstudio import cli
    from nnstudio.io import load_project, save_project

    path = tmp_path / "edges.nnstudio"
    save_project(apply_named_kernel(load_example("edge-7x7"), 1, 0, 0, "sobel-x"), path)
    assert load_project(path).network.layers[0].kernel[0, 0].tolist() == SOBEL_X
    assert cli.main(["check", "kernel", str(path), "--json"]) == 1  # the other tasks are not done
    graded = {row["task"]: row for row in json.loads(capsys.readouterr().out)}
    assert graded["sobel-x"]["status"] == "pass"
    assert graded["identity"]["messages"][0] == "K1[1,1]: 7 of 9 cells differ; row 1, column 1 is 1, should be 0"
