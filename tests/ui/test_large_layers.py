"""Large layers you can open: page through a column's neurons, jump to any by number, click an image's pixels."""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QSpinBox

from nnstudio.ui.canvas.layer_item import PagerItem
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import run_queued_events


def shown(window, column):
    return sorted(key.row for key in window.scene.items_by_key if key.kind == "neuron" and key.column == column)


def click_scene(qtbot, window, item, point=None):
    scene_point = item.mapToScene(point if point is not None else item.boundingRect().center())
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=window.view.mapFromScene(scene_point))


def test_the_more_label_pages_through_a_large_column(qtbot, make_window):
    window = make_window("mnist-mlp")  # 784 (image) → 128 → 10
    assert shown(window, 1) == list(range(8))
    assert window.scene.layers[1].more_text == "1–8\nof 128 ▼"
    pager = next(item for item in window.scene.buttons if isinstance(item, PagerItem))
    click_scene(qtbot, window, pager)
    assert shown(window, 1) == list(range(8, 16)) and window.scene.layers[1].more_text == "9–16\nof 128 ▼"
    pager = next(item for item in window.scene.buttons if isinstance(item, PagerItem))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     window.view.mapFromScene(pager.mapToScene(pager.boundingRect().center())))
    assert shown(window, 1) == list(range(8))
    # the keyboard: a selected neuron, Page Down, and the arrows walk across pages
    window.scene.select_key(ItemKey("neuron", 1, 7))
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert window.scene.selected_key() == ItemKey("neuron", 1, 8) and shown(window, 1) == list(range(8, 16))
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    assert window.scene.selected_key() == ItemKey("neuron", 1, 16)
    for _ in range(13):  # pages of 8: rows 16–23 are page 3 of 16
        qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    assert shown(window, 1) == list(range(120, 128))  # the last page
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    assert shown(window, 1) == list(range(8))  # and round to the first


def test_the_inspector_and_the_matrix_editor_jump_to_any_neuron_by_number(qtbot, make_window):
    window = make_window("mnist-mlp")
    window.scene.select_key(ItemKey("layer", 1))
    qtbot.waitUntil(lambda: window.inspector.findChild(QSpinBox, "goToNeuron") is not None)
    go = window.inspector.findChild(QSpinBox, "goToNeuron")
    assert go is not None and go.maximum() == 128
    go.setValue(100)
    assert window.scene.selected_key() == ItemKey("neuron", 1, 99) and 99 in shown(window, 1)
    window.edit_matrix(1)
    editor = window.matrix_editors[1]
    editor.go_to.setValue(100)
    assert editor.table.currentIndex().row() == 99 and editor.go_to.maximum() == 128
    editor.close()


def test_a_pixel_of_an_image_input_is_selected_by_a_click_and_takes_typing(qtbot, make_window):
    window = make_window("mnist-mlp")
    image = window.scene.image
    pixel = image.pixel
    w, h = image.size
    row, col = 10, 14
    click_scene(qtbot, window, image, QPointF(-w / 2 + (col + 0.5) * pixel, -h / 2 + (row + 0.5) * pixel))
    index = row * 28 + col
    assert window.scene.selected_key() == ItemKey("neuron", 0, index)
    inspector = window.inspector
    qtbot.waitUntil(lambda: any(f"Input x{index + 1}" in label.text() for label in inspector.findChildren(QLabel)))
    texts = [label.text() for label in window.inspector.findChildren(QLabel)]
    assert any(f"Input x{index + 1}" in text for text in texts), texts  # the Inspector shows that input
    window.view.setFocus()
    qtbot.keyClicks(window.view, "1")
    qtbot.keyClick(window.view.editor, Qt.Key.Key_Return)
    assert window.document.project.input[index] == 1.0
    assert window.scene.selected_key() == ItemKey("neuron", 0, index + 1)  # Enter: the next input


def test_every_layer_size_around_the_page_limit_draws(make_window, qtbot):
    """13 to 16 neurons: paged (only 8 drawn) yet once below the bulk-edge limit — the canvas failed to
    draw 2-16-16-1 at all. Every size from 1 to 20 into and out of a layer now draws and pages."""
    from nnstudio.core.blueprint import Blueprint, build_project

    window = make_window()
    for size in (11, 12, 13, 14, 16, 17, 20):
        window.document.new_project(build_project(Blueprint.simple(f"2-{size}-{size}-1", "tanh", "sigmoid")))
        run_queued_events()  # the canvas's work queued by the new network (its fit) has run
        assert len(window.scene.layers) == 4
        assert shown(window, 1) == (list(range(size)) if size <= 12 else list(range(8)))
        if size > 12:
            window.scene.page(1, 1)
            start = min(8, size - 8)  # a page always shows 8: the last one ends at the last neuron
            assert shown(window, 1) == list(range(start, start + 8))
