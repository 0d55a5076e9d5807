"""Build a network with maps in the window: + Layer / Insert ask for one layer in the notation where each kind
can go, Remove re-chains the shapes, and the Inspector edits a convolution's and a pooling's geometry, each one
undo step (document/conv_edits.py; layer_geometry_form.py)."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QSpinBox

from nnstudio.core.architecture_build import architecture_of, describe_shapes
from nnstudio.ui.panels.network.layer_geometry_form import AddLayerDialog
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import error_boxes, run_queued_events

LENET = "1×28×28 → 6×28×28 → 6×14×14 → 16×10×10 → 16×5×5 → 120 → 84 → 10"


def shapes(window) -> str:
    return describe_shapes(architecture_of(window.document.project.network))


def add_layer_dialog(window) -> AddLayerDialog:
    shown = [dialog for dialog in window.findChildren(AddLayerDialog) if dialog.isVisible()]
    assert len(shown) == 1
    return shown[0]


def type_layer(qtbot, dialog: AddLayerDialog, text: str) -> None:
    line = dialog.findChild(QLineEdit, "layerNotation")
    line.selectAll()
    qtbot.keyClicks(line, text)


def inspector_widget(window, cls, name):
    widget = window.inspector.findChild(cls, name)
    assert widget is not None, name
    return widget


def select(window, column: int) -> None:
    """A dense layer by its title; a layer of maps by a pixel (a map column has no title to select)."""
    network = window.document.project.network
    dense = column > 0 and not hasattr(network.layers[column - 1], "in_shape")
    window.scene.select_key(ItemKey("layer", column) if dense else ItemKey("pixel", column, 0, 0, channel=0))
    run_queued_events()
    assert window.scene.selected_key().column == column


def test_add_a_convolution_after_pooling_and_undo_it(qtbot, make_window):
    window = make_window("lenet")
    select(window, 2)
    window.actions_by_name["add_layer"].trigger()
    dialog = add_layer_dialog(window)
    type_layer(qtbot, dialog, "c8k3p1")
    preview = dialog.findChild(QLabel, "layerPreview").text()
    assert preview == "1×28×28 → 6×28×28 → 6×14×14 → 8×14×14 → 16×10×10 → 16×5×5 → 120 → 84 → 10"
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert shapes(window) == preview
    assert window.document.project.network.layers[3].kernel.shape == (16, 8, 5, 5)
    assert window.document.undo_stack.undo_text() == "Insert c8k3p1 as layer 3"
    run_queued_events()
    assert window.scene.selected_key() == ItemKey("pixel", 3, 0, 0, channel=0)
    window.actions_by_name["undo"].trigger()
    assert shapes(window) == LENET


def test_the_add_dialog_says_where_each_kind_can_go_before_ok(qtbot, make_window):
    window = make_window("lenet")
    before = window.document.project
    select(window, 5)  # the 120 dense layer: after it only dense layers
    window.actions_by_name["add_layer"].trigger()
    dialog = add_layer_dialog(window)
    ok, error = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), dialog.findChild(QLabel, "layerError")
    type_layer(qtbot, dialog, "m2")
    assert not ok.isEnabled() and "m2 needs maps, and column 5 gives 120 plain numbers" in error.text()
    type_layer(qtbot, dialog, "c6k40")
    assert "c6k40 needs maps" in error.text()
    type_layer(qtbot, dialog, "32")
    assert ok.isEnabled() and not error.isVisible()
    dialog.reject()
    assert window.document.project is before

    select(window, 1)  # before the first convolution: maps only, and the kernel must fit the padded input
    window.actions_by_name["insert_layer"].trigger()
    dialog = add_layer_dialog(window)
    type_layer(qtbot, dialog, "c2k31")
    error = dialog.findChild(QLabel, "layerError")
    assert error.text() == 'layer 1 "c2k31": kernel size 31 is larger than the padded height: 28 + 2·0 = 28'
    type_layer(qtbot, dialog, "120")
    assert "a dense layer cannot go before layer 1" in error.text()
    type_layer(qtbot, dialog, "a2")
    qtbot.keyClick(dialog.findChild(QLineEdit, "layerNotation"), Qt.Key.Key_Return)
    assert shapes(window).startswith("1×28×28 → 1×14×14 → 6×14×14 → 6×7×7 → 16×3×3 → 16×1×1 → 120")
    assert window.document.project.network.layers[5].weights.shape == (120, 16)


def test_remove_a_convolution_re_chains_the_maps_and_undo_restores_them(qtbot, make_window):
    window = make_window("lenet")
    before = window.document.project
    select(window, 3)
    window.view.setFocus()
    window.actions_by_name["delete"].trigger()
    assert shapes(window) == "1×28×28 → 6×28×28 → 6×14×14 → 6×7×7 → 120 → 84 → 10"
    assert window.document.project.network.layers[3].weights.shape == (120, 294)
    assert not error_boxes()
    window.actions_by_name["undo"].trigger()
    assert window.document.project is before


def test_the_inspector_edits_a_convolution_s_geometry_with_undo(qtbot, make_window):
    window = make_window("lenet")
    select(window, 1)
    kernel = inspector_widget(window, QSpinBox, "geometryKernel")
    assert (kernel.value(), inspector_widget(window, QSpinBox, "geometryPadding").value()) == (5, 2)
    kernel.setValue(3)
    assert shapes(window) == "1×28×28 → 6×30×30 → 6×15×15 → 16×11×11 → 16×5×5 → 120 → 84 → 10"
    layers = window.document.project.network.layers
    assert layers[0].kernel.shape == (6, 1, 3, 3) and layers[0].pad == 2
    run_queued_events()
    inspector_widget(window, QSpinBox, "geometryChannels").setValue(2)
    layers = window.document.project.network.layers
    assert layers[0].kernel.shape == (2, 1, 3, 3) and layers[2].kernel.shape == (16, 2, 5, 5)
    run_queued_events()
    edited = window.document.project
    inspector_widget(window, QSpinBox, "geometryStride").setValue(40)  # 1×1 maps: too small for m2 after it
    assert window.document.project is edited  # refused: the document is left as it was
    error = inspector_widget(window, QLabel, "geometryError")
    assert error.isVisible() and error.text() == 'layer 2 "m2": pool size 2 is larger than the height: 1'
    window.actions_by_name["undo"].trigger()
    window.actions_by_name["undo"].trigger()
    assert shapes(window) == LENET


def test_the_inspector_edits_a_pooling_layer_s_size_and_stride(qtbot, make_window):
    window = make_window("lenet")
    select(window, 2)
    inspector_widget(window, QSpinBox, "geometryStride").setValue(1)
    assert shapes(window).startswith("1×28×28 → 6×28×28 → 6×27×27 → 16×23×23 → 16×11×11 → 120")
    assert window.document.undo_stack.undo_text() == "Set layer 2 to m2s1"


def _menu_words(window, column: int) -> list[str]:
    """The canvas's right-click menu for `column` (its actions' and submenus' words, separators left out)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QMenu

    window.edits.show_context_menu(column, QPoint(100, 100))
    (menu,) = [m for m in window.findChildren(QMenu) if m.isVisible()]
    words = [action.text().replace("&", "") for action in menu.actions() if not action.isSeparator()]
    menu.close()
    return words


