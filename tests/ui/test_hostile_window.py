"""The window under hostile files (issue 13, class 7): every failure to open, step or save is a message box
naming the fault, and the open document and the file on disk stay exactly as they were."""

from __future__ import annotations

import json
import os
import threading

import pytest

from nnstudio.core.optim import OptimizerConfig
from nnstudio.io import dumps, load_example, save_project
from tests.ui.helpers import error_boxes, run_queued_events

NASTY = {
    "precision object": ('"precision": "float64"', '"precision": {"a": 1}', "precision: expected text"),
    "digits": ('"version": 1', '"version": ' + "1" * 5000, "a number has thousands of digits"),
    "surrogate": ('"name": "Cosine memory (2-3-1 ReLU)"', '"name": "\\ud800"', "name: holds an unpaired surrogate"),
    "std below zero": (None, None, "layers[0].weights.params: std must be ≥ 0, got -1"),
    "float32 overflow": ('"precision": "float64"', '"precision": "float32"', "1.01423e+304 does not fit in float32"),
    "implicit product": ('"1/sqrt(2)"', '"2' + "π" * 900 + '"', "invalid expression"),
    "budget": (None, None, "weights and biases; a network may hold at most 8,388,608"),
    "not JSON": (None, None, "not valid JSON"),
}


def _nasty_file(tmp_path, case: str):
    text = dumps(load_example("cosine-memory"))
    old, new, _ = NASTY[case]
    if case == "float32 overflow":
        text = text.replace('"1/sqrt(2)"', '"exp(700)"', 1)
    if case == "budget":
        layer = {"size": 4096, "activation": "relu", "weights": {"init": "he"}}
        text = json.dumps({"format": "nnstudio.network", "version": 1, "input": {"size": 4096},
                           "layers": [layer] * 64})
    elif case == "std below zero":
        data = json.loads(text)
        data["layers"][0]["weights"] = {"init": "normal", "params": {"std": -1}}
        text = json.dumps(data)
    elif case == "not JSON":
        text = text[: len(text) // 2]
    else:
        assert old in text, case
        text = text.replace(old, new, 1)
    path = tmp_path / f"{case.replace(' ', '-')}.nnstudio"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


@pytest.mark.parametrize("case", sorted(NASTY))
def test_a_nasty_file_is_a_message_and_the_open_document_stays(make_window, qtbot, tmp_path, case):
    window = make_window("backprop-4-2-3")
    window.document.set_weight(1, 0, 0, "3")  # unsaved work that must survive
    before = window.document.project
    path = _nasty_file(tmp_path, case)
    on_disk = path.read_bytes()
    assert window.open_path(path) is False
    qtbot.waitUntil(lambda: bool(error_boxes()))
    message = error_boxes()[-1].text()
    assert NASTY[case][2] in message and path.name in message, message
    assert window.document.project is before and window.document.modified
    assert path.read_bytes() == on_disk


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_opened_in_the_window_is_refused_at_once(make_window, qtbot, tmp_path):
    window = make_window("cosine-memory")
    fifo = tmp_path / "pipe.nnstudio"
    os.mkfifo(fifo)
    watchdog = threading.Timer(10, lambda: open(fifo, "wb").close())  # frees a blocked reader; the test then fails
    watchdog.start()
    try:
        assert window.open_path(fifo) is False
    finally:
        watchdog.cancel()
    qtbot.waitUntil(lambda: bool(error_boxes()))
    assert "is a pipe (FIFO), not a network file" in error_boxes()[-1].text()
    assert window.open_path("/dev/zero") is False
    qtbot.waitUntil(lambda: any("/dev/zero: is a device" in box.text() for box in error_boxes()))


# On purpose: save_project is replaced by one that raises; the unexpected-failure path is under test.
@pytest.mark.injects_error
def test_a_save_that_fails_unexpectedly_is_a_message_and_nothing_is_lost(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    window = make_window("cosine-memory")
    target = tmp_path / "kept.nnstudio"
    save_project(load_example("xor"), target)
    on_disk = target.read_bytes()
    window.document.set_weight(1, 0, 0, "3")

    def broken(project, path):
        raise ValueError("Out of range float values are not JSON compliant")

    monkeypatch.setattr("nnstudio.document.document.save_project", broken)
    assert window.save_to(target) is False
    qtbot.waitUntil(lambda: bool(error_boxes()))
    text = error_boxes()[-1].text()
    assert "ValueError: Out of range float values" in text and "Nothing was changed" in text
    assert window.document.modified and window.document.project.network.layers[0].weights[0, 0] == 3.0
    assert target.read_bytes() == on_disk
    assert "Traceback" in (tmp_path / "cache" / "nnstudio" / "nnstudio.log").read_text()


def test_a_save_into_a_folder_that_is_gone_is_a_message(make_window, qtbot, tmp_path):
    window = make_window("cosine-memory")
    assert window.save_to(tmp_path / "gone" / "x.nnstudio") is False
    qtbot.waitUntil(lambda: bool(error_boxes()))
    assert "gone" in error_boxes()[-1].text()


def test_stepping_into_an_overflowing_update_is_a_message_and_nothing_changes(make_window, qtbot):
    window = make_window("cosine-memory")
    project = window.document.project
    window.document.apply(project.replace(optimizer=OptimizerConfig(learning_rate=1e308),
                                          target=project.target + 1e300), "hostile settings", "values")
    before = window.document.project
    window.step()
    qtbot.waitUntil(lambda: bool(error_boxes()))
    assert "the update would make" in error_boxes()[-1].text()
    assert window.document.project is before


HOSTILE_EXPRESSIONS = ["2" + "π" * 900, "π" * 999, "1" + "+1" * 499 + "+", "(" * 70 + "1" + ")" * 70, "e" * 999]


@pytest.mark.parametrize("text", HOSTILE_EXPRESSIONS)
def test_hostile_expressions_typed_or_pasted_into_the_weight_editor_are_refused_by_name(make_window, qtbot, text):
    from PySide6.QtCore import Qt

    window = make_window("backprop-4-2-3")
    window.edit_matrix(1)
    editor = window.matrix_editors[1]
    before = window.document.project
    assert not editor.model.setData(editor.model.index(0, 0), text, Qt.ItemDataRole.EditRole)  # typed
    assert editor.error.isVisible() and 0 < len(editor.error.text()) < 300
    assert not editor.paste_text(f"1\t{text}\n{text}\t2\n")  # pasted as a block
    assert editor.error.isVisible() and 0 < len(editor.error.text()) < 300
    assert window.document.project is before and len(window.document.undo_stack) == 0


def test_an_enormous_paste_is_refused_before_it_is_split(make_window, qtbot, monkeypatch):
    import nnstudio.ui.panels.network.matrix_editor as matrix_editor

    split = []
    monkeypatch.setattr(matrix_editor, "parse_block", lambda text: split.append(text) or [["1"]])
    window = make_window("backprop-4-2-3")
    window.edit_matrix(1)
    editor = window.matrix_editors[1]
    # W1 and b1 from the first cell: 2 × 5 = 10 cells of at most 40 characters, and 200,000 of expressions.
    assert not editor.paste_text("1\t" * 100_201)
    assert editor.error.text() == ("the clipboard holds 200,402 characters; a paste into W1 from row 1, column 1 may "
                                   "hold at most 200,400 (10 values of up to 40 characters, and 200,000 of "
                                   "expressions); nothing was changed")
    assert split == [] and len(window.document.undo_stack) == 0


WINDOW_UP = "test: the window is up and its event loop running"


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="SIGINT to a child is POSIX")
def test_ctrl_c_in_the_terminal_closes_the_window_with_status_130(tmp_path):
    import signal
    import subprocess
    import sys

    from tests.waiting import wait_for_line

    # The real command (nnstudio.launch.main, as `python -m nnstudio cosine-memory` runs it), plus one line on
    # stdout once the window is shown and its event loop runs: a timer queued by show() fires only inside
    # app.exec(), which starts after run() has installed its Ctrl-C handler. (The app prints no such line
    # itself; the child's stdout is not otherwise checked.)
    code = ("import sys\n"
            "from PySide6.QtCore import QTimer\n"
            "from nnstudio.ui.window.main_window import MainWindow\n"
            "show = MainWindow.show\n"
            "def show_and_tell(self):\n"
            "    show(self)\n"
            f"    QTimer.singleShot(0, lambda: print({WINDOW_UP!r}, flush=True))\n"
            "MainWindow.show = show_and_tell\n"
            "from nnstudio.launch import main\n"
            "sys.exit(main())\n")
    # The user cache is the per-test one tests/conftest.py set (inherited), so a logged internal error fails the test.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    process = subprocess.Popen([sys.executable, "-c", code, "cosine-memory"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    wait_for_line(process, lambda line: line.strip() == WINDOW_UP, "the window being up")
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in errors and len(errors.strip().splitlines()) <= 1, errors


def test_a_refused_input_value_is_put_back_in_the_table_and_a_good_one_kept(make_window, qtbot):
    window = make_window("cosine-memory")
    table = window.io_panel.input_table
    table.item(0, 1).setText("1/(")  # as typed into the cell
    qtbot.waitUntil(lambda: table.item(0, 1).text() == "5/6")  # put back: the input is still 5/6
    assert window.document.project.input[0] == pytest.approx(5 / 6)
    table.item(0, 1).setText("1/2")
    qtbot.waitUntil(lambda: window.document.project.input[0] == 0.5)
    window.step()  # a step refills nothing it need not, and shows the same text
    run_queued_events()  # whatever refill the step queued has run
    assert table.item(0, 1).text() == "1/2"
