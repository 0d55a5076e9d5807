"""Training in the window: a real worker thread, driven through the panel's own widgets."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from nnstudio.core import build_network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.core.project import Project
from nnstudio.document import Document
from nnstudio.ui.window.main_window import MainWindow
from tests.ui.conftest import settle
from tests.ui.helpers import run_landed


def two_input_window(qtbot, settings, epochs=2000):
    project = Project(build_network([2, 6, 2], ["tanh", "softmax"], "xavier", seed=0), loss="cce",
                      optimizer=OptimizerConfig(learning_rate=0.05))  # the project's rate: the window opens unmodified
    window = MainWindow(Document(project), settings)
    qtbot.addWidget(window, before_close_func=settle)
    window.resize(1280, 800)
    window.show()
    window.actions_by_name["train"].trigger()  # as a person opens the training panel
    assert window.training_dock.isVisible()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("circles"))
    panel.epochs.setValue(epochs)
    panel.batch.setValue(1)
    panel.pace_row.fastest.click()  # not about the pace (tests/ui/test_pace_row.py): as fast as possible
    return window, panel


def test_training_runs_in_a_thread_and_stop_lands_the_network_undoably(qtbot, settings):
    window, panel = two_input_window(qtbot, settings)
    before = window.document.project
    panel.start_button.click()
    assert window.trainer.running
    qtbot.waitUntil(lambda: len(panel.plot.steps) >= 5, timeout=10000)  # progress arrives, the plot grows
    first = len(panel.plot.steps)
    qtbot.waitUntil(lambda: len(panel.plot.steps) > first, timeout=10000)  # still coming
    panel.plot.redraw()
    x, y = panel.plot.raw.getData()
    assert len(x) == len(panel.plot.steps) and np.all(np.isfinite(y))
    qtbot.waitUntil(lambda: window.document.preview is not None, timeout=5000)  # live weights reached the canvas
    with pytest.raises(Exception, match="while it is training"):
        window.document.add_layer(3)
    assert not window.actions_by_name["add_layer"].isEnabled()

    # What a person relies on: Stop ends the run after the current batch (not at the end of its 2000
    # epochs), and the window takes edits again. The timeout only bounds the wait for that event.
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.stop_button.click()
    result = ended.args[0]
    assert result is not None and result.stopped and result.error is None
    assert len(result.epochs) < 2000  # ended by Stop, not by running out of epochs
    qtbot.waitUntil(lambda: not window.trainer.running, timeout=60000)  # the thread is done
    assert not window.document.structure_locked
    assert panel.status.text().startswith(f"stopped after {len(result.epochs)} epoch")
    assert window.document.undo_stack.can_undo()
    trained = window.document.project
    assert trained is not before
    assert not trained.network.same_as(before.network)
    assert window.document.undo_stack.undo_text().startswith("Stopped training")
    assert window.actions_by_name["add_layer"].isEnabled()
    window.actions_by_name["undo"].trigger()
    assert window.document.project is before  # undo restores the old network exactly
    assert window.document.runs and window.document.runs[-1]["dataset"] == "circles"


def test_a_finished_run_lands_with_its_epochs(qtbot, settings):
    window, panel = two_input_window(qtbot, settings, epochs=3)
    panel.batch.setValue(16)
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    assert window.document.undo_stack.undo_text() == "Train 3 epochs on circles"
    assert len(panel.plot.epoch_x) == 3
    assert "finished 3 epochs" in panel.status.text()
    assert window.results_panel.confusion.rowCount() == 2


def test_run_history_and_curve_exports(qtbot, settings, tmp_path):
    import csv

    from PySide6.QtGui import QImage

    window, panel = two_input_window(qtbot, settings, epochs=4)
    panel.batch.setValue(8)
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    run = window.document.runs[-1]
    assert run["config"].epochs == 4 and len(run["epochs"]) == 4 and run["steps"]
    panel.plot.export_csv(tmp_path / "curves.csv")
    rows = list(csv.DictReader(open(tmp_path / "curves.csv", encoding="utf-8")))
    epochs = [r for r in rows if r["kind"] == "epoch"]
    assert [float(r["test_loss"]) for r in epochs] == pytest.approx([e.test_loss for e in run["epochs"]])
    assert len([r for r in rows if r["kind"] == "step"]) == len(panel.plot.steps)
    assert panel.plot.export_png(tmp_path / "plot.png")
    assert QImage(str(tmp_path / "plot.png")).width() > 200


def test_a_run_on_raw_inputs_drops_stale_normalisation(qtbot, settings):
    window, panel = two_input_window(qtbot, settings, epochs=2)
    stale = {"kind": "standard", "offset": np.array([5.0, 5.0]), "scale": np.array([2.0, 2.0])}
    window.document.apply(window.document.project.replace(normalisation=stale), "stale statistics", "values")
    panel.normalise.setCurrentIndex(panel.normalise.findData("none"))
    panel.batch.setValue(16)
    panel.start_button.click()
    qtbot.waitUntil(lambda: not window.trainer.running and window.document.undo_stack.undo_text().startswith("Train"),
                    timeout=20000)
    assert window.document.project.normalisation is None  # trained on raw inputs: nothing to apply
    panel.normalise.setCurrentIndex(panel.normalise.findData("standard"))
    panel.start_button.click()
    qtbot.waitUntil(lambda: not window.trainer.running and len(window.document.runs) == 2, timeout=20000)
    saved = window.document.project.normalisation
    assert saved["kind"] == "standard" and saved["offset"].shape == (2,)


def test_pause_and_resume(qtbot, settings, monkeypatch):
    """Pause holds the run (no record comes while it waits) and the time estimate leaves the pause out.

    No guessed waits: the run trains in the window's own thread (NNSTUDIO_TRAIN_IN_THREAD) so the test
    can see the loop reach its pause (an Event), and the panel's clock is a clock the test moves."""
    import threading
    from types import SimpleNamespace

    from nnstudio.training.control import TrainingControl
    from nnstudio.ui.panels.training import training_panel

    monkeypatch.setenv("NNSTUDIO_TRAIN_IN_THREAD", "1")
    reached = threading.Event()
    hold = TrainingControl.wait_while_paused

    def waiting(self, timeout=None):
        reached.set()  # the loop is at its pause: from here it makes no record until resumed
        return hold(self, timeout)

    monkeypatch.setattr(TrainingControl, "wait_while_paused", waiting)
    clock = [1000.0]
    monkeypatch.setattr(training_panel, "time", SimpleNamespace(perf_counter=lambda: clock[0]))  # the panel's alone
    window, panel = two_input_window(qtbot, settings)
    panel.start_button.click()
    qtbot.waitUntil(lambda: len(panel.plot.steps) >= 2, timeout=10000)
    panel.pause_button.click()
    assert panel.pause_button.text() == "Resume"
    assert reached.wait(timeout=60), "the run never reached its pause"
    QApplication.processEvents()  # the records sent before the pause are delivered …
    count = len(panel.plot.steps)
    QApplication.processEvents()
    assert len(panel.plot.steps) == count  # … and then nothing new while paused
    assert panel.status.text().startswith("Paused at epoch ") and "left" not in panel.status.text()
    clock[0] += 100.0  # a hundred seconds paused
    panel.pause_button.click()
    assert panel._paused_for == pytest.approx(100.0)  # the time estimate leaves the pause out
    qtbot.waitUntil(lambda: len(panel.plot.steps) > count, timeout=5000)
    with qtbot.waitSignal(window.trainer.ended, timeout=60000):
        panel.stop_button.click()


