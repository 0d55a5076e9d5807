"""The Draw tab answers for what the pad shows, and never calls an output of maps a class.

An edge detector (1×28×28 → one 3×3 convolution, identity, no bias) answers with a 1×26×26 map: its argmax is a
pixel, not a class, and its values are not probabilities (they were shown as "→ ŷ144 (400%)" with ten empty
bars). A blank pad answered for the example's own input ("→ 7 (100%)" beside a blank pad).
"""

import numpy as np

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.project import Project
from nnstudio.data.dataset import Dataset, DataSplit
from nnstudio.document import Document
from nnstudio.ui.window.main_window import MainWindow
from tests.ui.conftest import settle
from tests.ui.helpers import run_queued_events


def edge_window(qtbot, settings) -> MainWindow:
    network = build_from_architecture(parse_architecture("1x28x28-c1k3"), hidden="identity", output="identity",
                                      no_bias={1})
    window = MainWindow(Document(Project(network=network, loss="mse")), settings)
    qtbot.addWidget(window, before_close_func=settle)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.results_dock.show()
    window.results_dock.raise_()
    window.results_panel.tabs.setCurrentWidget(window.results_panel.draw_tab)
    run_queued_events()
    return window


def a_bar() -> np.ndarray:
    """A vertical bar of ink, as the pad prepares one (28×28, values 0…1)."""
    image = np.zeros((28, 28))
    image[4:24, 13:15] = 1.0
    return image.reshape(784)


def test_a_drawing_on_an_edge_detector_is_answered_as_maps_not_a_class(qtbot, settings):
    window = edge_window(qtbot, settings)
    tab = window.results_panel.draw_tab
    tab.pad.drawn.emit(a_bar())
    run_queued_events()
    out = window.document.shown().output
    assert out.shape == (676,) and float(out.max()) > 1.0  # not probabilities: a 400 % was shown
    text = tab.prediction.text()
    assert text == f"ŷ: 1×26×26 maps, {float(out.min()):.4f} to {float(out.max()):.4f} — drawn on the canvas"
    assert text.startswith(window.io_panel.output_label.text())  # the Output panel's words for the same output
    assert "→" not in text and "%" not in text
    assert not any(bar.isVisible() for bar in tab.bars)  # no class bars ŷ1…ŷ10 at 0.000
    assert tab.draw_label.isHidden()  # "it is a ŷ144?" is no target for a map


def test_the_confusion_tab_does_not_judge_maps_as_classes(qtbot, settings):
    window = edge_window(qtbot, settings)
    panel = window.results_panel
    rng = np.random.default_rng(0)
    part = Dataset("digits", rng.random((20, 784)), rng.integers(0, 10, 20), classes=tuple("0123456789"),
                   image=(28, 28))
    panel.tabs.setCurrentWidget(panel.confusion_page)
    panel.set_data(DataSplit(part, part))
    assert panel.verdicts is None and panel.confusion.rowCount() == 0
    assert panel.confusion_caption.text() == "This network answers with 1×26×26 maps, not classes: no confusion matrix."
    assert panel.gallery.count() == 0


def test_a_blank_pad_does_not_answer_for_the_examples_input(qtbot, make_window):
    window = make_window("lenet")
    panel = window.results_panel
    window.results_dock.show()
    window.results_dock.raise_()
    panel.tabs.setCurrentWidget(panel.draw_tab)
    run_queued_events()
    tab = panel.draw_tab
    assert window.document.shown().predicted().startswith("→ 7")  # the canvas answers for its own input …
    assert tab.prediction.text() == "Draw a digit: the answer is for the drawing"  # … the blank pad does not
    assert not any(bar.isVisible() for bar in tab.bars)
    tab.pad.drawn.emit(a_bar())  # a drawing: the answer is the drawing's, as the canvas shows it
    run_queued_events()
    shown = window.document.shown()
    best = int(np.argmax(shown.output))
    assert tab.prediction.text() == f"→ {shown.labels[best]}  ({shown.output[best]:.0%})"
    assert all(bar.isVisible() for bar in tab.bars)
    tab.pad.clear()  # Clear: the blank pad is the input now, and the answer is the blank's, as on the canvas
    run_queued_events()
    shown = window.document.shown()
    assert not window.document.project.input.any()
    best = int(np.argmax(shown.output))
    assert tab.prediction.text() == f"→ {shown.labels[best]}  ({shown.output[best]:.0%})"
