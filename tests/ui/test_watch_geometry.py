"""The canvas stays readable while the training docks are open, and the docks keep their places (issue 31).

At 1280×800 with the Training dock or the Results dock open below the canvas, after Fit, the small examples keep
every weight, bias, z/a value, title and pager drawn, at least 9 px tall, with no overlap, at every step of a
forward and backward pass (the checks of test_canvas_legibility.py, measured in view pixels); mnist-mlp keeps its
titles and pagers: its columns show fewer neurons a page rather than every text too small to draw. At 1100×700 no
dock or the canvas lies over another; the docks return to their width when the training docks are shown.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QWidget

from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.layer_item import LayerItem
from nnstudio.ui.panels.results.digit_pad import DigitPad
from nnstudio.ui.window.main_window import DOCK_WIDTHS
from tests.ui.helpers import run_queued_events
from tests.ui.test_canvas_legibility import all_texts, check_legible

SMALL = ("cosine-memory", "xor", "backprop-4-2-3")


def open_dock(window, which: str) -> None:
    """Network → Train… (the Training and Results docks, tabbed below the canvas), then the one asked for
    in front, and Fit once the docks have taken their room."""
    window.actions_by_name["train"].trigger()
    if which == "results":
        window.results_dock.raise_()
    run_queued_events()
    window.view.fit()


def shown_in_window(window, widget: QWidget) -> QRect:
    """Where `widget` is in the window's coordinates."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


@pytest.mark.parametrize("which", ["training", "results"])
@pytest.mark.parametrize("example", SMALL)
def test_small_examples_read_whole_with_a_training_dock_open(make_window, qtbot, example, which):
    window = make_window(example)
    open_dock(window, which)
    assert window.view.viewport().height() < 500  # the dock really took its room below the canvas
    stepping = window.document.stepping
    check_legible(window, f"{example}, {which} dock, not stepping")
    stepping.start()
    window.view.fit()
    while True:  # z and a, the loss, δ and the gradients on the edges, the update
        check_legible(window, f"{example}, {which} dock, step {stepping.plan.index} ({stepping.plan.step})")
        if not stepping.forward():
            break
    kinds = {item.key.kind for _, _, item in all_texts(window.scene) if getattr(item, "key", None) is not None}
    assert {"edge", "bias_edge", "neuron", "layer"} <= kinds  # weights, biases, values and titles were all checked


@pytest.mark.parametrize("which", ["training", "results"])
def test_mnist_mlp_keeps_titles_and_pagers_with_a_training_dock_open(make_window, qtbot, which):
    window = make_window("mnist-mlp")
    open_dock(window, which)
    zoom = window.view.transform().m22()
    texts = [text for text, _, item in all_texts(window.scene) if isinstance(item, LayerItem)]
    assert texts and all(style.legible(text.px, zoom) for text in texts), zoom
    drawn = {text.text for text in texts}
    assert {item.title for item in window.scene.layers} <= drawn
    pagers = sorted(text.split("\n")[1] for text in drawn if "▼" in text)
    assert pagers == ["of 10 ▼", "of 128 ▼"]  # the 128 hidden neurons and the 10 outputs page, legibly
    check_legible(window, f"mnist-mlp, {which} dock")  # and so is every other text on it
    # Fewer neurons a page than with room to spare (8), and paging still reaches every neuron
    hidden = window.scene.geometry.columns[1]
    assert 3 <= hidden.page < 8
    window.scene.show_neuron(1, 127)
    assert (1, 127) in {(k.column, k.row) for k in window.scene.items_by_key if k.kind == "neuron"}


def test_mnist_mlp_shows_its_usual_pages_without_a_dock(make_window, qtbot):
    window = make_window("mnist-mlp")
    window.view.fit()
    assert [c.page for c in window.scene.geometry.columns[1:]] == [8, 10]  # (the input is drawn as its image)


def test_nothing_overlaps_at_1100_by_700_with_the_training_dock(make_window, qtbot):
    window = make_window("cosine-memory")
    window.resize(1100, 700)
    open_dock(window, "training")
    run_queued_events()
    assert (window.width(), window.height()) == (1100, 700)  # no minimum size forces it larger
    parts = [window.view] + [dock for dock in window.findChildren(QDockWidget)
                             if dock.isVisible() and not dock.visibleRegion().isEmpty()]
    assert {window.io_dock, window.training_dock} <= set(parts)
    rects = {part.objectName() or "canvas": shown_in_window(window, part) for part in parts}
    inside = window.rect()
    for name, rect in rects.items():
        assert inside.contains(rect), (name, rect)
    names = list(rects)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            assert not rects[names[a]].intersects(rects[names[b]]), (names[a], names[b])


def test_side_docks_return_to_their_width_when_training_is_shown(make_window, qtbot):
    window = make_window("mnist-mlp")
    window.resizeDocks([window.io_dock, window.inspector_dock], [420, 420], Qt.Orientation.Horizontal)
    run_queued_events()
    assert window.io_dock.width() > 380
    open_dock(window, "results")
    assert abs(window.io_dock.width() - max(DOCK_WIDTHS[0], window.io_dock.minimumSizeHint().width())) <= 2
    assert abs(window.inspector_dock.width() - DOCK_WIDTHS[1]) <= 2
    # Drawing a digit on the Draw tab leaves the left dock as wide as it was
    before = window.io_dock.width()
    pad = window.findChild(DigitPad)
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(40, 30))
    for y in range(30, 120, 6):
        QTest.mouseMove(pad, QPoint(60, y))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(60, 120))
    run_queued_events()
    assert window.io_dock.width() == before


def test_the_training_banner_does_not_lie_over_the_network(make_window, qtbot):
    """A run's live network comes with the banner "Training · the canvas follows…" in the view's corner: the
    view fits again below it, so no title of mnist-mlp (tall enough to reach the top) is under it."""
    window = make_window("mnist-mlp")
    open_dock(window, "training")
    assert not window.view.banner.isVisible()
    window.document.set_preview(window.document.project.network)  # what a run's snapshot does
    run_queued_events()
    banner = window.view.banner
    assert banner.isVisible() and banner.text().startswith("Training")
    view = window.view
    on_screen = banner.geometry().translated(-view.viewport().geometry().topLeft())  # in the viewport's pixels
    assert on_screen.top() >= 0 and on_screen.height() >= 20
    for text, rect, _ in all_texts(window.scene):
        if style.legible(text.px, view.transform().m22()):
            assert not view.mapFromScene(rect).boundingRect().intersects(on_screen), text.text
    check_legible(window, "mnist-mlp while training")
    window.document.set_preview(None)