def test_closing_the_window_mid_run_stops_and_asks(qtbot, settings):
    from tests.ui.helpers import answer_next_message_box

    window, panel = two_input_window(qtbot, settings)
    panel.start_button.click()
    qtbot.waitUntil(lambda: len(panel.plot.steps) >= 2, timeout=10000)
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Discard, seen)
    window.close()
    assert not window.trainer.running
    assert seen and "unsaved changes" in seen[0]  # the trained network is unsaved work
    assert window.document.undo_stack.undo_text().startswith("Stopped training")


def test_an_error_in_the_worker_is_shown_as_a_message(qtbot, settings, tmp_path):
    window, panel = two_input_window(qtbot, settings)
    panel.dataset.setCurrentIndex(panel.dataset.findData("csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,2\n")
    panel.source.setText(str(bad))
    panel.start_button.click()
    qtbot.waitUntil(lambda: not window.trainer.running and "line 2" in panel.message.text(), timeout=5000)
    boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox" and w.isVisible()]
    assert boxes and "line 2 has 2 values, the header has 3" in boxes[-1].text()
    assert window.actions_by_name["add_layer"].isEnabled()  # the lock is released
    window.document.add_layer(3)


def test_the_loss_axis_reads_as_it_is_and_can_be_logarithmic(qtbot, settings):
    window, panel = two_input_window(qtbot, settings)
    item = panel.plot.plot.getPlotItem()
    assert item.getAxis("left").autoSIPrefix is False  # no "loss (×0.001)" with ticks in the hundreds
    panel.log_loss.setChecked(True)
    assert item.getViewBox().state["logMode"][1] and item.getAxis("left").labelText == "loss (log scale)"
    panel.log_loss.setChecked(False)
    assert not item.getViewBox().state["logMode"][1]


def test_bad_settings_are_refused_before_starting(qtbot, settings):
    window, panel = two_input_window(qtbot, settings)
    panel.learning_rate.setText("1/0")
    panel.start_button.click()
    assert not window.trainer.running
    assert "division by zero" in panel.message.text()


def test_the_panel_runs_a_schedule_and_stops_on_its_rules(qtbot, settings):
    window, panel = two_input_window(qtbot, settings, epochs=40)
    panel.batch.setValue(16)
    panel.schedule.setText("step:1:0.5")
    panel.patience.setValue(2)
    panel.restore_best.setChecked(True)
    panel.target_accuracy.setValue(100.0)
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    epochs = panel.plot.epoch_x
    assert 3 <= len(epochs) < 40  # halving every epoch, the test loss soon stops improving
    assert panel.status.text().startswith(f"stopped early after {len(epochs)} epochs in ")
    assert "Stopped: the test loss has not improved for 2 epochs" in panel.status.toolTip() or \
        "Stopped: reached the target test accuracy" in panel.status.toolTip()


@pytest.mark.parametrize("field, text, message", [("schedule", "step:x", "schedule: write a step schedule"),
                                                  ("restore", "", "goes with early stopping")])
def test_bad_schedule_or_stop_settings_are_refused_before_starting(qtbot, settings, field, text, message):
    window, panel = two_input_window(qtbot, settings)
    if field == "schedule":
        panel.schedule.setText(text)
    else:
        panel.restore_best.setChecked(True)
    panel.start_button.click()
    assert not window.trainer.running
    assert message in panel.message.text()


def test_drawing_on_the_pad_changes_input_and_prediction(make_window, qtbot):
    window = make_window("mnist-mlp")
    pad = window.results_panel.pad
    window.show_training()
    window.results_dock.raise_()
    window.results_panel.tabs.setCurrentIndex(0)
    qtbot.waitExposed(pad)
    before_input = window.document.project.input.copy()
    before_bars = [bar.value() for bar in window.results_panel.bars]
    side = min(pad.width(), pad.height())
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, side // 6))
    for k in range(1, 12):
        qtbot.mouseMove(pad, QPoint(side // 2, side // 6 + k * side // 16))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, side // 6 + 11 * side // 16))
    image = window.document.project.input.reshape(28, 28)
    assert not np.array_equal(window.document.project.input, before_input)
    assert image.max() > 0.5 and image[:, :4].max() == 0 and image[:, -4:].max() == 0  # centred like MNIST
    rows = np.nonzero(image.max(axis=1) > 0.1)[0]
    assert rows.max() - rows.min() >= 16  # a vertical stroke fitted to the 20-pixel box
    bars = [bar.value() for bar in window.results_panel.bars]
    assert bars != before_bars
    assert window.results_panel.prediction.text().startswith("→")
    assert window.document.undo_stack.undo_text() == "Draw a digit"
    # no label: the old target (the example's 7) does not belong to this drawing, so no loss is scored
    assert window.document.loss is None and not window.document.project.target_known
    assert window.io_panel.loss_label.text().startswith("no loss: the drawing has no label")
    labels = window.results_panel.draw_label
    labels.setCurrentIndex(labels.findData(1))  # "it is a 1": scored against class 1
    project = window.document.project
    assert project.target.tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0] and np.array_equal(project.input, image.ravel())
    p1 = float(window.document.trace.output[1])
    assert window.document.loss == pytest.approx(-np.log(p1), rel=1e-9)  # cross-entropy against the label
    assert window.document.undo_stack.undo_text() == "Draw a 1"


def test_the_confusion_matrix_names_its_axes_shows_shares_and_a_click_shows_that_cells_images(qtbot, make_window,
                                                                                             tmp_path):
    """MNIST-shaped data (the gallery shows images): after a run, every class is in sight with its count and
    row share, and clicking a cell leaves exactly that cell's test images in the gallery."""
    from nnstudio.core import forward
    from nnstudio.data import write_idx
    from PySide6.QtWidgets import QLabel

    rng = np.random.default_rng(0)
    for prefix, n in (("train", 300), ("t10k", 120)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = (rng.random((n, 28, 28)) * 60).astype(np.uint8)
        for k in range(10):
            images[labels == k, 2 * k:2 * k + 4, 4:24] = 255  # a bar per class: learnable
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    window = make_window("mnist-mlp")
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("mnist"))
    panel.source.setText(str(tmp_path))
    panel.epochs.setValue(2)
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=30000)
    results = window.results_panel
    table = results.confusion
    assert table.rowCount() == table.columnCount() == 10
    titles = {label.objectName(): label.text() for label in results.findChildren(QLabel)}
    assert titles["confusionPredicted"].startswith("predicted class →") and titles["confusionTrue"].startswith("true")
    counts = np.array([[int(table.item(i, j).text().split(" · ")[0] or 0) for j in range(10)] for i in range(10)])
    row = int(np.argmax(counts.sum(axis=1)))
    first = table.item(row, row).text()
    assert first.endswith(f"{counts[row, row] / counts[row].sum():.0%}")  # the share of its row
    column = int(np.argmax(np.where(np.arange(10) == row, -1, counts[row])))  # the row's biggest mistake, if any
    if counts[row, column] == 0:
        column = row
    table.cellClicked.emit(row, column)
    assert results.tabs.currentIndex() == 1
    shown = [results.gallery.item(k).data(Qt.ItemDataRole.UserRole) for k in range(results.gallery.count())]
    test = results.data.test
    predicted = np.argmax(forward(window.document.project.network, test.x.astype(np.float32)).output, axis=1)
    expected = [int(i) for i in np.flatnonzero((test.y == row) & (predicted == column))]
    assert shown == expected and len(shown) == counts[row, column]
    assert f"{len(shown)} image" in results.gallery_title.text()
    results.show_all.click()
    assert results.gallery.count() == min(len(test), 120)


def test_the_boundary_tab_says_why_when_there_is_no_plane_of_two_inputs(make_window):
    window = make_window("mnist-mlp")
    why = window.results_panel.boundary_why.toPlainText()
    assert "this network takes 784" in why and "2-input network" in why
    two = make_window("xor")
    assert two.results_panel.boundary_why.toPlainText() == ""


def test_the_rewind_slider_shows_the_network_as_it_was_and_lands_it_as_one_undo_step(qtbot, settings):
    window, panel = two_input_window(qtbot, settings, epochs=4)
    panel.batch.setValue(16)
    start = window.document.project.network
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    path = window.trainer.path
    ends = [s for s in path if s.epoch_end]
    assert [s.epoch for s in ends] == [0, 1, 2, 3, 4] and panel.rewind.isEnabled()
    assert ends[0].network.same_as(start)  # the start, bit for bit (it came back from the training process)
    trained = window.document.project.network
    for mine, theirs in zip(trained.layers, ends[-1].network.layers):  # the last snapshot is what landed
        np.testing.assert_array_equal(mine.weights, theirs.weights)
    first_epoch = path.index(ends[1])
    panel.rewind.setValue(first_epoch)
    assert panel.rewind_label.text().startswith("end of epoch 1")
    assert window.document.preview is ends[1].network  # canvas, readouts and maps show epoch 1
    assert window.document.shown().network is ends[1].network
    panel.use_weights.click()
    landed = window.document.project.network
    for mine, theirs in zip(landed.layers, ends[1].network.layers):  # bit for bit
        np.testing.assert_array_equal(mine.weights, theirs.weights)
        np.testing.assert_array_equal(mine.bias, theirs.bias)
    assert window.document.preview is None
    assert window.document.undo_stack.undo_text().startswith("Use the weights of end of epoch 1")
    window.document.undo()  # one step back: the trained network again
    assert window.document.project.network is trained
    panel.rewind.setValue(0)
    window.document.set_input(0, "0.5")  # an edit while rewound: the window shows the document again
    assert window.document.preview is None and panel.rewind.value() == panel.rewind.maximum()


def test_runs_are_kept_in_the_file_and_overlaid_with_the_setting_that_differs(qtbot, settings, tmp_path):
    window, panel = two_input_window(qtbot, settings, epochs=3)
    panel.batch.setValue(16)
    for rate in ("0.05", "0.1"):
        panel.learning_rate.setText(rate)
        panel.start_button.click()
        count = len(window.document.project.runs)
        qtbot.waitUntil(lambda: not window.trainer.running and len(window.document.project.runs) > count,
                        timeout=20000)
    runs = window.document.project.runs
    assert [r.settings["learning_rate"] for r in runs] == [0.05, 0.1] and all(len(r.epochs) == 3 for r in runs)
    assert [row.test_loss for row in runs[1].epochs] == [e.test_loss for e in window.trainer.epochs]
    view = window.results_panel.runs
    assert view.list.count() == 2 and view.ticked() == [0, 1]
    names = [name for _, name in ((s, l.text) for s, l in view.legend.items)]
    assert names == ["1: lr 0.05", "2: lr 0.1"]
    x, y = view.curves[1].getData()
    assert list(x) == [1, 2, 3] and list(y) == [row.test_loss for row in runs[1].epochs]
    path = tmp_path / "with-runs.nnstudio"
    assert window.save_to(path)
    from nnstudio.io import load_project

    assert load_project(path).runs == runs
    window.document.undo()  # the second run's weights and its record go together
    assert len(window.document.project.runs) == 1 and view.list.count() == 1


def test_a_large_map_opened_before_a_run_takes_the_runs_points_and_plane(qtbot, settings):
    from nnstudio.core.neuron_maps import DEFAULT_BOUNDS, plane_bounds

    window, panel = two_input_window(qtbot, settings, epochs=3)
    panel.batch.setValue(16)
    dialog = window.show_map_large(2, 0)  # the output's map, before any data
    assert dialog.bounds == DEFAULT_BOUNDS and len(dialog.train_points.data) == 0
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    data = window.results_panel.data
    assert dialog.bounds == plane_bounds(data.train.x) != DEFAULT_BOUNDS
    shown = np.column_stack([dialog.train_points.data["x"], dialog.train_points.data["y"]])
    np.testing.assert_array_equal(shown, data.train.x[:1000])
    hollow = np.column_stack([dialog.test_points.data["x"], dialog.test_points.data["y"]])
    np.testing.assert_array_equal(hollow, data.test.x[:1000])
    dialog.close()


def test_the_window_trains_in_a_process_of_its_own_or_in_a_thread_when_asked(qtbot, settings, monkeypatch):
    import os

    window, panel = two_input_window(qtbot, settings, epochs=3)
    panel.batch.setValue(16)
    panel.start_button.click()
    qtbot.waitUntil(lambda: window.trainer.worker.child is not None, timeout=5000)
    assert window.trainer.worker.child.process.pid != os.getpid()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    in_process = window.document.project.network
    assert window.trainer.worker.child.process.returncode == 0  # it ended with the run
    window.document.undo()
    monkeypatch.setenv("NNSTUDIO_TRAIN_IN_THREAD", "1")  # the old road, for comparison and sandboxes
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    assert window.trainer.worker.child is None
    for mine, theirs in zip(window.document.project.network.layers, in_process.layers):  # the same run
        np.testing.assert_allclose(mine.weights, theirs.weights, rtol=1e-5, atol=1e-6)


def test_after_a_run_of_a_two_input_network_the_results_open_on_its_boundary(qtbot, settings):
    window, panel = two_input_window(qtbot, settings, epochs=2)
    panel.batch.setValue(16)
    assert window.results_panel.tabs.currentIndex() == 0  # Draw: for 28 × 28 inputs only
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    assert window.results_panel.tabs.currentWidget() is window.results_panel.boundary
    assert window.results_panel.boundary_image.image is not None  # the decision boundary drawn


def test_the_runs_overlay_ticks_epochs_at_whole_numbers(make_window):
    window = make_window("xor")
    axis = window.results_panel.runs.plot.getPlotItem().getAxis("bottom")
    for low, high in ((1, 5), (1, 3), (0.8, 2.2), (1, 300)):
        ticks = [v for _, values in axis.tickValues(low, high, 600) for v in values]
        assert ticks and all(float(v).is_integer() for v in ticks), (low, high, ticks)
    assert [v for _, values in axis.tickValues(1, 5, 600) for v in values] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_stop_while_the_data_loads_is_a_quiet_stop_not_a_failure(qtbot, settings, monkeypatch):
    """Stop pressed while a local folder loads (half a minute on a busy machine): no error box, no talk of a
    download, and the panel and status bar say it stopped before training began."""
    import threading

    from nnstudio.ui.workers import training_worker
    from tests.ui.helpers import error_boxes

    release = threading.Event()
    real_load = training_worker.load_named

    def slow_load(*args, **kwargs):
        release.wait(timeout=60)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(training_worker, "load_named", slow_load)
    window, panel = two_input_window(qtbot, settings)
    before = window.document.project
    panel.start_button.click()
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.stop_button.click()
        release.set()
    assert ended.args[0] is None and not window.trainer.running
    assert not error_boxes()
    assert panel.status.text() == "Stopped before training began"
    assert window.statusBar().currentMessage() == "Stopped before training began"
    assert "download" not in panel.message.text()
    assert window.document.project is before and not window.document.structure_locked
    assert panel.start_button.isEnabled()


def test_a_stop_inside_an_epoch_says_the_step_it_stopped_at():
    """Stopped at step 1,463 of LeNet's first epoch of 1,875: the weights changed, so not "after 0 epochs"."""
    from nnstudio.training.progress import StepProgress, TrainingResult
    from nnstudio.ui.panels.training.ending_words import ending_words
    from nnstudio.ui.window.training_hooks import run_words

    network = build_network([2, 2], ["softmax"], "xavier", seed=0)
    stopped = TrainingResult(network, [], stopped=True)
    last = StepProgress(1, 1463, 1875, 1463 * 32, 0.5, 100.0, curve=True)
    line, details = ending_words(stopped, last)
    assert line == "stopped after 0 epochs and 1,463 of 1,875 steps: the network so far is in the document"
    assert "Stop came in epoch 1, at step 1,463" in details
    assert run_words(stopped, last) == "the network when Stop was pressed (after 0 epochs and 1,463 of 1,875 steps)"
    at_the_end = StepProgress(1, 1875, 1875, 1875 * 32, 0.5, 100.0, curve=True)  # no step of epoch 2 taken
    assert ending_words(stopped, at_the_end)[0].startswith("stopped after 0 epochs: ")
