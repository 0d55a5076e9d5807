"""Runs that say where they started (issue 31, item 4), through the real window and training process:
"from the same start" trains from exactly the recorded start, a second plain Start is "continued from run 1",
fresh weights come again from their seed, the Runs overlay says which runs share a start, and the rewound
moment is marked on the training plot."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from nnstudio.core import build_network
from nnstudio.core.init import reinitialise
from nnstudio.core.parameter_print import parameter_print
from nnstudio.core.runs import RunStart
from tests.ui.helpers import shown_training_window


def _window(qtbot, settings, network=None):
    window, panel = shown_training_window(qtbot, settings, network)
    fastest = panel.findChild(QPushButton, "fastestPace")  # a toy set is paced to be watched; not here
    if fastest is not None and fastest.isEnabled() and not fastest.isChecked():
        fastest.click()
    return window, panel


def _train(qtbot, window, panel):
    """Press Start and wait for the run's record; the record."""
    count = len(window.document.project.runs)
    panel.start_button.click()
    qtbot.waitUntil(lambda: not window.trainer.running and len(window.document.project.runs) > count, timeout=30000)
    return window.document.project.runs[-1]


def _equal_bits(one, two) -> bool:
    return one.sizes == two.sizes and all(
        np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias) and a.weights.dtype == b.weights.dtype
        for a, b in zip(one.layers, two.layers))


def _titles(window) -> list[str]:
    view = window.results_panel.runs
    return [view.list.item(i).text().split("\n")[1].strip() for i in range(view.list.count())]


def test_from_the_same_start_trains_from_the_recorded_start_bit_for_bit_and_the_overlay_says_so(qtbot, settings):
    window, panel = _window(qtbot, settings)
    start = window.document.project.network
    first = _train(qtbot, window, panel)
    assert first.start == RunStart("as-is", parameter_print(start))  # built by hand: no run's end
    assert first.end_fingerprint == parameter_print(window.document.project.network)
    row = panel.start_row
    assert [row.combo.itemText(i) for i in range(row.combo.count())] == [
        "the network as it is", "fresh weights (seed 0)", "the same start as run 1"]
    row.combo.setCurrentIndex(2)
    panel.learning_rate.setText("0.1")
    second = _train(qtbot, window, panel)

    path = window.trainer.path
    assert _equal_bits(path[0].network, start)  # the run's first parameters are run 1's start, bit for bit
    assert second.start == RunStart("same", first.start.fingerprint)
    assert second.end_fingerprint == parameter_print(window.document.project.network) != first.end_fingerprint
    assert _equal_bits(window.document.project.network, path[-1].network.astype(np.float64))  # its end landed
    view = window.results_panel.runs
    assert _titles(window) == ["the network as it was", "from the start of run 1"]
    assert "start parameters " + first.start.fingerprint in view.list.item(1).toolTip()
    assert view.ticked() == [0, 1] and view.starts.text() == "runs 1 and 2 share a start (run 1's)"
    assert [item.text for _, item in view.legend.items] == ["1: lr 0.05", "2: lr 0.1"]
    assert row.combo.currentText() == "the same start as run 1"  # kept for the next setting to compare
    window.document.undo()  # the run and its record go together, as before
    assert len(window.document.project.runs) == 1 and row.combo.count() == 3


def test_a_second_plain_start_continues_from_run_1_and_fresh_weights_start_alike(qtbot, settings):
    window, panel = _window(qtbot, settings)
    first = _train(qtbot, window, panel)
    second = _train(qtbot, window, panel)  # the network as it is: run 1's end
    assert second.start == RunStart("continued", first.end_fingerprint)
    assert parameter_print(window.trainer.path[0].network) == first.end_fingerprint
    assert window.results_panel.runs.starts.text() == "different starts"

    panel.seed.setValue(3)
    row = panel.start_row
    assert row.combo.itemText(1) == "fresh weights (seed 3)"
    row.combo.setCurrentIndex(1)
    before = window.document.project.network
    third = _train(qtbot, window, panel)
    fresh = reinitialise(before, 3)
    assert _equal_bits(window.trainer.path[0].network, fresh)
    fourth = _train(qtbot, window, panel)  # fresh again, from run 3's end: the same fresh weights
    assert third.start == fourth.start == RunStart("fresh", parameter_print(fresh), 3)
    assert _titles(window) == ["the network as it was", "continued from run 1", "fresh, seed 3", "fresh, seed 3"]
    assert window.results_panel.runs.starts.text() == "runs 3 and 4 share a start (run 3's)"


