"""TrainingWorker runs the Qt-free training generator in a QThread; TrainingController owns it.

The worker loads the dataset (downloads report progress and can be cancelled),
then iterates `nnstudio.training.train` and turns what it yields into signals.
The loop itself throttles them (the Training panel asks for ~10 progress records and
2 parameter snapshots a second), so the UI thread never drowns. Stop and pause go through
a thread-safe TrainingControl checked between batches. The controller applies
the finished (or stopped) run as one undoable command on the document.

A child that does not answer Stop is ended at its deadline (training/child_process.py); the worker
then lands what it received (`_salvage`) and its thread ends. Close waits for the thread at most
STOP_WAIT_MS; a thread still running then (blocked before any child) is kept until it has finished,
never destroyed while it runs (`_keep_until_finished`).
"""

from __future__ import annotations

import atexit
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from threadpoolctl import threadpool_limits

from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import MAX_RUN_ROWS
from nnstudio.core.project import Project
from nnstudio.core.run_comparison import run_start
from nnstudio.core.runs import with_run
from nnstudio.data.dataset import DataSplit, Normalisation, normalise_split
from nnstudio.data.download import DownloadCancelled
from nnstudio.data.named import load_named
from nnstudio.document import Document
from nnstudio.training import EpochResult, ParameterSnapshot, StepProgress, TrainingConfig, TrainingControl, train
from nnstudio.training.child_process import ChildRun
from nnstudio.training.loop import Record
from nnstudio.training.pace import Pace
from nnstudio.training.progress import TrainingResult
from nnstudio.training.run_path import RunPath
from nnstudio.training.run_record import run_record, step_point
from nnstudio.training.start_memory import StartMemory
from nnstudio.training.thinned import Thinned

# The window's Close waits at most this long for a run's thread. A child told to stop is ended by its own
# deadline (child_process.STOP_DEADLINE_SECONDS, 2 s) and reaped well within it.
STOP_WAIT_MS = 5000
EPOCH_SIGNAL_SECONDS = 0.1  # epoch results are sent in batches at most this often (a slow epoch: at once)
STOPPED_EARLY = "Stopped before training began"  # Stop while the data loaded: said quietly, no error box


