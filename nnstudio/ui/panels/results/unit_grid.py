"""UnitGrid: what each hidden unit of an image-input network has learned, as a grid of weight images.

Unit j of the first layer multiplies the image by its weight row W1[j]; drawn as an image of the
input's shape (28×28 for MNIST) — blue where the weight is positive, orange where negative, white
at 0, each unit scaled by its own largest |w| — it shows the pattern the unit responds to. The grid
is sortable by unit number, by ‖w‖, or by the unit's activation for the current input; the size
slider goes up to a few units filling the panel. Clicking a unit shows it large beside the test
images that excite it most (the run's test set). It follows the network live during training.

A network whose first layer is a convolution shows that layer's kernels instead (kernel_units.py): one small image
per kernel and input channel, on the layer's one colour scale as the canvas colours its maps; a click shows the
kernel large beside the test images whose map of it peaks highest.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.activations import get_activation
from nnstudio.core.network import Network
from nnstudio.data.dataset import DataSplit
from nnstudio.document import Document
from nnstudio.ui.images import ink_image, map_image
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.results.kernel_units import (
    SEARCHED,
    exciting_for_kernel,
    first_conv,
    kernel_images,
    kernel_order,
    kernel_scale,
)

SORTS = (("unit number", "index"), ("weight norm ‖w‖", "norm"), ("activation for the input", "activation"))
TOP_IMAGES = 8  # test images shown beside a clicked unit
UNIT_HINT = "Click a unit to see it large beside the test images that excite it most."
LARGE_PX = 96  # the clicked unit's image (the grid's size slider goes larger; the dock keeps 1280×800)


def sharp_pixmap(image: np.ndarray, scale: float, size: int) -> QPixmap:
    """`image` in the canvas's colours (full at ±`scale`) scaled to `size`, pixels kept square (a QIcon or a smooth
    scaling would blur a 5×5 kernel into a smudge)."""
    return QPixmap.fromImage(map_image(image, scale)).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)


def unit_order(network: Network, how: str, x: np.ndarray) -> list[int]:
    """The first layer's units in the order `how` asks: index, norm (largest first), activation for x."""
    layer = network.layers[0]
    if how == "norm":
        return [int(j) for j in np.argsort(-np.linalg.norm(layer.weights, axis=1), kind="stable")]
    if how == "activation":
        z = layer.weights @ x + (0 if layer.bias is None else layer.bias)
        a = get_activation(layer.activation)(z[None, :], layer.params)[0]
        return [int(j) for j in np.argsort(-a, kind="stable")]
    return list(range(layer.n_out))


def exciting_images(network: Network, unit: int, test_x: np.ndarray, count: int = TOP_IMAGES) -> list[int]:
    """The test images that give unit `unit` of the first layer its largest activations, largest first."""
    layer = network.layers[0]
    z = test_x @ layer.weights[unit] + (0 if layer.bias is None else layer.bias[unit])
    return [int(i) for i in np.argsort(-z, kind="stable")[:count]]  # the activations are monotone in z


