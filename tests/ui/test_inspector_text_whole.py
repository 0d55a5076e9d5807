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
