"""Where everything on the network canvas stands, worked out without Qt.

Why a module of its own: the scene used to work out positions while it made its items, so the
arithmetic could be neither read apart from the items nor tested without a QApplication, and every
new picture of a network (a training view, convolutional feature maps) would have had to copy it.
Here the geometry is a plain function of plain data, and the scene only makes items and puts them
where this module says:

    network_layout(shape, pages, show_edge_labels, room)  every column: its neurons, the bias unit above,
                                                     the title, the pager of a large column, the buttons;
                                                     a short view (`room`) shows fewer at once (room_pages)
    label_stack(slots, labels, measure)              the edge labels stacked left of a neuron
    output_label_at(column_at, text, room, measure)  the output beside the last column
    banner_at(corner), banner_room(height)           the phase banner in the view's corner

Text is the one thing that needs a font. Whoever asks passes `measure(text, role) -> (width, height)`:
the widest line of `text` and the height of all its lines in the font of `role` (the scene passes
`texts.measure`, backed by QFontMetricsF; tests pass a fake such as 7 units a character).

Coordinates are scene units (pixels at 100 % zoom). A column's parts are in the column's own
coordinates: x = 0 on its axis, y = 0 at the middle of its neurons; the scene puts the column at
`ColumnLayout.position`. A label stack is relative to the centre of the neuron it feeds.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from nnstudio.core.project import Project
from nnstudio.document.edits import auto_layout

NEURON_RADIUS = 30.0
NEURON_SPACING = 72.0  # at least; a column whose neurons have tall stacks of edge labels gets more
MAX_SHOWN_NEURONS = 12  # above this a column shows a page of its neurons and a pager ("1–8 of 128 ▼")
SHOWN_WHEN_LARGE = 8
# Layers larger than this get one painted item for all their edges. It must not exceed
# MAX_SHOWN_NEURONS: a column that shows only a page of its neurons has no item for the others to
# draw a single edge from (2-16-16-1 failed to draw: 13 to 16 neurons fell between the two limits).
MAX_EDGE_ITEMS_PER_SIDE = MAX_SHOWN_NEURONS
IMAGE_PIXEL = 5.0  # side of one input pixel of an image input
COLUMN_WIDTH = 78.0
BODY_MARGIN = 6.0  # the column's rounded box reaches this far past its top and bottom
HEADER_GAP = 44.0  # from the top of the header (title, subtitle) to the column's top
HEADER_HEIGHT = 36.0
TITLE_HEIGHT = 18.0  # the title's line; the subtitle's follows it
SUBTITLE_HEIGHT = 16.0
PAGER_HALF_HEIGHT = 22.0  # the pager's label and click target, centred where the next neuron would be
BUTTON_DX, BUTTON_DY = 14.0, 22.0  # the − and + buttons: either side of the axis, below the column
BUTTON_RADIUS = 10.0
EXTENT_BELOW = BUTTON_DY + BUTTON_RADIUS + 2.0  # what a column covers below its bottom: the buttons and 2 spare
# Edge labels stand in a "stack" left of the neuron they feed, one row of W per neuron:
MAX_STACK = 7  # labels into one neuron (inputs + bias) shown as a stack; more: values on hover
LABEL_H = 16.0
LABEL_PITCH = 18.0
PORT_GAP = 16.0  # from a label's right side to the neuron's rim
MIN_LABEL_WIDTH = 30.0
LABEL_PADDING = 10.0  # a label is its text's width plus this
OUTPUT_GAP = 20.0  # from the last column's right side to the output text
BANNER_INSET = 8  # the phase banner's distance from the view's top-left corner, in view pixels
BANNER_MARGIN = 12.0  # room kept under the banner when Fit places the network below it


class FontRole(enum.Enum):
    """Which text is measured; the caller's `measure` knows each role's font (style.ROLE_FONTS)."""

    LABEL = "label"  # an edge's label
    OUTPUT = "output"  # the output beside the last column


Measure = Callable[[str, FontRole], tuple[float, float]]  # (widest line, height of all lines)


class Rect(NamedTuple):
    """A rectangle: left, top, width, height (a tuple, so `QRectF(*rect)` takes it as it is)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class NetworkShape:
    """What the geometry depends on in a network: its sizes, its biases, an image input, where its columns are."""

    sizes: tuple[int, ...]  # neurons of each column, the input first
    has_bias: tuple[bool, ...]  # of each layer (columns 1 on)
    input_image: tuple[int, int] | None  # (rows, columns) when the input is drawn as an image
    positions: tuple[tuple[float, float], ...]  # where each column stands (the document's layout)

    @classmethod
    def of(cls, project: Project) -> NetworkShape:
        net = project.network
        return cls(tuple(net.sizes), tuple(layer.has_bias for layer in net.layers), project.input_image,
                   auto_layout(project))


