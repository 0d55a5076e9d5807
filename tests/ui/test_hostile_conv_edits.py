"""Hostile input on the window's doors to a network with maps: the New Network line, + Layer, the Inspector's
geometry spin boxes at their maxima, the kernel grids (a huge or poisoned clipboard, a block past the grid's edge,
typing while a run holds the network, named kernels on 1×1 and 2×2 kernels), and kernels too large to draw as
cells. Each refusal is said in the window, before anything large is allocated; the open document stays as it was
(the same network, the same undo stack) and no message box or traceback appears."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QSpinBox

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import (
    architecture_of,
    build_from_architecture,
    describe_shapes,
)
from nnstudio.core.limits import MAX_SIZE
from nnstudio.core.project import Project
from nnstudio.ui.panels.network.kernel_editor import MAX_GRID_SIDE, KernelEditor
from nnstudio.ui.panels.network.layer_geometry_form import AddLayerDialog
from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import error_boxes, run_queued_events

MiB = 2**20
LENET = "1×28×28 → 6×28×28 → 6×14×14 → 16×10×10 → 16×5×5 → 120 → 84 → 10"


def shapes(window) -> str:  # type: ignore[no-untyped-def]
    return describe_shapes(architecture_of(window.document.project.network))


class Intact:
    """The document as it was: its network (bit for bit) and its undo stack."""

    def __init__(self, window) -> None:  # type: ignore[no-untyped-def]
        self.document = window.document
        self.network = window.document.project.network
        self.steps = len(window.document.undo_stack)
        self.undo_text = window.document.undo_stack.undo_text()

    def check(self) -> None:
        assert self.document.project.network.same_as(self.network)
        assert len(self.document.undo_stack) == self.steps
        assert self.document.undo_stack.undo_text() == self.undo_text
        assert not error_boxes()


def select(window, column: int) -> None:  # type: ignore[no-untyped-def]
    window.scene.select_key(ItemKey("pixel", column, 0, 0, channel=0))
    run_queued_events()


def spin(window, name: str) -> QSpinBox:  # type: ignore[no-untyped-def]
    widget = window.inspector.findChild(QSpinBox, name)
    assert widget is not None, name
    return widget


def new_window_with(make_window, notation: str, output: str = "identity"):  # type: ignore[no-untyped-def]
    window = make_window()
    network = build_from_architecture(parse_architecture(notation), output=output, seed=0)
    window.document.new_project(Project(network))
    run_queued_events()
    return window


# ------------------------------------------------------------------ New Network and + Layer

@pytest.mark.parametrize(("text", "words"), [
    ("1x2048x2048-c64k3", ("272,105,728", "at most 2,097,152")),
    ("1x1000x1000-c1k500-10", ("62,750,250,000 values a sample",)),  # windows of 468 GiB, maps of 1.25 M
    ("1x1x1-c4096k1-4096-4096", ("would hold", "at most 8,388,608")),
    ("1x28x28-c6k5s0-10", ("stride must be a whole number from 1",)),
    ("1x28x28-c6k29", ("kernel size 29 is larger",)),
    ("1x28x28-c6k5p-1", ("'p' needs a whole number",)),
    ("1x28x28-m29-10", ("pool size 29 is larger than the height: 28",)),
    ("1x28x28-c6k28-m2-10", ("pool size 2 is larger than the height: 1",)),  # nothing left for the dense layer
    ("c" * 40_000, ("at most 1,000 are read",)),  # a line edit holds 32,767 of them
])
def test_new_network_refuses_notations_past_the_budgets_as_typed(qtbot, make_window, peak_memory, text, words):
    window = make_window("lenet")
    intact = Intact(window)
    dialog = window.files.new_network()
    sizes = dialog.findChild(QLineEdit, "sizes")
    _, peak = peak_memory(lambda: sizes.setText(text))
    error, ok = dialog.findChild(QLabel, "newError"), dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert error.isVisible() and not ok.isEnabled() and all(word in error.text() for word in words), error.text()
    assert peak < 2 * MiB
    dialog.accept()  # Enter: nothing is built
    assert dialog.isVisible()
    dialog.reject()
    intact.check()


def test_new_network_s_largest_kernel_within_the_budgets_is_built(qtbot, make_window):
    dialog = NewNetworkDialog(None, "1x28x28-c4096k28-10")
    qtbot.addWidget(dialog)
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert "3,256,330 parameters" in dialog.summary.text()  # 4096·784 + 4096 + 4096·10 + 10: 26 MB


@pytest.mark.parametrize(("column", "text", "words"), [
    (1, "c4096k3p1", ('layer 1 "c4096k3p1"', "3,211,264 values")),
    (4, "c4096k3p1", ("12,895,626 weights",)),
    (1, "c6k3s0", ("stride must be a whole number from 1",)),
    (1, "c6k3p-1", ("the padding cannot be negative",)),
    (1, "c6k29", ("kernel size 29 is larger",)),
    (3, "m15", ("pool size 15 is larger than the height: 14",)),
])
def test_add_layer_refuses_what_cannot_stand_before_ok(qtbot, make_window, peak_memory, column, text, words):
    window = make_window("lenet")
    intact = Intact(window)
    dialog = AddLayerDialog(window.document, column, window)
    qtbot.addWidget(dialog)
    dialog.show()
    line = dialog.findChild(QLineEdit, "layerNotation")
    _, peak = peak_memory(lambda: line.setText(text))
    error = dialog.findChild(QLabel, "layerError")
    assert error.isVisible() and all(word in error.text() for word in words), error.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled() and peak < MiB
    dialog.accept()
    intact.check()


# ------------------------------------------------------------------ the geometry form at its maxima

@pytest.mark.parametrize(("column", "name", "words"), [
    (1, "geometryChannels", ("3,211,264 values",)),
    (1, "geometryKernel", ("kernel size 4096 is larger than the padded height: 28 + 2·2 = 32",)),
    (1, "geometryStride", ('layer 2 "m2": pool size 2 is larger than the height: 1',)),
    (1, "geometryPadding", ("windows of 1×5×5",)),  # 6 maps of 8,216×8,216 asked for
    (3, "geometryChannels", ("would hold", "at most 8,388,608")),
    (2, "geometrySize", ("pool size 4096 is larger than the height: 28",)),
    (4, "geometryStride", ()),  # m2s4096 on 10×10 maps: one window each, accepted
])
def test_a_geometry_spin_box_at_its_maximum_is_refused_and_undo_still_works(qtbot, make_window, peak_memory, column,
                                                                            name, words):
    window = make_window("lenet")
    select(window, column)
    box = spin(window, name)
    assert box.maximum() == MAX_SIZE
    intact = Intact(window)
    _, peak = peak_memory(lambda: box.setValue(MAX_SIZE))
    error = window.inspector.findChild(QLabel, "geometryError")
    if not words:  # 16×1×1 into the 120: its weights drawn again
        assert window.document.undo_stack.undo_text() == "Set layer 4 to m2s4096"
        assert window.document.project.network.layers[4].weights.shape == (120, 16)
        window.actions_by_name["undo"].trigger()
        assert shapes(window) == LENET
        return
    assert error.isVisible() and all(word in error.text() for word in words), error.text()
    assert peak < 2 * MiB
    intact.check()
    window.actions_by_name["redo"].trigger()  # nothing to redo: still LeNet
    assert shapes(window) == LENET


# ------------------------------------------------------------------ the kernel grids

def lenet_kernels(window) -> KernelEditor:  # type: ignore[no-untyped-def]
    select(window, 1)
    editor = window.inspector._kernels
    assert editor is not None
    editor.grids[0].setCurrentIndex(editor.models[0].index(0, 0))
    return editor


@pytest.mark.parametrize(("text", "words"), [
    ("1\t" * 5_000_000, ("the clipboard holds 10,000,000 characters", "nothing was changed")),
    ("1\t" * 100_000, ("a 1×100001 block", "does not fit")),  # 100k cells (and the empty one after the last tab)
    ("1\n" * 100_000, ("a 100000×1 block",)),
    ("1\tnan\n2\t3", ("row 1, column 2", "unknown name 'nan'")),
    ("inf", ("unknown name 'inf'",)),
    ("1e400", ("too large",)),
    ("sqrt(-1)", ("sqrt() needs a number ≥ 0",)),
    ("__import__('os').system('echo hi')", ("unexpected character",)),
    ("[[1, 2], [3, [4]]]", ("nested deeper",)),
    ("[[1, 2], [3, 4]", ("the paste cannot be read",)),
    ("   \n\t\n", ("the clipboard holds no text to paste",)),
    ("+".join(["1"] * 499), ()),  # one long expression within the limit: evaluated, 499
])
def test_a_hostile_clipboard_pasted_into_a_kernel(qtbot, make_window, peak_memory, text, words):
    window = make_window("lenet")
    editor = lenet_kernels(window)
    intact = Intact(window)
    QGuiApplication.clipboard().setText(text)
    editor.grids[0].setFocus()
    _, peak = peak_memory(lambda: qtbot.keyClick(editor.grids[0], "v", Qt.KeyboardModifier.ControlModifier))
    if not words:
        assert window.document.project.network.layers[0].kernel[0, 0, 0, 0] == 499
        return
    assert editor.error.isVisible() and all(word in editor.error.text() for word in words), editor.error.text()
    # The text itself (Qt's UTF-16 copy, Python's str), and at most the 200,000 characters' split into cells that
    # the paste budget admits (100,000 one-cell rows: 10 MB of lists) before the block's shape is refused.
    assert peak < 16 * MiB + 4 * len(text)
    intact.check()


def test_a_block_pasted_past_the_grid_s_edge_changes_nothing(qtbot, make_window):
    window = make_window("lenet")
    editor = lenet_kernels(window)
    intact = Intact(window)
    editor.grids[0].setCurrentIndex(editor.models[0].index(3, 3))
    assert not editor.paste_text("1\t2\t3\n4\t5\t6\n7\t8\t9")
    assert editor.error.text() == "a 3×3 block at row 4, column 4 does not fit kernel 1's 5×5 grid over channel 1"
    intact.check()
    assert editor.paste_text("1\t2\n3\t4")  # the 2×2 that fits: one undo step
    assert window.document.project.network.layers[0].kernel[0, 0, 3:, 3:].tolist() == [[1, 2], [3, 4]]
    window.actions_by_name["undo"].trigger()
    assert window.document.project.network.same_as(intact.network) and not window.document.undo_stack.can_undo()


def test_typing_into_a_kernel_while_a_run_holds_the_network_is_refused(qtbot, make_window):
    window = make_window("lenet")
    editor = lenet_kernels(window)
    intact = Intact(window)
    window.document.structure_locked = True  # what the training worker sets as a run starts
    try:
        assert not editor.commit(0, 0, 0, [["5"]], "Set kernel cell")
        assert "read-only" in editor.error.text()
        assert not editor.paste_text("1\t2")
        window.document.set_preview(window.document.project.network)  # its first snapshot arrives
        run_queued_events()
        assert "read-only" in editor.heading.text() and not editor.named.isEnabled()
        assert not editor.models[0].flags(editor.models[0].index(0, 0)) & Qt.ItemFlag.ItemIsEditable
        intact.check()
    finally:
        window.document.structure_locked = False
        window.document.set_preview(None)


def test_typing_into_a_kernel_while_stepping_is_one_undo_step(qtbot, make_window):
    window = make_window("conv-4x4")
    editor = lenet_kernels(window)
    window.document.stepping.start()
    window.document.stepping.forward()
    run_queued_events()
    assert editor.commit(0, 0, 0, [["3"]], "Set kernel cell") and not error_boxes()
    run_queued_events()
    assert window.document.project.network.layers[0].kernel[0, 0, 0, 0] == 3
    assert window.document.undo_stack.undo_text() == "Set kernel cell"
    assert not editor.commit(0, 0, 0, [["nan"]], "Set kernel cell")
    window.document.stepping.stop()
    window.actions_by_name["undo"].trigger()
    assert window.document.project.network.layers[0].kernel[0, 0, 0, 0] == 1


@pytest.mark.parametrize(("k", "offered"), [(1, ["identity", "box-blur"]), (2, ["box-blur"])])
def test_named_kernels_on_a_1x1_and_a_2x2_kernel(qtbot, make_window, k, offered):
    window = new_window_with(make_window, f"1x4x4-c2k{k}-3")
    editor = lenet_kernels(window)
    named = [editor.named.itemData(i) for i in range(1, editor.named.count())]
    assert named == offered
    intact = Intact(window)
    assert not editor.apply_named("laplacian")
    assert f"Laplacian is defined for 3×3, not {k}×{k}" in editor.error.text()
    intact.check()
    assert editor.apply_named("box-blur")
    assert np.all(window.document.project.network.layers[0].kernel[0, 0] == 1 / k ** 2)


def test_a_kernel_too_wide_to_draw_shows_no_cells_but_its_bias_is_typed(qtbot, make_window, peak_memory):
    """A 40×40 kernel (1,600 cells): no grid, no named kernels, no paste; what it is and why, and the bias."""
    window = new_window_with(make_window, "1x64x64-c2k40")
    _, peak = peak_memory(lambda: select(window, 1))
    editor = window.inspector._kernels
    assert editor.k == 40 > MAX_GRID_SIDE and editor.grids == [] and peak < 8 * MiB
    assert "40×40 kernels (1,600 cells per channel) are too large to show" in editor.heading.text()
    assert editor.named.count() == 1 and not editor.named.isEnabled()
    assert not editor.paste_text("1") and "too large to type cell by cell" in editor.error.text()
    editor.bias_edit.setText("1/2")
    editor.bias_edit.editingFinished.emit()
    assert window.document.project.network.layers[0].bias[0] == 0.5


def test_a_kernel_over_many_channels_shows_one_grid_and_a_channel_box(qtbot, make_window, peak_memory):
    """c2k3 over 512 channels made 512 tables (1.5 s, on every change); now one grid and which channel it shows."""
    window = new_window_with(make_window, "1x12x12-c512k3-c2k3")
    _, peak = peak_memory(lambda: select(window, 2))
    editor = window.inspector._kernels
    assert len(editor.grids) == 1 and editor.channel_box.isVisibleTo(editor) and peak < 16 * MiB
    editor.channel_box.setValue(300)
    kernel = window.document.project.network.layers[1].kernel
    model = editor.models[0]
    assert model.channel == 299 and model.index(2, 2).data(Qt.ItemDataRole.ToolTipRole).endswith(
        f"{float(kernel[0, 299, 2, 2])!r}")
    editor.grids[0].setCurrentIndex(model.index(1, 1))
    assert editor.paste_text("7")
    assert window.document.project.network.layers[1].kernel[0, 299, 1, 1] == 7
    assert model.index(1, 1).data() == "7"
    editor.channel_box.setValue(9999)  # clamped by the box to 512
    assert model.channel == 511


def test_every_layer_removed_in_the_window_then_undone(qtbot, make_window):
    window = make_window("lenet")
    before = window.document.project.network
    for _ in range(7):
        select(window, 1) if hasattr(window.document.project.network.layers[0], "in_shape") else (
            window.scene.select_key(ItemKey("layer", 1)), run_queued_events())
        window.view.setFocus()
        window.actions_by_name["delete"].trigger()
        run_queued_events()
    assert window.document.project.network.layers == () and not error_boxes()
    for _ in range(7):
        window.actions_by_name["undo"].trigger()
    run_queued_events()
    assert window.document.project.network.same_as(before) and not error_boxes()
