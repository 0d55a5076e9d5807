"""Lifetimes that cannot leak: a closed dialog stops listening, a failing view breaks nothing else,
opening is one transaction, and quitting still asks after an internal error (issue 27, part 1)."""

import math
import sys
import threading

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
import pytest

from nnstudio.io import load_example
from nnstudio.core.trace import forward
from nnstudio.ui import errors
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.network.matrix_editor import MatrixEditorDialog
from nnstudio.ui.panels.results.neuron_map_dialog import NeuronMapDialog
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import answer_next_message_box, run_queued_events


def cosine_output(x1: float, x2: float, w11: float = 1.0) -> float:
    """The cosine-memory network by hand: h = ReLU(W1·x + b1), ŷ = W2·h, b1 = −1/√2, W2 = [0, (2+√2)/2, 0]."""
    r = 2 ** -0.5
    h = [max(0.0, w11 * x1 - r), max(0.0, r * x1 + r * x2 - r), max(0.0, x2 - r)]
    return h[1] * (2 + 2**0.5) / 2


def open_map_by_keys(qtbot, window) -> NeuronMapDialog:
    window.scene.select_key(ItemKey("neuron", 1, 1))
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialogs = [d for d in window.findChildren(NeuronMapDialog) if d.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def test_closing_a_neuron_map_then_editing_breaks_nothing_and_every_view_follows(qtbot, make_window):
    window = make_window("cosine-memory")
    level = window.document.listener_count()
    dialog = open_map_by_keys(qtbot, window)
    assert window.document.listener_count() == level + 3
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    assert window.document.listener_count() == level
    # Any exception in a listener would fail this test (pytest-qt captures them).
    window.document.set_weight(1, 1, 0, "1")  # w21: 1/√2 → 1
    expected = (1 * 5 / 6 + 2**-0.5 * 1 / 3 - 2**-0.5) * (2 + 2**0.5) / 2
    assert window.io_panel.output_label.text() == f"y = {expected:.4f}"
    assert window.output_status.text().startswith(f"y = {expected:.4f}")
    assert window.scene.output_text.text == f"y = {expected:.4f}"


def test_a_dialog_deleted_while_its_listeners_are_connected_stops_listening_and_others_run_on(qtbot, make_window):
    window = make_window("cosine-memory")
    level = window.document.listener_count()
    dialog = window.show_map_large(1, 1)
    assert window.document.listener_count() == level + 3
    shiboken6.delete(dialog)  # its C++ side goes now; this Python wrapper stays
    assert not shiboken6.isValid(dialog) and window.document.listener_count() == level
    window.document.set_input(0, "1")
    window.document.set_input(1, "0")
    assert window.io_panel.output_label.text() == f"y = {cosine_output(1, 0):.4f}"


def test_a_listener_whose_owner_is_gone_is_skipped_before_its_destroyed_signal_is_heard(qtbot, make_window):
    window = make_window("cosine-memory")
    owner = QObject()
    heard = []
    listen(owner, window.document.changed, lambda kind: heard.append(kind))
    window.document.set_input(0, "1")
    assert heard == ["input"]
    with qtbot.capture_exceptions() as exceptions:
        owner.blockSignals(True)  # its `destroyed` goes unheard: only the liveness check can save us
        shiboken6.delete(owner)
        window.document.set_input(0, "0")
    assert exceptions == [] and heard == ["input"]
    assert window.io_panel.output_label.text() == f"y = {cosine_output(0, 1 / 3):.4f}"


def test_connecting_a_lambda_without_an_owner_is_refused(make_window):
    window = make_window("cosine-memory")
    level = window.document.listener_count()
    with pytest.raises(TypeError, match="with an owner"):
        window.document.changed.connect(lambda kind: None)
    with pytest.raises(TypeError, match="with an owner"):
        window.document.preview_changed.connect(window.view.update)  # a Qt built-in method
    assert window.document.listener_count() == level


def test_matrix_editors_closed_are_gone_and_one_open_is_reused(qtbot, make_window):
    window = make_window("cosine-memory")
    level, editors = window.document.listener_count(), len(window.findChildren(MatrixEditorDialog))
    for _ in range(5):
        window.scene.select_key(ItemKey("layer", 1))
        window.edit_matrix()
        editor = window.matrix_editors[1]
        assert editor.isVisible() and editor.model.rowCount() == 3
        window.edit_matrix()  # asked again while open: the same editor, raised
        assert window.matrix_editors[1] is editor
        editor.close()
        qtbot.waitUntil(lambda: not shiboken6.isValid(editor))
    assert len(window.findChildren(MatrixEditorDialog)) == editors and window.matrix_editors == {}
    assert window.document.listener_count() == level


def test_copy_w_leaves_no_listener_behind(make_window):
    window = make_window("cosine-memory")
    level = window.document.listener_count()
    window.copy_weights(1)
    rows = [[float(v) for v in line.split("\t")] for line in QApplication.clipboard().text().splitlines()]
    assert rows == [[1.0, 0.0], [1 / math.sqrt(2), 1 / math.sqrt(2)], [0.0, 1.0]]
    assert window.document.listener_count() == level


class FussyView(QObject):
    """A view that cannot draw one particular network: its listener raises when that one is opened."""

    def __init__(self, window, refuses: str) -> None:
        super().__init__(window)
        self.window, self.refuses = window, refuses
        listen(self, window.document.changed, self.on_changed)

    def on_changed(self, kind: str) -> None:
        if self.window.document.project.name == self.refuses:
            raise RuntimeError("this view cannot draw it")


@pytest.mark.injects_error  # a view that fails on purpose
def test_an_opening_a_view_cannot_follow_lands_not_at_all_and_says_so(qtbot, make_window, tmp_path):
    window = make_window("cosine-memory")
    window.document.set_input(0, "1")
    FussyView(window, load_example("xor").name)
    qtbot.waitUntil(lambda: window.io_panel.input_table.item(0, 1).text() == "1")
    title, inputs = window.windowTitle(), window.io_panel.input_table.item(0, 1).text()
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Discard, seen)
    assert not window.open_example("xor")
    assert seen and "unsaved changes" in seen[0]  # asked first, as for any opening
    # The old network in every view: document, canvas, tables, title; the message says it is back.
    assert window.document.project.name == load_example("cosine-memory").name and window.document.modified
    assert window.windowTitle() == title and window.isWindowModified()
    run_queued_events()  # the tables refill in an event of their own: after it, they still show the old network
    assert window.io_panel.input_table.item(0, 1).text() == inputs == "1"
    assert window.scene.output_text.text == f"y = {cosine_output(1, 1 / 3):.4f}"
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and "this view cannot draw it" in box.text() and "is back as it was" in box.text()


