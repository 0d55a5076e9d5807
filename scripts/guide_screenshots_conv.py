"""The guide's chapter 5 pictures (convolutional networks), taken from the real window as guide_screenshots.py does.

Each function drives the window as a person would: a click on a map pixel (the scene's selection), the Step actions,
the Inspector's kernel editor, the Training panel, and grabs the 1280×800 window. guide_screenshots.py's main calls
them in turn (PICTURES there), so tests/ui/test_guide.py checks they still make every picture the guide shows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QRectF, QSettings
from PySide6.QtWidgets import QApplication, QWidget

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.project import Project
from nnstudio.core.stepper import Phase
from nnstudio.data.idx import read_idx, write_idx
from nnstudio.document import Document
from nnstudio.ui.canvas.map_layout import tile_in_scene
from nnstudio.ui.panels.network.kernel_editor import KernelEditor
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.window.main_window import MainWindow

# The pixel the receptive-field and detail pictures click: layer 3 (the second convolution), channel 8, row 4,
# column 8 (0-based 3, 7), on (a = 3.10): its field is the 14×14 box of the input around the 7's upper right.
PIXEL = ItemKey("pixel", 3, 3, 7, channel=7)
SOBEL_X = "[[1, 0, -1], [2, 0, -2], [1, 0, -1]]"
# Where the offline image sets lie (tests/ui/test_conv_training_window.py uses IDX files too), as the Training
# panel's Dataset names them: the MNIST sample first (LeNet reads digits), then Fashion-MNIST. Without either, bars
# on noise stand in, so the picture is still made.
IMAGE_FOLDERS = (("mnist", Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-sample"),
                 ("fashion-mnist", Path("/usr/share/datasets/fashion-mnist")))


class Kit(NamedTuple):
    """guide_screenshots.py's helpers, handed in (that script imports this module, and runs as __main__ or by
    runpy, so this module cannot import it back): the same settle, window_for and shot for every picture."""

    settle: Callable[..., None]
    window_for: Callable[[QApplication, QSettings, str | None], MainWindow]
    shot: Callable[[QWidget, Path], None]
    size: tuple[int, int]


def own_settings() -> QSettings:
    """A settings file of the picture's own, in place of the one main() shares: the pictures before leave the
    Training dock open (training.png), which a person opening LeNet for the first time would not see."""
    return QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)


def tile_rect(window: MainWindow, column: int, channel: int) -> QRectF:
    """Map `channel` of canvas column `column` (0 = the input) in scene coordinates."""
    tile = tile_in_scene(window.scene.maps.geometry, column, channel)
    if tile is None:
        raise RuntimeError(f"column {column} shows no map {channel + 1}")
    return QRectF(tile.rect.x, tile.rect.y, tile.rect.w, tile.rect.h)


def zoom_onto(kit: Kit, app: QApplication, window: MainWindow, region: Callable[[], QRectF],
              fill: float = 0.92) -> None:
    """View → Zoom + until `region()` (scene) fills most of the canvas, then the canvas scrolled to it: the maps
    large enough to read at 1280×800, where Fit shows all of LeNet's sixteen-map columns at once. The region is
    asked again after zooming: the map layout pages its columns for the zoom."""
    view = window.view
    room = view.viewport().rect()
    rect = region().adjusted(-20, -45, 20, 30)  # the columns' titles above, their colour scales below
    wanted = fill * min(room.width() / rect.width(), room.height() / rect.height())
    while view.zoom() * 1.2 <= wanted:
        window.actions_by_name["zoom_in"].trigger()
    kit.settle(app, 0.1)
    view.centerOn(region().adjusted(-20, -45, 20, 30).center())
    kit.settle(app, 0.2)


def around_pixel(window: MainWindow) -> QRectF:
    """LeNet's map columns from the input to layer 4, down to PIXEL's map: the field and the pixel in one view."""
    rect = tile_rect(window, 0, 0).united(tile_rect(window, 4, 0)).united(tile_rect(window, 2, 5))
    return rect.united(tile_rect(window, 3, PIXEL.channel + 1))


def receptive(kit: Kit, app: QApplication, settings: QSettings, out: Path) -> None:
    """LeNet with a pixel of layer 3 clicked: its receptive field, and the Inspector showing the kernel it reads."""
    window = kit.window_for(app, own_settings(), "lenet")
    window.inspector_dock.raise_()
    window.scene.select_key(PIXEL)
    zoom_onto(kit, app, window, lambda: around_pixel(window))
    kit.shot(window, out / "receptive.png")
    window.step_dock.raise_()  # the same pixel's detail view: its partial sums, total, bias, z and a
    kit.settle(app, 0.3)
    kit.shot(window, out / "detail.png")
    window.document.mark_clean()
    window.close()


def kernels(kit: Kit, app: QApplication, settings: QSettings, out: Path) -> None:
    """LeNet's first convolution's kernels in the Inspector: a pixel of map 1 clicked shows kernel 1, which makes it."""
    window = kit.window_for(app, own_settings(), "lenet")
    window.inspector_dock.raise_()
    window.scene.select_key(ItemKey("pixel", 1, 8, 16, channel=0))  # a pixel of map 1: kernel 1, which makes it
    zoom_onto(kit, app, window, lambda: tile_rect(window, 0, 0).united(tile_rect(window, 2, 0))
              .united(tile_rect(window, 2, 5)))
    kit.shot(window, out / "kernels.png")
    window.document.mark_clean()
    window.close()


def delta_maps(kit: Kit, app: QApplication, settings: QSettings, out: Path) -> None:
    """LeNet stepped (the Step action, F10) until δ reaches the first convolution: δ maps in every column."""
    window = kit.window_for(app, own_settings(), "lenet")
    step = window.actions_by_name["step"]
    stepping = window.document.stepping
    step.trigger()
    for _ in range(200):  # a bound, not a count: the plan's steps are the network's
        now = stepping.plan.step
        if now.phase == Phase.DELTA and now.layer == 0:
            break
        step.trigger()
    window.scene.select_key(PIXEL)  # the pixel of the pictures before: its δ in the detail view
    window.step_dock.raise_()
    zoom_onto(kit, app, window, lambda: around_pixel(window))
    kit.shot(window, out / "delta-maps.png")
    stepping.stop()
    window.document.mark_clean()
    window.close()


def edge_detector(kit: Kit, app: QApplication, settings: QSettings, out: Path) -> None:
    """One 3×3 convolution, identity, no bias, over a vertical stroke; Sobel x pasted into the kernel editor."""
    network = build_from_architecture(parse_architecture("1x28x28-c1k3"), hidden="identity", output="identity",
                                      no_bias={1})
    stroke = np.zeros((28, 28))
    stroke[5:23, 12:16] = 1.0  # four columns of ink, top to bottom
    project = Project(network=network, input=stroke.reshape(-1), loss="mse", input_image=(28, 28),
                      name="edge detector")  # no target, as the New Network dialog makes it
    window = MainWindow(Document(project), own_settings())
    window.resize(*kit.size)
    window.show()
    window.inspector_dock.raise_()
    window.scene.select_key(ItemKey("pixel", 1, 1, 1, channel=0))  # a corner pixel: the kernel, the edges clear
    kit.settle(app, 0.3)
    editor = window.inspector.findChild(KernelEditor, "kernelEditor")
    if editor is None or not editor.paste_text(SOBEL_X, 0):
        raise RuntimeError("the Inspector shows no kernel editor that takes Sobel x")
    zoom_onto(kit, app, window, lambda: tile_rect(window, 0, 0).united(tile_rect(window, 1, 0)), fill=0.55)
    # Scrolled so the legend under the maps (what the colours mean, the scale) starts at the canvas's left.
    view, legend = window.view, window.scene.maps.legend.sceneBoundingRect()
    half = view.viewport().width() / 2 / view.zoom()
    view.centerOn(legend.left() - 24 / view.zoom() + half, tile_rect(window, 1, 0).center().y())
    kit.settle(app, 0.2)
    kit.shot(window, out / "edge-detector.png")
    window.document.mark_clean()
    window.close()


def training_images(folder: Path, n_train: int = 2000, n_test: int = 500) -> str:
    """A small IDX set written to `folder`, and the Dataset it is: the first images of the offline set found
    (IMAGE_FOLDERS), so the run is short and the same every time; bars on noise (one row per class) if none."""
    for dataset, source in IMAGE_FOLDERS:
        if (source / "train-images-idx3-ubyte.gz").is_file() and (source / "t10k-labels-idx1-ubyte.gz").is_file():
            for prefix, n in (("train", n_train), ("t10k", n_test)):
                for part in ("images-idx3", "labels-idx1"):
                    name = f"{prefix}-{part}-ubyte.gz"
                    write_idx(folder / name, read_idx(source / name)[:n])
            return dataset
    rng = np.random.default_rng(0)
    for prefix, count in (("train", n_train), ("t10k", n_test)):
        classes = rng.integers(0, 10, count).astype(np.uint8)
        noise = rng.integers(0, 30, (count, 28, 28)).astype(np.uint8)
        for thick in (0, 1):  # a bar two rows thick, lower for a larger class
            noise[np.arange(count), 2 + 2 * classes.astype(int) + thick, 4:24] = 240
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", classes)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", noise)
    return "mnist"


def conv_training(kit: Kit, app: QApplication, settings: QSettings, out: Path) -> None:
    """LeNet trained afresh for a few epochs on a small slice of MNIST in the Training panel, shot when the run
    ends: the curves as they grew, and the maps of the network it landed."""
    window = kit.window_for(app, own_settings(), "lenet")
    window.actions_by_name["train"].trigger()
    with tempfile.TemporaryDirectory() as scratch:  # the slice of images lives as long as the run
        folder = Path(scratch) / "images-2000"
        folder.mkdir()
        _train_and_shoot(kit, app, window, folder, out)


def _train_and_shoot(kit: Kit, app: QApplication, window: MainWindow, folder: Path, out: Path) -> None:
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData(training_images(folder)))
    panel.source.setText(str(folder))
    panel.start_row.combo.setCurrentIndex(1)  # fresh weights (seed 0): the curves fall, the maps take shape
    panel.epochs.setValue(6)
    panel.batch.setValue(32)
    panel.pace_row.fastest.click()
    kit.settle(app)
    panel.start_button.click()
    deadline = time.monotonic() + 120
    while window.trainer.running and time.monotonic() < deadline:
        kit.settle(app, 0.05)
    kit.settle(app, 0.4)
    window.training_dock.raise_()
    kit.settle(app, 0.2)
    kit.shot(window, out / "conv-training.png")
    window.document.mark_clean()
    window.close()


def pictures(kit: Kit) -> list[tuple[str, Callable[[QApplication, QSettings, Path], None]]]:
    """The chapter's pictures as guide_screenshots.py lists its own: (name, make(app, settings, out))."""
    makers = [("receptive", receptive), ("kernels", kernels), ("delta-maps", delta_maps),
              ("edge-detector", edge_detector), ("conv-training", conv_training)]
    return [(name, partial(make, kit)) for name, make in makers]
