"""ResultsPanel: what the trained network does — confusion matrix, a gallery of test images
(misclassified first), a pad to draw a digit, class probabilities, and the decision boundary
for two-input networks. Picking an image makes it the input, ready to step through."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import Network
from nnstudio.core.neuron_maps import neuron_maps, plane_bounds
from nnstudio.data.dataset import DataSplit, Normalisation
from nnstudio.document import Document
from nnstudio.training.metrics import Verdicts
from nnstudio.ui.compat import override
from nnstudio.ui.images import ZERO_RGB, class_pixels, class_rgb, ink_image, map_pixels
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.results.boundary_view import (
    MAX_POINTS,
    BoundaryView,
    class_words,
    swatch,
    value_scale,
)
from nnstudio.ui.panels.results.draw_tab import DrawTab
from nnstudio.ui.panels.results.fast_verdicts import (
    VerdictJob,
    judged_aside,
    test_verdicts,
)
from nnstudio.ui.panels.results.runs_panel import RunsPanel
from nnstudio.ui.panels.results.unit_grid import UnitGrid

GALLERY_SIZE = 120
CONFUSION_HINT = "predicted class →   (after a run: click a cell to see its images)"
GALLERY_HINT = "After a run, the test images appear here, misclassified first (✗); click one to make it the input"
GRID = 80


def image_icon(values: np.ndarray, shape: tuple[int, int], scale: int = 2) -> QIcon:
    return QIcon(QPixmap.fromImage(ink_image(values, shape)).scaled(shape[1] * scale, shape[0] * scale))


class ResultsPanel(QWidget):
    """Tabs: Draw, Gallery, Confusion, Boundary. Reads the document and the last run's data."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.data: DataSplit | None = None
        self.tabs = QTabWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs)
        self.draw_tab = DrawTab(document)
        self.pad, self.prediction = self.draw_tab.pad, self.draw_tab.prediction
        self.bars, self.draw_label = self.draw_tab.bars, self.draw_tab.draw_label
        self.tabs.addTab(self.draw_tab, "Draw")
        self._build_gallery_tab()
        self._build_confusion_tab()
        self.units = UnitGrid(document)
        self.tabs.addTab(self.units, "Units")
        self.runs = RunsPanel(document)
        self.tabs.addTab(self.runs, "Runs")
        self.boundary = BoundaryView()
        self.boundary.setObjectName("boundary")
        self.boundary_why, self.boundary_image = self.boundary.why, self.boundary.image
        self.boundary_points = self.boundary.points
        self.tabs.addTab(self.boundary, "Boundary")
        self._follow_the_shown_network()
        self.draw_tab.refresh()
        self.refresh_boundary()

    def _build_gallery_tab(self) -> None:
        """The test images, misclassified first (or a confusion cell's), with a title saying whose they are."""
        self.gallery = QListWidget()
        self.gallery.setObjectName("gallery")
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(56, 56))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.itemClicked.connect(self._on_gallery_item)
        self.gallery_filter: tuple[int, int] | None = None  # (true, predicted) from a confusion cell
        self.gallery_title = QLabel(GALLERY_HINT)
        self.gallery_title.setObjectName("galleryTitle")
        self.gallery_title.setWordWrap(True)  # it names the moment too: long lines wrap, the dock keeps its width
        self.show_all = QPushButton("Show all")
        self.show_all.setObjectName("galleryShowAll")
        self.show_all.clicked.connect(lambda: self.filter_gallery(None))
        self.show_all.hide()
        gallery_page = QWidget()
        gallery_layout = QVBoxLayout(gallery_page)
        gallery_layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.gallery_title, 1)
        title_row.addWidget(self.show_all)
        gallery_layout.addLayout(title_row)
        gallery_layout.addWidget(self.gallery, 1)
        self.tabs.addTab(gallery_page, "Gallery")

    def _build_confusion_tab(self) -> None:
        """Confusion matrix: rows are the true classes, columns the predicted ones, each cell its count
        and its share of the row; a click shows that cell's images in the gallery."""
        self.confusion = QTableWidget()
        self.confusion.setObjectName("confusion")
        self.confusion.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confusion.cellClicked.connect(lambda row, column: self.filter_gallery((row, column)))
        for header in (self.confusion.horizontalHeader(), self.confusion.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # every class in sight, no scrolling
            header.setMinimumSectionSize(12)
            header.setDefaultSectionSize(16)  # ten rows fit the dock's height at 1280×800
        self.confusion.setToolTip("Each cell: the test images of the row's true class predicted as the column's "
                                  "class, and their share of the row. Click a cell to see its images.")
        # Above the matrix: which network, at which moment, the matrix (and the gallery of a cell) is of.
        predicted = QLabel(CONFUSION_HINT)
        predicted.setObjectName("confusionPredicted")
        predicted.setAlignment(Qt.AlignmentFlag.AlignCenter)
        predicted.setWordWrap(True)
        self.confusion_caption = predicted
        true = QLabel("true\n↓")
        true.setObjectName("confusionTrue")
        true.setAlignment(Qt.AlignmentFlag.AlignCenter)
        confusion_page = QWidget()
        grid = QGridLayout(confusion_page)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        grid.addWidget(predicted, 0, 1)
        grid.addWidget(true, 1, 0)
        grid.addWidget(self.confusion, 1, 1)
        grid.setRowStretch(1, 1)
        grid.setColumnStretch(1, 1)
        self.tabs.addTab(confusion_page, "Confusion")
        self.confusion_page = confusion_page

    def _follow_the_shown_network(self) -> None:
        """The matrix and the gallery follow the network on screen (an edit, Undo, a rewound moment, the
        end of a run) at once, so a cell clicked is always the network the canvas shows; computed once
        per network (a step or a new input changes nothing here), and only while on screen."""
        self._normalisation = Normalisation()  # how the run's data was normalised (see set_data)
        self.verdicts: Verdicts | None = None
        self.moment = ""  # the network and moment the verdicts are of, in words
        self._run_network: Network | None = None  # what the last run left in the document …
        self._run_words = ""  # … and how it ended, in words
        self._verdicts_stale = False
        self._job: VerdictJob | None = None  # judging a network with maps on many test images (fast_verdicts.py)
        listen(self, self.document.shown_changed, self._on_shown_changed)
        listen(self, self.document.replaced, self.clear)
        listen(self, self.document.preview_changed, self._on_preview)
        self._boundary_timer = QTimer(self)
        self._boundary_timer.setSingleShot(True)
        self._boundary_timer.setInterval(150)
        self._boundary_timer.timeout.connect(self.refresh_boundary)
        listen(self, self.document.changed, lambda kind: self._boundary_timer.start())  # an edit may change the inputs

    # ------------------------------------------------------------------ data from a run

    def set_data(self, data: DataSplit | None, normalisation: Normalisation | None = None) -> None:
        """Keep a run's data only if it fits the open network (a failed run's data may not). The data is
        as the network saw it, normalised by `normalisation` (the run's; None: raw)."""
        inputs = self.document.project.network.input_size
        kept = self.data
        self.data = data if data is not None and data.test.x.shape[1] == inputs else None
        self._normalisation = normalisation or Normalisation()
        self.units.set_data(self.data)
        if self.data is not kept:  # (the same data again at a run's end: its verdicts, if any, still hold)
            self.verdicts = None
        self.refresh_verdicts()
        self.refresh_boundary()

    def clear(self) -> None:
        """Another network was opened: the last run's data, gallery, confusion matrix and drawing were
        not its."""
        self.data = None
        self.units.set_data(None)
        self.verdicts, self._run_network, self._run_words = None, None, ""
        self.gallery_filter = None
        self.draw_tab.forget()
        self._show_verdicts(None, "")
        self.draw_tab.refresh()
        self.refresh_boundary()

    def show_run(self, words: str) -> None:
        """After a run: the matrix and gallery of the network it left (`words`: how it ended)."""
        self._run_network, self._run_words = self.document.project.network, words
        self.gallery_filter = None
        self.refresh_verdicts()  # of the network on screen: computed once as it landed, named by `words` now
        self.refresh_boundary()
        # The Draw tab is for 28 × 28 inputs: after a run of any other network, open a tab that applies.
        project = self.document.project
        if self.tabs.currentIndex() == 0 and project.input_image is None:
            self.tabs.setCurrentWidget(self.boundary if project.network.input_size == 2 else self.confusion_page)

    # ------------------------------------------------------------------ one network, one moment

    def _on_shown_changed(self) -> None:
        self.draw_tab.refresh()
        if self.data is not None:
            self.refresh_verdicts()

    def _moment_words(self, shown) -> str:  # type: ignore[no-untyped-def]
        """The network on screen named as a moment: the run's end, a rewound epoch, or the network now."""
        if shown.source == "rewind":
            return f"the network rewound to {self.document.preview_rewound}"
        if shown.network is self._run_network:
            return self._run_words
        return "the network as it is now" + (" (changed since the run)" if self._run_network is not None else "")

    def refresh_verdicts(self) -> None:
        """The confusion matrix and gallery of the network on screen, on the run's test images.

        While a run trains, the copy changes under the eye: the matrix waits for the run to end (or a
        rewound moment). Hidden, the work waits until the panel is shown.
        """
        data, shown = self.data, self.document.shown()
        if data is None or not data.test.is_classification or not shown.has_layers \
                or data.test.x.shape[1] != shown.network.input_size:
            self._show_verdicts(None, "" if data is None else "This run's data has no classes to confuse.")
            return
        maps = shown.output_maps()
        if maps is not None:  # an edge detector's 26×26: its argmax is a pixel, not a class
            self._show_verdicts(None, f"This network answers with {maps} maps, not classes: no confusion matrix.")
            return
        if shown.source == "training":
            self._show_verdicts(None, "Training… the matrix and its images show the network once the run stops.")
            return
        if not self.isVisible():
            self._verdicts_stale = True
            return
        self._verdicts_stale = False
        words = self._moment_words(shown)
        if self.verdicts is not None and self.verdicts.network is shown.network and self.verdicts.dataset is data.test:
            if words != self.moment:
                self._show_verdicts(self.verdicts, words)
            return
        if not judged_aside(shown.network, data.test):
            self._show_verdicts(test_verdicts(shown.network, data.test, self.document.project.loss), words)
            return
        self._show_verdicts(None, f"Judging the {len(data.test):,} test images with {words}…")
        job = self._job
        if job is None or job.network is not shown.network or job.dataset is not data.test:
            self._job = job = VerdictJob(shown.network, data.test, self.document.project.loss)
            job.done.connect(self._on_judged)
            job.progressed.connect(self._on_judging)
            job.failed.connect(self.confusion_caption.setText)
            job.start()

    def _on_judging(self, done: int, total: int) -> None:
        """A VerdictJob's progress, while its answer is still awaited (the caption says which moment)."""
        if self._job is not None and self.sender() is self._job and self.moment.startswith("Judging"):
            self.confusion_caption.setText(f"{self.moment}  {done:,} of {total:,}")

    def _on_judged(self, found: Verdicts) -> None:
        """A VerdictJob's answer: shown if its network and data are still those on screen (else a newer job's
        answer, or none, is what counts)."""
        shown = self.document.shown()
        if self.data is None or found.network is not shown.network or found.dataset is not self.data.test:
            return
        self._job = None
        self._show_verdicts(found, self._moment_words(shown))

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._verdicts_stale:
            self.refresh_verdicts()

    def _show_verdicts(self, found: Verdicts | None, words: str) -> None:
        """Fill the matrix and the gallery from `found` (None: empty, `words` saying why)."""
        self.verdicts, self.moment = found, words
        if found is None:
            self.confusion.clear()
            self.confusion.setRowCount(0)
            self.confusion.setColumnCount(0)
            self.confusion_caption.setText(words or CONFUSION_HINT)
        else:
            self._fill_confusion(found.confusion)
            self.confusion_caption.setText(f"predicted class →   of {words} on {len(found.dataset):,} test images   "
                                           "(click a cell to see its images)")
        self.refresh_gallery()

    def _fill_confusion(self, matrix: np.ndarray) -> None:
        k = matrix.shape[0]
        labels = self.data.test.classes if self.data and self.data.test.classes else [str(i) for i in range(k)]
        self.confusion.setRowCount(k)
        self.confusion.setColumnCount(k)
        self.confusion.setHorizontalHeaderLabels([str(c) for c in labels])
        self.confusion.setVerticalHeaderLabels([str(c) for c in labels])
        rows = np.maximum(matrix.sum(axis=1), 1)
        for i in range(k):
            for j in range(k):
                count, share = int(matrix[i, j]), matrix[i, j] / rows[i]
                item = QTableWidgetItem(f"{count} · {share:.0%}" if count else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                colour = QColor(37, 99, 235) if i == j else QColor(234, 88, 12)
                colour.setAlpha(int(30 + 200 * share) if count else 0)  # shaded by the share of its row
                item.setBackground(QBrush(colour))
                item.setToolTip(f"true {labels[i]}, predicted {labels[j]}: {count} of {int(matrix[i].sum())} "
                                f"({share:.1%} of the row); click to see them")
                self.confusion.setItem(i, j, item)

    def filter_gallery(self, cell: tuple[int, int] | None) -> None:
        """Show only the test images of true class `cell[0]` predicted as `cell[1]` (None: all again):
        the very images the matrix counted in that cell."""
        self.gallery_filter = cell
        self.refresh_gallery()
        if cell is not None:
            self.tabs.setCurrentIndex(1)

    def refresh_gallery(self) -> None:
        """The test images of the verdicts on screen: a clicked cell's, or all, misclassified first."""
        self.gallery.clear()
        found = self.verdicts
        test = found.dataset if found is not None else None
        if found is None or test is None or test.image is None:
            self.gallery_title.setText(GALLERY_HINT if found is None else "These test inputs are not images.")
            self.show_all.setVisible(self.gallery_filter is not None)
            return
        cell = self.gallery_filter
        names = test.classes or tuple(str(k) for k in range(found.confusion.shape[0]))
        if cell is not None and max(cell) < found.confusion.shape[0]:
            chosen = found.cell(*cell)
            count = len(chosen)
            self.gallery_title.setText(f"true {names[cell[0]]}, predicted {names[cell[1]]}: {count} image"
                                       f"{'' if count == 1 else 's'}"
                                       + (f" (the first {GALLERY_SIZE} shown)" if count > GALLERY_SIZE else "")
                                       + f" — {self.moment}")
            self.show_all.show()
        else:
            chosen = found.wrong_first()
            wrong = int(np.count_nonzero(found.predicted != test.y))
            self.gallery_title.setText(f"{len(test):,} test images of {self.moment}, the {wrong:,} misclassified "
                                       "first (✗); click one to make it the input")
            self.show_all.hide()
        for index in chosen[:GALLERY_SIZE]:
            truth, guess = int(test.y[index]), int(found.predicted[index])
            item = QListWidgetItem(image_icon(test.x[index], test.image), f"{names[guess]}" + ("" if truth == guess else " ✗"))
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            p = found.outputs[index, guess] if found.outputs.shape[1] > 1 else found.outputs[index, 0]
            item.setToolTip(f"true {names[truth]}, predicted {names[guess]} "
                            f"({'p' if found.outputs.shape[1] > 1 else 'output'} = {p:.3f}); click to make it the input")
            if truth != guess:
                item.setForeground(QBrush(QColor("#b91c1c")))
            self.gallery.addItem(item)

    def _on_gallery_item(self, item: QListWidgetItem) -> None:
        found = self.verdicts
        if found is None or found.dataset.x.shape[1] != self.document.project.network.input_size:
            self.gallery.clear()  # made for another network: nothing here applies any more
            return
        index = item.data(Qt.ItemDataRole.UserRole)
        # The input is raw, as typed or drawn (the network normalises it): the run's data is normalised.
        self.document.set_input_vector(self._normalisation.raw(found.dataset.x[index]), "Use a test image as input")

    # ------------------------------------------------------------------ decision boundary

    def _on_preview(self) -> None:
        if self.tabs.currentWidget() is self.boundary and not self._boundary_timer.isActive():
            self._boundary_timer.start()

    @staticmethod
    def boundary_reason(network: Network) -> str:
        """Why there is no decision boundary to draw for `network`."""
        if not network.layers:
            return "No boundary yet: add layers to the network."
        return (f"A decision boundary is drawn over the plane of two inputs;\nthis network takes "
                f"{network.input_size}. Build a 2-input network (New Network, e.g. 2-8-1)\nand train it on "
                "circles, spirals or XOR to see one.")

    def refresh_boundary(self) -> None:
        """The network's answer over the input plane (two-input networks), the training data on top: in
        the canvas's colours, over the plane the canvas's maps show (see boundary_view.py)."""
        network: Network = self.document.shown_network
        if network.input_size != 2 or not network.layers:
            self.boundary.say_why(self.boundary_reason(network))
            return
        data = self.data if self.data is not None and self.data.train.x.shape[1] == 2 else None
        shown = None if data is None else data.train.x[:MAX_POINTS]
        bounds = plane_bounds(None if data is None else data.train.x)
        try:
            output = neuron_maps(network, bounds, GRID).layers[-1]
        except (NNStudioError, FloatingPointError, ValueError) as error:
            self.boundary.say_why(f"The network's output cannot be drawn: {error}")
            return
        classes = self._boundary_classes(network, data)
        if classes is not None:
            self.boundary.show_plane(class_pixels(output), bounds, self._class_legend(classes, data is not None))
            if shown is not None:
                self.boundary.set_points(data, None, shown, class_rgb(data.train.y[:MAX_POINTS]))
        else:
            targets = None if data is None else np.asarray(data.train.y[:MAX_POINTS], dtype=float)
            scale = value_scale(output[0], targets)
            self.boundary.show_plane(map_pixels(output[0], scale), bounds, self._value_legend(scale, data is not None))
            if shown is not None:
                self.boundary.set_points(data, scale, shown, map_pixels(targets, scale, strength=1.0))
        if shown is None:
            self.boundary.clear_points()

    def _boundary_classes(self, network: Network, data: DataSplit | None) -> list[str] | None:
        """The names of the classes the output stands for, or None when it is a value (regression): the
        data says which; without data, the loss does (cross-entropy is a classifier's)."""
        if data is not None:
            return [str(c) for c in data.train.classes] if data.train.classes else None
        project = self.document.project
        if project.loss not in ("bce", "cce"):
            return None
        if network.output_size == 1:
            return [f"{project.output_label(0)} ≈ 0", f"{project.output_label(0)} ≈ 1"]
        return [project.output_label(k) for k in range(network.output_size)]

    @staticmethod
    def _class_legend(classes: list[str], with_data: bool) -> str:
        lines = ["<b>Colour: the class the network picks there</b>, paler where it is less sure; white "
                 "where it cannot decide (the boundary)."]
        lines += [swatch(class_rgb(k), class_words(k, name)) for k, name in enumerate(classes)]
        lines.append("Dots: the training data in the colour of its true class; a dot on another colour is "
                     "misclassified." if with_data else "Train it on a two-input set (circles, spirals, XOR) "
                     "to see the data here.")
        return "<br>".join(lines)

    @staticmethod
    def _value_legend(scale: float, with_data: bool) -> str:
        lines = [f"<b>Colour: the network's output there</b>, strongest at ±{scale:.3g}.",
                 swatch(class_rgb(1), "positive"), swatch(class_rgb(0), "negative"),
                 swatch(ZERO_RGB, "exactly 0 (white: near 0)")]
        if with_data:
            lines.append("Dots: the training data, coloured by its target on the same scale (in full colour).")
        return "<br>".join(lines)