def _epochs(count: int) -> str:
    return f"{count} epoch{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class TrainingRequest:
    """Everything a run needs, copied from the UI before the thread starts."""

    project: Project
    dataset: str
    config: TrainingConfig
    data_dir: str | None = None
    normalise: str = "none"
    test_fraction: float = 0.25
    # How project.network, the run's start, was chosen: "as-is", "fresh" (re-initialised with config.seed) or
    # "same" (another run's start); the record works out "continued" (core/run_comparison.py run_start).
    start: str = "as-is"


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
        self.child: ChildRun | None = None  # the child process training (kept after the run: its exit status)
        self.failure: str | None = None  # the message `failed` carried, for a caller that waited on the thread
        # NNSTUDIO_TRAIN_IN_THREAD=1: the old road (a thread sharing the GIL), for comparison and debugging
        self.in_thread = bool(os.environ.get("NNSTUDIO_TRAIN_IN_THREAD"))
        control.responsive = self.in_thread  # the child has nothing to share its GIL with

    @Slot()
    def run(self) -> None:
        try:
            self._run()
        except DownloadCancelled:  # Stop while the data loaded (a local folder too): not a failure
            self._fail(STOPPED_EARLY if self.control.stop_requested else "the dataset download was cancelled")
        except NNStudioError as error:
            self._fail(str(error))
        except Exception as error:  # a bug: report it instead of dying silently in a thread
            self._fail(f"training failed: {error!r}\n{traceback.format_exc(limit=3)}")

    def _fail(self, message: str) -> None:
        self.failure = message
        self.failed.emit(message)

    def _adopt(self, child: ChildRun) -> None:
        """The child exists (its run not sent yet): from now on Stop reaches it, and its deadline applies."""
        self.child = child
        self.control.forward = child.send

    def _records(self, data: DataSplit) -> Iterator[Record]:
        """The run's records as `train` yields them, from a child process (see training/child_process.py),
        or in this thread (NNSTUDIO_TRAIN_IN_THREAD=1, or when no process can be started). Sets
        self.result at the end; a failure in the child raises NNStudioError with its message."""
        request = self.request
        args = (request.project.network, request.project.loss, data.train, data.test, request.config)
        child = None
        if not self.in_thread:
            try:
                child = ChildRun(*args, spawned=self._adopt)
            except OSError as error:  # a sandbox that forbids processes: train here, and say so
                self.status.emit(f"could not start a training process ({error.strerror or error}); training in "
                                 "the window's own process")
                self.control.responsive = True
        if child is None:
            self.result = yield from train(*args, self.control)
            return
        child.send(("pace", self.control.pace_for(request.config.pace)))  # one chosen while the run was being sent
        if self.control.stop_requested:  # Stop (or Pause) came while the run was being sent
            child.send("stop")
        elif self.control.paused:
            child.send("pause")
        started = time.perf_counter()
        epochs: Thinned[EpochResult] = Thinned(MAX_RUN_ROWS)  # what the window has, should the child be ended
        latest: ParameterSnapshot | None = None
        try:
            while True:
                try:
                    kind, payload = child.receive()
                except (EOFError, OSError):
                    child.close(1.0)
                    if child.killed_at_deadline:
                        self.result = self._salvage(child, epochs.items(), latest, time.perf_counter() - started)
                        return
                    raise NNStudioError(f"the training process ended unexpectedly (exit status "
                                        f"{child.process.returncode}); the network in the window is "
                                        "unchanged") from None
                if kind == "records":
                    for record in payload:
                        if isinstance(record, EpochResult):
                            epochs.add(record)
                        elif isinstance(record, ParameterSnapshot) and not record.epoch_end:
                            latest = record
                    yield from payload
                elif kind == "done":
                    self.result, self.path.snapshots = payload  # the child kept the run's path
                    return
                else:
                    raise NNStudioError(payload)
        finally:
            child.close()  # a Stop or Close meanwhile still reaches it: a child hung at its exit meets the deadline
            self.control.forward = None

    def _salvage(self, child: ChildRun, epochs: list[EpochResult], latest: ParameterSnapshot | None,
                 seconds: float) -> TrainingResult:
        """The run of a child ended for not answering Stop in time, as far as the window received it: the
        last live parameters it sent, with the epochs finished before them. Landed as a stopped run whose
        `error` says so (the document's undo can take it back). None received, or not finite: nothing lands."""
        ended = f"the training process did not answer Stop within {child.deadline_seconds:g} s and was ended"
        if latest is None or not all(np.isfinite(array).all() for layer in latest.network.layers
                                     for array in (layer.weights, layer.bias) if array is not None):
            raise NNStudioError(f"{ended} before it sent any weights; the network in the window is unchanged")
        kept = [e for e in epochs if e.epoch < latest.epoch]  # the epochs these parameters have been through
        self.path.record(latest)
        done = latest.epoch - 1
        before = f"the {_epochs(done)} finished before them" if done else "no epoch finished before them"
        return TrainingResult(latest.network, kept, stopped=True, seconds=seconds,
                              error=f"{ended}; the network has the last weights it sent (epoch {latest.epoch}, "
                                    f"step {latest.step}), and the run is kept with {before}")

    def _run(self) -> None:
        request = self.request
        self.status.emit(f"loading {request.dataset}…")
        last = [0.0]

        def on_download(name: str, done: int, total: int | None) -> None:
            if self.control.stop_requested:  # Stop (or Close) cancels a download at its next chunk
                raise DownloadCancelled(f"download of {name} cancelled")
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
    # The worker's data and live snapshots, passed on in the UI thread. Views connect here once, rather than to
    # each run's worker when `started` comes: by then the worker's thread runs, and a small set's data could
    # be sent before anyone listened.
    data_ready = Signal(object)  # DataSplit (after normalisation)
    snapshot = Signal(object)  # ParameterSnapshot, a live preview
    stopped_early = Signal()  # Stop pressed before training began (then `ended` carries None, `failed` is quiet)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.control: TrainingControl | None = None
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.request: TrainingRequest | None = None
        self.data: DataSplit | None = None
        # What the run reported, thinned on a long run (first and last kept): a toy set's thousands of epochs
        # a second, kept whole, grew without end. A run's record keeps at most MAX_RUN_ROWS rows anyway.
        self._epoch_results: Thinned[EpochResult] = Thinned(MAX_RUN_ROWS)
        self._step_points: Thinned[tuple[int, float]] = Thinned(MAX_RUN_ROWS)
        self._landed = False
        self.last_step: StepProgress | None = None  # the run's latest step record (see _on_progress)
        self.starts = StartMemory()  # each run's start, for "from the same start" (ui/panels/training/start_row.py)
        self._blas: threadpool_limits | None = None  # the window's BLAS threads limited while a run trains

    @property
    def epochs(self) -> list[EpochResult]:
        """The run's epoch results so far, in order (thinned evenly on a long run; the latest kept)."""
        return self._epoch_results.items()

    @property
    def steps(self) -> list[tuple[int, float]]:
        """The run's train-loss points (`step_point`s) so far, thinned as `epochs` is."""
        return self._step_points.items()

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
        self.request, self.data, self._landed, self.last_step = request, None, False, None
        self.starts.keep(request.project.network)
        self._epoch_results, self._step_points = Thinned(MAX_RUN_ROWS), Thinned(MAX_RUN_ROWS)
        self.control = TrainingControl(responsive=True)  # (the worker turns it off for a child process)
        self.thread = QThread()
        self.thread.setObjectName("nnstudio-training")
        self.worker = TrainingWorker(request, self.control)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.data_ready.connect(self._on_data)
        self.worker.snapshot.connect(self.snapshot)
        self.worker.epochs_finished.connect(self._epoch_results.extend)
        self.worker.progressed.connect(self._on_progress)
        # Direct: quit() is thread-safe, and the thread must end even while the UI thread waits on it.
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.worker.failed.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.document.structure_locked = True
        # The window's own BLAS on one thread while the run trains: OpenBLAS's idle workers spin for a while after
        # each product, and LeNet's previews (a convolution per snapshot) kept them spinning on the core the
        # run's child trains on — measured on 2 cores: the window cost 30–40 % of the run's speed and the event
        # loop's p99 went from ~26 to ~60 ms. Restored as the run ends (_release).
        self._blas = threadpool_limits(limits=1, user_api="blas")
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

    def set_pace(self, pace: Pace | None) -> None:
        """The running run's pace from now on (None: as fast as possible); see TrainingControl.set_pace."""
        if self.control is not None:
            self.control.set_pace(pace)

    def _on_progress(self, record: StepProgress) -> None:
        self.last_step = record  # at a Stop, the run's last step (its words: ending_words.stop_point)
        if record.curve:  # the curve's points; the others come by the clock, for the status line
            self._step_points.add(step_point(record))

    def stop(self, wait: bool = False) -> bool:
        """Ask the run to stop after its current batch; with `wait`, block until the thread is done
        (at most STOP_WAIT_MS: a child that does not answer is ended by its deadline well before) and
        land the result or the failure now (used when the window closes). True if the thread has ended;
        a thread that has not is kept until it has, wherever this controller goes (`_keep_until_finished`)."""
        if self.control is not None:
            self.control.stop()
        if not wait or self.thread is None:
            return not self.running
        ended = self.thread.wait(STOP_WAIT_MS)
        worker = self.worker
        if not ended:
            _keep_until_finished(self.thread, worker)
        elif worker is not None and worker.result is not None:
            self._on_finished(worker.result)
        elif worker is not None and worker.failure is not None:
            self._on_failed(worker.failure)
        return ended

    def _on_data(self, data: DataSplit) -> None:
        self.data = data
        self.data_ready.emit(data)

    def _release(self, preview: bool = True) -> None:
        """The thread ended, the network's shape free again; with `preview`, the live copy no longer shown."""
        if self.thread is not None:  # it has sent its last signal and is ending: `ended` finds it idle
            self.thread.wait(STOP_WAIT_MS)
        self.document.structure_locked = False
        if self._blas is not None:
            self._blas.restore_original_limits()
            self._blas = None
        if preview:
            self.document.set_preview(None)

    def _on_finished(self, result: TrainingResult) -> None:
        if self._landed:
            return
        self._landed = True
        # The live copy stays on screen until the run's network has landed: hidden first, every view would
        # compute once more for the network the run started from (the Results panel's verdicts on a test set
        # are seconds for LeNet on Fashion-MNIST's 10,000 images), just before the landed one replaced it.
        self._release(preview=False)
        self._land(result)
        self.document.set_preview(None)
        self.ended.emit(result)

    def _land(self, result: TrainingResult) -> None:
        """The run's network and record as one undoable edit (nothing when it has another shape or did nothing),
        and the run in the document's list."""
        request = self.request
        assert request is not None
        project = self.document.project
        if project.network.sizes == result.network.sizes and (result.epochs or result.stopped):
            norm = self.worker.normalisation if self.worker else None
            landed = result.network.astype(project.network.dtype)
            changes: dict = {"network": landed, "optimizer": request.config.optimizer}
            if norm is not None:  # the statistics of this run's inputs; None when they were used raw
                changes["normalisation"] = norm.project_field()
            classes = self.data.test.classes if self.data is not None and self.data.test.image else None
            if classes and len(classes) == landed.output_size:  # its outputs mean the image set's classes: named
                changes["output_labels"] = tuple(str(c) for c in classes)  # as Confusion and Gallery name them
            epochs = result.epochs_done  # not len(result.epochs): a long run's results are thinned
            verb = "Stopped training" if result.stopped else "Train"
            start = run_start(request.start, request.project.network, request.config.seed, project.runs)
            record = run_record(request.dataset, request.config, replace(result, network=landed), self.steps, start)
            changes["runs"] = with_run(project.runs, record)
            self.document.apply(project.replace(**changes),
                                f"{verb} {epochs} epoch{'s' if epochs != 1 else ''} on {request.dataset}", "values")
        self.document.runs.append({"dataset": request.dataset, "config": request.config, "epochs": result.epochs,
                                   "steps": list(self.steps), "stopped": result.stopped, "error": result.error})

    def _on_failed(self, message: str) -> None:
        if self._landed:  # already told (Close waited for the thread and landed it then)
            return
        self._landed = True
        self._release()
        if message == STOPPED_EARLY:
            self.stopped_early.emit()
        else:
            self.failed.emit(message)
        self.ended.emit(None)


class _Outliving(QObject):
    """Threads of runs that had not ended when their window closed (a download blocked in a read until
    its timeout), each kept with its worker until it has finished. Qt aborts the whole process when a
    QThread object is destroyed while its thread runs, and a closed window's controller may go at once."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[QThread, QObject | None] = {}

    def keep(self, thread: QThread, worker: QObject | None) -> None:
        if thread not in self.kept:
            self.kept[thread] = worker
            thread.finished.connect(self._finished)  # queued: runs here, once the thread is done

    @Slot()
    def _finished(self) -> None:
        self.kept.pop(self.sender(), None)  # type: ignore[call-overload]

    def wait_all(self) -> None:
        """At exit: a kept thread ends before the interpreter tears its objects down."""
        for thread in list(self.kept):
            thread.wait()


_outliving: _Outliving | None = None


def _keep_until_finished(thread: QThread, worker: QObject | None) -> None:
    global _outliving
    if _outliving is None:
        _outliving = _Outliving()
        atexit.register(_outliving.wait_all)
    _outliving.keep(thread, worker)
