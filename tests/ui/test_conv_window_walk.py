"""A window built directly around a network with maps (issue 35's next step) survives everything it offers.

The window still refuses such networks where a file, a lesson or a paste brings one (test_conv_refused.py); these
tests make the Document directly, as /work/shots/35/lenet_maps_shot.py does, and walk every action, dock, tab, click,
step, typed value, training run and Undo/Redo. The suite's internal-error guard (tests/conftest.py) fails a test if
any exception reached the window's error relay; pytest-qt fails one whose slot raised. What cannot be done for maps
yet is refused by name, in the place the person looks: the Memory view's summary, the Step dock's equations, an edit's
message.

conv-4x4 is docs/conv-worked-example.md's network: a 4×4 input, one 2×2 kernel with ReLU (1×3×3 maps, the middle
value a = 0.5), a 2×2 max pool and one dense output neuron.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QCheckBox, QDialog, QLabel, QSpinBox

from nnstudio.document import EditError
from nnstudio.ui.canvas.map_tile_item import MapTileItem
from nnstudio.ui.selection import ItemKey
from tests.ui.counted import Counted, focused
from tests.ui.helpers import error_boxes, run_landed, run_queued_events

# File dialogs and quitting: each opens a dialog of its own or ends the window (their work is reached directly below).
FILE_ACTIONS = {"quit", "close", "new", "open", "save", "save_as", "export_png", "export_svg", "export_model",
                "import_model"}


def labels(widget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisible() and label.text()]


def select(window, key: ItemKey) -> None:
    """The window's route for a selection (the scene's signal to the Inspector and the Step dock): the canvas
    draws maps without a selectable item yet, so a map's layer or value is chosen the way a click will choose it."""
    window.scene.selection_key_changed.emit(key)
    run_queued_events()


def trigger(window, name: str) -> None:
    """Trigger the action; a modal dialog it opens (About, a question) is closed as soon as it shows."""
    QTimer.singleShot(0, close_modal)
    window.actions_by_name[name].trigger()
    run_queued_events()


def close_modal() -> None:
    modal = QApplication.activeModalWidget()
    if isinstance(modal, QDialog):
        modal.reject()


def close_error_boxes() -> list[str]:
    texts = [box.text() for box in error_boxes()]
    for box in error_boxes():
        box.close()
    return texts


def view_point(window, item) -> QPoint:
    return window.view.mapFromScene(item.sceneBoundingRect().center())


@pytest.mark.parametrize("example", ["lenet", "conv-4x4"])
def test_every_action_and_dock_runs_on_a_network_with_maps(make_window, example, tmp_path):
    window = make_window(example)
    start = window.document.project.network
    for dock in (window.io_dock, window.inspector_dock, window.step_dock, window.memory_dock, window.training_dock,
                 window.results_dock):
        dock.show()
        dock.raise_()
        run_queued_events()
    tabs = window.results_panel.tabs
    for index in range(tabs.count()):  # Draw, Gallery, Confusion, Units, Runs, Boundary
        tabs.setCurrentIndex(index)
        run_queued_events()
    done = []
    for name in window.actions_by_name:
        if name not in FILE_ACTIONS:
            trigger(window, name)
            done.append(name)
    last = len(start.layers)
    window.scene.select_key(ItemKey("layer", last))  # the dense output layer, on the canvas
    for name in ("copy_layer", "copy_weights", "edit_matrix", "neuron_more", "undo", "insert_layer", "undo",
                 "paste_layer", "delete", "undo", "redo", "undo"):
        trigger(window, name)
        done.append(name)
    refused = close_error_boxes()
    assert all("Something went wrong" not in text for text in refused)
    assert len(done) == len(window.actions_by_name) - len(FILE_ACTIONS) + 12
    assert window.export_png(tmp_path / "maps.png") and (tmp_path / "maps.png").stat().st_size > 0
    assert window.export_svg(tmp_path / "maps.svg") and "<svg" in (tmp_path / "maps.svg").read_text("utf-8")
    assert window.save_to(tmp_path / "maps.nnstudio")
    for _ in range(len(done)):  # Undo all the way back: the network as it opened
        if window.actions_by_name["undo"].isEnabled():
            trigger(window, "undo")
    assert window.document.project.network.same_as(start)


def test_the_inspector_names_a_convolution_its_kernels_and_a_pooling_its_window(make_window):
    window = make_window("lenet")
    select(window, ItemKey("layer", 0))
    assert "1×28×28" in labels(window.inspector)
    select(window, ItemKey("layer", 1))
    shown = labels(window.inspector)
    assert "6 of 5×5 over 1 channel" in shown and "6×28×28" in shown
    spins = {name: window.inspector.findChild(QSpinBox, name).value() for name in ("geometryPadding", "geometryStride")}
    assert spins == {"geometryPadding": 2, "geometryStride": 1}  # the geometry form (layer_geometry_form.py)
    assert shown[shown.index("Parameters") + 1] == "156"  # 6·5·5 kernel values and 6 biases
    select(window, ItemKey("layer", 2))
    assert "max of each 2×2 window" in labels(window.inspector) and "6×14×14" in labels(window.inspector)
    select(window, ItemKey("layer", 1))
    count = window.document.project.network.parameter_count
    bias = window.inspector.findChild(QCheckBox, "layerBias")
    assert bias.isChecked()
    bias.click()  # the conv layer's bias off: one undoable edit
    run_queued_events()
    assert window.document.project.network.layers[0].bias is None
    assert window.document.project.network.parameter_count == count - 6
    trigger(window, "undo")
    assert window.document.project.network.layers[0].bias is not None
    select(window, ItemKey("edge", 1, 0, 0))  # a layer of maps has no edge per weight: the network's summary
    assert "Parameters" in labels(window.inspector)


