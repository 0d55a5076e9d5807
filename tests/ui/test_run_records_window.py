"""Run records opened in the window (issue 29): a faulty record is a message, never a crash or a half-open file.

An epoch of 1e20 in a run's row reached the Runs plot as a Python integer too large for int64; pyqtgraph
made an object array of it, and Qt's scene crashed the window (exit 139). A string learning rate opened the
file half-way (the run list's title could not format it) and the window then said the file was unchanged.
Both are refused where the file is read now, by field, and the open document stays as it was.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from nnstudio.io import dumps, load_example
from nnstudio.ui.panels.results.runs_panel import RunsPanel
from tests.ui.helpers import error_boxes


def _run(**changes) -> dict:
    run = {"dataset": "xor", "settings": {"epochs": 2, "batch_size": 4, "optimizer": "sgd", "learning_rate": 0.5},
           "epochs": [[1, 0.69, 0.68, 0.5, 0.5, 4], [2, 0.6, 0.59, 0.75, 0.5, 8]], "train_curve": [[4, 0.7]],
           "seconds": 0.1, "outcome": "finished", "sizes": [2, 2, 1]}
    run.update(changes)
    return run


def _write(tmp_path, name: str, *runs: dict):
    data = json.loads(dumps(load_example("xor")))
    data["runs"] = list(runs)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("name, run, message", [
    ("epoch-1e20.nnstudio", _run(epochs=[[1e20, 0.69, 0.68, 0.5, 0.5, 4]]),
     "runs[0].epochs[0][0]: epoch must be a whole number from 1 to 1,000,000, got 1e+20"),
    ("text-rate.nnstudio", _run(settings={"learning_rate": "fast"}),
     "runs[0].settings.learning_rate: expected a finite number ≥ 0, got text"),
    ("huge-seen.nnstudio", _run(epochs=[[1, 0.69, 0.68, 0.5, 0.5, 10**400]]),
     "runs[0].epochs[0][5]: samples seen must be a finite number, got a number too large for a float"),
])
def test_a_faulty_run_record_is_a_message_and_the_open_document_stays(make_window, qtbot, tmp_path, name, run,
                                                                      message):
    window = make_window("backprop-4-2-3")
    window.document.set_weight(1, 0, 0, "3")  # unsaved work that must survive
    before = window.document.project
    path = _write(tmp_path, name, run)
    on_disk = path.read_bytes()
    assert window.open_path(path) is False
    qtbot.waitUntil(lambda: bool(error_boxes()))
    shown = error_boxes()[-1].text()
    assert f"{name}: {message}" in shown, shown
    assert window.document.project is before and window.document.modified
    assert path.read_bytes() == on_disk


def test_valid_runs_open_and_are_plotted(make_window, qtbot, tmp_path):
    window = make_window("xor")
    path = _write(tmp_path, "runs.nnstudio", _run(), _run(settings={"learning_rate": 0.1}))
    assert window.open_path(path, ask=False) is True
    assert len(window.document.project.runs) == 2
    panel = window.findChild(RunsPanel)
    assert panel.list.count() == 2
    assert [panel.list.item(i).checkState() for i in range(2)] == [Qt.CheckState.Checked] * 2  # the latest two
    assert panel.list.item(1).text().startswith("2. xor · ? lr 0.1 · batch ? · 2 epochs · test accuracy 75.0%")
    xs, ys = panel.curves[1].getData()
    assert list(xs) == [1, 2] and list(ys) == [0.68, 0.59]
