"""The canvas driven with real mouse events on the viewport."""

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from nnstudio.io import save_project, load_example
from nnstudio.ui.canvas.bulk_edges_item import BulkEdgesItem
from nnstudio.ui.canvas.layout import NEURON_RADIUS
from nnstudio.ui.canvas.edge_item import EdgeItem
from nnstudio.ui.selection import ItemKey
from tests.ui.helpers import run_queued_events


def viewport_point(window, scene_point: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_point)


def inspector_text(window, cls, name: str = "") -> str | None:
    """The text of the Inspector's first `cls` widget (named `name`), None while it shows none. The Inspector
    builds a new body for a selection and deletes the one before in an event of its own."""
    widget = window.inspector.findChild(cls, name) if name else window.inspector.findChild(cls)
    return None if widget is None else widget.text()


def inspector_numbers(window) -> list[float] | None:
    """The numbers the Inspector's full-value labels show, None while one of them shows no number."""
    try:
        return [float(label.text()) for label in window.inspector.findChildren(QLabel, "fullValue")]
    except ValueError:
        return None


def point_only_on(window, key):
    """A scene point on the edge `key` where no other edge or label lies on top of it."""
    edge = window.scene.items_by_key[key]
    view = window.view
    for step in range(5, 96):
        # Check the point the click will really hit: the viewport pixel, mapped back to the scene.
        point = view.mapToScene(view.mapFromScene(edge.line.pointAt(step / 100)))
        around = [point + QPointF(dx, dy) for dx in (-4, 0, 4) for dy in (-4, 0, 4)]
        if all(window.scene.key_at(p) == key for p in around):
            return point
    raise AssertionError(f"{key} is covered everywhere")


def test_clicking_an_edge_selects_it_and_the_inspector_shows_its_weight(make_window, qtbot):
    window = make_window("cosine-memory")
    key = ItemKey("edge", 1, 1, 0)  # w21 of layer 1 = 1/sqrt(2)
    point = viewport_point(window, point_only_on(window, key))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.scene.selected_key() == key
    qtbot.waitUntil(lambda: inspector_text(window, QLineEdit) == "1/sqrt(2)")
    editor = window.inspector.findChild(QLineEdit)
    assert editor.text() == "1/sqrt(2)"
    assert window.inspector.findChild(QLabel, "fullValue").text() == "0.7071067811865475"


def test_clicking_a_neuron_shows_z_and_a(make_window, qtbot):
    window = make_window("cosine-memory")
    neuron = window.scene.items_by_key[ItemKey("neuron", 1, 0)]
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=viewport_point(window, neuron.sceneBoundingRect().center()))
    qtbot.waitUntil(lambda: len(inspector_numbers(window) or []) >= 2)  # z and a
    values = [label.text() for label in window.inspector.findChildren(QLabel, "fullValue")]
    expected = 5 / 6 - 1 / 2**0.5  # z = 1·x1 + 0·x2 − 1/√2, and a = z since z > 0
    assert float(values[0]) == expected and float(values[1]) == expected


def test_double_click_edits_a_weight_in_place(make_window, qtbot):
    window = make_window("cosine-memory")
    key = ItemKey("edge", 2, 0, 1)  # w12 of layer 2 = (2+sqrt(2))/2
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                      pos=viewport_point(window, point_only_on(window, key)))
    editor = window.view.editor
    assert editor is not None and editor.text() == "(2+sqrt(2))/2"
    before = window.document.project
    editor.setText("2^")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert window.document.project is before  # refused: nothing changed
    assert "ends too early" in editor.toolTip()
    editor.setText("√2")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert window.document.project.network.layers[1].weights[0, 1] == 2**0.5
    assert window.document.project.network.layers[1].weight_text[(0, 1)] == "√2"


def test_double_click_on_an_input_neuron_edits_the_input(make_window, qtbot):
    window = make_window("cosine-memory")
    neuron = window.scene.items_by_key[ItemKey("neuron", 0, 1)]
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                      pos=viewport_point(window, neuron.sceneBoundingRect().center()))
    editor = window.view.editor
    assert editor.text() == "1/3"
    editor.setText("2/3")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert window.document.project.input[1] == 2 / 3
    assert window.io_panel.output_label.text() != "ŷ = 0.2012"


