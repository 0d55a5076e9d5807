"""TrainingWorker runs the Qt-free training generator in a QThread; TrainingController owns it.

The worker loads the dataset (downloads report progress and can be cancelled),
then iterates `nnstudio.training.train` and turns what it yields into signals.
The loop itself throttles them (the Training panel asks for ~10 progress records and
2 parameter snapshots a second), so the UI thread never drowns. Stop and pause go through
a thread-safe TrainingControl checked between batches. The controller applies
the finished (or stopped) run as one undoable command on the document.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.core.runs import with_run
from nnstudio.data.dataset import DataSplit, Normalisation, normalise_split
from nnstudio.data.download import DownloadCancelled
from nnstudio.data.named import load_named
from nnstudio.document import Document
from nnstudio.training import EpochResult, ParameterSnapshot, StepProgress, TrainingConfig, TrainingControl, train
from nnstudio.training.child_process import ChildRun
from nnstudio.training.run_path import RunPath
from nnstudio.training.run_record import run_record, step_point
from nnstudio.training.loop import Record
from nnstudio.training.progress import TrainingResult

STOP_WAIT_MS = 5000
EPOCH_SIGNAL_SECONDS = 0.1  # epoch results are sent in batches at most this often (a slow epoch: at once)


@dataclass(frozen=True)
class TrainingRequest:
    """Everything a run needs, copied from the UI before the thread starts."""

    project: Project
    dataset: str
    config: TrainingConfig
    data_dir: str | None = None
    normalise: str = "none"
    test_fraction: float = 0.25


class TrainingWorker(QObject):
    """Lives in the training thread. Emits records; never touches widgets or the document."""

    status = Signal(str)
    download_progress = Signal(str, int, int)  # file, bytes so far, total (0 if unknown)
    data_ready = Signal(object)  # DataSplit (after normalisation)
    progressed = Signal(object)  # StepProgress
    snapshot = Signal(object)  # ParameterSnapshot
    epochs_finished = Signal(object)  # list[EpochResult], at most every EPOCH_SIGNAL_SECONDS (see run)
    finished = Signal(object)  # TrainingResult (also after Stop)
    failed = Signal(str)

    def __init__(self, request: TrainingRequest, control: TrainingControl) -> None:
        super().__init__()
        self.request = request
        self.control = control
        self.result: TrainingResult | None = None
        self.normalisation: Normalisation | None = None
        self.path = RunPath(request.project.network)  # a child process keeps its own and hands it over
        self.child: ChildRun | None = None  # the child process training, while it runs
        # NNSTUDIO_TRAIN_IN_THREAD=1: the old road (a thread sharing the GIL), for comparison and debugging
        self.in_thread = bool(os.environ.get("NNSTUDIO_TRAIN_IN_THREAD"))
        control.responsive = self.in_thread  # the child has nothing to share its GIL with

    @Slot()
    def run(self) -> None:
        try:
            self._run()
        except DownloadCancelled:
            self.failed.emit("the dataset download was cancelled")
        except NNStudioError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug: report it instead of dying silently in a thread
            self.failed.emit(f"training failed: {error!r}\n{traceback.format_exc(limit=3)}")

    def _records(self, data: DataSplit) -> Iterator[Record]:
        """The run's records as `train` yields them, from a child process (see training/child_process.py),
        or in this thread (NNSTUDIO_TRAIN_IN_THREAD=1, or when no process can be started). Sets
        self.result at the end; a failure in the child raises NNStudioError with its message."""
        request = self.request
        args = (request.project.network, request.project.loss, data.train, data.test, request.config)
        child = None
        if not self.in_thread:
            try:
                child = ChildRun(*args)
            except OSError as error:  # a sandbox that forbids processes: train here, and say so
                self.status.emit(f"could not start a training process ({error.strerror or error}); training in "
                                 "the window's own process")
                self.control.responsive = True
        if child is None:
            self.result = yield from train(*args, self.control)
            return
        self.child = child
        self.control.forward = child.send
        if self.control.stop_requested:  # Stop (or Pause) came while the child was starting
            child.send("stop")
        elif self.control.paused:
            child.send("pause")
        try:
            while True:
                try:
                    kind, payload = child.receive()
                except (EOFError, OSError):
                    child.close(1.0)
                    raise NNStudioError(f"the training process ended unexpectedly (exit status "
                                        f"{child.process.returncode}); the network in the window is "
                                        "unchanged") from None
                if kind == "records":
                    yield from payload
                elif kind == "done":
                    self.result, self.path.snapshots = payload  # the child kept the run's path
                    return
                else:
                    raise NNStudioError(payload)
        finally:
            self.control.forward = None
            child.close(STOP_WAIT_MS / 1000)

    def _run(self) -> None:
        request = self.request
        self.status.emit(f"loading {request.dataset}…")
        last = [0.0]

        def on_download(name: str, done: int, total: int | None) -> None:
            now = time.perf_counter()
            if now - last[0] > 0.05 or (total and done == total):
                last[0] = now
                self.download_progress.emit(name, done, total or 0)

        data = load_named(request.dataset, request.data_dir, seed=request.config.seed,
                          test_fraction=request.test_fraction, progress=on_download, dtype=request.config.dtype)
        if self.control.stop_requested:
            raise DownloadCancelled("cancelled")
        data, self.normalisation = normalise_split(data, request.normalise)
        self.data_ready.emit(data)
        self.status.emit("training…")
        # Epoch results go out in batches: a toy set finishes hundreds of epochs a second, and each
        # queued signal is an event the window's thread wakes for.
        finished_epochs: list[EpochResult] = []
        sent_at = time.perf_counter()
        for record in self._records(data):
            if isinstance(record, StepProgress):
                self.progressed.emit(record)
            elif isinstance(record, ParameterSnapshot):
                if self.child is None:  # a child process keeps the path itself and hands it over at the end
                    self.path.record(record)
                if not record.epoch_end:  # live previews for the window; epoch ends only for the path
                    self.snapshot.emit(record)
            elif isinstance(record, EpochResult):
                finished_epochs.append(record)
                now = time.perf_counter()
                if now - sent_at >= EPOCH_SIGNAL_SECONDS:
                    self.epochs_finished.emit(finished_epochs)
                    finished_epochs, sent_at = [], now
        if finished_epochs:
            self.epochs_finished.emit(finished_epochs)
        self.finished.emit(self.result)


class TrainingController(QObject):
    """Starts, pauses, stops a run in its own thread; lands the result in the document as one command."""

    started = Signal()
    ended = Signal(object)  # TrainingResult or None (failed)
    failed = Signal(str)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.control: TrainingControl | None = None
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.request: TrainingRequest | None = None
        self.data: DataSplit | None = None
        self.epochs: list[EpochResult] = []
        self.steps: list[tuple[int, float]] = []
        self._landed = False

    @property
    def path(self) -> list[ParameterSnapshot]:
        """The run's path for the rewind slider (see RunPath); read once the run has ended."""
        return self.worker.path.snapshots if self.worker is not None else []

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def start(self, request: TrainingRequest) -> TrainingWorker:
        if self.running:
            raise NNStudioError("training is already running")
        self.request, self.epochs, self.data, self._landed = request, [], None, False
        self.control = TrainingControl(responsive=True)  # (the worker turns it off for a child process)
        self.thread = QThread()
        self.thread.setObjectName("nnstudio-training")
        self.worker = TrainingWorker(request, self.control)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.data_ready.connect(self._on_data)
        self.worker.epochs_finished.connect(self.epochs.extend)
        self.steps: list[tuple[int, float]] = []
        self.worker.progressed.connect(lambda record: self.steps.append(step_point(record)))
        # Direct: quit() is thread-safe, and the thread must end even while the UI thread waits on it.
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.worker.failed.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.document.structure_locked = True
        self.thread.start()
        self.started.emit()
        return self.worker

    def pause(self) -> None:
        if self.control is not None:
            self.control.pause()

    def resume(self) -> None:
        if self.control is not None:
            self.control.resume()

    @property
    def paused(self) -> bool:
        return self.control is not None and self.control.paused

    def stop(self, wait: bool = False) -> bool:
        """Ask the run to stop after its current batch; with `wait`, block until the thread is done
        and land the result now (used when the window closes). True if the thread has ended."""
        if self.control is not None:
            self.control.stop()
        if not wait or self.thread is None:
            return not self.running
        ended = self.thread.wait(STOP_WAIT_MS)
        if ended and self.worker is not None and self.worker.result is not None:
            self._on_finished(self.worker.result)
        return ended

    def _on_data(self, data: DataSplit) -> None:
        self.data = data

    def _release(self) -> None:
        self.document.structure_locked = False
        self.document.set_preview(None)

    def _on_finished(self, result: TrainingResult) -> None:
        if self._landed:
            return
        self._landed = True
        self._release()
        request = self.request
        assert request is not None
        project = self.document.project
        if project.network.sizes == result.network.sizes and (result.epochs or result.stopped):
            norm = self.worker.normalisation if self.worker else None
            changes: dict = {"network": result.network.astype(project.network.dtype),
                             "optimizer": request.config.optimizer}
            if norm is not None:  # the statistics of this run's inputs; None when they were used raw
                changes["normalisation"] = norm.project_field()
            epochs = len(result.epochs)
            verb = "Stopped training" if result.stopped else "Train"
            changes["runs"] = with_run(project.runs, run_record(request.dataset, request.config, result, self.steps))
            self.document.apply(project.replace(**changes),
                                f"{verb} {epochs} epoch{'s' if epochs != 1 else ''} on {request.dataset}", "values")
        self.document.runs.append({"dataset": request.dataset, "config": request.config, "epochs": result.epochs,
                                   "steps": list(self.steps), "stopped": result.stopped, "error": result.error})
        self.ended.emit(result)

    def _on_failed(self, message: str) -> None:
        self._landed = True
        self._release()
        self.failed.emit(message)
        self.ended.emit(None)
