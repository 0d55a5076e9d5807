"""The `kernel` lesson (issue 35: a kernel is a detector that slides) walked through the real window.

Acceptance: the lesson is completed as a learner would do it, with counted key and mouse events only
(tests/ui/counted.py): Ctrl+Shift+L, the lesson and Start, then on each page a click on a map pixel of the canvas
(the Inspector shows the kernel that makes that map), the kernel typed cell by cell in the Inspector's grid (Tab
moves right and on to the next row) or chosen among the named kernels, and Check. A wrong kernel, made the same
way, fails first with a message naming the check. Every map asserted is a cross-correlation written out here with
loops; nothing here calls into the document or the lessons room to change anything.

The route: page 1 a 1 typed in the wrong cell (fails), then Identity by name; page 2 Sobel x typed in nine cells;
page 3 Sobel y by name; page 4 Sobel y is still there (fails: the map answers most at the bar's end), then the line
kernel −1, 2, −1 typed in every row; page 5 (LeNet) a pixel of map 1, Identity by name, and its bias 0.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from nnstudio.ui.selection import ItemKey
from tests.support.conv_reference import SOBEL_X, correlate
from tests.ui.counted import (
    Counted,
    check_task,
    next_page,
    open_lessons,
    result_text,
    start_lesson,
)
from tests.ui.helpers import run_queued_events

BAR = np.zeros((7, 7))
BAR[1:6, 3] = 1
LINE = [[-1, 2, -1]] * 3


def click_pixel(person: Counted, window, key: ItemKey):  # type: ignore[no-untyped-def]
    """A click on a map pixel of the canvas: the Inspector then shows the kernel that makes its map."""
    rect = window.scene.key_rect(key)
    assert rect is not None, key
    person.click(window.view.viewport(), window.view.mapFromScene(rect.center()))
    run_queued_events()
    assert window.scene.selected_key() == key
    editor = window.inspector._kernels
    assert editor is not None and editor.out == key.channel
    return editor


def type_kernel(person: Counted, editor, rows) -> None:  # type: ignore[no-untyped-def]
    """A click on the grid's first cell, then each value and Tab (Enter after the last)."""
    grid = editor.grids[0]
    person.click(grid.viewport(), grid.visualRect(grid.model().index(0, 0)).center())
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            person.type(grid, str(value))
            last = (r, c) == (len(rows) - 1, len(row) - 1)
            person.key(grid.window().focusWidget(), Qt.Key.Key_Return if last else Qt.Key.Key_Tab)
            run_queued_events()


def named(person: Counted, editor, name: str) -> None:  # type: ignore[no-untyped-def]
    """Open the "Set to" list and click a named kernel (the list goes back to "a named kernel…" once applied)."""
    combo = editor.named
    person.click(combo)
    view = combo.view()
    person.click(view.viewport(), view.visualRect(combo.model().index(combo.findData(name), 0)).center())
    run_queued_events()


def the_map(window) -> np.ndarray:
    return np.asarray(window.document.trace.layers[0].a).reshape(5, 5)


def passes(person: Counted, window) -> None:
    assert check_task(person, window) == "pass", result_text(window)


def test_kernel_completed_by_keys_and_clicks(qtbot, make_window):
    window = make_window()
    person = Counted(qtbot)
    open_lessons(person, window)
    start_lesson(person, window, "kernel")
    assert window.document.project.network.input_shape == (1, 7, 7)
    assert np.array_equal(window.document.project.input.reshape(7, 7), BAR)

    editor = click_pixel(person, window, ItemKey("pixel", 1, 0, 2, channel=0))  # page 1: the identity
    type_kernel(person, editor, [[1]])  # a 1 in the corner, not the centre
    assert check_task(person, window) == "fail"
    assert "K1[1,1]: 2 of 9 cells differ; row 1, column 1 is 1, should be 0" in result_text(window)
    named(person, editor, "identity")
    passes(person, window)
    assert the_map(window).tolist() == BAR[1:6, 1:6].tolist()

    next_page(person, window)  # page 2: Sobel x, nine cells
    editor = click_pixel(person, window, ItemKey("pixel", 1, 2, 3, channel=0))
    type_kernel(person, editor, SOBEL_X)
    passes(person, window)
    assert window.document.project.network.layers[0].kernel[0, 0].tolist() == SOBEL_X
    assert the_map(window).tolist() == correlate(BAR, SOBEL_X).tolist()

    next_page(person, window)  # page 3: Sobel y by name
    editor = click_pixel(person, window, ItemKey("pixel", 1, 0, 2, channel=0))
    named(person, editor, "sobel-y")
    passes(person, window)
    assert the_map(window).tolist() == correlate(BAR, np.transpose(SOBEL_X)).tolist()

    next_page(person, window)  # page 4: Sobel y answers most at the bar's lower end, not on it
    assert check_task(person, window) == "fail"
    assert ("map 1 of layer 1 (current input) answers most at row 5, column 3 (2); row 3, column 3 holds 0"
            in result_text(window))
    editor = click_pixel(person, window, ItemKey("pixel", 1, 2, 2, channel=0))
    type_kernel(person, editor, LINE)
    passes(person, window)
    line = correlate(BAR, LINE)
    assert the_map(window).tolist() == line.tolist() and line[2, 2] == line.max() == 6

    next_page(person, window)  # page 5: LeNet's kernel 1 made the identity, its bias 0
    assert window.document.project.network.input_shape == (1, 28, 28)
    editor = click_pixel(person, window, ItemKey("pixel", 1, 8, 8, channel=0))
    named(person, editor, "identity")
    person.click(editor.bias_edit)
    person.key(editor.bias_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    person.type(editor.bias_edit, "0")
    person.key(editor.bias_edit, Qt.Key.Key_Return)
    run_queued_events()
    passes(person, window)
    layer = window.document.project.network.layers[0]
    assert layer.bias[0] == 0 and layer.kernel[0, 0].tolist() == np.pad([[1.0]], 2).tolist()
    image = window.document.project.input.reshape(28, 28)
    copied = np.asarray(window.document.trace.layers[0].a).reshape(6, 28, 28)[0]
    assert np.array_equal(copied, np.maximum(image, 0))  # padding 2: the identity copies every pixel
    print(f"kernel completed with {person.clicks} clicks and {person.keys} keys")
    assert person.clicks <= 28 and person.keys <= 51, (person.clicks, person.keys)
