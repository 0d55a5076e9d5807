"""The window's inputs cost what their size allows (issue 29): a paste is refused by its length before any of it
is parsed, a step whose kept passes would not fit in the step memory budget is refused with the figure, and
the epochs box goes as far as a run may, no further. Each refusal leaves the document as it was."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from nnstudio.core import step_memory
from nnstudio.core.limits import MAX_EPOCHS
from nnstudio.io import layer_clipboard
from nnstudio.ui.panels.network import matrix_editor
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import error_shown

FOUR_MB = "1\t" * (2 * 2**20)


def test_a_4_mb_paste_into_the_weights_table_is_refused_before_it_is_split(make_window, monkeypatch):
    split = []
    monkeypatch.setattr(matrix_editor, "parse_block", lambda text: split.append(text) or [["1"]])
    window = make_window("cosine-memory")
    before = window.document.project
    window.edit_matrix(2)
    editor = window.matrix_editors[2]
    assert not editor.paste_text(FOUR_MB)
    # W2 and b2 of cosine-memory from the first cell: 1 × 3 = 3 cells (no bias), and 200,000 of expressions.
    assert editor.error.text() == ("the clipboard holds 4,194,304 characters; a paste into W2 from row 1, column 1 "
                                   "may hold at most 200,120 (3 values of up to 40 characters, and 200,000 of "
                                   "expressions); nothing was changed")
    assert split == []  # never split, let alone evaluated
    assert window.document.project is before and len(window.document.undo_stack) == 0


def test_a_4_mb_layer_on_the_clipboard_is_refused_before_it_is_parsed(make_window, monkeypatch):
    parsed = []
    monkeypatch.setattr(layer_clipboard, "_parse_json", lambda data, source: parsed.append(source))
    window = make_window("backprop-4-2-3")  # columns of 4, 2 and 3
    before = window.document.project
    window.scene.select_key(ItemKey("layer", 1))  # pasted after layer 1: at most 4,096 neurons of 2 inputs + a bias
    QGuiApplication.clipboard().setText('{"format": "nnstudio.layer", "weights": [' + "1, " * (2 * 2**20) + "1]}")
    window.actions_by_name["paste_layer"].trigger()
    message = error_shown(window)
    # 41 + 3 × 2,097,152 + 3 characters; 4,096 × (2 + 1) = 12,288 cells × 40 + 200,000 + 4,096 for the keys.
    assert message.startswith("the clipboard: holds 6,291,500 characters; a paste into a layer after 2 neurons may "
                              "hold at most 695,616 (12,288 values")
    assert parsed == []
    assert window.document.project is before and len(window.document.undo_stack) == 0


def test_stepping_through_more_samples_than_the_budget_holds_is_refused_with_the_figure(make_window, monkeypatch):
    # cosine-memory (2-3-1, float64, sgd; no output bias): P = 9 + 3 = 12, a pass 10 + (12 + 4 + 5) + 12 = 43
    # values and 3 × 9 of scratch: one step 70 values (560 bytes), its 3 samples 156 (1,248 bytes, 1.2 KiB).
    # A budget of 1,000 bytes takes the one and not the other.
    monkeypatch.setattr(step_memory, "STEP_MEMORY_BYTES", 1000)
    window = make_window("cosine-memory")
    before = window.document.project
    window.step_panel.samples_mode.setChecked(True)
    window.actions_by_name["step"].trigger()
    expected = ("stepping through 3 samples of 2-3-1 would need about 1.2 KiB of working memory; a step may use at "
                "most 1000 bytes; step through fewer samples")
    assert error_shown(window) == expected
    assert not window.document.stepping.active and window.document.project is before
    # Stepping the current input alone fits; asking for the samples while stepping is refused the same way.
    window.step_panel.samples_mode.setChecked(False)
    window.actions_by_name["step"].trigger()
    assert window.document.stepping.active
    window.step_panel.samples_mode.setChecked(True)
    assert error_shown(window) == expected
    assert not window.document.stepping.active and window.document.project is before


def test_the_epochs_box_goes_as_far_as_a_run_may(make_window):
    window = make_window("xor")
    assert window.training_panel.epochs.maximum() == MAX_EPOCHS