# ------------------------------------------------------------------ rows, pages and stacks


def whole_or_page(size: int) -> int:
    """Neurons a column shows at once when the view has room: all of a small column, SHOWN_WHEN_LARGE of a
    large one (a short view may show fewer: `room_pages`)."""
    return size if size <= MAX_SHOWN_NEURONS else SHOWN_WHEN_LARGE


def shown_rows(size: int, first: int = 0, page: int | None = None) -> list[int]:
    """Which neurons of a column of `size` get their own circle: a page of `page` neurons from `first`
    (clamped to the column); all of them when the page holds the column. `page` defaults to
    `whole_or_page(size)`."""
    page = whole_or_page(size) if page is None else page
    if size <= page:
        return list(range(size))
    first = max(0, min(first, size - page))
    return list(range(first, first + page))


def page_start(size: int, row: int, page: int = SHOWN_WHEN_LARGE) -> int:
    """The first row of the page that shows `row` (pages start at multiples of `page`)."""
    return min(row - row % page, max(0, size - page))


def turn_page(size: int, first: int, step: int, page: int = SHOWN_WHEN_LARGE) -> int:
    """The first row of the next (step +1) or previous (−1) page after the page from `first`; past the
    last page it starts again at the first."""
    pages = -(-size // page)
    current = first // page
    return ((current + step) % pages) * page


def row_y(slot: int, slots: int, spacing: float = NEURON_SPACING) -> float:
    """The y of neuron `slot` of `slots`, `spacing` apart and centred on y = 0."""
    return (slot - (slots - 1) / 2.0) * spacing


def stack_offset(slot: int, slots: int) -> float:
    """Vertical offset of label `slot` of a stack of `slots`, centred on its neuron."""
    return (slot - (slots - 1) / 2.0) * LABEL_PITCH


def stack_half_height(slots: int) -> float:
    return 0.0 if slots == 0 else (slots - 1) / 2.0 * LABEL_PITCH + LABEL_H / 2


def is_large(shape: NetworkShape, column: int) -> bool:
    """Is layer `column` (1 on) too large for labels: more neurons on either side than a column shows?"""
    return shape.sizes[column] > MAX_SHOWN_NEURONS or shape.sizes[column - 1] > MAX_SHOWN_NEURONS


def drawn_in_bulk(shape: NetworkShape, column: int) -> bool:
    """Are the edges into `column` painted by one item (a large layer, or one fed by an image)?"""
    n_out, n_in = shape.sizes[column], shape.sizes[column - 1]
    return (n_in > MAX_EDGE_ITEMS_PER_SIDE or n_out > MAX_EDGE_ITEMS_PER_SIDE
            or (column == 1 and bool(shape.input_image)))


def labels_on(shape: NetworkShape, column: int, show_edge_labels: bool) -> bool:
    """Does layer `column` show its weights as a stack of labels beside each neuron?"""
    if column < 1 or not show_edge_labels or is_large(shape, column):
        return False
    if column == 1 and shape.input_image:
        return False
    return shape.sizes[column - 1] + shape.has_bias[column - 1] <= MAX_STACK


def stack_size(shape: NetworkShape, column: int, show_edge_labels: bool) -> int:
    """How many labels stand beside each neuron of `column` (0: none)."""
    if not labels_on(shape, column, show_edge_labels):
        return 0
    return shape.sizes[column - 1] + int(shape.has_bias[column - 1])


def neuron_spacing(stack: int) -> float:
    """Distance between neurons of a column with `stack` labels each: enough for their stacks not to meet."""
    return max(NEURON_SPACING, stack * LABEL_PITCH + 10.0)


# ------------------------------------------------------------------ the columns


@dataclass(frozen=True)
class Pager:
    """The "1–8 of 128 ▼" label of a large column, where its next neuron would be: a click turns the page."""

    y: float  # on the column's axis; edges from the neurons not shown start here
    text: str
    rect: Rect  # the label and its click target


@dataclass(frozen=True)
class ColumnLayout:
    """Where the parts of one column stand, in the column's coordinates (see the module's docstring)."""

    column: int
    position: tuple[float, float]  # where the column stands in the scene
    top: float  # the extent of what the column holds: neurons with their label stacks, the bias unit, an image
    bottom: float
    spacing: float  # between the centres of two neighbouring neurons
    stack: int  # labels beside each neuron (the edges into it); 0: none
    page: int  # neurons shown at once (the column's size when all of them are)
    neurons: tuple[tuple[int, float], ...]  # (row, y) of each neuron drawn; x = 0
    bias_unit_y: float | None  # the "+1" unit whose edges carry the next layer's biases, above the neurons
    pager: Pager | None
    body: Rect  # the column's rounded box
    header: Rect  # the title and subtitle above the box
    title: Rect
    subtitle: Rect
    minus: tuple[float, float]  # the − and + buttons under the column
    plus: tuple[float, float]
    extent: Rect  # all the column draws: its header, box and buttons (what the scene repaints and hit-tests)


def column_layout(shape: NetworkShape, column: int, first_row: int = 0, show_edge_labels: bool = True,
                  page: int | None = None) -> ColumnLayout:
    """Column `column`, showing `page` neurons (default `whole_or_page`) from `first_row` when they are not all
    shown."""
    size = shape.sizes[column]
    image = shape.input_image if column == 0 else None
    page = whole_or_page(size) if page is None else page
    rows = [] if image else shown_rows(size, first_row, page)
    slots = len(rows) + (1 if len(rows) < size and not image else 0)  # the pager takes a neuron's place
    stack_slots = stack_size(shape, column, show_edge_labels)
    spacing = neuron_spacing(stack_slots)
    stack = stack_half_height(stack_slots)
    if image:
        h = image[0] * IMAGE_PIXEL
        top, bottom = -h / 2, h / 2
    else:
        top = row_y(0, slots, spacing) - max(NEURON_RADIUS, stack)
        bottom = row_y(slots - 1, slots, spacing) + max(NEURON_RADIUS, stack)
    has_next_bias = column < len(shape.has_bias) and shape.has_bias[column]
    unit_y = (top if image else row_y(0, slots, spacing)) - spacing
    if has_next_bias:
        top = min(top, unit_y - NEURON_RADIUS)
    pager = None
    if len(rows) < size and not image:
        more_y = row_y(slots - 1, slots, spacing)
        pager = Pager(more_y, f"{rows[0] + 1}–{rows[-1] + 1}\nof {size} ▼",
                      Rect(-COLUMN_WIDTH / 2, more_y - PAGER_HALF_HEIGHT, COLUMN_WIDTH, 2 * PAGER_HALF_HEIGHT))
    header = Rect(-COLUMN_WIDTH, top - HEADER_GAP, 2 * COLUMN_WIDTH, HEADER_HEIGHT)
    return ColumnLayout(
        column=column, position=shape.positions[column], top=top, bottom=bottom, spacing=spacing,
        stack=stack_slots, page=min(page, size), neurons=tuple((row, row_y(slot, slots, spacing)) for slot, row in enumerate(rows)),
        bias_unit_y=unit_y if has_next_bias else None, pager=pager,
        body=Rect(-COLUMN_WIDTH / 2, top - BODY_MARGIN, COLUMN_WIDTH, bottom - top + 2 * BODY_MARGIN),
        header=header, title=Rect(header.x, header.y, header.w, TITLE_HEIGHT),
        subtitle=Rect(header.x, header.y + TITLE_HEIGHT, header.w, SUBTITLE_HEIGHT),
        minus=(-BUTTON_DX, bottom + BUTTON_DY), plus=(BUTTON_DX, bottom + BUTTON_DY),
        extent=Rect(header.x, header.y, header.w, bottom - header.y + EXTENT_BELOW))


@dataclass(frozen=True)
class NetworkLayout:
    """Every column of a network, the input first."""

    shape: NetworkShape
    columns: tuple[ColumnLayout, ...]


def network_layout(shape: NetworkShape, pages: Mapping[int, int] | None = None,
                   show_edge_labels: bool = True, room: float | None = None) -> NetworkLayout:
    """The whole network: `pages` maps a column that pages to the first row shown (its first page when absent);
    `room` is the height the view has for a column at a legible zoom (see `room_pages`), None: no limit."""
    pages = pages or {}
    sizes = room_pages(shape, room, show_edge_labels)
    return NetworkLayout(shape, tuple(column_layout(shape, column, pages.get(column, 0), show_edge_labels, sizes[column])
                                      for column in range(len(shape.sizes))))


# ------------------------------------------------------------------ pages that fit the view

MIN_PAGE = 3  # however short the view, a page shows this many neurons


def pages_by_room(shape: NetworkShape, column: int) -> bool:
    """May `column` show fewer neurons at once when the view is short? Only where no edge needs an item per
    neuron: its edges in and out are painted in bulk (a neuron not shown has no item for a single edge to
    start from), and not an image input (drawn whole). A small network therefore always shows every neuron,
    with every weight beside it."""
    if column == 0 and shape.input_image:
        return False
    last = len(shape.sizes) - 1
    return (column == 0 or drawn_in_bulk(shape, column)) and (column == last or drawn_in_bulk(shape, column + 1))


def room_pages(shape: NetworkShape, room: float | None, show_edge_labels: bool = True) -> list[int]:
    """Neurons shown at once in each column. With the Training dock open at 1280×800 the canvas is ~420 px
    tall, and mnist-mlp's columns (a page of 8 of 128, all 10 outputs) fit only at ~50 %, where no title or
    pager is legible. So while the columns together (each where it stands, its header and buttons included)
    are taller than `room` (scene units: the view's height at the least legible zoom), the column that may
    page (`pages_by_room`) and reaches furthest beyond the others shows one neuron fewer, down to MIN_PAGE;
    the view stays legible and the pager turns to the rest."""
    pages = [whole_or_page(size) for size in shape.sizes]
    if room is None:
        return pages
    columns = [column_layout(shape, c, 0, show_edge_labels, page) for c, page in enumerate(pages)]

    def reach(c: int) -> tuple[float, float]:
        y = shape.positions[c][1]
        return y + columns[c].extent.y, y + columns[c].extent.bottom

    while True:
        tops, bottoms = zip(*(reach(c) for c in range(len(columns))))
        if max(bottoms) - min(tops) <= room:
            return pages
        pageable = [c for c in range(len(columns)) if pages[c] > MIN_PAGE and pages_by_room(shape, c)]
        if not pageable:
            return pages
        c = max(pageable, key=lambda c: (max(min(tops) - tops[c], bottoms[c] - max(bottoms)), columns[c].extent.h))
        pages[c] -= 1
        columns[c] = column_layout(shape, c, 0, show_edge_labels, pages[c])


def realigned(shape: NetworkShape, first_rows: Mapping[int, int], pages: list[int]) -> dict[int, int]:
    """Each column's first row shown, moved to the start of its page when the pages take `pages` neurons."""
    return {column: page_start(shape.sizes[column], first, pages[column])
            for column, first in first_rows.items() if column < len(pages)}


# ------------------------------------------------------------------ texts placed by their measured size


def label_width(text: str, measure: Measure) -> float:
    """Width of a label box for `text` (measured, so "0.1 → 0.12" fits)."""
    return max(MIN_LABEL_WIDTH, measure(text, FontRole.LABEL)[0] + LABEL_PADDING)


def stack_left(width: float) -> float:
    """The left side of a stack of labels `width` wide, from the centre of the neuron they feed."""
    return -NEURON_RADIUS - PORT_GAP - width


def label_slot(input_index: int | None, has_bias: bool) -> int:
    """The slot of an edge's label in its neuron's stack: the bias's (None) first, then the inputs in
    order, so the lines into one stack never cross each other near it."""
    return 0 if input_index is None else input_index + int(has_bias)


@dataclass(frozen=True)
class LabelStack:
    """The labels of the edges into one neuron, stacked left of it, every one as wide as the widest."""

    width: float
    offsets: tuple[float, ...]  # each slot's centre, from the neuron's centre (slot 0 on top)

    def rect(self, slot: int) -> Rect:
        """Slot `slot`'s box, from the neuron's centre: its right side PORT_GAP left of the rim."""
        return Rect(stack_left(self.width), self.offsets[slot] - LABEL_H / 2, self.width, LABEL_H)


def label_stack(slots: int, labels: Iterable[str], measure: Measure) -> LabelStack:
    """A stack of `slots` labels as wide as the widest of `labels` (all the labels of its column, so the
    stacks of one column line up)."""
    width = max((label_width(text, measure) for text in labels), default=MIN_LABEL_WIDTH)
    return LabelStack(width, tuple(stack_offset(slot, slots) for slot in range(slots)))


def output_label_at(column_at: tuple[float, float], text: str, room: str, measure: Measure) -> tuple[float, float]:
    """The top-left of the output text beside the last column standing at `column_at` (where it is now,
    also while dragged): OUTPUT_GAP right of the column, centred on its middle, as tall as the taller of
    `text` and `room` (the widest text it will hold: it does not jump as the values change)."""
    height = max((measure(block, FontRole.OUTPUT)[1] for block in (text, room) if block), default=0.0)
    x, y = column_at
    return x + (COLUMN_WIDTH / 2 + OUTPUT_GAP), y - height / 2


def banner_at(corner: tuple[int, int]) -> tuple[int, int]:
    """The phase banner's top-left in the view, given the top-left `corner` of the view's viewport."""
    return corner[0] + BANNER_INSET, corner[1] + BANNER_INSET


def banner_room(height: float) -> float:
    """The height Fit leaves free above the network for a banner `height` tall."""
    return height + BANNER_MARGIN
