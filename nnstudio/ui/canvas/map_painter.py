"""Neuron maps on the canvas: each neuron's activation over the input plane, drawn inside its circle.

Only two-input networks have them. They are drawn in events of their own, coalesced, a layer an
event: with a refresh of the values in the same event, a live update held the event loop for tens
of ms, and all layers in one event still 45 ms (2-16-16-1 while training, bench_ui_latency.py, maps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QGraphicsItem

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import Network
from nnstudio.core.neuron_maps import DEFAULT_BOUNDS, NeuronMaps, neuron_maps
from nnstudio.ui.canvas.neuron_item import MAP_PIXMAP_PX, NeuronItem
from nnstudio.ui.images import circle_cut, map_pixels, rgb_image, rgba_image
from nnstudio.ui.selection import ItemKey

MAP_SIZE = 32  # points a side of each neuron's map on the canvas


class NeuronMapPainter:
    """Puts the maps of `network()` on the neurons among `items()` (both read when the drawing starts)."""

    def __init__(self, parent: QObject, network: Callable[[], Network],
                 items: Callable[[], Mapping[ItemKey, QGraphicsItem]]) -> None:
        self._network = network
        self._items = items
        self.show = True
        self.bounds = DEFAULT_BOUNDS
        self.maps: NeuronMaps | None = None
        self._later = QTimer(parent)
        self._later.setSingleShot(True)
        self._later.setInterval(0)
        self._later.timeout.connect(self._start_steps)
        self._job: Iterator[None] | None = None
        self._next = QTimer(parent)
        self._next.setSingleShot(True)
        self._next.setInterval(0)
        self._next.timeout.connect(self._next_step)

    def later(self) -> None:
        """Draw the maps in events of their own, after this one (requests in between make one drawing)."""
        self._later.start()

    def set_show(self, on: bool) -> None:
        self.show = on
        self.now()

    def set_bounds(self, bounds) -> None:  # type: ignore[no-untyped-def]
        """The part of the input plane the maps show (the training data's extent, once there is data)."""
        self.bounds = bounds
        self.now()

    def now(self) -> None:
        """Each neuron's map for the network on screen, or none (off, or not a two-input network), now."""
        self._job = None
        self._next.stop()
        for _ in self._steps():
            pass

    def _start_steps(self) -> None:
        """Draw the maps a layer an event (a newer request restarts from the network then on screen)."""
        self._job = self._steps()
        self._next_step()

    def _next_step(self) -> None:
        if self._job is None:
            return
        if next(self._job, StopIteration) is StopIteration:
            self._job = None
        else:
            self._next.start()

    def _steps(self) -> Iterator[None]:
        """Compute the maps, then colour and cut one layer's maps a step (see the module's docstring)."""
        network = self._network()
        self.maps = None
        if self.show and network.input_size == 2 and network.layers:
            try:
                self.maps = neuron_maps(network, self.bounds, MAP_SIZE)
            except (NNStudioError, FloatingPointError, ValueError):
                self.maps = None
        maps = self.maps
        by_column: dict[int, list[NeuronItem]] = {}
        for key, item in self._items().items():
            if isinstance(item, NeuronItem) and key.kind == "neuron" and key.column > 0:
                by_column.setdefault(key.column, []).append(item)
        for column, items in sorted(by_column.items()):
            if maps is None or column > len(maps.layers):
                for item in items:
                    if item.map is not None:  # (most networks have no maps: no repaint for nothing)
                        item.set_map(None)
                continue
            yield  # the layers before this one are drawn: let the event loop breathe
            if self.maps is not maps or not all(shiboken6.isValid(item) for item in items):
                return  # redrawn or rebuilt meanwhile
            layer = maps.layers[column - 1]
            scale = float(np.max(np.abs(layer))) if layer.size else 1.0
            rgb = map_pixels(layer, scale if np.isfinite(scale) else 1.0)  # a whole layer in one pass
            cut = circle_cut(rgb, MAP_PIXMAP_PX)
            for item in items:
                item.set_map(rgb_image(rgb[item.key.row]), rgba_image(cut[item.key.row]))
