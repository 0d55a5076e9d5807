"""The canvas can be read at its default size: measured in view pixels, as the eye sees it.

For every built-in example, in the window at 1280×800 with the docks as they open and after
Fit, at every step of a pass and in each edge mode:
- every text the canvas items carry is drawn (none left out for being too small), and each
  is at least 9 px tall on screen;
- no two texts overlap, no edge line crosses a text, and every text is inside the view;
- the network fills the view (its width or its height, whichever limits the zoom).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt

from nnstudio.io.examples import list_examples
from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.texts import CanvasText, metrics, text_width

MODES = ("weight", "gradient", "signal")


def ink_rect(text: CanvasText) -> QRectF:
    """Where the glyphs are: the text's own extent, aligned inside its rect as paint_texts draws it."""
    w = text_width(text.text, text.px, text.bold)
    h = metrics(text.px, text.bold).height() * len(text.text.split("\n"))
    r = text.rect
    if text.align & Qt.AlignmentFlag.AlignRight:
        x = r.right() - w
    elif text.align & Qt.AlignmentFlag.AlignLeft:
        x = r.left()
    else:
        x = r.center().x() - w / 2
    return QRectF(x, r.center().y() - h / 2, w, h)


def visible_texts(scene, level_of_detail: float):
    """Every text drawn at this zoom: (text, its glyphs' rectangle in scene coordinates, item); the items'
    own `texts()`, which their paint draws."""
    out = []
    for item in scene.items():
        texts = getattr(item, "texts", None)
        if texts is None or not item.isVisible():
            continue
        for text in texts():
            if text.text and style.legible(text.px, level_of_detail):
                out.append((text, item.mapRectToScene(ink_rect(text)), item))
    return out


def edge_lines(scene):
    """Every line drawn between neurons, in scene coordinates, with the item that draws it: each edge's
    segments, and each bulk item's lines between the ends it draws them from."""
    out = [(line, edge) for edge in scene.edges for line in edge.segments()]
    for bulk in scene.bulk_edges:
        for i, j, _ in bulk.edges:
            start = bulk.source_point(i)
            if start is not None:
                out.append((QLineF(start, bulk.target_point(j)), bulk))
    return out


def all_texts(scene):
    """Every text any item carries, legible at this zoom or not: (text, scene ink rect, item)."""
    return visible_texts(scene, level_of_detail=1e9)


def crosses(line: QLineF, rect: QRectF) -> bool:
    """Does the segment pass through the inside of `rect` (touching its border does not count)?"""
    inner = rect.adjusted(1.0, 1.0, -1.0, -1.0)
    if inner.isEmpty():
        return False
    if inner.contains(line.p1()) or inner.contains(line.p2()):
        return True
    corners = [inner.topLeft(), inner.topRight(), inner.bottomRight(), inner.bottomLeft()]
    for k in range(4):
        kind, _ = line.intersects(QLineF(corners[k], corners[(k + 1) % 4]))
        if kind == QLineF.IntersectionType.BoundedIntersection:
            return True
    return False


def check_legible(window, where: str) -> None:
    view, scene = window.view, window.scene
    zoom = view.transform().m22()
    everything = all_texts(scene)
    shown = visible_texts(scene, zoom)
    assert len(shown) == len(everything), (
        f"{where}: {len(everything) - len(shown)} texts too small to draw at {zoom:.0%}: "
        f"{[t.text for t, _, _ in everything if not style.legible(t.px, zoom)][:5]}")
    viewport = QRectF(view.viewport().rect())
    for text, rect, _ in shown:
        on_screen = view.mapFromScene(rect).boundingRect()
        assert text.px * zoom >= 9.0 and on_screen.height() >= 9, (where, text.text, text.px * zoom)
        assert viewport.contains(QRectF(on_screen)), (where, text.text, "outside the view")
    for a in range(len(shown)):
        for b in range(a + 1, len(shown)):
            ra, rb = shown[a][1], shown[b][1]
            overlap = ra.intersected(rb)
            assert overlap.width() <= 0.5 or overlap.height() <= 0.5, (where, shown[a][0].text, shown[b][0].text)
    for line, owner in edge_lines(scene):
        for text, rect, item in shown:
            assert not crosses(line, rect), (where, f"a line of {getattr(owner, 'key', owner)} crosses {text.text!r}")


def check_fills(window, where: str) -> None:
    view = window.view
    network = view.mapFromScene(window.scene.network_rect()).boundingRect()
    viewport = view.viewport().rect()
    share = max(network.width() / viewport.width(), network.height() / (viewport.height() - view.banner_height()))
    assert share >= 0.85, f"{where}: the network fills {share:.0%} of the view"


@pytest.mark.parametrize("example", list_examples())
def test_every_example_reads_at_every_step_and_edge_mode(make_window, qtbot, example):
    window = make_window(example)
    stepping = window.document.stepping
    for mode in MODES:
        window.actions_by_name[f"edge_{mode}"].trigger()
        window.view.fit()
        check_legible(window, f"{example}, {mode}, not stepping")
        check_fills(window, f"{example}, {mode}")
        stepping.start()
        window.view.fit()  # the phase banner takes its room at the top
        while True:
            check_legible(window, f"{example}, {mode}, step {stepping.plan.index} ({stepping.plan.step})")
            if not stepping.forward():
                break
        stepping.reset()
        stepping.stop()


def test_the_geometry_check_sees_a_crossing_and_an_overlap(make_window, qtbot):
    """The checks above can fail: a label moved onto a line, and one onto another label, are caught."""
    window = make_window("backprop-4-2-3")
    rect = QRectF(0, 0, 40, 16)
    assert crosses(QLineF(QPointF(-10, 8), QPointF(60, 8)), rect)
    assert not crosses(QLineF(QPointF(-10, 30), QPointF(60, 30)), rect)
    edge = window.scene.items_by_key[next(k for k in window.scene.items_by_key if k.kind == "edge")]
    edge.set_slot(0.0, edge.slot_width)  # two labels of one stack now share a slot
    with pytest.raises(AssertionError):
        check_legible(window, "broken on purpose")