def test_the_right_click_menu_offers_only_what_a_layer_of_maps_can_take(make_window):
    window = make_window("lenet")
    conv, pool, dense = _menu_words(window, 1), _menu_words(window, 2), _menu_words(window, 5)
    for dense_only in ("One Neuron More", "One Neuron Fewer", "Edit W and b…"):
        assert any(dense_only.split()[0] in w and dense_only.split()[-1] in w for w in dense), (dense_only, dense)
    assert not any("Neuron" in w or "W and b" in w or "Copy W" in w for w in conv + pool), (conv, pool)
    assert "Activation" in conv and "Has a Bias" in conv
    assert "Activation" not in pool and "Has a Bias" not in pool  # a pooling layer has neither
    assert not any("Neuron" in w for w in _menu_words(window, 0))  # the input's size is its image's shape


def test_the_geometry_form_follows_undo_and_an_edit_changes_only_its_field(qtbot, make_window):
    """Channels 16 → 8, Undo: the form says 16 again, and Kernel size 3 then gives c16k3, not c8k3 (the walk found
    the spin box left at 8 and the next edit applying it silently)."""
    window = make_window("lenet")
    select(window, 3)
    inspector_widget(window, QSpinBox, "geometryChannels").setValue(8)
    assert window.document.project.network.layers[2].channels == 8
    run_queued_events()
    window.actions_by_name["undo"].trigger()
    run_queued_events()
    assert window.document.project.network.layers[2].channels == 16
    assert inspector_widget(window, QSpinBox, "geometryChannels").value() == 16
    inspector_widget(window, QSpinBox, "geometryKernel").setValue(3)
    assert window.document.undo_stack.undo_text() == "Set layer 3 to c16k3s1p0"
    assert window.document.project.network.layers[2].kernel.shape == (16, 6, 3, 3)
    window.actions_by_name["undo"].trigger()
    window.actions_by_name["redo"].trigger()
    run_queued_events()
    assert inspector_widget(window, QSpinBox, "geometryKernel").value() == 3


def test_the_form_follows_a_change_made_elsewhere_and_a_stale_form_edits_only_its_field(qtbot, make_window):
    """Even a form that missed a change (built before it, not yet rebuilt) applies only the field typed in."""
    from nnstudio.ui.panels.network.layer_geometry_form import LayerGeometryForm
    window = make_window("lenet")
    form = LayerGeometryForm(window.document, 3)
    qtbot.addWidget(form)
    from nnstudio.document.conv_edits import set_geometry
    window.document.structure_edit(set_geometry, "Set layer 3 to c8k5", 3, "c8k5s1p0")
    assert form.findChild(QSpinBox, "geometryChannels").value() == 8  # follows the document at once
    form.findChild(QSpinBox, "geometryStride").setValue(2)
    assert window.document.undo_stack.undo_text() == "Set layer 3 to c8k5s2p0"


def test_a_refused_geometry_edit_puts_the_spin_box_back(qtbot, make_window):
    window = make_window("lenet")
    select(window, 1)
    stride = inspector_widget(window, QSpinBox, "geometryStride")
    stride.setValue(40)
    error = inspector_widget(window, QLabel, "geometryError")
    assert not error.isHidden() and "larger than" in error.text()
    assert stride.value() == 1  # the document's value, next to the error saying why 40 was refused