def test_stepping_shows_each_phase_and_a_map_value_by_name(make_window):
    window = make_window("conv-4x4")
    trigger(window, "step")
    trigger(window, "step")
    assert "layer 1: z" in window.step_panel.step_label.text()
    select(window, ItemKey("neuron", 1, 4))  # the middle of the 3×3 map
    assert window.step_panel.equations.toPlainText() == (
        "Layer 1 is a convolution: its equations are not written out, only a dense layer's neuron by neuron.")
    shown = labels(window.inspector)
    assert "map 1, row 2, column 2 of 1×3×3" in shown
    assert shown[shown.index("z") + 1] == "0.5"  # z = 1·1 + 0·3 − 1·1 + 2·0 + 0.5 (the worked example)
    trigger(window, "run_forward")
    assert "layer 3: a = g(z)" in window.step_panel.step_label.text()
    trigger(window, "run_backward")
    assert window.step_panel.step_label.text().startswith("Step 13 of 14 — layer 1: gradients")
    trigger(window, "step_back")
    assert "layer 1: δ" in window.step_panel.step_label.text()
    trigger(window, "reset_steps")
    assert window.step_panel.step_label.text().startswith("Step 0 of 14")
    trigger(window, "stop_stepping")
    assert window.step_panel.step_label.text().startswith("Not stepping")


def test_the_memory_view_says_why_a_layer_of_maps_has_no_memories(make_window):
    window = make_window("conv-4x4")
    window.memory_dock.show()
    window.memory_dock.raise_()
    run_queued_events()
    panel = window.memory_panel
    assert panel.layer_combo.currentText() == "Layer 1: maps, no memories"
    assert panel.summary.text() == ("Layer 1 is a convolution: the memory reading is of a dense layer's weight rows.")
    assert panel.table.rowCount() == 0
    panel.layer_combo.setCurrentIndex(2)  # the dense output neuron: one memory
    run_queued_events()
    assert panel.table.rowCount() == 1


def test_clicking_a_map_tile_and_a_dense_neuron(make_window, qtbot):
    window = make_window("conv-4x4")
    person = Counted(qtbot)
    tile = next(item for item in window.scene.items() if isinstance(item, MapTileItem) and item.column == 1)
    person.click(window.view.viewport(), view_point(window, tile))
    assert window.scene.selected_key() == ItemKey("pixel", 1, 1, 1, channel=0)  # the 3×3 map's centre pixel
    neuron = window.scene.items_by_key[ItemKey("neuron", 3, 0)]
    person.click(window.view.viewport(), view_point(window, neuron))
    assert window.scene.selected_key() == ItemKey("neuron", 3, 0)
    assert "Neuron 1 of layer 3" in labels(window.inspector)[0]
    assert window.step_panel.equations.toPlainText().startswith("Select") is False
    assert person.clicks == 2


def test_typing_an_input_value_and_undo_restores_it(make_window, qtbot):
    window = make_window("conv-4x4")
    person = Counted(qtbot)
    before = window.document.project.input.copy()
    table = window.io_panel.input_table
    person.click(table.viewport(), table.visualItemRect(table.item(0, 1)).center())
    person.type(table, "5")
    person.key(focused(table), Qt.Key.Key_Return)
    assert window.document.project.input[0] == 5.0
    window.view.setFocus()
    trigger(window, "undo")
    assert np.array_equal(window.document.project.input, before)
    trigger(window, "redo")
    assert window.document.project.input[0] == 5.0


def test_a_training_run_on_a_tiny_csv_lands_and_undoes(make_window, qtbot, tmp_path):
    window = make_window("conv-4x4")
    start = window.document.project.network
    rows = np.random.default_rng(0).random((24, 17))  # 16 inputs and the target
    path = tmp_path / "tiny.csv"
    np.savetxt(path, rows, delimiter=",", header=",".join([f"x{i + 1}" for i in range(16)] + ["y"]), comments="")
    trigger(window, "train")
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("csv"))
    panel.source.setText(str(path))
    panel.source.editingFinished.emit()
    panel.epochs.setValue(2)
    panel.batch.setValue(8)
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    assert window.document.undo_stack.undo_text().startswith("Train 2 epochs")
    assert not window.document.project.network.same_as(start)  # the kernel learned
    panel.start_button.click()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: not window.trainer.running, timeout=20000)
    run_queued_events()
    while window.document.undo_stack.undo_text().startswith(("Train", "Stopped training")):
        trigger(window, "undo")
    assert window.document.project.network.same_as(start)
    assert not [text for text in close_error_boxes() if "Something went wrong" in text]


def test_edits_that_would_resize_maps_are_refused_by_name(make_window):
    window = make_window("lenet")
    document = window.document
    for edit in (lambda: document.resize_column(1, 3), lambda: document.resize_column(0, 10),
                 lambda: document.remove_layer(1), lambda: document.insert_layer(1, 4)):
        with pytest.raises(EditError, match="but its size follows from its maps: change its channels"):
            edit()
    document.remove_layer(5)  # the dense tail still edits: the 400 flattened values feed layer 6 now
    assert document.project.network.input_shape == (1, 28, 28) and document.project.network.sizes[-3:] == [400, 84, 10]
    trigger(window, "undo")
    assert document.project.network.sizes[-4:] == [400, 120, 84, 10]
    assert QApplication.activeModalWidget() is None
