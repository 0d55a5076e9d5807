"""Training a convolutional network in the window (issue 35, point 5): LeNet on a few real IDX images.

The canvas draws every map from the document's forward pass (of the live copy while a run trains). These tests check
what a person sees against LeNet's forward pass computed here by hand in numpy: the maps while the run streams
weights in, the maps of the network Stop lands, the maps of a test image picked in the Results panel, and every map
answering a digit drawn on the Draw pad.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.core.trace import forward
from nnstudio.data.idx import write_idx
from nnstudio.ui.images import map_pixels
from tests.ui.helpers import run_landed, run_queued_events


def tiny_image_set(folder, n_train: int = 32, n_test: int = 16) -> None:
    """Real IDX files of 28×28 images: a bright bar whose row is the class, on faint noise (LeNet's input)."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 30, (n, 28, 28)).astype(np.uint8)
        for k, label in enumerate(labels):
            images[k, 2 + 2 * label:4 + 2 * label, 4:24] = 240
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels.astype(np.uint8))


def lenet_by_hand(network, x: np.ndarray) -> list[np.ndarray]:
    """Every map layer's activations (C, H, W) for input x (784,), in plain numpy: cross-correlation with zero
    padding, ReLU, 2×2 max pooling; independent of nnstudio's core."""
    maps, out = np.asarray(x, dtype=float).reshape(1, 28, 28), []
    for layer in network.layers:
        if isinstance(layer, Conv2DLayer):
            assert layer.activation == "relu" and layer.stride == 1
            padded = np.pad(maps, ((0, 0), (layer.pad, layer.pad), (layer.pad, layer.pad)))
            windows = sliding_window_view(padded, (layer.k, layer.k), axis=(1, 2))  # (C, Ho, Wo, k, k)
            z = np.einsum("chwij,kcij->khw", windows, np.asarray(layer.kernel, float)) + layer.bias[:, None, None]
            maps = np.maximum(z, 0.0)
        elif hasattr(layer, "kind"):
            assert layer.kind == "max" and layer.size == 2
            c, h, w = maps.shape
            maps = maps[:, :h // 2 * 2, :w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))
        else:
            break
        out.append(maps)
    return out


def tile_pixels(tile) -> np.ndarray:
    """The RGB bytes (rows, cols, 3) a map tile draws."""
    image = tile.image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    return rows.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 3].reshape(
        image.height(), image.width(), 3).copy()


def drawn_maps(window) -> dict[int, np.ndarray]:
    """Map column → its tiles' pixels stacked by channel (the channels on the page shown)."""
    columns: dict[int, list] = {}
    for tile in window.scene.maps.tiles:
        columns.setdefault(tile.column, []).append((tile.channel, tile_pixels(tile)))
    return {column: np.stack([p for _, p in sorted(tiles, key=lambda t: t[0])]) for column, tiles in columns.items()}


def assert_canvas_shows(window, expected: list[np.ndarray]) -> None:
    """Every tile of map column 1… is layer's maps in the canvas's colours, on the layer's scale (max |a|): within
    one colour step (the hand pass and the core's may round the last bit differently)."""
    for tile in window.scene.maps.tiles:
        if tile.column == 0:
            continue
        maps = expected[tile.column - 1]
        want = map_pixels(maps[tile.channel], float(np.max(np.abs(maps))))
        assert np.abs(tile_pixels(tile).astype(int) - want).max() <= 1, (tile.column, tile.channel)


def lenet_training(make_window, tmp_path, epochs: int, batch: int = 16, dataset: str = "mnist"):
    tiny_image_set(tmp_path)
    window = make_window("lenet")
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData(dataset))
    panel.source.setText(str(tmp_path))
    panel.epochs.setValue(epochs)
    panel.batch.setValue(batch)
    panel.pace_row.fastest.click()
    assert panel.normalise.currentData() == "none"  # the network reads the raw pixels: the hand pass does too
    return window, panel


def test_lenet_trains_its_maps_follow_live_and_stop_lands_the_maps_of_its_final_weights(qtbot, make_window, tmp_path):
    window, panel = lenet_training(make_window, tmp_path, epochs=2000)
    document = window.document
    before = drawn_maps(window)
    panel.start_button.click()
    qtbot.waitUntil(lambda: document.preview is not None and len(panel.plot.steps) >= 2, timeout=60000)
    # Live: the canvas draws the copy being trained, for the document's input.
    live = document.preview
    assert not live.same_as(document.project.network)
    assert_canvas_shows(window, lenet_by_hand(live, document.project.input))
    assert any(not np.array_equal(before[c], drawn_maps(window)[c]) for c in (1, 3))
    # A new input while the run streams weights: the live copy's maps are of it at once, not at the next snapshot.
    new_input = np.roll(np.asarray(document.project.input), 3)
    document.set_input_vector(new_input, "Shift the input")
    assert document.preview is live
    np.testing.assert_allclose(document.preview_trace.layers[0].a, forward(live, new_input).layers[0].a)
    assert_canvas_shows(window, lenet_by_hand(live, new_input))

    with qtbot.waitSignal(window.trainer.ended, timeout=60000):
        panel.stop_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=60000)
    run_queued_events()
    landed = document.project.network
    assert document.undo_stack.undo_text().startswith("Stopped training") and document.preview is None
    expected = lenet_by_hand(landed, document.project.input)
    for maps, layer in zip(expected, document.trace.layers):
        np.testing.assert_allclose(layer.a, maps.reshape(-1), atol=1e-9)
    assert_canvas_shows(window, expected)
    panel.plot.redraw()  # the live loss curve: a point per curve step, every one a finite loss
    steps, losses = panel.plot.raw.getData()
    assert len(steps) == len(panel.plot.steps) >= 2 and np.all(np.isfinite(losses))


