"""The Inspector's texts never lie over one another: in a short dock (a bottom dock open at 1280×800) a long
description made Qt squeeze the rows, and its first lines were drawn under the line above. The dock scrolls."""

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel

from tests.ui.helpers import run_queued_events


def label_rects(panel) -> list[tuple[str, QRect]]:  # type: ignore[no-untyped-def]
    return [(label.text()[:30], QRect(label.mapTo(panel, label.rect().topLeft()), label.size()))
            for label in panel.findChildren(QLabel) if label.isVisibleTo(panel) and label.text()]


def test_a_long_description_scrolls_rather_than_overlapping_in_a_short_dock(make_window):
    window = make_window("mnist-trained")
    window.actions_by_name["train"].trigger()  # the Training dock takes the height below the canvas
    for _ in range(3):  # the dock's new height, then the panel's least height at its width
        run_queued_events()
    panel = window.inspector
    assert window.inspector_dock.height() < 450 and len(window.document.project.description) > 500
    rects = label_rects(panel)
    assert len(rects) >= 5
    for i, (text, rect) in enumerate(rects):
        for other, rect_other in rects[i + 1:]:
            assert not rect.intersects(rect_other), (text, other)
    description = next(label for label in panel.findChildren(QLabel) if label.text().startswith("A multilayer"))
    assert description.height() >= description.heightForWidth(description.width())  # every line drawn whole


def _everything_fits_the_dock(window) -> None:  # type: ignore[no-untyped-def]
    """Every label of the Inspector lies inside the dock's width and is drawn with all its lines."""
    from PySide6.QtWidgets import QScrollArea
    viewport = window.inspector_dock.findChild(QScrollArea).viewport()
    assert window.inspector_dock.width() <= 300  # the dock keeps its default width: the canvas keeps its room
    assert window.inspector.width() <= viewport.width()
    for label in window.inspector.findChildren(QLabel):
        if not label.isVisibleTo(window.inspector) or not label.text():
            continue
        right = label.mapTo(viewport, label.rect().topRight()).x()
        assert right < viewport.width(), label.text()[:40]
        assert label.sizeHint().width() <= label.width() or label.wordWrap(), label.text()[:40]
        if label.wordWrap():
            assert label.height() >= label.heightForWidth(label.width()), label.text()[:40]


def test_lenet_s_summary_and_layer_3_are_readable_in_the_default_window(make_window):
    """At 1280×800 LeNet's title ran past the dock's edge, the Shape row was squashed, and layer 3's 5×5 kernel grids
    were cut at column 5 with no way to scroll to it (the panel was wider than its dock)."""
    from PySide6.QtWidgets import QTableView
    from nnstudio.ui.selection import ItemKey
    window = make_window()  # opened by File → Examples, as a newcomer does, into the window's default docks
    window.open_example("lenet", ask=False)
    for _ in range(3):
        run_queued_events()
    _everything_fits_the_dock(window)
    window.scene.select_key(ItemKey("pixel", 3, 0, 0, channel=0))
    for _ in range(3):
        run_queued_events()
    _everything_fits_the_dock(window)
    grids = [grid for grid in window.inspector.findChildren(QTableView) if grid.objectName().startswith("kernelGrid")]
    assert len(grids) == 6
    for grid in grids:
        model, bar = grid.model(), grid.horizontalScrollBar()
        whole = grid.verticalHeader().width() + sum(grid.columnWidth(c) for c in range(model.columnCount()))
        assert grid.width() >= whole or (bar.isVisible() and bar.maximum() > 0)  # every column, or a way to it
        assert grid.viewport().height() >= sum(grid.rowHeight(r) for r in range(model.rowCount()))  # every row shown
