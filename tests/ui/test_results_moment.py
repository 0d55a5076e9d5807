"""Results that belong to one network and one moment (issue 27, part 2).

After Stop the confusion matrix once came from the last finished epoch while a clicked cell's gallery
came from the network Stop left: "47 · 41%" above 27 images. Every number here is checked against a
forward pass written in the test (tests/support/reference.py), not against the panel's own code.
"""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from nnstudio.data.named import load_named
from tests.support import reference
from tests.support.digits import write_digits


def digit_window(qtbot, make_window, tmp_path, epochs=5, batch=1):
    window = make_window("mnist-mlp")
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("mnist"))
    panel.source.setText(str(write_digits(tmp_path / "digits")))
    panel.epochs.setValue(epochs)
    panel.batch.setValue(batch)
    panel.learning_rate.setText("0.01")
    return window, panel


def digits_test_set(tmp_path):
    return load_named("mnist", tmp_path / "digits").test


def cell_count(table, row: int, column: int) -> int:
    item = table.item(row, column)
    return int(item.text().split(" · ")[0]) if item is not None and item.text() else 0


def shown_matrix(table) -> np.ndarray:
    return np.array([[cell_count(table, i, j) for j in range(table.columnCount())] for i in range(table.rowCount())])


def reference_matrix(network, test) -> tuple[np.ndarray, np.ndarray]:
    outputs = reference.forward(reference.layers_of(network), test.x)[-1][1]
    guesses = reference.predicted(outputs)
    return reference.confusion(test.y, guesses, 10), guesses


def click_cell(qtbot, table, row: int, column: int) -> None:
    rect = table.visualItemRect(table.item(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_after_stop_mid_epoch_every_clicked_cell_shows_exactly_its_images(qtbot, make_window, tmp_path):
    window, panel = digit_window(qtbot, make_window, tmp_path)
    results = window.results_panel
    panel.start_button.click()
    # Stop once the first epoch has ended and the second is under way: the matrix of epoch 1 and the
    # network Stop leaves then differ.
    qtbot.waitUntil(lambda: len(panel.plot.epoch_x) >= 1 and panel.plot.steps and
                    panel.plot.steps[-1] > panel.plot.epoch_x[0], timeout=60000)
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.stop_button.click()
    result = ended.args[0]
    assert result.stopped and 1 <= len(result.epochs) < 5
    results.tabs.setCurrentWidget(results.confusion_page)
    qtbot.waitUntil(lambda: results.confusion.rowCount() == 10)

    landed = window.document.project.network
    expected, guesses = reference_matrix(landed, digits_test_set(tmp_path))
    np.testing.assert_array_equal(shown_matrix(results.confusion), expected)
    assert "Stop was pressed" in results.confusion_caption.text()

    # Every non-empty cell (and an empty one): its gallery holds exactly its images, each labelled so.
    test = digits_test_set(tmp_path)
    cells = [(i, j) for i in range(10) for j in range(10) if expected[i, j]] + \
        [next((i, j) for i in range(10) for j in range(10) if not expected[i, j])]
    for i, j in cells:
        results.tabs.setCurrentWidget(results.confusion_page)
        click_cell(qtbot, results.confusion, i, j)
        assert results.tabs.currentIndex() == 1  # the gallery
        count = int(expected[i, j])
        title = results.gallery_title.text()
        assert title.startswith(f"true {i}, predicted {j}: {count} image"), title
        assert results.gallery.count() == min(count, 120)
        shown = [results.gallery.item(k).data(Qt.ItemDataRole.UserRole) for k in range(results.gallery.count())]
        assert shown == [int(n) for n in np.flatnonzero((test.y == i) & (guesses == j))][:120]


def test_results_follow_undo_and_rewind_and_clear_on_open(qtbot, make_window, tmp_path):
    window, panel = digit_window(qtbot, make_window, tmp_path, epochs=2, batch=16)
    results = window.results_panel
    untrained = window.document.project.network
    with qtbot.waitSignal(window.trainer.ended, timeout=60000):
        panel.start_button.click()
    results.tabs.setCurrentWidget(results.confusion_page)
    test = digits_test_set(tmp_path)
    trained = window.document.project.network
    qtbot.waitUntil(lambda: results.confusion.rowCount() == 10)
    np.testing.assert_array_equal(shown_matrix(results.confusion), reference_matrix(trained, test)[0])
    assert "after 2 epochs of training" in results.confusion_caption.text()

    # Undo the run: the matrix is of the untrained network now, and says so.
    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: "as it is now" in results.confusion_caption.text())
    np.testing.assert_array_equal(shown_matrix(results.confusion), reference_matrix(untrained, test)[0])
    window.actions_by_name["redo"].trigger()
    qtbot.waitUntil(lambda: "after 2 epochs" in results.confusion_caption.text())

    # Rewind to the end of epoch 1: that moment's network, named.
    path = window.trainer.path
    moment = next(k for k, snapshot in enumerate(path) if snapshot.epoch_end and snapshot.epoch == 1)
    panel.rewind.setValue(moment)
    qtbot.waitUntil(lambda: "rewound to end of epoch 1" in results.confusion_caption.text())
    np.testing.assert_array_equal(shown_matrix(results.confusion), reference_matrix(path[moment].network, test)[0])
    panel.rewind.setValue(panel.rewind.maximum())

    # Draw a digit, then open another network: nothing of the old one stays.
    results.tabs.setCurrentIndex(0)
    pad = results.pad
    side = min(pad.width(), pad.height())  # the drawing square
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, side // 2))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, side // 2))
    assert pad.ink().max() > 0 and results.prediction.text().startswith("→ ")
    assert panel.plot.steps  # the run drew its curve
    window.open_example("cosine-memory", ask=False)
    assert pad.ink().max() == 0 and results.confusion.rowCount() == 0 and results.gallery.count() == 0
    assert results.prediction.text() == "needs a network with 784 inputs"
    # The loss plot starts again: no points, and not the old run's axes (0 … its samples).
    x_range, y_range = panel.plot.plot.getPlotItem().viewRange()
    assert not panel.plot.steps and x_range == pytest.approx([0, 1]) and y_range == pytest.approx([0, 1])
