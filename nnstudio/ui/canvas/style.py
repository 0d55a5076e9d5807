"""One source of visual constants for the canvas: fonts, and value -> colour maps.

Sizes and positions (neuron radius, spacing, label stacks …) are geometry: they live in the
Qt-free layout.py, which says where everything stands.

Colours follow the TensorFlow Playground convention people already know: blue
for positive, orange for negative, the strength of the colour and the width of
the line for the magnitude.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont

from nnstudio.ui.canvas.layout import FontRole
from nnstudio.ui.canvas.map_layout import MapRole

BULK_EDGES_PER_NEURON = 6  # strongest edges drawn into each shown neuron of a large layer

# Text sizes are in scene units (pixels at 100 %), never in points: what reaches the eye is
# size × zoom, and MIN_TEXT_PX is the least that may be drawn (legible(); texts.py).
MIN_TEXT_PX = 9.0
VALUE_PX = 13.0  # a value inside a neuron
VALUE_TWO_LINES_PX = 12.0
LABEL_PX = 12.0  # an edge's label
TITLE_PX = 13.0
SUBTITLE_PX = 12.0
CAPTION_PX = 12.0
OUTPUT_PX = 16.0
BUTTON_PX = 14.0
# The least zoom at which every text of a column (its title and subtitle, its pager, its edge labels) is drawn.
LEGIBLE_ZOOM = MIN_TEXT_PX / min(VALUE_TWO_LINES_PX, LABEL_PX, TITLE_PX, SUBTITLE_PX, CAPTION_PX)
ROLE_FONTS = {FontRole.LABEL: (LABEL_PX, False), FontRole.OUTPUT: (OUTPUT_PX, True),  # texts layout.py measures
              MapRole.TITLE: (TITLE_PX, True)}  # and map_layout.py: a map column's two-line title

POSITIVE = QColor("#2563eb")
NEGATIVE = QColor("#ea580c")
NEUTRAL = QColor("#9ca3af")
NEURON_FILL = QColor("#ffffff")
NEURON_BORDER = QColor("#374151")
ACTIVE_FILL = QColor("#dbeafe")
SELECTED = QColor("#16a34a")
TEXT = QColor("#111827")
MUTED = QColor("#6b7280")
BACKGROUND = QColor("#f8fafc")
LABEL_BACKGROUND = QColor(255, 255, 255, 230)


def over_background(colour: QColor) -> QColor:
    """The opaque colour a translucent one shows over the canvas's background. Qt's raster engine
    strokes a translucent antialiased wide line ~25× slower than an opaque one (0.3 ms a line)."""
    a = colour.alphaF()
    return QColor.fromRgbF(*(a * c + (1 - a) * b for c, b in zip(
        (colour.redF(), colour.greenF(), colour.blueF()), (BACKGROUND.redF(), BACKGROUND.greenF(), BACKGROUND.blueF()))))


def value_colour(value: float, scale: float, alpha_floor: int = 70) -> QColor:
    """Blue for positive, orange for negative; stronger the larger |value| / scale."""
    if value == 0 or scale <= 0:
        colour = QColor(NEUTRAL)
        colour.setAlpha(90)
        return colour
    colour = QColor(POSITIVE if value > 0 else NEGATIVE)
    strength = min(1.0, abs(value) / scale)
    colour.setAlpha(int(alpha_floor + (255 - alpha_floor) * strength))
    return colour


def edge_width(value: float, scale: float) -> float:
    """Line width from 0.6 to 5 px by |value| relative to the largest in the layer."""
    if scale <= 0:
        return 0.6
    return 0.6 + 4.4 * min(1.0, abs(value) / scale)


def font(pixel_size: float, bold: bool = False) -> QFont:
    """A font `pixel_size` scene units tall (so its height on screen is pixel_size × zoom)."""
    f = QFont()
    f.setPixelSize(max(1, round(pixel_size)))
    f.setBold(bold)
    return f


def legible(pixel_size: float, level_of_detail: float) -> bool:
    """Is text of `pixel_size` at least MIN_TEXT_PX tall at this zoom? Smaller text is not drawn."""
    return pixel_size * level_of_detail >= MIN_TEXT_PX - 1e-9