def test_a_finished_run_rewinds_and_a_test_image_picked_is_the_input_whose_maps_are_drawn(qtbot, make_window,
                                                                                          tmp_path):
    window, panel = lenet_training(make_window, tmp_path, epochs=3)
    document = window.document
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=60000)
    run_queued_events()
    assert len(panel.plot.epoch_x) == 3 and document.undo_stack.undo_text() == "Train 3 epochs on mnist"
    results = window.results_panel
    # The confusion matrix counts the 16 test images, and the run is listed.
    window.results_dock.raise_()
    results.tabs.setCurrentWidget(results.confusion_page)
    run_queued_events()
    matrix = np.array([[int(results.confusion.item(i, j).text().split(" ")[0] or 0)
                        if results.confusion.item(i, j).text() else 0 for j in range(10)] for i in range(10)])
    assert results.confusion.rowCount() == 10 and matrix.sum() == 16
    assert results.runs.list.count() == 1
    # Rewind to the start: the canvas shows the network the run started from.
    start = window.trainer.path[0].network
    panel.rewind_row.slider.setValue(0)
    assert document.preview is start
    assert_canvas_shows(window, lenet_by_hand(start, document.project.input))
    panel.rewind_row.slider.setValue(panel.rewind_row.slider.maximum())
    assert document.preview is None
    # A test image clicked in the gallery becomes the input, and the maps drawn are its maps.
    results.tabs.setCurrentIndex(1)
    run_queued_events()
    item = results.gallery.item(5)
    index = item.data(Qt.ItemDataRole.UserRole)
    results.gallery.itemClicked.emit(item)
    picked = results.data.test.x[index]
    np.testing.assert_allclose(document.project.input, picked)
    column0 = next(t for t in window.scene.maps.tiles if t.column == 0)
    ink = 255 - np.clip(picked.reshape(28, 28), 0, 1) * 255  # the input drawn as a digit: ink dark on white
    assert np.abs(tile_pixels(column0)[..., 0] - ink).max() <= 1
    assert_canvas_shows(window, lenet_by_hand(document.project.network, picked))


