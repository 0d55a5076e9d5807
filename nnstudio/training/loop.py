"""The training loop: a plain generator, so a CLI, a test or a Qt worker can drive it.

    run = train(network, "cce", train_set, test_set, config, control)
    for record in run: ...          # StepProgress now and then, EpochResult after each epoch
    result = run.value              # or: result = drive(run)

Each epoch shuffles (seeded), takes mini-batches (batch size 1 is the textbook's
per-sample SGD), and after it evaluates the test set. It works on its own copy
of the parameters, stops cooperatively between batches, can be paused, and if
the loss stops being a finite number it ends with a message naming the epoch and
step, keeping the last parameters that were finite.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Generator

import numpy as np
from threadpoolctl import threadpool_limits

from nnstudio.core.errors import LossError, ShapeError
from nnstudio.core.limits import MAX_RUN_ROWS
from nnstudio.core.network import Network
from nnstudio.data.dataset import Dataset
from nnstudio.training import blas
from nnstudio.training.batches import ColumnBatches
from nnstudio.training.config import TrainingConfig
from nnstudio.training.control import TrainingControl
from nnstudio.training.engine import FastMLP
from nnstudio.training.metrics import evaluate_outputs
from nnstudio.training.progress import EpochResult, ParameterSnapshot, StepProgress, TrainingResult
from nnstudio.training.schedule import StopWatch
from nnstudio.training.thinned import Thinned

Record = StepProgress | EpochResult | ParameterSnapshot

# Beside a window (`TrainingControl.responsive`), products from this size on release the GIL
# (instead of blas.RELEASE_GIL_FROM), and batches too small for long sparse products stay
# dense (`ColumnBatches`' width rule). The window's thread takes the GIL dozens of times per
# frame; CPython hands it over when the trainer releases it for longer than the waiting
# thread takes to wake (a few µs here), or else only every 5 ms (the switch interval). The
# first layer's products at batch 1 (~10 µs each, GIL released) give it that chance every
# step; scipy's 1–3 µs sparse loops do not. Measured (bench_ui_latency.py, mnist-mlp, batch 1):
# event-loop p99 19 ms, against 340–400 ms with either the split or the GIL held; costs
# ~3 µs per product at batch 1.
RESPONSIVE_RELEASE_GIL_FROM = 1 << 16


def check_fits(network: Network, dataset: Dataset) -> None:
    if network.input_size != dataset.n_features:
        raise ShapeError(f"the network takes {network.input_size} inputs but {dataset.name} has "
                         f"{dataset.n_features} features")
    binary = dataset.is_classification and dataset.n_outputs == 2 and network.output_size == 1
    if network.output_size != dataset.n_outputs and not binary:
        raise ShapeError(f"the network gives {network.output_size} outputs but {dataset.name} needs "
                         f"{dataset.n_outputs}")


def _check_targets(engine: FastMLP, train_set: Dataset, y_all: np.ndarray, test_set: Dataset | None,
                   outputs: int) -> None:
    """Refuse, before the first step and by name, targets the loss cannot take (a regression set's −1 with
    binary cross-entropy), in the training part and the test part alike."""
    try:
        engine.expect_targets(y_all)
    except LossError as error:
        raise LossError(f"{train_set.name}: {error}") from None
    if test_set is not None and len(test_set):
        try:
            engine.loss.check_targets(test_set.targets(engine.dtype, outputs))
        except LossError as error:
            raise LossError(f"{test_set.name} (test part): {error}") from None


def train(network: Network, loss: str, train_set: Dataset, test_set: Dataset | None, config: TrainingConfig,
          control: TrainingControl | None = None) -> Generator[Record, None, TrainingResult]:
    """Yield progress records while training; return the TrainingResult."""
    check_fits(network, train_set)
    blas.library()  # loaded before the limit below, which applies only to libraries already loaded
    limits = threadpool_limits(limits=config.blas_threads, user_api="blas") if config.blas_threads else None
    # Overflow while diverging is expected and reported by the loop itself (a non-finite
    # loss ends the run with a message), so numpy's warnings are off while it computes and
    # back on whenever control returns to the consumer.
    inner = _train(network, loss, train_set, test_set, config, control)
    try:
        while True:
            saved = np.seterr(all="ignore")
            try:
                record = next(inner)
            except StopIteration as done:
                return done.value
            finally:
                np.seterr(**saved)
            yield record
    finally:
        inner.close()
        if limits is not None:
            limits.restore_original_limits()


def _train(network: Network, loss: str, train_set: Dataset, test_set: Dataset | None, config: TrainingConfig,
           control: TrainingControl | None) -> Generator[Record, None, TrainingResult]:
    control = control or TrainingControl()
    rules = config.stop
    if (rules.target_accuracy is not None or rules.patience is not None) and (test_set is None or not len(test_set)):
        raise ShapeError("a target accuracy and early stopping judge the test part; this run has none")
    watch = StopWatch(rules)
    best: list[np.ndarray] | None = None
    stop_reason: str | None = None
    engine = FastMLP(network, loss, config.optimizer, config.dtype,
                     release_gil_from=RESPONSIVE_RELEASE_GIL_FROM if control.responsive else blas.RELEASE_GIL_FROM)
    dtype = engine.dtype
    x_all = np.ascontiguousarray(train_set.x, dtype=dtype)
    y_all = np.ascontiguousarray(train_set.targets(dtype, network.output_size))
    _check_targets(engine, train_set, y_all, test_set, network.output_size)
    n = len(train_set)
    batch = min(config.batch_size, n)
    steps_per_epoch = math.ceil(n / batch)
    check_every = max(1, 256 // batch)
    rng = np.random.default_rng(config.seed)
    batches = ColumnBatches(x_all, y_all, batch, dtype, bias=engine.has_bias[0],
                            width=engine.n_out[0] if control.responsive else None)
    if batches.feature_order is not None:
        engine.order_inputs(batches.feature_order)
        engine.split_inputs(batches.dense)
    # Every epoch's result, thinned on a long run (first and last kept): thousands of XOR epochs a second
    # kept whole grew without end. The run's record keeps at most MAX_RUN_ROWS rows, so nothing is lost.
    history: Thinned[EpochResult] = Thinned(MAX_RUN_ROWS)
    snapshot = engine.snapshot()
    started = time.perf_counter()
    last_report = last_preview = started - config.report_seconds  # clocks run across epochs: short
    seen = 0                                                          # epochs still report
    # The loss a step record reports: the mean over the batches since the previous record. (It was
    # the mean since the epoch began, which restarted at every epoch: the curve jumped down at each
    # boundary, an artefact of the reset, not of training.)
    recent_total, recent_count = 0.0, 0
    stopped = False
    error: str | None = None
    for epoch in range(1, config.epochs + 1):
        rate = config.schedule.rate(epoch, config.epochs, config.optimizer.learning_rate)
        engine.set_learning_rate(rate)
        order = rng.permutation(n)
        batches.shuffle(order)
        epoch_start = time.perf_counter()
        total, count = 0.0, 0
        for step in range(steps_per_epoch):
            if control.stop_requested:
                stopped = True
                break
            if control.paused:
                paused_at = time.perf_counter()
                control.wait_while_paused()
                epoch_start += time.perf_counter() - paused_at  # speed counts working time only
                if control.stop_requested:
                    stopped = True
                    break
            lo = step * batch
            hi = min(lo + batch, n)
            value = engine.train_columns(*batches.get(step))
            if not math.isfinite(value):
                engine.restore(snapshot)
                error = (f"training stopped: the loss became {value} at epoch {epoch}, step {step + 1}; "
                         "the learning rate is probably too high. The last finite parameters were kept.")
                break
            total += value * (hi - lo)
            count += hi - lo
            seen += hi - lo
            recent_total += value * (hi - lo)
            recent_count += hi - lo
            if (step + 1) % config.snapshot_every == 0 and engine.finite():
                snapshot = engine.snapshot()
            if step % check_every == 0:  # reading the clock every step would cost more than batch 1 itself
                now = time.perf_counter()
                if now - last_report >= config.report_seconds:
                    last_report = now
                    yield StepProgress(epoch, step + 1, steps_per_epoch, seen, recent_total / recent_count,
                                       count / (now - epoch_start))
                    recent_total, recent_count = 0.0, 0
                if config.preview_seconds is not None and now - last_preview >= config.preview_seconds:
                    last_preview = now
                    yield ParameterSnapshot(epoch, step + 1, engine.to_network(), seen)
        if error or stopped:
            break
        if not engine.finite():
            engine.restore(snapshot)
            error = (f"training stopped: the parameters stopped being finite in epoch {epoch}; "
                     "the last finite parameters were kept.")
            break
        snapshot = engine.snapshot()
        seconds = time.perf_counter() - epoch_start
        speed = count / seconds if seconds > 0 else float("inf")
        test_loss, accuracy, per_class, confusion = (math.nan, None, None, None)
        if test_set is not None and len(test_set):
            outputs = engine.predict(test_set.x)
            test_loss, accuracy, per_class, confusion = evaluate_outputs(outputs, test_set, loss,
                                                                         network.layers[-1].activation)
        result = EpochResult(epoch, total / max(count, 1), test_loss, accuracy, per_class, confusion, speed, seconds,
                             rate, seen)
        history.add(result)
        stop_reason = watch.after_epoch(epoch, test_loss, accuracy)
        if rules.restore_best and watch.best_epoch == epoch:
            best = engine.snapshot()
        yield result
        if config.record_epochs:
            yield ParameterSnapshot(epoch, steps_per_epoch, engine.to_network(), seen, epoch_end=True)
        if stop_reason is not None:
            break
    best_epoch = None
    epochs = history.items()
    last_epoch = epochs[-1].epoch if epochs else 0
    if rules.restore_best and best is not None and watch.best_epoch != last_epoch and not error:
        engine.restore(best)  # early stopping ends on the best epoch's parameters
        best_epoch = watch.best_epoch
    return TrainingResult(engine.to_network(), epochs, stopped, error, time.perf_counter() - started,
                          stop_reason, best_epoch)


def drive(run: Generator[Record, None, TrainingResult],
          each: Callable[[Record], None] | None = None) -> TrainingResult:
    """Run a training generator to the end and return its result, handing each record to `each` on the way
    (the command line prints them; a test collects them)."""
    while True:
        try:
            record = next(run)
        except StopIteration as done:
            return done.value
        if each is not None:
            each(record)
