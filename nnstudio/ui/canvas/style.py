"""One source of visual constants for the canvas: sizes, fonts, and value -> colour maps.

Colours follow the TensorFlow Playground convention people already know: blue
for positive, orange for negative, the strength of the colour and the width of
the line for the magnitude.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont

NEURON_RADIUS = 26.0
NEURON_SPACING = 66.0
MAX_SHOWN_NEURONS = 12  # above this a column shows the first few and "⋮ N more"
SHOWN_WHEN_LARGE = 8
MAX_EDGE_ITEMS_PER_SIDE = 16  # layers larger than this get one painted item for all their edges
BULK_EDGES_PER_NEURON = 6  # strongest edges drawn into each shown neuron of a large layer
IMAGE_PIXEL = 5.0
HEADER_GAP = 44.0

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


def font(point_size: float, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(point_size)
    f.setBold(bold)
    return f