def test_drawing_a_digit_on_the_pad_changes_every_map_and_the_prediction_follows(qtbot, make_window):
    window = make_window("lenet")
    window.results_dock.show()
    window.results_dock.raise_()
    results = window.results_panel
    results.tabs.setCurrentWidget(results.draw_tab)
    run_queued_events()
    pad = results.pad
    assert pad.isEnabled()
    before, traced = drawn_maps(window), [layer.a.copy() for layer in window.document.trace.layers]
    assert window.document.shown().predicted().startswith("→ 7")  # the example's input, an MNIST 7 …
    assert results.prediction.text() == "Draw a digit: the answer is for the drawing"  # … not the blank pad's
    side = min(pad.width(), pad.height())
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, side // 6))
    for step in range(1, 9):  # a vertical stroke, a "1"
        qtbot.mouseMove(pad, QPoint(side // 2, side // 6 + step * side // 12))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, side * 5 // 6))
    document = window.document
    assert document.undo_stack.undo_text() == "Draw a digit"
    x = document.project.input
    np.testing.assert_array_equal(x, pad.prepared().astype(x.dtype))
    after = drawn_maps(window)
    for column in before:  # the input and every map column: what is drawn changed
        assert not np.array_equal(before[column], after[column]), column
    for old, layer in zip(traced, document.trace.layers):  # every layer's values, maps and dense alike
        assert not np.array_equal(old, layer.a)
    assert_canvas_shows(window, lenet_by_hand(document.project.network, x))
    output = forward(document.project.network, x).output
    best = int(np.argmax(output))
    assert best == 1  # the trained LeNet reads the stroke as a 1, and the Draw tab says so
    assert results.prediction.text() == f"→ {document.project.output_label(best)}  ({output[best]:.0%})"



def _confusion_on_random_images(make_window, seed: int):  # type: ignore[no-untyped-def]
    """LeNet's window with Results → Confusion in front, given AT_ONCE + 48 random test images (more than the
    window judges on its own thread): the window and the number of images."""
    from nnstudio.data.dataset import Dataset, DataSplit
    from nnstudio.ui.panels.results.fast_verdicts import AT_ONCE

    window = make_window("lenet")
    results = window.results_panel
    window.results_dock.show()
    window.results_dock.raise_()
    results.tabs.setCurrentWidget(results.confusion_page)
    rng = np.random.default_rng(seed)
    n = AT_ONCE + 48
    test = Dataset("test", rng.random((n, 784)), rng.integers(0, 10, n), tuple("0123456789"), image=(28, 28))
    results.set_data(DataSplit(test, test))
    return window, test

def test_many_test_images_of_a_network_with_maps_are_judged_beside_the_window(qtbot, make_window):
    """Fashion-MNIST's 10,000 test images through LeNet are seconds of work: the panel says it is judging them
    and fills the matrix when the answer comes, the window answering meanwhile; the answer is the core's."""
    from nnstudio.data.dataset import Dataset
    from nnstudio.training.metrics import verdicts

    window, test = _confusion_on_random_images(make_window, seed=3)
    results, n = window.results_panel, len(test.y)
    assert results.confusion_caption.text().startswith(f"Judging the {n:,} test images")
    assert results.confusion.rowCount() == 0
    qtbot.waitUntil(lambda: results.confusion.rowCount() == 10, timeout=120000)
    network = window.document.project.network
    core = verdicts(network, Dataset("part", test.x[:64], test.y[:64], test.classes, image=(28, 28)))
    np.testing.assert_array_equal(results.verdicts.predicted[:64], core.predicted)
    np.testing.assert_allclose(results.verdicts.outputs[:64], core.outputs, atol=1e-12)
    assert results.verdicts.confusion.sum() == n and results.verdicts.network is network


def test_a_sample_of_the_file_used_is_the_input_whose_maps_are_drawn(qtbot, settings):
    from nnstudio.core.project import Sample
    from nnstudio.document import Document
    from nnstudio.io import load_example
    from nnstudio.ui.window.main_window import MainWindow
    from tests.ui.conftest import settle

    rng = np.random.default_rng(4)
    samples = tuple(Sample(f"image {k + 1}", rng.random(784), np.eye(10)[k]) for k in range(2))
    window = MainWindow(Document(load_example("lenet").replace(samples=samples)), settings)
    qtbot.addWidget(window, before_close_func=settle)
    window.resize(1280, 800)
    window.show()
    run_queued_events()
    panel = window.io_panel
    panel.samples.setCurrentIndex(panel.samples.count() - 1)  # the second sample
    panel.use_sample.click()
    document = window.document
    np.testing.assert_array_equal(document.project.input, samples[1].input)
    assert_canvas_shows(window, lenet_by_hand(document.project.network, samples[1].input))


def test_judging_many_test_images_says_how_far_it_has_come(qtbot, make_window, monkeypatch):
    """A minute of judging on a busy machine is not silent: the caption counts the images judged, a chunk at a
    time. (The job is run here, in the test's thread, so its signals arrive in order and nothing waits.)"""
    from nnstudio.ui.panels.results.fast_verdicts import CHUNK, VerdictJob

    monkeypatch.setattr(VerdictJob, "start", lambda job: None)
    window, test = _confusion_on_random_images(make_window, seed=4)
    results, n = window.results_panel, len(test.y)
    job = results._job
    captions: list[str] = []
    job.progressed.connect(lambda done, total: captions.append(results.confusion_caption.text()))
    job._run()
    counts = list(range(CHUNK, n, CHUNK)) + [n]
    head = f"Judging the {n:,} test images with the network as it is now…"
    assert captions == [f"{head}  {done:,} of {n:,}" for done in counts]
    assert results.confusion.rowCount() == 10 and results.verdicts.confusion.sum() == n


def test_a_run_on_fashion_mnist_names_the_outputs_by_its_classes_everywhere(qtbot, make_window, tmp_path):
    """LeNet's file names its outputs 0–9; trained on Fashion-MNIST they mean T-shirt/top … Ankle boot, as the
    Confusion and Gallery tabs name them: the run lands those names, and the readout says the same."""
    window, panel = lenet_training(make_window, tmp_path, epochs=1, dataset="fashion-mnist")
    assert window.document.project.output_label(5) == "5"
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=60000)
    run_queued_events()
    classes = window.trainer.data.test.classes
    assert classes[5] == "Sandal"
    project = window.document.project
    assert project.output_labels == classes
    shown = window.document.shown()
    assert shown.predicted().startswith(f"→ {classes[int(np.argmax(shown.output))]} (p = ")
    window.actions_by_name["undo"].trigger()  # the names came with the run, and go with it
    assert window.document.project.output_label(5) == "5"