class UnitGrid(QWidget):
    """The grid, its controls, and the clicked unit with its most exciting test images."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.data: DataSplit | None = None
        self._build_controls()
        self._build_views()
        self.unit: int | None = None
        self.top: list[int] = []
        self._stale = True
        self.images: dict[int, np.ndarray] = {}  # unit (or kernel_units key) → the weight image shown (rows × cols)
        self.kernel_scale: float | None = None  # kernels: the layer's one colour scale (units: each its own)
        self._searched: int | None = None  # the unit whose exciting test images were last searched
        self._lay_out()
        self._connect()
        self.refresh()

    def _build_controls(self) -> None:
        """Sort by, and the size of each unit's image."""
        self.sort = QComboBox()
        self.sort.setObjectName("unitSort")
        for label, name in SORTS:
            self.sort.addItem(label, name)
        self.size = QSlider(Qt.Orientation.Horizontal)
        self.size.setObjectName("unitSize")
        self.size.setRange(28, 240)
        self.size.setValue(56)
        self.size.setToolTip("The size of each unit's image, up to a few filling the panel")

    def _build_views(self) -> None:
        """The grid of units, and the clicked unit large beside the test images that excite it most."""
        self.grid = QListWidget()
        self.grid.setObjectName("unitGrid")
        self.grid.setViewMode(QListWidget.ViewMode.IconMode)
        self.grid.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.grid.setMovement(QListWidget.Movement.Static)
        self.grid.itemClicked.connect(lambda item: self.show_unit(item.data(Qt.ItemDataRole.UserRole)))
        self.detail = QLabel(UNIT_HINT)
        self.detail.setObjectName("unitDetail")
        self.detail.setWordWrap(True)
        self.exciting = QListWidget()
        self.exciting.setObjectName("unitExciting")
        self.exciting.setViewMode(QListWidget.ViewMode.IconMode)
        self.exciting.setIconSize(QSize(40, 40))
        self.exciting.setMaximumWidth(300)
        self.exciting.setMinimumHeight(44)
        self.grid.setMinimumHeight(60)
        self.large = QLabel()
        self.large.setObjectName("unitLarge")

    def _lay_out(self) -> None:
        """The controls above; the grid on the left of the unit shown large and its exciting images."""
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Sort by"))
        controls.addWidget(self.sort)
        controls.addWidget(QLabel("Size"))
        controls.addWidget(self.size, 1)
        side = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(self.large)
        top.addWidget(self.detail, 1)
        side.addLayout(top)
        side.addWidget(self.exciting, 1)
        body = QHBoxLayout()
        body.addWidget(self.grid, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(body, 1)

    def _connect(self) -> None:
        """Redraw for another sort or size, and (coalesced) for new or live weights."""
        self.sort.currentIndexChanged.connect(lambda _: self.refresh())
        self.size.valueChanged.connect(lambda _: self.refresh())  # icons are drawn at the size shown
        self._timer = QTimer(self)  # live weights: at most a few redraws a second, only while on screen
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.refresh)
        listen(self, self.document.changed, lambda kind: self._timer.start())
        listen(self, self.document.preview_changed, self._on_preview)

    def _on_preview(self) -> None:
        """Live weights: redrawn at most once a second (128 images are ~20 ms of the window's thread)."""
        self._timer.setInterval(1000 if self.document.preview is not None else 300)
        if not self._timer.isActive():
            self._timer.start()

    def set_data(self, data: DataSplit | None) -> None:
        self.data = data
        if self.unit is not None:
            self.show_unit(self.unit)

    def _image_shape(self) -> tuple[int, int] | None:
        project = self.document.project
        return project.input_image or (self.data.test.image if self.data is not None else None)

    def _resize_icons(self, size: int) -> None:
        self.grid.setIconSize(QSize(size, size))
        self.grid.setGridSize(QSize(size + 12, size + 22))

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        if not self.isVisible():  # drawn when next shown: 128 weight images cost tens of ms
            self._stale = True
            return
        self._stale = False
        network = self.document.shown_network
        shape = self._image_shape()
        self.images.clear()
        self.kernel_scale = None
        if first_conv(network) is not None:
            self._refresh_kernels(network)
            return
        if shape is None or not network.layers or shape[0] * shape[1] != network.input_size:
            self.grid.clear()
            self.detail.setText("The unit grid shows networks whose input is an image (such as MNIST's 28×28): "
                                "each first-layer unit's weights drawn as an image.")
            return
        order = unit_order(network, self.sort.currentData(), np.asarray(self.document.project.input, float))
        if self.unit is None:
            self.detail.setText(UNIT_HINT)
        weights = network.layers[0].weights
        images = {j: np.asarray(weights[j], dtype=float).reshape(shape) for j in order}
        labels = {j: str(j + 1) for j in order}
        tips = {j: f"unit {j + 1}: ‖w‖ = {np.linalg.norm(images[j]):.3g}; click to see it large" for j in order}
        self._fill(order, images, labels, tips, None)

    def _refresh_kernels(self, network: Network) -> None:
        """The first convolution's kernels, one image per kernel and input channel, on the layer's one scale."""
        layer = first_conv(network)
        assert layer is not None
        scale = kernel_scale(layer)
        found = {image.key: image for image in kernel_images(layer)}
        order = kernel_order(layer, self.sort.currentData(), np.asarray(self.document.project.input, float))
        reads = "" if layer.in_shape[0] == 1 else " (one image per input channel)"
        tips = {key: f"kernel {image.kernel + 1}" + (f", input channel {image.channel + 1}" if image.channels > 1
                                                      else "") + f": ‖w‖ = {np.linalg.norm(image.values):.3g}; "
                     "click to see it large" for key, image in found.items()}
        self.kernel_scale = scale
        self._fill(order, {key: found[key].values for key in order}, {key: found[key].label for key in order},
                   tips, scale)
        k = layer.k
        if self.unit is None:
            self.detail.setText(f"The first layer's {layer.channels} kernels of {k}×{k}{reads}: blue positive, orange "
                                f"negative, full colour at ±{scale:.3g} (the layer's largest |w|, one scale for all, as "
                                "the canvas colours a layer's maps). Click one to see it large.")

    def _fill(self, order: list[int], images: dict[int, np.ndarray], labels: dict[int, str], tips: dict[int, str],
              scale: float | None) -> None:
        """The grid's items in `order`, each its image (full colour at ±`scale`; None: each at its own largest
        |w|). The same keys in the same order (live training): new icons in place, no new items to lay out."""
        size = self.size.value()
        self._resize_icons(size)
        same = [self.grid.item(k).data(Qt.ItemDataRole.UserRole) for k in range(self.grid.count())] == order
        if not same:
            self.grid.clear()
        for slot, j in enumerate(order):
            self.images[j] = images[j]
            icon = QIcon(sharp_pixmap(images[j], scale or float(np.max(np.abs(images[j]))) or 1.0, size))
            if same:
                item = self.grid.item(slot)
                item.setIcon(icon)
                item.setToolTip(tips[j])
                continue
            item = QListWidgetItem(icon, labels[j])
            item.setData(Qt.ItemDataRole.UserRole, j)
            item.setToolTip(tips[j])
            self.grid.addItem(item)
        if self.unit is not None and self.unit in self.images:
            # Live kernels: the test images a kernel excites are searched on a click, not at every preview (a search
            # is a convolution of a thousand images, tens of ms of the window's thread while the run wants it).
            live_kernels = scale is not None and self.document.preview is not None and self.unit == self._searched
            self.show_unit(self.unit, search=not live_kernels)
        elif self.unit is not None:  # another network: the unit shown large is not one of its own
            self.unit, self.top = None, []
            self.large.clear()
            self.exciting.clear()

    def show_unit(self, unit: int, search: bool = True) -> None:
        """Unit `unit` large, and the test images that excite it most (`search` False: those found last, kept)."""
        network = self.document.shown_network
        if unit not in self.images:
            return
        if not search:
            self.large.setPixmap(sharp_pixmap(self.images[unit], self.kernel_scale or 1.0, LARGE_PX))
            return
        self.unit = unit
        image = self.images[unit]
        self.large.setPixmap(sharp_pixmap(image, self.kernel_scale or float(np.max(np.abs(image))) or 1.0, LARGE_PX))
        self.exciting.clear()
        data = self.data
        conv = first_conv(network)
        name = f"Unit {unit + 1}" if conv is None else f"Kernel {unit // conv.in_shape[0] + 1}" + (
            f", input channel {unit % conv.in_shape[0] + 1}," if conv.in_shape[0] > 1 else "")
        if data is None or data.test.x.shape[1] != network.input_size:
            self.detail.setText(f"{name}. Train the network to see the test images that excite it most.")
            self.top = []
            return
        test_x = np.asarray(data.test.x)
        self.top = exciting_images(network, unit, test_x.astype(float)) if conv is None else \
            exciting_for_kernel(conv, unit // conv.in_shape[0], test_x, TOP_IMAGES)
        self._searched = unit
        shape = data.test.image or self._image_shape()
        for index in self.top:
            label = data.test.classes[int(data.test.y[index])] if data.test.classes else ""
            item = QListWidgetItem(QIcon(QPixmap.fromImage(ink_image(data.test.x[index], shape))), label)
            item.setData(Qt.ItemDataRole.UserRole, index)
            self.exciting.addItem(item)
        excites = "test images that excite it most" if conv is None else "test images whose map of it peaks highest" \
            + (f" (of the first {SEARCHED:,})" if len(test_x) > SEARCHED else "")
        self.detail.setText(f"{name} (blue: positive weights, orange: negative) and the {len(self.top)} {excites}:")
