"""The canvas can be read at its default size: measured in view pixels, as the eye sees it.

For every built-in example, in the window at 1280×800 with the docks as they open and after
Fit, at every step of a pass and in each edge mode:
- a dense network: every text the canvas items carry is drawn (none left out for being too
  small), and each is at least 9 px tall on screen;
- a network with maps (issue 35: LeNet fits at ~40 %): every text that IS drawn is at least
  9 px tall (a text too small is left undrawn, colour carries the value), and every map tile
  shown is at least 24 px a side; zoomed until a map pixel is ≥ 20 px, every visible pixel
  of the selected pixel's map shows its value;
- no two drawn texts overlap, no visible edge line crosses one (a line under an opaque map
  tile is hidden by it), and every drawn text is inside the view;
- the network fills the view (its width or its height, whichever limits the zoom).
"""

from __future__ import annotations

import inspect

import pytest
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QTransform

from nnstudio.io import load_example
from nnstudio.io.examples import list_examples
from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.map_layout import MIN_TILE_PX, tile_in_scene
from nnstudio.ui.canvas.map_overlay import MapOverlayItem
from nnstudio.ui.canvas.map_tile_item import MapTileItem
from nnstudio.ui.canvas.texts import CanvasText, metrics, text_width
from nnstudio.ui.selection import ItemKey

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
        # An item whose texts depend on the zoom (a map column's title: its first word, fitted) says so.
        zoomed = "lod" in inspect.signature(texts).parameters
        for text in (texts(level_of_detail) if zoomed else texts()):
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


def under_a_tile(scene, rect: QRectF) -> bool:
    """Is `rect` (scene) wholly on one map tile? Lines run under the opaque tiles (z −1 < 2): none shows there."""
    return any(tile.sceneBoundingRect().contains(rect) for tile in scene.items() if isinstance(tile, MapTileItem))


def check_legible(window, where: str, in_view_only: bool = False) -> None:
    """The rules of the module docstring at the view's zoom. `in_view_only`: zoomed in, the texts that reach into
    the view are checked (the rest are off screen, as after any pan)."""
    view, scene = window.view, window.scene
    zoom = view.transform().m22()
    everything = all_texts(scene)
    shown = visible_texts(scene, zoom)
    maps = scene.maps.geometry is not None
    assert maps or len(shown) == len(everything), (
        f"{where}: {len(everything) - len(shown)} texts too small to draw at {zoom:.0%}: "
        f"{[t.text for t, _, _ in everything if not style.legible(t.px, zoom)][:5]}")
    viewport = QRectF(view.viewport().rect())
    if in_view_only:
        shown = [s for s in shown if viewport.intersects(QRectF(view.mapFromScene(s[1]).boundingRect()))]
    for text, rect, _ in shown:
        on_screen = view.mapFromScene(rect).boundingRect()
        assert text.px * zoom >= 9.0 and on_screen.height() >= 9, (where, text.text, text.px * zoom)
        assert in_view_only or viewport.contains(QRectF(on_screen)), (where, text.text, "outside the view")
    if maps and not in_view_only:
        for tile in (t for t in scene.items() if isinstance(t, MapTileItem)):
            on_screen = view.mapFromScene(tile.mapRectToScene(QRectF(0, 0, *tile.size))).boundingRect()
            assert min(on_screen.width(), on_screen.height()) >= MIN_TILE_PX - 1, (where, tile.column, tile.channel)
    for a in range(len(shown)):
        for b in range(a + 1, len(shown)):
            ra, rb = shown[a][1], shown[b][1]
            overlap = ra.intersected(rb)
            assert overlap.width() <= 0.5 or overlap.height() <= 0.5, (where, shown[a][0].text, shown[b][0].text)
    seen = [(text, rect, item) for text, rect, item in shown if not under_a_tile(scene, rect)]
    for line, owner in edge_lines(scene):
        for text, rect, item in seen:
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
    if window.scene.maps.geometry is not None:  # a map pixel selected: its field, window and numbers are drawn too
        window.scene.select_key(ItemKey("pixel", 1, 1, 1, channel=0))
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


MAPS_EXAMPLES = [name for name in list_examples() if load_example(name).network.is_spatial]


def zoom_onto(window, key: ItemKey, pixel_px: float = 20.0) -> None:
    """Select map pixel `key` and zoom until a pixel of its map is `pixel_px` on screen, centred on it."""
    scene, view = window.scene, window.view
    scene.select_key(key)
    tile = tile_in_scene(scene.maps.geometry, key.column, key.channel)
    view.setTransform(QTransform.fromScale(pixel_px / tile.pixel, pixel_px / tile.pixel))
    view.centerOn(scene.key_rect(key).center())


@pytest.mark.parametrize("example", MAPS_EXAMPLES)
def test_zoomed_in_every_visible_pixel_of_the_selected_map_shows_its_value(make_window, qtbot, example):
    """For each map column: a pixel selected in the middle of its map, zoomed until a pixel is 20 px — every pixel
    of that map wholly in the view carries its number (drawn at ≥ 9 px), and the drawn texts still read."""
    window = make_window(example)
    scene, view = window.scene, window.view
    viewport = QRectF(view.viewport().rect())
    for column in scene.maps.geometry.maps:
        _, height, width = column.shape
        key = ItemKey("pixel", column.column, height // 2, width // 2, channel=column.tiles[-1].channel)
        zoom_onto(window, key)
        zoom = view.transform().m22()
        overlay = next(i for i in scene.items() if isinstance(i, MapOverlayItem))
        numbers = {(round(t.rect.x(), 3), round(t.rect.y(), 3)): t for t in overlay.texts()}
        tile = tile_in_scene(scene.maps.geometry, key.column, key.channel)
        in_view = 0
        for r in range(height):
            for q in range(width):
                x, y = tile.rect.x + q * tile.pixel, tile.rect.y + r * tile.pixel
                if not viewport.contains(QRectF(view.mapFromScene(QRectF(x, y, tile.pixel, tile.pixel)).boundingRect())):
                    continue
                in_view += 1
                text = numbers.get((round(x, 3), round(y, 3)))
                assert text is not None and text.text, (example, key, r, q, "no number")
                assert style.legible(text.px, zoom) and text_width(text.text, text.px) <= tile.pixel, (example, key, r, q)
        assert in_view >= min(height * width, 9), (example, key, in_view)
        check_legible(window, f"{example}, zoomed onto {key.describe()}", in_view_only=True)


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
