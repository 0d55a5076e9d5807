"""StepPanel: step through the forward and backward passes, see the equations (a neuron's, or a map pixel's
detail: pixel_detail_view.py), check gradients."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QFont, QShowEvent, QTextBlockFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.equations import neuron_equations
from nnstudio.core.errors import NNStudioError
from nnstudio.core.gradcheck import check_gradients
from nnstudio.document import Document
from nnstudio.ui.compat import override
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.dock_layout import dock_column
from nnstudio.ui.panels.network.pixel_detail_view import is_grid_row, pixel_lines
from nnstudio.ui.selection import ItemKey


class StepPanel(QWidget):
    """Buttons bound to the window's step actions, the current step, per-sample losses, equations."""

    digits_changed = Signal(int)
    refused = Signal(str)  # a mode changed while stepping, and the core refused the new plan: why

    def __init__(self, document: Document, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.key: ItemKey | None = None
        self._equations_key: ItemKey | None = None  # whose equations are shown (their scroll is kept while it is)
        self._checked_version = -1  # the document version the gradient-check verdict belongs to
        self._stale = False  # a map pixel's detail waits for the dock to be shown (refresh)
        self._tab_shown = True  # whether the dock's tab is the one in front (a tab behind reports isVisible())
        layout = dock_column(self)
        self._build_step_buttons(layout, actions)
        self._build_modes(layout)
        self._build_step_readout(layout)
        self._build_digits_row(layout)
        self._build_equations(layout)
        self._build_gradient_check(layout)
        # Whatever changes what is shown (an edit, a step, a training snapshot, a rewound moment).
        listen(self, document.shown_changed, self.refresh)
        self.refresh()

    def _build_step_buttons(self, layout: QVBoxLayout, actions: dict[str, QAction]) -> None:
        """The window's step actions as buttons, two to a row."""
        buttons = QGridLayout()
        for index, name in enumerate(("reset_steps", "step_back", "step", "run_forward", "run_backward",
                                      "stop_stepping")):
            button = QToolButton()
            button.setDefaultAction(actions[name])
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button, index // 2, index % 2)
        layout.addLayout(buttons)

    def _build_modes(self, layout: QVBoxLayout) -> None:
        """How a pass steps: through the samples one by one, and z and a in one step or two."""
        self.samples_mode = QCheckBox("Step through the samples")
        self.samples_mode.setToolTip("One epoch of SGD: every named sample in turn, each with its own update")
        self.samples_mode.setObjectName("samplesMode")
        self.coarse_mode = QCheckBox("Coarse: z and a in one step")
        self.samples_mode.toggled.connect(self._restart)
        self.coarse_mode.toggled.connect(self._restart)
        layout.addWidget(self.samples_mode)
        layout.addWidget(self.coarse_mode)

    def _build_step_readout(self, layout: QVBoxLayout) -> None:
        """The step in words, and the samples' losses while stepping through them."""
        self.step_label = QLabel()
        self.step_label.setObjectName("stepLabel")
        self.step_label.setStyleSheet("font-weight: bold;")
        self.step_label.setWordWrap(True)
        layout.addWidget(self.step_label)
        self.losses = QListWidget()
        self.losses.setObjectName("sampleLosses")
        self.losses.setMaximumHeight(90)
        layout.addWidget(self.losses)

    def _build_digits_row(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        row.addWidget(QLabel("Digits on the canvas"))
        self.digits = QSpinBox()
        self.digits.setObjectName("digits")
        self.digits.setRange(1, 10)
        self.digits.setValue(3)
        self.digits.valueChanged.connect(self.digits_changed.emit)
        self.digits.valueChanged.connect(lambda _: self.refresh())
        row.addWidget(self.digits)
        row.addStretch(1)
        layout.addLayout(row)

    def _build_equations(self, layout: QVBoxLayout) -> None:
        self.equations_title = QLabel("Equations of the selected neuron")
        layout.addWidget(self.equations_title)
        # A QTextEdit, not a QPlainTextEdit: only its layout keeps a block on one line (a grid row of a map pixel's
        # detail, `_keep_grid_rows_whole`) while the words around it wrap; a wider row scrolls sideways.
        self.equations = QTextEdit()
        self.equations.setObjectName("equations")
        self.equations.setReadOnly(True)
        self.equations.setUndoRedoEnabled(False)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.equations.setFont(mono)
        layout.addWidget(self.equations, 1)

    def _build_gradient_check(self, layout: QVBoxLayout) -> None:
        """Check gradients, and its verdict under it."""
        check = QPushButton("Check gradients")
        check.setObjectName("checkGradients")
        check.setToolTip("Compare every ∂L/∂w with a central finite difference")
        check.clicked.connect(self.check_gradients)
        self.check_result = QLabel()
        self.check_result.setObjectName("gradientCheckResult")
        self.check_result.setWordWrap(True)
        layout.addWidget(check)
        layout.addWidget(self.check_result)

    def _restart(self) -> None:
        """A mode changed while stepping: start again in it; a plan the core refuses (no samples, or more
        samples than the step memory budget holds) ends stepping and says why, and nothing else changes."""
        if self.document.stepping.active:
            try:
                self.start()
            except NNStudioError as error:
                self.document.stepping.stop()
                self.refused.emit(str(error))

    def start(self) -> None:
        self.document.stepping.start(self.samples_mode.isChecked(), self.coarse_mode.isChecked())

    def show_key(self, key: ItemKey | None) -> None:
        self.key = key
        self.refresh()

    @override
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def set_shown(self, shown: bool) -> None:
        """Told by the dock (its visibilityChanged, connected by the window) that its tab was chosen or left: a tab
        behind another is not hidden, only moved off the window, so neither isVisible() nor a showEvent says it
        (as memory_panel.py's set_shown)."""
        self._tab_shown = shown
        if shown and self._stale:
            self.refresh()

    def refresh(self) -> None:
        plan = self.document.stepping.plan
        project = self.document.project
        if self._checked_version != self.document.version and self.check_result.text():
            self.check_result.setText("")  # a verdict on other weights says nothing about these
        self.losses.setVisible(plan is not None)  # not stepping, an empty list would take the equations' room
        if plan is None:
            self.step_label.setText("Not stepping. Press Step to begin the forward pass.")
            self.losses.clear()
        else:
            # In the words of the step's layer: a convolution's z = K ⋆ a + b, a pooling window, never W·a + b.
            text = f"Step {plan.index} of {len(plan.steps) - 1} — {plan.describe_step()}"
            if plan.loss_visible() and plan.current.gradients is not None:
                text += f"\nloss of this sample L = {plan.current.gradients.loss:.6g}"
            elif plan.stops_here() and plan.stopped:
                text += f"\nthe pass stops before the loss: {plan.stopped}"
            self.step_label.setText(text)
            self.losses.clear()
            for passed, loss in zip(plan.passes, plan.losses()):
                self.losses.addItem(f"{passed.name}: L = {'…' if loss is None else f'{loss:.6g}'}")
        key = self.key
        self.equations_title.setText("Detail of the selected map pixel" if key is not None and key.kind == "pixel"
                                     else "Equations of the selected neuron")
        lines: list[str] = []
        sizes = project.network.sizes
        if key is not None and key.kind == "pixel":
            shown = self.document.shown()
            # Hidden behind another dock, a run's snapshots (twice a second) and a rewound moment leave the detail
            # for when it is shown: LeNet's grids and their re-layout cost the window every time (as the Draw tab).
            # A step, an edit or a click comes at a person's pace and is written at once, hidden or not.
            self._stale = not (self.isVisible() and self._tab_shown) and shown.source in ("training", "rewind")
            if self._stale:
                return
            stepping = plan if shown.source == "step" else None  # (the plan's numbers only when it is what is shown)
            raw = stepping.current.x if stepping is not None else project.input
            lines = pixel_lines(key, shown.network, shown.trace, raw, stepping, self.digits.value() + 1)
        elif key is not None and key.kind == "neuron" and 1 <= key.column < len(sizes) and key.row < sizes[key.column]:
            # (the key may name a neuron of the network before: another one was opened, the canvas
            # selects again right after)
            shown = self.document.shown()  # the network the canvas shows: a rewound moment, a live run
            try:
                lines = neuron_equations(plan, shown.trace, shown.network, key.column - 1, key.row,
                                         project.loss, project.target, self.digits.value() + 1)
            except NNStudioError as refused:  # a value of a map: the core names the layer it does not write out
                lines = [f"{str(refused)[:1].upper()}{str(refused)[1:]}."]
            if not lines and plan is not None:
                lines = ["(not reached yet at this step)"]
        elif key is None or key.kind != "neuron":
            lines = [("Select a neuron of a layer, or a pixel of a map, to see its equations with the numbers "
                      "substituted.")]
        # A step, an edit or the digits keep the place read in a long detail (LeNet's 6 channels of grids).
        scroll = self.equations.verticalScrollBar()
        kept = scroll.value() if key == self._equations_key else 0
        self.equations.setPlainText("\n".join(lines))
        if key is not None and key.kind == "pixel":
            self._keep_grid_rows_whole()
        scroll.setValue(kept)
        self._equations_key = key

    def _keep_grid_rows_whole(self) -> None:
        """A grid's rows never wrap: a 5×5 kernel wrapped at the dock's width reads as 10 broken lines."""
        document = self.equations.document()
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        whole = QTextBlockFormat()
        whole.setNonBreakableLines(True)
        block = document.begin()
        while block.isValid():
            if is_grid_row(block.text()):
                cursor.setPosition(block.position())
                cursor.mergeBlockFormat(whole)
            block = block.next()
        cursor.endEditBlock()

    def check_gradients(self) -> None:
        self._checked_version = self.document.version
        try:
            result = check_gradients(self.document.project)
        except NNStudioError as error:
            self.check_result.setText(str(error))
            return
        verdict = "agree" if result.max_relative_error < 1e-6 else "DISAGREE"
        sampled = "" if result.checked == result.total else f" (a random {result.checked} of {result.total})"
        self.check_result.setText(
            f"Backprop and finite differences {verdict}: largest relative error {result.max_relative_error:.2e} "
            f"over {result.checked} weights{sampled}; worst: {result.worst}.")