def test_a_start_opened_from_a_file_is_offered_only_when_it_can_be_drawn_again(qtbot, settings, tmp_path):
    window, panel = _window(qtbot, settings)
    _train(qtbot, window, panel)
    panel.seed.setValue(2)
    panel.start_row.combo.setCurrentIndex(1)
    _train(qtbot, window, panel)
    path = tmp_path / "two-runs.nnstudio"
    assert window.save_to(path)

    other, other_panel = _window(qtbot, settings, build_network([2, 6, 2], ["tanh", "softmax"], "xavier", seed=5))
    assert other.open_path(path, ask=False)
    other_panel.dataset.setCurrentIndex(other_panel.dataset.findData("circles"))
    row = other_panel.start_row
    # run 1 started from weights no one holds here; run 2's fresh start is drawn again from seed 2
    assert [row.combo.itemText(i) for i in range(row.combo.count())][2:] == ["the same start as run 2"]
    assert "Not offered: run 1 — the start parameters are not known" in row.combo.toolTip()
    row.combo.setCurrentIndex(2)
    other_panel.seed.setValue(9)  # the seed of a fresh start to come, not of run 2's start
    third = _train(qtbot, other, other_panel)
    assert _equal_bits(other.trainer.path[0].network, reinitialise(other.document.project.network, 2))
    assert third.start == RunStart("same", other.document.project.runs[1].start.fingerprint)
    other.results_panel.runs.list.item(0).setCheckState(Qt.CheckState.Checked)  # runs 2 and 3 were ticked
    assert other.results_panel.runs.starts.text() == "runs 2 and 3 share a start (run 2's); run 1 starts differently"


def test_the_rewound_moment_is_marked_on_the_plot(qtbot, settings):
    window, panel = _window(qtbot, settings)
    panel.epochs.setValue(4)
    _train(qtbot, window, panel)
    marker = panel.plot.moment
    assert not marker.isVisible()  # at the end: no mark
    ends = [s for s in window.trainer.path if s.epoch_end]
    panel.rewind.setValue(window.trainer.path.index(ends[2]))
    assert marker.isVisible() and marker.value() == ends[2].samples_seen == 2 * ends[1].samples_seen > 0
    assert marker.label.toPlainText() == "end of epoch 2" == panel.rewind_label.text()
    panel.rewind.setValue(0)
    assert marker.isVisible() and marker.value() == 0 and marker.label.toPlainText() == "start"
    panel.rewind.setValue(panel.rewind.maximum())
    assert not marker.isVisible()
    panel.rewind.setValue(1)
    panel.plot.clear()  # a new run (or another network) clears the plot, and the mark with it
    assert not marker.isVisible()


def test_the_selected_run_in_results_gives_the_next_runs_start(qtbot, settings):
    """Results → Runs: select a run, "Train from its start…": the Training panel comes forward with Start from
    on that run's start, and the run that follows starts from it bit for bit."""
    window, panel = _window(qtbot, settings)
    start = window.document.project.network
    _train(qtbot, window, panel)
    _train(qtbot, window, panel)  # continues from run 1's end
    runs = window.results_panel.runs
    window.results_dock.raise_()
    assert not runs.use_start.isEnabled()  # nothing selected yet
    runs.list.setCurrentRow(0)
    assert runs.use_start.isEnabled()
    runs.use_start.click()
    assert panel.start_row.combo.currentText() == "the same start as run 1"
    assert window.training_dock.isVisible() and not window.training_dock.visibleRegion().isEmpty()
    third = _train(qtbot, window, panel)
    assert _equal_bits(window.trainer.path[0].network, start)
    assert third.start.kind == "same" and third.start.fingerprint == window.document.project.runs[0].start.fingerprint