def _send(widget, kind, pos, buttons):
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.LeftButton, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_dragging_a_layer_is_one_undoable_move(make_window, qtbot):
    window = make_window("cosine-memory")
    layer = window.scene.layers[1]
    start_x = layer.pos().x()
    header = layer.mapToScene(layer.header_rect().center())
    viewport = window.view.viewport()
    start = viewport_point(window, header)
    _send(viewport, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    for step in range(1, 6):
        _send(viewport, QEvent.Type.MouseMove, start + QPoint(12 * step, 4 * step), Qt.MouseButton.LeftButton)
    _send(viewport, QEvent.Type.MouseButtonRelease, start + QPoint(60, 20), Qt.MouseButton.NoButton)
    assert len(window.document.undo_stack) == 1
    moved_x = window.document.project.layout[1][0]
    assert moved_x > start_x + 20
    # Edges followed the layer.
    edge = window.scene.items_by_key[ItemKey("edge", 1, 0, 0)]
    # The line ends at its label's slot, and the connector from the slot at the neuron's rim.
    assert abs(edge.connector.p2().x() - (layer.pos().x() - NEURON_RADIUS)) < 1e-6
    assert abs(edge.line.p2().x() - edge.label_rect().left()) < 1e-6
    window.actions_by_name["undo"].trigger()
    assert window.scene.layers[1].pos().x() == start_x


def test_new_weights_use_the_initialiser_chosen_in_the_inspector(make_window, qtbot):
    from PySide6.QtWidgets import QComboBox

    window = make_window("cosine-memory")
    window.scene.select_key(ItemKey("layer", 1))
    qtbot.waitUntil(lambda: window.inspector.findChild(QComboBox, "initialiser") is not None)
    combo = window.inspector.findChild(QComboBox, "initialiser")
    combo.setCurrentIndex(combo.findData("zeros"))
    assert window.document.initialiser == "zeros"
    window.document.resize_column(1, 5)
    layer = window.document.project.network.layers[0]
    assert (layer.weights[3:] == 0).all() and layer.weights[1, 0] == 1 / 2**0.5  # new rows zero, old kept


def test_plus_and_minus_buttons_resize_the_layer(make_window, qtbot):
    window = make_window("cosine-memory")
    layer = window.scene.layers[1]
    plus = [child for child in layer.childItems() if getattr(child, "text", "") == "+"][0]
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=viewport_point(window, plus.sceneBoundingRect().center()))
    assert window.document.project.network.sizes == [2, 4, 1]


def test_malformed_file_shows_a_message_and_keeps_the_document(make_window, qtbot, tmp_path):
    window = make_window("cosine-memory")
    window.document.set_input(0, "1/2")
    before = window.document.project
    bad = tmp_path / "broken.nnstudio"
    bad.write_text('{"format": "nnstudio.network", "version": 1, "input": {"size": 2}, "layers": [{"size": 3, '
                   '"activation": "relu", "weights": [[1, 0], [1, 1]]}]}')
    assert not window.open_path(bad, ask=False)
    boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox" and w.isVisible()]
    assert boxes and "layers[0].weights: expected 3×2, got 2×2" in boxes[-1].text()
    assert window.document.project is before and window.isWindowModified()
    run_queued_events()  # any refill the failed opening queued has run: the table still shows the input
    assert window.io_panel.input_table.item(0, 1).text() == "1/2"


def test_export_png_and_svg(make_window, tmp_path):
    window = make_window("cosine-memory")
    assert window.export_png(tmp_path / "net.png")
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "net.png"))
    assert image.width() > 600 and image.height() > 300
    assert window.export_svg(tmp_path / "net.svg")
    svg = (tmp_path / "net.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and "0.2012" in svg


def test_copy_weights_as_tab_separated_text(make_window):
    window = make_window("cosine-memory")
    window.copy_weights(1)
    lines = QApplication.clipboard().text().splitlines()
    assert lines == ["1\t0", "0.7071067811865475\t0.7071067811865475", "0\t1"]  # exact, read back bit for bit


def test_dropping_a_file_opens_it(make_window, qtbot, tmp_path):
    window = make_window("cosine-memory")
    path = tmp_path / "dropped.nnstudio"
    save_project(load_example("xor"), path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(QPointF(100, 100), *args)  # PySide6 ≥ 6.12
    except TypeError:
        enter = QDragEnterEvent(QPoint(100, 100), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()  # the window takes files
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    qtbot.waitUntil(lambda: window.document.display_name == "dropped.nnstudio")
    assert window.document.project.network.sizes == [2, 2, 1]
    assert window.settings.value("recentFiles")[0] == str(path.resolve())


def test_zoom_is_clamped(make_window):
    window = make_window("cosine-memory")
    for _ in range(60):
        window.view.zoom_in()
    assert window.view.zoom() == 8.0
    for _ in range(120):
        window.view.zoom_out()
    assert window.view.zoom() == 0.05


def test_large_layers_are_painted_by_one_item(make_window):
    window = make_window("mnist-mlp")
    items = window.scene.items()
    assert len(items) < 200  # 101,770 parameters, but never one item per weight
    assert sum(isinstance(i, BulkEdgesItem) for i in items) == 2
    assert window.scene.image is not None  # the 784 inputs are shown as a 28×28 image
    assert not any(isinstance(i, EdgeItem) and i.key.kind == "edge" for i in items)


def test_window_geometry_dock_layout_and_recent_files_persist(make_window, settings, tmp_path):
    window = make_window("cosine-memory")
    window.io_dock.close()  # a layout different from the default
    path = tmp_path / "a.nnstudio"
    window.save_to(path)
    window.save_settings()
    assert settings.value("geometry") == window.saveGeometry()
    from nnstudio.document import Document
    from nnstudio.ui.window.main_window import MainWindow

    second = MainWindow(Document(), settings)
    try:
        assert second.io_dock.isHidden() and not second.inspector_dock.isHidden()
        assert [a.text() for a in second.recent_menu.actions()] == [str(path.resolve())]
    finally:
        second.deleteLater()
    fresh = MainWindow(Document(), type(settings)(str(tmp_path / "other.ini"), type(settings).Format.IniFormat))
    try:
        assert not fresh.io_dock.isHidden()  # without saved settings the dock is there
    finally:
        fresh.deleteLater()


def test_examples_menu_lists_the_built_in_examples(make_window):
    window = make_window()
    names = [a.data() for a in window.examples_menu.actions()]
    assert {"cosine-memory", "backprop-4-2-3", "xor", "mnist-mlp"} <= set(names)
    [a for a in window.examples_menu.actions() if a.data() == "xor"][0].trigger()
    assert window.document.project.network.sizes == [2, 2, 1]
