"""The colours of a convolutional network's maps (issue 35, point 1): full at each layer's largest |a| by default,
at each map's own (View → Map Colours: Per Map) or at the whole network's (Whole Network), and the legend and the
scale under each column say which. Read from the tiles' image pixels of LeNet (the built-in, trained example)."""

from __future__ import annotations

import numpy as np

from nnstudio.ui import images
from nnstudio.ui.canvas.map_colours import scale_labels, scale_number
from nnstudio.ui.canvas.map_tile_item import MapTileItem
from nnstudio.ui.canvas.map_values import shown_maps

FULL_BLUE = tuple(images.map_pixels(np.array([1.0]), 1.0)[0])  # the colour of the largest positive value


def tile(window, column: int, channel: int) -> MapTileItem:
    return next(t for t in window.scene.items() if isinstance(t, MapTileItem)
                and (t.column, t.channel) == (column, channel))


def peak_colour(window, column: int, channel: int) -> tuple[int, int, int]:
    """The tile's image pixel at its map's largest |a| (row, col in the map = the image's y, x)."""
    a = shown_maps(window.document)[column].values[channel]
    row, col = np.unravel_index(int(np.argmax(np.abs(a))), a.shape)
    assert a[row, col] > 0  # (ReLU maps: the peak is positive, full blue)
    return tile(window, column, channel).image.pixelColor(int(col), int(row)).getRgb()[:3]


def weakest_and_strongest(window, column: int) -> tuple[int, int]:
    """Two channels of `column` shown now: the one with the smallest largest |a| and the one with the largest."""
    values = shown_maps(window.document)[column].values
    shown = [t.channel for t in window.scene.items() if isinstance(t, MapTileItem) and t.column == column]
    peaks = {c: float(np.max(np.abs(values[c]))) for c in shown}
    weak, strong = min(peaks, key=peaks.get), max(peaks, key=peaks.get)
    assert peaks[weak] < 0.9 * peaks[strong]  # the test needs two channels that differ
    return weak, strong


def test_per_layer_by_default_per_map_brings_every_map_to_full_colour(make_window):
    window = make_window("lenet")
    actions = window.actions_by_name
    assert actions["map_colours_layer"].isChecked()
    weak, strong = weakest_and_strongest(window, 1)
    assert peak_colour(window, 1, strong) == FULL_BLUE and peak_colour(window, 1, weak) != FULL_BLUE
    assert "Each layer's colours are full at its largest |a|" in window.scene.maps.legend.text
    assert window.scene.maps.columns[1].scale_text.startswith("a ±")

    actions["map_colours_map"].trigger()
    assert actions["map_colours_map"].isChecked() and not actions["map_colours_layer"].isChecked()
    assert peak_colour(window, 1, strong) == FULL_BLUE and peak_colour(window, 1, weak) == FULL_BLUE
    assert "Each channel's colours are full at its own largest |a|" in window.scene.maps.legend.text
    # A value, not "±own": the range of the channels' own largest |a| (here the conv's six channels).
    own = np.max(np.abs(window.scene.maps.scales[1]))
    low, high = (scale_number(float(v)) for v in (window.scene.maps.scales[1].min(), own))
    assert window.scene.maps.columns[1].scale_text == f"a ±{low}…{high} each" and low != high
    assert f"1 conv a ±{low}…{high}" in window.scene.maps.legend.text
    assert "that channel's own largest" in window.scene.maps.columns[1].toolTip()

    actions["map_colours_layer"].trigger()  # and back
    assert peak_colour(window, 1, weak) != FULL_BLUE


def test_whole_network_colours_leave_the_layer_with_the_smaller_largest_value_short_of_full(make_window):
    window = make_window("lenet")
    shown = shown_maps(window.document)
    peaks = {c: float(np.max(np.abs(shown[c].values))) for c in (1, 3)}  # the two convolutions' a
    low, high = min(peaks, key=peaks.get), max(peaks, key=peaks.get)
    assert peaks[low] < 0.9 * peaks[high]
    top = max(float(np.max(np.abs(shown[c].values))) for c in range(1, len(shown)))

    def strongest(column: int) -> int:
        return weakest_and_strongest(window, column)[1]

    assert peak_colour(window, low, strongest(low)) == FULL_BLUE  # per layer: every layer reaches full colour
    window.actions_by_name["map_colours_network"].trigger()
    assert peak_colour(window, low, strongest(low)) != FULL_BLUE
    for column in (low, high):  # each peak on the network's scale: its share of the largest |a| of every layer
        expected = tuple(images.map_pixels(np.array([peaks[column]]), top)[0])
        assert peak_colour(window, column, strongest(column)) == expected
    assert "whole network's largest |a|" in window.scene.maps.legend.text
    assert window.scene.maps.columns[low].scale_text.endswith(" net")


def test_scales_of_one_size_read_in_one_format():
    """Neighbouring δ columns read "δ ±0.001" and "δ ±1e−3" (format.short rounds 0.00096 up to 1e−3 but writes
    0.001 as is): a scale is written one way for values of one size."""
    assert scale_number(0.001) == "1.0e−3" and scale_number(0.00096) == "9.6e−4"
    assert scale_labels("δ", np.array([0.001]), "layer")[0] == "δ ±1.0e−3"
    assert scale_labels("δ", np.array([0.00096]), "layer")[0] == "δ ±9.6e−4"
    assert [scale_number(v) for v in (11.5, 2.358, 0.3521, 0.0123, -4.0)] == ["11.5", "2.36", "0.352", "0.0123", "−4"]
    assert scale_labels("a", np.array([0.4, 2.4, 1.0]), "map") == ("a ±0.4…2.4 each", "a ±0.4…2.4")
