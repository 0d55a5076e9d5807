"""Gestures that do what they say, stepping's rules, and docks that never show another network's run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from nnstudio.core.stepper import Phase
from nnstudio.io.examples import load_example
from nnstudio.io.network_file import load_project, save_project
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.window.main_window import all_specs
from tests.ui.helpers import answer_next_message_box


def us_keyboard(sequence: str) -> str:
    """What keys a US keyboard presses for a shortcut: '+' is Shift+'='."""
    parts = sequence.split("+")
    if sequence.endswith("++"):
        parts = parts[:-2] + ["Shift", "="]
    keys = sorted(p for p in parts if p)
    return "+".join(keys)


def test_no_two_actions_share_a_shortcut(make_window, qtbot):
    window = make_window("cosine-memory")
    seen: dict[str, str] = {}
    for name, action in window.actions_by_name.items():
        for shortcut in action.shortcuts():
            keys = us_keyboard(shortcut.toString(QKeySequence.SequenceFormat.PortableText))
            assert keys not in seen, f"{name} and {seen[keys]} both use {keys}"
            seen[keys] = name
    assert len(window.actions_by_name) == len(all_specs())
    assert us_keyboard("Ctrl++") == us_keyboard("Ctrl+Shift+=")  # the clash this test exists for


def test_zoom_in_and_one_neuron_more_by_keyboard(make_window, qtbot):
    window = make_window("cosine-memory")
    window.view.setFocus()
    zoom = window.view.zoom()
    qtbot.keyClick(window.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.view.zoom() == pytest.approx(zoom * 1.2)
    window.scene.select_key(ItemKey("layer", 1))
    qtbot.keyClick(window.view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.document.project.network.sizes == [2, 4, 1]


def test_focus_starts_on_the_canvas_so_space_adds_nothing(make_window, qtbot):
    window = make_window("cosine-memory")
    assert QApplication.focusWidget() is window.view
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert window.document.project.network.sizes == [2, 3, 1]


def test_delete_in_a_table_clears_the_cell_and_keeps_the_layer(make_window, qtbot):
    window = make_window("cosine-memory")
    window.scene.select_key(ItemKey("layer", 1))
    table = window.io_panel.input_table
    table.setFocus()
    table.setCurrentCell(0, 1)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert window.document.project.network.sizes == [2, 3, 1]  # the layer stays
    assert window.document.project.input[0] == 0.0 and window.document.project.input[1] == pytest.approx(1 / 3)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)  # on the canvas, Delete removes the selected layer
    assert window.document.project.network.sizes == [2, 1]


def test_back_from_the_update_leaves_nothing_to_redo(make_window, qtbot):
    window = make_window("backprop-4-2-3")
    start = window.document.project
    window.document.stepping.start()
    window.document.stepping.run_to(len(window.document.stepping.plan.steps) - 1)
    assert window.document.stepping.plan.step.phase == Phase.UPDATE
    assert window.document.undo_stack.undo_text().startswith("Apply update")
    assert window.document.project.network.layers[1].weights[0, 0] != 0.5  # the update is in
    window.actions_by_name["step_back"].trigger()
    assert window.document.project is start
    assert not window.actions_by_name["redo"].isEnabled()
    assert len(window.document.undo_stack) == 0


def test_undo_and_redo_during_a_pass_leave_it_and_say_so(make_window, qtbot):
    window = make_window("backprop-4-2-3")
    window.document.set_weight(1, 0, 0, "0.25")
    window.actions_by_name["undo"].trigger()
    window.document.stepping.start()
    window.document.stepping.run_to(3)
    window.actions_by_name["redo"].trigger()  # re-applies the typed weight, not an update
    assert not window.document.stepping.active
    assert "left step-through" in window.statusBar().currentMessage()
    assert window.document.project.network.layers[0].weights[0, 0] == 0.25
    # Mid-pass undo of an applied update: the pass is left, visibly; Redo brings back that update only
    window.document.stepping.start()
    window.document.stepping.run_to(len(window.document.stepping.plan.steps) - 1)
    updated = window.document.project
    window.actions_by_name["undo"].trigger()
    assert not window.document.stepping.active and window.document.project.network.layers[0].weights[0, 0] == 0.25
    window.actions_by_name["redo"].trigger()
    assert window.document.project is updated and not window.document.stepping.active


def test_the_canvas_banner_names_the_phase_and_why_edges_are_empty(make_window, qtbot):
    window = make_window("backprop-4-2-3")
    window.actions_by_name["edge_gradient"].trigger()
    assert "Step ▶" in window.view.banner.text() and window.view.banner.isVisible()
    window.document.stepping.start()
    window.document.stepping.run_to(2)
    assert "Forward · layer 1 · a" in window.view.banner.text()
    assert "appears once the backward pass" in window.view.banner.text()
    window.document.stepping.run_to(6)
    assert "Backward · layer 2 · δ" in window.view.banner.text()


def test_nnstudio_example_name_opens_it_in_the_window(monkeypatch):
    import nnstudio.ui.app as app_module

    opened = {}

    class FakeApp:
        def exec(self):
            return 0

        def setOrganizationName(self, _):
            pass

        setApplicationName = setOrganizationName

    class Window:
        pass

    def fake_window():
        window = Window()
        window.open_example = lambda name, ask=True: opened.setdefault("examples", []).append(name) or True
        window.open_path = lambda path, ask=True: opened.setdefault("paths", []).append(path) or True
        window.show = lambda: None
        window.show_internal_error = lambda summary: None
        return window

    monkeypatch.setattr(app_module, "QApplication", type("Q", (), {"instance": staticmethod(lambda: FakeApp())}))
    monkeypatch.setattr(app_module, "MainWindow", fake_window)
    monkeypatch.setattr(app_module.errors, "install", lambda show: None)
    assert app_module.run("backprop-4-2-3") == 0
    assert opened["examples"][-1] == "backprop-4-2-3" and "paths" not in opened


def test_file_dialogs_start_in_the_last_folder(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window("cosine-memory")
    folder = tmp_path / "lessons"
    folder.mkdir()
    save_project(load_example("xor"), folder / "xor.nnstudio")
    asked = []

    def fake_open(parent, title, start, file_filter):
        asked.append(start)
        return str(folder / "xor.nnstudio"), file_filter

    def fake_save(parent, title, start, file_filter):
        asked.append(start)
        return "", file_filter

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    window.open_dialog()
    assert window.document.path == folder / "xor.nnstudio"
    window.export_png_dialog()
    window.save_as()
    assert Path(asked[1]).parent == folder and Path(asked[2]).parent == folder
    assert window.settings.value("lastFolder") == str(folder)
    again = type(window)(None, window.settings)  # a new window (a new session) starts there too
    qtbot.addWidget(again)
    assert again.last_folder() == str(folder)


def test_the_unsaved_prompt_comes_only_for_a_file_that_opens(make_window, qtbot, tmp_path):
    window = make_window("cosine-memory")
    window.document.set_weight(1, 0, 0, "2")
    bad = tmp_path / "bad.nnstudio"
    bad.write_text("{ not json")
    prompts: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Ok, prompts)
    assert not window.open_path(bad)
    qtbot.waitUntil(lambda: bool(prompts))
    assert "Unsaved" not in prompts[0] and "bad.nnstudio" in prompts[0]  # the error, not the prompt
    assert window.document.project.network.layers[0].weights[0, 0] == 2.0  # untouched
    good = tmp_path / "good.nnstudio"
    save_project(load_example("xor"), good)
    asked: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Discard, asked)
    assert window.open_path(good)
    assert asked and "unsaved changes" in asked[0]


def test_saving_an_untitled_network_names_it_after_the_file(make_window, qtbot, tmp_path):
    window = make_window()
    window.document.add_layer(1)
    assert window.save_to(tmp_path / "my first net.nnstudio")
    assert load_project(tmp_path / "my first net.nnstudio").name == "my first net"
    named = make_window("xor")
    assert named.save_to(tmp_path / "copy.nnstudio")
    assert load_project(tmp_path / "copy.nnstudio").name == load_example("xor").name  # a name it had stays


def test_export_leaves_out_the_editing_buttons(make_window, qtbot, tmp_path):
    window = make_window("cosine-memory")
    painted = []
    for button in window.scene.buttons:
        original = button.paint
        button.paint = lambda *a, b=button, o=original: (painted.append(b), o(*a))[1]
    assert window.export_png(tmp_path / "net.png")
    assert painted == [] and all(b.isVisible() for b in window.scene.buttons)


def test_closing_clears_the_last_runs_docks_and_gradient_check(make_window, qtbot):
    window = make_window("backprop-4-2-3")
    window.step_panel.check_gradients()
    assert window.step_panel.check_result.text().startswith("Backprop and finite differences agree")
    window.document.set_weight(1, 0, 0, "0.3")
    assert window.step_panel.check_result.text() == ""  # a verdict on other weights is gone
    window.results_panel.gallery.addItem("stale")
    window.training_panel.status.setText("finished 3 epochs. Undo restores the untrained network.")
    window.training_panel.plot.steps.append(1.0)
    window.document.mark_clean()
    window.actions_by_name["close"].trigger()
    assert window.results_panel.gallery.count() == 0 and window.results_panel.data is None
    assert "Undo restores" not in window.training_panel.status.text()
    assert window.training_panel.plot.steps == []


def test_a_stale_gallery_image_cannot_fail(make_window, qtbot):
    from nnstudio.data.dataset import Dataset, DataSplit

    window = make_window("mnist-mlp")
    window.show_training()
    window.results_dock.raise_()  # the results are computed for the panel on screen
    images = np.zeros((4, 784))
    split = Dataset("digits", images, np.array([0, 1, 2, 3]), classes=tuple(str(k) for k in range(10)), image=(28, 28))
    window.results_panel.set_data(DataSplit(split, split))
    window.results_panel.refresh_gallery()
    assert window.results_panel.gallery.count() == 4
    item = window.results_panel.gallery.item(0)
    window.document.open_example("backprop-4-2-3")  # from now on those 784-pixel images fit nothing
    window.results_panel._on_gallery_item(item)
    assert window.document.project.input.shape == (4,)


@pytest.mark.slow
def test_the_cli_opens_an_example_by_name_without_a_traceback(tmp_path):
    """`nnstudio backprop-4-2-3` reaches the window (offscreen), and never says 'no such file'."""
    code = ("import sys; from PySide6.QtCore import QTimer; from PySide6.QtWidgets import QApplication;"
            "app = QApplication(sys.argv[:1]); QTimer.singleShot(300, app.quit);"
            "from nnstudio.cli import main; sys.exit(main(['backprop-4-2-3']))")
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "no such file" not in done.stderr and "Traceback" not in done.stderr


def test_matrix_editor_tab_stops_at_the_last_cell_and_shows_what_was_typed(make_window, qtbot):
    from PySide6.QtWidgets import QAbstractItemView

    window = make_window("cosine-memory")
    window.edit_matrix(1)
    editor = window.matrix_editors[1]
    table, model = editor.table, editor.model
    assert model.data(model.index(0, 0), Qt.ItemDataRole.EditRole) == "1"  # not "1.0"
    last = model.index(model.rowCount() - 1, model.columnCount() - 1)
    table.setCurrentIndex(last)
    move = table.moveCursor(QAbstractItemView.CursorAction.MoveNext, Qt.KeyboardModifier.NoModifier)
    assert (move.row(), move.column()) == (last.row(), last.column())  # no wrap to the first cell
    table.setCurrentIndex(model.index(0, 0))
    move = table.moveCursor(QAbstractItemView.CursorAction.MovePrevious, Qt.KeyboardModifier.NoModifier)
    assert (move.row(), move.column()) == (0, 0)
    move = table.moveCursor(QAbstractItemView.CursorAction.MoveNext, Qt.KeyboardModifier.NoModifier)
    assert (move.row(), move.column()) == (0, 1)
    editor.close()


# On purpose: a ValueError goes through the installed sys.excepthook; the window's report is under test.
@pytest.mark.injects_error
def test_an_uncaught_exception_becomes_a_message_not_a_traceback(make_window, qtbot, capsys, monkeypatch, tmp_path):
    import sys as system

    from nnstudio.ui import errors

    window = make_window("cosine-memory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the log goes to tmp_path/nnstudio/
    monkeypatch.setattr(system, "excepthook", system.excepthook)  # restored after the test
    import threading
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    relay = errors.install(window.show_internal_error)
    window.actions_by_name["add_layer"].setEnabled(False)  # as a failed run could leave it
    try:
        raise ValueError("expected shape (2,), got (784,)")
    except ValueError:
        system.excepthook(*system.exc_info())
    qtbot.waitUntil(lambda: "Error: ValueError" in window.statusBar().currentMessage())
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "ValueError: expected shape" in err
    assert "Traceback" in (tmp_path / "nnstudio" / "nnstudio.log").read_text()  # the details are kept for a report
    boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox" and w.isVisible()]
    assert boxes and "expected shape (2,), got (784,)" in boxes[-1].text()
    assert window.actions_by_name["add_layer"].isEnabled()  # the window is back to the truth
    del relay
