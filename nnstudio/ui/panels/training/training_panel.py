"""TrainingPanel: choose data and settings, start / pause / stop, watch progress and the plot."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.core.limits import MAX_EPOCHS
from nnstudio.core.optim import OPTIMIZERS, OptimizerConfig
from nnstudio.document import Document
from nnstudio.document.optimizer_choice import choose_optimizer
from nnstudio.training import EpochResult, StepProgress, TrainingConfig
from nnstudio.training.schedule import StopRules, parse_schedule
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.expression_edit import error_label
from nnstudio.ui.panels.training.data_chooser import DataChooser
from nnstudio.ui.panels.training.ending_words import ending_words
from nnstudio.ui.panels.training.pace_row import PaceRow
from nnstudio.ui.panels.training.plot_exports import PlotExports
from nnstudio.ui.panels.training.rewind_row import RewindRow
from nnstudio.ui.panels.training.rules_dialog import RulesDialog
from nnstudio.ui.panels.training.start_row import StartRow
from nnstudio.ui.panels.training.training_plot import TrainingPlot
from nnstudio.ui.workers.training_worker import STOPPED_EARLY, TrainingController, TrainingRequest

# How often a run reports to the window. Every report and every set of live weights is work on the
# window's thread, which the trainer's thread waits for whenever both want the GIL: profiled on
# mnist-mlp, refreshing the canvas for new weights took 10–17 ms each time. Ten progress reports
# a second keep the counters smooth (the plot redraws at 2 Hz); the canvas, the memory view
# and the readouts follow the weights twice a second.
PROGRESS_SECONDS = 1 / 10
PREVIEW_SECONDS = 0.5


class TrainingPanel(QWidget):
    """The form builds a TrainingRequest; the controller runs it; records come back as signals."""

    error = Signal(str)

    def __init__(self, document: Document, controller: TrainingController, parent: QWidget | None = None, *,
                 folders: Callable[[], str] | None = None, remember: Callable[[str], None] | None = None) -> None:
        """`folders()`: the folder the person last used, where the "…" dialog starts when the Data field
        names none (the window's Files.last_folder); `remember(path)`: told the file or folder chosen there
        (Files.remember_folder, ui/window/files.py). Without them the dialog starts where Qt starts it (home)."""
        super().__init__(parent)
        self.document = document
        self._loading = False  # the optimiser fields being set from the project (_load_settings)
        self.controller = controller
        outer = QHBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 4)
        controls = self._build_controls(folders, remember)
        right = self._build_plot_column()
        outer.addWidget(controls)
        outer.addLayout(right, 1)
        self._connect()
        self._started, self._epochs = time.perf_counter(), 1
        self._paused_for, self._paused_at, self._where = 0.0, None, ""  # pauses do not count as time spent
        self._load_settings()
        self._sync_buttons()
        self.data_chooser.on_dataset_changed()

    def _build_controls(self, folders: Callable[[], str] | None, remember: Callable[[str], None] | None) -> QWidget:
        """The left side: the settings of the next run, the buttons that run it, and how it goes."""
        controls = QWidget()
        controls.setMaximumWidth(520)
        layout = QVBoxLayout(controls)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_settings(folders, remember))
        layout.addLayout(self._build_run_buttons())
        self._build_run_state(layout)
        return controls

    def _build_settings(self, folders: Callable[[], str] | None, remember: Callable[[str], None] | None) -> QHBoxLayout:
        """The two columns of the form: the data and the seed on the left, the optimiser's settings on the right."""
        form = QFormLayout()
        form2 = QFormLayout()
        for each in (form, form2):  # compact: the window keeps 1280×800 with this dock open
            each.setVerticalSpacing(3)
        self.data_chooser = DataChooser(self, self.document, folders, remember)  # Dataset, Data and Test part
        self.dataset, self.source = self.data_chooser.dataset, self.data_chooser.source
        self.test_fraction = self.data_chooser.test_fraction
        self.data_chooser.add_rows(form)
        self.normalise = QComboBox()
        for label, name in (("none", "none"), ("scale to [0, 1]", "minmax"), ("mean 0, variance 1", "standard")):
            self.normalise.addItem(label, name)
        form.addRow("Normalise", self.normalise)
        self._build_optimiser_rows(form2)
        # Schedule and stop rules live in a small dialog (the panel keeps its height at 1280×800);
        # the button beside Start opens it and says what is set.
        self.rules = RulesDialog(self)
        self.schedule, self.target_accuracy = self.rules.schedule, self.rules.target_accuracy
        self.patience, self.restore_best = self.rules.patience, self.rules.restore_best
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        form.addRow("Seed", self.seed)
        self.start_row = StartRow(self.document, self.controller, self.seed, self)
        form.addRow("Start from", self.start_row.combo)
        forms = QHBoxLayout()
        forms.addLayout(form, 3)
        forms.addLayout(form2, 2)
        return forms

    def _build_optimiser_rows(self, form: QFormLayout) -> None:
        self.epochs = QSpinBox()
        self.epochs.setObjectName("epochs")
        self.epochs.setRange(1, MAX_EPOCHS)  # as the command line's --epochs and TrainingConfig allow
        self.epochs.setValue(5)
        form.addRow("Epochs", self.epochs)
        self.batch = QSpinBox()
        self.batch.setObjectName("batchSize")
        self.batch.setRange(1, 65536)
        self.batch.setValue(32)
        form.addRow("Batch size", self.batch)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        form.addRow("Optimiser", self.optimizer)
        self.learning_rate = QLineEdit()
        self.learning_rate.setObjectName("learningRate")
        form.addRow("Learning rate", self.learning_rate)
        self.l2 = QLineEdit("0")
        form.addRow("L2 on W", self.l2)

    def _build_run_buttons(self) -> QHBoxLayout:
        """Start, Pause, Stop and Rules… (the schedule and stop rules of the next run)."""
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startTraining")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseTraining")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopTraining")
        self.rules_button = QPushButton("Rules…")
        self.rules_button.setObjectName("trainingRules")
        self.rules_button.setToolTip("Learning-rate schedule and stop rules (target accuracy, early stopping)")
        self.rules_button.clicked.connect(self.rules.open)
        self.rules.accepted.connect(self._describe_rules)
        for button in (self.start_button, self.pause_button, self.stop_button, self.rules_button):
            buttons.addWidget(button)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(lambda: self.controller.stop())
        return buttons

    def _build_run_state(self, layout: QVBoxLayout) -> None:
        """Under the buttons: the run's progress, its status line and the error line."""
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setFormat("%p%")
        self.status = QLabel("Choose a dataset and press Start.")
        self.status.setObjectName("trainingStatus")
        self.status.setWordWrap(True)
        self.message = error_label("trainingError")
        self.message.show()
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def _build_plot_column(self) -> QVBoxLayout:
        """The plot, and under it the log axis, the Rewind row and the exports."""
        self.plot = TrainingPlot()
        self.plot.setMinimumWidth(320)
        self.exports = PlotExports(self, self.plot, self.message)
        exports = QHBoxLayout()
        self.log_loss = QCheckBox("log loss axis")
        self.log_loss.setObjectName("logLoss")
        self.log_loss.setToolTip("Show the loss on a logarithmic axis (a loss that falls over decades)")
        self.log_loss.toggled.connect(self.plot.set_log_loss)
        exports.addWidget(self.log_loss)
        self.rewind_row = RewindRow(self.document, self.controller, self)
        self.rewind, self.rewind_label = self.rewind_row.slider, self.rewind_row.label
        self.use_weights = self.rewind_row.use_weights
        self.rewind_row.moment.connect(self.plot.mark_moment)
        self.rewind.setMinimumWidth(120)  # the panel fits a 1100 px window
        exports.addWidget(QLabel("Rewind"))
        exports.addWidget(self.rewind, 1)
        exports.addWidget(self.rewind_label)
        exports.addWidget(self.use_weights)
        exports.addWidget(self.exports.csv_button)
        exports.addWidget(self.exports.png_button)
        right = QVBoxLayout()
        # The pace over the plot: this column has room to spare in height, the settings' column has none.
        self.pace_row = PaceRow(self.dataset, self.epochs, self.batch, self.test_fraction, self.controller.set_pace)
        right.addWidget(self.pace_row)
        right.addWidget(self.plot, 1)
        right.addLayout(exports)
        return right

    def _connect(self) -> None:
        """The controller's news of the run, and the document's of another network or an edit."""
        self.controller.started.connect(self._sync_buttons)
        self.controller.ended.connect(self._on_ended)
        self.controller.failed.connect(self._on_failed)
        self.controller.stopped_early.connect(self._on_stopped_early)
        listen(self, self.document.changed, lambda kind: self._load_settings() if kind == "all" else
               self._show_optimizer())
        self.optimizer.currentTextChanged.connect(lambda _name: self._commit_optimizer())
        self.learning_rate.editingFinished.connect(self._commit_optimizer)
        self.l2.editingFinished.connect(self._commit_optimizer)
        listen(self, self.document.replaced, self.clear)
        # An edit while rewound: the window goes back to showing the document (the slider to the end).
        listen(self, self.document.changed, lambda kind: self.rewind_row.to_end() if kind != "data" else None)

    # ------------------------------------------------------------------ form

    def _describe_rules(self) -> None:
        self.rules_button.setText("Rules…" if self.rules.is_default() else "Rules ✓…")
        self.rules_button.setToolTip(self.rules.summary())

    def _load_settings(self) -> None:
        config = self.document.project.optimizer
        self._loading = True  # the fields follow the project: no edit back into it while they are set
        try:
            self.optimizer.setCurrentText(config.name)
            self.learning_rate.setText(f"{config.learning_rate:g}")
            self.l2.setText(f"{config.l2:g}")
        finally:
            self._loading = False
        self.data_chooser.load()  # the saved set if it fits, else the usual one for the inputs (data/catalogue.py)

    def _commit_optimizer(self) -> None:
        """The optimiser fields are the project's (document/optimizer_choice.py): a finished change is an edit.
        A value that does not parse yet is left in the field; Start names what is wrong with it."""
        if self.controller.running or self._loading:
            return
        try:
            rate, l2 = evaluate_number(self.learning_rate.text()), evaluate_number(self.l2.text())
        except NNStudioError:
            return
        if not (math.isfinite(rate) and rate > 0 and math.isfinite(l2) and l2 >= 0):
            return
        config = dataclasses.replace(self.document.project.optimizer, name=self.optimizer.currentText(),
                                     learning_rate=rate, l2=l2)
        choose_optimizer(self.document, config)

    def _show_optimizer(self) -> None:
        """Undo, Redo or a run changed the project's optimiser: the fields show it (not a field being typed in)."""
        config = self.document.project.optimizer
        if self.optimizer.currentText() != config.name:
            self._loading = True
            try:
                self.optimizer.setCurrentText(config.name)
            finally:
                self._loading = False
        for field, value in ((self.learning_rate, config.learning_rate), (self.l2, config.l2)):
            try:
                same = evaluate_number(field.text()) == value
            except NNStudioError:
                same = False
            if not same and not field.hasFocus():
                field.setText(f"{value:g}")

    def request(self) -> TrainingRequest:
        """The run the form describes; raises NNStudioError naming a bad field."""
        name, source = self.data_chooser.chosen()
        try:
            lr = evaluate_number(self.learning_rate.text())
            l2 = evaluate_number(self.l2.text())
        except NNStudioError as error:
            raise NNStudioError(f"learning rate or L2: {error}") from None
        if lr <= 0:
            raise NNStudioError("the learning rate must be above 0")
        optimizer = OptimizerConfig(self.optimizer.currentText(), learning_rate=lr, l2=l2)
        try:
            schedule = parse_schedule(self.schedule.text())
        except NNStudioError as error:
            raise NNStudioError(f"schedule: {error}") from None
        target = self.target_accuracy.value() / 100 or None
        patience = self.patience.value() or None
        if self.restore_best.isChecked() and patience is None:
            raise NNStudioError("keeping the best epoch goes with early stopping: set Early stop to a number of epochs")
        config = TrainingConfig(epochs=self.epochs.value(), batch_size=self.batch.value(), optimizer=optimizer,
                                seed=self.seed.value(), report_seconds=PROGRESS_SECONDS, preview_seconds=PREVIEW_SECONDS,
                                schedule=schedule, stop=StopRules(target, patience, self.restore_best.isChecked()),
                                record_epochs=True, pace=self.pace_row.pace())
        return TrainingRequest(self.document.project, name, config, source, self.normalise.currentData(),
                               self.test_fraction.value())

    # ------------------------------------------------------------------ run

    def start(self) -> None:
        self.message.setText("")
        self.status.setToolTip("")  # the last run's details
        self._commit_optimizer()  # the run's optimiser is the project's, as Step's update uses it
        try:
            request = self.start_row.applied(self.request())
            if not request.project.network.layers:
                raise NNStudioError("add layers before training")
            worker = self.controller.start(request)
        except NNStudioError as error:
            self.message.setText(str(error))
            self.error.emit(str(error))
            return
        self.plot.clear()
        self.rewind_row.disarm()
        self._started = time.perf_counter()
        self._paused_for, self._paused_at, self._where = 0.0, None, ""
        self._epochs = request.config.epochs
        worker.status.connect(self.status.setText)
        worker.download_progress.connect(self._on_download)
        worker.progressed.connect(self._on_progress)
        worker.epochs_finished.connect(self._on_epochs)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self._sync_buttons()

    def toggle_pause(self) -> None:
        if self.controller.paused:
            self.controller.resume()
            if self._paused_at is not None:  # the time estimate counts working time only
                self._paused_for += time.perf_counter() - self._paused_at
                self._paused_at = None
            self.status.setText("training…")
        else:
            self.controller.pause()
            self._paused_at = time.perf_counter()
            self.status.setText(f"Paused{self._where} — press Resume to go on")
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        running = self.controller.running
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Resume" if self.controller.paused else "Pause")
        for widget in (self.dataset, self.source, self.epochs, self.batch, self.optimizer, self.learning_rate,
                       self.l2, self.seed, self.normalise, self.test_fraction):
            widget.setEnabled(not running)
        if not running:
            self.data_chooser.on_dataset_changed()

    def _on_download(self, name: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        size = f"{done / 2**20:.1f} of {total / 2**20:.1f} MiB" if total else f"{done / 2**20:.1f} MiB"
        self.status.setText(f"downloading {name}: {size} (Stop cancels)")

    def _on_progress(self, record: StepProgress) -> None:
        self.plot.add_step(record)
        done = (record.epoch - 1 + record.step / record.steps_per_epoch) / self._epochs
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * done))
        self._where = f" at epoch {record.epoch}, step {record.step}"
        if self.controller.paused:
            return  # a record sent just before the pause must not undo "Paused" or restart the clock
        elapsed = time.perf_counter() - self._started - self._paused_for
        left = elapsed * (1 - done) / done if done > 0 else 0
        self.status.setText(f"epoch {record.epoch}/{self._epochs}, step {record.step}/{record.steps_per_epoch} — "
                            f"loss {record.loss:.4f}, {record.samples_per_second:,.0f} samples/s, "
                            f"about {left:.0f} s left")

    def _on_epochs(self, records: list[EpochResult]) -> None:
        """The epochs finished since the last batch (the worker sends them a few times a second)."""
        for record in records:
            # where the epoch ended on the x axis (step records come ten times a second: a toy set's
            # epochs, milliseconds long, had all been drawn at the last record's x)
            self.plot.add_epoch(record, float(record.samples_seen))
        record = records[-1]
        accuracy = "" if record.test_accuracy is None else f", test accuracy {record.test_accuracy:.2%}"
        rate = f", learning rate {record.learning_rate:.4g}" if self.schedule.text().strip() not in ("", "constant") else ""
        if not self.controller.paused:  # "Paused" stays until Resume
            self.status.setText(f"epoch {record.epoch}: test loss {record.test_loss:.4f}{accuracy}{rate}")

    def _on_ended(self, result) -> None:  # type: ignore[no-untyped-def]
        self._sync_buttons()
        self.rewind_row.arm()
        self.plot.redraw()
        if result is None:
            return
        if result.error:
            self.message.setText(result.error)
            self.error.emit(result.error)
        else:
            line, details = ending_words(result, self.controller.last_step)
            self.status.setText(line)
            self.status.setToolTip(details)
        self.progress.setValue(self.progress.maximum())

    # ------------------------------------------------------------------ another network, exports

    def clear(self) -> None:
        """Another network was opened: the curves and words of the last run belonged to the old one."""
        if self.controller.running:
            return
        self.rewind_row.disarm()
        self.plot.clear()
        self.status.setText("Choose a dataset and press Start.")
        self.status.setToolTip("")
        self.message.setText("")
        self.message.hide()
        self.progress.setValue(0)

    def _on_stopped_early(self) -> None:
        """Stop while the data loaded: the person's own doing, said in the status line (no error)."""
        self.status.setText(STOPPED_EARLY)
        self.progress.setValue(0)
        self._sync_buttons()

    def _on_failed(self, message: str) -> None:
        self.message.setText(message.splitlines()[0])
        self.status.setText("training did not start" if not self.plot.steps else "training failed")
        self.error.emit(message.splitlines()[0])
        self._sync_buttons()

