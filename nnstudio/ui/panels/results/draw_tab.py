"""The Results panel's Draw tab: draw a digit, say what it is, and read the network's answer class by class.

The drawing becomes the input (prepared like MNIST) for networks of 784 inputs; the bars show the output on
screen, as the readout and the canvas show it, and the pad clears when it no longer shows the input.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.document import Document
from nnstudio.ui.compat import override
from nnstudio.ui.panels.results.digit_pad import DigitPad


class DrawTab(QWidget):
    """The pad with Clear and "it is a …" under it; beside it the prediction and one bar per class."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._drawing: np.ndarray | None = None  # the last drawing, relabelled when its label changes
        self._stale = True  # the bars wait for the tab to be shown (refresh)
        left = self._build_pad_column()
        right = self._build_answer_column()
        row = QHBoxLayout(self)
        row.addLayout(left, 1)
        row.addLayout(right, 1)
        self.pad.drawn.connect(self._on_drawn)

    def _build_pad_column(self) -> QVBoxLayout:
        """The pad, with Clear and "it is a …" under it (beside Clear: the dock keeps its height at 1280×800)."""
        self.pad = DigitPad()
        self.pad.setMinimumSize(140, 140)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.pad.clear)  # the blank pad becomes the input: the answer is the blank's
        self.draw_label = QComboBox()
        self.draw_label.setObjectName("drawLabel")
        self.draw_label.setToolTip("Say what the drawing is: its class becomes the target, and the loss is scored "
                                   "against it; with ? no loss is shown")
        self.draw_label.currentIndexChanged.connect(lambda _: self._relabel())
        under_pad = QHBoxLayout()
        under_pad.addWidget(clear, 1)
        self.it_is = QLabel("it is a")
        under_pad.addWidget(self.it_is)
        under_pad.addWidget(self.draw_label)
        left = QVBoxLayout()
        left.addWidget(self.pad, 1)
        left.addLayout(under_pad)
        return left

    def _build_answer_column(self) -> QVBoxLayout:
        """The class the network picks, and one bar per class with its output."""
        self.prediction = QLabel("Draw a digit")
        self.prediction.setObjectName("padPrediction")
        self.prediction.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.bars: list[QProgressBar] = []
        bars = QVBoxLayout()
        for k in range(10):
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFixedHeight(13)
            self.bars.append(bar)
            bars.addWidget(bar)
        bars.setSpacing(1)
        right = QVBoxLayout()
        right.addWidget(self.prediction)
        right.addLayout(bars)
        right.addStretch(1)
        return right

    def forget(self) -> None:
        """Another network was opened: the drawing was not its input."""
        self.pad.reset()
        self._drawing = None

    def _labels(self) -> list[str]:
        project = self.document.project
        return [project.output_label(i) for i in range(project.network.output_size)]

    def _drawn_label(self) -> int | None:
        data = self.draw_label.currentData()
        return None if data is None or data < 0 or self.draw_label.isHidden() else int(data)

    def _fill_draw_labels(self) -> None:
        labels = self._labels()
        if [self.draw_label.itemText(i) for i in range(1, self.draw_label.count())] == labels:
            return
        self.draw_label.blockSignals(True)
        self.draw_label.clear()
        self.draw_label.addItem("?", -1)
        for k, label in enumerate(labels):
            self.draw_label.addItem(label, k)
        self.draw_label.blockSignals(False)

    def _on_drawn(self, image: np.ndarray) -> None:
        if self.document.project.network.input_size != 784:
            self.prediction.setText("the network does not take 28×28 images")
            return
        self._drawing = image
        self.document.draw_input(image, self._drawn_label())

    def _drawing_is_the_input(self) -> bool:
        """Does the pad still show the network's input? (A test image picked, a value typed, another
        network opened: then the drawing is not what the bars are about.)"""
        drawing, x = self._drawing, self.document.project.input
        return drawing is not None and drawing.shape == x.shape and np.array_equal(drawing.astype(x.dtype), x)

    def _relabel(self) -> None:
        """A label chosen after drawing: the same drawing, scored against that class."""
        if getattr(self, "_drawing", None) is not None and self.document.project.network.input_size == 784:
            self.document.draw_input(self._drawing, self._drawn_label())

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """The bars: the output on screen (as the readout and the canvas show it) for the input, and the
        pad cleared when it no longer shows that input. Hidden (another tab, the Training dock in front), it
        waits until shown: a run's live weights arrive twice a second, and ten bars cost ~5 ms of the window."""
        self._stale = not self.isVisible()
        if self._stale:
            return
        self._fill_draw_labels()
        if self._drawing is not None and not self._drawing_is_the_input():
            self._drawing = None
            self.pad.reset()
        shown = self.document.shown()
        usable = shown.has_layers and shown.network.input_size == 784
        self.pad.setEnabled(bool(usable))
        maps = shown.output_maps() if shown.has_layers else None
        self.it_is.setVisible(maps is None)  # a class to score against: not for an output of maps
        self.draw_label.setVisible(maps is None)
        if not usable or shown.output is None or self._drawing is None:
            self._answer("needs a network with 784 inputs" if not usable else
                         "ŷ = ? (the pass has not reached the output)" if shown.output is None else
                         "Draw a digit: the answer is for the drawing")  # not the input the pad does not show
            return
        if maps is not None or not shown.classifier:  # no class, no probabilities: what the output is, in the
            # Output panel's words (Shown.output_lines), so the two never read the same output two ways
            self._answer("  ".join(shown.output_lines()) + (" — drawn on the canvas" if maps is not None else ""))
            return
        out = shown.output
        labels = self._labels()
        best = int(np.argmax(out))
        self.prediction.setText(f"→ {labels[best]}  ({out[best]:.0%})")
        for k, bar in enumerate(self.bars):
            bar.setVisible(True)
            if k < out.shape[0]:
                bar.setValue(int(1000 * float(np.clip(out[k], 0, 1))))
                bar.setFormat(f"{labels[k]}: {out[k]:.3f}")
            else:
                bar.setValue(0)
                bar.setFormat("")

    def _answer(self, words: str) -> None:
        """No class to pick: `words` say why (or what the output is), and no bars."""
        self.prediction.setText(words)
        for bar in self.bars:
            bar.setValue(0)
            bar.setFormat("")
            bar.setVisible(False)
