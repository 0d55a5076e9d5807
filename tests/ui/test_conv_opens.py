"""A network with maps comes into the window by every door a dense one uses (issue 35 lifts issue 33's refusal):
File → Open, Open Recent, a dropped file, File → Examples, the command line, File → Import, a lesson. Each time the
canvas draws its maps, the title names it, and there is nothing to undo; the layer clipboard stays dense-only."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.project import Project
from nnstudio.document import Document
from nnstudio.interop.formats import ImportedModel
from nnstudio.io import dumps, load_example, save_project
from nnstudio.io.examples import list_examples
from nnstudio.lessons.lesson_file import parse_lesson
from nnstudio.ui.window import exports
from tests.ui.helpers import error_boxes, error_shown


def _conv_file(tmp_path):
    path = tmp_path / "conv-4x4.nnstudio"
    save_project(load_example("conv-4x4"), path)
    return path


def _map_channels(window) -> list[int]:
    """Channels drawn per map column of the canvas (empty: no maps drawn)."""
    geometry = window.scene.maps.geometry
    return [] if geometry is None else [len(column.tiles) for column in geometry.maps]


def _shows_conv_4x4(window) -> None:
    document = window.document
    assert document.project.network.input_shape == (1, 4, 4)
    assert _map_channels(window) == [1, 1, 1]  # input 1×4×4, conv 1×3×3, max pool 1×1×1
    assert not document.undo_stack.can_undo() and not error_boxes()


def test_file_open_draws_a_conv_file_and_remembers_it(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window("backprop-4-2-3")
    path = _conv_file(tmp_path)
    monkeypatch.setattr("nnstudio.ui.window.files.QFileDialog.getOpenFileName",
                        lambda *args: (str(path), "nnstudio networks (*.nnstudio)"))
    window.actions_by_name["open"].trigger()
    _shows_conv_4x4(window)
    assert window.document.path == path and not window.document.modified
    assert window.files._recent() == [str(path)]


def test_open_recent_and_a_dropped_file_open_the_conv_network(make_window, qtbot, tmp_path, settings):
    path = _conv_file(tmp_path)
    settings.setValue("recentFiles", [str(path)])
    window = make_window("xor")
    (recent,) = window.files.recent_menu.actions()
    recent.trigger()
    _shows_conv_4x4(window)

    window.open_example("xor", ask=False)
    assert _map_channels(window) == []
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: window.document.path == path)
    _shows_conv_4x4(window)


def test_the_examples_menu_offers_every_example_with_the_conv_ones(make_window):
    window = make_window("xor")
    offered = [action.data() for action in window.files.examples_menu.actions()]
    assert offered == list_examples() and {"conv-4x4", "lenet"} <= set(offered)
    (action,) = [a for a in window.files.examples_menu.actions() if a.data() == "lenet"]
    action.trigger()
    assert window.document.project.network.input_shape == (1, 28, 28)
    assert _map_channels(window) == [1, 6, 6, 16, 16]  # every channel of every map column is drawn (paged: fewer)
    assert window.document.path is None and not error_boxes()


def test_the_app_started_on_a_conv_network_opens_it(make_window, qtbot, tmp_path, settings, monkeypatch):
    import nnstudio.ui.app as app_module
    from nnstudio.ui.window.main_window import MainWindow

    made: list[MainWindow] = []

    class Running:  # the QApplication, its event loop returning at once
        def exec(self) -> int:
            return 0

        def setOrganizationName(self, _: str) -> None:
            pass

        setApplicationName = setOrganizationName

    def window() -> MainWindow:
        made.append(MainWindow(Document(), settings))
        qtbot.addWidget(made[-1])
        return made[-1]

    monkeypatch.setattr(app_module, "QApplication", type("Q", (), {"instance": staticmethod(Running)}))
    monkeypatch.setattr(app_module, "MainWindow", window)
    monkeypatch.setattr(app_module.errors, "install", lambda show: None)
    path = _conv_file(tmp_path)
    assert app_module.run(str(path)) == 0
    (shown,) = made
    _shows_conv_4x4(shown)
    assert shown.document.path == path


def test_an_imported_conv_model_opens_unsaved(make_window, qtbot, tmp_path, monkeypatch):
    """The importers make conv projects from ONNX and safetensors (issue 33): the window draws what they return."""
    window = make_window("xor")
    monkeypatch.setattr(window.files, "maybe_save", lambda: True)
    net = build_from_architecture(parse_architecture("1x8x8-c2k3p1-m2-4-3"), output="softmax", seed=1)
    project = Project(network=net, input=np.zeros(net.input_size), target=np.zeros(3), loss="cce")
    monkeypatch.setattr(exports, "import_model_with_notes", lambda path: ImportedModel(project, ()))
    assert exports.import_from(window, tmp_path / "small-cnn.onnx") is True
    assert window.document.project.network.same_as(net) and window.document.modified
    assert _map_channels(window) == [1, 2, 2]  # input 1×8×8, conv 2×8×8, max pool 2×4×4; then 4 and 3 neurons
    assert sum(1 for key in window.scene.items_by_key if key.kind == "neuron") == 4 + 3


def test_a_lesson_may_open_a_conv_example(make_window, qtbot):
    text = "---\nname: t\ntitle: T\n---\n# Page\ntext\n```network\n{\"example\": \"conv-4x4\"}\n```\n"
    lesson = parse_lesson(text.encode("utf-8"), "t.md")
    assert lesson.pages[0].network is not None
    window = make_window("xor")
    assert window.lessons._replace(load_example("conv-4x4"), 0) is True
    _shows_conv_4x4(window)


def test_a_conv_layer_cannot_arrive_by_paste(make_window, qtbot):
    """The layer clipboard is dense-only JSON: a conv layer's fields are unknown there, named by field."""
    window = make_window("backprop-4-2-3")
    before = window.document.project
    conv_layer = json.loads(dumps(load_example("conv-4x4")))["layers"][0]
    QGuiApplication.clipboard().setText(json.dumps({"format": "nnstudio.layer", "version": 1, "inputs": 4,
                                                    **conv_layer}))
    window.actions_by_name["paste_layer"].trigger()
    message = error_shown(window)
    assert message.startswith("the clipboard: ") and "unknown field" in message
    assert window.document.project is before