@pytest.mark.injects_error  # a view that fails on purpose
def test_after_an_internal_error_quitting_still_asks_about_unsaved_changes(qtbot, make_window, monkeypatch):
    window = make_window("cosine-memory")
    # The app's own last line of defence, as `nnstudio` installs it (restored after the test).
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    relay = errors.install(window.show_internal_error)
    FussyView(window, load_example("cosine-memory").name)  # fails on every edit of this network
    window.document.set_weight(1, 0, 0, "2")
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorBox") is not None)
    box = window.findChild(QMessageBox, "errorBox")
    assert "this view cannot draw it" in box.text() and "unchanged" not in box.text()
    assert "asks before closing it unsaved" in box.text()
    box.close()
    del relay
    # Every other view followed the edit, and the window knows the network is unsaved.
    project = window.document.project
    expected = float(forward(project.network, project.input).output[0])
    assert window.io_panel.output_label.text() == f"y = {expected:.4f}" and window.isWindowModified()
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Cancel, seen)
    assert not window.close() and window.isVisible()
    assert seen and "unsaved changes" in seen[0]


def test_the_window_connects_to_document_signals_only_through_listen():
    """Every connection from nnstudio/ui to a document signal has an owner (nnstudio.ui.lifetimes.listen)."""
    import re
    from pathlib import Path

    import nnstudio.ui

    direct = re.compile(r"\b(?:document|stepping|undo_stack)\.\w+\.connect\(")
    found = [f"{path.name}:{number}: {line.strip()}"
             for path in Path(nnstudio.ui.__file__).parent.rglob("*.py")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if direct.search(line)]
    assert found == []
